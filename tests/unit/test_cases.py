"""The case loop's rules, called directly: numbers, opening from a visit or an appointment, moving
one step at a time with what each step needs, declining, the outcome and the agreement,
follow-ups, the resident's rating, who sees what, masked personal data and the audit log, and
overdue steps."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import svc
from flask_babel import force_locale
from sqlalchemy import select

from hall import cases, clock, queue
from hall.errors import FieldsInvalid, Forbidden, Invalid, WrongState
from hall.extensions import db
from hall.models import (
    AuditEntry, CaseKind, CaseOutcome, CaseSource, CaseStep as S, Rating, TicketStatus, User,
)
from hall.setup import create_user

PARTIES = [{"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": "11010519491231002X"},
           {"role": "respondent", "name": "李四", "phone": "0571-88886666"}]


@pytest.fixture(autouse=True)
def english(app):
    """The messages these tests match are the English ones (Chinese is the default)."""
    with force_locale("en"):
        yield


@pytest.fixture
def staff(demo):
    users = {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == demo.id))}
    users["other"] = create_user(demo, "mediator2", "hall-demo-2", "mediator", "老潘")
    return users


def new_case(demo, staff, **kwargs):
    values = {"source": CaseSource.staff, "category": "neighbour", "facts": "楼上漏水", "parties": PARTIES,
              "user": staff["reception"], **kwargs}
    return cases.open_case(demo, **values)


def walk(case, staff, to):
    """Walk an open case along the loop up to the step `to`, doing what each step needs."""
    mediator = staff["mediator"]
    if case.step == S.intake and case.handler_id is None:
        cases.assign(staff["admin"], case, mediator)
    while case.step != to:
        if case.step == S.deliberating:
            cases.record_session(mediator, case, "双方到场，各自陈述。")
        if case.step == S.acting:
            cases.record_outcome(mediator, case, {
                "outcome": "success", "disputed_matters": "楼上漏水致楼下天花板受损。", "responsibilities": "楼上负责维修。",
                "agreement_terms": "李四赔偿张三 2000 元。", "performance": "2026 年 12 月 31 日前一次付清。"})
        if case.step == S.following_up:
            cases.add_follow_up(mediator, case, {"method": "call", "honoured": "yes", "note": "已按期付款。"})
        cases.move(mediator, case, cases.next_step(case.step))
    return case


def test_numbers_are_hall_code_year_and_a_sequence_never_reused(demo, staff):
    first = new_case(demo, staff)
    second = new_case(demo, staff)
    year = clock.local(demo).year
    assert (first.number, second.number) == (f"DEMO-{year}-0001", f"DEMO-{year}-0002")
    db.session.execute(AuditEntry.__table__.delete().where(AuditEntry.case_id == second.id))
    db.session.delete(second)  # purged, log and all
    db.session.commit()
    assert new_case(demo, staff).number == f"DEMO-{year}-0003", "a deleted case's number is not given again"
    demo.case_code = "GS"
    assert new_case(demo, staff).number == f"GS-{year}-0004"


def test_a_case_opens_at_intake_with_its_parties_and_a_public_timeline_entry(demo, staff):
    case = new_case(demo, staff)
    assert case.step == S.intake and case.is_open and len(case.token) >= 22
    assert [(p.role.value, p.name) for p in case.parties] == [("applicant", "张三"), ("respondent", "李四")]
    assert [(e.action, e.public, e.user_id) for e in case.events] == [("opened", True, staff["reception"].id)]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.case_id == case.id)) == "case.open"


@pytest.mark.parametrize("parties, message", [
    ([{"name": "张三", "phone": "12345"}], "mobile number or a landline"),
    ([{"name": "张三", "id_number": "110105194912310021"}], "18-character"),  # wrong check digit
    ([{"name": "张三", "role": "judge"}], "role from the list"),
    ([{"address": "某小区 3 幢"}], "name or a phone"),
])
def test_bad_parties_are_refused_and_nothing_is_saved(app, demo, staff, parties, message):
    with app.test_request_context(), pytest.raises(Invalid) as caught:
        new_case(demo, staff, parties=parties)
    assert message in str(caught.value.message)
    db.session.rollback()
    assert not cases.open_cases(staff["admin"])


def test_a_finished_visit_opens_as_a_case_in_one_step_once(demo, staff):
    ticket = queue.issue_ticket(demo, svc(demo, "B"), phone="13900001111")
    with pytest.raises(WrongState):
        cases.open_from_ticket(staff["mediator"], ticket)
    ticket.status = TicketStatus.done
    db.session.commit()

    case, created = cases.open_from_ticket(staff["mediator"], ticket)
    again, created_again = cases.open_from_ticket(staff["mediator"], ticket)

    assert created and not created_again and again.id == case.id
    assert case.source == CaseSource.visit and case.ticket_id == ticket.id and case.kind == CaseKind.dispute
    assert [(p.role.value, p.phone) for p in case.parties] == [("applicant", "13900001111")]
    assert case.handler_id == staff["mediator"].id, "a mediator who opens it at their desk handles it"


def test_the_loop_moves_one_step_at_a_time_and_each_step_needs_its_work(demo, staff):
    case = new_case(demo, staff)
    mediator, admin = staff["mediator"], staff["admin"]
    with pytest.raises(WrongState, match="handler"):
        cases.move(mediator, case, S.sorted)
    cases.assign(admin, case, mediator)
    with pytest.raises(WrongState, match="one step at a time"):
        cases.move(mediator, case, S.deliberating)  # skips 分类理事
    cases.move(mediator, case, S.sorted)
    with pytest.raises(WrongState, match="one step at a time"):
        cases.move(mediator, case, S.intake)  # back
    cases.move(mediator, case, S.deliberating)
    with pytest.raises(WrongState, match="session"):
        cases.move(mediator, case, S.acting)
    cases.record_session(mediator, case, "第一次调解。")
    cases.move(mediator, case, S.acting)
    with pytest.raises(WrongState, match="outcome"):
        cases.move(mediator, case, S.following_up)
    walk(case, staff, S.rated)

    assert [e.action for e in case.events].count("moved") == 5
    assert [e.step for e in case.events if e.action == "moved"] == list(cases.CASE_STEPS[1:])


def test_a_successful_outcome_needs_the_agreements_elements(demo, staff):
    case = walk(new_case(demo, staff), staff, S.acting)
    with pytest.raises(FieldsInvalid) as caught:
        cases.record_outcome(staff["mediator"], case, {"outcome": "success", "agreement_terms": "赔偿"})
    assert set(caught.value.errors) == {"disputed_matters", "performance"}
    with pytest.raises(FieldsInvalid) as caught:
        cases.record_outcome(staff["mediator"], case, {"outcome": "failed"})
    assert set(caught.value.errors) == {"other_channels"}
    cases.record_outcome(staff["mediator"], case, {"outcome": "failed", "other_channels": ["litigation", "arbitration"]})
    assert case.outcome == CaseOutcome.failed and case.other_channels.count("；") == 1  # two channels told


def test_declining_needs_a_reason_and_the_other_channels_and_closes_the_case(demo, staff):
    case = new_case(demo, staff)
    with pytest.raises(Invalid):
        cases.decline(staff["admin"], case, "", ["litigation"])
    with pytest.raises(Invalid):
        cases.decline(staff["admin"], case, "不属于人民调解范围", [])
    cases.decline(staff["admin"], case, "不属于人民调解范围", ["litigation", "区信访局"])
    assert not case.is_open and case.outcome == CaseOutcome.declined and "区信访局" in case.other_channels
    assert cases.public_timeline(case)[-1].action == "declined"
    with pytest.raises(WrongState):
        cases.move(staff["admin"], case, S.sorted)


def test_the_residents_rating_closes_the_case_once(demo, staff):
    case = walk(new_case(demo, staff), staff, S.rated)
    with pytest.raises(Invalid):
        cases.rate(case, "great")
    cases.rate(case, Rating.satisfied, "谢谢调解员")
    assert not case.is_open and case.rating == Rating.satisfied and case.outcome == CaseOutcome.success
    with pytest.raises(WrongState):
        cases.rate(case, Rating.dissatisfied)


def test_a_mediator_sees_only_their_own_cases_and_reassigning_is_an_admins(demo, staff):
    mine = walk(new_case(demo, staff), staff, S.sorted)
    theirs = new_case(demo, staff)
    cases.assign(staff["admin"], theirs, staff["other"])

    assert cases.case_for(staff["mediator"], mine.id) is mine
    with pytest.raises(Forbidden):
        cases.case_for(staff["mediator"], theirs.id)
    assert [c.id for c in cases.open_cases(staff["mediator"])] == [mine.id]
    assert {c.id for c in cases.open_cases(staff["admin"])} == {mine.id, theirs.id}
    with pytest.raises(Forbidden):
        cases.assign(staff["mediator"], theirs, staff["mediator"])
    cases.assign(staff["admin"], theirs, staff["mediator"])
    assert theirs.handler_id == staff["mediator"].id and theirs.events[-1].action == "reassigned"


def test_personal_data_is_masked_unless_revealed_and_every_reveal_is_logged(app, demo, staff):
    case = walk(new_case(demo, staff), staff, S.sorted)
    masked = cases.parties_for(case)
    assert masked[0].phone == "138****5678" and masked[0].id_number == "110105********002X"
    assert "8888" not in masked[1].phone
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.7"}):
        with pytest.raises(Forbidden):
            cases.reveal(staff["reception"], case)
        shown = cases.reveal(staff["mediator"], case)
    assert shown[0].phone == "13812345678" and shown[0].id_number == "11010519491231002X"
    entry = cases.audit_log(demo, case_id=case.id)[0]
    assert (entry.action, entry.user_id, entry.address) == ("case.view_personal", staff["mediator"].id, "10.0.0.7")


def test_a_step_open_longer_than_the_halls_limit_is_overdue(demo, staff):
    case = walk(new_case(demo, staff), staff, S.sorted)
    now = clock.now()
    assert not cases.is_overdue(case, now + timedelta(days=2))
    assert cases.is_overdue(case, now + timedelta(days=4))  # 分类理事: 3 days by default
    demo.case_step_days = {"sorted": 10}
    db.session.commit()
    assert not cases.is_overdue(case, now + timedelta(days=4))
    assert cases.open_cases(staff["admin"], overdue=True, at=now + timedelta(days=11)) == [case]
    assert cases.open_cases(staff["admin"], overdue=True, at=now + timedelta(days=9)) == []


def test_the_resident_may_remark_while_open_and_withdraw(demo, staff):
    case = new_case(demo, staff)
    cases.remark(case, "补充：漏水已三个月。")
    cases.withdraw(None, case, "已自行协商解决")
    assert [e.action for e in cases.public_timeline(case)] == ["opened", "remark", "withdrawn"]
    with pytest.raises(WrongState):
        cases.remark(case, "再补充")


# ---- the desk's rules (admin/cases.py) --------------------------------------------------------

def staff_rows(**changes):
    rows = [{"role": "applicant", "name": "孙美玲", "phone": "13905710004"},
            {"role": "respondent", "name": "周强", "phone": "", "id_number": "", "address": "某小区"},
            {"role": "other"}]  # an empty row: dropped
    rows[0].update(changes)
    return rows


def test_staff_entry_checks_every_field_at_once_and_saves_nothing(demo, staff):
    with pytest.raises(FieldsInvalid) as caught:
        cases.staff_open(staff["reception"], {"source": "kiosk", "kind": "x", "category": "weather", "facts": "",
                                              "title": "长" * 121, "handler": str(staff["reception"].id)},
                         staff_rows(phone="123", id_number="110105194912310021", role="judge"))
    assert set(caught.value.errors) == {"source", "kind", "category", "facts", "title", "handler",
                                        "parties.0.phone", "parties.0.id_number", "parties.0.role"}
    with pytest.raises(FieldsInvalid) as caught:
        cases.staff_open(staff["reception"], {"category": "neighbour", "facts": "x"}, [{"role": "applicant"}])
    assert set(caught.value.errors) == {"parties"}
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.id)) is None and not cases.open_cases(staff["admin"])


def test_staff_entry_opens_a_referral_and_a_mediator_handles_their_own(demo, staff):
    case = cases.staff_open(staff["reception"], {"source": "court", "kind": "dispute", "category": "contract",
                                                 "facts": "法院委派调解。", "handler": str(staff["other"].id)},
                            staff_rows())
    assert (case.source, case.handler_id, case.created_by_id) == (CaseSource.court, staff["other"].id,
                                                                  staff["reception"].id)
    assert [(p.role.value, p.name, p.position) for p in case.parties] == [("applicant", "孙美玲", 0),
                                                                          ("respondent", "周强", 1)]
    assert [e.action for e in case.events] == ["opened", "assigned"], "the handler from the start is on record"
    own = cases.staff_open(staff["mediator"], {"category": "neighbour", "facts": "邻里"}, staff_rows())
    assert own.handler_id == staff["mediator"].id and own.source == CaseSource.staff


def test_only_the_handler_or_an_admin_records_the_steps(demo, staff):
    case = new_case(demo, staff, handler=staff["mediator"])
    for user in (staff["reception"], staff["other"]):
        with pytest.raises(Forbidden, match="handler or an administrator"):
            cases.move(user, case, S.sorted)
    cases.move(staff["admin"], case, S.sorted)
    cases.move(staff["mediator"], case, S.deliberating)
    with pytest.raises(Forbidden):
        cases.record_session(staff["reception"], case, "旁听")
    walk(case, staff, S.acting)
    with pytest.raises(Forbidden):
        cases.record_outcome(staff["other"], case, {"outcome": "referred", "outcome_note": "转街道"})
    walk(case, staff, S.rated)
    with pytest.raises(Forbidden):
        cases.rate(case, Rating.satisfied, user=staff["reception"])
    cases.rate(case, Rating.satisfied, user=staff["mediator"])  # heard on a follow-up call
    assert not case.is_open and case.events[-1].user_id == staff["mediator"].id
    # routing, notes, details and declining are open to whoever may see the case
    pooled = new_case(demo, staff)
    cases.reply(staff["reception"], pooled, "已电话联系")
    cases.update_details(staff["reception"], pooled, {"category": "property", "kind": "complaint"})
    cases.assign(staff["reception"], pooled, staff["other"])
    assert pooled.kind == CaseKind.complaint and pooled.handler_id == staff["other"].id


def test_details_are_checked_field_by_field(demo, staff):
    case = new_case(demo, staff)
    with pytest.raises(FieldsInvalid) as caught:
        cases.update_details(staff["reception"], case, {"category": "weather", "kind": "gossip", "title": "长" * 121})
    assert set(caught.value.errors) == {"category", "kind", "title"}
    db.session.rollback()
    assert fresh(case).category == "neighbour"


def fresh(case):
    db.session.expire_all()
    return db.session.get(type(case), case.id)


def test_parties_are_added_or_corrected_by_who_may_see_them(app, demo, staff):
    case = new_case(demo, staff, handler=staff["mediator"])
    party = cases.add_party(staff["reception"], case, {"role": "other", "name": "王五", "phone": "13700001111"})
    assert [p.position for p in case.parties] == [0, 1, 2] and party.name == "王五"
    with pytest.raises(FieldsInvalid) as caught:
        cases.add_party(staff["reception"], case, {"name": "", "phone": ""})
    assert set(caught.value.errors) == {"parties.0.name"}
    with pytest.raises(Forbidden):
        cases.replace_parties(staff["reception"], case, [{"name": "张三"}])
    with pytest.raises(FieldsInvalid) as caught:
        cases.replace_parties(staff["mediator"], case, [])
    assert set(caught.value.errors) == {"parties"}
    cases.replace_parties(staff["mediator"], case, [{"role": "respondent", "name": "李四"}, {"name": "张三"}])
    assert [(p.role.value, p.name, p.position) for p in fresh(case).parties] == [("respondent", "李四", 0),
                                                                                 ("applicant", "张三", 1)]
    actions = [e.action for e in cases.audit_log(demo, case_id=case.id)]
    assert actions[:2] == ["case.parties", "case.party_add"]


def test_check_parties_names_each_rows_problems(demo):
    parties, errors = cases.check_parties([
        {"name": "张三", "phone": "+86 138 1234 5678"}, {}, {"name": "李四", "phone": "0571-8888"},
        {"address": "某小区"}, {"name": "长" * 61}])
    assert parties[0] == {"role": "applicant", "name": "张三", "address": "", "phone": "13812345678", "id_number": ""}
    assert set(errors) == {"parties.2.phone", "parties.3.name", "parties.4.name"}


def test_the_desk_groups_a_users_open_cases(demo, staff):
    mine = walk(new_case(demo, staff), staff, S.deliberating)
    late = walk(new_case(demo, staff), staff, S.sorted)
    late.step_since = clock.now() - timedelta(days=5)  # 分类理事: 3 days
    pooled = new_case(demo, staff)
    theirs = new_case(demo, staff, handler=staff["other"])
    closed = new_case(demo, staff, handler=staff["mediator"])
    cases.withdraw(staff["admin"], closed)
    db.session.commit()

    desk = cases.desk(staff["mediator"])
    assert desk.columns[S.deliberating] == [mine] and desk.columns[S.sorted] == [late]
    assert desk.pool == [] and desk.overdue == [late] and desk.total == 2
    assert desk.days(late) == 5 and desk.overdue_days(late) == 2 and desk.is_overdue(late)
    reception = cases.desk(staff["reception"])
    assert reception.pool == [pooled] and theirs in reception.columns[S.intake]
    admin = cases.desk(staff["admin"])
    assert admin.total == 4 and admin.pool == [pooled]
    only = cases.desk(staff["admin"], staff["other"].id)
    assert only.total == 1 and only.columns[S.intake] == [theirs] and only.pool == []
    assert cases.desk(staff["mediator"], staff["other"].id).total == 2, "only an admin filters"
    assert cases.handler_filter(staff["admin"], str(staff["other"].id)) == staff["other"].id
    assert cases.handler_filter(staff["admin"], str(staff["reception"].id)) is None  # not a handler
    assert cases.handler_filter(staff["mediator"], str(staff["other"].id)) is None


def test_the_case_view_says_what_each_user_may_do(demo, staff):
    case = new_case(demo, staff, handler=staff["mediator"])
    mediator, reception, admin = (cases.case_view(staff[u], case) for u in ("mediator", "reception", "admin"))
    assert [s.state for s in mediator.steps] == ["current", "todo", "todo", "todo", "todo", "todo"]
    assert mediator.may_work and mediator.may_reveal and not mediator.may_assign and mediator.may_decline
    assert not reception.may_work and not reception.may_reveal and not reception.may_assign
    assert admin.may_assign and admin.next_step == S.sorted and admin.missing is None
    walk(case, staff, S.rated)
    view = cases.case_view(staff["mediator"], case)
    assert view.next_step is None and not view.may_close and not view.may_decline and view.has_agreement
    assert cases.case_view(staff["mediator"], case, at=clock.now() + timedelta(days=8)).may_close
    cases.rate(case, Rating.fairly_satisfied)
    view = cases.case_view(staff["mediator"], case)
    assert [s.state for s in view.steps] == ["done"] * 6 and not view.may_work and view.timeline[0].action == "rated"


def test_open_from_a_called_visit_and_the_consoles_lists(demo, staff):
    counter = next(c for c in demo.counters if c.number == 3)
    called = queue.issue_ticket(demo, svc(demo, "B"), phone="13900002222")
    queue.call_ticket(called, counter, staff["mediator"])
    done = queue.issue_ticket(demo, svc(demo, "B"))
    queue.call_ticket(done, counter, staff["mediator"])
    queue.finish(done, staff["mediator"])
    assert cases.recent_visits(counter) == [done]
    case, created = cases.open_from_ticket(staff["mediator"], called)
    assert created and cases.cases_for_tickets([called.id, done.id]) == {called.id: case}
    assert cases.cases_for_tickets([]) == {} and cases.cases_for_appointments([]) == {}


def test_the_audit_page_pages_and_filters_by_number(demo, staff):
    first = new_case(demo, staff)
    second = new_case(demo, staff)
    for _ in range(4):
        cases.reply(staff["reception"], first, "记录")
    page = cases.audit_page(demo, limit=3)
    assert [e.action for e in page.entries] == ["case.note"] * 3 and page.older == page.entries[-1].id
    rest = cases.audit_page(demo, before_id=page.older, limit=3)
    assert [e.action for e in rest.entries] == ["case.note", "case.open", "case.open"] and rest.older is None
    only = cases.audit_page(demo, f" {second.number.lower()} ")
    assert only.case is second and [e.action for e in only.entries] == ["case.open"]
    assert cases.audit_page(demo, "DEMO-1999-0001").unknown


def test_the_demo_hall_brings_cases_in_every_step_once(app, demo):
    from hall.demo import load_demo
    assert not cases.open_cases(db.session.scalar(select(User).where(User.username == "admin"))), \
        "the tests' demo hall has no cases"
    load_demo(cases=True)
    load_demo(cases=True)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    every = list(db.session.scalars(select(cases.Case).where(cases.Case.hall_id == demo.id)))
    assert len(every) == 9
    assert {c.step for c in every} == set(cases.CASE_STEPS)
    assert sum(1 for c in every if c.handler and c.handler.username == "mediator") >= 6
    assert [c for c in every if c.handler_id is None and c.is_open], "one waits in the pool"
    assert [c for c in every if cases.is_overdue(c)], "one is overdue"
    rated = [c for c in every if not c.is_open]
    assert len(rated) == 1 and rated[0].rating == Rating.satisfied
    assert all(e.at <= clock.now() for c in every for e in c.events)
    assert all(cases.what_is_missing(c) is None for c in every if c.step in (S.sorted, S.deliberating))
    assert len(cases.open_cases(admin)) == 8


def test_the_audit_log_reads_in_words(demo, staff):
    case = cases.open_case(demo, parties=PARTIES, user=staff["reception"], source=CaseSource.police,
                           category="neighbour", facts="楼上漏水。", handler=staff["mediator"])
    cases.move(staff["mediator"], case, S.sorted)
    entries = {e.action: e for e in cases.audit_log(demo, case_id=case.id)}
    assert cases.audit_detail(entries["case.open"]) == "Referred by the police → mediator"
    assert cases.audit_detail(entries["case.move"]) == "Open talk → Sorting"
    made = AuditEntry(hall_id=demo.id, action="case.print_agreement", case=case, detail=f"{case.number} command line")
    assert cases.audit_detail(made) == "from the command line"
    made = AuditEntry(hall_id=demo.id, action="case.archive", detail="2026-01-01..2026-06-30: 3 cases, 1 agreements")
    assert cases.audit_detail(made) == "2026-01-01 to 2026-06-30: 3 cases, 1 agreements"
    made = AuditEntry(hall_id=demo.id, action="case.rated", case=case, detail=f"{case.number} success")
    assert cases.audit_detail(made) == "Mediated successfully"


def test_a_move_reads_in_the_readers_language_whoever_made_it(demo, staff):
    case = cases.open_case(demo, parties=PARTIES, user=staff["reception"], source=CaseSource.staff,
                           category="neighbour", facts="楼上漏水。", handler=staff["mediator"])
    with force_locale("zh_Hans_CN"):
        cases.move(staff["mediator"], case, S.sorted, note="已电话联系双方。")
    [moved] = [e for e in case.events if e.action == "moved"]
    assert moved.text.startswith("开放说事 → 分类理事")
    assert cases.event_text(moved) == "Open talk → Sorting\n已电话联系双方。"
    with force_locale("zh_Hans_CN"):
        assert cases.event_text(moved) == "开放说事 → 分类理事\n已电话联系双方。"


def test_finding_cases_keeps_to_what_the_user_may_see(demo, staff):
    mine = cases.open_case(demo, parties=PARTIES, user=staff["reception"], source=CaseSource.staff,
                           category="neighbour", facts="楼上漏水。", title="漏水")
    routed = cases.open_case(demo, parties=PARTIES, user=staff["admin"], source=CaseSource.staff,
                             category="neighbour", facts="楼上漏水。", title="漏水二", handler=staff["mediator"])
    assert cases.find_cases(staff["reception"], "  ") is None
    assert [c.number for c in cases.find_cases(staff["reception"], "漏水")] == [mine.number]
    assert [c.number for c in cases.find_cases(staff["mediator"], "漏水")] == [routed.number]
    assert [c.number for c in cases.find_cases(staff["admin"], "5678")] == [routed.number, mine.number]
    assert cases.find_cases(staff["admin"], "50%_") == [], "LIKE's wildcards are plain text"
