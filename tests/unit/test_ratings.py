"""Visit ratings as staff see them (hall/ratings.py): the filter read from a query string (the
period in the hall's days, a service, a rating; bad input refused field by field), the rated
visits newest first a page at a time, who finished each, and the count of each rating."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import counter
from rating_data import rated_visit
from sqlalchemy import select

from hall import clock, queue, ratings
from hall.errors import FieldsInvalid
from hall.models import Rating, User


def user(name):
    from hall.extensions import db
    return db.session.scalar(select(User).where(User.username == name))


def test_the_filter_defaults_to_the_last_30_days_of_the_halls_calendar(demo):
    chosen = ratings.parse_filter(demo, {})
    today = clock.local_day(demo)
    assert (chosen.first, chosen.last, chosen.service_id, chosen.rating, chosen.page) == (
        today - timedelta(days=29), today, None, None, 1)
    service = queue.service_by_code(demo, "B")
    chosen = ratings.parse_filter(demo, {"first": "2026-03-01", "last": "2026-03-31", "service": str(service.id),
                                         "rating": "dissatisfied", "page": "3"})
    assert (chosen.first.isoformat(), chosen.last.isoformat(), chosen.service_id, chosen.rating, chosen.page) == (
        "2026-03-01", "2026-03-31", service.id, Rating.dissatisfied, 3)
    assert ratings.parse_filter(demo, {"page": "-2"}).page == 1 and ratings.parse_filter(demo, {"page": "x"}).page == 1


@pytest.mark.parametrize("args, field", [
    ({"first": "2026-13-01"}, "first"), ({"first": "2026-03-10", "last": "2026-03-01"}, "last"),
    ({"service": "999999"}, "service"), ({"service": "B"}, "service"), ({"rating": "great"}, "rating")])
def test_bad_filters_are_refused_field_by_field(demo, args, field):
    with pytest.raises(FieldsInvalid) as refused:
        ratings.parse_filter(demo, args)
    assert set(refused.value.errors) == {field}


def test_rated_visits_newest_first_with_counts_and_who_finished_them(demo):
    reception, mediator = user("reception"), user("mediator")
    one, three = counter(demo, 1), counter(demo, 3)
    old = rated_visit(demo, "A", one, "satisfied", "很好", user=reception, days_ago=3)
    bad = rated_visit(demo, "B", three, "dissatisfied", "等了太久", user=mediator, minutes_ago=30)
    fair = rated_visit(demo, "A", one, "fairly_satisfied", user=reception, minutes_ago=5)
    rated_visit(demo, "A", one, None, user=reception)  # finished, not rated: not listed
    gone = rated_visit(demo, "A", one, "satisfied", user=reception, days_ago=40)  # before the period

    page = ratings.visit_ratings(demo, ratings.parse_filter(demo, {}))
    assert [v.ticket.id for v in page.visits] == [fair.id, bad.id, old.id], "newest rating first"
    assert gone.id not in [v.ticket.id for v in page.visits]
    assert page.counts == {Rating.satisfied: 1, Rating.fairly_satisfied: 1, Rating.dissatisfied: 1}
    assert page.total == page.rated == 3 and page.pages == 1
    assert [v.served_by.username for v in page.visits] == ["reception", "mediator", "reception"]
    assert page.visits[1].ticket.rating_comment == "等了太久"

    only_bad = ratings.visit_ratings(demo, ratings.parse_filter(demo, {"rating": "dissatisfied"}))
    assert [v.ticket.id for v in only_bad.visits] == [bad.id] and only_bad.total == 1
    assert only_bad.counts[Rating.satisfied] == 1, "the counts ignore the rating chosen"
    mediation = queue.service_by_code(demo, "B")
    legal = ratings.visit_ratings(demo, ratings.parse_filter(demo, {"service": str(queue.service_by_code(demo, "A").id)}))
    assert bad.id not in [v.ticket.id for v in legal.visits] and legal.counts[Rating.dissatisfied] == 0
    today = clock.local_day(demo)
    just_today = ratings.visit_ratings(demo, ratings.parse_filter(demo, {"first": today.isoformat()}))
    assert [v.ticket.id for v in just_today.visits] == [fair.id, bad.id], "the period is of the hall's days"
    assert mediation.id in [s.id for s in just_today.services]


def test_a_long_list_comes_a_page_at_a_time(demo, monkeypatch):
    monkeypatch.setattr(ratings, "PAGE_SIZE", 2)
    visits = [rated_visit(demo, "A", counter(demo, 1), "satisfied", minutes_ago=n) for n in range(5)]
    first = ratings.visit_ratings(demo, ratings.parse_filter(demo, {}))
    assert first.pages == 3 and [v.ticket.id for v in first.visits] == [visits[0].id, visits[1].id]
    last = ratings.visit_ratings(demo, ratings.parse_filter(demo, {"page": "3"}))
    assert [v.ticket.id for v in last.visits] == [visits[4].id]
    beyond = ratings.visit_ratings(demo, ratings.parse_filter(demo, {"page": "9"}))
    assert beyond.chosen.page == 3 and [v.ticket.id for v in beyond.visits] == [visits[4].id], "the last page"


def test_another_halls_ratings_are_not_listed(demo):
    from hall.setup import create_counter, create_hall, create_service
    from datetime import time
    other = create_hall("other", "别的大厅", "Asia/Urumqi", opens_at=time(0, 0), closes_at=time(23, 59, 59),
                        open_weekdays="1234567")
    service = create_service(other, "A", "法律咨询", "Legal advice", "scale", 10)
    desk = create_counter(other, 1, "", [service])
    rated_visit(other, "A", desk, "dissatisfied")
    page = ratings.visit_ratings(demo, ratings.parse_filter(demo, {}))
    assert page.visits == [] and page.rated == 0
    with pytest.raises(FieldsInvalid):
        ratings.parse_filter(demo, {"service": str(service.id)})


def test_the_demo_hall_shows_last_weeks_rated_visits_once_and_the_days_end_leaves_them(demo):
    from hall import dayend
    from hall.demo import load_demo
    load_demo(cases=True)
    load_demo(cases=True)
    page = ratings.visit_ratings(demo, ratings.default_filter(demo))
    assert page.rated == 6, "six visits of the past days, loaded once"
    assert page.counts[Rating.dissatisfied] == 1 and page.counts[Rating.satisfied] == 3
    assert all(v.ticket.day < clock.local_day(demo) for v in page.visits)
    assert {v.served_by.username for v in page.visits if v.ticket.code == "B" and v.ticket.counter.number == 3} == {"mediator"}
    dayend.end_day(demo)
    assert ratings.visit_ratings(demo, ratings.default_filter(demo)).rated == 6, "finished visits never expire"
