"""The hall's day ends (hall/dayend.py), called directly: no HTTP. Time is frozen through
hall.clock.now; the hall is in Urumqi (UTC+6), whose midnight comes two hours after Shanghai's."""
from __future__ import annotations

import threading
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from arrival_setup import FrozenClock, local, make_hall
from sqlalchemy import func, select

from hall import booking, dayend, queue
from hall.extensions import db
from hall.models import Appointment, AppointmentStatus, Hall, Ticket, TicketEvent, TicketStatus as S

D = date(2026, 12, 2)  # a Wednesday


@pytest.fixture
def urumqi(app):
    s = make_hall("urumqi")
    s.hall.timezone = "Asia/Urumqi"
    db.session.commit()
    return s


@pytest.fixture
def clock_at(monkeypatch, urumqi):
    return FrozenClock(monkeypatch, local(urumqi.hall, D, 10, 0))


def at(s, day, hour, minute=0):
    return local(s.hall, day, hour, minute)


def a_day_of_tickets(s):
    """At 10:00: one being served, one finished, one called, one still waiting."""
    tickets = [queue.issue_ticket(s.hall, s.service) for _ in range(4)]
    queue.start(queue.call_next(s.window))
    queue.finish(queue.call_next(s.window))
    queue.call_next(s.window)
    return tickets


def statuses(tickets):
    db.session.expire_all()
    return [db.session.get(Ticket, t.id).status for t in tickets]


def hall_now(s) -> Hall:
    db.session.expire_all()
    return db.session.get(Hall, s.hall.id)


def test_the_day_ends_at_the_halls_own_midnight_not_shanghais(urumqi, clock_at):
    s = urumqi
    tickets = a_day_of_tickets(s)
    assert statuses(tickets) == [S.serving, S.done, S.called, S.waiting]
    version = hall_now(s).queue_version

    # 00:30 in Shanghai is still 22:30 of the same day in Urumqi: nothing of it ends.
    clock_at.set(at(s, D, 22, 30))
    assert clock_at.at.astimezone(ZoneInfo("Asia/Shanghai")).date() == D + timedelta(days=1)
    done = dayend.end_day(hall_now(s))
    assert done.tickets == [] and done.closed_through == D - timedelta(days=1)
    assert statuses(tickets) == [S.serving, S.done, S.called, S.waiting]
    assert hall_now(s).queue_version == version

    # 00:30 in Urumqi: every unfinished ticket of the day ends, the finished one stays done.
    clock_at.set(at(s, D + timedelta(days=1), 0, 30))
    assert dayend.due(hall_now(s))
    done = dayend.end_day(hall_now(s))
    assert [t.number for t in done.tickets] == ["A001", "A003", "A004"]
    assert statuses(tickets) == [S.expired, S.done, S.expired, S.expired]
    hall = hall_now(s)
    assert hall.day_closed_through == D and hall.queue_version == version + 1
    assert not dayend.due(hall)

    # Kept with their events, written down as done by the system.
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.action == "expire")
                                .order_by(TicketEvent.ticket_id)).all()
    assert [(e.ticket_id, e.from_status, e.to_status, e.user_id) for e in events] == [
        (tickets[0].id, "serving", "expired", None), (tickets[2].id, "called", "expired", None),
        (tickets[3].id, "waiting", "expired", None)]
    assert all("system" in e.note and e.at == clock_at.at for e in events)
    assert all(db.session.get(Ticket, t.id).finished_at == clock_at.at for t in (tickets[0], tickets[2], tickets[3]))
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 4  # nothing deleted

    # Again: nothing more to do, nothing written, no redraw.
    again = dayend.end_day(hall_now(s))
    assert again.tickets == [] and hall_now(s).queue_version == version + 1
    assert db.session.scalar(select(func.count()).where(TicketEvent.action == "expire")) == 3


def test_at_closing_time_the_queue_closes_and_a_counter_keeps_what_it_holds(urumqi, clock_at):
    s = urumqi
    s.hall.opens_at, s.hall.closes_at = time(8, 30), time(17, 30)
    db.session.commit()
    tickets = a_day_of_tickets(s)  # serving, done, called, waiting

    clock_at.set(at(s, D, 17, 29))
    assert dayend.end_day(hall_now(s)).tickets == []
    assert statuses(tickets) == [S.serving, S.done, S.called, S.waiting]

    clock_at.set(at(s, D, 17, 31))
    assert dayend.due(hall_now(s))
    done = dayend.end_day(hall_now(s))
    assert done.closing_applied and [t.number for t in done.tickets] == ["A004"]
    # The visit being served, and the resident called to the window, may still be finished.
    assert statuses(tickets) == [S.serving, S.done, S.called, S.expired]
    assert not dayend.due(hall_now(s))  # once a day in this process
    queue.finish(db.session.get(Ticket, tickets[0].id))

    # Reception registers someone after closing: that ticket waits until the next morning.
    clock_at.set(at(s, D, 17, 45))
    late = queue.issue_ticket(s.hall, s.service, check_hours=False)
    clock_at.set(at(s, D, 18, 0))
    assert dayend.end_day(hall_now(s)).tickets == []
    assert statuses([late]) == [S.waiting]

    # Midnight in Urumqi: the rest of the day ends.
    clock_at.set(at(s, D + timedelta(days=1), 0, 1))
    done = dayend.end_day(hall_now(s))
    assert [t.number for t in done.tickets] == ["A003", "A005"]
    assert statuses(tickets + [late]) == [S.done, S.done, S.expired, S.expired, S.expired]


def test_a_booking_of_a_past_day_nobody_checked_in_for_is_a_no_show_whenever_the_day_ends(urumqi, clock_at):
    s = urumqi
    clock_at.set(at(s, D - timedelta(days=1), 9, 0))
    past = booking.book(s.hall, s.service, at(s, D, 10), phone="13812345678", name="张三").appointment
    later = booking.book(s.hall, s.service, at(s, D + timedelta(days=3), 15), phone="13912345678").appointment
    # The server is down for three days; it comes back at 08:00 on the fourth, before the
    # second booking's time.
    clock_at.set(at(s, D + timedelta(days=3), 8, 0))
    done = dayend.end_day(hall_now(s))
    assert done.no_shows == 1
    db.session.expire_all()
    assert db.session.get(Appointment, past.id).status == AppointmentStatus.no_show
    assert db.session.get(Appointment, later.id).status == AppointmentStatus.booked
    assert hall_now(s).day_closed_through == D + timedelta(days=2)


def test_the_queue_sees_only_the_local_days_tickets(urumqi, clock_at):
    """Before anything ended yesterday (a server down at midnight), today's queue still never
    shows, counts or calls yesterday's tickets."""
    s = urumqi
    clock_at.set(at(s, D - timedelta(days=1), 23, 50))  # 01:50 in Shanghai, the 2nd already
    old = queue.issue_ticket(s.hall, s.service)
    clock_at.set(at(s, D, 9, 0))
    new = queue.issue_ticket(s.hall, s.service)
    assert old.display_number == new.display_number == "A001"

    assert [t.id for t in queue.waiting_for_counter(s.window)] == [new.id]
    assert queue.waiting_counts(s.hall) == {s.service.id: 1}
    assert queue.people_ahead(new) == 0
    assert queue.call_next(s.window).id == new.id
    assert queue.call_next(s.window) is None
    assert statuses([old]) == [S.waiting]  # until the day's end expires it


def test_two_workers_ending_the_same_day_at_once_end_each_ticket_once(app, urumqi, clock_at):
    s = urumqi
    tickets = a_day_of_tickets(s)
    clock_at.set(at(s, D + timedelta(days=1), 7, 0))
    hall_id = s.hall.id
    db.session.commit()  # this thread holds no transaction (nor SQLite's write lock) meanwhile
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                hall = db.session.get(Hall, hall_id)
                db.session.commit()
                barrier.wait(10)
                results.append(len(dayend.end_day(hall).tickets))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 3]
    assert statuses(tickets) == [S.expired, S.done, S.expired, S.expired]
    per_ticket = db.session.execute(select(TicketEvent.ticket_id, func.count()).where(TicketEvent.action == "expire")
                                    .group_by(TicketEvent.ticket_id)).all()
    assert sorted(n for _, n in per_ticket) == [1, 1, 1]
    assert hall_now(s).day_closed_through == D
