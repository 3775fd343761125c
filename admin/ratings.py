"""Visit ratings for the administrator.

    GET /admin/ratings?first=&last=&service=&rating=&page=    rated visits, newest first, a page
                                                              at a time, with the count of each
                                                              rating over the period (the
                                                              hall's days) and service

A bad date, service or rating is a 422 with the form and a message for the field, listing nothing.
Reception sees a visit's rating on its counter's console (admin/console.py).
"""
from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from hall import ratings
from hall.auth import roles_required
from hall.errors import FieldsInvalid
from hall.models import Role

from . import bp


@bp.get("/ratings")
@roles_required(Role.admin)
def ratings_page():
    hall = current_user.hall
    values = {k: request.args.get(k, "") for k in ("first", "last", "service", "rating")}
    try:
        chosen = ratings.parse_filter(hall, request.args)
    except FieldsInvalid as error:
        return render_template("admin/ratings.html", hall=hall, page=None, values=values, errors=error.errors,
                               services=hall.services, ORDER=ratings.RATING_ORDER), 422
    page = ratings.visit_ratings(hall, chosen)
    values.update(first=chosen.first.isoformat(), last=chosen.last.isoformat())
    return render_template("admin/ratings.html", hall=hall, page=page, values=values, errors={},
                           services=page.services, ORDER=ratings.RATING_ORDER)
