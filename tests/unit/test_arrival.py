"""Arrival rules: check-in through hall/booking.py and hall/arrival.py, the order the room's
counter calls in, lateness, no-shows. Time is frozen through hall.clock.now."""
from __future__ import annotations

from datetime import timedelta

import pytest
from arrival_setup import DAY, FrozenClock, local, make_hall

from hall import arrival, booking, queue
from hall.extensions import db
from sqlalchemy import func, select

from hall.models import Appointment, AppointmentStatus as A, Ticket, TicketStatus


@pytest.fixture
def hall_setup(app):
    return make_hall()


@pytest.fixture
def clock_at(monkeypatch, hall_setup):
    return FrozenClock(monkeypatch, local(hall_setup.hall, DAY, 8, 0))


def book(s, hour, minute=0, phone="13812345678", **kwargs):
    """A booking made the day before (inside the booking window)."""
    start = local(s.hall, DAY, hour, minute)
    return booking.book(s.hall, s.service, start, phone=phone, name="张三",
                        at=start - timedelta(days=1), **kwargs).appointment


def walk_in(s, clock_at, hour, minute):
    clock_at.set(local(s.hall, DAY, hour, minute))
    return queue.issue_ticket(s.hall, s.service, channel="kiosk")


def test_on_time_check_in_gives_a_ticket_for_the_advisers_room_due_before_the_slot(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 45))
    ticket = booking.check_in(appointment)
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment.id)
    assert appointment.status == A.checked_in and appointment.ticket_id == ticket.id
    assert ticket.target_counter_id == s.room.id
    assert ticket.due_at == local(s.hall, DAY, 9, 50)  # ten minutes before the slot
    assert ticket.channel == "appointment" and ticket.status == TicketStatus.waiting
    assert arrival.state_of(appointment) == "checked_in"


def test_the_room_calls_it_before_earlier_walk_ins_once_due_not_before(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    first = walk_in(s, clock_at, 9, 40)
    second = walk_in(s, clock_at, 9, 41)
    clock_at.set(local(s.hall, DAY, 9, 45))
    ticket = arrival._check_in(appointment)

    clock_at.set(local(s.hall, DAY, 9, 48))  # not due yet: the earlier walk-in goes first
    assert queue.call_next(s.room).id == first.id
    clock_at.set(local(s.hall, DAY, 9, 51))  # due: ahead of the walk-in who came earlier
    assert [t.id for t in queue.waiting_for_counter(s.room)] == [ticket.id, second.id]
    assert queue.call_next(s.room).id == ticket.id
    assert queue.call_next(s.room).id == second.id


def test_another_counter_of_the_service_never_calls_the_rooms_appointment(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 55))
    ticket = booking.check_in(appointment)
    walk = queue.issue_ticket(s.hall, s.service)
    assert ticket.id not in [t.id for t in queue.waiting_for_counter(s.window)]
    assert queue.call_next(s.window).id == walk.id


def test_too_late_after_the_grace_period(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 10, 15))
    booking.check_in(appointment)  # the last minute of grace still counts
    late = book(s, 10, 30, phone="13900001111")
    clock_at.set(local(s.hall, DAY, 10, 46))
    with pytest.raises(booking.Late):
        booking.check_in(late)
    with pytest.raises(arrival.LateArrival) as refused:
        arrival.check_in_by_code(s.hall.slug, "1111", late.short_code)
    assert refused.value.service.code == "A"
    db.session.expire_all()
    assert db.session.get(Appointment, late.id).status == A.booked
    assert db.session.get(Appointment, late.id).ticket_id is None


def test_no_show_sweep_marks_only_bookings_past_their_grace(hall_setup, clock_at):
    s = hall_setup
    missed = book(s, 9)
    coming = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 15))
    assert booking.sweep_no_shows(s.hall) == 0
    assert arrival.reception_view(s.hall).pending_no_shows == 0
    clock_at.set(local(s.hall, DAY, 9, 16))
    assert booking.effective_status(missed) == A.no_show
    assert arrival.reception_view(s.hall).pending_no_shows == 1
    assert booking.sweep_no_shows(s.hall) == 1
    db.session.expire_all()
    assert db.session.get(Appointment, missed.id).status == A.no_show
    assert db.session.get(Appointment, coming.id).status == A.booked
    assert arrival.reception_view(s.hall).pending_no_shows == 0
    # A missed appointment scanned later: too late, take a walk-in ticket.
    with pytest.raises(arrival.LateArrival):
        arrival.check_in_by_scan(s.hall.slug, missed.token)


@pytest.mark.parametrize("raw, token", [
    ("http://192.168.1.20:5000/a/AbC_def-123456789012", "AbC_def-123456789012"),
    ("https://hall.example/a/AbC_def-123456789012/?lang=en", "AbC_def-123456789012"),
    ("  AbC_def-123456789012\n", "AbC_def-123456789012"),
    ("", None), ("12345", None), ("http://x/a/", None), ("<script>alert(1)</script>", None),
    ("http://x/t/AbC_def-123456789012/../a/bad token", None),
])
def test_what_a_scanner_typed(raw, token):
    assert arrival.parse_scan(raw) == token


def test_scanning_twice_gives_the_same_ticket_and_unknown_codes_are_refused(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 30))
    url = f"http://hall.lan/a/{appointment.token}"
    first = arrival.check_in_by_scan(s.hall.slug, url).ticket
    again = arrival.check_in_by_scan(s.hall.slug, url).ticket
    assert first.id == again.id
    # The keypad numbers of an appointment already checked in: the same ticket too.
    assert arrival.check_in_by_code(s.hall.slug, "5678", appointment.short_code).ticket.id == first.id
    with pytest.raises(arrival.UnknownCode):
        arrival.check_in_by_scan(s.hall.slug, "http://hall.lan/a/" + "x" * 22)
    with pytest.raises(arrival.UnknownCode):
        arrival.check_in_by_code(s.hall.slug, "0000", appointment.short_code)


def test_another_halls_appointment_is_unknown_here(app, monkeypatch):
    here, there = make_hall("here", users=False), make_hall("there", users=False)
    clock_at = FrozenClock(monkeypatch, local(there.hall, DAY, 8, 0))
    appointment = book(there, 10)
    clock_at.set(local(there.hall, DAY, 9, 55))
    with pytest.raises(arrival.UnknownCode):
        arrival.check_in_by_scan(here.hall.slug, appointment.token)
    with pytest.raises(arrival.UnknownCode):
        arrival.check_in_by_code(here.hall.slug, "5678", appointment.short_code)


def test_an_appointment_of_another_day_is_refused_with_its_date(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY - timedelta(days=1), 10, 0))
    with pytest.raises(arrival.OtherDay) as refused:
        arrival.check_in_by_scan(s.hall.slug, appointment.token)
    assert "2026年12月2日周三 10:00" in str(refused.value.message)


def test_the_keypad_finds_an_appointment_of_another_day_and_says_which_day(hall_setup, clock_at):
    s = hall_setup
    later = book(s, 10)
    clock_at.set(local(s.hall, DAY - timedelta(days=1), 10, 0))
    with pytest.raises(arrival.OtherDay) as refused:
        arrival.check_in_by_code(s.hall.slug, "5678", later.short_code)
    assert refused.value.appointment.id == later.id
    assert "2026年12月2日周三 10:00" in str(refused.value.message)
    with pytest.raises(arrival.UnknownCode):  # the code with another phone's digits is still unknown
        arrival.check_in_by_code(s.hall.slug, "0000", later.short_code)


def test_a_past_days_appointment_was_for_that_day_and_a_walk_in_ticket_is_offered(hall_setup, clock_at):
    s = hall_setup
    missed = book(s, 10)
    clock_at.set(local(s.hall, DAY + timedelta(days=3), 9, 0))
    for attempt in (lambda: arrival.check_in_by_code(s.hall.slug, "5678", missed.short_code),
                    lambda: arrival.check_in_by_scan(s.hall.slug, missed.token)):
        with pytest.raises(arrival.LateArrival) as refused:
            attempt()
        assert "2026年12月2日周三 10:00" in str(refused.value.message) and refused.value.service.id == s.service.id
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_cancelled_appointment_is_refused(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    booking.cancel(appointment, user=s.users["reception"], reason="律师临时外出")
    clock_at.set(local(s.hall, DAY, 9, 55))
    with pytest.raises(arrival.Cancelled):
        arrival.check_in_by_scan(s.hall.slug, appointment.token)


def test_reception_sees_called_and_done_from_the_ticket(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 55))
    ticket = booking.check_in(appointment)
    queue.call_next(s.room)
    day = arrival.reception_view(s.hall).advisers[0]
    assert [r.state for r in day.rows] == ["called"]
    queue.finish(db.session.get(type(ticket), ticket.id))
    db.session.expire_all()
    assert [r.state for r in arrival.reception_view(s.hall).advisers[0].rows] == ["done"]


def test_the_console_marks_appointment_tickets(hall_setup, clock_at):
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 55))
    ticket = booking.check_in(appointment)
    walk = queue.issue_ticket(s.hall, s.service)
    marks = arrival.appointments_for_tickets([ticket, walk])
    assert list(marks) == [ticket.id] and marks[ticket.id].id == appointment.id


def test_two_check_ins_of_one_appointment_at_once_give_one_ticket(hall_setup, clock_at, app):
    """Two kiosks (or a double Enter) at once: the second read what the first had not yet
    committed. hall/arrival.py reads the row again under a lock, so it gets the first's ticket."""
    import threading
    s = hall_setup
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 55))
    stale = db.session.get(Appointment, appointment.id)
    assert stale.status == A.booked
    db.session.expunge(stale)  # what a second request read before the first committed
    db.session.commit()

    def first():
        with app.app_context():
            arrival._check_in(db.session.get(Appointment, appointment.id))
            db.session.remove()

    thread = threading.Thread(target=first)
    thread.start()
    thread.join()
    db.session.add(stale)
    second = arrival._check_in(stale)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert fresh_appointment(appointment).ticket_id == second.id


def fresh_appointment(appointment) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def test_reception_finds_open_bookings_from_today_by_mobile_last_four_or_code(hall_setup, clock_at):
    s = hall_setup

    def book_at(days, hour, phone):
        start = local(s.hall, DAY + timedelta(days=days), hour, 0)
        return booking.book(s.hall, s.service, start, phone=phone, at=start - timedelta(days=1)).appointment
    yesterday, today, later = book_at(-1, 10, "13812345678"), book_at(0, 15, "13812345678"), book_at(2, 10, "13900005678")

    assert arrival.find_bookings(s.hall, "138 1234 5678") == [today]  # spaces as a receptionist types them
    assert arrival.find_bookings(s.hall, "5678") == [today, later], "by time; yesterday's is over"
    assert arrival.find_bookings(s.hall, later.short_code) == [later]
    assert arrival.find_bookings(s.hall, "%678") is None and arrival.find_bookings(s.hall, "12") is None
    booking.cancel(later)
    assert arrival.find_bookings(s.hall, "5678") == [today]
    assert yesterday not in arrival.find_bookings(s.hall, "13812345678")


def test_the_day_reception_looks_at_is_the_halls_own(app, monkeypatch):
    from datetime import date, datetime, timezone
    from hall.errors import Invalid
    urumqi = make_hall("urumqi", users=False).hall
    urumqi.timezone = "Asia/Urumqi"
    shanghai = make_hall("shanghai", users=False).hall
    db.session.commit()
    at = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)  # 00:30 in Shanghai, 22:30 in Urumqi
    assert arrival.list_day(shanghai, "", at=at) == date(2026, 12, 2)
    assert arrival.list_day(urumqi, None, at=at) == date(2026, 12, 1)
    assert arrival.list_day(urumqi, " 2026-12-24 ", at=at) == date(2026, 12, 24)
    for raw in ("garbage", "2026-02-30", "1999-12-31", "2100-01-01"):
        with pytest.raises(Invalid):
            arrival.list_day(urumqi, raw, at=at)


def test_reception_view_of_another_day_lists_that_day_only(hall_setup, clock_at):
    s = hall_setup
    book(s, 10)
    start = local(s.hall, DAY + timedelta(days=1), 9)
    coming = booking.book(s.hall, s.service, start, phone="13900001111", name="", at=start - timedelta(days=2)).appointment
    view = arrival.reception_view(s.hall, day=DAY + timedelta(days=1))
    assert [r.appointment.id for a in view.advisers for r in a.rows] == [coming.id]
    assert [r.state for a in view.advisers for r in a.rows] == ["booked"]
    assert view.is_future and not view.is_today and view.relative == "tomorrow"
    assert view.day_args == {"date": "2026-12-03"} and view.previous_args == {}
    today = arrival.reception_view(s.hall)
    assert today.is_today and today.day_args == {} and [len(a.rows) for a in today.advisers] == [1]
