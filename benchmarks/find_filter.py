"""Find and filter: ``find:`` and ``only:`` over a 21-page history, and Next after a burst.

The real ``python -m bot`` and, as the baseline, the typical Bolt bot (``typical_bolt.py``),
both pinned to one core (``taskset -c BOT_CORE``), against the sandbox CrowdTwist at latency L
(Hana: 203 purchases, 21 pages), in one run. Figures:

* ``find:`` of the oldest purchase (page 21: every page read) and of one that is not there,
  ``only:short`` over the whole range: command → card, beside the upstream floor
  ``(1 + ceil(20 / EXPORT_CONCURRENCY)) × L`` (page 1, then the other 20 pages
  ``EXPORT_CONCURRENCY`` at a time), and the CrowdTwist calls each made (target: at most
  the 21 pages). The baseline is what an agent does without ``find:``: the typical bot's
  command and 20 Next clicks, one after another, to reach page 21.
* Next after a burst: 30 lookups sent at once (distinct queries), 3 s of reading, then each
  card's Next clicked one after another: Next p50/p99 and the calls they made (target: p50
  ≤ 10 ms, answered from memory), beside the typical bot given the same traffic.

    python -m benchmarks.find_filter [--latency-ms 150] [--repeat 5] [--bot-core 1] [--quick]

Nothing asserts on timings; the figures are printed in tables, each beside its target.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from benchmarks.harness import (
    BotProcess,
    Driver,
    Upstreams,
    bot_argv,
    click_and_answer,
    free_port,
    machine_line,
    measured_loop,
    ms,
    percentile,
    print_table,
    request_and_answer,
    typical_argv,
    wait_for_quiet,
)
from benchmarks.lean import pinned
from bot.crowdtwist.models import Purchase
from bot.sandbox.data import DEMO_MEMBERS
from bot.slack_ids import NEXT_PAGE_ACTION

ANSWER_TIMEOUT = 30.0
HANA = next(m for m in DEMO_MEMBERS if m.key == "hana")
SERVED = [Purchase.model_validate(p.as_history_row()) for p in HANA.purchases]
PAGES = math.ceil(len(SERVED) / 10)
BURST = 30
READ_SECONDS = 3.0


def since(n: int) -> str:
    """A start date before every demo purchase (``n`` < 3,000), different for each ``n``: a
    new query, so no answer comes from the cache of an earlier round."""
    return f"since {(date(2016, 1, 1) + timedelta(days=n)).isoformat()}"


@dataclass
class Timed:
    """One kind of search: how long each took, and the CrowdTwist calls each made."""

    label: str
    seconds: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    failures: int = 0


async def final_answer(
    up: Upstreams, driver: Driver, text: str, *, settle: float
) -> tuple[float | None, int, str]:
    """Send ``text``; seconds until the answer that is not a progress note, the CrowdTwist
    calls made by then plus ``settle`` seconds (prefetches included), and its text."""
    before = up.upstream_count()
    token = driver.new_token()
    sent = await driver.command(text, token)
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while time.monotonic() < deadline and sent.status == 200:
        answers = [a for a in up.recorder.answers.get(token, []) if "Searching…" not in a.text]
        if answers:
            await asyncio.sleep(settle)
            return answers[0].at - sent.sent_at, up.upstream_count() - before, answers[0].text
        await asyncio.sleep(0.002)
    return None, up.upstream_count() - before, ""


async def searches(up: Upstreams, driver: Driver, repeat: int, latency: float) -> list[Timed]:
    """find: of page 21, find: of an absent id, only:short; each ``repeat`` times."""
    kinds = [
        ("find: on page 21", f"find:{SERVED[-1].purchase_id}", "Found"),
        ("find: absent", "find:NW-000000", "No purchase"),
        ("only:short", "only:short", "purchases are short"),
    ]
    results = [Timed(label) for label, _, _ in kinds]
    n = 0
    for _ in range(repeat):
        for timed, (_, words, expected) in zip(results, kinds, strict=True):
            n += 1
            took, calls, text = await final_answer(
                up, driver, f"{HANA.email} {since(n)} {words}", settle=2 * latency
            )
            if took is None or expected not in text:
                timed.failures += 1
                continue
            timed.seconds.append(took)
            timed.calls.append(calls)
    return results


async def paging_through(up: Upstreams, driver: Driver, repeat: int, offset: int) -> Timed:
    """The baseline: the typical bot's card, then Next until page 21, one click at a time."""
    timed = Timed(f"typical bot: command + {PAGES - 1} Next")
    for r in range(repeat):
        before = up.upstream_count()
        started = time.monotonic()
        first = await request_and_answer(
            driver, up.recorder, f"{HANA.email} {since(offset + r)}", timeout=ANSWER_TIMEOUT
        )
        answer = first.answer
        for _ in range(PAGES - 1):
            value = answer.buttons.get(NEXT_PAGE_ACTION) if answer else None
            if value is None:
                break
            clicked = await click_and_answer(
                driver, up.recorder, NEXT_PAGE_ACTION, value, timeout=ANSWER_TIMEOUT
            )
            answer = clicked.answer
        if answer is None:
            timed.failures += 1
            continue
        timed.seconds.append(answer.at - started)
        timed.calls.append(up.upstream_count() - before)
    return timed


async def next_after_burst(
    up: Upstreams, driver: Driver, offset: int
) -> tuple[list[float], int, int]:
    """30 lookups at once, 3 s of reading, then each card's Next one after another: the Next
    latencies, the CrowdTwist calls the clicks' pages cost, and the lookups that failed."""
    members = (HANA.email, "dev.patel@example.com")
    texts = [f"{members[i % 2]} {since(offset + i)}" for i in range(BURST)]
    firsts = await asyncio.gather(
        *(request_and_answer(driver, up.recorder, t, timeout=ANSWER_TIMEOUT) for t in texts)
    )
    await asyncio.sleep(READ_SECONDS)
    seconds: list[float] = []
    failed = 0
    before = up.upstream_count()
    for first in firsts:
        value = first.answer.buttons.get(NEXT_PAGE_ACTION) if first.answer else None
        if value is None:
            failed += 1
            continue
        clicked = await click_and_answer(
            driver, up.recorder, NEXT_PAGE_ACTION, value, timeout=ANSWER_TIMEOUT
        )
        if clicked.answer_seconds is None:
            failed += 1
            continue
        seconds.append(clicked.answer_seconds)
    # Page-2 requests made after the burst settled: Next that did not come from memory
    # (the bot's own prefetches of page 3, started by each new card, are not counted).
    page2 = sum(1 for r in up.sandbox.requests[before:] if r.query.get("page") == "2")
    return seconds, page2, failed


def cell(values: Sequence[float], q: float | None = None) -> str:
    if not values:
        return "—"
    return ms(statistics.median(values) if q is None else percentile(values, q))


async def main(args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    concurrency = args.concurrency
    floor = (1 + math.ceil((PAGES - 1) / concurrency)) * latency
    print(machine_line())
    print(
        f"L = {args.latency_ms:.0f} ms; {HANA.email}: {len(SERVED)} purchases, {PAGES} pages; "
        f"EXPORT_CONCURRENCY = {concurrency}; each bot pinned to core {args.bot_core} "
        f"(taskset -c {args.bot_core}); driver, sandbox and fake Slack in this process"
    )
    print(
        f"upstream floor (1 + ceil({PAGES - 1} / {concurrency})) × L = "
        f"{1 + math.ceil((PAGES - 1) / concurrency)} × {args.latency_ms:.0f} ms = {ms(floor)}; "
        f"target ≤ 1.25 × floor = {ms(1.25 * floor)}"
    )
    print(await wait_for_quiet(args.wait_quiet))
    async with Upstreams(latency) as up:
        port_bot, port_typical = free_port(), free_port()
        bot = BotProcess(
            "bot",
            pinned(args.bot_core, bot_argv()),
            up.bot_env(
                port_bot, EXPORT_CONCURRENCY=str(concurrency), EXPORT_MAX_PAGES=str(PAGES + 9)
            ),
            port_bot,
        )
        typical = BotProcess(
            "typical Bolt bot",
            pinned(args.bot_core, typical_argv()),
            up.bot_env(port_typical),
            port_typical,
        )
        await bot.start()
        await typical.start()
        try:
            gc.collect()
            gc.freeze()
            async with (
                Driver(bot.events_url, up.slack.base_url) as bot_driver,
                Driver(typical.events_url, up.slack.base_url) as typical_driver,
                measured_loop() as lag,
            ):
                timed = await searches(up, bot_driver, args.repeat, latency)
                baseline = await paging_through(up, typical_driver, args.repeat, 1000)
                up.trim()
                bot_next, bot_page2, bot_failed = await next_after_burst(up, bot_driver, 2000)
                up.trim()
                typ_next, typ_page2, typ_failed = await next_after_burst(up, typical_driver, 3000)
            print(f"benchmark process: {lag.summary()}")
        finally:
            await bot.stop()
            await typical.stop()
            bot.cleanup()
            typical.cleanup()

    print()
    print(f"Find and filter over {PAGES} pages (command → answer; {args.repeat} runs each)")
    rows = []
    for t in [*timed, baseline]:
        median = statistics.median(t.seconds) if t.seconds else math.nan
        ratio = median / floor if t.seconds else math.nan
        calls = f"{min(t.calls)}–{max(t.calls)}" if t.calls else "—"
        is_bot = t is not baseline
        meets = "—"
        if is_bot and t.seconds:
            meets = "met" if ratio <= 1.25 and max(t.calls) <= PAGES else "**not met**"
        rows.append(
            [
                t.label,
                cell(t.seconds),
                ms(max(t.seconds)) if t.seconds else "—",
                f"{ratio:.2f}x",
                calls,
                str(t.failures),
                meets,
            ]
        )
    print_table(
        ["search", "p50", "max", "÷ floor", "CrowdTwist calls", "failed", "≤ 1.25x, ≤ 21 calls"],
        rows,
    )
    print()
    print(f"Next {READ_SECONDS:.0f} s after a burst of {BURST} simultaneous lookups")
    print_table(
        ["bot", "Next p50", "Next p99", "page-2 calls", "failed", "p50 ≤ 10 ms"],
        [
            [
                "bot",
                cell(bot_next),
                cell(bot_next, 99),
                str(bot_page2),
                str(bot_failed),
                "met" if bot_next and statistics.median(bot_next) <= 0.010 else "**not met**",
            ],
            [
                "typical Bolt bot",
                cell(typ_next),
                cell(typ_next, 99),
                str(typ_page2),
                str(typ_failed),
                "—",
            ],
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=5, help="EXPORT_CONCURRENCY")
    parser.add_argument("--bot-core", type=int, default=1)
    parser.add_argument("--wait-quiet", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="one run of each, no quiet wait")
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.repeat, parsed.wait_quiet = 1, 0.0
    asyncio.run(main(parsed))
