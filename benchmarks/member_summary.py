"""The member summary's cost: the first card with the points line on vs off, one run, pinned.

Two ``python -m bot`` processes run at once, each under ``taskset -c BOT_CORE`` (default 1):
one with the summary on (``CROWDTWIST_MAIN_URL`` at the sandbox, ``MEMBER_SUMMARY_TTL_SECONDS=0``
so every lookup makes both calls) and one with ``MEMBER_SUMMARY_ENABLED=false``. The sandbox
answers the page and the points call in the same L. This process (the driver, the sandbox and
the fake Slack) pins itself to the other core(s). Rounds alternate the order. Lookups of the
sandbox's failing member and its refused id type are left out: both bots get the same texts.
Figures: first card p50/p99 (command sent → card recorded), CPU per lookup, and the points
calls made.
Target: the summary adds at most 5 ms at p50.

    python -m benchmarks.member_summary            # ~1 min
    python -m benchmarks.member_summary --quick    # small counts (~20 s)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os

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
    percentile,
    print_table,
    wait_for_quiet,
)
from benchmarks.lean import Side, in_order, load_round, pinned
from bot.sandbox import DEMO_MEMBERS
from bot.sandbox.points import POINTS_FAILING

# Lookups whose points call the sandbox answers as documented: its failing member (500s,
# retried, so the card waits out its 300 ms) and its id-type refusal would measure those.
_LEFT_OUT = {
    value
    for m in DEMO_MEMBERS
    if m.key == POINTS_FAILING
    for value in (m.email, m.crowdtwist_id, m.third_party_id, m.phone)
} | {m.phone for m in DEMO_MEMBERS}  # the sandbox refuses phone numbers for User Points
TARGET_ADDED_P50 = 0.005


def answered_texts(gen: QueryGen, count: int) -> list[str]:
    """``count`` distinct lookups whose points call succeeds in the sandbox."""
    texts: list[str] = []
    while len(texts) < count:
        query = gen.next()
        if not any(query.text.startswith(value) for value in _LEFT_OUT):
            texts.append(query.text)
    return texts


def report(on: Side, off: Side, points_calls: int) -> None:
    rows = [
        [
            side.label,
            str(len(side.first_answer)),
            ms(percentile(side.first_answer, 50)),
            ms(percentile(side.first_answer, 99)),
            ms(side.cpu_per_lookup),
            f"{side.lost} / {side.errors}",
        ]
        for side in (on, off)
    ]
    print_table(
        ["bot", "answers", "first card p50", "p99", "CPU per lookup", "lost / not a card"], rows
    )
    added = percentile(on.first_answer, 50) - percentile(off.first_answer, 50)
    added99 = percentile(on.first_answer, 99) - percentile(off.first_answer, 99)
    meets = "met" if added <= TARGET_ADDED_P50 else "NOT met"
    print(
        f"\nthe summary adds {ms(added)} at p50 (target ≤ {ms(TARGET_ADDED_P50)}: {meets}), "
        f"{ms(added99)} at p99; points calls made by the summary-on bot: {points_calls} "
        f"for {on.load_lookups} lookups"
    )
    for side in (on, off):
        for text, count in side.log_top:
            print(f"  {side.label} log: {count} × {text}")


async def main(args: argparse.Namespace) -> None:
    harness_cores = set(range(os.cpu_count() or 1)) - {args.bot_core}
    os.sched_setaffinity(0, harness_cores or {0})
    print(machine_line())
    print(await wait_for_quiet(args.wait_quiet))
    print(
        f"L = {ms(args.latency)} on both calls; {args.in_flight} lookups in flight; "
        f"{args.lookups} lookups per bot in {args.rounds} alternating rounds; both bots on "
        f"core {args.bot_core}",
        flush=True,
    )
    gen = QueryGen()
    async with Upstreams(args.latency) as up:
        port_on, port_off = free_port(), free_port()
        argv = pinned(args.bot_core, [PYTHON, "-m", "bot"])
        on = Side(
            "summary on",
            BotProcess(
                "summary on",
                argv,
                up.bot_env(
                    port_on,
                    CROWDTWIST_MAIN_URL=up.sandbox.base_url,
                    MEMBER_SUMMARY_TTL_SECONDS="0",
                ),
                port_on,
            ),
        )
        off = Side(
            "summary off",
            BotProcess(
                "summary off", argv, up.bot_env(port_off, MEMBER_SUMMARY_ENABLED="false"), port_off
            ),
        )
        sides = [on, off]
        drivers = contextlib.AsyncExitStack()
        try:
            for side in sides:
                await side.process.start()
                side.driver = await drivers.enter_async_context(
                    Driver(side.process.events_url, up.slack.base_url, connections=100)
                )
                await closed_loop(  # warm-up: auth.test, connections, first imports
                    side.driver, up.recorder, answered_texts(gen, 20), in_flight=5
                )
            warm_points = len(up.sandbox.main_requests)
            per_round = max(1, args.lookups // args.rounds)
            for r in range(args.rounds):
                texts = answered_texts(gen, per_round)
                for side in in_order(sides, r):
                    print(f"  run {r + 1}/{args.rounds}: {side.label}…", flush=True)
                    await load_round(up, side, texts, args.in_flight)
            points_calls = len(up.sandbox.main_requests) - warm_points
        finally:
            await drivers.aclose()
            for side in sides:
                await side.process.stop()
                side.log_top = side.process.log_messages(3)
                side.process.cleanup()
        print()
        report(on, off, points_calls)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15, help="CrowdTwist latency L, s")
    parser.add_argument("--in-flight", type=int, default=10, help="lookups in flight")
    parser.add_argument("--lookups", type=int, default=1200, help="lookups per bot")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds")
    parser.add_argument("--bot-core", type=int, default=1, help="the core both bots run on")
    parser.add_argument("--quick", action="store_true", help="small counts")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="wait up to this long for an idle machine"
    )
    args = parser.parse_args()
    if args.quick:
        args.lookups, args.rounds, args.wait_quiet = 160, 2, 0.0
    if (os.cpu_count() or 1) < 2 or not 0 <= args.bot_core < (os.cpu_count() or 1):
        parser.error("needs 2+ cores and --bot-core among them")
    if not 0 < args.latency <= 5 or not 1 <= args.lookups <= 20_000:
        parser.error("--latency must be in (0, 5] s and --lookups in 1..20000")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
