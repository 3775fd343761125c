"""Rosters in a real Chromium against gunicorn (CSRF on, as in production): an administrator adds
an adviser and a weekly range in place, sees it in the week view, prints the week on one A4
landscape page; the kiosk home at 1080×1920 shows 今日值班. Screenshots go to screenshots/."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from browser.screens import DESK, MEASURE, SHOTS, log_in
from hall import clock, rosters
from hall.extensions import db

pytestmark = pytest.mark.browser
KIOSK = {"width": 1080, "height": 1920}


def test_admin_adds_an_adviser_and_a_range_in_place_and_sees_the_week(browser, live_server, demo, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    today = clock.local_day(demo)
    next_monday = today - timedelta(days=today.isoweekday() - 1) + timedelta(days=7)
    db.session.commit()
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        log_in(page, live_server.url, "admin")
        page.locator(".admin-nav a[href='/admin/rosters']").click()
        expect(page.locator("#advisers .adviser-card")).to_have_count(4)
        expect(page.locator("#advisers")).to_contain_text("傅国强")
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
        page.screenshot(path=str(SHOTS / "admin-rosters.png"), full_page=True)
        page.evaluate("window.__stayed = true")  # gone if anything reloads the page

        # Add an adviser: the form opens in place, the list takes the new card.
        page.locator("#add-adviser").click()
        form = page.locator("#adviser-new form")
        expect(form).to_be_visible()
        form.locator("button[type=submit]").click()  # empty: refused, marked, nothing saved
        expect(form.locator("#err-new-name")).to_be_visible()
        form.locator("#new-name").fill("王志明")
        form.locator("#new-kind").select_option("legal_literate")
        form.locator("#new-counter_id").select_option(label="4 号窗口 · 潘大姐调解室")
        form.locator("input[name=services]").first.check()
        form.locator("input[name=specialties][value=neighbour]").check()
        form.locator("#new-intro").fill("小区楼长，热心调解邻里纠纷。")
        page.screenshot(path=str(SHOTS / "admin-rosters-add.png"), full_page=True)
        form.locator("button[type=submit]").click()
        card = page.locator("#advisers .adviser-card", has_text="王志明")
        expect(card).to_be_visible()
        expect(page.locator("#advisers .adviser-card")).to_have_count(5)
        expect(page.locator("#adviser-new form")).to_have_count(0)

        # Edit in place: the card becomes its form and back.
        card.locator(".action-edit").click()
        editing = page.locator(".adviser-card.editing")
        expect(editing).to_be_visible()
        editing.locator("textarea[name=intro]").fill("小区楼长。")
        editing.locator(".action-save").click()
        expect(page.locator(".adviser-card.editing")).to_have_count(0)
        expect(page.locator("#advisers .adviser-card", has_text="王志明")).to_be_visible()
        assert page.evaluate("window.__stayed === true")

        # The adviser's own page: a weekly range added in place, changed, and one deleted.
        page.locator("#advisers .adviser-card", has_text="王志明").locator(".action-roster").click()
        expect(page.locator("#shifts")).to_be_visible()
        page.evaluate("window.__stayed = true")
        page.select_option("#add-weekday", "2")
        page.fill("#add-starts_at", "09:00")
        page.fill("#add-ends_at", "11:30")
        page.fill("#add-valid_from", next_monday.isoformat())
        page.locator("#shifts .action-add").click()
        expect(page.locator("#shifts table tbody tr")).to_have_count(1)
        expect(page.locator("#shifts table")).to_contain_text("09:00–11:30")
        # a clashing range: refused with the reason, nothing added
        page.select_option("#add-weekday", "2")
        page.fill("#add-starts_at", "11:00")
        page.fill("#add-ends_at", "12:00")
        page.fill("#add-valid_from", next_monday.isoformat())
        page.locator("#shifts .action-add").click()
        expect(page.locator("#err-add-starts_at")).to_be_visible()
        expect(page.locator("#shifts table tbody tr")).to_have_count(1)
        # a second range, then change it in place
        page.select_option("#add-weekday", "4")
        page.fill("#add-starts_at", "14:00")
        page.fill("#add-ends_at", "16:00")
        page.fill("#add-valid_from", next_monday.isoformat())
        page.locator("#shifts .action-add").click()
        expect(page.locator("#shifts table tbody tr")).to_have_count(2)
        row = page.locator("#shifts tbody tr", has_text="14:00–16:00")
        row.locator(".action-edit").click()
        edit = page.locator("#shifts tr.editing")
        expect(edit).to_be_visible()
        edit.locator("input[name=ends_at]").fill("17:00")
        edit.locator(".action-save").click()
        expect(page.locator("#shifts table")).to_contain_text("14:00–17:00")
        page.screenshot(path=str(SHOTS / "admin-roster-adviser.png"), full_page=True)
        page.locator("#shifts tbody tr", has_text="14:00–17:00").locator(".action-delete").click()  # confirmed
        expect(page.locator("#shifts table tbody tr")).to_have_count(1)
        assert page.evaluate("window.__stayed === true")

        # Leave on one day.
        page.fill("#x-day", (next_monday + timedelta(days=3)).isoformat())
        page.fill("#x-note", "年假")
        page.locator("#exceptions button.action-add").click()
        expect(page.locator("#exceptions table")).to_contain_text("年假")

        # The week: the new range, by day, with the way to the weeks around it.
        page.goto(f"{live_server.url}/admin/rosters/week?start={next_monday.isoformat()}")
        line = page.locator("#week tbody tr", has_text="王志明")
        expect(line.locator("th")).to_contain_text("潘大姐调解室")  # the usual room
        tuesday = line.locator(f"td[data-day='{(next_monday + timedelta(days=1)).isoformat()}']")
        expect(tuesday).to_have_text("09:00–11:30")
        expect(line.locator(f"td[data-day='{(next_monday + timedelta(days=3)).isoformat()}']")).to_have_text("")
        expect(page.locator(f"#day-{(next_monday + timedelta(days=1)).isoformat()}")).to_contain_text(
            (next_monday + timedelta(days=1)).strftime("%m-%d"))
        expect(page.locator("#week-previous")).to_have_attribute("href", re.compile(
            (next_monday - timedelta(days=7)).isoformat()))
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
        page.screenshot(path=str(SHOTS / "admin-roster-week.png"), full_page=True)
        page.locator("#week-next").click()
        expect(page.locator(".week-title")).to_contain_text((next_monday + timedelta(days=7)).isoformat())
        page.go_back()

        # Printed: one A4 landscape page, no staff menu.
        page.emulate_media(media="print")
        assert not page.locator(".admin-bar").is_visible()
        pdf = tmp_path / "week.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            assert re.search(r"Pages:\s+1\b", info), info
            width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
            assert width > height and abs(width - 841.9) < 2 and abs(height - 595.3) < 2  # A4 landscape
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf),
                            str(SHOTS / "admin-roster-week-print")], check=True)
    finally:
        context.close()


def test_the_kiosk_home_shows_who_is_on_duty_today(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    today = clock.local_day(demo)
    fu = rosters.advisers(demo)[0]
    if not any(s.weekday == today.isoweekday() for s in fu.shifts):  # a weekend: on duty anyway
        rosters.save_shift(fu, {"weekday": str(today.isoweekday()), "starts_at": "09:00", "ends_at": "17:00",
                                "valid_from": today.isoformat()})
    db.session.commit()
    context = browser.new_context(viewport=KIOSK, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/k/{demo.slug}")
        panel = page.locator("#on-duty")
        expect(panel).to_be_visible()
        expect(panel.locator("h2")).to_have_text("今日值班")
        expect(panel).to_contain_text("傅国强")
        expect(panel).to_contain_text("老傅调解室")
        expect(panel.locator(".on-duty-times").first).to_contain_text(re.compile(r"\d\d:\d\d–\d\d:\d\d"))
        found = page.evaluate(MEASURE)
        assert found["scrollWidth"] <= KIOSK["width"]
        assert not found["tiny"], found["tiny"]
        assert not found["faint"], found["faint"]
        box = panel.bounding_box()
        assert box["y"] + box["height"] <= KIOSK["height"], "the panel fits the screen without scrolling"
        assert page.evaluate("document.documentElement.scrollHeight") <= KIOSK["height"], \
            "tiles, appointment entries and the panel all fit one kiosk screen"
        page.screenshot(path=str(SHOTS / "kiosk-home-on-duty.png"))
        # In English the tiles' names take two lines: the panel gives way and scrolls inside,
        # the page stays one screen high.
        page.goto(f"{live_server.url}/k/{demo.slug}?lang=en")
        expect(panel.locator("h2")).to_have_text("On duty today")
        assert page.evaluate("document.documentElement.scrollHeight") <= KIOSK["height"], "one screen in English too"
        assert panel.evaluate("e => e.scrollHeight > e.clientHeight && getComputedStyle(e).overflowY === 'auto'")
        page.screenshot(path=str(SHOTS / "kiosk-home-on-duty-en.png"))
    finally:
        context.close()


@pytest.mark.parametrize("link, title, path", [("#poster-link", "扫码预约", "book"),
                                                ("#report-poster-link", "扫码反映问题", "report")])
def test_each_poster_prints_on_one_a4_page_with_its_qr_code(browser, live_server, demo, tmp_path, link, title, path):
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "admin")
        page.goto(f"{live_server.url}/admin/settings")
        page.locator(link).click()
        expect(page.locator("#poster h2")).to_have_text(title)
        qr = page.locator("#poster svg.qr").bounding_box()
        assert qr["width"] > 350, "big enough to scan from an arm's length"
        page.screenshot(path=str(SHOTS / f"admin-{path}-poster.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.locator(".admin-bar").is_visible() and not page.locator(".poster-tools").is_visible()
        pdf = tmp_path / "poster.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            assert re.search(r"Pages:\s+1\b", info), info
            width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
            assert height > width and abs(width - 595.3) < 2  # A4 portrait
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            assert demo.name in text and f"{live_server.url}/p/{demo.slug}/{path}" in text
    finally:
        context.close()
