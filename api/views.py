"""The JSON API, for a phone app or a city platform. The contract is api/openapi.py, served at
/api/v1/openapi.json; tests/web/test_openapi.py holds the two together.

    GET  /api/v1/halls/<hall>/services   the hall's services: open or not, how many wait
    POST /api/v1/halls/<hall>/tickets    take a number (rate-limited per client address and hall)
    GET  /api/v1/tickets/<token>         a ticket: status, people ahead, wait, counter when called
    GET  /api/v1/halls/<hall>/board      the call board: latest calls and waiting counts
    GET  /api/v1/halls/<hall>/slots      free appointment times of a bookable service on a day
    POST /api/v1/halls/<hall>/appointments   book one (409 with the nearest free times when taken)
    GET  /api/v1/appointments/<token>    an appointment; DELETE cancels it
    POST /api/v1/halls/<hall>/submissions    a resident's own report (我要投诉/咨询/建议): opens a case
    GET  /api/v1/submissions/<token>     where a report stands: step, status, outcome, public timeline
    GET  /api/v1/openapi.json            the OpenAPI 3.1 document

Errors are JSON {"error": message, "status": code} in the reader's language (?lang=en, else
Accept-Language, else Chinese): see hall/web.py error_response and hall/i18n.py.
Polled reads (ticket, board) carry an ETag and answer 304 while the queue has not changed.
"""
from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from hall import api_tickets, booking, cases, clock, queue, reports, slots
from hall.categories import category_label
from hall.errors import NotFound
from hall.links import public_url
from hall.models import Appointment, Hall, Service, Submission, Ticket

from . import bp, schemas
from .openapi import document


# ---- shapes --------------------------------------------------------------------------------

def _time(hall: Hall, value: datetime | None) -> str | None:
    """ISO 8601 in the hall's own time, with its offset: 2025-11-26T09:05:00+08:00."""
    return clock.local(hall, value).isoformat(timespec="seconds") if value else None


def _service(service: Service, waiting: dict[int, int], at: datetime) -> dict:
    state = queue.service_state(service, at)
    return {"code": service.code, "name": service.name_zh, "name_en": service.name_en or "",
            "open": state == "open", "state": state, "waiting": waiting.get(service.id, 0),
            "bookable": bool(service.bookable),
            "slot_minutes": service.slot_minutes if service.bookable else None}


def _slot(hall: Hall, slot: slots.Slot, names: dict[int, str]) -> dict:
    return {"start": _time(hall, slot.start), "end": _time(hall, slot.end), "adviser": slot.adviser_id,
            "adviser_name": names.get(slot.adviser_id, ""), "free": slot.free}


def _counter(counter) -> dict | None:
    return {"number": counter.number, "name": counter.name} if counter else None


def _appointment(appointment: Appointment) -> dict:
    """What the holder of an appointment's token may know: never the phone number."""
    hall, service, adviser = appointment.hall, appointment.service, appointment.adviser
    return {
        "token": appointment.token,
        "status_url": public_url("kiosk.appointment", token=appointment.token),
        "hall": {"slug": hall.slug, "name": hall.name},
        "service": {"code": service.code, "name": service.name_zh, "name_en": service.name_en or ""},
        "adviser": {"id": adviser.id, "name": adviser.name, "kind": adviser.kind.value},
        "room": _counter(appointment.counter),
        "start": _time(hall, appointment.starts_at),
        "end": _time(hall, appointment.ends_at),
        "status": booking.effective_status(appointment).value,
        "check_in_code": appointment.short_code,
        "name": appointment.name,
        "ticket": appointment.ticket.display_number if appointment.ticket else None,
    }


def _ticket(ticket: Ticket) -> dict:
    """What the resident's own phone may know: never the phone number."""
    where = queue.position(ticket, current_app.config["WAIT_SAMPLE_SIZE"])
    hall, service, counter = ticket.hall, ticket.service, ticket.counter
    return {
        "number": ticket.display_number,
        "token": ticket.token,
        "status_url": public_url("kiosk.phone", token=ticket.token),
        "hall": {"slug": hall.slug, "name": hall.name},
        "service": {"code": service.code, "name": service.name_zh, "name_en": service.name_en or ""},
        "status": ticket.status.value,
        "priority": ticket.priority,
        "ahead": where.ahead,
        "wait_minutes": where.wait_minutes,
        "counter": {"number": counter.number, "name": counter.name} if counter else None,
        "issued_at": _time(hall, ticket.created_at),
        "called_at": _time(hall, ticket.called_at),
        "finished_at": _time(hall, ticket.finished_at),
    }


def _hall(slug: str) -> Hall:
    try:
        return queue.hall_by_slug(schemas.hall_slug(slug))
    except NotFound:
        raise NotFound(_l("There is no such hall.")) from None


def _unchanged(tag: str) -> bool:
    return tag in request.if_none_match


def _tagged(response: Response, tag: str) -> Response:
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.after_request
def _vary(response: Response) -> Response:
    """Error messages follow Accept-Language: caches must keep the languages apart."""
    response.vary.add("Accept-Language")
    return response


# ---- routes --------------------------------------------------------------------------------

@bp.get("/halls/<hall>/services")
def services(hall: str):
    found = _hall(hall)
    waiting = queue.waiting_counts(found)
    now = clock.now()
    return jsonify([_service(s, waiting, now) for s in found.offered_services])


@bp.post("/halls/<hall>/tickets")
def issue_ticket(hall: str):
    """201 with a new ticket; 200 with the earlier one when its request_key comes again. Each
    hall limits how many one client address may take (Hall.api_ticket_limit), per hall: one
    hall's busy client leaves the others alone."""
    slug = schemas.hall_slug(hall)
    wanted = schemas.ticket_request()
    ticket, created, allowance = api_tickets.take_ticket(
        wanted.service, slug, get_remote_address(), phone=wanted.phone, priority=wanted.priority,
        request_key=wanted.request_key)
    response = jsonify(_ticket(ticket))
    response.status_code = 201 if created else 200
    response.headers["Location"] = url_for("api.ticket", token=ticket.token)
    response.headers.update(allowance.headers())
    return response


@bp.get("/tickets/<token>")
def ticket(token: str):
    try:
        found = queue.ticket_by_token(schemas.ticket_token(token))
    except NotFound:
        raise NotFound(_l("There is no such ticket.")) from None
    tag = f"t{queue.queue_version(found.hall_id)}"
    if _unchanged(tag):
        return _tagged(Response(status=304), tag)
    return _tagged(jsonify(_ticket(found)), tag)


@bp.get("/halls/<hall>/board")
def board(hall: str):
    """Calls and counts only: never a phone number or a person's name."""
    found = _hall(hall)
    # The day is in the tag: the board empties at local midnight with no change to the queue.
    version = queue.queue_version(found.id)
    tag = f"b{version}-{clock.local_day(found).isoformat()}"
    if _unchanged(tag):
        return _tagged(Response(status=304), tag)
    waiting = queue.waiting_counts(found)
    calls = [{
        "number": event.ticket.display_number,
        "counter": event.counter.number if event.counter else None,
        "counter_name": event.counter.name if event.counter else "",
        "action": event.action,
        "at": _time(found, event.at),
    } for event in queue.recent_calls(found)]
    return _tagged(jsonify({
        "hall": {"slug": found.slug, "name": found.name},
        "calls": calls,
        "waiting": {s.code: waiting.get(s.id, 0) for s in found.offered_services},
        "version": version,
    }), tag)


@bp.get("/halls/<hall>/slots")
def hall_slots(hall: str):
    """?service=A&date=YYYY-MM-DD[&adviser=ID]: the free slots of that day, inside the hall's
    booking window."""
    found = _hall(hall)
    service = _bookable(found, request.args.get("service", ""))
    day = slots.parse_day(request.args.get("date"))
    free = slots.slots(found, service, day, adviser_id=schemas.adviser_id(request.args.get("adviser")))
    names = {a.id: a.name for a in slots.advisers_of(found, service)}
    return jsonify([_slot(found, s, names) for s in free])


def _bookable(hall: Hall, code: str) -> Service:
    try:
        return slots.bookable_service(hall, queue.service_by_code(hall, code[:2]))
    except NotFound as error:
        raise NotFound(error.message if error.message != NotFound.message
                       else _l("This hall has no such service.")) from None


@bp.post("/halls/<hall>/appointments")
def book_appointment(hall: str):
    """201 with a new appointment; 200 with the earlier one when its request_key comes again;
    409 with the nearest free times when the seat was just taken. Limited per client address
    by the hall's API limit, counted apart from tickets."""
    found = _hall(hall)
    wanted = schemas.appointment_request()
    service = _bookable(found, wanted.service)
    allowance = api_tickets.spend_allowance(found, get_remote_address(), "api-appointments")
    try:
        made = booking.book(found, service, wanted.start, phone=wanted.phone, name=wanted.name,
                            adviser_id=wanted.adviser, channel="api", request_key=wanted.request_key)
    except booking.SlotTaken as taken:
        names = {a.id: a.name for a in slots.advisers_of(found, service)}
        response = jsonify(error=str(taken.message), status=409,
                           alternatives=[_slot(found, s, names) for s in taken.alternatives])
        response.status_code = 409
        return response
    response = jsonify(_appointment(made.appointment))
    response.status_code = 201 if made.created else 200
    response.headers["Location"] = url_for("api.appointment", token=made.appointment.token)
    response.headers.update(allowance.headers())
    return response


def _appointment_by_token(token: str) -> Appointment:
    try:
        return booking.by_token(schemas.ticket_token(token))
    except NotFound:
        raise NotFound(_l("There is no such appointment.")) from None


@bp.get("/appointments/<token>")
def appointment(token: str):
    return jsonify(_appointment(_appointment_by_token(token)))


@bp.delete("/appointments/<token>")
def cancel_appointment(token: str):
    """Cancel (the holder of the token): 200 with the cancelled appointment; 409 when it can no
    longer be cancelled (checked in, over, cancelled already)."""
    found = _appointment_by_token(token)
    return jsonify(_appointment(booking.cancel(found)))


def _submission(submission: Submission) -> dict:
    """What the holder of a report's token may know: where it stands and the public timeline;
    never a name or a phone number (numbers typed into the timeline's texts are masked)."""
    case, hall = submission.case, submission.case.hall
    return {
        "token": submission.token,
        "case_number": case.number,
        "status_url": public_url("kiosk.case_page", token=submission.token),
        "hall": {"slug": hall.slug, "name": hall.name},
        "kind": submission.kind.value,
        "category": case.category,
        "category_name": category_label(case.category),
        "step": case.step.value,
        "step_name": cases.step_label(case.step),
        "status": reports.status_of(case),
        "outcome": case.outcome.value if case.outcome else None,
        "rating": case.rating.value if case.rating else None,
        "photos": len(submission.photos),
        "submitted_at": _time(hall, submission.created_at),
        "closed_at": _time(hall, case.closed_at),
        "timeline": [{"at": _time(hall, e.at), "step": e.step.value, "action": e.action, "title": e.heading,
                      "text": e.text} for e in reports.timeline(case)],
    }


@bp.post("/halls/<hall>/submissions")
def submit_report(hall: str):
    """201 with a new report (its case opened at 开放说事); 200 with the earlier one when its
    request_key comes again. Limited per client address by the hall's API limit, counted apart
    from tickets and appointments; a request refused for its body spends nothing."""
    found = _hall(hall)
    wanted = schemas.submission_request()
    filed = reports.take(found, kind=wanted.kind, category=wanted.category, description=wanted.description,
                         name=wanted.name or "", phone=wanted.phone or "", channel="api",
                         request_key=wanted.request_key, client=get_remote_address())
    response = jsonify(_submission(filed.submission))
    response.status_code = 201 if filed.created else 200
    response.headers["Location"] = url_for("api.submission", token=filed.submission.token)
    if filed.allowance is not None:
        response.headers.update(filed.allowance.headers())
    return response


@bp.get("/submissions/<token>")
def submission(token: str):
    try:
        found = reports.submission_by_token(schemas.submission_token(token))
    except NotFound:
        raise NotFound(_l("There is no such report.")) from None
    return jsonify(_submission(found))


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
