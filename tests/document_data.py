"""Test data for the printed documents and the archive: cases with parties whose names hold rare
characters (生僻字, CJK Extension A and B), walked along the six steps, and the helpers the PDF
tests read PDFs with (poppler's pdftotext, pdfinfo, pdffonts)."""
from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from hall import cases
from hall.extensions import db
from hall.models import CaseSource, CaseStep as S, User
from hall.setup import create_user

ROOT = Path(__file__).resolve().parent.parent
# 𠈌 U+2020C (Ext-B, in the SC face), 䶮 U+4DAE (Ext-A), 𡒄 U+21484 and 𪚥 U+2A6A5 (Ext-B, not in
# Noto CJK: drawn from Hanazono), and common name characters 堃 喆 赟 頔.
RARE = "𠈌䶮堃喆赟頔𡒄𪚥"
APPLICANT = "张𠈌䶮"
RESPONDENT = "李堃喆"
OTHER = "王赟頔𡒄𪚥"
PARTIES = [
    {"role": "applicant", "name": APPLICANT, "phone": "13812345678", "id_number": "11010519491231002X",
     "address": "拱墅区和睦街道 3 幢 201 室"},
    {"role": "respondent", "name": RESPONDENT, "phone": "0571-88886666", "address": "拱墅区和睦街道 3 幢 301 室"},
    {"role": "other", "name": OTHER, "phone": "13900001111"},
]
# The same parties with every detail art. 29 asks for: their agreement prints without a question.
COMPLETE_PARTIES = [
    {**PARTIES[0]},
    {**PARTIES[1], "id_number": "330105198001011239"},
    {**PARTIES[2], "id_number": "330105199002029996", "address": "拱墅区和睦街道 5 幢 102 室"},
]
TERMS = {
    "outcome": "success",
    "disputed_matters": "301 室卫生间漏水，致 201 室天花板受损，双方就维修与赔偿发生争议。",
    "responsibilities": "301 室业主负责修复防水层并承担 201 室的修复费用。",
    "agreement_terms": "一、李堃喆于 2026 年 12 月 15 日前修复卫生间防水层；\n二、李堃喆赔偿张𠈌䶮维修费 2000 元。",
    "performance": "2026 年 12 月 31 日前以银行转账方式一次付清。",
}


def staff(hall) -> dict[str, User]:
    """The demo hall's logins by name, and a second mediator who handles nothing ("other")."""
    users = {u.username: u for u in db.session.scalars(select(User).where(User.hall_id == hall.id))}
    if "mediator2" not in users:
        users["mediator2"] = create_user(hall, "mediator2", "hall-demo-2", "mediator", "老潘")
    users["other"] = users["mediator2"]
    return users


def new_case(hall, users, *, parties=PARTIES, facts="楼上卫生间漏水，楼下天花板发霉脱落。", **kwargs):
    values = {"source": CaseSource.staff, "category": "neighbour", "facts": facts, "parties": parties,
              "user": users["reception"], "title": "楼上漏水", **kwargs}
    return cases.open_case(hall, **values)


def walk(case, users, to=S.rated, *, outcome=None):
    """Walk an open case along the loop up to the step `to`, doing what each step needs (as
    tests/unit/test_cases.py does); the mediator handles it."""
    mediator = users["mediator"]
    if case.step == S.intake and case.handler_id is None:
        cases.assign(users["admin"], case, mediator)
    while case.step != to:
        if case.step == S.deliberating:
            cases.record_session(mediator, case, "双方到场，各自陈述；约定由物业上门查看漏点。")
        if case.step == S.acting:
            cases.record_outcome(mediator, case, outcome or TERMS)
        if case.step == S.following_up:
            cases.add_follow_up(mediator, case, {"method": "call", "honoured": "yes", "note": "已按期付款，双方满意。"})
        cases.move(mediator, case, cases.next_step(case.step))
    return case


def closed_case(hall, users, *, outcome=None, **kwargs):
    """A case walked to its end and rated by the resident."""
    case = walk(new_case(hall, users, **kwargs), users, S.rated, outcome=outcome)
    cases.rate(case, "satisfied", "调解员很耐心。")
    return case


# ---- reading PDFs ---------------------------------------------------------------------------

def need_poppler():
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed (make test installs it)")


def _run(tool: str, pdf: bytes, *args: str) -> str:
    need_poppler()
    return subprocess.run([tool, *args, "-", "-"] if tool == "pdftotext" else [tool, *args, "-"],
                          input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def pdf_text(pdf: bytes) -> str:
    return _run("pdftotext", pdf, "-enc", "UTF-8")


def pdf_pages(pdf: bytes) -> int:
    info = _run("pdfinfo", pdf)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_fonts(pdf: bytes) -> str:
    return _run("pdffonts", pdf)


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return pdf_text(pdf).split("\f")[:pdf_pages(pdf)]


@contextmanager
def pending_chinese():
    """Until the lead merges translations/pending/documents.tsv into the catalogues, the Chinese
    of this issue's new messages is only in that file: lend it to the loaded Chinese catalogue for
    the duration of a test (messages the catalogue already translates are left alone), and take
    it back afterwards."""
    from flask_babel import force_locale, get_translations
    path = ROOT / "translations" / "pending" / "documents.tsv"
    added: list[str] = []
    with force_locale("zh_Hans_CN"):
        catalogue = get_translations()
        own = getattr(catalogue, "_catalog", None)
        if own is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if "\t" in line and not line.startswith("#"):
                    msgid, msgstr = line.split("\t", 1)
                    msgid, msgstr = msgid.replace("\\n", "\n"), msgstr.replace("\\n", "\n")
                    if not own.get(msgid):
                        own[msgid] = msgstr
                        added.append(msgid)
    try:
        yield
    finally:
        for msgid in added:
            own.pop(msgid, None)

