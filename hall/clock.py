"""Time in a hall: stored in UTC, reasoned about in the hall's own timezone."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from .models import Hall


def now() -> datetime:
    return datetime.now(timezone.utc)


def zone(hall: Hall) -> ZoneInfo:
    return ZoneInfo(hall.timezone or "Asia/Shanghai")


def local(hall: Hall, at: datetime | None = None) -> datetime:
    return (at or now()).astimezone(zone(hall))


def local_day(hall: Hall, at: datetime | None = None) -> date:
    """The hall's calendar day: ticket numbers restart at each."""
    return local(hall, at).date()


def start_of_day(hall: Hall, at: datetime | None = None) -> datetime:
    """Midnight of the hall's local day: boards show only today's calls."""
    return local(hall, at).replace(hour=0, minute=0, second=0, microsecond=0)


def midnight(hall: Hall, day: date) -> datetime:
    """The start of one calendar day of the hall (aware, in the hall's timezone)."""
    return datetime.combine(day, time(0), tzinfo=zone(hall))


def is_open(hall: Hall, at: datetime | None = None) -> bool:
    moment = local(hall, at)
    if str(moment.isoweekday()) not in (hall.open_weekdays or ""):
        return False
    return hall.opens_at <= moment.time().replace(tzinfo=None) < hall.closes_at
