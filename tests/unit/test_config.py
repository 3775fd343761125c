import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine

from hall.config import database_url, sqlite_synchronous
from hall.engine import configure_engine


def test_plain_postgresql_urls_use_psycopg_3():
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_sqlite_synchronous_is_a_setting_normal_unless_full_is_asked_for():
    assert sqlite_synchronous(None) == sqlite_synchronous("") == "NORMAL"
    assert sqlite_synchronous(" full ") == "FULL"
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        sqlite_synchronous("OFF")  # never: a crash could corrupt the database
    read = "from hall.config import Config; print(Config.SQLITE_SYNCHRONOUS)"
    for value, expected in (("FULL", "FULL"), (None, "NORMAL")):
        env = {k: v for k, v in os.environ.items() if k != "SQLITE_SYNCHRONOUS"}
        if value:
            env["SQLITE_SYNCHRONOUS"] = value
        out = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


@pytest.mark.parametrize("setting, pragma", [("NORMAL", 1), ("FULL", 2)])
def test_every_sqlite_connection_syncs_as_the_setting_says(tmp_path, setting, pragma):
    engine = create_engine(f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    configure_engine(engine, setting)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == pragma
    engine.dispose()
