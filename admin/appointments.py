"""Reception's appointments: today's list per adviser (live), or another day's (?date=, to prepare
tomorrow or look back), check in by hand, cancel with a reason, book a phone-in request, and
rearrange bookings a roster change stranded.

    GET  /admin/appointments[?date=YYYY-MM-DD]    the page; under htmx its live list (304 while still)
    POST /admin/appointments/find  q=…            open bookings by mobile, its last 4 digits or the code (htmx)
    GET  /admin/appointments/book                 the phone-in form for another service or day (htmx)
    POST /admin/appointments/book                 book: the check-in code to read out
    POST /admin/appointments/<id>/check-in        → the ticket's number
    POST /admin/appointments/<id>/cancel          reason required
    POST /admin/appointments/<id>/move            to another free slot
    POST /admin/appointments/sweep                write down today's no-shows (the page sends it itself)

Reception and admin may act; a mediator linked to an adviser may read that adviser's list.
Every action is a form POST that htmx sends: the answer is the live list with a message (or the
booking panel), and without JavaScript a 303 back to the page with the message flashed. An action
taken on another day's list carries ?date= too, so that its answer is that day's list.
"""
from __future__ import annotations

import secrets
from datetime import date

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from hall import arrival
from hall.auth import roles_required
from hall.errors import HallError, Invalid
from hall.models import Role
from hall.web import hall_time, polled, wants_fragment

from . import bp
from .auth import STAFF

DESK = (Role.admin, Role.reception)


def _scope() -> int | None:
    """None: the whole hall (reception, admin); a linked mediator: their adviser's id."""
    if current_user.role in DESK:
        return None
    adviser = arrival.linked_adviser(current_user)
    if adviser is None:
        abort(403)
    return adviser.id


def _day() -> tuple[date, list]:
    """The day asked for (?date=), or today with a message when it cannot be read."""
    try:
        return arrival.list_day(current_user.hall, request.args.get("date")), []
    except Invalid as error:
        return arrival.list_day(current_user.hall, None), [("error", str(error.message))]


def _move_options():
    """arrival.move_options, worked out once per service in a render (another day's list offers
    Move on every booking)."""
    found: dict[int, list] = {}

    def options(appointment):
        if appointment.service_id not in found:
            found[appointment.service_id] = arrival.move_options(appointment)
        return found[appointment.service_id]
    return options


def _context(adviser_id: int | None = None, **extra) -> dict:
    hall = current_user.hall
    form = extra.pop("form", None)
    day, messages = _day()
    if form is None and adviser_id is None:
        # Looking at another day: the phone-in booking starts on that day (when it has a free time).
        form = arrival.booking_form(hall, request.args.get("service"), request.args.get("day") or day.isoformat())
    query = extra.pop("query", "") if adviser_id is None else ""
    view = arrival.reception_view(hall, adviser_id, day=day)
    return {"view": view, "day_args": view.day_args, "day_label": format_date(view.day, "yyyy-MM-dd EEE"),
            "messages": messages, "hall": hall, "book": form,
            "query": query, "found": arrival.find_bookings(hall, query) if query else None,
            "poll_seconds": current_app.config.get("CONSOLE_POLL_SECONDS", 2),
            "move_options": _move_options(), "adviser_names": arrival.adviser_names(hall),
            "request_key": secrets.token_hex(16), "values": {}, **extra}


def _answer(message: str | None = None, kind: str = "ok", status: int = 200):
    """The live list with a message (htmx), or a 303 back to the page (plain form)."""
    if wants_fragment():
        response = make_response(render_template(
            "admin/appointments/_live.html", etag=arrival.reception_tag(current_user.hall),
            flash_text=message, flash_kind=kind, **_context(form=False)), status)
        response.headers["Vary"] = "HX-Request"
        if status < 400:
            response.headers["HX-Trigger"] = "appointments-changed"  # the search runs again
        return response
    if message:
        flash(message, kind)
    return redirect(url_for("admin.appointments", **_day_args()), 303)


def _day_args() -> dict:
    return arrival.ReceptionView.args_for(current_user.hall, _day()[0])


@bp.get("/appointments")
@roles_required(*STAFF)
def appointments():
    adviser_id = _scope()
    return polled("admin/appointments/page.html", "admin/appointments/_live.html",
                  f"{arrival.reception_tag(current_user.hall)}-{adviser_id or 0}-{_day()[0].isoformat()}",
                  lambda: _context(adviser_id))


@bp.post("/appointments/find")
@roles_required(*DESK)
def appointments_find():
    """A POST, so that the mobile numbers searched for stay out of the access log. Under htmx the
    search panel; without JavaScript the page with the results."""
    hall = current_user.hall
    query = request.form.get("q", "")
    if not wants_fragment():
        return render_template("admin/appointments/page.html", etag=arrival.reception_tag(hall),
                               **_context(query=query))
    return render_template("admin/appointments/_find.html", hall=hall, query=query, day_args=_day_args(),
                           found=arrival.find_bookings(hall, query), move_options=arrival.move_options,
                           adviser_names=arrival.adviser_names(hall))


@bp.get("/appointments/book")
@roles_required(*DESK)
def appointments_book_form():
    if not wants_fragment():
        return redirect(url_for("admin.appointments", service=request.args.get("service"),
                                day=request.args.get("day")))
    form = arrival.booking_form(current_user.hall, request.args.get("service"), request.args.get("day"))
    return render_template("admin/appointments/_book.html", book=form, values={}, day_args=_day_args(),
                           request_key=secrets.token_hex(16), hall=current_user.hall)


@bp.post("/appointments/book")
@roles_required(*DESK)
def appointments_book():
    hall = current_user.hall
    try:
        booked = arrival.staff_book(current_user, request.form)
    except HallError as error:
        form = arrival.booking_form(hall, request.form.get("service"), request.form.get("day"))
        alternatives = getattr(error, "alternatives", None) or []
        if wants_fragment():
            return render_template("admin/appointments/_book.html", book=form, values=request.form,
                                   error=str(error.message), alternatives=alternatives, day_args=_day_args(),
                                   request_key=request.form.get("request_key") or secrets.token_hex(16),
                                   hall=hall), error.status
        flash(str(error.message), "error")
        return redirect(url_for("admin.appointments", **_day_args()), 303)
    if wants_fragment():
        context = _context(form=False)
        response = make_response(render_template(
            "admin/appointments/_book.html", booked=booked, refresh=True,
            etag=arrival.reception_tag(hall), **{**context, "book": arrival.booking_form(hall),
                                                 "request_key": secrets.token_hex(16)}))
        response.headers["Vary"] = "HX-Request"
        return response
    flash(_("Booked for %(time)s. Check-in code: %(code)s", time=hall_time(booked.starts_at, hall, "MM-dd HH:mm"),
            code=booked.short_code), "ok")
    return redirect(url_for("admin.appointments", **_day_args()), 303)


@bp.post("/appointments/<id:appointment_id>/check-in")
@roles_required(*DESK)
def appointments_check_in(appointment_id: int):
    try:
        ticket = arrival.staff_check_in(current_user, appointment_id)
    except HallError as error:
        return _answer(str(error.message), "error", error.status)
    room = arrival.room_label(ticket.target_counter)
    if room:
        return _answer(_("Checked in: ticket %(number)s, to wait for %(room)s.",
                         number=ticket.display_number, room=room))
    return _answer(_("Checked in: ticket %(number)s.", number=ticket.display_number))


@bp.post("/appointments/<id:appointment_id>/cancel")
@roles_required(*DESK)
def appointments_cancel(appointment_id: int):
    try:
        appointment = arrival.staff_cancel(current_user, appointment_id, request.form.get("reason", ""))
    except HallError as error:
        return _answer(str(error.message), "error", error.status)
    return _answer(_("The appointment at %(time)s was cancelled.",
                     time=hall_time(appointment.starts_at, current_user.hall, "MM-dd HH:mm")))


@bp.post("/appointments/<id:appointment_id>/move")
@roles_required(*DESK)
def appointments_move(appointment_id: int):
    try:
        appointment = arrival.staff_move(current_user, appointment_id, request.form.get("slot", ""))
    except HallError as error:
        return _answer(str(error.message), "error", error.status)
    return _answer(_("Moved to %(time)s. Please tell the resident.",
                     time=hall_time(appointment.starts_at, current_user.hall, "MM-dd HH:mm")))


@bp.post("/appointments/sweep")
@roles_required(*DESK)
def appointments_sweep():
    count = arrival.sweep(current_user)
    if wants_fragment():
        return "", 204
    if count:
        flash(_("%(n)s appointments marked as no-show.", n=count), "info")
    return redirect(url_for("admin.appointments"), 303)
