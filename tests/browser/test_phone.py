"""The phone page in a real Chromium at phone size (390×844): it follows the queue by itself,
shows and vibrates on the call, cancels in two clear steps, and takes one rating."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from conftest import PHONE, counter

from hall import queue
from hall.extensions import db
from hall.models import TicketStatus

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
VIBRATE = "window.__vibrations = []; navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };"
POLL_WAIT = 6000  # the phone polls every 3 s



def open_phone(browser, live_server, ticket):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.add_init_script(VIBRATE)
    page.goto(f"{live_server.url}/t/{ticket.token}")
    return context, page


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_page_follows_the_queue_to_the_call_and_vibrates_once_per_call(browser, live_server, demo):
    legal = queue.service_by_code(demo, "A")
    queue.issue_ticket(demo, legal)
    mine = queue.issue_ticket(demo, legal, phone="13812345678")
    context, page = open_phone(browser, live_server, mine)
    try:
        page.get_by_text("前面还有 1 人").wait_for()
        assert page.locator(".number").inner_text() == "A002"
        shot(page, "phone-waiting.png")
        queue.call_next(counter(demo, 1))  # A001
        assert queue.call_next(counter(demo, 4)).id == mine.id  # and me, to 潘大姐调解室
        banner = page.locator(".called-banner")
        banner.wait_for(timeout=POLL_WAIT)
        assert banner.locator(".called-where").inner_text() == "请到 4 号窗口（潘大姐调解室）"
        # phone.js sets the title and vibrates once the swapped fragment has settled.
        expect(page).to_have_title("请到 4 号窗口（潘大姐调解室）", timeout=2000)
        page.wait_for_function("window.__vibrations.length === 1", timeout=2000)
        shot(page, "phone-called.png")
        # Another change in the hall re-renders the page but is not a new call: no second buzz.
        queue.issue_ticket(demo, legal)
        page.wait_for_timeout(3500)
        assert page.evaluate("window.__vibrations.length") == 1
        queue.recall(mine)
        page.wait_for_function("window.__vibrations.length === 2", timeout=POLL_WAIT)
        html = page.content()
        assert "13812345678" not in html and "138****5678" not in html
    finally:
        context.close()


def test_cancel_takes_two_clear_steps(browser, live_server, demo):
    ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "B"))
    context, page = open_phone(browser, live_server, ticket)
    try:
        ask = page.get_by_role("button", name="取消排队")
        confirm = page.get_by_role("button", name="确认取消")
        keep = page.get_by_role("button", name="不取消，继续排队")
        assert confirm.is_hidden()
        ask.click()
        confirm.wait_for()
        assert page.get_by_text("确定不排队了吗").is_visible()
        keep.click()
        confirm.wait_for(state="hidden")
        ask.click()
        # While the question is open a change in the hall does not close it under the finger.
        queue.issue_ticket(demo, queue.service_by_code(demo, "B"))
        page.wait_for_timeout(3500)
        assert confirm.is_visible()
        shot(page, "phone-cancel-confirm.png")
        confirm.click()
        page.get_by_text("您已取消排队").wait_for()
        db.session.refresh(ticket)
        assert ticket.status == TicketStatus.cancelled
        assert page.get_by_role("button", name="取消排队").count() == 0
    finally:
        context.close()


def test_rating_after_service(browser, live_server, demo):
    ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    queue.call_next(counter(demo, 1))
    queue.start(ticket)
    context, page = open_phone(browser, live_server, ticket)
    try:
        page.get_by_text("办理中").wait_for()
        queue.finish(ticket)
        page.get_by_text("您对今天的服务满意吗？").wait_for(timeout=POLL_WAIT)
        page.get_by_text("基本满意").click()
        page.get_by_label("想对我们说的话（可以不填）").fill("调解员很耐心")
        shot(page, "phone-done-rating.png")
        page.get_by_role("button", name="提交评价").click()
        page.get_by_text("谢谢您的评价！").wait_for()
        assert "调解员很耐心" in page.locator(".rated").inner_text()
        shot(page, "phone-rated.png")
        db.session.refresh(ticket)
        assert ticket.rating.value == "fairly_satisfied" and ticket.rating_comment == "调解员很耐心"
    finally:
        context.close()


def test_cancel_refused_after_the_call_says_so_and_shows_the_call(browser, live_server, demo):
    ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    context, page = open_phone(browser, live_server, ticket)
    try:
        page.get_by_role("button", name="取消排队").click()
        queue.call_next(counter(demo, 2))  # called while the resident was deciding
        page.get_by_role("button", name="确认取消").click()
        page.locator("#flash").get_by_text("这个号已经不能取消了").wait_for()
        page.locator(".called-banner").get_by_text("请到 2 号窗口").wait_for(timeout=POLL_WAIT)
        shot(page, "phone-cancel-refused.png")
        db.session.refresh(ticket)
        assert ticket.status == TicketStatus.called
    finally:
        context.close()


def test_a_ticket_whose_day_ended_says_so_and_leads_to_a_new_visit(browser, live_server, demo):
    """A ticket taken yesterday and never dealt with: the server's first request ends its day;
    the page says it is no longer valid, where to take a new number, and offers the booking."""
    from datetime import timedelta

    from hall import clock
    yesterday = clock.now() - timedelta(days=1)
    from types import SimpleNamespace

    ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "A"), at=yesterday)
    demo.day_closed_through = clock.local_day(demo, yesterday) - timedelta(days=1)  # ended before
    db.session.commit()
    seen = SimpleNamespace(id=ticket.id, token=ticket.token)
    db.session.rollback()  # hold no SQLite write lock while the server answers
    context, page = open_phone(browser, live_server, seen)
    try:
        expect(page.locator(".status-word")).to_have_text("已失效")
        expect(page.locator(".state")).to_contain_text("这张号票当日未办理，已失效。")
        expect(page.locator(".state")).to_contain_text("请到大厅取号机重新取号")
        book = page.get_by_role("link", name="改为预约办理")
        box = book.bounding_box()
        assert box["height"] >= 60 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "phone-expired.png")
        book.click()
        page.wait_for_url("**/p/demo/book**")
    finally:
        context.close()
    db.session.expire_all()
    from hall.models import Ticket
    assert db.session.get(Ticket, seen.id).status == TicketStatus.expired
    db.session.rollback()
