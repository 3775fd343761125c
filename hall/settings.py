"""A hall's own settings, as its administrator edits them: name, notice, opening hours, the
kiosk's idle times, the API's ticket limit, the booking window and check-in times, which services
take appointments (slot length, seats per slot), the case numbers' code and each case step's
limit in days. The services and counters themselves are hall.services_admin's.

Everything is checked before anything is saved: bad input changes nothing and every problem
comes back at once, each with a message in the reader's language (SettingsInvalid.errors).
"""
from __future__ import annotations

import re
from datetime import time
from typing import Mapping

import limits
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from . import queue

from .cases import STEP_DAYS
from .errors import FieldsInvalid
from .extensions import db
from .models import CASE_STEPS, Case, Hall, Service

WEEKDAYS = "1234567"  # ISO: 1 Monday … 7 Sunday
KIOSK_IDLE = (15, 600)
TICKET_IDLE = (10, 300)
BOOKING_NOTICE = (0, 7 * 24 * 60)  # minutes
BOOKING_DAYS = (1, 90)
CHECKIN_EARLY = (0, 120)  # minutes before the slot a checked-in ticket goes first
CHECKIN_GRACE = (0, 120)  # minutes after the start a booking still counts
SLOT_MINUTES = (5, 240)
SLOT_CAPACITY = (1, 50)
STEP_DAYS_RANGE = (1, 365)  # a case step's limit before it is overdue
_CASE_CODE = re.compile(r"[A-Z0-9]{1,12}")
NAME_MAX = 120
NOTICE_MAX = 500
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")


class SettingsInvalid(FieldsInvalid):
    """Several fields may be wrong at once: errors maps a field name to its message."""


def parse_time(raw, *, seconds: bool = True) -> time | None:
    """A wall-clock time typed in a form, 08:30 (or 23:59:59 where seconds are allowed); None
    when it is not one."""
    match = _TIME.fullmatch(str(raw or "").strip())
    if not match or (match.group(3) and not seconds):
        return None
    hour, minute, second = match.groups()
    return time(int(hour), int(minute), int(second or 0))


def line_in(values: Mapping, name: str) -> str:
    """A line of text typed in a form: its spaces, tabs and newlines collapsed to single spaces."""
    return " ".join(str(values.get(name) or "").split())


def whole_in(raw, low: int, high: int) -> int | None:
    """A whole number typed in a form, from low to high; None when it is not one."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high else None


# The API ticket limit as the administrator enters it: how many tickets per minute, per hour,
# per day (any of them, at least one), stored in Flask-Limiter notation "30 per minute; 200 per hour".
LIMIT_UNITS = ("minute", "hour", "day")
LIMIT_AMOUNT = (1, 100000)


def limit_field(unit: str) -> str:
    """The form field of one period's number: api_limit-minute, …"""
    return f"api_limit-{unit}"


def limit_rows(stored: str | None) -> tuple[dict[str, int], str]:
    """A stored limit as the form shows it: {unit: number} for the parts per minute, hour or day,
    and the text of any part these fields cannot show ("5 per second", written by hand), else ""."""
    rows: dict[str, int] = {}
    other = []
    try:
        items = limits.parse_many(stored or "") if stored else []
    except ValueError:
        return rows, str(stored)
    for item in items:
        unit = item.GRANULARITY.name
        if unit in LIMIT_UNITS and item.multiples == 1:
            rows[unit] = min(item.amount, rows.get(unit, item.amount))
        else:
            other.append(f"{item.amount} per {item.multiples} {unit}s" if item.multiples != 1
                         else f"{item.amount} per {unit}")
    return rows, "; ".join(other)


def clean_limit(values: Mapping, errors: dict) -> str | None:
    """The numbers per minute, hour and day, as one Flask-Limiter string; None when wrong."""
    parts, bad = [], []
    for unit in LIMIT_UNITS:
        raw = str(values.get(limit_field(unit)) or "").strip()
        if not raw:
            continue
        amount = whole_in(raw, *LIMIT_AMOUNT)
        if amount is None:
            bad.append(unit)
            errors[limit_field(unit)] = _l("“%(value)s” is not a number of tickets: please enter a whole number "
                                           "from %(low)s to %(high)s, or leave it empty.",
                                           value=raw[:20], low=LIMIT_AMOUNT[0], high=LIMIT_AMOUNT[1])
        else:
            parts.append(f"{amount} per {unit}")
    if bad:
        return None
    if not parts:
        errors["api_ticket_limit"] = _l("Please enter at least one limit, such as 30 tickets per minute.")
        return None
    return check_rate_limit("; ".join(parts))


def check_rate_limit(raw: str | None) -> str | None:
    """Flask-Limiter rates such as "30 per minute; 200 per hour", each at least one a period;
    None when it is not that or longer than the column."""
    text = " ".join((raw or "").split())
    if not text or len(text) > 60:
        return None
    try:
        items = limits.parse_many(text)
    except ValueError:
        return None
    return text if items and all(item.amount >= 1 for item in items) else None


_OUT_OF_RANGE = {
    "minutes": lambda low, high: _l("Please enter a whole number of minutes from %(low)s to %(high)s.",
                                    low=low, high=high),
    "days": lambda low, high: _l("Please enter a whole number of days from %(low)s to %(high)s.", low=low, high=high),
    "number": lambda low, high: _l("Please enter a whole number from %(low)s to %(high)s.", low=low, high=high),
}


def _whole(values: Mapping, field: str, bounds: tuple[int, int], errors: dict, unit: str) -> int | None:
    value = whole_in(values.get(field), *bounds)
    if value is None:
        errors[field] = _OUT_OF_RANGE[unit](*bounds)
    return value


def service_field(service: Service, name: str) -> str:
    """The form field of one service's booking setting: bookable-A, slot_minutes-A, …"""
    return f"{name}-{service.code}"


def clean_services(values: Mapping, services, errors: dict) -> dict[int, dict]:
    """Which services take appointments, with their slot length and seats per slot. A service
    the form does not show (added beside the form after it was opened) keeps its settings."""
    cleaned = {}
    for service in services:
        minutes, seats = service_field(service, "slot_minutes"), service_field(service, "slot_capacity")
        if minutes not in values and seats not in values:
            continue
        cleaned[service.id] = {
            "bookable": str(values.get(service_field(service, "bookable")) or "") in ("1", "on", "true"),
            "slot_minutes": _whole(values, minutes, SLOT_MINUTES, errors, "minutes"),
            "slot_capacity": _whole(values, seats, SLOT_CAPACITY, errors, "number"),
        }
    return cleaned


def step_field(step) -> str:
    """The form field of one case step's limit in days: step_days-intake, …"""
    return f"step_days-{getattr(step, 'value', step)}"


def clean_case_code(raw, hall: Hall | None = None) -> tuple[str, str | None]:
    """The code case numbers start with (GS in GS-2026-0001): letters and digits, stored in
    capitals; empty for the slug. Returns (code, problem). Case numbers are unique across the
    server, so no two halls may number with the same code."""
    code = "".join(str(raw or "").split()).upper()
    if code and not _CASE_CODE.fullmatch(code):
        return code, _l("Please use up to 12 letters and digits, such as GS.")
    effective = code or (hall.slug.upper() if hall is not None else "")
    if effective and hall is not None:
        others = db.session.scalars(select(Hall).where(Hall.id != hall.id)).all()
        taken = any((o.case_code or o.slug).upper() == effective for o in others) or db.session.scalar(
            select(Case.id).where(Case.hall_id != hall.id, Case.number.startswith(effective + "-", autoescape=True))
            .limit(1)) is not None
        if taken:
            return code, _l("Another hall numbers its cases with %(code)s: please choose another code.", code=effective)
    return code, None


def clean_step_days(values: Mapping, errors: dict) -> dict:
    """Each case step's limit in days, only those that differ from the defaults (an empty field
    is the default)."""
    own = {}
    for step in CASE_STEPS:
        field = step_field(step)
        if str(values.get(field) or "").strip() == "":
            continue
        days = _whole(values, field, STEP_DAYS_RANGE, errors, "days")
        if days is not None and days != STEP_DAYS[step]:
            own[step.value] = days
    return own


def clean(values: Mapping, services=(), hall: Hall | None = None) -> dict:
    """Check a settings form. Returns the typed values or raises SettingsInvalid.

    `values` maps field names to strings; `weekdays` may be a list of "1".."7" or a string.
    The booking settings of each of `services` come back under "services", by service id. With
    `hall`, the case code is checked against the other halls'."""
    errors: dict[str, str] = {}
    cleaned: dict = {}

    name = " ".join(str(values.get("name") or "").split())
    if not name:
        errors["name"] = _l("Please enter the hall's name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _l("The name can have at most %(n)s characters.", n=NAME_MAX)
    cleaned["name"] = name

    notice = str(values.get("notice") or "").strip().replace("\r\n", "\n")
    if len(notice) > NOTICE_MAX:
        errors["notice"] = _l("The notice can have at most %(n)s characters.", n=NOTICE_MAX)
    cleaned["notice"] = notice

    opens, closes = parse_time(values.get("opens_at")), parse_time(values.get("closes_at"))
    if opens is None:
        errors["opens_at"] = _l("Please enter a time such as 08:30.")
    if closes is None:
        errors["closes_at"] = _l("Please enter a time such as 17:30.")
    if opens and closes and closes <= opens:
        errors["closes_at"] = _l("Closing time must be after opening time.")
    cleaned["opens_at"], cleaned["closes_at"] = opens, closes

    raw_days = values.get("weekdays") or []
    days = "".join(sorted({d for d in "".join(raw_days) if d in WEEKDAYS}))
    if not days:
        errors["weekdays"] = _l("Please choose at least one opening day.")
    elif len(days) != len("".join(raw_days)):
        errors["weekdays"] = _l("Please choose days from the list.")
    cleaned["open_weekdays"] = days

    kiosk = whole_in(values.get("kiosk_idle_seconds"), *KIOSK_IDLE)
    if kiosk is None:
        errors["kiosk_idle_seconds"] = _l("Please enter a whole number of seconds from %(low)s to %(high)s.",
                                          low=KIOSK_IDLE[0], high=KIOSK_IDLE[1])
    cleaned["kiosk_idle_seconds"] = kiosk

    ticket = whole_in(values.get("ticket_idle_seconds"), *TICKET_IDLE)
    if ticket is None:
        errors["ticket_idle_seconds"] = _l("Please enter a whole number of seconds from %(low)s to %(high)s.",
                                           low=TICKET_IDLE[0], high=TICKET_IDLE[1])
    cleaned["ticket_idle_seconds"] = ticket

    cleaned["api_ticket_limit"] = clean_limit(values, errors)

    cleaned["booking_notice_minutes"] = _whole(values, "booking_notice_minutes", BOOKING_NOTICE, errors, "minutes")
    cleaned["booking_days_ahead"] = _whole(values, "booking_days_ahead", BOOKING_DAYS, errors, "days")
    if (cleaned["booking_notice_minutes"] is not None and cleaned["booking_days_ahead"] is not None
            and cleaned["booking_notice_minutes"] >= cleaned["booking_days_ahead"] * 24 * 60):
        errors["booking_notice_minutes"] = _l("The minimum notice must be shorter than the booking window.")
    cleaned["checkin_early_minutes"] = _whole(values, "checkin_early_minutes", CHECKIN_EARLY, errors, "minutes")
    cleaned["checkin_grace_minutes"] = _whole(values, "checkin_grace_minutes", CHECKIN_GRACE, errors, "minutes")
    cleaned["services"] = clean_services(values, services, errors)

    cleaned["case_code"], problem = clean_case_code(values.get("case_code"), hall)
    if problem:
        errors["case_code"] = problem
    cleaned["case_step_days"] = clean_step_days(values, errors)
    committee = " ".join(str(values.get("committee_name") or "").split())
    if len(committee) > NAME_MAX:
        errors["committee_name"] = _l("The name can have at most %(n)s characters.", n=NAME_MAX)
    cleaned["committee_name"] = committee

    if errors:
        raise SettingsInvalid(errors)
    return cleaned


def update_hall(hall: Hall, values: Mapping) -> Hall:
    """Check and save a hall's settings; on any error nothing is saved. A new slot length applies
    to times not yet booked: bookings keep theirs, and no slot overlapping one is offered."""
    services = list(hall.offered_services)
    cleaned = clean(values, services, hall)
    by_id = cleaned.pop("services")
    for field, value in cleaned.items():
        setattr(hall, field, value)
    for service in services:
        for field, value in by_id.get(service.id, {}).items():
            setattr(service, field, value)
    queue.bump_version(hall.id)  # the kiosk shows or hides the booking entry
    db.session.commit()
    return hall
