"""Fixtures: an app per database engine (SQLite always, PostgreSQL when TEST_DATABASE_URL names
one), the demo hall, a test client, a live gunicorn server and a headless Chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask_babel import refresh
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from hall import create_app
from hall.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key"


def _backends():
    params = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("TEST_DATABASE_URL"):
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


def _normalise(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _migrate(url: str) -> None:
    """A fresh schema built by the migrations, not by create_all: the migrations are tested too."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()


def _own_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own beside the one
    TEST_DATABASE_URL names (fq_ci → fq_ci_gw0, fq_ci_gw1), created when missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base, name = url.rsplit("/", 1)
    own = f"{name}_{worker}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own}).scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return f"{base}/{own}"


@pytest.fixture(scope="session", params=_backends())
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hall.sqlite3'}"
    else:
        url = _own_database(_normalise(os.environ["TEST_DATABASE_URL"]))
    _migrate(url)
    return url


def _wipe() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class FreshGClient(FlaskClient):
    """The `app` fixture keeps one app context open for the whole test (so tests can use the
    database), and Flask reuses it, with its session, for the client's requests. Clear what a
    request caches on `g` (the locale, the logged-in user) and end the session's transaction so
    that each request starts fresh, as in production."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
            # Each request starts its own transaction, as with a session per request in
            # production; what the test wrote before is committed, as another process would need.
            db.session.commit()
        try:
            return super().open(*args, **kwargs)
        finally:
            if has_app_context():
                db.session.commit()  # and the test goes on in a transaction of its own


@pytest.fixture
def app(db_url):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": SECRET,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "SERVER_NAME": None,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SQLITE_STRICT_WRITES": True,
        "WAIT_ESTIMATE_CACHE_SECONDS": 0,
        "PDF_WARM_UP": False,
    })
    app.test_client_class = FreshGClient
    with app.app_context():
        _wipe()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo(app):
    """The demo hall, as `make run` loads it."""
    from hall.demo import load_demo
    return load_demo()


@pytest.fixture
def client(app):
    """The test client, forgetting the language Flask-Babel cached in the test's app context (g
    outlives a request there, not on a real server), so that each request chooses its own."""
    client = app.test_client()
    send = client.open

    def open_fresh(*args, **kwargs):
        refresh()
        return send(*args, **kwargs)

    client.open = open_fresh
    return client


def svc(hall, code: str):
    """A hall's service by its ticket prefix."""
    from hall import queue
    return queue.service_by_code(hall, code)


def counter(hall, number: int):
    """A hall's counter by its number (3 号窗口)."""
    return next(c for c in hall.counters if c.number == number)


def login(client, username: str, password: str = "hall-demo"):
    return client.post("/admin/login", data={"username": username, "password": password})


def as_user(client, user, lang: str | None = "en") -> None:
    """Log in by session, without the login form (fast); `user` None logs out. In English unless
    `lang` says otherwise (None: the default, Chinese)."""
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        if lang:
            session["lang"] = lang


# ---- a real server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen):
        self.url = url
        self.process = process


def start_gunicorn(db_url: str, workers: int = 2, threads: int = 4, extra_env: dict | None = None,
                   port: int | None = None) -> LiveServer:
    """gunicorn on a free port, or on `port` (a server stopped and started again where its pages
    were opened)."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": SECRET, "SQLITE_STRICT_WRITES": "1",
           "WAIT_ESTIMATE_CACHE_SECONDS": "0", "PDF_WARM_UP": "0",  # gunicorn.conf.py: no warm-up in tests
           **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited")
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("gunicorn did not start")
    return LiveServer(url, process)


@pytest.fixture(scope="session")
def live_server(db_url):
    """gunicorn with several workers on the test database; tests seed it through `app`."""
    server = start_gunicorn(db_url)
    yield server
    server.process.terminate()
    server.process.wait(10)


# ---- a real browser --------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
KIOSK = {"width": 1080, "height": 1920}
BOARD = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
