"""What every page shares: error pages, polling fragments that answer 304, template helpers."""
from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Callable

from flask import Flask, Response, make_response, render_template, request
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from . import clock
from .errors import HallError, NotFound
from .extensions import db, htmx
from .i18n import is_english, lang_url, service_name
from .people import mask_name, mask_phone


def wants_fragment() -> bool:
    """An htmx request for a fragment; a boosted or history-restore request gets the full page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def page_or_fragment(page: str, fragment: str, status: int = 200, **context) -> Response:
    """One URL, two answers (the page, or the fragment it includes), and caches told so."""
    response = make_response(render_template(fragment if wants_fragment() else page, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def unknown_shows(page: Callable[..., Response]):
    """Unknown or malformed hall, service or token (a QR code may be old or mistyped): the view
    answers with `page(**the view's arguments)`, a friendly page, never a bare 404 nor a hint of
    what exists."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except NotFound:
                db.session.rollback()
                return page(**kwargs)
        return wrapper
    return decorate


def no_store(response) -> Response:
    """An answer no browser's or proxy's cache keeps, nor the back button shows again."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def personal_data(view):
    """A view that answers personal data in full (a reveal: a phone, an identity number, an
    address, a document that prints them): the answer is never kept by the browser's or a
    proxy's cache (Cache-Control: no-store), whatever it is."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        return no_store(view(*args, **kwargs))
    return wrapper


def etag_for(*parts) -> str:
    return "-".join(str(p) for p in (*parts, get_locale()))


def polled(page: str, fragment: str, tag: str, context) -> Response:
    """A self-replacing polling fragment: 304 while nothing changed. `context` is only called
    when something did, so an idle board or phone costs one indexed read."""
    if wants_fragment() and tag in request.if_none_match:
        response = Response(status=304)
    else:
        response = page_or_fragment(page, fragment, etag=tag, **context())
    response.set_etag(tag)
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "no-cache"
    return response


def hall_time(value: datetime | None, hall, fmt: str = "HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(clock.local(hall, value), fmt, rebase=False)


def error_response(status: int, message: str) -> Response:
    """Bad input or a refused move: a clear message, nothing changed. Under htmx the message
    lands in the page's message area instead of replacing the element that asked."""
    if request.path.startswith("/api/"):
        from flask import jsonify
        return make_response(jsonify(error=message, status=status), status)
    if htmx and not htmx.boosted:
        response = make_response(render_template("_message.html", message=message), status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("errors/error.html", message=message, status=status), status)


def install(app: Flask) -> None:
    @app.errorhandler(HallError)
    def on_hall_error(error: HallError):
        db.session.rollback()
        response = error_response(error.status, str(error.message))
        response.headers.update(getattr(error, "headers", None) or {})
        return response

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException):
        messages = {
            400: _("The request could not be understood. Please try again."),
            403: _("You do not have permission to do that."),
            404: _("Sorry, we could not find that page."),
            405: _("That action is not allowed here."),
            413: _("What was sent is too large."),
            415: _("Please send JSON."),
            429: _("Too many requests. Please wait a moment and try again."),
        }
        message = messages.get(error.code, error.description or _("Something went wrong."))
        response = error_response(error.code or 500, message)
        if error.code == 429 and getattr(error, "retry_after", None):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception):
        app.logger.exception("unexpected error")
        db.session.rollback()
        return error_response(500, _("Something went wrong. Please ask at the front desk."))

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def on_csrf(error):
        return error_response(400, _("This page was open too long. Please reload and try again."))

    app.jinja_env.globals.update(
        service_name=service_name, is_english=is_english, lang_url=lang_url, mask_phone=mask_phone,
        mask_name=mask_name, hall_time=hall_time)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
