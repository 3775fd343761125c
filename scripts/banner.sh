#!/usr/bin/env bash
# What `make run` prints before it starts serving: where the screens are and how to log in.
host="${1:-127.0.0.1}"
port="${2:-5000}"
shown="$host"
[[ "$host" == 0.0.0.0 ]] && shown=127.0.0.1
base="http://$shown:$port"
cat <<TEXT

  Fengqiao Hall is starting on $base  (Ctrl-C stops it)

    Kiosk (touchscreen, 1080x1920)   $base/k/demo
    Call board (1920x1080)           $base/b/demo
    Staff login                      $base/admin/login
    Health                           $base/healthz

  Demo hall logins (password hall-demo):  admin   reception   mediator
  Phones scan the ticket's QR code: set PUBLIC_BASE_URL to the address they reach
  (e.g. PUBLIC_BASE_URL=http://192.168.1.20:$port HOST=0.0.0.0 make run).

TEXT
