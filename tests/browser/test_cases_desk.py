"""The case desk in a real Chromium at desk size (1366×900) against gunicorn (CSRF on, as in
production): reception finishes a visit at the console and opens it as a case in one click, routes
it to 老傅; 老傅 finds it on his desk and walks it through every step with the forms (details, a
party, moves, a session, the outcome with the agreement, a follow-up, the resident's rating), the
timeline growing with each; he reveals the parties' full details; the administrator reads the
audit log. Screenshots go to screenshots/. Elements are found by id: the words are the
catalogue's."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser.screens import DESK, SHOTS, log_in
from conftest import PHONE
from hall import queue
from hall.extensions import db

pytestmark = pytest.mark.browser


def events(page) -> int:
    return page.locator("#timeline .event").count()


def shot(page, name: str, keep_message: bool = False) -> None:
    if not keep_message and page.locator("#flash .message").count():
        page.locator("#flash").click()  # a click dismisses the message, which would cover the page
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"], "no sideways scrolling"


def test_a_visit_becomes_a_case_and_walks_the_loop(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    room = next(c for c in demo.counters if c.number == 3)
    room_id = room.id
    ticket = queue.issue_ticket(demo, queue.service_by_code(demo, "B"), phone="13905718888")
    number, ticket_token = ticket.display_number, ticket.token
    db.session.commit()  # let go of the database: the live server writes
    base = live_server.url

    # ---- reception: call, serve, finish, open as a case in one click, route it --------------------
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, base, "reception")
        page.goto(f"{base}/admin/console/{room_id}")
        page.locator("#call-next").click()
        expect(page.locator("#now-serving")).to_contain_text(number)
        page.locator("#now-serving .action-start").click()
        expect(page.locator("#now-serving .action-open-case")).to_be_visible()
        page.locator("#now-serving .action-finish").click()
        finished = page.locator("#just-finished li", has_text=number)
        expect(finished.locator(".action-open-case")).to_be_visible()
        shot(page, "cases-console-open-as-case", keep_message=True)
        finished.locator(".action-open-case").click()  # the one click
        expect(page).to_have_url(re.compile(r"/admin/cases/\d+$"))
        case_url = page.url
        expect(page.locator("#case")).to_have_attribute("data-step", "intake")
        expect(page.locator("#parties .party-table")).to_contain_text("139****8888")
        expect(page.locator("#move-next")).to_have_count(0)  # reception routes, the handler moves
        expect(page.locator(".case-steps li[aria-current=step]")).to_have_attribute("data-step", "intake")
        fits(page)
        shot(page, "cases-intake-reception")
        page.select_option("#assign-handler", label="老傅")
        page.locator("#assign-submit").click()
        expect(page.locator("#handler-name")).to_have_text("老傅")
        expect(page.locator("#timeline .event").first).to_have_attribute("data-action", "assigned")
        case_number = page.locator("#case").get_attribute("data-case")
    finally:
        context.close()

    # ---- the resident: the ticket's phone page now leads on to the case's own page ------------------
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base, locale="zh-CN")
    phone = context.new_page()
    try:
        phone.goto(f"/t/{ticket_token}")
        link = phone.locator("[data-testid=case-link]")
        expect(link).to_contain_text(case_number)
        phone.screenshot(path=str(SHOTS / "cases-phone-ticket-link.png"), full_page=True)
        link.tap()
        expect(phone).to_have_url(re.compile(r"/r/[\w-]+$"))
        expect(phone.locator("[data-testid=number]")).to_have_text(case_number)
    finally:
        context.close()

    # ---- 老傅: his desk, then every step of the loop ------------------------------------------------
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        log_in(page, base, "mediator")
        page.locator(".admin-nav a[href='/admin/cases']").click()
        card = page.locator("#column-intake .case-card")
        expect(card).to_have_count(1)
        expect(page.locator("#today")).to_contain_text("傅国强")
        fits(page)
        shot(page, "cases-desk-mediator")
        card.click()
        expect(page).to_have_url(case_url)
        page.evaluate("window.__stayed = true")  # gone if a form reloads the page instead of htmx

        # 开放说事: the details and the other party, then on to 分类理事
        page.locator("#action-details summary").click()
        page.select_option("#details-category", "neighbour")
        page.fill("#details-title", "楼上漏水致楼下受损")
        page.fill("#details-facts", "楼上卫生间漏水三个月，楼下天花板和墙面受损，楼下要求赔偿维修费用。")
        page.locator("#details-submit").click()
        expect(page.locator("#facts")).to_contain_text("楼上卫生间漏水三个月")
        page.locator("#action-party summary").click()
        page.select_option("#party-new-role", "respondent")
        page.fill("#party-new-name", "李海")
        page.fill("#party-new-phone", "1234")  # not a number: marked, nothing saved
        page.locator("#form-party button[type=submit]").click()
        expect(page.locator("#err-pnewparties-0-phone")).to_be_visible()
        expect(page.locator("#parties .party-table tbody tr")).to_have_count(1)
        page.fill("#party-new-phone", "13905719999")
        page.locator("#form-party button[type=submit]").click()
        expect(page.locator("#parties .party-table tbody tr")).to_have_count(2)
        grown = events(page)

        for step in ("sorted", "deliberating"):
            page.locator("#move-next").click()
            expect(page.locator("#case")).to_have_attribute("data-step", step)
            assert events(page) == grown + 1
            grown += 1

        # 多方议事: nothing to move on with yet
        expect(page.locator("#move-next")).to_be_disabled()
        expect(page.locator("#move-missing")).to_be_visible()
        page.fill("#session-text", "双方到场。张三要求赔偿维修费 3000 元，李海同意维修防水，对金额有异议。")
        page.locator("#session-submit").click()
        expect(page.locator("#timeline .event").first).to_have_attribute("data-action", "session")
        expect(page.locator("#move-next")).to_be_enabled()
        shot(page, "cases-deliberating")
        page.locator("#move-next").click()
        expect(page.locator("#case")).to_have_attribute("data-step", "acting")

        # 党群办事: the outcome with the agreement's elements; one left out first
        expect(page.locator("#outcome-disputed_matters")).to_be_hidden()
        page.locator("#form-outcome input[name=outcome][value=success]").check()
        expect(page.locator("#outcome-disputed_matters")).to_be_visible()
        page.fill("#outcome-responsibilities", "李海对漏水负主要责任。")
        page.fill("#outcome-agreement_terms", "一、李海 7 日内重做卫生间防水；二、赔偿维修费 2000 元。")
        page.locator("#outcome-submit").click()
        expect(page.locator("#err-outcome-performance")).to_be_visible()
        expect(page.locator("#outcome-agreement_terms")).to_have_value(re.compile("赔偿维修费 2000 元"))
        shot(page, "cases-outcome-refused")
        page.fill("#outcome-performance", "防水完工后 3 日内一次付清。")
        page.locator("#outcome-submit").click()
        expect(page.locator("#outcome-view .agreement")).to_contain_text("赔偿维修费 2000 元")
        page.locator("#move-next").click()
        expect(page.locator("#case")).to_have_attribute("data-step", "following_up")

        # 跟踪督事: a visit finds the agreement honoured
        page.locator("#form-follow-up input[name=method][value=visit]").check()
        page.locator("#form-follow-up input[name=honoured][value=yes]").check()
        page.fill("#follow-up-note", "上门回访：防水已重做，赔偿款已付清，双方满意。")
        page.locator("#follow-up-submit").click()
        expect(page.locator("#follow-ups")).to_contain_text("防水已重做")

        # the parties in full, for the agreement: logged
        page.locator("#reveal").click()
        expect(page.locator("#revealed-note")).to_be_visible()
        expect(page.locator("#parties .party-table")).to_contain_text("13905718888")
        expect(page.locator("#parties .party-table")).to_contain_text("13905719999")
        shot(page, "cases-revealed")
        page.locator("#move-next").click()
        expect(page.locator("#case")).to_have_attribute("data-step", "rated")
        expect(page.locator("#parties .party-table")).not_to_contain_text("13905718888")  # masked again

        # 群众评事: the rating heard on the follow-up call closes it
        expect(page.locator("#close-submit")).to_be_disabled()
        page.locator("#form-rate input[name=rating][value=satisfied]").check()
        page.fill("#rate-comment", "老傅很耐心，谢谢！")
        page.locator("#rate-submit").click()
        expect(page.locator("#case")).to_have_class(re.compile(r"\bclosed\b"))
        expect(page.locator("#rating-view")).to_contain_text("老傅很耐心")
        expect(page.locator(".case-steps li.step-done")).to_have_count(6)
        assert events(page) >= 12
        assert page.evaluate("window.__stayed === true"), "every form answered in place"
        fits(page)
        shot(page, "cases-closed")

        page.locator(".admin-nav a[href='/admin/cases']").click()
        expect(page.locator(".case-card")).to_have_count(0)
    finally:
        context.close()

    # ---- the administrator: the audit log, the reveal in it ---------------------------------------
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, base, "admin")
        page.locator(".admin-nav a[href='/admin/audit']").click()
        expect(page.locator(".audit-table tbody tr[data-action='case.view_personal']")).to_have_count(1)
        expect(page.locator(".audit-table tbody tr").first).to_have_attribute("data-action", "case.rated")
        fits(page)
        shot(page, "cases-audit")
        # the visit ratings, one more link in a menu that keeps one line at 1366 px, in both languages
        page.locator(".admin-nav a[href='/admin/ratings']").click()
        expect(page.locator("#rating-counts")).to_be_visible()
        for lang in ("en", "zh"):
            page.goto(f"{base}/admin/ratings?lang={lang}")
            bar, link = page.evaluate("[document.querySelector('.admin-bar').getBoundingClientRect().height, "
                                      "document.querySelector('.admin-nav a').getBoundingClientRect().height]")
            assert bar < 2 * link, f"the staff bar keeps one line ({lang})"
            fits(page)
        shot(page, "ratings")
        page.goto(f"{base}/admin/cases")
        expect(page.locator("#handler-filter")).to_be_visible()
        shot(page, "cases-desk-admin")
        # the closed case is off the desk; the search finds it by the phone's last 4 digits
        page.evaluate("window.__stayed = true")
        page.fill("#find-case-q", "8888")
        with page.expect_request(lambda r: "/admin/cases/find" in r.url) as sent:
            page.press("#find-case-q", "Enter")
        assert sent.value.method == "POST" and "8888" not in sent.value.url, "no phone in the access log"
        found = page.locator(".find-results tr[data-case]")
        expect(found).to_have_count(1)
        expect(found.locator(".closed-badge")).to_be_visible()
        assert page.evaluate("window.__stayed === true"), "the results came in place"
        fits(page)
        shot(page, "cases-find")
        found.locator("a.case-number").click()
        expect(page).to_have_url(case_url)
    finally:
        context.close()


def test_a_new_case_with_two_parties_at_the_desk(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    db.session.commit()
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, live_server.url, "reception")
        page.goto(f"{live_server.url}/admin/cases")
        page.locator("#new-case").click()
        expect(page.locator("#party-rows .party-row")).to_have_count(2)
        page.locator("#add-party").click()  # htmx adds a row in place
        expect(page.locator("#party-rows .party-row")).to_have_count(3)
        page.locator("#party-rows .party-row").nth(2).locator(".remove-party").click()
        expect(page.locator("#party-rows .party-row")).to_have_count(2)
        page.select_option("#source", "police")
        rows = page.locator("#party-rows .party-row")
        rows.nth(0).locator("input[name$='-name']").fill("孙美玲")
        rows.nth(0).locator("input[name$='-phone']").fill("139057100")  # too short
        rows.nth(1).locator("input[name$='-name']").fill("周强")
        page.locator("#open-case").click()
        expect(page.locator("#err-category")).to_be_visible()
        expect(page.locator("#err-facts")).to_be_visible()
        expect(page.locator("#case-new .field-error")).to_have_count(3)
        fits(page)
        shot(page, "cases-new-refused", keep_message=True)
        page.select_option("#category", "traffic")
        page.fill("#facts", "派出所移交：电动车与行人在小区门口剐蹭，对医药费有争议。")
        page.locator("#party-rows .party-row").nth(0).locator("input[name$='-phone']").fill("13905710004")
        page.locator("#open-case").click()
        expect(page).to_have_url(re.compile(r"/admin/cases/\d+$"))
        expect(page.locator("#parties .party-table tbody tr")).to_have_count(2)
        expect(page.locator("#assign-handler")).to_be_visible()
        shot(page, "cases-new-opened")
    finally:
        context.close()
