"""Visit ratings (满意度): what residents said of a finished visit on their ticket's phone page
(hall.queue.rate: 满意 / 基本满意 / 不满意 and an optional comment), as staff see them.

    RATING_ORDER                        the ratings, best first (badges, counts, the filter)
    parse_filter(hall, args)            a RatingFilter from a query string: FieldsInvalid with a
                                        message per field for a bad date, service or rating
    visit_ratings(hall, chosen)         one page of rated visits, newest rating first, with the
                                        count of each rating over the period and service

The reception console shows a finished visit's rating beside it (the ticket carries it); the
administrator's list (/admin/ratings) is this module. The full statistics (满意率 and the rest,
docs/metrics.md) come with the statistics, not here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from . import clock
from .archive import parse_period
from .errors import FieldsInvalid
from .extensions import db
from .inputs import parse_id
from .models import Hall, Rating, Service, Ticket, TicketEvent, User
from .settings import whole_in

RATING_ORDER = (Rating.satisfied, Rating.fairly_satisfied, Rating.dissatisfied)
PAGE_SIZE = 50
MAX_PAGE = 999_999
DEFAULT_DAYS = 30  # the list opens on the last 30 days, today included


@dataclass
class RatingFilter:
    first: date
    last: date
    service_id: int | None = None
    rating: Rating | None = None
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string of this filter with some values changed (links to a page, a rating)."""
        values = {"first": self.first.isoformat(), "last": self.last.isoformat(),
                  "service": self.service_id or "", "rating": self.rating.value if self.rating else "",
                  "page": self.page}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None, 1)}


@dataclass
class RatedVisit:
    ticket: Ticket
    served_by: User | None  # who finished the visit


@dataclass
class RatingPage:
    chosen: RatingFilter
    visits: list[RatedVisit]
    counts: dict[Rating, int]   # over the period and service, whatever the rating filter
    total: int                  # visits matching the whole filter
    pages: int
    services: list[Service] = field(default_factory=list)

    @property
    def rated(self) -> int:
        return sum(self.counts.values())


def default_filter(hall: Hall) -> RatingFilter:
    today = clock.local_day(hall)
    return RatingFilter(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_filter(hall: Hall, args) -> RatingFilter:
    """The filter a query string asks for; missing values take the defaults (the last 30 days,
    every service and rating, the first page). The period is of visits, in the hall's days."""
    chosen = default_filter(hall)
    errors: dict = {}
    first_raw, last_raw = args.get("first", "").strip(), args.get("last", "").strip()
    if first_raw or last_raw:
        try:
            chosen.first, chosen.last = parse_period(first_raw or chosen.first.isoformat(),
                                                     last_raw or chosen.last.isoformat())
        except FieldsInvalid as error:
            errors.update(error.errors)
    service = args.get("service", "").strip()
    if service:
        service_id = parse_id(service)
        if service_id not in {s.id for s in hall.services}:
            errors["service"] = _l("Please choose a service from the list.")
        else:
            chosen.service_id = service_id
    rating = args.get("rating", "").strip()
    if rating:
        try:
            chosen.rating = Rating(rating)
        except ValueError:
            errors["rating"] = _l("Please choose a rating from the list.")
    page = args.get("page", "").strip()
    chosen.page = whole_in(page, 1, MAX_PAGE) or 1
    if errors:
        raise FieldsInvalid(errors)
    return chosen


def _where(hall: Hall, chosen: RatingFilter) -> list:
    clauses = [Ticket.hall_id == hall.id, Ticket.rating.is_not(None),
               Ticket.day >= chosen.first, Ticket.day <= chosen.last]
    if chosen.service_id:
        clauses.append(Ticket.service_id == chosen.service_id)
    return clauses


def visit_ratings(hall: Hall, chosen: RatingFilter) -> RatingPage:
    """The rated visits of the filter, newest rating first, a page at a time, with the counts of
    each rating over the period and service (the rating filter aside)."""
    where = _where(hall, chosen)
    counts = {r: 0 for r in RATING_ORDER}
    for rating, n in db.session.execute(select(Ticket.rating, func.count()).where(*where).group_by(Ticket.rating)):
        counts[Rating(rating)] = n
    if chosen.rating:
        where.append(Ticket.rating == chosen.rating)
    total = counts[chosen.rating] if chosen.rating else sum(counts.values())
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    chosen.page = min(chosen.page, pages)
    tickets = list(db.session.scalars(
        select(Ticket).where(*where).options(joinedload(Ticket.service), joinedload(Ticket.counter))
        .order_by(Ticket.rated_at.desc(), Ticket.id.desc())
        .limit(PAGE_SIZE).offset((chosen.page - 1) * PAGE_SIZE)))
    finished_by = {}
    if tickets:
        rows = db.session.execute(
            select(TicketEvent.ticket_id, User).join(User, User.id == TicketEvent.user_id)
            .where(TicketEvent.ticket_id.in_([t.id for t in tickets]), TicketEvent.action == "finish")
            .order_by(TicketEvent.id))
        finished_by = {ticket_id: user for ticket_id, user in rows}
    return RatingPage(chosen, [RatedVisit(t, finished_by.get(t.id)) for t in tickets], counts, total, pages,
                      services=list(hall.services))
