"""Database engine rules that the ORM cannot express.

SQLite: write-ahead log, PRAGMA synchronous as SQLITE_SYNCHRONOUS says (NORMAL unless a hall
sets FULL: hall/config.py), a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for every
transaction that may write. A deferred SQLite transaction that reads and then writes fails at
once (SQLITE_BUSY_SNAPSHOT) when another worker wrote in between, without waiting; taking the
write lock at BEGIN makes concurrent writers queue instead. Safe requests (GET, HEAD) only read
and keep the cheaper deferred BEGIN, so boards and phones polling never wait for a writer.
A request writes in one transaction, its first: what it reads after that COMMIT (to render the
answer) uses a deferred BEGIN too, so the next writer need not wait for the rendering. The tests
run with SQLITE_STRICT_WRITES, which fails any write made in such a read-only transaction.
One exception: the end of a hall's day (hall/dayend.py), which any request may find due, runs in
a transaction of its own that takes the write lock (g._hall_write_now), even under a GET; when
another writer holds the lock it does not wait (WriteLockBusy): the next request ends the day.

Writers queue on a file lock (flock) beside the database before they BEGIN IMMEDIATE. SQLite's
own busy handler waits by sleeping and polling (1, 2, 5 … 100 ms), so under contention a writer
can sleep long after the lock came free: 2 s tails at 8 clients were measured. The kernel wakes a
flock waiter the moment the lock is released, across threads and gunicorn workers alike. The
lock is released when the connection goes back to the pool, after its COMMIT or ROLLBACK.
"""
import fcntl
import os

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCK = "write_lock_fd"
HELD = "write_lock_held"
DEFERRED = "deferred"
WRITES = ("insert", "update", "delete", "replace")


class WriteLockBusy(Exception):
    """Another writer holds SQLite's write lock, and this transaction chose not to wait."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _lock_path(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + ".writelock"


def configure_engine(engine: Engine, synchronous: str = "NORMAL") -> None:
    """`synchronous`: SQLite's PRAGMA synchronous, the SQLITE_SYNCHRONOUS setting (hall/config.py)."""
    if not is_sqlite(engine):
        return
    from .config import sqlite_synchronous
    synchronous = sqlite_synchronous(synchronous)
    lock_path = _lock_path(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # one of a fixed list
        cursor.close()
        if lock_path and os.path.isdir(os.path.dirname(lock_path) or "."):
            record.info[LOCK] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        info = connection.connection.info
        if (has_request_context() and not g.get("_hall_write_now")
                and (request.method in SAFE_METHODS or g.get("_hall_committed"))):
            info[DEFERRED] = True
            connection.exec_driver_sql("BEGIN")
            return
        info[DEFERRED] = False
        if LOCK in info and not info.get(HELD):
            if has_request_context() and g.get("_hall_write_now"):
                # The day's end on the way to a page: never wait behind a writer for it, the
                # next request does it (hall/dayend.py).
                try:
                    fcntl.flock(info[LOCK], fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise WriteLockBusy() from None
            else:
                fcntl.flock(info[LOCK], fcntl.LOCK_EX)  # releases the GIL while it waits
            info[HELD] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def _on_commit(_connection):
        if has_request_context():
            g._hall_committed = True

    @event.listens_for(engine, "before_cursor_execute")
    def _check_write(connection, _cursor, statement, _parameters, _context, _executemany):
        if (connection.connection.info.get(DEFERRED) and has_request_context()
                and current_app.config.get("SQLITE_STRICT_WRITES")
                and statement.lstrip()[:7].lower().startswith(WRITES)):
            raise RuntimeError(f"a write in a read-only transaction of {request.method} {request.path}: "
                               "write in the request's first transaction (hall/engine.py)")

    def _release(record) -> None:
        if record.info.pop(HELD, False):
            fcntl.flock(record.info[LOCK], fcntl.LOCK_UN)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        _release(record)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection, record):
        _release(record)
        if LOCK in record.info:
            os.close(record.info.pop(LOCK))
