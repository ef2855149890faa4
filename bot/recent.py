"""Each agent's recent lookups, for the App Home's "Your recent lookups".

What is kept: per agent, the last :data:`PER_AGENT` queries (the member as the agent typed
it, the id type, the date range) and when each was made; nothing CrowdTwist answered. Where:
in this process's memory, or in Redis when ``REDIS_URL`` is set (one list per agent, keyed
by a keyed hash of the Slack user id, so a replica answers for lookups another one saw).
For how long: ``RECENT_LOOKUPS_HOURS`` (0 keeps nothing). While Redis is down the in-process
copy answers (each replica records there too), as the page cache does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache
from redis.asyncio import Redis

from bot.compact_json import dumps
from bot.query import PurchaseQuery, decode_query, encode_query
from bot.shared_state import SharedState, SharedStateUnavailable

log = logging.getLogger(__name__)

PER_AGENT = 10
"""How many lookups an agent's list keeps (and the Home view shows)."""
MAX_AGENTS = 10_000
"""How many agents' lists one process keeps in memory (the least recent go first)."""


@dataclass(frozen=True)
class RecentLookup:
    """One lookup an agent made: the query (at page 1) and when (seconds since the epoch)."""

    query: PurchaseQuery
    at: float

    def encode(self) -> str:
        return dumps({"q": encode_query(self.query), "a": round(self.at, 3)})

    @classmethod
    def decode(cls, raw: str | bytes) -> RecentLookup | None:
        """Read an entry back from Redis; None for anything this module did not write."""
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        query, at = decode_query(data.get("q")), data.get("a")
        if query is None or not isinstance(at, int | float) or isinstance(at, bool):
            return None
        return cls(query, float(at))


def _newest_distinct(entries: list[RecentLookup], since: float) -> list[RecentLookup]:
    """Newest first, one entry per query, none older than ``since``, at most PER_AGENT."""
    seen: set[PurchaseQuery] = set()
    kept: list[RecentLookup] = []
    for entry in sorted(entries, key=lambda e: e.at, reverse=True):
        if entry.at < since or entry.query in seen:
            continue
        seen.add(entry.query)
        kept.append(entry)
        if len(kept) == PER_AGENT:
            break
    return kept


class RecentLookups:
    """Record an agent's lookups and list them back, newest first, for that agent only."""

    def __init__(
        self,
        hours: int = 24,
        *,
        shared: SharedState | None = None,
        hash_key: bytes = b"",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hours = hours
        self._seconds = hours * 3600
        self._shared = shared
        self._hash_key = hash_key
        self._clock = clock
        self._local: TTLCache[str, list[RecentLookup]] = TTLCache(
            maxsize=MAX_AGENTS, ttl=max(self._seconds, 1)
        )

    @property
    def enabled(self) -> bool:
        """False when ``RECENT_LOOKUPS_HOURS=0``: nothing is kept or shown."""
        return self._seconds > 0

    def _key(self, user_id: str) -> str:
        tag = hmac.new(self._hash_key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
        assert self._shared is not None
        return self._shared.key("recent", tag)

    async def record(self, user_id: str | None, query: PurchaseQuery) -> None:
        """Remember that ``user_id`` looked up ``query`` just now (as page 1)."""
        if not self.enabled or not user_id:
            return
        entry = RecentLookup(query.with_page(1), self._clock())
        since = entry.at - self._seconds
        self._local[user_id] = _newest_distinct([entry, *self._local.get(user_id, [])], since)
        if self._shared is None:
            return
        key, raw, seconds = self._key(user_id), entry.encode(), self._seconds

        async def push(redis: Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.lpush(key, raw)
                pipe.ltrim(key, 0, PER_AGENT * 2 - 1)  # room for repeats, dropped on read
                pipe.expire(key, seconds)
                await pipe.execute()

        try:
            await self._shared.run(push)
        except SharedStateUnavailable:
            log.debug("recent lookups: Redis is down, kept in this process only")

    async def of(self, user_id: str | None) -> list[RecentLookup]:
        """``user_id``'s recent lookups, newest first (empty when off or unknown)."""
        if not self.enabled or not user_id:
            return []
        since = self._clock() - self._seconds
        if self._shared is not None:
            key = self._key(user_id)

            async def read(redis: Redis) -> list[bytes | str]:
                items: list[bytes | str] = await redis.lrange(key, 0, PER_AGENT * 2 - 1)
                return items

            try:
                raw = await self._shared.run(read)
            except SharedStateUnavailable:
                pass
            else:
                decoded = [RecentLookup.decode(item) for item in raw]
                return _newest_distinct([e for e in decoded if e is not None], since)
        return _newest_distinct(self._local.get(user_id, []), since)
