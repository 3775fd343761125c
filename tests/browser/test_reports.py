"""Residents' own reports in a real Chromium against gunicorn (CSRF on, as in production): the kiosk
at its real size (portrait 1080×1920, touch, the on-screen keypad) from the home screen's entry
to the confirmation with its QR code and slip; every report screen going home when left alone;
a phone (390×844) sending a report with a photo that carries a GPS position (stored without it),
then following it on its page to the rating. Screenshots go to screenshots/."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from browser.screens import big_and_clear, shoot
from conftest import KIOSK, PHONE
from hall import cases
from hall.extensions import db
from hall.models import Case, CasePhoto, CaseStep as S, Submission
from report_data import PHP, has_gps, jpeg, staff, walk

pytestmark = pytest.mark.browser


def submissions():
    """What the server committed, as plain values; no transaction stays open (SQLite's lock)."""
    db.session.rollback()
    rows = [SimpleNamespace(token=s.token, channel=s.channel, number=s.case.number, facts=s.case.facts,
                            parties=[(p.name, p.phone) for p in s.case.parties], case_id=s.case_id)
            for s in db.session.scalars(select(Submission).order_by(Submission.id))]
    db.session.rollback()
    return rows


def pdf_page_mm(pdf: bytes) -> tuple[float, float]:
    """The width and length of a PDF's only page, in millimetres."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, f"{len(boxes)} pages"
    x0, y0, x1, y1 = (float(v) for v in boxes[0])
    return (x1 - x0) * 25.4 / 72, (y1 - y0) * 25.4 / 72


def one_screen(page, where):
    assert page.evaluate("document.documentElement.scrollHeight") <= KIOSK["height"], f"{where}: no vertical scroll"


def test_kiosk_tap_through_a_report_with_the_keypad(kiosk, demo):
    page = kiosk
    page.goto("/k/demo?lang=zh&autoprint=1")  # this kiosk prints by itself (kiosk/views.py)
    one_screen(page, "home")
    page.locator("[data-testid=report-entry]").tap()

    page.wait_for_url(re.compile(r"/k/demo/report$"))
    big_and_clear(page, "kinds")
    one_screen(page, "kinds")
    shoot(page, "report-kiosk-1-kind.png")
    page.locator("[data-testid=kind-complaint]").tap()

    page.wait_for_url(re.compile(r"/k/demo/report/complaint$"))
    assert page.locator("[data-testid^=category-]").count() == 16
    big_and_clear(page, "categories")
    one_screen(page, "categories")
    shoot(page, "report-kiosk-2-category.png")
    page.locator("[data-testid=category-neighbour]").tap()

    page.wait_for_url(re.compile(r"/k/demo/report/complaint/neighbour$"))
    assert page.locator("#panel-describe").is_visible() and not page.locator("#panel-contact").is_visible()
    page.locator("[data-testid=next]").tap()  # nothing chosen: said so, the panel stays
    assert page.locator("#describe-problem").is_visible()
    assert page.locator("#panel-describe").is_visible()
    page.locator("[data-testid='phrase-neighbour.1']").tap()
    page.locator("[data-testid='phrase-complaint.3']").tap()
    assert not page.locator("#describe-problem").is_visible()
    assert page.locator("input[name=phrase]:checked").count() == 2
    big_and_clear(page, "phrases")
    one_screen(page, "phrases")
    shoot(page, "report-kiosk-3-phrases.png")
    page.locator("[data-testid=next]").tap()

    assert page.locator("#panel-contact").is_visible() and not page.locator("#panel-describe").is_visible()
    summary = page.locator("#report-summary").inner_text()
    assert "Water leaking from upstairs" in summary or "楼上漏水" in summary
    page.locator("[data-testid=back]").tap()  # the header's Back: to the phrases, not out of the form
    assert page.locator("#panel-describe").is_visible() and page.url.endswith("/neighbour")
    assert page.locator("input[name=phrase]:checked").count() == 2
    page.locator("[data-testid=next]").tap()
    phone = page.locator("#phone")
    assert phone.get_attribute("readonly") is not None and phone.get_attribute("inputmode") == "none"
    for digit in "13812345678":
        page.locator(f".keypad [data-key='{digit}']").tap()
    assert phone.input_value() == "138 1234 5678"
    big_and_clear(page, "phone")
    one_screen(page, "phone")
    shoot(page, "report-kiosk-4-phone.png")
    page.locator("[data-testid=name-open]").tap()
    page.locator(".surnames label", has_text="王").tap()
    page.locator(".address label").nth(1).tap()
    big_and_clear(page, "phone with the name open")
    shoot(page, "report-kiosk-5-name.png", full_page=True)
    page.locator("#take-button").tap()

    page.wait_for_url(re.compile(r"/k/demo/report/done/"))
    [sent] = submissions()
    assert sent.channel == "kiosk" and page.url.endswith(sent.token)
    assert sent.parties == [("王女士", "13812345678")]
    assert sent.facts.count("；") + sent.facts.count("; ") == 1
    assert page.locator("[data-testid=number]").inner_text() == sent.number
    assert page.locator(".ticket-qr svg.qr path").count() == 1
    content = page.content()
    assert "13812345678" not in content and "1234 5678" not in content and "王女士" not in content
    page.wait_for_function("window.__printed === 1")  # autoprint: the slip printed itself once
    big_and_clear(page, "received")
    one_screen(page, "received")
    shoot(page, "report-kiosk-6-received.png")

    page.emulate_media(media="print")
    assert page.locator(".print-report").is_visible() and not page.locator(".ticket-actions").is_visible()
    assert page.locator(".print-report .print-number").inner_text() == sent.number
    shoot(page, "report-kiosk-7-slip-print.png")
    # On the 80 mm roll the slip is as long as what it prints, not a length of blank paper after it.
    printed = page.evaluate("document.querySelector('.print-report').getBoundingClientRect().height") * 25.4 / 96
    width, length = pdf_page_mm(page.pdf(prefer_css_page_size=True))
    assert round(width) == 80 and printed <= length <= printed + 15, (printed, length)
    page.emulate_media(media="screen")
    page.locator("[data-testid=done]").tap()
    page.wait_for_url(re.compile(r"/k/demo\?lang=zh$"))


def test_every_report_screen_goes_home_when_left_alone(kiosk, demo):
    demo.kiosk_idle_seconds = 2
    demo.ticket_idle_seconds = 2
    db.session.commit()
    page = kiosk
    for step in ["/k/demo/report", "/k/demo/report/inquiry", "/k/demo/report/inquiry/labour"]:
        page.goto(step + "?lang=en")
        page.locator("#idle-overlay").wait_for(state="visible", timeout=4000)
        page.wait_for_url(re.compile(r"/k/demo\?lang=zh$"), timeout=5000)
    page.goto("/k/demo/report/inquiry/labour")
    page.locator("[data-testid='phrase-labour.0']").tap()
    page.locator("[data-testid=next]").tap()
    page.locator("#idle-overlay").wait_for(state="visible", timeout=4000)
    page.wait_for_url(re.compile(r"/k/demo\?lang=zh$"), timeout=5000)
    assert submissions() == [], "left alone, nothing is sent"


def test_phone_sends_a_report_with_a_photo_and_follows_it_to_the_rating(phone, demo, tmp_path):
    page = phone
    picture = tmp_path / "IMG_0001.jpg"
    picture.write_bytes(jpeg((640, 480), gps=True))
    script = tmp_path / "photo.jpg"
    script.write_bytes(PHP)
    page.goto("/p/demo/report?lang=zh")
    shoot(page, "report-phone-1-form.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("[data-testid=kind-complaint]").check()
    page.locator("#category").select_option("neighbour")
    page.locator("#description").fill("<script>alert(1)</script>楼上漏水，天花板发霉。")
    page.locator("#photos").set_input_files(str(script))  # a PHP script named photo.jpg
    page.locator(".photo-previews li").wait_for()
    page.locator("#name").fill("张三丰")
    page.locator("#phone").fill("138 1234 5678")
    page.locator("#take-button").tap()

    page.locator("[data-testid=error-photos]").wait_for()  # refused, the form as it was
    assert page.locator("#description").input_value().endswith("天花板发霉。")
    assert page.evaluate("document.getElementById('photos').files.length") == 1, "the choice stays (hx-preserve)"
    shoot(page, "report-phone-2-refused-photo.png", full_page=True)
    assert submissions() == []
    page.locator(".photo-previews button").tap()  # take the script out again
    assert page.evaluate("document.getElementById('photos').files.length") == 0
    page.locator("#photos").set_input_files(str(picture))
    page.locator(".photo-previews li").wait_for()
    page.locator("#take-button").tap()

    page.wait_for_url(re.compile(r"/r/[\w-]+$"))
    [sent] = submissions()
    assert sent.channel == "phone" and page.url.endswith(sent.token)
    db.session.rollback()
    [photo] = db.session.scalars(select(CasePhoto).where(CasePhoto.case_id == sent.case_id)).all()
    stored = photo.data
    db.session.rollback()
    assert not has_gps(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (640, 480) and not image.getexif()
    assert page.locator("[data-testid=number]").inner_text() == sent.number
    assert page.locator("[data-step=intake][aria-current=step]").count() == 1
    assert page.locator("[data-testid=photos] img").evaluate("img => img.complete && img.naturalWidth") == 640
    content = page.content()
    assert "13812345678" not in content and "张三丰" not in content and "138****5678" in content
    assert page.locator("[data-testid=description]").inner_text().startswith("<script>")  # text, not markup
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "report-phone-3-page.png", full_page=True)

    page.locator("#remark-text").fill("三楼的住户也受影响了。")
    page.locator("[data-testid=remark-send]").tap()
    page.locator(".timeline-entry.by-resident").wait_for()
    assert "三楼的住户也受影响了。" in page.locator("[data-testid=timeline]").inner_text()

    case = db.session.get(Case, sent.case_id)
    users = staff(demo)
    cases.reply(users["admin"], case, "已联系物业，明天上门维修。", public=True)
    walk(case, users, S.rated)
    db.session.rollback()
    page.reload()
    assert page.locator("[data-step=rated][aria-current=step]").count() == 1
    assert "已联系物业，明天上门维修。" in page.locator("[data-testid=timeline]").inner_text()
    shoot(page, "report-phone-4-to-rate.png", full_page=True)
    page.locator("label.choice-satisfied").tap()
    page.locator("#rate-comment").fill("修得很快，谢谢！")
    page.locator("[data-testid=rate-send]").tap()
    page.locator("[data-testid=rated]").wait_for()
    assert page.locator("#report").get_attribute("data-status") == "closed"
    assert page.locator("#report").get_attribute("hx-trigger") is None, "closed: the page stops polling"
    assert page.locator(".loop-done").count() == 6
    shoot(page, "report-phone-5-rated.png", full_page=True)
    db.session.rollback()
    assert db.session.get(Case, sent.case_id).rating.value == "satisfied"
    db.session.rollback()


def test_an_unknown_report_page_is_friendly(phone, demo):
    page = phone
    response = page.goto("/r/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status == 404 and page.locator("[data-testid=unknown]").is_visible()
    shoot(page, "report-phone-6-unknown.png")
