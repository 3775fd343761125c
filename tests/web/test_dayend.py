"""The hall's day ends, through the test client: the console, the counts, Call next, the phone
page of an expired ticket, the API, the CLI. Time is frozen through hall.clock.now."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from arrival_setup import FrozenClock, local
from conftest import counter, svc
from sqlalchemy import select

from hall import queue
from hall.extensions import db
from hall.models import Hall, Ticket, TicketEvent
from hall.models import TicketStatus as S

HX = {"HX-Request": "true"}
TODAY = date(2026, 12, 2)
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def clock_at(monkeypatch, demo):
    """Yesterday afternoon; the hall's days were ended through the day before."""
    demo.day_closed_through = YESTERDAY - timedelta(days=1)
    db.session.commit()
    return FrozenClock(monkeypatch, local(demo, YESTERDAY, 16, 0))


@pytest.fixture
def two_d001(demo, clock_at):
    """Yesterday's D001, still waiting when the day was over, and today's D001."""
    old = queue.issue_ticket(demo, svc(demo, "D"))
    clock_at.set(local(demo, TODAY, 9, 0))
    new = queue.issue_ticket(demo, svc(demo, "D"))
    assert old.display_number == new.display_number == "D001"
    return old, new


def fresh(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def not_yet_ended(demo):
    """As if the day's end had not reached yesterday's tickets yet (the lists must not rely on it)."""
    hall = db.session.get(Hall, demo.id)
    hall.day_closed_through = YESTERDAY
    db.session.commit()


def reception(client):
    assert client.post("/admin/login", data={"username": "reception", "password": "hall-demo"}).status_code == 303


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_console_counts_and_call_next_see_only_todays_tickets(client, demo, two_d001):
    old, new = two_d001
    not_yet_ended(demo)
    reception(client)
    window = counter(demo, 1)  # serves D 投诉建议

    waiting = client.get(f"/admin/console/{window.id}", headers=HX).text.split('class="waiting-col"', 1)[1]
    assert '等候中 <span class="count">(1)</span>' in waiting
    assert f"/call/{new.id}" in waiting and f"/call/{old.id}" not in waiting

    tiles = dict(re.findall(r'data-service="(\w)".*?<span class="tile-waiting">([^<]+)</span>',
                            client.get("/k/demo").text, re.S))
    assert tiles["D"] == "等候 1 人"
    board = re.findall(r'<span class="w-name">(\S+)</span>\s*<span class="w-count">([^<]+)</span>',
                       client.get("/b/demo").text)
    assert dict(board)["投诉建议"] == "1 人"
    api = {s["code"]: s["waiting"] for s in client.get("/api/v1/halls/demo/services").json}
    assert api["D"] == 1
    assert client.get("/api/v1/halls/demo/board").json["waiting"]["D"] == 1

    answer = client.post(f"/admin/console/{window.id}/call-next", headers=HX)
    assert answer.status_code == 200 and "D001" in answer.text
    assert fresh(new).status == S.called and fresh(old).status == S.waiting
    # Yesterday's ticket is never called, not even when nobody else waits.
    assert "目前没有人等候。" in client.post(f"/admin/console/{window.id}/call-next", headers=HX).text
    assert fresh(old).status == S.waiting and fresh(old).counter_id is None


def test_the_first_request_of_a_new_day_ends_the_old_one_before_it_answers(client, demo, two_d001):
    """Reception's first Call next of the morning: yesterday's D001 ends first (by the system),
    then today's is called; the write after the day's end still takes SQLite's write lock."""
    old, new = two_d001
    reception(client)
    window = counter(demo, 1)
    answer = client.post(f"/admin/console/{window.id}/call-next", headers=HX)
    assert answer.status_code == 200
    assert fresh(old).status == S.expired and fresh(new).status == S.called
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == old.id,
                                                        TicketEvent.action == "expire"))
    assert event.user_id is None and event.from_status == "waiting"
    assert db.session.get(Hall, demo.id).day_closed_through == YESTERDAY


def test_a_phone_page_left_open_overnight_shows_the_ticket_has_ended(client, demo, clock_at):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    url = f"/t/{ticket.token}"
    first = client.get(url, headers=HX)
    assert "等候中" in first.text
    tag = first.headers["ETag"]
    assert client.get(url, headers={**HX, "If-None-Match": tag}).status_code == 304

    clock_at.set(local(demo, TODAY, 7, 0))  # the next morning: its first request is this poll
    polled = client.get(url, headers={**HX, "If-None-Match": tag})
    assert polled.status_code == 200
    assert "这张号票当日未办理，已失效。" in polled.text
    assert 'hx-trigger="every' not in polled.text  # the page stops polling
    assert fresh(ticket).status == S.expired


def test_the_phone_page_of_an_expired_ticket_says_so_and_offers_a_new_visit(client, demo, clock_at):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    clock_at.set(local(demo, TODAY, 9, 0))
    page = client.get(f"/t/{ticket.token}").text
    seen = text(page)
    assert "已失效" in seen and "这张号票当日未办理，已失效。" in seen
    assert "请到大厅取号机重新取号（开放时间：每天 00:00–24:00）" in seen
    assert 'href="/p/demo/book"' in page and "改为预约办理" in seen
    assert "取消我的号" not in seen and "等候中" not in seen
    assert client.get("/p/demo/book", follow_redirects=True).status_code == 200  # a real page

    english = text(client.get(f"/t/{ticket.token}?lang=en").text)
    assert "This ticket was not dealt with on the day it was taken, and is no longer valid." in english

    api = client.get(f"/api/v1/tickets/{ticket.token}").json
    assert api["status"] == "expired" and api["ahead"] == 0


def test_without_a_bookable_service_the_expired_page_offers_no_booking(client, demo, clock_at):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    for service in demo.services:
        service.bookable = False
    db.session.commit()
    clock_at.set(local(demo, TODAY, 9, 0))
    page = client.get(f"/t/{ticket.token}").text
    assert "已失效" in page and "/p/demo/book" not in page


def test_close_day_by_hand_prints_what_it_ended(app, demo, two_d001):
    old, new = two_d001
    not_yet_ended(demo)
    db.session.get(Hall, demo.id).day_closed_through = None
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["queue", "close-day", "demo"])
    assert result.exit_code == 0, result.output
    assert "demo: closed through 2026-12-01" in result.output
    assert "1 ticket(s) expired: 2026-12-01 D001" in result.output
    assert fresh(old).status == S.expired and fresh(new).status == S.waiting

    again = runner.invoke(args=["queue", "close-day"])  # every hall; nothing left to end
    assert again.exit_code == 0 and "0 ticket(s) expired: none" in again.output

    unknown = runner.invoke(args=["queue", "close-day", "nowhere"])
    assert unknown.exit_code != 0 and "no hall 'nowhere'" in unknown.output


def test_a_poll_never_waits_behind_a_writer_to_end_the_day(app, client, demo, two_d001):
    """While another writer holds the lock (SQLite's write lock, or on PostgreSQL another worker
    ending this hall's day), a poll that finds the day due answers at once without ending it;
    the next poll after the writer is done ends it."""
    import threading

    from hall import dayend
    old, _new = two_d001
    hall_id, old_id = demo.id, old.id
    db.session.commit()
    writer = db.engine.connect()
    transaction = writer.begin()  # outside a request: SQLite's BEGIN IMMEDIATE, with the lock
    if writer.dialect.name == "postgresql":
        writer.execute(dayend._PG_LOCK, {"key": dayend.LOCK_BASE + hall_id})
    answers = []

    def poll():
        answers.append(client.get("/b/demo", headers=HX).status_code)

    try:
        polling = threading.Thread(target=poll)
        polling.start()
        polling.join(30)
        assert not polling.is_alive() and answers == [200]
        # Read on the writer's own connection: this thread's session would wait for its lock.
        assert writer.execute(select(Ticket.status).where(Ticket.id == old_id)).scalar() == S.waiting
    finally:
        transaction.rollback()
        writer.close()
    db.session.commit()
    assert client.get("/b/demo", headers=HX).status_code == 200
    assert fresh(old).status == S.expired
