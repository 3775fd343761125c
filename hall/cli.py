"""Command-line set-up: `flask --app wsgi demo`, `hall create`, `service create`, `counter create`,
`user create`."""
from __future__ import annotations

from datetime import time

import click
from flask import Flask
from sqlalchemy import select

from .errors import FieldsInvalid, HallError
from .extensions import db
from .models import Hall, Role


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _hall(slug: str) -> Hall:
    hall = db.session.scalar(select(Hall).where(Hall.slug == slug))
    if hall is None:
        raise click.ClickException(f"no hall {slug!r}")
    return hall


def halls_named(slug: str | None) -> list[Hall]:
    """The hall a command names, or every hall (by id) when it names none."""
    query = select(Hall).order_by(Hall.id)
    if slug:
        query = query.where(Hall.slug == slug)
    halls = list(db.session.scalars(query))
    if slug and not halls:
        raise click.ClickException(f"no hall {slug!r}")
    return halls


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except FieldsInvalid as error:  # the staff area's rules, field by field
        raise click.ClickException("; ".join(f"{name}: {message}" for name, message in error.errors.items()))
    except HallError as error:
        raise click.ClickException(str(error.message))


def register(app: Flask) -> None:
    from . import setup
    from . import services_admin
    from .services_admin import SERVICE_ICONS
    from .demo import DEMO_PASSWORD, load_demo

    @app.cli.command("demo")
    def demo():
        """Load the demo hall (slug demo) with its services, counters and staff."""
        hall = load_demo()
        click.echo(f"demo hall {hall.slug!r} ready; staff admin / reception / mediator, password {DEMO_PASSWORD}")

    @app.cli.command("load-demo-if-empty", hidden=True)
    def load_demo_if_empty():
        if db.session.scalar(select(Hall.id).limit(1)) is None:
            load_demo()
            click.echo("empty database: demo hall loaded")

    hall_group = click.Group("hall", help="Halls.")
    app.cli.add_command(hall_group)

    @hall_group.command("create")
    @click.argument("slug")
    @click.option("--name", required=True)
    @click.option("--timezone", default="Asia/Shanghai", show_default=True)
    @click.option("--opens", default="08:30", show_default=True)
    @click.option("--closes", default="17:30", show_default=True)
    @click.option("--days", default="12345", show_default=True, help="ISO weekdays open, 1=Monday")
    def hall_create(slug, name, timezone, opens, closes, days):
        hall = _run(setup.create_hall, slug, name, timezone, opens_at=_time(opens),
                    closes_at=_time(closes), open_weekdays=days)
        click.echo(f"hall {hall.slug} created")

    service_group = click.Group("service", help="Services of a hall.")
    app.cli.add_command(service_group)

    @service_group.command("create")
    @click.argument("hall_slug")
    @click.argument("code")
    @click.option("--name", required=True, help="Chinese name")
    @click.option("--name-en", default="")
    @click.option("--icon", default="chat", type=click.Choice(SERVICE_ICONS))
    @click.option("--minutes", default=10, show_default=True, help="minutes a visit takes before there is history")
    def service_create(hall_slug, code, name, name_en, icon, minutes):
        # The same rules as the staff area's (a code taken, a name too long), logged as done
        # from the command line.
        service = _run(services_admin.add_service, _hall(hall_slug), {
            "code": code, "name_zh": name, "name_en": name_en, "icon": icon, "default_minutes": str(minutes)})
        click.echo(f"service {service.code} created")

    counter_group = click.Group("counter", help="Counters and rooms of a hall.")
    app.cli.add_command(counter_group)

    @counter_group.command("create")
    @click.argument("hall_slug")
    @click.argument("number", type=int)
    @click.option("--name", default="", help="a room's name, e.g. 老傅调解室")
    @click.option("--service", "codes", multiple=True, help="service codes served (default: all)")
    def counter_create(hall_slug, number, name, codes):
        hall = _hall(hall_slug)
        services = [s for s in hall.offered_services if not codes or s.code in {c.upper() for c in codes}]
        counter = _run(services_admin.add_counter, hall, {
            "number": str(number), "name": name, "services": [s.id for s in services]})
        click.echo(f"counter {counter.number} created")

    app.cli.add_command(__import__("hall.appointments_cli", fromlist=["group"]).group)

    user_group = click.Group("user", help="Staff accounts.")
    app.cli.add_command(user_group)

    @user_group.command("create")
    @click.argument("hall_slug")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
    @click.option("--name", "display_name", default="", help="display name, e.g. 老傅")
    @click.option("--full-name", default="", help="real name printed on agreements, e.g. 傅国强")
    @click.password_option(help="at least 10 characters, not the username (asked twice when not given)")
    def user_create(hall_slug, username, role, display_name, full_name, password):
        """Create a staff login (more: the staff area's 账号管理, /admin/users)."""
        from .accounts import check_new_password
        _run(check_new_password, password, username)
        user = _run(setup.create_user, _hall(hall_slug), username, password, role, display_name, full_name)
        click.echo(f"user {user.username} ({user.role.value}) created")
