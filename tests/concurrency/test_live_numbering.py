"""Real concurrency against a live gunicorn server with several workers, on SQLite and (with
TEST_DATABASE_URL) PostgreSQL: two kiosks, two workers, two receptionists pressing at once never
produce a duplicate number, a gap, or a ticket called twice.

The test process seeds the database through the `demo` fixture and reads the outcome straight
from the database; the server only ever sees HTTP, as kiosks and phones do.
"""
from __future__ import annotations

import re
import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import Ticket, TicketEvent, TicketSequence, TicketStatus
from tests.conftest import start_gunicorn

pytestmark = pytest.mark.slow

WORKERS = 4
THREADS = 8
PASSWORD = "hall-demo"


@pytest.fixture(scope="module")
def server(db_url):
    """Its own gunicorn: more workers than the shared live_server, so that requests really race
    across processes, not only across the threads of one."""
    live = start_gunicorn(db_url, workers=WORKERS, threads=THREADS)
    yield live
    live.process.terminate()
    live.process.wait(10)


@pytest.fixture
def hall(demo):
    """The demo hall with a rate limit that a burst of 200 from one address does not reach."""
    demo.api_ticket_limit = "100000 per minute"
    db.session.commit()
    _release()
    return demo


def _release() -> None:
    """End the test process's own transaction: outside a request every SQLite transaction takes
    the write lock (hall/engine.py), and the server must not wait for the test's reads."""
    db.session.rollback()


def _race(n_threads: int, jobs: list, work):
    """Run work(job) for every job on n_threads threads, all released at the same instant."""
    barrier = threading.Barrier(n_threads)
    chunks = [jobs[i::n_threads] for i in range(n_threads)]

    def run(chunk):
        session = requests.Session()
        barrier.wait(timeout=30)
        return [work(session, job) for job in chunk]

    with ThreadPoolExecutor(n_threads) as pool:
        results = list(pool.map(run, chunks))
    return [r for chunk in results for r in chunk]


def _issue(server, service="A", **extra):
    url = f"{server.url}/api/v1/halls/demo/tickets"

    def work(session, _job):
        response = session.post(url, json={"service": service, **extra}, timeout=60)
        return response.status_code, response.json()
    return work


def _number(display: str) -> int:
    match = re.fullmatch(r"A(\d{3,})", display)
    assert match, f"not a ticket number of service A: {display!r}"
    return int(match.group(1))


def test_200_simultaneous_issues_get_200_numbers_without_gap_or_duplicate(server, hall):
    results = _race(40, list(range(200)), _issue(server))

    statuses = Tally(status for status, _ in results)
    assert statuses == {201: 200}, statuses
    numbers = sorted(_number(body["number"]) for _, body in results)
    assert numbers == list(range(1, 201))
    assert len({body["token"] for _, body in results}) == 200

    db.session.expire_all()
    stored = sorted(db.session.scalars(select(Ticket.number).where(Ticket.hall_id == hall.id)))
    assert stored == list(range(1, 201))
    assert db.session.scalar(select(TicketSequence.last_number)
                             .where(TicketSequence.hall_id == hall.id)) == 200
    assert all(0 <= body["ahead"] < 200 for _, body in results)
    # Call next takes them in number order: the queue order agrees with the numbers.
    queue_order = db.session.scalars(select(Ticket.number).where(Ticket.hall_id == hall.id)
                                     .order_by(Ticket.priority.desc(), Ticket.queued_at, Ticket.id)).all()
    assert queue_order == list(range(1, 201))


def test_the_same_request_key_from_many_threads_gives_one_ticket(server, hall):
    key = "kiosk-1-tap-0123456789"
    results = _race(24, list(range(24)), _issue(server, request_key=key))

    assert {status for status, _ in results} <= {200, 201}, results
    assert len({body["token"] for _, body in results}) == 1
    assert {body["number"] for _, body in results} == {"A001"}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)
                             .where(Ticket.hall_id == hall.id)) == 1
    _release()
    # The next visitor gets the next number: the losing attempts left no gap.
    status, body = _issue(server)(requests.Session(), None)
    assert (status, body["number"]) == (201, "A002")


# ---- reception: Call next at the same moment ----------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_HEADER = re.compile(r'X-CSRFToken(?:&#34;|&quot;|")\s*:\s*(?:&#34;|&quot;|")([^"&]+)')


def _staff_session(server, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/admin/login", timeout=30)
    match = CSRF_INPUT.search(page.text)
    assert match, "the login form has no csrf_token input"
    response = session.post(f"{server.url}/admin/login", timeout=30, allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": match.group(1) or match.group(2)})
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    return session


def _console_token(server, session: requests.Session, counter_id: int) -> str:
    page = session.get(f"{server.url}/admin/console/{counter_id}", timeout=30)
    assert page.status_code == 200, page.status_code
    match = CSRF_HEADER.search(page.text)
    assert match, "the console page carries no X-CSRFToken in hx-headers"
    return match.group(1)


def test_receptionists_pressing_call_next_at_once_never_share_a_ticket(server, hall):
    from hall.queue import issue_ticket
    from hall.setup import create_counter, create_user

    service_a = next(s for s in hall.services if s.code == "A")
    counters = [create_counter(hall, 10 + i, "", [service_a]) for i in range(6)]
    for i in range(6):
        create_user(hall, f"desk{i}", PASSWORD, "reception", f"前台{i}")
    db.session.commit()
    waiting = 18
    for _ in range(waiting):
        issue_ticket(hall, service_a)
    counter_ids = [c.id for c in counters]
    _release()

    desks = []
    for i, counter_id in enumerate(counter_ids):
        session = _staff_session(server, f"desk{i}")
        token = _console_token(server, session, counter_id)
        headers = {"X-CSRFToken": token, "HX-Request": "true"}
        opened = session.post(f"{server.url}/admin/console/{counter_id}/open", headers=headers, timeout=30)
        assert opened.status_code < 400, (opened.status_code, opened.text[:300])
        desks.append((session, counter_id, headers))

    rounds = waiting // len(desks)
    barrier = threading.Barrier(len(desks))

    def press(desk):
        session, counter_id, headers = desk
        codes = []
        for _ in range(rounds):
            barrier.wait(timeout=30)
            response = session.post(f"{server.url}/admin/console/{counter_id}/call-next",
                                    headers=headers, timeout=60)
            codes.append(response.status_code)
        return codes

    with ThreadPoolExecutor(len(desks)) as pool:
        codes = [c for desk_codes in pool.map(press, desks) for c in desk_codes]
    assert all(code < 400 for code in codes), codes

    db.session.expire_all()
    calls = db.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.counter_id)
        .where(TicketEvent.hall_id == hall.id, TicketEvent.action == "call")).all()
    per_ticket = Tally(ticket_id for ticket_id, _ in calls)
    assert len(calls) == waiting, "every press called a ticket"
    assert set(per_ticket.values()) == {1}, "a ticket was called twice"
    tickets = db.session.scalars(select(Ticket).where(Ticket.hall_id == hall.id)).all()
    assert all(t.status == TicketStatus.called for t in tickets)
    assert {t.id: t.counter_id for t in tickets} == dict(calls)
    assert Tally(t.counter_id for t in tickets) == {cid: rounds for cid in counter_ids}
