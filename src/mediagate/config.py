"""Service configuration, read from `MEDIAGATE_*` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from mediagate.db.urls import DatabaseURL, parse_database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIAGATE_", extra="ignore")

    data_dir: Path = Field(default=Path(".mediagate"), description="Where SQLite and files live.")
    database_url: str | None = Field(
        default=None,
        description="sqlite:///path or postgresql://user@host/db; default SQLite in data_dir",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_level: str = "info"

    @cached_property
    def database(self) -> DatabaseURL:
        raw = self.database_url or f"sqlite:///{(self.data_dir / 'mediagate.db').resolve()}"
        return parse_database_url(raw)

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
