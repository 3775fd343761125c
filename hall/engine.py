"""Database engine rules that the ORM cannot express.

SQLite: write-ahead log, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for every
transaction that may write. A deferred SQLite transaction that reads and then writes fails at
once (SQLITE_BUSY_SNAPSHOT) when another worker wrote in between, without waiting; taking the
write lock at BEGIN makes concurrent writers queue instead. Safe requests (GET, HEAD) only read
and keep the cheaper deferred BEGIN, so boards and phones polling never wait for a writer.
"""
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def configure_engine(engine: Engine) -> None:
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        read_only = has_request_context() and request.method in SAFE_METHODS
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
