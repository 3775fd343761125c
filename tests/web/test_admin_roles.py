"""Every staff route against every role and against no login, walked from the app's URL map so a
new /admin route is covered the day it is added (and fails until the table below names it)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import as_user
from hall import queue, rosters
from hall.extensions import db
from hall.models import Counter, User

ADMIN, RECEPTION, MEDIATOR = "admin", "reception", "mediator"
STAFF = {ADMIN, RECEPTION, MEDIATOR}
PUBLIC = "public"

# endpoint -> the roles that may use it (PUBLIC: anyone, logged in or not).
ALLOWED: dict[str, set[str] | str] = {
    "admin.login": PUBLIC,
    "admin.logout": STAFF,
    "admin.index": STAFF,
    "admin.console_choose": STAFF,
    "admin.console_open": STAFF,
    "admin.console_close": STAFF,
    "admin.console": STAFF,
    "admin.console_call_next": STAFF,
    "admin.console_call_ticket": STAFF,
    "admin.console_walk_in": STAFF,
    "admin.ticket_recall": STAFF,
    "admin.ticket_start": STAFF,
    "admin.ticket_finish": STAFF,
    "admin.ticket_no_show": STAFF,
    "admin.ticket_transfer": STAFF,
    "admin.ticket_phone": STAFF,  # the whole mobile number on the console, logged
    "admin.settings": {ADMIN},
    "admin.service_pause": {ADMIN},
    "admin.service_resume": {ADMIN},
    # services and counters (settings page)
    "admin.service_add": {ADMIN}, "admin.service_edit": {ADMIN}, "admin.service_move": {ADMIN},
    "admin.service_retire": {ADMIN}, "admin.service_restore": {ADMIN}, "admin.service_delete": {ADMIN},
    "admin.counter_add": {ADMIN}, "admin.counter_edit": {ADMIN}, "admin.counter_retire": {ADMIN},
    "admin.counter_enable": {ADMIN}, "admin.counter_delete": {ADMIN},
    "admin.rosters_page": {ADMIN},
    "admin.adviser_new": {ADMIN},
    "admin.adviser_create": {ADMIN},
    "admin.adviser_row": {ADMIN},
    "admin.adviser_edit": {ADMIN},
    "admin.adviser_update": {ADMIN},
    "admin.adviser": {ADMIN},
    "admin.shift_create": {ADMIN},
    "admin.shift_edit": {ADMIN},
    "admin.shift_update": {ADMIN},
    "admin.shift_delete": {ADMIN},
    "admin.exception_create": {ADMIN},
    "admin.exception_delete": {ADMIN},
    "admin.adviser_photo_upload": {ADMIN},
    "admin.adviser_photo_delete": {ADMIN},
    "admin.adviser_photo": PUBLIC,  # the kiosk's 今日值班 shows it
    "admin.closed_days": {ADMIN},
    "admin.closed_day_create": {ADMIN},
    "admin.closed_day_delete": {ADMIN},
    "admin.roster_week": {ADMIN},
    "admin.appointments": STAFF,  # a mediator sees their own adviser's list; 403 if not linked
    "admin.appointments_book_form": {ADMIN, RECEPTION},
    "admin.appointments_find": {ADMIN, RECEPTION},
    "admin.appointments_book": {ADMIN, RECEPTION},
    "admin.appointments_check_in": {ADMIN, RECEPTION},
    "admin.appointments_cancel": {ADMIN, RECEPTION},
    "admin.appointments_move": {ADMIN, RECEPTION},
    "admin.appointments_sweep": {ADMIN, RECEPTION},
    "admin.booking_poster": {ADMIN},
    "admin.report_poster": {ADMIN},
    # cases desk
    "admin.cases": STAFF,
    "admin.cases_find": STAFF,
    "admin.case_new": STAFF,
    "admin.case_create": STAFF,
    "admin.case_party_row": STAFF,
    "admin.case": STAFF,
    "admin.case_reveal": {ADMIN, MEDIATOR},  # the handler or an admin; reception never handles a case
    "admin.case_assign": STAFF,
    "admin.case_details": STAFF,
    "admin.case_party": STAFF,
    "admin.case_parties": {ADMIN, MEDIATOR},  # the correction form shows the full details
    "admin.case_move": STAFF,
    "admin.case_session": STAFF,
    "admin.case_outcome": STAFF,
    "admin.case_follow_up": STAFF,
    "admin.case_reply": STAFF,
    "admin.case_decline": STAFF,
    "admin.case_withdraw": STAFF,
    "admin.case_close": STAFF,
    "admin.case_rate": STAFF,
    "admin.case_from_ticket": STAFF,
    "admin.case_from_appointment": {ADMIN, RECEPTION},
    "admin.audit": {ADMIN},
    # documents and archive
    "admin.case_summary_pdf": STAFF,  # whoever may see the case
    "admin.case_agreement_pdf": {ADMIN, MEDIATOR},  # the handler or an admin (full personal data)
    "admin.archive_page": {ADMIN},
    "admin.archive_start": {ADMIN},
    "admin.archive_status": {ADMIN},  # ?job=… (404 without one)
    "admin.archive_download": {ADMIN},
    # staff accounts
    "admin.users": {ADMIN},
    "admin.user_new": {ADMIN},
    "admin.user_create": {ADMIN},
    "admin.user_edit": {ADMIN},
    "admin.user_update": {ADMIN},
    "admin.user_disable": {ADMIN},
    "admin.user_enable": {ADMIN},
    "admin.user_reset": {ADMIN},
    "admin.account": STAFF,
    "admin.set_password": PUBLIC,  # the one-time link: the token is the key
    # visit ratings (reception sees them on its console)
    "admin.ratings_page": {ADMIN},
}


def admin_rules(app):
    """(endpoint, rule, method) for every /admin route and method but HEAD/OPTIONS."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule, method))
    return found


@pytest.fixture
def ids(demo):
    """Real ids of the demo hall for every path argument a staff route can take."""
    counter = db.session.scalar(select(Counter).where(Counter.hall_id == demo.id, Counter.number == 1))
    ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    adviser = rosters.advisers(demo)[0]
    rosters.set_photo(adviser, _png())
    exception = rosters.save_exception(adviser, {"kind": "leave", "day": "2030-01-02"})
    closed = rosters.save_closed_day(demo, {"day": "2030-01-01", "name": "元旦"})
    from case_desk_data import routed_case  # cases desk: a case every role may open
    case = routed_case(demo)  # cases desk
    return {"counter_id": counter.id, "ticket_id": ticket.id, "service_id": queue.service_by_code(demo, "D").id,
            "case_id": case.id,  # cases desk
            "adviser_id": adviser.id, "shift_id": adviser.shifts[0].id, "exception_id": exception.id,
            "closed_day_id": closed.id, "appointment_id": 1,
            "user_id": db.session.scalar(select(User.id).where(User.username == "reception")),  # staff accounts
            "token": "not-a-token", "direction": "up"}


def _png() -> bytes:
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 80, 160)).save(out, "PNG")
    return out.getvalue()


def url_of(rule, ids) -> str:
    missing = set(rule.arguments) - set(ids) - set(rule.defaults or {})
    assert not missing, f"{rule.rule}: no test value for {missing}; add one to the ids fixture"
    values = {name: ids[name] for name in rule.arguments if name in ids and name not in (rule.defaults or {})}
    return rule.build(values, append_unknown=False)[1]


def log_in_as(client, username: str | None) -> None:
    """Again before every request: one of the routes logs out."""
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    as_user(client, user, lang=None)


def request(client, method: str, url: str, **kwargs):
    return client.open(url, method=method, **kwargs)


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303) and "/admin/login" in response.headers.get("Location", "")


def test_every_admin_route_is_in_the_table(app):
    endpoints = {endpoint for endpoint, _, _ in admin_rules(app)}
    assert endpoints, "no /admin routes found"
    missing = endpoints - set(ALLOWED)
    assert not missing, f"add these staff routes to ALLOWED with the roles that may use them: {sorted(missing)}"
    gone = set(ALLOWED) - endpoints
    assert not gone, f"ALLOWED names routes that no longer exist: {sorted(gone)}"


def test_no_login_is_sent_to_the_login_page(app, client, ids):
    failures = []
    for endpoint, rule, method in admin_rules(app):
        if ALLOWED.get(endpoint) == PUBLIC:
            continue
        url = url_of(rule, ids)
        log_in_as(client, None)
        response = request(client, method, url)
        if not is_login_redirect(response):
            failures.append(f"{method} {url}: {response.status_code} {response.headers.get('Location')}")
        # Under htmx: no login form swapped into a table cell, an HX-Redirect instead.
        response = request(client, method, url, headers={"HX-Request": "true"})
        if response.status_code != 401 or "/admin/login" not in response.headers.get("HX-Redirect", ""):
            failures.append(f"htmx {method} {url}: {response.status_code} {dict(response.headers)}")
        elif b"<form" in response.data:
            failures.append(f"htmx {method} {url}: answered with a form")
    assert not failures, "\n".join(failures)


def test_the_login_page_is_public(client):
    assert client.get("/admin/login").status_code == 200


@pytest.mark.parametrize("role", [ADMIN, RECEPTION, MEDIATOR])
def test_each_role_gets_exactly_its_routes(app, client, ids, role):
    failures = []
    for endpoint, rule, method in admin_rules(app):
        allowed = ALLOWED[endpoint]
        url = url_of(rule, ids)
        log_in_as(client, role)
        response = request(client, method, url)
        status = response.status_code
        if allowed == PUBLIC or role in allowed:
            # logout is the one route whose right answer is the login page
            login_ok = endpoint == "admin.logout"
            if status in (401, 403) or status >= 500 or (is_login_redirect(response) and not login_ok):
                failures.append(f"{role} {method} {url}: refused with {status}")
        elif status != 403:
            failures.append(f"{role} {method} {url}: expected 403, got {status}")
    assert not failures, "\n".join(failures)
