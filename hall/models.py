"""The hall's tables, as typed SQLAlchemy 2.0 models. Rules live in the modules beside this one."""
from __future__ import annotations

import enum
from datetime import date, datetime, time, timezone

from flask_login import UserMixin
from sqlalchemy import (
    Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer, LargeBinary, String, Table, Column, Text,
    Time, UniqueConstraint, CheckConstraint, false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
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
    # Booking window: the earliest slot a resident may book is this many minutes from now, the
    # latest this many days ahead (today counts as day 0).
    booking_notice_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    booking_days_ahead: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    # Arrival: a checked-in appointment goes ahead of walk-ins from this many minutes before its
    # slot; after this many minutes past its start it is late (joins as a walk-in) and a booking
    # nobody checked in for becomes a no-show.
    checkin_early_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    checkin_grace_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")

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
    # Appointments: a bookable service offers slots of slot_minutes, each with slot_capacity seats
    # per adviser on duty.
    bookable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    slot_capacity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

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
    # A checked-in appointment's ticket goes ahead of walk-ins from this moment (a few minutes
    # before its slot); None for a walk-in.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
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


# ---- advisers, rosters and appointments ------------------------------------------------------

class AdviserKind(str, enum.Enum):
    people_mediator = "people_mediator"  # 人民调解员
    legal_counsel = "legal_counsel"      # 法律顾问
    lawyer = "lawyer"                    # 律师
    legal_literate = "legal_literate"    # 法律明白人
    counsellor = "counsellor"            # 心理咨询师
    grid_worker = "grid_worker"          # 网格员


adviser_services = Table(
    "adviser_service",
    db.metadata,
    Column("adviser_id", ForeignKey("adviser.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


class Adviser(db.Model):
    """A person residents are served by: a mediator, a legal adviser, a lawyer …"""
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[AdviserKind] = mapped_column(_enum(AdviserKind, "adviser_kind"))
    # Dispute categories (hall/categories.py), comma-separated codes: "family,neighbour".
    specialties: Mapped[str] = mapped_column(String(300), default="")
    # The room they usually sit in; a roster range may name another.
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    intro: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    photo_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    hall: Mapped[Hall] = relationship()
    counter: Mapped[Counter | None] = relationship()
    user: Mapped[User | None] = relationship()
    services: Mapped[list[Service]] = relationship(secondary=adviser_services, order_by="Service.position")
    shifts: Mapped[list[Shift]] = relationship(back_populates="adviser", cascade="all, delete-orphan",
                                               order_by="(Shift.weekday, Shift.starts_at)")
    exceptions: Mapped[list[ShiftException]] = relationship(
        back_populates="adviser", cascade="all, delete-orphan", order_by="(ShiftException.day, ShiftException.starts_at)")

    @property
    def specialty_codes(self) -> list[str]:
        return [code for code in (self.specialties or "").split(",") if code]


class Shift(db.Model):
    """One range of an adviser's weekly duty pattern: Tuesdays 09:00–11:30, every week or every
    other week (counted from the week of valid_from), between two dates."""
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ck_shift_range"),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="ck_shift_weekday"),
        CheckConstraint("every_weeks IN (1, 2)", name="ck_shift_every"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    adviser_id: Mapped[int] = mapped_column(ForeignKey("adviser.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # ISO: 1 Monday … 7 Sunday
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)

    adviser: Mapped[Adviser] = relationship(back_populates="shifts")
    counter: Mapped[Counter | None] = relationship()


class ExceptionKind(str, enum.Enum):
    leave = "leave"  # 请假: off duty (the whole day when no times are given)
    extra = "extra"  # 加班: an extra session


class ShiftException(db.Model):
    """A dated change to an adviser's pattern: leave, or an extra session."""
    __table_args__ = (
        CheckConstraint("(starts_at IS NULL AND ends_at IS NULL) OR (starts_at < ends_at)",
                        name="ck_shift_exception_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    adviser_id: Mapped[int] = mapped_column(ForeignKey("adviser.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[ExceptionKind] = mapped_column(_enum(ExceptionKind, "exception_kind"))
    starts_at: Mapped[time | None] = mapped_column(Time, nullable=True)
    ends_at: Mapped[time | None] = mapped_column(Time, nullable=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")

    adviser: Mapped[Adviser] = relationship(back_populates="exceptions")
    counter: Mapped[Counter | None] = relationship()


class ClosedDay(db.Model):
    """A day the whole hall is closed (a public holiday): no slots, whatever the rosters say."""
    __table_args__ = (UniqueConstraint("hall_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(60), default="")


class AppointmentStatus(str, enum.Enum):
    booked = "booked"
    checked_in = "checked_in"
    called = "called"
    done = "done"
    no_show = "no_show"
    cancelled = "cancelled"


class Appointment(db.Model):
    """A booked seat in an adviser's slot. The seat (1 … the service's slot capacity) is unique per
    adviser and start: the database refuses a second booking of the same seat, so a slot is never
    booked beyond its capacity, whatever races. A cancelled booking gives its seat back (NULL)."""
    __table_args__ = (
        UniqueConstraint("adviser_id", "starts_at", "seat", name="uq_appointment_seat"),
        UniqueConstraint("hall_id", "request_key"),
        CheckConstraint("seat IS NULL OR seat >= 1", name="ck_appointment_seat"),
        Index("ix_appointment_day", "hall_id", "starts_at"),
        Index("ix_appointment_phone", "hall_id", "phone"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    adviser_id: Mapped[int] = mapped_column(ForeignKey("adviser.id"), index=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counter.id"), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.booked)
    name: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(43), unique=True)  # the QR code's, 128 random bits
    # Typed at the kiosk with the phone's last 4 digits when the QR code is not at hand.
    short_code: Mapped[str] = mapped_column(String(6))
    channel: Mapped[str] = mapped_column(String(20), default="kiosk")  # kiosk, phone, reception, api
    request_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    hall: Mapped[Hall] = relationship()
    service: Mapped[Service] = relationship()
    adviser: Mapped[Adviser] = relationship()
    counter: Mapped[Counter | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()
