"""The OpenAPI document against what the API really does.

Every (path, method, status) the document lists has a case below that makes the real endpoint
answer that status; the answer's body is validated against the schema documented for it. A
route the document lacks, a documented route the app lacks, or a documented status without a
case fails the suite.
"""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import select

from api.openapi import document
from hall import queue
from hall.extensions import db
from hall.models import Counter, Service

DOC = document()
PREFIX = DOC["servers"][0]["url"]  # /api/v1
METHODS = {"get", "post", "put", "patch", "delete"}


def documented() -> list[tuple[str, str, str]]:
    return [(path, method, status)
            for path, item in DOC["paths"].items()
            for method, operation in item.items() if method in METHODS
            for status in operation["responses"]]


def deref(node: dict) -> dict:
    """Follow a local $ref (#/components/...) to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        target = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator_for(schema: dict) -> Draft202012Validator:
    """A validator whose $refs resolve inside the document's components."""
    return Draft202012Validator({**schema, "components": DOC["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---- the document itself -------------------------------------------------------------------

def test_the_document_is_valid_openapi():
    validate_spec(document())


def test_every_schema_in_the_document_is_a_valid_json_schema():
    for name, schema in DOC["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)


def test_the_served_document_is_this_document(client):
    response = client.get(f"{PREFIX}/openapi.json")

    assert response.status_code == 200
    assert response.get_json() == document()


def test_the_document_and_the_app_list_the_same_routes(app):
    in_app = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
            in_app |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
    in_doc = {(path, method) for path, item in DOC["paths"].items() for method in item if method in METHODS}

    assert in_app - in_doc == set(), "routes the OpenAPI document does not describe"
    assert in_doc - in_app == set(), "documented routes the app does not have"


# ---- each documented answer, for real ------------------------------------------------------

TICKETS = f"{PREFIX}/halls/demo/tickets"


def _take(client, **body):
    response = client.post(TICKETS, json={"service": "A", **body})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response


def _pause(demo, code):
    db.session.scalar(select(Service).where(Service.hall_id == demo.id, Service.code == code)).paused = True
    db.session.commit()


def _called_ticket(client, demo) -> str:
    token = _take(client).get_json()["token"]
    counter = db.session.scalar(select(Counter).where(Counter.hall_id == demo.id, Counter.number == 1))
    queue.call_next(counter)
    return token


def _limited(client, demo):
    demo.api_ticket_limit = "1 per minute"
    db.session.commit()
    _take(client)
    return client.post(TICKETS, json={"service": "A"})


def _not_modified(client, url):
    etag = client.get(url).headers["ETag"]
    return client.get(url, headers={"If-None-Match": etag})


APPOINTMENTS = f"{PREFIX}/halls/demo/appointments"


def _day(demo):
    """Tomorrow in the hall, with a bookable service E and an adviser on duty 09:00–11:00 daily."""
    from datetime import time, timedelta

    from appointment_data import adviser, bookable

    from hall import clock
    if not any(s.code == "E" for s in demo.services):
        adviser(demo, bookable(demo, "E"), ranges=[(d, time(9), time(11)) for d in range(1, 8)])
    return clock.local_day(demo) + timedelta(days=1)


def _book(client, demo, **body):
    from datetime import datetime, time

    from hall import clock
    start = datetime.combine(_day(demo), time(9), tzinfo=clock.zone(demo)).isoformat()
    return client.post(APPOINTMENTS, json={"service": "E", "start": start, "phone": "13812345678", **body})


def _token(client, demo):
    made = _book(client, demo)
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()["token"]


def _cancel_twice(client, demo):
    token = _token(client, demo)
    client.delete(f"{PREFIX}/appointments/{token}")
    return client.delete(f"{PREFIX}/appointments/{token}")


def _too_many_bookings(client, demo):
    demo.api_ticket_limit = "1 per minute"
    db.session.commit()
    _book(client, demo)
    return _book(client, demo, phone="13900000000")


CASES = {
    ("/halls/{hall}/services", "get", "200"): lambda c, d: c.get(f"{PREFIX}/halls/demo/services"),
    ("/halls/{hall}/services", "get", "404"): lambda c, d: c.get(f"{PREFIX}/halls/nowhere/services"),

    ("/halls/{hall}/tickets", "post", "201"): lambda c, d: c.post(
        TICKETS, json={"service": "A", "phone": "13812345678", "priority": True, "request_key": "case-201-x"}),
    ("/halls/{hall}/tickets", "post", "200"): lambda c, d: (_take(c, request_key="same-key-1"),
                                                            _take(c, request_key="same-key-1"))[1],
    ("/halls/{hall}/tickets", "post", "400"): lambda c, d: c.post(TICKETS, data="{", content_type="application/json"),
    ("/halls/{hall}/tickets", "post", "404"): lambda c, d: c.post(TICKETS, json={"service": "Z"}),
    ("/halls/{hall}/tickets", "post", "409"): lambda c, d: (_pause(d, "B"), c.post(TICKETS, json={"service": "B"}))[1],
    ("/halls/{hall}/tickets", "post", "413"): lambda c, d: c.post(
        TICKETS, data=json.dumps({"service": "A", "x": "y" * 70_000}), content_type="application/json"),
    ("/halls/{hall}/tickets", "post", "415"): lambda c, d: c.post(TICKETS, data="service=A",
                                                                  content_type="application/x-www-form-urlencoded"),
    ("/halls/{hall}/tickets", "post", "422"): lambda c, d: c.post(TICKETS, json={"service": "A", "phone": "12"}),
    ("/halls/{hall}/tickets", "post", "429"): _limited,

    ("/tickets/{token}", "get", "200"): lambda c, d: c.get(f"{PREFIX}/tickets/{_called_ticket(c, d)}"),
    ("/tickets/{token}", "get", "304"): lambda c, d: _not_modified(c, f"{PREFIX}/tickets/{_called_ticket(c, d)}"),
    ("/tickets/{token}", "get", "404"): lambda c, d: c.get(f"{PREFIX}/tickets/AAAAAAAAAAAAAAAAAAAAAA"),

    ("/halls/{hall}/board", "get", "200"): lambda c, d: (_called_ticket(c, d), c.get(f"{PREFIX}/halls/demo/board"))[1],
    ("/halls/{hall}/board", "get", "304"): lambda c, d: _not_modified(c, f"{PREFIX}/halls/demo/board"),
    ("/halls/{hall}/board", "get", "404"): lambda c, d: c.get(f"{PREFIX}/halls/nowhere/board"),

    ("/halls/{hall}/slots", "get", "200"): lambda c, d: c.get(f"{PREFIX}/halls/demo/slots?service=E&date={_day(d)}"),
    ("/halls/{hall}/slots", "get", "404"): lambda c, d: c.get(f"{PREFIX}/halls/demo/slots?service=C&date={_day(d)}"),
    ("/halls/{hall}/slots", "get", "422"): lambda c, d: (_day(d), c.get(f"{PREFIX}/halls/demo/slots?service=E&date=soon"))[1],

    ("/halls/{hall}/appointments", "post", "201"): lambda c, d: _book(c, d, name="张三", request_key="book-201-x"),
    ("/halls/{hall}/appointments", "post", "200"): lambda c, d: (_book(c, d, request_key="book-same-1"),
                                                                 _book(c, d, request_key="book-same-1"))[1],
    ("/halls/{hall}/appointments", "post", "400"): lambda c, d: c.post(APPOINTMENTS, data="{",
                                                                       content_type="application/json"),
    ("/halls/{hall}/appointments", "post", "404"): lambda c, d: _book(c, d, service="Z"),
    ("/halls/{hall}/appointments", "post", "409"): lambda c, d: (_book(c, d), _book(c, d, phone="13900000000"))[1],
    ("/halls/{hall}/appointments", "post", "415"): lambda c, d: c.post(APPOINTMENTS, data="service=E",
                                                                       content_type="text/plain"),
    ("/halls/{hall}/appointments", "post", "422"): lambda c, d: _book(c, d, phone="12"),
    ("/halls/{hall}/appointments", "post", "429"): lambda c, d: _too_many_bookings(c, d),

    ("/appointments/{token}", "get", "200"): lambda c, d: c.get(f"{PREFIX}/appointments/{_token(c, d)}"),
    ("/appointments/{token}", "get", "404"): lambda c, d: c.get(f"{PREFIX}/appointments/AAAAAAAAAAAAAAAAAAAAAA"),
    ("/appointments/{token}", "delete", "200"): lambda c, d: c.delete(f"{PREFIX}/appointments/{_token(c, d)}"),
    ("/appointments/{token}", "delete", "404"): lambda c, d: c.delete(f"{PREFIX}/appointments/AAAAAAAAAAAAAAAAAAAAAA"),
    ("/appointments/{token}", "delete", "409"): lambda c, d: _cancel_twice(c, d),

    ("/openapi.json", "get", "200"): lambda c, d: c.get(f"{PREFIX}/openapi.json"),
}


def test_every_documented_answer_has_a_case_and_every_case_is_documented():
    assert set(documented()) == set(CASES)


@pytest.mark.parametrize("path,method,status", documented(), ids=lambda v: str(v))
def test_the_real_answer_matches_the_document(client, demo, path, method, status):
    response = CASES[(path, method, status)](client, demo)

    assert response.status_code == int(status), response.get_data(as_text=True)
    documented_answer = deref(DOC["paths"][path][method]["responses"][status])
    for header in documented_answer.get("headers", {}):
        assert header in response.headers, f"documented header {header} missing"
    content = documented_answer.get("content")
    if content is None:
        assert response.data == b""
        return
    assert response.mimetype in content
    schema = content[response.mimetype]["schema"]
    body = response.get_json()
    errors = sorted(validator_for(schema).iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    if int(status) >= 400:
        assert body["status"] == int(status)


def test_the_requests_sent_above_match_the_documented_request_body():
    schema = DOC["paths"]["/halls/{hall}/tickets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    check = validator_for(schema)
    check.validate({"service": "A", "phone": "13812345678", "priority": True, "request_key": "case-201-x"})
    check.validate({"service": "A", "request_key": "same-key-1"})
    assert not check.is_valid({"priority": True}), "service is required"
    assert not check.is_valid({"service": "A", "request_key": "short"})


def test_the_schemas_are_strict_enough_to_catch_a_leak():
    """A ticket or a board that grew a phone field would fail the checks above."""
    ticket = validator_for({"$ref": "#/components/schemas/Ticket"})
    board_call = validator_for({"$ref": "#/components/schemas/BoardCall"})

    assert not ticket.is_valid({"phone": "13812345678"})
    assert not board_call.is_valid({"number": "A001", "counter": 1, "counter_name": "", "action": "call",
                                    "at": "2025-01-01T09:00:00+08:00", "name": "张三"})


# ---- residents' own reports (我要投诉 / 咨询 / 建议) ------------------------------------------------

SUBMISSIONS = f"{PREFIX}/halls/demo/submissions"
REPORT = {"kind": "complaint", "category": "neighbour", "description": "楼上漏水。", "phone": "13812345678"}


def _report(client, **body):
    return client.post(SUBMISSIONS, json={**REPORT, **body})


def _report_token(client):
    made = _report(client, name="张三")
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()["token"]


def _too_many_reports(client, demo):
    demo.api_ticket_limit = "1 per minute"
    db.session.commit()
    _report(client)
    return _report(client)


def _followed_report(client, demo):
    """A report with a published reply, walked to the end and rated: every field filled."""
    from report_data import staff, walk

    from hall import cases as case_rules
    from hall.models import Case, CaseStep
    token = _report_token(client)
    case = db.session.scalar(select(Case).where(Case.token == token))
    users = staff(demo)
    case_rules.reply(users["admin"], case, "已联系物业。", public=True)
    walk(case, users, CaseStep.rated)
    case_rules.rate(case, "satisfied", "谢谢")
    return client.get(f"{PREFIX}/submissions/{token}")


CASES.update({
    ("/halls/{hall}/submissions", "post", "201"): lambda c, d: _report(c, name="张三", request_key="report-201-x"),
    ("/halls/{hall}/submissions", "post", "200"): lambda c, d: (_report(c, request_key="report-same-1"),
                                                                _report(c, request_key="report-same-1"))[1],
    ("/halls/{hall}/submissions", "post", "400"): lambda c, d: c.post(SUBMISSIONS, data="{",
                                                                      content_type="application/json"),
    ("/halls/{hall}/submissions", "post", "404"): lambda c, d: c.post(f"{PREFIX}/halls/nowhere/submissions",
                                                                      json=REPORT),
    ("/halls/{hall}/submissions", "post", "413"): lambda c, d: c.post(
        SUBMISSIONS, data=json.dumps({**REPORT, "x": "y" * 70_000}), content_type="application/json"),
    ("/halls/{hall}/submissions", "post", "415"): lambda c, d: c.post(SUBMISSIONS, data="kind=complaint",
                                                                      content_type="text/plain"),
    ("/halls/{hall}/submissions", "post", "422"): lambda c, d: _report(c, category="aliens"),
    ("/halls/{hall}/submissions", "post", "429"): _too_many_reports,

    ("/submissions/{token}", "get", "200"): _followed_report,
    ("/submissions/{token}", "get", "404"): lambda c, d: c.get(f"{PREFIX}/submissions/AAAAAAAAAAAAAAAAAAAAAA"),
})


def test_the_report_requests_sent_above_match_the_documented_request_body():
    schema = DOC["paths"]["/halls/{hall}/submissions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    check = validator_for(schema)
    check.validate({**REPORT, "name": "张三", "request_key": "report-201-x"})
    check.validate({"kind": "inquiry", "category": "other", "description": "怎么办理？"})
    assert not check.is_valid({"kind": "complaint", "category": "neighbour"}), "description is required"
    assert not check.is_valid({**REPORT, "kind": "praise"})
    assert not check.is_valid({**REPORT, "category": "aliens"})


def test_the_report_schema_is_strict_enough_to_catch_a_leak():
    """A report that grew the resident's phone or name would fail the checks above."""
    submission = validator_for({"$ref": "#/components/schemas/Submission"})
    entry = validator_for({"$ref": "#/components/schemas/TimelineEntry"})
    assert not submission.is_valid({"phone": "13812345678"})
    assert not entry.is_valid({"at": "2026-01-01T09:00:00+08:00", "step": "intake", "action": "remark",
                               "title": "", "text": "", "name": "张三"})


def test_the_documented_kinds_categories_and_steps_are_the_apps():
    from hall.categories import CATEGORIES
    from hall.models import CASE_STEPS, SubmissionKind
    schema = DOC["components"]["schemas"]["Submission"]["properties"]
    assert schema["category"]["enum"] == list(CATEGORIES)
    assert schema["kind"]["enum"] == [k.value for k in SubmissionKind]
    assert schema["step"]["enum"] == [s.value for s in CASE_STEPS]
