"""The case loop's rules, called directly: numbers, opening from a visit or an appointment, moving
one step at a time with what each step needs, declining, the outcome and the agreement,
follow-ups, the resident's rating, who sees what, masked personal data and the audit log, and
overdue steps."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import svc
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
