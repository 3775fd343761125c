"""The reception desk: what staff may see and do, always within their own hall.

Every lookup takes the member of staff and answers NotFound for another hall's counter, ticket
or service, so a guessed id never reaches across halls. The moves themselves are hall.queue's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from . import clock, dayend, inputs, queue
from .cases import audit
from .errors import Invalid, NotFound, ServiceRetired
from .extensions import db
from .models import Counter, Hall, Service, Ticket, User

# The console's ticket buttons: URL word -> the queue function it calls.
ACTIONS = {
    "recall": queue.recall,
    "start": queue.start,
    "finish": queue.finish,
    "no-show": queue.no_show,
}


def _own(model, user: User, object_id: int):
    thing = db.session.get(model, object_id)
    if thing is None or thing.hall_id != user.hall_id:
        raise NotFound()
    return thing


def counter_of(user: User, counter_id: int) -> Counter:
    counter = _own(Counter, user, counter_id)
    if not counter.active:
        raise NotFound()
    dayend.ensure(counter.hall)  # the morning's first console request ends yesterday first
    return counter


def any_counter_of(user: User, counter_id: int) -> Counter:
    """A counter of the user's hall, retired or not: the settings page edits both."""
    return _own(Counter, user, counter_id)


def ticket_of(user: User, ticket_id: int) -> Ticket:
    return _own(Ticket, user, ticket_id)


def service_of(user: User, service_id: int) -> Service:
    return _own(Service, user, service_id)


def counters(hall: Hall) -> list[Counter]:
    return list(db.session.scalars(
        select(Counter).where(Counter.hall_id == hall.id, Counter.active.is_(True)).order_by(Counter.number)))


def services(hall: Hall) -> list[Service]:
    """The services a ticket may be given or sent to: not the retired ones."""
    return list(db.session.scalars(
        select(Service).where(Service.hall_id == hall.id, Service.retired.is_(False))
        .order_by(Service.position, Service.id)))


@dataclass
class ConsoleView:
    """What a counter's live console shows."""
    counter: Counter
    active: list[Ticket]
    waiting: list[Ticket]
    services: list[Service]
    counters: list[Counter]
    now: datetime = field(default_factory=clock.now)

    def waited_minutes(self, ticket: Ticket) -> int:
        return max(int((self.now - ticket.queued_at).total_seconds() // 60), 0)


def console_view(counter: Counter) -> ConsoleView:
    hall = counter.hall
    return ConsoleView(counter=counter, active=queue.active_at_counter(counter),
                       waiting=queue.waiting_for_counter(counter), services=services(hall),
                       counters=counters(hall))


def console_tag(counter: Counter) -> str:
    """Changes with the queue, and once a minute so the waiting times stay true."""
    minute = int(clock.now().timestamp() // 60)
    return f"console-{counter.id}-{queue.queue_version(counter.hall_id)}-{minute}"


def act(user: User, ticket: Ticket, action: str) -> Ticket:
    """Recall, start, finish or no-show, as the member of staff."""
    if action not in ACTIONS:
        raise NotFound()
    return ACTIONS[action](ticket, user)


def transfer(user: User, ticket: Ticket, target: str, note: str = "") -> Ticket:
    """Send a ticket to "service:<id>" or "counter:<id>" of the same hall, with an optional note."""
    kind, _, raw_id = (target or "").partition(":")
    target_id = inputs.parse_id(raw_id)
    if kind not in ("service", "counter") or target_id is None:
        raise Invalid(_l("Please choose where to transfer the ticket."))
    note = (note or "").strip()[:500]
    if kind == "service":
        service = service_of(user, target_id)
        if service.retired:
            raise ServiceRetired()
        return queue.transfer(ticket, user, service=service, note=note)
    return queue.transfer(ticket, user, counter=counter_of(user, target_id), note=note)


def reveal_phone(user: User, ticket: Ticket) -> str:
    """A waiting or called resident's full mobile number for the member of staff who asked
    (the console shows it masked, 138****1234); the view lands in the audit log."""
    if not ticket.phone:
        return ""
    audit(ticket.hall_id, user, "ticket.view_phone", detail=f"{ticket.display_number} #{ticket.id}")
    db.session.commit()
    return ticket.phone


def register_walk_in(user: User, service_id: str | int | None, phone: str | None = None,
                     priority: bool = False, request_key: str | None = None) -> Ticket:
    """A ticket for a resident who cannot use the kiosk, taken by reception. Staff are in the
    hall, so its opening hours do not stop them; a paused service does."""
    try:
        service = service_of(user, inputs.parse_id(service_id) or 0)
    except NotFound:
        raise Invalid(_l("Please choose a service.")) from None
    return queue.issue_ticket(user.hall, service, phone=phone, priority=priority, channel="reception",
                              request_key=request_key or None, user=user, check_hours=False)
