"""Printed documents and the archive in the staff area.

    GET  /admin/cases/<id>/summary.pdf        the case summary (parties masked), for staff who may
                                              see the case
    GET  /admin/cases/<id>/agreement.pdf      what printing the agreement means (full personal
                                              data, logged), what it still lacks of what the law
                                              requires (art. 29), and the button that prints it
    POST /admin/cases/<id>/agreement.pdf      the mediation agreement, one copy per party plus one
                                              kept; the case's handler or an administrator, for a
                                              successful mediation; written to the audit log. An
                                              incomplete one prints only with confirm=1 (else the
                                              page again, listing what is missing)
    GET  /admin/archive                       立卷归档: a period of closed cases → one zip (admin)
    POST /admin/archive                       start an export job (htmx: its progress in place)
    GET  /admin/archive/status?job=…          the job's progress, polling itself while it runs
                                              (ETag, 304 while it stands still)
    GET  /admin/archive/download?job=…        the finished zip

The agreement is printed by a POST: printing it writes to the audit log, and a GET only reads
(hall/engine.py runs GET requests in read-only transactions). The job is a query argument, not a
part of the path, so the staff-route table of tests/web/test_admin_roles.py walks these routes
with the ids it has.
"""
from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from hall import archive, cases, clock, documents
from hall.auth import roles_required
from hall.errors import FieldsInvalid
from hall.models import Role
from hall.web import etag_for, personal_data, polled, wants_fragment

from . import bp
from .auth import STAFF


def _pdf(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/cases/<id:case_id>/summary.pdf")
@roles_required(*STAFF)
@personal_data
def case_summary_pdf(case_id: int):
    case = cases.case_for(current_user, case_id)
    return _pdf(documents.summary_pdf(case, base_url=request.host_url), documents.summary_filename(case))


def _agreement_page(case, missing: list[str]):
    return render_template("admin/archive/agreement.html", case=case, copies=documents.agreement_copies(case),
                           missing=missing)


@bp.route("/cases/<id:case_id>/agreement.pdf", methods=["GET", "POST"])
@roles_required(*STAFF)
@personal_data
def case_agreement_pdf(case_id: int):
    case = cases.case_for(current_user, case_id)
    documents.check_agreement(current_user, case)  # 403 / 409
    if request.method == "GET":
        return _agreement_page(case, cases.agreement_missing(case))
    try:
        pdf = documents.print_agreement(current_user, case, confirmed=request.form.get("confirm") == "1")
    except documents.AgreementIncomplete as error:  # what is missing, and "print anyway"
        return _agreement_page(case, error.missing)
    return _pdf(pdf, documents.agreement_filename(case))


# ---- the archive ---------------------------------------------------------------------------

def _default_period() -> tuple[str, str]:
    """This month so far, in the hall's dates."""
    today = clock.local_day(current_user.hall)
    return today.replace(day=1).isoformat(), today.isoformat()


def _page(job=None, values=None, errors=None, status: int = 200):
    first, last = _default_period()
    values = values or {"first": first, "last": last}
    context = {"job": job, "values": values, "errors": errors or {}, "etag": etag_for(job.version) if job else ""}
    if wants_fragment():
        template = "admin/archive/_progress.html" if job is not None else "admin/archive/_form.html"
    else:
        template = "admin/archive/page.html"
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/archive")
@roles_required(Role.admin)
def archive_page():
    return _page()


@bp.post("/archive")
@roles_required(Role.admin)
def archive_start():
    values = {"first": request.form.get("first", ""), "last": request.form.get("last", "")}
    try:
        first, last = archive.parse_period(values["first"], values["last"])
    except FieldsInvalid as error:
        if wants_fragment():
            response = make_response(render_template("admin/archive/_form.html", values=values, errors=error.errors), 422)
            response.headers["HX-Retarget"] = "#archive-form"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
        return _page(values=values, errors=error.errors, status=422)
    job = archive.start_job(current_app._get_current_object(), current_user.hall, current_user, first, last,
                            base_url=request.host_url)
    status_url = url_for("admin.archive_status", job=job.id)
    if wants_fragment():
        response = _page(job=job)
        response.headers["HX-Push-Url"] = status_url
        return response
    return redirect(status_url, 303)


@bp.get("/archive/status")
@roles_required(Role.admin)
def archive_status():
    job = archive.load_job(request.args.get("job", ""), current_user.hall)
    first, last = job.first, job.last
    return polled("admin/archive/page.html", "admin/archive/_progress.html", etag_for(job.version),
                  lambda: {"job": job, "values": {"first": first, "last": last}, "errors": {}})


@bp.get("/archive/download")
@roles_required(Role.admin)
@personal_data
def archive_download():
    job = archive.load_job(request.args.get("job", ""), current_user.hall)
    response = send_file(archive.job_file(job), mimetype="application/zip", as_attachment=True,
                         download_name=job.download_name(), max_age=0)
    return response
