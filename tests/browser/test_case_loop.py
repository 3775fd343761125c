"""The whole closed loop in a real Chromium against gunicorn (CSRF on, as in production), as the
people of the hall live it: a resident reports a leaking ceiling at the kiosk (portrait 1080×1920,
touch, the keypad) and takes the slip; reception routes the case to 老傅 at the desk (1366×900);
老傅 sorts it, holds the session, records the agreement and prints the 调解协议书, follows it up;
the resident follows every step on the phone page behind the slip's QR code (390×844), reads the
reply staff made public, and rates it there; the case closes, and its printed summary holds the
parties and every step as text (pdftotext). Screenshots and the summary's pages go to
screenshots/."""
from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from browser.screens import DESK, FAKE_PRINT, SHOTS, log_in
from conftest import KIOSK, PHONE
from document_data import pdf_text

pytestmark = pytest.mark.browser
STEPS = ["开放说事", "分类理事", "多方议事", "党群办事", "跟踪督事", "群众评事"]
REPLY = "<i>已约双方本周五上午到大厅调解。</i>"  # markup a careless page would render: shown as text


def resident_sees(phone, token: str, step: str) -> None:
    """The resident opens the slip's link again: the step the case is at is the one marked."""
    phone.goto(f"/r/{token}")
    expect(phone.locator("#report")).to_have_attribute("data-step", step)
    expect(phone.locator(f"[data-step={step}][aria-current=step]")).to_have_count(1)


def test_a_report_at_the_kiosk_walks_the_whole_loop_to_a_printed_summary(browser, live_server, demo):
    SHOTS.mkdir(exist_ok=True)
    base = live_server.url
    contexts = []

    def context(**options):
        made = browser.new_context(base_url=base, locale="zh-CN", **options)
        contexts.append(made)
        return made

    try:
        # ---- the kiosk: 我要反映 → a complaint about a neighbour, by taps and the keypad ----------
        kiosk = context(viewport=KIOSK, has_touch=True)
        kiosk.add_init_script(FAKE_PRINT)
        page = kiosk.new_page()
        page.goto("/k/demo?lang=zh")
        page.locator("[data-testid=report-entry]").tap()
        page.locator("[data-testid=kind-complaint]").tap()
        page.locator("[data-testid=category-neighbour]").tap()
        page.locator("[data-testid='phrase-neighbour.1']").tap()
        page.locator("[data-testid=next]").tap()
        for digit in "13812345678":
            page.locator(f".keypad [data-key='{digit}']").tap()
        page.locator("[data-testid=name-open]").tap()
        page.locator(".surnames label", has_text="王").tap()
        page.locator(".address label", has_text="女士").tap()
        page.locator("#take-button").tap()
        page.wait_for_url(re.compile(r"/k/demo/report/done/[\w-]+$"))
        token = page.url.rsplit("/", 1)[1]
        number = page.locator("[data-testid=number]").inner_text()
        assert re.fullmatch(r"DEMO-\d{4}-\d{4}", number)
        expect(page.locator(".ticket-qr svg.qr path")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "loop-1-kiosk-received.png"))

        phone = context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2).new_page()
        resident_sees(phone, token, "intake")
        expect(phone.locator("[data-testid=number]")).to_have_text(number)

        # ---- reception: the report waits for a handler; routed to 老傅 --------------------------
        desk = context(viewport=DESK).new_page()
        log_in(desk, base, "reception")
        desk.goto("/admin/cases")
        waiting = desk.locator(f"#pool li[data-case='{number}'] a.case-number")
        expect(waiting).to_have_count(1)
        waiting.click()
        expect(desk.locator("#case")).to_have_attribute("data-step", "intake")
        expect(desk.locator("#parties .party-table")).to_contain_text("138****5678")
        desk.select_option("#assign-handler", label="老傅")
        desk.locator("#assign-submit").click()
        expect(desk.locator("#handler-name")).to_have_text("老傅")
        case_path = desk.url.replace(base, "")
        desk.context.close()

        # ---- 老傅 at his desk: the other party, 分类理事, 多方议事 with a reply to the resident ----
        mediator = context(viewport=DESK)
        desk = mediator.new_page()
        desk.on("dialog", lambda dialog: dialog.accept())
        log_in(desk, base, "mediator")
        desk.goto("/admin/cases")
        desk.locator("#column-intake .case-card", has_text=number).click()
        expect(desk).to_have_url(re.compile(re.escape(case_path) + "$"))
        desk.locator("#action-party summary").click()
        desk.select_option("#party-new-role", "respondent")
        desk.fill("#party-new-name", "李海")
        desk.fill("#party-new-phone", "13905719999")
        desk.locator("#form-party button[type=submit]").click()
        expect(desk.locator("#parties .party-table tbody tr")).to_have_count(2)
        desk.locator("#move-next").click()
        expect(desk.locator("#case")).to_have_attribute("data-step", "sorted")
        resident_sees(phone, token, "sorted")

        desk.locator("#move-next").click()
        expect(desk.locator("#case")).to_have_attribute("data-step", "deliberating")
        desk.locator("#action-reply summary").click()
        desk.locator("#action-reply input[name=public][value='1']").check()
        desk.fill("#reply-text", REPLY)
        desk.locator("#reply-submit").click()
        expect(desk.locator("#timeline .event").first).to_have_attribute("data-action", "reply")
        desk.fill("#session-text", "双方到场。申请人要求赔偿维修费 3000 元，李海同意重做防水，对金额有异议。")
        desk.locator("#session-submit").click()
        expect(desk.locator("#timeline .event").first).to_have_attribute("data-action", "session")
        resident_sees(phone, token, "deliberating")
        expect(phone.locator("[data-testid=timeline]")).to_contain_text(REPLY)  # the markup as text
        assert phone.locator("[data-testid=timeline] i").count() == 0
        phone.screenshot(path=str(SHOTS / "loop-2-phone-deliberating.png"), full_page=True)

        # ---- 党群办事: the agreement, printed for the parties ------------------------------------
        desk.locator("#move-next").click()
        expect(desk.locator("#case")).to_have_attribute("data-step", "acting")
        desk.locator("#form-outcome input[name=outcome][value=success]").check()
        desk.fill("#outcome-disputed_matters", "楼上卫生间漏水，楼下天花板受损，双方对赔偿金额有争议。")
        desk.fill("#outcome-responsibilities", "李海对漏水负主要责任。")
        desk.fill("#outcome-agreement_terms", "一、李海 7 日内重做卫生间防水；二、李海赔偿申请人维修费 2000 元。")
        desk.fill("#outcome-performance", "防水完工后 3 日内一次付清。")
        desk.locator("#outcome-submit").click()
        expect(desk.locator("#outcome-view .agreement")).to_contain_text("赔偿申请人维修费 2000 元")
        expect(desk.locator("#print-agreement")).to_be_visible()
        desk.goto(desk.locator("#print-agreement").get_attribute("href"))
        # nobody typed the parties' identity numbers or addresses: the page says so before printing
        expect(desk.locator("#agreement-missing")).to_contain_text("身份证号码和住址")
        expect(desk.locator("#print-agreement-anyway")).to_be_visible()
        printed = desk.request.post(desk.url, form={"csrf_token": desk.locator(".agreement-print input[name=csrf_token]").input_value(),
                                                    "confirm": "1"})  # 仍要打印
        assert printed.ok and printed.headers["content-type"] == "application/pdf"
        agreement = pdf_text(printed.body())
        for words in ("人民调解协议书", number, "王女士", "李海", "13812345678", "重做卫生间防水", "3 日内一次付清"):
            assert words in agreement, words
        desk.goto(case_path)

        # ---- 跟踪督事: the follow-up visit; then 群众评事, over to the resident --------------------
        desk.locator("#move-next").click()
        expect(desk.locator("#case")).to_have_attribute("data-step", "following_up")
        desk.locator("#form-follow-up input[name=method][value=visit]").check()
        desk.locator("#form-follow-up input[name=honoured][value=yes]").check()
        desk.fill("#follow-up-note", "上门回访：防水已重做，赔偿款已付清。")
        desk.locator("#follow-up-submit").click()
        expect(desk.locator("#follow-ups")).to_contain_text("防水已重做")
        desk.locator("#move-next").click()
        expect(desk.locator("#case")).to_have_attribute("data-step", "rated")

        # ---- the resident rates it on the phone page; the case closes ------------------------------
        resident_sees(phone, token, "rated")
        phone.locator("label.choice-satisfied").tap()
        phone.fill("#rate-comment", "老傅很耐心，问题解决了，谢谢！")
        phone.locator("[data-testid=rate-send]").tap()
        expect(phone.locator("[data-testid=rated]")).to_be_visible()
        expect(phone.locator("#report")).to_have_attribute("data-status", "closed")
        expect(phone.locator(".loop-done")).to_have_count(6)
        phone.screenshot(path=str(SHOTS / "loop-3-phone-rated.png"), full_page=True)

        desk.reload()
        expect(desk.locator("#case")).to_have_class(re.compile(r"\bclosed\b"))
        expect(desk.locator("#rating-view")).to_contain_text("问题解决了")
        expect(desk.locator(".case-steps li.step-done")).to_have_count(6)
        desk.screenshot(path=str(SHOTS / "loop-4-desk-closed.png"), full_page=True)

        # ---- the printed summary: parties and every step, as text -----------------------------------
        summary = desk.request.get(desk.locator("#print-summary").get_attribute("href"))
        assert summary.ok and summary.headers["content-type"] == "application/pdf"
        text = pdf_text(summary.body())
        for words in (number, "王女士", "李海", "李海对漏水负主要责任", "赔偿申请人维修费 2000 元",
                      "防水已重做", "问题解决了", "老傅", REPLY, *STEPS):
            assert words in text, words
        assert "事项办理摘要" in text
        assert re.search(r"申请人\s+王女士\s+138\*{4}5678", text), "the applicant's row, the phone masked"
        assert re.search(r"被申请人\s+李海\s+139\*{4}9999", text)
        assert "13812345678" not in text and "13905719999" not in text
        pdf = SHOTS / "loop-5-summary.pdf"
        pdf.write_bytes(summary.body())
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(SHOTS / "loop-5-summary")], check=True)
    finally:
        for made in contexts:
            made.close()
