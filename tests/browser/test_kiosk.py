"""The kiosk in a real Chromium at its real size (portrait 1080×1920, touch)."""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hall import queue
from hall.extensions import db
from hall.models import Ticket

pytestmark = pytest.mark.browser
KIOSK = {"width": 1080, "height": 1920}  # as conftest.KIOSK: portrait touchscreen
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"

# Counts window.print() calls instead of opening a print dialog.
FAKE_PRINT = "window.__printed = 0; window.print = function () { window.__printed += 1; };"

# Everything an elderly resident could notice, measured in the page:
# targets smaller than 60×60, text under 24 px, contrast under 4.5:1, horizontal scroll.
MEASURE = """() => {
  const visible = (el) => {
    if (el.closest('[hidden]')) return false;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const small = [], tiny = [], faint = [];
  for (const el of document.querySelectorAll('a, button, input:not([type=hidden]), label, .tile')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 60 || r.height < 60) small.push(`${el.outerHTML.slice(0, 80)} ${r.width}x${r.height}`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !visible(el) || el.closest('svg, script, style')) continue;
    const s = getComputedStyle(el);
    if (parseFloat(s.fontSize) < 24) tiny.push(`${node.textContent.trim().slice(0, 30)} ${s.fontSize}`);
    const a = lum(rgb(s.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) faint.push(`${node.textContent.trim().slice(0, 30)} ${ratio.toFixed(2)}`);
  }
  const body = getComputedStyle(document.body);
  return {small, tiny, faint, bodyFont: parseFloat(body.fontSize), userSelect: body.userSelect,
          touchAction: body.touchAction, scrollWidth: document.documentElement.scrollWidth,
          viewport: document.querySelector('meta[name=viewport]').content};
}"""


@pytest.fixture
def kiosk(browser, live_server):
    context = browser.new_context(viewport=KIOSK, has_touch=True, base_url=live_server.url,
                                  locale="zh-CN")
    context.add_init_script(FAKE_PRINT)
    page = context.new_page()
    yield page
    context.close()


def tickets():
    """What the server committed, as plain values. Outside a request every SQLite transaction
    here takes the write lock (hall/engine.py), so none may stay open while the server writes."""
    db.session.rollback()
    rows = [SimpleNamespace(display_number=t.display_number, phone=t.phone, priority=t.priority,
                            token=t.token)
            for t in db.session.scalars(select(Ticket).order_by(Ticket.id))]
    db.session.rollback()
    return rows


def shoot(page, name, **options):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), **options)


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
    found = page.evaluate(MEASURE)
    assert found["small"] == [], where
    assert found["tiny"] == [], where
    assert found["faint"] == [], where
    assert found["bodyFont"] >= 24, where
    assert found["scrollWidth"] <= KIOSK["width"], where
    assert found["userSelect"] == "none" and found["touchAction"] == "manipulation", where
    assert "user-scalable=no" in found["viewport"], where
