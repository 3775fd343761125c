"""The queue rules under real concurrency without HTTP: several processes, each with its own
app and database connections, call hall.queue at the same moment (SQLite and PostgreSQL)."""
from __future__ import annotations

import multiprocessing
from collections import Counter as Tally

import pytest
from sqlalchemy import select

from hall.extensions import db
from hall.models import Ticket, TicketEvent, TicketStatus
from tests.conftest import SECRET

pytestmark = pytest.mark.slow

PROCESSES = 4
FORK = multiprocessing.get_context("fork")


def _in_child(db_url, barrier, results, job, *args):
    from hall import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET})
    with app.app_context():
        barrier.wait(timeout=30)
        results.put(job(*args))
        db.session.remove()
        db.engine.dispose()


def _issue_many(hall_id: int, count: int) -> list[int]:
    from hall import queue
    from hall.models import Hall, Service
    hall = db.session.get(Hall, hall_id)
    service = db.session.scalar(select(Service).where(Service.hall_id == hall_id, Service.code == "A"))
    return [queue.issue_ticket(hall, service).number for _ in range(count)]


def _call_until_empty(counter_id: int) -> list[int]:
    from hall import queue
    from hall.models import Counter
    counter = db.session.get(Counter, counter_id)
    called = []
    while (ticket := queue.call_next(counter)) is not None:
        called.append(ticket.id)
    return called


def _run(db_url, job, args_per_process):
    db.session.remove()
    db.engine.dispose()  # no connection of this process may be inherited by the children
    barrier = FORK.Barrier(len(args_per_process))
    results = FORK.Queue()
    processes = [FORK.Process(target=_in_child, args=(db_url, barrier, results, job, *args))
                 for args in args_per_process]
    for process in processes:
        process.start()
    collected = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(10)
        assert process.exitcode == 0
    return collected


def test_processes_issuing_at_once_get_consecutive_numbers(db_url, demo):
    hall_id = demo.id
    got = _run(db_url, _issue_many, [(hall_id, 25)] * PROCESSES)
    numbers = sorted(n for chunk in got for n in chunk)
    assert numbers == list(range(1, 25 * PROCESSES + 1))


def test_counters_calling_at_once_never_take_the_same_ticket(db_url, demo):
    from hall import queue
    from hall.setup import create_counter
    service_a = next(s for s in demo.services if s.code == "A")
    counters = [create_counter(demo, 20 + i, "", [service_a]) for i in range(PROCESSES)]
    waiting = 40
    tickets = [queue.issue_ticket(demo, service_a).id for _ in range(waiting)]
    counter_ids = [c.id for c in counters]
    hall_id = demo.id

    got = _run(db_url, _call_until_empty, [(cid,) for cid in counter_ids])
    called = [t for chunk in got for t in chunk]
    assert sorted(called) == sorted(tickets), "every ticket called once, none twice"

    events = db.session.execute(select(TicketEvent.ticket_id, TicketEvent.counter_id).where(
        TicketEvent.hall_id == hall_id, TicketEvent.action == "call")).all()
    assert sorted(Tally(t for t, _ in events).values()) == [1] * waiting
    stored = db.session.scalars(select(Ticket).where(Ticket.hall_id == hall_id)).all()
    assert all(t.status == TicketStatus.called for t in stored)
    assert {t.id: t.counter_id for t in stored} == dict(events)
