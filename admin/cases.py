"""The case desk (事项): the staff side of the six-step closed loop. The rules are hall.cases'.

    GET  /admin/cases                               the desk: cases by step, waiting for a handler, overdue,
                                                    today's appointments of the adviser linked to the login
    POST /admin/cases/find  q=…                     find a case, open or closed: number, a party's phone or name (htmx)
    GET  /admin/cases/new, POST                     staff entry (or a referral from 公安 / 法院 / 政府)
    GET  /admin/cases/new/party                     one more party row for the form (htmx)
    GET  /admin/cases/<id>                          the case page; under htmx its main part
    POST /admin/cases/<id>/reveal                   the parties' full details (each view logged)
    POST /admin/cases/<id>/<action>                 assign, details, party, parties, move, session, outcome,
                                                    follow-up, reply, decline, withdraw, close, rate
    POST /admin/cases/from-ticket/<ticket_id>       a visit at the console becomes a case in one step
    POST /admin/cases/from-appointment/<id>         … or an appointment on reception's list
    GET  /admin/audit                               the audit log (administrators)

Every action is a form POST that htmx sends: under htmx the answer is the refreshed case (and a
message swapped into #flash); bad input answers 422 with the case and the messages next to the
fields of the form that was sent, nothing saved. Without JavaScript a change is a 303 back to the
case page, and bad input the page again with its marks.
"""
from __future__ import annotations

import secrets

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hall import arrival, cases, inputs, desk as hall_desk
from hall.auth import roles_required
from hall.categories import CATEGORIES
from hall.errors import FieldsInvalid, HallError, NotFound
from hall.extensions import db
from hall.links import public_url, qr_svg
from hall.models import CaseKind, CaseOutcome, CaseSource, PartyRole, Rating, Role
from hall.web import personal_data, wants_fragment

from . import bp
from .auth import STAFF

ADMIN = Role.admin
DESK = (Role.admin, Role.reception)
REVEAL = (Role.admin, Role.mediator)  # reception never handles a case, so never sees full details
CASE_ENDPOINTS = {"admin.cases", "admin.cases_find", "admin.case_new", "admin.case_create", "admin.case_party_row", "admin.case",
                  "admin.case_reveal", "admin.audit"}


@bp.record_once
def _globals(state) -> None:
    """The case rules for the templates (reception's appointments list and the console ask which
    visits are cases already)."""
    state.app.jinja_env.globals.update(case_rules=cases, case_link=case_link)


@bp.after_request
def _vary(response):
    """These URLs answer a page or, under htmx, the part of it that changed: caches are told so."""
    if request.endpoint in CASE_ENDPOINTS or (request.endpoint or "").startswith("admin.case_"):
        response.vary.add("HX-Request")
    return response


def case_link(case) -> str:
    return url_for("admin.case", case_id=case.id)


# ---- the desk ----------------------------------------------------------------------------------

def _desk_context() -> dict:
    user = current_user
    handler_id = cases.handler_filter(user, request.args.get("handler"))
    adviser = arrival.linked_adviser(user)
    return {"desk": cases.desk(user, handler_id), "hall": user.hall, "handlers": cases.handlers(user.hall),
            "adviser": adviser, "today": arrival.reception_view(user.hall, adviser.id) if adviser else None}


@bp.get("/cases", endpoint="cases")
@roles_required(*STAFF)
def cases_desk():
    template = "admin/cases/_desk.html" if wants_fragment() else "admin/cases/desk.html"
    return render_template(template, **_desk_context())


@bp.post("/cases/find")
@roles_required(*STAFF)
def cases_find():
    """The search above the desk: under htmx its results; without JavaScript the desk with them.
    A POST, so that the phones and names searched for stay out of the access log."""
    query = request.form.get("q", "")
    found = cases.find_cases(current_user, query)
    if wants_fragment():
        return render_template("admin/cases/_find.html", query=query, found=found, hall=current_user.hall)
    return render_template("admin/cases/desk.html", query=query, found=found, **_desk_context())


# ---- a new case at the desk ----------------------------------------------------------------------

def _new_rows(count: int = 2) -> list[dict]:
    """Empty party rows: the applicant, then the respondent."""
    roles = ["applicant", "respondent"] + ["other"] * max(count - 2, 0)
    return [{"key": secrets.token_hex(4), "role": roles[i]} for i in range(count)]


def _rows_from(form) -> list[dict]:
    """The party rows of a form: each row's key in `party`, its fields as party-<key>-<field>."""
    rows = []
    for key in form.getlist("party")[:50]:
        if key.isalnum() and len(key) <= 16:
            rows.append({"key": key, **{f: form.get(f"party-{key}-{f}", "") for f in cases.PARTY_FIELDS}})
    return rows


def _new_context(values: dict, rows: list[dict], errors: dict | None = None) -> dict:
    hall = current_user.hall
    return {"values": values, "rows": rows, "errors": errors or {}, "hall": hall,
            "handlers": cases.handlers(hall), "sources": cases.STAFF_SOURCES}


def _new_form(status: int = 200, message: str | None = None, **context):
    if wants_fragment():
        response = make_response(render_template("admin/cases/_new.html", flash_text=message, flash_kind="error",
                                                  **context), status)
    else:
        messages = [("error", message)] if message else []
        response = make_response(render_template("admin/cases/new.html", messages=messages, **context), status)
    return response


@bp.get("/cases/new")
@roles_required(*STAFF)
def case_new():
    values = {"source": "staff", "kind": "dispute", "category": "",
              "handler": str(current_user.id) if current_user.role == Role.mediator else ""}
    return _new_form(**_new_context(values, _new_rows()))


@bp.get("/cases/new/party")
@roles_required(*STAFF)
def case_party_row():
    if not wants_fragment():
        return redirect(url_for("admin.case_new"))
    row = {"key": secrets.token_hex(4), "role": request.args.get("role") or "other"}
    return render_template("admin/cases/_party_row.html", row=row, index=-1, errors={})


@bp.post("/cases/new")
@roles_required(*STAFF)
def case_create():
    values = request.form.to_dict()
    rows = _rows_from(request.form)
    if request.form.get("add_party"):  # without JavaScript: the form again, one row longer
        return _new_form(**_new_context(values, rows + _new_rows(3)[2:]))
    try:
        case = cases.staff_open(current_user, values, rows)
    except FieldsInvalid as error:
        db.session.rollback()
        return _new_form(422, str(error.message), **_new_context(values, rows or _new_rows(), error.errors))
    if cases.can_see(current_user, case):
        flash(_("Case %(number)s was opened.", number=case.number), "ok")
        return _go(url_for("admin.case", case_id=case.id))
    # a mediator who sent it to a colleague may not open it: back to the desk
    flash(_("Case %(number)s was opened and sent to %(name)s.", number=case.number, name=_name(case.handler)), "ok")
    return _go(url_for("admin.cases"))


def _go(target: str):
    """To another page: a 303, or under htmx a full navigation (HX-Redirect)."""
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


# ---- opening a visit or an appointment as a case, in one step ------------------------------------

def _opened(case, created: bool):
    if created:
        flash(_("Case %(number)s was opened. Please complete the parties and the facts.", number=case.number), "ok")
    else:
        flash(_("This visit is case %(number)s already.", number=case.number), "info")
    if not cases.can_see(current_user, case):  # sent to the adviser's own login
        flash(_("It is handled by %(name)s.", name=_name(case.handler)), "info")
        return _go(request.referrer if _same_site(request.referrer) else url_for("admin.cases"))
    return _go(url_for("admin.case", case_id=case.id))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


@bp.post("/cases/from-ticket/<id:ticket_id>")
@roles_required(*STAFF)
def case_from_ticket(ticket_id: int):
    ticket = hall_desk.ticket_of(current_user, ticket_id)
    case, created = cases.open_from_ticket(current_user, ticket)
    return _opened(case, created)


@bp.post("/cases/from-appointment/<id:appointment_id>")
@roles_required(*DESK)
def case_from_appointment(appointment_id: int):
    appointment = arrival.appointment_of(current_user, appointment_id)
    case, created = cases.open_from_appointment(current_user, appointment)
    return _opened(case, created)


# ---- the case page -----------------------------------------------------------------------------

def _case_context(case, **extra) -> dict:
    user = current_user
    resident_url = public_url("kiosk.case_page", token=case.token)
    view = cases.case_view(user, case)
    context = {
        "case": case, "v": view, "hall": case.hall, "handlers": cases.handlers(case.hall),
        "parties": cases.parties_for(case), "revealed": False, "errors": {}, "values": {}, "failed": None,
        "form_error": None, "edit_rows": None, "new_party": {"key": "new", "role": "other"},
        "resident_url": resident_url, "resident_qr": qr_svg(resident_url, _("The resident's page")),
        "summary_pdf": url_for("admin.case_summary_pdf", case_id=case.id),
        "agreement_pdf": url_for("admin.case_agreement_pdf", case_id=case.id)
        if view.has_agreement and view.may_reveal else None,
        "CATEGORIES": CATEGORIES, "CaseKind": CaseKind, "CaseOutcome": CaseOutcome, "PartyRole": PartyRole,
        "Rating": Rating, "CaseSource": CaseSource,
    }
    context.update(extra)
    return context


def _case_answer(case, *, status: int = 200, message: str | None = None, kind: str = "ok", anchor: str = "",
                 **extra):
    """The refreshed case (htmx), or a 303 back to its page; with status >= 400 the page again."""
    if wants_fragment():
        return make_response(render_template("admin/cases/_case.html", flash_text=message, flash_kind=kind,
                                             **_case_context(case, **extra)), status)
    if status >= 400:
        messages = [(kind, message)] if message else []
        return make_response(render_template("admin/cases/page.html", messages=messages,
                                             **_case_context(case, **extra)), status)
    if message:
        flash(message, kind)
    return redirect(url_for("admin.case", case_id=case.id) + anchor, 303)


@bp.get("/cases/<id:case_id>")
@roles_required(*STAFF)
def case(case_id: int):
    found = cases.case_for(current_user, case_id)
    template = "admin/cases/_case.html" if wants_fragment() else "admin/cases/page.html"
    return render_template(template, **_case_context(found))


@bp.post("/cases/<id:case_id>/reveal")
@roles_required(*REVEAL)
@personal_data
def case_reveal(case_id: int):
    found = cases.case_for(current_user, case_id)
    parties = cases.reveal(current_user, found)
    context = _case_context(found, parties=parties, revealed=True)
    if wants_fragment():
        return render_template("admin/cases/_parties.html", **context)
    return render_template("admin/cases/page.html", **context)


# ---- what each form does -----------------------------------------------------------------------

def _name(user) -> str:
    return user.display_name or user.username


def _assign(case, form) -> str:
    handler = cases.handler_of(case.hall, form.get("handler"))
    if handler is None:
        raise FieldsInvalid({"handler": _("Please choose a handler.")})
    cases.assign(current_user, case, handler, form.get("note", ""))
    return _("%(number)s is handled by %(name)s.", number=case.number, name=_name(handler))


def _details(case, form) -> str:
    cases.update_details(current_user, case, form)
    return _("The details were saved.")


def _party(case, form) -> str:
    row = {f: form.get(f"party-new-{f}", "") for f in cases.PARTY_FIELDS}
    party = cases.add_party(current_user, case, row)
    return _("%(name)s was added to the parties.", name=party.name or party.phone)


def _parties(case, form) -> str:
    cases.replace_parties(current_user, case, _rows_from(form))
    return _("The parties were corrected.")


def _move(case, form) -> str:
    cases.move(current_user, case, form.get("to", ""), form.get("note", ""))
    return _("%(number)s moved on to %(step)s.", number=case.number, step=cases.step_label(case.step))


def _session(case, form) -> str:
    cases.record_session(current_user, case, form.get("text", ""))
    return _("The session was recorded.")


def _outcome(case, form) -> str:
    values = form.to_dict()
    values["other_channels"] = form.getlist("other_channels") + [form.get("other_channels_text", "")]
    cases.record_outcome(current_user, case, values)
    return _("The outcome was recorded: %(outcome)s.", outcome=cases.OUTCOME_LABELS[case.outcome])


def _follow_up(case, form) -> str:
    cases.add_follow_up(current_user, case, form)
    return _("The follow-up was recorded.")


def _reply(case, form) -> str:
    public = form.get("public") == "1"
    cases.reply(current_user, case, form.get("text", ""), public=public)
    return _("The reply was published on the resident's page.") if public else _("The note was saved.")


def _decline(case, form) -> str:
    channels = form.getlist("other_channels") + [form.get("other_channels_text", "")]
    cases.decline(current_user, case, form.get("reason", ""), channels)
    return _("%(number)s was not accepted; the resident is told the other channels.", number=case.number)


def _withdraw(case, form) -> str:
    cases.withdraw(current_user, case, form.get("note", ""))
    return _("%(number)s was withdrawn and closed.", number=case.number)


def _close(case, form) -> str:
    cases.close_unrated(current_user, case)
    return _("%(number)s was closed without a rating.", number=case.number)


def _rate(case, form) -> str:
    cases.rate(case, form.get("rating", ""), form.get("comment", ""), user=current_user)
    return _("The resident's rating was recorded and %(number)s is closed.", number=case.number)


# action in the URL -> (what it does, the id of its form on the page). Correcting the parties shows
# their full details: only for those who may see them (reception never handles a case).
ACTIONS = {
    "assign": (_assign, "assign"), "details": (_details, "details"), "party": (_party, "party"),
    "parties": (_parties, "parties"), "move": (_move, "move"), "session": (_session, "session"),
    "outcome": (_outcome, "outcome"), "follow-up": (_follow_up, "follow-up"), "reply": (_reply, "reply"),
    "decline": (_decline, "decline"), "withdraw": (_withdraw, "withdraw"), "close": (_close, "close"),
    "rate": (_rate, "rate"),
}
ACTION_ROLES = {"parties": REVEAL}


def case_action(case_id: int, action: str):
    found = cases.case_for(current_user, case_id)
    do, form_id = ACTIONS[action]
    try:
        message = do(found, request.form)
    except NotFound:
        raise
    except HallError as error:
        db.session.rollback()
        extra = {}
        if action == "parties":  # the correction form again, with what was typed (nothing read back)
            extra["edit_rows"] = _rows_from(request.form)
        return _case_answer(found, status=error.status, message=str(error.message), kind="error",
                            failed=form_id, errors=getattr(error, "errors", {}), values=request.form,
                            form_error=str(error.message), **extra)
    return _case_answer(found, message=message, anchor="#timeline")


for _action in ACTIONS:
    bp.add_url_rule(f"/cases/<id:case_id>/{_action}", endpoint=f"case_{_action.replace('-', '_')}",
                    view_func=roles_required(*ACTION_ROLES.get(_action, STAFF))(case_action), methods=["POST"],
                    defaults={"action": _action})


# ---- the audit log -----------------------------------------------------------------------------

@bp.get("/audit")
@roles_required(ADMIN)
def audit():
    page = cases.audit_page(current_user.hall, request.args.get("case", ""),
                            inputs.parse_id(request.args.get("before_id")))
    return render_template("admin/cases/audit.html", page=page, hall=current_user.hall)
