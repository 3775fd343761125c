"""The reception console: choose a counter, then work its queue live.

Every action is a plain form POST that htmx sends with hx-post: under htmx the answer is the
console's live fragment (and a message swapped out-of-band into #flash); without JavaScript it
is a 303 back to the console with the message flashed. A refused move (someone else moved the
ticket first) is a message and a fresh list, never an error page.
"""
from __future__ import annotations

import secrets

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from hall import arrival, cases, desk, inputs, queue
from hall.errors import HallError, NotFound
from hall.web import personal_data, polled, wants_fragment

from . import bp
from .auth import STAFF
from hall.auth import roles_required


def kiosk_ticket_url(ticket) -> str | None:
    """The kiosk's ticket screen (number, QR code, print), if the kiosk offers it."""
    try:
        return url_for("kiosk.ticket", hall=ticket.hall.slug, token=ticket.token)
    except BuildError:
        return None


def _context(counter, **extra) -> dict:
    view = desk.console_view(counter)
    finished = cases.recent_visits(counter)  # the visits just finished here: open one as a case
    return {"view": view, "counter": counter, "hall": counter.hall, "finished": finished,
            "case_of": cases.cases_for_tickets(t.id for t in view.active + finished),
            "appointments": arrival.appointments_for_tickets(view.waiting + view.active),
            "poll_seconds": current_app.config.get("CONSOLE_POLL_SECONDS", 2),
            "kiosk_ticket_url": kiosk_ticket_url, "request_key": secrets.token_hex(16), **extra}


def _answer(counter, message: str | None = None, kind: str = "ok", status: int = 200):
    """The live fragment with a message (htmx), or a 303 back to the console (plain form)."""
    if wants_fragment():
        response = make_response(render_template(
            "admin/_console.html", etag=desk.console_tag(counter), flash_text=message, flash_kind=kind,
            **_context(counter)), status)
        response.headers["Vary"] = "HX-Request"
        return response
    if message:
        flash(message, kind)
    return redirect(url_for("admin.console", counter_id=counter.id), 303)


# ---- choosing a counter ----------------------------------------------------------------------

@bp.get("/console")
@roles_required(*STAFF)
def console_choose():
    return render_template("admin/choose.html", counters=desk.counters(current_user.hall))


@bp.post("/console/<id:counter_id>/open")
@roles_required(*STAFF)
def console_open(counter_id: int):
    queue.open_counter(desk.counter_of(current_user, counter_id), current_user)
    return redirect(url_for("admin.console", counter_id=counter_id), 303)


@bp.post("/console/<id:counter_id>/close")
@roles_required(*STAFF)
def console_close(counter_id: int):
    counter = queue.close_counter(desk.counter_of(current_user, counter_id))
    flash(_("Window %(number)s is closed.", number=counter.number), "ok")
    return redirect(url_for("admin.console_choose"), 303)


# ---- the live console ------------------------------------------------------------------------

@bp.get("/console/<id:counter_id>")
@roles_required(*STAFF)
def console(counter_id: int):
    counter = desk.counter_of(current_user, counter_id)
    issued = None
    issued_id = inputs.parse_id(request.args.get("issued"))
    if issued_id is not None and not wants_fragment():
        try:
            issued = desk.ticket_of(current_user, issued_id)
        except HallError:
            issued = None
    return polled("admin/console.html", "admin/_console.html", desk.console_tag(counter),
                  lambda: _context(counter, issued=issued))


@bp.post("/console/<id:counter_id>/call-next")
@roles_required(*STAFF)
def console_call_next(counter_id: int):
    counter = desk.counter_of(current_user, counter_id)
    ticket = queue.call_next(counter, current_user)
    if ticket is None:
        return _answer(counter, _("Nobody is waiting."), "info")
    return _answer(counter, _("Called %(number)s.", number=ticket.display_number))


@bp.post("/console/<id:counter_id>/call/<id:ticket_id>")
@roles_required(*STAFF)
def console_call_ticket(counter_id: int, ticket_id: int):
    counter = desk.counter_of(current_user, counter_id)
    ticket = desk.ticket_of(current_user, ticket_id)
    try:
        queue.call_ticket(ticket, counter, current_user)
    except HallError as error:
        return _answer(counter, str(error.message), "error", error.status)
    return _answer(counter, _("Called %(number)s.", number=ticket.display_number))


@bp.post("/console/<id:counter_id>/walk-in")
@roles_required(*STAFF)
def console_walk_in(counter_id: int):
    counter = desk.counter_of(current_user, counter_id)
    form = request.form
    try:
        ticket = desk.register_walk_in(current_user, form.get("service"), form.get("phone"),
                                       form.get("priority") == "1", form.get("request_key"))
    except HallError as error:
        if wants_fragment():
            return render_template("admin/_walk_in.html", error=str(error.message), values=form,
                                   **_context(counter)), error.status
        flash(str(error.message), "error")
        return redirect(url_for("admin.console", counter_id=counter.id), 303)
    if wants_fragment():
        response = make_response(render_template("admin/_walk_in.html", issued=ticket, refresh=True,
                                                 etag=desk.console_tag(counter), **_context(counter)))
        response.headers["Vary"] = "HX-Request"
        return response
    return redirect(url_for("admin.console", counter_id=counter.id, issued=ticket.id), 303)


# ---- a resident's full mobile number ------------------------------------------------------------

@bp.post("/tickets/<id:ticket_id>/phone")
@roles_required(*STAFF)
@personal_data
def ticket_phone(ticket_id: int):
    """The console shows phones masked; this is the full number of one ticket, on demand (the
    显示 button), written to the audit log. Under htmx the number in place; without JavaScript a
    page that says it, with the way back to the console."""
    ticket = desk.ticket_of(current_user, ticket_id)
    phone = desk.reveal_phone(current_user, ticket)
    if wants_fragment():
        return render_template("admin/_ticket_phone.html", ticket=ticket, phone=phone)
    counter = _counter_for(ticket, ticket.counter)
    return render_template("admin/ticket_phone.html", ticket=ticket, phone=phone, counter=counter)


# ---- moving one ticket -----------------------------------------------------------------------

def _counter_for(ticket, counter_before):
    """The console the answer goes back to: the one that asked (form field), else the ticket's."""
    raw = request.form.get("counter", "").strip()
    if not raw:
        return counter_before
    counter_id = inputs.parse_id(raw)
    if counter_id is None:
        raise NotFound()
    return desk.counter_of(current_user, counter_id)


def ticket_action(ticket_id: int, action: str):
    ticket = desk.ticket_of(current_user, ticket_id)
    counter = _counter_for(ticket, ticket.counter)
    if counter is None:
        return redirect(url_for("admin.console_choose"), 303)
    number = ticket.display_number
    try:
        if action == "transfer":
            desk.transfer(current_user, ticket, request.form.get("target", ""), request.form.get("note", ""))
        else:
            desk.act(current_user, ticket, action)
    except HallError as error:
        return _answer(counter, str(error.message), "error", error.status)
    done = {
        "recall": _("Called %(number)s again.", number=number),
        "start": _("Serving %(number)s.", number=number),
        "finish": _("%(number)s is finished.", number=number),
        "no-show": _("%(number)s did not come.", number=number),
        "transfer": _("%(number)s was transferred.", number=number),
    }
    return _answer(counter, done[action])


for _action in ("recall", "start", "finish", "no-show", "transfer"):
    bp.add_url_rule(f"/tickets/<id:ticket_id>/{_action}", endpoint=f"ticket_{_action.replace('-', '_')}",
                    view_func=roles_required(*STAFF)(ticket_action), methods=["POST"],
                    defaults={"action": _action})
