"""Turn the URL a user pastes into what SQLAlchemy and the drivers need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

Backend = Literal["sqlite", "postgresql"]


class DatabaseURLError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseURL:
    backend: Backend
    sqlalchemy_url: URL
    #: libpq-style DSN for asyncpg (PostgreSQL only).
    dsn: str | None = None
    #: file path of the SQLite database (SQLite only).
    sqlite_path: Path | None = None

    def display(self) -> str:
        return self.sqlalchemy_url.render_as_string(hide_password=True)


def parse_database_url(raw: str) -> DatabaseURL:
    """Accept `postgresql://`, `postgres://`, `postgresql+asyncpg://`, `sqlite:///path`.

    The async driver is picked here, so users paste the URL they have. libpq's `sslmode`
    becomes asyncpg's `ssl`.
    """
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise DatabaseURLError(f"MEDIAGATE_DATABASE_URL is not a database URL: {exc}") from None
    scheme = url.drivername.split("+", 1)[0]
    if scheme in ("postgresql", "postgres"):
        query = dict(url.query)
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        url = url.set(drivername="postgresql+asyncpg", query=query)
        dsn_url = url.set(drivername="postgresql")
        return DatabaseURL("postgresql", url, dsn=dsn_url.render_as_string(hide_password=False))
    if scheme == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseURLError(
                "MEDIAGATE_DATABASE_URL: SQLite needs a file path (sqlite:///path/to/file.db); "
                "an in-memory database would lose every task"
            )
        path = Path(url.database).expanduser().resolve()
        return DatabaseURL(
            "sqlite", url.set(drivername="sqlite+aiosqlite", database=str(path)), sqlite_path=path
        )
    raise DatabaseURLError(
        f"MEDIAGATE_DATABASE_URL: unsupported database {scheme!r}; use sqlite:/// or postgresql://"
    )
