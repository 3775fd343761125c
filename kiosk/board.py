"""Placeholder: the board helper replaces this file."""
from . import bp


@bp.get("/b/<hall>")
def board(hall):
    return hall
