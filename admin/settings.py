"""The hall administrator's settings: name, notice, hours, kiosk idle times, the API ticket
limit, appointments (booking window, check-in times, which services take them), cases (the
numbers' code, each step's limit in days), and pausing a service."""
from __future__ import annotations

from flask import flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hall import clock, desk
from hall import settings as hall_settings
from hall.auth import roles_required
from hall.i18n import service_name
from hall.cases import STEP_DAYS, STEP_LABELS, format_number, step_days
from hall.models import CASE_STEPS, Role
from hall.web import wants_fragment

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
        "api_ticket_limit": hall.api_ticket_limit,
        "booking_notice_minutes": hall.booking_notice_minutes, "booking_days_ahead": hall.booking_days_ahead,
        "checkin_early_minutes": hall.checkin_early_minutes, "checkin_grace_minutes": hall.checkin_grace_minutes,
        "case_code": hall.case_code or "",
    }
    for step in CASE_STEPS:
        values[hall_settings.step_field(step)] = step_days(hall, step)
    for service in services:
        for name in ("slot_minutes", "slot_capacity"):
            values[hall_settings.service_field(service, name)] = getattr(service, name)
        if service.bookable:
            values[hall_settings.service_field(service, "bookable")] = "1"
    return values


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.admin)
def settings():
    hall = current_user.hall
    services = desk.services(hall)
    cases_form = {"steps": CASE_STEPS, "step_labels": STEP_LABELS, "step_defaults": STEP_DAYS,
                  "step_field": hall_settings.step_field,
                  "case_example": format_number(hall, clock.local(hall).year, 1)}
    if request.method == "POST":
        values = request.form.to_dict()
        values["weekdays"] = request.form.getlist("weekdays")
        try:
            hall_settings.update_hall(hall, values)
        except hall_settings.SettingsInvalid as error:
            return render_template("admin/settings.html", hall=hall, values=values, errors=error.errors,
                                   messages=[("error", str(error.message))], services=services,
                                   service_field=hall_settings.service_field, **cases_form), 422
        flash(_("Settings saved."), "ok")
        return redirect(url_for("admin.settings"), 303)
    return render_template("admin/settings.html", hall=hall, values=_form_values(hall, services), errors={},
                           messages=get_flashed_messages(with_categories=True), services=services,
                           service_field=hall_settings.service_field, **cases_form)


def _pause(service_id: int, paused: bool):
    service = hall_settings.set_paused(desk.service_of(current_user, service_id), paused)
    if wants_fragment():
        return render_template("admin/_services.html", services=desk.services(current_user.hall),
                               changed=service)
    flash(_("%(service)s is paused: the kiosk shows it as unavailable.", service=service_name(service))
          if paused else _("%(service)s is open again.", service=service_name(service)), "ok")
    return redirect(url_for("admin.settings") + "#services", 303)


@bp.post("/services/<int:service_id>/pause")
@roles_required(Role.admin)
def service_pause(service_id: int):
    return _pause(service_id, True)


@bp.post("/services/<int:service_id>/resume")
@roles_required(Role.admin)
def service_resume(service_id: int):
    return _pause(service_id, False)
