"""The one Redis connection replicas share state through, and its health.

With ``REDIS_URL`` set, every replica of the bot shares the page cache, the coalescing of
identical lookups and the CrowdTwist request budget through one Redis (see
``bot/crowdtwist/cache.py`` and ``bot/crowdtwist/budget.py``); later features reuse the same
connection through :attr:`bot.services.Services.shared`.

Redis going away costs speed, never an answer. Every call has a short deadline
(``REDIS_TIMEOUT_SECONDS``); the first failure marks Redis down and is logged once; while it is
down every call fails at once with :class:`SharedStateUnavailable` (no deadline paid), so the
callers use their in-process fallback; a background probe pings Redis every second and, when it
answers, marks it up again (logged once): sharing resumes by itself.

The same background task keeps a heartbeat per replica, so each one knows how many replicas
are alive (its fallback budget share while Redis is down). The URL may carry a password: only
its host, port and database are ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

if TYPE_CHECKING:  # for annotations only: bot.config loads bot.crowdtwist (for the client's
    # defaults), whose client loads this module, so a run-time import would be a cycle.
    from bot.config import Settings

__all__ = ["KEY_PREFIX", "SharedState", "SharedStateUnavailable"]

log = logging.getLogger(__name__)

KEY_PREFIX = "purchases:"
"""Every key the bot writes starts with this (a Redis shared with other software stays tidy)."""

_T = TypeVar("_T")
_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class SharedStateUnavailable(Exception):
    """Redis cannot be used right now: the caller falls back to its in-process state."""


class SharedState:
    """The Redis client, whether Redis is usable now, and how many replicas are alive.

    Create one per process with :meth:`from_settings`, :meth:`start` it inside the event loop
    and :meth:`aclose` it at shutdown.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.5,
        probe_seconds: float = 1.0,
        heartbeat_seconds: float = 2.0,
    ) -> None:
        if timeout <= 0 or probe_seconds <= 0 or heartbeat_seconds <= 0:
            raise ValueError("timeout, probe and heartbeat intervals must be > 0")
        parts = urlsplit(url)
        # Never the whole URL: it may carry a password (redis://:secret@host/0).
        self.where = f"{parts.hostname or '?'}:{parts.port or 6379}{parts.path or '/0'}"
        self._timeout = timeout
        self._probe_seconds = probe_seconds
        self._heartbeat_seconds = heartbeat_seconds
        # One quick retry takes care of a pooled connection Redis closed (a restart); no
        # backoff, or a dead Redis would cost seconds per call instead of one short deadline.
        self.redis: Redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
            health_check_interval=0,
            client_name="purchases-bot",
        )
        self.replica_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"
        self.replicas_seen = 1
        """Live replicas (this one included) at the last heartbeat; 1 until one succeeds."""
        self.outages = 0
        """How many times Redis was found unreachable (each one logged once)."""
        self._up = True
        self._changed = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SharedState | None:
        """The shared state ``REDIS_URL`` points at, or None to keep everything in-process."""
        if settings.redis_url is None:
            return None
        return cls(settings.redis_url.get_secret_value(), timeout=settings.redis_timeout_seconds)

    def __repr__(self) -> str:
        return f"SharedState(where={self.where!r}, up={self._up})"

    @property
    def available(self) -> bool:
        """True while Redis answers (as far as the last call or probe knows)."""
        return self._up and not self._closed

    def key(self, *parts: str) -> str:
        """A key in the bot's namespace: ``purchases:<part>:<part>…``."""
        return KEY_PREFIX + ":".join(parts)

    def script(self, lua: str) -> AsyncScript:
        """A Lua script run atomically by Redis (``EVALSHA``, loaded again when Redis lost it)."""
        return self.redis.register_script(lua)

    async def start(self) -> None:
        """Check Redis once (logged if it is down) and start the heartbeat / reconnect probe."""
        if self._watcher is not None:
            return
        with contextlib.suppress(SharedStateUnavailable):
            await self._heartbeat()
        if self._up:
            log.info(
                "Redis at %s: sharing cache, coalescing and CrowdTwist budget with %d replica(s)",
                self.where,
                self.replicas_seen,
            )
        self._watcher = asyncio.create_task(self._watch(), name="redis-watch")

    async def run(self, operation: Callable[[Redis], Awaitable[_T]]) -> _T:
        """Run one Redis operation within the deadline, or raise :class:`SharedStateUnavailable`.

        A failure marks Redis down (logged once); until the probe sees it back, calls fail at
        once without touching the network.
        """
        if not self.available:
            raise SharedStateUnavailable(self.where)
        try:
            # A second deadline over the socket timeouts: connect + one retry + reply.
            async with asyncio.timeout(self._timeout * 3):
                return await operation(self.redis)
        except _FAILURES as exc:
            self._mark_down(exc)
            raise SharedStateUnavailable(self.where) from None

    async def wait_until_available(self, seconds: float) -> bool:
        """Wait (at most ``seconds``) until Redis is marked available; for tests and tools."""
        deadline = time.monotonic() + seconds
        while not self.available:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    async def aclose(self) -> None:
        """Stop the probe, leave the replica set (best effort), close the connections."""
        if self._closed:
            return
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._up:
            with contextlib.suppress(SharedStateUnavailable):
                await self.run(lambda r: r.zrem(self.key("replicas"), self.replica_id))
        self._closed = True
        with contextlib.suppress(*_FAILURES):
            await self.redis.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- health --------------------------------------------------------------------------

    def _mark_down(self, exc: BaseException) -> None:
        if not self._up:
            return
        self._up = False
        self.outages += 1
        self._changed.set()
        log.warning(
            "Redis at %s is unreachable (%s): this replica serves from its own cache and "
            "%d/%d of the CrowdTwist budget until it is back (checking every %.0f s)",
            self.where,
            type(exc).__name__,
            1,
            self.replicas_seen,
            self._probe_seconds,
        )

    def _mark_up(self) -> None:
        if self._up:
            return
        self._up = True
        self._changed.set()
        log.warning("Redis at %s is back: sharing cache and budget again", self.where)

    async def _heartbeat(self) -> None:
        """Say this replica is alive; learn how many are (entries expire after 3 beats)."""
        now_ms = int(time.time() * 1000)
        stale_before = now_ms - int(self._heartbeat_seconds * 3000)
        name = self.key("replicas")

        async def beat(redis: Redis) -> int:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.zadd(name, {self.replica_id: now_ms})
                pipe.zremrangebyscore(name, "-inf", stale_before)
                pipe.zcard(name)
                pipe.pexpire(name, int(self._heartbeat_seconds * 3000))
                results = await pipe.execute()
            return int(results[2])

        self.replicas_seen = max(1, await self.run(beat))

    async def _probe(self) -> bool:
        """While Redis is down: one PING within the deadline; mark it up when it answers."""
        try:
            async with asyncio.timeout(self._timeout * 3):
                await self.redis.ping()
        except _FAILURES as exc:
            log.debug("Redis probe failed: %s", type(exc).__name__)
            return False
        self._mark_up()
        return True

    async def _watch(self) -> None:
        """While up, a heartbeat every ``heartbeat_seconds``; while down, a probe every
        ``probe_seconds``."""
        while True:
            if self._up:
                await asyncio.sleep(self._heartbeat_seconds)
                with contextlib.suppress(SharedStateUnavailable):
                    await self._heartbeat()
            else:
                await asyncio.sleep(self._probe_seconds)
                if await self._probe():
                    with contextlib.suppress(SharedStateUnavailable):
                        await self._heartbeat()
