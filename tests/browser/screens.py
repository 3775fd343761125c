"""What the browser tests share: where screenshots go, the desk's size, logging in, a kiosk that
counts its prints instead of opening a dialog, and what an elderly resident would notice on a
screen (MEASURE, big_and_clear)."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from conftest import KIOSK

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DESK = {"width": 1366, "height": 900}  # a reception PC

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


def shoot(page, name: str, **options) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), **options)


def big_and_clear(page, where: str, width: int = KIOSK["width"]) -> None:
    """Small targets, small or faint text, sideways scroll: none of them."""
    page.wait_for_load_state("load")  # after a form's POST the message can show before the CSS applies
    found = page.evaluate(MEASURE)
    assert found["small"] == [], where
    assert found["tiny"] == [], where
    assert found["faint"] == [], where
    assert found["scrollWidth"] <= width, where


def log_in(page, base: str, username: str, password: str = "hall-demo") -> None:
    """Through the login form, as staff do; back when the staff menu shows."""
    page.goto(f"{base}/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator(".admin-nav")).to_be_visible()
