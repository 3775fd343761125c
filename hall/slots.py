"""Duty and bookable slots: who is on duty when, and which appointment times are free.

Two layers:

* pure rules on plain values (no database), tested with hypothesis: which weekly ranges apply
  on a day, what leave and extra sessions change, how a day's duty is cut into slots;
* readers that load a hall's rosters, exceptions, closed days and bookings for a range of days
  in a few queries and apply the rules.

Times: a roster speaks the hall's local wall-clock time (09:00–11:30); a slot's start and end are
aware datetimes in UTC, as they are stored. A slot is free while its booked seats are fewer than
the service's capacity; the booking itself is guarded by the database (hall/booking.py).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from . import clock, inputs
from .errors import Invalid, NotFound, ServiceRetired
from .extensions import db
from .models import (
    Adviser, Appointment, ClosedDay, ExceptionKind, Hall, Service, Shift,
)

UTC = timezone.utc


# ---- pure rules ----------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Span:
    """Part of one day in local wall-clock time, [start, end), in a room (None: the usual one)."""
    start: time
    end: time
    counter_id: int | None = None


def week_start(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def pattern_applies(shift: Shift, day: date) -> bool:
    """A weekly range applies on its weekday between its dates; every other week counts from
    the week of valid_from."""
    if day.isoweekday() != shift.weekday or day < shift.valid_from:
        return False
    if shift.valid_until is not None and day > shift.valid_until:
        return False
    if shift.every_weeks == 2:
        return ((week_start(day) - week_start(shift.valid_from)).days // 7) % 2 == 0
    return True


def _subtract(spans: list[Span], start: time, end: time) -> list[Span]:
    left = []
    for span in spans:
        if end <= span.start or start >= span.end:
            left.append(span)
            continue
        if span.start < start:
            left.append(Span(span.start, start, span.counter_id))
        if end < span.end:
            left.append(Span(end, span.end, span.counter_id))
    return left


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping ranges (a pattern and an extra session on top) are one stretch of duty: the
    slots are cut once. The earlier range's room wins."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = Span(last.start, span.end, last.counter_id)
        else:
            merged.append(span)
    return merged


def day_duty(day: date, shifts, exceptions, closed: bool = False) -> list[Span]:
    """An adviser's duty on one day: the weekly ranges that apply, plus extra sessions, less
    leave (a leave without times is the whole day); nothing on a day the hall is closed."""
    if closed:
        return []
    spans = [Span(s.starts_at, s.ends_at, s.counter_id) for s in shifts if pattern_applies(s, day)]
    todays = [e for e in exceptions if e.day == day]
    spans += [Span(e.starts_at, e.ends_at, e.counter_id) for e in todays
              if e.kind == ExceptionKind.extra and e.starts_at and e.ends_at]
    for leave in (e for e in todays if e.kind == ExceptionKind.leave):
        if leave.starts_at is None or leave.ends_at is None:
            return []
        spans = _subtract(spans, leave.starts_at, leave.ends_at)
    return _merge(spans)


def cut(spans: list[Span], minutes: int) -> list[Span]:
    """Whole slots of `minutes` from the start of each stretch of duty; a remainder too short
    for a slot is not offered."""
    slots = []
    step = timedelta(minutes=minutes)
    for span in spans:
        at = datetime.combine(date.min, span.start)
        end = datetime.combine(date.min, span.end)
        while at + step <= end:
            slots.append(Span(at.time(), (at + step).time(), span.counter_id))
            at += step
    return slots


# ---- reading a hall's rosters --------------------------------------------------------------

@dataclass(frozen=True)
class Duty:
    """An adviser on duty for a stretch of a day, in a room."""
    adviser: Adviser
    start: datetime  # UTC
    end: datetime
    counter_id: int | None


@dataclass(frozen=True)
class Slot:
    adviser_id: int
    start: datetime  # UTC
    end: datetime
    counter_id: int | None
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


def _at(hall: Hall, day: date, wall: time) -> datetime:
    """A wall-clock time of the hall's day as an aware UTC datetime."""
    return datetime.combine(day, wall, tzinfo=clock.zone(hall)).astimezone(UTC)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _advisers(hall: Hall, service: Service | None = None, adviser_id: int | None = None,
              active_only: bool = True) -> list[Adviser]:
    query = (select(Adviser).where(Adviser.hall_id == hall.id)
             .options(selectinload(Adviser.shifts), selectinload(Adviser.exceptions))
             .order_by(Adviser.position, Adviser.id))
    if active_only:
        query = query.where(Adviser.active.is_(True))
    if service is not None:
        query = query.where(Adviser.services.any(Service.id == service.id))
    if adviser_id is not None:
        query = query.where(Adviser.id == adviser_id)
    return list(db.session.scalars(query))


def advisers_of(hall: Hall, service: Service | None = None) -> list[Adviser]:
    """The active advisers of a hall, or of one service, in the hall's order."""
    query = select(Adviser).where(Adviser.hall_id == hall.id, Adviser.active.is_(True))
    if service is not None:
        query = query.where(Adviser.services.any(Service.id == service.id))
    return list(db.session.scalars(query.order_by(Adviser.position, Adviser.id)))


def closed_days(hall: Hall, first: date, last: date) -> dict[date, str]:
    rows = db.session.execute(select(ClosedDay.day, ClosedDay.name).where(
        ClosedDay.hall_id == hall.id, ClosedDay.day >= first, ClosedDay.day <= last))
    return {day: name for day, name in rows}


def duty(hall: Hall, first: date, last: date, service: Service | None = None,
         adviser_id: int | None = None) -> list[Duty]:
    """Who is on duty when between two local days (inclusive), in the order of the day."""
    closed = closed_days(hall, first, last)
    found = []
    for adviser in _advisers(hall, service, adviser_id):
        for day in _days(first, last):
            for span in day_duty(day, adviser.shifts, adviser.exceptions, day in closed):
                found.append(Duty(adviser, _at(hall, day, span.start), _at(hall, day, span.end),
                                  span.counter_id or adviser.counter_id))
    return sorted(found, key=lambda d: (d.start, d.adviser.position, d.adviser.id))


def on_duty_today(hall: Hall, at: datetime | None = None) -> list[Duty]:
    """今日值班: what the kiosk home shows."""
    today = clock.local_day(hall, at)
    return duty(hall, today, today)


@dataclass(frozen=True)
class Window:
    """The times a resident may book: from a minimum notice to a number of days ahead."""
    earliest: datetime  # UTC
    first_day: date     # the hall's local days
    last_day: date

    def holds(self, start: datetime) -> bool:
        return start >= self.earliest


def booking_window(hall: Hall, at: datetime | None = None) -> Window:
    moment = at or clock.now()
    today = clock.local_day(hall, moment)
    earliest = moment + timedelta(minutes=hall.booking_notice_minutes)
    return Window(earliest, today, today + timedelta(days=hall.booking_days_ahead))


class Booked:
    """The seats taken per (adviser, slot start) between two instants (cancelled bookings hold
    none), and the booked times of each adviser: a slot that overlaps a booking starting at
    another time (booked before the slot length changed) offers no seat, so that an adviser is
    never given two residents at once."""

    def __init__(self, rows):
        self.seats: dict[tuple[int, datetime], int] = {}
        self.spans: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        for adviser_id, starts_at, ends_at, n in rows:
            self.seats[(adviser_id, starts_at)] = self.seats.get((adviser_id, starts_at), 0) + n
            self.spans[adviser_id].append((starts_at, ends_at))

    def taken(self, adviser_id: int, start: datetime, end: datetime, capacity: int) -> int:
        if any(s != start and s < end and e > start for s, e in self.spans.get(adviser_id, ())):
            return capacity
        return self.seats.get((adviser_id, start), 0)


def booked_seats(hall: Hall, start: datetime, end: datetime, adviser_ids: list[int] | None = None) -> Booked:
    query = (select(Appointment.adviser_id, Appointment.starts_at, Appointment.ends_at, func.count())
             .where(Appointment.hall_id == hall.id, Appointment.seat.is_not(None),
                    Appointment.starts_at >= start, Appointment.starts_at < end)
             .group_by(Appointment.adviser_id, Appointment.starts_at, Appointment.ends_at))
    if adviser_ids is not None:
        query = query.where(Appointment.adviser_id.in_(adviser_ids))
    return Booked(db.session.execute(query))


def bookable_service(hall: Hall, service: Service) -> Service:
    if service.hall_id != hall.id or not service.bookable:
        raise NotFound(_l("This service does not take appointments."))
    if service.retired:
        raise ServiceRetired()
    return service


def slots(hall: Hall, service: Service, first: date, last: date | None = None, *,
          adviser_id: int | None = None, at: datetime | None = None, include_full: bool = False,
          window: bool = True) -> list[Slot]:
    """The slots of a bookable service between two local days, inside the booking window (unless
    window=False: staff rearranging a stranded booking may look anywhere), free ones only unless
    include_full. Sorted by start, then adviser."""
    bookable_service(hall, service)
    last = last or first
    limits = booking_window(hall, at)
    if window:
        first, last = max(first, limits.first_day), min(last, limits.last_day)
        if first > last:
            return []
    closed = closed_days(hall, first, last)
    advisers = _advisers(hall, service, adviser_id)
    if not advisers:
        return []
    taken = booked_seats(hall, _at(hall, first, time.min), _at(hall, last + timedelta(days=1), time.min),
                         [a.id for a in advisers])
    found = []
    for adviser in advisers:
        for day in _days(first, last):
            for span in cut(day_duty(day, adviser.shifts, adviser.exceptions, day in closed), service.slot_minutes):
                start = _at(hall, day, span.start)
                if window and not limits.holds(start):
                    continue
                end = _at(hall, day, span.end)
                slot = Slot(adviser.id, start, end, span.counter_id or adviser.counter_id, service.slot_capacity,
                            taken.taken(adviser.id, start, end, service.slot_capacity))
                if include_full or slot.free:
                    found.append(slot)
    return sorted(found, key=lambda s: (s.start, s.adviser_id))


def free_days(hall: Hall, service: Service, adviser_id: int | None = None,
              at: datetime | None = None) -> list[date]:
    """The days of the booking window with at least one free slot: the kiosk's day picker."""
    limits = booking_window(hall, at)
    return sorted({clock.local_day(hall, s.start)
                   for s in slots(hall, service, limits.first_day, limits.last_day, adviser_id=adviser_id, at=at)})


def nearest_free(hall: Hall, service: Service, around: datetime, *, adviser_id: int | None = None,
                 at: datetime | None = None, limit: int = 3) -> list[Slot]:
    """The free slots closest in time to the one a resident wanted (the 409's suggestions)."""
    limits = booking_window(hall, at)
    candidates = slots(hall, service, limits.first_day, limits.last_day, adviser_id=adviser_id, at=at)
    return sorted(candidates, key=lambda s: (abs(s.start - around), s.start, s.adviser_id))[:limit]


def parse_day(raw: str | None) -> date:
    day = inputs.parse_day(raw or "")
    if day is None:
        raise Invalid(_l("Please give a date as YYYY-MM-DD."))
    return day


def group_by_adviser(found: list[Slot]) -> dict[int, list[Slot]]:
    grouped: dict[int, list[Slot]] = defaultdict(list)
    for slot in found:
        grouped[slot.adviser_id].append(slot)
    return grouped
