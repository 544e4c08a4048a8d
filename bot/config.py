"""Settings, read from the environment and `.env` (every name starts with ORBITDESK_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the bot reads. The README's settings table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="ORBITDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Storage
    data_dir: Path = Field(Path("data"), description="Where the SQLite file and caches live.")
    cache_dir: Path | None = Field(None, description="yfinance's cache; default DATA_DIR/cache.")
    calendar_cache_dir: Path | None = Field(
        None, description="Exchange session tables; default CACHE_DIR/calendars."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite+aiosqlite:///DATA_DIR/orbitdesk.db."
    )

    # Market data
    yahoo_base_url: str | None = Field(
        None, description="Send every Yahoo request to {base}/HOST/PATH (mirrors, tests)."
    )
    yahoo_timeout: float = Field(2.0, gt=0, le=60, description="Cap per Yahoo HTTP request, s.")
    yahoo_workers: int = Field(4, ge=1, le=64, description="Threads running Yahoo requests.")
    quote_budget: float = Field(2.5, gt=0, le=60, description="Longest a quote waits, s.")
    command_timeout: float = Field(3.0, gt=0, le=120, description="Default command deadline, s.")
    shutdown_grace: float = Field(
        10.0, ge=0, le=300, description="On SIGTERM, how long commands under way may finish, s."
    )

    # Scaling out: what replicas share (optional; one process needs none of it)
    redis_url: SecretStr | None = Field(
        None,
        description="Redis for replicas: shared market cache, fetch locks, Yahoo cool-down, "
        "Slack de-duplication. Unset: each process keeps its own.",
    )
    redis_key_prefix: str = Field(
        "orbitdesk:", max_length=100, description="Starts every key OrbitDesk writes to Redis."
    )

    # Schedules and alerts
    max_schedules_per_channel: int = Field(
        25, ge=1, le=1000, description="Most schedules one channel may hold."
    )
    max_alerts_per_channel: int = Field(
        50, ge=1, le=5000, description="Most price alerts one channel may hold."
    )
    max_watchlist_symbols: int = Field(
        50,
        ge=1,
        le=500,
        description="Most symbols one watchlist (a person's or a channel's) holds.",
    )
    schedule_grace_minutes: int = Field(
        15, ge=0, le=1440, description="Missed slots younger than this post once after downtime."
    )
    schedule_lease_seconds: int = Field(
        45,
        ge=5,
        le=3600,
        description="A scheduled post claimed by a process that stopped is taken over after this.",
    )
    schedule_retry_seconds: float = Field(
        30, ge=1, le=3600, description="First pause before re-trying a failed post; doubles after."
    )
    schedule_max_attempts: int = Field(
        4, ge=1, le=20, description="Attempts at one scheduled post before it is given up."
    )
    alert_poll_seconds: int = Field(
        60, ge=10, le=3600, description="How often alerts are checked while markets are open, s."
    )
    alert_rearm_percent: float = Field(
        0.5, ge=0, le=50, description="How far back past its line a price must go to re-arm, %."
    )

    # Cashtags ($TSLA in a message), in channels where a channel manager turned them on
    cashtag_max_symbols: int = Field(
        3, ge=1, le=10, description="Most cashtagged symbols one message is answered for."
    )
    cashtag_per_minute: int = Field(
        6, ge=1, le=120, description="Most cashtag answers one channel gets per minute."
    )

    # EDGAR deal watch
    sec_user_agent: str | None = Field(
        None,
        description="Who polls the SEC: 'Name or company contact@email'; unset = deal watch off.",
    )
    edgar_base_url: str | None = Field(
        None, description="Send every SEC request to {base}/HOST/PATH (mirrors, tests)."
    )
    edgar_poll_minutes: int = Field(
        30, ge=5, le=1440, description="How often the deal watch polls EDGAR on US business days."
    )
    edgar_rate: float = Field(
        2.0, gt=0, le=8, description="Most SEC requests per second, all hosts (SEC limit: 10)."
    )

    # Logging
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["plain", "json"] = Field("plain", description="plain or json.")

    # Discord
    discord_token: SecretStr | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    discord_guild_id: int | None = None
    discord_shards: str | None = None
    # Several processes sharing one bot: each runs some shards ("0-3", "0,2") of SHARD_COUNT.
    discord_shard_ids: str | None = Field(
        None, description="The shards this process runs, e.g. 0-3 or 0,2 (needs SHARD_COUNT)."
    )
    discord_shard_count: int | None = Field(
        None, ge=1, le=10_000, description="Shards of the whole bot, across every process."
    )
    discord_ack_grace: float = Field(
        0.1, ge=0, le=1.0, description="Answer directly if ready this fast, else defer, s."
    )
    # Cashtags on Discord need the privileged Message Content intent (Developer Portal > Bot).
    discord_message_content: bool = Field(
        False, description="Ask Discord for message content (cashtags); privileged intent."
    )

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_mode: Literal["socket", "http"] = "socket"
    slack_api_base: str | None = None
    slack_admins: str = ""
    # Distribution (OAuth, many workspaces, HTTP mode only): all three set, no bot token.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    # Who sees a successful answer: the whole channel, or only the person who asked.
    # Errors are always visible only to the person who asked.
    slack_answer_visibility: Literal["in_channel", "ephemeral"] = "in_channel"
    slack_ack_grace: float = Field(
        0.1, ge=0, le=1.0, description="Ack with the answer if ready this fast, else follow up, s."
    )

    # HTTP (Slack HTTP mode, health and metrics)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return upper

    @field_validator(
        "slack_client_id",
        "slack_client_secret",
        "slack_state_secret",
        "discord_shard_ids",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`NAME=` in a .env file (compose templates) means unset, not an empty secret."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("sec_user_agent")
    @classmethod
    def _agent(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if "@" not in value:
            raise ValueError("the SEC wants a name and a contact email, e.g. 'Acme ops@acme.com'")
        return value.strip()

    @field_validator("yahoo_base_url", "discord_api_base", "slack_api_base", "edgar_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def resolved_calendar_cache_dir(self) -> Path:
        return self.calendar_cache_dir or self.resolved_cache_dir / "calendars"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'orbitdesk.db'}"

    @property
    def discord_configured(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_oauth(self) -> bool:
        """Installable in many workspaces (any OAuth setting set; the adapter checks the rest)."""
        return any(
            v is not None
            for v in (self.slack_client_id, self.slack_client_secret, self.slack_state_secret)
        )

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None or self.slack_oauth
