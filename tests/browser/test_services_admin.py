"""The administrator manages the hall's services and counters in a real Chromium at the desk's
1366×768: adds a service with its icon and English name, gives it to a counter, sees its tile on
the kiosk (1080×1920); retires it, and the kiosk's tile goes by itself. Screenshots of the
settings page's sections and the kiosk go to screenshots/."""
from __future__ import annotations

import pytest
from browser.screens import FAKE_PRINT, SHOTS, log_in
from conftest import KIOSK, counter
from playwright.sync_api import expect

from hall import queue
from hall.extensions import db

pytestmark = pytest.mark.browser
DESK_SMALL = {"width": 1366, "height": 768}


def test_admin_adds_a_service_gives_it_a_counter_and_retires_it(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    slug = demo.slug
    db.session.commit()
    desk = browser.new_context(viewport=DESK_SMALL, locale="zh-CN")
    kiosk_context = browser.new_context(viewport=KIOSK, has_touch=True, locale="zh-CN")
    kiosk_context.add_init_script(FAKE_PRINT)
    page, kiosk = desk.new_page(), kiosk_context.new_page()
    try:
        log_in(page, live_server.url, "admin")
        page.goto(f"{live_server.url}/admin/settings")
        # add: the code, both names, the icon chosen by looking at it, the minutes
        page.locator("#service-add > summary").click()
        page.fill("#service-new-code", "e")
        page.fill("#service-new-name_zh", "心理咨询")
        page.fill("#service-new-name_en", "Counselling")
        page.locator("#service-add label.icon-option", has_text="握手").click()
        page.fill("#service-new-default_minutes", "20")
        page.locator("#service-add").screenshot(path=str(SHOTS / "admin-settings-add-service-1366.png"))
        page.locator("#service-add .place-form button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text("已添加 心理咨询")
        row = page.locator("#service-E")
        expect(row).to_contain_text("心理咨询")
        expect(row).to_contain_text("Counselling")
        expect(row).to_contain_text("还没有窗口办理该事项")
        expect(page.locator("#booking-E")).to_contain_text("心理咨询"), "the booking rows of the form follow"
        # up two places from the keyboard: the arrow keeps the focus after each move
        page.locator("#service-E button.move-up").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#flash")).to_contain_text("心理咨询 已上移")
        expect(page.locator(".services-list > li").nth(3)).to_have_id("service-E")
        expect(page.locator("#service-E button.move-up")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".services-list > li").nth(2)).to_have_id("service-E")
        # counter 1 serves it too
        page.locator("#counter-row-1 details.place-edit > summary").click()
        page.locator("#counter-row-1 label.check", has_text="心理咨询").click()
        page.locator("#counter-row-1").screenshot(path=str(SHOTS / "admin-settings-counter-edit-1366.png"))
        page.locator("#counter-row-1 .place-form button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text("1 号窗口已保存")
        expect(page.locator("#counter-row-1 .place-meta")).to_contain_text("E 心理咨询")
        expect(page.locator("#service-E .place-meta")).to_contain_text("办理窗口")
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK_SMALL["width"]
        page.screenshot(path=str(SHOTS / "admin-settings-1366.png"))
        page.locator("#places").screenshot(path=str(SHOTS / "admin-settings-services-1366.png"))
        page.locator("#api-limit").screenshot(path=str(SHOTS / "admin-settings-api-limit-1366.png"))
        page.locator("#case-settings").screenshot(path=str(SHOTS / "admin-settings-cases-1366.png"))

        # the kiosk shows its tile, with the handshake icon
        kiosk.goto(f"{live_server.url}/k/{slug}")
        tile = kiosk.locator(".tile[data-service=E]")
        expect(tile).to_contain_text("心理咨询")
        expect(tile).to_contain_text("Counselling")
        expect(tile.locator("svg")).to_be_visible()
        assert kiosk.locator(".tile").evaluate_all("ts => ts.map(t => t.dataset.service)") == ["A", "B", "E", "C", "D"]
        kiosk.screenshot(path=str(SHOTS / "kiosk-home-new-service.png"))

        # a visit of it is finished: now it is used, so it is retired, not deleted
        db.session.expire_all()
        ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "E"), check_hours=False)
        assert queue.call_next(counter(demo, 1)).id == ticket.id
        queue.finish(ticket)
        db.session.commit()
        page.reload()
        page.locator("#service-E button.retire").click()
        expect(page.locator("#flash")).to_contain_text("心理咨询 已停用")
        expect(page.locator(".retired-list #service-E")).to_contain_text("已停用")
        expect(page.locator("#counter-row-1 .place-meta")).not_to_contain_text("心理咨询")
        expect(page.locator("#booking-E")).to_have_count(0)
        # the kiosk's tile goes by itself at its next poll
        expect(kiosk.locator(".tile[data-service=E]")).to_have_count(0, timeout=30000)
        expect(kiosk.locator(".tile[data-service=A]")).to_be_visible()
    finally:
        desk.close()
        kiosk_context.close()
