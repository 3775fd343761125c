"""Staff logins in the staff area. The rules are hall.accounts'.

    GET  /admin/users                       the hall's logins (administrators)
    GET  /admin/users/new                   the form for a new login
    POST /admin/users                       create it: the temporary password or link, shown once
    GET  /admin/users/<id>/edit             edit a login, reset its password
    POST /admin/users/<id>                  save the edit (a GET goes to the form)
    POST /admin/users/<id>/disable|enable   under htmx the row is swapped, a message out-of-band
    POST /admin/users/<id>/password         reset the password: a temporary one or a new link
    GET, POST /admin/account                every user: their login, and changing their password
    GET, POST /admin/password/<token>       the one-time set-password link (no login needed)

While a login must change its password (a temporary one), every other staff page leads to
/admin/account (an HX-Redirect under htmx).
"""
from __future__ import annotations

from datetime import timedelta

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from hall import accounts, clock
from hall.auth import roles_required
from hall.errors import Invalid
from hall.extensions import htmx
from hall.links import public_url, qr_svg
from hall.models import Role
from hall.web import error_response, no_store, wants_fragment

from . import bp
from .auth import STAFF, home_for

ADMIN = Role.admin
# What a login that must change its password may still open.
OPEN_WHILE_MUST_CHANGE = {"admin.account", "admin.logout", "admin.login", "admin.set_password",
                          "admin.adviser_photo", None}


@bp.record_once
def _globals(state) -> None:
    state.app.jinja_env.globals.update(role_label=accounts.role_label, ROLE_LABELS=accounts.ROLE_LABELS,
                                       PASSWORD_MIN=accounts.PASSWORD_MIN, LINK_HOURS=accounts.LINK_HOURS)


@bp.before_request
def _password_first():
    """A temporary password is changed before anything else."""
    if request.endpoint in OPEN_WHILE_MUST_CHANGE or not accounts.must_change_password(current_user):
        return None
    target = url_for("admin.account")
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _form_values(user=None) -> dict:
    if user is None:
        return {"role": "reception", "handover": accounts.HANDOVER_PASSWORD}
    adviser = accounts.adviser_of_login(user)
    return {"display_name": user.display_name, "full_name": user.full_name or "", "role": user.role.value,
            "adviser_id": str(adviser.id) if adviser else ""}


# ---- the list ----------------------------------------------------------------------------------

def _list_context(**extra) -> dict:
    hall = current_user.hall
    return {"users": accounts.logins(hall), "advisers": accounts.advisers_by_user(hall), "hall": hall, **extra}


@bp.get("/users")
@roles_required(ADMIN)
def users():
    return render_template("admin/users/list.html", **_list_context())


def _switch(user_id: int, enable: bool):
    user = accounts.login_of(current_user, user_id)
    try:
        if enable:
            accounts.enable_login(current_user, user)
        else:
            accounts.disable_login(current_user, user)
    except Invalid as error:
        if wants_fragment():
            return error_response(409, str(error.message))
        flash(str(error.message), "error")
        return redirect(url_for("admin.users"), 303)
    name = user.display_name or user.username
    message = (_("%(name)s can log in again.", name=name) if enable
               else _("%(name)s is disabled and was logged out.", name=name))
    if wants_fragment():
        return render_template("admin/users/_table.html", **_list_context(changed=user.id, flash_text=message,
                                                                          flash_kind="ok"))
    flash(message, "ok")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<id:user_id>/disable")
@roles_required(ADMIN)
def user_disable(user_id: int):
    return _switch(user_id, False)


@bp.post("/users/<id:user_id>/enable")
@roles_required(ADMIN)
def user_enable(user_id: int):
    return _switch(user_id, True)


# ---- creating and editing ------------------------------------------------------------------------

def _handover_page(handover: accounts.Handover, created: bool):
    link = expires = link_qr = None
    if handover.kind == accounts.HANDOVER_LINK:
        link = public_url("admin.set_password", token=handover.token)
        expires = clock.now() + timedelta(hours=accounts.LINK_HOURS)
        link_qr = qr_svg(link, _("Set-password link"))
    return no_store(render_template("admin/users/handover.html", handover=handover, user=handover.user,
                                    created=created, link=link, expires=expires, link_qr=link_qr,
                                    hall=current_user.hall))


@bp.get("/users/new")
@roles_required(ADMIN)
def user_new():
    return render_template("admin/users/new.html", values=_form_values(), errors={},
                           advisers=accounts.linkable_advisers(current_user.hall))


@bp.post("/users")
@roles_required(ADMIN)
def user_create():
    values = request.form.to_dict()
    values.pop("csrf_token", None)
    try:
        handover = accounts.create_login(current_user.hall, current_user, values)
    except accounts.AccountInvalid as error:
        return render_template("admin/users/new.html", values=values, errors=error.errors,
                               messages=[("error", str(error.message))],
                               advisers=accounts.linkable_advisers(current_user.hall)), 422
    return _handover_page(handover, created=True)


def _edit_page(user, values: dict, errors: dict, status: int = 200, messages=None):
    return render_template("admin/users/edit.html", user=user, values=values, errors=errors,
                           messages=messages or [], adviser=accounts.adviser_of_login(user),
                           advisers=accounts.linkable_advisers(user.hall, user), hall=user.hall), status


@bp.get("/users/<id:user_id>/edit")
@roles_required(ADMIN)
def user_edit(user_id: int):
    user = accounts.login_of(current_user, user_id)
    return _edit_page(user, _form_values(user), {})


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_update(user_id: int):
    user = accounts.login_of(current_user, user_id)
    if request.method == "GET":  # the language switch on a form answered here
        return redirect(url_for("admin.user_edit", user_id=user.id))
    values = request.form.to_dict()
    try:
        changed = accounts.update_login(current_user, user, values)
    except accounts.AccountInvalid as error:
        return _edit_page(user, values, error.errors, 422, [("error", str(error.message))])
    except Invalid as error:
        return _edit_page(user, values, {}, 409, [("error", str(error.message))])
    flash(_("%(name)s was saved.", name=user.display_name or user.username) if changed
          else _("Nothing was changed."), "ok")
    return redirect(url_for("admin.users") + f"#user-{user.id}", 303)


@bp.route("/users/<id:user_id>/password", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_reset(user_id: int):
    user = accounts.login_of(current_user, user_id)
    if request.method == "GET":  # the language switch on the page showing a password: not again
        return redirect(url_for("admin.user_edit", user_id=user.id))
    try:
        handover = accounts.reset_password(current_user, user, request.form.get("handover", ""))
    except Invalid as error:
        return _edit_page(user, _form_values(user), getattr(error, "errors", {}), 422,
                          [("error", str(error.message))])
    return _handover_page(handover, created=False)


# ---- every user's own account --------------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@roles_required(*STAFF)
def account():
    user = current_user._get_current_object()
    if request.method == "POST":
        was_temporary = user.must_change_password
        try:
            accounts.change_own_password(user, request.form.get("current_password", ""),
                                         request.form.get("new_password", ""), request.form.get("confirm", ""))
        except accounts.AccountInvalid as error:
            return render_template("admin/users/account.html", user=user, errors=error.errors,
                                   adviser=accounts.adviser_of_login(user),
                                   messages=[("error", str(error.message))]), 422
        login_user(user)  # this session goes on with the new session version; the others end
        flash(_("Your password was changed."), "ok")
        return redirect(home_for(user) if was_temporary else url_for("admin.account"), 303)
    return no_store(render_template(
        "admin/users/account.html", user=user, errors={}, adviser=accounts.adviser_of_login(user)))


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    try:
        user = accounts.user_for_link(token)
    except accounts.LinkInvalid as error:
        return render_template("admin/users/set_password.html", user=None, errors={},
                               link_error=str(error.message)), 410
    if request.method == "POST":
        try:
            accounts.set_password_by_link(token, request.form.get("new_password", ""), request.form.get("confirm", ""))
        except accounts.AccountInvalid as error:
            return render_template("admin/users/set_password.html", user=user, errors=error.errors,
                                   messages=[("error", str(error.message))]), 422
        flash(_("Your password is set. Please log in with it."), "ok")
        return redirect(url_for("admin.login"), 303)
    return no_store(render_template("admin/users/set_password.html", user=user, errors={}))
