"""POST /api/v1/halls/<hall>/submissions and GET /api/v1/submissions/<token>: a resident's own
report through the API: 201 with the reference number, token and page; the same request_key
again → 200 with the same report; bad input → 422 in the reader's language and nothing saved;
the hall's API limit (a refused body spends nothing); the report as its token's holder sees it,
with no name or phone number anywhere."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hall import cases
from hall.extensions import db
from hall.models import Case, Submission
from report_data import staff, walk

URL = "/api/v1/halls/demo/submissions"
GOOD = {"kind": "complaint", "category": "neighbour", "description": "楼上漏水，天花板发霉。", "name": "张三丰",
        "phone": "138 1234 5678"}


def saved() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Submission))


def test_a_report_is_received_with_its_reference_number_token_and_page(client, demo):
    response = client.post(URL, json={**GOOD, "request_key": "api-report-1"})

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    submission = db.session.scalar(select(Submission))
    case = submission.case
    assert body["token"] == submission.token and len(body["token"]) >= 22
    assert body["case_number"] == case.number and body["status_url"].endswith(f"/r/{submission.token}")
    assert (body["kind"], body["category"], body["step"], body["status"]) == ("complaint", "neighbour", "intake", "open")
    assert body["outcome"] is None and body["rating"] is None and body["photos"] == 0
    assert response.headers["Location"] == f"/api/v1/submissions/{submission.token}"
    assert all(h in response.headers for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"))
    assert submission.channel == "api" and case.source.value == "phone"
    assert [(p.name, p.phone) for p in case.parties] == [("张三丰", "13812345678")]
    text = response.get_data(as_text=True)
    assert "13812345678" not in text and "张三丰" not in text and "1234" not in text


def test_the_same_request_key_gives_the_same_report(client, demo):
    first = client.post(URL, json={**GOOD, "request_key": "api-report-2"})
    again = client.post(URL, json={**GOOD, "description": "another text", "request_key": "api-report-2"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["token"] == first.get_json()["token"]
    assert saved() == 1


@pytest.mark.parametrize("body, words", [
    ({**GOOD, "kind": "praise"}, "complaint, a question or a suggestion"),
    ({**GOOD, "category": "aliens"}, "category from the list"),
    ({**GOOD, "description": "  "}, "in a few words"),
    ({**GOOD, "description": "长" * 1001}, "At most 1000 characters"),
    ({**GOOD, "phone": "12345"}, "11-digit mobile number"),
    ({**GOOD, "phone": 13812345678}, "mobile number as text"),
    ({**GOOD, "name": ["张"]}, "name is text"),
    ({**GOOD, "kind": 3}, "kind is text"),
    ({**GOOD, "request_key": "short"}, "request_key is 8 to 64"),
    (["complaint"], "JSON object"),
    ({"description": "x"}, "complaint, a question or a suggestion"),
])
def test_bad_input_is_refused_in_english_when_asked_and_nothing_is_saved(client, demo, body, words):
    response = client.post(URL + "?lang=en", json=body)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert words in response.get_json()["error"] and response.get_json()["status"] == 422
    assert saved() == 0


def test_errors_follow_accept_language_and_default_to_chinese(client, demo):
    english = client.post(URL, json={**GOOD, "phone": "12345"}, headers={"Accept-Language": "en-US,en;q=0.9"})
    chinese = client.post(URL, json={**GOOD, "phone": "12345"})
    assert "mobile number" in english.get_json()["error"]
    assert "手机号" in chinese.get_json()["error"]
    assert "Accept-Language" in chinese.headers["Vary"]


def test_unreadable_unknown_hall_not_json_and_too_large(client, demo):
    assert client.post(URL, data="{", content_type="application/json").status_code == 400
    assert client.post("/api/v1/halls/nowhere/submissions", json=GOOD).status_code == 404
    assert client.post("/api/v1/halls/NO%20WAY/submissions", json=GOOD).status_code == 404
    assert client.post(URL, data="kind=complaint", content_type="application/x-www-form-urlencoded").status_code == 415
    big = client.post(URL, data=json.dumps({**GOOD, "x": "y" * 70_000}), content_type="application/json")
    assert big.status_code == 413
    assert saved() == 0


def test_the_halls_api_limit_counts_reports_and_a_refused_body_spends_nothing(client, demo):
    demo.api_ticket_limit = "2 per minute"
    db.session.commit()
    for _ in range(3):
        assert client.post(URL, json={**GOOD, "phone": "12"}).status_code == 422  # spends nothing
    assert client.post(URL, json=GOOD).status_code == 201
    assert client.post(URL, json=GOOD).status_code == 201
    refused = client.post(URL, json=GOOD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.post("/api/v1/halls/demo/tickets", json={"service": "A"}).status_code == 201, \
        "tickets are counted apart"
    assert saved() == 2


def test_a_report_as_its_holder_follows_it_to_the_end(client, demo):
    token = client.post(URL, json={**GOOD, "description": "请回电 13812345678"}).get_json()["token"]
    case = db.session.scalar(select(Case))
    users = staff(demo)
    cases.reply(users["admin"], case, "内部：张三丰 13812345678", public=False)
    cases.reply(users["admin"], case, "已联系物业，电话 13900001111。", public=True)

    body = client.get(f"/api/v1/submissions/{token}?lang=en").get_json()
    assert [e["action"] for e in body["timeline"]] == ["reply", "opened"]
    assert body["timeline"][0]["text"] == "已联系物业，电话 139****1111。" and body["timeline"][0]["title"] == "Reply from the hall"
    assert body["step_name"] == "Open talk" and body["category_name"] == "Neighbours"
    assert "内部" not in json.dumps(body, ensure_ascii=False)

    walk(case, users, cases.S.rated)
    cases.rate(case, "satisfied", "谢谢")
    body = client.get(f"/api/v1/submissions/{token}").get_json()
    assert (body["step"], body["status"], body["outcome"], body["rating"]) == ("rated", "closed", "answered", "satisfied")
    assert body["closed_at"] and body["timeline"][0]["action"] == "rated"
    assert "13812345678" not in json.dumps(body) and "张三丰" not in json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAA", "x", "A" * 44, "a.b", "..%2F.."])
def test_unknown_or_malformed_tokens_are_not_found(client, demo, token):
    client.post(URL, json=GOOD)
    response = client.get(f"/api/v1/submissions/{token}?lang=en")
    assert response.status_code == 404 and response.get_json()["status"] == 404
    if "%" not in token:  # ../.. is no route at all
        assert response.get_json()["error"] == "There is no such report."


def test_a_visit_case_token_is_not_a_report_in_the_api(client, demo):
    case = cases.open_case(demo, source=cases.CaseSource.staff, category="other", facts="x")
    assert client.get(f"/api/v1/submissions/{case.token}").status_code == 404
