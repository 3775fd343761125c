"""Advisers and duty rosters (administrators): the list of advisers, edited in place; each
adviser's weekly pattern and dated exceptions, edited in place; the hall's closed days; the
printable week. The rules are hall.rosters'.

Under htmx every change answers with the fragment it changed (a row, a section) and a message
swapped out-of-band into #flash; bad input answers 422 with the same fragment, marked. Without
JavaScript a change is a 303 back to its page, and bad input the page again with its marks.
"""
from __future__ import annotations

from datetime import timedelta

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hall import clock, rosters, slots
from hall.auth import roles_required
from hall.categories import ADVISER_KINDS, CATEGORIES, category_label, kind_label
from hall.models import ExceptionKind, Role
from hall.web import wants_fragment

from . import bp

ADMIN = Role.admin
# Room for a 2 MB photo and the form around it, on the upload route only (the app's limit is 64 KB).
PHOTO_REQUEST_MAX = rosters.PHOTO_MAX_BYTES + 64 * 1024


@bp.record_once
def _raise_upload_limit(state) -> None:
    """Werkzeug refuses a body over the app's MAX_CONTENT_LENGTH as soon as the form is read,
    and CSRF protection reads it before any view runs: raise the limit for the photo upload
    alone, first thing."""
    def raise_limit():
        if request.endpoint == "admin.adviser_photo_upload":
            request.max_content_length = PHOTO_REQUEST_MAX
    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)
    # Globals, not a context processor: imported macros and the kiosk's 今日值班 use them too.
    state.app.jinja_env.globals.update(
        kind_label=kind_label, category_label=category_label, hhmm=rosters.hhmm,
        ADVISER_KINDS=ADVISER_KINDS, CATEGORIES=CATEGORIES, weekday_name=rosters.weekday_name)


@bp.after_request
def _vary(response):
    """These URLs answer a page or, under htmx, the fragment it includes: caches are told so."""
    if request.endpoint in ROSTER_ENDPOINTS:
        response.vary.add("HX-Request")
    return response


def _answer(template: str, status: int = 200, message: str | None = None, kind: str = "ok", **context):
    response = make_response(render_template(template, flash_text=message, flash_kind=kind, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def _today():
    return clock.local_day(current_user.hall)


# ---- advisers ----------------------------------------------------------------------------------

def _adviser_values(adviser) -> dict:
    return {"name": adviser.name, "kind": adviser.kind.value, "specialties": adviser.specialty_codes,
            "counter_id": str(adviser.counter_id or ""), "intro": adviser.intro or "",
            "active": adviser.active, "user_id": str(adviser.user_id or ""),
            "services": [str(s.id) for s in adviser.services]}


def _form_values() -> dict:
    values = request.form.to_dict()
    values["specialties"] = request.form.getlist("specialties")
    values["services"] = request.form.getlist("services")
    values["active"] = rosters._flag(request.form, "active")
    return values


def _adviser_form_context(adviser=None) -> dict:
    hall = current_user.hall
    return {"counters": rosters.rooms(hall), "services": rosters.services(hall),
            "users": rosters.linkable_users(hall, adviser)}


def _list_context(**extra) -> dict:
    hall = current_user.hall
    return {"advisers": rosters.advisers(hall), "hall": hall, **_adviser_form_context(), **extra}


@bp.get("/rosters")
@roles_required(ADMIN)
def rosters_page():
    return render_template("admin/rosters/advisers.html", **_list_context(adding=False, errors={}, values={}))


@bp.get("/rosters/advisers/new")
@roles_required(ADMIN)
def adviser_new():
    values = {"active": True, "kind": "people_mediator"}
    if wants_fragment():
        return _answer("admin/rosters/_adviser_new.html", values=values, errors={}, **_adviser_form_context())
    return render_template("admin/rosters/advisers.html", **_list_context(adding=True, errors={}, values=values))


@bp.post("/rosters/advisers")
@roles_required(ADMIN)
def adviser_create():
    values = _form_values()
    try:
        adviser = rosters.save_adviser(current_user.hall, values)
    except rosters.RosterInvalid as error:
        if wants_fragment():
            return _answer("admin/rosters/_adviser_new.html", 422, str(error.message), "error",
                           values=values, errors=error.errors, **_adviser_form_context())
        return render_template("admin/rosters/advisers.html", messages=[("error", str(error.message))],
                               **_list_context(adding=True, errors=error.errors, values=values)), 422
    message = _("%(name)s was added.", name=adviser.name)
    if wants_fragment():
        response = _answer("admin/rosters/_advisers_table.html", message=message, added=adviser.id,
                           **_list_context())
        # The list takes the new card; the form (the request's target) is emptied out-of-band.
        response.headers["HX-Retarget"] = "#advisers"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(message, "ok")
    return redirect(url_for("admin.adviser", adviser_id=adviser.id), 303)


@bp.get("/rosters/advisers/<id:adviser_id>/row")
@roles_required(ADMIN)
def adviser_row(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    if not wants_fragment():
        return redirect(url_for("admin.rosters_page") + f"#adviser-{adviser.id}")
    return _answer("admin/rosters/_adviser_row.html", adviser=adviser)


@bp.get("/rosters/advisers/<id:adviser_id>/edit")
@roles_required(ADMIN)
def adviser_edit(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    context = {"adviser": adviser, "values": _adviser_values(adviser), "errors": {}, **_adviser_form_context(adviser)}
    if wants_fragment():
        return _answer("admin/rosters/_adviser_edit.html", **context)
    return render_template("admin/rosters/adviser_edit.html", **context)


@bp.post("/rosters/advisers/<id:adviser_id>")
@roles_required(ADMIN)
def adviser_update(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    values = _form_values()
    try:
        rosters.save_adviser(current_user.hall, values, adviser)
    except rosters.RosterInvalid as error:
        context = {"adviser": adviser, "values": values, "errors": error.errors, **_adviser_form_context(adviser)}
        if wants_fragment():
            return _answer("admin/rosters/_adviser_edit.html", 422, str(error.message), "error", **context)
        return render_template("admin/rosters/adviser_edit.html", messages=[("error", str(error.message))],
                               **context), 422
    message = _("%(name)s was saved.", name=adviser.name)
    if wants_fragment():
        return _answer("admin/rosters/_adviser_row.html", message=message, adviser=adviser, changed=True)
    flash(message, "ok")
    return redirect(url_for("admin.rosters_page") + f"#adviser-{adviser.id}", 303)


# ---- one adviser's roster: pattern, exceptions, photo -----------------------------------------

def _adviser_context(adviser, **extra) -> dict:
    today = _today()
    base = {
        "adviser": adviser, "hall": current_user.hall, "today": today,
        "counters": rosters.rooms(current_user.hall),
        "exceptions": rosters.exceptions_from(adviser, today - timedelta(days=30)),
        "editing": None, "edit_values": {}, "edit_errors": {},
        "add_values": {"weekday": "1", "every_weeks": "1", "valid_from": today.isoformat()}, "add_errors": {},
        "exception_values": {"kind": "leave", "day": today.isoformat()}, "exception_errors": {},
        "photo_errors": {},
    }
    base.update(extra)
    return base


def _shift_values(shift) -> dict:
    return {"weekday": str(shift.weekday), "starts_at": rosters.hhmm(shift.starts_at),
            "ends_at": rosters.hhmm(shift.ends_at), "every_weeks": str(shift.every_weeks),
            "valid_from": shift.valid_from.isoformat(),
            "valid_until": shift.valid_until.isoformat() if shift.valid_until else "",
            "counter_id": str(shift.counter_id or "")}


@bp.get("/rosters/advisers/<id:adviser_id>")
@roles_required(ADMIN)
def adviser(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    return render_template("admin/rosters/adviser.html", **_adviser_context(adviser))


def _section(adviser, template: str, anchor: str, *, message=None, error=None, status=200, **extra):
    """A section of the adviser's page (htmx) or the whole page / a 303 back to it."""
    if wants_fragment():
        return _answer(template, status, error or message, "error" if error else "ok",
                       **_adviser_context(adviser, **extra))
    if error:
        return render_template("admin/rosters/adviser.html", messages=[("error", error)],
                               **_adviser_context(adviser, **extra)), status
    if message:
        flash(message, "ok")
    return redirect(url_for("admin.adviser", adviser_id=adviser.id) + anchor, 303)


@bp.post("/rosters/advisers/<id:adviser_id>/shifts")
@roles_required(ADMIN)
def shift_create(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    values = request.form.to_dict()
    try:
        rosters.save_shift(adviser, values, today=_today())
    except rosters.RosterInvalid as error:
        return _section(adviser, "admin/rosters/_shifts.html", "#shifts", error=str(error.message), status=422,
                        add_values=values, add_errors=error.errors)
    return _section(adviser, "admin/rosters/_shifts.html", "#shifts", message=_("The range was added."))


@bp.get("/rosters/shifts/<id:shift_id>/edit")
@roles_required(ADMIN)
def shift_edit(shift_id: int):
    shift = rosters.shift_of(current_user, shift_id)
    context = _adviser_context(shift.adviser, editing=shift.id, edit_values=_shift_values(shift))
    if wants_fragment():
        return _answer("admin/rosters/_shifts.html", **context)
    return render_template("admin/rosters/adviser.html", **context)


@bp.post("/rosters/shifts/<id:shift_id>")
@roles_required(ADMIN)
def shift_update(shift_id: int):
    shift = rosters.shift_of(current_user, shift_id)
    adviser = shift.adviser
    values = request.form.to_dict()
    try:
        rosters.save_shift(adviser, values, shift, today=_today())
    except rosters.RosterInvalid as error:
        return _section(adviser, "admin/rosters/_shifts.html", "#shifts", error=str(error.message), status=422,
                        editing=shift.id, edit_values=values, edit_errors=error.errors)
    return _section(adviser, "admin/rosters/_shifts.html", "#shifts", message=_("The range was saved."))


@bp.post("/rosters/shifts/<id:shift_id>/delete")
@roles_required(ADMIN)
def shift_delete(shift_id: int):
    shift = rosters.shift_of(current_user, shift_id)
    adviser = shift.adviser
    rosters.delete_shift(shift)
    return _section(adviser, "admin/rosters/_shifts.html", "#shifts", message=_("The range was deleted."))


@bp.post("/rosters/advisers/<id:adviser_id>/exceptions")
@roles_required(ADMIN)
def exception_create(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    values = request.form.to_dict()
    try:
        found = rosters.save_exception(adviser, values)
    except rosters.RosterInvalid as error:
        return _section(adviser, "admin/rosters/_exceptions.html", "#exceptions", error=str(error.message),
                        status=422, exception_values=values, exception_errors=error.errors)
    message = (_("Leave on %(day)s was added.", day=found.day.isoformat()) if found.kind == ExceptionKind.leave
               else _("An extra session on %(day)s was added.", day=found.day.isoformat()))
    return _section(adviser, "admin/rosters/_exceptions.html", "#exceptions", message=message)


@bp.post("/rosters/exceptions/<id:exception_id>/delete")
@roles_required(ADMIN)
def exception_delete(exception_id: int):
    found = rosters.exception_of(current_user, exception_id)
    adviser = found.adviser
    rosters.delete_exception(found)
    return _section(adviser, "admin/rosters/_exceptions.html", "#exceptions", message=_("The change was deleted."))


@bp.post("/rosters/advisers/<id:adviser_id>/photo")
@roles_required(ADMIN)
def adviser_photo_upload(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    upload = request.files.get("photo")
    try:
        rosters.set_photo(adviser, upload.read(rosters.PHOTO_MAX_BYTES + 1) if upload else None)
    except rosters.RosterInvalid as error:
        message = str(error.errors.get("photo") or error.message)
        return _section(adviser, "admin/rosters/_photo.html", "#photo", error=message, status=422,
                        photo_errors=error.errors)
    return _section(adviser, "admin/rosters/_photo.html", "#photo", message=_("The photo was saved."))


@bp.post("/rosters/advisers/<id:adviser_id>/photo/delete")
@roles_required(ADMIN)
def adviser_photo_delete(adviser_id: int):
    adviser = rosters.adviser_of(current_user, adviser_id)
    rosters.remove_photo(adviser)
    return _section(adviser, "admin/rosters/_photo.html", "#photo", message=_("The photo was removed."))


@bp.get("/advisers/<id:adviser_id>/photo")
def adviser_photo(adviser_id: int):
    """The stored photo, for staff pages and the public kiosk alike (an anonymous reader sees only
    the photos of advisers still serving)."""
    hall_id = current_user.hall_id if current_user.is_authenticated else None
    data, mimetype = rosters.photo_of(adviser_id, hall_id)
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


# ---- closed days -------------------------------------------------------------------------------

def _closed_context(**extra) -> dict:
    hall = current_user.hall
    today = _today()
    base = {"closed": rosters.closed_days(hall, today - timedelta(days=31)), "today": today,
            "values": {}, "errors": {}}
    base.update(extra)
    return base


def _closed_answer(*, message=None, error=None, status=200, **extra):
    if wants_fragment():
        return _answer("admin/rosters/_closed_days.html", status, error or message, "error" if error else "ok",
                       **_closed_context(**extra))
    if error:
        return render_template("admin/rosters/closed_days.html", messages=[("error", error)],
                               **_closed_context(**extra)), status
    if message:
        flash(message, "ok")
    return redirect(url_for("admin.closed_days"), 303)


@bp.get("/rosters/closed-days")
@roles_required(ADMIN)
def closed_days():
    return render_template("admin/rosters/closed_days.html", **_closed_context())


@bp.post("/rosters/closed-days")
@roles_required(ADMIN)
def closed_day_create():
    values = request.form.to_dict()
    try:
        closed = rosters.save_closed_day(current_user.hall, values)
    except rosters.RosterInvalid as error:
        return _closed_answer(error=str(error.message), status=422, values=values, errors=error.errors)
    return _closed_answer(message=_("%(day)s (%(name)s): the hall is closed.", day=closed.day.isoformat(),
                                    name=closed.name))


@bp.post("/rosters/closed-days/<id:closed_day_id>/delete")
@roles_required(ADMIN)
def closed_day_delete(closed_day_id: int):
    closed = rosters.closed_day_of(current_user, closed_day_id)
    day = closed.day.isoformat()
    rosters.delete_closed_day(closed)
    return _closed_answer(message=_("%(day)s is no longer a closed day.", day=day))


# ---- the printable week ------------------------------------------------------------------------

@bp.get("/rosters/week")
@roles_required(ADMIN)
def roster_week():
    raw = request.args.get("start")
    start = slots.parse_day(raw) if raw else _today()
    hall = current_user.hall
    days = rosters.week_view(hall, start)
    monday = days[0].day
    return render_template("admin/rosters/week.html", hall=hall, days=days, lines=rosters.by_adviser(days),
                           monday=monday,
                           sunday=days[-1].day, today=_today(),
                           previous=(monday - timedelta(days=7)).isoformat(),
                           following=(monday + timedelta(days=7)).isoformat())


ROSTER_ENDPOINTS = frozenset(
    f"admin.{name}" for name in (
        "rosters_page", "adviser_new", "adviser_create", "adviser_row", "adviser_edit", "adviser_update",
        "adviser", "shift_create", "shift_edit", "shift_update", "shift_delete", "exception_create",
        "exception_delete", "adviser_photo_upload", "adviser_photo_delete", "closed_days",
        "closed_day_create", "closed_day_delete", "roster_week"))
