"""The booking screens through the test client: every step at the kiosk (/k/…/book) and on a
phone (/p/…/book), htmx fragments, CSRF, bad input (a clear message in the reader's language,
nothing saved), a double submit, the 409 with the nearest times, and the appointment's page with
its calendar file, cancel and move."""
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import func, select

from booking_fixtures import PHONE, booking_hall
from hall import booking, booking_flow as flow
from hall.extensions import db
from hall.models import Appointment, ClosedDay

ZH, EN = "zh_Hans_CN", "en"
HX = {"HX-Request": "true"}


@pytest.fixture
def b(app):
    return booking_hall()


def said(app, msgid, lang=ZH, **values):
    """A message as the reader sees it in a page: in their language, HTML-escaped."""
    with app.test_request_context(), force_locale(lang):
        return str(escape(gettext(msgid, **values)))


def count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Appointment))


def form_value(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def start_of(b, hour, minute=0):
    return flow.start_param(b.at(b.tomorrow(), hour, minute))


def book_form(client, b, hour=9, minute=0, adviser=None, surface="k", **extra):
    """Open the details step of tomorrow's slot and send its form."""
    adviser = adviser or b.fu_id
    page = client.get(f"/{surface}/bk/book/A/details?start={start_of(b, hour, minute)}&adviser={adviser}")
    assert page.status_code == 200, page.text
    data = {"request_key": form_value(page.text, "request_key"), "start": form_value(page.text, "start"),
            "adviser": form_value(page.text, "adviser"), "phone": "138 1234 5678", **extra}
    return data


# ---- the steps ---------------------------------------------------------------------------------

def test_one_bookable_service_goes_straight_to_how_to_choose(client, b):
    response = client.get("/k/bk/book")
    assert response.status_code == 303 and response.headers["Location"].endswith("/k/bk/book/A")
    html = client.get("/k/bk/book/A").text
    for testid in ("by-topic", "by-adviser", "anyone"):
        assert f'data-testid="{testid}"' in html
    assert 'href="/k/bk/book/A/days"' in html


def test_several_bookable_services_are_offered_as_tiles(client, b):
    b.hall.services[1].bookable = True
    db.session.commit()
    html = client.get("/k/bk/book").text
    assert 'data-testid="service-A"' in html and 'data-testid="service-B"' in html
    assert "法律咨询" in html and "矛盾调解" in html


def test_topics_then_the_advisers_for_one(client, b):
    html = client.get("/k/bk/book/A/topics").text
    assert 'data-testid="topic-family"' in html and 'data-testid="topic-labour"' in html
    assert 'data-testid="topic-medical"' not in html  # nobody takes it
    html = client.get("/k/bk/book/A/advisers?topic=family").text
    assert "老傅" in html and "陈律师" not in html and "王顾问" not in html  # inactive
    assert f'href="/k/bk/book/A/days?adviser={b.fu_id}&amp;topic=family"' in html
    assert 'href="/k/bk/book/A/days?topic=family"' in html  # any of them
    assert 'class="avatar-initials">老<' in html  # no photo: the initials
    assert "三十年调解经验" in html and "3 号窗口（老傅调解室）" in html


def test_an_adviser_with_a_photo_shows_it(client, b):
    b.chen.photo, b.chen.photo_type = b"\x89PNG fake", "image/png"
    db.session.commit()
    html = client.get("/k/bk/book/A/advisers").text
    assert f'<img src="/admin/advisers/{b.chen_id}/photo" alt="">' in html
    assert 'class="avatar-initials">老<' in html  # 老傅 has none


def test_days_only_with_free_slots_and_weekday_names(client, b):
    closed = b.tomorrow() + timedelta(days=1)
    db.session.add(ClosedDay(hall_id=b.hall.id, day=closed, name="holiday"))
    db.session.commit()
    html = client.get(f"/k/bk/book/A/days?adviser={b.fu_id}").text
    assert f'data-testid="day-{b.tomorrow().isoformat()}"' in html
    assert f'data-testid="day-{closed.isoformat()}"' not in html
    assert "星期" in html
    assert f'data-testid="day-{(b.tomorrow() + timedelta(days=20)).isoformat()}"' not in html


def test_times_of_anyone_are_grouped_by_adviser(client, b):
    html = client.get(f"/k/bk/book/A/times?day={b.tomorrow().isoformat()}").text
    assert html.count('class="slot-group"') == 2
    assert 'data-testid="time-09:00"' in html and 'data-testid="time-15:30"' in html
    one = client.get(f"/k/bk/book/A/times?day={b.tomorrow().isoformat()}&adviser={b.chen_id}").text
    assert 'data-testid="time-09:00"' not in one and 'data-testid="time-14:00"' in one


def test_a_step_without_its_day_or_time_goes_back_to_the_days(client, b):
    """The kiosk header's language switch keeps the path only: no error page for it."""
    response = client.get("/k/bk/book/A/times?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/k/bk/book/A/days"
    response = client.get("/k/bk/book/A/details?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/k/bk/book/A/days"


def test_every_kiosk_step_has_the_idle_reset(client, b):
    day = b.tomorrow().isoformat()
    for path in ["/k/bk/book/A", "/k/bk/book/A/topics", "/k/bk/book/A/advisers", "/k/bk/book/A/days",
                 f"/k/bk/book/A/times?day={day}", f"/k/bk/book/A/details?start={start_of(b, 9)}&adviser={b.fu_id}",
                 "/k/bk/book/A/times?day=2001-01-01"]:
        html = client.get(path).text
        assert 'data-home-url="/k/bk?lang=zh"' in html, path
        assert f'data-idle-seconds="{b.hall.kiosk_idle_seconds}"' in html, path
        assert "js/kiosk.js" in html and 'id="idle-overlay"' in html, path
        assert "user-scalable=no" in html, path


def test_the_phone_steps_answer_htmx_with_a_fragment(client, b):
    page = client.get("/p/bk/book/A/days")
    assert page.status_code == 200 and "<html" in page.text and 'id="booking"' in page.text
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/p/bk/book/A/days", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-testid="day-' in fragment.text and 'hx-target="#booking"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    # A boosted or history-restore request gets the whole page.
    restore = client.get("/p/bk/book/A/days", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text
    details = client.get(f"/p/bk/book/A/details?start={start_of(b, 14)}&adviser={b.chen_id}").text
    assert 'type="tel"' in details and 'inputmode="tel"' in details and 'id="name"' in details
    assert 'class="keypad"' not in details


def test_the_kiosk_details_step_has_the_keypad_and_a_name_to_skip(client, b):
    html = client.get(f"/k/bk/book/A/details?start={start_of(b, 9)}&adviser={b.fu_id}").text
    assert 'class="keypad"' in html and 'inputmode="none"' in html and "readonly" in html
    assert '<details class="name-pick"' in html and 'name="surname" value="王"' in html
    assert 'name="request_key"' in html and 'id="take-form"' in html


# ---- booking -----------------------------------------------------------------------------------

def test_book_at_the_kiosk_then_the_confirmation_with_code_qr_and_slip(client, b):
    data = book_form(client, b, 9, 30, surname="王", address="ms")
    response = client.post("/k/bk/book/A/details", data=data)
    assert response.status_code == 303
    [a] = db.session.scalars(select(Appointment)).all()
    assert response.headers["Location"] == f"/k/bk/book/done/{a.token}"
    assert a.phone == PHONE and a.name == "王女士" and a.channel == "kiosk" and a.adviser_id == b.fu_id
    assert a.starts_at == b.at(b.tomorrow(), 9, 30)
    html = client.get(response.headers["Location"]).text
    assert f"{a.short_code[:3]}&nbsp;{a.short_code[3:]}" in html
    assert "<svg" in html and 'class="qr"' in html and "print-slip" in html
    assert "09:30–10:00" in html and "3 号窗口（老傅调解室）" in html
    assert PHONE not in html and "1234 5678" not in html
    assert 'data-screen="booking-done"' in html


def test_a_family_name_without_mr_or_ms_is_kept_on_the_booking(client, b):
    response = client.post("/k/bk/book/A/details", data=book_form(client, b, 9, 30, surname="王"))
    assert response.status_code == 303
    [a] = db.session.scalars(select(Appointment)).all()
    assert a.name == "王"


def test_the_name_picker_says_what_to_tap_after_the_family_name(client, b):
    html = client.get(f"/k/bk/book/A/details?start={start_of(b, 9)}&adviser={b.fu_id}&lang=en").text
    assert 'class="name-next"' in html and "Now tap Mr or Ms" in html


def test_a_double_submit_books_once(client, b):
    data = book_form(client, b, 10)
    first = client.post("/k/bk/book/A/details", data=data)
    second = client.post("/k/bk/book/A/details", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count() == 1


def test_book_on_the_phone_ends_on_the_appointment_page(client, b):
    data = book_form(client, b, 14, adviser=b.chen_id, surface="p", name="李雷", phone="139 1234 5678")
    response = client.post("/p/bk/book/A/details", data=data, headers=HX)
    [a] = db.session.scalars(select(Appointment)).all()
    assert response.headers["HX-Redirect"] == f"/a/{a.token}"
    assert a.channel == "phone" and a.name == "李雷"
    plain = client.post("/p/bk/book/A/details", data=data)  # the same key: the same booking
    assert plain.status_code == 303 and plain.headers["Location"] == f"/a/{a.token}"


def test_csrf_is_required(client, b, app):
    data = book_form(client, b, 9)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/k/bk/book/A/details", data=data)
        assert response.status_code == 400
        assert said(app, "This page was open too long. Please reload and try again.") in response.text
        response = client.post("/a/nothing/cancel", headers=HX)
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert count() == 0


@pytest.mark.parametrize("lang", [ZH, EN])
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, b, app, lang):
    q = "?lang=en" if lang == EN else "?lang=zh"
    client.get("/k/bk" + q)
    yesterday = (b.tomorrow() - timedelta(days=2)).isoformat()
    far = (b.tomorrow() + timedelta(days=30)).isoformat()

    # A past day, a day outside the window: the step says so.
    for day in (yesterday, far):
        response = client.get(f"/k/bk/book/A/times?day={day}")
        assert response.status_code == 422
        assert said(app, "That day cannot be booked. Appointments can be made from today up to the last day shown.", lang) in response.text
    # An inactive adviser.
    response = client.get(f"/k/bk/book/A/days?adviser={b.idle_id}")
    assert response.status_code == 422
    assert said(app, "This adviser is not taking appointments now. Please choose another.", lang) in response.text

    data = book_form(client, b, 9)
    # A bad phone: the form again, with what was typed and the message.
    response = client.post("/k/bk/book/A/details", data={**data, "phone": "12345"})
    assert response.status_code == 422
    assert said(app, "Please enter an 11-digit mobile number starting with 1.", lang) in response.text
    assert 'value="12345"' in response.text
    # No phone at all.
    response = client.post("/k/bk/book/A/details", data={**data, "phone": ""})
    assert response.status_code == 422
    assert said(app, "Please enter a mobile number: the booking is found and confirmed with it.", lang) in response.text
    # A slot that does not exist, a time in the past, an inactive adviser.
    response = client.post("/k/bk/book/A/details", data={**data, "start": start_of(b, 9, 17)})
    assert response.status_code == 422
    assert said(app, "There is no appointment at that time. Please choose one of the times offered.", lang) in response.text
    past = flow.start_param(b.at(b.tomorrow() - timedelta(days=2), 9))
    response = client.post("/k/bk/book/A/details", data={**data, "start": past})
    assert response.status_code == 422
    assert said(app, "That day cannot be booked. Appointments can be made from today up to the last day shown.", lang) in response.text
    response = client.post("/k/bk/book/A/details", data={**data, "adviser": str(b.idle_id)})
    assert response.status_code == 422
    assert said(app, "This adviser is not taking appointments now. Please choose another.", lang) in response.text
    response = client.post("/k/bk/book/A/details", data={**data, "start": "soon"})
    assert response.status_code == 422
    # A name too long (the phone's free text).
    response = client.post("/p/bk/book/A/details", data={**data, "name": "名" * 41}, headers=HX)
    assert response.status_code == 422 and "<html" not in response.text
    assert said(app, "A name has at most 40 characters.", lang) in response.text
    assert count() == 0


def test_unknown_hall_service_or_non_bookable_service(client, b, app):
    assert client.get("/k/nowhere/book").status_code == 404
    assert client.get("/p/nowhere/book/A").status_code == 404
    assert client.get("/k/bk/book/Z").status_code == 404
    response = client.get("/k/bk/book/B")
    assert response.status_code == 404
    assert said(app, "This service does not take appointments.") in response.text


def test_a_slot_just_taken_offers_the_nearest_free_times_as_buttons(client, b, app):
    data = book_form(client, b, 9, 30)
    booking.book(b.hall, b.service, b.at(b.tomorrow(), 9, 30), phone="13900000000", adviser_id=b.fu_id)
    response = client.post("/k/bk/book/A/details", data=data)
    assert response.status_code == 409
    assert said(app, "That time has just been taken.") in response.text
    buttons = response.text.count('data-testid="alternative"')
    assert buttons == 3
    assert f'value="{start_of(b, 9)}"' in response.text and f'value="{start_of(b, 10)}"' in response.text
    # One tap on a suggestion books it, with the phone already typed.
    form = response.text[response.text.index('data-testid="taken"'):]
    key = re.search(r'name="request_key" value="([^"]+)"', form).group(1)
    again = client.post("/k/bk/book/A/details", data={"request_key": key, "start": start_of(b, 9),
                                                      "adviser": b.fu_id, "phone": PHONE})
    assert again.status_code == 303 and count() == 2
    # Opening a taken slot's details says the same.
    opened = client.get(f"/k/bk/book/A/details?start={start_of(b, 9, 30)}&adviser={b.fu_id}")
    assert opened.status_code == 409 and 'data-testid="alternative"' in opened.text


# ---- the appointment's page --------------------------------------------------------------------

def booked(b, hour=9, adviser=None, **kw):
    made = booking.book(b.hall, b.service, b.at(b.tomorrow(), hour), phone=PHONE, name="王女士",
                        adviser_id=adviser or b.fu_id, **kw)
    return made.appointment


def test_the_appointment_page_shows_details_masked(client, b):
    a = booked(b)
    html = client.get(f"/a/{a.token}").text
    assert "09:00–09:30" in html and "老傅" in html and "3 号窗口（老傅调解室）" in html
    assert f"{a.short_code[:3]}&nbsp;{a.short_code[3:]}" in html
    assert "138****5678" in html and PHONE not in html and "王女士" not in html and "王**" in html
    assert f'href="/a/{a.token}.ics"' in html and f'/a/{a.token}/move' in html
    assert 'data-status="booked"' in html
    assert 'data-testid="qr"' in html and "<svg" in html  # for the kiosk's scanner


def test_an_unknown_token_gets_a_friendly_404(client, b, app):
    for path in ("/a/nothing", "/a/nothing.ics", "/a/nothing/move"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert said(app, "We could not find this appointment") in response.text
    assert client.post("/a/nothing/cancel").status_code == 404


def test_the_calendar_file(client, b):
    a = booked(b, 15, adviser=b.chen_id)
    response = client.get(f"/a/{a.token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart") == b.at(b.tomorrow(), 15)
    assert event.decoded("dtend") == b.at(b.tomorrow(), 15, 30)
    assert response.data.decode().count("Z\r\n") >= 2  # DTSTART and DTEND in UTC
    assert a.token in str(event["uid"]) and "陈律师" in str(event["summary"])
    assert str(event["location"]) == "枫桥测试中心 5 号窗口"


def test_cancel_frees_the_seat_and_a_second_cancel_is_refused(client, b, app):
    a = booked(b)
    response = client.post(f"/a/{a.token}/cancel", headers=HX)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'data-status="cancelled"' in response.text
    db.session.refresh(a)
    assert a.status.value == "cancelled" and a.seat is None
    slots = client.get(f"/k/bk/book/A/times?day={b.tomorrow().isoformat()}&adviser={b.fu_id}").text
    assert 'data-testid="time-09:00"' in slots  # free again
    again = client.post(f"/a/{a.token}/cancel", headers=HX)
    assert again.status_code == 409 and again.headers["HX-Retarget"] == "#flash"
    assert said(app, "This appointment can no longer be cancelled.") in again.text
    plain = booked(b, 10)
    response = client.post(f"/a/{plain.token}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == f"/a/{plain.token}"


def test_move_to_another_free_slot(client, b, app):
    a = booked(b)
    days = client.get(f"/a/{a.token}/move")
    assert days.status_code == 200 and f'data-testid="day-{b.tomorrow().isoformat()}"' in days.text
    times = client.get(f"/a/{a.token}/move?day={b.tomorrow().isoformat()}", headers=HX)
    assert "<html" not in times.text and 'data-testid="time-14:00"' in times.text
    response = client.post(f"/a/{a.token}/move", data={"start": start_of(b, 14), "adviser": b.chen_id})
    assert response.status_code == 303 and response.headers["Location"] == f"/a/{a.token}?moved=1"
    db.session.refresh(a)
    assert a.starts_at == b.at(b.tomorrow(), 14) and a.adviser_id == b.chen_id
    assert 'data-testid="moved"' in client.get(response.headers["Location"]).text

    # A taken slot: 409 with the nearest times; nothing moved.
    booked(b, 15, adviser=b.chen_id)
    taken = client.post(f"/a/{a.token}/move", data={"start": start_of(b, 15), "adviser": b.chen_id}, headers=HX)
    assert taken.status_code == 409 and 'data-testid="alternative"' in taken.text
    assert said(app, "That time has just been taken.") in taken.text
    # A day outside the window, a slot that does not exist.
    far = client.get(f"/a/{a.token}/move?day={(b.tomorrow() + timedelta(days=30)).isoformat()}")
    assert far.status_code == 422
    nowhere = client.post(f"/a/{a.token}/move", data={"start": start_of(b, 3), "adviser": b.chen_id})
    assert nowhere.status_code == 422
    db.session.refresh(a)
    assert a.starts_at == b.at(b.tomorrow(), 14)

    client.post(f"/a/{a.token}/cancel")
    refused = client.post(f"/a/{a.token}/move", data={"start": start_of(b, 10), "adviser": b.fu_id})
    assert refused.status_code == 409
    assert said(app, "This appointment can no longer be moved.") in refused.text


def test_the_kiosk_home_leads_to_booking_only_where_a_service_takes_appointments(client, b):
    assert 'data-testid="book-entry"' in client.get("/k/bk").text
    for service in b.hall.services:
        service.bookable = False
    db.session.commit()
    assert 'data-testid="book-entry"' not in client.get("/k/bk").text

