"""The yardsticks, served by gunicorn with the same flags as the hall:

* POST /ping: the smallest Flask app that reads a JSON body and answers JSON;
* POST /write: the same, plus the cheapest durable write there is (one INSERT and COMMIT with
  Python's sqlite3 in WAL mode, no ORM): the floor of any endpoint that stores something;
* POST /floor/<hall>: the same, plus every statement a ticket needs, hand-written for Python's
  sqlite3 against the hall's own schema (TRIVIAL_HALL_DB, made by the migrations, with the demo
  hall): hall and service, the day's number, the ticket, its event, the queue's version, the
  people ahead, COMMIT. No framework but Flask, no ORM, no rules (opening hours, a paused
  service, request keys, rate limits): the least a ticket can cost in Python on SQLite.

The ticket endpoint's figures are read beside them."""
import os
import secrets
import sqlite3
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, jsonify, request

app = Flask(__name__)
DB = os.environ.get("TRIVIAL_DB", "/tmp/fq-trivial-write.sqlite3")
HALL_DB = os.environ.get("TRIVIAL_HALL_DB", "")
_local = threading.local()


def _connection() -> sqlite3.Connection:
    if not hasattr(_local, "db"):
        db = sqlite3.connect(DB, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY, service TEXT)")
        _local.db = db
    return _local.db


@app.route("/ping", methods=["GET", "POST"])
def ping():
    body = request.get_json(silent=True) or {}
    return jsonify(ok=True, service=body.get("service")), 201 if request.method == "POST" else 200


@app.post("/write")
def write():
    body = request.get_json(silent=True) or {}
    db = _connection()
    db.execute("BEGIN IMMEDIATE")
    row = db.execute("INSERT INTO hit (service) VALUES (?) RETURNING id", (body.get("service"),)).fetchone()
    db.execute("COMMIT")
    return jsonify(ok=True, id=row[0]), 201


def _hall_connection() -> sqlite3.Connection:
    if not hasattr(_local, "hall_db"):
        db = sqlite3.connect(HALL_DB, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        _local.hall_db = db
    return _local.hall_db


@app.post("/floor/<hall>")
def floor(hall):
    body = request.get_json(silent=True) or {}
    db = _hall_connection()
    db.execute("BEGIN IMMEDIATE")
    try:
        hall_id, tz, service_id, code = db.execute(
            "SELECT hall.id, hall.timezone, service.id, service.code FROM hall JOIN service"
            " ON service.hall_id = hall.id WHERE hall.slug = ? AND service.code = ?",
            (hall, body.get("service"))).fetchone()
        now = datetime.now(timezone.utc)
        day = now.astimezone(ZoneInfo(tz)).date().isoformat()
        (number,) = db.execute(
            "INSERT INTO ticket_sequence (hall_id, service_id, day, last_number) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (hall_id, service_id, day) DO UPDATE SET last_number = last_number + 1"
            " RETURNING last_number", (hall_id, service_id, day)).fetchone()
        at = now.replace(tzinfo=None).isoformat(sep=" ")
        token = secrets.token_urlsafe(16)
        (ticket_id,) = db.execute(
            "INSERT INTO ticket (hall_id, service_id, day, code, number, token, status, priority,"
            " channel, queued_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'waiting', 0, 'api', ?, ?)"
            " RETURNING id", (hall_id, service_id, day, code, number, token, at, at)).fetchone()
        db.execute("INSERT INTO ticket_event (hall_id, ticket_id, action, to_status, at, note)"
                   " VALUES (?, ?, 'issue', 'waiting', ?, '')", (hall_id, ticket_id, at))
        db.execute("UPDATE hall SET queue_version = queue_version + 1 WHERE id = ?", (hall_id,))
        (ahead,) = db.execute(
            "SELECT count(*) FROM ticket WHERE hall_id = ? AND status = 'waiting' AND service_id = ?"
            " AND (priority = 1 OR queued_at < ? OR (queued_at = ? AND id < ?))",
            (hall_id, service_id, at, at, ticket_id)).fetchone()
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return jsonify(number=f"{code}{number:03d}", token=token, ahead=ahead), 201
