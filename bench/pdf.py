#!/usr/bin/env python3
"""Printed documents: how long a case summary and a mediation agreement take to render, against
a plain WeasyPrint render of the same pages (figures, not pass/fail; docs/benchmarks.md).

    .venv/bin/python bench/pdf.py [--runs 15] [--slow-runs 3] [--worker-runs 3]

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
  outlines in the cache on disk (a new gunicorn worker, the command line);
* the first print of a fresh worker: a new Python process that creates the app as a gunicorn
  worker does, then prints the summary, without and with the warm-up gunicorn.conf.py starts
  (hall.documents.start_warm_up, timed after it has finished; its own time is given), with the
  glyph cache on disk as an earlier worker's warm-up left it (a restart) and empty (a fresh
  install: that warm-up draws the outlines); --worker-runs pairs of each,
  alternating, so that both see the same load.

Prints a Markdown table; the ratio is baseline / ours, and for a fresh worker without / with
the warm-up.
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


def fresh_worker(database: str, cache: str, case_id: int, warm: bool) -> int:
    """In a new process (the parent starts it): create the app as a gunicorn worker does, warm up
    or not, print the summary twice; one JSON line of timings on stdout."""
    import json
    import logging
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    started = time.perf_counter()
    from hall import create_app, documents
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench", "PDF_GLYPH_CACHE": cache,
                      "PDF_WARM_UP": warm, "PUBLIC_BASE_URL": "http://192.168.1.20:5000"})
    created = time.perf_counter()
    thread = documents.start_warm_up(app)
    if thread is not None:
        thread.join()
    warmed = time.perf_counter()
    with app.app_context():
        case, = documents.load_for_print([case_id])
        timings = []
        for _ in range(2):
            start, start_cpu = time.perf_counter(), time.process_time()
            size = len(documents.summary_pdf(case))
            timings.append(((time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000))
    print(json.dumps({"app_ms": (created - started) * 1000, "warm_up_ms": (warmed - created) * 1000 if warm else 0,
                      "first_ms": timings[0][0], "first_cpu_ms": timings[0][1], "second_ms": timings[1][0],
                      "kb": size / 1024}))
    return 0


def fresh_workers(database: str, cache_on_disk: str, tmp: str, case_id: int, runs: int) -> dict[str, dict]:
    """--worker-runs pairs of fresh workers (without, with the warm-up), for each glyph cache."""
    import json
    import shutil
    import subprocess
    rows: dict[str, dict] = {}
    # A restart: the cache holds what an earlier worker's warm-up drew (and the case's characters).
    subprocess.run([sys.executable, __file__, "--fresh-worker", database, cache_on_disk, str(case_id), "--warm-up"],
                   capture_output=True, check=True, cwd=ROOT)
    for state, cache_state in enumerate(("glyph cache on disk", "empty glyph cache")):
        got: dict[bool, list[dict]] = {False: [], True: []}
        for run in range(runs):
            for warm in (False, True):
                cache = f"{tmp}/worker-{state}-{run}-{int(warm)}.sqlite3"  # each its own, new
                if cache_state == "glyph cache on disk":
                    shutil.copyfile(cache_on_disk, cache)
                out = subprocess.run([sys.executable, __file__, "--fresh-worker", database, cache, str(case_id)]
                                     + (["--warm-up"] if warm else []), capture_output=True, text=True, check=True,
                                     cwd=ROOT).stdout
                got[warm].append(json.loads(out.strip().splitlines()[-1]))
        for warm in (False, True):
            firsts = sorted(r["first_ms"] for r in got[warm])
            name = f"first print of a fresh worker, {cache_state}, " + (
                f"after the warm-up (which took {statistics.median(r['warm_up_ms'] for r in got[warm]):.0f} ms)"
                if warm else "no warm-up")
            rows[name] = {"median_ms": statistics.median(firsts), "p90_ms": firsts[max(int(len(firsts) * 0.9) - 1, 0)],
                          "min_ms": firsts[0], "cpu_ms": statistics.median(r["first_cpu_ms"] for r in got[warm]),
                          "runs": runs, "kb": got[warm][-1]["kb"], "warm": warm, "state": cache_state}
        seconds = sorted(r["second_ms"] for r in got[False] + got[True])
        rows[f"the next print of the same workers, {cache_state}"] = {
            "median_ms": statistics.median(seconds), "p90_ms": seconds[max(int(len(seconds) * 0.9) - 1, 0)],
            "min_ms": seconds[0], "cpu_ms": float("nan"), "runs": len(seconds), "kb": got[True][-1]["kb"]}
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of the renders without HarfBuzz subsetting")
    parser.add_argument("--worker-runs", type=int, default=3, help="fresh workers of each kind (0: none)")
    parser.add_argument("--fresh-worker", nargs=3, metavar=("DATABASE", "CACHE", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fresh_worker:
        database, cache, case_id = args.fresh_worker
        return fresh_worker(database, cache, int(case_id), args.warm_up)

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
        case_id = case.id
        db.session.remove()
        db.engine.dispose()
    if args.worker_runs:
        results.update(fresh_workers(f"sqlite:///{tmp.name}/pdf.sqlite3", f"{tmp.name}/glyphs.sqlite3", tmp.name,
                                     case_id, args.worker_runs))
    tmp.cleanup()

    load_before = LOAD_BEFORE
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} × {cpu}, Python {platform.python_version()}, "
          f"WeasyPrint {weasyprint.__version__}, load average {load_before} before and {load} after the run; "
          f"summary {pages['summary']} pages, agreement {pages['agreement']} pages (3 parties: 4 copies)")
    print()
    print("| what | runs | median ms | p90 ms | min ms | CPU ms (median) | PDF kB | baseline ÷ ours, or without ÷ with warm-up (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    pairs = {"summary": "summary baseline", "agreement": "agreement baseline",
             "summary, no HarfBuzz subsetter": "summary baseline, no HarfBuzz subsetter"}
    for name, row in results.items():
        ratio = ""
        if name in pairs:
            ratio = f"**{results[pairs[name]]['median_ms'] / row['median_ms']:.1f}×**"
        if row.get("warm"):  # without the warm-up ÷ with it, same cache, same run
            cold = next(r for r in results.values() if r.get("state") == row["state"] and r.get("warm") is False)
            ratio = f"**{cold['median_ms'] / row['median_ms']:.1f}×**"
        cpu = "" if row["cpu_ms"] != row["cpu_ms"] else f"{row['cpu_ms']:.0f}"  # NaN: not measured
        print(f"| {name} | {row['runs']} | {row['median_ms']:.0f} | {row['p90_ms']:.0f} | {row['min_ms']:.0f} | "
              f"{cpu} | {row['kb']:.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
