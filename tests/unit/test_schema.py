"""The migrations build exactly the schema the models describe, on each engine."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hall.extensions import db


def test_migrations_match_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_with_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        synchronous = {"NORMAL": 1, "FULL": 2, "EXTRA": 3}[app.config["SQLITE_SYNCHRONOUS"]]
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == synchronous  # the setting
