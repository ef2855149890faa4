"""What the listeners need, built once per process from the settings and passed in (no globals).

This is where settings become collaborators: the CrowdTwist client (with its cache and
budget), the access policy and the audit log; nothing below it reads the settings itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import AccessPolicy
from bot.audit import AuditLog
from bot.config import SANDBOX_API_KEY, ConfigError, Settings
from bot.crowdtwist.budget import LocalBudget, RequestBudget, SharedBudget
from bot.crowdtwist.cache import PageCache, RedisPageCache, local_page_cache
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.receipts import ReceiptScanning
from bot.crowdtwist.summary import MemberSummaries
from bot.inflight import InFlight
from bot.ops.metrics import Metrics, SlackErrorCounter
from bot.recent import RecentLookups
from bot.replay import SeenRequests, seen_requests_for
from bot.shared_state import SharedState

log = logging.getLogger(__name__)

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
    recent: RecentLookups = field(default_factory=RecentLookups)
    summaries: MemberSummaries | None = None
    """The card's points line and the Points ledger; None when off or without a main host."""
    receipts: ReceiptScanning | None = None
    """Whether the program scans receipts, as last heard; None without a main host."""
    metrics: Metrics | None = None
    """The process's Prometheus metrics (None with ``METRICS_ENABLED=false``)."""
    unhealthy: Callable[[], str | None] | None = None
    """Why ``/healthz`` should answer 503 now, or None (Socket Mode's watchdog sets it)."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        crowdtwist: CrowdTwistClient,
        shared: SharedState | None = None,
    ) -> Services:
        """Wire the services the settings describe around a CrowdTwist client (and Redis)."""
        services = cls(
            shared=shared,
            replays=seen_requests_for(shared),
            settings=settings,
            crowdtwist=crowdtwist,
            access=AccessPolicy(
                settings.allowed_slack_user_ids, settings.allowed_slack_channel_ids
            ),
            audit=AuditLog(settings.hash_key(), channel_id=settings.audit_channel_id),
            recent=RecentLookups(
                settings.recent_lookups_hours, shared=shared, hash_key=settings.hash_key()
            ),
            summaries=(
                MemberSummaries(crowdtwist, ttl_seconds=settings.member_summary_ttl_seconds)
                if settings.member_summary_enabled and crowdtwist.main_url is not None
                else None
            ),
            receipts=(
                ReceiptScanning(settings.cache_ttl_seconds)
                if crowdtwist.main_url is not None
                else None
            ),
        )
        if settings.metrics_enabled:
            services.metrics = metrics_for(services)
        return services

    def slack_observers(self) -> list[Any]:
        """The retry handler that counts Slack's errors (last in every Web API client's
        list), or none without metrics."""
        if self.metrics is None:
            return []
        return [SlackErrorCounter(self.metrics, self.settings.slack_api_url)]

    def slack_session(self) -> aiohttp.ClientSession:
        """The one aiohttp session for everything sent to Slack: every Web API call (the
        clients Bolt hands to listeners share it) and every ``response_url`` post.

        Made on first use (inside the running loop) and reused: one keep-alive pool, so no
        request pays for a new session or a new connection to Slack.
        """
        if self.http is None or self.http.closed:
            # No cookie jar: nothing sent to Slack needs its cookies (slack_sdk's own
            # per-call sessions drop them too), and a filled jar is filtered on every post.
            self.http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self.http

    async def aclose(self) -> None:
        """Close connection pools (Redis last: the CrowdTwist client's fetches use it)."""
        await self.crowdtwist.aclose()
        if self.http is not None:
            await self.http.close()
        if self.shared is not None:
            await self.shared.aclose()


def metrics_for(services: Services) -> Metrics:
    """A :class:`Metrics` of its own, fed by the audit trail, the CrowdTwist client and the
    answers in flight, and reading Redis's health when there is a Redis."""
    metrics = Metrics()
    client = services.crowdtwist
    services.audit.observer = metrics.lookup
    client.on_request = metrics.crowdtwist_request
    metrics.watch_cache(lambda: client.stats)
    metrics.watch_budget(client.budget_remaining)
    metrics.watch_in_flight(lambda: services.inflight.count)
    shared = services.shared
    if shared is not None:
        metrics.watch_flag("redis_up", "1 while Redis answers, else 0", lambda: shared.available)
    return metrics


def crowdtwist_client(
    settings: Settings,
    *,
    base_url: str | None = None,
    main_url: str | None = None,
    shared: SharedState | None = None,
) -> CrowdTwistClient:
    """The CrowdTwist client the settings describe; ``base_url`` and ``main_url`` point it at
    a sandbox; with ``shared`` (Redis) the cache, coalescing and budget span every replica."""
    origin = base_url or settings.crowdtwist_origin
    main = main_origin(settings, main_url)
    if origin is None:
        raise ConfigError(
            "CROWDTWIST_BASE_URL: required (the built-in sandbox passes its own address)"
        )
    key = settings.crowdtwist_api_key
    if key is None:
        if not settings.uses_sandbox:
            raise ConfigError("CROWDTWIST_API_KEY: required")
        key = SecretStr(SANDBOX_API_KEY)
    return CrowdTwistClient(
        origin,
        key,
        timeout=settings.crowdtwist_timeout_seconds,
        max_retries=settings.crowdtwist_max_retries,
        backoff_seconds=settings.crowdtwist_backoff_seconds,
        retry_after_max_seconds=settings.crowdtwist_retry_after_max_seconds,
        cache_ttl_seconds=settings.cache_ttl_seconds,
        cache_max_entries=settings.cache_max_entries,
        max_connections=settings.crowdtwist_max_connections,
        max_prefetches=settings.prefetch_max_concurrent,
        page_cache=page_cache_for(settings, shared, namespace=origin),
        budget=budget_for(settings, shared, namespace=origin),
        max_response_bytes=settings.crowdtwist_max_response_bytes,
        main_url=main,
        main_cache_ttl_seconds=settings.member_summary_ttl_seconds,
        main_cache=(
            page_cache_for(
                settings, shared, namespace=main, ttl_seconds=settings.member_summary_ttl_seconds
            )
            if main is not None
            else None
        ),
    )


def main_origin(settings: Settings, main_url: str | None = None) -> str | None:
    """The main API host (the member summary and receipts), said once at start if unknown.

    ``MEMBER_SUMMARY_ENABLED`` switches the balance off, not the host: receipts still use it.
    """
    origin = main_url or settings.crowdtwist_main_origin
    if origin is None:
        log.warning(
            "member summary and receipts off: CROWDTWIST_MAIN_URL is unset and "
            "CROWDTWIST_BASE_URL's host is not {environment}pos{client_id}.crowdtwist.com, "
            "so the main API host is unknown"
        )
    return origin


def page_cache_for(
    settings: Settings,
    shared: SharedState | None,
    *,
    namespace: str,
    ttl_seconds: float | None = None,
) -> PageCache | None:
    """The cache the settings describe: None when off, local, or shared through Redis;
    ``ttl_seconds`` replaces ``CACHE_TTL_SECONDS`` (the main host's answers)."""
    ttl = settings.cache_ttl_seconds if ttl_seconds is None else ttl_seconds
    front = local_page_cache(ttl, settings.cache_max_entries)
    if front is None or shared is None:
        return front
    attempts = settings.crowdtwist_max_retries + 1
    return RedisPageCache(
        shared,
        front,
        hash_key=settings.hash_key(),
        namespace=namespace,
        max_entries=settings.cache_max_entries,
        # Long enough for the holder's whole fetch (every attempt, and a Retry-After).
        lock_seconds=settings.crowdtwist_timeout_seconds * attempts
        + settings.crowdtwist_retry_after_max_seconds,
    )


def budget_for(
    settings: Settings, shared: SharedState | None, *, namespace: str = ""
) -> RequestBudget | None:
    """The budget the settings describe: None for 0 (no budget), shared with Redis (one per
    ``namespace``, the CrowdTwist origin)."""
    limit = settings.crowdtwist_rate_limit_per_minute
    if limit <= 0:
        return None
    if shared is None:
        return LocalBudget(limit)
    return SharedBudget(shared, limit, namespace=namespace)
