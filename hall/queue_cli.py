"""`flask --app wsgi queue close-day [HALL]`: end the day by hand, for every hall or one.

The same rule as the automatic end of day (hall/dayend.py): every unfinished ticket of a past
local day, and once closing time has passed today's tickets still waiting, become expired
(当日未办结), and bookings of past days nobody checked in for become no-shows. Safe to run at any
time and as often as wanted (from cron at midnight, say): what is ended already stays as it is."""
from __future__ import annotations

import click

from . import dayend
from .cli import halls_named

group = click.Group("queue", help="The walk-in queue.")


@group.command("close-day")
@click.argument("hall_slug", required=False)
def close_day(hall_slug: str | None):
    """End the hall's day: expire unfinished tickets of past days (and today's waiting ones
    after closing time), mark past bookings nobody checked in for as no-shows."""
    for hall in halls_named(hall_slug):
        done = dayend.end_day(hall)
        numbers = ", ".join(f"{t.day.isoformat()} {t.number}" for t in done.tickets) or "none"
        closing = " (after closing time: today's waiting tickets too)" if done.closing_applied else ""
        click.echo(f"{done.hall_slug}: closed through {done.closed_through.isoformat()}{closing}; "
                   f"{len(done.tickets)} ticket(s) expired: {numbers}; {done.no_shows} booking(s) no-show")
