"""Big photos never stall the hall: five residents send a report from their phones at once, each
with three PNG files of 6300×6300 pixels (a few hundred KB on the wire, 40 megapixels each once
decoded), while the kiosk issues tickets, against a live gunicorn server on SQLite and (with
TEST_DATABASE_URL) PostgreSQL. Every ticket is answered within a second and every upload gets a
clear refusal: the photos are looked at before the request takes the database's write lock
(hall/reports.py check, hall/engine.py), and refused by their header before they are decoded."""
from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from report_data import plain_png
from sqlalchemy import func, select

from hall.extensions import db
from hall.models import Submission, Ticket
from tests.conftest import start_gunicorn

pytestmark = pytest.mark.slow

UPLOADS = 5
TICKET_SECONDS = 1.0


@pytest.fixture(scope="session")
def huge_png() -> bytes:
    return plain_png(6300, 6300)


@pytest.fixture(scope="module")
def server(db_url):
    live = start_gunicorn(db_url, workers=2, threads=8)
    yield live
    live.process.terminate()
    live.process.wait(10)


@pytest.fixture
def hall(demo):
    demo.api_ticket_limit = "100000 per minute"
    db.session.commit()
    db.session.rollback()  # the server must not wait for this process's SQLite transaction
    return demo


def _upload(server, photo: bytes):
    session = requests.Session()
    form = session.get(f"{server.url}/p/demo/report", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    fields = {"csrf_token": token, "kind": "complaint", "category": "neighbour",
              "description": "楼道里堆满了杂物。", "phone": "13812345678"}
    files = [("photos", (f"IMG_{n}.png", photo, "image/png")) for n in range(3)]
    return session.post(f"{server.url}/p/demo/report", data=fields, files=files, timeout=120,
                        allow_redirects=False)


def test_five_huge_uploads_at_once_never_keep_a_ticket_waiting(server, hall, huge_png):
    requests.get(f"{server.url}/p/demo/report", timeout=30)  # both workers loaded
    started, done = threading.Barrier(UPLOADS + 1), threading.Event()
    ticket_seconds: list[float] = []

    def upload(_):
        started.wait(timeout=30)
        return _upload(server, huge_png)

    def issue_tickets():
        session = requests.Session()
        started.wait(timeout=30)
        while not done.is_set() or len(ticket_seconds) < 5:
            begin = time.monotonic()
            response = session.post(f"{server.url}/api/v1/halls/demo/tickets", json={"service": "A"}, timeout=60)
            ticket_seconds.append(time.monotonic() - begin)
            assert response.status_code == 201, response.text
            time.sleep(0.05)

    with ThreadPoolExecutor(UPLOADS + 1) as pool:
        tickets = pool.submit(issue_tickets)
        uploads = list(pool.map(upload, range(UPLOADS)))
        done.set()
        tickets.result()

    slow = [round(s, 2) for s in ticket_seconds if s >= TICKET_SECONDS]
    assert not slow, f"tickets answered after {slow} s while the photos were looked at ({len(ticket_seconds)} issued)"
    assert [r.status_code for r in uploads] == [422] * UPLOADS
    assert all("照片太大，请换一张较小的照片" in r.text for r in uploads)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == len(ticket_seconds)
    db.session.rollback()
