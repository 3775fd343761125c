"""Rated visits for the tests of the visit ratings (the console's finished list, /admin/ratings):
a ticket issued, called to a counter, finished by a member of staff and rated by the resident,
optionally moved to another day of the hall and rated at a given time."""
from __future__ import annotations

from datetime import timedelta

from hall import clock, queue
from hall.extensions import db
from hall.models import Ticket


def rated_visit(hall, code: str, counter, rating: str | None, comment: str | None = None, *, user=None,
                days_ago: int = 0, minutes_ago: int = 0) -> Ticket:
    ticket = queue.issue_ticket(hall, queue.service_by_code(hall, code))
    queue.call_ticket(ticket, counter, user)
    queue.finish(ticket, user)
    if rating:
        queue.rate(ticket, rating, comment)
    if days_ago or minutes_ago:
        ticket.day = ticket.day - timedelta(days=days_ago)
        moved = clock.now() - timedelta(days=days_ago, minutes=minutes_ago)
        ticket.finished_at = moved
        ticket.rated_at = moved if rating else None
        db.session.commit()
    return ticket

