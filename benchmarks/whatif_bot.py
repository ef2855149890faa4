"""``python -m bot`` with experimental patches, to measure a suggested fix before making it.

For benchmarks only (``--what-if SPEC`` in ``load.py`` and ``latency.py``); nothing in ``bot/``
changes. ``BENCH_WHATIF`` is a comma-separated list of:

* ``prefetches=N``: ``CrowdTwistClient``'s cap on background prefetches running at once
  (hard-coded 4 today, not reachable from the settings);
* ``sniffio``: make ``import sniffio`` succeed (what ``pip install sniffio`` gives httpcore,
  which imports it, and fails, on every lock and event it sets up);
* ``gate=N``: at most N CrowdTwist requests inside httpx at once (an ``asyncio.Semaphore``
  taken before the per-attempt deadline starts), so httpcore's pool never holds a queue;
* ``aiohttp``: httpx's transport replaced by an aiohttp session (no httpcore pool).

    BENCH_WHATIF=prefetches=64,sniffio,gate=100 python benchmarks/whatif_bot.py
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import types
from typing import Any

import aiohttp
import httpx


def cap_prefetches(cap: int) -> None:
    """``CrowdTwistClient(max_prefetches=cap)`` whatever the caller passes."""
    from bot.crowdtwist.client import CrowdTwistClient

    original = CrowdTwistClient.__init__

    @functools.wraps(original)
    def init(self: CrowdTwistClient, *args: Any, **kwargs: Any) -> None:
        kwargs["max_prefetches"] = cap
        original(self, *args, **kwargs)

    CrowdTwistClient.__init__ = init  # type: ignore[method-assign]


def gate_requests(size: int) -> None:
    """At most ``size`` calls of ``CrowdTwistClient._send`` (one GET with its retries) at once."""
    from bot.crowdtwist.client import CrowdTwistClient

    original = CrowdTwistClient._send
    gates: dict[int, asyncio.Semaphore] = {}

    @functools.wraps(original)
    async def send(self: CrowdTwistClient, *args: Any, **kwargs: Any) -> Any:
        gate = gates.get(id(self))
        if gate is None:
            gate = gates[id(self)] = asyncio.Semaphore(size)
        async with gate:
            return await original(self, *args, **kwargs)

    CrowdTwistClient._send = send  # type: ignore[method-assign]


def importable_sniffio() -> None:
    """An importable ``sniffio``, as ``pip install sniffio`` would give."""
    module = types.ModuleType("sniffio")
    module.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    sys.modules["sniffio"] = module


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's transport replaced by one aiohttp session (its connector instead of httpcore's
    pool): what moving the CrowdTwist client to aiohttp would save, less httpx's own
    request/response handling, which stays."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit), auto_decompress=False
            )
        async with self._session.request(
            request.method,
            str(request.url),
            headers=[(k.decode(), v.decode()) for k, v in request.headers.raw],
            data=await request.aread() or None,
            allow_redirects=False,
        ) as response:
            body = await response.read()
            return httpx.Response(
                response.status,
                headers=[(k.decode(), v.decode()) for k, v in response.raw_headers],
                content=body,
                request=request,
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def aiohttp_transport() -> None:
    """``CrowdTwistClient(transport=AiohttpTransport(max_connections))``."""
    from bot.crowdtwist.client import CrowdTwistClient

    original = CrowdTwistClient.__init__

    @functools.wraps(original)
    def init(self: CrowdTwistClient, *args: Any, **kwargs: Any) -> None:
        kwargs["transport"] = AiohttpTransport(int(kwargs.get("max_connections", 100)))
        original(self, *args, **kwargs)

    CrowdTwistClient.__init__ = init  # type: ignore[method-assign]


def apply(spec: str) -> None:
    """Patch the bot's classes as ``spec`` says."""
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, _, value = item.partition("=")
        if key == "prefetches":
            cap_prefetches(int(value))
        elif key == "sniffio":
            importable_sniffio()
        elif key == "gate":
            gate_requests(int(value))
        elif key == "aiohttp":
            aiohttp_transport()
        else:
            raise SystemExit(f"BENCH_WHATIF: unknown patch {item!r}")


def main() -> int:
    """Apply the patches, then run the bot exactly as ``python -m bot``."""
    apply(os.environ.get("BENCH_WHATIF", ""))
    from bot.__main__ import main as bot_main

    return bot_main()


if __name__ == "__main__":
    sys.exit(main())
