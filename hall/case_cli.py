"""Printed documents from the command line:

    flask --app wsgi case pdf NUMBER -o FILE [--agreement] [--reveal] [--hall SLUG] [--base-url URL]
    flask --app wsgi case archive --from YYYY-MM-DD --to YYYY-MM-DD [--hall SLUG] -o FILE.zip

`case pdf` prints a case's summary (phone and identity numbers masked unless --reveal), or with
--agreement its mediation agreement (full details, as handed to the parties). `case archive`
exports every case the hall closed between the two dates (the hall's local dates, both included)
as PDFs in one zip with an index (hall/archive.py). The QR code of a summary needs the hall's
public address: PUBLIC_BASE_URL, or --base-url. Agreements and reveals are written to the audit
log as done from the command line (no user).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from . import archive, cases, documents
from .errors import HallError
from .extensions import db
from .models import Hall

group = click.Group("case", help="Cases: printed documents and the archive.")


def _hall(slug: str | None) -> Hall | None:
    if slug is None:
        halls = list(db.session.scalars(select(Hall).order_by(Hall.id).limit(2)))
        if len(halls) == 1:
            return halls[0]
        return None
    hall = db.session.scalar(select(Hall).where(Hall.slug == slug))
    if hall is None:
        raise click.ClickException(f"no hall {slug!r}")
    return hall


def _write(path: str, data: bytes) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        return
    Path(path).write_bytes(data)


@group.command("pdf")
@click.argument("number")
@click.option("-o", "--output", required=True, help="the PDF file to write ('-': standard output)")
@click.option("--agreement", is_flag=True, help="the mediation agreement instead of the summary")
@click.option("--reveal", is_flag=True, help="the summary with full phone and identity numbers (logged)")
@click.option("--hall", "hall_slug", help="the hall (when several share the database)")
@click.option("--base-url", help="the hall's public address for the QR code (default PUBLIC_BASE_URL)")
def pdf(number: str, output: str, agreement: bool, reveal: bool, hall_slug: str | None, base_url: str | None):
    """Print a case's summary, or its mediation agreement, to a PDF file."""
    try:
        case = cases.by_number(_hall(hall_slug), number)
        if agreement:
            documents.check_agreement(None, case)
        if agreement or reveal:
            what = "case.print_agreement" if agreement else "case.view_personal"
            cases.audit(case.hall_id, None, what, case, f"{case.number} command line")
            db.session.commit()
        missing = cases.agreement_missing(case) if agreement else []  # said, not refused: the operator
        case, = documents.load_for_print([case.id])  # no transaction open while the PDF is made
        data = documents.agreement_pdf(case) if agreement else \
            documents.summary_pdf(case, revealed=reveal, base_url=base_url)
    except HallError as error:
        raise click.ClickException(str(error.message)) from None
    _write(output, data)
    if output != "-":
        click.echo(f"{case.number}: {output} ({len(data) // 1024} kB)")
    if missing:
        click.echo("\n".join([str(_l("The following is not filled in yet:")), *missing]), err=True)


@group.command("archive")
@click.option("--from", "first_raw", required=True, help="the first day, YYYY-MM-DD (the hall's local date)")
@click.option("--to", "last_raw", required=True, help="the last day, YYYY-MM-DD (included)")
@click.option("--hall", "hall_slug", help="the hall (required when several share the database)")
@click.option("-o", "--output", required=True, help="the zip file to write")
@click.option("--base-url", help="the hall's public address for the QR codes (default PUBLIC_BASE_URL)")
@click.option("--quiet", is_flag=True, help="no progress")
def archive_command(first_raw: str, last_raw: str, hall_slug: str | None, output: str, base_url: str | None,
                    quiet: bool):
    """Export every case closed in a period as PDFs in one zip, with an index."""
    hall = _hall(hall_slug)
    if hall is None:
        raise click.ClickException("several halls: name one with --hall")
    try:
        first, last = archive.parse_period(first_raw, last_raw)
    except HallError as error:
        problems = getattr(error, "errors", {}) or {}
        raise click.ClickException("; ".join(str(m) for m in problems.values()) or str(error.message)) from None

    def progress(done: int, total: int, number: str) -> None:
        if not quiet and total:
            click.echo(f"\r{done}/{total} {number}".ljust(40), nl=False, err=True)

    target = Path(output)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("wb") as out:
            result = archive.write_archive(hall, first, last, out, base_url=base_url, progress=progress)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if not quiet and result.cases:
        click.echo("", err=True)
    click.echo(f"{hall.slug} {first}..{last}: {result.cases} case(s), {result.agreements} agreement(s) -> {output}")
