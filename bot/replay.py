"""Replay protection: each Slack request is processed once within Slack's 5-minute window.

Slack signs a request with its timestamp and Bolt refuses any older than five minutes, so a
replay can only come within that window. Every command, click, shortcut and submission
carries its own ``trigger_id`` (events their ``event_id``, the same on Slack's retries with
``X-Slack-Retry-Num``): the first request with a key is processed, the others are answered
with an empty 200. Keys are remembered for the window only, and at most ``max_entries`` of
them. With Redis (``REDIS_URL``) every replica shares the keys, so a replay sent to another
replica behind the load balancer is refused as well; while Redis is away each replica still
refuses what it saw itself.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import TTLCache

from bot.shared_state import SharedState, SharedStateUnavailable

REPLAY_WINDOW_SECONDS = 6 * 60
"""Slack's five minutes, and a minute of clock skew."""
MAX_REMEMBERED = 100_000


def request_key(body: Mapping[str, Any]) -> str | None:
    """What makes a Slack request unique: its ``event_id`` or ``trigger_id`` (None if neither)."""
    for field, prefix in (("event_id", "event"), ("trigger_id", "trigger")):
        value = body.get(field)
        if isinstance(value, str) and value:
            return f"{prefix}:{value[:200]}"
    return None


class SeenRequests:
    """Request keys seen within the replay window; bounded in time and in count."""

    def __init__(
        self,
        window_seconds: float = REPLAY_WINDOW_SECONDS,
        max_entries: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seen: TTLCache[str, bool] = TTLCache(
            maxsize=max_entries, ttl=window_seconds, timer=clock
        )

    async def first_time(self, key: str) -> bool:
        """True the first time ``key`` is seen within the window; False for a replay."""
        if key in self._seen:
            return False
        self._seen[key] = True
        return True

    def __len__(self) -> int:
        return len(self._seen)


class SharedSeenRequests(SeenRequests):
    """:class:`SeenRequests` across replicas: a key is new only if no replica has seen it.

    This replica's own memory answers first (no round trip for its own replays); a new key is
    then claimed in Redis with ``SET NX`` for the window. Redis down: this replica's memory
    alone decides, as without Redis.
    """

    def __init__(
        self,
        shared: SharedState,
        window_seconds: float = REPLAY_WINDOW_SECONDS,
        max_entries: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window_seconds, max_entries, clock)
        self._shared = shared
        self._window_ms = int(window_seconds * 1000)

    async def first_time(self, key: str) -> bool:
        if not await super().first_time(key):
            return False
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]
        shared_key = self._shared.key("seen", digest)
        try:
            claimed = await self._shared.run(
                lambda redis: redis.set(shared_key, b"1", nx=True, px=self._window_ms)
            )
        except SharedStateUnavailable:
            return True
        return bool(claimed)


def seen_requests_for(shared: SharedState | None) -> SeenRequests:
    """The replay guard: shared by every replica with Redis, else this process's own."""
    return SeenRequests() if shared is None else SharedSeenRequests(shared)
