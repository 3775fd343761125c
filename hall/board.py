"""What the public screens say about calls: the call board (叫号屏) and the phone page.

The queue's rules stay in queue.py; this module only reads them into what a screen shows:

* the current call at each counter (the latest ticket called there and not yet finished),
  newest call first; a recall counts as a new call;
* the last few calls, one line per ticket;
* the spoken text of each call, always in Chinese (the board speaks Chinese whatever language
  the screen is in), so the words sit in the translation catalogue;
* the state of one ticket as its owner sees it on the phone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from . import clock, queue
from .kiosk_flow import opening_hours
from .extensions import db
from .models import Counter, Hall, Service, Ticket, TicketEvent, TicketStatus

W = TicketStatus
CALL_ACTIONS = queue.CALL_ACTIONS
FINAL = (W.done, W.no_show, W.cancelled, W.expired)
SPEECH_LOCALE = "zh_Hans_CN"


@dataclass
class Call:
    """One call or recall of a ticket to a counter, as the board shows and speaks it."""
    event_id: int
    number: str
    counter_number: int
    room: str
    action: str
    at: datetime
    speech: str


@dataclass
class WaitingLine:
    service: Service
    waiting: int


@dataclass
class BoardState:
    hall: Hall
    current: list[Call]
    recent: list[Call]
    waiting: list[WaitingLine]
    # The day's latest calls and recalls, oldest first: the board speaks those newer than the
    # last one it has seen.
    announcements: list[Call] = field(default_factory=list)
    # When no ticket is called or being served now: the day's last call at each window, so the
    # board never says "no number called yet" once calls were made (issue 9).
    last: list[Call] = field(default_factory=list)


def speech_text(number: str, counter: Counter) -> str:
    """请 A012 号 到 3 号窗口, or 请 B003 号 到 3 号 老傅调解室 for a named room."""
    with force_locale(SPEECH_LOCALE):
        if counter.name:
            return _("Number %(number)s, please go to %(counter)s %(room)s",
                     number=number, counter=counter.number, room=counter.name)
        return _("Number %(number)s, please go to window %(counter)s", number=number, counter=counter.number)


def sound_on_text() -> str:
    """What the board says when someone turns its sound on, in Chinese like every call."""
    with force_locale(SPEECH_LOCALE):
        return _("Announcements are on")


def sound_switch_in_english() -> str:
    """The English line under the Chinese one on the board's sound switch."""
    with force_locale("en"):
        return _("Tap to turn on announcements")


def _call(event: TicketEvent, ticket: Ticket, counter: Counter) -> Call:
    number = ticket.display_number
    return Call(event_id=event.id, number=number, counter_number=counter.number, room=counter.name or "",
                action=event.action, at=event.at, speech=speech_text(number, counter))


def current_calls(hall: Hall) -> list[Call]:
    """At each counter, the latest ticket called there that is still called or being served,
    newest call (or recall) first."""
    rows = db.session.execute(
        select(TicketEvent, Ticket, Counter)
        .join(Ticket, TicketEvent.ticket_id == Ticket.id)
        .join(Counter, Ticket.counter_id == Counter.id)
        .where(TicketEvent.hall_id == hall.id, TicketEvent.action.in_(CALL_ACTIONS),
               TicketEvent.at >= clock.start_of_day(hall),
               Ticket.status.in_([W.called, W.serving]))
        .order_by(TicketEvent.id.desc())).all()
    seen: set[int] = set()
    calls = []
    for event, ticket, counter in rows:
        if counter.id in seen:
            continue
        seen.add(counter.id)
        calls.append(_call(event, ticket, counter))
    return calls


def _event_calls(hall: Hall, limit: int) -> list[Call]:
    calls = []
    for event in queue.recent_calls(hall, limit):
        counter = event.counter or event.ticket.counter
        if counter is not None:
            calls.append(_call(event, event.ticket, counter))
    return calls


def _distinct(calls: list[Call], limit: int, key=lambda call: call.number) -> list[Call]:
    """One line per ticket (a recall does not repeat a line), or per `key`, newest first."""
    seen: set = set()
    lines = []
    for call in calls:
        if key(call) not in seen and len(lines) < limit:
            seen.add(key(call))
            lines.append(call)
    return lines


def recent_calls(hall: Hall, limit: int = 6) -> list[Call]:
    """The last few tickets called, newest first, each once."""
    return _distinct(_event_calls(hall, limit * 3), limit)


def board_state(hall: Hall, recent: int = 5, announce: int = 8, last: int = 4) -> BoardState:
    counts = queue.waiting_counts(hall)
    events = _event_calls(hall, max(recent * 3, announce))
    current = current_calls(hall)
    return BoardState(
        hall=hall,
        current=current,
        recent=_distinct(events, recent),
        waiting=[WaitingLine(service, counts.get(service.id, 0)) for service in hall.offered_services],
        announcements=list(reversed(events[:announce])),
        # The newest call at each window.
        last=[] if current else _distinct(events, last, key=lambda call: call.counter_number),
    )


def board_tag(stamp: queue.HallStamp) -> tuple:
    """What the board's ETag is made of: the queue's version and the hall's day (the board
    shows only today's calls, so it changes at midnight with no change to the queue)."""
    return ("board", stamp.id, stamp.queue_version, clock.local_day(stamp).isoformat())


# ---- the phone page ------------------------------------------------------------------------

@dataclass
class TicketView:
    ticket: Ticket
    ahead: int
    wait_minutes: int
    # The latest call or recall of this ticket: the phone vibrates once for each.
    call_event_id: int | None
    final: bool
    # An expired ticket (its day ended, hall/dayend.py) offers a new visit: the kiosk's opening
    # hours, and the hall's phone booking when it has a bookable service.
    hours: str = ""
    book_url: str | None = None

    @property
    def counter(self) -> Counter | None:
        return self.ticket.counter


def ticket_view(ticket: Ticket, sample: int = 20) -> TicketView:
    position = queue.position(ticket, sample)
    call_event_id = db.session.scalar(
        select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id,
                                     TicketEvent.action.in_(CALL_ACTIONS))
        .order_by(TicketEvent.id.desc()).limit(1))
    view = TicketView(ticket=ticket, ahead=position.ahead, wait_minutes=position.wait_minutes,
                      call_event_id=call_event_id, final=ticket.status in FINAL)
    if ticket.status == W.expired:
        view.hours = opening_hours(ticket.hall)
        if any(s.bookable and not s.paused and not s.retired for s in ticket.hall.services):
            view.book_url = url_for("kiosk.book_start_p", hall=ticket.hall.slug)
    return view


def ticket_tag(stamp: queue.TicketStamp) -> tuple:
    return ("ticket", stamp.id, stamp.queue_version)
