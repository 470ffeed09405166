"""What goes wrong before a command can start (a database that is not there, a data directory
that cannot be written), said in one line with what to do, instead of a traceback."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _where() -> str:
    """The configured database, as the user should recognise it."""
    try:
        from mediagate.config import Settings

        return Settings().database.display()
    except Exception:  # the settings themselves are the problem: said elsewhere
        return "the database"


def _in_data_dir(filename: object) -> bool:
    try:
        from pathlib import Path

        from mediagate.config import Settings

        data_dir = Path(Settings().data_dir).absolute()
        path = Path(str(filename)).absolute()
    except Exception:
        return False
    return path == data_dir or data_dir in path.parents


def explain(exc: BaseException) -> str | None:
    """One line for a known start-up problem anywhere in `exc`'s chain; None otherwise."""
    for cause in _chain(exc):
        name = type(cause).__name__
        if name == "InvalidCatalogNameError":  # asyncpg: the database does not exist
            return (
                f"{cause} at {_where()}: create it (`createdb`) or point "
                "MEDIAGATE_DATABASE_URL at an existing one"
            )
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return f"{_where()} refused the login ({cause}): check the user and password"
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return (
                f"cannot reach {_where()}: connection refused. Is PostgreSQL running there, "
                "and is MEDIAGATE_DATABASE_URL right?"
            )
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the database host of {_where()}: {cause.strerror}"
        if isinstance(cause, TimeoutError):
            return f"{_where()} did not answer in time: is the host right and reachable?"
        if name == "OperationalError" and "unable to open database file" in str(cause):
            return (
                f"cannot open {_where()}: its directory is missing or not writable; set "
                "MEDIAGATE_DATA_DIR (or MEDIAGATE_DATABASE_URL) to a writable place"
            )
        if isinstance(cause, PermissionError | FileNotFoundError | NotADirectoryError) and (
            _in_data_dir(cause.filename)
        ):
            return (
                f"cannot write {cause.filename}: {cause.strerror}. Set MEDIAGATE_DATA_DIR to "
                "a directory this user can write"
            )
    return None
