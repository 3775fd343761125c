"""The booking screens' logic without HTTP (hall/booking_flow.py): what each step offers, and
what it refuses, at a fixed moment."""
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from booking_fixtures import PHONE, booking_hall
from hall import booking, booking_flow as flow
from hall.errors import Invalid, NotFound
from hall.extensions import db
from hall.models import Adviser, AdviserKind, Appointment, ClosedDay, ExceptionKind, ShiftException


@pytest.fixture
def b(app):
    made = booking_hall()
    made.now = made.at(made.tomorrow(), 7)  # "now": 07:00 tomorrow, the earliest slot 08:00
    return made


def count():
    return db.session.scalar(select(func.count()).select_from(Appointment))


def test_the_kiosk_offers_bookable_services_only(b):
    screen = flow.services("bk")
    assert [s.code for s in screen.services] == ["A"]
    with pytest.raises(NotFound):
        flow.service("bk", "B")  # mediation takes no appointments
    with pytest.raises(NotFound):
        flow.services("nowhere")


def test_topics_are_those_an_active_adviser_takes_and_filter_the_cards(b):
    screen = flow.service("bk", "A")
    assert [t.code for t in screen.topics] == ["family", "neighbour", "contract", "labour"]
    assert {t.code: t.advisers for t in screen.topics}["family"] == 1  # 王顾问 is inactive
    assert [c.adviser.name for c in screen.cards] == ["老傅", "陈律师"]
    fu = screen.cards[0]
    assert fu.initials == "老" and fu.room.name == "老傅调解室" and fu.kind
    assert [c.adviser.name for c in flow.service("bk", "A", topic="labour").cards] == ["陈律师"]
    with pytest.raises(NotFound):
        flow.service("bk", "A", topic="astrology")


def test_days_are_the_window_days_with_a_free_slot(b):
    screen = flow.days("bk", "A", adviser=b.fu_id, at=b.now)
    days = [d.day for d in screen.days]
    assert days[0] == b.tomorrow() and len(days) == 15  # tomorrow and 14 more
    assert screen.days[0].relative and screen.days[0].weekday and screen.days[0].date_text
    assert screen.days[0].free == 4  # 09:00, 09:30, 10:00, 10:30
    # A closed day and a day of leave drop out.
    closed, leave = b.tomorrow() + timedelta(days=2), b.tomorrow() + timedelta(days=3)
    db.session.add(ClosedDay(hall_id=b.hall.id, day=closed, name="holiday"))
    db.session.add(ShiftException(adviser_id=b.fu_id, day=leave, kind=ExceptionKind.leave))
    db.session.commit()
    days = [d.day for d in flow.days("bk", "A", adviser=b.fu_id, at=b.now).days]
    assert closed not in days and leave not in days and len(days) == 13


def test_times_by_anyone_are_grouped_by_adviser_and_a_topic_narrows_them(b):
    day = b.tomorrow().isoformat()
    anyone = flow.times("bk", "A", day, at=b.now)
    assert [g.card.adviser.name for g in anyone.groups] == ["老傅", "陈律师"]
    assert [len(g.slots) for g in anyone.groups] == [4, 4]
    family = flow.times("bk", "A", day, topic="family", at=b.now)
    assert [g.card.adviser.name for g in family.groups] == ["老傅"]
    one = flow.times("bk", "A", day, adviser=str(b.chen_id), at=b.now)
    assert one.card.adviser.name == "陈律师" and len(one.groups) == 1


def test_a_day_outside_the_window_or_a_wrong_adviser_is_refused(b, app):
    with pytest.raises(booking.OutsideWindow):
        flow.times("bk", "A", b.today.isoformat(), at=b.now)  # yesterday, from "now"
    with pytest.raises(booking.OutsideWindow):
        flow.times("bk", "A", (b.tomorrow() + timedelta(days=15)).isoformat(), at=b.now)
    with pytest.raises(Invalid):
        flow.times("bk", "A", "next tuesday", at=b.now)
    with pytest.raises(Invalid):
        flow.days("bk", "A", adviser=b.idle_id, at=b.now)  # inactive
    with pytest.raises(NotFound):
        flow.days("bk", "A", adviser="9999", at=b.now)
    with pytest.raises(NotFound):
        flow.days("bk", "A", adviser="x", at=b.now)
    other = Adviser(hall_id=b.hall.id, name="赵网格", kind=AdviserKind.grid_worker)
    db.session.add(other)
    db.session.commit()
    with pytest.raises(Invalid):
        flow.days("bk", "A", adviser=other.id, at=b.now)  # does not take this service


def test_details_checks_the_slot_and_a_full_one_offers_the_nearest(b):
    start = flow.start_param(b.at(b.tomorrow(), 9, 30))
    screen = flow.details("bk", "A", start, adviser=b.fu_id, at=b.now)
    assert screen.slot.adviser_id == b.fu_id and screen.card.room.number == 3
    with pytest.raises(booking.NoSuchSlot):
        flow.details("bk", "A", flow.start_param(b.at(b.tomorrow(), 9, 17)), adviser=b.fu_id, at=b.now)
    with pytest.raises(booking.NoSuchSlot):
        flow.details("bk", "A", "2026-13-45", at=b.now)
    with pytest.raises(booking.NoSuchSlot):
        flow.details("bk", "A", "2030-01-01T09:00", at=b.now)  # no offset
    flow.book("bk", "A", start=start, adviser=b.fu_id, phone=PHONE, at=b.now)
    with pytest.raises(booking.SlotTaken) as taken:
        flow.details("bk", "A", start, adviser=b.fu_id, at=b.now)
    nearest = flow.alternatives(b.hall, taken.value, at=b.now)
    assert [flow.start_param(a.slot.start) for a in nearest[:2]] == [
        flow.start_param(b.at(b.tomorrow(), 9)), flow.start_param(b.at(b.tomorrow(), 10))]
    assert nearest[0].card.adviser.name == "老傅"


def test_a_family_name_tapped_without_mr_or_ms_is_kept_alone():
    assert flow.kiosk_name("王", None) == "王" and flow.kiosk_name("蔡", "") == "蔡"
    assert flow.kiosk_name("王", "sir") == "王"  # an unknown form of address is dropped, not the name
    assert flow.kiosk_name("", None) == "" and flow.kiosk_name("<b>", "mr") == ""


def test_book_once_per_request_key_with_a_kiosk_name(b):
    start = flow.start_param(b.at(b.tomorrow(), 14))
    name = flow.kiosk_name("王", "ms")
    assert name == "王女士" and flow.kiosk_name("X", "mr") == "" and flow.kiosk_name(None, "ms") == ""
    first = flow.book("bk", "A", start=start, adviser=str(b.chen_id), phone="138 1234 5678", name=name,
                      request_key="k" * 22, at=b.now)
    again = flow.book("bk", "A", start=start, adviser=str(b.chen_id), phone="138 1234 5678", name=name,
                      request_key="k" * 22, at=b.now)
    assert first.created and not again.created and again.appointment.id == first.appointment.id
    assert first.appointment.name == "王女士" and first.appointment.phone == PHONE and count() == 1
    with pytest.raises(Invalid):
        flow.book("bk", "A", start=start, phone="12345", at=b.now)
    assert count() == 1


def test_start_param_round_trips():
    from datetime import datetime, timezone
    moment = datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)
    assert flow.start_param(moment) == "2026-12-01T01:30Z"
    assert flow.parse_start("2026-12-01T01:30Z") == moment
    assert flow.parse_start("2026-12-01T09:30+08:00") == moment


def test_the_appointment_screen_its_status_and_a_move(b):
    start = b.at(b.tomorrow(), 9)
    token = flow.book("bk", "A", start=flow.start_param(start), adviser=b.fu_id, phone=PHONE, at=b.now).appointment.token
    screen = flow.appointment(token, at=b.now)
    assert screen.status.value == "booked" and screen.can_cancel and screen.room.number == 3
    late = flow.appointment(token, at=start + timedelta(minutes=16))
    assert late.status.value == "no_show" and not late.can_move
    with pytest.raises(booking.WrongState):
        flow.cancel(token, at=start + timedelta(minutes=16))  # too late to cancel: a no-show

    move = flow.move_days(token, at=b.now)
    assert move.days[0].day == b.tomorrow()
    times = flow.move_times(token, b.tomorrow().isoformat(), at=b.now)
    assert times.groups[0].card.adviser.id == b.fu_id  # the booked adviser first
    moved = flow.move(token, flow.start_param(b.at(b.tomorrow(), 15)), adviser=b.chen_id, at=b.now)
    assert moved.appointment.adviser_id == b.chen_id
    assert moved.appointment.starts_at == b.at(b.tomorrow(), 15)

    cancelled = flow.cancel(token, at=b.now)
    assert cancelled.status.value == "cancelled" and not cancelled.can_cancel
    with pytest.raises(booking.WrongState):
        flow.move_days(token, at=b.now)
    with pytest.raises(NotFound):
        flow.appointment("no-such-token")


def test_the_ics_file_has_utc_times_the_room_and_a_uid_from_the_token(b, app):
    start = b.at(b.tomorrow(), 10)
    token = flow.book("bk", "A", start=flow.start_param(start), adviser=b.fu_id, phone=PHONE, at=b.now).appointment.token
    with app.test_request_context():
        body = flow.ics(token, f"http://hall.example/a/{token}")
    [event] = Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("dtstart") == start and event.decoded("dtend") == start + timedelta(minutes=30)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert token in str(event["uid"])
    assert "枫桥测试中心" in str(event["location"]) and "老傅调解室" in str(event["location"])
    assert "老傅" in str(event["summary"])
    assert PHONE not in body.decode()
