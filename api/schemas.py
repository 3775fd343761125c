"""Reading what an API client sends, before any rule of the hall sees it.

Every refusal is a HallError, so it leaves as JSON {"error": …, "status": …} in the reader's
language (hall/web.py): 415 not JSON, 400 not parseable, 422 the wrong shape. Nothing that a
client can send reaches the database unchecked (a NUL character, for one, makes PostgreSQL fail).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from hall import inputs, queue
from hall.errors import HallError, Invalid, NotFound
from hall.people import clean_phone

SLUG = re.compile(r"[a-z0-9-]{1,40}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,43}")


class NotJSON(HallError):
    status = 415
    message = _l("Please send JSON (Content-Type: application/json).")


class Unreadable(HallError):
    status = 400
    message = _l("What was sent is not valid JSON.")


def hall_slug(slug: str) -> str:
    """A hall's slug from the path; anything that cannot be one names no hall."""
    if not SLUG.fullmatch(slug or ""):
        raise NotFound(_l("There is no such hall."))
    return slug


def ticket_token(token: str) -> str:
    if not TOKEN.fullmatch(token or ""):
        raise NotFound(_l("There is no such ticket."))
    return token


@dataclass
class TicketRequest:
    service: str
    phone: str | None = None
    priority: bool = False
    request_key: str | None = None


def json_body() -> object:
    """The parsed JSON body. A body over MAX_CONTENT_LENGTH raises 413 while it is read."""
    if not request.is_json:
        raise NotJSON()
    limit = request.max_content_length
    # A body with a Content-Length over the limit raises 413 here. A chunked body has none:
    # Werkzeug stops reading at the limit and hands back a truncated body, so call that 413 too.
    if limit is not None and request.content_length is None and len(request.get_data()) >= limit:
        raise RequestEntityTooLarge()
    try:
        return request.get_json()
    except UnsupportedMediaType:
        raise NotJSON() from None
    except (BadRequest, RecursionError):  # RecursionError: "[[[[…" nested thousands deep
        raise Unreadable() from None


def _optional_text(data: dict, field: str) -> str | None:
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        raise Invalid(_l("%(field)s is text.", field=field))
    return value


def _phone(data: dict) -> str | None:
    """The phone as sent (checked as a number by the rules that take it), or None."""
    phone = data.get("phone")
    if phone is not None and not isinstance(phone, str):
        raise Invalid(_l("Please send the mobile number as text, such as \"13812345678\"."))
    return phone


def _request_key(data: dict) -> str | None:
    """The client's key that makes a repeated request give the same answer, or None."""
    key = data.get("request_key")
    if key is not None and (not isinstance(key, str) or not queue.REQUEST_KEY.fullmatch(key)):
        raise Invalid(_l("request_key is 8 to 64 letters, digits or punctuation marks, without spaces."))
    return key


def ticket_request() -> TicketRequest:
    """{"service": "A", "phone": "138…", "priority": false, "request_key": "…"}; other keys are
    ignored, so a client written for a later version still works."""
    data = json_body()
    if not isinstance(data, dict):
        raise Invalid(_l("Please send a JSON object, such as {\"service\": \"A\"}."))
    service = data.get("service")
    if service is None or service == "":
        raise Invalid(_l("Please choose a service."))
    if not isinstance(service, str):
        raise Invalid(_l("The service is its letter code, such as \"A\"."))
    phone = _phone(data)
    priority = data.get("priority", False)
    if priority is None:
        priority = False
    if not isinstance(priority, bool):
        raise Invalid(_l("priority is true or false."))
    key = _request_key(data)
    if not (1 <= len(service) <= 2 and service.isalpha()):
        raise NotFound(_l("This hall has no such service."))
    return TicketRequest(service=service, phone=clean_phone(phone), priority=priority, request_key=key)


@dataclass
class AppointmentRequest:
    service: str
    start: datetime
    phone: str | None
    adviser: int | None = None
    name: str | None = None
    request_key: str | None = None


def aware_time(raw: object, field: str = "start") -> datetime:
    """An ISO 8601 time with its offset (2026-12-01T09:00:00+08:00 or …Z)."""
    if not isinstance(raw, str):
        raise Invalid(_l("Please give the time with its offset, such as 2026-12-01T09:00:00+08:00."))
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise Invalid(_l("Please give the time with its offset, such as 2026-12-01T09:00:00+08:00.")) from None
    if value.tzinfo is None or not inputs.in_range(value.date()):
        raise Invalid(_l("Please give the time with its offset, such as 2026-12-01T09:00:00+08:00."))
    return value


def adviser_id(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    value = inputs.parse_id(raw) if isinstance(raw, (int, str)) else None  # the one rule for ids
    if value is None or value > 999_999_999:  # nine digits at most, as before
        raise Invalid(_l("adviser is an adviser's id, a number."))
    return value


def appointment_request() -> AppointmentRequest:
    """{"service": "A", "start": "2026-12-01T09:00:00+08:00", "adviser": 3, "name": "张三",
    "phone": "13812345678", "request_key": "…"}; other keys are ignored."""
    data = json_body()
    if not isinstance(data, dict):
        raise Invalid(_l("Please send a JSON object, such as {\"service\": \"A\"}."))
    service = data.get("service")
    if not isinstance(service, str) or not service:
        raise Invalid(_l("Please choose a service."))
    name = _optional_text(data, "name")
    phone = _phone(data)
    key = _request_key(data)
    if not (1 <= len(service) <= 2 and service.isalpha()):
        raise NotFound(_l("This hall has no such service."))
    return AppointmentRequest(service=service, start=aware_time(data.get("start")), phone=phone,
                              adviser=adviser_id(data.get("adviser")), name=name, request_key=key)


@dataclass
class SubmissionRequest:
    kind: str
    category: str
    description: str
    name: str | None = None
    phone: str | None = None
    request_key: str | None = None


def submission_token(token: str) -> str:
    if not TOKEN.fullmatch(token or ""):
        raise NotFound(_l("There is no such report."))
    return token


def submission_request() -> SubmissionRequest:
    """{"kind": "complaint", "category": "neighbour", "description": "…", "name": "张三",
    "phone": "13812345678", "request_key": "…"}; other keys are ignored. The shape is checked
    here; what the values may be (a known kind and category, a description of at most 1000
    characters, a mobile number) is hall/reports.py's."""
    data = json_body()
    if not isinstance(data, dict):
        raise Invalid(_l("Please send a JSON object, such as {\"kind\": \"complaint\"}."))
    texts = {}
    for field in ("kind", "category", "description"):
        texts[field] = _optional_text(data, field) or ""
    name = _optional_text(data, "name")
    phone = _phone(data)
    key = _request_key(data)
    return SubmissionRequest(kind=texts["kind"], category=texts["category"], description=texts["description"],
                             name=name, phone=phone, request_key=key)
