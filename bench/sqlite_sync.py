#!/usr/bin/env python3
"""What SQLITE_SYNCHRONOUS=FULL costs a ticket: figures, not pass/fail (docs/benchmarks.md).

    .venv/bin/python bench/sqlite_sync.py [--tickets 300] [--rounds 3] [--dir DIR]

Two SQLite files side by side (write-ahead log, as the hall runs them), one opened with
synchronous=NORMAL and one with FULL; each issues tickets with hall.queue.issue_ticket, one after
another in this process (one writer: what the disk's sync costs, not what waiting for the write
lock costs). The two take turns, `--rounds` rounds of `--tickets` tickets each, so that a busy
moment of the machine falls on both; the answer is each one's median per ticket and their ratio
in the same run. The files go in DIR (default: instance/, on the disk the hall uses, since a
tmpfs such as /tmp often is makes a sync free and the comparison meaningless).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as timer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def open_hall(directory: Path, synchronous: str):
    from flask_migrate import upgrade

    from hall import create_app
    from hall.setup import create_counter, create_hall, create_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / synchronous.lower()}.sqlite3",
                      "SECRET_KEY": "bench", "SQLITE_SYNCHRONOUS": synchronous, "PDF_WARM_UP": False})
    with app.app_context():
        upgrade()
        hall = create_hall("bench", "测试大厅")
        service = create_service(hall, "A", "法律咨询", "Legal advice")
        create_counter(hall, 1, "", [service])
        return app, hall.id, service.id


def issue(app, hall_id: int, service_id: int, count: int) -> list[float]:
    """Seconds per ticket, `count` tickets, each in its own transaction (as a kiosk's request)."""
    from hall import queue
    from hall.extensions import db
    from hall.models import Hall, Service

    took = []
    with app.app_context():
        hall, service = db.session.get(Hall, hall_id), db.session.get(Service, service_id)
        for n in range(count):
            start = timer.perf_counter()
            queue.issue_ticket(hall, service, phone=f"138{n:08d}"[:11], check_hours=False)
            took.append(timer.perf_counter() - start)
        db.session.remove()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=300, help="tickets per round and mode")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=str(ROOT / "instance"), help="where the two database files go")
    args = parser.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sqlite-sync-", dir=args.dir) as tmp:
        halls = {mode: open_hall(Path(tmp), mode) for mode in ("NORMAL", "FULL")}
        issue(*halls["NORMAL"], 20), issue(*halls["FULL"], 20)  # warm: imports, caches, the files
        times: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
        for _ in range(args.rounds):
            for mode in ("NORMAL", "FULL"):
                times[mode] += issue(*halls[mode], args.tickets)
    median = {mode: statistics.median(t) * 1000 for mode, t in times.items()}
    p90 = {mode: statistics.quantiles(t, n=10)[-1] * 1000 for mode, t in times.items()}
    print(f"{args.rounds} rounds × {args.tickets} tickets per mode, files in {args.dir}")
    for mode in ("NORMAL", "FULL"):
        print(f"  synchronous={mode:<6}  median {median[mode]:6.2f} ms  p90 {p90[mode]:6.2f} ms per ticket")
    print(f"  FULL / NORMAL: {median['FULL'] / median['NORMAL']:.2f}× the median")


if __name__ == "__main__":
    main()
