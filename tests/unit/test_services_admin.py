"""The hall's services and counters as the administrator edits them (hall.services_admin), called
directly: no HTTP. On both databases."""
from datetime import timedelta

import pytest
from conftest import counter, svc
from flask_babel import force_locale
from sqlalchemy import select

from hall import board, booking, booking_flow, clock, desk, kiosk_flow, queue, slots
from hall import services_admin as places
from hall.errors import FieldsInvalid, Invalid, NotFound, ServiceRetired
from hall.extensions import db
from hall.models import AuditEntry, Counter, Service, Ticket, User

NEW = {"code": "e", "name_zh": "心理咨询", "name_en": "Counselling", "icon": "handshake", "default_minutes": "20"}


@pytest.fixture
def admin(demo):
    return db.session.scalar(select(User).where(User.username == "admin"))


def audited(demo, action):
    return [e.detail for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.hall_id == demo.id, AuditEntry.action == action).order_by(AuditEntry.id))]


def tile_codes(demo):
    db.session.expire_all()
    return [t.service.code for t in kiosk_flow.home(demo.slug).tiles]


def test_a_new_service_gets_its_code_names_icon_and_the_last_tile(demo, admin):
    version = queue.queue_version(demo.id)
    service = places.add_service(demo, NEW, admin)
    assert (service.code, service.name_zh, service.name_en, service.icon, service.default_minutes) == (
        "E", "心理咨询", "Counselling", "handshake", 20)
    assert tile_codes(demo) == ["A", "B", "C", "D", "E"]
    assert queue.queue_version(demo.id) > version
    assert audited(demo, "service.add") == ["E 心理咨询 / Counselling"]
    assert queue.issue_ticket(demo, service, check_hours=False).display_number == "E001"


@pytest.mark.parametrize("field, value, problem", [
    ("code", "a", "code"), ("code", "1", "code"), ("code", "ABC", "code"), ("code", "", "code"),
    ("name_zh", "  ", "name_zh"), ("name_zh", "长" * 61, "name_zh"), ("icon", "rocket", "icon"),
    ("default_minutes", "0", "default_minutes"), ("default_minutes", "many", "default_minutes"),
])
def test_a_bad_new_service_is_refused_and_nothing_is_added(demo, admin, field, value, problem):
    before = len(places.all_services(demo))
    with pytest.raises(FieldsInvalid) as caught:
        places.add_service(demo, {**NEW, field: value}, admin)
    assert problem in caught.value.errors
    db.session.rollback()
    assert len(places.all_services(demo)) == before and audited(demo, "service.add") == []


def test_a_retired_services_code_stays_taken(demo, admin):
    service = places.add_service(demo, NEW, admin)
    places.retire_service(service, admin)
    with pytest.raises(FieldsInvalid) as caught:
        places.add_service(demo, {**NEW, "name_zh": "别的"}, admin)
    with force_locale("en"):
        assert "(retired)" in str(caught.value.errors["code"])


def test_rename_and_icon_keep_the_code_and_are_logged(demo, admin):
    service = svc(demo, "D")
    places.edit_service(service, {"code": "Z", "name_zh": "投诉", "name_en": "Complaints", "icon": "document",
                                  "default_minutes": "12"}, admin)
    db.session.expire_all()
    service = svc(demo, "D")
    assert (service.name_zh, service.name_en, service.icon, service.default_minutes) == (
        "投诉", "Complaints", "document", 12)
    [detail] = audited(demo, "service.edit")
    assert "-> D 投诉 / Complaints" in detail and "icon=document" in detail


def test_services_move_up_and_down_and_the_kiosk_follows(demo, admin):
    places.move_service(svc(demo, "C"), -1, admin)
    assert tile_codes(demo) == ["A", "C", "B", "D"]
    places.move_service(svc(demo, "A"), +1, admin)
    assert tile_codes(demo) == ["C", "A", "B", "D"]
    # at an end nothing moves, nothing is logged
    places.move_service(svc(demo, "C"), -1, admin)
    places.move_service(svc(demo, "D"), +1, admin)
    assert tile_codes(demo) == ["C", "A", "B", "D"]
    assert len(audited(demo, "service.move")) == 2
    assert [line.service.code for line in board.board_state(demo).waiting] == ["C", "A", "B", "D"]


def test_a_used_service_is_retired_never_deleted_and_its_tickets_keep_it(demo, admin):
    old = queue.issue_ticket(demo, svc(demo, "D"), check_hours=False)
    queue.finish(queue.call_next(counter(demo, 1)))
    service = svc(demo, "D")
    assert places.service_in_use(service)
    with pytest.raises(Invalid):
        places.delete_service(service, admin)
    places.retire_service(service, admin)
    db.session.expire_all()
    assert db.session.get(Service, service.id).retired, "still there"
    assert db.session.get(Ticket, old.id).service.name_zh == "投诉建议", "the old ticket keeps its name"
    # gone wherever new work starts
    assert "D" not in tile_codes(demo)
    assert "D" not in [line.service.code for line in board.board_state(demo).waiting]
    with pytest.raises(ServiceRetired):
        queue.service_by_code(demo, "D")
    with pytest.raises(ServiceRetired):
        queue.issue_ticket(demo, db.session.get(Service, service.id), check_hours=False)
    assert all(s.code != "D" for c in demo.counters for s in c.services), "no counter calls it any more"
    assert audited(demo, "service.retire") == ["D 投诉建议 / Complaints & suggestions (#1, #2)"]
    # and back: at the end, taking tickets again, no counter yet
    places.restore_service(db.session.get(Service, service.id), admin)
    assert tile_codes(demo)[-1] == "D"
    assert queue.issue_ticket(demo, svc(demo, "D"), check_hours=False).display_number == "D002"


def test_a_retired_service_takes_no_booking_but_old_ones_stay(demo, admin):
    service = svc(demo, "A")
    tomorrow = clock.local_day(demo) + timedelta(days=1)
    free = slots.slots(demo, service, tomorrow, tomorrow + timedelta(days=7))
    booked = booking.book(demo, service, free[0].start, phone="13800000000", name="王先生").appointment
    with pytest.raises(Invalid) as caught:
        places.retire_service(service, admin)
    with force_locale("en"):
        assert "Bookings of this service still to come: 1." in str(caught.value.message)
    # the booking is in the past now (or cancelled): the service retires, the booking stays
    booked.starts_at -= timedelta(days=30)
    booked.ends_at -= timedelta(days=30)
    db.session.commit()
    places.retire_service(service, admin)
    db.session.expire_all()
    assert db.session.get(type(booked), booked.id).service.name_zh == "法律咨询"
    with pytest.raises(NotFound):
        booking.book(demo, db.session.get(Service, service.id), free[1].start, phone="13800000001", name="李女士")
    assert booking_flow.bookable(demo) == [], "the kiosk and the phone offer no booking of it"


def test_a_service_with_open_tickets_today_is_not_retired(demo, admin):
    queue.issue_ticket(demo, svc(demo, "C"), check_hours=False)
    with pytest.raises(Invalid) as caught:
        places.retire_service(svc(demo, "C"), admin)
    with force_locale("en"):
        assert "still waiting or being served today: 1." in str(caught.value.message)
    db.session.expire_all()
    assert not svc(demo, "C").retired and audited(demo, "service.retire") == []


def test_a_counter_is_never_left_without_a_service(demo, admin):
    # counter 3 (老傅调解室) serves only B
    with force_locale("en"), pytest.raises(Invalid) as caught:
        places.retire_service(svc(demo, "B"), admin)
    with force_locale("en"):
        assert "Window 3 · 老傅调解室 serves only this service" in str(caught.value.message)
    with pytest.raises(FieldsInvalid) as caught:
        places.edit_counter(counter(demo, 3), {"name": "老傅调解室", "services": []}, admin)
    assert "services" in caught.value.errors
    db.session.expire_all()
    assert [s.code for s in counter(demo, 3).services] == ["B"] and not svc(demo, "B").retired


def test_an_unused_service_is_deleted_for_real(demo, admin):
    service = places.add_service(demo, NEW, admin)
    service_id = service.id
    places.edit_counter(counter(demo, 1), {"name": "", "services": [str(svc(demo, "A").id), str(service_id)]}, admin)
    assert not places.service_in_use(service)
    places.delete_service(service, admin)
    db.session.expire_all()
    assert db.session.get(Service, service_id) is None
    assert [s.code for s in counter(demo, 1).services] == ["A"]
    assert audited(demo, "service.delete") == ["E 心理咨询 / Counselling"]


def test_counters_are_added_with_a_unique_number_and_at_least_one_service(demo, admin):
    a, b = svc(demo, "A"), svc(demo, "B")
    room = places.add_counter(demo, {"number": "5", "name": " 和事佬 调解室 ", "services": [str(b.id), str(a.id)]}, admin)
    assert (room.number, room.name, [s.code for s in room.services]) == (5, "和事佬 调解室", ["A", "B"])
    for values, field in [({"number": "5", "services": [str(a.id)]}, "number"),
                          ({"number": "0", "services": [str(a.id)]}, "number"),
                          ({"number": "x", "services": [str(a.id)]}, "number"),
                          ({"number": "6", "services": []}, "services"),
                          ({"number": "6", "services": ["999999"]}, "services")]:
        with pytest.raises(FieldsInvalid) as caught:
            places.add_counter(demo, values, admin)
        assert field in caught.value.errors
    db.session.rollback()
    assert sorted(c.number for c in places.all_counters(demo)) == [1, 2, 3, 4, 5]
    assert audited(demo, "counter.add") == ["#5 和事佬 调解室: A,B"]


def test_what_a_counter_serves_changes_its_queue_and_refreshes_the_screens(demo, admin):
    ticket = queue.issue_ticket(demo, svc(demo, "C"), check_hours=False)
    assert ticket not in queue.waiting_for_counter(counter(demo, 4))
    version = queue.queue_version(demo.id)
    places.edit_counter(counter(demo, 4), {"name": "潘大姐调解室",
                                           "services": [str(svc(demo, c).id) for c in "BC"]}, admin)
    db.session.expire_all()
    assert queue.queue_version(demo.id) > version
    assert ticket.id in [t.id for t in queue.waiting_for_counter(counter(demo, 4))]
    assert audited(demo, "counter.services") == ["#4 潘大姐调解室: A,B -> B,C"]


def test_a_used_counter_is_retired_an_unused_one_deleted(demo, admin):
    # counter 5, new: a ticket was called there
    one = places.add_counter(demo, {"number": "5", "services": [str(svc(demo, "C").id)]}, admin)
    queue.issue_ticket(demo, svc(demo, "C"), check_hours=False)
    queue.finish(queue.call_next(one))
    assert places.counter_in_use(one)
    with pytest.raises(Invalid):
        places.delete_counter(one, admin)
    places.retire_counter(one, admin)
    db.session.expire_all()
    assert not db.session.get(Counter, one.id).active
    with pytest.raises(NotFound):
        desk.counter_of(admin, one.id)
    places.enable_counter(db.session.get(Counter, one.id), admin)
    assert db.session.get(Counter, one.id).active
    spare = places.add_counter(demo, {"number": "9", "services": [str(svc(demo, "A").id)]}, admin)
    spare_id = spare.id
    places.delete_counter(spare, admin)
    assert db.session.get(Counter, spare_id) is None
    assert audited(demo, "counter.retire") == ["#5"] and audited(demo, "counter.delete") == ["#9"]


def test_a_room_the_rosters_use_is_not_retired(demo, admin):
    with pytest.raises(Invalid) as caught:
        places.retire_counter(counter(demo, 3), admin)
    assert "傅国强" in str(caught.value.message)
    db.session.expire_all()
    assert counter(demo, 3).active


def test_a_code_taken_at_the_same_moment_is_refused_not_a_crash(demo, admin, monkeypatch):
    # the check passed, but the code is taken by the time of the insert (another administrator, a moment before)
    monkeypatch.setattr(places, "clean_code", lambda hall, raw: ("A", None))
    with pytest.raises(FieldsInvalid) as caught:
        places.add_service(demo, NEW, admin)
    assert "code" in caught.value.errors
    assert [s.code for s in places.all_services(demo)] == ["A", "B", "C", "D"]


def test_the_icons_offered_are_the_kiosks_own():
    from pathlib import Path
    icons = Path(__file__).resolve().parents[2] / "static" / "icons"
    assert sorted(places.SERVICE_ICONS) == sorted(p.stem for p in icons.glob("*.svg"))
    assert set(places.ICON_LABELS) == set(places.SERVICE_ICONS)


def test_the_command_line_keeps_the_staff_areas_rules(app, demo):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["service", "create", "demo", "e", "--name", "心理咨询", "--icon", "chat"])
    assert made.exit_code == 0 and "service E created" in made.output
    taken = runner.invoke(args=["service", "create", "demo", "E", "--name", "另一个"])
    assert taken.exit_code == 1 and "code" in taken.output and "Traceback" not in taken.output
    assert db.session.scalar(select(Service.name_zh).where(Service.hall_id == demo.id, Service.code == "E")) == "心理咨询"
    room = runner.invoke(args=["counter", "create", "demo", "9", "--name", "心理咨询室", "--service", "E"])
    assert room.exit_code == 0 and "counter 9 created" in room.output
    assert runner.invoke(args=["counter", "create", "demo", "9"]).exit_code == 1, "the number is taken"
    assert audited(demo, "service.add") and audited(demo, "counter.add"), "logged, as done from the command line"
