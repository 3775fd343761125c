"""The phone page behind a ticket's QR code: where am I, it is my turn, cancel, rate."""
from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _

from hall import board as calls
from hall import cases, queue
from hall.errors import Invalid, WrongState
from hall.web import etag_for, page_or_fragment, polled, unknown_shows, wants_fragment

from . import bp


def followed_case(case) -> dict | None:
    """The case a visit became, for the phone page that leads on to it."""
    if case is None:
        return None
    return {"number": case.number, "url": url_for("kiosk.case_page", token=case.token)}


def _context(ticket):
    return {
        "view": calls.ticket_view(ticket, current_app.config["WAIT_SAMPLE_SIZE"]),
        "hall": ticket.hall,
        "poll_seconds": current_app.config["PHONE_POLL_SECONDS"],
        "followed_case": followed_case(cases.case_of_visit(ticket_id=ticket.id)),
    }


def _unknown():
    """A friendly page, not the bare error page: the QR code may be old or mistyped."""
    return page_or_fragment("phone/unknown.html", "phone/_unknown.html", status=404)


ticket_view = unknown_shows(lambda **_: _unknown())


def _after_change(ticket):
    """htmx gets the new fragment; a plain form post goes back to the page (no resubmit on reload)."""
    if wants_fragment():
        return page_or_fragment("phone/page.html", "phone/_ticket.html",
                                etag=etag_for(*calls.ticket_tag(queue.stamp_of(ticket))), **_context(ticket))
    return redirect(url_for("kiosk.phone", token=ticket.token), 303)


@bp.get("/t/<token>")
@ticket_view
def phone(token):
    stamp = queue.ticket_stamp(token)  # an idle poll stops at this one query
    tag = etag_for(*calls.ticket_tag(stamp))
    return polled("phone/page.html", "phone/_ticket.html", tag,
                  lambda: _context(queue.ticket_by_token(token)))


@bp.post("/t/<token>/cancel")
@ticket_view
def phone_cancel(token):
    ticket = queue.ticket_by_token(token)
    try:
        queue.cancel(ticket)
    except WrongState:
        raise WrongState(_("This ticket can no longer be cancelled. The page shows where it stands now.")) from None
    return _after_change(ticket)


@bp.post("/t/<token>/rate")
@ticket_view
def phone_rate(token):
    ticket = queue.ticket_by_token(token)
    try:
        queue.rate(ticket, request.form.get("rating", ""), request.form.get("comment"))
    except Invalid:
        raise Invalid(_("Please choose one answer: satisfied, fairly satisfied or dissatisfied.")) from None
    except WrongState:
        raise WrongState(_("You can rate this visit once it is finished.")) from None
    return _after_change(ticket)
