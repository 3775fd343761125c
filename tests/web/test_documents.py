"""Printed documents and the archive through the test client: who may print a case's summary
(whoever may see the case) and its agreement (its handler or an administrator, written to the
audit log, by a POST), the archive export job from the form to the zip (progress polled with an
ETag, answered 304 while it stands still), bad periods (422, nothing started), and roles. Pages'
words of this issue are checked by their ids; the PDFs' Chinese is read back with pdftotext."""
from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
from sqlalchemy import select

from conftest import login
from document_data import APPLICANT, COMPLETE_PARTIES, OTHER, RESPONDENT, closed_case, new_case, pdf_pages, pdf_text, pending_chinese, staff, walk
from hall import archive, cases
from hall.extensions import db
from hall.models import AuditEntry, CaseStep as S

HX = {"HX-Request": "true"}


@pytest.fixture
def users(demo):
    return staff(demo)


@pytest.fixture(autouse=True)
def chinese(app, tmp_path):
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    with pending_chinese():
        yield


def as_(client, username: str, password: str = "hall-demo"):
    client.post("/admin/logout")
    assert login(client, username, password).status_code == 303
    return client


def audits(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# ---- the summary ---------------------------------------------------------------------------

def test_the_summary_is_a_pdf_for_whoever_may_see_the_case(client, demo, users):
    case = closed_case(demo, users)  # opened by reception, handled by the demo mediator
    url = f"/admin/cases/{case.id}/summary.pdf"
    for who in ("admin", "mediator", "reception"):
        response = as_(client, who).get(url)
        assert response.status_code == 200, who
        assert response.mimetype == "application/pdf" and response.headers["Cache-Control"] == "no-store"
        assert f'filename="{case.number}-summary.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert APPLICANT in text and "138****5678" in text and "13812345678" not in text
    assert as_(client, "mediator2", "hall-demo-2").get(url).status_code == 403, "a colleague's case"
    assert not audits("case.print_agreement")


def test_reception_prints_only_the_cases_it_may_see(client, demo, users):
    theirs = new_case(demo, users, user=users["admin"])
    cases.assign(users["admin"], theirs, users["mediator"])
    as_(client, "reception")
    assert client.get(f"/admin/cases/{theirs.id}/summary.pdf").status_code == 403
    assert client.get("/admin/cases/999999/summary.pdf").status_code == 404


# ---- the agreement -------------------------------------------------------------------------

def test_a_complete_agreement_is_printed_at_once_by_a_post_and_logged(client, demo, users):
    case = closed_case(demo, users, parties=COMPLETE_PARTIES)
    users["mediator"].full_name = "傅国强"  # the login's display name is 老傅
    demo.committee_name = "和睦街道人民调解委员会"
    db.session.commit()
    url = f"/admin/cases/{case.id}/agreement.pdf"
    as_(client, "admin")
    page = client.get(url)
    assert page.status_code == 200 and 'id="print-agreement-now"' in page.get_data(as_text=True)
    assert 'id="agreement-missing"' not in page.get_data(as_text=True)
    assert "agreement-missing" not in client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert not audits("case.print_agreement"), "looking at the button prints nothing"
    response = client.post(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_pages(response.data) >= 4
    text = pdf_text(response.data)
    assert "11010519491231002X" in text and "和睦街道人民调解委员会" in text and "（印章）" in text
    assert "傅国强" in text and "老傅" not in text, "the mediator's full name"
    logged = audits("case.print_agreement")
    assert [(e.user_id, e.case_id) for e in logged] == [(users["admin"].id, case.id)]
    assert logged[0].address == "127.0.0.1"
    assert as_(client, "mediator").post(url).status_code == 200, "the case's handler"
    assert len(audits("case.print_agreement")) == 2


def test_an_incomplete_agreement_lists_what_is_missing_and_prints_once_confirmed(client, demo, users):
    case = closed_case(demo, users)  # two parties without an identity number, one without an address
    url = f"/admin/cases/{case.id}/agreement.pdf"
    as_(client, "mediator")
    on_case_page = client.get(f"/admin/cases/{case.id}").get_data(as_text=True)
    assert 'id="case-agreement-missing"' in on_case_page and "身份证号码和住址" in on_case_page
    for answer in (client.get(url), client.post(url)):  # the page, and a print without confirmation
        assert answer.status_code == 200 and answer.mimetype == "text/html"
        page = answer.get_data(as_text=True)
        missing = page.split('id="agreement-missing"')[1].split("</div>")[0]
        assert "以下内容尚未填写" in missing
        assert f"被申请人 {RESPONDENT}：身份证号码" in missing and f"其他当事人 {OTHER}：身份证号码和住址" in missing
        assert APPLICANT not in missing, "the applicant's details are complete"
        assert 'id="print-agreement-anyway"' in page and "仍要打印" in page and 'name="confirm" value="1"' in page
        assert f'href="/admin/cases/{case.id}" id="back-to-case"' in page and "返回补充" in page
        assert 'id="print-agreement-now"' not in page
    assert not audits("case.print_agreement"), "nothing printed without confirmation"
    response = client.post(url, data={"confirm": "1"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert APPLICANT in pdf_text(response.data)
    logged = audits("case.print_agreement")
    assert len(logged) == 1 and "打印时尚未填写" in logged[0].detail


@pytest.mark.parametrize("who, password", [("reception", "hall-demo"), ("mediator2", "hall-demo-2")])
def test_the_agreement_is_refused_to_who_may_not_see_personal_data(client, demo, users, who, password):
    case = closed_case(demo, users)
    url = f"/admin/cases/{case.id}/agreement.pdf"
    as_(client, who, password)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not audits("case.print_agreement")


def test_no_agreement_without_a_successful_mediation(client, demo, users):
    case = walk(new_case(demo, users), users, S.acting)
    cases.record_outcome(users["mediator"], case, {"outcome": "referred", "outcome_note": "转区住建局"})
    as_(client, "admin")
    assert client.get(f"/admin/cases/{case.id}/agreement.pdf").status_code == 409
    assert client.post(f"/admin/cases/{case.id}/agreement.pdf").status_code == 409
    assert not audits("case.print_agreement")


# ---- the archive ---------------------------------------------------------------------------

def wait_for(job_id: str, hall, seconds: float = 120) -> archive.Job:
    """The job's end. The test's own transaction ends at each look: outside a request, an SQLite
    transaction holds the write lock the export's thread needs (hall/engine.py)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = archive.load_job(job_id, hall)
        db.session.commit()
        if not job.running:
            return job
        time.sleep(0.2)
    raise AssertionError("the export did not finish")


def test_an_export_runs_to_the_end_and_the_zip_holds_the_pdfs_and_the_index(client, demo, users):
    from hall import clock
    first = closed_case(demo, users)
    second = closed_case(demo, users, parties=[{"role": "applicant", "name": "周喆", "phone": "13700001111"}])
    today = clock.local_day(demo).isoformat()
    as_(client, "admin")
    page = client.get("/admin/archive")
    assert page.status_code == 200 and 'id="archive-form"' in page.get_data(as_text=True)

    started = client.post("/admin/archive", data={"first": today, "last": today})
    assert started.status_code == 303
    job_id = started.headers["Location"].split("job=")[1]
    job = wait_for(job_id, demo)
    assert (job.state, job.done, job.total, job.agreements) == ("done", 2, 2, 2)

    status = client.get(f"/admin/archive/status?job={job_id}")
    html = status.get_data(as_text=True)
    assert status.status_code == 200 and 'value="100"' in html and 'id="archive-download"' in html
    download = client.get(f"/admin/archive/download?job={job_id}")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert f"archive-{today}-{today}.zip" in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as zipped:
        names = {n.split("/", 1)[1]: n for n in zipped.namelist()}
        assert set(names) == {"index.csv", f"{first.number}-summary.pdf", f"{first.number}-agreement.pdf",
                              f"{second.number}-summary.pdf", f"{second.number}-agreement.pdf"}
        rows = list(csv.reader(io.StringIO(zipped.read(names["index.csv"]).decode("utf-8-sig"))))
        summary = zipped.read(names[f"{second.number}-summary.pdf"])
    assert [r[0] for r in rows[1:]] == [first.number, second.number]
    assert all(r[3] == "调解成功" and r[4] == today for r in rows[1:])
    assert "周喆" in pdf_text(summary)
    assert len(audits("case.print_agreement")) == 2 and all(e.user_id == users["admin"].id
                                                            for e in audits("case.print_agreement"))
    assert len(audits("case.archive")) == 1


def test_the_progress_polls_itself_and_answers_304_while_it_stands_still(client, demo, users):
    from hall import clock
    today = clock.local_day(demo).isoformat()
    as_(client, "admin")
    started = client.post("/admin/archive", data={"first": today, "last": today}, headers=HX)
    html = started.get_data(as_text=True)
    assert started.status_code == 200 and "<html" not in html and "<progress" in html
    assert "/admin/archive/status?job=" in started.headers["HX-Push-Url"]
    job_id = started.headers["HX-Push-Url"].split("job=")[1]
    job = wait_for(job_id, demo)
    assert job.state == "done" and job.total == 0

    first = client.get(f"/admin/archive/status?job={job_id}", headers=HX)
    assert first.status_code == 200 and "hx-trigger" not in first.get_data(as_text=True), "done: polling stops"
    again = client.get(f"/admin/archive/status?job={job_id}", headers={**HX, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("first, last", [("2026-03-10", "2026-03-01"), ("", "2026-03-01"), ("2026-13-01", "2026-12-31")])
def test_a_bad_period_is_refused_and_nothing_starts(client, demo, first, last, tmp_path):
    as_(client, "admin")
    response = client.post("/admin/archive?lang=en", data={"first": first, "last": last})
    assert response.status_code == 422 and 'class="field-error"' in response.get_data(as_text=True)
    response = client.post("/admin/archive", data={"first": first, "last": last}, headers=HX)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#archive-form"
    assert not list((tmp_path / "archive").glob("*.json"))


def test_another_halls_or_an_unknown_job_is_not_found(client, demo, users):
    from hall.setup import create_hall, create_user
    other = create_hall("other", "另一个大厅")
    create_user(other, "boss", "hall-demo-9", "admin", "别处的管理员")
    as_(client, "admin")
    from hall import clock
    today = clock.local_day(demo).isoformat()
    job_id = client.post("/admin/archive", data={"first": today, "last": today}).headers["Location"].split("job=")[1]
    wait_for(job_id, demo)
    as_(client, "boss", "hall-demo-9")
    assert client.get(f"/admin/archive/status?job={job_id}").status_code == 404
    assert client.get(f"/admin/archive/download?job={job_id}").status_code == 404
    for bad in ("../../secret_key", "0" * 31, ""):
        assert client.get(f"/admin/archive/download?job={bad}").status_code == 404


def test_only_administrators_export(client, demo, users):
    for who, password in (("reception", "hall-demo"), ("mediator", "hall-demo")):
        as_(client, who, password)
        assert client.get("/admin/archive").status_code == 403
        assert client.post("/admin/archive", data={"first": "2026-01-01", "last": "2026-01-31"}).status_code == 403
