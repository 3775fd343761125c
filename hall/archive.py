"""立卷归档: every case a hall closed in a period, as PDFs in one zip — the summary of each case,
its mediation agreement where the mediation succeeded, and an index (目录.csv: number, category,
type, outcome, closed date, handler, files). The period is in the hall's local dates of closed_at,
both ends included.

    write_archive(hall, first, last, out, user=…, progress=…)   the zip, used by both of:
    flask --app wsgi case archive --from … --to … -o file.zip    (hall/case_cli.py)
    /admin/archive                                               (admin/documents.py): a job

A job of the staff area runs in a thread of the worker that started it and writes the zip under
instance/archive/ (ARCHIVE_DIR). Its state sits beside it in <job>.json, replaced atomically at
every step, so any gunicorn worker can answer "how far is it" and serve the file; a job whose
state has not moved for STALE_SECONDS (its worker was restarted) reads as failed.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import secrets
import threading
import time as timer
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO, Callable

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import cases, clock, documents, inputs
from .categories import category_label
from .config import INSTANCE_DIR
from .errors import FieldsInvalid, NotFound
from .extensions import db
from .models import Case, Hall, User

log = logging.getLogger(__name__)

MAX_DAYS = 366 * 3  # a period longer than this is refused: export it in parts
STALE_SECONDS = 300
KEEP_SECONDS = 24 * 3600  # finished jobs and their files are removed a day later
JOB_ID = re.compile(r"[0-9a-f]{32}")

BATCH = 20  # cases read at a time
INDEX_NAME = "index.csv"  # 目录; an ASCII name, as every zip tool reads it
Progress = Callable[[int, int, str], None]


# ---- the period ----------------------------------------------------------------------------

def parse_period(first_raw, last_raw) -> tuple[date, date]:
    """Two dates as typed (YYYY-MM-DD), the first not after the last, at most MAX_DAYS apart."""
    errors: dict = {}
    days = {}
    for name, raw in (("first", first_raw), ("last", last_raw)):
        days[name] = inputs.parse_day(raw)
        if days[name] is None:
            errors[name] = _l("Please give a date as YYYY-MM-DD.")
    if not errors:
        if days["first"] > days["last"]:
            errors["last"] = _l("The last day must not be before the first.")
        elif (days["last"] - days["first"]).days >= MAX_DAYS:
            errors["last"] = _l("At most %(n)s days at a time, please.", n=MAX_DAYS)
    if errors:
        raise FieldsInvalid(errors)
    return days["first"], days["last"]


def period_bounds(hall: Hall, first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants of the hall's midnight before `first` and after `last`."""
    zone = clock.zone(hall)
    return (datetime.combine(first, time(0), tzinfo=zone), datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone))


def cases_of(hall: Hall, first: date, last: date) -> list[Case]:
    return cases.closed_between(hall, *period_bounds(hall, first, last))


# ---- the zip -------------------------------------------------------------------------------

@dataclass
class ArchiveResult:
    cases: int
    agreements: int
    folder: str


def folder_name(hall: Hall, first: date, last: date) -> str:
    return f"{hall.slug}-{first.isoformat()}-{last.isoformat()}"


def write_archive(hall: Hall, first: date, last: date, out: BinaryIO, *, user: User | None = None,
                  base_url: str | None = None, progress: Progress | None = None) -> ArchiveResult:
    """Write the period's closed cases into `out` as a zip. The cases are read a batch at a time
    and no transaction stays open while their PDFs are made (documents.load_for_print). Each
    agreement printed is logged (case.print_agreement; user None: the command line), and the
    export itself (case.archive), in one short transaction once the zip is whole."""
    hall_id, folder = hall.id, folder_name(hall, first, last)  # read before the session closes
    ids = [case.id for case in cases_of(hall, first, last)]
    total, printed = len(ids), []
    for attribute in ("id", "role", "hall_id") if user is not None else ():
        getattr(user, attribute)  # loaded now: the user stays readable once the session closes
    if progress:
        progress(0, total, "")
    with force_locale(documents.PDF_LOCALE):
        index = io.StringIO()
        writer = csv.writer(index)
        writer.writerow([_("Case number"), _("Category"), _("Case type"), _("Outcome"), _("Closed on"), _("Handler"),
                         _("Files")])
        done = 0
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for start in range(0, total, BATCH):
                for case in documents.load_for_print(ids[start:start + BATCH]):
                    files = [documents.summary_filename(case)]
                    archive.writestr(f"{folder}/{files[0]}", documents.summary_pdf(case, base_url=base_url),
                                     compress_type=zipfile.ZIP_STORED)
                    if cases.has_agreement(case):
                        documents.check_agreement(user, case)
                        files.append(documents.agreement_filename(case))
                        archive.writestr(f"{folder}/{files[1]}", documents.agreement_pdf(case),
                                         compress_type=zipfile.ZIP_STORED)
                        printed.append(case)
                    writer.writerow([case.number, category_label(case.category), str(cases.KIND_LABELS[case.kind]),
                                     str(cases.OUTCOME_LABELS[case.outcome]) if case.outcome else "",
                                     clock.local(case.hall, case.closed_at).date().isoformat(),
                                     documents.person(case.handler) if case.handler else "", " ".join(files)])
                    done += 1
                    if progress:
                        progress(done, total, case.number)
            # UTF-8 with a byte order mark: spreadsheet programs then read the Chinese right.
            archive.writestr(f"{folder}/{INDEX_NAME}", "\ufeff" + index.getvalue())
    for case in printed:
        cases.audit(hall_id, user, "case.print_agreement", case, f"{case.number} archive")
    cases.audit(hall_id, user, "case.archive", None,
                f"{first.isoformat()}..{last.isoformat()}: {total} cases, {len(printed)} agreements")
    db.session.commit()
    return ArchiveResult(total, len(printed), folder)


# ---- jobs of the staff area ----------------------------------------------------------------

@dataclass
class Job:
    id: str
    hall_id: int
    user_id: int
    first: str
    last: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    current: str = ""
    error: str = ""
    agreements: int = 0
    started: float = field(default_factory=timer.time)
    updated: float = field(default_factory=timer.time)
    finished: float | None = None
    size: int = 0

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    @property
    def running(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def version(self) -> str:
        """What a poll's ETag is made of: it changes whenever the page would."""
        return f"{self.state}-{self.done}-{self.total}"

    def download_name(self) -> str:
        return f"archive-{self.first}-{self.last}.zip"


def archive_dir() -> Path:
    configured = current_app.config.get("ARCHIVE_DIR")
    return Path(configured) if configured else INSTANCE_DIR / "archive"


def _paths(job_id: str) -> tuple[Path, Path]:
    if not JOB_ID.fullmatch(job_id or ""):
        raise NotFound(_l("There is no such export."))
    folder = archive_dir()
    return folder / f"{job_id}.json", folder / f"{job_id}.zip"


def _save(job: Job) -> None:
    """Replace the job's state file in one step: a reader sees the old state or the new."""
    status, _zip = _paths(job.id)
    status.parent.mkdir(parents=True, exist_ok=True)
    job.updated = timer.time()
    temporary = status.with_suffix(f".json.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(asdict(job)), encoding="utf-8")
    os.replace(temporary, status)


def load_job(job_id: str, hall: Hall) -> Job:
    """A job of this hall (NotFound for another hall's or an unknown one); a job whose worker
    went away reads as failed."""
    status, _zip = _paths(job_id)
    try:
        job = Job(**json.loads(status.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise NotFound(_l("There is no such export.")) from None
    if job.hall_id != hall.id:
        raise NotFound(_l("There is no such export."))
    if job.running and timer.time() - job.updated > STALE_SECONDS:
        job.state, job.error = "failed", str(_l("The export was interrupted. Please start it again."))
    return job


def job_file(job: Job) -> Path:
    _status, path = _paths(job.id)
    if not job.finished_ok or not path.exists():
        raise NotFound(_l("This export has no file (yet)."))
    return path


def _clean_old() -> None:
    folder = archive_dir()
    if not folder.is_dir():
        return
    limit = timer.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def start_job(app: Flask, hall: Hall, user: User, first: date, last: date, base_url: str | None = None) -> Job:
    """Start exporting in a thread of this process; the job's state file is there at once."""
    _clean_old()
    job = Job(id=secrets.token_hex(16), hall_id=hall.id, user_id=user.id, first=first.isoformat(),
              last=last.isoformat(), total=len(cases_of(hall, first, last)))
    _save(job)
    thread = threading.Thread(target=_run, args=(app, job, base_url), name=f"archive-{job.id[:8]}", daemon=True)
    thread.start()
    return job


def _run(app: Flask, job: Job, base_url: str | None) -> None:
    with app.app_context():
        _status, target = _paths(job.id)
        partial = target.with_suffix(".zip.part")
        try:
            hall = db.session.get(Hall, job.hall_id)
            user = db.session.get(User, job.user_id)
            job.state = "running"
            _save(job)

            def progress(done: int, total: int, number: str) -> None:
                job.done, job.total, job.current = done, total, number
                _save(job)

            with partial.open("wb") as out:
                result = write_archive(hall, date.fromisoformat(job.first), date.fromisoformat(job.last), out,
                                       user=user, base_url=base_url, progress=progress)
            os.replace(partial, target)
            job.state, job.agreements, job.size = "done", result.agreements, target.stat().st_size
            job.finished = timer.time()
            _save(job)
        except Exception as error:  # noqa: BLE001 - the job says it failed; the log has why
            log.exception("archive export %s failed", job.id)
            db.session.rollback()
            partial.unlink(missing_ok=True)
            job.state, job.error = "failed", str(_l("The export failed: %(error)s", error=error.__class__.__name__))
            job.finished = timer.time()
            _save(job)
        finally:
            db.session.remove()
