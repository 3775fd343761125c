"""A hall of our own for the booking screens' tests: a bookable service, two rooms, three
advisers with weekly rosters, made with the models directly (no demo data needed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from hall import clock
from hall.extensions import db
from hall.models import Adviser, AdviserKind, Hall, Service, Shift
from hall.setup import create_counter, create_hall, create_service

PHONE = "13812345678"


@dataclass
class BookingHall:
    hall: Hall
    service: Service
    fu: Adviser      # 老傅, people's mediator, family and neighbour disputes, 09:00–11:00 daily
    chen: Adviser    # 陈律师, lawyer, contracts and labour, 14:00–16:00 daily
    idle: Adviser    # 王顾问, inactive
    # Plain values read once: a browser test must not open a transaction (SQLite's write lock,
    # hall/engine.py) while the live server books.
    fu_id: int = 0
    chen_id: int = 0
    idle_id: int = 0
    today: date | None = None
    zone: object = None

    def tomorrow(self) -> date:
        return self.today + timedelta(days=1)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A local wall-clock time of the hall as an aware UTC datetime."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(timezone.utc)


def _roster(adviser: Adviser, start: time, end: time, since: date) -> None:
    for weekday in range(1, 8):
        db.session.add(Shift(adviser=adviser, weekday=weekday, starts_at=start, ends_at=end,
                             every_weeks=1, valid_from=since))


def booking_hall(slug: str = "bk", capacity: int = 1) -> BookingHall:
    hall = create_hall(slug, "枫桥测试中心", "Asia/Shanghai", opens_at=time(0, 0), closes_at=time(23, 59, 59),
                       open_weekdays="1234567")
    service = create_service(hall, "A", "法律咨询", "Legal advice", "scale", 15)
    create_service(hall, "B", "矛盾调解", "Mediation", "handshake", 30)  # not bookable
    service.bookable, service.slot_minutes, service.slot_capacity = True, 30, capacity
    hall.booking_notice_minutes, hall.booking_days_ahead = 60, 14
    room3 = create_counter(hall, 3, "老傅调解室", [service])
    room5 = create_counter(hall, 5, "", [service])
    since = clock.local_day(hall) - timedelta(days=30)
    fu = Adviser(hall=hall, name="老傅", kind=AdviserKind.people_mediator, specialties="family,neighbour",
                 counter=room3, intro="三十年调解经验，擅长邻里和家庭纠纷。", position=1, services=[service])
    chen = Adviser(hall=hall, name="陈律师", kind=AdviserKind.lawyer, specialties="contract,labour",
                   counter=room5, intro="执业律师，专长合同与劳动争议。", position=2, services=[service])
    idle = Adviser(hall=hall, name="王顾问", kind=AdviserKind.legal_counsel, specialties="family",
                   counter=room5, active=False, position=3, services=[service])
    db.session.add_all([fu, chen, idle])
    _roster(fu, time(9, 0), time(11, 0), since)
    _roster(chen, time(14, 0), time(16, 0), since)
    _roster(idle, time(9, 0), time(17, 0), since)
    db.session.commit()
    made = BookingHall(hall, service, fu, chen, idle, fu.id, chen.id, idle.id, clock.local_day(hall),
                       clock.zone(hall))
    db.session.commit()  # end the read transaction the ids opened
    return made
