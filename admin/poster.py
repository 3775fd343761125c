"""The hall's posters: A4 pages with a QR code for phones, to print and hang in the hall, at the
door and in the neighbourhood. One opens the booking steps (/p/<hall>/book), the other the form
for a complaint, an inquiry or a suggestion (/p/<hall>/report)."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from hall.auth import roles_required
from hall.links import public_url, qr_svg
from hall.models import Role

from . import bp


def _poster(kind: str, url: str, label: str, **context):
    return render_template("admin/poster.html", kind=kind, hall=current_user.hall, url=url, qr=qr_svg(url, label),
                           **context)


@bp.get("/poster")
@roles_required(Role.admin)
def booking_poster():
    hall = current_user.hall
    return _poster("book", public_url("kiosk.book_start_p", hall=hall.slug), _("Book an appointment"),
                   services=[s for s in hall.offered_services if s.bookable])


@bp.get("/poster/report")
@roles_required(Role.admin)
def report_poster():
    hall = current_user.hall
    return _poster("report", public_url("kiosk.phone_report", hall=hall.slug), _("Tell us about a problem"))
