from hall import create_app


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    # A SQLite path inside a missing directory cannot be opened.
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


def test_healthz_answers_503_when_the_disk_is_nearly_full(app, client):
    app.config["HEALTH_MIN_FREE_MB"] = 10 ** 12  # more than any disk has free
    response = client.get("/healthz")
    assert response.status_code == 503 and response.headers["Retry-After"]
    body = response.get_json()
    assert body["status"] == "unavailable" and any(r.startswith("disk:") for r in body["reasons"])


def test_healthz_answers_503_when_the_database_cannot_take_a_write(app, client):
    """A SELECT still answers while another writer holds SQLite's write lock (or PostgreSQL is
    read-only): the check opens a write transaction, and says why it could not."""
    from hall.extensions import db
    if db.engine.dialect.name == "sqlite":
        import sqlite3
        holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            response = client.get("/healthz")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        from sqlalchemy import text
        name = db.engine.url.database
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        db.engine.dispose()  # new connections read the setting
        try:
            response = client.get("/healthz")
        finally:
            db.engine.dispose()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SET default_transaction_read_only = off"))
                conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
            db.engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert [r for r in body["reasons"] if r.startswith("database:")], body
    assert client.get("/healthz").status_code == 200, "healthy again once the lock is gone"
