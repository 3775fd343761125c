"""Residents' own reports (我要投诉 / 我要咨询 / 我要建议): at the kiosk, on a phone, and the report's
own page (我的上报) behind its QR code. The rules are hall/reports.py's.

Kiosk (portrait 1080×1920, touch, no keyboard), whole pages:

    GET  /k/<hall>/report                     the kind: three big tiles
    GET  /k/<hall>/report/<kind>              the category: big tiles
    GET  /k/<hall>/report/<kind>/<category>   one form in two panels (report.js shows one at a
                                              time): common phrases as big buttons and an
                                              optional written line, then the mobile number on the
                                              keypad and a form of address (王女士), both optional
    POST /k/<hall>/report/<kind>/<category>   send; 303 to the confirmation
    GET  /k/<hall>/report/done/<token>        the reference number, a QR code to the report's
                                              page and a printable 80 mm slip

Phone (behind a poster's QR code), one form:

    GET  /p/<hall>/report[?kind=…]            kind, category, description, up to 3 photos, name, phone
    POST /p/<hall>/report                     send (htmx: HX-Redirect; else 303) to the report's page

The report's page, public, found by its unguessable token only:

    GET  /r/<token>                           number, kind, category, the six steps, the public
                                              timeline, photos; polls itself (ETag, 304)
    POST /r/<token>/remark                    the resident's remark while it is open
    POST /r/<token>/rate                      满意 / 基本满意 / 不满意 at 群众评事 (closes the case)
    GET  /r/<token>/photos/<photo>            a photo, for the holder of the report's token
    GET  /staff/case-photos/<photo>           a photo, for staff who may see the case
"""
from __future__ import annotations


from flask import make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from hall import booking_flow, queue, reports
from hall.auth import roles_required
from hall.categories import CATEGORIES
from hall.errors import FieldsInvalid, HallError, NotFound
from hall.extensions import db
from hall.images import megabytes
from hall.links import public_url, qr_svg
from hall.models import Role, SubmissionKind
from hall.web import error_response, etag_for, page_or_fragment, polled, unknown_shows, wants_fragment

from . import bp
from .views import AUTOPRINT, can_type, form_key, kiosk_page

JUST_REPORTED = "kiosk_just_reported"
PAGE_POLL_SECONDS = 30
PRIVATE = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


def _private(response):
    response.headers.update(PRIVATE)
    return response


@bp.record_once
def _raise_upload_limit(state) -> None:
    """The app takes requests of 64 KB; the phone's report with its photos needs more. Raised for
    that route alone, before CSRF protection reads the form."""
    def raise_limit():
        if request.endpoint == "kiosk.phone_report_send":
            request.max_content_length = reports.REQUEST_MAX
    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


@bp.context_processor
def report_helpers():
    return {"report_kinds": list(SubmissionKind), "report_kind_action": lambda k: str(reports.KIND_ACTIONS[SubmissionKind(k)]),
            "report_kind_hint": lambda k: str(reports.KIND_HINTS[SubmissionKind(k)]),
            "PHOTOS_MAX": reports.PHOTOS_MAX, "PHOTO_MAX_BYTES": reports.PHOTO_MAX_BYTES, "PHOTO_MAX_MB": megabytes(reports.PHOTO_MAX_BYTES),
            "DESCRIPTION_MAX": reports.DESCRIPTION_MAX}


def _qr(url: str, label: str) -> Markup:
    # Shown on screen and on the slip: no duplicate id in the page.
    return Markup(str(qr_svg(url, label=label)).replace(' id="qr-path"', ""))


def _messages(errors: dict) -> dict[str, str]:
    return {field: str(message) for field, message in errors.items()}


# ---- the kiosk ---------------------------------------------------------------------------------

def _kiosk(step: str, hall, status: int = 200, **context):
    response = make_response(render_template("kiosk/report/page.html", step=step, hall=hall, **context), status)
    return response


@bp.get("/k/<hall>/report")
@kiosk_page
def report_start(hall):
    found = queue.hall_by_slug(hall)
    return _kiosk("kinds", found, back_url=url_for("kiosk.home", hall=hall))


@bp.get("/k/<hall>/report/<kind>")
@kiosk_page
def report_category(hall, kind):
    found = queue.hall_by_slug(hall)
    chosen = reports.kind_of(kind)
    return _kiosk("categories", found, kind=chosen, categories=CATEGORIES,
                  back_url=url_for("kiosk.report_start", hall=hall))


def _describe(found, kind, category, *, chosen=(), text="", phone="", surname="", address="", request_key=None,
              errors=None, status=200):
    errors = _messages(errors or {})
    panel = "contact" if errors and "description" not in errors else "describe"
    digits = "".join(ch for ch in phone if ch.isdigit())[:11]
    return _kiosk("describe", found, status=status, kind=kind, category=category,
                  phrases=reports.phrases(kind, category), chosen=set(chosen), text=text[:reports.DESCRIPTION_MAX],
                  summary=reports.compose(kind, category, chosen, text)[:reports.DESCRIPTION_MAX],
                  phone=digits, surname=surname, address=address, surnames=booking_flow.SURNAMES,
                  request_key=form_key(request_key), errors=errors, panel=panel,
                  can_write=can_type() or bool(text.strip()),
                  back_url=url_for("kiosk.report_category", hall=found.slug, kind=kind.value))


@bp.get("/k/<hall>/report/<kind>/<category>")
@kiosk_page
def report_describe(hall, kind, category):
    found = queue.hall_by_slug(hall)
    return _describe(found, reports.kind_of(kind), reports.category_of(category))


@bp.post("/k/<hall>/report/<kind>/<category>")
@kiosk_page
def report_send(hall, kind, category):
    found = queue.hall_by_slug(hall)
    kind, category = reports.kind_of(kind), reports.category_of(category)
    form = request.form
    codes, text = form.getlist("phrase"), form.get("text", "")
    phone, key = form.get("phone", ""), form.get("request_key", "")
    surname, address = form.get("surname", ""), form.get("address", "")
    try:
        submission = reports.submit(
            found, kind.value, category, reports.compose(kind, category, codes, text),
            name=booking_flow.kiosk_name(surname, address), phone=phone, channel="kiosk", request_key=key)
    except FieldsInvalid as error:
        db.session.rollback()
        return _describe(found, kind, category, chosen=codes, text=text, phone=phone, surname=surname,
                         address=address, request_key=key, errors=error.errors, status=error.status)
    session[JUST_REPORTED] = submission.token
    return redirect(url_for("kiosk.report_done", hall=hall, token=submission.token), 303)


@bp.get("/k/<hall>/report/done/<token>")
@kiosk_page
def report_done(hall, token):
    found = queue.hall_by_slug(hall)
    screen = reports.page(token)
    if screen.case.hall_id != found.id:
        raise NotFound()
    first_showing = session.pop(JUST_REPORTED, None) == token
    qr = _qr(public_url("kiosk.case_page", token=token), _("Scan to follow your report"))
    response = make_response(render_template(
        "kiosk/report/done.html", screen=screen, hall=found, qr=qr,
        autoprint=bool(session.get(AUTOPRINT)) and first_showing,
        home_url=url_for("kiosk.home", hall=hall, lang="zh")))
    return _private(response)


# ---- the phone's form ----------------------------------------------------------------------------

def _unknown(what: str = "report"):
    return _private(page_or_fragment("phone/report/unknown.html", "phone/report/_unknown.html", status=404,
                                     what=what))


def _phone_form(found, *, values=None, errors=None, status=200, message=None):
    values = dict(values or {})
    if values.get("kind") not in {k.value for k in SubmissionKind}:
        values["kind"] = ""
    return page_or_fragment("phone/report/form.html", "phone/report/_form.html", status=status, hall=found,
                            values=values, errors=_messages(errors or {}), message=message,
                            request_key=form_key(values.get("request_key")), categories=CATEGORIES)


@bp.get("/p/<hall>/report")
def phone_report(hall):
    try:
        found = queue.hall_by_slug(hall)
    except NotFound:
        db.session.rollback()
        return _unknown("page")
    return _phone_form(found, values={"kind": request.args.get("kind", ""), "category": request.args.get("category", "")})


def _uploads() -> list[bytes]:
    """The chosen photos' bytes: one more than allowed is enough to refuse too many, and one byte
    over the limit enough to refuse a photo too large, so never more is read."""
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    return [f.read(reports.PHOTO_MAX_BYTES + 1) for f in files[:reports.PHOTOS_MAX + 1]]


@bp.post("/p/<hall>/report")
def phone_report_send(hall):
    form = request.form
    values = {k: form.get(k, "") for k in ("kind", "category", "description", "name", "phone", "request_key")}
    # The photos are decoded before the first query: on SQLite that query takes the write lock.
    checked = reports.check(values["kind"], values["category"], values["description"], values["name"],
                            values["phone"], _uploads())
    try:
        found = queue.hall_by_slug(hall)
    except NotFound:
        db.session.rollback()
        return _unknown("page")
    try:
        filed = reports.take(found, checked=checked, channel="phone", request_key=values["request_key"],
                             client=get_remote_address())
    except FieldsInvalid as error:
        db.session.rollback()
        return _phone_form(found, values=values, errors=error.errors, status=error.status)
    target = url_for("kiosk.case_page", token=filed.submission.token)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """Photos over the whole request's limit: say so in words that help; nothing was read."""
    message = _("The photos are too large together: at most %(n)s photos of %(size)s MB each.",
                n=reports.PHOTOS_MAX, size=megabytes(reports.PHOTO_MAX_BYTES))
    if request.endpoint != "kiosk.phone_report_send":
        return error_response(413, _("What was sent is too large."))
    if wants_fragment():
        return error_response(413, message)  # lands in #flash; the form keeps what was typed
    try:
        found = queue.hall_by_slug(request.view_args.get("hall", "") if request.view_args else "")
    except NotFound:
        db.session.rollback()
        return _unknown("page")
    return _phone_form(found, errors={"photos": message}, status=413)


# ---- the report's page ---------------------------------------------------------------------------

def _page_context(screen: reports.ReportPage, **extra) -> dict:
    return {"screen": screen, "hall": screen.hall, "poll_seconds": PAGE_POLL_SECONDS, **extra}


def _report_page(screen: reports.ReportPage, status: int = 200, **extra):
    tag = etag_for(reports.stamp(screen.token))
    response = page_or_fragment("phone/report/page.html", "phone/report/_report.html", status=status,
                                etag=tag, **_page_context(screen, **extra))
    response.headers["Cache-Control"] = "no-cache"
    return _private(response)


report_view = unknown_shows(lambda **_: _unknown())


@bp.get("/r/<token>")
@report_view
def case_page(token):
    tag = etag_for(reports.stamp(token))  # an idle poll stops at this one query
    return _private(polled("phone/report/page.html", "phone/report/_report.html", tag,
                           lambda: _page_context(reports.page(token))))


def _after_change(token: str, anchor: str):
    if wants_fragment():
        return _report_page(reports.page(token))
    return redirect(url_for("kiosk.case_page", token=token, _anchor=anchor), 303)


@bp.post("/r/<token>/remark")
@report_view
def case_remark(token):
    text = request.form.get("text", "")
    try:
        reports.add_remark(token, text)
    except HallError as error:
        if isinstance(error, NotFound):
            raise
        db.session.rollback()
        return _report_page(reports.page(token), status=error.status, remark_error=str(error.message),
                            remark_text=text[:reports.DESCRIPTION_MAX])
    return _after_change(token, "timeline")


@bp.post("/r/<token>/rate")
@report_view
def case_rate(token):
    rating, comment = request.form.get("rating", ""), request.form.get("comment", "")
    try:
        reports.give_rating(token, rating, comment)
    except HallError as error:
        if isinstance(error, NotFound):
            raise
        db.session.rollback()
        message = str(error.message)
        if error.status == 422 and rating not in ("satisfied", "fairly_satisfied", "dissatisfied"):
            message = _("Please choose one answer: satisfied, fairly satisfied or dissatisfied.")
        return _report_page(reports.page(token), status=error.status, rate_error=message,
                            rate_comment=comment[:500])
    return _after_change(token, "rating")


# ---- photos --------------------------------------------------------------------------------------

def _image(data: bytes, content_type: str, cache: str):
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = cache
    return _private(response)


@bp.get("/r/<token>/photos/<photo>")
def case_photo(token, photo):
    try:
        data, content_type = reports.photo_for_holder(token, photo)
    except NotFound:
        db.session.rollback()
        return _unknown("photo")
    return _image(data, content_type, "private, max-age=86400")


@bp.get("/staff/case-photos/<photo>")
@roles_required(Role.admin, Role.reception, Role.mediator)
def case_photo_staff(photo):
    """For the staff's case pages: NotFound (another hall's) and Forbidden (a colleague's case)
    answer through the app's error pages."""
    data, content_type = reports.photo_for_staff(current_user, photo)
    return _image(data, content_type, "private, max-age=600")
