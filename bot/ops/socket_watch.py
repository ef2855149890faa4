"""Socket Mode's watchdog: a connection that is open but silent is noticed and replaced.

A known Bolt failure is a Socket Mode WebSocket that stays open after an idle reconnect while
nothing comes through it: the process looks healthy and no command is answered. The watchdog
pings the socket itself every ``check_seconds`` (slack_sdk records the pong), and counts
anything that arrives (a pong, ``hello``, an envelope) as a sign of life. After
``silent_seconds`` without one it calls ``auth.test`` (to say in the log whether Slack itself
answers) and asks slack_sdk for a new connection; until something arrives again the connection
counts as down. ``/healthz`` answers 503 once it has been down for ``unhealthy_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import WSMessage
from slack_sdk.socket_mode.aiohttp import SocketModeClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchTimes:
    """The watchdog's clock, in seconds (tests shorten them)."""

    check_seconds: float = 5.0
    """How often the socket is pinged and its silence measured."""
    silent_seconds: float = 30.0
    """Silence longer than this (no pong, no envelope) means the connection is dead."""
    unhealthy_seconds: float = 60.0
    """Down for longer than this: ``/healthz`` answers 503."""


class SocketWatch:
    """Watches one :class:`SocketModeClient`; :attr:`connected` and :meth:`problem` report."""

    def __init__(
        self,
        client: SocketModeClient,
        probe: Callable[[], Awaitable[object]] | None = None,
        times: WatchTimes | None = None,
    ) -> None:
        self._client = client
        self._probe = probe
        self.times = times or WatchTimes()
        # Down until Slack is first heard (``hello``, or the first pong).
        self._last_heard = 0.0
        self._down_since: float | None = time.monotonic()
        self._down_at = time.time()  # wall clock, to compare with slack_sdk's pong times
        self._reconnecting: asyncio.Task[None] | None = None
        self._last_try = time.time()  # silence is measured from here until Slack is heard
        self.reconnects = 0
        """Reconnections the watchdog asked for (whether or not they succeeded)."""
        client.on_message_listeners.append(self._heard)

    @property
    def connected(self) -> bool:
        """False from the moment silence or a closed socket is noticed until Slack is heard."""
        return self._down_since is None

    def problem(self) -> str | None:
        """Why ``/healthz`` should fail: down for longer than ``unhealthy_seconds``."""
        if self._down_since is None:
            return None
        down = time.monotonic() - self._down_since
        if down <= self.times.unhealthy_seconds:
            return None
        return f"Socket Mode has been disconnected for {down:.0f} s"

    async def run(self) -> None:
        """Check every ``check_seconds`` until cancelled."""
        while True:
            await asyncio.sleep(self.times.check_seconds)
            try:
                await self.check()
            except Exception as exc:  # the watchdog must outlive anything it watches
                log.warning("Socket Mode watchdog: check failed: %s", type(exc).__name__)

    async def stop(self) -> None:
        """Cancel a reconnection still under way."""
        if self._reconnecting is not None and not self._reconnecting.done():
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting

    async def check(self) -> None:
        """One look at the connection: up again, still fine (ping it), or silent (replace it)."""
        client = self._client
        session = client.current_session
        pong = client.last_ping_pong_time or 0.0
        heard = max(self._last_heard, pong)
        if self._down_since is not None and heard > self._down_at:
            self._up()
        if session is None or session.closed:
            self._down("the socket is closed")
            return  # slack_sdk reconnects a closed socket itself
        silence = time.time() - max(heard, self._last_try)
        if silence <= self.times.silent_seconds:
            with contextlib.suppress(Exception):  # a failed ping is silence, measured next time
                await session.ping(f"sdk-ping-pong:{time.time()}".encode())
            return
        self._down(f"nothing heard for {silence:.0f} s")
        if self._reconnecting is None or self._reconnecting.done():
            self._last_try = time.time()  # the new connection gets its own silent_seconds
            self._reconnecting = asyncio.create_task(self._reconnect(), name="socket-reconnect")

    async def _reconnect(self) -> None:
        reachable = await self._slack_answers()
        log.warning(
            "Socket Mode connection is silent; %s; reconnecting",
            "Slack answers auth.test (only the socket is dead)"
            if reachable
            else "auth.test fails too (Slack or the network is unreachable)",
        )
        self.reconnects += 1
        try:
            await self._client.connect_to_new_endpoint(force=True)
        except Exception as exc:
            log.warning("Socket Mode reconnection failed: %s", type(exc).__name__)

    async def _slack_answers(self) -> bool:
        if self._probe is None:
            return False
        try:
            async with asyncio.timeout(max(1.0, self.times.check_seconds)):
                await self._probe()
        except Exception:
            return False
        return True

    async def _heard(self, message: WSMessage) -> None:
        """slack_sdk's listener for every text frame (``hello``, envelopes, disconnects)."""
        self._last_heard = time.time()
        if self._down_since is not None:
            self._up()

    def _down(self, why: str) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            self._down_at = time.time()
            log.warning("Socket Mode: disconnected (%s)", why)

    def _up(self) -> None:
        down = time.monotonic() - (self._down_since or time.monotonic())
        self._down_since = None
        log.info("Socket Mode: connected (after %.1f s without a connection)", down)
