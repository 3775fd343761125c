"""The case desk through the test client: the desk by step for each role, staff entry (bad input
422, nothing saved), the case page and every form of the loop (htmx and without JavaScript), a
skipped step refused, full personal data revealed and logged, a colleague's case 403 and another
hall's 404, opening a visit or an appointment as a case in one step, the audit log, and markup
typed into any field shown escaped. Texts are checked in English (?lang=en); Chinese is the
catalogue's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from case_desk_data import AGREEMENT, PARTIES, new_case, staff, walk
from conftest import as_user
from sqlalchemy import func, select

from hall import cases, clock, queue
from hall.extensions import db
from hall.models import AuditEntry, Case, CaseEvent, CaseOutcome, CaseStep as S, Rating
from hall.setup import create_hall, create_user

HX = {"HX-Request": "true"}
MARKUP = '<script>alert("x")</script><b>bold</b>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"


@pytest.fixture
def users(demo):
    return staff(demo)


@pytest.fixture
def login(client, users):
    def log_in(username):
        as_user(client, users[username] if username else None)
        return client
    return log_in


def fresh(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(response) -> str:
    return response.get_data(as_text=True)


def back_in_time(case, days: int) -> None:
    case.step_since = clock.now() - timedelta(days=days)
    db.session.commit()


# ---- finding a case ------------------------------------------------------------------------------

def test_find_a_case_by_number_phone_or_name_open_or_closed(demo, users, login):
    leak = new_case(demo, handler="mediator", title="楼上漏水")
    done = walk(new_case(demo, handler="mediator", title="噪音", parties=[
        {"role": "applicant", "name": "王秀兰", "phone": "13905714321"},
        {"role": "respondent", "name": "赵强", "phone": "0571-86001234"}]), S.rated)
    cases.rate(done, "satisfied", user=users["mediator"])
    theirs = new_case(demo, handler="mediator2", title="别人的漏水")
    client = login("mediator")

    def numbers(query, headers=HX):
        response = client.post("/admin/cases/find", data={"q": query}, headers=headers)
        assert response.status_code == 200
        return re.findall(r'data-case="([^"]+)"', text(response)), text(response)

    found, page = numbers(leak.number)
    assert found == [leak.number] and "<html" not in page
    assert numbers(done.number[-4:])[0] == [done.number]          # the number's last 4 digits
    assert numbers("4321")[0] == [done.number]                    # a phone's last 4 digits
    assert numbers("139 0571 4321")[0] == [done.number]           # the whole mobile number
    assert numbers("057186001234")[0] == [done.number]            # a landline, typed without its dash
    assert numbers("秀兰")[0] == [done.number]                     # part of a name …
    assert numbers("漏水")[0] == [leak.number]                     # … or of the title; a colleague's case is not found
    assert theirs.number not in numbers(theirs.number)[0]
    found, page = numbers("噪音", headers={})
    assert "<html" in page and 'id="desk"' in page, "without htmx: the desk with the results"
    assert 'id="find-case-q"' in page and 'value="噪音"' in page
    results = page[page.index('class="panel find-results"'):page.index('id="desk"')]
    assert done.number in results and "Closed · Mediated successfully" in results
    found, page = numbers("<b>nobody</b>")
    assert found == [] and "&lt;b&gt;nobody&lt;/b&gt;" in page and "<b>nobody" not in page

    client = login("admin")
    assert set(numbers("漏水")[0]) == {leak.number, theirs.number}, "an administrator finds every case"


def test_the_desk_says_no_match_only_after_a_search_that_found_nothing(demo, users, login):
    new_case(demo, handler="mediator", title="楼上漏水")
    client = login("mediator")
    for lang in ("en", "zh"):
        client.get(f"/admin/cases?lang={lang}")
        page = text(client.get("/admin/cases"))
        assert 'id="find-case-q"' in page and 'value=""' in page
        assert "No case matches" not in page and "相符的事项" not in page, "nothing was searched yet"
        assert 'class="panel find-results"' not in page and "clear-find" not in page
    client.get("/admin/cases?lang=en")
    for headers in (HX, {}):
        page = text(client.post("/admin/cases/find", data={"q": "没有这个人"}, headers=headers))
        assert "No case matches “没有这个人”." in page
    page = text(client.post("/admin/cases/find", data={"q": "  "}, headers={}))
    assert "No case matches" not in page, "an empty search is no search"


def test_a_search_is_sent_by_post_so_no_phone_or_name_lands_in_the_access_log(demo, users, login):
    client = login("mediator")
    page = text(client.get("/admin/cases"))
    form = page.split('id="find-case-form"', 1)[0].rsplit("<form", 1)[1] + page.split('id="find-case-form"', 1)[1].split(">", 1)[0]
    assert 'method="post"' in form and 'hx-post="/admin/cases/find"' in form and "hx-get" not in form
    assert 'name="csrf_token"' in page.split('id="find-case-form"', 1)[1].split("</form>", 1)[0]
    assert client.get("/admin/cases/find", query_string={"q": "13812345678"}).status_code == 405


def test_finding_needs_a_login(client, demo):
    response = client.post("/admin/cases/find", data={"q": "1234"}, headers=HX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/admin/login")


# ---- the desk --------------------------------------------------------------------------------

def test_the_mediators_desk_shows_their_cases_by_step_and_the_overdue_ones(demo, users, login):
    intake = new_case(demo, handler="mediator", title="装修噪音")
    sorting = walk(new_case(demo, handler="mediator", title="漏水"), S.sorted)
    late = walk(new_case(demo, handler="mediator", title="宅基地"), S.deliberating)
    back_in_time(late, 20)  # 多方议事: 15 days by default
    theirs = new_case(demo, handler="mediator2", title="别人的案子")
    client = login("mediator")

    response = client.get("/admin/cases")
    page = text(response)
    assert response.status_code == 200 and "<html" in page and "Vary" in response.headers
    assert "HX-Request" in response.headers["Vary"]
    assert "My cases" in page and 'id="new-case"' in page
    for step in cases.CASE_STEPS:
        assert f'id="column-{step.value}"' in page
    column = lambda step: page.split(f'id="column-{step}"')[1].split("</section>")[0]  # noqa: E731
    assert intake.number in column("intake") and sorting.number in column("sorted")
    assert late.number in column("deliberating") and "Overdue" in column("deliberating")
    assert "20 d in step" in column("deliberating") and "张三 / 李四" in column("deliberating")
    assert "Overdue" not in column("intake")
    overdue = page.split('id="overdue"')[1].split("</section>")[0]
    assert late.number in overdue and "5 d over" in overdue and sorting.number not in overdue
    assert theirs.number not in page, "a colleague's case is not on my desk"
    assert 'id="pool"' not in page, "mediators do not route"
    # 傅国强 is linked to this login: today's appointments (none booked) show
    assert 'id="today"' in page and "傅国强" in page

    fragment = client.get("/admin/cases", headers=HX)
    assert "<html" not in text(fragment) and 'id="desk"' in text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]


def test_reception_sees_the_pool_and_the_cases_it_opened(demo, users, login):
    pool = new_case(demo, by="admin", title="无人承办")
    mine = new_case(demo, by="reception", handler="mediator", title="我登记的")
    elsewhere = new_case(demo, by="admin", handler="mediator", title="别人登记的")
    page = text(login("reception").get("/admin/cases"))
    assert pool.number in page.split('id="pool"')[1].split("</section>")[0]
    assert mine.number in page.split('id="column-intake"')[1]
    assert elsewhere.number not in page
    assert 'id="handler-filter"' not in page and 'id="today"' not in page


def test_an_admin_sees_every_open_case_and_filters_by_handler(demo, users, login):
    one = new_case(demo, handler="mediator")
    two = new_case(demo, handler="mediator2")
    pooled = new_case(demo)
    closed = new_case(demo, handler="mediator")
    cases.withdraw(users["admin"], closed)
    client = login("admin")
    page = text(client.get("/admin/cases"))
    assert all(c.number in page for c in (one, two, pooled)) and closed.number not in page
    assert 'id="handler-filter"' in page and "老潘" in page
    filtered = client.get(f"/admin/cases?handler={users['mediator2'].id}", headers=HX)
    body = text(filtered)
    assert filtered.status_code == 200 and "<html" not in body
    assert two.number in body and one.number not in body and 'id="pool"' not in body
    assert f'value="{users["mediator2"].id}" selected' in body
    # a handler from nowhere is no filter at all
    assert one.number in text(client.get("/admin/cases?handler=99999"))


# ---- a new case ------------------------------------------------------------------------------

def new_form(**extra):
    form = {"source": "police", "kind": "dispute", "category": "traffic", "title": "电动车剐蹭",
            "facts": "派出所移交：电动车与行人剐蹭。", "handler": "",
            "party": ["a1", "b2"], "party-a1-role": "applicant", "party-a1-name": "孙美玲",
            "party-a1-phone": "13905710004", "party-a1-id_number": "11010519491231002X",
            "party-b2-role": "respondent", "party-b2-name": "周强", "party-b2-phone": "0571-86001234"}
    form.update(extra)
    return form


def test_staff_enter_a_referral_with_its_parties(demo, users, login):
    client = login("reception")
    page = text(client.get("/admin/cases/new"))
    assert page.count('class="party-row"') == 2 and 'value="police"' in page and 'value="court"' in page
    assert 'value="kiosk"' not in page, "residents' own reports come from the kiosk, not this form"

    response = client.post("/admin/cases/new", data=new_form(handler=str(users["mediator"].id)))
    assert response.status_code == 303
    case = db.session.scalar(select(Case))
    assert response.headers["Location"] == f"/admin/cases/{case.id}"
    assert (case.source.value, case.category, case.handler_id, case.created_by_id) == (
        "police", "traffic", users["mediator"].id, users["reception"].id)
    assert [(p.role.value, p.name, p.phone) for p in case.parties] == [
        ("applicant", "孙美玲", "13905710004"), ("respondent", "周强", "0571-86001234")]
    assert "was opened" in text(client.get(response.headers["Location"]))


def test_under_htmx_a_new_case_goes_to_its_page_and_a_mediator_handles_their_own(demo, users, login):
    client = login("mediator")
    assert f'<option value="{users["mediator"].id}" selected' in text(client.get("/admin/cases/new"))
    response = client.post("/admin/cases/new", data=new_form(), headers=HX)
    case = db.session.scalar(select(Case))
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/admin/cases/{case.id}"
    assert case.handler_id == users["mediator"].id, "a mediator who names no handler handles it"


def test_a_case_sent_to_a_colleague_leaves_the_mediator_on_the_desk(demo, users, login):
    response = login("mediator").post("/admin/cases/new", data=new_form(handler=str(users["mediator2"].id)))
    assert response.status_code == 303 and response.headers["Location"] == "/admin/cases"


@pytest.mark.parametrize("change, field_id, message", [
    ({"category": "weather"}, "err-category", "category from the list"),
    ({"source": "kiosk"}, "err-source", "where the case comes from"),
    ({"kind": "gossip"}, "err-kind", "kind from the list"),
    ({"facts": "  "}, "err-facts", "main facts"),
    ({"title": "长" * 121}, "err-title", "At most 120"),
    ({"handler": "99999"}, "err-handler", "handler from this hall"),
    ({"party-a1-phone": "12345"}, "err-pa1parties-0-phone", "mobile number or a landline"),
    ({"party-b2-id_number": "110105194912310021"}, "err-pb2parties-1-id_number", "18-character"),
    ({"party-a1-role": "judge"}, "err-pa1parties-0-role", "role from the list"),
    ({"party-a1-name": "", "party-a1-phone": ""}, "err-pa1parties-0-name", "name or a phone"),
    ({"party": [], }, "err-parties", "at least one party"),
])
def test_bad_input_is_marked_next_to_its_field_and_nothing_is_saved(demo, users, login, change, field_id, message):
    client = login("reception")
    for headers in ({}, HX):
        response = client.post("/admin/cases/new", data=new_form(**change), headers=headers)
        page = text(response)
        assert response.status_code == 422, page
        assert f'id="{field_id}"' in page and message in page and 'aria-invalid="true"' in page
        assert ("<html" in page) is (not headers)
        assert "周强" in page or change.get("party") == [], "what was typed comes back"
    assert count(Case) == 0 and count(AuditEntry) == 0


def test_every_problem_comes_back_at_once(demo, login):
    page = text(login("reception").post("/admin/cases/new", data=new_form(
        category="", facts="", **{"party-a1-phone": "1"})))
    assert all(f'id="{i}"' in page for i in ("err-category", "err-facts", "err-pa1parties-0-phone"))


def test_party_rows_are_added_with_htmx_or_by_posting_the_form(demo, login):
    client = login("reception")
    row = client.get("/admin/cases/new/party", headers=HX)
    assert row.status_code == 200 and text(row).count('class="party-row"') == 1 and "<html" not in text(row)
    assert re.search(r'name="party" value="[0-9a-f]{8}"', text(row))
    assert client.get("/admin/cases/new/party").status_code == 302  # no fragment without htmx
    page = text(client.post("/admin/cases/new", data=new_form(add_party="1")))
    assert page.count('class="party-row"') == 3 and "孙美玲" in page and count(Case) == 0


# ---- the case page ---------------------------------------------------------------------------

def test_the_case_page_shows_the_header_steps_masked_parties_and_timeline(demo, users, login):
    case = walk(new_case(demo, handler="mediator"), S.deliberating)
    back_in_time(case, 16)
    response = login("mediator").get(f"/admin/cases/{case.id}")
    page = text(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert case.number in page and "Neighbours" in page and "Staff entry" in page and 'id="overdue-badge"' in page
    assert re.search(r'<li class="step-current" data-step="deliberating" aria-current="step">', page)
    assert page.count('class="step-done"') == 2 and page.count('class="step-todo"') == 3
    assert "138****5678" in page and "13812345678" not in page and "110105********002X" in page
    assert "88886666" not in page and 'id="reveal"' in page
    timeline = page.split('id="timeline"')[1]
    assert timeline.count('class="event ') == len(case.events) == 4  # opened, handled by, 2 moves
    assert "Visible to the resident" in timeline and "Handler assigned" in timeline
    assert 'id="session-text"' in page, "the form of the current step"
    assert re.search(r'id="move-next" disabled[^>]*>Move on to Action', page), "a session first"
    assert "Record at least one session" in page
    fragment = login("mediator").get(f"/admin/cases/{case.id}", headers=HX)
    assert "<html" not in text(fragment) and 'id="case"' in text(fragment)


def test_the_pdf_links_and_the_residents_page_show_when_they_exist(app, demo, users, login):
    case = walk(new_case(demo, handler="mediator"), S.following_up)
    page = text(login("mediator").get(f"/admin/cases/{case.id}"))
    has_pdfs = "admin.case_summary_pdf" in app.view_functions
    assert ('id="print-summary"' in page) is has_pdfs and ('id="print-agreement"' in page) is has_pdfs
    if "kiosk.case_page" in app.view_functions:
        assert case.token in page and "<svg" in page
    page = text(login("reception").get(f"/admin/cases/{case.id}"))
    assert 'id="print-agreement"' not in page, "reception may not see the agreement's personal data"


def test_a_colleagues_case_is_forbidden_and_another_halls_is_not_found(demo, users, login):
    theirs = new_case(demo, handler="mediator2")
    other_hall = create_hall("other", "另一个大厅")
    create_user(other_hall, "o-admin", "hall-demo-x", "admin", "别人")
    foreign = cases.open_case(other_hall, source="staff", category="other", parties=PARTIES)
    client = login("mediator")
    response = client.get(f"/admin/cases/{theirs.id}")
    assert response.status_code == 403 and "handled by a colleague" in text(response)
    assert "138" not in text(response)
    response = client.get(f"/admin/cases/{theirs.id}", headers=HX)
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#flash"
    assert client.post(f"/admin/cases/{theirs.id}/reply", data={"text": "x"}).status_code == 403
    assert client.post(f"/admin/cases/{theirs.id}/reveal").status_code == 403
    for user in ("mediator", "admin"):
        assert login(user).get(f"/admin/cases/{foreign.id}").status_code == 404
        assert login(user).post(f"/admin/cases/{foreign.id}/withdraw").status_code == 404
    assert login("admin").get(f"/admin/cases/{theirs.id}").status_code == 200
    assert fresh(foreign).is_open and count(CaseEvent, CaseEvent.case_id == theirs.id) == 2


# ---- the loop, one form at a time --------------------------------------------------------------

def post(client, case, action, data=None, hx=True):
    return client.post(f"/admin/cases/{case.id}/{action}", data=data or {}, headers=HX if hx else {})


def test_the_loop_walked_with_the_forms(demo, users, login):
    case = new_case(demo)
    admin, mediator = login("admin"), None
    # 开放说事: no handler yet, so no move
    page = text(admin.get(f"/admin/cases/{case.id}"))
    assert "Choose a handler first." in page and re.search(r'id="move-next" disabled', page)
    response = post(admin, case, "assign", {"handler": str(users["mediator"].id), "note": "邻里纠纷"})
    assert response.status_code == 200 and "is handled by 老傅" in text(response) and 'hx-swap-oob' in text(response)
    assert "<html" not in text(response) and 'id="case"' in text(response)
    mediator = login("mediator")
    steps = [("move", {"to": "sorted"}), ("move", {"to": "deliberating", "note": "受理调解"}),
             ("session", {"text": "双方到场，各自陈述。"}), ("move", {"to": "acting"}),
             ("outcome", AGREEMENT), ("move", {"to": "following_up"}),
             ("follow-up", {"method": "visit", "honoured": "yes", "note": "已按期付款。"}), ("move", {"to": "rated"})]
    events = len(fresh(case).events)
    for action, data in steps:
        response = post(mediator, case, action, data)
        assert response.status_code == 200, (action, text(response))
        events += 1
        assert text(response).split('id="timeline"')[1].count('class="event ') == events
    case = fresh(case)
    assert case.step == S.rated and case.outcome == CaseOutcome.success and case.agreement_terms.startswith("李四")
    assert case.follow_ups[0].method == "visit" and case.follow_ups[0].honoured is True
    page = text(mediator.get(f"/admin/cases/{case.id}"))
    assert "What was agreed" in page and "李四赔偿张三 2000 元。" in page and 'id="rate-submit"' in page
    assert re.search(r'id="close-submit" disabled', page), "the resident has days to rate first"
    assert post(mediator, case, "close").status_code == 409
    response = post(mediator, case, "rate", {"rating": "satisfied", "comment": "谢谢"})
    assert response.status_code == 200 and "This case is closed" in text(response)
    case = fresh(case)
    assert not case.is_open and case.rating == Rating.satisfied
    actions = [e.action for e in cases.audit_log(demo, case_id=case.id)]
    assert actions[::-1] == ["case.open", "case.assign", "case.move", "case.move", "case.session", "case.move",
                             "case.outcome", "case.move", "case.follow_up", "case.move", "case.rated"]


def test_without_javascript_each_form_comes_back_to_the_page(demo, users, login):
    case = walk(new_case(demo, handler="mediator"), S.deliberating)
    client = login("mediator")
    response = post(client, case, "session", {"text": "第二次调解。"}, hx=False)
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/cases/{case.id}#timeline"
    assert "The session was recorded." in text(client.get(response.headers["Location"]))
    response = post(client, case, "session", {"text": " "}, hx=False)
    assert response.status_code == 422 and "<html" in text(response) and "what was said" in text(response)


def test_a_move_that_skips_a_step_is_refused_with_the_reason(demo, users, login):
    case = new_case(demo, handler="mediator")
    response = post(login("mediator"), case, "move", {"to": "acting"})
    page = text(response)
    assert response.status_code == 409
    assert "A case moves one step at a time: from Open talk the next step is Sorting." in page
    assert 'id="error-move"' in page and 'hx-swap-oob' in page
    assert fresh(case).step == S.intake and count(AuditEntry, AuditEntry.action == "case.move") == 0
    assert post(login("mediator"), case, "move", {"to": "nowhere"}).status_code == 422


def test_a_step_not_done_yet_cannot_be_left(demo, users, login):
    case = walk(new_case(demo, handler="mediator"), S.acting)
    response = post(login("mediator"), case, "move", {"to": "following_up"})
    assert response.status_code == 409 and "Record the outcome first." in text(response)


def test_the_outcome_form_marks_what_the_agreement_lacks_and_saves_nothing(demo, users, login):
    case = walk(new_case(demo, handler="mediator"), S.acting)
    client = login("mediator")
    response = post(client, case, "outcome", {"outcome": "success", "agreement_terms": "赔偿 2000 元"})
    page = text(response)
    assert response.status_code == 422
    assert 'id="err-outcome-disputed_matters"' in page and 'id="err-outcome-performance"' in page
    assert "赔偿 2000 元" in page and 'value="success" checked' in page, "what was typed comes back"
    response = post(client, case, "outcome", {"outcome": "failed"})
    assert response.status_code == 422 and 'id="err-outcome-other_channels"' in text(response)
    assert fresh(case).outcome is None
    response = post(client, case, "outcome", {"outcome": "failed", "other_channels": ["litigation"],
                                              "other_channels_text": "区劳动仲裁委"})
    assert response.status_code == 200
    assert fresh(case).outcome == CaseOutcome.failed and "区劳动仲裁委" in fresh(case).other_channels
    assert post(client, case, "outcome", {"outcome": "declined"}).status_code == 422


def test_reception_routes_but_does_not_record_the_steps(demo, users, login):
    case = new_case(demo, handler="mediator")
    client = login("reception")
    page = text(client.get(f"/admin/cases/{case.id}"))
    assert 'id="not-yours"' in page and 'id="move-next"' not in page and 'id="reveal"' not in page
    response = post(client, case, "move", {"to": "sorted"})
    assert response.status_code == 403 and "handler or an administrator" in text(response)
    assert post(client, case, "assign", {"handler": str(users["mediator2"].id)}).status_code == 403
    assert post(client, case, "reveal").status_code == 403
    assert post(client, case, "parties", {"party": ["x"], "party-x-name": "王五"}).status_code == 403
    assert post(client, case, "reply", {"text": "已电话告知当事人"}).status_code == 200
    assert fresh(case).step == S.intake and fresh(case).handler_id == users["mediator"].id


def test_an_admin_reassigns(demo, users, login):
    case = new_case(demo, handler="mediator")
    response = post(login("admin"), case, "assign", {"handler": str(users["mediator2"].id), "note": "回避"})
    assert response.status_code == 200 and fresh(case).handler_id == users["mediator2"].id
    assert "Reassigned from 傅国强 to 老潘" in text(response)
    assert post(login("mediator"), case, "reply", {"text": "x"}).status_code == 403


def test_replies_notes_details_parties_decline_and_withdraw(demo, users, login):
    case = new_case(demo, handler="mediator")
    client = login("mediator")
    response = post(client, case, "reply", {"text": "已受理，请等待电话。", "public": "1"})
    assert response.status_code == 200
    first = text(response).split('class="event ')[1]
    assert "Reply to the resident" in first and "Visible to the resident" in first
    response = post(client, case, "reply", {"text": "当事人情绪激动。"})
    first = text(response).split('class="event ')[1]
    assert "Internal note" in first and "Visible to the resident" not in first
    assert post(client, case, "reply", {"text": ""}).status_code == 422

    response = post(client, case, "details", {"kind": "complaint", "category": "property", "title": "新标题",
                                               "facts": "补充事实"})
    assert response.status_code == 200 and (fresh(case).kind.value, fresh(case).category) == ("complaint", "property")
    response = post(client, case, "details", {"kind": "complaint", "category": "weather", "facts": "x"})
    assert response.status_code == 422 and 'id="err-details-category"' in text(response)
    assert 'id="action-details" open' in text(response) and fresh(case).category == "property"

    response = post(client, case, "party", {"party-new-role": "other", "party-new-name": "王五",
                                            "party-new-phone": "13700001111"})
    assert response.status_code == 200 and [p.name for p in fresh(case).parties] == ["张三", "李四", "王五"]
    assert "137****1111" in text(response)
    response = post(client, case, "party", {"party-new-name": "赵六", "party-new-phone": "123"})
    assert response.status_code == 422 and 'id="err-pnewparties-0-phone"' in text(response)
    assert len(fresh(case).parties) == 3

    response = post(client, case, "decline", {"reason": "", "other_channels": ["litigation"]})
    assert response.status_code == 422 and fresh(case).is_open
    response = post(client, case, "decline", {"reason": "不属于人民调解范围", "other_channels": ["litigation", "legal_aid"]})
    assert response.status_code == 200 and fresh(case).outcome == CaseOutcome.declined
    assert 'id="move-next"' not in text(response) and "This case is closed" in text(response)
    assert post(client, case, "withdraw").status_code == 409, "closed already"

    other = walk(new_case(demo, handler="mediator"), S.deliberating)
    assert 'id="action-decline"' not in text(client.get(f"/admin/cases/{other.id}")), "only at the first two steps"
    assert post(client, other, "decline", {"reason": "x", "other_channels": ["litigation"]}).status_code == 409
    response = post(client, other, "withdraw", {"note": "已自行和解"})
    assert response.status_code == 200 and fresh(other).outcome == CaseOutcome.withdrawn


def test_a_case_the_resident_did_not_rate_is_closed_after_the_period(demo, users, login):
    case = walk(new_case(demo, handler="mediator"), S.rated)
    back_in_time(case, 8)  # 群众评事: 7 days by default
    client = login("mediator")
    assert not re.search(r'id="close-submit" disabled', text(client.get(f"/admin/cases/{case.id}")))
    response = post(client, case, "close")
    assert response.status_code == 200 and not fresh(case).is_open and fresh(case).rating is None


def test_the_handler_corrects_the_parties_after_revealing_them(demo, users, login):
    case = new_case(demo, handler="mediator")
    client = login("mediator")
    response = post(client, case, "reveal")
    page = text(response)
    assert response.status_code == 200 and "<html" not in page and 'id="parties"' in page
    assert response.headers["Cache-Control"] == "no-store", "the full details are never kept by a cache"
    assert "13812345678" in page and "11010519491231002X" in page and "0571-88886666" in page
    assert "拱宸桥街道 3 幢 201" in page
    assert 'id="form-parties"' in page and 'id="revealed-note"' in page
    entry = cases.audit_log(demo, case_id=case.id)[0]
    assert (entry.action, entry.user_id, entry.address) == ("case.view_personal", users["mediator"].id, "127.0.0.1")
    # without JavaScript: the whole page, revealed, not stored anywhere
    response = post(client, case, "reveal", hx=False)
    page = text(response)
    assert "<html" in page and "13812345678" in page and response.headers["Cache-Control"] == "no-store"
    assert count(AuditEntry, AuditEntry.action == "case.view_personal") == 2
    page = text(client.get(f"/admin/cases/{case.id}"))
    assert "13812345678" not in page and "幢 201" not in page, "masked again on the next view"
    assert "138****5678" in page and "拱宸桥街道****" in page

    rows = {"party": ["a", "b"], "party-a-role": "applicant", "party-a-name": "张三", "party-a-phone": "13812345679",
            "party-b-role": "respondent", "party-b-name": "李四", "party-b-phone": "bad"}
    response = post(client, case, "parties", rows)
    assert response.status_code == 422 and 'id="err-pbparties-1-phone"' in text(response)
    assert "13812345679" in text(response), "what was typed comes back"
    assert fresh(case).parties[0].phone == "13812345678"
    response = post(client, case, "parties", {**rows, "party-b-phone": ""})
    assert response.status_code == 200 and [p.phone for p in fresh(case).parties] == ["13812345679", ""]
    assert post(client, case, "parties", {"party": []}).status_code == 422


def test_markup_typed_anywhere_is_shown_escaped(demo, users, login):
    client = login("mediator")
    response = client.post("/admin/cases/new", data=new_form(title=MARKUP, facts=MARKUP, **{"party-a1-name": MARKUP[:60]}))
    case = db.session.scalar(select(Case))
    post(client, case, "reply", {"text": MARKUP, "public": "1"})
    post(client, case, "party", {"party-new-name": "<i>x</i>", "party-new-address": MARKUP[:200]})
    post(client, case, "assign", {"handler": str(users["mediator"].id), "note": MARKUP})
    client = login("admin")
    post(client, case, "details", {"kind": "dispute", "category": "neighbour", "title": MARKUP, "facts": MARKUP})
    for url in (f"/admin/cases/{case.id}", "/admin/cases", "/admin/audit"):
        page = text(client.get(url))
        assert "<script>alert" not in page and "<b>bold</b>" not in page and "<i>x</i>" not in page, url
    page = text(client.get(f"/admin/cases/{case.id}"))
    assert page.count(ESCAPED) >= 3 and "&lt;i&gt;x&lt;/i&gt;" in page
    page = text(post(client, case, "reveal"))
    assert "<script>alert" not in page and "&lt;i&gt;x&lt;/i&gt;" in page
    response = client.post("/admin/cases/new", data=new_form(category="", title=MARKUP))
    assert response.status_code == 422 and "<script>alert" not in text(response) and ESCAPED in text(response)


# ---- from the console and reception's list ----------------------------------------------------

def serving_ticket(demo, users, code="B", phone="13900001111"):
    service = queue.service_by_code(demo, code)
    counter = next(c for c in demo.counters if service in c.services)
    ticket = queue.issue_ticket(demo, service, phone=phone)
    queue.call_ticket(ticket, counter, users["reception"])
    queue.start(ticket, users["reception"])
    return ticket, counter


def test_a_visit_at_the_console_becomes_a_case_in_one_step(demo, users, login):
    ticket, counter = serving_ticket(demo, users)
    client = login("mediator")
    console = text(client.get(f"/admin/console/{counter.id}"))
    button = re.search(r'hx-post="/admin/cases/from-ticket/(\d+)"', console)
    assert button and int(button.group(1)) == ticket.id and "Open as a case" in console
    phone = client.get(f"/t/{ticket.token}", headers=HX)  # the resident's page, still polling
    assert 'data-testid="case-link"' not in text(phone)

    response = client.post(f"/admin/cases/from-ticket/{ticket.id}", headers=HX)
    case = db.session.scalar(select(Case))
    # the resident's page has changed (its next poll is not a 304) and leads on to the case's page
    again = client.get(f"/t/{ticket.token}", headers={**HX, "If-None-Match": phone.headers["ETag"]})
    assert again.status_code == 200 and f'href="/r/{case.token}"' in text(again) and case.number in text(again)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/admin/cases/{case.id}"
    assert case.ticket_id == ticket.id and case.handler_id == users["mediator"].id
    assert [(p.role.value, p.phone) for p in case.parties] == [("applicant", "13900001111")]
    assert "was opened" in text(client.get(f"/admin/cases/{case.id}"))
    # the console links the case now, and the same ticket again is the same case
    assert f'>Case {case.number}</a>' in text(client.get(f"/admin/console/{counter.id}"))
    response = client.post(f"/admin/cases/from-ticket/{ticket.id}")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/cases/{case.id}"
    assert count(Case) == 1


def test_a_visit_just_finished_is_offered_and_a_waiting_one_refused(demo, users, login):
    ticket, counter = serving_ticket(demo, users)
    queue.finish(ticket, users["reception"])
    client = login("reception")
    console = text(client.get(f"/admin/console/{counter.id}"))
    finished = console.split('id="just-finished"')[1]
    assert ticket.display_number in finished and f"/admin/cases/from-ticket/{ticket.id}" in finished
    response = client.post(f"/admin/cases/from-ticket/{ticket.id}")
    case = db.session.scalar(select(Case))
    assert response.status_code == 303 and case.handler_id is None, "reception opens it into the pool"
    waiting = queue.issue_ticket(demo, queue.service_by_code(demo, "A"))
    response = client.post(f"/admin/cases/from-ticket/{waiting.id}", headers=HX)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#flash"
    assert count(Case) == 1


def test_an_appointment_on_receptions_list_becomes_a_case(app, monkeypatch):
    from arrival_setup import DAY, FrozenClock, local, make_hall
    from hall import arrival, booking
    s = make_hall()
    FrozenClock(monkeypatch, local(s.hall, DAY, 9, 0))
    start = local(s.hall, DAY, 9, 0)
    appointment = booking.book(s.hall, s.service, start, phone="13812345678", name="张三",
                               at=start - timedelta(days=1)).appointment
    ticket = arrival.staff_check_in(s.users["reception"], appointment.id)
    queue.call_ticket(ticket, s.room, s.users["reception"])
    client = app.test_client()
    as_user(client, s.users["reception"])
    page = text(client.get("/admin/appointments"))
    row = page.split(f'data-appointment="{appointment.id}"')[1].split("</tr>")[0]
    assert f"/admin/cases/from-appointment/{appointment.id}" in row and "Open as a case" in row
    response = client.post(f"/admin/cases/from-appointment/{appointment.id}", headers=HX)
    case = db.session.scalar(select(Case))
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/admin/cases/{case.id}"
    assert (case.source.value, case.appointment_id, case.ticket_id) == ("appointment", appointment.id, ticket.id)
    assert [(p.name, p.phone) for p in case.parties] == [("张三", "13812345678")]
    row = text(client.get("/admin/appointments")).split(f'data-appointment="{appointment.id}"')[1].split("</tr>")[0]
    assert f">Case {case.number}</a>" in row
    # the appointment's and the ticket's phone pages lead on to the case's own page
    for page in (f"/a/{appointment.token}", f"/t/{ticket.token}"):
        shown = text(client.get(page))
        assert f'href="/r/{case.token}"' in shown and case.number in shown, page
    as_user(client, s.users["mediator"])
    assert client.post(f"/admin/cases/from-appointment/{appointment.id}").status_code == 403


def test_the_linked_advisers_appointments_show_on_the_desk(app, monkeypatch):
    from arrival_setup import DAY, FrozenClock, local, make_hall
    from hall import booking
    s = make_hall()
    FrozenClock(monkeypatch, local(s.hall, DAY, 8, 0))
    s.adviser.user_id = s.users["mediator"].id
    db.session.commit()
    start = local(s.hall, DAY, 10, 30)
    booking.book(s.hall, s.service, start, phone="13812345678", name="王阿姨", at=start - timedelta(days=1))
    client = app.test_client()
    as_user(client, s.users["mediator"])
    today = text(client.get("/admin/cases")).split('id="today"')[1].split("</section>")[0]
    assert "傅律师" in today and "10:30" in today and "王阿姨" in today and "Booked" in today
    assert "<form" not in today, "read only"


# ---- the audit log ----------------------------------------------------------------------------

def test_the_audit_log_newest_first_by_case_and_paged(demo, users, login):
    first = new_case(demo, handler="mediator")
    second = walk(new_case(demo, handler="mediator"), S.deliberating)
    with login("mediator").application.test_request_context(environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        cases.reveal(users["mediator"], first)
    client = login("admin")
    response = client.get("/admin/audit")
    page = text(response)
    assert response.status_code == 200
    rows = re.findall(r'<tr data-action="([a-z_.]+)" data-id="(\d+)"', page)
    assert [int(i) for _, i in rows] == sorted((int(i) for _, i in rows), reverse=True)
    assert rows[0][0] == "case.view_personal" and "10.1.2.3" in page and "Viewed personal data" in page
    assert "老傅" in page and first.number in page and second.number in page

    page = text(client.get(f"/admin/audit?case={second.number.lower()}"))
    assert second.number in page and f">{first.number}<" not in page
    assert page.count("<tr data-action") == len(cases.audit_log(demo, case_id=second.id))
    assert "There is no case" in text(client.get("/admin/audit?case=NOPE-1"))

    for _ in range(60):
        cases.reply(users["mediator"], first, "补充记录")
    page = text(client.get("/admin/audit"))
    assert page.count("<tr data-action") == 50
    older = re.search(r'id="older" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    page2 = text(client.get(older))
    first_ids = {i for _, i in re.findall(r'<tr data-action="([a-z_.]+)" data-id="(\d+)"', page)}
    second_ids = {i for _, i in re.findall(r'<tr data-action="([a-z_.]+)" data-id="(\d+)"', page2)}
    assert second_ids and not first_ids & second_ids
    assert len(first_ids | second_ids) == count(AuditEntry)
    assert 'id="older"' not in page2
    for user in ("reception", "mediator"):
        assert login(user).get("/admin/audit").status_code == 403


def test_the_staff_menu_links_cases_for_all_and_the_audit_log_for_admins(demo, login):
    for user, audit in (("admin", True), ("reception", False), ("mediator", False)):
        page = text(login(user).get("/admin/cases"))
        menu = page.split('class="admin-nav"')[1].split("</nav>")[0]
        assert 'href="/admin/cases" aria-current="page"' in menu
        assert ('href="/admin/audit"' in menu) is audit
