"""The queue as an API client (a phone app, a city platform) sees it: tickets issued remotely,
retried safely, and limited per client address by each hall's own setting."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import select

from . import queue
from .errors import NotFound
from .extensions import db
from .models import Hall, Ticket

DEFAULT_TICKET_LIMIT = "30 per minute"


def ticket_limit(slug: str) -> str:
    """The hall's API ticket limit in Flask-Limiter notation ("30 per minute"). An unknown hall
    or a setting that does not parse gets the default, so a typo never lifts the limit."""
    try:
        value = queue.hall_by_slug(slug).api_ticket_limit if slug else None
    except NotFound:
        value = None
    if not value:
        return DEFAULT_TICKET_LIMIT
    try:
        parse_many(value)
    except ValueError:
        return DEFAULT_TICKET_LIMIT
    return value


def take_ticket(hall: Hall, service_code: str, *, phone: str | None = None, priority: bool = False,
                request_key: str | None = None) -> tuple[Ticket, bool]:
    """Issue a ticket through the API (channel "api"). Returns the ticket and whether it is new:
    a request_key seen before in this hall answers with that earlier ticket (a client retrying
    after a lost answer never holds two places), whatever else the retry says."""
    if request_key:
        earlier = db.session.scalar(
            select(Ticket).where(Ticket.hall_id == hall.id, Ticket.request_key == request_key))
        if earlier is not None:
            return earlier, False
    try:
        service = queue.service_by_code(hall, service_code)
    except NotFound:
        raise NotFound(_l("This hall has no such service.")) from None
    ticket = queue.issue_ticket(hall, service, phone=phone, priority=priority, channel="api",
                                request_key=request_key)
    return ticket, True
