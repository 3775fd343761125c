"""Booking rules, called directly: seats and capacity, refusals that save nothing, cancelling,
moving, checking in and the console's order, no-shows, bookings a roster change strands."""
from __future__ import annotations

from datetime import time, timedelta, timezone

import pytest
from conftest import counter, svc
from sqlalchemy import func, select
from appointment_data import MONDAY, NINE, NOW, adviser, bookable

from hall import booking, clock, queue, slots
from hall.errors import Invalid, NotFound, WrongState
from hall.extensions import db
from hall.models import Appointment, AppointmentStatus as A, ExceptionKind, ShiftException

UTC = timezone.utc
PHONE = "13812345678"


def appointments() -> int:
    return db.session.scalar(select(func.count(Appointment.id)))


@pytest.fixture
def service(demo):
    return bookable(demo)


@pytest.fixture
def room(demo):
    return counter(demo, 3)


@pytest.fixture
def lawyer(demo, service, room):
    return adviser(demo, service, counter=room)


def test_a_booking_takes_a_seat_and_gets_a_token_and_a_check_in_code(demo, service, lawyer, room):
    made = booking.book(demo, service, NINE, phone="138 1234 5678", name=" 张 三 ", at=NOW)

    appointment = made.appointment
    assert made.created and appointment.status == A.booked and appointment.seat == 1
    assert appointment.adviser_id == lawyer.id and appointment.counter_id == room.id
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert appointment.phone == PHONE and appointment.name == "张 三"
    assert len(appointment.token) >= 22 and len(appointment.short_code) == 6 and appointment.short_code.isdigit()


def test_a_slot_is_never_booked_beyond_its_capacity(demo, service, lawyer):
    service.slot_capacity = 2
    db.session.commit()
    booking.book(demo, service, NINE, phone=PHONE, at=NOW)
    booking.book(demo, service, NINE, phone="13900000000", at=NOW)

    with pytest.raises(booking.SlotTaken) as refused:
        booking.book(demo, service, NINE, phone="13700000000", at=NOW)

    assert appointments() == 2
    assert [s.start for s in refused.value.alternatives] == [NINE + timedelta(minutes=30), NINE + timedelta(minutes=60),
                                                             NINE + timedelta(minutes=90)]


def test_any_adviser_means_whoever_still_has_a_seat(demo, service, lawyer):
    other = adviser(demo, service, name="李顾问")
    first = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment
    second = booking.book(demo, service, NINE, phone="13900000000", at=NOW).appointment

    assert {first.adviser_id, second.adviser_id} == {lawyer.id, other.id}


@pytest.mark.parametrize("change, error", [
    (dict(phone=None), Invalid),
    (dict(phone="12345"), Invalid),
    (dict(name="张" * 41), Invalid),
    (dict(start=NINE - timedelta(days=1)), booking.OutsideWindow),       # a past date
    (dict(start=NINE + timedelta(days=30)), booking.OutsideWindow),      # beyond the window
    (dict(start=NINE + timedelta(minutes=10)), booking.NoSuchSlot),      # not a slot's start
    (dict(start=NINE + timedelta(hours=6)), booking.NoSuchSlot),         # nobody on duty then
    (dict(adviser_id=999999), NotFound),
])
def test_bad_requests_are_refused_and_save_nothing(demo, service, lawyer, change, error):
    values = dict(start=NINE, phone=PHONE, name="", adviser_id=None) | change
    with pytest.raises(error):
        booking.book(demo, service, values.pop("start"), at=NOW, **values)
    assert appointments() == 0


def test_an_inactive_adviser_cannot_be_booked(demo, service, lawyer):
    lawyer.active = False
    db.session.commit()
    with pytest.raises(Invalid):
        booking.book(demo, service, NINE, phone=PHONE, adviser_id=lawyer.id, at=NOW)
    assert appointments() == 0


def test_the_same_request_key_books_once(demo, service, lawyer):
    first = booking.book(demo, service, NINE, phone=PHONE, request_key="kiosk-0001", at=NOW)
    again = booking.book(demo, service, NINE, phone=PHONE, request_key="kiosk-0001", at=NOW)

    assert first.created and not again.created and again.appointment.id == first.appointment.id
    assert appointments() == 1


def test_cancelling_gives_the_seat_back_and_staff_must_say_why(demo, service, lawyer):
    appointment = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment
    staff = demo_user(demo)

    with pytest.raises(Invalid):
        booking.cancel(appointment, user=staff, reason="  ")
    booking.cancel(appointment, user=staff, reason="律师临时出差", at=NOW)

    assert appointment.status == A.cancelled and appointment.seat is None
    assert appointment.cancel_reason == "律师临时出差" and appointment.cancelled_by_id == staff.id
    assert booking.book(demo, service, NINE, phone="13900000000", at=NOW).appointment.seat == 1
    with pytest.raises(WrongState):
        booking.cancel(appointment)


def test_moving_takes_the_new_seat_and_frees_the_old_one_keeping_the_qr_code(demo, service, lawyer):
    appointment = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment
    token = appointment.token
    taken = booking.book(demo, service, NINE + timedelta(minutes=30), phone="13900000000", at=NOW).appointment

    with pytest.raises(booking.SlotTaken):
        booking.move(appointment, taken.starts_at, at=NOW)
    booking.move(appointment, NINE + timedelta(minutes=60), at=NOW)

    assert appointment.starts_at == NINE + timedelta(minutes=60) and appointment.token == token
    free = [s.start for s in slots.slots(demo, service, MONDAY, at=NOW)]
    assert NINE in free and NINE + timedelta(minutes=60) not in free


def test_check_in_gives_a_ticket_for_the_room_that_goes_first_once_due(demo, service, lawyer, room):
    appointment = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment
    # Two walk-ins for 矛盾调解 at 老傅调解室's queue came earlier.
    walk_ins = [queue.issue_ticket(demo, svc(demo, "B")) for _ in range(2)]

    ticket = booking.check_in(appointment, at=NINE - timedelta(minutes=20))

    assert appointment.status == A.checked_in and appointment.ticket_id == ticket.id
    assert ticket.target_counter_id == room.id and ticket.channel == "appointment"
    assert ticket.due_at == NINE - timedelta(minutes=demo.checkin_early_minutes)
    with pytest.raises(WrongState):
        booking.check_in(appointment, at=NINE)
    # Before its time it waits in arrival order; once due it is called first at that room.
    assert [t.id for t in queue.waiting_for_counter(room)][-1] == ticket.id
    ticket.due_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    assert queue.call_next(room).id == ticket.id
    assert queue.call_next(room).id == walk_ins[0].id


def test_a_late_arrival_joins_as_a_walk_in_and_a_forgotten_booking_becomes_a_no_show(demo, service, lawyer):
    late = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment
    forgotten = booking.book(demo, service, NINE + timedelta(minutes=30), phone="13900000000", at=NOW).appointment
    after_grace = NINE + timedelta(minutes=demo.checkin_grace_minutes + 1)

    with pytest.raises(booking.Late):
        booking.check_in(late, at=after_grace)
    assert booking.effective_status(late, at=after_grace) == A.no_show
    assert booking.effective_status(forgotten, at=after_grace) == A.booked

    assert booking.sweep_no_shows(demo, at=after_grace) == 1
    db.session.refresh(late)
    assert late.status == A.no_show and forgotten.status == A.booked


def test_keypad_check_in_finds_todays_booking_by_phone_and_code(demo, service, lawyer):
    appointment = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment

    assert booking.find_for_check_in(demo, "5678", appointment.short_code, at=NOW).id == appointment.id
    with pytest.raises(NotFound):
        booking.find_for_check_in(demo, "0000", appointment.short_code, at=NOW)
    with pytest.raises(Invalid):
        booking.find_for_check_in(demo, "56", "12", at=NOW)


def test_a_roster_change_strands_bookings_for_the_receptionist_never_deletes_them(demo, service, lawyer):
    kept = booking.book(demo, service, NINE, phone=PHONE, at=NOW).appointment
    moved_out = booking.book(demo, service, NINE + timedelta(hours=2), phone="13900000000", at=NOW).appointment
    db.session.add(ShiftException(adviser_id=lawyer.id, day=MONDAY, kind=ExceptionKind.leave,
                                  starts_at=time(10, 30), ends_at=time(11, 30)))
    db.session.commit()

    assert [a.id for a in booking.stranded(demo, at=NOW)] == [moved_out.id]
    assert appointments() == 2 and kept.status == moved_out.status == A.booked


def demo_user(hall):
    from hall.models import User
    return db.session.scalar(select(User).where(User.username == "reception"))
