"""Printed documents, called directly: the case summary and the mediation agreement as PDFs read
back with poppler (pdftotext, pdfinfo, pdffonts) — names with rare characters extractable, every
step's name, the outcome, masked and full personal data, one copy per party plus one kept, the
signature, fingerprint and seal blocks, Simplified Chinese faces, markup printed as text — the
small per-document fonts and their cache, times in the hall's timezone, and the command line
(`case pdf`, `case archive`: the period in the hall's dates, the zip's PDFs and index)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from document_data import (
    APPLICANT, COMPLETE_PARTIES, OTHER, PARTIES, RARE, RESPONDENT, TERMS, closed_case, new_case, pdf_fonts, pdf_pages, pdf_text,
    page_texts, pending_chinese, staff, walk,
)
from hall import archive, cases, documents, people
from hall.errors import Forbidden, WrongState
from hall.extensions import db
from hall.models import AuditEntry, CaseStep as S

STEPS = ("开放说事", "分类理事", "多方议事", "党群办事", "跟踪督事", "群众评事")


@pytest.fixture
def users(demo):
    return staff(demo)


@pytest.fixture(autouse=True)
def chinese(app):
    with pending_chinese():
        yield


def flat(text: str) -> str:
    """pdftotext's text without its line breaks and spaces (a table cell may wrap)."""
    return re.sub(r"\s+", "", text)


# ---- the summary ---------------------------------------------------------------------------

def test_the_summary_names_the_parties_every_step_and_the_outcome_with_numbers_masked(demo, users):
    case = closed_case(demo, users)
    text = flat(pdf_text(documents.summary_pdf(case)))

    for name in (APPLICANT, RESPONDENT, OTHER):
        assert name in text, f"{name} not extractable"
    assert all(ch in text for ch in RARE), "every rare character comes back as text"
    for step in STEPS:
        assert step in text
    assert case.number in text and "调解成功" in text and "邻里" in text and "满意" in text
    assert "李堃喆赔偿张𠈌䶮维修费2000元" in text, "the agreement's terms"
    assert "已按期付款" in text, "the follow-up"
    assert "138****5678" in text and "13812345678" not in text
    assert "110105********002X" in text and "11010519491231002X" not in text
    assert "拱墅区和睦街道****" in text and "3幢201室" not in text, "the address without the door"


def test_documents_name_staff_by_their_full_name(demo, users):
    users["mediator"].full_name = "傅国强"  # the login's display name is 老傅
    db.session.commit()
    case = closed_case(demo, users)
    case, = documents.load_for_print([case.id])
    text = flat(pdf_text(documents.summary_pdf(case)))
    assert "承办人傅国强" in text and "老傅" not in text, "the handler, and who did each step"


def test_the_printed_name_is_the_full_name_else_the_advisers_else_the_display_name(demo, users):
    mediator, other = users["mediator"], users["mediator2"]  # 老傅 is 傅国强's login; 老潘 has no adviser
    assert mediator.full_name == "傅国强", "the demo names its logins in full"
    mediator.full_name = other.full_name = ""
    assert people.printed_name(mediator) == "傅国强", "the name of the adviser linked to the login"
    assert people.printed_name(other) == "老潘", "no full name, no adviser: the display name"
    mediator.full_name, other.full_name = "傅国栋", "  "
    assert people.printed_name(mediator) == "傅国栋", "the full name first"
    other.display_name = ""
    assert people.printed_name(other) == "mediator2", "at the least the username"
    assert documents.person(None) == "群众", "the resident"
    db.session.rollback()


def test_the_summary_revealed_shows_the_full_numbers(demo, users):
    case = closed_case(demo, users)
    text = flat(pdf_text(documents.summary_pdf(case, revealed=True)))
    assert "13812345678" in text and "11010519491231002X" in text and "0571-88886666" in text
    assert "拱墅区和睦街道3幢201室" in text


def test_an_open_case_shows_the_steps_ahead_empty(demo, users):
    case = walk(new_case(demo, users), users, S.deliberating)
    text = flat(pdf_text(documents.summary_pdf(case)))
    assert "当前环节" in text and "本环节暂无记录" in text and "尚无办理结果" in text


def test_documents_print_in_the_sc_faces_small_and_with_every_character_drawn(demo, users):
    case = closed_case(demo, users)
    html = documents.summary_html(case)  # once: it says when it was printed, to the minute
    pdf = documents.html_to_pdf(html)
    fonts = pdf_fonts(pdf)
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert any("Noto-Serif-CJK-SC" in row for row in rows) and any("Noto-Sans-CJK-SC" in row for row in rows)
    names = [row.split()[0].split("+", 1)[-1] for row in rows]  # without the subset tag (ABCDEF+)
    assert not [n for n in names if re.search(r"JP|jp", n)], "no Japanese face: Simplified forms only"
    assert any("HanaMin" in row for row in rows), "𡒄 and 𪚥 (not in Noto CJK) come from Hanazono"
    for row in rows:  # embedded, subset, with a ToUnicode map (text extractable)
        assert re.search(r"yes\s+yes\s+yes\s+\d+\s+\d+$", row), row
    assert len(pdf) < 150_000, "a page of Chinese, not megabytes of font"
    # The plain render (installed fonts, no document fonts) is the same page, three times the size.
    plain = documents.html_to_pdf(html, own_fonts=False)
    assert flat(pdf_text(plain)) == flat(pdf_text(pdf))
    assert not re.search(r"\+\S*JP", pdf_fonts(plain))


def test_markup_typed_by_staff_prints_as_text(demo, users):
    parties = [{"role": "applicant", "name": "<i>赵</i>", "phone": "13812345678"}, PARTIES[1]]
    case = walk(new_case(demo, users, parties=parties, facts='<script>alert("x")</script> & <b>粗</b>'), users, S.acting)
    cases.record_outcome(users["mediator"], case, {
        "outcome": "success", "disputed_matters": "<img src=x onerror=alert(1)>", "responsibilities": "",
        "agreement_terms": "<style>body{display:none}</style>赔偿 100 元", "performance": "当场付清"})
    summary = pdf_text(documents.summary_pdf(case))
    assert '<script>alert("x")</script>' in summary and "<b>粗</b>" in summary and "<i>赵</i>" in summary
    agreement = pdf_text(documents.print_agreement(users["admin"], case, confirmed=True))
    assert "<img src=x onerror=alert(1)>" in agreement
    assert "<style>body{display:none}</style>赔偿 100 元" in agreement


def test_times_are_in_the_halls_timezone(demo, users):
    case = new_case(demo, users)
    case.events[0].at = datetime(2026, 1, 2, 0, 30, tzinfo=timezone.utc)
    with pending_chinese():
        from flask_babel import force_locale
        with force_locale("zh_Hans_CN"):
            assert documents.timeline(case)[0].events[0]["when"] == "2026-01-02 08:30"
            assert documents.local_time(case, case.events[0].at) == "2026年1月2日 08:30"
            demo.timezone = "Europe/Berlin"
            assert documents.timeline(case)[0].events[0]["when"] == "2026-01-02 01:30"


def test_the_qr_code_holds_the_residents_page(app, demo, users):
    case = new_case(demo, users)
    with app.test_request_context(base_url="http://192.168.1.20:5000"):
        url = documents.resident_url(case)
        html = documents.summary_html(case)
    assert url == f"http://192.168.1.20:5000/r/{case.token}"
    assert '<svg role="img"' in html and 'class="qr"' in html
    app.config["PUBLIC_BASE_URL"] = "https://hall.example.cn/"
    assert documents.resident_url(case) == f"https://hall.example.cn/r/{case.token}"
    app.config["PUBLIC_BASE_URL"] = ""
    assert documents.resident_url(case) == "", "no address known: no QR code rather than a wrong one"
    assert "<svg" not in documents.summary_html(case)


def test_a_warm_document_draws_no_glyph_again(demo, users, monkeypatch):
    case = closed_case(demo, users)
    html = documents.summary_html(case)
    first = documents.document_fonts(html)
    assert set(first.glyphs) == {documents.SERIF_FAMILY, documents.SANS_FAMILY, documents.RARE_FAMILY}
    assert first.glyphs[documents.RARE_FAMILY] == 2, "𡒄 and 𪚥"

    def no_drawing(self, cp):
        raise AssertionError(f"drew U+{cp:04X} again")
    monkeypatch.setattr(documents.SourceFont, "_draw", no_drawing)
    again = documents.document_fonts(html)
    assert again.glyphs == first.glyphs and again.files.keys() == first.files.keys()


def test_the_glyph_cache_on_disk_serves_a_new_process(demo, users, tmp_path, app, monkeypatch):
    app.config["PDF_GLYPH_CACHE"] = str(tmp_path / "glyphs.sqlite3")
    text = "调解𠈌" + RARE
    monkeypatch.setattr(documents, "_sources", {})  # nothing drawn yet in this "process"
    documents.document_fonts(text)
    assert (tmp_path / "glyphs.sqlite3").exists()
    # A fresh process: no outline in memory, none drawn, all read from the file.
    monkeypatch.setattr(documents, "_sources", {})
    monkeypatch.setattr(documents.SourceFont, "_draw", lambda self, cp: pytest.fail(f"drew U+{cp:04X}"))
    assert documents.document_fonts(text).glyphs[documents.RARE_FAMILY] == 2


def test_a_warmed_up_worker_draws_only_the_cases_own_characters(demo, users, tmp_path, app, monkeypatch):
    assert documents.start_warm_up(app) is None, "off in the tests"
    app.config.update(PDF_GLYPH_CACHE=str(tmp_path / "glyphs.sqlite3"), PDF_WARM_UP=True)
    monkeypatch.setattr(documents, "_sources", {})  # a fresh worker: nothing drawn, nothing cached
    common = "楼上卫生间漏水天花板发霉脱落"  # instead of the 3 755 common hanzi (8 s to draw)
    assert set(common) <= set(documents.common_characters())
    monkeypatch.setattr(documents, "common_characters", lambda: common)
    case = closed_case(demo, users)
    case, = documents.load_for_print([case.id])
    documents.start_warm_up(app).join()
    assert all(src is None or src._cmap is not None for src in documents._sources.values())
    drawn: set[str] = set()
    draw = documents.SourceFont._draw
    monkeypatch.setattr(documents.SourceFont, "_draw", lambda self, cp: drawn.add(chr(cp)) or draw(self, cp))
    assert APPLICANT in pdf_text(documents.summary_pdf(case))
    data = [case.hall.name, case.title, case.facts, case.disputed_matters, case.responsibilities,
            case.agreement_terms, case.performance, case.rating_comment, *(e.text for e in case.events),
            *(f.note for f in case.follow_ups), *(p.name + p.address for p in case.parties),
            *(documents.person(e.user) for e in case.events)]
    assert drawn and drawn <= set("".join(data)), "the documents' own words were drawn by the warm-up"
    assert drawn.isdisjoint(common) and set(APPLICANT) <= drawn, "so were the common characters, not rare ones"


def test_gunicorn_warms_up_each_worker_once_it_has_loaded_the_app(app, monkeypatch):
    import runpy
    from types import SimpleNamespace
    from document_data import ROOT
    started = []
    monkeypatch.setattr(documents, "start_warm_up", started.append)
    hook = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"]
    hook(SimpleNamespace(wsgi=app))
    assert started == [app]


# ---- the agreement -------------------------------------------------------------------------

def test_the_agreement_has_one_copy_per_party_plus_one_kept_each_on_its_own_page(demo, users):
    case = closed_case(demo, users, parties=COMPLETE_PARTIES)
    users["mediator"].full_name = "傅国强"  # the login's display name is 老傅
    demo.committee_name = "和睦街道人民调解委员会"
    db.session.commit()
    pdf = documents.print_agreement(users["admin"], case)
    marks = [f"此份由申请人{APPLICANT}收执", f"此份由被申请人{RESPONDENT}收执", f"此份由其他当事人{OTHER}收执",
             "此份由人民调解委员会存档"]
    pages = [flat(page) for page in page_texts(pdf)]
    assert pdf_pages(pdf) >= len(marks)
    starts = [next(i for i, page in enumerate(pages) if mark in page) for mark in marks]
    assert starts == sorted(starts) and len(set(starts)) == 4, "each copy starts on a page of its own"
    text = flat(pdf_text(pdf))
    for words in ("人民调解协议书", "本协议一式四份", "当事人各执一份", "签名", "捺印", "人民调解员（签名）",
                  "和睦街道人民调解委员会", "（印章）", "纠纷的主要事实和争议事项", "各方当事人的责任", "履行方式和期限",
                  "具有法律约束力", "申请司法确认"):
        assert words in text, words
    assert text.count("捺印") == 4 * 3, "a fingerprint box for each party on each copy"
    # Full details, as handed to the parties.
    assert "11010519491231002X" in text and "13812345678" in text and "拱墅区和睦街道3幢201室" in text
    assert "李堃喆于2026年12月15日前修复卫生间防水层" in text and "2026年12月31日前以银行转账方式一次付清" in text
    assert "傅国强" in text and "老傅" not in text, "the mediator's full name under the signature line"
    assert documents.local_date(case, case.agreed_at).replace(" ", "") in text


def test_printing_the_agreement_is_audited_and_needs_the_right_to_see_personal_data(demo, users):
    case = closed_case(demo, users, parties=COMPLETE_PARTIES)
    documents.print_agreement(users["mediator"], case)  # the handler
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.print_agreement")).all()
    assert [(e.user_id, e.case_id) for e in logged] == [(users["mediator"].id, case.id)]
    for who in ("reception", "other"):
        with pytest.raises(Forbidden):
            documents.print_agreement(users[who], case)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(AuditEntry.id)).where(
        AuditEntry.action == "case.print_agreement")) == 1


def test_what_an_agreement_lacks_of_article_29(app, demo, users):
    from flask_babel import force_locale
    case = walk(new_case(demo, users), users, S.acting)
    cases.record_outcome(users["mediator"], case, TERMS)
    case.responsibilities, case.performance = "", " "
    with force_locale("en"):
        assert cases.agreement_missing(case) == [
            f"Respondent {RESPONDENT}: identity card number",
            f"Other party {OTHER}: identity card number and home address",
            "Each party's responsibility", "How and by when it is carried out"]
    with force_locale("zh_Hans_CN"):
        assert cases.agreement_missing(case)[1] == f"其他当事人 {OTHER}：身份证号码和住址"
    complete = closed_case(demo, users, parties=COMPLETE_PARTIES)
    assert cases.agreement_missing(complete) == []
    complete.parties[0].phone, complete.parties[0].name = "", ""
    with force_locale("en"):
        assert cases.agreement_missing(complete) == ["Applicant: full name and contact phone"]
    db.session.rollback()


def test_an_incomplete_agreement_prints_only_once_confirmed_and_the_log_says_so(demo, users):
    case = closed_case(demo, users)  # the respondent's and the other party's identity numbers are missing
    with pytest.raises(documents.AgreementIncomplete) as refused:
        documents.print_agreement(users["mediator"], case)
    assert len(refused.value.missing) == 2
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.print_agreement")).all()
    text = flat(pdf_text(documents.print_agreement(users["mediator"], case, confirmed=True)))
    assert "11010519491231002X" in text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.print_agreement"))
    assert "未填写" in entry.detail and "身份证号码" in entry.detail and RESPONDENT in entry.detail


def test_the_seal_line_names_the_halls_committee(demo, users):
    case = closed_case(demo, users, parties=COMPLETE_PARTIES)
    assert demo.committee_name == "枫桥街道人民调解委员会（演示）", "the demo names its committee"
    demo.committee_name = ""
    db.session.commit()
    assert documents.committee_name(demo) == f"{demo.name}人民调解委员会", "none set: named after the hall"
    text = flat(pdf_text(documents.agreement_pdf(case)))
    assert text.count(f"{demo.name}人民调解委员会") == 4 and text.count("（印章）") == 4, "on each copy"
    demo.committee_name = "和睦街道人民调解委员会"
    db.session.commit()
    text = flat(pdf_text(documents.agreement_pdf(case)))
    assert text.count("和睦街道人民调解委员会") == 4 and f"{demo.name}人民调解委员会" not in text


def test_only_a_successful_mediation_has_an_agreement(demo, users):
    case = walk(new_case(demo, users), users, S.acting)
    cases.record_outcome(users["mediator"], case, {"outcome": "failed", "other_channels": ["litigation"]})
    with pytest.raises(WrongState):
        documents.print_agreement(users["admin"], case)
    assert "调解不成" in pdf_text(documents.summary_pdf(case))


# ---- the command line and the archive ------------------------------------------------------

def _closed_on(case, day: date, hour: int, minute: int = 0):
    from zoneinfo import ZoneInfo
    case.closed_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
    db.session.commit()


def test_case_pdf_writes_the_summary_or_the_agreement(app, demo, users, tmp_path):
    case = closed_case(demo, users)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["case", "pdf", case.number.lower(), "-o", str(tmp_path / "s.pdf")])
    assert result.exit_code == 0, result.output
    assert APPLICANT in pdf_text((tmp_path / "s.pdf").read_bytes())
    result = runner.invoke(args=["case", "pdf", case.number, "--agreement", "-o", str(tmp_path / "a.pdf")])
    assert result.exit_code == 0, result.output
    assert "11010519491231002X" in pdf_text((tmp_path / "a.pdf").read_bytes())
    assert "以下内容尚未填写" in result.output and f"被申请人 {RESPONDENT}：身份证号码" in result.output, "said on stderr"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.print_agreement"))
    assert entry.user_id is None and "command line" in entry.detail
    result = runner.invoke(args=["case", "pdf", "DEMO-1999-0001", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0 and not (tmp_path / "x.pdf").exists()


def test_case_archive_exports_the_periods_closed_cases_in_the_halls_dates(app, demo, users, tmp_path):
    day = date(2026, 3, 10)
    success = closed_case(demo, users)
    _closed_on(success, day, 23, 30)  # late evening in Hangzhou, 15:30 UTC: inside
    failed = walk(new_case(demo, users, parties=PARTIES[:1]), users, S.acting)
    cases.record_outcome(users["mediator"], failed, {"outcome": "failed", "other_channels": ["arbitration"]})
    cases.withdraw(users["mediator"], failed)
    _closed_on(failed, day - timedelta(days=3), 0, 10)  # the first day, just after midnight: inside
    outside = closed_case(demo, users)
    _closed_on(outside, day + timedelta(days=1), 0, 30)  # after the last day: outside
    still_open = new_case(demo, users)
    success, failed, outside, still_open = (case.number for case in (success, failed, outside, still_open))

    target = tmp_path / "archive.zip"
    result = app.test_cli_runner().invoke(args=["case", "archive", "--from", "2026-03-07", "--to", "2026-03-10",
                                                "-o", str(target), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "2 case(s), 1 agreement(s)" in result.output
    with zipfile.ZipFile(target) as zipped:
        names = sorted(n.split("/", 1)[1] for n in zipped.namelist())
        folder = zipped.namelist()[0].split("/")[0]
        assert folder == "demo-2026-03-07-2026-03-10"
        assert names == sorted([f"{failed}-summary.pdf", f"{success}-summary.pdf", f"{success}-agreement.pdf",
                                "index.csv"])
        rows = list(csv.reader(io.StringIO(zipped.read(f"{folder}/index.csv").decode("utf-8-sig"))))
        agreement = zipped.read(f"{folder}/{success}-agreement.pdf")
    assert (rows[0][0], rows[0][4]) == ("编号", "办结日期")
    assert [(r[0], r[3], r[4]) for r in rows[1:]] == [(success, "调解成功", "2026-03-10"), (failed, "撤回", "2026-03-07")]
    assert pdf_pages(agreement) >= 4 and APPLICANT in pdf_text(agreement)
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
        ["case.print_agreement", "case.archive"])).order_by(AuditEntry.id))]
    assert actions == ["case.print_agreement", "case.archive"]
    assert still_open not in str(rows) and outside not in str(rows)


def test_case_archive_refuses_a_bad_period_and_writes_nothing(app, demo, tmp_path):
    runner = app.test_cli_runner()
    for first, last in (("2026-03-10", "2026-03-01"), ("2026-02-30", "2026-03-01"), ("yesterday", "2026-03-01")):
        result = runner.invoke(args=["case", "archive", "--from", first, "--to", last, "-o", str(tmp_path / "a.zip")])
        assert result.exit_code != 0
        assert not (tmp_path / "a.zip").exists()


def test_an_empty_period_gives_an_index_alone(app, demo, tmp_path):
    out = io.BytesIO()
    result = archive.write_archive(demo, date(2020, 1, 1), date(2020, 1, 31), out)
    assert (result.cases, result.agreements) == (0, 0)
    with zipfile.ZipFile(out) as zipped:
        assert [n.split("/")[-1] for n in zipped.namelist()] == ["index.csv"]


def test_the_compacted_qr_code_has_the_same_modules(app):
    from hall.links import qr_svg

    def modules(svg: str) -> set:
        path = re.search(r' d="([^"]*)"', svg).group(1)
        found = set()
        for x, y, right, bottom in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", path):
            found |= {(c, r) for c in range(int(x), int(right)) for r in range(int(y), int(bottom))}
        for x, y, width in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\d+z", path):
            found |= {(c, int(y)) for c in range(int(x), int(x) + int(width))}
        return found

    with app.test_request_context():
        for url in ("http://192.168.1.20:5000/r/abcdefghijklmnopqrstuv", "https://hall.example.cn/r/" + "Z" * 22):
            plain = qr_svg(url, "<label>")
            compact = documents.compact_qr(plain)
            assert modules(compact) == modules(plain) and len(modules(plain)) > 300
            assert len(compact) < len(plain) * 0.6
            assert compact.split("<path")[0] == plain.split("<path")[0], "the same svg element, label escaped"


def test_without_the_faces_a_document_still_prints_through_fontconfig(demo, users, monkeypatch):
    case = closed_case(demo, users)
    monkeypatch.setattr(documents, "_sources", {face: None for face in (documents.SERIF, documents.SANS_BOLD,
                                                                         *documents.RARE)})
    assert documents.document_fonts("调解").css == ""
    pdf = documents.summary_pdf(case)
    assert APPLICANT in pdf_text(pdf)
    fonts = pdf_fonts(pdf)
    assert "Noto-Serif-CJK-SC" in fonts and "Print" not in fonts, "the installed faces, by the templates' stacks"


def test_a_character_no_face_has_does_not_stop_a_document(demo, users):
    case = new_case(demo, users, facts="邻居说 🙂 没事，还有 U+3134A 𱍊 这样的字。")
    text = pdf_text(documents.summary_pdf(case))
    assert "邻居说" in text and "这样的字" in text


def test_copies_are_counted_in_chinese_numerals():
    from hall.documents import chinese_count
    assert [chinese_count(n) for n in (1, 2, 3, 4, 10, 12, 20, 23)] == ["一", "两", "三", "四", "十", "十二", "二十", "二十三"]
