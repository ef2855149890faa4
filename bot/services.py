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

SLACK_TIMEOUT = 15
"""Seconds for one request to Slack (a Web API call or a response_url post)."""


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

    def slack_session(self) -> aiohttp.ClientSession:
        """The one aiohttp session for everything sent to Slack: every Web API call (the
        clients Bolt hands to listeners share it) and every ``response_url`` post.

        Made on first use (inside the running loop) and reused: one keep-alive pool, so no
        request pays for a new session or a new connection to Slack.
        """
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT))
        return self.http

    async def aclose(self) -> None:
        """Close connection pools (Redis last: the CrowdTwist client's fetches use it)."""
        await self.crowdtwist.aclose()
        if self.http is not None:
            await self.http.close()
        if self.shared is not None:
            await self.shared.aclose()
