"""The walk-in queue's rules, called directly: no HTTP."""
from datetime import datetime, time, timedelta, timezone

import pytest
from conftest import svc

from hall import clock, queue
from hall.errors import AlreadyRated, HallClosed, Invalid, NotFound, ServicePaused, WrongState
from hall.extensions import db
from hall.models import TicketStatus as S


def test_numbers_are_prefixed_padded_and_per_service(demo):
    a1 = queue.issue_ticket(demo, svc(demo, "A"))
    a2 = queue.issue_ticket(demo, svc(demo, "A"))
    b1 = queue.issue_ticket(demo, svc(demo, "B"))
    assert [a1.display_number, a2.display_number, b1.display_number] == ["A001", "A002", "B001"]


def test_numbers_restart_each_local_day(demo):
    # 23:30 and 00:30 Shanghai time are 15:30 and 16:30 UTC of one UTC day, two local days.
    late = datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc)
    early = datetime(2026, 3, 2, 16, 30, tzinfo=timezone.utc)
    first = queue.issue_ticket(demo, svc(demo, "A"), at=late)
    second = queue.issue_ticket(demo, svc(demo, "A"), at=early)
    assert first.number == 1 and second.number == 1
    assert first.day != second.day


def test_token_is_random_and_long(demo):
    tickets = [queue.issue_ticket(demo, svc(demo, "A")) for _ in range(3)]
    tokens = {t.token for t in tickets}
    assert len(tokens) == 3
    assert all(len(t) >= 22 and not t.isdigit() for t in tokens)


def test_same_request_key_gives_the_same_ticket(demo):
    one = queue.issue_ticket(demo, svc(demo, "A"), request_key="k" * 16)
    two = queue.issue_ticket(demo, svc(demo, "A"), request_key="k" * 16)
    assert one.id == two.id
    assert queue.issue_ticket(demo, svc(demo, "A")).number == 2


def test_paused_and_closed_refuse(demo):
    service = svc(demo, "A")
    service.paused = True
    db.session.commit()
    with pytest.raises(ServicePaused):
        queue.issue_ticket(demo, service)
    service.paused = False
    demo.opens_at, demo.closes_at, demo.open_weekdays = time(8, 30), time(17, 30), "12345"
    db.session.commit()
    saturday_noon = datetime(2026, 11, 28, 4, 0, tzinfo=timezone.utc)
    monday_night = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)  # 20:00 local
    monday_morning = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)  # 10:00 local
    for at in (saturday_noon, monday_night):
        with pytest.raises(HallClosed):
            queue.issue_ticket(demo, service, at=at)
    assert queue.issue_ticket(demo, service, at=monday_morning).number == 1


def test_bad_phone_is_refused_and_nothing_saved(demo):
    with pytest.raises(Invalid):
        queue.issue_ticket(demo, svc(demo, "A"), phone="12345")
    assert queue.waiting_counts(demo) == {}


def test_priority_lane_first_then_arrival(demo):
    a = svc(demo, "A")
    plain1 = queue.issue_ticket(demo, a)
    plain2 = queue.issue_ticket(demo, a)
    elder = queue.issue_ticket(demo, a, priority=True)
    assert queue.people_ahead(elder) == 0
    assert queue.people_ahead(plain1) == 1
    assert queue.people_ahead(plain2) == 2
    counter = demo.counters[0]
    assert [queue.call_next(counter).id for _ in range(3)] == [elder.id, plain1.id, plain2.id]
    assert queue.call_next(counter) is None


def test_counter_calls_only_its_services(demo):
    mediation_only = next(c for c in demo.counters if c.name == "老傅调解室")
    queue.issue_ticket(demo, svc(demo, "A"))
    assert queue.call_next(mediation_only) is None
    b = queue.issue_ticket(demo, svc(demo, "B"))
    assert queue.call_next(mediation_only).id == b.id


def test_full_walk_and_history(demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    counter = demo.counters[0]
    queue.call_next(counter)
    queue.recall(ticket)
    queue.start(ticket)
    queue.finish(ticket)
    queue.rate(ticket, "fairly_satisfied", "  等得有点久 ")
    assert ticket.status == S.done and ticket.rating.value == "fairly_satisfied"
    assert ticket.rating_comment == "等得有点久"
    assert [(e.action, e.to_status) for e in ticket.events] == [
        ("issue", "waiting"), ("call", "called"), ("recall", "called"), ("start", "serving"),
        ("finish", "done"), ("rate", "done")]
    assert ticket.events[1].counter_id == counter.id
    with pytest.raises(AlreadyRated):
        queue.rate(ticket, "satisfied")


def test_moves_out_of_order_are_refused(demo):
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    for move in (queue.start, queue.finish, queue.no_show, queue.recall):
        with pytest.raises(WrongState):
            move(ticket)
    with pytest.raises(WrongState):
        queue.rate(ticket, "satisfied")
    queue.cancel(ticket)
    with pytest.raises(WrongState):
        queue.call_ticket(ticket, demo.counters[0])
    assert ticket.status == S.cancelled


def test_transfer_keeps_number_page_and_place(demo):
    first = queue.issue_ticket(demo, svc(demo, "A"))
    later_b = queue.issue_ticket(demo, svc(demo, "B"))
    window = demo.counters[0]
    queue.call_next(window)
    room = next(c for c in demo.counters if c.name == "老傅调解室")
    queue.transfer(first, service=svc(demo, "B"), counter=room, note="需要调解")
    assert first.status == S.waiting and first.display_number == "A001"
    assert first.service.code == "B" and first.counter_id is None
    # It arrived before B001, so it is called first in the room it was sent to.
    assert queue.call_next(room).id == first.id
    assert queue.call_next(room).id == later_b.id


def test_wait_estimate_uses_recent_service_times_and_open_counters(demo):
    a = svc(demo, "A")
    counter = demo.counters[0]
    start = clock.now() - timedelta(hours=1)
    for i in range(4):  # four visits of 6 minutes each
        t = queue.issue_ticket(demo, a)
        queue.call_ticket(t, counter)
        t.called_at = start + timedelta(minutes=10 * i)
        t.finished_at = t.called_at + timedelta(minutes=6)
        t.status = S.done
    db.session.commit()
    assert queue.average_service_minutes(a) == pytest.approx(6)
    serving_a = [c for c in demo.counters if a in c.services]
    assert queue.estimated_wait_minutes(a, 3) == -(-3 * 6 // len(serving_a))
    from hall.models import User
    user = db.session.query(User).first()
    queue.open_counter(serving_a[0], user)  # one counter open now: the estimate uses it alone
    assert queue.estimated_wait_minutes(a, 3) == 18
    assert queue.estimated_wait_minutes(a, 0) == 0


def test_every_change_bumps_the_version(demo):
    v0 = queue.queue_version(demo.id)
    ticket = queue.issue_ticket(demo, svc(demo, "A"))
    v1 = queue.queue_version(demo.id)
    queue.call_next(demo.counters[0])
    v2 = queue.queue_version(demo.id)
    assert v0 < v1 < v2
    queue.people_ahead(ticket)
    assert queue.queue_version(demo.id) == v2  # reading changes nothing


def test_recent_calls_newest_first_with_recalls(demo):
    a = svc(demo, "A")
    t1, _ = queue.issue_ticket(demo, a), queue.issue_ticket(demo, a)
    queue.call_next(demo.counters[0])
    queue.call_next(demo.counters[1])
    queue.recall(t1)
    calls = queue.recent_calls(demo)
    assert [(c.ticket.display_number, c.action) for c in calls] == [
        ("A001", "recall"), ("A002", "call"), ("A001", "call")]


def test_a_worker_reuses_the_wait_estimate_inputs_for_a_few_seconds(app, demo, monkeypatch):
    app.config["WAIT_ESTIMATE_CACHE_SECONDS"] = 10
    monkeypatch.setattr(queue, "_pace", {})
    clock_now = [1000.0]
    monkeypatch.setattr(queue.time, "monotonic", lambda: clock_now[0])
    a = svc(demo, "A")
    serving_a = [c for c in demo.counters if a in c.services]
    before = queue.estimated_wait_minutes(a, 3)
    assert before == -(-3 * 15 // len(serving_a))  # the default 15 minutes over 3 counters
    from hall.models import User
    queue.open_counter(serving_a[0], db.session.query(User).first())  # one counter open now
    clock_now[0] += 5
    assert queue.estimated_wait_minutes(a, 3) == before  # still the worker's recent figure
    clock_now[0] += 6
    assert queue.estimated_wait_minutes(a, 3) == 45  # refreshed: 3 × 15 minutes at one counter


def test_a_service_is_found_with_its_hall_in_one_look_up(demo):
    service = queue.service_in_hall("demo", "b")

    assert service.code == "B" and service.hall.slug == "demo"
    with pytest.raises(NotFound):
        queue.service_in_hall("demo", "Z")
    with pytest.raises(NotFound):
        queue.service_in_hall("nowhere", "A")
