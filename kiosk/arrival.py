"""The kiosk's arrival screens: "I have an appointment" → scan or keypad → checked in → ticket.

    GET  /k/<hall>/arrive                 scan the QR code, or type phone last 4 + 6-digit code
    POST /k/<hall>/arrive/scan            what the keyboard-wedge scanner typed (URL or token)
    POST /k/<hall>/arrive/code            the keypad's two numbers
    GET  /k/<hall>/arrive/ticket/<token>  the kiosk's ticket screen, plus "go to room X"

Plain forms and 303s, as the rest of the kiosk: a scan or a tap that fails shows the arrival
screen again with a clear message (and, when too late, a button to take a walk-in ticket).
"""
from __future__ import annotations


from flask import redirect, render_template, request, session, url_for

from hall import arrival, queue
from hall.errors import HallError, NotFound
from hall.extensions import db

from . import bp
from .views import JUST_TAKEN, form_key, kiosk_page, ticket_print


def _screen(hall_slug: str, *, error: str | None = None, late=None, status: int = 200, mode: str = "scan",
            typed: dict | None = None):
    hall = queue.hall_by_slug(hall_slug)
    return render_template("kiosk/arrival/arrive.html", hall=hall, error=error, late=late, mode=mode,
                           typed=typed or {}, request_key=form_key()), status


@bp.get("/k/<hall>/arrive")
@kiosk_page
def arrive(hall):
    return _screen(hall)


def _checked_in(hall: str, do, mode: str, typed: dict | None = None):
    """`typed`: the keypad's numbers, shown again when they matched nothing (one wrong digit is
    corrected, not typed again); an answer about a real booking (another day, too late,
    cancelled) leaves nothing to correct and clears them."""
    try:
        appointment = do()
    except arrival.LateArrival as error:
        db.session.rollback()
        return _screen(hall, error=str(error.message), late=error.service, status=409, mode=mode)
    except arrival.Cancelled as error:
        db.session.rollback()
        return _screen(hall, error=str(error.message), late=error.service, status=409, mode=mode)
    except NotFound as error:
        # An unknown hall is the kiosk's 404 page; an unknown code is a message on this screen.
        if not isinstance(error, arrival.UnknownCode):
            raise
        db.session.rollback()
        return _screen(hall, error=str(error.message), status=404, mode=mode, typed=typed)
    except arrival.OtherDay as error:
        db.session.rollback()
        return _screen(hall, error=str(error.message), status=error.status, mode=mode)
    except HallError as error:
        db.session.rollback()
        return _screen(hall, error=str(error.message), status=error.status, mode=mode, typed=typed)
    session[JUST_TAKEN] = appointment.ticket.token
    return redirect(url_for("kiosk.arrival_ticket", hall=hall, token=appointment.ticket.token), 303)


@bp.post("/k/<hall>/arrive/scan")
@kiosk_page
def arrive_scan(hall):
    return _checked_in(hall, lambda: arrival.check_in_by_scan(hall, request.form.get("code", "")), "scan")


@bp.post("/k/<hall>/arrive/code")
@kiosk_page
def arrive_code(hall):
    form = request.form
    typed = {"last4": arrival.keypad_digits(form.get("last4"), 4),
             "short_code": arrival.keypad_digits(form.get("short_code"), 6)}
    return _checked_in(hall, lambda: arrival.check_in_by_code(hall, form.get("last4", ""), form.get("short_code", "")),
                       "keypad", typed)


@bp.get("/k/<hall>/arrive/ticket/<token>")
@kiosk_page
def arrival_ticket(hall, token):
    found = arrival.ticket_screen(hall, token)
    return render_template("kiosk/arrival/ticket.html", screen=found.screen, arrival=found, **ticket_print(token))
