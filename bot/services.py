"""What the listeners need, built once per process and passed in (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import AccessPolicy
from bot.audit import AuditLog
from bot.config import Settings
from bot.crowdtwist.client import CrowdTwistClient
from bot.inflight import InFlight
from bot.replay import SeenRequests
from bot.shared_state import SharedState


def utc_today() -> date:
    """Today's date in UTC: what relative dates (``last 30 days``) count from."""
    return datetime.now(UTC).date()


@dataclass
class Services:
    """The bot's collaborators: settings, CrowdTwist, policy, audit, lifecycle.

    ``shared`` is the Redis connection every replica shares state through (None without
    ``REDIS_URL``); anything that needs replica-wide state reuses it rather than opening its own.
    """

    settings: Settings
    crowdtwist: CrowdTwistClient
    access: AccessPolicy
    audit: AuditLog
    inflight: InFlight = field(default_factory=InFlight)
    replays: SeenRequests = field(default_factory=SeenRequests)
    today: Callable[[], date] = utc_today
    http: aiohttp.ClientSession | None = None
    slack: AsyncWebClient | None = None
    shared: SharedState | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        crowdtwist: CrowdTwistClient,
        shared: SharedState | None = None,
    ) -> Services:
        """Wire the services the settings describe around a CrowdTwist client (and Redis)."""
        return cls(
            shared=shared,
            settings=settings,
            crowdtwist=crowdtwist,
            access=AccessPolicy(
                settings.allowed_slack_user_ids, settings.allowed_slack_channel_ids
            ),
            audit=AuditLog(settings.hash_key(), channel_id=settings.audit_channel_id),
        )

    async def session(self) -> aiohttp.ClientSession:
        """One shared aiohttp session for response_url posts (keep-alive to Slack's hooks)."""
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self.http

    async def aclose(self) -> None:
        """Close connection pools (Redis last: the CrowdTwist client's fetches use it)."""
        await self.crowdtwist.aclose()
        if self.http is not None:
            await self.http.close()
        if self.shared is not None:
            await self.shared.aclose()
