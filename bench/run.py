#!/usr/bin/env python3
"""Benchmarks of Fengqiao Hall against live gunicorn servers on loopback: figures, not pass/fail.

    make bench                      (or: .venv/bin/python bench/run.py [options])

In one run, with wrk as the load generator (Debian package wrk; `make bench` installs it):

* tickets issued per second and p50/p99 latency at 1, 8 and 32 concurrent clients,
  POST /api/v1/halls/demo/tickets {"service": A|B|C|D}, on SQLite and on PostgreSQL
  (PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL names a server, else
  postgresql://postgres@127.0.0.1/postgres if one answers; the bench uses its own database
  fq_bench there);
* the same load on a trivial Flask app (bench/trivial_app.py) served by gunicorn with the same
  flags: the ratio ticket/trivial is the figure;
* idle polls of the board and the phone page (HX-Request + If-None-Match -> 304) against a full
  board render and a full phone page: the ratio is the figure.

The servers run with the same flags as `make run` (--workers 2×cores+1 --threads 1 unless
--workers / --threads say otherwise), without an access log. Each ticket level starts from an empty queue.
Results: a Markdown table on stdout and bench/results/<date>.json + latest.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key"
LEVELS = (1, 8, 32)
POLL_CLIENTS = 8


# ---- the machine ---------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine(pg_url: str | None) -> dict:
    import gunicorn
    import sqlalchemy
    info = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "flask": importlib.metadata.version("flask"),
        "gunicorn": gunicorn.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "",
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
    }
    if pg_url:
        from sqlalchemy import create_engine, text
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return info


# ---- databases -----------------------------------------------------------------------------

def _normalise(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def find_postgres(explicit: str | None) -> str | None:
    """A server to make fq_bench on: the one named, else the local one if it answers."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    candidates = [explicit] if explicit else [os.environ.get("BENCH_DATABASE_URL"),
                                              os.environ.get("TEST_DATABASE_URL"),
                                              "postgresql://postgres@127.0.0.1/postgres"]
    for candidate in filter(None, candidates):
        admin_url = make_url(_normalise(candidate)).set(database="postgres")
        try:
            engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS fq_bench WITH (FORCE)"))
                conn.execute(text("CREATE DATABASE fq_bench"))
            engine.dispose()
            return admin_url.set(database="fq_bench").render_as_string(hide_password=False)
        except Exception as error:  # noqa: BLE001 - no server: the bench runs on SQLite only
            print(f"bench: no PostgreSQL at {candidate}: {error.__class__.__name__}", file=sys.stderr)
    return None


def prepare(url: str) -> None:
    """Schema by the migrations, the demo hall, and a rate limit the load does not reach."""
    from flask_migrate import upgrade

    from hall import create_app
    from hall.demo import load_demo
    from hall.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade()
        hall = load_demo()
        hall.api_ticket_limit = "100000000 per minute"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def settle(url: str) -> None:
    """Wait until requests still in flight when wrk stopped have finished (the queue's version
    holds still)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    last = None
    for _ in range(50):
        with engine.connect() as conn:
            version = conn.execute(text("SELECT sum(queue_version) FROM hall")).scalar()
        if version == last:
            break
        last = version
        time.sleep(0.3)
    engine.dispose()


def reset_queue(url: str) -> None:
    """An empty queue, as at the start of a day (the figures should not depend on how many
    tickets earlier levels left waiting)."""
    from sqlalchemy import create_engine, text
    settle(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("ticket_event", "ticket", "ticket_sequence"):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


# ---- servers and load ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, target: str, workers: int, threads: int, env: dict | None = None,
                 chdir: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--chdir", str(chdir), target],
            cwd=chdir, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn {target} exited")
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn {target} did not start")
        self.warm(workers * threads)

    def warm(self, clients: int) -> None:
        """gunicorn listens before its workers have imported the app: load it until its rate
        holds still, so that no figure includes a worker's start."""
        path = "/ping" if "trivial" in self.process.args[-1] else "/healthz"
        last = 0.0
        for _ in range(15):
            rps = wrk(self.url + path, clients, 2)["rps"]
            if last and abs(rps - last) < 0.2 * max(rps, last):
                return
            last = rps

    def _pids(self) -> list[int]:
        pids = [self.process.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn and its workers: a cost per request that other load
        on the machine does not change."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", value).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, clients: int, seconds: float, script: str | None = None,
        headers: dict | None = None) -> dict:
    command = ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(ROOT / "bench" / script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    result = {
        "clients": clients,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
    }
    for pct in ("50", "99"):
        result[f"p{pct}_ms"] = _ms(re.search(rf"\s{pct}%\s+([\d.]+[a-z]+)", out).group(1))
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        result["socket_errors"] = socket_errors.group(1)
    return result


def _poll_headers(url: str) -> dict:
    """What static/js/poll.js sends once the page is up: HX-Request and the last ETag."""
    first = requests.get(url, headers={"HX-Request": "true"}, timeout=10)
    first.raise_for_status()
    etag = first.headers.get("ETag")
    assert etag, f"{url} gave no ETag"
    headers = {"HX-Request": "true", "If-None-Match": etag}
    again = requests.get(url, headers=headers, timeout=10)
    assert again.status_code == 304, f"{url} answered {again.status_code} to its own ETag"
    return headers


# ---- the runs ------------------------------------------------------------------------------

def bench_tickets(server: Server, url: str | None, seconds: float, levels, path: str = "/ping",
                  reset: str | None = None) -> list[dict]:
    target = f"{server.url}/api/v1/halls/demo/tickets" if url else f"{server.url}{path}"
    wrk(target, 4, 1, "post_ticket.lua")  # warm every worker up
    time.sleep(0.5)
    rows = []
    for clients in levels:
        if url or reset:
            reset_queue(url or reset)
        cpu = server.cpu_seconds()
        result = wrk(target, clients, seconds, "post_ticket.lua")
        result["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / max(result["requests"], 1)
        if url:
            settle(url)
            result["tickets_stored"] = _count_tickets(url)
        rows.append(result)
        print(f"  {'tickets' if url else 'trivial ' + path} c={clients}: {result}", flush=True)
    return rows


def _count_tickets(url: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT service_id, count(*), count(DISTINCT number), max(number) FROM ticket GROUP BY service_id, day")).all()
    engine.dispose()
    # Under load too: per service, numbers 1..n with no gap and no duplicate.
    assert all(n == distinct == top for _, n, distinct, top in rows), f"gap or duplicate: {rows}"
    return sum(n for _, n, _, _ in rows)


def bench_polls(server: Server, seconds: float) -> dict:
    ticket = requests.post(f"{server.url}/api/v1/halls/demo/tickets", json={"service": "A"}, timeout=10)
    ticket.raise_for_status()
    token = ticket.json()["token"]
    board, phone = f"{server.url}/b/demo", f"{server.url}/t/{token}"
    board_idle, phone_idle = _poll_headers(board), _poll_headers(phone)
    runs = {
        "board_idle_poll": (board, board_idle),
        "board_fragment": (board, {"HX-Request": "true"}),
        "board_full_page": (board, {}),
        "phone_idle_poll": (phone, phone_idle),
        "phone_fragment": (phone, {"HX-Request": "true"}),
        "phone_full_page": (phone, {}),
    }
    results = {}
    for name, (url, headers) in runs.items():
        wrk(url, POLL_CLIENTS, 1, headers=headers)
        cpu = server.cpu_seconds()
        results[name] = wrk(url, POLL_CLIENTS, seconds, headers=headers)
        results[name]["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / max(results[name]["requests"], 1)
        print(f"  {name}: {results[name]}", flush=True)
    # Still idle afterwards: the polls themselves changed nothing.
    assert requests.get(board, headers=board_idle, timeout=10).status_code == 304
    return results


def run_backend(name: str, url: str, args) -> dict:
    print(f"{name}: preparing {url}", flush=True)
    prepare(url)
    server = Server("wsgi:app", args.workers, args.threads,
                    {"DATABASE_URL": url, "SECRET_KEY": SECRET})
    try:
        tickets = bench_tickets(server, url, args.seconds, args.levels)
        reset_queue(url)
        polls = bench_polls(server, args.seconds)
    finally:
        server.stop()
    return {"tickets": tickets, "polls": polls}


# ---- report --------------------------------------------------------------------------------

def report(results: dict, args) -> str:
    m = results["machine"]
    lines = [
        f"Run {m['date']} on {m['nproc']} × {m['cpu']}, {m['memory']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m.get('postgresql', '—')}, gunicorn {m['gunicorn']} "
        f"(--workers {args.workers} --threads {args.threads}), {m['wrk']}; {args.seconds} s per figure; "
        f"load average before the run {m.get('loadavg', '?')}.",
        "",
        "CPU ms/req is the server's CPU time (gunicorn and its workers, from /proc) per answered "
        "request: what other load on the machine does not change.",
        "",
        "| POST …/tickets | clients | tickets/s | p50 ms | p99 ms | CPU ms/req | trivial req/s | trivial CPU ms/req | ratio req/s | ratio CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    trivial = {row["clients"]: row for row in results["trivial"]}
    for backend in ("sqlite", "postgresql"):
        if backend not in results:
            continue
        for row in results[backend]["tickets"]:
            base = trivial[row["clients"]]
            lines.append(
                f"| {backend} | {row['clients']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                f"{row['cpu_ms']:.2f} | {base['rps']:.0f} | {base['cpu_ms']:.2f} | {row['rps'] / base['rps']:.3f} | "
                f"{base['cpu_ms'] / row['cpu_ms']:.3f} |")
    lines += ["", "| trivial POST /ping | clients | req/s | p50 ms | p99 ms | CPU ms/req |",
              "|---|---:|---:|---:|---:|---:|"]
    for row in results["trivial"]:
        lines.append(f"| trivial | {row['clients']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} | {row['cpu_ms']:.2f} |")
    if results.get("trivial_write"):
        lines += ["", "| trivial POST /write (one sqlite3 INSERT + COMMIT) | clients | req/s | p50 ms | p99 ms | "
                  "CPU ms/req | ratio to /ping req/s |", "|---|---:|---:|---:|---:|---:|---:|"]
        for row in results["trivial_write"]:
            base = trivial[row["clients"]]
            lines.append(f"| trivial write | {row['clients']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | "
                         f"{row['p99_ms']:.1f} | {row['cpu_ms']:.2f} | {row['rps'] / base['rps']:.3f} |")
    if results.get("trivial_floor"):
        lines += ["", "| trivial POST /floor (a ticket's statements in plain sqlite3) | clients | req/s | p50 ms | "
                  "p99 ms | CPU ms/req | ratio to /ping req/s | ratio to /ping CPU |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for row in results["trivial_floor"]:
            base = trivial[row["clients"]]
            lines.append(f"| trivial floor | {row['clients']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | "
                         f"{row['p99_ms']:.1f} | {row['cpu_ms']:.2f} | {row['rps'] / base['rps']:.3f} | "
                         f"{base['cpu_ms'] / row['cpu_ms']:.3f} |")
    lines += ["", f"| GET, {POLL_CLIENTS} clients | backend | req/s | p50 ms | p99 ms | CPU ms/req | "
              "× cheaper than a full board (req/s) | × cheaper (CPU) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for backend in ("sqlite", "postgresql"):
        if backend not in results:
            continue
        polls = results[backend]["polls"]
        full = polls["board_full_page"]
        for name, row in polls.items():
            lines.append(f"| {name.replace('_', ' ')} | {backend} | {row['rps']:.0f} | {row['p50_ms']:.1f} | "
                         f"{row['p99_ms']:.1f} | {row['cpu_ms']:.2f} | {row['rps'] / full['rps']:.1f} | "
                         f"{full['cpu_ms'] / row['cpu_ms']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="length of each measured run")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", 2 * (os.cpu_count() or 1) + 1)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("THREADS", 1)))
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=list(LEVELS))
    parser.add_argument("--postgres", help="a PostgreSQL server URL (the bench makes fq_bench on it)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is missing: apt-get install wrk (make bench does it)", file=sys.stderr)
        return 1

    pg_url = None if args.no_postgres else find_postgres(args.postgres)
    if pg_url:
        pg_url = _normalise(pg_url)
    results = {"machine": machine(pg_url), "args": vars(args)}

    print("trivial Flask app", flush=True)
    scratch = tempfile.TemporaryDirectory(prefix="fq-trivial-")
    floor_db = f"sqlite:///{scratch.name}/floor.sqlite3"
    prepare(floor_db)
    trivial = Server("trivial_app:app", args.workers, args.threads, chdir=ROOT / "bench",
                     env={"TRIVIAL_DB": f"{scratch.name}/write.sqlite3",
                          "TRIVIAL_HALL_DB": f"{scratch.name}/floor.sqlite3"})
    try:
        results["trivial"] = bench_tickets(trivial, None, args.seconds, args.levels)
        results["trivial_write"] = bench_tickets(trivial, None, args.seconds, args.levels, "/write")
        results["trivial_floor"] = bench_tickets(trivial, None, args.seconds, args.levels, "/floor/demo",
                                                 reset=floor_db)
    finally:
        trivial.stop()
        scratch.cleanup()

    with tempfile.TemporaryDirectory(prefix="fq-bench-") as tmp:
        results["sqlite"] = run_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args)
    if pg_url:
        results["postgresql"] = run_backend("postgresql", pg_url, args)

    text = report(results, args)
    print()
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (RESULTS / "latest.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
