"""MEDIAGATE_DATABASE_URL: users paste the URL they have, the app picks the driver."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediagate.config import Settings
from mediagate.db.urls import DatabaseURLError, parse_database_url


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://me@db.example:5433/gate",
        "postgres://me@db.example:5433/gate",
        "postgresql+asyncpg://me@db.example:5433/gate",
        "postgresql+psycopg://me@db.example:5433/gate",
    ],
)
def test_postgres_urls_select_asyncpg(raw):
    url = parse_database_url(raw)
    assert url.backend == "postgresql"
    assert url.sqlalchemy_url.drivername == "postgresql+asyncpg"
    assert url.sqlalchemy_url.host == "db.example" and url.sqlalchemy_url.port == 5433
    assert url.dsn == "postgresql://me@db.example:5433/gate"


def test_sslmode_becomes_asyncpg_ssl():
    url = parse_database_url("postgresql://me@h/db?sslmode=require")
    assert dict(url.sqlalchemy_url.query) == {"ssl": "require"}


def test_password_is_hidden_in_display():
    assert "secret" not in parse_database_url("postgresql://me:secret@h/db").display()


def test_sqlite_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = parse_database_url("sqlite:///rel/x.db")
    assert url.backend == "sqlite"
    assert url.sqlite_path == tmp_path / "rel" / "x.db"
    assert url.sqlalchemy_url.drivername == "sqlite+aiosqlite"


@pytest.mark.parametrize(
    "raw", ["mysql://root@h/db", "sqlite://", "sqlite:///:memory:", "not a url", ""]
)
def test_unsupported_urls_say_what_is_wrong(raw):
    with pytest.raises(DatabaseURLError, match="MEDIAGATE_DATABASE_URL"):
        parse_database_url(raw)


def test_default_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDIAGATE_DATABASE_URL", raising=False)
    monkeypatch.setenv("MEDIAGATE_DATA_DIR", str(tmp_path / "data"))
    url = Settings().database
    assert url.backend == "sqlite"
    assert url.sqlite_path == (tmp_path / "data" / "mediagate.db")
    assert isinstance(url.sqlite_path, Path)
