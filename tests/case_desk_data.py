"""Cases for the desk's tests, made with hall.cases on the demo hall (its logins admin, reception
and mediator; the demo's own demo cases are not loaded under test)."""
from __future__ import annotations

from sqlalchemy import select

from hall import cases
from hall.extensions import db
from hall.models import CaseSource, CaseStep, User
from hall.setup import create_user

PARTIES = [
    {"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": "11010519491231002X",
     "address": "拱宸桥街道 3 幢 201"},
    {"role": "respondent", "name": "李四", "phone": "0571-88886666"},
]
AGREEMENT = {
    "outcome": "success", "disputed_matters": "楼上漏水致楼下天花板受损。", "responsibilities": "楼上负责维修。",
    "agreement_terms": "李四赔偿张三 2000 元。", "performance": "2026 年 12 月 31 日前一次付清。",
}


def staff(hall) -> dict[str, User]:
    """The demo's logins by username, and a second mediator, 老潘 (username mediator2)."""
    users = {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == hall.id))}
    if "mediator2" not in users:
        users["mediator2"] = create_user(hall, "mediator2", "hall-demo-2", "mediator", "老潘")
    return users


def new_case(hall, *, by="reception", handler=None, parties=PARTIES, **values):
    """A case entered by staff at 开放说事, handled by `handler` (a username) if given."""
    users = staff(hall)
    fields = {"source": CaseSource.staff, "category": "neighbour", "title": "楼上漏水", "facts": "楼上漏水三个月。",
              **values}
    return cases.open_case(hall, parties=parties, user=users[by], handler=users[handler] if handler else None,
                           **fields)


def walk(case, to: CaseStep, by: str | None = None):
    """Walk an open case along the loop up to the step `to`, doing what each step needs, as its
    handler (the mediator when it has none yet)."""
    users = staff(case.hall)
    if case.handler_id is None:
        cases.assign(users["admin"], case, users["mediator"])
    worker = users[by] if by else case.handler
    while case.step != to:
        if case.step == CaseStep.deliberating:
            cases.record_session(worker, case, "双方到场，各自陈述。")
        if case.step == CaseStep.acting:
            cases.record_outcome(worker, case, AGREEMENT)
        if case.step == CaseStep.following_up:
            cases.add_follow_up(worker, case, {"method": "call", "honoured": "yes", "note": "已按期付款。"})
        cases.move(worker, case, cases.next_step(case.step))
    return case


def routed_case(hall):
    """A case every staff role may open: entered by reception, handled by the mediator."""
    return new_case(hall, handler="mediator")
