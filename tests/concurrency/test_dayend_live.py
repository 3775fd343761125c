"""A restart that spans midnight, against a live gunicorn server, on SQLite and (with
TEST_DATABASE_URL) PostgreSQL: the server was down when the hall's day ended, and comes back the
next day. Its first requests (several at once, across workers: a board, a kiosk and phones all
poll) end yesterday exactly once: every unfinished ticket expired with one event, yesterday's
booking nobody checked in for a no-show, and nothing of yesterday in today's queue.

The database is seeded as of yesterday in the hall's own time; the server runs on the real clock.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta

import pytest
import requests
from conftest import counter, svc
from sqlalchemy import func, select

from hall import clock, queue
from hall.extensions import db
from hall.models import (
    Adviser, Appointment, AppointmentStatus, Hall, Ticket, TicketEvent, TicketStatus as S,
)
from tests.conftest import start_gunicorn

pytestmark = pytest.mark.slow


def _yesterday_at(hall: Hall, hour: int) -> datetime:
    day = clock.local_day(hall) - timedelta(days=1)
    return datetime.combine(day, time(hour, 0), tzinfo=clock.zone(hall))


def _seed(demo) -> dict:
    """Yesterday: A001 served, A002 called, A003 waiting, A004 finished; a booking at 10:00 that
    nobody checked in for. The server last ended the day before yesterday."""
    at = _yesterday_at(demo, 9)
    tickets = [queue.issue_ticket(demo, svc(demo, "A"), at=at + timedelta(minutes=i)) for i in range(4)]
    window = counter(demo, 1)
    queue.start(queue.call_ticket(tickets[0], window))
    queue.finish(queue.call_ticket(tickets[3], counter(demo, 2)))
    queue.call_ticket(tickets[1], window)
    adviser = db.session.scalar(select(Adviser).where(Adviser.hall_id == demo.id).order_by(Adviser.id))
    start = _yesterday_at(demo, 10)
    booking = Appointment(
        hall_id=demo.id, service_id=svc(demo, "A").id, adviser_id=adviser.id, counter_id=adviser.counter_id,
        starts_at=start, ends_at=start + timedelta(minutes=30), seat=1, status=AppointmentStatus.booked,
        name="张三", phone="13812345678", token=queue.new_token(), short_code="123456", channel="phone",
        created_at=start - timedelta(days=1))
    db.session.add(booking)
    hall = db.session.get(Hall, demo.id)
    hall.day_closed_through = clock.local_day(hall) - timedelta(days=2)
    db.session.commit()
    seeded = {"tickets": [t.id for t in tickets], "tokens": [t.token for t in tickets], "booking": booking.id,
              "yesterday": clock.local_day(hall) - timedelta(days=1)}
    # Outside a request every SQLite transaction takes the write lock: hold none while the server runs.
    db.session.rollback()
    return seeded


def test_the_first_requests_after_a_restart_across_midnight_end_yesterday_once(db_url, demo):
    seeded = _seed(demo)
    server = start_gunicorn(db_url, workers=3, threads=4)
    try:
        urls = [f"{server.url}/b/demo", f"{server.url}/k/demo", f"{server.url}/api/v1/halls/demo/board",
                *(f"{server.url}/t/{token}" for token in seeded["tokens"])] * 3
        barrier = threading.Barrier(len(urls))

        def get(url):
            barrier.wait(timeout=30)
            return requests.get(url, timeout=60, headers={"HX-Request": "true"})

        with ThreadPoolExecutor(len(urls)) as pool:
            answers = list(pool.map(get, urls))
        assert [a.status_code for a in answers] == [200] * len(urls)

        # What a resident sees: the board counts nobody waiting; a phone says the ticket ended.
        assert requests.get(f"{server.url}/api/v1/halls/demo/board", timeout=30).json()["waiting"]["A"] == 0
        phone = requests.get(f"{server.url}/t/{seeded['tokens'][2]}", timeout=30).text
        assert "这张号票当日未办理，已失效。" in phone
    finally:
        server.process.terminate()
        server.process.wait(10)

    db.session.expire_all()
    statuses = [db.session.get(Ticket, i).status for i in seeded["tickets"]]
    assert statuses == [S.expired, S.expired, S.expired, S.done]
    per_ticket = dict(db.session.execute(
        select(TicketEvent.ticket_id, func.count()).where(TicketEvent.action == "expire")
        .group_by(TicketEvent.ticket_id)).all())
    assert per_ticket == {seeded["tickets"][0]: 1, seeded["tickets"][1]: 1, seeded["tickets"][2]: 1}
    assert db.session.get(Appointment, seeded["booking"]).status == AppointmentStatus.no_show
    assert db.session.get(Hall, demo.id).day_closed_through == seeded["yesterday"]
    db.session.rollback()
