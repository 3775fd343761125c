"""The last seat of a slot, fought over for real: 50 simultaneous booking requests against a live
gunicorn server with several worker processes, on SQLite and (with TEST_DATABASE_URL)
PostgreSQL. Exactly one gets the seat; the others get 409 with the nearest free times; the
database holds one booking. Then the same with a slot of three seats, and with cancellations
racing bookings."""
from __future__ import annotations

import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta

import pytest
import requests
from appointment_data import adviser, bookable
from sqlalchemy import func, select

from hall import clock
from hall.extensions import db
from hall.models import Appointment, AppointmentStatus
from tests.conftest import start_gunicorn

pytestmark = pytest.mark.slow

WORKERS = 4
THREADS = 8


@pytest.fixture(scope="module")
def server(db_url):
    live = start_gunicorn(db_url, workers=WORKERS, threads=THREADS)
    yield live
    live.process.terminate()
    live.process.wait(10)


@pytest.fixture
def slot(demo):
    """Service E with one adviser on duty 09:00–11:00 every day; returns tomorrow 09:00."""
    demo.api_ticket_limit = "100000 per minute"
    service = bookable(demo, "E")
    adviser(demo, service, ranges=[(d, time(9), time(11)) for d in range(1, 8)])
    start = datetime.combine(clock.local_day(demo) + timedelta(days=1), time(9), tzinfo=clock.zone(demo))
    db.session.commit()
    db.session.rollback()  # the server must not wait for this process's SQLite transaction
    return service, start


def _race(server, n: int, body_for):
    url = f"{server.url}/api/v1/halls/demo/appointments"
    barrier = threading.Barrier(n)

    def one(i):
        session = requests.Session()
        barrier.wait(timeout=30)
        response = session.post(url, json=body_for(i), timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _body(start):
    return lambda i: {"service": "E", "start": start.isoformat(), "phone": f"139{i:08d}"}


def _held_seats(start) -> list[int]:
    db.session.expire_all()
    seats = db.session.scalars(select(Appointment.seat).where(Appointment.starts_at == start,
                                                              Appointment.seat.is_not(None))).all()
    db.session.rollback()
    return sorted(seats)


def test_50_requests_for_the_last_seat_give_one_booking_and_49_clear_refusals(server, slot):
    _, start = slot

    results = _race(server, 50, _body(start))

    assert Tally(status for status, _ in results) == {201: 1, 409: 49}
    refusal = next(body for status, body in results if status == 409)
    assert refusal["alternatives"] and refusal["alternatives"][0]["start"].endswith("09:30:00+08:00")
    assert _held_seats(start) == [1]


def test_a_slot_of_three_seats_takes_three(server, slot):
    service, start = slot
    service.slot_capacity = 3
    db.session.commit()
    db.session.rollback()

    results = _race(server, 50, _body(start))

    assert Tally(status for status, _ in results) == {201: 3, 409: 47}
    assert _held_seats(start) == [1, 2, 3]


def test_cancellations_racing_bookings_never_overfill_the_slot(server, slot):
    service, start = slot
    service.slot_capacity = 2
    db.session.commit()
    db.session.rollback()
    first = _race(server, 10, _body(start))
    tokens = [body["token"] for status, body in first if status == 201]
    assert len(tokens) == 2

    url = f"{server.url}/api/v1"
    barrier = threading.Barrier(30)

    def one(i):
        session = requests.Session()
        barrier.wait(timeout=30)
        if i < 2:
            return session.delete(f"{url}/appointments/{tokens[i]}", timeout=60).status_code
        return session.post(f"{url}/halls/demo/appointments", json=_body(start)(100 + i), timeout=60).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(one, range(30)))

    assert statuses[:2] == [200, 200]
    assert set(statuses[2:]) <= {201, 409} and statuses[2:].count(201) <= 2
    assert len(_held_seats(start)) <= 2
    db.session.expire_all()
    booked = db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.starts_at == start, Appointment.status == AppointmentStatus.booked))
    db.session.rollback()
    assert booked == len(_held_seats(start))
