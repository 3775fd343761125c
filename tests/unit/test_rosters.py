"""Advisers and rosters (hall.rosters), called directly: the checks, "bad input saves nothing",
the queue version bumped by every change, the photo's re-encoding, the printable week and the
kiosk's 今日值班."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from hall import queue, rosters
from hall.errors import NotFound
from hall.extensions import db
from hall.models import (
    Adviser, AdviserKind, ClosedDay, Counter, ExceptionKind, Shift, ShiftException, User,
)
from hall.setup import create_hall, create_counter, create_service, create_user

MONDAY = date(2026, 12, 7)
UTC = timezone.utc


@pytest.fixture
def hall(app):
    hall = create_hall("roster", "拱墅区矛盾纠纷调处化解中心")
    legal = create_service(hall, "A", "法律咨询", "Legal advice")
    create_service(hall, "B", "矛盾调解", "Mediation")
    create_counter(hall, 1, "", [legal])
    create_counter(hall, 3, "老傅调解室")
    create_user(hall, "fu", "secret-pass", "mediator", "老傅")
    create_user(hall, "wang", "secret-pass", "reception", "小王")
    return hall


def room(hall, number):
    return db.session.scalar(select(Counter).where(Counter.hall_id == hall.id, Counter.number == number))


def service(hall, code):
    return queue.service_by_code(hall, code)


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def good(hall, **changes):
    values = {"name": "傅国强", "kind": "people_mediator", "specialties": ["neighbour", "family"],
              "counter_id": str(room(hall, 3).id), "intro": "社区“老娘舅”。", "active": "1",
              "user_id": str(user("fu").id), "services": [str(service(hall, "A").id), str(service(hall, "B").id)]}
    values.update(changes)
    return values


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(thing):
    db.session.expire_all()
    return db.session.get(type(thing), thing.id)


# ---- advisers ----------------------------------------------------------------------------------

def test_an_adviser_is_created_with_everything(hall):
    version = queue.queue_version(hall.id)
    adviser = rosters.save_adviser(hall, good(hall))
    adviser = fresh(adviser)
    assert adviser.name == "傅国强" and adviser.kind == AdviserKind.people_mediator
    assert adviser.specialties == "family,neighbour"  # the statistics' order
    assert adviser.counter.name == "老傅调解室" and adviser.user.username == "fu" and adviser.active
    assert [s.code for s in adviser.services] == ["A", "B"]
    assert queue.queue_version(hall.id) > version
    second = rosters.save_adviser(hall, good(hall, name="潘美华", user_id=""))
    assert second.position > adviser.position


@pytest.mark.parametrize("field, value", [
    ("name", "   "),
    ("name", "长" * 41),
    ("kind", "wizard"),
    ("specialties", ["family", "astrology"]),
    ("counter_id", "999999"),
    ("intro", "长" * 501),
    ("user_id", "999999"),
    ("services", ["999999"]),
])
def test_bad_adviser_input_is_explained_and_nothing_is_saved(hall, field, value):
    version = queue.queue_version(hall.id)
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_adviser(hall, good(hall, **{field: value}))
    assert field in caught.value.errors
    db.session.rollback()
    assert count(Adviser) == 0 and queue.queue_version(hall.id) == version


def test_every_problem_comes_back_at_once(hall):
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.clean_adviser(hall, {"name": "", "kind": "", "intro": "x" * 600})
    assert set(caught.value.errors) == {"name", "kind", "intro"}


def test_only_a_mediator_login_of_the_hall_and_one_adviser_per_login(hall):
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_adviser(hall, good(hall, user_id=str(user("wang").id)))
    assert "user_id" in caught.value.errors
    db.session.rollback()
    first = rosters.save_adviser(hall, good(hall))
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_adviser(hall, good(hall, name="潘美华"))
    assert "傅国强" in str(caught.value.errors["user_id"])
    db.session.rollback()
    # saving the same adviser again keeps its own login
    rosters.save_adviser(hall, good(hall, intro="改了介绍"), first)
    assert fresh(first).intro == "改了介绍" and fresh(first).user.username == "fu"
    assert [u.username for u in rosters.linkable_users(hall)] == []
    assert [u.username for u in rosters.linkable_users(hall, first)] == ["fu"]


def test_another_halls_room_service_or_login_is_refused(hall):
    other = create_hall("other", "另一个大厅")
    their_room = create_counter(other, 9, "别处")
    their_service = create_service(other, "A", "法律咨询")
    their_user = create_user(other, "zhao", "secret-pass", "mediator")
    for field, value in (("counter_id", str(their_room.id)), ("services", [str(their_service.id)]),
                         ("user_id", str(their_user.id))):
        with pytest.raises(rosters.RosterInvalid) as caught:
            rosters.save_adviser(hall, good(hall, **{field: value}))
        assert field in caught.value.errors
        db.session.rollback()
    assert count(Adviser) == 0


def test_a_retired_room_is_neither_offered_nor_taken(hall):
    retired = room(hall, 1)
    retired.active = False
    db.session.commit()
    assert [c.number for c in rosters.rooms(hall)] == [3]
    assert [c.number for c in rosters.counters(hall)] == [1, 3], "the week view still names it"
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_adviser(hall, good(hall, counter_id=str(retired.id)))
    assert "counter_id" in caught.value.errors
    db.session.rollback()


def test_lookups_stay_within_the_staff_members_hall(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    other = create_hall("other", "另一个大厅")
    stranger = create_user(other, "zhao", "secret-pass", "admin")
    assert rosters.adviser_of(user("fu"), adviser.id).id == adviser.id
    with pytest.raises(NotFound):
        rosters.adviser_of(stranger, adviser.id)
    shift = rosters.save_shift(adviser, {"weekday": "1", "starts_at": "09:00", "ends_at": "11:30"})
    with pytest.raises(NotFound):
        rosters.shift_of(stranger, shift.id)


# ---- the photo ---------------------------------------------------------------------------------

def image_bytes(kind="JPEG", size=(64, 48), exif=True) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if kind == "JPEG" and exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {1: "N", 2: (30.0, 16.0, 0.0)}  # GPS
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, kind)
    return out.getvalue()


def test_a_jpeg_photo_is_reencoded_without_exif(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    original = image_bytes("JPEG")
    assert b"PhoneMaker" in original
    rosters.set_photo(adviser, original)
    adviser = fresh(adviser)
    assert adviser.photo_type == "image/jpeg" and b"PhoneMaker" not in adviser.photo
    with Image.open(io.BytesIO(adviser.photo)) as stored:
        assert stored.format == "JPEG" and stored.size == (64, 48)
        assert not stored.getexif() and "exif" not in stored.info
    data, mimetype = rosters.photo_of(adviser.id)
    assert mimetype == "image/jpeg" and data == adviser.photo


def test_a_png_photo_stays_png_and_large_ones_are_shrunk(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    rosters.set_photo(adviser, image_bytes("PNG", size=(2400, 1200)))
    adviser = fresh(adviser)
    assert adviser.photo_type == "image/png"
    with Image.open(io.BytesIO(adviser.photo)) as stored:
        assert stored.format == "PNG" and max(stored.size) <= rosters.PHOTO_MAX_SIDE


@pytest.mark.parametrize("data", [
    b"",
    b"GIF89a" + b"\0" * 100,
    b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
    b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10,
])
def test_anything_but_a_jpeg_or_png_is_refused(hall, data):
    adviser = rosters.save_adviser(hall, good(hall))
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.set_photo(adviser, data)
    assert "photo" in caught.value.errors
    db.session.rollback()
    assert fresh(adviser).photo_type is None


def test_a_gif_is_refused_by_content_and_a_photo_over_2_mb_by_size(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(rosters.RosterInvalid):
        rosters.set_photo(adviser, gif.getvalue())
    db.session.rollback()
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.set_photo(adviser, image_bytes("JPEG") + b"\0" * (2 * 1024 * 1024))
    assert "2 MB" in str(caught.value.errors["photo"])
    db.session.rollback()
    assert fresh(adviser).photo_type is None


def test_removing_the_photo_and_no_photo_is_not_found(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    with pytest.raises(NotFound):
        rosters.photo_of(adviser.id)
    rosters.set_photo(adviser, image_bytes("PNG"))
    rosters.remove_photo(adviser)
    with pytest.raises(NotFound):
        rosters.photo_of(adviser.id)


def test_the_public_sees_only_photos_of_advisers_still_serving(hall):
    adviser = rosters.save_adviser(hall, good(hall, active=""))
    rosters.set_photo(adviser, image_bytes("PNG"))
    with pytest.raises(NotFound):
        rosters.photo_of(adviser.id)
    assert rosters.photo_of(adviser.id, hall.id)[1] == "image/png"


# ---- the weekly pattern ------------------------------------------------------------------------

def shift_values(**changes):
    values = {"weekday": "1", "starts_at": "09:00", "ends_at": "11:30", "every_weeks": "1",
              "valid_from": MONDAY.isoformat(), "valid_until": "", "counter_id": ""}
    values.update(changes)
    return values


def test_weekly_ranges_are_added_changed_and_deleted(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    version = queue.queue_version(hall.id)
    morning = rosters.save_shift(adviser, shift_values())
    afternoon = rosters.save_shift(adviser, shift_values(starts_at="14:00", ends_at="17:00", every_weeks="2",
                                                         counter_id=str(room(hall, 1).id),
                                                         valid_until="2027-06-30"))
    assert queue.queue_version(hall.id) > version
    afternoon = fresh(afternoon)
    assert (afternoon.starts_at, afternoon.ends_at, afternoon.every_weeks) == (time(14), time(17), 2)
    assert afternoon.counter.number == 1 and afternoon.valid_until == date(2027, 6, 30)
    rosters.save_shift(adviser, shift_values(weekday="2"), morning)
    assert fresh(morning).weekday == 2
    rosters.delete_shift(fresh(morning))
    assert [s.id for s in fresh(adviser).shifts] == [afternoon.id]


def test_a_range_without_a_first_day_starts_today(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    shift = rosters.save_shift(adviser, shift_values(valid_from=""), today=MONDAY)
    assert shift.valid_from == MONDAY


@pytest.mark.parametrize("changes, field", [
    ({"weekday": "8"}, "weekday"),
    ({"weekday": "Monday"}, "weekday"),
    ({"starts_at": "9点"}, "starts_at"),
    ({"ends_at": "25:00"}, "ends_at"),
    ({"starts_at": "11:30", "ends_at": "09:00"}, "ends_at"),
    ({"starts_at": "09:00", "ends_at": "09:00"}, "ends_at"),
    ({"every_weeks": "3"}, "every_weeks"),
    ({"valid_from": "2026-13-01"}, "valid_from"),
    ({"valid_until": "soon"}, "valid_until"),
    ({"valid_until": "2026-12-06"}, "valid_until"),
    ({"counter_id": "999999"}, "counter_id"),
])
def test_bad_ranges_are_refused_and_nothing_is_saved(hall, changes, field):
    adviser = rosters.save_adviser(hall, good(hall))
    version = queue.queue_version(hall.id)
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_shift(adviser, shift_values(**changes))
    assert field in caught.value.errors
    db.session.rollback()
    assert count(Shift) == 0 and queue.queue_version(hall.id) == version


@pytest.mark.parametrize("changes, clash", [
    ({"starts_at": "11:00", "ends_at": "12:00"}, True),    # overlaps the end
    ({"starts_at": "08:00", "ends_at": "09:30"}, True),    # overlaps the start
    ({"starts_at": "09:30", "ends_at": "10:00"}, True),    # inside
    ({"starts_at": "11:30", "ends_at": "12:00"}, False),   # starts as the other ends
    ({"weekday": "2"}, False),                             # another day
    ({"valid_from": "2027-01-04"}, True),                  # later, but the other has no end
])
def test_overlapping_ranges_on_the_same_weekday_are_refused(hall, changes, clash):
    adviser = rosters.save_adviser(hall, good(hall))
    rosters.save_shift(adviser, shift_values())
    if clash:
        with pytest.raises(rosters.RosterInvalid) as caught:
            rosters.save_shift(adviser, shift_values(**changes))
        assert "09:00–11:30" in str(caught.value.errors["starts_at"])
        db.session.rollback()
        assert count(Shift) == 1
    else:
        rosters.save_shift(adviser, shift_values(**changes))
        assert count(Shift) == 2


def test_ranges_that_never_meet_in_time_may_share_hours(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    rosters.save_shift(adviser, shift_values(valid_until="2026-12-31"))
    rosters.save_shift(adviser, shift_values(valid_from="2027-01-01"))  # after the first ends
    # every other week, on alternate weeks: A weeks and B weeks
    rosters.save_shift(adviser, shift_values(weekday="3", every_weeks="2"))
    rosters.save_shift(adviser, shift_values(weekday="3", every_weeks="2",
                                             valid_from=(MONDAY + timedelta(days=7)).isoformat()))
    with pytest.raises(rosters.RosterInvalid):  # the same weeks again
        rosters.save_shift(adviser, shift_values(weekday="3", every_weeks="2",
                                                 valid_from=(MONDAY + timedelta(days=14)).isoformat()))
    db.session.rollback()
    with pytest.raises(rosters.RosterInvalid):  # every week meets both
        rosters.save_shift(adviser, shift_values(weekday="3", starts_at="10:00", ends_at="10:30"))
    db.session.rollback()
    assert count(Shift) == 4


def test_a_range_may_be_changed_without_clashing_with_itself(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    shift = rosters.save_shift(adviser, shift_values())
    rosters.save_shift(adviser, shift_values(ends_at="12:00"), shift)
    assert fresh(shift).ends_at == time(12)


# ---- exceptions and closed days ----------------------------------------------------------------

def test_leave_and_extra_sessions(hall):
    adviser = rosters.save_adviser(hall, good(hall))
    whole = rosters.save_exception(adviser, {"kind": "leave", "day": "2026-12-08", "note": "病假"})
    assert whole.starts_at is None and whole.ends_at is None and whole.note == "病假"
    part = rosters.save_exception(adviser, {"kind": "leave", "day": "2026-12-09", "starts_at": "14:00",
                                            "ends_at": "15:00"})
    assert (part.starts_at, part.ends_at) == (time(14), time(15))
    extra = rosters.save_exception(adviser, {"kind": "extra", "day": "2026-12-12", "starts_at": "09:00",
                                             "ends_at": "11:00", "counter_id": str(room(hall, 1).id)})
    assert extra.kind == ExceptionKind.extra and extra.counter.number == 1
    rosters.delete_exception(fresh(part))
    assert count(ShiftException) == 2


@pytest.mark.parametrize("values, field", [
    ({"kind": "holiday", "day": "2026-12-08"}, "kind"),
    ({"kind": "leave", "day": "tomorrow"}, "day"),
    ({"kind": "leave", "day": "2026-12-08", "starts_at": "14:00"}, "ends_at"),
    ({"kind": "extra", "day": "2026-12-08"}, "starts_at"),
    ({"kind": "extra", "day": "2026-12-08", "starts_at": "10:00", "ends_at": "09:00"}, "ends_at"),
    ({"kind": "extra", "day": "2026-12-08", "starts_at": "09:00", "ends_at": "10:00", "counter_id": "99999"}, "counter_id"),
    ({"kind": "leave", "day": "2026-12-08", "note": "长" * 201}, "note"),
])
def test_bad_exceptions_are_refused_and_nothing_is_saved(hall, values, field):
    adviser = rosters.save_adviser(hall, good(hall))
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_exception(adviser, values)
    assert field in caught.value.errors
    db.session.rollback()
    assert count(ShiftException) == 0


def test_closed_days_are_one_per_day_and_named(hall):
    version = queue.queue_version(hall.id)
    national = rosters.save_closed_day(hall, {"day": "2026-10-01", "name": "国庆节"})
    assert queue.queue_version(hall.id) > version
    with pytest.raises(rosters.RosterInvalid) as caught:
        rosters.save_closed_day(hall, {"day": "2026-10-01", "name": "又一个"})
    assert "国庆节" in str(caught.value.errors["day"])
    db.session.rollback()
    for bad in ({"day": "", "name": "元旦"}, {"day": "2027-01-01", "name": " "},
                {"day": "2027-01-01", "name": "长" * 61}):
        with pytest.raises(rosters.RosterInvalid):
            rosters.save_closed_day(hall, bad)
        db.session.rollback()
    assert count(ClosedDay) == 1
    rosters.save_closed_day(hall, {"day": "2026-10-02", "name": "国庆节"}, national)  # moved
    assert fresh(national).day == date(2026, 10, 2)
    rosters.delete_closed_day(fresh(national))
    assert count(ClosedDay) == 0


# ---- reading -----------------------------------------------------------------------------------

def test_the_week_view_shows_who_when_and_where_by_day(hall):
    fu = rosters.save_adviser(hall, good(hall))
    pan = rosters.save_adviser(hall, good(hall, name="潘美华", user_id="", counter_id=""))
    rosters.save_shift(fu, shift_values(valid_from="2026-11-30"))
    rosters.save_shift(fu, shift_values(weekday="3", starts_at="14:00", ends_at="17:00",
                                        counter_id=str(room(hall, 1).id), valid_from="2026-11-30"))
    rosters.save_shift(pan, shift_values(weekday="3", valid_from="2026-11-30"))
    rosters.save_exception(pan, {"kind": "extra", "day": "2026-12-12", "starts_at": "09:00", "ends_at": "10:00"})
    rosters.save_closed_day(hall, {"day": "2026-12-08", "name": "测试休息日"})
    rosters.save_exception(fu, {"kind": "leave", "day": "2026-12-09", "starts_at": "14:00", "ends_at": "15:00"})

    days = rosters.week_view(hall, date(2026, 12, 10))  # any day of the week: from its Monday
    assert [d.day for d in days] == [MONDAY + timedelta(days=n) for n in range(7)]
    monday, tuesday, wednesday, _, _, saturday, sunday = days
    assert [(e.adviser.name, e.starts_at, e.ends_at, e.counter.number) for e in monday.entries] == [
        ("傅国强", time(9), time(11, 30), 3)]
    assert tuesday.closed == "测试休息日" and tuesday.entries == []
    assert [(e.adviser.name, e.starts_at, e.ends_at, e.counter.number if e.counter else None)
            for e in wednesday.entries] == [
        ("潘美华", time(9), time(11, 30), None), ("傅国强", time(15), time(17), 1)]  # 14:00–15:00 on leave
    assert [(e.adviser.name, e.starts_at) for e in saturday.entries] == [("潘美华", time(9))]
    assert sunday.entries == [] and sunday.closed is None

    lines = rosters.by_adviser(days)  # the printed week: one line per adviser, one cell per day
    assert [line.adviser.name for line in lines] == ["傅国强", "潘美华"]
    assert [[(e.starts_at, e.ends_at) for e in cell] for cell in lines[0].days] == [
        [(time(9), time(11, 30))], [], [(time(15), time(17))], [], [], [], []]
    assert [len(cell) for cell in lines[1].days] == [0, 0, 1, 0, 0, 1, 0]


def test_todays_panel_groups_each_advisers_stretches(hall):
    fu = rosters.save_adviser(hall, good(hall))
    rosters.save_shift(fu, shift_values(valid_from="2026-11-30"))
    rosters.save_shift(fu, shift_values(starts_at="14:00", ends_at="17:00", valid_from="2026-11-30"))
    idle = rosters.save_adviser(hall, good(hall, name="不在岗", user_id="", active=""))
    rosters.save_shift(idle, shift_values(valid_from="2026-11-30"))
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    panel = rosters.today_panel(hall, at)
    assert [(p.adviser.name, p.counter.name, p.spans) for p in panel] == [
        ("傅国强", "老傅调解室", [(time(9), time(11, 30)), (time(14), time(17))])]
    assert panel[0].times == "09:00–11:30  14:00–17:00"
    assert rosters.today_panel(hall, at + timedelta(days=1)) == []  # Tuesday: nobody


def test_the_demo_has_advisers_on_rosters_and_loads_once(demo):
    from hall.demo import load_demo
    advisers = rosters.advisers(demo)
    assert [a.name for a in advisers] == ["傅国强", "潘美华", "陈律师", "李顾问"]
    fu = advisers[0]
    assert fu.user.username == "mediator" and fu.counter.name == "老傅调解室"
    assert [s.code for s in fu.services] == ["A", "B"] and [s.code for s in advisers[2].services] == ["A"]
    assert all(a.shifts and a.intro and a.specialties for a in advisers)
    assert any(s.every_weeks == 2 for a in advisers for s in a.shifts)
    legal = service(demo, "A")
    assert (legal.bookable, legal.slot_minutes, legal.slot_capacity) == (True, 30, 1)
    load_demo()
    load_demo()
    assert count(Adviser) == 4 and count(Shift) == sum(len(a.shifts) for a in advisers)
