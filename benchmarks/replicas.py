"""Several replicas: two ``python -m bot`` processes on one Redis behind a round robin, beside
one replica alone, in one run.

Both setups get the same kind of traffic from the same driver: an agent sends a new command,
reads the card for 2·L, then clicks Next. With one replica every request goes to it; with two,
requests alternate between them (a round-robin balancer), so the Next click always lands on
the replica that did *not* answer the command. Figures:

* Next → page p50 / p99 (and the CrowdTwist calls the clicks made: 0 is "instant");
* CrowdTwist calls per new lookup (its first page, the prefetches, its Next click);
* a new lookup repeated at once on the next replica (the other one, with two): calls per repeat;
* 20 identical lookups at once (split over both, with two): calls for that page.

    python -m benchmarks.replicas [--latency 0.15] [--lookups 40] [--agents 4]

Nothing asserts on timings; the figures are printed in one table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from benchmarks.harness import (
    BotProcess,
    Driver,
    Query,
    QueryGen,
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
    wait_for_quiet,
)
from bot.slack_ids import NEXT_PAGE_ACTION
from tests.support.redis_server import RedisServer, redis_available

ANSWER_TIMEOUT = 30.0


@dataclass
class Figures:
    """What one setup measured."""

    label: str
    next_seconds: list[float] = field(default_factory=list)
    next_upstream: int = 0
    lookups: int = 0
    lookup_upstream: int = 0
    repeats: int = 0
    repeat_upstream: int = 0
    identical_page_one: int = 0
    problems: int = 0
    lag: str = ""


@contextlib.asynccontextmanager
async def replicas(
    up: Upstreams, count: int, redis_url: str | None
) -> AsyncIterator[list[tuple[BotProcess, Driver]]]:
    """``count`` bot processes (on ``redis_url`` if given), each with its own driver."""
    started: list[tuple[BotProcess, Driver]] = []
    async with contextlib.AsyncExitStack() as stack:
        for n in range(count):
            port = free_port()
            env = up.bot_env(port, **({"REDIS_URL": redis_url} if redis_url else {}))
            process = BotProcess(f"replica {n + 1}", bot_argv(), env, port)
            await process.start()
            stack.callback(process.cleanup)
            stack.push_async_callback(process.stop)
            driver = await stack.enter_async_context(
                Driver(process.events_url, up.slack.base_url, connections=50)
            )
            started.append((process, driver))
        yield started


async def measure(
    up: Upstreams, gen: QueryGen, label: str, drivers: Sequence[Driver], args: argparse.Namespace
) -> Figures:
    """Command → read 2·L → Next, then repeats and 20 identical at once, round robin."""
    figures = Figures(label)
    turn = iter(range(1_000_000))
    queries = gen.take(args.lookups, paged=True)
    pending = iter(queries)

    def pick() -> Driver:
        return drivers[next(turn) % len(drivers)]  # the balancer: each request to the next

    async def agent() -> None:
        for query in pending:
            # The command goes to the next replica, its Next click to the one after it: with
            # two replicas, always the one that did not answer the command.
            n = next(turn)
            command, click = drivers[n % len(drivers)], drivers[(n + 1) % len(drivers)]
            card = await request_and_answer(
                command, up.recorder, query.text, timeout=ANSWER_TIMEOUT
            )
            value = None if card.answer is None else card.answer.buttons.get(NEXT_PAGE_ACTION)
            if value is None:
                figures.problems += 1
                continue
            await asyncio.sleep(2 * up.latency)
            clicked = await click_and_answer(
                click, up.recorder, NEXT_PAGE_ACTION, value, timeout=ANSWER_TIMEOUT
            )
            if clicked.answer is None or clicked.answer_seconds is None:
                figures.problems += 1
                continue
            figures.next_seconds.append(clicked.answer_seconds)
            figures.next_upstream += asked_between(
                up, query, 2, clicked.sent.sent_at, clicked.answer.at
            )
            figures.lookups += 1

    before = up.upstream_count()
    async with measured_loop() as lag:
        await asyncio.gather(*(agent() for _ in range(args.agents)))
        await asyncio.sleep(2 * up.latency + 0.2)  # the last clicks' prefetches land too
    figures.lag = lag.summary()
    figures.lookup_upstream = up.upstream_count() - before

    # A new lookup, then the same one again within the TTL on the next replica (the other one,
    # with two); its first page asked of CrowdTwist again is what the repeat cost.
    for query in gen.take(max(1, args.lookups // 2), paged=True):
        n = next(turn)
        first, again = drivers[n % len(drivers)], drivers[(n + 1) % len(drivers)]
        await request_and_answer(first, up.recorder, query.text, timeout=ANSWER_TIMEOUT)
        repeat = await request_and_answer(again, up.recorder, query.text, timeout=ANSWER_TIMEOUT)
        if repeat.answer is None:
            figures.problems += 1
            continue
        figures.repeats += 1
        figures.repeat_upstream += asked_between(
            up, query, 1, repeat.sent.sent_at, repeat.answer.at
        )

    same = gen.next(paged=True)
    since = len(up.sandbox.requests)
    up.latency, latency = 0.5, up.latency  # long enough for all 20 to overlap
    await asyncio.gather(
        *(
            request_and_answer(pick(), up.recorder, same.text, timeout=ANSWER_TIMEOUT)
            for _ in range(20)
        )
    )
    up.latency = latency
    figures.identical_page_one = up.requests_for(same, since=since, page=1)
    return figures


def asked_between(up: Upstreams, query: Query, page: int, start: float, end: float) -> int:
    """Sandbox requests for ``query``'s ``page`` that arrived between two instants."""
    want = {**query.params, **({"page": str(page)} if page != 1 else {})}
    return sum(
        1
        for r in up.sandbox.requests
        if start <= r.at <= end and unquote(r.path) == unquote(query.path) and r.query == want
    )


def rows(results: Sequence[Figures]) -> list[list[str]]:
    """One row per figure, one column per setup."""

    def row(name: str, render: Callable[[Figures], object]) -> list[str]:
        return [name, *(str(render(f)) for f in results)]

    def next_times(f: Figures) -> str:
        return f"{ms(percentile(f.next_seconds, 50))} / {ms(percentile(f.next_seconds, 99))}"

    return [
        row("Next → page p50 / p99", next_times),
        row(
            "CrowdTwist calls by Next clicks",
            lambda f: f"{f.next_upstream} of {len(f.next_seconds)}",
        ),
        row(
            "CrowdTwist calls per new lookup (page 1, prefetches, Next)",
            lambda f: f"{f.lookup_upstream / max(1, f.lookups):.2f}",
        ),
        row(
            "CrowdTwist calls per repeat within the TTL",
            lambda f: f"{f.repeat_upstream / max(1, f.repeats):.2f}",
        ),
        row("CrowdTwist calls for 20 identical lookups at once", lambda f: f.identical_page_one),
        row("failed lookups or clicks", lambda f: f.problems),
    ]


async def main(args: argparse.Namespace) -> None:
    print(machine_line())
    print(
        f"L = {args.latency * 1000:.0f} ms; {args.lookups} new lookups per setup, "
        f"{args.agents} agents, each reads the card for 2·L and clicks Next"
    )
    if not redis_available():
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    print(await wait_for_quiet(args.wait_quiet))
    results: list[Figures] = []
    async with Upstreams(args.latency) as up:
        gen = QueryGen()
        async with replicas(up, 1, None) as one:
            print("  one replica…", flush=True)
            results.append(await measure(up, gen, "one replica", [d for _, d in one], args))
        async with replicas(up, 2, None) as alone:
            print("  two replicas without Redis (each on its own), round robin…", flush=True)
            results.append(
                await measure(up, gen, "two replicas, no Redis", [d for _, d in alone], args)
            )
        async with RedisServer() as redis, replicas(up, 2, redis.url) as two:
            print("  two replicas on Redis, round robin…", flush=True)
            started = time.monotonic()
            results.append(
                await measure(up, gen, "two replicas + Redis", [d for _, d in two], args)
            )
            print(f"  ({time.monotonic() - started:.1f} s)")
    print()
    print_table(["figure", *(f.label for f in results)], rows(results))
    for f in results:
        print(f"{f.label}: {f.lag}")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.15, help="CrowdTwist latency, s")
    parser.add_argument("--lookups", type=int, default=40, help="new lookups per setup")
    parser.add_argument("--agents", type=int, default=4, help="agents working at once")
    parser.add_argument(
        "--wait-quiet", type=float, default=30.0, help="max seconds to wait for a quiet machine"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
