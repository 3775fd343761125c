"""The whole walk-in journey in real Chromium windows at their real sizes, against a live
gunicorn server: a resident takes a ticket at the kiosk, follows it on the phone behind the
QR code, a receptionist calls it, the board shows and announces the call, the phone shows the
banner, the visit is finished, and the resident rates it."""
import json
import re

import pytest
from conftest import BOARD, KIOSK, PHONE
from playwright.sync_api import expect
from sqlalchemy import select

from browser.test_board import STUB as SPEECH_STUB
from hall.extensions import db
from hall.links import qr_svg
from hall.models import Rating, Ticket, TicketEvent

pytestmark = pytest.mark.browser


def committed_ticket(number: int) -> Ticket:
    db.session.rollback()  # see what the server committed, and hold no lock the server needs
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    db.session.expunge_all()
    db.session.rollback()
    return ticket


def test_walk_in_from_kiosk_to_rating(browser, live_server, demo):
    base = live_server.url
    db.session.rollback()
    kiosk = browser.new_context(viewport=KIOSK, has_touch=True, base_url=base)
    kiosk.add_init_script("window.print = function () {};")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base)
    phone.add_init_script("window.__vibrations = []; navigator.vibrate = p => { window.__vibrations.push(p); return true; };")
    board = browser.new_context(viewport=BOARD, base_url=base)
    board.add_init_script(SPEECH_STUB % {"config": json.dumps(
        {"voices": ["zh-CN"], "speechMs": 300, "refusePlay": False})})
    desk = browser.new_context(viewport=BOARD, base_url=base)
    try:
        # The board is up before anyone arrives.
        board_page = board.new_page()
        board_page.goto("/b/demo")
        board_page.wait_for_selector("#board[data-etag]")

        # 1. Kiosk: tap 法律咨询, take a number.
        k = kiosk.new_page()
        k.goto("/k/demo")
        k.locator("[data-service=A]").tap()
        k.locator("#take-button").tap()
        k.wait_for_url(re.compile(r"/k/demo/ticket/"))
        expect(k.locator(".ticket-number")).to_have_text("A001")
        expect(k.locator(".ticket-qr svg.qr")).to_be_visible()
        ticket = committed_ticket(1)
        assert k.url.endswith(ticket.token)
        # The QR code holds the address of this ticket's phone page.
        drawn = k.locator(".ticket-qr svg.qr path").get_attribute("d")
        expected = re.search(r' d="([^"]+)"', str(qr_svg(f"{base}/t/{ticket.token}"))).group(1)
        assert drawn == expected

        # 2. The phone page behind the QR code.
        p = phone.new_page()
        p.goto(f"/t/{ticket.token}")
        expect(p.locator(".number")).to_have_text("A001")
        expect(p.locator("body")).to_contain_text("等候中")

        # 3. Reception opens counter 1 and calls the next resident.
        d = desk.new_page()
        d.goto("/admin/login")
        d.fill("#username", "reception")
        d.fill("#password", "hall-demo")
        d.click("button[type=submit]")
        d.locator("#counter-1 button[type=submit]").click()
        expect(d.locator("#waiting-list")).to_contain_text("A001")
        d.locator("#call-next").click()
        expect(d.locator("#now-serving")).to_contain_text("A001")

        # 4. The board shows the call within 2 s and announces it in Chinese, chime first.
        expect(board_page.locator(".calls .call-number").first).to_have_text("A001", timeout=2000)
        board_page.wait_for_function("window.__log.some(e => e.type === 'speak')", timeout=4000)
        log = board_page.evaluate("window.__log")
        speaks = [e for e in log if e["type"] == "speak"]
        assert [s["text"] for s in speaks] == ["请 A001 号 到 1 号窗口"]
        assert any(e["type"] == "play" and e["at"] <= speaks[0]["at"] for e in log)

        # 5. The phone shows the banner and vibrates.
        expect(p.locator(".called-banner")).to_contain_text("请到 1 号窗口", timeout=7000)
        p.wait_for_function("window.__vibrations.length === 1", timeout=2000)

        # 6. Served and finished at the desk.
        d.locator("#now-serving .action-start").click()
        expect(d.locator("#now-serving .status-badge")).to_have_text("办理中")
        d.locator("#now-serving .action-finish").click()
        expect(d.locator("#now-serving")).not_to_contain_text("A001")

        # 7. The resident rates the visit on the phone.
        p.get_by_text("您对今天的服务满意吗？").wait_for(timeout=7000)
        p.get_by_text("满意", exact=True).click()
        p.get_by_role("button", name="提交评价").click()
        expect(p.locator(".rated")).to_be_visible()

        rated = committed_ticket(1)
        assert rated.rating == Rating.satisfied
        db.session.rollback()
        actions = list(db.session.scalars(
            select(TicketEvent.action).where(TicketEvent.ticket_id == rated.id).order_by(TicketEvent.id)))
        db.session.rollback()
        assert actions == ["issue", "call", "start", "finish", "rate"]
    finally:
        for context in (kiosk, phone, board, desk):
            context.close()
