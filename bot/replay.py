"""Replay protection: each Slack request is processed once within Slack's 5-minute window.

Slack signs a request with its timestamp and Bolt refuses any older than five minutes, so a
replay can only come within that window. Every command, click, shortcut and submission
carries its own ``trigger_id`` (events their ``event_id``, the same on Slack's retries with
``X-Slack-Retry-Num``): the first request with a key is processed, the others are answered
with an empty 200. Keys are remembered for the window only, and at most ``max_entries`` of
them. The class is the one place that knows how; a shared store (Redis) can replace it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import TTLCache

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
