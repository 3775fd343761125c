"""Numbering and calling: the walk-in queue of a hall.

Every function here runs inside the caller's transaction and commits it, so a view or a test
calls one function and is done. Concurrency rules:

* Numbers come from one upserted row per (hall, service, local day), incremented in the same
  statement that reads it: two kiosks never get the same number and a rolled-back issue leaves
  no gap.
* Calling takes a waiting ticket with a conditional UPDATE (… WHERE status = 'waiting'); on
  PostgreSQL the candidate is picked with FOR UPDATE SKIP LOCKED, on SQLite the write
  transaction is IMMEDIATE (see engine.py). A ticket is never called to two counters.
* Every change bumps the hall's queue_version, the ETag of every polling fragment.
"""
from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day

from flask import current_app, g, has_request_context
from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, make_transient_to_detached

from . import clock, dayend
from .errors import AlreadyRated, HallClosed, Invalid, NotFound, ServicePaused, ServiceRetired, WrongState
from .extensions import db
from .models import (
    Counter, Hall, Rating, Service, Ticket, TicketEvent, TicketSequence, TicketStatus, User,
)
from .people import clean_phone

W = TicketStatus

# Which moves a ticket may make from which states.
ALLOWED = {
    "call": {W.waiting},
    "recall": {W.called},
    "start": {W.called},
    "finish": {W.called, W.serving},
    "no_show": {W.called},
    "cancel": {W.waiting},
    "transfer": {W.called, W.serving, W.waiting},
}
ACTIVE = (W.waiting, W.called, W.serving)
# The events the board announces and the phone vibrates for.
CALL_ACTIONS = ("call", "recall")


# A client's request_key, which makes a repeated request give the earlier answer: 8 to 64 visible
# ASCII characters, no spaces (the API's rule, and what the kiosk's and phone's forms send).
REQUEST_KEY = re.compile(r"[\x21-\x7e]{8,64}")


def new_token() -> str:
    """128 random bits, URL-safe: what a ticket's QR code carries."""
    return secrets.token_urlsafe(16)


# ---- reading -------------------------------------------------------------------------------

# Look-ups every request makes, built once with bound parameters (SQLAlchemy reuses their
# compiled form instead of building and hashing a new statement each time).
_HALL_BY_SLUG = select(Hall).where(Hall.slug == bindparam("slug"))
# A stamp carries what tells whether the hall's day is due to end (hall/dayend.py), so that a
# poll needs no query of its own for it.
_HALL_STAMP = select(Hall.id, Hall.queue_version, Hall.timezone, Hall.closes_at,
                     Hall.day_closed_through).where(Hall.slug == bindparam("slug"))
_TICKET_STAMP = (select(Ticket.id, Ticket.hall_id, Hall.queue_version, Hall.timezone, Hall.closes_at,
                        Hall.day_closed_through)
                 .join(Hall, Hall.id == Ticket.hall_id).where(Ticket.token == bindparam("token")))
_TICKET_BY_TOKEN = select(Ticket).options(joinedload(Ticket.hall)).where(Ticket.token == bindparam("token"))
_SERVICE_BY_CODE = select(Service).where(Service.hall_id == bindparam("hall"), Service.code == bindparam("code"))
_SERVICE_IN_HALL = (select(Service).join(Service.hall).options(contains_eager(Service.hall))
                    .where(Hall.slug == bindparam("slug"), Service.code == bindparam("code")))


def hall_by_slug(slug: str) -> Hall:
    """The hall of a URL. Within a request it is read once (the rate limiter and the view both
    ask for it on an API call)."""
    halls = g.setdefault("_halls_by_slug", {}) if has_request_context() else {}
    if slug in halls:
        return halls[slug]
    hall = db.session.scalar(_HALL_BY_SLUG, {"slug": slug})
    if hall is None:
        raise NotFound()
    dayend.ensure(hall)  # the first request of a new day (or after closing time) ends the old one
    halls[slug] = hall
    return hall


@dataclass(frozen=True)
class HallStamp:
    """What a poll needs to answer "nothing changed": read in one plain query, no ORM object."""
    id: int
    queue_version: int
    timezone: str
    closes_at: time_of_day | None = None
    day_closed_through: date | None = None


def hall_stamp(slug: str) -> HallStamp:
    # On the session's connection: a plain row needs none of the ORM's execution machinery.
    row = db.session.connection().execute(_HALL_STAMP, {"slug": slug}).first()
    if row is None:
        raise NotFound()
    stamp = HallStamp(*row)
    if dayend.ensure(stamp):  # the day ended: the version moved on
        stamp = HallStamp(*db.session.connection().execute(_HALL_STAMP, {"slug": slug}).first())
    return stamp


@dataclass(frozen=True)
class TicketStamp:
    """What the phone page's poll needs to answer "nothing changed", in one plain query."""
    id: int
    hall_id: int
    queue_version: int


def ticket_stamp(token: str) -> TicketStamp:
    row = db.session.connection().execute(_TICKET_STAMP, {"token": token}).first() if token else None
    if row is None:
        raise NotFound()
    if dayend.ensure(HallStamp(row[1], *row[2:])):  # the day ended: the version moved on
        row = db.session.connection().execute(_TICKET_STAMP, {"token": token}).first()
    return TicketStamp(*row[:3])


def stamp_of(ticket: Ticket) -> TicketStamp:
    return TicketStamp(ticket.id, ticket.hall_id, queue_version(ticket.hall_id))


def ticket_by_token(token: str) -> Ticket:
    ticket = db.session.scalar(_TICKET_BY_TOKEN, {"token": token}) if token else None
    if ticket is None:
        raise NotFound()
    dayend.ensure(ticket.hall)  # when it ran, the ticket reloads what it changed on first use
    return ticket


def service_by_code(hall: Hall, code: str) -> Service:
    """A service new work starts with (the kiosk, booking): a retired one is not found."""
    service = db.session.scalar(_SERVICE_BY_CODE, {"hall": hall.id, "code": (code or "").upper()})
    if service is None:
        raise NotFound()
    if service.retired:
        raise ServiceRetired()
    return service


def service_in_hall(slug: str, code: str) -> Service:
    """A hall's service by the URL's slug and the service's letter code, with its hall, in one
    query: what taking a ticket reads first."""
    service = db.session.scalar(_SERVICE_IN_HALL, {"slug": slug, "code": (code or "").upper()})
    if service is None:
        raise NotFound()
    dayend.ensure(service.hall)
    if has_request_context():
        g.setdefault("_halls_by_slug", {})[slug] = service.hall
    return service


def queue_version(hall_id: int) -> int:
    """The ETag of polling fragments. The hall as this request's session loaded it (no query
    when it is loaded already): the version is read before what the fragment shows, so a
    fragment is never older than its tag."""
    hall = db.session.get(Hall, hall_id)
    return hall.queue_version if hall else 0


def service_state(service: Service, at: datetime | None = None) -> str:
    """open, paused or closed: what the kiosk tile shows."""
    if service.paused:
        return "paused"
    if not clock.is_open(service.hall, at):
        return "closed"
    return "open"


def _order(at: datetime | None = None):
    """Call next's order: checked-in appointments whose time has come (Ticket.due_at, a few
    minutes before the slot), earliest slot first; then the priority lane; then arrival."""
    due = and_(Ticket.due_at.is_not(None), Ticket.due_at <= (at or clock.now()))
    return (case((due, 0), else_=1), case((due, Ticket.due_at), else_=None),
            Ticket.priority.desc(), Ticket.queued_at, Ticket.id)


def _callable_by(counter: Counter):
    """Waiting tickets of the hall's local day this counter may call: its services' queues, less
    those transferred to another named counter, plus those transferred to it by name. A ticket
    of a past day is never called, even before the day's end has expired it (hall/dayend.py)."""
    service_ids = [s.id for s in counter.services]
    return and_(
        Ticket.hall_id == counter.hall_id,
        Ticket.status == W.waiting,
        Ticket.day == clock.local_day(counter.hall),
        or_(
            and_(Ticket.service_id.in_(service_ids),
                 or_(Ticket.target_counter_id.is_(None), Ticket.target_counter_id == counter.id)),
            Ticket.target_counter_id == counter.id,
        ),
    )


def waiting_for_counter(counter: Counter, limit: int = 200) -> list[Ticket]:
    """The console's list, in the order Call next takes them: priority lane, then arrival."""
    return list(db.session.scalars(
        select(Ticket).where(_callable_by(counter)).order_by(*_order()).limit(limit)))


def active_at_counter(counter: Counter) -> list[Ticket]:
    """Tickets called to or being served at this counter now."""
    return list(db.session.scalars(
        select(Ticket).where(Ticket.counter_id == counter.id,
                             Ticket.status.in_([W.called, W.serving])).order_by(Ticket.called_at)))


def _ahead_statement(priority: bool, targeted: bool):
    """Count the waiting tickets Call next takes before one: priority lane first, then arrival
    (then id), in the same queue (its service, or the named counter it was transferred to) of
    the same local day."""
    t = Ticket.__table__.c
    earlier = or_(t.queued_at < bindparam("queued_at"),
                  and_(t.queued_at == bindparam("queued_at"), t.id < bindparam("id")))
    before = and_(t.priority.is_(True), earlier) if priority else or_(t.priority.is_(True), earlier)
    same_queue = (t.target_counter_id if targeted else t.service_id) == bindparam("queue")
    return (select(func.count()).select_from(Ticket.__table__)
            .where(t.hall_id == bindparam("hall"), t.status == W.waiting, t.day == bindparam("day"),
                   same_queue, before))


# Built once (see _BUMP below): every ticket issued and every phone refresh counts.
_AHEAD = {(p, q): _ahead_statement(p, q) for p in (False, True) for q in (False, True)}


def _ahead_due_statement():
    """For an appointment's ticket whose time has come: the due ones of its room before it."""
    t = Ticket.__table__.c
    before = or_(t.due_at < bindparam("due_at"), and_(t.due_at == bindparam("due_at"), t.id < bindparam("id")))
    return (select(func.count()).select_from(Ticket.__table__)
            .where(t.hall_id == bindparam("hall"), t.status == W.waiting, t.day == bindparam("day"),
                   t.target_counter_id == bindparam("queue"), t.due_at.is_not(None),
                   t.due_at <= bindparam("now"), before))


_AHEAD_DUE = _ahead_due_statement()


def _ahead_at_issue() -> dict[int, int]:
    """Within the request that issued a ticket, the count its own transaction made (the kiosk
    and the API answer with it); any other ticket, or a later request, counts afresh."""
    return g.setdefault("_ahead_at_issue", {}) if has_request_context() else {}


def _count_ahead(ticket: Ticket, execute=None) -> int:
    """Walk-ins count their own queue (the priority lane, then arrival); an appointment's ticket,
    once its time has come, counts the room's earlier appointments only."""
    now = clock.now()
    if ticket.due_at is not None and ticket.target_counter_id and ticket.due_at <= now:
        return (execute or db.session.execute)(_AHEAD_DUE, {
            "due_at": ticket.due_at, "id": ticket.id, "hall": ticket.hall_id, "day": ticket.day,
            "queue": ticket.target_counter_id, "now": now}).scalar() or 0
    targeted = bool(ticket.target_counter_id)
    return (execute or db.session.execute)(_AHEAD[bool(ticket.priority), targeted], {
        "queued_at": ticket.queued_at, "id": ticket.id, "hall": ticket.hall_id, "day": ticket.day,
        "queue": ticket.target_counter_id if targeted else ticket.service_id}).scalar() or 0


def people_ahead(ticket: Ticket) -> int:
    """Waiting tickets of the same queue that Call next takes before this one."""
    if ticket.status != W.waiting:
        return 0
    known = _ahead_at_issue().get(ticket.id)
    return known if known is not None else _count_ahead(ticket)


def average_service_minutes(service: Service, sample: int = 20) -> float:
    """The mean minutes from call to finish of the service's recent finished tickets."""
    rows = db.session.execute(
        select(Ticket.called_at, Ticket.finished_at)
        .where(Ticket.service_id == service.id, Ticket.status == W.done,
               Ticket.called_at.is_not(None), Ticket.finished_at.is_not(None))
        .order_by(Ticket.finished_at.desc()).limit(sample)).all()
    durations = [(f - c).total_seconds() / 60 for c, f in rows if f > c]
    if not durations:
        return float(service.default_minutes or 10)
    return sum(durations) / len(durations)


def counters_open_for(service: Service) -> int:
    """Counters serving this service that someone has opened; if none is open yet, those that
    could open (a hall before its staff sits down still gives an estimate)."""
    serving = [c for c in service.counters if c.active]
    opened = [c for c in serving if c.opened_by_id is not None]
    return max(len(opened) or len(serving), 1)


# service id -> (expires at, average minutes, counters open): per worker, a few seconds old at most.
_pace: dict[int, tuple[float, float, int]] = {}


def _service_pace(service: Service, sample: int) -> tuple[float, int]:
    """The wait estimate's inputs. Every ticket and every phone refresh asks for them; they move
    slowly, so a worker keeps them WAIT_ESTIMATE_CACHE_SECONDS (0 in the tests: always fresh)."""
    ttl = current_app.config.get("WAIT_ESTIMATE_CACHE_SECONDS", 0)
    now = time.monotonic()
    cached = _pace.get(service.id) if ttl else None
    if cached and cached[0] > now:
        return cached[1], cached[2]
    minutes, counters = average_service_minutes(service, sample), counters_open_for(service)
    if ttl:
        _pace[service.id] = (now + ttl, minutes, counters)
    return minutes, counters


def estimated_wait_minutes(service: Service, ahead: int, sample: int = 20) -> int:
    if ahead <= 0:
        return 0
    minutes, counters = _service_pace(service, sample)
    return math.ceil(ahead * minutes / counters)


@dataclass
class Position:
    ahead: int
    wait_minutes: int


def position(ticket: Ticket, sample: int = 20) -> Position:
    ahead = people_ahead(ticket)
    return Position(ahead, estimated_wait_minutes(ticket.service, ahead, sample))


_WAITING_COUNTS = (select(Ticket.service_id, func.count())
                   .where(Ticket.hall_id == bindparam("hall"), Ticket.status == W.waiting,
                          Ticket.day == bindparam("day"))
                   .group_by(Ticket.service_id))


def waiting_counts(hall: Hall) -> dict[int, int]:
    """Waiting tickets of the hall's local day per service id: the board's and the kiosk's small
    print, and the API's."""
    rows = db.session.execute(_WAITING_COUNTS, {"hall": hall.id, "day": clock.local_day(hall)})
    return {service_id: n for service_id, n in rows}


def recent_calls(hall: Hall, limit: int = 8) -> list[TicketEvent]:
    """The latest call and recall events of the hall's local day, newest first."""
    return list(db.session.scalars(
        select(TicketEvent).where(TicketEvent.hall_id == hall.id,
                                  TicketEvent.action.in_(CALL_ACTIONS),
                                  TicketEvent.at >= clock.start_of_day(hall))
        .order_by(TicketEvent.id.desc()).limit(limit)))


# ---- changing ------------------------------------------------------------------------------

# The hot path's statements, built once: SQLAlchemy then reuses their compiled form, and the
# values travel as parameters instead of being coerced into a new statement on every call.
_halls, _tickets, _events, _sequences = (
    Hall.__table__, Ticket.__table__, TicketEvent.__table__, TicketSequence.__table__)
_BUMP = (update(_halls).where(_halls.c.id == bindparam("hall"))
         .values(queue_version=_halls.c.queue_version + 1))
_INSERT_TICKET = insert(_tickets).returning(_tickets.c.id)
_INSERT_EVENT = insert(_events)


def _take_number_statement(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    return upsert(_sequences).on_conflict_do_update(
        index_elements=["hall_id", "service_id", "day"],
        set_={"last_number": _sequences.c.last_number + 1},
    ).returning(_sequences.c.last_number)


_TAKE_NUMBER = {name: _take_number_statement(name) for name in ("postgresql", "sqlite")}


def bump_version(hall_id: int) -> None:
    """Tell every polling screen (kiosk, board, phone, console) that what it shows changed."""
    db.session.execute(_BUMP, {"hall": hall_id})


def _record(ticket: Ticket, action: str, before: TicketStatus | None, user: User | None = None,
            counter: Counter | None = None, note: str = "") -> None:
    db.session.add(TicketEvent(
        hall_id=ticket.hall_id, ticket=ticket, action=action,
        from_status=before.value if before else None, to_status=ticket.status.value,
        at=clock.now(), user_id=user.id if user else None,
        counter_id=counter.id if counter else None, note=note))


def _next_number(connection, hall: Hall, service: Service, day) -> int:
    """Atomically take the next number of (hall, service, day), creating the row on first use."""
    statement = _TAKE_NUMBER[connection.dialect.name]
    return connection.execute(statement, {"hall_id": hall.id, "service_id": service.id, "day": day,
                                          "last_number": 1}).scalar_one()


def issue_ticket(hall: Hall, service: Service, *, phone: str | None = None, priority: bool = False,
                 channel: str = "kiosk", request_key: str | None = None, user: User | None = None,
                 at: datetime | None = None, check_hours: bool = True,
                 target_counter_id: int | None = None, due_at: datetime | None = None,
                 commit: bool = True) -> Ticket:
    """Give the next number of a service. The same request_key twice gives the same ticket (a
    double tap or a resubmitted form never issues two). An appointment's check-in (booking.py)
    names the adviser's room and the moment the ticket goes ahead of walk-ins, and commits the
    ticket together with the appointment (commit=False)."""
    if service.hall_id != hall.id:
        raise NotFound()
    phone = clean_phone(phone)
    if request_key is not None and not (8 <= len(request_key) <= 64):
        raise Invalid()
    if request_key:
        existing = _by_request_key(hall, request_key)
        if existing:
            return existing
    if service.retired:
        raise ServiceRetired()
    if service.paused:
        raise ServicePaused()
    if check_hours and not clock.is_open(hall, at):
        raise HallClosed()
    moment = at or clock.now()
    day = clock.local_day(hall, moment)
    # Plain Core statements (built once, above) on the session's connection, not the ORM's unit
    # of work: the hottest write.
    connection = db.session.connection()
    number = _next_number(connection, hall, service, day)
    if at is None:
        # Read the clock again now that this transaction holds the sequence row (until commit):
        # arrival order then follows the numbers, so A003 is never called before A002.
        moment = clock.now()
    values = dict(hall_id=hall.id, service_id=service.id, day=day, code=service.code, number=number,
                  token=new_token(), request_key=request_key or None, status=W.waiting,
                  priority=bool(priority), phone=phone, channel=channel, queued_at=moment,
                  created_at=moment, counter_id=None, target_counter_id=target_counter_id, called_at=None,
                  started_at=None, finished_at=None, rating=None, rating_comment=None, rated_at=None,
                  due_at=due_at)
    try:
        ticket_id = connection.execute(_INSERT_TICKET, values).scalar_one()
        connection.execute(_INSERT_EVENT, {
            "hall_id": hall.id, "ticket_id": ticket_id, "action": "issue", "from_status": None,
            "to_status": W.waiting.value, "at": moment, "user_id": user.id if user else None,
            "counter_id": None, "note": ""})
        connection.execute(_BUMP, {"hall": hall.id})
        # The ticket as a loaded object, without reading back what was just written.
        ticket = Ticket(id=ticket_id, hall=hall, service=service, **values)
        # Counted under this transaction's lock: the answer needs no second transaction.
        ahead = _count_ahead(ticket, connection.execute)
        if commit:
            _commit_keeping_loaded()
    except IntegrityError:
        # A concurrent submit with the same key won; its ticket is the answer.
        db.session.rollback()
        existing = _by_request_key(hall, request_key) if request_key else None
        if existing is None:
            raise
        return existing
    db.session.expire(hall, ["queue_version"])  # bumped above by a Core statement
    make_transient_to_detached(ticket)
    db.session.add(ticket)
    _ahead_at_issue()[ticket.id] = ahead
    return ticket


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the objects this transaction read (the
    hall, the service) were read under its lock, so they are what was committed, and the answer
    is built from them without reading them again."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _by_request_key(hall: Hall, key: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.hall_id == hall.id, Ticket.request_key == key))


def _move(ticket: Ticket, action: str, to: TicketStatus, user: User | None = None,
          counter: Counter | None = None, note: str = "", **values) -> Ticket:
    """Change a ticket's state only if it is still in a state the move allows; a concurrent
    move by someone else makes this one fail with WrongState, never apply twice."""
    allowed = ALLOWED[action]
    before = ticket.status
    result = db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.status.in_(list(allowed)))
        .values(status=to, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WrongState()
    db.session.refresh(ticket)
    _record(ticket, action, before, user=user, counter=counter or ticket.counter, note=note)
    bump_version(ticket.hall_id)
    db.session.commit()
    return ticket


def call_next(counter: Counter, user: User | None = None) -> Ticket | None:
    """Call the first waiting ticket this counter serves; None when nobody waits."""
    dialect = db.session.get_bind().dialect.name
    for _ in range(5):
        query = select(Ticket).where(_callable_by(counter)).order_by(*_order()).limit(1)
        if dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ticket = db.session.scalar(query)
        if ticket is None:
            db.session.rollback()
            return None
        try:
            return call_ticket(ticket, counter, user)
        except WrongState:
            continue  # taken by another counter between our read and our write: take the next
    return None


def call_ticket(ticket: Ticket, counter: Counter, user: User | None = None) -> Ticket:
    if ticket.hall_id != counter.hall_id:
        raise NotFound()
    now = clock.now()
    return _move(ticket, "call", W.called, user, counter, counter_id=counter.id, called_at=now)


def recall(ticket: Ticket, user: User | None = None) -> Ticket:
    """Announce again: the board speaks the call once more."""
    return _move(ticket, "recall", W.called, user)


def start(ticket: Ticket, user: User | None = None) -> Ticket:
    return _move(ticket, "start", W.serving, user, started_at=clock.now())


def finish(ticket: Ticket, user: User | None = None) -> Ticket:
    return _move(ticket, "finish", W.done, user, finished_at=clock.now())


def no_show(ticket: Ticket, user: User | None = None) -> Ticket:
    return _move(ticket, "no_show", W.no_show, user, finished_at=clock.now())


def cancel(ticket: Ticket, user: User | None = None) -> Ticket:
    """The resident gives up their place (from the phone page) or staff removes it."""
    return _move(ticket, "cancel", W.cancelled, user, finished_at=clock.now())


def transfer(ticket: Ticket, user: User | None = None, *, service: Service | None = None,
             counter: Counter | None = None, note: str = "") -> Ticket:
    """Send a ticket on to another service's queue or a named counter. It keeps its number, its
    phone page and its place in time (the original arrival), so the resident is not sent to the
    back of the line."""
    if service is None and counter is None:
        raise Invalid()
    if (service and service.hall_id != ticket.hall_id) or (counter and counter.hall_id != ticket.hall_id):
        raise NotFound()
    if counter is not None and service is None and ticket.service not in counter.services and counter.services:
        service = counter.services[0]
    values = {"counter_id": None, "called_at": None, "started_at": None,
              "target_counter_id": counter.id if counter else None}
    if service is not None:
        values["service_id"] = service.id
    from_counter = ticket.counter
    return _move(ticket, "transfer", W.waiting, user, from_counter, note=note, **values)


def rate(ticket: Ticket, rating: str, comment: str | None = None) -> Ticket:
    """The resident's one rating of a finished visit."""
    if ticket.status != W.done:
        raise WrongState()
    try:
        value = Rating(rating)
    except ValueError:
        raise Invalid()
    comment = (comment or "").strip()[:500] or None
    result = db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.rating.is_(None))
        .values(rating=value, rating_comment=comment, rated_at=clock.now())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise AlreadyRated()
    db.session.refresh(ticket)
    _record(ticket, "rate", ticket.status, note=value.value)
    bump_version(ticket.hall_id)
    db.session.commit()
    return ticket


def open_counter(counter: Counter, user: User) -> Counter:
    """A member of staff sits down at a counter: it now counts for the wait estimate. One person
    works one counter, so any other counter they still held is closed in the same transaction."""
    db.session.execute(update(Counter.__table__)
                       .where(Counter.__table__.c.opened_by_id == user.id,
                              Counter.__table__.c.id != counter.id)
                       .values(opened_by_id=None, opened_at=None))
    counter.opened_by_id = user.id
    counter.opened_at = clock.now()
    bump_version(counter.hall_id)
    db.session.commit()
    return counter


def close_counter(counter: Counter) -> Counter:
    counter.opened_by_id = None
    counter.opened_at = None
    bump_version(counter.hall_id)
    db.session.commit()
    return counter
