"""What the metrics cost: CPU per lookup of the bot with ``METRICS_ENABLED`` on and off.

Two ``python -m bot`` processes, identical but for ``METRICS_ENABLED``, run at once, each under
``taskset -c BOT_CORE`` (default 1), on lean's harness (``benchmarks/lean.py``): the driver,
the sandbox and the fake Slack pinned to the other core, phases alternating between the two
bots so whatever else the machine does hits both. The bot with metrics is scraped every
``--scrape-seconds`` during its rounds, as Prometheus would. Target: the two CPU figures no
more than 3 % apart.

    python -m benchmarks.metrics            # ~2 min
    python -m benchmarks.metrics --quick    # small counts (~40 s)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.harness import (
    PYTHON,
    BotProcess,
    Driver,
    QueryGen,
    Upstreams,
    closed_loop,
    free_port,
    machine_line,
    ms,
    print_table,
    wait_for_quiet,
)
from benchmarks.lean import Side, in_order, load_round, pinned, throughput_round

TARGET = 0.03
"""The two CPU figures may be this far apart (a share of the figure without metrics)."""


async def scraping(url: str, every: float, count: list[int]) -> None:
    """GET ``url`` now and every ``every`` seconds until cancelled, as Prometheus would."""
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(url) as answer:
                await answer.read()
                count[0] += 1
            await asyncio.sleep(every)


async def counted_lookups(url: str) -> float:
    """``purchases_lookups_total`` summed over its labels, read from the bot's ``/metrics``."""
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        text = await answer.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "purchases_lookups_total"
    )


def apart(on: float, off: float) -> float:
    return (on - off) / off if off and not math.isnan(on) else math.nan


async def main(args: argparse.Namespace) -> None:
    harness_cores = set(range(os.cpu_count() or 1)) - {args.bot_core}
    os.sched_setaffinity(0, harness_cores or {0})
    print(machine_line())
    print(f"pinning: both bots on core {args.bot_core}; the rest on {sorted(harness_cores)}")
    print(await wait_for_quiet(args.wait_quiet))
    print(
        f"L = {ms(args.latency)}; {args.in_flight} in flight; {args.lookups_at_l} lookups per "
        f"bot at L and {args.lookups} at L = 0, in {args.rounds} alternating rounds; "
        f"/metrics scraped every {args.scrape_seconds} s",
        flush=True,
    )
    gen = QueryGen()
    scrapes = [0]
    async with Upstreams(args.latency) as up:
        sides = []
        for label, enabled in (("metrics on", "true"), ("metrics off", "false")):
            port = free_port()
            env = up.bot_env(port, METRICS_ENABLED=enabled)
            process = BotProcess(label, pinned(args.bot_core, [PYTHON, "-m", "bot"]), env, port)
            sides.append(Side(label, process))
        on, off = sides
        metrics_url = f"{on.process.base_url}/metrics"
        drivers = contextlib.AsyncExitStack()
        try:
            for side in sides:
                await side.process.start()
                side.driver = await drivers.enter_async_context(
                    Driver(side.process.events_url, up.slack.base_url, connections=100)
                )
                await closed_loop(
                    side.driver, up.recorder, [q.text for q in gen.take(20)], in_flight=5
                )
            for phase, total in (("L", args.lookups_at_l), ("L = 0", args.lookups)):
                if phase == "L = 0":
                    up.latency = 0.0
                per_round = max(1, total // args.rounds)
                for r in range(args.rounds):
                    texts = [q.text for q in gen.take(per_round)]
                    for side in in_order(sides, r):
                        print(f"  {phase} run {r + 1}/{args.rounds}: {side.label}…", flush=True)
                        scraper = None
                        if side is on:
                            every = args.scrape_seconds
                            scraper = asyncio.create_task(scraping(metrics_url, every, scrapes))
                        try:
                            if phase == "L":
                                await load_round(up, side, texts, args.in_flight)
                            else:
                                await throughput_round(up, side, texts, args.in_flight)
                        finally:
                            if scraper is not None:
                                scraper.cancel()
                                with contextlib.suppress(asyncio.CancelledError):
                                    await scraper
            counted = await counted_lookups(metrics_url)
        finally:
            await drivers.aclose()
            for side in sides:
                side.exit_code = await side.process.stop()
                side.process.cleanup()

    def at_zero(side: Side) -> float:
        return side.tput_cpu / max(side.tput_lookups, 1)

    rows = []
    for name, of in (("CPU per lookup at L", lambda s: s.cpu_per_lookup), ("at L = 0", at_zero)):
        a, b = of(on), of(off)
        gap = apart(a, b)
        meets = "yes" if abs(gap) <= TARGET else "NO"
        rows.append(
            [name, f"{a * 1000:.3f} ms", f"{b * 1000:.3f} ms", f"{gap * 100:+.1f} %", meets]
        )
    rows.append(
        ["lost / error answers", f"{on.lost} / {on.errors}", f"{off.lost} / {off.errors}", "", ""]
    )
    print()
    print_table(["figure", on.label, off.label, "on vs off", f"within {TARGET:.0%}"], rows)
    for side in sides:
        rounds = ", ".join(f"{c * 1000:.2f}" for c in side.round_cpu)
        print(f"{side.label}: CPU ms per lookup at L by round: {rounds}; exit {side.exit_code}")
    print(
        f"metrics on: {scrapes[0]} scrapes; purchases_lookups_total = {counted:.0f} "
        f"(warm-up included) for {on.load_lookups + on.tput_lookups + 20} lookups sent"
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15, help="CrowdTwist latency L, s")
    parser.add_argument("--in-flight", type=int, default=30, help="lookups in flight")
    parser.add_argument("--lookups-at-l", type=int, default=1200, help="lookups per bot at L")
    parser.add_argument("--lookups", type=int, default=3000, help="lookups per bot at L = 0")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per phase")
    parser.add_argument("--bot-core", type=int, default=1, help="the core both bots run on")
    parser.add_argument("--scrape-seconds", type=float, default=1.0, help="scrape interval, s")
    parser.add_argument("--quick", action="store_true", help="small counts")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="wait up to this long for an idle machine"
    )
    args = parser.parse_args()
    if args.quick:
        args.lookups_at_l, args.lookups, args.rounds, args.wait_quiet = 300, 600, 2, 0.0
    if (os.cpu_count() or 1) < 2 or not 0 <= args.bot_core < (os.cpu_count() or 1):
        parser.error("needs 2+ cores and --bot-core among them")
    if not 0 < args.latency <= 5 or not 0.1 <= args.scrape_seconds <= 60:
        parser.error("--latency must be in (0, 5] s and --scrape-seconds in [0.1, 60]")
    for name in ("in_flight", "lookups_at_l", "lookups", "rounds"):
        if not 1 <= getattr(args, name) <= 20_000:
            parser.error(f"--{name.replace('_', '-')} must be 1..20000")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
