"""The resident's booking screens: at the kiosk, on a phone behind a hall poster's QR code, and
the appointment's own page behind the slip's QR code.

Kiosk (/k/<hall>/book…, portrait 1080×1920, touch, no keyboard) and phone (/p/<hall>/book…) walk
the same steps through the same functions of hall/booking_flow.py:

    GET  …/book                          the bookable services (straight on when there is one)
    GET  …/book/<code>                   how to choose: by topic, by adviser, or anyone
    GET  …/book/<code>/topics            the dispute categories advisers take
    GET  …/book/<code>/advisers[?topic]  adviser cards (those of a topic)
    GET  …/book/<code>/days?adviser|topic      days with free slots
    GET  …/book/<code>/times?day&adviser|topic free times of a day (grouped by adviser)
    GET  …/book/<code>/details?start&adviser   phone (required) and name (optional)
    POST …/book/<code>/details           book; 409: "just taken", the nearest free times as buttons
    GET  /k/<hall>/book/done/<token>     the kiosk's confirmation and printable slip

The phone's steps swap one fragment (#booking) under htmx; the kiosk loads whole pages (the
keypad and the idle reset start with each page). The phone ends on the appointment page:

    GET  /a/<token>          details, status, check-in code, calendar, cancel, move
    GET  /a/<token>.ics      the appointment as an iCalendar file
    POST /a/<token>/cancel   cancel (the page asks twice first)
    GET  /a/<token>/move[?day]   move: a day, then a time
    POST /a/<token>/move     move to the chosen slot
"""
from __future__ import annotations

from functools import wraps

from flask import (current_app, make_response, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from markupsafe import Markup

from hall import booking_flow as flow
from hall import cases
from hall.booking import SlotTaken
from hall.errors import HallError, NotFound
from hall.extensions import db
from hall.links import public_url, qr_svg
from hall.web import page_or_fragment, unknown_shows, wants_fragment

from . import bp
from .phone import followed_case
from .views import AUTOPRINT, _not_found, form_key

JUST_BOOKED = "kiosk_just_booked"
SURFACES = {"k": "kiosk", "p": "phone"}
STEP_TEMPLATE = "kiosk/booking/_{}.html"


def _photo_url(adviser) -> str | None:
    """The adviser's photo (admin/rosters.py serves it to the public screens too), when there is
    one; else the card shows the initials."""
    endpoint = "admin.adviser_photo"
    if not getattr(adviser, "photo_type", None) or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, adviser_id=adviser.id)


@bp.context_processor
def booking_helpers():
    return {"adviser_photo_url": _photo_url, "start_param": flow.start_param}


def _helpers(surface: str, hall_slug: str, code: str | None = None):
    """What every step's template needs: where it is (kiosk or phone) and how to link a step."""
    kiosk = surface == "k"

    def step_url(step: str, **values) -> str:
        values = {k: v for k, v in values.items() if v not in (None, "")}
        if step == "start":
            return url_for(f"kiosk.book_start_{surface}", hall=hall_slug, **values)
        return url_for(f"kiosk.book_{step}_{surface}", hall=hall_slug, code=values.pop("code", code), **values)

    return {"kiosk": kiosk, "surface": surface, "step_url": step_url,
            "home_url": url_for("kiosk.home", hall=hall_slug, lang="zh") if kiosk else None}


def _render(surface: str, hall_slug: str, step: str, status: int = 200, code: str | None = None, **context):
    context.update(_helpers(surface, hall_slug, code))
    page = f"{SURFACES[surface]}/booking/page.html"
    return page_or_fragment(page, STEP_TEMPLATE.format(step), status=status, step=step, **context)


def _problem(surface: str, hall_slug: str, error: HallError, code: str | None = None):
    """A refused step (a day outside the window, an inactive adviser …): the message in the
    reader's language and a way on; nothing changed."""
    db.session.rollback()
    try:
        hall = flow.services(hall_slug).hall
    except NotFound:
        db.session.rollback()
        return _unknown_hall(surface, hall_slug)
    step_url = _helpers(surface, hall_slug, code)["step_url"]
    back = step_url("how") if code else step_url("start")
    return _render(surface, hall_slug, "problem", status=error.status, code=code, hall=hall, back=back,
                   message=str(error.message))


def _unknown_hall(surface: str, hall_slug: str):
    if surface == "k":
        return _not_found(hall_slug)
    return page_or_fragment("phone/booking/unknown.html", "phone/booking/_unknown.html", status=404,
                            what="page")


def booking_step(view):
    """Unknown hall or service: the surface's own 404; any other refusal: the problem step."""
    @wraps(view)
    def wrapper(surface, hall, *args, **kwargs):
        try:
            return view(surface, hall, *args, **kwargs)
        except SlotTaken:
            raise
        except NotFound as error:
            db.session.rollback()
            if str(error.message) == str(NotFound.message):  # no such hall or service
                return _unknown_hall(surface, hall)
            return _problem(surface, hall, error, kwargs.get("code"))
        except HallError as error:
            return _problem(surface, hall, error, kwargs.get("code"))
    return wrapper


def _route(rule: str, endpoint: str, view, methods=("GET",)):
    """The same view for the kiosk (/k/…) and the phone (/p/…)."""
    for surface in SURFACES:
        def bound(surface=surface, **kwargs):
            return view(surface, **kwargs)
        bp.add_url_rule(f"/{surface}{rule}", f"{endpoint}_{surface}", bound, methods=list(methods))


# ---- the steps ---------------------------------------------------------------------------------

def _back_to_whom(surface, hall, code, choice):
    step_url = _helpers(surface, hall, code)["step_url"]
    if choice.adviser is not None or choice.topic:
        return step_url("advisers", topic=choice.topic)
    return step_url("how")


@booking_step
def start(surface, hall):
    screen = flow.services(hall)
    if len(screen.services) == 1 and not wants_fragment():
        return redirect(_helpers(surface, hall)["step_url"]("how", code=screen.services[0].code), 303)
    return _render(surface, hall, "services", hall=screen.hall, screen=screen,
                   back=url_for("kiosk.home", hall=hall) if surface == "k" else None)


@booking_step
def how(surface, hall, code):
    screen = flow.service(hall, code)
    several = len(flow.bookable(screen.hall)) > 1
    back = (_helpers(surface, hall)["step_url"]("start") if several
            else url_for("kiosk.home", hall=hall) if surface == "k" else None)
    return _render(surface, hall, "how", code=code, hall=screen.hall, screen=screen, back=back)


@booking_step
def topics(surface, hall, code):
    screen = flow.service(hall, code)
    return _render(surface, hall, "topics", code=code, hall=screen.hall, screen=screen,
                   back=_helpers(surface, hall, code)["step_url"]("how"))


@booking_step
def advisers(surface, hall, code):
    screen = flow.service(hall, code, topic=request.args.get("topic"))
    step_url = _helpers(surface, hall, code)["step_url"]
    return _render(surface, hall, "advisers", code=code, hall=screen.hall, screen=screen,
                   back=step_url("topics") if screen.topic else step_url("how"))


@booking_step
def days(surface, hall, code):
    screen = flow.days(hall, code, request.args.get("adviser"), request.args.get("topic"))
    return _render(surface, hall, "days", code=code, hall=screen.hall, screen=screen,
                   back=_back_to_whom(surface, hall, code, screen.choice))


def _choice_args() -> dict:
    return {k: request.args[k] for k in ("adviser", "topic") if request.args.get(k)}


@booking_step
def times(surface, hall, code):
    if not request.args.get("day"):  # an address typed or kept without its day
        return redirect(_helpers(surface, hall, code)["step_url"]("days", **_choice_args()), 303)
    screen = flow.times(hall, code, request.args.get("day"), request.args.get("adviser"),
                        request.args.get("topic"))
    back = _helpers(surface, hall, code)["step_url"]("days", **screen.choice.params())
    return _render(surface, hall, "times", code=code, hall=screen.hall, screen=screen, back=back)


def _details_page(surface, hall, code, screen, *, phone="", name="", surname="", address="",
                  request_key=None, error=None, status=200):
    digits = "".join(ch for ch in phone if ch.isdigit())[:11] if surface == "k" else phone[:20]
    back = _helpers(surface, hall, code)["step_url"]("times", day=screen.day.day.isoformat(),
                                                      **screen.choice.params())
    return _render(surface, hall, "details", status=status, code=code, hall=screen.hall, screen=screen, back=back,
                   phone=digits, name=name[:40], surname=surname, address=address,
                   request_key=form_key(request_key), error=error)


@booking_step
def details(surface, hall, code):
    if not request.args.get("start"):
        return redirect(_helpers(surface, hall, code)["step_url"]("days", **_choice_args()), 303)
    try:
        screen = flow.details(hall, code, request.args.get("start"), request.args.get("adviser"),
                              request.args.get("topic"))
    except SlotTaken as taken:  # full by now: the nearest free times, each opening its details
        return _taken(surface, hall, code, taken, phone="", name="")
    return _details_page(surface, hall, code, screen)


def _taken(surface, hall, code, taken: SlotTaken, *, phone, name):
    db.session.rollback()
    hall_row = flow.services(hall).hall
    return _render(surface, hall, "taken", status=409, code=code, hall=hall_row,
                   back=_helpers(surface, hall, code)["step_url"]("how"),
                   alternatives=flow.alternatives(hall_row, taken), phone=phone, name=name,
                   new_key=form_key, message=str(taken.message))


@booking_step
def book(surface, hall, code):
    form = request.form
    phone, key = form.get("phone", ""), form.get("request_key", "")
    if surface == "k":
        name = form.get("name") or flow.kiosk_name(form.get("surname"), form.get("address"))
    else:
        name = form.get("name", "")
    try:
        booked = flow.book(hall, code, start=form.get("start"), adviser=form.get("adviser"), phone=phone,
                           name=name, channel="kiosk" if surface == "k" else "phone", request_key=key)
    except SlotTaken as taken:
        return _taken(surface, hall, code, taken, phone=phone, name=name)
    except HallError as error:
        db.session.rollback()
        try:
            screen = flow.details(hall, code, form.get("start"), form.get("adviser"), form.get("topic"))
        except SlotTaken as taken:
            return _taken(surface, hall, code, taken, phone=phone, name=name)
        except HallError:
            db.session.rollback()
            raise error from None  # the slot itself is wrong: the problem step says why
        return _details_page(surface, hall, code, screen, phone=phone, name=form.get("name", ""),
                             surname=form.get("surname", ""), address=form.get("address", ""),
                             request_key=key, error=str(error.message), status=error.status)
    token = booked.appointment.token
    if surface == "k":
        session[JUST_BOOKED] = token
        return redirect(url_for("kiosk.book_done", hall=hall, token=token), 303)
    target = url_for("kiosk.appointment", token=token)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


_route("/<hall>/book", "book_start", start)
_route("/<hall>/book/<code>", "book_how", how)
_route("/<hall>/book/<code>/topics", "book_topics", topics)
_route("/<hall>/book/<code>/advisers", "book_advisers", advisers)
_route("/<hall>/book/<code>/days", "book_days", days)
_route("/<hall>/book/<code>/times", "book_times", times)
_route("/<hall>/book/<code>/details", "book_details", details)
_route("/<hall>/book/<code>/details", "book_book", book, methods=("POST",))


def _qr(url: str, label: str) -> Markup:
    # Shown on screen and on the slip: no duplicate id in the page.
    return Markup(str(qr_svg(url, label=label)).replace(' id="qr-path"', ""))


@bp.get("/k/<hall>/book/done/<token>")
def book_done(hall, token):
    try:
        screen = flow.confirmation(hall, token)
    except NotFound:
        db.session.rollback()
        return _not_found(hall)
    first_showing = session.pop(JUST_BOOKED, None) == token
    autoprint = bool(session.get(AUTOPRINT)) and first_showing
    page_url = public_url("kiosk.appointment", token=token)
    return render_template("kiosk/booking/done.html", screen=screen, hall=screen.hall, autoprint=autoprint,
                           qr=_qr(page_url, _("Scan to see your appointment")), room=flow.room_text(screen.room),
                           home_url=url_for("kiosk.home", hall=hall, lang="zh"))


# ---- the appointment's page ------------------------------------------------------------------

def _unknown_appointment():
    return page_or_fragment("phone/booking/unknown.html", "phone/booking/_unknown.html", status=404,
                            what="appointment")


def _appointment_page(screen, status=200, **extra):
    # The page's own QR code: the kiosk's scanner checks in from the phone's screen (hall/arrival.py).
    qr = _qr(public_url("kiosk.appointment", token=screen.appointment.token), _("Scan at the kiosk to check in"))
    return page_or_fragment("phone/booking/appointment.html", "phone/booking/_appointment.html", status=status,
                            screen=screen, hall=screen.hall, room=flow.room_text(screen.room), qr=qr,
                            followed_case=followed_case(cases.case_of_visit(ticket_id=screen.appointment.ticket_id,
                                                                             appointment_id=screen.appointment.id)),
                            **extra)


appointment_view = unknown_shows(lambda **_: _unknown_appointment())


@bp.get("/a/<token>")
@appointment_view
def appointment(token):
    return _appointment_page(flow.appointment(token))


@bp.get("/a/<token>.ics")
@appointment_view
def appointment_ics(token):
    body = flow.ics(token, public_url("kiosk.appointment", token=token))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/a/<token>/cancel")
@appointment_view
def appointment_cancel(token):
    screen = flow.cancel(token)  # WrongState: the message lands in #flash (hall/web.py)
    if wants_fragment():
        return _appointment_page(screen)
    return redirect(url_for("kiosk.appointment", token=token), 303)


def _move_page(screen, status=200, **extra):
    return page_or_fragment("phone/booking/move.html", "phone/booking/_move.html", status=status,
                            move=screen, screen=screen.screen, hall=screen.screen.hall, **extra)


@bp.get("/a/<token>/move")
@appointment_view
def appointment_move(token):
    current = flow.appointment(token)  # unknown: the friendly 404
    day = request.args.get("day")
    try:
        screen = flow.move_times(token, day) if day else flow.move_days(token)
    except HallError as error:
        db.session.rollback()
        return _appointment_page(current, status=error.status, error=str(error.message))
    return _move_page(screen)


@bp.post("/a/<token>/move")
@appointment_view
def appointment_move_to(token):
    flow.appointment(token)  # unknown: the friendly 404
    form = request.form
    try:
        flow.move(token, form.get("start"), form.get("adviser"))
    except SlotTaken as taken:
        db.session.rollback()
        screen = flow.move_days(token)
        return _move_page(screen, status=409, error=str(taken.message),
                          alternatives=flow.alternatives(screen.screen.hall, taken))
    except HallError as error:
        db.session.rollback()
        return _appointment_page(flow.appointment(token), status=error.status, error=str(error.message))
    target = url_for("kiosk.appointment", token=token, moved=1)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)
