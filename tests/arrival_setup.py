"""A small hall for the arrival tests, built with the models directly (not the demo data): one
bookable service, a walk-in window, an adviser's room and an adviser on duty all day, every day."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import select

from hall import clock
from hall.extensions import db
from hall.models import Adviser, AdviserKind, Counter, Hall, Role, Service, Shift, User

UTC = timezone.utc
PASSWORD = "arrival-test"


@dataclass
class Setup:
    hall: Hall
    service: Service      # A 法律咨询, bookable
    window: Counter       # 1 号窗口, walk-ins of A
    room: Counter         # 3 号窗口 · 老傅调解室, the adviser's room (also serves A)
    adviser: Adviser
    users: dict[str, User]


def make_hall(slug: str = "arr", *, slot_minutes: int = 30, shift=(time(0, 0), time(23, 55)),
              users: bool = True) -> Setup:
    hall = Hall(slug=slug, name="测试调解中心", timezone="Asia/Shanghai", opens_at=time(0, 0),
                closes_at=time(23, 59, 59), open_weekdays="1234567", notice="",
                booking_notice_minutes=60, booking_days_ahead=14, checkin_early_minutes=10,
                checkin_grace_minutes=15)
    db.session.add(hall)
    db.session.flush()
    service = Service(hall=hall, code="A", name_zh="法律咨询", name_en="Legal advice", icon="scale", position=0,
                      default_minutes=15, bookable=True, slot_minutes=slot_minutes, slot_capacity=1)
    other = Service(hall=hall, code="B", name_zh="投诉建议", name_en="Complaints", icon="chat", position=1,
                    default_minutes=10)
    db.session.add_all([service, other])
    db.session.flush()
    window = Counter(hall=hall, number=1, name="", services=[service, other])
    room = Counter(hall=hall, number=3, name="老傅调解室", services=[service])
    db.session.add_all([window, room])
    db.session.flush()
    adviser = Adviser(hall=hall, name="傅律师", kind=AdviserKind.lawyer, specialties="", counter_id=room.id,
                      intro="", active=True, position=0, services=[service])
    db.session.add(adviser)
    db.session.flush()
    for weekday in range(1, 8):
        db.session.add(Shift(adviser_id=adviser.id, weekday=weekday, starts_at=shift[0], ends_at=shift[1],
                             every_weeks=1, valid_from=date(2020, 1, 6), valid_until=None))
    made = {}
    if users:
        for role in ("admin", "reception", "mediator"):
            user = User(hall=hall, username=f"{slug}-{role}", role=Role(role), display_name=role)
            user.set_password(PASSWORD)
            db.session.add(user)
            made[role] = user
    db.session.commit()
    return Setup(hall, service, window, room, adviser, made)


def local(hall: Hall, day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of the hall as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.zone(hall)).astimezone(UTC)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


DAY = date(2026, 12, 2)  # a Wednesday


class FrozenClock:
    """hall.clock.now() under the test's control (every rule reads the time through it)."""

    def __init__(self, monkeypatch, at: datetime):
        self.at = at
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at
