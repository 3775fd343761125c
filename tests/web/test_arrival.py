"""The kiosk's arrival screens through the test client: scan, keypad, too late, unknown code.
Texts are checked in English (?lang=en), the ids and test ids in any language."""
from __future__ import annotations

from datetime import timedelta

import pytest
from arrival_setup import DAY, FrozenClock, local, make_hall
from sqlalchemy import func, select

from hall import booking
from hall.extensions import db
from hall.models import Appointment, AppointmentStatus as A, Ticket


@pytest.fixture
def s(app):
    return make_hall()


@pytest.fixture
def clock_at(monkeypatch, s):
    return FrozenClock(monkeypatch, local(s.hall, DAY, 8, 0))


@pytest.fixture
def en(client):
    client.get("/k/arr?lang=en")
    return client


def book(s, hour, minute=0, phone="13812345678"):
    start = local(s.hall, DAY, hour, minute)
    return booking.book(s.hall, s.service, start, phone=phone, name="张三", at=start - timedelta(days=1)).appointment


def tickets() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_the_arrival_screen_has_a_scanner_field_without_keyboard_and_a_keypad(s, en):
    page = en.get("/k/arr/arrive").get_data(as_text=True)
    assert 'id="scan"' in page and 'inputmode="none"' in page and "autofocus" in page
    scan_field = page.split('id="scan"', 1)[1].split(">", 1)[0]
    assert "readonly" not in scan_field  # the scanner must be able to type into it
    assert 'id="last4"' in page and 'id="short-code"' in page and 'data-code-key="0"' in page
    assert "I have an appointment" in page and "js/arrival.js" in page


def test_the_home_screen_leads_to_check_in_and_booking(s, client):
    page = client.get("/k/arr").text
    assert 'href="/k/arr/arrive"' in page and 'href="/k/arr/book"' in page


def test_scanning_the_url_checks_in_and_shows_the_ticket_with_the_room(s, clock_at, en):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 40))
    response = en.post("/k/arr/arrive/scan", data={"code": f"http://192.168.1.20:5000/a/{appointment.token}"})
    assert response.status_code == 303
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment.id)
    assert appointment.status == A.checked_in
    ticket = appointment.ticket
    assert response.headers["Location"] == f"/k/arr/arrive/ticket/{ticket.token}"
    page = en.get(response.headers["Location"]).get_data(as_text=True)
    assert ticket.display_number in page and 'class="qr"' in page
    assert "Please wait for your call to Window 3 (老傅调解室)" in page
    assert "10:00" in page and 'data-testid="print"' in page
    # A second scan (the resident tries again): the same ticket, no second one.
    again = en.post("/k/arr/arrive/scan", data={"code": appointment.token})
    assert again.headers["Location"] == f"/k/arr/arrive/ticket/{ticket.token}"
    assert tickets() == 1


def test_the_keypad_checks_in_with_last4_and_code(s, clock_at, en):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 40))
    response = en.post("/k/arr/arrive/code", data={"last4": "5678", "short_code": appointment.short_code})
    assert response.status_code == 303 and "/k/arr/arrive/ticket/" in response.headers["Location"]
    assert tickets() == 1


@pytest.mark.parametrize("data", [
    {"last4": "0000", "short_code": "123456"},
    {"last4": "56", "short_code": "1"},
    {"last4": "", "short_code": ""},
    {"last4": "５６７８", "short_code": "x" * 5000},
])
def test_wrong_keypad_numbers_change_nothing(s, clock_at, en, data):
    book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 40))
    response = en.post("/k/arr/arrive/code", data=data)
    assert response.status_code in (404, 422)
    page = response.get_data(as_text=True)
    assert 'data-testid="error"' in page and 'id="scan"' in page
    assert tickets() == 0


def test_the_keypad_says_which_day_an_appointment_of_another_day_is_for(s, clock_at, en, client):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY - timedelta(days=1), 9, 40))  # the day before
    data = {"last4": "5678", "short_code": appointment.short_code}
    response = en.post("/k/arr/arrive/code", data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This appointment is for Wed, Dec 2, 2026 10:00, not today" in page
    assert "No appointment for today matches" not in page and "We could not find" not in page
    assert 'value="5678"' not in page  # nothing to correct: the numbers were right
    client.get("/k/arr?lang=zh")
    page = client.post("/k/arr/arrive/code", data=data).get_data(as_text=True)
    assert "2026年12月2日周三 10:00" in page
    assert tickets() == 0 and db.session.get(Appointment, appointment.id).status == A.booked


def test_the_keypad_says_the_day_of_an_appointment_that_has_passed_and_offers_a_ticket(s, clock_at, en):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY + timedelta(days=1), 9, 40))  # the day after, nobody swept it yet
    response = en.post("/k/arr/arrive/code", data={"last4": "5678", "short_code": appointment.short_code})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This appointment was for Wed, Dec 2, 2026 10:00, and that day has passed" in page
    assert "come back" not in page
    assert "Take a number for Legal advice" in page
    assert tickets() == 0


def test_a_scan_of_a_past_days_appointment_does_not_ask_to_come_back_then(s, clock_at, en):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY + timedelta(days=2), 9, 40))
    page = en.post("/k/arr/arrive/scan", data={"code": appointment.token}).get_data(as_text=True)
    assert "and that day has passed" in page and "come back" not in page


def test_wrong_keypad_numbers_stay_on_the_keypad_to_be_corrected(s, clock_at, en):
    book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 40))
    page = en.post("/k/arr/arrive/code", data={"last4": "5678", "short_code": "000000"}).get_data(as_text=True)
    assert "No appointment for today matches" in page
    assert 'value="5678"' in page and 'value="000000"' in page
    assert 'class="arrival-code chosen"' in page
    # Only digits come back, never more than each field holds.
    page = en.post("/k/arr/arrive/code", data={"last4": "<b>12345", "short_code": "1234567x"}).get_data(as_text=True)
    assert 'value="1234"' in page and 'value="123456"' in page and "<b>" not in page


@pytest.mark.parametrize("code", ["", "garbage", "http://evil/a/" + "y" * 22, "<b>x</b>" * 100])
def test_an_unknown_scan_says_so(s, clock_at, en, code):
    book(s, 10)
    clock_at.set(local(s.hall, DAY, 9, 40))
    response = en.post("/k/arr/arrive/scan", data={"code": code})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We could not find this appointment" in page and "<b>x</b>" not in page
    assert tickets() == 0


def test_too_late_offers_a_walk_in_ticket_for_the_service(s, clock_at, en):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 10, 30))
    response = en.post("/k/arr/arrive/scan", data={"code": appointment.token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The appointment time has passed" in page
    assert 'action="/k/arr/s/A"' in page and "Take a number for Legal advice" in page
    assert tickets() == 0
    key = page.split('name="request_key" value="', 1)[1].split('"', 1)[0]
    taken = en.post("/k/arr/s/A", data={"request_key": key})
    assert taken.status_code == 303 and tickets() == 1


def test_unknown_hall_is_the_kiosks_404(s, en):
    assert en.get("/k/nope/arrive").status_code == 404
    assert en.post("/k/nope/arrive/scan", data={"code": "x"}).status_code == 404


def test_an_ordinary_ticket_has_no_arrival_screen(s, clock_at, en):
    from hall import queue
    ticket = queue.issue_ticket(s.hall, s.service)
    assert en.get(f"/k/arr/arrive/ticket/{ticket.token}").status_code == 404


def test_csrf_is_required(s, clock_at, app):
    import re
    from conftest import SECRET
    from hall import create_app
    appointment = book(s, 10)
    token, appointment_id = appointment.token, appointment.id
    checked_in_at = local(s.hall, DAY, 9, 40)
    db.session.close()  # the test's own session must not hold SQLite's write lock meanwhile
    strict = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "SECRET_KEY": SECRET, "WTF_CSRF_ENABLED": True})
    clock_at.set(checked_in_at)
    with strict.app_context():
        client = strict.test_client()
        refused = client.post("/k/arr/arrive/scan", data={"code": token})
        assert refused.status_code == 400
        assert db.session.get(Appointment, appointment_id).status == A.booked
        page = client.get("/k/arr/arrive").get_data(as_text=True)
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        accepted = client.post("/k/arr/arrive/scan", data={"code": token, "csrf_token": form_token})
        assert accepted.status_code == 303
        db.session.remove()
        strict_engine = db.engine
        strict_engine.dispose()
    db.session.expire_all()
    assert db.session.get(Appointment, appointment_id).status == A.checked_in
