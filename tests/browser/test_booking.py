"""The booking screens in a real Chromium: the kiosk at its real size (portrait 1080×1920,
touch, the on-screen keypad) and a phone (390×844) from the poster's QR code to the
appointment's page and a cancel."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking_fixtures import booking_hall
from browser.screens import big_and_clear, shoot
from conftest import PHONE
from hall.extensions import db
from hall.models import Appointment

pytestmark = pytest.mark.browser


def appointments():
    """What the server committed, as plain values; no transaction stays open (SQLite's lock)."""
    db.session.rollback()
    rows = [SimpleNamespace(token=a.token, phone=a.phone, name=a.name, status=a.status.value,
                            adviser_id=a.adviser_id, short_code=a.short_code, channel=a.channel)
            for a in db.session.scalars(select(Appointment).order_by(Appointment.id))]
    db.session.rollback()
    return rows


def test_kiosk_tap_through_a_whole_booking_with_the_keypad(kiosk, app):
    b = booking_hall()
    page = kiosk
    page.goto("/k/bk?lang=zh&autoprint=1")  # this kiosk prints by itself (kiosk/views.py)
    page.goto("/k/bk/book")
    page.wait_for_url(re.compile(r"/k/bk/book/A$"))  # one bookable service: straight on
    big_and_clear(page, "how")
    shoot(page, "booking-kiosk-1-how.png")

    page.locator("[data-testid=by-topic]").tap()
    page.wait_for_url(re.compile(r"/topics$"))
    big_and_clear(page, "topics")
    shoot(page, "booking-kiosk-2-topics.png")
    page.locator("[data-testid=topic-family]").tap()
    page.wait_for_url(re.compile(r"/advisers\?topic=family$"))
    assert page.locator(".adviser-card").count() == 2  # anyone of them, and 老傅 (王顾问 is inactive)
    assert page.locator(".avatar-initials").nth(1).inner_text() == "老"
    big_and_clear(page, "advisers")
    shoot(page, "booking-kiosk-3-advisers.png")
    page.locator(f"[data-testid=adviser-{b.fu_id}]").tap()

    page.wait_for_url(re.compile(r"/days\?"))
    big_and_clear(page, "days")
    shoot(page, "booking-kiosk-4-days.png")
    tomorrow = b.tomorrow().isoformat()
    page.locator(f"[data-testid=day-{tomorrow}]").tap()
    page.wait_for_url(re.compile(r"/times\?"))
    page.locator(".kiosk-lang a[lang=en]").tap()  # the language switch keeps the day and adviser
    page.wait_for_url(re.compile(r"/times\?.*day=.*lang=en"))
    assert "Choose a time" in page.locator("h1").inner_text()
    page.locator(".kiosk-lang a[lang=zh-CN]").tap()
    page.wait_for_url(re.compile(r"/times\?.*lang=zh"))
    big_and_clear(page, "times")
    shoot(page, "booking-kiosk-5-times.png")
    page.locator("[data-testid='time-09:30']").tap()

    page.wait_for_url(re.compile(r"/details\?"))
    phone = page.locator("#phone")
    assert phone.get_attribute("readonly") is not None and phone.get_attribute("inputmode") == "none"
    for digit in "13812345678":
        page.locator(f".keypad [data-key='{digit}']").tap()
    assert phone.input_value() == "138 1234 5678"
    big_and_clear(page, "details")
    shoot(page, "booking-kiosk-6-phone.png")
    page.locator("[data-testid=name-open]").tap()
    page.locator(".surnames label", has_text="王").tap()
    page.locator(".address label").nth(1).tap()
    big_and_clear(page, "details with the name open")
    shoot(page, "booking-kiosk-7-name.png", full_page=True)
    page.locator("#take-button").tap()

    page.wait_for_url(re.compile(r"/k/bk/book/done/"))
    [booked] = appointments()
    assert booked.phone == "13812345678" and booked.name == "王女士" and booked.adviser_id == b.fu_id
    assert booked.channel == "kiosk" and page.url.endswith(booked.token)
    code = page.locator("[data-testid=code]").inner_text().replace("\xa0", "").replace(" ", "")
    assert code == booked.short_code and len(code) == 6
    assert page.locator(".ticket-qr svg.qr path").count() == 1
    assert "09:30" in page.locator("[data-testid=time]").inner_text()
    assert "老傅调解室" in page.locator("[data-testid=room]").inner_text()
    assert "13812345678" not in page.content() and "1234 5678" not in page.content()
    page.wait_for_function("window.__printed === 1")  # autoprint: the slip printed itself once
    big_and_clear(page, "done")
    shoot(page, "booking-kiosk-8-done.png")

    page.emulate_media(media="print")
    assert page.locator(".print-slip").is_visible()
    assert not page.locator(".ticket-actions").is_visible()
    assert page.locator(".print-code").inner_text().replace(" ", "") == booked.short_code
    shoot(page, "booking-kiosk-9-slip-print.png")
    page.emulate_media(media="screen")
    page.locator("[data-testid=done]").tap()
    page.wait_for_url(re.compile(r"/k/bk\?lang=zh$"))


def test_kiosk_a_double_tap_books_once(kiosk, app):
    b = booking_hall()
    page = kiosk
    start = b.at(b.tomorrow(), 14).strftime("%Y-%m-%dT%H:%MZ")
    page.goto(f"/k/bk/book/A/details?start={start}&adviser={b.chen_id}")
    for digit in "13912345678":
        page.locator(f".keypad [data-key='{digit}']").tap()
    page.evaluate("() => { const b = document.getElementById('take-button'); b.click(); b.click(); }")
    page.wait_for_url(re.compile(r"/k/bk/book/done/"))
    assert len(appointments()) == 1


def test_every_booking_step_goes_home_when_left_alone(kiosk, app):
    b = booking_hall()
    b.hall.kiosk_idle_seconds = 2
    b.hall.ticket_idle_seconds = 2
    db.session.commit()
    tomorrow = b.tomorrow().isoformat()
    start = b.at(b.tomorrow(), 9).strftime("%Y-%m-%dT%H:%MZ")
    steps = ["/k/bk/book/A", "/k/bk/book/A/topics", "/k/bk/book/A/advisers", "/k/bk/book/A/days",
             f"/k/bk/book/A/times?day={tomorrow}", f"/k/bk/book/A/details?start={start}&adviser={b.fu_id}",
             "/k/bk/book/A/times?day=2001-01-01"]
    page = kiosk
    for step in steps:
        page.goto(step + ("&" if "?" in step else "?") + "lang=en")
        page.locator("#idle-overlay").wait_for(state="visible", timeout=4000)
        page.wait_for_url(re.compile(r"/k/bk\?lang=zh$"), timeout=5000)


def test_phone_book_open_the_appointment_page_and_cancel(phone, app):
    b = booking_hall()
    page = phone
    page.goto("/p/bk/book?lang=zh")
    page.wait_for_url(re.compile(r"/p/bk/book/A$"))
    shoot(page, "booking-phone-1-how.png", full_page=True)
    page.locator("[data-testid=anyone]").tap()
    page.wait_for_url(re.compile(r"/p/bk/book/A/days"))  # htmx swapped the step and kept the address
    shoot(page, "booking-phone-2-days.png", full_page=True)
    page.locator(f"[data-testid=day-{b.tomorrow().isoformat()}]").tap()
    page.wait_for_url(re.compile(r"/times\?"))
    assert page.locator(".slot-group").count() == 2  # anyone: grouped by adviser
    shoot(page, "booking-phone-3-times.png", full_page=True)
    page.locator("[data-testid='time-14:00']").tap()
    page.wait_for_url(re.compile(r"/details\?"))
    assert page.locator("#phone").get_attribute("inputmode") == "tel"
    page.locator("#phone").fill("139 1234 5678")
    page.locator("#name").fill("李雷")
    shoot(page, "booking-phone-4-details.png", full_page=True)
    page.locator("#take-button").tap()

    page.wait_for_url(re.compile(r"/a/[\w-]+$"))
    [booked] = appointments()
    assert booked.channel == "phone" and booked.adviser_id == b.chen_id and booked.name == "李雷"
    assert page.locator("[data-testid=code]").inner_text().replace("\xa0", "") == booked.short_code
    assert "139****5678" in page.content() and "13912345678" not in page.content()
    assert "李雷" not in page.content()  # masked: 李*
    assert page.locator("[data-testid=ics]").get_attribute("href").endswith(".ics")
    shoot(page, "booking-phone-5-appointment.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("[data-testid=cancel]").tap()
    page.locator("[data-testid=cancel-yes]").wait_for()
    shoot(page, "booking-phone-6-cancel-ask.png", full_page=True)
    page.locator("[data-testid=cancel-yes]").tap()
    page.locator(".appointment.status-cancelled").wait_for()
    shoot(page, "booking-phone-7-cancelled.png", full_page=True)
    assert [a.status for a in appointments()] == ["cancelled"]


def test_phone_move_to_another_time(phone, app):
    b = booking_hall()
    from hall import booking
    booked = booking.book(b.hall, b.service, b.at(b.tomorrow(), 9), phone="13812345678", adviser_id=b.fu_id)
    token = booked.appointment.token
    db.session.commit()
    page = phone
    page.goto(f"/a/{token}?lang=zh")
    page.locator("[data-testid=move]").tap()
    page.wait_for_url(re.compile(r"/move$"))
    page.locator(f"[data-testid=day-{b.tomorrow().isoformat()}]").tap()
    page.wait_for_url(re.compile(r"/move\?day="))
    shoot(page, "booking-phone-8-move.png", full_page=True)
    page.locator("[data-testid='time-10:00']").first.tap()
    page.wait_for_url(re.compile(r"moved=1"))
    assert "10:00" in page.locator("[data-testid=time]").inner_text()
    shoot(page, "booking-phone-9-moved.png", full_page=True)
