"""Chinese is the default language: every message the code can show has a Chinese translation,
and the catalogue is in step with the code."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_message_in_the_code_is_in_the_chinese_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    in_code = msgids(pot)
    catalogue = msgids(ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po")
    assert in_code - catalogue == set(), "run: python scripts/i18n.py"


def test_every_message_has_chinese():
    result = subprocess.run([sys.executable, "scripts/i18n.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
