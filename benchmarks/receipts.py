"""Receipts: how long the receipts message takes beside the card, and paging it from memory.

One ``python -m bot`` (HTTP mode, CrowdTwist's main host at the sandbox) and, in this process,
the sandbox (L on every answer) and the fake Slack. One request in flight at a time:

* cold, with every cache off (``CACHE_TTL_SECONDS=0``, ``MEMBER_SUMMARY_TTL_SECONDS=0``): the
  card for a member (its baseline: one purchases page, the points call beside it), the
  receipts of a member with one page of receipts (one call), and of one with two (page 1
  says there are two, then page 2: two calls in a row, so about 2·L);
* warm, a second bot with the default caches: Next/Previous on the two-page receipts, which
  the cache answers without a CrowdTwist call.

Also the receipts message's own cost: 25 receipts rendered, in this process.
Targets: one-page receipts within 10 ms of the card at p50; Next p50 ≤ 10 ms.

    python -m benchmarks.receipts            # ~40 s
    python -m benchmarks.receipts --quick    # small counts (~15 s)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import time
from collections.abc import Iterable

from benchmarks.harness import (
    PYTHON,
    BotProcess,
    Driver,
    Upstreams,
    click_and_answer,
    free_port,
    machine_line,
    ms,
    percentile,
    print_table,
    request_and_answer,
    wait_for_quiet,
)
from bot import cards
from bot.crowdtwist.models import IdType
from bot.crowdtwist.receipts import ReceiptPage, receipt_history
from bot.query import PurchaseQuery
from bot.sandbox import DEMO_MEMBERS
from bot.sandbox.receipts import receipts_of
from bot.slack_ids import RECEIPTS_NEXT_PAGE_ACTION, RECEIPTS_PREV_PAGE_ACTION

ANSWER_TIMEOUT = 30.0
TARGET_ADDED_P50 = 0.010
TARGET_NEXT_P50 = 0.010
_RECEIPTS_PATH = re.compile(r"/v2/users/[^/]+/receipts")


def _ids(key: str) -> list[str]:
    """A member by each of the four id types: distinct queries (the cache keys them apart)."""
    m = next(m for m in DEMO_MEMBERS if m.key == key)
    return [m.email, m.crowdtwist_id, f'"{m.third_party_id}" type:3p', m.phone]


def _cycle(values: list[str], count: int) -> Iterable[str]:
    return (values[i % len(values)] for i in range(count))


async def timed(driver: Driver, up: Upstreams, texts: Iterable[str]) -> tuple[list[float], int]:
    """Answer times of ``texts`` one after another, and the receipt calls they made."""
    before = len(up.sandbox.main_requests)
    times = []
    for text in texts:
        outcome = await request_and_answer(driver, up.recorder, text, timeout=ANSWER_TIMEOUT)
        if outcome.answer_seconds is not None:
            times.append(outcome.answer_seconds)
    calls = sum(1 for r in up.sandbox.main_requests[before:] if _RECEIPTS_PATH.fullmatch(r.path))
    return times, calls


async def paging(driver: Driver, up: Upstreams, clicks: int) -> tuple[list[float], int]:
    """Next and Previous on Dev's receipts, alternately, each from the page before."""
    first = await request_and_answer(
        driver, up.recorder, "dev.patel@example.com receipts", timeout=ANSWER_TIMEOUT
    )
    assert first.answer is not None
    buttons = first.answer.buttons
    before = len(up.sandbox.main_requests)
    times = []
    for _ in range(clicks):
        action = (
            RECEIPTS_NEXT_PAGE_ACTION
            if RECEIPTS_NEXT_PAGE_ACTION in buttons
            else (RECEIPTS_PREV_PAGE_ACTION)
        )
        outcome = await click_and_answer(
            driver, up.recorder, action, buttons[action], timeout=ANSWER_TIMEOUT
        )
        if outcome.answer is None or outcome.answer_seconds is None:
            continue
        times.append(outcome.answer_seconds)
        buttons = outcome.answer.buttons
    calls = len(up.sandbox.main_requests) - before
    return times, calls


def render_cost(repeat: int) -> float:
    """Seconds to render Dev's first 25 receipts as a message (this process, no I/O)."""
    dev = next(m for m in DEMO_MEMBERS if m.key == "dev")
    rows = [r.as_row("https://cdn.example") for r in receipts_of(dev)]
    page = ReceiptPage.model_validate({"submitted_receipts": rows})
    history = receipt_history([page], start=None, end=None)
    query = PurchaseQuery(dev.email, IdType.EMAIL)
    started = time.perf_counter()
    for _ in range(repeat):
        cards.receipts_message(query, history)
    return (time.perf_counter() - started) / repeat


async def main(args: argparse.Namespace) -> None:
    print(machine_line())
    print(await wait_for_quiet(args.wait_quiet))
    print(f"L = {ms(args.latency)}; one request in flight; {args.count} of each", flush=True)
    async with Upstreams(args.latency) as up:
        main_url = up.sandbox.base_url
        cold_port, warm_port = free_port(), free_port()
        cold = BotProcess(
            "cold",
            [PYTHON, "-m", "bot"],
            up.bot_env(
                cold_port,
                CROWDTWIST_MAIN_URL=main_url,
                CACHE_TTL_SECONDS="0",
                MEMBER_SUMMARY_TTL_SECONDS="0",
            ),
            cold_port,
        )
        warm = BotProcess(
            "warm",
            [PYTHON, "-m", "bot"],
            up.bot_env(warm_port, CROWDTWIST_MAIN_URL=main_url),
            warm_port,
        )
        stack = contextlib.AsyncExitStack()
        try:
            for process in (cold, warm):
                await process.start()
            cold_driver = await stack.enter_async_context(
                Driver(cold.events_url, up.slack.base_url, connections=10)
            )
            warm_driver = await stack.enter_async_context(
                Driver(warm.events_url, up.slack.base_url, connections=10)
            )
            await timed(cold_driver, up, ["alice@example.com", "alice@example.com receipts"])
            alice, dev = _ids("alice"), _ids("dev")
            card, _ = await timed(cold_driver, up, _cycle(alice, args.count))
            one, one_calls = await timed(
                cold_driver, up, (f"{t} receipts" for t in _cycle(alice, args.count))
            )
            two, two_calls = await timed(
                cold_driver, up, (f"{t} receipts" for t in _cycle(dev, args.count))
            )
            nexts, next_calls = await paging(warm_driver, up, args.count)
        finally:
            await stack.aclose()
            for process in (cold, warm):
                await process.stop()
                process.cleanup()
    rows = [
        [
            "card (baseline)",
            str(len(card)),
            ms(percentile(card, 50)),
            ms(percentile(card, 99)),
            "—",
        ],
        [
            "receipts, 1 page",
            str(len(one)),
            ms(percentile(one, 50)),
            ms(percentile(one, 99)),
            f"{one_calls / max(len(one), 1):.2f}",
        ],
        [
            "receipts, 2 pages",
            str(len(two)),
            ms(percentile(two, 50)),
            ms(percentile(two, 99)),
            f"{two_calls / max(len(two), 1):.2f}",
        ],
        [
            "Next/Previous (cache)",
            str(len(nexts)),
            ms(percentile(nexts, 50)),
            ms(percentile(nexts, 99)),
            f"{next_calls / max(len(nexts), 1):.2f}",
        ],
    ]
    print()
    print_table(["answer", "n", "p50", "p99", "receipt calls each"], rows)
    added = percentile(one, 50) - percentile(card, 50)
    print(
        f"\none-page receipts vs the card at p50: {ms(added)} "
        f"(target ≤ {ms(TARGET_ADDED_P50)}: {'met' if added <= TARGET_ADDED_P50 else 'NOT met'}); "
        f"Next p50 {ms(percentile(nexts, 50))} (target ≤ {ms(TARGET_NEXT_P50)}: "
        f"{'met' if percentile(nexts, 50) <= TARGET_NEXT_P50 else 'NOT met'}); "
        f"25 receipts rendered in {render_cost(args.count * 10) * 1e6:.0f} µs"
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15, help="CrowdTwist latency L, s")
    parser.add_argument("--count", type=int, default=60, help="requests of each kind")
    parser.add_argument("--quick", action="store_true", help="small counts")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="wait up to this long for an idle machine"
    )
    args = parser.parse_args()
    if args.quick:
        args.count, args.wait_quiet = 12, 0.0
    if not 0 < args.latency <= 5 or not 1 <= args.count <= 5000:
        parser.error("--latency must be in (0, 5] s and --count in 1..5000")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
