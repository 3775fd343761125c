"""The yardsticks, served by gunicorn with the same flags as the hall:

* POST /ping: the smallest Flask app that reads a JSON body and answers JSON;
* POST /write: the same, plus the cheapest durable write there is (one INSERT and COMMIT with
  Python's sqlite3 in WAL mode, no ORM): the floor of any endpoint that stores something.

The ticket endpoint's figures are read beside them."""
import os
import sqlite3
import threading

from flask import Flask, jsonify, request

app = Flask(__name__)
DB = os.environ.get("TRIVIAL_DB", "/tmp/fq-trivial-write.sqlite3")
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
