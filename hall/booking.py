"""Appointments: booking a seat in an adviser's slot, cancelling, moving, checking in.

The capacity rule is the database's, not a check before an insert: each booking holds a seat
number 1 … the service's slot capacity, unique per (adviser, slot start)
(uq_appointment_seat). A booking inserts the lowest seat it believes free with
ON CONFLICT DO NOTHING; when a concurrent booking took that seat first, the insert does nothing
and the next seat is tried. Seats never go above the capacity, so a slot is never booked beyond
it whatever races (tests/concurrency/test_booking.py: 50 simultaneous requests for one seat).
A cancelled booking gives its seat back (seat = NULL).

Every function runs in the caller's transaction and commits it, as hall/queue.py does.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from . import clock, queue, slots
from .errors import HallError, Invalid, NotFound, WrongState
from .extensions import db
from .models import Adviser, Appointment, AppointmentStatus, Hall, Service, Ticket, TicketStatus, User
from .people import clean_phone

A = AppointmentStatus
OPEN = (A.booked,)
NAME_LIMIT = 40


class SlotTaken(HallError):
    """The seat went to someone else first; the nearest free times come with the refusal."""
    status = 409
    message = _l("That time has just been taken.")

    def __init__(self, alternatives: list[slots.Slot]):
        super().__init__()
        self.alternatives = alternatives


class NoSuchSlot(HallError):
    status = 422
    message = _l("There is no appointment at that time. Please choose one of the times offered.")


class OutsideWindow(HallError):
    status = 422
    message = _l("That day cannot be booked. Appointments can be made from today up to the last day shown.")


class Late(HallError):
    """Too late for the appointment: the resident takes a walk-in ticket instead."""
    status = 409
    message = _l("The appointment time has passed. Please take a ticket and join the queue.")


def new_short_code() -> str:
    """Six digits typed at the kiosk with the phone's last four when the QR code is not at hand."""
    return f"{secrets.randbelow(10 ** 6):06d}"


def _clean_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if len(name) > NAME_LIMIT:
        raise Invalid(_l("A name has at most 40 characters."))
    return name


def _required_phone(raw: str | None) -> str:
    phone = clean_phone(raw)
    if phone is None:
        raise Invalid(_l("Please enter a mobile number: the booking is found and confirmed with it."))
    return phone


def _adviser(hall: Hall, adviser_id: int | None) -> Adviser | None:
    if adviser_id is None:
        return None
    adviser = db.session.get(Adviser, adviser_id)
    if adviser is None or adviser.hall_id != hall.id:
        raise NotFound(_l("There is no such adviser."))
    if not adviser.active:
        raise Invalid(_l("This adviser is not taking appointments now. Please choose another."))
    return adviser


def _candidates(hall: Hall, service: Service, start: datetime, adviser_id: int | None,
                at: datetime | None) -> list[slots.Slot]:
    """The slots that start at `start` (one per adviser on duty then), free seats first."""
    window = slots.booking_window(hall, at)
    day = clock.local_day(hall, start)
    if not (window.first_day <= day <= window.last_day) or not window.holds(start):
        raise OutsideWindow()
    found = [s for s in slots.slots(hall, service, day, adviser_id=adviser_id, at=at, include_full=True)
             if s.start == start]
    if not found:
        raise NoSuchSlot()
    return sorted(found, key=lambda s: (-s.free, s.adviser_id))


def _insert_seat(values: dict, capacity: int) -> int | None:
    """Insert the booking into the lowest seat nobody holds; None when every seat is taken."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = Appointment.__table__
    taken = set(connection.execute(
        select(table.c.seat).where(table.c.adviser_id == values["adviser_id"],
                                   table.c.starts_at == values["starts_at"],
                                   table.c.seat.is_not(None))).scalars())
    for seat in range(1, capacity + 1):
        if seat in taken:
            continue
        statement = upsert(table).values(**values, seat=seat).on_conflict_do_nothing().returning(table.c.id)
        new_id = connection.execute(statement).scalar()
        if new_id is not None:
            return new_id
    return None


@dataclass(frozen=True)
class Booked:
    appointment: Appointment
    created: bool  # False: the same request_key came again and got the earlier booking


def book(hall: Hall, service: Service, start: datetime, *, phone: str | None, name: str | None = "",
         adviser_id: int | None = None, channel: str = "kiosk", request_key: str | None = None,
         user: User | None = None, at: datetime | None = None) -> Booked:
    """Book a seat in the slot at `start` (with that adviser, or any adviser on duty then).
    Raises SlotTaken (409) with the nearest free times when no seat is left."""
    slots.bookable_service(hall, service)
    if start.tzinfo is None:
        raise Invalid(_l("Please give the time with its offset, such as 2026-12-01T09:00:00+08:00."))
    phone, name = _required_phone(phone), _clean_name(name)
    if request_key:
        earlier = _by_request_key(hall, request_key)
        if earlier is not None:
            return Booked(earlier, False)
    _adviser(hall, adviser_id)
    moment = at or clock.now()
    for slot in _candidates(hall, service, start, adviser_id, at):
        values = dict(
            hall_id=hall.id, service_id=service.id, adviser_id=slot.adviser_id, counter_id=slot.counter_id,
            starts_at=slot.start, ends_at=slot.end, status=A.booked, name=name, phone=phone,
            token=queue.new_token(), short_code=new_short_code(), channel=channel,
            request_key=request_key or None, created_at=moment, booked_by_id=user.id if user else None,
            checked_in_at=None, ticket_id=None, cancelled_at=None, cancelled_by_id=None, cancel_reason="")
        new_id = _insert_seat(values, slot.capacity)
        if new_id is not None:
            queue.bump_version(hall.id)
            db.session.commit()
            return Booked(db.session.get(Appointment, new_id), True)
    db.session.rollback()
    if request_key:  # a concurrent retry with the same key may have won
        earlier = _by_request_key(hall, request_key)
        if earlier is not None:
            return Booked(earlier, False)
    raise SlotTaken(slots.nearest_free(hall, service, start, adviser_id=adviser_id, at=at))


def _by_request_key(hall: Hall, key: str) -> Appointment | None:
    return db.session.scalar(select(Appointment).where(Appointment.hall_id == hall.id,
                                                       Appointment.request_key == key))


def by_token(token: str) -> Appointment:
    found = db.session.scalar(select(Appointment).where(Appointment.token == token)) if token else None
    if found is None:
        raise NotFound(_l("There is no such appointment."))
    return found


def cancel(appointment: Appointment, *, user: User | None = None, reason: str = "",
           at: datetime | None = None) -> Appointment:
    """The resident (from the QR page) or staff (with a reason) cancels; the seat is free again."""
    reason = " ".join((reason or "").split())
    if user is not None and not reason:
        raise Invalid(_l("Please give the reason for cancelling: the resident will be told."))
    if len(reason) > 200:
        raise Invalid(_l("A reason has at most 200 characters."))
    result = db.session.execute(
        update(Appointment).where(Appointment.id == appointment.id, Appointment.status.in_(OPEN))
        .values(status=A.cancelled, seat=None, cancelled_at=at or clock.now(),
                cancelled_by_id=user.id if user else None, cancel_reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WrongState(_l("This appointment can no longer be cancelled."))
    queue.bump_version(appointment.hall_id)
    db.session.commit()
    db.session.refresh(appointment)
    return appointment


def move(appointment: Appointment, start: datetime, *, adviser_id: int | None = None,
         user: User | None = None, at: datetime | None = None) -> Appointment:
    """Move a booking to another free slot of the same service: the new seat is taken before the
    old one is given back, in one transaction; the QR code and its page stay the same."""
    if appointment.status != A.booked:
        raise WrongState(_l("This appointment can no longer be moved."))
    hall, service = appointment.hall, appointment.service
    for slot in _candidates(hall, service, start, adviser_id, at):
        if slot.adviser_id == appointment.adviser_id and slot.start == appointment.starts_at:
            return appointment  # the same slot: nothing to do
        for seat in range(1, slot.capacity + 1):
            try:
                with db.session.begin_nested():
                    result = db.session.execute(
                        update(Appointment)
                        .where(Appointment.id == appointment.id, Appointment.status.in_(OPEN))
                        .values(adviser_id=slot.adviser_id, counter_id=slot.counter_id,
                                starts_at=slot.start, ends_at=slot.end, seat=seat)
                        .execution_options(synchronize_session=False))
            except Exception as error:  # noqa: BLE001 - a unique violation: that seat is taken
                if not _is_integrity_error(error):
                    raise
                continue
            if result.rowcount != 1:
                db.session.rollback()
                raise WrongState(_l("This appointment can no longer be moved."))
            queue.bump_version(hall.id)
            db.session.commit()
            db.session.refresh(appointment)
            return appointment
    db.session.rollback()
    raise SlotTaken(slots.nearest_free(hall, service, start, adviser_id=adviser_id, at=at))


def _is_integrity_error(error: Exception) -> bool:
    from sqlalchemy.exc import IntegrityError
    return isinstance(error, IntegrityError)


def effective_status(appointment: Appointment, at: datetime | None = None) -> AppointmentStatus:
    """What an appointment's state is now. A booking nobody checked in for is a no-show once the
    grace period after its start is over, whether or not the sweep has written it down yet; once
    checked in, its ticket tells the rest (called or being served, done, did not come)."""
    moment = at or clock.now()
    grace = timedelta(minutes=appointment.hall.checkin_grace_minutes)
    if appointment.status == A.booked and moment > appointment.starts_at + grace:
        return A.no_show
    ticket = appointment.ticket if appointment.status == A.checked_in else None
    if ticket is not None:
        return {TicketStatus.called: A.called, TicketStatus.serving: A.called, TicketStatus.done: A.done,
                TicketStatus.no_show: A.no_show, TicketStatus.cancelled: A.cancelled}.get(ticket.status, A.checked_in)
    return appointment.status


def sweep_no_shows(hall: Hall, at: datetime | None = None) -> int:
    """Write down the no-shows: bookings still open at the end of their grace period."""
    moment = at or clock.now()
    cutoff = moment - timedelta(minutes=hall.checkin_grace_minutes)
    result = db.session.execute(
        update(Appointment).where(Appointment.hall_id == hall.id, Appointment.status == A.booked,
                                  Appointment.starts_at < cutoff)
        .values(status=A.no_show).execution_options(synchronize_session=False))
    if result.rowcount:
        queue.bump_version(hall.id)
    db.session.commit()
    return result.rowcount


def find_for_check_in(hall: Hall, phone_last4: str, short_code: str,
                      at: datetime | None = None) -> Appointment:
    """The kiosk's keypad check-in: the phone's last four digits and the six-digit code."""
    digits, code = (phone_last4 or "").strip(), (short_code or "").strip()
    if not (len(digits) == 4 and digits.isdigit() and len(code) == 6 and code.isdigit()):
        raise Invalid(_l("Please enter the last 4 digits of your phone and the 6-digit code."))
    start = clock.start_of_day(hall, at)
    found = db.session.scalars(select(Appointment).where(
        Appointment.hall_id == hall.id, Appointment.short_code == code, Appointment.status == A.booked,
        Appointment.starts_at >= start, Appointment.starts_at < start + timedelta(days=1))).all()
    found = [a for a in found if a.phone.endswith(digits)]
    if not found:
        raise NotFound(_l("No appointment for today matches. Please check the numbers or ask at the front desk."))
    return found[0]


def check_in(appointment: Appointment, *, user: User | None = None, at: datetime | None = None) -> Ticket:
    """签到: the appointment becomes a ticket for the adviser's room that the console puts ahead of
    walk-ins from a few minutes before the slot (Ticket.due_at). Too late (after the grace
    period): Late, and the resident takes a walk-in ticket."""
    moment = at or clock.now()
    hall = appointment.hall
    if appointment.status != A.booked:
        raise WrongState(_l("This appointment has already been checked in, or is no longer open."))
    if clock.local_day(hall, appointment.starts_at) != clock.local_day(hall, moment):
        raise WrongState(_l("This appointment is for another day."))
    if moment > appointment.starts_at + timedelta(minutes=hall.checkin_grace_minutes):
        raise Late()
    # Claim the booking first, conditionally: of two simultaneous check-ins (two kiosks, a double
    # Enter) the second finds it no longer booked and issues no second ticket.
    claimed = db.session.execute(
        update(Appointment).where(Appointment.id == appointment.id, Appointment.status == A.booked)
        .values(status=A.checked_in, checked_in_at=moment).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise WrongState(_l("This appointment has already been checked in, or is no longer open."))
    ticket = queue.issue_ticket(
        hall, appointment.service, phone=appointment.phone, channel="appointment", user=user,
        check_hours=False, target_counter_id=appointment.counter_id,
        due_at=appointment.starts_at - timedelta(minutes=hall.checkin_early_minutes),
        commit=False)
    db.session.execute(update(Appointment).where(Appointment.id == appointment.id).values(ticket_id=ticket.id)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(appointment)
    return ticket


def todays(hall: Hall, at: datetime | None = None, adviser_id: int | None = None) -> list[Appointment]:
    """Reception's list: today's appointments, by time then adviser."""
    return of_day(hall, clock.local_day(hall, at), adviser_id)


def of_day(hall: Hall, day: date, adviser_id: int | None = None) -> list[Appointment]:
    """The appointments of one day of the hall (its own calendar), by time then adviser."""
    start = clock.midnight(hall, day)
    query = (select(Appointment).where(Appointment.hall_id == hall.id, Appointment.starts_at >= start,
                                       Appointment.starts_at < clock.midnight(hall, day + timedelta(days=1)))
             .order_by(Appointment.starts_at, Appointment.adviser_id, Appointment.id))
    if adviser_id is not None:
        query = query.where(Appointment.adviser_id == adviser_id)
    return list(db.session.scalars(query))


def stranded(hall: Hall, at: datetime | None = None) -> list[Appointment]:
    """Future bookings whose slot a roster change removed (leave, a deleted range, a closed day):
    the receptionist rearranges them; nothing is ever deleted silently."""
    moment = at or clock.now()
    open_bookings = list(db.session.scalars(
        select(Appointment).where(Appointment.hall_id == hall.id, Appointment.status == A.booked,
                                  Appointment.starts_at >= moment)
        .order_by(Appointment.starts_at)))
    if not open_bookings:
        return []
    first = clock.local_day(hall, open_bookings[0].starts_at)
    last = clock.local_day(hall, open_bookings[-1].starts_at)
    duty = slots.duty(hall, first, last)
    covered = {}
    for d in duty:
        covered.setdefault(d.adviser.id, []).append((d.start, d.end))
    return [a for a in open_bookings
            if not any(start <= a.starts_at and a.ends_at <= end for start, end in covered.get(a.adviser_id, []))]
