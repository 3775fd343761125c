"""Staff login and logout, and the staff area's front door."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from hall import accounts
from hall.auth import authenticate, roles_required
from hall.models import Role

from . import bp

STAFF = (Role.admin, Role.reception, Role.mediator)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Please enter your username.")),
                                                        Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                                          Length(max=200)])


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host, a scheme or a protocol-relative URL."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def home_for(user) -> str:
    """Where each role works: the administrator's settings, everyone else's counters."""
    if user.role == Role.admin:
        return url_for("admin.settings")
    return url_for("admin.console_choose")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    next_url = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            accounts.record_login(user)
            login_user(user)
            if user.must_change_password:  # a temporary password: the user's own one first
                return redirect(url_for("admin.account"), 303)
            return redirect(next_url or home_for(user), 303)
        error = _("Wrong username or password. Please try again.")
    elif request.method == "GET" and current_user.is_authenticated:
        return redirect(next_url or home_for(current_user))
    status = 200 if request.method == "GET" else 422 if error is None else 401
    return render_template("admin/login.html", form=form, error=error, next_url=next_url), status


@bp.post("/logout")
@roles_required(*STAFF)
def logout():
    logout_user()
    return redirect(url_for("admin.login"), 303)


@bp.get("/")
@roles_required(*STAFF)
def index():
    return redirect(home_for(current_user))
