"""The CrowdTwist request budget: at most ``CROWDTWIST_RATE_LIMIT_PER_MINUTE`` attempts in any
minute, counted over every replica (prefetches and retries included).

The window slides: each attempt is a timestamped entry, and an attempt is allowed while fewer
than the limit were made in the last 60 s, so no two adjacent minutes can add up to twice the
limit. Prefetches are guesses and are shed first: they run only while less than
:data:`PREFETCH_SHARE` of the budget is used. A lookup over budget waits for a slot if one frees
within :data:`LOOKUP_WAIT_SECONDS`, and otherwise fails at once with :attr:`ErrorKind.BUSY`,
which the person sees as "CrowdTwist is busy, try again in N s" (logged at most once a minute).

:class:`LocalBudget` counts this process alone (one replica, or no Redis). :class:`SharedBudget`
counts in Redis with a Lua script (atomic across replicas, on Redis's clock); while Redis is
unreachable it falls back to a local share: the limit divided by the replicas last seen alive.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import math
import random
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Protocol

from redis.asyncio import Redis

from bot.crowdtwist.errors import busy
from bot.shared_state import SharedState, SharedStateUnavailable

__all__ = [
    "LOOKUP_WAIT_SECONDS",
    "PREFETCH_SHARE",
    "LocalBudget",
    "PrefetchShed",
    "RequestBudget",
    "SharedBudget",
    "prefetching",
]

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
PREFETCH_SHARE = 0.8
"""Prefetches run only while less than this share of the minute's budget is used."""
LOOKUP_WAIT_SECONDS = 3.0
"""How long a lookup over budget waits for a slot before the "busy" answer."""

prefetching: ContextVar[bool] = ContextVar("crowdtwist_prefetching", default=False)
"""True inside a prefetch's task: its attempts are shed first."""


class PrefetchShed(Exception):
    """A prefetch was dropped (budget running low, or another replica is fetching the page)."""


class RequestBudget(Protocol):
    """Counts CrowdTwist attempts against the per-minute limit."""

    async def admit(self, *, prefetch: bool) -> None:
        """Count one attempt, waiting a bounded moment for a slot; raise when none comes.

        Raises :class:`PrefetchShed` for a prefetch over its share, and a ``BUSY``
        :class:`~bot.crowdtwist.errors.CrowdTwistError` for a lookup still over budget.
        """
        ...

    async def remaining(self) -> int:
        """Attempts still allowed in the current minute (for the metrics)."""
        ...


def prefetch_cap(limit: int) -> int:
    """How many attempts a minute may hold before prefetches are shed."""
    return max(0, math.floor(limit * PREFETCH_SHARE))


class _Budget:
    """The waiting and shedding shared by both budgets; subclasses count."""

    max_wait: float
    _warned_until = 0.0

    @property
    def limit(self) -> int:
        """Attempts allowed in any minute."""
        raise NotImplementedError

    async def take(self, cap: int) -> float | None:
        """Count one attempt if fewer than ``cap`` were made this minute: None; else the
        seconds until one of them leaves the window."""
        raise NotImplementedError

    async def admit(self, *, prefetch: bool) -> None:
        """See :meth:`RequestBudget.admit`."""
        cap = prefetch_cap(self.limit) if prefetch else self.limit
        deadline = time.monotonic() + self.max_wait
        while True:
            wait = await self.take(cap)
            if wait is None:
                return
            if prefetch:
                raise PrefetchShed
            remaining = deadline - time.monotonic()
            if wait > remaining:
                now = time.monotonic()
                if now >= self._warned_until:
                    # At most once a minute: every lookup it refuses has its own audit line.
                    self._warned_until = now + WINDOW_SECONDS
                    log.warning(
                        "CrowdTwist request budget of %d a minute is spent: lookups are "
                        "answered 'busy' until a slot frees (in %.0f s); raise "
                        "CROWDTWIST_RATE_LIMIT_PER_MINUTE if the contract allows",
                        self.limit,
                        wait,
                    )
                raise busy(wait, f"{self.limit} requests a minute")
            # Several waiters wake for one slot; a little jitter spreads them out.
            await asyncio.sleep(wait + random.uniform(0.0, 0.05))


class LocalBudget(_Budget):
    """This process's attempts in the last minute, against ``limit`` (a number or a function,
    for a share that changes with the number of replicas)."""

    def __init__(
        self,
        limit: int | Callable[[], int],
        *,
        max_wait: float = LOOKUP_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self.max_wait = max_wait
        self._clock = clock
        self._times: deque[float] = deque()

    @property
    def limit(self) -> int:
        """The limit in force now."""
        return self._limit() if callable(self._limit) else self._limit

    def used(self) -> int:
        """Attempts counted in the last minute."""
        self._expire(self._clock())
        return len(self._times)

    def record(self) -> None:
        """Count an attempt another budget already allowed (kept for a fallback share)."""
        now = self._clock()
        self._expire(now)
        self._times.append(now)

    def take_now(self, cap: int) -> float | None:
        """:meth:`take` without awaiting."""
        now = self._clock()
        self._expire(now)
        if len(self._times) < cap:
            self._times.append(now)
            return None
        if cap <= 0 or not self._times:
            return WINDOW_SECONDS
        # The attempt whose leaving brings the count under the cap.
        index = min(len(self._times) - cap, len(self._times) - 1)
        return max(0.0, self._times[index] + WINDOW_SECONDS - now)

    async def take(self, cap: int) -> float | None:
        return self.take_now(cap)

    async def remaining(self) -> int:
        return max(0, self.limit - self.used())

    def _expire(self, now: float) -> None:
        while self._times and self._times[0] <= now - WINDOW_SECONDS:
            self._times.popleft()


# KEYS[1]: the window's sorted set. ARGV: window in ms, cap, a unique member for this attempt.
# Returns {1, 0} when counted, {0, ms until a slot frees} when not. Redis's clock is the one
# clock every replica agrees on.
_TAKE = """
local key = KEYS[1]
local window = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
if used < cap then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
if cap <= 0 then
  return {0, window}
end
local oldest = redis.call('ZRANGE', key, used - cap, used - cap, 'WITHSCORES')
local wait = window
if oldest[2] then
  wait = tonumber(oldest[2]) + window - now
end
return {0, math.max(wait, 0)}
"""


class SharedBudget(_Budget):
    """One window in Redis for every replica; a local share of it while Redis is down."""

    def __init__(
        self,
        shared: SharedState,
        limit: int,
        *,
        namespace: str = "",
        max_wait: float = LOOKUP_WAIT_SECONDS,
    ) -> None:
        self._shared = shared
        self._limit = limit
        self.max_wait = max_wait
        # One window per CrowdTwist host: the contract's cap is per program.
        program = hashlib.sha256(namespace.encode()).hexdigest()[:16]
        self._key = shared.key("budget", program)
        self._script = shared.script(_TAKE)
        self._ids = itertools.count(1)
        # Counts this replica's own attempts all along, so that the moment Redis goes away
        # its share already holds what it spent in the last minute.
        self.fallback = LocalBudget(self.local_share, max_wait=max_wait)

    @property
    def limit(self) -> int:
        """Attempts allowed in any minute, over every replica."""
        return self._limit

    def local_share(self) -> int:
        """This replica's share of the limit while Redis is unreachable."""
        return max(1, self.limit // max(1, self._shared.replicas_seen))

    async def remaining(self) -> int:
        """From the shared window in Redis; this replica's share while Redis is down."""
        window_ms = int(WINDOW_SECONDS * 1000)

        async def used(redis: Redis) -> int:
            seconds, micros = await redis.time()
            now_ms = int(seconds) * 1000 + int(micros) // 1000
            # The same window the script counts: attempts newer than a minute by Redis's clock.
            return int(await redis.zcount(self._key, f"({now_ms - window_ms}", "+inf"))

        try:
            return max(0, self.limit - await self._shared.run(used))
        except SharedStateUnavailable:
            return await self.fallback.remaining()

    async def take(self, cap: int) -> float | None:
        member = f"{self._shared.replica_id}:{next(self._ids)}"
        try:
            granted, wait_ms = await self._shared.run(
                lambda redis: self._script(
                    keys=[self._key], args=[int(WINDOW_SECONDS * 1000), cap, member], client=redis
                )
            )
        except SharedStateUnavailable:
            share = self.local_share()
            local_cap = share if cap >= self.limit else prefetch_cap(share)
            return self.fallback.take_now(local_cap)
        if int(granted):
            self.fallback.record()
            return None
        return int(wait_ms) / 1000
