"""Printed documents of a case, as A4 PDFs made with WeasyPrint: the case summary (事项摘要) and
the mediation agreement (人民调解协议书, People's Mediation Law art. 28–29).

    summary_pdf(case, revealed=False)       the summary: parties masked unless revealed
    print_agreement(user, case)             the agreement, one copy per party plus one kept; only
                                            for staff who may see full personal data, and only
                                            for a successful mediation; logged (case.print_agreement);
                                            AgreementIncomplete while it lacks what art. 29 requires
                                            (cases.agreement_missing) unless confirmed=True
    start_warm_up(app)                      a worker's warm-up (gunicorn.conf.py), in a thread

Staff are named by hall.people.printed_name (the full name, not the login's short one); the seal
line names the committee (committee_name).

Documents are in Chinese, the hall's language (PDF_LOCALE), whatever the reader's language: the
agreement is a legal document handed to the parties.

Fonts
-----
Chinese is drawn with Debian's Noto CJK fonts, named by their Simplified Chinese face (Noto Serif
CJK SC, Noto Sans CJK SC) so that no Japanese glyph forms appear; characters those faces lack
(rare characters in names, 生僻字 such as 𡒄 or 𪚥, CJK Extension B and later) come from
Hanazono Mincho (fonts-hanazono, HanaMinA/HanaMinB).

Those fonts are huge (20–30 MB, 45 000–65 000 glyphs). WeasyPrint embeds a subset of every font a
document uses: with fontTools (what it does when HarfBuzz's subset library is missing) that takes
5–10 s per face; HarfBuzz does it in ~0.1 s but keeps every glyph id below the highest one used (a
rare character sits near the end of the font), which leaves ~300 kB of font in a two-page PDF.
So each document gets small fonts of its own (DocumentFonts): only the characters of its HTML,
drawn from the installed faces into compact CFF fonts with fontTools and handed to WeasyPrint
through @font-face (fq-font: URLs its own URL fetcher answers). The outlines drawn once are kept,
per process and in a small SQLite file under instance/cache/ shared by every worker and the
command line, so a warm document's fonts take ~10–25 ms and the PDF is a quarter of the size. The
templates' font stacks name the installed faces after the document's own, so if a font cannot
be built the document prints through fontconfig as plain WeasyPrint would (slower, same look).
bench/pdf.py measures it against a plain render (docs/benchmarks.md).
"""
from __future__ import annotations

import fcntl
import io
import logging
import os
import re
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

from babel.dates import format_date
from flask import current_app, has_request_context, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from . import cases, clock
from .categories import category_label
from .config import INSTANCE_DIR
from .errors import Forbidden, HallError, WrongState
from .extensions import db
from .links import qr_svg
from .models import CASE_STEPS, Case, CaseEvent, CaseStep, FollowUp, User
from .people import printed_name

log = logging.getLogger(__name__)

PDF_LOCALE = "zh_Hans_CN"
SUMMARY_TEMPLATE = "pdf/case_summary.html"
AGREEMENT_TEMPLATE = "pdf/agreement.html"


# ==== fonts ===================================================================================

@dataclass(frozen=True)
class Face:
    """An installed font face as fontconfig names it."""
    family: str
    style: str


# The faces the documents print with, and the @font-face family each becomes in a document.
# The family names keep the face's name, so pdffonts shows which face a PDF carries.
SERIF = Face("Noto Serif CJK SC", "Regular")
SANS_BOLD = Face("Noto Sans CJK SC", "Bold")
RARE = (Face("HanaMinA", "Regular"), Face("HanaMinB", "Regular"))
SERIF_FAMILY = "Noto Serif CJK SC Print"
SANS_FAMILY = "Noto Sans CJK SC Print"
RARE_FAMILY = "HanaMin Print"

# Always in a document's fonts besides the characters of its HTML: what WeasyPrint or the CSS may
# add (list markers, hyphens, ellipses) and printable ASCII.
ALWAYS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset("•◦▪–—‐‑…·、。，：；（）《》「」“”‘’　")


@dataclass
class Glyph:
    advance: int
    lsb: int
    code: bytes  # a CFF Type 2 charstring, without subroutines


class GlyphStore:
    """Outlines drawn once, kept on disk for every process: face key, code point → advance, left
    side bearing and charstring (NULL: the face has no such character). Never required: any
    error and the documents just draw again."""

    def __init__(self, path: Path | None):
        self.path = path
        self._disabled = path is None

    def _connect(self) -> sqlite3.Connection | None:
        if self._disabled:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # a cache: losing the last writes costs a redraw
            conn.execute("CREATE TABLE IF NOT EXISTS glyph (face TEXT NOT NULL, cp INTEGER NOT NULL, "
                         "advance INTEGER, lsb INTEGER, code BLOB, PRIMARY KEY (face, cp)) WITHOUT ROWID")
            return conn
        except (OSError, sqlite3.Error) as error:
            log.warning("glyph cache %s unusable (%s): drawing every time", self.path, error)
            self._disabled = True
            return None

    def load(self, face: str, cps: Iterable[int]) -> dict[int, Glyph | None]:
        conn = self._connect()
        if conn is None:
            return {}
        found: dict[int, Glyph | None] = {}
        wanted = list(cps)
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows = conn.execute(f"SELECT cp, advance, lsb, code FROM glyph WHERE face = ? AND cp IN "
                                    f"({','.join('?' * len(chunk))})", [face, *chunk])
                for cp, advance, lsb, code in rows:
                    found[cp] = None if code is None else Glyph(advance, lsb, bytes(code))
        except sqlite3.Error as error:
            log.warning("glyph cache read failed: %s", error)
        finally:
            conn.close()
        return found

    def save(self, face: str, glyphs: dict[int, Glyph | None]) -> None:
        conn = self._connect()
        if conn is None or not glyphs:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")  # one transaction, not one per glyph
            conn.executemany("INSERT OR IGNORE INTO glyph (face, cp, advance, lsb, code) VALUES (?, ?, ?, ?, ?)",
                             [(face, cp, g.advance if g else None, g.lsb if g else None, g.code if g else None)
                              for cp, g in glyphs.items()])
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            log.warning("glyph cache write failed: %s", error)
        finally:
            conn.close()


# Where Debian and Ubuntu put the faces, for a machine without fontconfig's fc-match.
KNOWN_FILES = ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
               "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf")


def _locate(face: Face) -> tuple[str, int] | None:
    """The file and face index fontconfig has for a face, or None when it is not installed."""
    try:
        out = subprocess.run(["fc-match", "--format=%{file}\n%{index}\n%{family}\n%{style}",
                              f"{face.family}:style={face.style}"],
                             capture_output=True, text=True, timeout=10, check=True).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return _known_file(face)
    if len(out) < 4 or face.family not in out[2].split(",") or face.style not in out[3].split(","):
        return None  # fontconfig offered a substitute: not the face asked for
    return os.path.realpath(out[0]), int(out[1] or 0)


def _known_file(face: Face) -> tuple[str, int] | None:
    from fontTools.ttLib import TTCollection, TTFont
    for path in KNOWN_FILES:
        if not os.path.exists(path):
            continue
        fonts = TTCollection(path, lazy=True).fonts if path.endswith(".ttc") else [TTFont(path, lazy=True)]
        for index, font in enumerate(fonts):
            name = font["name"]
            if name.getDebugName(1) == face.family and name.getDebugName(2) == face.style or \
                    name.getDebugName(1) == f"{face.family} {face.style}":
                return path, index
    return None


class SourceFont:
    """One installed face, opened lazily with fontTools, whose outlines are drawn on demand."""

    def __init__(self, face: Face, path: str, index: int):
        self.face, self.path, self.index = face, path, index
        stat = os.stat(path)
        self.key = f"{path}#{index}:{stat.st_size}:{stat.st_mtime_ns}"
        self._font = None
        self._cmap: dict[int, str] | None = None
        self._glyphs: dict[int, Glyph | None] = {}

    @property
    def font(self):
        if self._font is None:
            from fontTools.ttLib import TTFont
            self._font = TTFont(self.path, fontNumber=self.index, lazy=True)
        return self._font

    @property
    def upem(self) -> int:
        return self.font["head"].unitsPerEm

    def metrics(self) -> dict:
        hhea, os2 = self.font["hhea"], self.font["OS/2"]
        return {"ascent": hhea.ascent, "descent": hhea.descent, "line_gap": hhea.lineGap,
                "typo_ascender": os2.sTypoAscender, "typo_descender": os2.sTypoDescender,
                "win_ascent": os2.usWinAscent, "win_descent": os2.usWinDescent, "upem": self.upem,
                "bbox": (self.font["head"].xMin, self.font["head"].yMin, self.font["head"].xMax, self.font["head"].yMax)}

    def glyphs(self, cps: Iterable[int], store: GlyphStore) -> dict[int, Glyph | None]:
        """The outline of each code point (None: not in this face). Callers hold FONT_LOCK."""
        wanted = [cp for cp in cps if cp not in self._glyphs]
        if wanted:
            self._glyphs.update(store.load(self.key, wanted))
            missing = [cp for cp in wanted if cp not in self._glyphs]
            if missing:
                drawn = {cp: self._draw(cp) for cp in missing}
                self._glyphs.update(drawn)
                store.save(self.key, drawn)
        return {cp: self._glyphs[cp] for cp in cps}

    def _draw(self, cp: int) -> Glyph | None:
        from fontTools.pens.t2CharStringPen import T2CharStringPen
        if self._cmap is None:
            self._cmap = self.font.getBestCmap()
        name = self._cmap.get(cp)
        if name is None:
            return None
        advance, lsb = self.font["hmtx"][name]
        pen = T2CharStringPen(advance, None)
        self.font.getGlyphSet()[name].draw(pen)  # TrueType quadratics become cubics here
        charstring = pen.getCharString()
        charstring.compile()
        return Glyph(advance, lsb, charstring.bytecode)


FONT_LOCK = threading.RLock()  # fontTools objects are not thread-safe; the archive runs in a thread
_sources: dict[Face, SourceFont | None] = {}


def source(face: Face) -> SourceFont | None:
    with FONT_LOCK:
        if face not in _sources:
            found = _locate(face)
            _sources[face] = SourceFont(face, *found) if found else None
            if found is None:
                log.warning("font %s %s is not installed: documents fall back to fontconfig's choice",
                            face.family, face.style)
        return _sources[face]


def _glyph_store() -> GlyphStore:
    configured = current_app.config.get("PDF_GLYPH_CACHE")
    if configured == "":
        return GlyphStore(None)
    return GlyphStore(Path(configured) if configured else INSTANCE_DIR / "cache" / "glyphs.sqlite3")


def build_font(family: str, style: str, weight: int, glyphs: dict[int, Glyph], metrics: dict) -> bytes:
    """A small CFF-flavoured OpenType font holding just these glyphs (code point → glyph)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.misc.psCharStrings import T2CharString
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    upem = metrics["upem"]
    order, charstrings, advances, cmap = [".notdef"], {}, {}, {}
    notdef = T2CharStringPen(upem // 2, None)
    charstrings[".notdef"], advances[".notdef"] = notdef.getCharString(), (upem // 2, 0)
    for cp in sorted(glyphs):
        glyph = glyphs[cp]
        name = f"u{cp:04X}"
        order.append(name)
        charstrings[name] = T2CharString(bytecode=glyph.code)
        advances[name] = (glyph.advance, glyph.lsb)
        cmap[cp] = name
    ps_name = family.replace(" ", "") + "-" + style
    builder = FontBuilder(upem, isTTF=False)
    builder.font.recalcBBoxes = False  # the source's box holds: no need to run every outline
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    builder.setupCFF(ps_name, {"FullName": f"{family} {style}", "FamilyName": family,
                               "Weight": style, "FontBBox": list(metrics["bbox"])}, charstrings, {})
    builder.setupHorizontalMetrics(advances)
    builder.setupHorizontalHeader(ascent=metrics["ascent"], descent=metrics["descent"], lineGap=metrics["line_gap"])
    builder.setupNameTable({"familyName": family, "styleName": style, "psName": ps_name,
                            "fullName": f"{family} {style}", "uniqueFontIdentifier": ps_name})
    builder.setupOS2(usWeightClass=weight, fsSelection=0x20 if weight >= 700 else 0x40,
                     sTypoAscender=metrics["typo_ascender"], sTypoDescender=metrics["typo_descender"],
                     sTypoLineGap=0, usWinAscent=metrics["win_ascent"], usWinDescent=metrics["win_descent"])
    builder.setupPost()
    head = builder.font["head"]
    head.xMin, head.yMin, head.xMax, head.yMax = metrics["bbox"]
    head.macStyle = 1 if weight >= 700 else 0
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


FONT_SCHEME = "fq-font:"  # the URLs of a document's own fonts, answered by its URL fetcher


@dataclass
class DocumentFonts:
    """The fonts one document prints with: @font-face rules naming them by URLs of their own
    (fq-font:serif …) and the font files those URLs stand for; empty when none could be built,
    and the document then prints with the installed fonts through fontconfig. (Not data: URLs:
    tinycss2 reads a 300 kB data: URL one character at a time, 0.2 s.)"""
    css: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # URL → font
    glyphs: dict[str, int] = field(default_factory=dict)  # family → glyphs

    def add(self, name: str, family: str, weights: tuple[str, ...], data: bytes, glyphs: int) -> None:
        url = FONT_SCHEME + name
        self.files[url] = data
        self.glyphs[family] = glyphs
        self.css += "".join(_font_face(family, weight, url) for weight in weights)


def _scaled(metrics: dict, upem: int) -> dict:
    factor = upem / metrics["upem"]
    scaled = {k: round(v * factor) for k, v in metrics.items() if isinstance(v, int)}
    scaled["bbox"] = tuple(round(v * factor) for v in metrics["bbox"])
    scaled["upem"] = upem
    return scaled


def _font_face(family: str, weight: str, url: str) -> str:
    return (f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: normal; '
            f'src: url({url}) format("opentype"); }}\n')


def document_fonts(text: str) -> DocumentFonts:
    """Fonts holding exactly the characters of `text` (a document's HTML and CSS): the SC serif
    (regular) and sans (bold) faces, and Hanazono Mincho for what those lack."""
    cps = sorted({ord(c) for c in set(text) | ALWAYS if ord(c) >= 0x20})
    result = DocumentFonts()
    store = _glyph_store()
    with FONT_LOCK:
        rare_wanted: set[int] = set()
        base_metrics = None
        for face, family, weight, label in ((SERIF, SERIF_FAMILY, 400, "normal"),
                                            (SANS_BOLD, SANS_FAMILY, 700, "bold")):
            src = source(face)
            if src is None:
                continue
            try:
                glyphs = src.glyphs(cps, store)
                present = {cp: g for cp, g in glyphs.items() if g is not None}
                metrics = src.metrics()
                base_metrics = base_metrics or metrics
                data = build_font(family, face.style, weight, present, metrics)
            except Exception:  # noqa: BLE001 - a broken font must not stop a document
                log.exception("could not build %s for a document", family)
                continue
            rare_wanted |= {cp for cp, g in glyphs.items() if g is None and cp > 0x2E7F}
            result.add(label, family, (label,), data, len(present))
        if rare_wanted:
            rare: dict[int, Glyph] = {}
            upem = None
            for face in RARE:
                src = source(face)
                if src is None or (upem is not None and src.upem != upem):
                    continue
                try:
                    for cp, glyph in src.glyphs(sorted(rare_wanted - set(rare)), store).items():
                        if glyph is not None:
                            rare[cp] = glyph
                            upem = src.upem
                except Exception:  # noqa: BLE001
                    log.exception("could not read %s", face.family)
            if rare and base_metrics is not None:
                # Line metrics of the SC face, so a line holding a rare character is no taller.
                metrics = _scaled(base_metrics, upem)
                data = build_font(RARE_FAMILY, "Regular", 400, rare, metrics)
                result.add("rare", RARE_FAMILY, ("normal", "bold"), data, len(rare))
    return result


# ==== rendering ===============================================================================

RENDER_LOCK = threading.Lock()  # one WeasyPrint render at a time per process (a request and the archive thread)


def _url_fetcher(files: dict[str, bytes]):
    """Documents load nothing from outside (no file, no network): only their own fonts."""
    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # WeasyPrint < 68: a fetcher is a function returning a dict
        def fetch(url, *args, **kwargs):
            if url in files:
                return {"string": files[url], "mime_type": "font/otf"}
            raise ValueError("documents load no external resources")
        return fetch

    class OwnFontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url in files:
                return URLFetcherResponse(url, body=files[url], headers={"Content-Type": "font/otf"})
            raise ValueError("documents load no external resources")
    return OwnFontsOnly()


def html_to_pdf(html: str, *, own_fonts: bool = True) -> bytes:
    """WeasyPrint, with the document's own small fonts (own_fonts=False: a plain render through
    the installed fonts, the baseline bench/pdf.py measures against)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with RENDER_LOCK:
        font_config = FontConfiguration()
        fonts = document_fonts(html) if own_fonts else DocumentFonts()
        fetcher = _url_fetcher(fonts.files)
        stylesheets = [CSS(string=fonts.css, font_config=font_config, url_fetcher=fetcher)] if fonts.css else []
        document = HTML(string=html, url_fetcher=fetcher, base_url=None)
        return document.write_pdf(stylesheets=stylesheets, font_config=font_config)


# ==== what the documents say ==================================================================

def chinese_count(n: int) -> str:
    """How a document written in Chinese counts its copies: 2 → 两, 4 → 四, 12 → 十二, 23 → 二十三."""
    digits = "零一二三四五六七八九"
    if n == 2:
        return "两"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


def local_date(case: Case, at: datetime | None) -> str:
    """A date in the hall's timezone, written as the reader's language writes dates."""
    if at is None:
        return ""
    return format_date(clock.local(case.hall, at).date(), "long", locale=str(get_locale()))


def local_time(case: Case, at: datetime | None) -> str:
    """A date and time in the hall's timezone: 2026年11月26日 14:05."""
    if at is None:
        return ""
    moment = clock.local(case.hall, at)
    return f"{format_date(moment.date(), 'long', locale=str(get_locale()))} {moment:%H:%M}"


def short_time(case: Case, at: datetime) -> str:
    """2026-11-26 14:05, in the hall's timezone: a timeline's column."""
    return f"{clock.local(case.hall, at):%Y-%m-%d %H:%M}"


def person(user: User | None) -> str:
    """Who did something, as a document names them: a member of staff by printed_name, or the resident."""
    if user is None:
        return _("Resident")
    return printed_name(user)


def css_counter_text(text: str) -> Markup:
    """A sentence with {page} and {pages} as a CSS content value: "第 " counter(page) " 页"."""
    out, rest = [], text
    while rest:
        at = min([i for i in (rest.find("{page}"), rest.find("{pages}")) if i >= 0], default=-1)
        if at < 0:
            out.append(_css_string(rest))
            break
        if at:
            out.append(_css_string(rest[:at]))
        token = "{pages}" if rest.startswith("{pages}", at) else "{page}"
        out.append("counter(pages)" if token == "{pages}" else "counter(page)")
        rest = rest[at + len(token):]
    return Markup(" ".join(out))


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ") + '"'


def resident_url(case: Case, base_url: str | None = None) -> str:
    """The resident's page of a case (what the summary's QR code encodes), as phones reach it:
    PUBLIC_BASE_URL, else the given base (the request's host when the export was started), else
    the request's host; "" when none is known (the command line without PUBLIC_BASE_URL). Built
    from the URL map, as the archive's thread has no request to build it in."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or base_url
            or (request.host_url if has_request_context() else "")).rstrip("/")
    if not base:
        return ""
    return base + current_app.url_map.bind("localhost").build("kiosk.case_page", {"token": case.token})


_MODULE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z")


def compact_qr(svg: Markup) -> Markup:
    """hall.links.qr_svg's code with each row's dark modules joined into runs: the same modules in
    half the path (WeasyPrint reads an SVG path in Python: ~50 ms of CPU for the module-by-module
    path, a tenth of a summary's render)."""
    text = str(svg)
    match = re.search(r' d="([^"]*)"', text)
    if not match:
        return svg
    rows: dict[int, set[int]] = {}
    for x, y, right, bottom in _MODULE.findall(match.group(1)):
        for row in range(int(y), int(bottom)):
            rows.setdefault(row, set()).update(range(int(x), int(right)))
    runs = []
    for row in sorted(rows):
        columns = sorted(rows[row])
        start = columns[0]
        for index, column in enumerate(columns):
            if index + 1 == len(columns) or columns[index + 1] != column + 1:
                width = column + 1 - start
                runs.append(f"M{start},{row}h{width}v1h-{width}z")
                if index + 1 < len(columns):
                    start = columns[index + 1]
    if not runs:
        return svg
    return Markup(text.replace(match.group(0), f' d="{"".join(runs)}"', 1))


@dataclass
class StepView:
    step: CaseStep
    number: int
    label: str
    events: list
    current: bool
    reached: bool


def timeline(case: Case) -> list[StepView]:
    """The six steps, each with its entries in order (who, when, what)."""
    reached = CASE_STEPS.index(case.step)
    views = []
    for index, step in enumerate(CASE_STEPS):
        events = sorted((e for e in case.events if e.step == step), key=lambda e: (e.at, e.id))
        views.append(StepView(step, index + 1, cases.step_label(step), [
            {"when": short_time(case, e.at), "who": person(e.user), "what": cases.action_label(e.action), "text": cases.event_text(e)}
            for e in events], current=case.is_open and step == case.step, reached=index <= reached))
    return views


def _common(case: Case) -> dict:
    return {"case": case, "hall": case.hall, "category": category_label(case.category),
            "kind": str(cases.KIND_LABELS[case.kind]), "source": str(cases.SOURCE_LABELS[case.source]),
            "outcome": str(cases.OUTCOME_LABELS[case.outcome]) if case.outcome else "",
            "handler": person(case.handler) if case.handler else "",
            "printed": local_time(case, clock.now()), "role_label": lambda role: str(cases.ROLE_LABELS[role]),
            "page_footer": css_counter_text(_("Page {page} of {pages}"))}


def summary_context(case: Case, *, revealed: bool = False, base_url: str | None = None) -> dict:
    url = resident_url(case, base_url)
    follow_ups = [{"when": short_time(case, f.at), "who": person(f.user),
                   "method": _("Home visit") if f.method == "visit" else _("Phone call"),
                   "honoured": {True: _("Yes"), False: _("No")}.get(f.honoured, _("Not known")),
                   "note": f.note} for f in case.follow_ups]
    return {**_common(case), "parties": cases.parties_for(case, revealed=revealed), "revealed": revealed,
            "steps": timeline(case), "follow_ups": follow_ups, "rating": cases.rating_label(case.rating),
            "rated_at": local_time(case, case.rated_at), "opened": local_time(case, case.created_at),
            "closed": local_time(case, case.closed_at), "agreed": local_date(case, case.agreed_at),
            "step_label": cases.step_label(case.step), "resident_url": url,
            "qr": compact_qr(qr_svg(url, _("The resident's page of this case"))) if url else "",
            "has_agreement": cases.has_agreement(case)}


def agreement_copies(case: Case) -> list[str]:
    """Who keeps each copy: one per party, then the committee's own."""
    with force_locale(PDF_LOCALE):
        return [_("Copy for %(role)s %(name)s", role=str(cases.ROLE_LABELS[p.role]), name=p.name or p.phone)
                for p in case.parties] + [_("Copy kept by the people's mediation committee")]


def committee_name(hall) -> str:
    """The people's mediation committee that seals the hall's agreements (its seal line): the hall's
    setting (和睦街道人民调解委员会), else one named after the hall."""
    return (hall.committee_name or "").strip() or _("%(hall)s People's Mediation Committee", hall=hall.name)


def agreement_context(case: Case) -> dict:
    copies = agreement_copies(case)
    return {**_common(case), "parties": cases.parties_for(case, revealed=True), "copies": copies,
            "committee": committee_name(case.hall),
            "count": chinese_count(len(copies)), "agreed": local_date(case, case.agreed_at or case.closed_at or clock.now())}


# ==== the documents ===========================================================================

def summary_html(case: Case, *, revealed: bool = False, base_url: str | None = None) -> str:
    """Its HTML, in Chinese whatever the reader's language (the words of the context too)."""
    with force_locale(PDF_LOCALE):
        return render_template(SUMMARY_TEMPLATE, lang="zh-CN",
                               **summary_context(case, revealed=revealed, base_url=base_url))


def summary_pdf(case: Case, *, revealed: bool = False, base_url: str | None = None) -> bytes:
    """The case summary: parties' phone and identity numbers masked unless revealed (the caller
    has checked and logged a reveal)."""
    return html_to_pdf(summary_html(case, revealed=revealed, base_url=base_url))


def agreement_html(case: Case) -> str:
    with force_locale(PDF_LOCALE):
        return render_template(AGREEMENT_TEMPLATE, lang="zh-CN", **agreement_context(case))


def check_agreement(user: User | None, case: Case) -> None:
    """Forbidden unless the user may see full personal data (cases.can_reveal; None: the command
    line, the server's operator); WrongState unless the mediation succeeded."""
    if user is not None and not cases.can_reveal(user, case):
        raise Forbidden(_("Only the case's handler or an administrator may print the agreement."))
    if not cases.has_agreement(case):
        raise WrongState(_("Only a successful mediation has an agreement to print."))


def agreement_pdf(case: Case) -> bytes:
    """The agreement as it is, unchecked and unlogged: callers check (check_agreement) and log."""
    return html_to_pdf(agreement_html(case))


class AgreementIncomplete(HallError):
    """The agreement lacks elements art. 29 requires (cases.agreement_missing): printed only once
    the printer has seen the list and confirmed."""
    status = 409

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(_("Some elements the law requires are not filled in yet."))


def print_agreement(user: User | None, case: Case, *, detail: str = "", confirmed: bool = False) -> bytes:
    """The mediation agreement with the parties' full details, for staff who may see them (or the
    command line), for a successful mediation; written to the audit log (case.print_agreement).
    AgreementIncomplete while elements art. 29 requires are missing, unless `confirmed` (the
    printer saw the list and chose to print anyway: the log says so). The entry is committed
    before the document is made: on SQLite a writing transaction holds the hall's write lock,
    which must not wait for WeasyPrint."""
    check_agreement(user, case)
    missing = cases.agreement_missing(case)
    if missing and not confirmed:
        raise AgreementIncomplete(missing)
    if missing:
        with force_locale(PDF_LOCALE):
            detail = " ".join(filter(None, [detail, _("printed incomplete: %(missing)s",
                                                      missing="; ".join(cases.agreement_missing(case)))]))
    cases.audit(case.hall_id, user, "case.print_agreement", case, f"{case.number} {detail}".strip())
    db.session.commit()
    return agreement_pdf(case)


PRINT_OPTIONS = (
    selectinload(Case.parties), selectinload(Case.events).joinedload(CaseEvent.user).joinedload(User.adviser),
    selectinload(Case.follow_ups).joinedload(FollowUp.user).joinedload(User.adviser),
    joinedload(Case.handler).joinedload(User.adviser), joinedload(Case.hall),
)


def load_for_print(case_ids: list[int]) -> list[Case]:
    """Cases with all a document reads, then the session closed. The objects stay readable, and
    no transaction stays open while WeasyPrint works: outside a request (the command line, the
    archive's thread) every SQLite transaction holds the hall's write lock (hall/engine.py)."""
    found = db.session.scalars(select(Case).where(Case.id.in_(case_ids)).options(*PRINT_OPTIONS)
                               .execution_options(populate_existing=True)).unique().all()
    by_id = {case.id: case for case in found}
    db.session.close()
    return [by_id[i] for i in case_ids if i in by_id]


# ==== warming up a worker ======================================================================

def _specimen() -> Case:
    """A case that is never saved (no session holds it), with every part a document prints: what
    the warm-up renders. Its words are the documents' own; its data is a placeholder."""
    from .models import CaseKind, CaseOutcome, CaseParty, CaseSource, Hall, PartyRole, Rating
    now = clock.now()
    hall = Hall(name="-", timezone="Asia/Shanghai", committee_name="")
    parties = [CaseParty(role=role, name="-", phone="13800000000", id_number="-", address="-")
               for role in (PartyRole.applicant, PartyRole.respondent)]
    return Case(hall=hall, number="WARM-0000-0000", token="warm-up", source=CaseSource.staff, kind=CaseKind.dispute,
                category="other", title="-", facts="-", step=CaseStep.rated, created_at=now, step_since=now,
                outcome=CaseOutcome.success, disputed_matters="-", responsibilities="-", agreement_terms="-",
                performance="-", agreed_at=now, rating=Rating.satisfied, rating_comment="-", rated_at=now,
                closed_at=now, parties=parties, events=[], follow_ups=[],
                handler=User(username="-", display_name="-", full_name="-"))


def _labels() -> str:
    """Every word a document may take from the hall's lists (categories, steps, outcomes, what a
    timeline entry was, a follow-up's answers …), in the documents' language."""
    from .categories import CATEGORIES
    with force_locale(PDF_LOCALE):
        lists = (CATEGORIES, cases.STEP_LABELS, cases.OUTCOME_LABELS, cases.SOURCE_LABELS, cases.KIND_LABELS,
                 cases.ROLE_LABELS, cases.CHANNELS, cases.ACTION_LABELS, cases.RATING_LABELS)
        words = [str(label) for labels in lists for label in labels.values()]
        words += [_("Home visit"), _("Phone call"), _("Yes"), _("No"), _("Not known"), _("Resident")]
        return " ".join(words)


def common_characters() -> str:
    """The 3 755 most common hanzi: GB 2312's first level (rows 16–55), which most names and
    facts are written in."""
    found = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                found.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:  # the end of row 55
                pass
    return "".join(found)


def _draw_ahead(text: str, chunk: int = 200) -> None:
    """The outlines of these characters in the SC faces, drawn (or read back from the cache) a
    chunk at a time: a document asked for meanwhile waits for one chunk at most (FONT_LOCK)."""
    cps = sorted({ord(c) for c in text})
    store = _glyph_store()
    for start in range(0, len(cps), chunk):
        with FONT_LOCK:
            for face in (SERIF, SANS_BOLD):
                src = source(face)
                if src is not None:
                    src.glyphs(cps[start:start + chunk], store)


@contextmanager
def _drawing_turn():
    """One process at a time draws the documents' words (a lock file beside the glyph cache): on
    a fresh install the workers, all starting together, would otherwise each draw the same
    outlines; after the first, the others read them back from the cache."""
    store = _glyph_store()
    if store.path is None:
        yield
        return
    try:
        store.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(str(store.path) + ".lock", "a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def warm_up() -> float:
    """Do once what the first document of a process otherwise waits for: import WeasyPrint, start
    Pango and fontconfig, open the faces with fontTools and read their character maps, draw the
    outlines of the words every summary and agreement prints and of the 3 755 common hanzi (once
    per install, ~8 s of one core; later workers read them from the glyph cache on disk), and
    render a summary. Needs an app context; touches no database. Returns the seconds it took."""
    started = time.perf_counter()
    specimen = _specimen()
    html = summary_html(specimen, base_url="http://localhost/") + agreement_html(specimen) + _labels()
    with FONT_LOCK:
        for face in (SERIF, SANS_BOLD, *RARE):
            src = source(face)
            if src is not None:  # what drawing a character not cached yet reads first: the character
                src._cmap = src._cmap or src.font.getBestCmap()  # map, then the outlines' tables
                if src._cmap:
                    src._draw(min(src._cmap))
    with _drawing_turn():
        document_fonts(html)  # draws (or reads back) the documents' own words
        _draw_ahead(common_characters())  # and the characters names and facts are mostly made of
    html_to_pdf(summary_html(specimen, base_url="http://localhost/"))
    return time.perf_counter() - started


def start_warm_up(app) -> threading.Thread | None:
    """warm_up() in a thread of its own, so that a new worker answers at once (gunicorn.conf.py
    calls this in each worker as it starts); nothing when PDF_WARM_UP is off. A document asked for
    meanwhile waits for the warm-up's render (RENDER_LOCK), no longer than it would have alone."""
    if not app.config.get("PDF_WARM_UP"):
        return None

    def run():
        with app.app_context():
            try:
                log.info("printed documents warmed up in %.1f s", warm_up())
            except Exception:  # noqa: BLE001 - the first document is then slower, nothing worse
                log.exception("warming up the printed documents failed")

    thread = threading.Thread(target=run, name="pdf-warm-up", daemon=True)
    thread.start()
    return thread


def summary_filename(case: Case) -> str:
    return f"{case.number}-summary.pdf"


def agreement_filename(case: Case) -> str:
    return f"{case.number}-agreement.pdf"
