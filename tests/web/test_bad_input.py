"""Out-of-range ids and dates from a request answer 404 or 422, never a 500, on both databases.

PostgreSQL refuses an id beyond 2^31-1 inside the query ("integer out of range"), SQLite beyond
2^63-1 (OverflowError); a day near year 1 or 9999 overflows when a screen shifts it by a week.
hall/inputs.py checks them in one place. The first tests are the cases found by hand; the last
walks every route of the URL map, so a route added tomorrow is covered too."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from booking_fixtures import booking_hall
from conftest import as_user, counter, svc
from hall import booking_flow as flow, queue, rosters
from hall.extensions import db
from hall.models import Adviser, Appointment, Shift, User

HUGE = ["2147483648", "9223372036854775808", "99999999999999999999"]  # 2^31, 2^63, 10^20
FAR = ["0001-01-01", "9999-12-31"]
HX = {"HX-Request": "true"}


def admin_of(client):
    as_user(client, db.session.scalar(select(User).where(User.username == "admin")))
    return client


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# ---- what answered 500 -------------------------------------------------------------------------

@pytest.mark.parametrize("surface", ["k", "p"])
@pytest.mark.parametrize("huge", HUGE)
def test_a_huge_adviser_in_the_booking_steps_is_no_such_adviser(client, app, surface, huge):
    b = booking_hall()
    day = b.tomorrow().isoformat()
    start = flow.start_param(b.at(b.tomorrow(), 9))
    before = count(Appointment)
    for url in (f"/{surface}/bk/book/A/days?adviser={huge}", f"/{surface}/bk/book/A/times?day={day}&adviser={huge}",
                f"/{surface}/bk/book/A/details?start={start}&adviser={huge}"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    response = client.post(f"/{surface}/bk/book/A/details",
                           data={"start": start, "adviser": huge, "phone": "13812345678", "request_key": "k" * 16})
    assert response.status_code == 404
    assert count(Appointment) == before


@pytest.mark.parametrize("huge", HUGE)
def test_the_console_ignores_a_huge_issued_ticket(demo, client, huge):
    admin_of(client)
    response = client.get(f"/admin/console/{counter(demo, 1).id}?issued={huge}")
    assert response.status_code == 200


@pytest.mark.parametrize("huge", HUGE)
def test_a_ticket_action_from_a_huge_counter_is_not_found(demo, client, huge):
    admin_of(client)
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    response = client.post(f"/admin/tickets/{ticket.id}/recall", headers=HX, data={"counter": huge})
    assert response.status_code == 404


@pytest.mark.parametrize("field", ["counter_id", "user_id", "services"])
@pytest.mark.parametrize("huge", HUGE)
def test_an_advisers_huge_choice_is_marked_in_the_form(demo, client, field, huge):
    admin_of(client)
    before = count(Adviser)
    response = client.post("/admin/rosters/advisers", headers=HX,
                           data={"name": "新顾问", "kind": "lawyer", field: huge})
    assert response.status_code == 422 and "<form" in response.get_data(as_text=True)
    assert count(Adviser) == before


@pytest.mark.parametrize("values", [{"counter_id": h} for h in HUGE] + [{"valid_from": d} for d in FAR]
                         + [{"valid_until": "9999-12-31"}])
def test_a_new_shift_with_a_huge_room_or_a_far_day_is_marked(demo, client, values):
    admin_of(client)
    adviser = rosters.advisers(demo)[0]
    before = count(Shift)
    response = client.post(f"/admin/rosters/advisers/{adviser.id}/shifts", headers=HX,
                           data={"weekday": "6", "starts_at": "09:30", "ends_at": "12:00", **values})
    assert response.status_code == 422 and "<form" in response.get_data(as_text=True)
    assert count(Shift) == before


@pytest.mark.parametrize("far", FAR)
def test_the_roster_week_of_a_far_day_is_refused(demo, client, far):
    admin_of(client)
    response = client.get(f"/admin/rosters/week?start={far}")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.get_data(as_text=True)


@pytest.mark.parametrize("huge", HUGE)
def test_a_huge_case_and_its_pdfs_are_not_found(demo, client, huge):
    admin_of(client)
    for url in (f"/admin/cases/{huge}", f"/admin/cases/{huge}/summary.pdf", f"/admin/cases/{huge}/agreement.pdf"):
        assert client.get(url).status_code == 404, url


# ---- every route -------------------------------------------------------------------------------

# Real values for the path arguments that are not ids: the path reaches its view.
NAMED = {"hall": "demo", "code": "A", "token": "not-a-token", "kind": "dispute", "category": "neighbour",
         "photo": "not-a-photo", "direction": "up", "surface": "k"}

QUERIES = [
    {**{k: huge for k in ("adviser", "counter", "counter_id", "service", "issued", "page", "user_id",
                          "services", "handler", "case", "before_id")},
     **{k: far for k in ("start", "date", "day", "first", "last", "valid_from", "valid_until")}}
    for huge, far in zip([*HUGE, HUGE[0]], [*FAR, "9999-12-31T23:59Z", "0001-01-01T00:00+08:00"])
]


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield rule, method


def _path(rule, ids: dict) -> str:
    """The rule's path with `ids` for its id arguments and NAMED for the others."""
    def fill(match):
        name = match.group(2)
        return str(ids[name] if name in ids else NAMED.get(name, "1"))
    return re.sub(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def _id_args(rule) -> list[str]:
    return [name for name, conv in rule._converters.items()
            if type(conv).__name__ in ("IdConverter", "IntegerConverter")]


def test_every_route_answers_out_of_range_ids_and_days_without_a_500(app, demo, client):
    """Logged in as the administrator (staff routes answer, public ones do not mind): first every
    id in the path out of range (a plain 404), then the real ids of the demo hall with the common
    query arguments and form fields out of range."""
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    real = {"counter_id": counter(demo, 1).id, "ticket_id": queue.issue_ticket(demo, svc(demo, "A")).id,
            "service_id": svc(demo, "A").id,
            "user_id": db.session.scalar(select(User.id).where(User.username == "reception")), "adviser_id": rosters.advisers(demo)[0].id}
    failures, walked = [], 0
    for rule, method in _rules(app):
        id_args = _id_args(rule)
        tries = []
        for huge in HUGE if id_args else []:
            tries.append((_path(rule, {name: huge for name in id_args}), {}))
        if not rule.rule.endswith(".pdf"):  # a real case's PDF reads no argument and takes a second to print
            tries += [(_path(rule, real), query) for query in QUERIES]
        for path, query in tries:
            as_user(client, admin)  # again before every request: one of the routes logs out
            if method == "GET":
                response = client.get(path, query_string=query)
            elif path.startswith("/api/"):
                response = client.post(path, json=query)
            else:
                response = client.post(path, data={**query, "target": f"counter:{query.get('counter', '')}"})
            walked += 1
            if response.status_code >= 500:
                failures.append(f"{method} {path} {query if query else ''}: {response.status_code}")
    assert walked > 500 and sum(1 for rule, _ in _rules(app) if _id_args(rule)) > 50
    assert not failures, "\n".join(failures)
