"""A broken CrowdTwist answer: a 40 MB body, and a body that never ends, against a real bot.

Runs ``python -m bot`` as a separate process twice, each against the same faults: the
baseline with the size limit lifted to its maximum (1 GiB, which is how the bot behaved
before it had one) and the bot with its default ``CROWDTWIST_MAX_RESPONSE_BYTES``. For each
fault it sends the command that meets the fault, then five other agents' commands while the
bot deals with it, and prints how much the process grew (resident, and its peak), how long
the faulty lookup took to be answered and the slowest ack of the others. The peak is the
process's VmHWM, reset before each fault.

    python -m benchmarks.big_body [--size-mb 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import (
    BotProcess,
    Driver,
    Upstreams,
    bot_argv,
    free_port,
    machine_line,
    mb,
    ms,
    print_table,
)
from bot.sandbox.faults import Faults

TARGET_GROWTH_KIB = 60 * 1024
UNLIMITED = str(1024**3)
OTHERS = ["ben.okafor@example.com", "carmen.ruiz@example.com", "nobody@example.com"]


def reset_peak(pid: int) -> None:
    """Reset the process's VmHWM to its current RSS (Linux: ``5`` to ``clear_refs``)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


async def one_fault(
    upstreams: Upstreams, bot: BotProcess, member: str, inject: Callable[[Faults], None]
) -> list[str]:
    """Meet the fault with ``member``'s lookup; others ask meanwhile. One table row."""
    reset_peak(bot.pid)
    before = bot.memory()
    async with Driver(bot.events_url, upstreams.slack.base_url) as driver:
        token = driver.new_token()
        answered = upstreams.recorder.expect(token)
        inject(upstreams.sandbox.faults)
        started = time.monotonic()
        sent = await driver.command(member, token)
        others = []
        for i in range(5):
            await asyncio.sleep(0.1)
            others.append(await driver.command(f"{OTHERS[i % len(OTHERS)]} page:{i + 1}"))
        answer = await asyncio.wait_for(answered, timeout=120)
        took = answer.at - started
    await asyncio.sleep(0.5)
    after = bot.memory()
    grown = after["VmRSS"] - before["VmRSS"]
    peak = after["VmHWM"] - before["VmRSS"]
    slowest = max([sent.ack_seconds] + [o.ack_seconds for o in others])
    meets = "yes" if peak < TARGET_GROWTH_KIB else "no"
    return [mb(grown), mb(peak), ms(took), ms(slowest), meets, answer.text[:48]]


async def run(label: str, size: int, env: dict[str, str]) -> list[list[str]]:
    rows = []
    async with Upstreams(latency_seconds=0.0) as upstreams:
        port = free_port()
        bot = BotProcess(label, bot_argv(), upstreams.bot_env(port, **env), port)
        await bot.start()
        try:
            faults: list[tuple[str, str, Callable[[Faults], None]]] = [
                ("chunked", "alice@example.com", lambda f: f.inject_huge_body(size)),
                (
                    "Content-Length",
                    "o'neil+vip@example.com",
                    lambda f: f.inject_huge_body(size, declare_length=True),
                ),
                (
                    "never ends (6 MB/s)",
                    "dev.patel@example.com",
                    lambda f: f.inject_endless_body(chunk_interval_seconds=0.01),
                ),
            ]
            for name, member, inject in faults:
                rows.append([label, name, *await one_fault(upstreams, bot, member, inject)])
        finally:
            await bot.stop()
            bot.cleanup()
    return rows


async def main(size_mb: int) -> None:
    size = size_mb * 1024 * 1024
    print(machine_line())
    print(f"a {size_mb} MB 200 body (chunked, then with Content-Length) and a never-ending one")
    rows = await run("baseline (limit 1 GiB)", size, {"CROWDTWIST_MAX_RESPONSE_BYTES": UNLIMITED})
    rows += await run("bot (default limit)", size, {})
    print_table(
        [
            "bot",
            "body",
            "RSS growth",
            "peak growth",
            "answered in",
            "slowest ack",
            "peak < 60 MB",
            "answer",
        ],
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.size_mb))
