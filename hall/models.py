"""The hall's tables, as typed SQLAlchemy 2.0 models. Rules live in the modules beside this one."""
from __future__ import annotations

import enum
from datetime import date, datetime, time, timezone

from flask_login import UserMixin
from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer, LargeBinary, String, Table, Column, Text,
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
    # 当日未办结: still waiting, called or being served when its local day ended (hall/dayend.py).
    expired = "expired"
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
    # Cases: numbered CODE-YEAR-0001 (empty: the slug in capitals); a step open longer than its
    # limit in days is overdue ({"intake": 1, …}; a step not named takes hall.cases.STEP_DAYS).
    case_code: Mapped[str] = mapped_column(String(12), default="", server_default="")
    case_step_days: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # The committee that seals its mediation agreements (和睦街道人民调解委员会); empty: the hall's name.
    committee_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # The last local day whose unfinished tickets were ended (hall/dayend.py); None: never.
    day_closed_through: Mapped[date | None] = mapped_column(Date, nullable=True)

    services: Mapped[list[Service]] = relationship(back_populates="hall", order_by="Service.position")
    # What new work starts with (kiosk tiles, board, booking, API, console choices): the services
    # not retired, in their order. Read-only: it follows Service.retired after a commit.
    offered_services: Mapped[list[Service]] = relationship(
        primaryjoin="and_(Hall.id == Service.hall_id, Service.retired.is_(False))",
        order_by="(Service.position, Service.id)", viewonly=True)
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
    # A service in use is retired, never deleted: its tickets and statistics keep it.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    # The real name printed on agreements and summaries (傅国强); the display name may be short (老傅).
    full_name: Mapped[str] = mapped_column(String(60), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A temporary password set by an administrator must be changed at the next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Bumped when the login is disabled or its password changes: sessions of an older version end.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    hall: Mapped[Hall] = relationship()
    # The adviser this login belongs to (Adviser.user_id), if any: read only, set on the adviser.
    adviser: Mapped[Adviser | None] = relationship(
        primaryjoin="User.id == foreign(Adviser.user_id)", viewonly=True, uselist=False)

    def set_password(self, password: str) -> None:
        from flask import current_app
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """The session's id: a session of an older version (the login was disabled or its password
        changed since) is refused by hall.accounts.user_for_session."""
        return f"{self.id}-{self.session_version or 0}"


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


# ---- cases: the six-step closed loop, residents' reports, the audit log ----------------------

class CaseStep(str, enum.Enum):
    """The six steps of the closed loop (小区说事亭), in order."""
    intake = "intake"                # 开放说事
    sorted = "sorted"                # 分类理事
    deliberating = "deliberating"    # 多方议事
    acting = "acting"                # 党群办事
    following_up = "following_up"    # 跟踪督事
    rated = "rated"                  # 群众评事


CASE_STEPS: tuple[CaseStep, ...] = tuple(CaseStep)


class CaseOutcome(str, enum.Enum):
    success = "success"        # 调解成功
    failed = "failed"          # 调解不成 (the other channels told)
    withdrawn = "withdrawn"    # 撤回
    referred = "referred"      # 转办
    declined = "declined"      # 不予受理 at 分类理事 (the reason and the other channels told)
    answered = "answered"      # 已答复: an inquiry or a suggestion answered


class CaseSource(str, enum.Enum):
    visit = "visit"            # a finished visit (ticket)
    appointment = "appointment"
    kiosk = "kiosk"            # a resident's own report at the kiosk
    phone = "phone"            # … or on the phone page
    staff = "staff"            # entered by staff
    police = "police"          # referred by 公安
    court = "court"            # … by 法院
    government = "government"  # … by 政府


class CaseKind(str, enum.Enum):
    dispute = "dispute"        # 矛盾纠纷
    petition = "petition"      # 信访
    complaint = "complaint"    # 投诉
    inquiry = "inquiry"        # 咨询
    suggestion = "suggestion"  # 建议


class PartyRole(str, enum.Enum):
    applicant = "applicant"    # 申请人
    respondent = "respondent"  # 被申请人
    other = "other"            # 其他


class CaseSequence(db.Model):
    """The last case number given per hall and year: numbers are never reused."""
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Case(db.Model):
    """事项: a dispute, petition, complaint, inquiry or suggestion followed to its end."""
    __table_args__ = (
        UniqueConstraint("hall_id", "year", "sequence"),
        Index("ix_case_desk", "hall_id", "closed_at", "step"),
        Index("ix_case_handler", "handler_id", "closed_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)  # DEMO-2026-0042
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(43), unique=True)  # the resident's page, 128 random bits
    source: Mapped[CaseSource] = mapped_column(_enum(CaseSource, "case_source"))
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind, "case_kind"), default=CaseKind.dispute)
    category: Mapped[str] = mapped_column(String(20), default="other")
    title: Mapped[str] = mapped_column(String(120), default="")
    facts: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[CaseStep] = mapped_column(_enum(CaseStep, "case_step"), default=CaseStep.intake)
    step_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # for "overdue"
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where it came from.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), nullable=True, unique=True)
    # How it ended.
    outcome: Mapped[CaseOutcome | None] = mapped_column(_enum(CaseOutcome, "case_outcome"), nullable=True)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    other_channels: Mapped[str] = mapped_column(Text, default="")  # 诉讼, 仲裁, 行政复议 … told to the resident
    # The agreement (调解协议书, People's Mediation Law art. 29).
    disputed_matters: Mapped[str] = mapped_column(Text, default="")   # 纠纷的主要事实、争议事项
    responsibilities: Mapped[str] = mapped_column(Text, default="")   # 各方当事人的责任
    agreement_terms: Mapped[str] = mapped_column(Text, default="")    # 达成协议的内容
    performance: Mapped[str] = mapped_column(Text, default="")        # 履行方式、期限
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The resident's rating (群众评事).
    rating: Mapped[Rating | None] = mapped_column(_enum(Rating, "rating"), nullable=True)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    hall: Mapped[Hall] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    ticket: Mapped[Ticket | None] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseParty.position")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id")
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="FollowUp.id")
    submission: Mapped[Submission | None] = relationship(back_populates="case")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CaseParty(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[PartyRole] = mapped_column(_enum(PartyRole, "party_role"), default=PartyRole.applicant)
    name: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    id_number: Mapped[str] = mapped_column(String(20), default="")  # 身份证号, optional
    address: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[Case] = relationship(back_populates="parties")


class CaseEvent(db.Model):
    """The timeline: every action on a case (who, when, what), in the step it belongs to. A
    public entry is shown on the resident's page (replies staff chose to publish, the
    resident's own remarks, the moves)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)  # None: the resident
    step: Mapped[CaseStep] = mapped_column(_enum(CaseStep, "case_step"))
    # opened, sorted, declined, session, outcome, agreement, follow_up, rated, closed, moved,
    # reassigned, note, reply, remark, withdrawn
    action: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class FollowUp(db.Model):
    """回访: a visit or call after the agreement: is it being honoured, is the resident content."""
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    method: Mapped[str] = mapped_column(String(20), default="call")  # call, visit
    honoured: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # the agreement carried out?
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="follow_ups")
    user: Mapped[User | None] = relationship()


class SubmissionKind(str, enum.Enum):
    complaint = "complaint"    # 我要投诉
    inquiry = "inquiry"        # 我要咨询
    suggestion = "suggestion"  # 我要建议


class Submission(db.Model):
    """A resident's own report from the kiosk, the phone page or the API: it opens a case."""
    __table_args__ = (UniqueConstraint("hall_id", "request_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    kind: Mapped[SubmissionKind] = mapped_column(_enum(SubmissionKind, "submission_kind"))
    channel: Mapped[str] = mapped_column(String(20), default="kiosk")  # kiosk, phone, api
    token: Mapped[str] = mapped_column(String(43), unique=True)  # 我的上报, 128 random bits
    request_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="submission")
    photos: Mapped[list[CasePhoto]] = relationship(back_populates="submission", order_by="CasePhoto.id")


class CasePhoto(db.Model):
    """A photo of a report: checked by its content, re-encoded without metadata (no location)."""
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), nullable=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    content_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission | None] = relationship(back_populates="photos")


class AuditEntry(db.Model):
    """Who did or saw what, when: every move of a case and every view of its personal data."""
    __table_args__ = (Index("ix_audit_hall_at", "hall_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(40))  # case.open, case.move, case.view_personal, …
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")  # the client's IP address

    user: Mapped[User | None] = relationship()
    case: Mapped[Case | None] = relationship()
