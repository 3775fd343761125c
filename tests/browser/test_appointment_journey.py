"""The whole appointment journey in real Chromium windows at their real sizes, against a live
gunicorn server: a resident books at the kiosk (home tile, "anyone", today, the next time, phone
on the keypad) and gets a slip whose QR code is the appointment's page; the phone opens that page;
back at the kiosk the scanner reads the QR code (a keyboard-wedge scanner types the URL and Enter)
and the resident is checked in with a ticket for the adviser's room; at that room's console Call
next takes the appointment before a walk-in who came earlier."""
import re
from datetime import timedelta

import pytest
from arrival_setup import PASSWORD, make_hall
from conftest import BOARD, KIOSK, PHONE
from playwright.sync_api import expect
from sqlalchemy import select

from hall import clock, queue
from hall.extensions import db
from hall.links import qr_svg
from hall.models import Appointment, AppointmentStatus, Ticket

pytestmark = pytest.mark.browser


def committed(token: str) -> tuple[Appointment, Ticket | None]:
    db.session.rollback()  # what the server committed, holding no lock it needs
    appointment = db.session.scalar(select(Appointment).where(Appointment.token == token))
    ticket = appointment.ticket
    db.session.expunge_all()
    db.session.rollback()
    return appointment, ticket


def test_book_at_the_kiosk_follow_on_the_phone_check_in_by_scanner_called_first(browser, live_server, app):
    s = make_hall(slot_minutes=5)
    now = clock.local(s.hall)
    if not (0, 30) <= (now.hour, now.minute) <= (23, 20):
        pytest.skip("too close to the hall's midnight for a same-day appointment")
    # Book today, a few minutes ahead: no minimum notice, so the next 5-minute slot is offered,
    # and its ticket is due (10 minutes before the slot) as soon as it is checked in.
    s.hall.booking_notice_minutes = 0
    walk_in = queue.issue_ticket(s.hall, s.service).display_number  # came before the appointment
    slug, room_id, today = s.hall.slug, s.room.id, clock.local_day(s.hall).isoformat()
    db.session.commit()

    base = live_server.url
    kiosk = browser.new_context(viewport=KIOSK, has_touch=True, base_url=base, locale="zh-CN")
    kiosk.add_init_script("window.print = function () {};")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base, locale="zh-CN")
    desk = browser.new_context(viewport=BOARD, base_url=base, locale="zh-CN")
    try:
        # 1. Kiosk home → 预约咨询 → anyone → today → the first time offered → phone on the keypad.
        k = kiosk.new_page()
        k.goto(f"/k/{slug}")
        k.locator("[data-testid=book-entry]").tap()
        k.wait_for_url(re.compile(rf"/k/{slug}/book/A$"))
        k.locator("[data-testid=anyone]").tap()
        k.locator(f"[data-testid=day-{today}]").tap()
        k.wait_for_url(re.compile(r"/times\?"))
        first_time = k.locator("[data-testid^=time-]").first
        chosen = first_time.get_attribute("data-testid").removeprefix("time-")
        first_time.tap()
        k.wait_for_url(re.compile(r"/details\?"))
        for digit in "13812345678":
            k.locator(f".keypad [data-key='{digit}']").tap()
        k.locator("#take-button").tap()

        # 2. The slip: the check-in code, the time, the room, and a QR code of the appointment's page.
        k.wait_for_url(re.compile(rf"/k/{slug}/book/done/"))
        token = k.url.rsplit("/", 1)[1].split("?")[0]
        appointment, _ = committed(token)
        assert appointment.status == AppointmentStatus.booked and appointment.channel == "kiosk"
        expect(k.locator("[data-testid=time]")).to_contain_text(chosen)
        expect(k.locator("[data-testid=room]")).to_contain_text("老傅调解室")
        code = k.locator("[data-testid=code]").inner_text().replace(" ", "").replace("\xa0", "")
        assert code == appointment.short_code
        drawn = k.locator(".ticket-qr svg.qr path").get_attribute("d")
        expected = re.search(r' d="([^"]+)"', str(qr_svg(f"{base}/a/{token}"))).group(1)
        assert drawn == expected, "the slip's QR code is the appointment's page"

        # 3. The phone opens what the QR code holds: the appointment, booked, with its code.
        p = phone.new_page()
        p.goto(f"/a/{token}")
        expect(p.locator("[data-testid=status]")).to_contain_text("已预约")
        expect(p.locator("[data-testid=code]")).to_contain_text(code[:3])
        assert "13812345678" not in p.content()

        # 4. Back at the kiosk: 我有预约, the scanner types the URL and Enter → checked in.
        k.goto(f"/k/{slug}")
        k.locator("[data-testid=arrival-entry]").tap()
        k.wait_for_url(re.compile(rf"/k/{slug}/arrive"))
        expect(k.locator("#scan")).to_be_focused()
        k.keyboard.type(f"{base}/a/{token}")
        k.keyboard.press("Enter")
        k.wait_for_url(re.compile(rf"/k/{slug}/arrive/ticket/"))
        number = k.locator("[data-testid=number]").inner_text().strip()
        expect(k.locator("[data-testid=arrival-room]")).to_contain_text("老傅调解室")
        appointment, ticket = committed(token)
        assert appointment.status == AppointmentStatus.checked_in and ticket.display_number == number
        assert ticket.target_counter_id == room_id and ticket.due_at <= clock.now() + timedelta(seconds=1)

        # 5. The phone's page now says checked in.
        p.reload()
        expect(p.locator("[data-testid=status]")).to_contain_text("已签到")

        # 6. At the adviser's room, Call next takes the appointment before the earlier walk-in.
        d = desk.new_page()
        d.goto("/admin/login")
        d.fill("#username", f"{slug}-reception")
        d.fill("#password", PASSWORD)
        d.click("button[type=submit]")
        d.goto(f"/admin/console/{room_id}")
        expect(d.locator("#waiting-list tbody tr").first).to_contain_text(number)
        d.locator("#call-next").click()
        expect(d.locator("#now-serving")).to_contain_text(number)
        expect(d.locator("#now-serving")).not_to_contain_text(walk_in)
        p.reload()
        expect(p.locator("[data-testid=status]")).to_contain_text("已呼叫")
    finally:
        kiosk.close()
        phone.close()
        desk.close()
