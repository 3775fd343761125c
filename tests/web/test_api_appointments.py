"""Appointments through the JSON API: slots, booking, reading, cancelling, and refusals."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from appointment_data import adviser, bookable
from sqlalchemy import func, select

from hall import clock
from hall.extensions import db
from hall.models import Appointment

EVERY_DAY = [(d, time(9), time(11)) for d in range(1, 8)]


def appointments() -> int:
    return db.session.scalar(select(func.count(Appointment.id)))


@pytest.fixture
def service(demo):
    return bookable(demo, "E")


@pytest.fixture
def lawyer(demo, service):
    return adviser(demo, service, ranges=EVERY_DAY, counter=demo.counters[3])


@pytest.fixture
def tomorrow(demo):
    return clock.local_day(demo) + timedelta(days=1)


def nine(demo, day) -> str:
    return datetime.combine(day, time(9), tzinfo=clock.zone(demo)).isoformat()


def book(client, demo, day, **body):
    return client.post("/api/v1/halls/demo/appointments",
                       json={"service": "E", "start": nine(demo, day), "phone": "13812345678", **body})


def test_services_say_which_are_bookable(client, demo, service):
    listed = {s["code"]: s for s in client.get("/api/v1/halls/demo/services").get_json()}
    assert listed["E"]["bookable"] is True and listed["E"]["slot_minutes"] == 30
    assert listed["C"]["bookable"] is False and listed["C"]["slot_minutes"] is None


def test_slots_of_a_day_with_adviser_and_free_seats(client, demo, lawyer, tomorrow):
    found = client.get(f"/api/v1/halls/demo/slots?service=E&date={tomorrow}").get_json()

    assert [s["start"] for s in found] == [nine(demo, tomorrow).replace("09:00", t) for t in
                                           ("09:00", "09:30", "10:00", "10:30")]
    assert found[0]["start"].endswith("+08:00") and found[0]["end"].endswith("09:30:00+08:00")
    assert {(s["adviser"], s["adviser_name"], s["free"]) for s in found} == {(lawyer.id, "陈律师", 1)}
    assert client.get(f"/api/v1/halls/demo/slots?service=E&date={tomorrow}&adviser={lawyer.id + 1}").get_json() == []
    for bad in ("x", "%C2%B2", "0"):
        assert client.get(f"/api/v1/halls/demo/slots?service=E&date={tomorrow}&adviser={bad}").status_code == 422


def test_booking_answers_201_and_the_token_reads_and_cancels_it(client, demo, lawyer, tomorrow):
    made = book(client, demo, tomorrow, name="张三")

    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["status"] == "booked" and body["adviser"]["id"] == lawyer.id
    assert body["room"] == {"number": demo.counters[3].number, "name": demo.counters[3].name}
    assert body["start"] == nine(demo, tomorrow) and len(body["check_in_code"]) == 6
    assert "13812345678" not in made.get_data(as_text=True)
    assert made.headers["Location"] == f"/api/v1/appointments/{body['token']}"
    assert body["status_url"].endswith(f"/a/{body['token']}")

    assert client.get(f"/api/v1/appointments/{body['token']}").get_json()["status"] == "booked"
    cancelled = client.delete(f"/api/v1/appointments/{body['token']}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.delete(f"/api/v1/appointments/{body['token']}").status_code == 409
    assert book(client, demo, tomorrow, phone="13900000000").status_code == 201  # the seat is free again


def test_the_last_seat_taken_answers_409_with_the_nearest_free_times(client, demo, lawyer, tomorrow):
    assert book(client, demo, tomorrow).status_code == 201

    refused = book(client, demo, tomorrow, phone="13900000000")

    assert refused.status_code == 409
    body = refused.get_json()
    assert body["status"] == 409 and "刚" in body["error"]
    assert [s["start"][11:16] for s in body["alternatives"]] == ["09:30", "10:00", "10:30"]
    assert appointments() == 1


@pytest.mark.parametrize("change, status", [
    ({"phone": "12345"}, 422),
    ({"phone": None}, 422),
    ({"start": "2026-12-01T09:00:00"}, 422),      # no offset
    ({"start": "tomorrow at nine"}, 422),
    ({"start": "2020-01-06T09:00:00+08:00"}, 422),  # a past date
    ({"start": "2099-01-05T09:00:00+08:00"}, 422),  # beyond the booking window
    ({"adviser": "x"}, 422),
    ({"adviser": "²"}, 422),                        # a digit to str.isdigit(), not to int()
    ({"adviser": 0}, 422),                          # no row has id 0
    ({"adviser": 999999}, 404),
    ({"service": "C"}, 404),                        # not bookable
    ({"service": "Z"}, 404),
])
def test_bad_bookings_are_refused_in_the_readers_language_and_save_nothing(client, demo, lawyer, tomorrow,
                                                                           change, status):
    refused = book(client, demo, tomorrow, **change)
    english = client.post(
        "/api/v1/halls/demo/appointments?lang=en",
        json={"service": "E", "start": nine(demo, tomorrow), "phone": "13812345678", **change})

    assert refused.status_code == status == english.status_code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.get_json()["error"])
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english.get_json()["error"])
    assert appointments() == 0


def test_a_slot_that_does_not_exist_is_422(client, demo, lawyer, tomorrow):
    off_grid = datetime.combine(tomorrow, time(9, 10), tzinfo=clock.zone(demo)).isoformat()
    assert book(client, demo, tomorrow, start=off_grid).status_code == 422
    assert appointments() == 0


def test_an_inactive_adviser_is_refused(client, demo, lawyer, tomorrow):
    lawyer.active = False
    db.session.commit()
    assert book(client, demo, tomorrow, adviser=lawyer.id).status_code == 422
    assert appointments() == 0


def test_a_repeated_request_key_books_once(client, demo, lawyer, tomorrow):
    first = book(client, demo, tomorrow, request_key="app-retry-1")
    again = book(client, demo, tomorrow, request_key="app-retry-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["token"] == first.get_json()["token"] and appointments() == 1


def test_slot_queries_with_bad_input(client, demo, lawyer, tomorrow):
    assert client.get("/api/v1/halls/demo/slots?service=E&date=31-12-2026").status_code == 422
    assert client.get(f"/api/v1/halls/demo/slots?service=C&date={tomorrow}").status_code == 404
    assert client.get(f"/api/v1/halls/nowhere/slots?service=E&date={tomorrow}").status_code == 404
    assert client.get("/api/v1/appointments/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
