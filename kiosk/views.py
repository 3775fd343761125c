"""Placeholder: the kiosk helper replaces this file."""
from . import bp


@bp.get("/k/<hall>")
def home(hall):
    return hall
