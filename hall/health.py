"""Is this app server fit to serve the hall? What `/healthz` answers, for a load balancer or a
monitor: the database must take a write (not only answer a read: a full disk, a read-only
replica or a writer stuck on SQLite's lock all still answer SELECT 1), and the disk that holds
the data must have room left."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import current_app

from .extensions import db

# How long the check waits for SQLite's write lock: a writer holding it longer than this is a
# hall that cannot take a ticket, so the answer is "unavailable", not a request that hangs.
SQLITE_WAIT_MS = 2000


def _data_directory() -> Path:
    """Where the data is written: the SQLite file's folder, else the instance folder."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return Path(current_app.instance_path)


def disk_problem() -> str | None:
    least = current_app.config["HEALTH_MIN_FREE_MB"]
    folder = _data_directory()
    try:
        free = shutil.disk_usage(folder if folder.exists() else Path.cwd()).free // (1024 * 1024)
    except OSError as error:
        return f"disk: {error.strerror or error}"
    if free < least:
        return f"disk: {free} MB free, less than {least} MB"
    return None


def write_problem() -> str | None:
    """Open a write transaction and roll it back: BEGIN IMMEDIATE on SQLite (which needs the
    write lock and a writable file); on PostgreSQL a transaction id, and neither a read-only
    transaction nor a standby in recovery. The connection is the pool's own, outside the request's session."""
    try:
        raw = db.engine.raw_connection()
    except Exception as error:  # noqa: BLE001 - any failure to connect is the answer
        return f"database: {type(error).__name__}"
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("ROLLBACK")
            finally:
                cursor.execute("PRAGMA busy_timeout=30000")  # what hall/engine.py sets
        else:
            cursor.execute("SELECT current_setting('transaction_read_only'), pg_is_in_recovery(), txid_current()")
            read_only, recovering, _ = cursor.fetchone()
            raw.rollback()
            if read_only == "on" or recovering:
                return "database: read-only"
        return None
    except Exception as error:  # noqa: BLE001
        try:
            raw.rollback()
        except Exception:  # noqa: BLE001
            pass
        return f"database: {str(error).splitlines()[0][:120] if str(error) else type(error).__name__}"
    finally:
        raw.close()


def problems() -> list[str]:
    """What keeps this server from serving the hall; empty when it is fit."""
    return [p for p in (write_problem(), disk_problem()) if p]
