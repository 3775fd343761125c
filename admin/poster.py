"""The hall's booking poster: an A4 page with a QR code of the phone's booking steps
(/p/<hall>/book), to print and hang in the hall, at the door and in the neighbourhood."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from hall.auth import roles_required
from hall.links import public_url, qr_svg
from hall.models import Role

from . import bp


@bp.get("/poster")
@roles_required(Role.admin)
def booking_poster():
    hall = current_user.hall
    services = [s for s in hall.services if s.bookable]
    url = public_url("kiosk.book_start_p", hall=hall.slug)
    return render_template("admin/poster.html", hall=hall, services=services, url=url,
                           qr=qr_svg(url, _("Book an appointment")))
