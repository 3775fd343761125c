"""The administrator's settings page, pausing a service, and the rules behind them (hall.settings)."""
from __future__ import annotations

from datetime import time

import pytest

from hall import queue
from hall import settings as hall_settings
from hall.errors import ServicePaused
from hall.extensions import db
from hall.models import Hall

HX = {"HX-Request": "true"}
GOOD = {
    "name": "拱墅区矛盾纠纷调处化解中心", "notice": "今天下午 3 点后法律咨询暂停。",
    "opens_at": "08:30", "closes_at": "17:00", "weekdays": ["1", "2", "3", "4", "5", "6"],
    "kiosk_idle_seconds": "90", "ticket_idle_seconds": "20", "api_limit-hour": "100",
    "booking_notice_minutes": "120", "booking_days_ahead": "21",
    "checkin_early_minutes": "5", "checkin_grace_minutes": "20",
    **{f"{field}-{code}": value for code in "ABCD" for field, value in (("slot_minutes", "30"), ("slot_capacity", "1"))},
    "bookable-A": "1",
    "case_code": "gs", "step_days-intake": "2", "step_days-sorted": "3", "step_days-deliberating": "20",
    "step_days-acting": "15", "step_days-following_up": "30", "step_days-rated": "7",
}




@pytest.fixture
def admin(demo, client):
    assert client.post("/admin/login", data={"username": "admin", "password": "hall-demo"}).status_code == 303
    return client


def hall_now(demo) -> Hall:
    db.session.expire_all()
    return db.session.get(Hall, demo.id)


def test_the_page_shows_the_halls_settings(demo, admin):
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "大厅设置" in page and demo.name in page and "小事不出村" in page
    assert 'name="api_limit-minute" min="1" max="100000" value="30"' in page and 'value="60"' in page
    assert 'name="api_limit-hour" min="1" max="100000" value=""' in page
    assert page.count('name="weekdays"') == 7 and page.count("checked") >= 7
    for code in "ABCD":
        assert f'id="service-{code}"' in page


def test_good_settings_are_saved(demo, admin):
    response = admin.post("/admin/settings", data=GOOD)
    assert response.status_code == 303
    assert "设置已保存" in admin.get(response.headers["Location"]).get_data(as_text=True)
    hall = hall_now(demo)
    assert hall.name == GOOD["name"] and hall.notice == GOOD["notice"]
    assert (hall.opens_at, hall.closes_at, hall.open_weekdays) == (time(8, 30), time(17, 0), "123456")
    assert (hall.kiosk_idle_seconds, hall.ticket_idle_seconds) == (90, 20)
    assert hall.api_ticket_limit == "100 per hour"
    assert (hall.booking_notice_minutes, hall.booking_days_ahead) == (120, 21)
    assert (hall.checkin_early_minutes, hall.checkin_grace_minutes) == (5, 20)
    assert hall.case_code == "GS", "stored in capitals"
    assert hall.case_step_days == {"intake": 2, "deliberating": 20}, "only the limits that differ from the defaults"


def test_the_administrator_chooses_which_services_take_appointments(demo, admin):
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'name="bookable-A" value="1" checked' in page and 'name="bookable-B" value="1" >' in page
    form = {**GOOD, "bookable-B": "1", "slot_minutes-B": "45", "slot_capacity-B": "2"}
    assert admin.post("/admin/settings", data=form).status_code == 303
    db.session.expire_all()
    mediation, advice = queue.service_by_code(demo, "B"), queue.service_by_code(demo, "A")
    assert (mediation.bookable, mediation.slot_minutes, mediation.slot_capacity) == (True, 45, 2)
    assert advice.bookable
    # the kiosk's booking entry and the API follow
    services = {s["code"]: s for s in admin.get(f"/api/v1/halls/{demo.slug}/services").get_json()}
    assert services["B"]["bookable"] is True and services["B"]["slot_minutes"] == 45
    # unticking every box: nothing takes appointments, and the kiosk home offers no booking
    form = {k: v for k, v in GOOD.items() if not k.startswith("bookable-")}
    assert admin.post("/admin/settings", data=form).status_code == 303
    db.session.expire_all()
    assert not queue.service_by_code(demo, "A").bookable
    assert 'data-testid="book-entry"' not in admin.get(f"/k/{demo.slug}").get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("name", "  ", "请输入大厅名称"),
    ("opens_at", "8点半", "例如 08:30"),
    ("closes_at", "08:00", "下班时间必须晚于上班时间"),
    ("weekdays", [], "至少选择一个开放日"),
    ("weekdays", ["1", "9"], "请从列表中选择"),
    ("kiosk_idle_seconds", "5", "15 到 600"),
    ("ticket_idle_seconds", "abc", "10 到 300"),
    ("api_limit-minute", "abc", "“abc” 不是票数"),
    ("api_limit-hour", "0", "1 到 100000"),
    ("api_limit-day", "2.5", "1 到 100000"),
    ("notice", "长" * 501, "500"),
    ("booking_days_ahead", "0", "1 到 90 天"),
    ("checkin_grace_minutes", "-1", "0 到 120 分钟"),
    ("slot_minutes-A", "3", "5 到 240 分钟"),
    ("slot_capacity-A", "0", "1 到 50"),
])
def test_bad_settings_are_explained_and_nothing_is_saved(demo, admin, field, value, message):
    before = {c: getattr(hall_now(demo), c) for c in ("name", "notice", "opens_at", "closes_at", "open_weekdays",
                                                      "kiosk_idle_seconds", "ticket_idle_seconds", "api_ticket_limit",
                                                      "booking_notice_minutes", "booking_days_ahead",
                                                      "checkin_grace_minutes")}
    before["services"] = [(s.bookable, s.slot_minutes, s.slot_capacity) for s in hall_now(demo).services]
    response = admin.post("/admin/settings", data={**GOOD, field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "本次未保存任何内容" in page
    assert 'aria-invalid="true"' in page
    after = {c: getattr(hall_now(demo), c) for c in before if c != "services"}
    after["services"] = [(s.bookable, s.slot_minutes, s.slot_capacity) for s in hall_now(demo).services]
    assert after == before


def test_the_minimum_notice_must_leave_some_of_the_window(demo, admin):
    response = admin.post("/admin/settings", data={**GOOD, "booking_notice_minutes": "4320", "booking_days_ahead": "3"})
    assert response.status_code == 422 and "最短提前时间必须短于可预约的天数" in response.get_data(as_text=True)
    assert hall_now(demo).booking_days_ahead != 3


def test_messages_follow_the_readers_language(demo, admin):
    admin.get("/admin/settings?lang=en")
    page = admin.post("/admin/settings", data={**GOOD, "closes_at": "07:00"}).get_data(as_text=True)
    assert "Closing time must be after opening time." in page


def test_pausing_a_service_shows_on_the_kiosk_and_refreshes_polling_screens(demo, admin):
    service = queue.service_by_code(demo, "A")
    version = queue.queue_version(demo.id)
    response = admin.post(f"/admin/services/{service.id}/pause", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="services"' in html and "<html" not in html
    assert "法律咨询 已暂停" in html and "恢复" in html
    db.session.expire_all()
    assert queue.service_state(service) == "paused"
    assert queue.queue_version(demo.id) > version
    with pytest.raises(ServicePaused):
        queue.issue_ticket(demo, service)
    # and back
    admin.post(f"/admin/services/{service.id}/resume")
    db.session.expire_all()
    assert queue.service_state(service) == "open"


def test_pause_without_javascript_comes_back_to_settings(demo, admin):
    service = queue.service_by_code(demo, "B")
    response = admin.post(f"/admin/services/{service.id}/pause")
    assert response.status_code == 303 and response.headers["Location"].startswith("/admin/settings")
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "矛盾调解 已暂停" in page


def test_another_halls_service_is_not_found(demo, admin):
    from hall.setup import create_hall, create_service
    other = create_service(create_hall("other", "另一个大厅"), "A", "法律咨询")
    assert admin.post(f"/admin/services/{other.id}/pause").status_code == 404
    db.session.expire_all()
    assert not other.paused


# ---- the rules, without HTTP ------------------------------------------------------------------

@pytest.mark.parametrize("raw, ok", [
    ("30 per minute", True), ("200/hour", True), ("5 per second", True), ("1 per day", True),
    ("", False), ("many", False), ("0 per minute", False), ("-3 per minute", False), ("30 per fortnight", False),
])
def test_rate_limits_are_flask_limiter_notation(raw, ok):
    assert (hall_settings.check_rate_limit(raw) is not None) is ok


def test_clean_reports_every_problem_at_once():
    with pytest.raises(hall_settings.SettingsInvalid) as caught:
        hall_settings.clean({**GOOD, "name": "", "closes_at": "", "api_limit-minute": "x"})
    assert set(caught.value.errors) == {"name", "closes_at", "api_limit-minute"}


# ---- cases: the numbers' code and each step's limit ---------------------------------------------

def test_the_case_settings_show_the_code_and_each_steps_limit(demo, admin):
    page = admin.get("/admin/settings?lang=en").get_data(as_text=True)
    assert 'id="case-settings"' in page and 'name="case_code" value=""' in page
    year = __import__("hall.clock", fromlist=["local"]).local(demo).year
    assert f"DEMO-{year}-0001" in page, "an example number with the slug as the code"
    assert 'name="step_days-intake" min="1" max="365" value="1"' in page
    assert 'name="step_days-following_up" min="1" max="365" value="30"' in page
    hall_now(demo).case_step_days = {"sorted": 5}
    db.session.commit()
    assert 'name="step_days-sorted" min="1" max="365" value="5"' in admin.get("/admin/settings").get_data(as_text=True)


def test_a_new_code_numbers_the_next_cases(demo, admin):
    from hall import cases
    from hall.models import CaseSource
    assert admin.post("/admin/settings", data=GOOD).status_code == 303
    case = cases.open_case(hall_now(demo), source=CaseSource.staff, category="neighbour")
    assert case.number.startswith("GS-")
    # empty again: the slug in capitals; a blank limit is the default
    form = {**GOOD, "case_code": " ", "step_days-deliberating": ""}
    assert admin.post("/admin/settings", data=form).status_code == 303
    hall = hall_now(demo)
    assert hall.case_code == "" and hall.case_step_days == {"intake": 2}
    assert cases.open_case(hall, source=CaseSource.staff, category="neighbour").number.startswith("DEMO-")


@pytest.mark.parametrize("field, value, message", [
    ("case_code", "GS-1", "12 letters and digits"),
    ("case_code", "拱墅", "12 letters and digits"),
    ("case_code", "A" * 13, "12 letters and digits"),
    ("case_code", "OTHER", "Another hall numbers its cases with OTHER"),   # the other hall's slug
    ("case_code", "XH", "Another hall numbers its cases with XH"),         # … or its code
    ("step_days-sorted", "0", "1 to 365"),
    ("step_days-rated", "two", "1 to 365"),
    ("step_days-acting", "366", "1 to 365"),
])
def test_bad_case_settings_are_explained_and_nothing_is_saved(demo, admin, field, value, message):
    from hall.setup import create_hall
    other = create_hall("other", "另一个大厅")
    create_hall("third", "第三个大厅").case_code = "XH"
    db.session.commit()
    admin.get("/admin/settings?lang=en")
    response = admin.post("/admin/settings", data={**GOOD, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert f'name="{field}"' in page and 'aria-invalid="true" aria-describedby="err-' + field + '"' in page
    hall = hall_now(demo)
    assert (hall.case_code, hall.case_step_days, hall.name) == ("", {}, demo.name)
    assert other.case_code == ""


def test_a_code_another_halls_cases_were_numbered_with_is_taken(demo, admin):
    from hall import cases
    from hall.models import CaseSource
    from hall.setup import create_hall
    other = create_hall("other", "另一个大厅")
    cases.open_case(other, source=CaseSource.staff, category="neighbour")  # OTHER-…-0001
    other.case_code = "NEW"
    db.session.commit()
    admin.get("/admin/settings?lang=en")
    response = admin.post("/admin/settings", data={**GOOD, "case_code": "OTHER"})
    assert response.status_code == 422 and "Another hall numbers its cases with OTHER" in response.get_data(as_text=True)

