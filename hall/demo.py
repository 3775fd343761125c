"""The demo hall: what `make run` loads into an empty database."""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from . import clock
from .categories import clean_specialties
from .extensions import db
from .models import Adviser, AdviserKind, Counter, Hall, Service, Shift, User
from .setup import create_counter, create_hall, create_service, create_user

DEMO_PASSWORD = "hall-demo"


def load_demo() -> Hall:
    existing = db.session.scalar(select(Hall).where(Hall.slug == "demo"))
    if existing:
        _demo_advisers(existing)  # a demo hall loaded before advisers existed gets them once
        return existing
    # Open every day, all day, so that the demo works whenever someone tries it; a real hall
    # sets its own hours (`flask --app wsgi hall create --opens 08:30 --closes 17:30 …`).
    hall = create_hall(
        "demo", "枫桥式矛盾纠纷调处化解中心（演示）", "Asia/Shanghai",
        opens_at=time(0, 0), closes_at=time(23, 59, 59), open_weekdays="1234567",
        notice="小事不出村、大事不出镇、矛盾不上交。请取号后留意叫号屏。")
    legal = create_service(hall, "A", "法律咨询", "Legal advice", "scale", 15)
    mediation = create_service(hall, "B", "矛盾调解", "Mediation", "handshake", 30)
    petition = create_service(hall, "C", "信访接待", "Petitions", "document", 20)
    complaint = create_service(hall, "D", "投诉建议", "Complaints & suggestions", "chat", 10)
    create_counter(hall, 1, "", [legal, petition, complaint])
    create_counter(hall, 2, "", [legal, complaint, petition])
    create_counter(hall, 3, "老傅调解室", [mediation])
    create_counter(hall, 4, "潘大姐调解室", [mediation, legal])
    create_user(hall, "admin", DEMO_PASSWORD, "admin", "管理员")
    create_user(hall, "reception", DEMO_PASSWORD, "reception", "前台小王")
    create_user(hall, "mediator", DEMO_PASSWORD, "mediator", "老傅")
    _demo_advisers(hall)
    return hall


# name, kind, room number, services, specialties, introduction, demo login, weekly ranges as
# (weekdays, start, end, every_weeks)
_WEEKDAYS = (1, 2, 3, 4, 5)
_ADVISERS = [
    ("傅国强", AdviserKind.people_mediator, 3, "AB", "neighbour,family,property,housing",
     "社区“老娘舅”，从事人民调解二十余年，擅长邻里、婚姻家庭和物业纠纷，说话在理、办事公道。", "mediator",
     [(_WEEKDAYS, time(9, 0), time(11, 30), 1), (_WEEKDAYS, time(14, 0), time(17, 0), 1)]),
    ("潘美华", AdviserKind.people_mediator, 4, "AB", "family,neighbour,consumer",
     "退休社区干部，“潘大姐调解室”负责人，耐心细致，群众有事愿意找她说。", None,
     [(_WEEKDAYS, time(9, 0), time(11, 30), 1), ((1, 3, 5), time(14, 0), time(17, 0), 1)]),
    ("陈律师", AdviserKind.lawyer, 1, "A", "contract,labour,damages,traffic",
     "律师事务所执业律师，公益法律服务志愿者，提供合同、劳动争议和交通事故方面的法律咨询。", None,
     [((2, 4), time(9, 0), time(11, 30), 1), ((2, 4), time(14, 0), time(17, 0), 2)]),
    ("李顾问", AdviserKind.legal_counsel, 2, "A", "labour,housing,demolition,business",
     "街道法律顾问，熟悉征地拆迁、房屋和劳动保障政策，解答群众的法律问题。", None,
     [((1, 3, 5), time(9, 0), time(11, 30), 1), ((1, 3, 5), time(14, 0), time(17, 0), 2)]),
]


def _demo_advisers(hall: Hall) -> None:
    """Legal advice takes appointments, and four advisers serve with weekly rosters from today.
    Once only: a hall that has advisers already is left as it is."""
    if db.session.scalar(select(Adviser.id).where(Adviser.hall_id == hall.id).limit(1)) is not None:
        return
    services = {s.code: s for s in db.session.scalars(select(Service).where(Service.hall_id == hall.id))}
    rooms = {c.number: c for c in db.session.scalars(select(Counter).where(Counter.hall_id == hall.id))}
    if "A" in services:
        services["A"].bookable, services["A"].slot_minutes, services["A"].slot_capacity = True, 30, 1
    today = clock.local_day(hall)
    for position, (name, kind, room, codes, specialties, intro, login, ranges) in enumerate(_ADVISERS, 1):
        user = db.session.scalar(select(User).where(User.username == login)) if login else None
        adviser = Adviser(
            hall_id=hall.id, name=name, kind=kind, specialties=clean_specialties(specialties.split(",")), counter=rooms.get(room), intro=intro,
            active=True, position=position, services=[services[c] for c in codes if c in services],
            user=user if user is not None and user.hall_id == hall.id else None)
        adviser.shifts = [Shift(weekday=day, starts_at=start, ends_at=end, every_weeks=every, valid_from=today)
                          for days, start, end, every in ranges for day in days]
        db.session.add(adviser)
    db.session.commit()
