"""Advisers, rosters and bookable services for tests, made with the models directly (the demo's
own advisers may change). "Now" is Monday 7 December 2026, 08:00 in Shanghai."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from hall.extensions import db
from hall.models import Adviser, AdviserKind, Shift
from hall.setup import create_service

MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)
NINE = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai


def bookable(hall, code="E", minutes=30, capacity=1):
    """A service that takes appointments: slots of `minutes`, `capacity` seats each."""
    service = create_service(hall, code, "预约咨询", "Appointments")
    service.bookable, service.slot_minutes, service.slot_capacity = True, minutes, capacity
    db.session.commit()
    return service


def adviser(hall, service, name="陈律师", ranges=((1, time(9), time(11, 30)),), every_weeks=1,
            counter=None, active=True, valid_from=None):
    """An adviser taking `service`, on duty on (ISO weekday, start, end) ranges."""
    person = Adviser(hall_id=hall.id, name=name, kind=AdviserKind.lawyer, services=[service],
                     counter_id=counter.id if counter else None, active=active)
    for weekday, start, end in ranges:
        person.shifts.append(Shift(weekday=weekday, starts_at=start, ends_at=end, every_weeks=every_weeks,
                                   valid_from=valid_from or MONDAY - timedelta(days=28)))
    db.session.add(person)
    db.session.commit()
    return person
