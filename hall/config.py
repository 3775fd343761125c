"""Settings, read from the environment with safe defaults for a single-machine hall."""
import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _secret_key() -> str:
    """A stable secret: SECRET_KEY from the environment, else one kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def database_url(url: str) -> str:
    """postgresql:// and postgres:// name psycopg 3, the driver this project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


def sqlite_synchronous(value: str | None) -> str:
    """SQLite's PRAGMA synchronous. NORMAL (the default): in WAL mode a power cut or an operating
    system crash may lose the last commits (never corrupt the database); FULL syncs the log at
    every commit, so a ticket once issued survives the power cut (docs/benchmarks.md: its cost)."""
    level = (value or "NORMAL").strip().upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}, not {value!r}")
    return level


class Config:
    SECRET_KEY = None  # filled in create_app
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'hall.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # The address phones reach the hall at; the QR codes encode it. Empty: the request's host.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")
    MAX_CONTENT_LENGTH = 64 * 1024  # no request of this issue needs more
    WTF_CSRF_TIME_LIMIT = None  # a kiosk page may stay open all day
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # Fail (instead of risking SQLITE_BUSY) when a request writes after its first commit or in a
    # GET: hall/engine.py. On in the tests and their live servers.
    SQLITE_STRICT_WRITES = os.environ.get("SQLITE_STRICT_WRITES") == "1"
    # NORMAL or FULL: whether a power cut may lose the last commits (sqlite_synchronous above).
    SQLITE_SYNCHRONOUS = sqlite_synchronous(os.environ.get("SQLITE_SYNCHRONOUS"))
    # /healthz answers 503 when the disk holding the data has less than this many MB free.
    HEALTH_MIN_FREE_MB = int(os.environ.get("HEALTH_MIN_FREE_MB", "200"))
    # werkzeug's default, scrypt; the tests use a cheap method to stay fast.
    PASSWORD_HASH_METHOD = "scrypt"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # How many reverse proxies in front of the app to trust for the client's address
    # (X-Forwarded-For): the rate limits count per address. 0: served directly.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Average minutes a ticket takes when a service has no history yet.
    DEFAULT_SERVICE_MINUTES = 10
    # How long a worker may reuse a service's wait-estimate inputs (recent average, counters open).
    WAIT_ESTIMATE_CACHE_SECONDS = int(os.environ.get("WAIT_ESTIMATE_CACHE_SECONDS", "10"))
    # How many recent finished tickets the wait estimate averages over.
    WAIT_SAMPLE_SIZE = 20
    # Seconds between polls of the board and the phone page.
    BOARD_POLL_SECONDS = 1
    PHONE_POLL_SECONDS = 3
    CONSOLE_POLL_SECONDS = 2
    # Warm up the printed documents (fonts, WeasyPrint) in each gunicorn worker as it starts
    # (gunicorn.conf.py, hall.documents.start_warm_up), so that its first PDF is as quick as the
    # next. PDF_WARM_UP=0 turns it off (the tests' servers do).
    PDF_WARM_UP = os.environ.get("PDF_WARM_UP", "1") != "0"
