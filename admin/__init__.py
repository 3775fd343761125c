"""Staff area: login, reception console, settings."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import auth, console, settings  # noqa: E402,F401
