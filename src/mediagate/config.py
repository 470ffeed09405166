"""Service configuration, read from `MEDIAGATE_*` environment variables."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mediagate.db.urls import DatabaseURL, parse_database_url
from mediagate.webhooks.schedule import DEFAULT_SCHEDULE, parse_schedule


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIAGATE_", extra="ignore")

    data_dir: Path = Field(default=Path(".mediagate"), description="Where SQLite and files live.")
    database_url: str | None = Field(
        default=None,
        description="sqlite:///path or postgresql://user@host/db; default SQLite in data_dir",
    )
    host: str = Field(default="127.0.0.1", description="Interface `serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` listens on.")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted (413 past it)."
    )
    rate_limit_per_minute: int = Field(
        default=0,
        ge=0,
        description="Requests a minute per API key (a 429 past it); 0: no limit. On "
        "PostgreSQL one bucket per key in the database, shared by every API process (one "
        "write per request while a limit is set); on SQLite in the one API process.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="debug, info, warning or error (the processes' log)."
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="The log's lines: text, or json (one object per line: time, level, logger, "
        "message and fields such as task_id, provider, step, outcome).",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="On stop, how long `serve` lets requests in flight finish before it closes "
        "them (open event streams among them; their clients resume with Last-Event-ID).",
    )

    # Events and streams.
    sse_heartbeat_seconds: float = Field(
        default=10.0, gt=0, le=15, description="Longest silence on an event stream (SSE)."
    )
    events_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="How often each API process reads the event log when nothing woke it "
        "(SQLite has no NOTIFY; on PostgreSQL a fallback).",
    )

    # Webhooks.
    webhook_concurrency: int = Field(
        default=64,
        ge=0,
        description="Concurrent webhook deliveries per worker process, in slots of their own "
        "(never task step slots); 0: this process delivers none.",
    )
    webhook_lane_concurrency: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="Deliveries in flight at once to one endpoint (or to one account's "
        "callback URLs), so a slow receiver delays no one else.",
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, gt=0, le=300, description="How long a receiver has to answer a delivery."
    )
    webhook_retry_schedule: str = Field(
        default=DEFAULT_SCHEDULE,
        description="Delays before each retry of a failed delivery (jittered; a longer "
        "Retry-After wins), e.g. 5s,5m,30m,2h; after the last the delivery is failed.",
    )

    # The engine.
    workers: int = Field(default=16, ge=0, description="Concurrent task steps per process.")
    lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="How long a worker holds a task's step; a dead worker's tasks are taken "
        "over once it runs out.",
    )
    idle_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How often an idle worker looks for due tasks when nothing woke it.",
    )
    max_attempts: int = Field(default=6, ge=1, le=100, description="Tries of one step.")
    max_poll_interval_seconds: float = Field(
        default=120.0,
        ge=1,
        le=3600,
        description="The longest wait between two polls of a job at its provider (the "
        "provider's ETA is trusted up to this); lower it for fresher progress of unwatched "
        "tasks at the cost of more provider calls.",
    )
    watched_poll_seconds: float = Field(
        default=3.0,
        ge=0.5,
        le=60,
        description="A task someone follows (read while queued or running, or an open stream "
        "of it) is polled at the provider at least this often; others on the provider's ETA.",
    )
    provider_concurrency: dict[str, int] = Field(
        default_factory=dict,
        description='Concurrent provider calls per process, e.g. {"kling": 4}; default 16.',
    )
    account_concurrency: int = Field(
        default=0,
        ge=0,
        description="Tasks of one account in flight at one provider at most, across all "
        "processes; the rest wait pending, in turn (never a 429). 0: no limit. Per account: "
        "`mediagate accounts set ACCOUNT --concurrency N`.",
    )
    max_result_bytes: int = Field(
        default=2 * 1024**3,
        ge=1024,
        description="Largest result file copied from a provider; a larger one fails the task.",
    )
    provider_plugins: list[str] = Field(
        default_factory=list,
        description='Extra providers, as ["package.module:factory"]; factory(settings) -> '
        "Provider. Loaded by API and worker processes alike, so both know their models.",
    )

    # Remote providers: credentials and base URLs. A provider without credentials serves
    # sandbox (mg_test_) tasks only, on the built-in simulator.
    vidu_api_key: SecretStr | None = Field(default=None, description="Vidu API key.")
    vidu_base_url: str = Field(
        default="https://api.vidu.com", description="Vidu's API (a simulator's, in tests)."
    )
    kling_access_key: SecretStr | None = Field(default=None, description="Kling access key.")
    kling_secret_key: SecretStr | None = Field(default=None, description="Kling secret key.")
    kling_base_url: str = Field(
        default="https://api-singapore.klingai.com",
        description="Kling's API (a simulator's, in tests).",
    )
    seedance_api_key: SecretStr | None = Field(
        default=None, description="BytePlus ModelArk API key for Seedance."
    )
    seedance_base_url: str = Field(
        default="https://ark.ap-southeast.bytepluses.com/api/v3",
        description="Seedance (BytePlus ModelArk)'s API (a simulator's, in tests).",
    )
    seedream_api_key: SecretStr | None = Field(
        default=None, description="BytePlus ModelArk API key for Seedream."
    )
    seedream_base_url: str = Field(
        default="https://ark.ap-southeast.bytepluses.com/api/v3",
        description="Seedream (BytePlus ModelArk)'s API (a simulator's, in tests).",
    )
    gemini_api_key: SecretStr | None = Field(default=None, description="Gemini API key.")
    gemini_base_url: str = Field(
        default="https://generativelanguage.googleapis.com",
        description="Gemini / Veo's API (a simulator's, in tests).",
    )
    vidgo_api_key: SecretStr | None = Field(default=None, description="vidgo API key.")
    vidgo_base_url: str = Field(
        default="https://api.vidgo.ai", description="vidgo's API (a simulator's, in tests)."
    )
    tripo_api_key: SecretStr | None = Field(default=None, description="Tripo API key.")
    tripo_base_url: str = Field(
        default="https://openapi.tripo3d.ai", description="Tripo's API (a simulator's, in tests)."
    )
    sandbox_simulator_url: str | None = Field(
        default=None,
        description="Where the sandbox (mg_test_ keys) finds its provider simulator: a "
        "`mediagate simulator` (http://sim.internal:8900) that every worker reaches. Default: "
        "one in each process, its jobs kept in the data directory, which worker hosts must "
        "then share.",
    )
    provider_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Longest wait for one provider answer."
    )
    fetch_private_urls: bool = Field(
        default=False,
        description="Connect to private, loopback and other non-public addresses for URLs the "
        "gateway did not choose (input images it downloads, provider outputs off the "
        "provider's host, webhook and callback URLs); off: such addresses are refused.",
    )
    fallbacks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Fallback providers per model, tried in order when a submit fails as "
        'unavailable or retryable, e.g. {"veo-3.1-fast-generate-preview": ["vidgo"]}; '
        "replaces the catalog's default for that model.",
    )

    # Results.
    public_url: str | None = Field(
        default=None,
        description="How clients reach the gateway (https://media.example.com), for result URLs; "
        "default: the URL of each request (its Host header). Set it in production: webhook "
        "payloads, made without a request, need it for their result URLs.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Host names the gateway answers to, e.g. ["media.example.com", '
        '"*.example.com"]; a request with another Host header is refused (400). Empty: any.',
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, `GET /metrics` requires `Authorization: Bearer <token>` (it "
        "shows every account's task counts).",
    )
    files_dir: Path | None = Field(
        default=None, description="Local result files; default data_dir/files."
    )
    s3_bucket: str | None = Field(default=None, description="Store results in this S3 bucket.")
    s3_endpoint_url: str | None = Field(
        default=None, description="An S3-compatible endpoint (MinIO, R2...); default AWS."
    )
    s3_region: str = Field(default="us-east-1", description="The bucket's region.")
    s3_access_key_id: str | None = Field(
        default=None, description="S3 credentials; default boto3's (environment, role)."
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="The secret of s3_access_key_id."
    )
    s3_prefix: str = Field(default="", description="A key prefix for every stored object.")
    s3_path_style: bool | None = Field(
        default=None,
        description="Path-style S3 URLs (most S3-compatible stores); default: on with an "
        "endpoint URL, off for AWS.",
    )
    url_ttl_seconds: int = Field(
        default=900, ge=1, le=7 * 86400, description="How long a signed result URL is valid."
    )
    result_retention: timedelta = Field(
        default=timedelta(days=7),
        description="How long results are kept (ISO 8601 duration like P7D, or seconds); then "
        "deleted and the task `expired`.",
    )
    openai_images_wait_seconds: float = Field(
        default=300,
        gt=0,
        le=3600,
        description="How long `POST /v1/images/generations` waits for its images before "
        "answering a timeout (504) that names the tasks to follow.",
    )

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @cached_property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        """`webhook_retry_schedule` in seconds."""
        return parse_schedule(self.webhook_retry_schedule)

    @cached_property
    def database(self) -> DatabaseURL:
        raw = self.database_url or f"sqlite:///{(self.data_dir / 'mediagate.db').resolve()}"
        return parse_database_url(raw)

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
