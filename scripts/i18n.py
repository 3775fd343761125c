"""Keep the translation catalogues in step with the code.

    python scripts/i18n.py            extract, update both catalogues, fill, compile
    python scripts/i18n.py --check    exit 1 if a message has no Chinese translation

Messages are written in English in the code (msgid); Chinese (zh_Hans_CN) is the default
language, so every msgid needs a Chinese msgstr. While several people add screens at once, new
translations may be put in translations/pending/*.tsv (msgid<TAB>Chinese, one a line); this script
moves them into the catalogue.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_Hans_CN", "en")


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def pending() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((TRANSLATIONS / "pending").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                msgid, msgstr = line.split("\t", 1)
                found[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    return found


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str):
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def missing_chinese() -> list[str]:
    catalog = load("zh_Hans_CN")
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog
            if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]


def main() -> int:
    if "--check" in sys.argv:
        missing = missing_chinese()
        for msgid in missing:
            print(f"no Chinese for: {msgid!r}")
        return 1 if missing else 0
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
            "--sort-output", "-o", str(POT), ".")
    for locale in LOCALES:
        if po_path(locale).exists():
            pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--no-fuzzy-matching")
        else:
            pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)
    extra = pending()
    catalog = load("zh_Hans_CN")
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        empty = not message.string or (isinstance(message.string, tuple) and not any(message.string))
        if message.id and empty and key in extra:
            message.string = extra[key] if isinstance(message.id, str) else (extra[key],)
    with po_path("zh_Hans_CN").open("wb") as handle:
        write_po(handle, catalog, no_location=True, sort_output=True, width=0)
    compile_all()
    missing = missing_chinese()
    if missing:
        print(f"{len(missing)} messages still have no Chinese; run with --check to list them")
    return 0


def compile_all() -> None:
    for locale in LOCALES:
        catalog = load(locale)
        with (po_path(locale).with_suffix(".mo")).open("wb") as handle:
            write_mo(handle, catalog)


if __name__ == "__main__":
    if "--compile" in sys.argv:
        compile_all()
        sys.exit(0)
    sys.exit(main())
