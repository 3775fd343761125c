"""What the resident's booking screens show, read in one call each: the kiosk's (/k/<hall>/book),
the phone's behind a hall poster's QR code (/p/<hall>/book) and the appointment's own page
(/a/<token>). The rules stay in slots.py and booking.py; this module only chooses and shapes.

The steps: a bookable service → by topic (a dispute category), by adviser, or anyone → a day with
free slots → a free time → phone (required) and name (optional) → booked.

Owned by the booking screens: views in kiosk/booking.py call one function of this module per
request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from . import booking, clock, inputs, queue, slots
from .categories import CATEGORIES, category_label, kind_label
from .errors import Invalid, NotFound
from .extensions import db
from .i18n import service_name
from .models import Adviser, Appointment, AppointmentStatus, Counter, Hall, Service

UTC = timezone.utc
A = AppointmentStatus

# Kiosk name entry without a keyboard: a tap on a common family name and a form of address
# ("王女士"), no pinyin. Anyone else skips it: the name is optional.
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
            "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
            "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡")
ADDRESS = {"mr": "先生", "ms": "女士"}


# ---- what the screens show ------------------------------------------------------------------

@dataclass
class AdviserCard:
    adviser: Adviser
    kind: str
    room: Counter | None
    specialties: list[str]

    @property
    def initials(self) -> str:
        """What stands in for a photo: the family name (the first character) of a Chinese name,
        the initials of a Latin one."""
        name = (self.adviser.name or "").strip()
        if not name:
            return "?"
        if name.isascii():
            return "".join(part[0] for part in name.split()[:2]).upper()
        return name[0]


@dataclass
class Choice:
    """Whom the resident chose: one adviser, anyone for a topic, or anyone at all."""
    adviser: Adviser | None = None
    topic: str | None = None

    @property
    def adviser_id(self) -> int | None:
        return self.adviser.id if self.adviser else None

    def params(self) -> dict:
        """The choice as URL parameters for the next step."""
        values = {}
        if self.adviser is not None:
            values["adviser"] = self.adviser.id
        if self.topic:
            values["topic"] = self.topic
        return values

    @property
    def topic_label(self) -> str:
        return category_label(self.topic) if self.topic else ""


@dataclass
class ServicesScreen:
    hall: Hall
    services: list[Service]


@dataclass
class Topic:
    code: str
    label: str
    advisers: int


@dataclass
class ServiceScreen:
    """How to choose: by topic, by adviser, or anyone (with the topics and advisers to offer)."""
    hall: Hall
    service: Service
    topics: list[Topic]
    cards: list[AdviserCard]
    topic: str | None = None

    @property
    def topic_label(self) -> str:
        return category_label(self.topic) if self.topic else ""


@dataclass
class DayChoice:
    day: date
    weekday: str   # 星期三 / Wednesday
    date_text: str  # 12月3日 / Dec 3
    relative: str  # 今天 / 明天 / ""
    free: int      # free seats that day


@dataclass
class DaysScreen:
    hall: Hall
    service: Service
    choice: Choice
    card: AdviserCard | None
    days: list[DayChoice]


@dataclass
class SlotGroup:
    card: AdviserCard
    slots: list[slots.Slot]


@dataclass
class TimesScreen:
    hall: Hall
    service: Service
    choice: Choice
    card: AdviserCard | None
    day: DayChoice
    groups: list[SlotGroup]


@dataclass
class DetailsScreen:
    """The last step: the chosen slot, then phone and name."""
    hall: Hall
    service: Service
    choice: Choice
    slot: slots.Slot
    card: AdviserCard
    day: DayChoice
    surnames: tuple = SURNAMES
    address: dict = field(default_factory=lambda: dict(ADDRESS))


@dataclass
class Alternative:
    slot: slots.Slot
    card: AdviserCard
    day: DayChoice


@dataclass
class AppointmentScreen:
    hall: Hall
    appointment: Appointment
    service: Service
    card: AdviserCard
    room: Counter | None
    day: DayChoice
    status: AppointmentStatus

    @property
    def open(self) -> bool:
        return self.status == A.booked

    @property
    def can_cancel(self) -> bool:
        return self.status == A.booked

    @property
    def can_move(self) -> bool:
        return self.status == A.booked


@dataclass
class MoveScreen:
    """Moving a booking: the days with free slots, then a day's free times (any adviser of the
    service, the booked adviser's first)."""
    screen: AppointmentScreen
    days: list[DayChoice]
    day: DayChoice | None = None
    groups: list[SlotGroup] = field(default_factory=list)


# ---- reading ----------------------------------------------------------------------------------

def _hall(slug: str) -> Hall:
    return queue.hall_by_slug(slug)


def bookable(hall: Hall) -> list[Service]:
    return [s for s in hall.offered_services if s.bookable]


def _service(hall: Hall, code: str) -> Service:
    return slots.bookable_service(hall, queue.service_by_code(hall, code))


def _advisers_of(hall: Hall, service: Service) -> list[Adviser]:
    """The active advisers who take appointments for a service, in the hall's order."""
    return list(db.session.scalars(
        select(Adviser).where(Adviser.hall_id == hall.id, Adviser.active.is_(True),
                              Adviser.services.any(Service.id == service.id))
        .order_by(Adviser.position, Adviser.id)))


def card(adviser: Adviser, counter_id: int | None = None) -> AdviserCard:
    room = db.session.get(Counter, counter_id) if counter_id else adviser.counter
    return AdviserCard(adviser, kind_label(adviser.kind), room,
                       [category_label(code) for code in adviser.specialty_codes])


def day_choice(hall: Hall, day: date, free: int = 0, at: datetime | None = None) -> DayChoice:
    today = clock.local_day(hall, at)
    relative = ""
    if day == today:
        relative = str(_l("Today"))
    elif day == today + timedelta(days=1):
        relative = str(_l("Tomorrow"))
    return DayChoice(day, format_date(day, "EEEE"), format_skeleton("MMMd", day, locale=get_locale()),
                     relative, free)


def parse_adviser(raw) -> int | None:
    if raw in (None, ""):
        return None
    adviser_id = inputs.parse_id(raw)
    if adviser_id is None:
        raise NotFound(_l("There is no such adviser."))
    return adviser_id


def parse_start(raw: str | None) -> datetime:
    """A slot's start as the screens send it (ISO 8601 with its offset); naive or garbled: Invalid."""
    try:
        start = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise booking.NoSuchSlot() from None
    if start.tzinfo is None or not inputs.in_range(start.date()):
        raise booking.NoSuchSlot()
    return start.astimezone(UTC)


def start_param(start: datetime) -> str:
    """A slot's start in a URL or a form: UTC, to the minute, no '+' to escape."""
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _choice(hall: Hall, service: Service, adviser_raw=None, topic: str | None = None) -> Choice:
    """Check what the resident chose: a known, active adviser of this service; a known topic."""
    topic = topic or None
    if topic is not None and topic not in CATEGORIES:
        raise NotFound(_l("There is no such topic."))
    adviser_id = parse_adviser(adviser_raw)
    adviser = booking._adviser(hall, adviser_id)  # unknown: NotFound; inactive: Invalid
    if adviser is not None and not any(s.id == service.id for s in adviser.services):
        raise Invalid(_l("This adviser does not take appointments for this service. Please choose another."))
    return Choice(adviser, topic)


def _allowed(hall: Hall, service: Service, choice: Choice) -> set[int] | None:
    """Which advisers' slots a choice covers: one, those of a topic, or (None) everyone."""
    if choice.adviser is not None:
        return {choice.adviser.id}
    if choice.topic:
        return {a.id for a in _advisers_of(hall, service) if choice.topic in a.specialty_codes}
    return None


def _free(hall: Hall, service: Service, choice: Choice, first: date, last: date,
          at: datetime | None = None) -> list[slots.Slot]:
    found = slots.slots(hall, service, first, last, adviser_id=choice.adviser_id, at=at)
    allowed = _allowed(hall, service, choice)
    return [s for s in found if allowed is None or s.adviser_id in allowed]


def _days_of(hall: Hall, found: list[slots.Slot], at: datetime | None = None) -> list[DayChoice]:
    free: dict[date, int] = {}
    for slot in found:
        day = clock.local_day(hall, slot.start)
        free[day] = free.get(day, 0) + slot.free
    return [day_choice(hall, day, n, at) for day, n in sorted(free.items())]


def _groups(found: list[slots.Slot], first_adviser: int | None = None) -> list[SlotGroup]:
    by_adviser = slots.group_by_adviser(found)
    advisers = {a.id: a for a in db.session.scalars(select(Adviser).where(Adviser.id.in_(list(by_adviser))))}
    order = sorted(by_adviser, key=lambda i: (i != first_adviser, advisers[i].position, i))
    return [SlotGroup(card(advisers[i]), by_adviser[i]) for i in order]


def _window_day(hall: Hall, raw: str | None, at: datetime | None = None) -> date:
    day = slots.parse_day(raw)
    window = slots.booking_window(hall, at)
    if not (window.first_day <= day <= window.last_day):
        raise booking.OutsideWindow()
    return day


# ---- the steps --------------------------------------------------------------------------------

def services(slug: str) -> ServicesScreen:
    hall = _hall(slug)
    return ServicesScreen(hall, bookable(hall))


def service(slug: str, code: str, topic: str | None = None) -> ServiceScreen:
    """Step two (how to choose) and, with a topic, the advisers for it."""
    hall = _hall(slug)
    found = _service(hall, code)
    if topic and topic not in CATEGORIES:
        raise NotFound(_l("There is no such topic."))
    advisers = _advisers_of(hall, found)
    counts = {code: sum(code in a.specialty_codes for a in advisers) for code in CATEGORIES}
    topics = [Topic(code, category_label(code), counts[code]) for code in CATEGORIES if counts[code]]
    if topic:
        advisers = [a for a in advisers if topic in a.specialty_codes]
    return ServiceScreen(hall, found, topics, [card(a) for a in advisers], topic or None)


def days(slug: str, code: str, adviser=None, topic: str | None = None,
         at: datetime | None = None) -> DaysScreen:
    hall = _hall(slug)
    found = _service(hall, code)
    choice = _choice(hall, found, adviser, topic)
    window = slots.booking_window(hall, at)
    free = _free(hall, found, choice, window.first_day, window.last_day, at)
    return DaysScreen(hall, found, choice, card(choice.adviser) if choice.adviser else None,
                      _days_of(hall, free, at))


def times(slug: str, code: str, day: str | None, adviser=None, topic: str | None = None,
          at: datetime | None = None) -> TimesScreen:
    hall = _hall(slug)
    found = _service(hall, code)
    choice = _choice(hall, found, adviser, topic)
    wanted = _window_day(hall, day, at)
    free = _free(hall, found, choice, wanted, wanted, at)
    return TimesScreen(hall, found, choice, card(choice.adviser) if choice.adviser else None,
                       day_choice(hall, wanted, sum(s.free for s in free), at), _groups(free))


def _slot(hall: Hall, service: Service, start: datetime, adviser_id: int | None,
          at: datetime | None = None) -> slots.Slot:
    """The free slot at `start` (with that adviser, or the one with most seats left)."""
    window = slots.booking_window(hall, at)
    day = clock.local_day(hall, start)
    if not (window.first_day <= day <= window.last_day) or not window.holds(start):
        raise booking.OutsideWindow()
    found = [s for s in slots.slots(hall, service, day, adviser_id=adviser_id, at=at, include_full=True)
             if s.start == start]
    if not found:
        raise booking.NoSuchSlot()
    best = sorted(found, key=lambda s: (-s.free, s.adviser_id))[0]
    if not best.free:
        raise booking.SlotTaken(slots.nearest_free(hall, service, start, adviser_id=adviser_id, at=at))
    return best


def details(slug: str, code: str, start: str | None, adviser=None, topic: str | None = None,
            at: datetime | None = None) -> DetailsScreen:
    """The phone-and-name step for one free slot; a taken one raises SlotTaken with the nearest."""
    hall = _hall(slug)
    found = _service(hall, code)
    choice = _choice(hall, found, adviser, topic)
    slot = _slot(hall, found, parse_start(start), choice.adviser_id, at)
    return DetailsScreen(hall, found, choice, slot, card(db.session.get(Adviser, slot.adviser_id), slot.counter_id),
                         day_choice(hall, clock.local_day(hall, slot.start), at=at))


def kiosk_name(surname: str | None, address: str | None) -> str:
    """"王女士" from two taps; the family name alone ("王") when Mr or Ms was not tapped (staff
    still know whom to ask for); nothing without a family name, or one not offered."""
    if surname not in SURNAMES:
        return ""
    return surname + ADDRESS.get(address or "", "")


def book(slug: str, code: str, *, start: str | None, adviser=None, phone: str | None, name: str | None = "",
         channel: str = "kiosk", request_key: str | None = None, at: datetime | None = None) -> booking.Booked:
    """Book the slot; the same request_key again gives the same booking (a double tap books once)."""
    hall = _hall(slug)
    found = _service(hall, code)
    key = (request_key or "").strip() or None
    if key is not None and not (8 <= len(key) <= 64):
        key = None
    return booking.book(hall, found, parse_start(start), phone=phone, name=name,
                        adviser_id=parse_adviser(adviser), channel=channel, request_key=key, at=at)


def alternatives(hall: Hall, taken: booking.SlotTaken, at: datetime | None = None) -> list[Alternative]:
    """The nearest free times a refused booking offers, ready to show as buttons, in the order
    of the day."""
    return [Alternative(s, card(db.session.get(Adviser, s.adviser_id), s.counter_id),
                        day_choice(hall, clock.local_day(hall, s.start), at=at))
            for s in sorted(taken.alternatives, key=lambda s: (s.start, s.adviser_id))]


# ---- the appointment's own page ---------------------------------------------------------------

def appointment(token: str, at: datetime | None = None) -> AppointmentScreen:
    found = booking.by_token(token)
    hall = found.hall
    return AppointmentScreen(hall, found, found.service, card(found.adviser, found.counter_id),
                             found.counter or found.adviser.counter,
                             day_choice(hall, clock.local_day(hall, found.starts_at), at=at),
                             booking.effective_status(found, at))


def confirmation(slug: str, token: str, at: datetime | None = None) -> AppointmentScreen:
    """The kiosk's confirmation screen: only for an appointment of this hall."""
    hall = _hall(slug)
    screen = appointment(token, at)
    if screen.hall.id != hall.id:
        raise NotFound(_l("There is no such appointment."))
    return screen


def cancel(token: str, at: datetime | None = None) -> AppointmentScreen:
    """The resident cancels from the QR page; a booking whose time has passed (a no-show, even
    before the sweep writes it down) stays as it is."""
    found = booking.by_token(token)
    if booking.effective_status(found, at) != A.booked:
        raise booking.WrongState(_l("This appointment can no longer be cancelled."))
    booking.cancel(found, at=at)
    return appointment(token, at)


def _movable(token: str, at: datetime | None = None) -> AppointmentScreen:
    screen = appointment(token, at)
    if not screen.can_move:
        raise booking.WrongState(_l("This appointment can no longer be moved."))
    return screen


def move_days(token: str, at: datetime | None = None) -> MoveScreen:
    screen = _movable(token, at)
    window = slots.booking_window(screen.hall, at)
    free = _free(screen.hall, screen.service, Choice(), window.first_day, window.last_day, at)
    return MoveScreen(screen, _days_of(screen.hall, free, at))


def move_times(token: str, day: str | None, at: datetime | None = None) -> MoveScreen:
    screen = _movable(token, at)
    wanted = _window_day(screen.hall, day, at)
    window = slots.booking_window(screen.hall, at)
    all_free = _free(screen.hall, screen.service, Choice(), window.first_day, window.last_day, at)
    todays = [s for s in all_free if clock.local_day(screen.hall, s.start) == wanted]
    return MoveScreen(screen, _days_of(screen.hall, all_free, at),
                      day_choice(screen.hall, wanted, sum(s.free for s in todays), at),
                      _groups(todays, screen.appointment.adviser_id))


def move(token: str, start: str | None, adviser=None, at: datetime | None = None) -> AppointmentScreen:
    found = booking.by_token(token)
    if booking.effective_status(found, at) != A.booked:
        raise booking.WrongState(_l("This appointment can no longer be moved."))
    booking.move(found, parse_start(start), adviser_id=parse_adviser(adviser), at=at)
    return appointment(token, at)


def ics(token: str, url: str) -> bytes:
    """The appointment as an iCalendar file: times in UTC, a UID from the token, the hall and
    the room as its location, in the reader's language."""
    from icalendar import Calendar, Event

    screen = appointment(token)
    found, hall = screen.appointment, screen.hall
    room = room_text(screen.room)
    calendar = Calendar()
    calendar.add("prodid", "-//Fengqiao Hall//Appointments//ZH")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{found.token}@fengqiao-hall")
    event.add("dtstamp", (found.created_at or clock.now()).astimezone(UTC))
    event.add("dtstart", found.starts_at.astimezone(UTC))
    event.add("dtend", found.ends_at.astimezone(UTC))
    event.add("summary", _("Appointment: %(service)s with %(adviser)s",
                           service=service_name(screen.service), adviser=found.adviser.name))
    event.add("location", f"{hall.name} {room}".strip())
    event.add("description", _("Check-in code: %(code)s. Please check in at the kiosk a few minutes early.",
                               code=found.short_code) + "\n" + url)
    event.add("url", url)
    event.add("status", "CANCELLED" if found.status == A.cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def room_text(room: Counter | None) -> str:
    """"3 号窗口（老傅调解室）" or "" when the adviser has no room."""
    if room is None:
        return ""
    if room.name:
        return _("Window %(number)s (%(room)s)", number=room.number, room=room.name)
    return _("Window %(number)s", number=room.number)
