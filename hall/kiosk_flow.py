"""What the kiosk screens show, read in one call each; the rules themselves stay in queue.py.

Owned by the kiosk: views in kiosk/views.py call one function of this module per request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flask_babel import gettext as _

from . import clock, queue
from .errors import NotFound
from .models import Hall, Service, Ticket, TicketStatus


@dataclass
class Tile:
    service: Service
    state: str  # open, paused, closed (queue.service_state)
    waiting: int


@dataclass
class HomeScreen:
    hall: Hall
    tiles: list[Tile]
    is_open: bool
    hours: str
    version: int
    at: datetime | None = None

    @cached_property
    def on_duty(self) -> list:
        """今日值班 (hall.rosters.OnDuty, in the order they start): read only when the page is
        drawn, never for a poll that answers 304."""
        from .rosters import today_panel
        return today_panel(self.hall, self.at)

    @property
    def signature(self) -> str:
        """Everything the home fragment depends on, for its ETag: the queue's version, each
        tile's state (a pause does not bump the version) and whether the hall is open."""
        states = "".join(t.state[0] for t in self.tiles)
        return f"{self.hall.id}.{self.version}.{states}.{int(self.is_open)}"


@dataclass
class StepScreen:
    hall: Hall
    service: Service
    state: str
    waiting: int
    hours: str


@dataclass
class TicketScreen:
    hall: Hall
    ticket: Ticket
    ahead: int
    wait_minutes: int

    @property
    def waiting(self) -> bool:
        return self.ticket.status == TicketStatus.waiting


def opening_hours(hall: Hall) -> str:
    """"周一至周五 08:30–17:30" in the reader's language, in the hall's own time."""
    days = "".join(sorted(set(hall.open_weekdays or "") & set("1234567")))
    names = {"1": _("Mon"), "2": _("Tue"), "3": _("Wed"), "4": _("Thu"), "5": _("Fri"),
             "6": _("Sat"), "7": _("Sun")}
    if days == "1234567":
        day_text = _("Every day")
    elif not days:
        day_text = _("No opening days set")
    elif len(days) > 2 and days == "1234567"[int(days[0]) - 1:int(days[-1])]:
        day_text = _("%(first)s to %(last)s", first=names[days[0]], last=names[days[-1]])
    else:
        day_text = _(", ").join(names[d] for d in days)
    closes = hall.closes_at
    close_text = "24:00" if (closes.hour, closes.minute) == (23, 59) else closes.strftime("%H:%M")
    return f"{day_text} {hall.opens_at.strftime('%H:%M')}–{close_text}"


def home(slug: str, at: datetime | None = None) -> HomeScreen:
    hall = queue.hall_by_slug(slug)
    counts = queue.waiting_counts(hall)
    tiles = [Tile(s, queue.service_state(s, at), counts.get(s.id, 0)) for s in hall.offered_services]
    return HomeScreen(hall, tiles, clock.is_open(hall, at), opening_hours(hall),
                      queue.queue_version(hall.id), at)


def step(slug: str, code: str, at: datetime | None = None) -> StepScreen:
    hall = queue.hall_by_slug(slug)
    service = queue.service_by_code(hall, code)
    waiting = queue.waiting_counts(hall).get(service.id, 0)
    return StepScreen(hall, service, queue.service_state(service, at), waiting, opening_hours(hall))


def take(slug: str, code: str, *, phone: str | None, priority: bool, request_key: str | None) -> Ticket:
    """A ticket from the kiosk; the same request_key again gives the same ticket."""
    hall = queue.hall_by_slug(slug)
    service = queue.service_by_code(hall, code)
    return queue.issue_ticket(hall, service, phone=phone, priority=priority, channel="kiosk",
                              request_key=request_key or None)


def ticket(slug: str, token: str) -> TicketScreen:
    hall = queue.hall_by_slug(slug)
    found = queue.ticket_by_token(token)
    if found.hall_id != hall.id:
        raise NotFound()
    where = queue.position(found)
    return TicketScreen(hall, found, where.ahead, where.wait_minutes)
