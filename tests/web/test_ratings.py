"""Visit ratings on staff screens through the test client: a finished visit's rating and comment
on the console of the counter that served it (reception, a mediator at their room), and the
administrator's list (/admin/ratings): counts per rating, filters, pages, bad filters refused with
a message (422), other roles refused, and the menu's link for administrators only."""
from __future__ import annotations

import re

import pytest
from conftest import as_user, counter
from rating_data import rated_visit
from sqlalchemy import select

from hall import clock, queue
from hall.extensions import db
from hall.models import User

HX = {"HX-Request": "true"}


@pytest.fixture
def staff(demo):
    return {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == demo.id))}


def finished_part(html: str) -> str:
    return html.split('id="just-finished"', 1)[1].split("</section>", 1)[0]


def test_the_console_shows_each_finished_visits_rating_and_comment(demo, client, staff):
    one = counter(demo, 1)
    rated = rated_visit(demo, "A", one, "dissatisfied", "等了<b>太久</b>", user=staff["reception"])
    fair = rated_visit(demo, "C", one, "fairly_satisfied", user=staff["reception"])
    plain = rated_visit(demo, "D", one, None, user=staff["reception"])
    as_user(client, staff["reception"], lang=None)
    for response in (client.get(f"/admin/console/{one.id}"), client.get(f"/admin/console/{one.id}", headers=HX)):
        part = finished_part(response.get_data(as_text=True))
        rows = dict(re.findall(r'<li data-number="([A-Z]\d{3})"(.*?)</li>', part, re.S))
        assert set(rows) == {rated.display_number, fair.display_number, plain.display_number}
        assert 'rating-dissatisfied">不满意</span>' in rows[rated.display_number]
        assert "等了&lt;b&gt;太久&lt;/b&gt;" in rows[rated.display_number], "the comment, as text"
        assert 'rating-fairly_satisfied">基本满意</span>' in rows[fair.display_number]
        assert "rating-badge" not in rows[plain.display_number] and "rating-comment" not in rows[plain.display_number]


def test_a_rating_given_while_the_console_is_open_shows_at_the_next_poll(demo, client, staff):
    three = counter(demo, 3)
    visit = rated_visit(demo, "B", three, None, user=staff["mediator"])
    as_user(client, staff["mediator"])
    first = client.get(f"/admin/console/{three.id}", headers=HX)
    assert "rating-badge" not in finished_part(first.get_data(as_text=True))
    etag = first.headers["ETag"]
    queue.rate(visit, "satisfied", "老傅很耐心")
    again = client.get(f"/admin/console/{three.id}", headers={**HX, "If-None-Match": etag})
    assert again.status_code == 200, "a rating changes the console"
    part = finished_part(again.get_data(as_text=True))
    assert 'rating-satisfied">Satisfied</span>' in part and "老傅很耐心" in part


def test_the_administrators_list_counts_filters_and_pages(demo, client, staff, monkeypatch):
    one, three = counter(demo, 1), counter(demo, 3)
    old = rated_visit(demo, "A", one, "satisfied", "很好", user=staff["reception"], days_ago=2)
    bad = rated_visit(demo, "B", three, "dissatisfied", "等了太久", user=staff["mediator"], minutes_ago=30)
    fair = rated_visit(demo, "A", one, "fairly_satisfied", user=staff["reception"], minutes_ago=5)
    as_user(client, staff["admin"], lang=None)
    page = client.get("/admin/ratings").get_data(as_text=True)
    assert 'href="/admin/ratings" aria-current="page">群众评价</a>' in page, "the staff menu's link"
    assert "办事评价" in page
    counts = page.split('id="rating-counts"')[1].split("</p>")[0]
    assert "评价总数：3" in counts
    for value in ("satisfied", "fairly_satisfied", "dissatisfied"):
        assert re.search(rf'data-rating="{value}">.*?<strong>1</strong>', counts, re.S), value
    numbers = re.findall(r'<tr data-number="([A-Z]\d{3})" data-rating="(\w+)"', page)
    assert numbers == [(fair.display_number, "fairly_satisfied"), (bad.display_number, "dissatisfied"),
                       (old.display_number, "satisfied")], "newest first"
    row = page.split(f'data-number="{bad.display_number}"')[1].split("</tr>")[0]
    assert "等了太久" in row and "老傅" in row and "3 号窗口" in row, "the comment, who served, where"

    only_bad = client.get("/admin/ratings?rating=dissatisfied").get_data(as_text=True)
    assert re.findall(r'<tr data-number="([A-Z]\d{3})"', only_bad) == [bad.display_number]
    assert 'value="dissatisfied" selected' in only_bad
    legal = queue.service_by_code(demo, "A")
    today = clock.local_day(demo).isoformat()
    narrowed = client.get(f"/admin/ratings?service={legal.id}&first={today}&last={today}").get_data(as_text=True)
    assert re.findall(r'<tr data-number="([A-Z]\d{3})"', narrowed) == [fair.display_number]
    assert f'value="{today}"' in narrowed

    monkeypatch.setattr("hall.ratings.PAGE_SIZE", 2)
    first = client.get("/admin/ratings").get_data(as_text=True)
    assert "第 1 页，共 2 页" in first and 'id="older"' in first and 'id="newer"' not in first
    second = client.get("/admin/ratings?page=2").get_data(as_text=True)
    assert re.findall(r'<tr data-number="([A-Z]\d{3})"', second) == [old.display_number] and 'id="newer"' in second

    nothing = client.get("/admin/ratings?first=2020-01-01&last=2020-01-31").get_data(as_text=True)
    assert 'id="no-ratings"' in nothing and "评价总数：0" in nothing


@pytest.mark.parametrize("query, field", [("first=2026-02-30", "first"), ("rating=great", "rating"),
                                          ("service=abc", "service"), ("service=%C2%B2", "service"),
                                          ("first=2026-03-10&last=2026-03-01", "last")])
def test_a_bad_filter_gets_a_message_and_lists_nothing(demo, client, staff, query, field):
    rated_visit(demo, "A", counter(demo, 1), "satisfied", user=staff["reception"])
    as_user(client, staff["admin"])
    response = client.get(f"/admin/ratings?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="error-{field}"' in page and 'aria-invalid="true"' in page
    assert 'id="ratings-table"' not in page and 'id="ratings-filter"' in page


def test_a_page_number_that_is_no_whole_number_shows_the_first_page(demo, client, staff):
    """'²' passes str.isdigit() but not int(): the filter reads ids and pages with the shared rules."""
    rated_visit(demo, "A", counter(demo, 1), "satisfied", user=staff["reception"])
    as_user(client, staff["admin"])
    for page in ("%C2%B2", "abc", "0", "9" * 30):
        response = client.get(f"/admin/ratings?page={page}")
        assert response.status_code == 200 and 'id="ratings-table"' in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["reception", "mediator"])
def test_only_administrators_open_the_list_and_see_its_link(demo, client, staff, who):
    as_user(client, staff[who])
    assert client.get("/admin/ratings").status_code == 403
    assert 'href="/admin/ratings"' not in client.get("/admin/cases").get_data(as_text=True)
