#!/usr/bin/env python3
"""Printed documents: how long a case summary and a mediation agreement take to render, against
a plain WeasyPrint render of the same pages (figures, not pass/fail; docs/benchmarks.md).

    .venv/bin/python bench/pdf.py [--runs 15] [--slow-runs 3]

One process, in-process, on a fresh SQLite database with the demo hall and a closed case whose
three parties' names hold rare characters (张𠈌䶮, 李堃喆, 王赟頔𡒄𪚥: CJK Extension A and B, two of them
missing from Noto CJK and drawn from Hanazono), walked through the six steps with an agreement.
Median, p90 and minimum of N warm renders (the first render of each kind is not counted) of:

* summary / agreement — hall.documents as the app uses it: the template, the document's own
  small fonts (hall/documents.py), WeasyPrint;
* baseline — the same template and the same HTML rendered by plain WeasyPrint with the installed
  fonts (font stacks fall through to Noto Serif/Sans CJK SC and HanaMin), same run;
* the same two without HarfBuzz's subsetter (WeasyPrint then subsets with fontTools: what
  happens where libharfbuzz-subset0 is missing or older than 4.1), fewer runs: these are slow;
* the first render of a process: with no outline drawn yet (an empty glyph cache), and with the
  outlines in the cache on disk (a new gunicorn worker, the command line).

Prints a Markdown table; the ratio is baseline / ours.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def measure(fn, runs: int, warm: bool = True) -> dict:
    """Wall-clock median, p90 and minimum, and the median CPU time of this process (what other
    load on the machine changes less)."""
    if warm:
        fn()  # not counted
    times, cpu, size = [], [], 0
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        size = len(fn())
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return {"median_ms": statistics.median(times), "p90_ms": times[max(int(len(times) * 0.9) - 1, 0)],
            "min_ms": times[0], "cpu_ms": statistics.median(cpu), "runs": runs, "kb": size / 1024}


def once(fn) -> dict:
    return measure(fn, 1, warm=False)


LOAD_BEFORE = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of the renders without HarfBuzz subsetting")
    args = parser.parse_args()

    import logging
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from flask_babel import force_locale
    from flask_migrate import upgrade

    import document_data as data
    import weasyprint
    import weasyprint.pdf.fonts as weasy_fonts
    from hall import create_app, documents
    from hall.extensions import db

    tmp = tempfile.TemporaryDirectory(prefix="fq-bench-pdf-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp.name}/pdf.sqlite3", "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "PUBLIC_BASE_URL": "http://192.168.1.20:5000",
                      "PDF_GLYPH_CACHE": f"{tmp.name}/glyphs.sqlite3"})
    results: dict[str, dict] = {}
    with app.app_context():
        upgrade()
        from hall.demo import load_demo
        hall = load_demo()
        users = data.staff(hall)
        case = data.closed_case(hall, users)
        with data.pending_chinese(), force_locale("zh_Hans_CN"):
            # First renders of a process: nothing drawn, then the outlines read back from the disk.
            documents._sources.clear()
            results["summary, first render, empty glyph cache"] = once(lambda: documents.summary_pdf(case))
            documents._sources.clear()
            results["summary, first render, glyph cache on disk"] = once(lambda: documents.summary_pdf(case))

            summary_plain = lambda: documents.html_to_pdf(documents.summary_html(case), own_fonts=False)  # noqa: E731
            agreement_plain = lambda: documents.html_to_pdf(documents.agreement_html(case), own_fonts=False)  # noqa: E731
            results["summary"] = measure(lambda: documents.summary_pdf(case), args.runs)
            results["summary baseline"] = measure(summary_plain, args.runs)
            results["agreement"] = measure(lambda: documents.agreement_pdf(case), args.runs)
            results["agreement baseline"] = measure(agreement_plain, args.runs)

            saved = weasy_fonts.harfbuzz_subset
            weasy_fonts.harfbuzz_subset = None  # WeasyPrint's fontTools path
            try:
                results["summary, no HarfBuzz subsetter"] = measure(lambda: documents.summary_pdf(case), args.slow_runs)
                results["summary baseline, no HarfBuzz subsetter"] = measure(summary_plain, args.slow_runs)
            finally:
                weasy_fonts.harfbuzz_subset = saved
            pages = {"summary": data.pdf_pages(documents.summary_pdf(case)),
                     "agreement": data.pdf_pages(documents.agreement_pdf(case))}
        db.session.remove()
        db.engine.dispose()
    tmp.cleanup()

    load_before = LOAD_BEFORE
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} × {cpu}, Python {platform.python_version()}, "
          f"WeasyPrint {weasyprint.__version__}, load average {load_before} before and {load} after the run; "
          f"summary {pages['summary']} pages, agreement {pages['agreement']} pages (3 parties: 4 copies)")
    print()
    print("| what | runs | median ms | p90 ms | min ms | CPU ms (median) | PDF kB | baseline ÷ ours (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    pairs = {"summary": "summary baseline", "agreement": "agreement baseline",
             "summary, no HarfBuzz subsetter": "summary baseline, no HarfBuzz subsetter"}
    for name, row in results.items():
        ratio = ""
        if name in pairs:
            ratio = f"**{results[pairs[name]]['median_ms'] / row['median_ms']:.1f}×**"
        print(f"| {name} | {row['runs']} | {row['median_ms']:.0f} | {row['p90_ms']:.0f} | {row['min_ms']:.0f} | "
              f"{row['cpu_ms']:.0f} | {row['kb']:.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
