"""Ids and dates from a request, range-checked in one place.

An id in a URL or a form is a row's primary key: a whole number 1..2^31-1 (PostgreSQL's `integer`;
beyond it PostgreSQL refuses the query, and SQLite beyond 2^63-1). A date a person can ask for
lies within DAY_MIN..DAY_MAX: a day near year 1 or 9999 would overflow as soon as a screen shifts
it by a week. Whatever is outside is not a thing of the hall: the path's id answers 404 (the `id`
URL converter), a field's id or date is None for the caller to answer with its own message.
"""
from __future__ import annotations

from datetime import date

from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1
DAY_MIN = date(2000, 1, 1)
DAY_MAX = date(2099, 12, 31)


def parse_id(raw) -> int | None:
    """A row id from a URL, a query string or a form: digits only, 1..ID_MAX; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 1 <= raw <= ID_MAX else None
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(ID_MAX)):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


def parse_day(raw) -> date | None:
    """A day as YYYY-MM-DD within DAY_MIN..DAY_MAX; else None."""
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw if raw is not None else "").strip())
        except ValueError:
            return None
    return value if DAY_MIN <= value <= DAY_MAX else None


def in_range(day: date) -> bool:
    return DAY_MIN <= day <= DAY_MAX


class IdConverter(IntegerConverter):
    """`<id:name>`: a row id in the path. Out of range it does not match, so the answer is the
    plain 404 of an unknown page, never a query the database refuses."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def install(app) -> None:
    app.url_map.converters["id"] = IdConverter
