"""The hall's day ends (当日未办结): tickets belong to their hall's local day and do not outlive it.

A ticket belongs to the local day it was issued on (Ticket.day). Ending a hall's day:

* every ticket of a past local day still waiting, called or being served becomes `expired`
  (当日未办结), with finished_at set and a TicketEvent "expire" done by the system (no user);
* at the hall's closing time (Hall.closes_at, in the hall's own timezone) today's queue closes:
  the tickets still *waiting* that joined it before closing time expire. Tickets a counter holds
  (called, or being served) stay with it, so staff may still finish the visit that evening;
  whatever is left of the day ends at midnight. A ticket reception issues after closing waits
  until the next morning's end of day;
* bookings of a past local day that nobody checked in for become no-shows;
* the hall's queue_version is bumped (every polling screen redraws) and Hall.day_closed_through
  records the last local day all of whose tickets are ended (yesterday, once midnight passed).

Nothing is deleted: expired tickets and their events stay for the statistics.

It happens by itself: every hall-bound request loads the hall (or a stamp of it) anyway, and
`ensure` compares what was loaded with the hall's local date and time, with no query of its
own. The first request of a new local day, and the first one after closing time in each
worker, ends the day in a transaction of its own before going on. By hand:
`flask --app wsgi queue close-day [HALL]` (hall/queue_cli.py).

Every write is a conditional UPDATE (… WHERE status = 'waiting' RETURNING …): of two workers
ending the same day at once, each ticket is ended, and its event written, by exactly one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import and_, bindparam, insert, or_, text, update

from . import clock
from .engine import WriteLockBusy
from .extensions import db
from .models import Appointment, AppointmentStatus, Hall, Ticket, TicketEvent, TicketStatus

W = TicketStatus
ENDED_FROM = (W.waiting, W.called, W.serving)
ACTION = "expire"
NOTE = "ended by the system: not finished on its local day (当日未办结)"

log = logging.getLogger(__name__)

_tickets, _events, _halls, _appointments = (
    Ticket.__table__, TicketEvent.__table__, Hall.__table__, Appointment.__table__)

# Built once, with bound parameters. A ticket of a past day in this state, or (after closing
# time) one of today still waiting that joined before closing: expired, returning what was ended.
_EXPIRE = (
    update(_tickets)
    .where(_tickets.c.hall_id == bindparam("hall"), _tickets.c.status == bindparam("from_status"),
           or_(_tickets.c.day < bindparam("today"),
               and_(_tickets.c.day == bindparam("today"), _tickets.c.status == W.waiting,
                    _tickets.c.queued_at < bindparam("closing"))))
    .values(status=W.expired, finished_at=bindparam("now"))
    .returning(_tickets.c.id, _tickets.c.code, _tickets.c.number, _tickets.c.day, _tickets.c.counter_id)
)
_INSERT_EVENT = insert(_events)
_NO_SHOWS = (
    update(_appointments)
    .where(_appointments.c.hall_id == bindparam("hall"),
           _appointments.c.status == AppointmentStatus.booked,
           _appointments.c.starts_at < bindparam("day_start"))
    .values(status=AppointmentStatus.no_show)
)
_CLOSED_THROUGH = (
    update(_halls)
    .where(_halls.c.id == bindparam("hall"),
           or_(_halls.c.day_closed_through.is_(None), _halls.c.day_closed_through < bindparam("through")))
    .values(day_closed_through=bindparam("through"))
)
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_PG_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")
LOCK_BASE = 0x46510000  # "FQ": advisory lock keys of day-ends, plus the hall's id
_BUMP = (update(_halls).where(_halls.c.id == bindparam("hall"))
         .values(queue_version=_halls.c.queue_version + 1))


@dataclass
class Ended:
    """One ticket a day's end expired, for the CLI's report."""
    number: str
    day: date


@dataclass
class DayEnd:
    """What ending a hall's day did."""
    hall_slug: str
    closed_through: date
    closing_applied: bool
    tickets: list[Ended] = field(default_factory=list)
    no_shows: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.tickets or self.no_shows)


def _closing_instant(hall, local: datetime) -> datetime | None:
    """Today's closing time as an aware datetime, if it has passed; else None."""
    closes = hall.closes_at or time(23, 59, 59)
    if local.time().replace(tzinfo=None) < closes:
        return None
    return datetime.combine(local.date(), closes, tzinfo=local.tzinfo)


def _closings_done() -> dict:
    """Per application (a gunicorn worker, a test's app): hall id -> the local day whose closing
    time this process has applied already. The closing-time end runs at most once a day per
    worker (each run is a cheap no-op after the first anywhere)."""
    if not has_app_context():
        return {}
    return current_app.extensions.setdefault("fq_dayend_closings", {})


class Busy(Exception):
    """Another worker is ending this hall's day right now (end_day with wait=False)."""


def end_day(hall: Hall, at: datetime | None = None, *, commit: bool = True, wait: bool = True) -> DayEnd:
    """End what is over of a hall's days as of `at` (now): every unfinished ticket of a past
    local day, today's waiting ones once closing time has passed, bookings of past days nobody
    checked in for. Idempotent; safe when several workers run it at once. With wait=False it
    raises Busy instead of queueing behind another worker doing it (PostgreSQL; on SQLite the
    engine does the same for the write lock, hall/engine.py)."""
    now = at or clock.now()
    local = clock.local(hall, now)
    today = local.date()
    closing = _closing_instant(hall, local)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Day-ends of one hall queue behind each other (SQLite's writers queue already). A lock
        # of its own, not the hall's row: a counter's move locks its ticket, then the hall.
        if wait:
            connection.execute(_PG_LOCK, {"key": LOCK_BASE + hall.id})
        elif not connection.execute(_PG_TRY_LOCK, {"key": LOCK_BASE + hall.id}).scalar():
            db.session.rollback()
            raise Busy()
    result = DayEnd(hall.slug, today - timedelta(days=1), closing is not None)
    events = []
    for before in ENDED_FROM:
        rows = connection.execute(_EXPIRE, {"hall": hall.id, "from_status": before, "today": today,
                                            "closing": closing, "now": now}).all()
        for ticket_id, code, number, day, counter_id in rows:
            result.tickets.append(Ended(f"{code}{number:03d}", day))
            events.append({"hall_id": hall.id, "ticket_id": ticket_id, "action": ACTION,
                           "from_status": before.value, "to_status": W.expired.value, "at": now,
                           "user_id": None, "counter_id": counter_id, "note": NOTE})
    if events:
        connection.execute(_INSERT_EVENT, events)
    day_start = datetime.combine(today, time(0, 0), tzinfo=local.tzinfo)
    result.no_shows = connection.execute(_NO_SHOWS, {"hall": hall.id, "day_start": day_start}).rowcount or 0
    connection.execute(_CLOSED_THROUGH, {"hall": hall.id, "through": result.closed_through})
    if result.changed:
        connection.execute(_BUMP, {"hall": hall.id})
    if commit:
        db.session.commit()
    # The ORM's copy of the hall is stale after these Core statements.
    if hall in db.session:
        db.session.expire(hall, ["queue_version", "day_closed_through"])
    if closing is not None:
        _closings_done()[hall.id] = today
    result.tickets.sort(key=lambda t: (t.day, t.number))
    return result


def due(hall, at: datetime | None = None) -> bool:
    """Whether a hall's day needs ending now, from what a request loaded anyway (a Hall, or a
    stamp with id, timezone, closes_at and day_closed_through): no query."""
    local = clock.local(hall, at)
    yesterday = local.date() - timedelta(days=1)
    if hall.day_closed_through is None or hall.day_closed_through < yesterday:
        return True
    if _closing_instant(hall, local) is not None:
        return _closings_done().get(hall.id) != local.date()
    return False


def ensure(hall, at: datetime | None = None) -> bool:
    """On a hall-bound request: end the hall's day first if it is due, in a transaction of its
    own (a GET only reads; hall/engine.py then lets this one write), and say whether it ran, so
    that the caller reads again what it loaded. Never more than once per hall and request, and
    never waiting behind another writer: when one holds the lock, or a failure is logged, the
    request goes on and the next one tries again."""
    if not has_request_context() or not due(hall, at):
        return False
    ran = g.setdefault("_dayend_ran", set())
    if hall.id in ran:
        return False
    ran.add(hall.id)
    hall_id = hall.id
    committed = g.get("_hall_committed")  # this request's own write still comes first
    db.session.commit()  # the request's reads so far; nothing was written yet
    g._hall_write_now = True
    try:
        end_day(db.session.get(Hall, hall_id), at, wait=False)
    except (Busy, WriteLockBusy):
        db.session.rollback()  # someone is writing (or ending the day): the next request does it
    except Exception:  # noqa: BLE001 - the page still answers; the next request tries again
        db.session.rollback()
        log.exception("ending the day of hall %s failed", hall_id)
    finally:
        g._hall_write_now = False
        g._hall_committed = committed
    return True
