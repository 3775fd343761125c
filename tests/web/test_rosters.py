"""Advisers and rosters through the test client: the pages, the htmx fragments that edit in place,
bad input (422, marked, nothing saved), the photo upload and its route, CSRF, roles, and the
kiosk's 今日值班. Messages of this issue are checked in English (?lang=en): the Chinese comes from
the catalogue."""
from __future__ import annotations

import io
import os
import re
from datetime import time, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from conftest import login
from hall import clock, create_app, queue, rosters
from hall.extensions import db
from hall.models import Adviser, ClosedDay, Shift, ShiftException

HX = {"HX-Request": "true"}


@pytest.fixture
def admin(demo, client):
    assert login(client, "admin").status_code == 303
    client.get("/admin/rosters?lang=en")
    return client


def fu(demo) -> Adviser:
    return rosters.advisers(demo)[0]


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def fragment(response) -> str:
    html = response.get_data(as_text=True)
    assert "<html" not in html, "a fragment, not a page"
    assert "HX-Request" in response.headers.get("Vary", "")
    return html


def png(size=(40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 90, 30)).save(out, "PNG")
    return out.getvalue()


def noisy_jpeg(side=600) -> bytes:
    """A real JPEG well over the app's usual 64 KB request limit."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


NEW = {"name": "王志明", "kind": "legal_literate", "specialties": ["neighbour", "property"], "intro": "小区楼长。",
       "active": "1", "counter_id": "", "user_id": ""}


# ---- the advisers' list ------------------------------------------------------------------------

def test_the_list_shows_the_demo_advisers_and_is_linked_from_the_menu(demo, admin):
    page = admin.get("/admin/rosters").get_data(as_text=True)
    for name in ("傅国强", "潘美华", "陈律师", "李顾问"):
        assert name in page
    assert "老傅调解室" in page and 'href="/admin/rosters"' in page
    assert 'aria-current="page"' in page


def test_staff_other_than_admins_see_no_roster_link(demo, client):
    login(client, "reception")
    assert 'href="/admin/rosters"' not in client.get("/admin/console").get_data(as_text=True)


def test_an_adviser_is_added_in_place(demo, admin):
    form = admin.get("/admin/rosters/advisers/new", headers=HX)
    html = fragment(form)
    assert 'name="name"' in html and 'name="specialties"' in html and "Add an adviser" in html
    response = admin.post("/admin/rosters/advisers", headers=HX,
                          data={**NEW, "services": [str(queue.service_by_code(demo, "B").id)]})
    html = fragment(response)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#advisers" and response.headers["HX-Reswap"] == "outerHTML"
    assert 'id="advisers"' in html and "王志明" in html and "was added" in html
    assert 'id="adviser-new" hx-swap-oob="innerHTML"' in html
    added = db.session.scalar(select(Adviser).where(Adviser.name == "王志明"))
    assert added.specialties == "neighbour,property" and [s.code for s in added.services] == ["B"]


def test_a_bad_adviser_is_explained_in_the_form_and_nothing_is_saved(demo, admin):
    before = count(Adviser)
    version = queue.queue_version(demo.id)
    response = admin.post("/admin/rosters/advisers", headers=HX, data={**NEW, "name": "", "kind": "wizard"})
    html = fragment(response)
    assert response.status_code == 422
    assert "Please enter the adviser" in html and "Please choose what kind of adviser" in html
    assert 'aria-invalid="true"' in html and "Nothing was saved" in html
    assert count(Adviser) == before and queue.queue_version(demo.id) == version


def test_without_javascript_adding_redirects_and_bad_input_shows_the_page(demo, admin):
    response = admin.post("/admin/rosters/advisers", data=NEW)
    assert response.status_code == 303 and "/admin/rosters/advisers/" in response.headers["Location"]
    page = admin.post("/admin/rosters/advisers", data={**NEW, "name": "x" * 41})
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert "at most 40 characters" in page.get_data(as_text=True)


def test_one_url_for_page_and_fragment_varies_on_hx_request(demo, admin):
    adviser = fu(demo)
    for url in ("/admin/rosters/advisers/new", f"/admin/rosters/advisers/{adviser.id}/edit"):
        page = admin.get(url)
        assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
        assert "HX-Request" in page.headers.get("Vary", "")
        fragment(admin.get(url, headers=HX))


def test_an_adviser_is_edited_in_place(demo, admin):
    adviser = fu(demo)
    html = fragment(admin.get(f"/admin/rosters/advisers/{adviser.id}/edit", headers=HX))
    assert f'id="adviser-{adviser.id}"' in html and 'value="傅国强"' in html and "<form" in html
    assert re.search(r'value="family"\s+checked', html)
    values = {"name": "傅国强", "kind": "people_mediator", "specialties": ["family"], "intro": "新的介绍",
              "active": "1", "counter_id": str(adviser.counter_id), "user_id": str(adviser.user_id),
              "services": [str(s.id) for s in adviser.services]}
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}", headers=HX, data=values)
    html = fragment(response)
    assert response.status_code == 200 and f'id="adviser-{adviser.id}"' in html and "<form" not in html
    assert "was saved" in html
    db.session.expire_all()
    assert db.session.get(Adviser, adviser.id).intro == "新的介绍"
    # cancel: the card as it was
    html = fragment(admin.get(f"/admin/rosters/advisers/{adviser.id}/row", headers=HX))
    assert "action-edit" in html and "<form" not in html
    # bad input: the form again, marked, nothing saved
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}", headers=HX, data={**values, "intro": "长" * 501})
    assert response.status_code == 422 and "<form" in fragment(response)
    db.session.expire_all()
    assert db.session.get(Adviser, adviser.id).intro == "新的介绍"


def test_another_halls_adviser_is_not_found(demo, admin):
    from hall.setup import create_hall
    other = create_hall("other", "另一个大厅")
    stranger = Adviser(hall_id=other.id, name="外人", kind="lawyer")
    db.session.add(stranger)
    db.session.commit()
    assert admin.get(f"/admin/rosters/advisers/{stranger.id}").status_code == 404
    assert admin.post(f"/admin/rosters/advisers/{stranger.id}", data=NEW).status_code == 404
    assert admin.post(f"/admin/rosters/advisers/{stranger.id}/shifts",
                      data={"weekday": "1", "starts_at": "09:00", "ends_at": "10:00"}).status_code == 404
    assert count(Shift) == sum(len(a.shifts) for a in rosters.advisers(demo))


# ---- the weekly pattern and exceptions ---------------------------------------------------------

def test_the_weekly_pattern_is_edited_in_place(demo, admin):
    adviser = fu(demo)
    page = admin.get(f"/admin/rosters/advisers/{adviser.id}").get_data(as_text=True)
    assert 'id="shifts"' in page and 'id="exceptions"' in page and 'id="photo"' in page
    assert page.count("<td class=\"time\">09:00–11:30</td>") == 5

    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/shifts", headers=HX,
                          data={"weekday": "6", "starts_at": "09:30", "ends_at": "12:00", "every_weeks": "2",
                                "valid_from": "2026-12-05"})
    html = fragment(response)
    assert response.status_code == 200 and html.count('id="shifts"') == 1 and "09:30–12:00" in html
    assert "The range was added." in html
    shift = db.session.scalar(select(Shift).where(Shift.adviser_id == adviser.id, Shift.weekday == 6))
    assert shift.every_weeks == 2

    # change it: the row becomes its form, then the section comes back
    html = fragment(admin.get(f"/admin/rosters/shifts/{shift.id}/edit", headers=HX))
    assert f'action="/admin/rosters/shifts/{shift.id}"' in html and 'value="09:30"' in html
    response = admin.post(f"/admin/rosters/shifts/{shift.id}", headers=HX,
                          data={"weekday": "6", "starts_at": "10:00", "ends_at": "12:00", "every_weeks": "1",
                                "valid_from": "2026-12-05"})
    assert response.status_code == 200 and "10:00–12:00" in fragment(response)
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).starts_at == time(10)

    # an overlap is refused with a clear message, and the form keeps what was typed
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/shifts", headers=HX,
                          data={"weekday": "1", "starts_at": "11:00", "ends_at": "12:00", "valid_from": "2026-12-07"})
    html = fragment(response)
    assert response.status_code == 422 and "overlaps Monday 09:00–11:30" in html and 'value="11:00"' in html

    # delete (the button asks first)
    assert "hx-confirm" in html
    response = admin.post(f"/admin/rosters/shifts/{shift.id}/delete", headers=HX)
    assert response.status_code == 200 and "10:00–12:00" not in fragment(response)
    assert db.session.get(Shift, shift.id) is None


def test_leave_and_extra_sessions_are_added_and_deleted(demo, admin):
    adviser = fu(demo)
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/exceptions", headers=HX,
                          data={"kind": "leave", "day": "2030-01-03", "note": "年假"})
    html = fragment(response)
    assert response.status_code == 200 and 'id="exceptions"' in html and "年假" in html and "Whole day" in html
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/exceptions", headers=HX,
                          data={"kind": "extra", "day": "2030-01-05"})
    assert response.status_code == 422 and "such as 09:00" in fragment(response)
    found = db.session.scalar(select(ShiftException).where(ShiftException.adviser_id == adviser.id))
    response = admin.post(f"/admin/rosters/exceptions/{found.id}/delete", headers=HX)
    assert response.status_code == 200 and "年假" not in fragment(response)
    assert count(ShiftException) == 0


def test_closed_days(demo, admin):
    page = admin.get("/admin/rosters/closed-days").get_data(as_text=True)
    assert 'id="closed-days"' in page
    response = admin.post("/admin/rosters/closed-days", headers=HX, data={"day": "2030-10-01", "name": "国庆节"})
    assert response.status_code == 200 and "国庆节" in fragment(response)
    response = admin.post("/admin/rosters/closed-days", headers=HX, data={"day": "2030-10-01", "name": "again"})
    assert response.status_code == 422 and "already a closed day" in fragment(response)
    assert count(ClosedDay) == 1
    closed = db.session.scalar(select(ClosedDay))
    response = admin.post(f"/admin/rosters/closed-days/{closed.id}/delete")
    assert response.status_code == 303 and count(ClosedDay) == 0


# ---- the week ----------------------------------------------------------------------------------

def test_the_week_view_prints_on_one_a4_landscape_page(demo, admin):
    today = clock.local_day(demo)
    adviser = fu(demo)
    monday = today - timedelta(days=today.isoweekday() - 1)
    following = monday + timedelta(days=7)
    response = admin.get(f"/admin/rosters/week?start={following.isoformat()}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "傅国强" in page and "老傅调解室" in page and "09:00–11:30" in page
    assert f"start={monday.isoformat()}" in page  # previous week
    assert f"start={(following + timedelta(days=7)).isoformat()}" in page  # next
    assert 'id="week-previous"' in page and 'id="week-next"' in page
    css = admin.get("/static/css/rosters.css").get_data(as_text=True)
    assert "@page { size: A4 landscape" in css and ".admin-bar" in css.split("@media print")[1]
    assert adviser.name in page
    bad = admin.get("/admin/rosters/week?start=2026-02-30")
    assert bad.status_code == 422


# ---- the photo ---------------------------------------------------------------------------------

def test_a_photo_over_64_kb_is_uploaded_reencoded_and_served_to_anyone(demo, admin, client):
    adviser = fu(demo)
    data = noisy_jpeg()
    assert len(data) > 64 * 1024
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/photo", headers=HX,
                          data={"photo": (io.BytesIO(data), "me.jpg")}, content_type="multipart/form-data")
    html = fragment(response)
    assert response.status_code == 200 and "The photo was saved." in html
    assert f'src="/admin/advisers/{adviser.id}/photo"' in html
    served = admin.get(f"/admin/advisers/{adviser.id}/photo")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.data[:3] == b"\xff\xd8\xff" and served.headers.get("ETag")
    admin.post("/admin/logout")
    anonymous = client.get(f"/admin/advisers/{adviser.id}/photo")
    assert anonymous.status_code == 200 and anonymous.data == served.data


def test_a_bad_photo_is_refused_with_a_message(demo, admin):
    adviser = fu(demo)
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/photo", headers=HX,
                          data={"photo": (io.BytesIO(b"GIF89a not a photo"), "me.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "JPEG or PNG" in fragment(response)
    big = png() + b"\0" * (2 * 1024 * 1024)
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/photo", headers=HX,
                          data={"photo": (io.BytesIO(big), "big.png")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "2 MB" in fragment(response)
    huge = admin.post(f"/admin/rosters/advisers/{adviser.id}/photo", headers=HX,
                      data={"photo": (io.BytesIO(b"\0" * (3 * 1024 * 1024)), "huge.png")},
                      content_type="multipart/form-data")
    assert huge.status_code == 413
    # another route keeps the app's small limit
    assert admin.post(f"/admin/rosters/advisers/{adviser.id}/exceptions",
                      data={"note": "x" * (200 * 1024)}).status_code == 413
    db.session.expire_all()
    assert db.session.get(Adviser, adviser.id).photo_type is None
    assert admin.get(f"/admin/advisers/{adviser.id}/photo").status_code == 404


def test_removing_a_photo(demo, admin):
    adviser = fu(demo)
    rosters.set_photo(adviser, png())
    response = admin.post(f"/admin/rosters/advisers/{adviser.id}/photo/delete", headers=HX)
    assert response.status_code == 200 and "The photo was removed." in fragment(response)
    assert admin.get(f"/admin/advisers/{adviser.id}/photo").status_code == 404


# ---- roles and CSRF ----------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["reception", "mediator"])
def test_reception_and_mediators_may_not_touch_rosters(demo, client, username):
    login(client, username)
    adviser = fu(demo)
    assert client.get("/admin/rosters").status_code == 403
    assert client.get("/admin/rosters/week").status_code == 403
    assert client.post(f"/admin/rosters/advisers/{adviser.id}/shifts",
                       data={"weekday": "6", "starts_at": "09:00", "ends_at": "10:00"}).status_code == 403
    assert not any(s.weekday == 6 for s in fu(demo).shifts)


def test_anonymous_is_sent_to_log_in(demo, client):
    response = client.get("/admin/rosters/week")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    response = client.post(f"/admin/rosters/advisers/{fu(demo).id}/shifts", headers=HX)
    assert response.status_code == 401 and "/admin/login" in response.headers["HX-Redirect"]


@pytest.fixture
def strict(app, demo):
    """The same database with CSRF protection on, as in production."""
    adviser_id = fu(demo).id
    db.session.close()
    strict_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                             "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": True,
                             "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with strict_app.app_context():
        yield strict_app.test_client(), adviser_id
        db.session.remove()
        db.engine.dispose()


def test_changes_need_the_csrf_token_htmx_sends(strict):
    client, adviser_id = strict
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/admin/login", data={"username": "admin", "password": "hall-demo",
                                             "csrf_token": token}).status_code == 303
    page = client.get(f"/admin/rosters/advisers/{adviser_id}").get_data(as_text=True)
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    data = {"weekday": "6", "starts_at": "09:00", "ends_at": "10:00"}
    refused = client.post(f"/admin/rosters/advisers/{adviser_id}/shifts", headers=HX, data=data)
    assert refused.status_code == 400 and refused.headers["HX-Retarget"] == "#flash"
    assert db.session.scalar(select(func.count()).select_from(Shift).where(Shift.weekday == 6)) == 0
    accepted = client.post(f"/admin/rosters/advisers/{adviser_id}/shifts", headers={**HX, "X-CSRFToken": header},
                           data=data)
    assert accepted.status_code == 200
    # the photo upload is protected too, and its larger limit holds with CSRF reading the body first
    photo = noisy_jpeg()
    refused = client.post(f"/admin/rosters/advisers/{adviser_id}/photo", headers=HX,
                          data={"photo": (io.BytesIO(photo), "p.jpg")}, content_type="multipart/form-data")
    assert refused.status_code == 400
    accepted = client.post(f"/admin/rosters/advisers/{adviser_id}/photo", headers={**HX, "X-CSRFToken": header},
                           data={"photo": (io.BytesIO(photo), "p.jpg")}, content_type="multipart/form-data")
    assert accepted.status_code == 200 and "/photo" in accepted.get_data(as_text=True)
    assert client.get(f"/admin/advisers/{adviser_id}/photo").headers["Content-Type"] == "image/jpeg"


# ---- the kiosk's 今日值班 ----------------------------------------------------------------------

def on_duty_all_day(hall):
    """The first demo adviser on duty today, whatever day the test runs."""
    adviser = fu(hall)
    today = clock.local_day(hall)
    rosters.save_shift(adviser, {"weekday": str(today.isoweekday()), "starts_at": "00:00", "ends_at": "23:59",
                                 "valid_from": today.isoformat()}) if not any(
        s.weekday == today.isoweekday() for s in adviser.shifts) else None
    return adviser


def test_the_kiosk_home_shows_who_is_on_duty_today(demo, client):
    adviser = on_duty_all_day(demo)
    rosters.set_photo(adviser, png())
    page = client.get(f"/k/{demo.slug}?lang=en").get_data(as_text=True)
    panel = page[page.index('id="on-duty"'):]
    panel = panel[:panel.index("</section>")]
    assert "hidden" not in panel.split(">", 1)[0]
    assert "On duty today" in panel and "傅国强" in panel and "People&#39;s mediator" in panel
    assert "老傅调解室" in panel and f'/admin/advisers/{adviser.id}/photo' in panel
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", panel)
    # the polling fragment stays the tiles alone
    assert 'id="on-duty"' not in client.get(f"/k/{demo.slug}", headers=HX).get_data(as_text=True)
    # the panel's own refresh asks for the page and keeps only itself
    refreshed = client.get(f"/k/{demo.slug}", headers={**HX, "HX-Boosted": "true"}).get_data(as_text=True)
    assert 'id="on-duty"' in refreshed


def test_the_panel_is_hidden_when_nobody_is_on_duty(demo, client):
    today = clock.local_day(demo)
    rosters.save_closed_day(demo, {"day": today.isoformat(), "name": "测试休息日"})
    page = client.get(f"/k/{demo.slug}").get_data(as_text=True)
    opening = page[page.index('id="on-duty"'):]
    assert "hidden" in opening.split(">", 1)[0] and "傅国强" not in opening.split("</section>", 1)[0]
