"""Arrival in a real Chromium against gunicorn (CSRF on, real time): a booking made with
booking.book, the kiosk's scanner typing the appointment's URL and Enter (1080×1920) → the ticket
screen; then at the room's console (1920×1080) Call next takes that appointment before a walk-in
who came earlier. Screenshots of the arrival screens and reception's page go to screenshots/."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from arrival_setup import PASSWORD, make_hall
from browser.screens import DESK, SHOTS, log_in
from conftest import BOARD, KIOSK
from playwright.sync_api import expect

from hall import booking, clock, queue
from hall.extensions import db
from hall.models import ExceptionKind, ShiftException

pytestmark = pytest.mark.browser


def slot_now(hall, minutes: int = 5):
    """The start of the slot running now (slots of `minutes` from midnight, local time)."""
    local = clock.local(hall)
    start = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
    return start.astimezone(clock.now().tzinfo)


def book(s, start, phone, name=""):
    return booking.book(s.hall, s.service, start, phone=phone, name=name, at=start - timedelta(days=1)).appointment


def test_scan_at_the_kiosk_then_called_first_at_the_room(browser, live_server, app):
    s = make_hall(slot_minutes=5)
    now = clock.local(s.hall)
    if not (now.hour, now.minute) >= (0, 30) or (now.hour, now.minute) > (23, 20):
        pytest.skip("too close to the hall's midnight for a same-day appointment")
    SHOTS.mkdir(exist_ok=True)
    walk_in = queue.issue_ticket(s.hall, s.service).display_number  # came first
    start = slot_now(s.hall)
    appointment = book(s, start, "13812345678", "张三")
    later = book(s, start + timedelta(minutes=30), "13900001111", "李四")
    missed = book(s, start - timedelta(minutes=30), "13700002222", "王五")
    tomorrow = book(s, start + timedelta(days=1), "13600003333", "赵六")
    token, later_code, room_id, missed_token = appointment.token, later.short_code, s.room.id, missed.token
    tomorrow_code = tomorrow.short_code
    # Let go of the database at once: outside a request every SQLite transaction takes the write
    # lock, and the live server needs it.
    db.session.commit()

    context = browser.new_context(viewport=KIOSK, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/k/arr/arrive")
        expect(page.locator("#scan")).to_be_focused()
        page.screenshot(path=str(SHOTS / "kiosk-arrival.png"))

        # Wrong numbers on the keypad: a clear message, and the scanner's field is ready again.
        for key in "0000" + "123456":
            page.locator(f"[data-code-key='{key}']").click()
        expect(page.locator("#last4")).to_have_value("0000")
        expect(page.locator("#short-code")).to_have_value("123456")
        expect(page.locator("#scan")).to_be_focused()  # taps give the focus back to the scanner
        page.locator("#code-submit").click()
        expect(page.locator("[data-testid=error]")).to_be_visible()
        page.screenshot(path=str(SHOTS / "kiosk-arrival-unknown.png"))
        # The numbers stay to be corrected: ⌫ takes the code's last digit.
        expect(page.locator("#last4")).to_have_value("0000")
        page.locator("[data-code-key=delete]").click()
        expect(page.locator("#short-code")).to_have_value("12345")
        expect(page.locator("#last4")).to_have_value("0000")

        # The scanner types the URL of the appointment's page and Enter.
        expect(page.locator("#scan")).to_be_focused()
        page.keyboard.type(f"{live_server.url}/a/{token}")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/k/arr/arrive/ticket/"))
        number = page.locator("[data-testid=number]").inner_text().strip()
        assert number.startswith("A") and number != walk_in
        expect(page.locator("[data-testid=arrival-room]")).to_contain_text("老傅调解室")
        expect(page.locator(".ticket-qr svg")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= KIOSK["width"]
        page.screenshot(path=str(SHOTS / "kiosk-arrival-ticket.png"))

        # The keypad way, for a later appointment: last 4 digits and the code → its own ticket.
        page.goto(f"{live_server.url}/k/arr/arrive")
        for key in "1111" + later_code:
            page.locator(f"[data-code-key='{key}']").click()
        page.locator("#code-submit").click()
        expect(page).to_have_url(re.compile(r"/k/arr/arrive/ticket/"))
        expect(page.locator("[data-testid=arrival-room]")).to_be_visible()

        # Tomorrow's appointment: the day it is for, not "no appointment matches".
        page.goto(f"{live_server.url}/k/arr/arrive")
        for key in "3333" + tomorrow_code:
            page.locator(f"[data-code-key='{key}']").click()
        page.locator("#code-submit").click()
        expect(page.locator("[data-testid=error]")).to_contain_text("不是今天")
        page.screenshot(path=str(SHOTS / "kiosk-arrival-other-day.png"))

        # Too late: a clear message and one tap to a walk-in ticket for the same service.
        page.goto(f"{live_server.url}/k/arr/arrive")
        page.keyboard.type(missed_token)
        page.keyboard.press("Enter")
        expect(page.locator("[data-testid=walk-in]")).to_be_visible()
        page.screenshot(path=str(SHOTS / "kiosk-arrival-late.png"))
        page.locator("[data-testid=walk-in]").click()
        expect(page).to_have_url(re.compile(r"/k/arr/ticket/"))
        expect(page.locator("[data-testid=number]")).to_be_visible()
    finally:
        context.close()

    # At the room's console, Call next takes the appointment before the earlier walk-in.
    desk = browser.new_context(viewport=BOARD, locale="zh-CN")
    page = desk.new_page()
    try:
        log_in(page, live_server.url, "arr-reception", PASSWORD)
        page.goto(f"{live_server.url}/admin/console/{room_id}")
        rows = page.locator("#waiting-list tbody tr")
        expect(rows.first).to_contain_text(number)
        expect(rows.first.locator(".badge.appointment")).to_be_visible()
        expect(page.locator("#waiting-list")).to_contain_text(walk_in)
        page.locator("#call-next").click()
        expect(page.locator("#now-serving")).to_contain_text(number)
        expect(page.locator("#now-serving")).not_to_contain_text(walk_in)
        page.screenshot(path=str(SHOTS / "admin-console-appointment.png"))
    finally:
        desk.close()


def test_reception_page_checks_in_and_books(browser, live_server, app):
    s = make_hall(slot_minutes=30)
    now = clock.local(s.hall)
    if (now.hour, now.minute) < (0, 30) or now.hour >= 21:
        pytest.skip("too close to the hall's midnight for today's appointments")
    SHOTS.mkdir(exist_ok=True)
    start = slot_now(s.hall, 30) + timedelta(minutes=30)  # the next slot: still open for check-in
    names = ["张三", "李四", "王五", ""]
    made = [book(s, start + timedelta(minutes=30 * i), f"1380000{i:04d}", names[i]) for i in range(4)]
    booking.cancel(made[3], user=s.users["reception"], reason="家中有事")
    # A booking tomorrow that the adviser's leave strands.
    tomorrow = (now + timedelta(days=1)).date()
    stranded = booking.book(s.hall, s.service, slot_now(s.hall, 30) + timedelta(days=1), phone="13700007777",
                            name="赵六", at=clock.now()).appointment
    db.session.add(ShiftException(adviser_id=s.adviser.id, day=tomorrow, kind=ExceptionKind.leave, note="出庭"))
    db.session.flush()
    first_id, stranded_id, adviser_id = made[0].id, stranded.id, s.adviser.id
    db.session.commit()

    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "arr-reception", PASSWORD)
        page.goto(f"{live_server.url}/admin/appointments")
        expect(page.locator(f"#stranded [data-appointment='{stranded_id}']")).to_be_visible()
        row = page.locator(f"#adviser-{adviser_id} tr[data-appointment='{first_id}']")
        row.locator(".action-check-in").click()
        expect(row).to_have_attribute("data-state", "checked_in")
        expect(page.locator("#flash")).to_contain_text("A001")
        # A phone-in request: the check-in code to read out.
        page.fill("#book-phone", "13912345678")
        page.fill("#book-name", "孙七")
        page.locator("#book-submit").click()
        expect(page.locator("[data-testid=check-in-code]")).to_have_text(re.compile(r"^\d{6}$"))
        # A resident phones to cancel tomorrow's booking: found by the last 4 digits, cancelled
        # with a reason, and the search, run again by itself, no longer lists it.
        page.fill("#find-q", "7777")
        with page.expect_request(lambda r: "/admin/appointments/find" in r.url) as sent:
            page.locator("#find-form button[type=submit]").click()
        assert sent.value.method == "POST" and "7777" not in sent.value.url, "no phone in the access log"
        hit = page.locator(f"#find-panel li[data-appointment='{stranded_id}']")
        expect(hit).to_contain_text("赵六")
        hit.locator("summary", has_text="取消").click()
        hit.locator(f"#find-reason-{stranded_id}").fill("群众来电取消")
        hit.locator("button.danger").click()
        expect(page.locator("#flash")).to_contain_text("已取消")
        expect(hit).to_have_count(0)
        expect(page.locator("#find-panel")).to_contain_text("没有找到未办理的预约")
        expect(page.locator(f"#stranded [data-appointment='{stranded_id}']")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
        page.screenshot(path=str(SHOTS / "admin-appointments-1366.png"), full_page=True)
        # Tomorrow's list, to prepare: the cancelled booking is there as cancelled; back to today.
        page.locator("[data-testid=next-day]").click()
        expect(page).to_have_url(re.compile(rf"/admin/appointments\?date={tomorrow.isoformat()}$"))
        expect(page.locator("[data-testid=day-title]")).to_contain_text("明日预约")
        expect(page.locator(f"tr[data-appointment='{stranded_id}']")).to_have_attribute("data-state", "cancelled")
        page.set_viewport_size({"width": 1366, "height": 768})
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        page.screenshot(path=str(SHOTS / "admin-appointments-tomorrow-1366x768.png"))
        page.locator("[data-testid=today]").click()
        expect(page.locator("[data-testid=day-title]")).to_contain_text("今日预约")
    finally:
        context.close()
