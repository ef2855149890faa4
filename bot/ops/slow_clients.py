"""Bounding slow clients in HTTP mode: a request's line and headers within 5 s of its first byte.

aiohttp's server waits for headers as long as a client cares to trickle them (one byte a
second keeps a socket forever). Slack sends each request's few kilobytes at once, so the site
HTTP mode listens on (:class:`GuardedSite`) closes a connection whose request line and headers
are not in within :data:`HEADERS_SECONDS` of the request's first byte. The body's own bound
(10 s after the headers) is kept by ``bot/server.py`` where the body is read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

HEADERS_SECONDS = 5.0
"""How long a request's line and headers may take from its first byte."""


class HeaderDeadline(asyncio.Protocol):
    """aiohttp's protocol for one connection, with a deadline on each request's headers.

    Every call is passed on to aiohttp's :class:`RequestHandler`; this only watches the bytes
    arrive. A request counts as started at its first byte while none is being handled, and
    as headed once aiohttp has parsed its headers (a message queued or a handler running).
    """

    def __init__(self, inner: RequestHandler, seconds: float = HEADERS_SECONDS) -> None:
        self._inner = inner
        self._seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._since: float | None = None
        """When the request still waiting for its headers sent its first byte."""
        self._timer: asyncio.TimerHandle | None = None
        """At most one per connection, re-armed only while a request waits for its headers
        (a timer per request cost 6 µs of CPU a request)."""

    def _headed(self) -> bool:
        # aiohttp keeps no public flag for "headers parsed"; these two are how it tracks it.
        inner: Any = self._inner
        return bool(getattr(inner, "_messages", None)) or bool(
            getattr(inner, "_request_in_progress", False)
        )

    def _check(self) -> None:
        self._timer = None
        if self._since is None or self._transport is None:
            return  # no request waiting: the next one's first byte arms the timer again
        due = self._since + self._seconds
        if self._loop.time() < due:
            self._timer = self._loop.call_at(due, self._check)
        elif not self._transport.is_closing():
            log.info("closed a connection whose request headers took over %ss", self._seconds)
            self._transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._since is None and not self._headed():
            self._since = self._loop.time()
            if self._timer is None:
                self._timer = self._loop.call_at(self._since + self._seconds, self._check)
        self._inner.data_received(data)
        if self._since is not None and self._headed():
            self._since = None

    def eof_received(self) -> None:
        self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._transport = None
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class GuardedSite(web.TCPSite):
    """aiohttp's TCP site, each connection's protocol wrapped in a :class:`HeaderDeadline`."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        header_seconds: float = HEADERS_SECONDS,
    ) -> None:
        super().__init__(runner, host, port)
        self._header_seconds = header_seconds

    async def start(self) -> None:
        # What TCPSite.start does, with the protocol factory wrapped.
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        seconds = self._header_seconds
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HeaderDeadline(server(), seconds),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
