"""The CrowdTwist HTTP client alone: httpx on the bot's transport, against the alternatives.

The sandbox runs as its own process (``python -m bot.sandbox``), so this process's CPU time is
the client's alone. Two scenarios, each for every variant, in the same run:

* burst: ``--burst`` GETs at once (default 500) through a 100-connection pool while the sandbox
  answers after 1 s (the shape of ``benchmarks/load.py``); each attempt has the bot's 8 s
  deadline around it (``asyncio.timeout``), pool wait included, as in ``CrowdTwistClient``.
* steady: ``--steady`` GETs (default 1500), 30 in flight, sandbox latency 150 ms.

Variants: ``httpx + aiohttp transport + semaphore (bot today)``: httpx's API on
``bot.crowdtwist.transport.AiohttpTransport``, behind the client's semaphore; ``httpx``:
httpx on its own httpcore pool (100 keep-alive connections, what the bot used before);
``+ semaphore``: an ``asyncio.Semaphore(100)`` taken before the deadline starts, so httpcore's
pool never holds a queue; ``+ sniffio``: a stand-in ``sniffio`` module (what installing the
package gives) so httpcore's per-request ``import sniffio`` stops failing; ``aiohttp``: a bare
``aiohttp.ClientSession`` with the same pool (the floor for the bot's transport).

    python -m benchmarks.upstream_client [--burst 500] [--steady 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import httpx

from benchmarks.harness import (
    CT_KEY,
    HOST,
    PYTHON,
    cpu_seconds,
    free_port,
    machine_line,
    ms,
    percentile,
    print_table,
    wait_for_quiet,
)
from bot.crowdtwist.transport import AiohttpTransport

BOT_TODAY = "httpx + aiohttp transport + semaphore (bot today)"
PATH = "/users/dev.patel%40example.com/purchases"
PARAMS = {"id_type": "email"}
HEADERS = {"X-CT-Authorization": f"CTApiKey {CT_KEY}", "Accept": "application/json"}
POOL = 100
DEADLINE = 8.0

Get = Callable[[], Awaitable[bool]]


@dataclass
class Figures:
    """One variant in one scenario."""

    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    wall: float = 0.0
    cpu: float = 0.0


@contextlib.asynccontextmanager
async def sandbox(latency_ms: int) -> AsyncIterator[str]:
    """``python -m bot.sandbox`` on a free port; yields its base URL."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot.sandbox",
        "--port",
        str(port),
        "--api-key",
        CT_KEY,
        "--latency-ms",
        str(latency_ms),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://{HOST}:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(f"{base}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


@contextlib.asynccontextmanager
async def variant(name: str, base: str) -> AsyncIterator[Get]:
    """A ``get()`` that does one GET the way the variant does; True when it answered 200."""
    if name == "aiohttp":
        async with aiohttp.ClientSession(
            base_url=base,
            headers=HEADERS,
            connector=aiohttp.TCPConnector(limit=POOL),
        ) as session:

            async def get_aiohttp() -> bool:
                async with asyncio.timeout(DEADLINE):
                    async with session.get(PATH, params=PARAMS) as response:
                        await response.read()
                        return response.status == 200

            yield get_aiohttp
        return
    gate = asyncio.Semaphore(POOL) if "semaphore" in name else None
    async with httpx.AsyncClient(
        base_url=base,
        headers=HEADERS,
        timeout=httpx.Timeout(DEADLINE),
        limits=httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL),
        transport=AiohttpTransport(max_connections=POOL) if "aiohttp transport" in name else None,
    ) as http:

        async def attempt() -> bool:
            async with asyncio.timeout(DEADLINE):
                response = await http.get(PATH, params=PARAMS)
                return response.status_code == 200

        async def get_httpx() -> bool:
            if gate is None:
                return await attempt()
            async with gate:
                return await attempt()

        yield get_httpx


async def timed(get: Get, figures: Figures) -> None:
    started = time.monotonic()
    try:
        ok = await get()
    except (TimeoutError, httpx.HTTPError, aiohttp.ClientError):
        figures.timeouts += 1
        return
    if ok:
        figures.latencies.append(time.monotonic() - started)


async def burst(get: Get, count: int) -> Figures:
    figures = Figures()
    cpu, started = cpu_seconds(), time.monotonic()
    await asyncio.gather(*(timed(get, figures) for _ in range(count)))
    figures.wall, figures.cpu = time.monotonic() - started, cpu_seconds() - cpu
    return figures


async def steady(get: Get, count: int, in_flight: int = 30) -> Figures:
    figures = Figures()
    pending = iter(range(count))

    async def agent(delay: float) -> None:
        await asyncio.sleep(delay)
        for _ in pending:
            await timed(get, figures)

    cpu, started = cpu_seconds(), time.monotonic()
    await asyncio.gather(*(agent(0.15 * i / in_flight) for i in range(in_flight)))
    figures.wall, figures.cpu = time.monotonic() - started, cpu_seconds() - cpu
    return figures


def install_sniffio_stand_in() -> None:
    """What ``pip install sniffio`` gives httpcore: an importable ``sniffio``."""
    module = types.ModuleType("sniffio")
    module.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    sys.modules["sniffio"] = module


async def main(args: argparse.Namespace) -> None:
    print(machine_line())
    print(await wait_for_quiet(args.wait_quiet))
    variants = [BOT_TODAY, "httpx (httpcore pool, the bot before)", "httpx + semaphore", "aiohttp"]
    variants += ["httpx + sniffio", "httpx + sniffio + semaphore"]  # last: the stand-in stays
    rows = []
    async with sandbox(1000) as slow, sandbox(150) as fast:
        for name in variants:
            if "sniffio" in name:
                install_sniffio_stand_in()
            async with variant(name, slow) as get:
                b = await burst(get, args.burst)
            async with variant(name, fast) as get:
                await steady(get, 60)  # warm the pool
                s = await steady(get, args.steady)
            rows.append(
                [
                    name,
                    f"{b.wall:.2f} s",
                    f"{b.timeouts}",
                    f"{b.cpu:.2f} s",
                    f"{ms(percentile(b.latencies, 50))} / {ms(percentile(b.latencies, 99))}",
                    f"{ms(percentile(s.latencies, 50))} / {ms(percentile(s.latencies, 99))}",
                    f"{1e6 * s.cpu / max(len(s.latencies), 1):.0f} µs",
                ]
            )
            print(f"  {name}: done", flush=True)
    print(
        f"\nburst: {args.burst} GETs at once, pool {POOL}, sandbox latency 1 s, "
        f"{DEADLINE:.0f} s deadline per attempt (pool wait included); "
        f"steady: {args.steady} GETs, 30 in flight, latency 150 ms"
    )
    print_table(
        [
            "client",
            "burst: wall",
            "burst: timed out",
            "burst: client CPU",
            "burst: p50 / p99",
            "steady: p50 / p99",
            "steady: CPU per GET",
        ],
        rows,
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=500, help="GETs at once (1 s latency)")
    parser.add_argument("--steady", type=int, default=1500, help="GETs, 30 in flight")
    parser.add_argument("--wait-quiet", type=float, default=60.0)
    args = parser.parse_args()
    if not 1 <= args.burst <= 5000 or not 1 <= args.steady <= 20_000:
        parser.error("--burst must be 1..5000 and --steady 1..20000")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
