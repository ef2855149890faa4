"""Every setting of the bot, read once from the environment (and a ``.env`` file).

Names in the contract (``docs/contract.md``) must not drift; every other knob follows
the same style and is documented in the README and ``.env.example``.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The client owns its limits and defaults; the settings take theirs from it (one source).
from bot.crowdtwist.defaults import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_CACHE_MAX_ENTRIES,
    DEFAULT_CACHE_TTL_SECONDS,
    DEFAULT_MAIN_CACHE_TTL_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_PREFETCHES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_AFTER_MAX_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
)
from bot.crowdtwist.defaults import (
    DEFAULT_MAX_RESPONSE_BYTES as DEFAULT_MAX_RESPONSE_BYTES,  # re-exported from its old home
)

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SANDBOX_API_KEY = "sandbox-key"


class Mode(StrEnum):
    """How the bot meets Slack."""

    SOCKET = "socket"
    HTTP = "http"
    PLAYGROUND = "playground"


class EventLoop(StrEnum):
    """Which event loop runs the bot (``EVENT_LOOP``); see :mod:`bot.eventloop`."""

    AUTO = "auto"
    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


class ReplyVisibility(StrEnum):
    """Who sees a reply: only the person asking, or the whole channel."""

    EPHEMERAL = "ephemeral"
    IN_CHANNEL = "in_channel"


class ConfigError(Exception):
    """A setting is wrong or missing; the message names the variable and what is expected."""


def _split_ids(value: Any) -> Any:
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    return value


class Settings(BaseSettings):
    """The bot's configuration; see the README for what each variable does."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    host: str = "0.0.0.0"  # noqa: S104 - HTTP mode serves Slack from outside the machine
    port: int = Field(default=3000, ge=1, le=65535)

    # CrowdTwist
    crowdtwist_api_key: SecretStr | None = None
    crowdtwist_base_url: str | None = None
    crowdtwist_environment: str = ""
    crowdtwist_client_id: str | None = None
    crowdtwist_sandbox: bool = False
    crowdtwist_timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=120)
    crowdtwist_max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=10)
    crowdtwist_backoff_seconds: float = Field(default=DEFAULT_BACKOFF_SECONDS, ge=0, le=30)
    crowdtwist_retry_after_max_seconds: float = Field(
        default=DEFAULT_RETRY_AFTER_MAX_SECONDS, ge=0, le=120
    )
    crowdtwist_max_connections: int = Field(default=DEFAULT_MAX_CONNECTIONS, ge=1, le=1000)
    # One budget for every replica (prefetches included); the contract caps a program at
    # 10,000 requests a minute, and the bot is not the program's only client. 0: no budget.
    crowdtwist_rate_limit_per_minute: int = Field(default=6000, ge=0, le=1_000_000)
    crowdtwist_max_response_bytes: int = Field(
        default=DEFAULT_MAX_RESPONSE_BYTES, ge=64 * 1024, le=1024**3
    )
    # The program's main API host (User Points); unset: derived from the POS settings
    crowdtwist_main_url: str | None = None
    member_summary_enabled: bool = True
    """The card's points line and the Points ledger (User Points on the main host)."""
    member_summary_ttl_seconds: float = Field(default=DEFAULT_MAIN_CACHE_TTL_SECONDS, ge=0, le=3600)

    # Caching and speed
    cache_ttl_seconds: float = Field(default=DEFAULT_CACHE_TTL_SECONDS, ge=0, le=86_400)
    cache_max_entries: int = Field(default=DEFAULT_CACHE_MAX_ENTRIES, ge=0, le=1_000_000)
    prefetch_adjacent_pages: bool = True
    prefetch_max_concurrent: int = Field(default=DEFAULT_MAX_PREFETCHES, ge=0, le=1000)

    # Several replicas: shared cache, coalescing and budget on Redis (unset: all in-process)
    redis_url: SecretStr | None = None
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=10)

    # Replies
    reply_visibility: ReplyVisibility = ReplyVisibility.EPHEMERAL
    sharing_enabled: bool = True
    """A private card carries a Share button that posts it visibly where it was asked."""

    # App Home: an agent's recent lookups (0 turns the list off)
    recent_lookups_hours: int = Field(default=24, ge=0, le=24 * 30)

    # Who may use it
    allowed_slack_user_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    allowed_slack_channel_ids: Annotated[frozenset[str], NoDecode] = frozenset()

    # Audit and logs
    audit_channel_id: str | None = None
    audit_hash_key: SecretStr | None = None
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")

    # Export
    export_max_pages: int = Field(default=50, ge=1, le=10_000)
    export_concurrency: int = Field(default=5, ge=1, le=50)

    # Bolt switches to multi-workspace OAuth when these two are set; this bot is single-workspace.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None

    # Operations: Prometheus metrics on PORT beside /healthz (a token makes them need it)
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None

    # Lifecycle
    event_loop: EventLoop = EventLoop.AUTO
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=600)

    _split_user_ids = field_validator("allowed_slack_user_ids", mode="before")(_split_ids)
    _split_channel_ids = field_validator("allowed_slack_channel_ids", mode="before")(_split_ids)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("crowdtwist_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return _origin(value, "https://pos12.crowdtwist.com")

    @field_validator("crowdtwist_main_url")
    @classmethod
    def _main_url(cls, value: str | None) -> str | None:
        return _origin(value, "https://api12.crowdtwist.com")

    @field_validator("crowdtwist_environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        value = value.strip()
        if value and not all(c.isalnum() or c == "-" for c in value):
            raise ValueError("expected a host prefix such as sb- or us2- (or empty)")
        return value

    @field_validator("crowdtwist_client_id")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().isdigit():
            raise ValueError("expected the program's number, such as 12")
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value().strip()
        if not url.startswith(("redis://", "rediss://")) or len(url) <= len("rediss://"):
            raise ValueError("expected redis://host:6379/0 (or rediss:// for TLS)")
        return SecretStr(url)

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("expected an app-level token starting with xapp-")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        mode = self.mode
        if mode is not Mode.PLAYGROUND and self.slack_bot_token is None:
            raise ValueError(
                "SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN or "
                "SLACK_SIGNING_SECRET is set (expected xoxb-…)"
            )
        if mode is Mode.HTTP and self.slack_signing_secret is None:
            raise ValueError(
                "SLACK_SIGNING_SECRET: required in HTTP mode (the app's Basic "
                "Information page shows it)"
            )
        if self.slack_client_id and self.slack_client_secret:
            raise ValueError(
                "SLACK_CLIENT_ID/SLACK_CLIENT_SECRET: unset them; this bot is "
                "installed in one workspace with SLACK_BOT_TOKEN, not through OAuth"
            )
        if self.uses_sandbox:
            return self
        if self.crowdtwist_api_key is None:
            raise ValueError(
                "CROWDTWIST_API_KEY: required (or set CROWDTWIST_SANDBOX=true to "
                "use the built-in sandbox)"
            )
        if self.crowdtwist_base_url is None and self.crowdtwist_client_id is None:
            raise ValueError(
                "CROWDTWIST_BASE_URL: required, or CROWDTWIST_CLIENT_ID (with "
                "CROWDTWIST_ENVIRONMENT) to build https://{environment}pos"
                "{client_id}.crowdtwist.com"
            )
        return self

    @property
    def mode(self) -> Mode:
        """Socket Mode with an app token; HTTP with Slack credentials; else the playground."""
        if self.slack_app_token is not None:
            return Mode.SOCKET
        if self.slack_bot_token is not None or self.slack_signing_secret is not None:
            return Mode.HTTP
        return Mode.PLAYGROUND

    @property
    def uses_sandbox(self) -> bool:
        """True when the built-in sandbox stands in for CrowdTwist."""
        if self.crowdtwist_sandbox:
            return True
        configured = (
            self.crowdtwist_api_key is not None
            or self.crowdtwist_base_url is not None
            or self.crowdtwist_client_id is not None
        )
        return self.mode is Mode.PLAYGROUND and not configured

    @property
    def crowdtwist_origin(self) -> str | None:
        """The POS host: CROWDTWIST_BASE_URL, or built from environment and client id."""
        if self.crowdtwist_base_url:
            return self.crowdtwist_base_url
        if self.crowdtwist_client_id:
            return f"https://{self.crowdtwist_environment}pos{self.crowdtwist_client_id}.crowdtwist.com"
        return None

    @property
    def crowdtwist_main_origin(self) -> str | None:
        """The main API host (User Points): CROWDTWIST_MAIN_URL, else built from environment
        and client id, else CROWDTWIST_BASE_URL's ``{environment}pos{client_id}`` host with
        ``api`` for ``pos``; None when none of these gives one."""
        if self.crowdtwist_main_url:
            return self.crowdtwist_main_url
        if self.crowdtwist_client_id:
            return f"https://{self.crowdtwist_environment}api{self.crowdtwist_client_id}.crowdtwist.com"
        if self.crowdtwist_base_url:
            match = _POS_ORIGIN.fullmatch(self.crowdtwist_base_url)
            if match:
                return f"{match['scheme']}://{match['env']}api{match['client']}.crowdtwist.com"
        return None

    def hash_key(self) -> bytes:
        """The key for hashing member ids in logs: AUDIT_HASH_KEY, else the signing secret."""
        for secret in (self.audit_hash_key, self.slack_signing_secret):
            if secret is not None:
                return secret.get_secret_value().encode()
        return b"purchases-playground"


_POS_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<env>[a-z0-9-]*?)pos(?P<client>[0-9]+)\.crowdtwist\.com",
    re.IGNORECASE,
)


def _origin(value: str | None, example: str) -> str | None:
    """A configured origin without its trailing slash; None when empty."""
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected a full origin such as {example}")
    return value


def _describe(error: dict[str, Any]) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if loc:
        return f"{loc.upper()}: {message}"
    return message


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise :class:`ConfigError` with one line per problem.

    The values themselves are never echoed: some of them are secrets.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(dict(error)) for error in exc.errors(include_input=False)]
        raise ConfigError("; ".join(lines)) from None
