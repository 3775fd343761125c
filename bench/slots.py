#!/usr/bin/env python3
"""Slot computation for a busy hall: figures, not pass/fail (docs/benchmarks.md).

    .venv/bin/python bench/slots.py [--runs 50] [--postgres URL]

A hall of 20 advisers, each on duty Monday to Friday 09:00–11:30 and 14:00–17:00 (a quarter of
them every other week, one Saturday morning each for another quarter), with leave and extra
sessions, a closed day, and a third of the slots of the first week booked; 30-minute slots.
Measured warm, in-process (one process, the database already open), the median and p90 of:

* slots(hall, service, today, today + 14 days): every free slot of the booking window, what the
  kiosk's day picker and the API's /slots read;
* slots(...) for one day, one adviser: what a time picker reads;
* the same 14-day computation on values already in memory (the pure rules only), as the
  baseline that shows what the database reading costs.

The issue's target: the 14-day computation under 50 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as timer
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build(url: str):
    from flask_migrate import upgrade

    from hall import create_app
    from hall.extensions import db
    from hall.models import (Adviser, AdviserKind, Appointment, ClosedDay, ExceptionKind, Shift,
                             ShiftException)
    from hall.setup import create_counter, create_hall, create_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    ctx = app.app_context()
    ctx.push()
    upgrade()
    hall = create_hall("busy", "繁忙大厅", opens_at=time(8), closes_at=time(18), open_weekdays="123456")
    service = create_service(hall, "A", "法律咨询", "Legal advice")
    service.bookable, service.slot_minutes, service.slot_capacity = True, 30, 1
    rooms = [create_counter(hall, n, f"{n}号调解室", [service]) for n in range(1, 11)]
    today = date.today()
    for n in range(20):
        person = Adviser(hall_id=hall.id, name=f"顾问{n:02d}", kind=AdviserKind.legal_counsel,
                         services=[service], counter_id=rooms[n % 10].id, position=n)
        for weekday in range(1, 6):
            every = 2 if n % 4 == 0 else 1
            person.shifts.append(Shift(weekday=weekday, starts_at=time(9), ends_at=time(11, 30),
                                       every_weeks=every, valid_from=today - timedelta(days=30)))
            person.shifts.append(Shift(weekday=weekday, starts_at=time(14), ends_at=time(17),
                                       every_weeks=every, valid_from=today - timedelta(days=30)))
        if n % 4 == 1:
            person.shifts.append(Shift(weekday=6, starts_at=time(9), ends_at=time(12), every_weeks=1,
                                       valid_from=today - timedelta(days=30)))
        person.exceptions.append(ShiftException(day=today + timedelta(days=n % 14), kind=ExceptionKind.leave))
        person.exceptions.append(ShiftException(day=today + timedelta(days=(n + 5) % 14), kind=ExceptionKind.extra,
                                                starts_at=time(18), ends_at=time(19)))
        db.session.add(person)
    db.session.add(ClosedDay(hall_id=hall.id, day=today + timedelta(days=10), name="节日"))
    db.session.commit()

    from hall import slots
    seats = slots.slots(hall, service, today, today + timedelta(days=6))
    for i, slot in enumerate(seats):
        if i % 3 == 0:
            db.session.add(Appointment(hall_id=hall.id, service_id=service.id, adviser_id=slot.adviser_id,
                                       starts_at=slot.start, ends_at=slot.end, seat=1, phone="13812345678",
                                       token=f"bench-{i:010d}-token-x", short_code="123456"))
    db.session.commit()
    return app, ctx, hall, service


def measure(fn, runs: int) -> dict:
    from hall.extensions import db
    fn()
    times = []
    for _ in range(runs):
        db.session.expire_all()  # each run reads the database afresh, as a request would
        start = timer.perf_counter()
        fn()
        times.append((timer.perf_counter() - start) * 1000)
        db.session.rollback()
    times.sort()
    return {"median_ms": statistics.median(times), "p90_ms": times[int(len(times) * 0.9) - 1],
            "min_ms": times[0]}


def run(url: str, runs: int) -> dict:
    from hall import slots
    from hall.extensions import db
    app, ctx, hall, service = build(url)
    today = date.today()
    last = today + timedelta(days=14)
    found = slots.slots(hall, service, today, last)
    one_adviser = found[0].adviser_id
    closed = slots.closed_days(hall, today, last)
    # Plain copies: the baseline must not read the database (measure() expires the ORM's objects).
    from types import SimpleNamespace
    fields = ("weekday", "starts_at", "ends_at", "every_weeks", "valid_from", "valid_until", "counter_id")
    rosters = [([SimpleNamespace(**{f: getattr(s, f) for f in fields}) for s in a.shifts],
                [SimpleNamespace(day=e.day, kind=e.kind, starts_at=e.starts_at, ends_at=e.ends_at,
                                 counter_id=e.counter_id) for e in a.exceptions])
               for a in slots._advisers(hall, service)]

    def pure_only():
        for shifts, exceptions in rosters:
            for n in range((last - today).days + 1):
                day = today + timedelta(days=n)
                slots.cut(slots.day_duty(day, shifts, exceptions, day in closed), 30)

    result = {
        "slots_in_window": len(found),
        "window_14_days": measure(lambda: slots.slots(hall, service, today, last), runs),
        "one_day_one_adviser": measure(lambda: slots.slots(hall, service, today + timedelta(days=1),
                                                           adviser_id=one_adviser), runs),
        "pure_rules_14_days": measure(pure_only, runs),
    }
    db.session.remove()
    db.engine.dispose()
    ctx.pop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run(f"sqlite:///{tmp}/slots.sqlite3", args.runs)
    try:
        from sqlalchemy import create_engine, text
        admin = create_engine(args.postgres.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS fq_bench_slots WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE fq_bench_slots"))
        admin.dispose()
        url = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/fq_bench_slots"
        results["postgresql"] = run(url, args.runs)
    except Exception as error:  # noqa: BLE001 - no server: SQLite only
        print(f"no PostgreSQL: {error.__class__.__name__}", file=sys.stderr)
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {args.runs} warm runs each")
    print("| backend | what | median ms | p90 ms | min ms |")
    print("|---|---|---:|---:|---:|")
    for backend, figures in results.items():
        for what in ("window_14_days", "one_day_one_adviser", "pure_rules_14_days"):
            f = figures[what]
            print(f"| {backend} | {what.replace('_', ' ')} ({figures['slots_in_window']} free slots in the window) "
                  f"| {f['median_ms']:.1f} | {f['p90_ms']:.1f} | {f['min_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
