"""The reception console through the test client: with htmx (HX-Request) and as plain forms."""
from __future__ import annotations

import re
from datetime import time

import pytest
from conftest import counter
from sqlalchemy import func, select

from hall import create_app, queue
from hall.extensions import db
from hall.models import AuditEntry, Ticket, TicketEvent, User
from hall.models import TicketStatus as S
from hall.setup import create_counter, create_hall, create_service, create_user

HX = {"HX-Request": "true"}





def issue(hall, code: str, **kwargs) -> Ticket:
    return queue.issue_ticket(hall, queue.service_by_code(hall, code), **kwargs)


@pytest.fixture
def desk(demo, client):
    """Reception logged in, at counter 1 (A 法律咨询, C 信访接待, D 投诉建议)."""
    response = client.post("/admin/login", data={"username": "reception", "password": "hall-demo"})
    assert response.status_code == 303
    return counter(demo, 1)


def live(client, c):
    return client.get(f"/admin/console/{c.id}", headers=HX)


def fresh(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def now_serving(html: str) -> str:
    """The "now at this counter" part of the console."""
    return html.split('id="now-serving"', 1)[1].split('class="waiting-col"', 1)[0]


def waiting_part(html: str) -> str:
    return html.split('class="waiting-col"', 1)[1]


# ---- choosing and opening a counter ----------------------------------------------------------

def test_the_chooser_lists_counters_rooms_services_and_who_has_them(demo, desk, client):
    mediator = db.session.scalar(select(User).where(User.username == "mediator"))
    queue.open_counter(counter(demo, 3), mediator)
    page = client.get("/admin/console").get_data(as_text=True)
    assert "1 号窗口" in page and "老傅调解室" in page and "潘大姐调解室" in page
    assert "法律咨询" in page and "矛盾调解" in page
    assert "老傅 自" in page  # counter 3 is open by the mediator 老傅
    assert page.count("开启此窗口") == 3 and "接管此窗口" in page


def test_opening_a_counter_leads_to_its_console_and_closing_frees_it(demo, desk, client):
    response = client.post(f"/admin/console/{desk.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/console/{desk.id}"
    db.session.expire_all()
    assert counter(demo, 1).opened_by.username == "reception"
    assert "您自" in client.get("/admin/console").get_data(as_text=True)
    response = client.post(f"/admin/console/{desk.id}/close")
    assert response.headers["Location"] == "/admin/console"
    db.session.expire_all()
    assert counter(demo, 1).opened_by_id is None
    assert "1 号窗口已关闭" in client.get("/admin/console").get_data(as_text=True)


# ---- the live list ---------------------------------------------------------------------------

def test_waiting_list_puts_the_priority_lane_first_with_the_phone_masked(demo, desk, client):
    first = issue(demo, "A", phone="13812345678")
    elder = issue(demo, "C", priority=True)
    issue(demo, "B")  # not served at counter 1
    page = client.get(f"/admin/console/{desk.id}").get_data(as_text=True)
    waiting = waiting_part(page)
    assert waiting.index(elder.display_number) < waiting.index(first.display_number)
    assert "绿色通道" in waiting
    assert "138****5678" in waiting and "13812345678" not in page  # masked, as on a case page
    assert "B001" not in waiting
    assert "等候 2 人" in page


def audit_entries(demo, action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.hall_id == demo.id,
                                                            AuditEntry.action == action)))


@pytest.mark.parametrize("role", ["reception", "mediator", "admin"])
def test_every_role_sees_phones_masked_and_the_whole_number_only_on_demand_logged(demo, client, role):
    waiting = issue(demo, "A", phone="13812345678")
    serving = issue(demo, "A", phone="13900001111")
    queue.call_ticket(serving, counter(demo, 1), None)
    client.post("/admin/login", data={"username": role, "password": "hall-demo"})
    for headers in (HX, {}):
        page = client.get(f"/admin/console/{counter(demo, 1).id}", headers=headers).get_data(as_text=True)
        assert "13812345678" not in page and "13900001111" not in page
        assert "138****5678" in waiting_part(page) and "139****1111" in now_serving(page)
        assert f'hx-post="/admin/tickets/{waiting.id}/phone"' in page and "显示" in page
    assert audit_entries(demo, "ticket.view_phone") == [], "looking at the console logs nothing"

    response = client.post(f"/admin/tickets/{waiting.id}/phone", headers=HX)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "13812345678" in html and f'id="phone-{waiting.id}"' in html and "<html" not in html
    [entry] = audit_entries(demo, "ticket.view_phone")
    assert entry.user.username == role and entry.detail.startswith("A001") and entry.case_id is None
    # without JavaScript: a page with the number and the way back to the console
    page = client.post(f"/admin/tickets/{serving.id}/phone", data={"counter": counter(demo, 1).id})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "13900001111" in page.get_data(as_text=True)
    assert f'href="/admin/console/{counter(demo, 1).id}"' in page.get_data(as_text=True)
    assert len(audit_entries(demo, "ticket.view_phone")) == 2


def test_the_audit_log_names_a_phone_view(demo, client):
    ticket = issue(demo, "A", phone="13812345678")
    client.post("/admin/login", data={"username": "admin", "password": "hall-demo"})
    client.post(f"/admin/tickets/{ticket.id}/phone", headers=HX)
    client.get("/admin/audit?lang=en")
    row = client.get("/admin/audit").get_data(as_text=True).split('data-action="ticket.view_phone"', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "Viewed a waiting resident's mobile number" in row and "Ticket A001" in row
    assert "13812345678" not in row and "ticket.view_phone" not in row.split(">", 1)[1]


def test_another_halls_ticket_phone_is_not_found_and_not_logged(demo, client, desk):
    other = create_hall("other-hall", "别的大厅")
    ticket = queue.issue_ticket(other, create_service(other, "A", "法律咨询"), phone="13812345678",
                                check_hours=False)
    response = client.post(f"/admin/tickets/{ticket.id}/phone", headers=HX)
    assert response.status_code == 404 and "13812345678" not in response.get_data(as_text=True)
    assert audit_entries(other, "ticket.view_phone") == [] and audit_entries(demo, "ticket.view_phone") == []


def test_polling_answers_304_until_the_queue_changes(demo, desk, client):
    response = live(client, desk)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.get_data(as_text=True)  # the fragment, not the page
    tag = response.headers["ETag"]
    assert f'data-etag="{tag.strip(chr(34))}"' in response.get_data(as_text=True)
    assert client.get(f"/admin/console/{desk.id}", headers={**HX, "If-None-Match": tag}).status_code == 304
    issue(demo, "A")
    response = client.get(f"/admin/console/{desk.id}", headers={**HX, "If-None-Match": tag})
    assert response.status_code == 200 and "A001" in response.get_data(as_text=True)
    # Without HX-Request the same URL is the whole page.
    assert "<html" in client.get(f"/admin/console/{desk.id}").get_data(as_text=True)


def test_call_next_calls_in_order_and_says_when_nobody_waits(demo, desk, client):
    a = issue(demo, "A")
    c = issue(demo, "C", priority=True)
    response = client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert c.display_number in now_serving(html) and "已呼叫 C001" in html
    assert 'id="flash" hx-swap-oob' in html
    assert fresh(c).status == S.called and fresh(c).counter_id == desk.id
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    assert fresh(a).status == S.called
    response = client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    assert response.status_code == 200 and "目前没有人等候" in response.get_data(as_text=True)


def test_start_finish_recall_no_show(demo, desk, client):
    one, two = issue(demo, "A"), issue(demo, "A")
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    html = client.post(f"/admin/tickets/{one.id}/recall", headers=HX, data={"counter": desk.id}).get_data(as_text=True)
    assert "已再次呼叫 A001" in html
    assert db.session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == one.id, TicketEvent.action == "recall")) == 1
    html = client.post(f"/admin/tickets/{one.id}/start", headers=HX, data={"counter": desk.id}).get_data(as_text=True)
    assert fresh(one).status == S.serving and "办理中" in now_serving(html)
    html = client.post(f"/admin/tickets/{one.id}/finish", headers=HX, data={"counter": desk.id}).get_data(as_text=True)
    assert fresh(one).status == S.done and "A001" not in now_serving(html)
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    client.post(f"/admin/tickets/{two.id}/no-show", headers=HX, data={"counter": desk.id})
    assert fresh(two).status == S.no_show
    # every move is recorded with who made it
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == one.id)).all()
    assert [e.action for e in events] == ["issue", "call", "recall", "start", "finish"]
    assert all(e.user.username == "reception" for e in events[1:])


def test_a_move_someone_else_made_first_is_a_message_and_a_fresh_list(demo, desk, client):
    ticket = issue(demo, "A")
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    client.post(f"/admin/tickets/{ticket.id}/finish", headers=HX, data={"counter": desk.id})
    response = client.post(f"/admin/tickets/{ticket.id}/finish", headers=HX, data={"counter": desk.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="flash" hx-swap-oob' in html and "message-error" in html
    assert 'id="console-live"' in html  # the list, refreshed
    # Calling a ticket another counter took already
    other = issue(demo, "A")
    queue.call_ticket(other, counter(demo, 2))
    response = client.post(f"/admin/console/{desk.id}/call/{other.id}", headers=HX)
    assert response.status_code == 409 and "message-error" in response.get_data(as_text=True)
    assert fresh(other).counter_id == counter(demo, 2).id


def test_without_javascript_actions_are_forms_that_come_back(demo, desk, client):
    ticket = issue(demo, "A")
    response = client.post(f"/admin/console/{desk.id}/call-next")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/console/{desk.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已呼叫 A001" in page  # the message, shown once
    response = client.post(f"/admin/tickets/{ticket.id}/start", data={"counter": desk.id})
    assert response.status_code == 303 and fresh(ticket).status == S.serving
    # Starting it again is refused: a message on the console, not an error page.
    response = client.post(f"/admin/tickets/{ticket.id}/start", data={"counter": desk.id})
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/console/{desk.id}"
    page = client.get(f"/admin/console/{desk.id}").get_data(as_text=True)
    assert "message-error" in page and "刷新" in page


def test_calling_a_chosen_ticket(demo, desk, client):
    issue(demo, "A")
    chosen = issue(demo, "D")
    html = client.post(f"/admin/console/{desk.id}/call/{chosen.id}", headers=HX).get_data(as_text=True)
    assert "D001" in now_serving(html) and fresh(chosen).status == S.called


def test_transfer_to_a_room_moves_the_ticket_off_this_list(demo, desk, client):
    ticket = issue(demo, "A", phone="13900001111")
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    room = counter(demo, 3)
    html = client.post(f"/admin/tickets/{ticket.id}/transfer", headers=HX,
                       data={"counter": desk.id, "target": f"counter:{room.id}", "note": "邻里纠纷"}).get_data(as_text=True)
    assert "A001 已转移" in html
    assert "A001" not in now_serving(html) and "A001" not in waiting_part(html)
    ticket = fresh(ticket)
    assert ticket.status == S.waiting and ticket.target_counter_id == room.id
    assert ticket.events[-1].note == "邻里纠纷"
    # The room sees it, marked as sent to it.
    room_html = live(client, room).get_data(as_text=True)
    assert "A001" in waiting_part(room_html) and "指定本窗口" in room_html


def test_transfer_to_another_service(demo, desk, client):
    ticket = issue(demo, "A")
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    mediation = queue.service_by_code(demo, "B")
    client.post(f"/admin/tickets/{ticket.id}/transfer", headers=HX,
                data={"counter": desk.id, "target": f"service:{mediation.id}"})
    assert fresh(ticket).service_id == mediation.id and fresh(ticket).status == S.waiting
    assert "A001" in waiting_part(live(client, counter(demo, 4)).get_data(as_text=True))


@pytest.mark.parametrize("target", ["", "counter:", "room:1", "service:99999", "counter:abc"])
def test_a_transfer_without_a_real_target_changes_nothing(demo, desk, client, target):
    ticket = issue(demo, "A")
    client.post(f"/admin/console/{desk.id}/call-next", headers=HX)
    response = client.post(f"/admin/tickets/{ticket.id}/transfer", headers=HX,
                           data={"counter": desk.id, "target": target})
    assert response.status_code in (404, 422)
    assert "message-error" in response.get_data(as_text=True)
    assert fresh(ticket).status == S.called


# ---- walk-ins --------------------------------------------------------------------------------

def test_a_walk_in_gets_a_number_to_tell_and_a_print_link(demo, desk, client):
    service = queue.service_by_code(demo, "C")
    response = client.post(f"/admin/console/{desk.id}/walk-in", headers=HX,
                           data={"service": service.id, "phone": "139 0000 2222", "priority": "1",
                                 "request_key": "walkin-key-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    ticket = db.session.scalar(select(Ticket).where(Ticket.channel == "reception"))
    assert ticket.display_number == "C001" and ticket.priority and ticket.phone == "13900002222"
    assert 'class="issued-number">C001' in html
    assert f"/k/demo/ticket/{ticket.token}" in html or "打印号票" not in html
    assert 'id="console-live"' in html and "hx-swap-oob" in html  # the list shows it at once
    # The same form sent twice (a double click) is still one ticket.
    client.post(f"/admin/console/{desk.id}/walk-in", headers=HX,
                data={"service": service.id, "request_key": "walkin-key-1"})
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


def test_a_walk_in_outside_opening_hours_is_still_registered(demo, desk, client):
    demo.opens_at, demo.closes_at, demo.open_weekdays = time(8, 0), time(8, 1), "1"
    db.session.commit()
    response = client.post(f"/admin/console/{desk.id}/walk-in", headers=HX,
                           data={"service": queue.service_by_code(demo, "A").id})
    assert response.status_code == 200 and "A001" in response.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"service": "A", "phone": ""}, "请选择办理事项"),
    ({"phone": "12345"}, "11"),
])
def test_bad_walk_in_input_is_explained_and_issues_nothing(demo, desk, client, data, message):
    if "service" not in data:
        data = {**data, "service": queue.service_by_code(demo, "A").id}
    response = client.post(f"/admin/console/{desk.id}/walk-in", headers=HX, data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_a_paused_service_takes_no_walk_in(demo, desk, client):
    service = queue.service_by_code(demo, "A")
    service.paused = True
    db.session.commit()
    response = client.post(f"/admin/console/{desk.id}/walk-in", headers=HX, data={"service": service.id})
    assert response.status_code == 409 and "暂停" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_a_walk_in_without_javascript(demo, desk, client):
    service = queue.service_by_code(demo, "D")
    response = client.post(f"/admin/console/{desk.id}/walk-in", data={"service": service.id})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="issued-number">D001' in page


# ---- one hall's staff never reach another hall ------------------------------------------------

@pytest.fixture
def other_hall(app):
    hall = create_hall("other", "另一个大厅")
    service = create_service(hall, "A", "法律咨询")
    window = create_counter(hall, 1, "", [service])
    create_user(hall, "other-reception", "other-password", "reception")
    ticket = queue.issue_ticket(hall, service, check_hours=False)
    return window, ticket


def test_another_halls_counters_and_tickets_are_not_found(demo, desk, client, other_hall):
    window, ticket = other_hall
    assert client.get(f"/admin/console/{window.id}").status_code == 404
    assert client.get(f"/admin/console/{window.id}", headers=HX).status_code == 404
    assert client.post(f"/admin/console/{window.id}/open").status_code == 404
    assert client.post(f"/admin/console/{window.id}/call-next").status_code == 404
    assert client.post(f"/admin/console/{desk.id}/call/{ticket.id}", headers=HX).status_code == 404
    for action in ("recall", "start", "finish", "no-show", "transfer"):
        assert client.post(f"/admin/tickets/{ticket.id}/{action}", data={"counter": desk.id}).status_code == 404
    assert client.post(f"/admin/tickets/{issue(demo, 'A').id}/transfer", headers=HX,
                       data={"counter": desk.id, "target": f"counter:{window.id}"}).status_code in (404, 409)
    assert "另一个大厅" not in client.get("/admin/console").get_data(as_text=True)
    assert fresh(ticket).status == S.waiting


# ---- CSRF ------------------------------------------------------------------------------------

@pytest.fixture
def strict(app, demo):
    """The same database, with CSRF protection on as in production; counter 1 has one ticket."""
    c1, ticket = counter(demo, 1).id, issue(demo, "A").id
    db.session.close()  # the test's own session must not hold SQLite's write lock meanwhile
    strict_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": True})
    with strict_app.app_context():
        yield strict_app.test_client(), c1, ticket
        db.session.remove()
        db.engine.dispose()


def token_in(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, pattern
    return match.group(1)


def test_a_console_post_needs_the_csrf_token_htmx_sends(strict):
    client, c1, ticket_id = strict
    login_page = client.get("/admin/login").get_data(as_text=True)
    form_token = token_in(login_page, r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
    # A login without the token is refused, with a message.
    refused = client.post("/admin/login", data={"username": "reception", "password": "hall-demo"})
    assert refused.status_code == 400 and "请刷新" in refused.get_data(as_text=True)
    assert client.post("/admin/login", data={"username": "reception", "password": "hall-demo",
                                             "csrf_token": form_token}).status_code == 303
    page = client.get(f"/admin/console/{c1}").get_data(as_text=True)
    header_token = token_in(page, r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")

    refused = client.post(f"/admin/console/{c1}/call-next", headers=HX)
    assert refused.status_code == 400
    assert "请刷新" in refused.get_data(as_text=True) and refused.headers["HX-Retarget"] == "#flash"
    assert db.session.get(Ticket, ticket_id).status == S.waiting

    accepted = client.post(f"/admin/console/{c1}/call-next", headers={**HX, "X-CSRFToken": header_token})
    assert accepted.status_code == 200 and "A001" in now_serving(accepted.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).status == S.called


def test_opening_a_second_counter_closes_the_first(demo, desk, client):
    client.post(f"/admin/console/{desk.id}/open")
    client.post(f"/admin/console/{counter(demo, 3).id}/open")
    db.session.expire_all()
    assert counter(demo, 1).opened_by_id is None
    assert counter(demo, 3).opened_by.username == "reception"
