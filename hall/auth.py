"""Staff logins and the role each staff route needs."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db, htmx, login_manager
from .models import Role, User

login_manager.login_view = "admin.login"
login_manager.login_message = _l("Please log in to continue.")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's login while it is active and the session of its current version (sessions
    end when the login is disabled or its password changes: hall/accounts.py)."""
    from .accounts import user_for_session
    return user_for_session(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    """A login redirect; under htmx an HX-Redirect, so no login form lands inside a table cell."""
    target = url_for("admin.login", next=request.full_path if request.method == "GET" else None)
    if htmx:
        from flask import make_response
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def roles_required(*roles: Role):
    """Only logged-in staff with one of these roles; anyone else logged in gets 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def authenticate(username: str, password: str) -> User | None:
    user = db.session.query(User).filter_by(username=(username or "").strip()).one_or_none()
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user
