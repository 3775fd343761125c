"""Placeholder: the phone page helper replaces this file."""
from . import bp


@bp.get("/t/<token>")
def phone(token):
    return token
