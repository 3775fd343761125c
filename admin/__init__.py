"""Staff area: login, reception console, settings, advisers and rosters, appointments, the
booking poster."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import auth, console, rosters, settings  # noqa: E402,F401
from . import appointments, poster  # noqa: E402,F401
from . import cases  # noqa: E402,F401
from . import documents  # noqa: E402,F401
from . import users  # noqa: E402,F401
from . import ratings  # noqa: E402,F401
