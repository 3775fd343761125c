"""Advisers and their duty rosters, as the hall's administrator keeps them: who serves residents
(name, kind, specialties, usual room, photo, login, services), their weekly pattern of duty,
dated exceptions (leave, extra sessions), the days the whole hall is closed, and the printable
week.

Everything is checked before anything is saved: bad input raises RosterInvalid, whose `errors`
maps each wrong field to a message in the reader's language, and changes nothing. Every change
bumps the hall's queue version (the kiosk's 今日值班 and the booking screens refresh) and commits.
Lookups take the member of staff and answer NotFound for another hall's rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from . import clock, images, inputs, queue, slots
from .categories import CATEGORIES, clean_specialties
from .errors import Invalid, NotFound
from .extensions import db
from .models import (
    Adviser, AdviserKind, ClosedDay, Counter, ExceptionKind, Hall, Role, Service, Shift,
    ShiftException, User,
)
from .settings import SettingsInvalid, line_in, parse_time

NAME_MAX = 40
INTRO_MAX = 500
NOTE_MAX = 200
CLOSED_NAME_MAX = 60
PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # refuse a decompression bomb before decoding it
PHOTO_MAX_SIDE = 1200           # stored at most this wide or high: plenty for a kiosk card
PHOTO_TYPES = images.TYPES  # what clean_photo keeps (hall/images.py)


class RosterInvalid(SettingsInvalid):
    """Several fields may be wrong at once: errors maps a field name to its message."""


# ---- reading the form's values -----------------------------------------------------------------

def _time(raw) -> time | None:
    return parse_time(raw, seconds=False)  # a roster is in whole minutes


_day = inputs.parse_day  # a day within the years the screens show, else None
_id = inputs.parse_id  # a row id (or a small number: a weekday) 1..2^31-1, else None


def _many(values: Mapping, name: str) -> list[str]:
    """A multi-valued field: a MultiDict's getlist, or a list, or one string."""
    if hasattr(values, "getlist"):
        return [str(v) for v in values.getlist(name)]
    raw = values.get(name)
    if raw is None:
        return []
    if isinstance(raw, (list, tuple, set)):
        return [str(v) for v in raw]
    return [str(raw)]


def _flag(values: Mapping, name: str) -> bool:
    return str(values.get(name) or "").strip().lower() in ("1", "on", "true", "yes", "y")


def hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


# ---- lookups, always within the member of staff's hall ----------------------------------------

def _own(model, hall_id: int, object_id: int):
    thing = db.session.get(model, object_id)
    if thing is None or thing.hall_id != hall_id:
        raise NotFound()
    return thing


def adviser_of(user: User, adviser_id: int) -> Adviser:
    return _own(Adviser, user.hall_id, adviser_id)


def shift_of(user: User, shift_id: int) -> Shift:
    shift = db.session.get(Shift, shift_id)
    if shift is None or shift.adviser.hall_id != user.hall_id:
        raise NotFound()
    return shift


def exception_of(user: User, exception_id: int) -> ShiftException:
    found = db.session.get(ShiftException, exception_id)
    if found is None or found.adviser.hall_id != user.hall_id:
        raise NotFound()
    return found


def closed_day_of(user: User, closed_day_id: int) -> ClosedDay:
    return _own(ClosedDay, user.hall_id, closed_day_id)


def advisers(hall: Hall) -> list[Adviser]:
    return list(db.session.scalars(
        select(Adviser).where(Adviser.hall_id == hall.id).order_by(Adviser.position, Adviser.id)))


def counters(hall: Hall) -> list[Counter]:
    return list(db.session.scalars(
        select(Counter).where(Counter.hall_id == hall.id).order_by(Counter.number)))


def rooms(hall: Hall) -> list[Counter]:
    """The rooms an adviser or a roster range may be given: not the retired ones."""
    return [c for c in counters(hall) if c.active]


def services(hall: Hall) -> list[Service]:
    """The services an adviser may be given: not the retired ones."""
    return list(db.session.scalars(
        select(Service).where(Service.hall_id == hall.id, Service.retired.is_(False))
        .order_by(Service.position, Service.id)))


def linkable_users(hall: Hall, adviser: Adviser | None = None) -> list[User]:
    """Mediator logins of the hall that no other adviser is linked to."""
    taken = select(Adviser.user_id).where(Adviser.user_id.is_not(None))
    if adviser is not None and adviser.id is not None:
        taken = taken.where(Adviser.id != adviser.id)
    return list(db.session.scalars(
        select(User).where(User.hall_id == hall.id, User.role == Role.mediator, User.id.not_in(taken))
        .order_by(User.display_name, User.username)))


def closed_days(hall: Hall, since: date | None = None) -> list[ClosedDay]:
    query = select(ClosedDay).where(ClosedDay.hall_id == hall.id).order_by(ClosedDay.day)
    if since is not None:
        query = query.where(ClosedDay.day >= since)
    return list(db.session.scalars(query))


def _counter_in(hall: Hall, raw, errors: dict, name: str = "counter_id") -> Counter | None:
    counter_id = _id(raw)
    if str(raw or "").strip() == "":
        return None
    counter = db.session.get(Counter, counter_id) if counter_id else None
    if counter is None or counter.hall_id != hall.id or not counter.active:  # a retired one is not offered
        errors[name] = _l("Please choose a room from the list.")
        return None
    return counter


def _changed(hall_id: int) -> None:
    queue.bump_version(hall_id)
    db.session.commit()


# ---- advisers ----------------------------------------------------------------------------------

def clean_adviser(hall: Hall, values: Mapping, adviser: Adviser | None = None) -> dict:
    """Check an adviser's form. Returns the typed values or raises RosterInvalid."""
    errors: dict[str, object] = {}
    cleaned: dict = {}

    name = line_in(values, "name")
    if not name:
        errors["name"] = _l("Please enter the adviser's name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _l("The name can have at most %(n)s characters.", n=NAME_MAX)
    cleaned["name"] = name

    try:
        cleaned["kind"] = AdviserKind(str(values.get("kind") or "").strip())
    except ValueError:
        errors["kind"] = _l("Please choose what kind of adviser this is.")

    codes = _many(values, "specialties")
    if any(code not in CATEGORIES for code in codes):
        errors["specialties"] = _l("Please choose specialties from the list.")
    cleaned["specialties"] = clean_specialties(codes)

    cleaned["counter"] = _counter_in(hall, values.get("counter_id"), errors)

    intro = str(values.get("intro") or "").strip().replace("\r\n", "\n")
    if len(intro) > INTRO_MAX:
        errors["intro"] = _l("The introduction can have at most %(n)s characters.", n=INTRO_MAX)
    cleaned["intro"] = intro

    cleaned["active"] = _flag(values, "active")

    user = None
    if str(values.get("user_id") or "").strip():
        user_id = _id(values.get("user_id"))
        user = db.session.get(User, user_id) if user_id else None
        if user is None or user.hall_id != hall.id:
            errors["user_id"] = _l("Please choose a login from the list.")
            user = None
        elif user.role != Role.mediator:
            errors["user_id"] = _l("Only a mediator's login can be linked to an adviser.")
            user = None
        else:
            other = db.session.scalar(select(Adviser).where(Adviser.user_id == user.id))
            if other is not None and (adviser is None or other.id != adviser.id):
                errors["user_id"] = _l("This login already belongs to %(name)s.", name=other.name)
                user = None
    cleaned["user"] = user

    chosen: list[Service] = []
    for raw in _many(values, "services"):
        service_id = _id(raw)
        service = db.session.get(Service, service_id) if service_id else None
        if service is None or service.hall_id != hall.id:
            errors["services"] = _l("Please choose services from the list.")
            break
        if service not in chosen:
            chosen.append(service)
    cleaned["services"] = sorted(chosen, key=lambda s: (s.position, s.id))

    if errors:
        raise RosterInvalid(errors)
    return cleaned


def save_adviser(hall: Hall, values: Mapping, adviser: Adviser | None = None) -> Adviser:
    """Create (adviser=None) or update an adviser; on any error nothing is saved."""
    if adviser is not None and adviser.hall_id != hall.id:
        raise NotFound()
    cleaned = clean_adviser(hall, values, adviser)
    if adviser is None:
        last = db.session.scalar(select(func.max(Adviser.position)).where(Adviser.hall_id == hall.id))
        adviser = Adviser(hall_id=hall.id, position=(last or 0) + 1)
        db.session.add(adviser)
    adviser.name = cleaned["name"]
    adviser.kind = cleaned["kind"]
    adviser.specialties = cleaned["specialties"]
    adviser.counter = cleaned["counter"]
    adviser.intro = cleaned["intro"]
    adviser.active = cleaned["active"]
    adviser.user = cleaned["user"]
    adviser.services = cleaned["services"]
    _changed(hall.id)
    return adviser


def clean_photo(data: bytes | None) -> tuple[bytes, str]:
    """A JPEG or PNG, checked by its content (never its name or declared type), at most 2 MB,
    turned upright and re-encoded so that no EXIF (camera, place, time) or other metadata is
    kept (hall/images.py). Returns (bytes, MIME type) or raises RosterInvalid."""
    try:
        return images.clean_image(data, max_bytes=PHOTO_MAX_BYTES, max_side=PHOTO_MAX_SIDE,
                                  max_pixels=PHOTO_MAX_PIXELS)
    except Invalid as error:
        raise RosterInvalid({"photo": error.message}) from None


def set_photo(adviser: Adviser, data: bytes | None) -> Adviser:
    adviser.photo, adviser.photo_type = clean_photo(data)
    _changed(adviser.hall_id)
    return adviser


def remove_photo(adviser: Adviser) -> Adviser:
    adviser.photo, adviser.photo_type = None, None
    _changed(adviser.hall_id)
    return adviser


def photo_of(adviser_id: int, hall_id: int | None = None) -> tuple[bytes, str]:
    """An adviser's stored photo and its type; NotFound when there is none (or, for the public,
    when the adviser no longer serves: hall_id None means an anonymous reader)."""
    adviser = db.session.get(Adviser, adviser_id)
    if adviser is None or not adviser.photo_type:
        raise NotFound()
    if hall_id is None and not adviser.active:
        raise NotFound()
    if hall_id is not None and adviser.hall_id != hall_id:
        raise NotFound()
    data = adviser.photo
    if not data:
        raise NotFound()
    return data, adviser.photo_type


# ---- the weekly pattern ------------------------------------------------------------------------

def _parity(day: date) -> int:
    return ((slots.week_start(day) - date(2001, 1, 1)).days // 7) % 2  # 2001-01-01 was a Monday


def _overlaps(a: Mapping, b: Shift) -> bool:
    """Two ranges of one adviser clash when they share a weekday, a time and a date, and (for two
    every-other-week ranges) the same weeks."""
    if a["weekday"] != b.weekday or a["ends_at"] <= b.starts_at or b.ends_at <= a["starts_at"]:
        return False
    a_last, b_last = a["valid_until"] or date.max, b.valid_until or date.max
    if a_last < b.valid_from or b_last < a["valid_from"]:
        return False
    if a["every_weeks"] == 2 and b.every_weeks == 2 and _parity(a["valid_from"]) != _parity(b.valid_from):
        return False
    return True


def clean_shift(adviser: Adviser, values: Mapping, shift: Shift | None = None,
                today: date | None = None) -> dict:
    errors: dict[str, object] = {}
    cleaned: dict = {}

    weekday = _id(values.get("weekday"))
    if weekday is None or not 1 <= weekday <= 7:
        errors["weekday"] = _l("Please choose a day of the week.")
    cleaned["weekday"] = weekday

    starts, ends = _time(values.get("starts_at")), _time(values.get("ends_at"))
    if starts is None:
        errors["starts_at"] = _l("Please enter a time such as 09:00.")
    if ends is None:
        errors["ends_at"] = _l("Please enter a time such as 11:30.")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _l("The end must be after the start.")
    cleaned["starts_at"], cleaned["ends_at"] = starts, ends

    every = _id(values.get("every_weeks") or "1")
    if every not in (1, 2):
        errors["every_weeks"] = _l("Please choose every week or every other week.")
    cleaned["every_weeks"] = every

    raw_from = str(values.get("valid_from") or "").strip()
    valid_from = _day(raw_from) if raw_from else (today or clock.local_day(adviser.hall))
    if valid_from is None:
        errors["valid_from"] = _l("Please give a date as YYYY-MM-DD.")
    cleaned["valid_from"] = valid_from

    raw_until = str(values.get("valid_until") or "").strip()
    valid_until = _day(raw_until) if raw_until else None
    if raw_until and valid_until is None:
        errors["valid_until"] = _l("Please give a date as YYYY-MM-DD.")
    elif valid_until and valid_from and valid_until < valid_from:
        errors["valid_until"] = _l("The last day cannot be before the first day.")
    cleaned["valid_until"] = valid_until

    cleaned["counter"] = _counter_in(adviser.hall, values.get("counter_id"), errors)

    if not errors:
        for other in adviser.shifts:
            if (shift is None or other.id != shift.id) and _overlaps(cleaned, other):
                errors["starts_at"] = _l(
                    "This overlaps %(day)s %(start)s–%(end)s already in the pattern. "
                    "Change or delete that range first.",
                    day=weekday_name(other.weekday), start=hhmm(other.starts_at), end=hhmm(other.ends_at))
                break

    if errors:
        raise RosterInvalid(errors)
    return cleaned


def save_shift(adviser: Adviser, values: Mapping, shift: Shift | None = None,
               today: date | None = None) -> Shift:
    """Add (shift=None) or change a range of the adviser's weekly pattern."""
    if shift is not None and shift.adviser_id != adviser.id:
        raise NotFound()
    cleaned = clean_shift(adviser, values, shift, today)
    if shift is None:
        shift = Shift(adviser=adviser)
        db.session.add(shift)
    shift.weekday = cleaned["weekday"]
    shift.starts_at, shift.ends_at = cleaned["starts_at"], cleaned["ends_at"]
    shift.every_weeks = cleaned["every_weeks"]
    shift.valid_from, shift.valid_until = cleaned["valid_from"], cleaned["valid_until"]
    shift.counter = cleaned["counter"]
    _changed(adviser.hall_id)
    return shift


def delete_shift(shift: Shift) -> None:
    adviser = shift.adviser
    adviser.shifts.remove(shift)
    _changed(adviser.hall_id)


# ---- dated exceptions --------------------------------------------------------------------------

def clean_exception(adviser: Adviser, values: Mapping) -> dict:
    errors: dict[str, object] = {}
    cleaned: dict = {}

    try:
        kind = ExceptionKind(str(values.get("kind") or "").strip())
    except ValueError:
        kind = None
        errors["kind"] = _l("Please choose leave or an extra session.")
    cleaned["kind"] = kind

    day = _day(values.get("day"))
    if day is None:
        errors["day"] = _l("Please give a date as YYYY-MM-DD.")
    cleaned["day"] = day

    raw_start, raw_end = str(values.get("starts_at") or "").strip(), str(values.get("ends_at") or "").strip()
    starts, ends = _time(raw_start), _time(raw_end)
    if kind == ExceptionKind.leave and not raw_start and not raw_end:
        starts = ends = None  # the whole day
    else:
        if starts is None:
            errors["starts_at"] = (_l("Please enter a time such as 09:00, or leave both times empty for the whole day.")
                                   if kind == ExceptionKind.leave else _l("Please enter a time such as 09:00."))
        if ends is None:
            errors["ends_at"] = _l("Please enter a time such as 11:30.")
        if starts and ends and ends <= starts:
            errors["ends_at"] = _l("The end must be after the start.")
    cleaned["starts_at"], cleaned["ends_at"] = starts, ends

    counter = _counter_in(adviser.hall, values.get("counter_id"), errors)
    cleaned["counter"] = counter if kind == ExceptionKind.extra else None

    note = line_in(values, "note")
    if len(note) > NOTE_MAX:
        errors["note"] = _l("The note can have at most %(n)s characters.", n=NOTE_MAX)
    cleaned["note"] = note

    if errors:
        raise RosterInvalid(errors)
    return cleaned


def save_exception(adviser: Adviser, values: Mapping, exception: ShiftException | None = None) -> ShiftException:
    """Add (exception=None) or change a dated exception: leave (the whole day, or some hours)
    or an extra session with its times and, if not the usual one, its room."""
    if exception is not None and exception.adviser_id != adviser.id:
        raise NotFound()
    cleaned = clean_exception(adviser, values)
    if exception is None:
        exception = ShiftException(adviser=adviser)
        db.session.add(exception)
    for name, value in cleaned.items():
        setattr(exception, name, value)
    _changed(adviser.hall_id)
    return exception


def delete_exception(exception: ShiftException) -> None:
    adviser = exception.adviser
    adviser.exceptions.remove(exception)
    _changed(adviser.hall_id)


def exceptions_from(adviser: Adviser, since: date) -> list[ShiftException]:
    return [e for e in adviser.exceptions if e.day >= since]


# ---- the hall's closed days --------------------------------------------------------------------

def clean_closed_day(hall: Hall, values: Mapping, closed: ClosedDay | None = None) -> dict:
    errors: dict[str, object] = {}
    day = _day(values.get("day"))
    if day is None:
        errors["day"] = _l("Please give a date as YYYY-MM-DD.")
    else:
        other = db.session.scalar(select(ClosedDay).where(ClosedDay.hall_id == hall.id, ClosedDay.day == day))
        if other is not None and (closed is None or other.id != closed.id):
            errors["day"] = _l("%(day)s is already a closed day (%(name)s).", day=day.isoformat(), name=other.name)
    name = line_in(values, "name")
    if not name:
        errors["name"] = _l("Please name the day, for example 国庆节.")
    elif len(name) > CLOSED_NAME_MAX:
        errors["name"] = _l("The name can have at most %(n)s characters.", n=CLOSED_NAME_MAX)
    if errors:
        raise RosterInvalid(errors)
    return {"day": day, "name": name}


def save_closed_day(hall: Hall, values: Mapping, closed: ClosedDay | None = None) -> ClosedDay:
    """Add (closed=None) or change a day the whole hall is closed: nobody is on duty, no slots."""
    if closed is not None and closed.hall_id != hall.id:
        raise NotFound()
    cleaned = clean_closed_day(hall, values, closed)
    if closed is None:
        closed = ClosedDay(hall_id=hall.id)
        db.session.add(closed)
    closed.day, closed.name = cleaned["day"], cleaned["name"]
    _changed(hall.id)
    return closed


def delete_closed_day(closed: ClosedDay) -> None:
    hall_id = closed.hall_id
    db.session.delete(closed)
    _changed(hall_id)


# ---- reading: who is on duty -------------------------------------------------------------------

WEEKDAY_NAMES = {1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"),
                 5: _l("Friday"), 6: _l("Saturday"), 7: _l("Sunday")}


def weekday_name(weekday: int) -> str:
    return str(WEEKDAY_NAMES.get(weekday, weekday))


@dataclass
class DutyEntry:
    """One adviser's stretch of duty on a day, in the hall's local time."""
    adviser: Adviser
    starts_at: time
    ends_at: time
    counter: Counter | None


@dataclass
class DayRow:
    day: date
    closed: str | None  # the closed day's name, or None
    entries: list[DutyEntry] = field(default_factory=list)

    @property
    def weekday(self) -> str:
        return weekday_name(self.day.isoweekday())


def _entries(hall: Hall, duties: Iterable[slots.Duty], rooms: dict[int, Counter]) -> list[tuple[date, DutyEntry]]:
    found = []
    for item in duties:
        start, end = clock.local(hall, item.start), clock.local(hall, item.end)
        found.append((start.date(), DutyEntry(item.adviser, start.time().replace(tzinfo=None),
                                              end.time().replace(tzinfo=None), rooms.get(item.counter_id))))
    return found


def week_view(hall: Hall, monday: date) -> list[DayRow]:
    """The printable week: for each of the seven days from the Monday of `monday`'s week, who is
    on duty from when to when in which room (closed days named, and empty)."""
    first = slots.week_start(monday)
    last = first + timedelta(days=6)
    rooms = {c.id: c for c in counters(hall)}
    closed = slots.closed_days(hall, first, last)
    rows = {first + timedelta(days=n): DayRow(first + timedelta(days=n), closed.get(first + timedelta(days=n)))
            for n in range(7)}
    for day, entry in _entries(hall, slots.duty(hall, first, last), rooms):
        if day in rows:
            rows[day].entries.append(entry)
    return [rows[day] for day in sorted(rows)]


@dataclass
class AdviserWeek:
    """One line of the printed week: an adviser and, for each of the seven days, their duty."""
    adviser: Adviser
    days: list[list[DutyEntry]]


def by_adviser(days: list[DayRow]) -> list[AdviserWeek]:
    """The week turned around for print: one line per adviser on duty that week (in the order
    of the list of advisers), one cell per day."""
    lines: dict[int, AdviserWeek] = {}
    for index, row in enumerate(days):
        for entry in row.entries:
            line = lines.get(entry.adviser.id)
            if line is None:
                line = lines[entry.adviser.id] = AdviserWeek(entry.adviser, [[] for _ in days])
            line.days[index].append(entry)
    return sorted(lines.values(), key=lambda line: (line.adviser.position, line.adviser.id))


@dataclass
class OnDuty:
    """One adviser on the kiosk's 今日值班 panel: their stretches of today, in their room."""
    adviser: Adviser
    counter: Counter | None
    spans: list[tuple[time, time]]

    @property
    def times(self) -> str:
        return "  ".join(f"{hhmm(a)}–{hhmm(b)}" for a, b in self.spans)


def today_panel(hall: Hall, at=None) -> list[OnDuty]:
    """Who is on duty today, one entry per adviser in the order they start."""
    rooms = {c.id: c for c in counters(hall)}
    panel: dict[int, OnDuty] = {}
    for _day, entry in _entries(hall, slots.on_duty_today(hall, at), rooms):
        item = panel.get(entry.adviser.id)
        if item is None:
            item = panel[entry.adviser.id] = OnDuty(entry.adviser, entry.counter, [])
        item.spans.append((entry.starts_at, entry.ends_at))
        if item.counter is None:
            item.counter = entry.counter
    return list(panel.values())
