"""The archive export in a real Chromium against gunicorn (CSRF on, as in production): an
administrator opens /admin/archive, chooses the dates, starts the export, watches the progress bar
fill (htmx polling the job's state, kept in a file any worker reads) and downloads the zip, which
holds each case's summary, the agreement where the mediation succeeded, and the index. A summary
and an agreement are rendered to PNG for a look. Screenshots go to screenshots/."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile

import pytest
from playwright.sync_api import expect

from browser.screens import DESK, SHOTS, log_in
from document_data import APPLICANT, COMPLETE_PARTIES, closed_case, new_case, pdf_text, staff
from hall import clock
from hall.extensions import db

pytestmark = pytest.mark.browser


def test_an_administrator_exports_a_period_and_downloads_the_zip(browser, live_server, demo, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    users = staff(demo)
    done = [closed_case(demo, users, parties=COMPLETE_PARTIES)] + [closed_case(demo, users) for _ in range(2)]
    numbers = [case.number for case in done]
    ids = [case.id for case in done]
    new_case(demo, users)  # open: not archived
    today = clock.local_day(demo).isoformat()
    db.session.commit()

    context = browser.new_context(viewport=DESK, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "admin")
        page.goto(f"{live_server.url}/admin/archive")
        form = page.locator("#archive-form")
        expect(form).to_be_visible()
        page.fill("#archive-first", today)
        page.fill("#archive-last", today)
        page.evaluate("window.__stayed = true")  # htmx swaps the progress in: no reload
        page.locator("#archive-start").click()

        progress = page.locator("#archive-progress")
        expect(progress).to_be_visible()
        expect(page.locator("#archive-bar")).to_be_visible()
        expect(progress).to_have_attribute("data-state", "done", timeout=90_000)
        expect(page.locator("#archive-bar")).to_have_attribute("value", "100")
        assert page.evaluate("window.__stayed === true")
        assert "/admin/archive/status?job=" in page.url, "the address keeps the job: a reload shows it"
        page.screenshot(path=str(SHOTS / "admin-archive-done.png"), full_page=True)

        with page.expect_download() as caught:
            page.locator("#archive-download").click()
        target = tmp_path / "archive.zip"
        caught.value.save_as(target)
        assert caught.value.suggested_filename == f"archive-{today}-{today}.zip"

        page.reload()  # the finished job, as any worker reads it
        expect(page.locator("#archive-progress")).to_have_attribute("data-state", "done")

        # A case's agreement: what printing it means, and the button (a POST: it is logged).
        page.goto(f"{live_server.url}/admin/cases/{ids[0]}/agreement.pdf")
        expect(page.locator("#print-agreement-now")).to_be_visible()
        expect(page.locator(".copies li")).to_have_count(4)
        expect(page.locator("#agreement-missing")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "admin-agreement-print.png"), full_page=True)
        # One lacking identity numbers and an address: the list first, 返回补充 or 仍要打印.
        page.goto(f"{live_server.url}/admin/cases/{ids[1]}/agreement.pdf")
        expect(page.locator("#agreement-missing li")).to_have_count(2)
        expect(page.locator("#print-agreement-anyway")).to_be_visible()
        expect(page.locator("#print-agreement-now")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "admin-agreement-missing.png"), full_page=True)
        page.locator("#back-to-case").click()
        expect(page.locator("#case-agreement-missing li")).to_have_count(2)
    finally:
        context.close()

    with zipfile.ZipFile(target) as zipped:
        names = {name.split("/", 1)[1]: name for name in zipped.namelist()}
        expected = {"index.csv"} | {f"{n}-summary.pdf" for n in numbers} | {f"{n}-agreement.pdf" for n in numbers}
        assert set(names) == expected
        rows = list(csv.reader(io.StringIO(zipped.read(names["index.csv"]).decode("utf-8-sig"))))
        summary = zipped.read(names[f"{numbers[0]}-summary.pdf"])
        agreement = zipped.read(names[f"{numbers[0]}-agreement.pdf"])
    assert [row[0] for row in rows[1:]] == numbers
    assert APPLICANT in pdf_text(summary) and APPLICANT in pdf_text(agreement)
    if shutil.which("pdftoppm"):  # for a look: the first page of each
        for name, pdf in (("pdf-case-summary", summary), ("pdf-agreement", agreement)):
            path = tmp_path / f"{name}.pdf"
            path.write_bytes(pdf)
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                            str(SHOTS / name)], check=True)
