"""Creating halls, services, counters and staff: shared by the CLI and the demo."""
from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from . import clock
from .errors import Invalid
from .extensions import db
from .models import Counter, Hall, Role, Service, User


def create_hall(slug: str, name: str, timezone: str = "Asia/Shanghai", *, opens_at: time = time(8, 30),
                closes_at: time = time(17, 30), open_weekdays: str = "12345", notice: str = "") -> Hall:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown timezone {timezone!r}")
    if not slug or not slug.replace("-", "").isalnum() or slug != slug.lower():
        raise Invalid("a slug is lowercase letters, digits and dashes")
    if db.session.scalar(select(Hall).where(Hall.slug == slug)):
        raise Invalid(f"hall {slug!r} exists")
    # A new hall has no past day to end (hall/dayend.py).
    yesterday = clock.now().astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
    hall = Hall(slug=slug, name=name, timezone=timezone, opens_at=opens_at, closes_at=closes_at,
                open_weekdays=open_weekdays, notice=notice, day_closed_through=yesterday)
    db.session.add(hall)
    db.session.commit()
    return hall


def create_service(hall: Hall, code: str, name_zh: str, name_en: str = "", icon: str = "chat",
                   default_minutes: int = 10) -> Service:
    code = code.strip().upper()
    if not (1 <= len(code) <= 2 and code.isalpha()):
        raise Invalid("a service code is one or two letters")
    service = Service(hall=hall, code=code, name_zh=name_zh, name_en=name_en, icon=icon,
                      position=len(hall.services), default_minutes=default_minutes)
    db.session.add(service)
    db.session.commit()
    return service


def create_counter(hall: Hall, number: int, name: str = "", services: list[Service] | None = None) -> Counter:
    counter = Counter(hall=hall, number=number, name=name, services=list(services or hall.services))
    db.session.add(counter)
    db.session.commit()
    return counter


def create_user(hall: Hall, username: str, password: str, role: str, display_name: str = "",
                full_name: str = "") -> User:
    """A login with a password its user knows. The CLI checks the password rule first
    (hall/accounts.py); the demo's logins keep their published password."""
    try:
        role_value = Role(role)
    except ValueError:
        raise Invalid(f"role is one of {', '.join(r.value for r in Role)}")
    if db.session.scalar(select(User).where(User.username == username)):
        raise Invalid(f"user {username!r} exists")
    user = User(hall=hall, username=username, role=role_value, display_name=display_name or username,
                full_name=full_name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
