"""Case numbers under real concurrency: several processes, each with its own app and database
connections, open cases in the same hall at the same moment (SQLite and PostgreSQL): every
number is given once, consecutively, with no gap."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hall import clock
from hall.extensions import db
from tests.concurrency.test_queue_processes import PROCESSES, _run

pytestmark = pytest.mark.slow


def _open_many(hall_id: int, count: int) -> list[str]:
    from hall import cases
    from hall.models import CaseSource, Hall
    hall = db.session.get(Hall, hall_id)
    return [cases.open_case(hall, source=CaseSource.staff, category="neighbour", facts="并发测试").number
            for _ in range(count)]


def test_processes_opening_cases_at_once_get_every_number_once(db_url, demo):
    from hall.models import Case
    hall_id, year = demo.id, clock.local(demo).year
    got = _run(db_url, _open_many, [(hall_id, 15)] * PROCESSES)
    numbers = sorted(n for chunk in got for n in chunk)
    assert numbers == [f"DEMO-{year}-{n:04d}" for n in range(1, 15 * PROCESSES + 1)]
    stored = sorted(db.session.scalars(select(Case.number).where(Case.hall_id == hall_id)))
    assert stored == numbers
