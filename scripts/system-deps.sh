#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Fengqiao Hall needs, only those that are missing.
#
#   scripts/system-deps.sh run     WeasyPrint's libraries (Pango, HarfBuzz) and CJK fonts
#   scripts/system-deps.sh test    the same, plus Chromium and poppler-utils for the tests
#   scripts/system-deps.sh bench   the same as run, plus wrk for the benchmarks
#
# As root it runs apt-get itself (non-interactive; `apt-get update` only when something is
# missing). Otherwise it prints the exact command to run and fails, so that `make` stops with a
# clear message instead of a confusing error later. SKIP_SYSTEM_DEPS=1 skips the check.
set -euo pipefail

what="${1:-run}"
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1
          fonts-noto-cjk
          fonts-hanazono)  # CJK Extension B and later: rare characters in names (𡒄, 𪚥) Noto CJK lacks
case "$what" in
  run) ;;
  test) packages+=(chromium poppler-utils) ;;
  bench) packages+=(wrk) ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

if [[ "${SKIP_SYSTEM_DEPS:-}" == 1 ]]; then
  exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

# python3 -m venv needs ensurepip, which Debian ships apart in python3-venv.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)"
  if [[ "$status" != installed ]]; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    echo "system-deps: installing ${missing[*]} (sudo)"
    sudo -n sh -c "$command"
    exit 0
  fi
  echo "system-deps: missing system packages: ${missing[*]}" >&2
  echo "Run this as root, then run make again:" >&2
  echo "" >&2
  echo "    sudo sh -c '$command'" >&2
  echo "" >&2
  echo "(or SKIP_SYSTEM_DEPS=1 make … to go on without them)" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
