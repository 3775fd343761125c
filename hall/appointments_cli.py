"""`flask --app wsgi appointments sweep [HALL]`: write down the no-shows (bookings nobody checked
in for by the end of their grace period), for every hall or one. Run it from cron every few
minutes; reception's page also does it when it sees one (hall/arrival.py)."""
from __future__ import annotations

import click

from . import booking
from .cli import halls_named

group = click.Group("appointments", help="Appointments.")


@group.command("sweep")
@click.argument("hall_slug", required=False)
def sweep(hall_slug: str | None):
    """Mark as no-show every booking past its grace period that nobody checked in for."""
    for hall in halls_named(hall_slug):
        count = booking.sweep_no_shows(hall)
        click.echo(f"{hall.slug}: {count} no-show(s)")
