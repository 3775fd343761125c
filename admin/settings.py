"""The hall administrator's settings: name, notice, hours, kiosk idle times, the API ticket
limit, appointments (booking window, check-in times, which services take them), cases (the
numbers' code, each step's limit in days, the committee's name); and beside them the hall's
services and counters (hall.services_admin): add, rename, reorder, icon, pause, retire, delete,
and which services each counter serves.

Under htmx a change of a service or counter answers with the panel of both (#places) and a
message swapped out-of-band into #flash; bad input answers 422 with the same panel, the form
open and marked. Without JavaScript a change is a 303 back to the settings page, and bad input
the page again with its marks.
"""
from __future__ import annotations

from flask import flash, get_flashed_messages, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hall import clock, desk
from hall import services_admin as places
from hall import settings as hall_settings
from hall.errors import FieldsInvalid, Invalid
from hall.extensions import db
from hall.auth import roles_required
from hall.i18n import service_name
from hall.cases import STEP_DAYS, STEP_LABELS, format_number, step_days
from hall.models import CASE_STEPS, Counter, Role, Service
from hall.web import wants_fragment

from kiosk.views import icon as service_icon

from . import bp


def _hhmm(value) -> str:
    """08:30, or 23:59:59 when the seconds matter (saving the form must not move the hour)."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _form_values(hall, services) -> dict:
    values = {
        "name": hall.name, "notice": hall.notice or "",
        "opens_at": _hhmm(hall.opens_at), "closes_at": _hhmm(hall.closes_at),
        "weekdays": list(hall.open_weekdays or ""),
        "kiosk_idle_seconds": hall.kiosk_idle_seconds, "ticket_idle_seconds": hall.ticket_idle_seconds,
        "booking_notice_minutes": hall.booking_notice_minutes, "booking_days_ahead": hall.booking_days_ahead,
        "checkin_early_minutes": hall.checkin_early_minutes, "checkin_grace_minutes": hall.checkin_grace_minutes,
        "case_code": hall.case_code or "", "committee_name": hall.committee_name or "",
    }
    rows, _other = hall_settings.limit_rows(hall.api_ticket_limit)
    for unit, amount in rows.items():
        values[hall_settings.limit_field(unit)] = amount
    for step in CASE_STEPS:
        values[hall_settings.step_field(step)] = step_days(hall, step)
    for service in services:
        for name in ("slot_minutes", "slot_capacity"):
            values[hall_settings.service_field(service, name)] = getattr(service, name)
        if service.bookable:
            values[hall_settings.service_field(service, "bookable")] = "1"
    return values


def _places_context(place_form: str = "", place_values: dict | None = None, place_errors: dict | None = None,
                    changed=None, moved: str = "") -> dict:
    """What the services and counters panel shows; `place_form` names the form to show open
    (service-new, service-<id>, counter-new, counter-<id>) with its values and marks."""
    hall = current_user.hall
    services, counters = places.all_services(hall), places.all_counters(hall)
    return {"all_services": services, "offered": list(hall.offered_services), "all_counters": counters,
            "used_services": {s.id for s in services if places.service_in_use(s)},
            "used_counters": {c.id for c in counters if places.counter_in_use(c)},
            "icons": places.SERVICE_ICONS, "icon_labels": places.ICON_LABELS, "service_icon": service_icon,
            "place_form": place_form, "place_values": place_values or {}, "place_errors": place_errors or {},
            "changed_service": changed.id if isinstance(changed, Service) else None,
            "changed_counter": changed.id if isinstance(changed, Counter) else None,
            "moved": moved}


def _page(values: dict, errors: dict, messages, status: int = 200, **places_context):
    hall = current_user.hall
    services = list(hall.offered_services)
    stored_rows, limit_other = hall_settings.limit_rows(hall.api_ticket_limit)
    context = {"steps": CASE_STEPS, "step_labels": STEP_LABELS, "step_defaults": STEP_DAYS,
               "step_field": hall_settings.step_field,
               "case_example": format_number(hall, clock.local(hall).year, 1),
               "limit_units": hall_settings.LIMIT_UNITS, "limit_field": hall_settings.limit_field,
               "limit_other": limit_other, "limit_bounds": hall_settings.LIMIT_AMOUNT}
    places_context = places_context or _places_context()
    return render_template("admin/settings.html", hall=hall, values=values, errors=errors, messages=messages,
                           services=services, service_field=hall_settings.service_field,
                           **context, **places_context), status


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.admin)
def settings():
    hall = current_user.hall
    if request.method == "POST":
        values = request.form.to_dict()
        values["weekdays"] = request.form.getlist("weekdays")
        try:
            hall_settings.update_hall(hall, values)
        except hall_settings.SettingsInvalid as error:
            return _page(values, error.errors, [("error", str(error.message))], 422)
        flash(_("Settings saved."), "ok")
        return redirect(url_for("admin.settings"), 303)
    return _page(_form_values(hall, list(hall.offered_services)), {}, get_flashed_messages(with_categories=True))


# ---- services and counters ---------------------------------------------------------------------

# The changes that add, rename, reorder or take away a service: the booking rows follow them.
LIST_CHANGES = {"admin.service_add", "admin.service_edit", "admin.service_move", "admin.service_retire",
                "admin.service_restore", "admin.service_delete"}

def _done(message: str, changed=None, moved: str = ""):
    """After a change: the panel under htmx (a moved service's arrow keeps the focus, so that
    the keyboard can press it again; a change of the services list also renews the settings
    form's booking rows), else back to the settings page."""
    if wants_fragment():
        rows = {}
        if request.endpoint in LIST_CHANGES:
            hall = current_user.hall
            services = list(hall.offered_services)
            rows = {"rows_oob": True, "services": services, "values": _form_values(hall, services), "errors": {},
                    "service_field": hall_settings.service_field}
        response = make_response(render_template("admin/_services.html", flash_text=message,
                                                 **_places_context(changed=changed, moved=moved), **rows))
        response.headers["Vary"] = "HX-Request"
        return response
    flash(message, "ok")
    return redirect(url_for("admin.settings") + "#places", 303)


def _refused(message: str, form: str = "", values: dict | None = None, errors: dict | None = None):
    """Bad input or a refusal: the panel again (the form open and marked), 422, nothing changed."""
    db.session.rollback()
    context = _places_context(form, values, errors)
    if wants_fragment():
        response = make_response(render_template("admin/_services.html", flash_text=message, flash_kind="error",
                                                 **context), 422)
        response.headers["Vary"] = "HX-Request"
        return response
    hall = current_user.hall
    return _page(_form_values(hall, list(hall.offered_services)), {}, [("error", message)], 422, **context)


def _apply(change, form: str, values: dict | None, message, moved: str = ""):
    """Run one change of hall.services_admin; its refusal comes back as _refused."""
    try:
        thing = change()
    except FieldsInvalid as error:
        return _refused(str(error.message), form, values, error.errors)
    except Invalid as error:
        return _refused(str(error.message), form, values)
    return _done(message(thing) if callable(message) else message, changed=thing, moved=moved)


def _service_values() -> dict:
    return {k: request.form.get(k, "") for k in ("code", "name_zh", "name_en", "icon", "default_minutes")}


def _counter_values() -> dict:
    return {"number": request.form.get("number", ""), "name": request.form.get("name", ""),
            "services": request.form.getlist("services")}


def _service(service_id: int):
    return desk.service_of(current_user, service_id)


def _counter(counter_id: int) -> Counter:
    return desk.any_counter_of(current_user, counter_id)


@bp.post("/services")
@roles_required(Role.admin)
def service_add():
    values = _service_values()
    return _apply(lambda: places.add_service(current_user.hall, values, current_user), "service-new", values,
                  lambda s: _("%(service)s was added: the kiosk shows its tile. Tick it under a window that "
                              "serves it.", service=service_name(s)))


@bp.post("/services/<id:service_id>")
@roles_required(Role.admin)
def service_edit(service_id: int):
    service, values = _service(service_id), _service_values()
    return _apply(lambda: places.edit_service(service, values, current_user), f"service-{service.id}", values,
                  lambda s: _("%(service)s was saved.", service=service_name(s)))


@bp.post("/services/<id:service_id>/move/<direction>")
@roles_required(Role.admin)
def service_move(service_id: int, direction: str):
    service = _service(service_id)
    step = {"up": -1, "down": 1}.get(direction)
    if step is None:
        return _refused(_("Please use the arrows to move a service."))
    return _apply(lambda: places.move_service(service, step, current_user), "", None,
                  lambda s: _("%(service)s moved up.", service=service_name(s)) if step < 0
                  else _("%(service)s moved down.", service=service_name(s)), moved=direction)


def _pause(service_id: int, paused: bool):
    service = _service(service_id)
    return _apply(lambda: places.set_paused(service, paused, current_user), "", None,
                  lambda s: _("%(service)s is paused: the kiosk shows it as unavailable.", service=service_name(s))
                  if paused else _("%(service)s is open again.", service=service_name(s)))


@bp.post("/services/<id:service_id>/pause")
@roles_required(Role.admin)
def service_pause(service_id: int):
    return _pause(service_id, True)


@bp.post("/services/<id:service_id>/resume")
@roles_required(Role.admin)
def service_resume(service_id: int):
    return _pause(service_id, False)


@bp.post("/services/<id:service_id>/retire")
@roles_required(Role.admin)
def service_retire(service_id: int):
    service = _service(service_id)
    return _apply(lambda: places.retire_service(service, current_user), "", None,
                  lambda s: _("%(service)s is retired: no new tickets or bookings; its history stays.",
                              service=service_name(s)))


@bp.post("/services/<id:service_id>/restore")
@roles_required(Role.admin)
def service_restore(service_id: int):
    service = _service(service_id)
    return _apply(lambda: places.restore_service(service, current_user), "", None,
                  lambda s: _("%(service)s is offered again. Tick it under a window that serves it.",
                              service=service_name(s)))


@bp.post("/services/<id:service_id>/delete")
@roles_required(Role.admin)
def service_delete(service_id: int):
    service = _service(service_id)
    name = service_name(service)
    return _apply(lambda: places.delete_service(service, current_user), "", None,
                  _("%(service)s was deleted.", service=name))


@bp.post("/counters")
@roles_required(Role.admin)
def counter_add():
    values = _counter_values()
    return _apply(lambda: places.add_counter(current_user.hall, values, current_user), "counter-new", values,
                  lambda c: _("Window %(number)s was added.", number=c.number))


@bp.post("/counters/<id:counter_id>")
@roles_required(Role.admin)
def counter_edit(counter_id: int):
    counter, values = _counter(counter_id), _counter_values()
    return _apply(lambda: places.edit_counter(counter, values, current_user), f"counter-{counter.id}", values,
                  lambda c: _("Window %(number)s was saved.", number=c.number))


@bp.post("/counters/<id:counter_id>/retire")
@roles_required(Role.admin)
def counter_retire(counter_id: int):
    counter = _counter(counter_id)
    return _apply(lambda: places.retire_counter(counter, current_user), "", None,
                  lambda c: _("Window %(number)s is retired: the consoles no longer offer it.", number=c.number))


@bp.post("/counters/<id:counter_id>/enable")
@roles_required(Role.admin)
def counter_enable(counter_id: int):
    counter = _counter(counter_id)
    return _apply(lambda: places.enable_counter(counter, current_user), "", None,
                  lambda c: _("Window %(number)s is in use again.", number=c.number))


@bp.post("/counters/<id:counter_id>/delete")
@roles_required(Role.admin)
def counter_delete(counter_id: int):
    counter = _counter(counter_id)
    number = counter.number
    return _apply(lambda: places.delete_counter(counter, current_user), "", None,
                  _("Window %(number)s was deleted.", number=number))
