"""Reception's appointments page through the test client: roles, the live list (304 while still),
check in by hand, cancel with a reason, phone-in booking, rearranging stranded bookings, the
no-show sweep, and the console's 预约 marker. Texts checked in English (?lang=en)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from arrival_setup import DAY, FrozenClock, local, make_hall
from conftest import as_user
from sqlalchemy import func, select

from hall import booking, queue
from hall.extensions import db
from hall.models import Appointment, AppointmentStatus as A, ExceptionKind, ShiftException, Ticket

HX = {"HX-Request": "true"}


@pytest.fixture
def s(app):
    return make_hall()


@pytest.fixture
def clock_at(monkeypatch, s):
    return FrozenClock(monkeypatch, local(s.hall, DAY, 9, 0))


@pytest.fixture
def desk(client, s):
    as_user(client, s.users["reception"])
    return client


def book(s, hour, minute=0, phone="13812345678", day=DAY):
    start = local(s.hall, day, hour, minute)
    return booking.book(s.hall, s.service, start, phone=phone, name="张三", at=start - timedelta(days=1)).appointment


def fresh(appointment) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# ---- roles ---------------------------------------------------------------------------------

def routes(appointment_id: int):
    return [("GET", "/admin/appointments"), ("GET", "/admin/appointments/book"),
            ("POST", "/admin/appointments/book"), ("POST", f"/admin/appointments/{appointment_id}/check-in"),
            ("POST", f"/admin/appointments/{appointment_id}/cancel"),
            ("POST", f"/admin/appointments/{appointment_id}/move"), ("POST", "/admin/appointments/sweep")]


def test_anonymous_is_sent_to_log_in(s, clock_at, client):
    appointment = book(s, 10)
    for method, url in routes(appointment.id):
        as_user(client, None)
        response = client.open(url, method=method)
        assert response.status_code in (302, 303) and "/admin/login" in response.headers["Location"], url
        response = client.open(url, method=method, headers=HX)
        assert response.status_code == 401 and "/admin/login" in response.headers["HX-Redirect"], url
    assert fresh(appointment).status == A.booked


def test_a_mediator_without_an_adviser_is_refused_everything(s, clock_at, client):
    appointment = book(s, 10)
    for method, url in routes(appointment.id):
        as_user(client, s.users["mediator"])
        assert client.open(url, method=method, data={"reason": "x"}).status_code == 403, url
    assert fresh(appointment).status == A.booked


def test_a_linked_mediator_reads_their_own_list_only(s, clock_at, client):
    book(s, 10)
    s.adviser.user_id = s.users["mediator"].id
    db.session.commit()
    as_user(client, s.users["mediator"])
    page = client.get("/admin/appointments").get_data(as_text=True)
    assert "傅律师" in page and "10:00" in page
    assert "action-check-in" not in page and "book-panel" not in page
    assert client.post("/admin/appointments/sweep").status_code == 403


@pytest.mark.parametrize("role", ["reception", "admin"])
def test_reception_and_admin_see_todays_list(s, clock_at, client, role):
    book(s, 10)
    book(s, 10, 30, phone="13900001111")
    book(s, 11, day=DAY + timedelta(days=1))  # tomorrow: not listed
    as_user(client, s.users[role])
    response = client.get("/admin/appointments")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "傅律师" in page and "10:00–10:30" in page and "10:30–11:00" in page and "11:00–11:30" not in page
    assert page.count('data-state="booked"') == 2 and "13900001111" in page
    assert 'id="book-panel"' in page
    assert 'href="/admin/appointments" aria-current="page"' in page, "in the staff menu"


def test_the_live_list_answers_304_until_something_changes(s, clock_at, desk):
    appointment = book(s, 10)
    first = desk.get("/admin/appointments", headers=HX)
    assert first.status_code == 200 and "HX-Request" in first.headers["Vary"]
    assert "<html" not in first.get_data(as_text=True) and 'id="appointments-live"' in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert desk.get("/admin/appointments", headers={**HX, "If-None-Match": etag}).status_code == 304
    booking.check_in(appointment)
    changed = desk.get("/admin/appointments", headers={**HX, "If-None-Match": etag})
    assert changed.status_code == 200 and 'data-state="checked_in"' in changed.get_data(as_text=True)


# ---- check in, cancel ------------------------------------------------------------------------

def test_check_in_by_hand_shows_the_ticket_number(s, clock_at, desk):
    appointment = book(s, 10)
    response = desk.post(f"/admin/appointments/{appointment.id}/check-in", headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    ticket = fresh(appointment).ticket
    assert ticket is not None and ticket.target_counter_id == s.room.id
    assert f"Checked in: ticket {ticket.display_number}, to wait for Window 3 (老傅调解室)." in page
    assert 'hx-swap-oob="innerHTML"' in page and 'data-state="checked_in"' in page
    again = desk.post(f"/admin/appointments/{appointment.id}/check-in", headers=HX)
    assert again.status_code == 409 and count(Ticket) == 1


def test_check_in_without_htmx_redirects_with_the_message(s, clock_at, desk):
    appointment = book(s, 10)
    response = desk.post(f"/admin/appointments/{appointment.id}/check-in")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/appointments"
    page = desk.get("/admin/appointments").get_data(as_text=True)
    assert f"ticket {fresh(appointment).ticket.display_number}" in page


def test_a_late_check_in_by_hand_is_refused(s, clock_at, desk):
    appointment = book(s, 10)
    clock_at.set(local(s.hall, DAY, 10, 20))
    response = desk.post(f"/admin/appointments/{appointment.id}/check-in", headers=HX)
    assert response.status_code == 409 and "The appointment time has passed" in response.get_data(as_text=True)
    assert count(Ticket) == 0


def test_cancel_needs_a_reason(s, clock_at, desk):
    appointment = book(s, 10)
    for reason in ("", "   "):
        response = desk.post(f"/admin/appointments/{appointment.id}/cancel", data={"reason": reason}, headers=HX)
        assert response.status_code == 422 and "reason" in response.get_data(as_text=True)
        assert fresh(appointment).status == A.booked
    response = desk.post(f"/admin/appointments/{appointment.id}/cancel", data={"reason": "x" * 201}, headers=HX)
    assert response.status_code == 422 and fresh(appointment).status == A.booked
    response = desk.post(f"/admin/appointments/{appointment.id}/cancel", data={"reason": "律师临时出庭"}, headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "was cancelled" in page and "律师临时出庭" in page and 'data-state="cancelled"' in page
    cancelled = fresh(appointment)
    assert cancelled.status == A.cancelled and cancelled.cancelled_by_id == s.users["reception"].id


def test_another_halls_appointment_is_not_found(s, clock_at, desk):
    other = make_hall("other", users=False)
    appointment = book(other, 10)
    for action in ("check-in", "cancel", "move"):
        response = desk.post(f"/admin/appointments/{appointment.id}/{action}", data={"reason": "x"}, headers=HX)
        assert response.status_code == 404
    assert desk.post("/admin/appointments/999999/check-in", headers=HX).status_code == 404
    assert fresh(appointment).status == A.booked and count(Ticket) == 0


# ---- phone-in booking ------------------------------------------------------------------------

def test_book_a_phone_in_request_gives_the_code_to_read_out(s, clock_at, desk):
    form = desk.get(f"/admin/appointments/book?service={s.service.id}&day={DAY.isoformat()}", headers=HX)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    start = local(s.hall, DAY, 10)
    option = f"{start.isoformat()}@{s.adviser.id}"
    assert option in html and ">09:30 ·" not in html.split('id="book-slot"', 1)[1].split("</select>", 1)[0]
    response = desk.post("/admin/appointments/book", headers=HX, data={
        "service": s.service.id, "day": DAY.isoformat(), "slot": option, "name": "李四", "phone": "139 0000 2222",
        "request_key": "k" * 20})
    assert response.status_code == 200
    made = db.session.scalar(select(Appointment).where(Appointment.phone == "13900002222"))
    assert made.channel == "phone" and made.booked_by_id == s.users["reception"].id and made.starts_at == start
    page = response.get_data(as_text=True)
    assert made.short_code in page and 'data-testid="check-in-code"' in page
    assert 'id="appointments-live"' in page and 'hx-swap-oob="true"' in page  # the list refreshes too
    # The same form again (a double click): the same booking.
    desk.post("/admin/appointments/book", headers=HX, data={
        "service": s.service.id, "slot": option, "phone": "13900002222", "request_key": "k" * 20})
    assert count(Appointment) == 1


@pytest.mark.parametrize("change, status", [
    ({"phone": "12345"}, 422),
    ({"phone": ""}, 422),
    ({"slot": "yesterday@1"}, 422),
    ({"slot": ""}, 422),
    ({"slot": "2026-12-02T10:07:00+08:00@1"}, 422),   # no slot starts then
    ({"slot": "2025-12-02T10:00:00+08:00@1"}, 422),   # the past
    ({"service": "999999"}, 422),
    ({"name": "名" * 41}, 422),
])
def test_bad_booking_input_changes_nothing(s, clock_at, desk, change, status):
    data = {"service": s.service.id, "slot": f"{local(s.hall, DAY, 10).isoformat()}@{s.adviser.id}",
            "phone": "13900002222", "name": ""}
    data.update(change)
    if "@1" in data["slot"]:
        data["slot"] = data["slot"].replace("@1", f"@{s.adviser.id}")
    response = desk.post("/admin/appointments/book", headers=HX, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert 'class="message message-error"' in response.get_data(as_text=True)
    assert count(Appointment) == 0


def test_a_taken_slot_says_so_with_nearby_times(s, clock_at, desk):
    book(s, 10)
    response = desk.post("/admin/appointments/book", headers=HX, data={
        "service": s.service.id, "slot": f"{local(s.hall, DAY, 10).isoformat()}@{s.adviser.id}",
        "phone": "13900002222"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "just been taken" in page and "Free times nearby" in page and "12-02 10:30" in page
    assert count(Appointment) == 1


# ---- stranded bookings -----------------------------------------------------------------------

def test_a_booking_stranded_by_leave_is_listed_and_can_be_moved(s, clock_at, desk):
    tomorrow = DAY + timedelta(days=1)
    appointment = book(s, 10, day=tomorrow)
    db.session.add(ShiftException(adviser_id=s.adviser.id, day=tomorrow, kind=ExceptionKind.leave,
                                  starts_at=time(9), ends_at=time(12), note="出庭"))  # local wall-clock
    db.session.commit()
    page = desk.get("/admin/appointments").get_data(as_text=True)
    assert 'id="stranded"' in page and "Needs rearranging" in page
    stranded = page.split('id="stranded"', 1)[1].split("</section>", 1)[0]
    assert f'data-appointment="{appointment.id}"' in stranded
    new_start = local(s.hall, tomorrow, 14)
    assert f"{new_start.isoformat()}@{s.adviser.id}" in stranded
    bad = desk.post(f"/admin/appointments/{appointment.id}/move", data={"slot": "nonsense"}, headers=HX)
    assert bad.status_code == 422 and fresh(appointment).starts_at == local(s.hall, tomorrow, 10)
    response = desk.post(f"/admin/appointments/{appointment.id}/move", headers=HX,
                         data={"slot": f"{new_start.isoformat()}@{s.adviser.id}"})
    assert response.status_code == 200 and "Moved to 12-03 14:00" in response.get_data(as_text=True)
    assert fresh(appointment).starts_at == new_start
    assert 'id="stranded"' not in response.get_data(as_text=True)


# ---- no-shows --------------------------------------------------------------------------------

def test_the_page_sweeps_no_shows_by_a_post_of_its_own(s, clock_at, desk):
    missed = book(s, 9)
    clock_at.set(local(s.hall, DAY, 9, 20))
    page = desk.get("/admin/appointments", headers=HX).get_data(as_text=True)
    # Shown as a no-show at once, though the GET writes nothing...
    assert 'data-state="no_show"' in page and fresh(missed).status == A.booked
    # ...and it asks for the sweep, a POST.
    assert 'hx-post="/admin/appointments/sweep"' in page and 'hx-trigger="load"' in page
    assert desk.post("/admin/appointments/sweep", headers=HX).status_code == 204
    assert fresh(missed).status == A.no_show
    page = desk.get("/admin/appointments", headers=HX).get_data(as_text=True)
    assert 'hx-post="/admin/appointments/sweep"' not in page


def test_the_sweep_command(s, clock_at, app):
    missed = book(s, 9)
    clock_at.set(local(s.hall, DAY, 9, 20))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["appointments", "sweep", "arr"])
    assert result.exit_code == 0 and "arr: 1 no-show(s)" in result.output
    assert fresh(missed).status == A.no_show
    result = app.test_cli_runner().invoke(args=["appointments", "sweep", "nope"])
    assert result.exit_code != 0


# ---- the console -----------------------------------------------------------------------------

def test_the_console_marks_appointment_tickets_with_their_slot(s, clock_at, desk):
    appointment = book(s, 10)
    walk = queue.issue_ticket(s.hall, s.service)
    clock_at.set(local(s.hall, DAY, 9, 55))
    ticket = booking.check_in(appointment)
    page = desk.get(f"/admin/console/{s.room.id}", headers=HX).get_data(as_text=True)
    rows = page.split('id="waiting-list"', 1)[1]
    first = rows.split("<tr", 2)[2]
    assert ticket.display_number in first.split("</tr>", 1)[0]
    assert "Appointment 10:00" in first.split("</tr>", 1)[0]
    assert walk.display_number in rows and rows.count("Appointment 10:00") == 1


# ---- finding a booking for a resident on the phone ------------------------------------------

def test_find_a_booking_by_mobile_last_four_or_code_and_cancel_it_from_the_results(s, clock_at, desk):
    later = book(s, 10, day=DAY + timedelta(days=3))                       # a later day: not on today's list
    today = book(s, 11, phone="13900001111")
    gone = book(s, 14, day=DAY + timedelta(days=1))
    booking.cancel(gone)  # by the resident

    def found(q):
        page = desk.post("/admin/appointments/find", data={"q": q}, headers=HX)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="find-panel"' in html and "<html" not in html
        return html

    html = found("13812345678")
    assert f'data-appointment="{later.id}"' in html and f'data-appointment="{today.id}"' not in html
    assert f'data-appointment="{gone.id}"' not in html, "cancelled bookings are not offered"
    assert f'data-appointment="{today.id}"' in found("1111") and f'data-appointment="{later.id}"' not in found("1111")
    assert f'data-appointment="{later.id}"' in found(later.short_code)
    assert "No open booking matches." in found("0000")
    assert "Please enter 11 digits" in found("12")
    # without htmx: the page itself, with the results
    response = desk.post("/admin/appointments/find", data={"q": "5678"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f'data-appointment="{later.id}"' in page and 'id="appointments-live"' in page
    assert 'value="5678"' in page
    # by POST only: a mobile number in a URL lands in the access log
    assert desk.get("/admin/appointments/find?q=13812345678").status_code == 405
    assert f'data-appointment="{later.id}"' not in desk.get("/admin/appointments?q=5678").get_data(as_text=True)
    form = desk.get("/admin/appointments").get_data(as_text=True).split('id="find-form"', 1)
    assert 'method="post"' in form[0].rsplit("<form", 1)[1] and 'hx-post="/admin/appointments/find"' in form[1].split(">", 1)[0]

    response = desk.post(f"/admin/appointments/{later.id}/cancel", data={"reason": "群众来电取消"}, headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "appointments-changed"
    assert fresh(later).status == A.cancelled and fresh(later).cancel_reason == "群众来电取消"
    assert f'data-appointment="{later.id}"' not in found("5678"), "the search, run again, no longer lists it"


def test_a_failed_action_does_not_refresh_the_search(s, clock_at, desk):
    later = book(s, 10, day=DAY + timedelta(days=3))
    response = desk.post(f"/admin/appointments/{later.id}/cancel", data={"reason": ""}, headers=HX)
    assert response.status_code >= 400 and "HX-Trigger" not in response.headers
    assert fresh(later).status == A.booked


# ---- another day -----------------------------------------------------------------------------

TOMORROW = (DAY + timedelta(days=1)).isoformat()


def live_url(page: str) -> str:
    return page.split('id="appointments-live"', 1)[1].split('hx-get="', 1)[1].split('"', 1)[0]


def test_reception_looks_at_tomorrows_bookings_to_prepare(s, clock_at, desk):
    book(s, 10)
    coming = book(s, 11, phone="13900001111", day=DAY + timedelta(days=1))
    response = desk.get(f"/admin/appointments?date={TOMORROW}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tomorrow's appointments" in page and "2026-12-03 Thu" in page
    assert "11:00–11:30" in page and "10:00–10:30" not in page and "13900001111" in page
    assert page.count('data-state="booked"') == 1
    # Not checked in before its day; moved or cancelled, and the answer is tomorrow's list again.
    assert "action-check-in" not in page
    assert f'/admin/appointments/{coming.id}/cancel?date={TOMORROW}' in page
    assert f'/admin/appointments/{coming.id}/move?date={TOMORROW}' in page
    assert live_url(page) == f"/admin/appointments?date={TOMORROW}"  # it polls tomorrow's list
    # The day before and after, the date picker, and the way back to today.
    assert 'href="/admin/appointments" rel="prev"' in page  # the day before is today
    assert 'href="/admin/appointments?date=2026-12-04" rel="next"' in page
    assert 'type="date" id="day-pick" name="date" value="2026-12-03"' in page
    assert 'data-testid="today"' in page


def test_an_action_on_another_days_list_answers_with_that_days_list(s, clock_at, desk):
    book(s, 10)
    coming = book(s, 11, phone="13900001111", day=DAY + timedelta(days=1))
    response = desk.post(f"/admin/appointments/{coming.id}/cancel?date={TOMORROW}",
                         data={"reason": "律师外出"}, headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-state="cancelled"' in page and "律师外出" in page and "10:00–10:30" not in page
    assert live_url(page) == f"/admin/appointments?date={TOMORROW}"
    assert fresh(coming).status == A.cancelled
    # Without htmx, back to that day's page.
    other = book(s, 14, phone="13700002222", day=DAY + timedelta(days=1))
    plain = desk.post(f"/admin/appointments/{other.id}/cancel?date={TOMORROW}", data={"reason": "改期"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/admin/appointments?date={TOMORROW}"


def test_the_search_and_booking_keep_the_day_being_looked_at(s, clock_at, desk):
    coming = book(s, 11, phone="13900001111", day=DAY + timedelta(days=1))
    page = desk.get(f"/admin/appointments?date={TOMORROW}").get_data(as_text=True)
    assert f'action="/admin/appointments/find?date={TOMORROW}"' in page  # the search form
    assert f'action="/admin/appointments/book?date={TOMORROW}"' in page
    found = desk.post(f"/admin/appointments/find?date={TOMORROW}", data={"q": "1111"}, headers=HX).get_data(as_text=True)
    assert f'/admin/appointments/{coming.id}/cancel?date={TOMORROW}' in found


def test_the_live_list_of_each_day_has_its_own_etag(s, clock_at, desk):
    book(s, 10)
    today = desk.get("/admin/appointments", headers=HX)
    tomorrow = desk.get(f"/admin/appointments?date={TOMORROW}", headers={**HX, "If-None-Match": today.headers["ETag"]})
    assert tomorrow.status_code == 200 and "No appointments on this day." in tomorrow.get_data(as_text=True)


def test_a_past_day_shows_who_did_not_come_and_offers_no_check_in(s, clock_at, desk):
    missed = book(s, 10, day=DAY)
    clock_at.set(local(s.hall, DAY + timedelta(days=2), 9, 0))
    page = desk.get("/admin/appointments?date=2026-12-02").get_data(as_text=True)
    assert "Appointments of the day" in page and "2026-12-02 Wed" in page
    assert f'data-appointment="{missed.id}" data-state="no_show"' in page
    assert "action-check-in" not in page and f"/admin/appointments/{missed.id}/cancel" not in page


@pytest.mark.parametrize("raw", ["garbage", "2026-13-01", "0001-01-01", "9999-12-31", "<script>"])
def test_a_date_that_cannot_be_read_shows_today_with_a_message(s, clock_at, desk, raw):
    book(s, 10)
    response = desk.get("/admin/appointments", query_string={"date": raw})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "That is not a date we can show. Here is today." in page
    assert "Today's appointments" in page and "10:00–10:30" in page and "<script>" not in page


def test_a_linked_mediator_reads_another_day_of_their_own_list(s, clock_at, client):
    book(s, 11, day=DAY + timedelta(days=1))
    s.adviser.user_id = s.users["mediator"].id
    db.session.commit()
    as_user(client, s.users["mediator"])
    page = client.get(f"/admin/appointments?date={TOMORROW}").get_data(as_text=True)
    assert "11:00–11:30" in page and "action-check-in" not in page and f"move?date={TOMORROW}" not in page
