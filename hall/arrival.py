"""Arrival: an appointment checked in at the kiosk (scanner or keypad) or by reception, and
reception's view of today's appointments. The rules themselves are hall/booking.py's; this module
reads what the screens show and turns a scan or a form into one call of booking.

Owned by the arrival screens: kiosk/arrival.py and admin/appointments.py call one function of
this module per request.

One write per request: hall/engine.py lets a request write in its first transaction only, and
every booking function commits, so the no-show sweep is its own POST (the reception page sends it
by itself when its list shows a booking past its grace period that is not yet written down) and
a CLI command for cron (hall/appointments_cli.py).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from . import booking, clock, inputs, kiosk_flow, queue, slots
from .errors import HallError, Invalid, NotFound, WrongState
from .extensions import db
from .models import Adviser, Appointment, AppointmentStatus, Counter, Hall, Service, Ticket, User

A = AppointmentStatus
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# ---- what can go wrong at the kiosk ------------------------------------------------------------

class UnknownCode(HallError):
    status = 404
    message = _l("We could not find this appointment. Please try again, use the keypad below, "
                 "or ask at the front desk.")


class LateArrival(booking.Late):
    """Too late: the resident may take a walk-in ticket for the same service."""

    def __init__(self, appointment: Appointment, message=None):
        super().__init__(message)
        self.appointment = appointment
        self.service = appointment.service


class Cancelled(HallError):
    status = 409
    message = _l("This appointment was cancelled. Please take a ticket or ask at the front desk.")

    def __init__(self, appointment: Appointment):
        super().__init__()
        self.appointment = appointment
        self.service = appointment.service


class OtherDay(HallError):
    status = 409

    def __init__(self, appointment: Appointment, when: str):
        super().__init__(_l("This appointment is for %(when)s, not today. Please come back then.", when=when))
        self.appointment = appointment


def parse_scan(raw: str | None) -> str | None:
    """What a keyboard-wedge scanner typed: the appointment page's URL (…/a/<token>, maybe with a
    query or a trailing slash) or the bare token. None when it is neither."""
    text = (raw or "").strip()
    if not text or len(text) > 500:
        return None
    if "/a/" in text:
        text = text.rsplit("/a/", 1)[1]
    text = re.split(r"[?#]", text, maxsplit=1)[0].strip("/")
    return text if TOKEN.match(text) else None


def _when(appointment: Appointment) -> str:
    """The day and time of a booking as a resident reads it: 2026年12月2日周三 10:00."""
    local = clock.local(appointment.hall, appointment.starts_at)
    return f"{format_skeleton('yMMMEd', local.date(), locale=get_locale())} {local:%H:%M}"


def keypad_digits(raw: str | None, limit: int) -> str:
    """What a keypad field holds: its digits (0-9 only), at most `limit` of them."""
    return "".join(ch for ch in (raw or "") if ch in "0123456789")[:limit]


def _check_in(appointment: Appointment, user: User | None = None, at: datetime | None = None) -> Ticket:
    """booking.check_in, with every refusal turned into what the screen says next. An appointment
    already checked in today answers with its ticket (a second scan shows the same ticket).

    The row is read again under a lock first (FOR UPDATE on PostgreSQL; SQLite's writers queue
    already): booking.check_in decides on the status it was handed, so two kiosks or a double
    Enter at once would otherwise each issue a ticket for the same appointment."""
    db.session.refresh(appointment, with_for_update=True)
    if appointment.status == A.checked_in and appointment.ticket is not None:
        return appointment.ticket
    if appointment.status == A.cancelled:
        raise Cancelled(appointment)
    hall = appointment.hall
    day, today = clock.local_day(hall, appointment.starts_at), clock.local_day(hall, at)
    if day < today and appointment.status in (A.booked, A.no_show):
        raise LateArrival(appointment, _l("This appointment was for %(when)s, and that day has passed. "
                                          "Please take a ticket and join the queue.", when=_when(appointment)))
    if appointment.status == A.no_show:
        raise LateArrival(appointment)
    if day != today and appointment.status == A.booked:
        raise OtherDay(appointment, _when(appointment))
    try:
        return booking.check_in(appointment, user=user, at=at)
    except booking.Late:
        db.session.rollback()
        raise LateArrival(appointment) from None


def check_in_by_scan(slug: str, raw: str, at: datetime | None = None) -> Appointment:
    hall = queue.hall_by_slug(slug)
    token = parse_scan(raw)
    if token is None:
        raise UnknownCode()
    try:
        appointment = booking.by_token(token)
    except NotFound:
        raise UnknownCode() from None
    if appointment.hall_id != hall.id:
        raise UnknownCode()
    _check_in(appointment, at=at)
    return appointment


def _already_checked_in(hall: Hall, last4: str, code: str, at: datetime | None) -> Appointment | None:
    start = clock.start_of_day(hall, at)
    found = db.session.scalars(select(Appointment).where(
        Appointment.hall_id == hall.id, Appointment.short_code == code, Appointment.status == A.checked_in,
        Appointment.ticket_id.is_not(None),
        Appointment.starts_at >= start, Appointment.starts_at < start + timedelta(days=1))).all()
    return next((a for a in found if a.phone.endswith(last4)), None)


def _on_another_day(hall: Hall, last4: str, code: str, at: datetime | None) -> Appointment | None:
    """The booking these numbers are for on another day, so that the kiosk says which day (as a
    scan of its QR code does): the nearest one still to come, else the latest that has passed."""
    start = clock.start_of_day(hall, at)
    found = [a for a in db.session.scalars(select(Appointment).where(
        Appointment.hall_id == hall.id, Appointment.short_code == code,
        Appointment.status.in_((A.booked, A.no_show, A.cancelled)),
        (Appointment.starts_at < start) | (Appointment.starts_at >= start + timedelta(days=1))))
        if a.phone.endswith(last4)]
    coming = sorted((a for a in found if a.starts_at >= start), key=lambda a: a.starts_at)
    past = sorted((a for a in found if a.starts_at < start), key=lambda a: a.starts_at, reverse=True)
    return next(iter(coming + past), None)


def check_in_by_code(slug: str, last4: str, code: str, at: datetime | None = None) -> Appointment:
    """The keypad: the phone's last four digits and the six-digit code of the slip."""
    hall = queue.hall_by_slug(slug)
    last4 = "".join(ch for ch in (last4 or "") if ch.isdigit())
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    try:
        appointment = booking.find_for_check_in(hall, last4, code, at=at)
    except NotFound:
        db.session.rollback()
        appointment = _already_checked_in(hall, last4, code, at) or _on_another_day(hall, last4, code, at)
        if appointment is None:
            raise UnknownCode(_l("No appointment for today matches these numbers. "
                                 "Please check them or ask at the front desk.")) from None
    _check_in(appointment, at=at)
    return appointment


# ---- the kiosk's ticket screen for an appointment ---------------------------------------------

def room_label(counter: Counter | None) -> str:
    if counter is None:
        return ""
    label = _l("Window %(number)s", number=counter.number)
    return str(_l("%(counter)s (%(room)s)", counter=label, room=counter.name)) if counter.name else str(label)


@dataclass
class ArrivalTicket:
    screen: kiosk_flow.TicketScreen
    appointment: Appointment
    room: str


def ticket_screen(slug: str, token: str) -> ArrivalTicket:
    """The kiosk's ticket screen for a checked-in appointment's ticket, with its room and slot."""
    screen = kiosk_flow.ticket(slug, token)
    appointment = db.session.scalar(select(Appointment).where(Appointment.ticket_id == screen.ticket.id))
    if appointment is None:
        raise NotFound()
    counter = appointment.counter or screen.ticket.target_counter
    return ArrivalTicket(screen, appointment, room_label(counter))


# ---- reception -----------------------------------------------------------------------------

STATE_ORDER = ("booked", "checked_in", "called", "done", "no_show", "cancelled")


def state_of(appointment: Appointment, at: datetime | None = None) -> str:
    """What reception sees: booked, checked_in, called, done, no_show or cancelled."""
    return booking.effective_status(appointment, at).value


@dataclass
class Row:
    appointment: Appointment
    state: str

    @property
    def ticket(self) -> Ticket | None:
        return self.appointment.ticket


@dataclass
class AdviserDay:
    adviser: Adviser
    rows: list[Row]

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)


@dataclass
class ReceptionView:
    hall: Hall
    advisers: list[AdviserDay]
    stranded: list[Appointment]
    services: list[Service]
    pending_no_shows: int
    now: datetime = field(default_factory=clock.now)
    read_only: bool = False
    day: date | None = None    # the day listed (the hall's calendar); today when None
    today: date | None = None

    def __post_init__(self):
        self.today = self.today or clock.local_day(self.hall, self.now)
        self.day = self.day or self.today

    @property
    def total(self) -> int:
        return sum(len(a.rows) for a in self.advisers)

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def is_future(self) -> bool:
        return self.day > self.today

    @property
    def relative(self) -> str:
        """today, tomorrow, yesterday, or "" for any other day."""
        return {0: "today", 1: "tomorrow", -1: "yesterday"}.get((self.day - self.today).days, "")

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def day_args(self) -> dict:
        """What keeps this day in a link or an action's address (nothing for today)."""
        return self.args_for(self.hall, self.day, self.now)

    @property
    def previous_args(self) -> dict:
        return self.args_for(self.hall, self.previous_day, self.now)

    @property
    def next_args(self) -> dict:
        return self.args_for(self.hall, self.next_day, self.now)

    @staticmethod
    def args_for(hall: Hall, day: date, at: datetime | None = None) -> dict:
        return {} if day == clock.local_day(hall, at) else {"date": day.isoformat()}


def appointment_of(user: User, appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.hall_id != user.hall_id:
        raise NotFound(_l("There is no such appointment."))
    return appointment


def linked_adviser(user: User) -> Adviser | None:
    return db.session.scalar(select(Adviser).where(Adviser.user_id == user.id, Adviser.hall_id == user.hall_id))


def adviser_names(hall: Hall) -> dict[int, str]:
    return dict(db.session.execute(select(Adviser.id, Adviser.name).where(Adviser.hall_id == hall.id)).all())


def bookable_services(hall: Hall) -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.hall_id == hall.id, Service.bookable.is_(True),
                                                         Service.retired.is_(False))
                                   .order_by(Service.position, Service.id)))


def list_day(hall: Hall, raw: str | None, at: datetime | None = None) -> date:
    """The day reception looks at (?date=2026-12-03): today in the hall's own timezone when none
    is given; Invalid when it is not a date."""
    if raw is None or not str(raw).strip():
        return clock.local_day(hall, at)
    day = inputs.parse_day(str(raw).strip()[:10])
    if day is None:
        raise Invalid(_l("That is not a date we can show. Here is today."))
    return day


def reception_view(hall: Hall, adviser_id: int | None = None, at: datetime | None = None,
                   day: date | None = None) -> ReceptionView:
    """Reception's list of one day (today when `day` is None), grouped by adviser; the bookings a
    roster change stranded, whatever their day."""
    moment = at or clock.now()
    day = day or clock.local_day(hall, moment)
    groups: OrderedDict[int, AdviserDay] = OrderedDict()
    pending = 0
    for appointment in booking.of_day(hall, day, adviser_id=adviser_id):
        state = state_of(appointment, moment)
        if state == "no_show" and appointment.status == A.booked:
            pending += 1
        group = groups.setdefault(appointment.adviser_id, AdviserDay(appointment.adviser, []))
        group.rows.append(Row(appointment, state))
    advisers = sorted(groups.values(), key=lambda d: (d.adviser.position, d.adviser.id))
    stranded = [] if adviser_id is not None else booking.stranded(hall, at=moment)
    return ReceptionView(hall, advisers, stranded, bookable_services(hall), pending, moment,
                         read_only=adviser_id is not None, day=day)


FIND_LIMIT = 20


def find_bookings(hall: Hall, query: str | None, at: datetime | None = None) -> list[Appointment] | None:
    """Reception's search, for a resident who phones to cancel or move: open bookings from today
    on whose mobile number is the query (11 digits) or ends with it (the last 4), or whose
    check-in code it is (6 digits). None when the query is none of these."""
    digits = "".join(ch for ch in (query or "") if ch.isdigit())
    if len(digits) not in (4, 6, 11):
        return None
    found = select(Appointment).where(Appointment.hall_id == hall.id, Appointment.status == A.booked,
                                      Appointment.starts_at >= clock.start_of_day(hall, at))
    if len(digits) == 11:
        found = found.where(Appointment.phone == digits)
    elif len(digits) == 4:
        found = found.where(Appointment.phone.endswith(digits, autoescape=True))
    else:
        found = found.where(Appointment.short_code == digits)
    return list(db.session.scalars(found.order_by(Appointment.starts_at, Appointment.id).limit(FIND_LIMIT)))


def reception_tag(hall: Hall) -> str:
    """Changes with the queue (bookings and check-ins bump it) and once a minute, when a booking
    may pass its grace period."""
    minute = int(clock.now().timestamp() // 60)
    return f"appointments-{hall.id}-{queue.queue_version(hall.id)}-{minute}"


def staff_check_in(user: User, appointment_id: int) -> Ticket:
    appointment = appointment_of(user, appointment_id)
    if appointment.status == A.checked_in:
        raise WrongState(_l("This appointment has already been checked in."))
    return _check_in(appointment, user=user)


def staff_cancel(user: User, appointment_id: int, reason: str) -> Appointment:
    return booking.cancel(appointment_of(user, appointment_id), user=user, reason=reason)


def parse_choice(raw: str | None) -> tuple[datetime, int | None]:
    """A slot option's value: "<ISO start>@<adviser id>"."""
    start_text, _, adviser_text = (raw or "").partition("@")
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError:
        raise Invalid(_l("Please choose a time from the list.")) from None
    if start.tzinfo is None or not inputs.in_range(start.date()):
        raise Invalid(_l("Please choose a time from the list."))
    return start, inputs.parse_id(adviser_text)


def staff_move(user: User, appointment_id: int, choice: str) -> Appointment:
    appointment = appointment_of(user, appointment_id)
    start, adviser_id = parse_choice(choice)
    return booking.move(appointment, start, adviser_id=adviser_id, user=user)


def sweep(user: User) -> int:
    return booking.sweep_no_shows(user.hall)


# ---- a phone-in booking ----------------------------------------------------------------------

@dataclass
class BookingForm:
    services: list[Service]
    service: Service | None
    days: list[date]
    day: date | None
    slots: list[slots.Slot]
    advisers: dict[int, str]

    def day_label(self, day: date) -> str:
        from flask_babel import format_date
        return format_date(day, "MM-dd EEE")


def _service_of(hall: Hall, raw) -> Service | None:
    services = bookable_services(hall)
    if raw in (None, ""):
        return services[0] if services else None
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        raise Invalid(_l("Please choose a service.")) from None
    found = next((s for s in services if s.id == wanted), None)
    if found is None:
        raise Invalid(_l("Please choose a service."))
    return found


def booking_form(hall: Hall, service_id=None, day=None) -> BookingForm:
    """The phone-in form's choices: bookable services, the days with a free slot, that day's free
    times (one option per adviser and time)."""
    services = bookable_services(hall)
    try:
        service = _service_of(hall, service_id)
    except Invalid:
        service = services[0] if services else None
    if service is None:
        return BookingForm(services, None, [], None, [], {})
    days = slots.free_days(hall, service)
    chosen = None
    if day:
        chosen = inputs.parse_day(day)
    if chosen not in days:
        chosen = days[0] if days else None
    found = slots.slots(hall, service, chosen) if chosen else []
    return BookingForm(services, service, days, chosen, found, adviser_names(hall))


def move_options(appointment: Appointment) -> list[slots.Slot]:
    """Free slots of the same service inside the booking window, for rearranging a booking."""
    hall = appointment.hall
    window = slots.booking_window(hall)
    return slots.slots(hall, appointment.service, window.first_day, window.last_day)


def staff_book(user: User, form) -> Appointment:
    hall = user.hall
    service = _service_of(hall, form.get("service"))
    if service is None:
        raise Invalid(_l("No service takes appointments."))
    start, adviser_id = parse_choice(form.get("slot"))
    return booking.book(hall, service, start, phone=form.get("phone"), name=form.get("name"),
                        adviser_id=adviser_id, channel="phone", request_key=form.get("request_key") or None,
                        user=user).appointment


# ---- the console -----------------------------------------------------------------------------

def appointments_for_tickets(tickets: list[Ticket]) -> dict[int, Appointment]:
    """ticket id -> its appointment, for the console's 预约 marker (one query)."""
    ids = [t.id for t in tickets if t.due_at is not None]
    if not ids:
        return {}
    return {a.ticket_id: a for a in db.session.scalars(select(Appointment).where(Appointment.ticket_id.in_(ids)))}
