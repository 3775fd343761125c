"""The JSON API under /api/v1, as a phone app or a city platform uses it."""
from __future__ import annotations

import io
import json
from datetime import datetime, time

import pytest
from conftest import counter
from sqlalchemy import func, select

from hall import queue
from hall.api_tickets import DEFAULT_TICKET_LIMIT, ticket_limit
from hall.extensions import db
from hall.models import Service, Ticket
from hall.setup import create_hall, create_service

TICKETS = "/api/v1/halls/demo/tickets"




def take(client, body, **kwargs):
    return client.post(TICKETS, json=body, **kwargs)


def tickets_in_db() -> int:
    return db.session.scalar(select(func.count(Ticket.id)))



def service(hall, code: str) -> Service:
    return db.session.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == code))


def assert_error(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "status"}
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"].strip()
    return body["error"]


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ---- services ------------------------------------------------------------------------------

def test_services_list_the_halls_services_with_their_state_and_queue(client, demo):
    take(client, {"service": "B"})
    take(client, {"service": "B"})
    service(demo, "D").paused = True
    db.session.commit()

    response = client.get("/api/v1/halls/demo/services")

    assert response.status_code == 200
    listed = {s["code"]: s for s in response.get_json()}
    assert list(listed) == ["A", "B", "C", "D"]
    assert listed["A"] == {"code": "A", "name": "法律咨询", "name_en": "Legal advice",
                           "open": True, "state": "open", "waiting": 0, "bookable": True, "slot_minutes": 30}
    assert listed["B"]["bookable"] is False and listed["B"]["slot_minutes"] is None
    assert listed["B"]["waiting"] == 2
    assert listed["D"]["open"] is False and listed["D"]["state"] == "paused"


def test_services_show_closed_outside_opening_hours(client, app):
    hall = create_hall("night", "夜间大厅", opens_at=time(0, 0), closes_at=time(0, 0, 1), open_weekdays="")
    create_service(hall, "A", "法律咨询", "Legal advice")

    services = client.get("/api/v1/halls/night/services").get_json()

    assert services[0]["state"] == "closed" and services[0]["open"] is False


# ---- taking a ticket -----------------------------------------------------------------------

def test_taking_a_ticket_answers_201_with_number_token_status_url_and_place(client, demo):
    first = take(client, {"service": "A"})
    second = take(client, {"service": "a", "phone": "138 1234 5678", "priority": False})

    assert first.status_code == 201 and second.status_code == 201
    body = second.get_json()
    assert body["number"] == "A002"
    assert body["status"] == "waiting"
    assert body["ahead"] == 1
    assert body["wait_minutes"] > 0
    assert body["service"] == {"code": "A", "name": "法律咨询", "name_en": "Legal advice"}
    assert body["status_url"] == f"http://localhost/t/{body['token']}"
    assert second.headers["Location"] == f"/api/v1/tickets/{body['token']}"
    assert len(body["token"]) >= 22  # 128 random bits
    ticket = db.session.scalar(select(Ticket).where(Ticket.token == body["token"]))
    assert ticket.channel == "api"
    assert ticket.phone == "13812345678"
    assert "13812345678" not in second.get_data(as_text=True)
    assert "phone" not in body


def test_the_priority_lane_goes_first(client, demo):
    take(client, {"service": "A"})
    take(client, {"service": "A"})

    body = take(client, {"service": "A", "priority": True}).get_json()

    assert body["priority"] is True and body["ahead"] == 0


def test_the_place_given_at_issue_is_the_place_the_ticket_page_shows(client, demo):
    """A new ticket's "ahead" is counted inside the transaction that issued it; it must agree
    with a fresh count: called tickets and other services do not count, the priority lane does."""
    for body in ({"service": "A"}, {"service": "A"}, {"service": "B"}, {"service": "A", "priority": True}):
        take(client, body)
    queue.call_next(counter(demo, 1))  # takes the priority ticket

    issued = take(client, {"service": "A"}).get_json()
    read = client.get(f"/api/v1/tickets/{issued['token']}").get_json()

    assert issued["ahead"] == read["ahead"] == 2
    assert issued["wait_minutes"] == read["wait_minutes"]


def test_status_url_uses_public_base_url(client, app, demo):
    app.config["PUBLIC_BASE_URL"] = "https://hall.example.cn/"

    body = take(client, {"service": "A"}).get_json()

    assert body["status_url"] == f"https://hall.example.cn/t/{body['token']}"


def test_the_same_request_key_gives_the_same_ticket_once(client, demo):
    first = take(client, {"service": "A", "request_key": "retry-0001"})
    again = take(client, {"service": "A", "request_key": "retry-0001"})
    other = take(client, {"service": "A", "request_key": "retry-0002"})

    assert first.status_code == 201 and again.status_code == 200 and other.status_code == 201
    assert again.get_json()["token"] == first.get_json()["token"]
    assert again.get_json()["number"] == "A001" and other.get_json()["number"] == "A002"
    assert tickets_in_db() == 2


# ---- reading a ticket ----------------------------------------------------------------------

def test_a_ticket_shows_where_to_go_once_called(client, demo):
    token = take(client, {"service": "B", "phone": "13812345678"}).get_json()["token"]
    queue.call_next(counter(demo, 3))

    response = client.get(f"/api/v1/tickets/{token}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "called"
    assert body["counter"] == {"number": 3, "name": "老傅调解室"}
    assert body["ahead"] == 0
    called = datetime.fromisoformat(body["called_at"])
    assert called.utcoffset().total_seconds() == 8 * 3600  # the hall's local time, Asia/Shanghai
    assert "13812345678" not in response.get_data(as_text=True)


def test_a_waiting_ticket_has_no_counter_yet(client, demo):
    token = take(client, {"service": "A"}).get_json()["token"]

    body = client.get(f"/api/v1/tickets/{token}").get_json()

    assert body["counter"] is None and body["called_at"] is None


def test_a_ticket_answers_304_until_the_queue_changes(client, demo):
    token = take(client, {"service": "A"}).get_json()["token"]
    first = client.get(f"/api/v1/tickets/{token}")
    etag = first.headers["ETag"]

    still = client.get(f"/api/v1/tickets/{token}", headers={"If-None-Match": etag})
    queue.call_next(counter(demo, 1))
    moved = client.get(f"/api/v1/tickets/{token}", headers={"If-None-Match": etag})

    assert still.status_code == 304 and not still.data
    assert moved.status_code == 200 and moved.get_json()["status"] == "called"


def test_an_unknown_ticket_is_404(client, demo):
    assert_error(client.get("/api/v1/tickets/no-such-token-at-all"), 404)


# ---- the board -----------------------------------------------------------------------------

def test_the_board_lists_calls_and_counts_without_personal_data(client, demo):
    take(client, {"service": "B", "phone": "13812345678"})
    take(client, {"service": "A", "phone": "13912345678"})
    take(client, {"service": "A"})
    mediation = queue.call_next(counter(demo, 3))
    legal = queue.call_next(counter(demo, 1))
    queue.recall(mediation)

    response = client.get("/api/v1/halls/demo/board")

    assert response.status_code == 200
    body = response.get_json()
    assert body["hall"]["slug"] == "demo"
    assert [(c["number"], c["counter"], c["counter_name"], c["action"]) for c in body["calls"]] == [
        ("B001", 3, "老傅调解室", "recall"),
        (legal.display_number, 1, "", "call"),
        ("B001", 3, "老傅调解室", "call"),
    ]
    assert all(datetime.fromisoformat(c["at"]).utcoffset() is not None for c in body["calls"])
    assert body["waiting"] == {"A": 1, "B": 0, "C": 0, "D": 0}
    text = response.get_data(as_text=True)
    assert "1381234" not in text and "1391234" not in text
    assert "前台小王" not in text and "老傅\"" not in text


def test_the_board_answers_304_while_nothing_changes(client, demo):
    first = client.get("/api/v1/halls/demo/board")
    same = client.get("/api/v1/halls/demo/board", headers={"If-None-Match": first.headers["ETag"]})
    take(client, {"service": "A"})
    changed = client.get("/api/v1/halls/demo/board", headers={"If-None-Match": first.headers["ETag"]})

    assert same.status_code == 304
    assert changed.status_code == 200 and changed.get_json()["waiting"]["A"] == 1


@pytest.mark.parametrize("path", ["/api/v1/halls/nowhere/board", "/api/v1/halls/nowhere/services",
                                  "/api/v1/halls/Bad%20Slug/board", "/api/v1/halls/no%00pe/services",
                                  "/api/v1/tickets/%00", "/api/v1/tickets/" + "x" * 500,
                                  "/api/v1/no/such/route"])
def test_unknown_things_are_json_404(client, demo, path):
    assert_error(client.get(path), 404)


# ---- refusals ------------------------------------------------------------------------------

def test_a_paused_service_is_refused_with_409_and_nothing_issued(client, demo):
    service(demo, "B").paused = True
    db.session.commit()

    message = assert_error(take(client, {"service": "B"}), 409)

    assert is_chinese(message)
    assert tickets_in_db() == 0


def test_a_closed_hall_is_refused_with_409(client, app):
    hall = create_hall("shut", "已关门大厅", open_weekdays="")
    create_service(hall, "A", "法律咨询", "Legal advice")

    message = assert_error(client.post("/api/v1/halls/shut/tickets", json={"service": "A"},
                                       headers={"Accept-Language": "en"}), 409)

    assert "closed" in message
    assert tickets_in_db() == 0


def test_an_unknown_service_or_hall_is_404(client, demo):
    assert_error(take(client, {"service": "Z"}), 404)
    assert_error(client.post("/api/v1/halls/nowhere/tickets", json={"service": "A"}), 404)
    assert_error(client.post("/api/v1/halls/de%00mo/tickets", json={"service": "A"}), 404)
    assert_error(client.post("/api/v1/halls/" + "d" * 300 + "/tickets", json={"service": "A"}), 404)
    assert tickets_in_db() == 0


@pytest.mark.parametrize("body", [
    {},
    {"service": None},
    {"service": ""},
    {"service": 5},
    {"service": ["A"]},
    {"service": {"$ne": None}},
    {"service": "A", "phone": "12345"},
    {"service": "A", "phone": "1381234567x"},
    {"service": "A", "phone": 13812345678},
    {"service": "A", "priority": "yes"},
    {"service": "A", "priority": 1},
    {"service": "A", "request_key": "short"},
    {"service": "A", "request_key": "has a space in it"},
    {"service": "A", "request_key": "k" * 65},
    {"service": "A", "request_key": 12345678},
    [{"service": "A"}],
    "A",
    None,
    42,
], ids=repr)
def test_wrong_shapes_are_422_and_change_nothing(client, demo, body):
    assert_error(client.post(TICKETS, data=json.dumps(body), content_type="application/json"), 422)
    assert tickets_in_db() == 0


@pytest.mark.parametrize("data,content_type", [
    (b'{"service": "A"}', "text/plain"),
    (b'{"service": "A"}', None),
    (b"service=A", "application/x-www-form-urlencoded"),
], ids=["text/plain", "no content type", "a form"])
def test_a_body_that_is_not_json_is_415(client, demo, data, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    assert_error(client.post(TICKETS, data=data, **kwargs), 415)
    assert tickets_in_db() == 0


@pytest.mark.parametrize("data", [b'{"service": "A"', b"", b"\xff\xfe{", b"{'service': 'A'}",
                                  b"[" * 50_000, b'{"service": "A"} trailing'],
                         ids=["unclosed", "empty", "not utf-8", "single quotes", "nested deep", "trailing"])
def test_malformed_json_is_400(client, demo, data):
    assert_error(client.post(TICKETS, data=data, content_type="application/json"), 400)
    assert tickets_in_db() == 0


def test_a_body_over_the_limit_is_413(client, app, demo):
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    body = json.dumps({"service": "A", "note": "x" * 70_000})

    assert_error(client.post(TICKETS, data=body, content_type="application/json"), 413)
    assert tickets_in_db() == 0


def test_a_chunked_body_over_the_limit_is_413_not_a_truncated_400(client, demo):
    # No Content-Length: Werkzeug stops reading at MAX_CONTENT_LENGTH and would hand back a cut body.
    body = json.dumps({"service": "A", "note": "x" * 70_000}).encode()

    response = client.post(TICKETS, input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    assert_error(response, 413)
    assert tickets_in_db() == 0


def test_a_small_chunked_body_is_read(client, demo):
    response = client.post(TICKETS, input_stream=io.BytesIO(b'{"service": "A"}'),
                           content_type="application/json", headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    assert response.status_code == 201


@pytest.mark.parametrize("body", [
    {"service": "A" * 10_000},
    {"service": "\u0000"},
    {"service": "A\u0000"},
    {"service": "法律咨询"},
    {"service": "法"},
    {"service": "😀"},
    {"service": "A", "phone": "\u0000" * 100},
    {"service": "A", "phone": "１３８１２３４５６７８"},
    {"service": "A", "phone": "9" * 20_000},
    {"service": "A", "request_key": "\u0000" * 10},
    {"service": "A", "request_key": "钥匙钥匙钥匙钥匙钥匙"},
    {"service": "A", "priority": None, "phone": None, "request_key": None, "extra": [1, {"x": None}]},
    {"service": "A", "priority": 1e999},
], ids=repr)
def test_hostile_bodies_never_break_the_server(client, demo, body):
    response = client.post(TICKETS, data=json.dumps(body), content_type="application/json")

    assert response.status_code in (201, 404, 422)
    if response.status_code != 201:
        assert_error(response, response.status_code)
        assert tickets_in_db() == 0


def test_nulls_mean_not_given(client, demo):
    response = take(client, {"service": "A", "priority": None, "phone": None, "request_key": None})

    assert response.status_code == 201
    assert response.get_json()["priority"] is False


def test_a_wrong_method_is_a_json_405(client, demo):
    assert_error(client.delete("/api/v1/halls/demo/services"), 405)
    assert_error(client.get(TICKETS), 405)


# ---- language ------------------------------------------------------------------------------

def test_errors_are_in_chinese_by_default_and_english_on_request(client, demo):
    chinese = assert_error(take(client, {}), 422)
    by_query = assert_error(client.post(TICKETS + "?lang=en", json={}), 422)
    by_header = assert_error(take(client, {}, headers={"Accept-Language": "en-US,en;q=0.9"}), 422)
    chinese_header = assert_error(take(client, {}, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}), 422)
    query_wins = assert_error(client.post(TICKETS + "?lang=zh", json={}, headers={"Accept-Language": "en"}), 422)
    unknown = assert_error(take(client, {}, headers={"Accept-Language": "fr"}), 422)

    assert is_chinese(chinese) and chinese == chinese_header == query_wins == unknown
    assert by_query == by_header == "Please choose a service."


def test_the_api_does_not_remember_a_language(client, demo):
    client.get("/api/v1/halls/nowhere/services?lang=en")

    assert is_chinese(assert_error(client.get("/api/v1/halls/nowhere/services"), 404))


@pytest.mark.parametrize("status,send", [
    (404, lambda c: c.get("/api/v1/halls/nowhere/board")),
    (404, lambda c: c.post(TICKETS, json={"service": "Z"})),
    (409, None),
    (413, lambda c: c.post(TICKETS, data="x" * 70_000, content_type="application/json")),
    (415, lambda c: c.post(TICKETS, data="{}", content_type="text/plain")),
    (400, lambda c: c.post(TICKETS, data="{", content_type="application/json")),
    (422, lambda c: c.post(TICKETS, json={"service": "A", "phone": "123"})),
])
def test_every_error_has_a_chinese_and_an_english_message(client, demo, status, send):
    if send is None:
        service(demo, "A").paused = True
        db.session.commit()
        send = lambda c: c.post(TICKETS, json={"service": "A"})  # noqa: E731
    chinese = assert_error(send(client), status)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = assert_error(send(client), status)

    assert is_chinese(chinese), chinese
    assert not is_chinese(english) and english != chinese


# ---- rate limit ----------------------------------------------------------------------------

def test_a_hall_limits_tickets_per_client_address(client, demo):
    demo.api_ticket_limit = "3 per minute"
    other = create_hall("other", "另一个大厅", opens_at=time(0, 0), closes_at=time(23, 59, 59),
                        open_weekdays="1234567")
    create_service(other, "A", "法律咨询", "Legal advice")
    db.session.commit()

    allowed = [take(client, {"service": "A"}) for _ in range(3)]
    refused = take(client, {"service": "A"})
    elsewhere = client.post("/api/v1/halls/other/tickets", json={"service": "A"})
    another_client = client.post(TICKETS, json={"service": "A"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})

    assert [r.status_code for r in allowed] == [201, 201, 201]
    assert allowed[0].headers["X-RateLimit-Limit"] == "3"
    assert_error(refused, 429)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert elsewhere.status_code == 201
    assert another_client.status_code == 201
    assert tickets_in_db() == 5


def test_the_limit_headers_count_down_to_a_refusal(client, demo):
    demo.api_ticket_limit = "2 per minute; 100 per hour"
    db.session.commit()

    first, second, third = (take(client, {"service": "A"}) for _ in range(3))

    # The tightest of the hall's limits is the one a client is told about.
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert [first.headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]] == ["1", "0"]
    assert third.status_code == 429
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert int(third.headers["X-RateLimit-Reset"]) > int(datetime.now().timestamp())
    assert tickets_in_db() == 2


def test_a_refused_request_for_a_bad_body_spends_no_allowance(client, demo):
    demo.api_ticket_limit = "1 per minute"
    db.session.commit()

    assert take(client, {"service": 7}).status_code == 422
    assert take(client, {"service": "A"}).status_code == 201


def test_reading_is_not_limited(client, demo):
    demo.api_ticket_limit = "1 per minute"
    db.session.commit()
    token = take(client, {"service": "A"}).get_json()["token"]

    assert all(client.get(f"/api/v1/tickets/{token}").status_code == 200 for _ in range(5))
    assert all(client.get("/api/v1/halls/demo/services").status_code == 200 for _ in range(5))


def test_a_hall_limit_that_does_not_parse_falls_back_to_the_default(app, demo):
    assert ticket_limit("demo") == "30 per minute"
    demo.api_ticket_limit = "lots"
    db.session.commit()
    assert ticket_limit("demo") == DEFAULT_TICKET_LIMIT
    demo.api_ticket_limit = "5/second"
    db.session.commit()
    assert ticket_limit("demo") == "5/second"
    assert ticket_limit("nowhere") == DEFAULT_TICKET_LIMIT
