"""The hall's tables, as typed SQLAlchemy 2.0 models. Rules live in the modules beside this one."""
from __future__ import annotations

import enum
from datetime import date, datetime, time, timezone

from flask_login import UserMixin
from sqlalchemy import (
    Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer, String, Table, Column, Text, Time,
    UniqueConstraint, CheckConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(db.TypeDecorator):
    """Stored as naive UTC, returned aware: SQLite keeps no offset, PostgreSQL does."""
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Role(str, enum.Enum):
    admin = "admin"
    reception = "reception"
    mediator = "mediator"


class TicketStatus(str, enum.Enum):
    waiting = "waiting"
    called = "called"
    serving = "serving"
    done = "done"
    no_show = "no_show"
    cancelled = "cancelled"
    # No "transferred" resting state: a transferred ticket keeps its number and phone page and
    # waits again in the new queue; the transfer is a TicketEvent.


class Rating(str, enum.Enum):
    satisfied = "satisfied"          # 满意
    fairly_satisfied = "fairly_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"    # 不满意


def _enum(e, name):
    return Enum(e, name=name, native_enum=False, validate_strings=True, length=20)


class Hall(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    notice: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[time] = mapped_column(Time, default=time(8, 30))
    closes_at: Mapped[time] = mapped_column(Time, default=time(17, 30))
    # ISO weekdays the hall is open, "12345" = Monday to Friday.
    open_weekdays: Mapped[str] = mapped_column(String(7), default="12345")
    kiosk_idle_seconds: Mapped[int] = mapped_column(Integer, default=60)
    ticket_idle_seconds: Mapped[int] = mapped_column(Integer, default=30)
    # Flask-Limiter notation, e.g. "30 per minute": tickets one address may take through the API.
    api_ticket_limit: Mapped[str] = mapped_column(String(60), default="30 per minute")
    # Bumped by every change to the queue; the ETag of every polling fragment.
    queue_version: Mapped[int] = mapped_column(Integer, default=0)

    services: Mapped[list[Service]] = relationship(back_populates="hall", order_by="Service.position")
    counters: Mapped[list[Counter]] = relationship(back_populates="hall", order_by="Counter.number")


counter_services = Table(
    "counter_service",
    db.metadata,
    Column("counter_id", ForeignKey("counter.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


class Service(db.Model):
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    code: Mapped[str] = mapped_column(String(2))  # the ticket prefix: A, B, …
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    icon: Mapped[str] = mapped_column(String(30), default="chat")
    position: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    default_minutes: Mapped[int] = mapped_column(Integer, default=10)

    hall: Mapped[Hall] = relationship(back_populates="services")
    counters: Mapped[list[Counter]] = relationship(secondary=counter_services, back_populates="services")


class Counter(db.Model):
    __table_args__ = (UniqueConstraint("hall_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 3 号窗口
    name: Mapped[str] = mapped_column(String(60), default="")  # 老傅调解室, or empty for a plain window
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who is working this counter now; an open counter shortens the wait estimate.
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    hall: Mapped[Hall] = relationship(back_populates="counters")
    services: Mapped[list[Service]] = relationship(
        secondary=counter_services, back_populates="counters", order_by="Service.position")
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    hall: Mapped[Hall] = relationship()

    def set_password(self, password: str) -> None:
        from flask import current_app
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active


class TicketSequence(db.Model):
    """The last number given per hall, service and local day: the one row numbering locks."""
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(db.Model):
    __table_args__ = (
        UniqueConstraint("hall_id", "day", "code", "number"),
        UniqueConstraint("hall_id", "request_key"),
        Index("ix_ticket_queue", "hall_id", "status", "service_id"),
        CheckConstraint("number > 0", name="ck_ticket_number_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[date] = mapped_column(Date)  # the hall's local date of issue
    code: Mapped[str] = mapped_column(String(2))  # the prefix at issue; kept through a transfer
    number: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    # A random key the kiosk form carries: the same key twice gives the same ticket.
    request_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus, "ticket_status"), default=TicketStatus.waiting)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # 绿色通道
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="kiosk")  # kiosk, api, reception
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    # The time the ticket joined its present queue; a transfer keeps the original place in time.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A transfer to a named counter: only that counter calls it.
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    rating: Mapped[Rating | None] = mapped_column(_enum(Rating, "rating"), nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    hall: Mapped[Hall] = relationship()
    service: Mapped[Service] = relationship()
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])
    target_counter: Mapped[Counter | None] = relationship(foreign_keys=[target_counter_id])
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")

    @property
    def display_number(self) -> str:
        return f"{self.code}{self.number:03d}"


class TicketEvent(db.Model):
    """Every change of a ticket: what, when, who, at which counter. Calls and recalls feed the board."""
    __table_args__ = (Index("ix_ticket_event_hall_action", "hall_id", "action", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # issue, call, recall, start, finish, no_show, cancel, transfer, rate
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    counter: Mapped[Counter | None] = relationship()
    user: Mapped[User | None] = relationship()
