"""The demo hall: what `make run` loads into an empty database."""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from .extensions import db
from .models import Hall
from .setup import create_counter, create_hall, create_service, create_user

DEMO_PASSWORD = "hall-demo"


def load_demo() -> Hall:
    existing = db.session.scalar(select(Hall).where(Hall.slug == "demo"))
    if existing:
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
    return hall
