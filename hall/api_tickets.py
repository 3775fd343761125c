"""The queue as an API client (a phone app, a city platform) sees it: tickets issued remotely,
retried safely, and limited per client address by each hall's own setting."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse_many
from sqlalchemy import bindparam, select

from . import queue
from .errors import HallError, NotFound
from .extensions import db, limiter
from .models import Hall, Ticket

DEFAULT_TICKET_LIMIT = "30 per minute"
_BY_REQUEST_KEY = select(Ticket).where(Ticket.hall_id == bindparam("hall"),
                                       Ticket.request_key == bindparam("key"))


class TooManyTickets(HallError):
    status = 429
    message = _l("Too many requests. Please wait a moment and try again.")

    def __init__(self, allowance: Allowance):
        super().__init__()
        self.headers = {**allowance.headers(), "Retry-After": str(allowance.retry_after)}


@lru_cache(maxsize=256)
def _parsed(value: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(value))


def ticket_limit(slug: str) -> str:
    """The hall's API ticket limit in Flask-Limiter notation ("30 per minute"). An unknown hall
    or a setting that does not parse gets the default, so a typo never lifts the limit."""
    try:
        value = queue.hall_by_slug(slug).api_ticket_limit if slug else None
    except NotFound:
        value = None
    return _limit_of(value)


def _limit_of(value: str | None) -> str:
    if not value:
        return DEFAULT_TICKET_LIMIT
    try:
        _parsed(value)
    except ValueError:
        return DEFAULT_TICKET_LIMIT
    return value


@dataclass(frozen=True)
class Allowance:
    """What the X-RateLimit-* headers tell a client: the tightest of the hall's limits."""
    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(int(self.reset_at + 1))}


def spend_allowance(hall: Hall, client: str, what: str = "api-tickets") -> Allowance:
    """Count one request (a ticket, or with `what` an appointment) against each of the hall's
    limits for this client address, in
    Flask-Limiter's configured storage and strategy (RATELIMIT_STORAGE_URI, shared by all
    workers when it names Redis). Raises TooManyTickets when one of them is used up.

    The check is made here rather than with Flask-Limiter's decorator, whose per-request
    bookkeeping cost more than the rest of the rate limit (docs/benchmarks.md)."""
    strategy = limiter.limiter
    tightest: Allowance | None = None
    for item in _parsed(_limit_of(hall.api_ticket_limit)):
        allowed = strategy.hit(item, what, hall.slug, client)
        reset_at, remaining = strategy.get_window_stats(item, what, hall.slug, client)
        allowance = Allowance(item.amount, remaining, reset_at)
        if not allowed:
            raise TooManyTickets(allowance)
        if tightest is None or remaining < tightest.remaining:
            tightest = allowance
    assert tightest is not None
    return tightest


def take_ticket(service_code: str, slug: str, client: str, *, phone: str | None = None,
                priority: bool = False, request_key: str | None = None) -> tuple[Ticket, bool, Allowance]:
    """Issue a ticket through the API (channel "api"). Returns the ticket, whether it is new and
    what is left of the client's allowance. A request_key seen before in this hall answers with
    that earlier ticket (a client retrying after a lost answer never holds two places), whatever
    else the retry says."""
    try:
        service = queue.service_in_hall(slug, service_code)
    except NotFound:
        try:
            queue.hall_by_slug(slug)
        except NotFound:
            raise NotFound(_l("There is no such hall.")) from None
        raise NotFound(_l("This hall has no such service.")) from None
    hall = service.hall
    allowance = spend_allowance(hall, client)
    if request_key:
        earlier = db.session.scalar(_BY_REQUEST_KEY, {"hall": hall.id, "key": request_key})
        if earlier is not None:
            return earlier, False, allowance
    ticket = queue.issue_ticket(hall, service, phone=phone, priority=priority, channel="api",
                                request_key=request_key)
    return ticket, True, allowance
