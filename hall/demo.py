"""The demo hall: what `make run` loads into an empty database."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from . import clock
from .categories import clean_specialties
from .extensions import db
from .models import (
    Adviser, AdviserKind, AuditEntry, Case, CaseKind, CaseSource, CaseStep, Counter, Hall, Rating, Service, Shift,
    Ticket, TicketEvent, TicketStatus, User,
)
from .queue import new_token
from .setup import create_counter, create_hall, create_service, create_user

DEMO_PASSWORD = "hall-demo"


def load_demo(*, cases: bool | None = None) -> Hall:
    """The demo hall. With `cases` (by default unless the app is testing: the tests' demo hall
    starts with no cases, their numbers and lists are theirs to make) a few cases in different
    steps, so the case desk is not empty."""
    if cases is None:
        cases = not current_app.testing
    existing = db.session.scalar(select(Hall).where(Hall.slug == "demo"))
    if existing:
        _demo_full_names(existing)  # … and logins loaded before full names existed get theirs
        _demo_advisers(existing)  # a demo hall loaded before advisers existed gets them once
        if cases:
            _demo_cases(existing)  # … and cases, once
            _demo_visits(existing)  # … and last week's rated visits, once
        return existing
    # Open every day, all day, so that the demo works whenever someone tries it; a real hall
    # sets its own hours (`flask --app wsgi hall create --opens 08:30 --closes 17:30 …`).
    hall = create_hall(
        "demo", "枫桥式矛盾纠纷调处化解中心（演示）", "Asia/Shanghai",
        opens_at=time(0, 0), closes_at=time(23, 59, 59), open_weekdays="1234567",
        notice="小事不出村、大事不出镇、矛盾不上交。请取号后留意叫号屏。")
    legal = create_service(hall, "A", "法律咨询", "Legal advice", "scale", 15)
    mediation = create_service(hall, "B", "矛盾调解", "Mediation", "handshake", 30)
    petition = create_service(hall, "C", "信访接待", "Petitions", "document", 20)
    complaint = create_service(hall, "D", "投诉建议", "Complaints & suggestions", "chat", 10)
    create_counter(hall, 1, "", [legal, petition, complaint])
    create_counter(hall, 2, "", [legal, complaint, petition])
    create_counter(hall, 3, "老傅调解室", [mediation])
    create_counter(hall, 4, "潘大姐调解室", [mediation, legal])
    for username, role, display_name, full_name in _LOGINS:
        create_user(hall, username, DEMO_PASSWORD, role, display_name, full_name)
    _demo_full_names(hall)
    _demo_advisers(hall)
    if cases:
        _demo_cases(hall)
        _demo_visits(hall)
    return hall


# The demo's logins: username, role, display name, full name (printed on agreements). The
# mediator is the adviser 傅国强 (linked below).
_LOGINS = [("admin", "admin", "管理员", "赵建华"), ("reception", "reception", "前台小王", "王晓燕"),
           ("mediator", "mediator", "老傅", "傅国强")]


# name, kind, room number, services, specialties, introduction, demo login, weekly ranges as
# (weekdays, start, end, every_weeks)
_WEEKDAYS = (1, 2, 3, 4, 5)
_ADVISERS = [
    ("傅国强", AdviserKind.people_mediator, 3, "AB", "neighbour,family,property,housing",
     "社区“老娘舅”，从事人民调解二十余年，擅长邻里、婚姻家庭和物业纠纷，说话在理、办事公道。", "mediator",
     [(_WEEKDAYS, time(9, 0), time(11, 30), 1), (_WEEKDAYS, time(14, 0), time(17, 0), 1)]),
    ("潘美华", AdviserKind.people_mediator, 4, "AB", "family,neighbour,consumer",
     "退休社区干部，“潘大姐调解室”负责人，耐心细致，群众有事愿意找她说。", None,
     [(_WEEKDAYS, time(9, 0), time(11, 30), 1), ((1, 3, 5), time(14, 0), time(17, 0), 1)]),
    ("陈律师", AdviserKind.lawyer, 1, "A", "contract,labour,damages,traffic",
     "律师事务所执业律师，公益法律服务志愿者，提供合同、劳动争议和交通事故方面的法律咨询。", None,
     [((2, 4), time(9, 0), time(11, 30), 1), ((2, 4), time(14, 0), time(17, 0), 2)]),
    ("李顾问", AdviserKind.legal_counsel, 2, "A", "labour,housing,demolition,business",
     "街道法律顾问，熟悉征地拆迁、房屋和劳动保障政策，解答群众的法律问题。", None,
     [((1, 3, 5), time(9, 0), time(11, 30), 1), ((1, 3, 5), time(14, 0), time(17, 0), 2)]),
]


# The committee whose seal the demo's agreements carry (a hall setting, 事项办理).
DEMO_COMMITTEE = "枫桥街道人民调解委员会（演示）"


def _demo_full_names(hall: Hall) -> None:
    """The logins' full names and the committee's name, for a demo hall loaded before they existed."""
    names = {username: full_name for username, _role, _display, full_name in _LOGINS}
    changed = False
    if not hall.committee_name:
        hall.committee_name, changed = DEMO_COMMITTEE, True
    for user in db.session.scalars(select(User).where(User.hall_id == hall.id, User.username.in_(names))):
        if not user.full_name:
            user.full_name, changed = names[user.username], True
    if changed:
        db.session.commit()


def _demo_advisers(hall: Hall) -> None:
    """Legal advice takes appointments, and four advisers serve with weekly rosters from today.
    Once only: a hall that has advisers already is left as it is."""
    if db.session.scalar(select(Adviser.id).where(Adviser.hall_id == hall.id).limit(1)) is not None:
        return
    services = {s.code: s for s in db.session.scalars(select(Service).where(Service.hall_id == hall.id))}
    rooms = {c.number: c for c in db.session.scalars(select(Counter).where(Counter.hall_id == hall.id))}
    if "A" in services:
        services["A"].bookable, services["A"].slot_minutes, services["A"].slot_capacity = True, 30, 1
    today = clock.local_day(hall)
    for position, (name, kind, room, codes, specialties, intro, login, ranges) in enumerate(_ADVISERS, 1):
        user = db.session.scalar(select(User).where(User.username == login)) if login else None
        adviser = Adviser(
            hall_id=hall.id, name=name, kind=kind, specialties=clean_specialties(specialties.split(",")), counter=rooms.get(room), intro=intro,
            active=True, position=position, services=[services[c] for c in codes if c in services],
            user=user if user is not None and user.hall_id == hall.id else None)
        adviser.shifts = [Shift(weekday=day, starts_at=start, ends_at=end, every_weeks=every, valid_from=today)
                          for days, start, end, every in ranges for day in days]
        db.session.add(adviser)
    db.session.commit()


# ---- demo cases ------------------------------------------------------------------------------

_AGREEMENT = {
    "disputed_matters": "李某家卫生间防水层老化，漏水致楼下周某家天花板及墙面受损，双方对维修和赔偿金额有争议。",
    "responsibilities": "李某对漏水负主要责任；周某家吊顶超出原设计，自担部分损失。",
    "agreement_terms": "一、李某于 7 日内请有资质的单位重做卫生间防水；二、李某赔偿周某维修费 3000 元。",
    "performance": "防水工程完工后 3 日内，李某一次性以转账方式付清 3000 元。",
}

# step, handler (login), source, kind, category, title, facts, parties (role, name, phone), days
# since it opened, days in its present step, rating (closed with it)
_CASES = [
    (CaseStep.intake, None, CaseSource.visit, CaseKind.complaint, "property", "小区电梯经常停运",
     "3 号楼电梯一个月内停运 5 次，业主多次报修，物业未彻底维修。业主代表要求物业限期修复并公示维保记录。",
     [("applicant", "王建国", "13905710001"), ("respondent", "绿城物业服务中心", "0571-86001234")], 0, 0, None),
    (CaseStep.intake, "mediator", CaseSource.staff, CaseKind.dispute, "neighbour", "楼上装修噪音",
     "楼上住户装修，周末早 7 点即开始电钻作业，楼下老人休息受影响，双方多次争吵。",
     [("applicant", "赵秀英", "13905710002"), ("respondent", "钱立", "13905710003")], 0, 0, None),
    (CaseStep.sorted, "mediator", CaseSource.police, CaseKind.dispute, "traffic", "电动车剐蹭赔偿",
     "派出所移交：电动自行车与行人在小区门口发生剐蹭，行人手臂擦伤，双方对医药费和误工费有争议。",
     [("applicant", "孙美玲", "13905710004"), ("respondent", "周强", "13905710005")], 2, 1, None),
    (CaseStep.deliberating, "mediator", CaseSource.appointment, CaseKind.dispute, "housing", "宅基地边界争议",
     "两户相邻宅基地之间的围墙位置有争议，一方认为对方新砌围墙占用其宅基地约 0.5 米。",
     [("applicant", "吴国华", "13905710006"), ("respondent", "郑建平", "13905710007")], 24, 20, None),
    (CaseStep.deliberating, "admin", CaseSource.visit, CaseKind.dispute, "labour", "装修工人工资拖欠",
     "三名装修工人称包工头拖欠两个月工资共 2.4 万元。",
     [("applicant", "冯志刚", "13905710008"), ("respondent", "陈老板", "13905710009")], 6, 3, None),
    (CaseStep.acting, "mediator", CaseSource.visit, CaseKind.dispute, "family", "赡养费用分担",
     "老人有三个子女，对每月赡养费和住院期间陪护的分担意见不一。",
     [("applicant", "褚桂芳", "13905710010"), ("respondent", "卫东", "13905710011"), ("other", "卫红", "13905710012")],
     12, 2, None),
    (CaseStep.following_up, "mediator", CaseSource.visit, CaseKind.dispute, "neighbour", "楼上漏水致楼下受损",
     "楼上卫生间漏水，楼下天花板和墙面受损，楼下要求赔偿维修费用。",
     [("applicant", "周文", "13905710013"), ("respondent", "李海", "13905710014")], 18, 5, None),
    (CaseStep.rated, "mediator", CaseSource.staff, CaseKind.dispute, "consumer", "预付卡退费",
     "健身房转让后拒绝为会员退还预付卡余额 1800 元。",
     [("applicant", "蒋丽", "13905710015"), ("respondent", "力健健身", "0571-86005678")], 30, 2, None),
    (CaseStep.rated, "mediator", CaseSource.visit, CaseKind.dispute, "neighbour", "宠物狗扰邻",
     "邻居饲养的狗夜间吠叫，且在楼道便溺未清理。",
     [("applicant", "沈国庆", "13905710016"), ("respondent", "韩梅", "13905710017")], 40, 1, Rating.satisfied),
]


def _demo_cases(hall: Hall) -> None:
    """Cases in each step of the loop, most of them 老傅's (the `mediator` login), one waiting for
    a handler, one overdue and one closed with the resident's rating; dated back over the last
    weeks. Once only: a hall that has cases already is left as it is."""
    from . import cases

    if db.session.scalar(select(Case.id).where(Case.hall_id == hall.id).limit(1)) is not None:
        return
    users = {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == hall.id))}
    admin, reception = users.get("admin"), users.get("reception")
    if admin is None or reception is None:
        return
    now = clock.now()
    for step, login, source, kind, category, title, facts, parties, opened, in_step, rating in _CASES:
        handler = users.get(login) if login else None
        case = cases.open_case(hall, source=source, kind=kind, category=category, title=title, facts=facts,
                               parties=[{"role": r, "name": n, "phone": p} for r, n, p in parties], user=reception)
        if handler is not None:
            cases.assign(admin, case, handler, "")
        while case.step != step:
            if case.step == CaseStep.deliberating:
                cases.record_session(handler, case, "双方当事人到场，各自陈述了事实和诉求；调解员释法析理，双方同意各退一步。")
            if case.step == CaseStep.acting:
                cases.record_outcome(handler, case, {"outcome": "success", **_AGREEMENT})
            if case.step == CaseStep.following_up:
                cases.add_follow_up(handler, case, {"method": "call", "honoured": "yes",
                                                    "note": "电话回访：已按协议履行，双方关系缓和。"})
            cases.move(handler, case, cases.next_step(case.step))
        if step == CaseStep.deliberating:
            cases.record_session(handler, case, "第一次调解：双方到场，对事实无异议，对金额分歧较大，约定下周再谈。")
        if rating is not None:
            cases.rate(case, rating, "调解员很耐心，问题解决了，谢谢！")
        _backdate(case, now - timedelta(days=opened, hours=2), now - timedelta(days=in_step, hours=1), now)


def _backdate(case: Case, opened, reached, now) -> None:
    """Spread a demo case's timeline over its days: opened at `opened`, in its step since
    `reached`; what happened in the step after that, the last entry an hour ago."""
    events = list(case.events)
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id)))
    moves = [i for i, e in enumerate(events) if e.action == "moved"]
    last_move = moves[-1] if moves else 0
    times = []
    for index in range(len(events)):
        if index <= last_move:
            share = index / last_move if last_move else 0
            times.append(opened + (reached - opened) * share)
        else:
            after = len(events) - 1 - last_move
            times.append(reached + (now - timedelta(hours=1) - reached) * (index - last_move) / after)
    for event, at in zip(events, times):
        event.at = at
    for entry, at in zip(entries, times):
        entry.at = at
    follow_up_times = iter(at for e, at in zip(events, times) if e.action == "follow_up")
    for follow_up in case.follow_ups:
        follow_up.at = next(follow_up_times, follow_up.at)
    case.created_at, case.step_since = times[0], times[last_move] if moves else times[0]
    if case.agreed_at is not None:
        case.agreed_at = next((at for e, at in zip(events, times) if e.action == "outcome"), case.agreed_at)
    if case.closed_at is not None:
        case.closed_at = case.rated_at = times[-1]
    db.session.commit()


# Finished visits of the past days, rated by their residents, so that 群众评价 has something to
# show: days ago, service, counter, number, minutes served, rating, comment.
_VISITS = [
    (1, "A", 1, 3, 12, Rating.satisfied, "讲得很清楚，谢谢律师！"),
    (1, "B", 3, 1, 35, Rating.satisfied, "老傅调解很有耐心。"),
    (2, "D", 2, 2, 8, Rating.fairly_satisfied, "等的时间有点长。"),
    (3, "A", 2, 5, 15, Rating.dissatisfied, "问题没有说清楚，希望能再详细一点。"),
    (4, "C", 1, 1, 20, Rating.satisfied, ""),
    (5, "B", 4, 2, 40, Rating.fairly_satisfied, "基本解决了，还要再观察。"),
]


def _demo_visits(hall: Hall) -> None:
    """Finished and rated visits of the last days, with their events. Once only: a hall with
    tickets of a past day is left as it is."""
    today = clock.local_day(hall)
    if db.session.scalar(select(Ticket.id).where(Ticket.hall_id == hall.id, Ticket.day < today).limit(1)):
        return
    services = {s.code: s for s in hall.services}
    counters = {c.number: c for c in hall.counters}
    logins = {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == hall.id))}
    for days_ago, code, number, serial, minutes, rating, comment in _VISITS:
        service, counter = services.get(code), counters.get(number)
        staff = logins.get("mediator" if number == 3 else "reception")
        if service is None or counter is None:
            continue
        day = today - timedelta(days=days_ago)
        issued = datetime.combine(day, time(9, 10 * serial), tzinfo=clock.zone(hall)).astimezone(timezone.utc)
        called = issued + timedelta(minutes=6)
        finished = called + timedelta(minutes=minutes)
        ticket = Ticket(hall=hall, service=service, day=day, code=code, number=serial, token=new_token(),
                        status=TicketStatus.done, channel="kiosk", counter=counter, queued_at=issued,
                        created_at=issued, called_at=called, started_at=called + timedelta(minutes=1),
                        finished_at=finished, rating=rating, rating_comment=comment or None,
                        rated_at=finished + timedelta(minutes=10))
        db.session.add(ticket)
        for action, before, after, at, user in (
                ("issue", None, "waiting", issued, None), ("call", "waiting", "called", called, staff),
                ("start", "called", "serving", called + timedelta(minutes=1), staff),
                ("finish", "serving", "done", finished, staff),
                ("rate", "done", "done", ticket.rated_at, None)):
            db.session.add(TicketEvent(hall_id=hall.id, ticket=ticket, action=action, from_status=before,
                                       to_status=after, at=at, user=user,
                                       counter_id=None if action == "issue" else counter.id,
                                       note=rating.value if action == "rate" else ""))
    db.session.commit()
