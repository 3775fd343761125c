"""Services and counters edited in /admin/settings, through the test client: administrators only,
htmx fragments, bad input explained with nothing changed; the API ticket limit as numbers per
period and the committee's name."""
from __future__ import annotations

import pytest
from conftest import as_user, counter, svc
from sqlalchemy import select

from hall import queue
from hall.extensions import db
from hall.models import Hall, Service, User

HX = {"HX-Request": "true"}
NEW = {"code": "E", "name_zh": "心理咨询", "name_en": "Counselling", "icon": "handshake", "default_minutes": "20"}


def user(name):
    return db.session.scalar(select(User).where(User.username == name))


@pytest.fixture
def admin(demo, client):
    as_user(client, user("admin"), lang=None)
    return client


def service_e(demo):
    db.session.expire_all()
    return db.session.scalar(select(Service).where(Service.hall_id == demo.id, Service.code == "E"))


@pytest.mark.parametrize("role", ["reception", "mediator"])
def test_only_an_administrator_changes_services_and_counters(demo, client, role):
    as_user(client, user(role))
    service, room = svc(demo, "D"), counter(demo, 1)
    for path, data in [("/admin/services", NEW), (f"/admin/services/{service.id}", NEW),
                       (f"/admin/services/{service.id}/retire", {}), (f"/admin/services/{service.id}/move/up", {}),
                       ("/admin/counters", {"number": "7", "services": [str(service.id)]}),
                       (f"/admin/counters/{room.id}", {"name": "x", "services": [str(service.id)]}),
                       (f"/admin/counters/{room.id}/retire", {})]:
        assert client.post(path, data=data, headers=HX).status_code == 403, path
    db.session.expire_all()
    assert service_e(demo) is None and not svc(demo, "D").retired and counter(demo, 1).active
    assert [c.number for c in demo.counters] == [1, 2, 3, 4]


def test_the_settings_page_lists_services_with_icons_and_counters(demo, admin):
    page = admin.get("/admin/settings").get_data(as_text=True)
    for code in "ABCD":
        assert f'id="service-{code}"' in page
    assert page.count('name="icon" value="scale"') == 5, "one icon choice per service, and one to add"
    assert 'id="counter-row-3"' in page and "老傅调解室" in page
    assert "添加服务事项" in page and "添加窗口或调解室" in page


def test_adding_a_service_answers_the_panel_and_the_kiosk_shows_the_tile(demo, admin):
    response = admin.post("/admin/services", data=NEW, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="places"' in html and "<html" not in html
    assert 'id="service-E"' in html and "已添加 心理咨询" in html and 'hx-swap-oob' in html
    assert "还没有窗口办理该事项" in html, "the new service asks for a counter"
    assert '<tbody id="booking-rows" hx-swap-oob="true">' in html and 'id="booking-E"' in html, \
        "the settings form's booking rows take the new service"
    service = service_e(demo)
    assert (service.name_en, service.icon, service.default_minutes) == ("Counselling", "handshake", 20)
    kiosk = admin.get(f"/k/{demo.slug}").get_data(as_text=True)
    assert 'data-service="E"' in kiosk and "心理咨询" in kiosk
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "添加服务事项" in audit and "E 心理咨询 / Counselling" in audit


@pytest.mark.parametrize("field, value, message", [
    ("code", "A", "A 已是“法律咨询”的代码"),
    ("code", "7", "请输入一到两个字母"),
    ("name_zh", "", "请输入事项的中文名称"),
    ("icon", "rocket", "请选择一个图标"),
    ("default_minutes", "0", "1 到 240"),
])
def test_a_bad_service_is_explained_and_nothing_is_added(demo, admin, field, value, message):
    version = queue.queue_version(demo.id)
    response = admin.post("/admin/services", data={**NEW, field: value}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and "本次未保存任何内容" in html
    assert f'aria-describedby="err-service-new-{field}"' in html
    assert '<details class="place-add" id="service-add" open>' in html, "the form stays open"
    assert f'value="{NEW["name_en"]}"' in html, "what was typed is kept"
    assert service_e(demo) is None and queue.queue_version(demo.id) == version
    # without JavaScript: the whole page, marked
    page = admin.post("/admin/services", data={**NEW, field: value})
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True) and message in page.get_data(as_text=True)


def test_retiring_a_service_takes_it_off_the_kiosk_and_the_api(demo, admin, client):
    ticket = queue.issue_ticket(demo, svc(demo, "D"), check_hours=False)
    queue.finish(queue.call_next(counter(demo, 1)))
    response = admin.post(f"/admin/services/{svc(demo, 'D').id}/retire", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "已停用的事项" in html and "重新启用" in html
    db.session.expire_all()
    kiosk = admin.get(f"/k/{demo.slug}").get_data(as_text=True)
    assert 'data-service="D"' not in kiosk
    assert admin.get(f"/k/{demo.slug}/s/D").status_code == 404
    codes = [s["code"] for s in admin.get(f"/api/v1/halls/{demo.slug}/services").get_json()]
    assert codes == ["A", "B", "C"]
    refused = admin.post(f"/api/v1/halls/{demo.slug}/tickets", json={"service": "D"},
                         headers={"Accept-Language": "en"})
    assert refused.status_code == 404 and "no longer offered" in refused.get_json()["error"]
    # the old ticket still shows its service's name
    phone_page = admin.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert "投诉建议" in phone_page


def test_a_refused_retirement_says_why_and_changes_nothing(demo, admin):
    response = admin.post(f"/admin/services/{svc(demo, 'B').id}/retire", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "只办理这一事项" in html and "老傅调解室" in html
    db.session.expire_all()
    assert not svc(demo, "B").retired


def test_moving_a_service_up_reorders_the_kiosk(demo, admin):
    response = admin.post(f"/admin/services/{svc(demo, 'C').id}/move/up", headers=HX)
    assert response.status_code == 200 and "信访接待 已上移" in response.get_data(as_text=True)
    kiosk = admin.get(f"/k/{demo.slug}").get_data(as_text=True)
    assert kiosk.index('data-service="C"') < kiosk.index('data-service="B"')
    assert admin.post(f"/admin/services/{svc(demo, 'C').id}/move/sideways", headers=HX).status_code == 422


def test_a_counter_is_added_and_given_its_services(demo, admin):
    a, e = svc(demo, "A"), None
    admin.post("/admin/services", data=NEW, headers=HX)
    e = service_e(demo)
    version = queue.queue_version(demo.id)
    response = admin.post("/admin/counters", data={"number": "5", "name": "和事佬调解室",
                                                   "services": [str(e.id)]}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "已添加 5 号窗口" in html and 'id="counter-row-5"' in html
    assert queue.queue_version(demo.id) > version
    db.session.expire_all()
    room = counter(demo, 5)
    assert (room.name, [s.code for s in room.services]) == ("和事佬调解室", ["E"])
    # and what it serves changes
    response = admin.post(f"/admin/counters/{room.id}", data={"name": "和事佬调解室", "services": [str(a.id), str(e.id)]},
                          headers=HX)
    assert response.status_code == 200
    db.session.expire_all()
    assert [s.code for s in counter(demo, 5).services] == ["A", "E"]
    assert "修改窗口办理的事项" in admin.get("/admin/audit").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"number": "3", "services": ["A"]}, "3 号窗口已存在"),
    ({"number": "abc", "services": ["A"]}, "1 到 999"),
    ({"number": "6", "services": []}, "请至少勾选一项该窗口办理的事项"),
])
def test_a_bad_counter_is_explained_and_nothing_is_added(demo, admin, data, message):
    data = {**data, "services": [str(svc(demo, c).id) for c in data["services"]]}
    response = admin.post("/admin/counters", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert '<details class="place-add" id="counter-add" open>' in html
    db.session.expire_all()
    assert [c.number for c in db.session.get(Hall, demo.id).counters] == [1, 2, 3, 4]


def test_another_halls_counter_is_not_found(demo, admin):
    from hall.setup import create_counter, create_hall, create_service
    other = create_hall("other", "另一个大厅")
    room = create_counter(other, 1, "", [create_service(other, "A", "法律咨询")])
    assert admin.post(f"/admin/counters/{room.id}/retire", headers=HX).status_code == 404
    db.session.expire_all()
    assert room.active


# ---- the API ticket limit and the committee's name ------------------------------------------------

def test_a_limit_of_several_rules_shows_as_rows_and_saves_back(demo, admin):
    from web.test_settings import GOOD
    hall = db.session.get(Hall, demo.id)
    hall.api_ticket_limit = "30 per minute; 200 per hour"
    db.session.commit()
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'name="api_limit-minute" min="1" max="100000" value="30"' in page
    assert 'name="api_limit-hour" min="1" max="100000" value="200"' in page
    assert "每分钟" in page and "每小时" in page and "每天" in page
    form = {k: v for k, v in GOOD.items() if not k.startswith("api_limit")}
    assert admin.post("/admin/settings", data={**form, "api_limit-minute": "20", "api_limit-day": "500"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Hall, demo.id).api_ticket_limit == "20 per minute; 500 per day"
    # every box empty: refused, nothing changed
    response = admin.post("/admin/settings", data=form)
    assert response.status_code == 422 and "请至少填写一项限制" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Hall, demo.id).api_ticket_limit == "20 per minute; 500 per day"


def test_a_hand_written_limit_the_boxes_cannot_show_is_named(demo, admin):
    hall = db.session.get(Hall, demo.id)
    hall.api_ticket_limit = "5 per second; 100 per hour"
    db.session.commit()
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'id="limit-other"' in page and "5 per second" in page
    assert 'name="api_limit-hour" min="1" max="100000" value="100"' in page


def test_the_committee_name_is_a_case_setting(demo, admin):
    from web.test_settings import GOOD
    page = admin.get("/admin/settings").get_data(as_text=True)
    case_section = page[page.index('id="case-settings"'):]
    assert 'name="committee_name"' in case_section and f'placeholder="{demo.name}"' in case_section
    assert admin.post("/admin/settings", data={**GOOD, "committee_name": " 和睦街道人民调解委员会 "}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Hall, demo.id).committee_name == "和睦街道人民调解委员会"
    response = admin.post("/admin/settings", data={**GOOD, "committee_name": "长" * 121})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Hall, demo.id).committee_name == "和睦街道人民调解委员会"


def test_a_service_added_beside_an_open_settings_form_keeps_its_settings_when_the_form_is_saved(demo, admin):
    from web.test_settings import GOOD
    admin.post("/admin/services", data=NEW, headers=HX)  # the main form, opened before, has no E fields
    response = admin.post("/admin/settings", data=GOOD)
    assert response.status_code == 303
    service = service_e(demo)
    assert (service.bookable, service.slot_minutes, service.slot_capacity) == (False, 30, 1)


def test_a_bad_rename_is_explained_in_its_own_form_and_nothing_changes(demo, admin):
    service = svc(demo, "C")
    response = admin.post(f"/admin/services/{service.id}", data={**NEW, "name_zh": " "}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请输入事项的中文名称" in html
    assert f'aria-describedby="err-service-{service.id}-name_zh"' in html
    assert html.count("请输入事项的中文名称") == 1, "only the form that was sent is marked"
    db.session.expire_all()
    assert (svc(demo, "C").name_zh, svc(demo, "C").icon) == ("信访接待", "document")
    response = admin.post(f"/admin/services/{service.id}", data={**NEW, "name_zh": "信访", "name_en": "Letters"},
                          headers=HX)
    assert response.status_code == 200
    db.session.expire_all()
    assert (svc(demo, "C").code, svc(demo, "C").name_zh, svc(demo, "C").name_en) == ("C", "信访", "Letters")


def test_delete_is_for_a_service_nobody_used(demo, admin):
    used, unused = svc(demo, "A"), svc(demo, "C")
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert f"/admin/services/{used.id}/retire" in page and f"/admin/services/{used.id}/delete" not in page
    assert f"/admin/services/{unused.id}/delete" in page and f"/admin/services/{unused.id}/retire" not in page
    response = admin.post(f"/admin/services/{used.id}/delete", headers=HX)
    assert response.status_code == 422 and "只能停用" in response.get_data(as_text=True)
    assert admin.post(f"/admin/services/{unused.id}/delete", headers=HX).status_code == 200
    db.session.expire_all()
    codes = [s.code for s in db.session.scalars(select(Service).where(Service.hall_id == demo.id))]
    assert "A" in codes and "C" not in codes


def test_another_halls_service_cannot_be_renamed(demo, admin):
    from hall.setup import create_hall, create_service
    other = create_service(create_hall("other", "另一个大厅"), "A", "法律咨询")
    assert admin.post(f"/admin/services/{other.id}", data=NEW, headers=HX).status_code == 404
    db.session.expire_all()
    assert other.name_zh == "法律咨询"
