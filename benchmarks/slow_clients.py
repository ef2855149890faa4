"""Slow clients against a real bot: how many trickling connections it still holds, and its acks.

Runs the typical Bolt bot (the baseline: Bolt's aiohttp adapter, no bound on slow clients)
and ``python -m bot`` (HTTP mode on ``GuardedSite``: headers within 5 s of a request's first
byte, the body within 10 s of the headers), each as a separate process. Against each it
opens ``--connections`` sockets that trickle a request (one byte a second: half in the
headers, half in the body after complete headers), and meanwhile sends a signed command
every second. It prints how many trickling sockets the process still holds after 7 s and
after 12 s, the slowest ack of the real commands, and the bot's log lines by level.

    python -m benchmarks.slow_clients [--connections 200] [--seconds 12]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time

from benchmarks.harness import (
    BotProcess,
    Driver,
    Upstreams,
    bot_argv,
    free_port,
    machine_line,
    ms,
    print_table,
)
from benchmarks.harness.constants import HOST
from benchmarks.harness.processes import typical_argv

HEADERS = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"X-Slack-Request-Timestamp: 1700000000\r\nX-Slack-Signature: v0=" + b"0" * 64 + b"\r\n"
)

_DRIPPING: set[asyncio.Task[None]] = set()


async def trickle(port: int, slow_body: bool, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """Open one connection and drip a request into it, a byte a second, until ``stop``;
    the task that reads until the server closes it (done once closed)."""
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return None
    head = HEADERS + b"Content-Length: 4000\r\n\r\n" if slow_body else b"P"
    rest = b"x" * 4000 if slow_body else HEADERS[1:]

    async def drip() -> None:
        with contextlib.suppress(OSError):
            writer.write(head)
            for byte in rest:
                if stop.is_set() or closed.done():
                    break
                await asyncio.sleep(1)
                writer.write(bytes([byte]))
        writer.close()

    async def until_closed() -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass

    loop = asyncio.get_running_loop()
    closed = loop.create_task(until_closed())
    dripping = loop.create_task(drip())
    _DRIPPING.add(dripping)
    dripping.add_done_callback(_DRIPPING.discard)
    return closed


async def held(closed: list[asyncio.Task[None] | None]) -> int:
    """How many trickling connections the server has not closed."""
    await asyncio.sleep(0.2)  # let closes already sent arrive
    return sum(1 for task in closed if task is not None and not task.done())


async def one(label: str, argv: list[str], connections: int, seconds: float) -> list[str]:
    async with Upstreams(latency_seconds=0.0) as upstreams:
        port = free_port()
        bot = BotProcess(label, argv, upstreams.bot_env(port), port)
        await bot.start()
        stop = asyncio.Event()
        try:
            closed = [
                await trickle(port, slow_body=i % 2 == 1, stop=stop) for i in range(connections)
            ]
            started, acks = time.monotonic(), []
            at7 = None
            async with Driver(bot.events_url, upstreams.slack.base_url) as driver:
                while time.monotonic() - started < seconds:
                    sent = await driver.command("alice@example.com")
                    acks.append(sent.ack_seconds if sent.status == 200 else float("inf"))
                    await asyncio.sleep(1)
                    if at7 is None and time.monotonic() - started >= 7:
                        at7 = await held(closed)
            at_end = await held(closed)
            stop.set()
        finally:
            await bot.stop()
        levels = bot.log_levels()
        bot.cleanup()
    errors = levels.get("ERROR", 0) + levels.get("CRITICAL", 0)
    return [label, f"{at7}/{connections}", f"{at_end}/{connections}", ms(max(acks)), str(errors)]


async def main(connections: int, seconds: float) -> None:
    print(machine_line())
    print(f"{connections} trickling connections (half headers, half body), {seconds:.0f} s")
    rows = [
        await one("baseline (typical Bolt bot)", typical_argv(), connections, seconds),
        await one("bot (python -m bot)", bot_argv(), connections, seconds),
    ]
    print_table(
        ["server", "held after 7 s", f"held after {seconds:.0f} s", "slowest ack", "ERROR lines"],
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    asyncio.run(main(args.connections, args.seconds))
