"""The kiosk: a public touchscreen (portrait 1080×1920) where a walk-in resident takes a ticket.

    GET  /k/<hall>                 home: one tile per service
    GET  /k/<hall>/s/<code>        step two: optional phone (on-screen keypad), priority lane, take
    POST /k/<hall>/s/<code>        take a number, then 303 to the ticket screen
    GET  /k/<hall>/ticket/<token>  the ticket: number, people ahead, wait, QR code, print

Autoprint: open the home URL once with ?autoprint=1 in the kiosk's browser (Chromium started with
--kiosk --kiosk-printing); the session remembers it and every new ticket prints itself on its
first showing. ?autoprint=0 turns it off.

Keyboard: a kiosk with a way to type (a keyboard, a handwriting pad, an on-screen keyboard) is
opened once with ?keyboard=1, and its report form offers a box to write in; without it the form
says to ask the staff instead of pointing at an input the kiosk does not have. ?keyboard=0 turns
it off.
"""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from flask import redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from hall import kiosk_flow, queue
from hall.errors import HallClosed, Invalid, NotFound, ServicePaused
from hall.extensions import db
from hall.i18n import is_english
from hall.links import public_url, qr_svg
from hall.services_admin import SERVICE_ICONS
from hall.web import polled, unknown_shows

from . import bp

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
AUTOPRINT = "kiosk_autoprint"
KEYBOARD = "kiosk_keyboard"
JUST_TAKEN = "kiosk_just_taken"
HOME_POLL_SECONDS = 10


@lru_cache(maxsize=None)
def _icon_file(name: str) -> str:
    return (ICONS / f"{name}.svg").read_text(encoding="utf-8")


def icon(name: str | None) -> Markup:
    """A service icon, inline so that it takes the tile's colour (currentColor)."""
    return Markup(_icon_file(name if name in SERVICE_ICONS else "chat"))


def reconnect_texts() -> list[dict]:
    """What the kiosk's reconnecting screen says: in Chinese, then in English on an English
    screen. It is rendered with every kiosk page, since nothing can be fetched once it shows."""
    languages = ["zh_Hans_CN", "en"] if is_english() else ["zh_Hans_CN"]
    texts = []
    for language in languages:
        with force_locale(language):
            texts.append({"lang": "en" if language == "en" else "zh-CN",
                          "title": _("Reconnecting…"),
                          "body": _("Please wait a moment. This screen goes back to the start by itself "
                                    "as soon as the connection is back."),
                          "help": _("If you need help now, please ask the staff.")})
    return texts


@bp.context_processor
def kiosk_helpers():
    return {"kiosk_icon": icon, "reconnect_texts": reconnect_texts,
            "kiosk_count": Markup('<b class="idle-count" id="idle-count">8</b>')}


def _not_found(hall_slug: str | None = None):
    """A friendly page instead of a bare 404; a known hall gets a way home."""
    home = None
    if hall_slug:
        try:
            queue.hall_by_slug(hall_slug)
            home = url_for("kiosk.home", hall=hall_slug)
        except NotFound:
            db.session.rollback()
    return render_template("kiosk/not_found.html", home_url=home), 404


# Unknown hall, service or ticket: the kiosk's own 404 page, with a way home when the hall exists.
kiosk_page = unknown_shows(lambda hall=None, **_: _not_found(hall))


def _remember_kiosk_settings() -> None:
    """?autoprint= and ?keyboard= (1 or 0) on the home URL: what this kiosk can do."""
    for arg, key in (("autoprint", AUTOPRINT), ("keyboard", KEYBOARD)):
        choice = request.args.get(arg)
        if choice in ("1", "0"):
            session[key] = choice == "1"


def can_type() -> bool:
    """This kiosk was set up with a way to type (?keyboard=1)."""
    return bool(session.get(KEYBOARD))


@bp.get("/k/<hall>")
@kiosk_page
def home(hall):
    _remember_kiosk_settings()
    screen = kiosk_flow.home(hall)
    return polled("kiosk/home.html", "kiosk/_tiles.html", f"kiosk-{screen.signature}",
                  lambda: {"screen": screen, "poll_seconds": HOME_POLL_SECONDS})


def form_key(raw: str | None = None) -> str:
    """The random key a kiosk or phone form carries, so that a double tap or a resubmitted form
    gives one answer: the key it came back with, or a new one."""
    return raw if raw and 8 <= len(raw) <= 64 else secrets.token_urlsafe(16)


def _render_step(screen, *, phone: str = "", priority: bool = False, request_key: str | None = None,
                 error: str | None = None, status: int = 200):
    key = form_key(request_key)
    digits = "".join(ch for ch in phone if ch.isdigit())[:11]
    return render_template("kiosk/service.html", screen=screen, phone=digits, priority=priority,
                           request_key=key, error=error), status


@bp.get("/k/<hall>/s/<code>")
@kiosk_page
def service(hall, code):
    return _render_step(kiosk_flow.step(hall, code))


@bp.post("/k/<hall>/s/<code>")
@kiosk_page
def take(hall, code):
    phone = request.form.get("phone", "")
    priority = request.form.get("priority") == "1"
    key = request.form.get("request_key", "")
    try:
        ticket = kiosk_flow.take(hall, code, phone=phone, priority=priority, request_key=key or None)
    except (Invalid, ServicePaused, HallClosed) as error:
        db.session.rollback()
        return _render_step(kiosk_flow.step(hall, code), phone=phone, priority=priority,
                            request_key=key, error=str(error.message), status=error.status)
    session[JUST_TAKEN] = ticket.token
    return redirect(url_for("kiosk.ticket", hall=hall, token=ticket.token), 303)


def ticket_print(token: str) -> dict:
    """What a ticket screen needs to print: whether this kiosk prints it by itself (only on the
    ticket's first showing, never again on a reload), and the QR code of its phone page (shown
    on screen and on the print-out: no duplicate id in the page)."""
    first_showing = session.pop(JUST_TAKEN, None) == token
    phone_url = public_url("kiosk.phone", token=token)
    return {"autoprint": bool(session.get(AUTOPRINT)) and first_showing,
            "qr": Markup(str(qr_svg(phone_url, label=_("Scan to follow the queue"))).replace(' id="qr-path"', ""))}


@bp.get("/k/<hall>/ticket/<token>")
@kiosk_page
def ticket(hall, token):
    return render_template("kiosk/ticket.html", screen=kiosk_flow.ticket(hall, token), **ticket_print(token))
