"""The hall's services (服务事项) and counters (窗口/调解室), as the administrator edits them in
/admin/settings (the CLI's `service create` and `counter create` stay).

Services: add (a letter code, unique in the hall, which is the ticket prefix), rename, choose the
icon and the minutes a visit takes, move up or down, retire and bring back, delete. A service
that any ticket, appointment (so any case) or adviser uses is retired, never deleted: its history
and statistics keep it. Counters: add (a number unique in the hall, an optional room name),
rename, choose the services served (at least one offered service), retire (Counter.active) and
re-enable, delete when never used.

Every change goes to the audit log and bumps the hall's queue version, so the kiosk, the board
and the consoles refresh. Bad input raises FieldsInvalid (a message per field) or Invalid, and
changes nothing.
"""
from __future__ import annotations

import re
from typing import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from . import clock, queue
from .cases import audit
from .errors import FieldsInvalid, Invalid
from .extensions import db
from .models import (
    Adviser, Appointment, AppointmentStatus, Counter, Hall, Service, Shift, ShiftException, Ticket, TicketEvent,
    TicketSequence, TicketStatus, User, adviser_services,
)
from .settings import line_in, whole_in

# The icons the kiosk has (static/icons/<name>.svg), in the order the administrator sees them.
SERVICE_ICONS = ("scale", "handshake", "document", "chat")
ICON_LABELS = {"scale": _l("Scales (law)"), "handshake": _l("Handshake (mediation)"),
               "document": _l("Document (petitions, papers)"), "chat": _l("Speech bubble (questions)")}
_CODE = re.compile(r"[A-Z]{1,2}")
NAME_ZH_MAX = 60
NAME_EN_MAX = 80
COUNTER_NAME_MAX = 60
MINUTES = (1, 240)
COUNTER_NUMBER = (1, 999)
_OPEN = (TicketStatus.waiting, TicketStatus.called, TicketStatus.serving)


def _insert(thing, field: str, taken) -> None:
    """Add a new service or counter; another administrator's at the same moment with the same
    code or number loses to the database's unique constraint, with the field's message."""
    db.session.add(thing)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise FieldsInvalid({field: taken}) from None


def _log(hall_id: int, user: User | None, action: str, detail: str) -> None:
    """Audit the change and tell every polling screen; the caller commits."""
    audit(hall_id, user, action, detail=detail)
    queue.bump_version(hall_id)


def service_label(service: Service) -> str:
    """How the audit log names a service, in both languages: "D 心理咨询 / Counselling"."""
    return " ".join(part for part in (service.code, service.name_zh, f"/ {service.name_en}" if service.name_en else "")
                    if part)


def counter_label(counter: Counter) -> str:
    """How the audit log names a counter: "#3 老傅调解室"."""
    return f"#{counter.number}" + (f" {counter.name}" if counter.name else "")


def counter_words(counter: Counter) -> str:
    """How a message names a counter, in the reader's language: "3 号窗口 · 老傅调解室"."""
    return str(_l("Window %(number)s", number=counter.number)) + (f" · {counter.name}" if counter.name else "")


# ---- services ----------------------------------------------------------------------------------

def all_services(hall: Hall) -> list[Service]:
    """Every service of the hall, the offered ones in their order, then the retired ones."""
    return list(db.session.scalars(select(Service).where(Service.hall_id == hall.id)
                                   .order_by(Service.retired, Service.position, Service.id)))


def _service_fields(values: Mapping, errors: dict) -> dict:
    name_zh, name_en = line_in(values, "name_zh"), line_in(values, "name_en")
    if not name_zh:
        errors["name_zh"] = _l("Please enter the service's Chinese name.")
    elif len(name_zh) > NAME_ZH_MAX:
        errors["name_zh"] = _l("The name can have at most %(n)s characters.", n=NAME_ZH_MAX)
    if len(name_en) > NAME_EN_MAX:
        errors["name_en"] = _l("The name can have at most %(n)s characters.", n=NAME_EN_MAX)
    icon = str(values.get("icon") or "")
    if icon not in SERVICE_ICONS:
        errors["icon"] = _l("Please choose one of the icons.")
    minutes = whole_in(values.get("default_minutes"), *MINUTES)
    if minutes is None:
        errors["default_minutes"] = _l("Please enter a whole number of minutes from %(low)s to %(high)s.",
                                       low=MINUTES[0], high=MINUTES[1])
    return {"name_zh": name_zh, "name_en": name_en, "icon": icon, "default_minutes": minutes}


def clean_code(hall: Hall, raw) -> tuple[str, str | None]:
    """A new service's letter code: one or two letters A–Z, stored in capitals, unique in the hall
    (a retired service keeps its code: its old tickets carry it). Returns (code, problem)."""
    code = "".join(str(raw or "").split()).upper()
    if not _CODE.fullmatch(code):
        return code, _l("Please enter one or two letters A–Z, such as E: tickets are numbered E001, E002 …")
    taken = db.session.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == code))
    if taken is not None:
        if taken.retired:
            return code, _l("%(code)s is the code of %(name)s (retired): please choose another letter.",
                            code=code, name=taken.name_zh)
        return code, _l("%(code)s is already the code of %(name)s: please choose another letter.",
                        code=code, name=taken.name_zh)
    return code, None


def add_service(hall: Hall, values: Mapping, user: User | None = None) -> Service:
    """A new service at the end of the list, taking tickets at once (the kiosk shows its tile);
    the counters that serve it are chosen under each counter."""
    errors: dict = {}
    code, problem = clean_code(hall, values.get("code"))
    if problem:
        errors["code"] = problem
    fields = _service_fields(values, errors)
    if errors:
        raise FieldsInvalid(errors)
    last = db.session.scalar(select(func.max(Service.position)).where(Service.hall_id == hall.id))
    service = Service(hall_id=hall.id, code=code, position=(last or 0) + 1, paused=False, retired=False, **fields)
    _insert(service, "code", _l("%(code)s was just taken: please choose another letter.", code=code))
    _log(hall.id, user, "service.add", service_label(service))
    db.session.commit()
    return service


def edit_service(service: Service, values: Mapping, user: User | None = None) -> Service:
    """Rename (Chinese and English), choose the icon, the minutes a visit takes. The code stays:
    tickets already given carry it."""
    errors: dict = {}
    fields = _service_fields(values, errors)
    if errors:
        raise FieldsInvalid(errors)
    before = service_label(service)
    changed = {k: v for k, v in fields.items() if getattr(service, k) != v}
    if not changed:
        return service
    for field, value in changed.items():
        setattr(service, field, value)
    after = service_label(service)
    extras = " ".join(f"{k}={changed[k]}" for k in ("icon", "default_minutes") if k in changed)
    detail = before + (f" ({extras})" if extras else "") + (f" -> {after}" if after != before else "")
    _log(service.hall_id, user, "service.edit", detail)
    db.session.commit()
    return service


def move_service(service: Service, step: int, user: User | None = None) -> Service:
    """One place up (step -1) or down (+1) among the offered services: the kiosk's tiles, the
    board and the consoles follow this order. At the top or the bottom nothing moves."""
    if service.retired:
        raise Invalid(_l("A retired service has no place in the list: bring it back first."))
    order = list(service.hall.offered_services)
    index = next(i for i, s in enumerate(order) if s.id == service.id)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(order):
        return service
    order[index], order[target] = order[target], order[index]
    for position, each in enumerate(order, start=1):
        each.position = position
    _log(service.hall_id, user, "service.move", f"{service_label(service)}: {index + 1} -> {target + 1}")
    db.session.commit()
    return service


def service_in_use(service: Service) -> bool:
    """A ticket, an appointment (and so any case opened from them) or an adviser uses it."""
    return bool(db.session.scalar(select(
        exists().where(Ticket.service_id == service.id)
        | exists().where(Appointment.service_id == service.id)
        | exists().where(adviser_services.c.service_id == service.id))))


def _left_without(service: Service) -> list[Counter]:
    """The active counters that would serve no offered service without this one."""
    return [c for c in service.counters
            if c.active and not any(s.id != service.id and not s.retired for s in c.services)]


def _without_service(service: Service) -> None:
    lonely = _left_without(service)
    if lonely:
        raise Invalid(_l("%(counters)s serves only this service: tick another service for it first, or retire "
                         "that window.", counters=", ".join(counter_words(c) for c in lonely)))


def retire_service(service: Service, user: User | None = None) -> Service:
    """Retire a service: it leaves the kiosk, the board, the consoles' choices, booking and the
    API; its old tickets, bookings and cases keep its name. Refused while a ticket of today is
    still open or a booking is still to come (serve, transfer or cancel them first), and when a
    counter would be left with no service."""
    if service.retired:
        return service
    hall = service.hall
    open_tickets = db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.service_id == service.id, Ticket.status.in_(_OPEN), Ticket.day == clock.local_day(hall)))
    if open_tickets:
        raise Invalid(_l("Tickets of this service still waiting or being served today: %(n)s. Serve or "
                         "transfer them first.", n=open_tickets))
    booked = db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.service_id == service.id, Appointment.ends_at > clock.now(),
        Appointment.status.in_((AppointmentStatus.booked, AppointmentStatus.checked_in))))
    if booked:
        raise Invalid(_l("Bookings of this service still to come: %(n)s. Cancel or move them first.", n=booked))
    _without_service(service)
    counters = ", ".join(counter_label(c) for c in service.counters)
    service.counters = []
    service.retired = True
    service.paused = False
    _log(hall.id, user, "service.retire", service_label(service) + (f" ({counters})" if counters else ""))
    db.session.commit()
    return service


def restore_service(service: Service, user: User | None = None) -> Service:
    """Bring a retired service back, at the end of the list; no counter serves it until one is
    ticked for it."""
    if not service.retired:
        return service
    last = db.session.scalar(select(func.max(Service.position)).where(
        Service.hall_id == service.hall_id, Service.retired.is_(False)))
    service.retired = False
    service.position = (last or 0) + 1
    _log(service.hall_id, user, "service.restore", service_label(service))
    db.session.commit()
    return service


def delete_service(service: Service, user: User | None = None) -> None:
    """Delete a service nobody ever used (a typo, a test); a used one can only be retired."""
    if service_in_use(service):
        raise Invalid(_l("This service has tickets, bookings or advisers: it can only be retired, so that its "
                         "history stays."))
    _without_service(service)
    hall_id, label = service.hall_id, service_label(service)
    service.counters = []
    db.session.execute(delete(TicketSequence).where(TicketSequence.service_id == service.id))
    db.session.delete(service)
    _log(hall_id, user, "service.delete", label)
    db.session.commit()


def set_paused(service: Service, paused: bool, user: User | None = None) -> Service:
    """Pause or resume a service. The kiosk shows a paused service as unavailable."""
    if service.retired:
        raise Invalid(_l("A retired service has no place in the list: bring it back first."))
    if service.paused != bool(paused):
        service.paused = bool(paused)
        audit(service.hall_id, user, "service.pause" if paused else "service.resume", detail=service_label(service))
    queue.bump_version(service.hall_id)
    db.session.commit()
    return service


# ---- counters ----------------------------------------------------------------------------------

def all_counters(hall: Hall) -> list[Counter]:
    """Every counter, the working ones by number, then the retired ones."""
    return list(db.session.scalars(select(Counter).where(Counter.hall_id == hall.id)
                                   .order_by(Counter.active.desc(), Counter.number)))


def _chosen_services(hall: Hall, raw_ids, errors: dict) -> list[Service]:
    offered = {s.id: s for s in hall.offered_services}
    chosen = []
    for raw in raw_ids or []:
        try:
            service = offered[int(raw)]
        except (TypeError, ValueError, KeyError):
            errors["services"] = _l("Please choose services from the list.")
            return []
        if service not in chosen:
            chosen.append(service)
    if not chosen and "services" not in errors:
        errors["services"] = _l("Please tick at least one service this window serves.")
    return sorted(chosen, key=lambda s: (s.position, s.id))


def _counter_name(values: Mapping, errors: dict) -> str:
    name = line_in(values, "name")
    if len(name) > COUNTER_NAME_MAX:
        errors["name"] = _l("The name can have at most %(n)s characters.", n=COUNTER_NAME_MAX)
    return name


def _codes(services) -> str:
    return ",".join(s.code for s in services) or "-"


def add_counter(hall: Hall, values: Mapping, user: User | None = None) -> Counter:
    """A new counter or room: its number (unique in the hall), an optional name (老傅调解室) and the
    services it serves (`services`: a list of service ids, at least one)."""
    errors: dict = {}
    number = whole_in(values.get("number"), *COUNTER_NUMBER)
    if number is None:
        errors["number"] = _l("Please enter a whole number from %(low)s to %(high)s.",
                              low=COUNTER_NUMBER[0], high=COUNTER_NUMBER[1])
    else:
        taken = db.session.scalar(select(Counter).where(Counter.hall_id == hall.id, Counter.number == number))
        if taken is not None:
            errors["number"] = (_l("Window %(number)s already exists (retired): re-enable it instead.", number=number)
                                if not taken.active else _l("Window %(number)s already exists.", number=number))
    name = _counter_name(values, errors)
    services = _chosen_services(hall, values.get("services"), errors)
    if errors:
        raise FieldsInvalid(errors)
    counter = Counter(hall_id=hall.id, number=number, name=name, active=True, services=services)
    _insert(counter, "number", _l("Window %(number)s already exists.", number=number))
    _log(hall.id, user, "counter.add", f"{counter_label(counter)}: {_codes(services)}")
    db.session.commit()
    return counter


def edit_counter(counter: Counter, values: Mapping, user: User | None = None) -> Counter:
    """Rename a counter and choose the services it serves. Its number stays: old tickets and the
    board's history name it."""
    errors: dict = {}
    name = _counter_name(values, errors)
    services = _chosen_services(counter.hall, values.get("services"), errors)
    if errors:
        raise FieldsInvalid(errors)
    before_label, before_codes = counter_label(counter), _codes(counter.services)
    if name == counter.name and [s.id for s in services] == [s.id for s in counter.services]:
        return counter
    counter.name = name
    counter.services = services  # retiring a service takes it off every counter: none is left out here
    label, codes = counter_label(counter), _codes(counter.services)
    renamed = f"{before_label} -> {label}" if label != before_label else label
    if codes == before_codes:
        _log(counter.hall_id, user, "counter.edit", renamed)
    else:
        _log(counter.hall_id, user, "counter.services" if label == before_label else "counter.edit",
             f"{renamed}: {before_codes} -> {codes}")
    db.session.commit()
    return counter


def counter_in_use(counter: Counter) -> bool:
    """A ticket, a call, a booking, an adviser or a roster names it."""
    cid = counter.id
    return bool(db.session.scalar(select(
        exists().where(or_(Ticket.counter_id == cid, Ticket.target_counter_id == cid))
        | exists().where(TicketEvent.counter_id == cid)
        | exists().where(Appointment.counter_id == cid)
        | exists().where(Adviser.counter_id == cid)
        | exists().where(Shift.counter_id == cid)
        | exists().where(ShiftException.counter_id == cid))))


def _still_needed(counter: Counter) -> None:
    """Refuse to take away a counter that a resident is at, or waits for, or that the rosters
    still send an adviser to."""
    hall = counter.hall
    busy = db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.status.in_(_OPEN), Ticket.day == clock.local_day(hall),
        or_(Ticket.counter_id == counter.id, Ticket.target_counter_id == counter.id)))
    if busy:
        raise Invalid(_l("Tickets called to or waiting for this window today: %(n)s. Serve or transfer them "
                         "first.", n=busy))
    today = clock.local_day(hall)
    names = list(db.session.scalars(select(Adviser.name).where(
        Adviser.hall_id == hall.id, Adviser.active.is_(True),
        or_(Adviser.counter_id == counter.id,
            Adviser.shifts.any(_shift_in_room(counter.id, today)))).order_by(Adviser.position)))
    if names:
        raise Invalid(_l("The rosters still send %(names)s to this window: change their room first.",
                         names="、".join(names)))
    booked = db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.counter_id == counter.id, Appointment.ends_at > clock.now(),
        Appointment.status.in_((AppointmentStatus.booked, AppointmentStatus.checked_in))))
    if booked:
        raise Invalid(_l("Bookings still to come in this room: %(n)s. Move them first.", n=booked))


def _shift_in_room(counter_id: int, today):
    """A roster range in this room that is still valid today or later."""
    return (Shift.counter_id == counter_id) & (or_(Shift.valid_until.is_(None), Shift.valid_until >= today))


def retire_counter(counter: Counter, user: User | None = None) -> Counter:
    """Retire a counter: it leaves the consoles' choices and takes no calls; its history stays."""
    if not counter.active:
        return counter
    _still_needed(counter)
    counter.active = False
    counter.opened_by_id = None
    counter.opened_at = None
    _log(counter.hall_id, user, "counter.retire", counter_label(counter))
    db.session.commit()
    return counter


def enable_counter(counter: Counter, user: User | None = None) -> Counter:
    """Bring a retired counter back; it must still serve an offered service."""
    if counter.active:
        return counter
    if not any(not s.retired for s in counter.services):
        raise Invalid(_l("This window serves no offered service any more: tick a service for it first."))
    counter.active = True
    _log(counter.hall_id, user, "counter.enable", counter_label(counter))
    db.session.commit()
    return counter


def delete_counter(counter: Counter, user: User | None = None) -> None:
    """Delete a counter nothing ever used; a used one can only be retired."""
    if counter_in_use(counter):
        raise Invalid(_l("This window has served tickets or is on a roster: it can only be retired, so that its "
                         "history stays."))
    hall_id, label = counter.hall_id, counter_label(counter)
    counter.services = []
    db.session.delete(counter)
    _log(hall_id, user, "counter.delete", label)
    db.session.commit()
