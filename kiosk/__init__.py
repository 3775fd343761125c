"""Public screens: the kiosk, the call board, the phone pages behind QR codes."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from . import views, board, phone  # noqa: E402,F401
from . import booking  # noqa: E402,F401
from . import arrival  # noqa: E402,F401
from . import reports  # noqa: E402,F401
