"""Database access: URLs, engine, schema, migrations and the dialect-specific parts."""

from mediagate.db.database import Database

__all__ = ["Database"]
