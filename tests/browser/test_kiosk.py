"""The kiosk in a real Chromium at its real size (portrait 1080×1920, touch)."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from browser.screens import MEASURE, shoot
from conftest import KIOSK
from hall import queue
from hall.extensions import db
from hall.models import Ticket

pytestmark = pytest.mark.browser


def tickets():
    """What the server committed, as plain values. Outside a request every SQLite transaction
    here takes the write lock (hall/engine.py), so none may stay open while the server writes."""
    db.session.rollback()
    rows = [SimpleNamespace(display_number=t.display_number, phone=t.phone, priority=t.priority,
                            token=t.token)
            for t in db.session.scalars(select(Ticket).order_by(Ticket.id))]
    db.session.rollback()
    return rows


def test_tap_a_tile_type_a_phone_and_take_a_ticket_with_a_qr_code(kiosk, demo):
    page = kiosk
    page.goto("/k/demo?lang=zh&autoprint=1")
    shoot(page, "kiosk-home.png")
    page.locator("[data-service=A]").tap()
    page.wait_for_url(re.compile(r"/k/demo/s/A$"))

    phone = page.locator("#phone")
    assert phone.get_attribute("readonly") is not None and phone.get_attribute("inputmode") == "none"
    for digit in "138123412345":  # one too many: the keypad stops at 11
        page.locator(f".keypad [data-key='{digit}']").tap()
    assert phone.input_value() == "138 1234 1234"
    page.locator("[data-key=delete]").tap()
    assert phone.input_value() == "138 1234 123"
    page.locator("[data-key='4']").tap()
    page.locator("label.priority").tap()
    assert page.locator("#priority").is_checked()
    shoot(page, "kiosk-service.png")

    page.locator("#take-button").tap()
    page.wait_for_url(re.compile(r"/k/demo/ticket/"))
    assert page.locator(".ticket-number").inner_text() == "A001"
    assert page.locator(".ticket-qr svg.qr path").count() == 1
    assert "扫码查看排队进度" in page.locator(".ticket-qr").inner_text()
    assert "13812341234" not in page.content() and "1234 1234" not in page.content()
    # Autoprint was switched on for this kiosk: the ticket printed itself once on arrival.
    page.wait_for_function("window.__printed === 1")
    shoot(page, "kiosk-ticket.png")

    [ticket] = tickets()
    assert ticket.display_number == "A001" and ticket.phone == "13812341234" and ticket.priority
    assert page.url.endswith(ticket.token)

    # The print-out holds only the ticket, black on white.
    page.emulate_media(media="print")
    assert page.locator(".print-ticket").is_visible()
    assert not page.locator(".ticket-actions").is_visible()
    assert not page.locator(".kiosk-header").is_visible()
    assert page.locator(".print-number").inner_text() == "A001"
    assert page.locator(".print-ticket svg.qr").is_visible()
    shoot(page, "kiosk-ticket-print.png")
    page.emulate_media(media="screen")

    page.locator("[data-testid=print]").tap()
    assert page.evaluate("window.__printed") == 2
    page.locator("[data-testid=done]").tap()
    page.wait_for_url(re.compile(r"/k/demo\?lang=zh$"))


def test_a_double_tap_on_take_issues_one_ticket(kiosk, demo):
    page = kiosk
    page.goto("/k/demo/s/B")
    page.locator("#take-button").dblclick()
    page.wait_for_url(re.compile(r"/k/demo/ticket/"))
    assert page.locator(".ticket-number").inner_text() == "B001"
    assert len(tickets()) == 1

    # Two taps within one frame, before the first can disable the button.
    page.goto("/k/demo/s/B")
    page.evaluate("() => { const b = document.getElementById('take-button'); b.click(); b.click(); }")
    page.wait_for_url(re.compile(r"/k/demo/ticket/"))
    assert page.locator(".ticket-number").inner_text() == "B002"
    assert [t.display_number for t in tickets()] == ["B001", "B002"]


def test_the_step_screen_warns_then_returns_home_in_chinese(kiosk, demo):
    demo.kiosk_idle_seconds = 3
    db.session.commit()
    page = kiosk
    page.goto("/k/demo/s/A?lang=en")
    overlay = page.locator("#idle-overlay")
    overlay.wait_for(state="visible", timeout=4000)
    assert "More time" in overlay.inner_text()
    assert re.search(r"\b[12]\b", page.locator("#idle-count").inner_text())
    page.locator("#idle-more").tap()  # more time: the overlay goes, the page stays
    assert overlay.is_hidden()
    page.wait_for_timeout(800)
    assert page.url.endswith("/k/demo/s/A?lang=en")

    page.wait_for_url(re.compile(r"/k/demo\?lang=zh$"), timeout=6000)
    assert "请选择您要办理的事项" in page.locator("h1").inner_text()
    assert len(tickets()) == 0


def test_the_ticket_screen_goes_home_after_its_own_idle_time(kiosk, demo):
    demo.kiosk_idle_seconds, demo.ticket_idle_seconds = 600, 2
    db.session.commit()
    page = kiosk
    page.goto("/k/demo/s/D")
    page.locator("#take-button").tap()
    page.wait_for_url(re.compile(r"/k/demo/ticket/"))
    page.locator("#idle-overlay").wait_for(state="visible", timeout=3000)
    page.wait_for_url(re.compile(r"/k/demo\?lang=zh$"), timeout=5000)
    assert page.locator(".ticket-number").count() == 0


def test_every_screen_is_big_clear_and_fits(kiosk, demo):
    page = kiosk
    for _ in range(2):  # people ahead, so the ticket shows the wait too
        queue.issue_ticket(demo, queue.service_by_code(demo, "C"))
    screens = ["/k/demo?lang=zh", "/k/demo/s/A", "/k/demo?lang=en", "/k/demo/s/B", "/k/nowhere"]
    for path in screens:
        page.goto(path)
        check(page, path)
    page.goto("/k/demo/s/C?lang=zh")
    page.locator("#take-button").tap()
    page.wait_for_url(re.compile(r"/k/demo/ticket/"))
    check(page, page.url)
    page.goto("/k/demo/s/C")
    page.locator("[data-key='5']").tap()
    page.locator("#take-button").tap()  # a bad number: the step again, with the message
    page.locator("[data-testid=error]").wait_for()
    check(page, "422 step")


def check(page, where):
    page.wait_for_load_state("load")  # after a form's POST the message can show before the CSS applies
    found = page.evaluate(MEASURE)
    assert found["small"] == [], where
    assert found["tiny"] == [], where
    assert found["faint"] == [], where
    assert found["bodyFont"] >= 24, where
    assert found["scrollWidth"] <= KIOSK["width"], where
    assert found["userSelect"] == "none" and found["touchAction"] == "manipulation", where
    assert "user-scalable=no" in found["viewport"], where
