"""Duty and slots: the pure rules with properties (hypothesis), then a hall's slots from the
database: the window, closed days, exceptions, capacity, and UTC storage."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointment_data import MONDAY, NOW, adviser, bookable

from hall import slots
from hall.errors import NotFound
from hall.extensions import db
from hall.models import Appointment, ClosedDay, ExceptionKind, ShiftException
from sqlalchemy import func, select
from hall.setup import create_service

UTC = timezone.utc


# ---- pure rules ----------------------------------------------------------------------------

def _t(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


quarter_hours = st.integers(min_value=6 * 4, max_value=21 * 4).map(lambda q: q * 15)


@st.composite
def ranges(draw):
    start = draw(quarter_hours)
    length = draw(st.integers(min_value=1, max_value=24)) * 15
    return _t(start), _t(min(start + length, 23 * 60 + 45))


@st.composite
def shifts(draw):
    start, end = draw(ranges())
    valid_from = MONDAY + timedelta(days=draw(st.integers(-40, 20)))
    until = draw(st.one_of(st.none(), st.integers(0, 60)))
    return SimpleNamespace(weekday=draw(st.integers(1, 7)), starts_at=start, ends_at=end,
                           every_weeks=draw(st.sampled_from([1, 2])), valid_from=valid_from,
                           valid_until=None if until is None else valid_from + timedelta(days=until),
                           counter_id=None)


@st.composite
def exceptions(draw, day):
    kind = draw(st.sampled_from([ExceptionKind.leave, ExceptionKind.extra]))
    whole_day = kind == ExceptionKind.leave and draw(st.booleans())
    start, end = (None, None) if whole_day else draw(ranges())
    on = day + timedelta(days=draw(st.integers(-1, 1)))
    return SimpleNamespace(day=on, kind=kind, starts_at=start, ends_at=end, counter_id=None)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@settings(max_examples=300, deadline=None)
@given(data=st.data(), day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
       minutes=st.sampled_from([15, 20, 30, 45, 60]), closed=st.booleans())
def test_slots_lie_in_duty_time_and_never_in_leave_or_on_a_closed_day(data, day, minutes, closed):
    pattern = data.draw(st.lists(shifts(), max_size=4))
    changes = data.draw(st.lists(exceptions(day), max_size=3))

    cut = slots.cut(slots.day_duty(day, pattern, changes, closed), minutes)

    if closed:
        assert cut == []
    todays = [e for e in changes if e.day == day]
    leave = [e for e in todays if e.kind == ExceptionKind.leave]
    if any(e.starts_at is None for e in leave):
        assert cut == []
    on_duty = [(s.starts_at, s.ends_at) for s in pattern if slots.pattern_applies(s, day)]
    on_duty += [(e.starts_at, e.ends_at) for e in todays if e.kind == ExceptionKind.extra]
    for slot in cut:
        assert _minutes(slot.end) - _minutes(slot.start) == minutes
        # Every minute of a slot is duty time: inside a weekly range or an extra session ...
        for minute in range(_minutes(slot.start), _minutes(slot.end)):
            assert any(_minutes(a) <= minute < _minutes(b) for a, b in on_duty), (slot, on_duty)
        # ... and none of it is leave.
        for e in leave:
            assert slot.end <= e.starts_at or slot.start >= e.ends_at
    # Slots never overlap one another (an extra session on top of a range is cut once).
    ordered = sorted(cut)
    assert all(a.end <= b.start for a, b in zip(ordered, ordered[1:]))


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
def test_every_other_week_alternates_from_the_first_week(day):
    shift = SimpleNamespace(weekday=day.isoweekday(), starts_at=time(9), ends_at=time(10), every_weeks=2,
                            valid_from=date(2026, 1, 1), valid_until=None, counter_id=None)
    next_week = day + timedelta(days=7)
    assert slots.pattern_applies(shift, day) != slots.pattern_applies(shift, next_week)


def test_a_range_is_cut_into_whole_slots_from_its_start():
    cut = slots.cut([slots.Span(time(9), time(11, 40))], 30)
    assert [(s.start, s.end) for s in cut] == [
        (time(9), time(9, 30)), (time(9, 30), time(10)), (time(10), time(10, 30)),
        (time(10, 30), time(11)), (time(11), time(11, 30))]


# ---- a hall's slots ------------------------------------------------------------------------

@pytest.fixture
def service(demo):
    return bookable(demo)


def test_slots_are_stored_in_utc_and_mean_the_halls_wall_clock(demo, service):
    person = adviser(demo, service, counter=demo.counters[2])

    found = slots.slots(demo, service, MONDAY, at=NOW)

    assert [s.start for s in found][:2] == [datetime(2026, 12, 7, 1, 0, tzinfo=UTC),   # 09:00 in Shanghai
                                            datetime(2026, 12, 7, 1, 30, tzinfo=UTC)]
    assert len(found) == 5 and all(s.adviser_id == person.id and s.free == 1 for s in found)
    assert found[0].counter_id == demo.counters[2].id


def test_nothing_inside_the_minimum_notice_nor_beyond_the_window(demo, service):
    adviser(demo, service, ranges=[(d, time(9), time(11)) for d in range(1, 8)])
    demo.booking_notice_minutes, demo.booking_days_ahead = 90, 3  # now 08:00: first slot 09:30
    db.session.commit()

    found = slots.slots(demo, service, MONDAY, MONDAY + timedelta(days=10), at=NOW)

    assert min(s.start for s in found) == datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    assert max(s.start for s in found).date() == MONDAY + timedelta(days=3)
    assert slots.slots(demo, service, MONDAY - timedelta(days=1), at=NOW) == []


def test_a_closed_day_and_leave_have_no_slots_and_an_extra_session_has(demo, service):
    person = adviser(demo, service, ranges=[(1, time(9), time(11)), (2, time(9), time(11)), (3, time(9), time(11))])
    db.session.add(ClosedDay(hall_id=demo.id, day=MONDAY + timedelta(days=1), name="国庆节"))
    db.session.add(ShiftException(adviser_id=person.id, day=MONDAY + timedelta(days=2), kind=ExceptionKind.leave,
                                  starts_at=time(10), ends_at=time(11)))
    db.session.add(ShiftException(adviser_id=person.id, day=MONDAY + timedelta(days=3), kind=ExceptionKind.extra,
                                  starts_at=time(14), ends_at=time(15)))
    db.session.commit()

    by_day = {}
    for s in slots.slots(demo, service, MONDAY, MONDAY + timedelta(days=3), at=NOW):
        by_day.setdefault(s.start.astimezone(slots.clock.zone(demo)).date(), []).append(s)

    assert MONDAY + timedelta(days=1) not in by_day
    assert len(by_day[MONDAY + timedelta(days=2)]) == 2  # 09:00 and 09:30; leave from 10:00
    assert [s.start.astimezone(slots.clock.zone(demo)).time() for s in by_day[MONDAY + timedelta(days=3)]] == [
        time(14), time(14, 30)]


def test_a_full_slot_is_not_offered_and_free_counts_seats(demo, service):
    service.slot_capacity = 2
    person = adviser(demo, service)
    first = slots.slots(demo, service, MONDAY, at=NOW)[0]
    db.session.add(Appointment(hall_id=demo.id, service_id=service.id, adviser_id=person.id, starts_at=first.start,
                               ends_at=first.end, seat=1, phone="13812345678", token="t" * 22, short_code="123456"))
    db.session.commit()

    assert slots.slots(demo, service, MONDAY, at=NOW)[0].free == 1
    db.session.add(Appointment(hall_id=demo.id, service_id=service.id, adviser_id=person.id, starts_at=first.start,
                               ends_at=first.end, seat=2, phone="13812345678", token="u" * 22, short_code="123457"))
    db.session.commit()

    offered = slots.slots(demo, service, MONDAY, at=NOW)
    assert first.start not in [s.start for s in offered]
    full = slots.slots(demo, service, MONDAY, at=NOW, include_full=True)[0]
    assert full.start == first.start and full.free == 0 and full.booked == 2


def test_a_shorter_slot_length_never_gives_an_adviser_two_residents_at_once(demo, service):
    person = adviser(demo, service)  # 09:00–11:30, 30-minute slots
    first = slots.slots(demo, service, MONDAY, at=NOW)[0]
    db.session.add(Appointment(hall_id=demo.id, service_id=service.id, adviser_id=person.id, starts_at=first.start,
                               ends_at=first.end, seat=1, phone="13812345678", token="t" * 22, short_code="123456"))
    service.slot_minutes = 20  # the administrator shortens the slots after 09:00–09:30 was booked
    db.session.commit()

    local = [s.start.astimezone(slots.clock.zone(demo)).time() for s in slots.slots(demo, service, MONDAY, at=NOW)]

    assert time(9) not in local and time(9, 20) not in local, "both overlap the booking of 09:00–09:30"
    assert local[0] == time(9, 40)


def test_inactive_advisers_and_other_services_offer_nothing(demo, service):
    adviser(demo, service, active=False)
    other = bookable(demo, "F")
    adviser(demo, other, name="李顾问")

    assert slots.slots(demo, service, MONDAY, at=NOW) == []
    walk_in_only = create_service(demo, "G", "信访接待", "Petitions")
    with pytest.raises(NotFound):
        slots.slots(demo, walk_in_only, MONDAY, at=NOW)


def test_on_duty_today_lists_who_sits_where(demo, service):
    person = adviser(demo, service, name="王调解员", ranges=[(1, time(9), time(11, 30)), (1, time(14), time(17))],
                     counter=demo.counters[2])

    today = [d for d in slots.on_duty_today(demo, at=NOW) if d.adviser.id == person.id]  # the demo has its own

    assert [(d.adviser.name, d.start.astimezone(slots.clock.zone(demo)).time()) for d in today] == [
        ("王调解员", time(9)), ("王调解员", time(14))]
    assert today[0].counter_id == demo.counters[2].id


# ---- a hall's slots, as properties -------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), minutes=st.sampled_from([15, 20, 30, 60]), capacity=st.integers(1, 3),
       notice=st.integers(0, 3 * 24 * 60), ahead=st.integers(1, 14), after=st.integers(0, 6 * 24 * 60))
def test_offered_slots_keep_to_the_window_and_have_a_seat_and_every_free_one_is_offered(
        demo, service, data, minutes, capacity, notice, ahead, after):
    """Whatever the slot length, seats, bookings, notice, window and moment: every slot offered
    starts after the minimum notice, on a day inside the window, with a seat left; every slot
    with a seat left inside the window is offered; and all of them are UTC instants whose wall
    clock in Shanghai (UTC+8 all year) is the roster's."""
    if not getattr(service, "_person", None):
        service._person = adviser(demo, service, ranges=[(d, time(9), time(11, 30)) for d in (1, 2, 3, 4, 5)]
                                  + [(d, time(14), time(17)) for d in (1, 3)])
    person = service._person
    service.slot_minutes, service.slot_capacity = minutes, capacity
    demo.booking_notice_minutes, demo.booking_days_ahead = min(notice, ahead * 24 * 60 - 1), ahead
    moment = NOW + timedelta(minutes=after)
    everything = slots.slots(demo, service, MONDAY, MONDAY + timedelta(days=21), at=moment, window=False,
                             include_full=True)
    chosen = data.draw(st.lists(st.sampled_from(everything), max_size=8, unique=True)) if everything else []
    try:
        for number, slot in enumerate(chosen):
            for seat in range(1, data.draw(st.integers(1, capacity)) + 1):
                db.session.add(Appointment(hall_id=demo.id, service_id=service.id, adviser_id=person.id,
                                           starts_at=slot.start, ends_at=slot.end, seat=seat, phone="13812345678",
                                           token=f"p{number}s{seat}".ljust(22, "x"), short_code="123456"))
        db.session.flush()
        window = slots.booking_window(demo, moment)
        offered = slots.slots(demo, service, MONDAY, MONDAY + timedelta(days=21), at=moment)
        zone = slots.clock.zone(demo)

        for slot in offered:
            assert slot.start >= moment + timedelta(minutes=demo.booking_notice_minutes)
            assert window.first_day <= slot.start.astimezone(zone).date() <= window.last_day
            assert 1 <= slot.free and slot.booked + slot.free == capacity, "never over capacity"
            assert slot.start.utcoffset() == timedelta(0) and slot.start.astimezone(zone).utcoffset() == timedelta(hours=8)
            wall = slot.start.astimezone(zone).time()
            assert time(9) <= wall < time(11, 30) or time(14) <= wall < time(17)
        booked = {(s.start, s.adviser_id): n for s in chosen
                  for n in [db.session.scalar(select(func.count()).select_from(Appointment)
                                              .where(Appointment.starts_at == s.start))]}
        should = [s for s in everything if window.holds(s.start)
                  and s.start.astimezone(zone).date() <= window.last_day
                  and booked.get((s.start, s.adviser_id), 0) < capacity]
        assert [(s.start, s.adviser_id) for s in offered] == [(s.start, s.adviser_id) for s in should]
    finally:
        db.session.rollback()
