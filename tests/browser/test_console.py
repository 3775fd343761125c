"""The reception console in a real Chromium at 1920×1080 against gunicorn (CSRF on, as in
production): log in, choose a counter, see a new ticket arrive by itself, call, start, finish,
transfer to a room. Screenshots go to screenshots/."""
from __future__ import annotations


import pytest
from browser.screens import SHOTS, log_in
from conftest import BOARD
from playwright.sync_api import expect

from hall import queue
from hall.extensions import db

pytestmark = pytest.mark.browser
DESK_SMALL = {"width": 1366, "height": 768}


def issue(hall, code: str, **kwargs) -> str:
    """Issue a ticket as the kiosk would, and let go of the database at once: outside a request
    every SQLite transaction takes the write lock, and the live server needs it."""
    number = queue.issue_ticket(hall, queue.service_by_code(hall, code), **kwargs).display_number
    db.session.commit()
    return number


def test_reception_works_a_counter_live(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    slug = demo.slug
    db.session.commit()
    context = browser.new_context(viewport=BOARD, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login")
        expect(page.locator("h1")).to_have_text("工作人员登录")
        page.screenshot(path=str(SHOTS / "admin-login.png"))
        log_in(page, live_server.url, "reception")
        expect(page.locator("h1")).to_have_text("选择您的窗口")
        expect(page.locator("#counter-3")).to_contain_text("老傅调解室")
        page.screenshot(path=str(SHOTS / "admin-choose-counter.png"))

        page.locator("#counter-1 button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text("1 号窗口")
        expect(page.locator("#now-serving")).to_contain_text("本窗口暂无群众")

        # A ticket taken at the kiosk shows up without a reload (polling).
        first = issue(demo, "A", phone="13812345678")
        expect(page.locator("#waiting-list")).to_contain_text(first, timeout=6000)
        expect(page.locator("#call-next")).to_contain_text("等候 1 人")

        page.locator("#call-next").click()
        expect(page.locator("#now-serving")).to_contain_text(first)
        expect(page.locator("#now-serving .status-badge")).to_have_text("已呼叫")
        expect(page.locator("#flash")).to_contain_text(f"已呼叫 {first}")
        expect(page.locator("#waiting-list")).to_have_count(0)

        # More people arrive: a console with a called ticket and a waiting list, for the screenshot.
        waiting = [issue(demo, "C", priority=True), issue(demo, "D", phone="13900001111"), issue(demo, "A")]
        expect(page.locator("#waiting-list tbody tr")).to_have_count(3, timeout=6000)
        expect(page.locator("#waiting-list tbody tr").first).to_contain_text("绿色通道")
        page.screenshot(path=str(SHOTS / "admin-console.png"))
        # Phones are masked; 显示 shows one whole number in its place (and the audit log has it).
        row = page.locator("#waiting-list tbody tr", has_text=waiting[1])
        expect(row).to_contain_text("139****1111")
        expect(page.locator("#console-live")).not_to_contain_text("13900001111")
        row.locator(".reveal-phone button").click()
        expect(row.locator(".revealed-phone")).to_have_text("13900001111")
        page.screenshot(path=str(SHOTS / "admin-console-phone-shown.png"))

        page.locator("#now-serving .action-start").click()
        expect(page.locator("#now-serving .status-badge")).to_have_text("办理中")
        page.locator("#now-serving .action-finish").click()
        expect(page.locator("#now-serving")).not_to_contain_text(first)
        expect(page.locator("#now-serving")).to_contain_text("本窗口暂无群众")

        # F2 calls the next one: the priority lane first.
        page.keyboard.press("F2")
        expect(page.locator("#now-serving")).to_contain_text(waiting[0])

        # Transfer it to 老傅调解室: it leaves this counter's lists. While the transfer form is
        # open the list holds still, so a poll never throws away what is being typed.
        page.locator("#now-serving details.transfer summary").click()
        late = issue(demo, "A")
        page.wait_for_timeout(3000)
        expect(page.locator("#waiting-list")).not_to_contain_text(late)
        expect(page.locator("#now-serving details.transfer")).to_have_attribute("open", "")
        page.locator("#now-serving select[name=target]").select_option(label="3 号窗口 · 老傅调解室")
        page.locator("#now-serving input[name=note]").fill("邻里纠纷，需调解")
        page.locator("#now-serving .action-transfer").click()
        expect(page.locator("#flash")).to_contain_text(f"{waiting[0]} 已转移")
        expect(page.locator("#now-serving")).not_to_contain_text(waiting[0])
        expect(page.locator("#waiting-list")).not_to_contain_text(waiting[0])
        expect(page.locator("#waiting-list tbody tr")).to_have_count(3)
        expect(page.locator("#waiting-list")).to_contain_text(late)

        # A walk-in registered at the desk: the number to tell, and it joins the list.
        page.locator("#walk-in label.choice", has_text="投诉建议").click()
        page.fill("#walk-in-phone", "13700002222")
        page.locator("#walk-in button[type=submit]").click()
        expect(page.locator("#walk-in .issued-number")).to_have_text("D002")
        expect(page.locator("#waiting-list")).to_contain_text("D002")
        expect(page.locator("#walk-in a", has_text="打印号票")).to_have_attribute(
            "href", __import__("re").compile(rf"/k/{slug}/"))

        # The room's console has it, sent to it by name.
        page.goto(f"{live_server.url}/admin/console")
        page.locator("#counter-3 button[type=submit]").click()
        expect(page.locator("#waiting-list")).to_contain_text(waiting[0])
        expect(page.locator("#waiting-list")).to_contain_text("指定本窗口")

        # A smaller desk screen: still no sideways scrolling.
        page.set_viewport_size(DESK_SMALL)
        page.goto(f"{live_server.url}/admin/console")
        page.locator("#counter-1 button[type=submit]").click()
        expect(page.locator("#call-next")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK_SMALL["width"]
        page.screenshot(path=str(SHOTS / "admin-console-1366.png"))
    finally:
        context.close()


def test_admin_pauses_a_service_and_the_console_says_so(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    db.session.commit()
    context = browser.new_context(viewport=BOARD, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "admin")
        expect(page.locator("h1")).to_have_text("大厅设置")
        page.locator("#service-A button.pause-toggle").click()
        expect(page.locator("#service-A")).to_contain_text("已暂停")
        expect(page.locator("#flash")).to_contain_text("法律咨询 已暂停")
        page.fill("#kiosk_idle_seconds", "5")
        page.locator(".settings-form button[type=submit]").click()
        expect(page.locator("#err-kiosk_idle_seconds")).to_contain_text("15 到 600")
        page.screenshot(path=str(SHOTS / "admin-settings.png"), full_page=True)
    finally:
        context.close()
