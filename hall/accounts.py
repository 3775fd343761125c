"""Staff logins, as a hall's administrator keeps them in the staff area and every user keeps their
own password: the list, creating a login, editing it, disabling and re-enabling it, resetting a
password (a temporary password to change at the next login, or a one-time set-password link),
changing one's own password, and the sessions that end when a login is disabled or its password
changes.

One password rule for the whole app (the staff area and the CLI): `check_new_password`.
Bad input raises AccountInvalid (errors maps each wrong field to a message in the reader's
language) and changes nothing. Every change is written to the audit log (hall.cases.audit),
never a password or a token. Lookups take the administrator and answer NotFound for another
hall's logins.

Sessions: a login's Flask-Login id is "ID-VERSION" (User.get_id); `user_for_session` refuses an
id whose version is not the login's session_version, so bumping the version (disabling, a new
password) ends every session of that login at its next request.

Set-password links: an itsdangerous token naming the login and a fingerprint of its password
hash and session version, signed with the app's SECRET_KEY and valid for LINK_HOURS. Setting the
password changes the hash, so a link works once; a newer link, a reset or disabling the login
voids the older ones.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from . import clock, inputs
from .cases import audit
from .errors import FieldsInvalid, Invalid, NotFound
from .extensions import db
from .models import Adviser, AuditEntry, Hall, Role, User
from .settings import line_in

PASSWORD_MIN = 10
PASSWORD_MAX = 200
NAME_MAX = 60
USERNAME_MAX = 60
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,59}")
LINK_HOURS = 72
LINK_SALT = "fengqiao-set-password"
# A temporary password is read aloud or copied from the screen: no 0/O, 1/l/I.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

HANDOVER_PASSWORD = "password"  # a temporary password, shown once, changed at the first login
HANDOVER_LINK = "link"          # a one-time set-password link
HANDOVERS = (HANDOVER_PASSWORD, HANDOVER_LINK)

ROLE_LABELS = {Role.admin: _l("Administrator"), Role.reception: _l("Reception"), Role.mediator: _l("Mediator")}

FIELD_LABELS = {"display_name": _l("Display name"), "full_name": _l("Full name"),
                "role": _l("Staff role"), "adviser": _l("Linked adviser")}


class AccountInvalid(FieldsInvalid):
    """Several fields may be wrong at once: errors maps a field name to its message."""


class LinkInvalid(Invalid):
    """A set-password link that is malformed, expired, used or voided."""
    status = 410
    message = _l("This link is no longer valid: it has expired or was already used. "
                 "Please ask your administrator for a new one.")


def role_label(role: Role | str) -> str:
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


# ---- the password rule -----------------------------------------------------------------------

def password_problem(password: str, username: str = ""):
    """What is wrong with a new password, in the reader's words, or None."""
    password = password or ""
    if len(password) < PASSWORD_MIN:
        return _l("A password needs at least %(n)s characters.", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _l("A password can have at most %(n)s characters.", n=PASSWORD_MAX)
    if password.strip() != password:
        return _l("A password cannot begin or end with a space.")
    if username and password.strip().lower() == username.strip().lower():
        return _l("The password cannot be the same as the username.")
    return None


def check_new_password(password: str, username: str = "", confirm: str | None = None) -> None:
    """The one password rule: at least PASSWORD_MIN characters, not the username, and (when a
    confirmation is given) typed the same twice. Raises AccountInvalid."""
    problem = password_problem(password, username)
    if problem is not None:
        raise AccountInvalid({"new_password": problem}, problem)
    if confirm is not None and confirm != password:
        message = _l("The two new passwords are not the same. Please type it again.")
        raise AccountInvalid({"confirm": message}, message)


def temporary_password() -> str:
    """Twelve random letters and digits in three groups: abcd-efgh-jkmn."""
    raw = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


# ---- sessions --------------------------------------------------------------------------------

def user_for_session(session_id: str | None) -> User | None:
    """The login a session (or remember-me cookie) names, if it is still good: active and of the
    current session version."""
    found = re.fullmatch(r"(\d{1,18})-(\d{1,9})", session_id or "")
    if not found:
        return None
    user = db.session.get(User, int(found[1]))
    if user is None or not user.active or (user.session_version or 0) != int(found[2]):
        return None
    return user


def _end_sessions(user: User) -> None:
    user.session_version = (user.session_version or 0) + 1


def record_login(user: User) -> None:
    """A successful login: its time, shown in the list of logins."""
    user.last_login_at = clock.now()
    db.session.commit()


def must_change_password(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "must_change_password", False))


# ---- lookups -----------------------------------------------------------------------------------

def logins(hall: Hall) -> list[User]:
    """The hall's logins by role and name; a disabled one keeps its place (no row moves under
    the administrator's pointer)."""
    users = list(db.session.scalars(select(User).where(User.hall_id == hall.id)))
    order = {Role.admin: 0, Role.reception: 1, Role.mediator: 2}
    return sorted(users, key=lambda u: (order.get(u.role, 9), u.display_name or "", u.username))


def advisers_by_user(hall: Hall) -> dict[int, Adviser]:
    return {a.user_id: a for a in db.session.scalars(
        select(Adviser).where(Adviser.hall_id == hall.id, Adviser.user_id.is_not(None)))}


def adviser_of_login(user: User) -> Adviser | None:
    return db.session.scalar(select(Adviser).where(Adviser.user_id == user.id))


def linkable_advisers(hall: Hall, user: User | None = None) -> list[Adviser]:
    """Advisers of the hall that no other login is linked to (this login's own stays)."""
    query = select(Adviser).where(Adviser.hall_id == hall.id)
    if user is not None and user.id is not None:
        query = query.where((Adviser.user_id.is_(None)) | (Adviser.user_id == user.id))
    else:
        query = query.where(Adviser.user_id.is_(None))
    return list(db.session.scalars(query.order_by(Adviser.position, Adviser.id)))


def login_of(admin: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.hall_id != admin.hall_id:
        raise NotFound()
    return user


def active_admins(hall_id: int) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.hall_id == hall_id, User.role == Role.admin, User.active.is_(True))) or 0


# ---- checking a login's form -------------------------------------------------------------------

def clean_login(hall: Hall, values: Mapping, user: User | None = None) -> dict:
    """Check a login's form (the username only when creating). Returns the typed values or raises
    AccountInvalid with every wrong field."""
    errors: dict[str, object] = {}
    cleaned: dict = {}
    if user is None:
        username = str(values.get("username") or "").strip()
        if not username:
            errors["username"] = _l("Please enter a username.")
        elif not USERNAME.fullmatch(username):
            errors["username"] = _l("A username has 2 to %(n)s letters, digits, dots, dashes or underscores, "
                                    "and begins with a letter or a digit.", n=USERNAME_MAX)
        elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
            errors["username"] = _l("The username %(name)s is taken. Please choose another.", name=username)
        cleaned["username"] = username

    for name, missing in (("display_name", _l("Please enter a display name.")), ("full_name", None)):
        text = line_in(values, name)
        if not text and missing is not None:
            errors[name] = missing
        elif len(text) > NAME_MAX:
            errors[name] = _l("A name can have at most %(n)s characters.", n=NAME_MAX)
        cleaned[name] = text

    try:
        cleaned["role"] = Role(str(values.get("role") or "").strip())
    except ValueError:
        errors["role"] = _l("Please choose a role from the list.")

    adviser = None
    raw = str(values.get("adviser_id") or "").strip()
    if raw:
        adviser_id = inputs.parse_id(raw)
        adviser = db.session.get(Adviser, adviser_id) if adviser_id else None
        if adviser is None or adviser.hall_id != hall.id:
            errors["adviser_id"] = _l("Please choose an adviser from the list.")
            adviser = None
        elif adviser.user_id is not None and (user is None or adviser.user_id != user.id):
            other = db.session.get(User, adviser.user_id)
            errors["adviser_id"] = _l("%(adviser)s is already linked to the login %(login)s.",
                                      adviser=adviser.name, login=other.username if other else "")
            adviser = None
        elif cleaned.get("role") not in (None, Role.mediator):
            errors["adviser_id"] = _l("Only a mediator's login can be linked to an adviser.")
            adviser = None
    cleaned["adviser"] = adviser
    if errors:
        raise AccountInvalid(errors)
    return cleaned


def _guard_last_admin(actor: User | None, user: User, message) -> None:
    """No administrator disables or demotes themselves, nor the hall's last active administrator."""
    if actor is not None and actor.id == user.id:
        raise Invalid(message)
    if user.role == Role.admin and user.active and active_admins(user.hall_id) <= 1:
        raise Invalid(_l("%(name)s is the hall's last active administrator: make another login an "
                         "administrator first.", name=user.display_name or user.username))


def _link(user: User, adviser: Adviser | None) -> None:
    current = adviser_of_login(user) if user.id is not None else None
    if current is not None and current is not adviser:
        current.user = None
        db.session.flush()
    if adviser is not None:
        adviser.user = user


def _detail(user: User, **more) -> str:
    return json.dumps({"login": user.username, **more}, ensure_ascii=False)


# ---- handing a password over -------------------------------------------------------------------

@dataclass
class Handover:
    """What the administrator hands to the user, shown once: a temporary password or a link token."""
    user: User
    kind: str
    password: str = ""
    token: str = ""


def _clean_handover(raw) -> str:
    kind = str(raw or HANDOVER_PASSWORD).strip()
    if kind not in HANDOVERS:
        message = _l("Please choose how to hand the password over.")
        raise AccountInvalid({"handover": message}, message)
    return kind


def _new_secret(user: User, kind: str) -> Handover:
    """A new temporary password, or an unusable one and a link: either way the old password stops
    working and the user must choose their own."""
    if kind == HANDOVER_PASSWORD:
        password = temporary_password()
        user.set_password(password)
        user.must_change_password = True
        return Handover(user, kind, password=password)
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it: the link sets the real one
    user.must_change_password = True
    return Handover(user, kind)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT,
                                  signer=_ClockSigner)


class _ClockSigner(TimestampSigner):
    """Timestamps from hall.clock, so that the tests can move time."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}:{user.session_version or 0}".encode()).hexdigest()[:16]


def link_token(user: User) -> str:
    """A set-password link's token for the login as it is now."""
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_link(token: str) -> User:
    """The login a set-password link is for, or LinkInvalid (expired, used, voided, forged)."""
    serializer = _serializer()
    try:
        data, signed_at = serializer.loads(str(token or "")[:400], max_age=LINK_HOURS * 3600, return_timestamp=True)
    except SignatureExpired:
        raise LinkInvalid() from None
    except BadSignature:
        raise LinkInvalid() from None
    if signed_at.timestamp() > clock.now().timestamp() + 60:
        raise LinkInvalid()
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise LinkInvalid()
    return user


# ---- what the administrator does ---------------------------------------------------------------

def create_login(hall: Hall, actor: User | None, values: Mapping) -> Handover:
    """A new login of the hall, with its first password handed over as values["handover"] says."""
    kind = _clean_handover(values.get("handover"))
    cleaned = clean_login(hall, values)
    user = User(hall_id=hall.id, username=cleaned["username"], display_name=cleaned["display_name"],
                full_name=cleaned["full_name"], role=cleaned["role"], active=True, session_version=0)
    handover = _new_secret(user, kind)
    db.session.add(user)
    db.session.flush()
    _link(user, cleaned["adviser"])
    audit(hall.id, actor, "user.create", detail=_detail(user, role=user.role.value, handover=kind))
    db.session.commit()
    if kind == HANDOVER_LINK:
        handover.token = link_token(user)
    return handover


def update_login(actor: User | None, user: User, values: Mapping) -> list[str]:
    """Display name, full name, role and linked adviser. Returns the fields that changed."""
    cleaned = clean_login(user.hall, values, user)
    if cleaned["role"] != user.role and user.role == Role.admin:
        _guard_last_admin(actor, user, _l("You cannot take away your own administrator role."))
    before = {"display_name": user.display_name, "full_name": user.full_name, "role": user.role,
              "adviser": adviser_of_login(user)}
    user.display_name, user.full_name, user.role = cleaned["display_name"], cleaned["full_name"], cleaned["role"]
    _link(user, cleaned["adviser"])
    after = {"display_name": user.display_name, "full_name": user.full_name, "role": user.role,
             "adviser": cleaned["adviser"]}
    changed = [name for name in before if before[name] != after[name]]
    if changed:
        extra = {"role": user.role.value} if "role" in changed else {}
        audit(user.hall_id, actor, "user.edit", detail=_detail(user, changed=changed, **extra))
    db.session.commit()
    return changed


def disable_login(actor: User | None, user: User) -> User:
    """The login can no longer log in, and its sessions end at their next request."""
    if not user.active:
        return user
    _guard_last_admin(actor, user, _l("You cannot disable your own login."))
    user.active = False
    _end_sessions(user)
    audit(user.hall_id, actor, "user.disable", detail=_detail(user))
    db.session.commit()
    return user


def enable_login(actor: User | None, user: User) -> User:
    if user.active:
        return user
    user.active = True
    audit(user.hall_id, actor, "user.enable", detail=_detail(user))
    db.session.commit()
    return user


def reset_password(actor: User | None, user: User, kind: str) -> Handover:
    """A new temporary password or link; the old password and the login's sessions end."""
    kind = _clean_handover(kind)
    if actor is not None and actor.id == user.id:
        raise Invalid(_l("To change your own password, use My account."))
    handover = _new_secret(user, kind)
    _end_sessions(user)
    audit(user.hall_id, actor, "user.reset_password", detail=_detail(user, handover=kind))
    db.session.commit()
    if kind == HANDOVER_LINK:
        handover.token = link_token(user)
    return handover


# ---- what every user does ----------------------------------------------------------------------

def change_own_password(user: User, current: str, new: str, confirm: str) -> None:
    """The current password, then a new one typed twice. Other sessions of the login end; the
    caller logs this one in again with the new session id."""
    if not user.check_password(current or ""):
        message = _l("The current password is not right.")
        raise AccountInvalid({"current_password": message}, message)
    check_new_password(new, user.username, confirm)
    if user.check_password(new):
        message = _l("Please choose a password different from the current one.")
        raise AccountInvalid({"new_password": message}, message)
    user.set_password(new)
    user.must_change_password = False
    _end_sessions(user)
    audit(user.hall_id, user, "user.change_password", detail=_detail(user))
    db.session.commit()


def set_password_by_link(token: str, new: str, confirm: str) -> User:
    """The one-time link: the login chooses its password; the link is then spent."""
    user = user_for_link(token)
    check_new_password(new, user.username, confirm)
    user.set_password(new)
    user.must_change_password = False
    _end_sessions(user)
    audit(user.hall_id, user, "user.set_password_link", detail=_detail(user))
    db.session.commit()
    return user


# ---- the audit log's detail --------------------------------------------------------------------

def audit_detail(entry: AuditEntry) -> str:
    """A login's audit entry in words: the login, and what changed or how the password went."""
    try:
        data = json.loads(entry.detail or "{}")
    except ValueError:
        return entry.detail or ""
    if not isinstance(data, dict):
        return entry.detail or ""
    parts = [str(data.get("login") or "")]
    if data.get("role"):
        parts.append(role_label(data["role"]))
    if data.get("changed"):
        parts.append(str(_l("changed: %(fields)s", fields="、".join(
            str(FIELD_LABELS.get(name, name)) for name in data["changed"]))))
    if data.get("handover") == HANDOVER_PASSWORD:
        parts.append(str(_l("temporary password")))
    elif data.get("handover") == HANDOVER_LINK:
        parts.append(str(_l("set-password link")))
    return " · ".join(part for part in parts if part)
