"""Instant pages: ack, command → card, Next/Previous, upstream calls, throughput and memory.

The bot runs as ``python -m bot`` (HTTP mode, its own process, default settings); the
CrowdTwist sandbox (latency ``L``), the fake Slack and the driver run here. Every query is
distinct (member × id type × ``since`` date) unless a figure says otherwise. Baselines in the
same run: (a) the floor, a direct ``httpx.AsyncClient`` GET of the same first pages from this
process; (b) the typical Bolt bot (``benchmarks/typical_bolt.py``) in its own process.

    python -m benchmarks.latency [--latency 0.15] [--quick]
    python -m benchmarks.latency --profile pyinstrument   # or py-spy: profile the 30-in-flight run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from benchmarks.harness import (
    CT_KEY,
    PROFILERS,
    PYTHON,
    ROOT,
    Answer,
    BotProcess,
    Driver,
    Outcome,
    Profiler,
    ProfileReport,
    Query,
    QueryGen,
    Upstreams,
    bot_setup,
    click_and_answer,
    closed_loop,
    free_port,
    headline,
    is_card,
    machine_line,
    mb,
    measured_loop,
    ms,
    percentile,
    print_table,
    request_and_answer,
    typical_argv,
    wait_for_quiet,
)
from bot.slack_ids import NEXT_PAGE_ACTION, PREV_PAGE_ACTION

ANSWER_TIMEOUT = 30.0
FLOOR = ROOT / "benchmarks" / "floor.py"


@dataclass
class CommandRun:
    """A closed-loop run of distinct commands."""

    acks: list[float] = field(default_factory=list)
    cards: list[float] = field(default_factory=list)
    failures: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    upstream: int = 0
    commands: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    lag: str = ""

    def add(self, outcomes: Sequence[Outcome]) -> None:
        """Fold outcomes in: ack times, first-answer times, failures by kind."""
        for o in outcomes:
            self.commands += 1
            self.acks.append(o.sent.ack_seconds)
            if o.answer is None or o.sent.status != 200:
                self.failures += 1
                continue
            if not is_card(o.answer):
                key = headline(o.answer)
                self.errors[key] = self.errors.get(key, 0) + 1
            seconds = o.answer_seconds
            if seconds is not None:
                self.cards.append(seconds)


@dataclass
class Clicks:
    """Next/Previous clicks: time to the page on screen, and whether CrowdTwist was asked."""

    next_seconds: list[float] = field(default_factory=list)
    prev_seconds: list[float] = field(default_factory=list)
    next_upstream: int = 0
    prev_upstream: int = 0
    problems: int = 0


@dataclass
class Upstream:
    """Sandbox requests per query."""

    per_new_query: list[int] = field(default_factory=list)
    expected: list[int] = field(default_factory=list)
    repeat_total: int = 0
    repeats: int = 0
    identical_sent: int = 0
    identical_page_one: int = 0
    identical_total: int = 0
    in_flight_ratio: float = math.nan


@dataclass
class Throughput:
    """Distinct lookups at L = 0 until every card is delivered."""

    lookups: int = 0
    wall: float = 0.0
    failures: int = 0
    cpu: float = 0.0
    rss_at: list[tuple[int, int]] = field(default_factory=list)
    peak_kib: int | None = None
    rss_kib: int | None = None
    requery: int = 0
    requery_upstream: int = 0
    lag: str = ""

    @property
    def rate(self) -> float:
        """Commands per second, first send to last card."""
        return (self.lookups - self.failures) / self.wall if self.wall > 0 else math.nan


@dataclass
class Target:
    """Everything measured for one process."""

    label: str
    commands: CommandRun = field(default_factory=CommandRun)
    burst: CommandRun = field(default_factory=CommandRun)
    start_rss_kib: int | None = None
    clicks: Clicks | None = None
    clicks_many: Clicks | None = None
    upstream: Upstream | None = None
    profile: ProfileReport | None = None
    throughput: Throughput = field(default_factory=Throughput)
    exit_code: int | None = None
    log_summary: str = ""


# -- phases -----------------------------------------------------------------------------------


async def run_commands(
    up: Upstreams,
    process: BotProcess,
    driver: Driver,
    queries: Sequence[Query],
    in_flight: int,
    *,
    stagger: float,
) -> CommandRun:
    """``in_flight`` agents, each: command → wait for the card → next command."""
    run = CommandRun()
    up.trim()
    cpu = process.cpu()
    async with measured_loop(process.pid) as lag:
        outcomes, run.wall = await closed_loop(
            driver, up.recorder, [q.text for q in queries], in_flight=in_flight, stagger=stagger
        )
        await asyncio.sleep(2 * up.latency + 0.1)  # prefetches started by the last cards land
    run.cpu = process.cpu() - cpu
    run.lag = lag.summary()
    run.upstream = up.upstream_count()
    run.add(outcomes)
    return run


async def run_floor(
    up: Upstreams, queries: Sequence[Query], in_flight: int, *, stagger: float
) -> list[float]:
    """The floor: the same first pages fetched straight from the sandbox with httpx, from a
    separate process (``benchmarks/floor.py``), closed loop like the commands."""
    spec = {
        "base_url": up.sandbox.base_url,
        "api_key": CT_KEY,
        "in_flight": in_flight,
        "stagger": stagger,
        "requests": [[q.path, q.params] for q in queries],
    }
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        str(FLOOR),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(json.dumps(spec).encode()), 300)
    if process.returncode != 0:
        raise RuntimeError(f"floor client failed: {err.decode()[-2000:]}")
    latencies: list[float] = json.loads(out)
    return latencies


def _asked_between(up: Upstreams, query: Query, page: int, start: float, end: float) -> int:
    """Sandbox requests for ``query``'s ``page`` that arrived between two instants."""
    want = {**query.params, **({"page": str(page)} if page != 1 else {})}
    return sum(
        1
        for r in up.sandbox.requests
        if start <= r.at <= end and unquote(r.path) == unquote(query.path) and r.query == want
    )


async def run_clicks(
    up: Upstreams, driver: Driver, gen: QueryGen, *, agents: int, rounds: int
) -> Clicks:
    """Agents that read a card for 2·L, click Next, read for 2·L, click Previous."""
    clicks = Clicks()
    wait = 2 * up.latency

    async def turn(
        query: Query, action_id: str, value: str, page: int
    ) -> tuple[float, int, Answer] | None:
        """After the agent's pause, click; (seconds to the page, upstream calls, the page)."""
        await asyncio.sleep(wait)
        clicked = await click_and_answer(
            driver, up.recorder, action_id, value, timeout=ANSWER_TIMEOUT
        )
        if clicked.answer is None or clicked.answer_seconds is None:
            clicks.problems += 1
            return None
        asked = _asked_between(up, query, page, clicked.sent.sent_at, clicked.answer.at)
        return clicked.answer_seconds, asked, clicked.answer

    async def agent(offset: float) -> None:
        await asyncio.sleep(offset)
        for _ in range(rounds):
            query = gen.next(paged=True)
            card = await request_and_answer(driver, up.recorder, query.text, timeout=ANSWER_TIMEOUT)
            value = None if card.answer is None else card.answer.buttons.get(NEXT_PAGE_ACTION)
            if value is None:
                clicks.problems += 1
                continue
            turned = await turn(query, NEXT_PAGE_ACTION, value, 2)
            if turned is None:
                continue
            clicks.next_seconds.append(turned[0])
            clicks.next_upstream += turned[1]
            back = turned[2].buttons.get(PREV_PAGE_ACTION)
            if back is None or not turned[2].replace_original:
                clicks.problems += 1
                continue
            returned = await turn(query, PREV_PAGE_ACTION, back, 1)
            if returned is None:
                continue
            clicks.prev_seconds.append(returned[0])
            clicks.prev_upstream += returned[1]

    await asyncio.gather(*(agent(0.0) for _ in range(agents)))
    return clicks


async def run_upstream(up: Upstreams, driver: Driver, gen: QueryGen, count: int) -> Upstream:
    """Sandbox requests for new queries (one at a time), repeats, and identical concurrent ones."""
    result = Upstream()
    settle = 2 * up.latency + 0.2
    queries = gen.take(count)
    for query in queries:
        before = up.upstream_count()
        await request_and_answer(driver, up.recorder, query.text, timeout=ANSWER_TIMEOUT)
        await asyncio.sleep(settle)  # the prefetch, if any, lands too
        result.per_new_query.append(up.upstream_count() - before)
        result.expected.append(2 if query.has_next_page else 1)
    before = up.upstream_count()
    for query in queries:
        await request_and_answer(driver, up.recorder, query.text, timeout=ANSWER_TIMEOUT)
    await asyncio.sleep(settle)
    result.repeat_total, result.repeats = up.upstream_count() - before, len(queries)
    same = gen.next(paged=True)
    before = up.upstream_count()
    result.identical_sent = 20
    await asyncio.gather(
        *(
            request_and_answer(driver, up.recorder, same.text, timeout=ANSWER_TIMEOUT)
            for _ in range(result.identical_sent)
        )
    )
    await asyncio.sleep(settle)
    result.identical_page_one = up.requests_for(same, since=before, page=1)
    result.identical_total = up.upstream_count() - before
    return result


async def run_throughput(
    up: Upstreams,
    process: BotProcess,
    driver: Driver,
    queries: Sequence[Query],
    in_flight: int,
    *,
    requery: int = 0,
) -> Throughput:
    """Distinct lookups at L = 0, closed loop; RSS sampled as they complete."""
    result = Throughput(lookups=len(queries))
    up.latency = 0.0
    up.trim()
    outcomes: list[Outcome] = []
    marks = sorted({min(len(queries), k) for k in range(1000, len(queries) + 1000, 1000)})

    async def sample() -> None:
        pending = list(marks)
        while pending:
            if len(outcomes) >= pending[0]:
                result.rss_at.append((pending.pop(0), process.memory().get("VmRSS", 0)))
            await asyncio.sleep(0.05)

    cpu = process.cpu()
    sampler = asyncio.create_task(sample())
    async with measured_loop(process.pid) as lag:
        _, result.wall = await closed_loop(
            driver,
            up.recorder,
            [q.text for q in queries],
            in_flight=in_flight,
            outcomes=outcomes,
        )
    await asyncio.sleep(0.3)
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    result.cpu = process.cpu() - cpu
    result.lag = lag.summary()
    result.failures = sum(1 for o in outcomes if o.answer is None or not is_card(o.answer))
    if requery:
        # The oldest lookups again, within the TTL: asked again only if the cache evicted them.
        up.trim()
        again, _ = await closed_loop(
            driver, up.recorder, [q.text for q in queries[:requery]], in_flight=in_flight
        )
        result.requery = len(again)
        result.requery_upstream = sum(up.requests_for(q, page=1) for q in queries[:requery])
    memory = process.memory()
    result.peak_kib, result.rss_kib = memory.get("VmHWM"), memory.get("VmRSS")
    return result


# -- the two processes ------------------------------------------------------------------------


def summarise_log(process: BotProcess) -> str:
    """Log lines by level and the most frequent ones."""
    levels = ", ".join(f"{k} {v}" for k, v in sorted(process.log_levels().items())) or "none"
    top = process.log_messages(2)
    return f"log lines: {levels}" + "".join(f"\n    {n:>5}  {text}" for text, n in top)


async def command_runs(
    up: Upstreams,
    process: BotProcess,
    driver: Driver,
    gen: QueryGen,
    args: argparse.Namespace,
    target: Target,
    count: int,
) -> None:
    """Warm up, then the steady run (agents staggered over L) and the burst (all at once)."""
    up.latency = args.latency
    await closed_loop(driver, up.recorder, [q.text for q in gen.take(10)], in_flight=5)
    target.start_rss_kib = process.memory().get("VmRSS")
    target.commands = await run_commands(
        up, process, driver, gen.take(count), args.in_flight, stagger=args.latency
    )
    target.burst = await run_commands(
        up, process, driver, gen.take(count), args.in_flight, stagger=0.0
    )


async def measure_bot(up: Upstreams, args: argparse.Namespace, gen: QueryGen) -> Target:
    """Every figure for ``python -m bot``."""
    label, argv, extra = bot_setup(args.bot_env)
    target = Target(label)
    port = free_port()
    env = up.bot_env(port, **extra)
    profiler = Profiler(args.profile, Path(args.profile_dir)) if args.profile else None
    argv = profiler.argv() if profiler is not None else argv
    process = BotProcess("bot", argv, env, port)
    await process.start()
    try:
        async with Driver(process.events_url, up.slack.base_url, connections=100) as driver:
            if profiler is not None:
                await profiler.attach(process.pid)
            count = args.profile_commands if profiler is not None else args.commands
            await command_runs(up, process, driver, gen, args, target, count)
            if profiler is not None:
                await profiler.detach()
            else:
                print("  bot: clicks…", flush=True)
                target.clicks = await run_clicks(
                    up, driver, gen, agents=1, rounds=args.click_rounds
                )
                target.clicks_many = await run_clicks(
                    up, driver, gen, agents=args.click_agents, rounds=args.click_agent_rounds
                )
                print("  bot: upstream counts…", flush=True)
                target.upstream = await run_upstream(up, driver, gen, args.upstream_queries)
                print(f"  bot: {args.lookups} lookups at L = 0…", flush=True)
                target.throughput = await run_throughput(
                    up,
                    process,
                    driver,
                    gen.take(args.lookups),
                    args.throughput_in_flight,
                    requery=min(200, args.lookups // 5),
                )
    finally:
        target.exit_code = await process.stop()
        target.log_summary = summarise_log(process)
        process.cleanup()
        up.latency = args.latency
    if profiler is not None:
        target.profile = await profiler.report()
    return target


async def measure_minimal(up: Upstreams, args: argparse.Namespace, gen: QueryGen) -> Target:
    """Ack, command → card and throughput for the typical Bolt bot."""
    target = Target("typical Bolt bot")
    port = free_port()
    process = BotProcess("typical Bolt bot", typical_argv(), up.bot_env(port), port)
    await process.start()
    try:
        async with Driver(process.events_url, up.slack.base_url, connections=100) as driver:
            await command_runs(up, process, driver, gen, args, target, args.commands)
            print(f"  minimal: {args.lookups} lookups at L = 0…", flush=True)
            target.throughput = await run_throughput(
                up, process, driver, gen.take(args.lookups), args.throughput_in_flight
            )
    finally:
        target.exit_code = await process.stop()
        target.log_summary = summarise_log(process)
        process.cleanup()
        up.latency = args.latency
    return target


# -- the report -------------------------------------------------------------------------------


def yes(condition: bool) -> str:
    """A verdict cell (a figure, not an assertion)."""
    return "yes" if condition else "NO"


def bounded_verdict(t: Throughput) -> str:
    """yes when the oldest lookups were evicted; n/a when the run was too short to fill the
    cache (CACHE_MAX_ENTRIES, 500 by default; each lookup adds a page and its prefetch)."""
    if t.requery > 0 and t.requery_upstream == t.requery:
        return "yes"
    if t.requery_upstream == 0 and t.lookups < 2500:
        return "n/a (run too short to fill the cache)"
    return "NO"


def pair(values: Sequence[float]) -> str:
    """``p50 / p99``."""
    return f"{ms(percentile(values, 50))} / {ms(percentile(values, 99))}"


def command_rows(
    args: argparse.Namespace, bot: Target, floor: Floor, minimal: Target | None
) -> list[list[str]]:
    """Ack and command → card, steady and burst."""
    L, n = args.latency, args.in_flight
    rows: list[list[str]] = []
    for how, run, other in (
        ("steady", bot.commands, minimal.commands if minimal else None),
        ("all at once", bot.burst, minimal.burst if minimal else None),
    ):
        ack99 = percentile(run.acks, 99)
        rows.append(
            [
                f"ack p99 [p50], {n} commands in flight ({how})",
                "< 50 ms",
                f"{ms(ack99)} [{ms(percentile(run.acks, 50))}]",
                "—",
                f"{ms(percentile(other.acks, 99))} [{ms(percentile(other.acks, 50))}]"
                if other
                else "—",
                yes(ack99 < 0.050),
            ]
        )
    for how, run, floor_values, other in (
        ("steady", bot.commands, floor.steady, minimal.commands if minimal else None),
        ("all at once", bot.burst, floor.burst, minimal.burst if minimal else None),
    ):
        p50, p99 = percentile(run.cards, 50), percentile(run.cards, 99)
        rows.append(
            [
                f"command → card on screen p50 / p99, {n} in flight ({how}), distinct",
                f"≤ {ms(L + 0.015)} / ≤ {ms(L + 0.060)}",
                pair(run.cards),
                pair(floor_values) if floor_values else "—",
                pair(other.cards) if other else "—",
                yes(p50 <= L + 0.015 and p99 <= L + 0.060),
            ]
        )
    return rows


def click_rows(args: argparse.Namespace, bot: Target) -> list[list[str]]:
    """Next/Previous after reading the card for 2·L."""
    if bot.clicks is None or bot.clicks_many is None:
        return []
    one, many, wait = bot.clicks, bot.clicks_many, ms(2 * args.latency)
    rows = []
    for label, clicks, seconds, asked in (
        ("Next → page, 1 agent", one, one.next_seconds, one.next_upstream),
        ("Previous → page, 1 agent", one, one.prev_seconds, one.prev_upstream),
        (f"Next → page, {args.click_agents} agents", many, many.next_seconds, many.next_upstream),
        (
            f"Previous → page, {args.click_agents} agents",
            many,
            many.prev_seconds,
            many.prev_upstream,
        ),
    ):
        median = percentile(seconds, 50)
        failed = f" ({clicks.problems} failed)" if clicks.problems else ""
        rows.append(
            [
                f"{label}, waits {wait}: p50 [p99; CrowdTwist asked]",
                "≤ 30.0 ms",
                f"{ms(median)} [{ms(percentile(seconds, 99))}; {asked} of {len(seconds)}]{failed}",
                "—",
                "—",
                yes(median <= 0.030),
            ]
        )
    return rows


def upstream_rows(args: argparse.Namespace, bot: Target) -> list[list[str]]:
    """Sandbox requests per query."""
    u = bot.upstream
    rows = [
        [
            f"upstream calls per command, {args.in_flight} in flight (steady / all at once)",
            "1 + prefetch (page 1: 2)",
            f"{bot.commands.upstream / max(bot.commands.commands, 1):.2f} / "
            f"{bot.burst.upstream / max(bot.burst.commands, 1):.2f}",
            "1",
            "1",
            yes(bot.commands.upstream >= 1.9 * bot.commands.commands),
        ]
    ]
    if u is None or not u.per_new_query:
        return rows
    worst = max(a - e for a, e in zip(u.per_new_query, u.expected, strict=True))
    rows += [
        [
            f"upstream calls per new query, one at a time ({len(u.per_new_query)} queries)",
            "≤ 1 + prefetch (page 1: ≤ 2)",
            f"mean {statistics.mean(u.per_new_query):.2f}, max {max(u.per_new_query)}",
            "1",
            "1",
            yes(worst <= 0),
        ],
        [
            f"upstream calls for repeats within the TTL ({u.repeats} repeats)",
            "0",
            str(u.repeat_total),
            "—",
            "1 each",
            yes(u.repeat_total == 0),
        ],
        [
            f"upstream calls, {u.identical_sent} identical queries at once (page 1 / all)",
            "1 / ≤ 2",
            f"{u.identical_page_one} / {u.identical_total}",
            "—",
            "1 each",
            yes(u.identical_page_one == 1 and u.identical_total <= 2),
        ],
    ]
    return rows


def throughput_rows(
    args: argparse.Namespace, bot: Target, minimal: Target | None
) -> list[list[str]]:
    """Throughput at L = 0 and memory after the lookups."""
    t = bot.throughput
    if not t.lookups:
        return []
    mt = minimal.throughput if minimal and minimal.throughput.lookups else None
    rss = ", ".join(f"{n}: {mb(kib)}" for n, kib in [(0, bot.start_rss_kib or 0), *t.rss_at])
    return [
        [
            f"throughput at L = 0, distinct, {args.throughput_in_flight} in flight",
            "beat the typical Bolt bot",
            f"{t.rate:.0f} cmds/s ({t.lookups} in {t.wall:.1f} s)",
            "—",
            f"{mt.rate:.0f} cmds/s ({mt.lookups} in {mt.wall:.1f} s)" if mt else "—",
            yes(mt is not None and t.rate > mt.rate),
        ],
        [
            f"peak memory (VmHWM) after {t.lookups} distinct lookups (+ all phases above)",
            "< 80 MB RSS",
            mb(t.peak_kib),
            "—",
            mb(mt.peak_kib) if mt else "—",
            yes(t.peak_kib is not None and t.peak_kib < 80 * 1024),
        ],
        [
            "cache bounded: VmRSS after n lookups; oldest lookups asked upstream again",
            "bounded",
            f"{rss}; {t.requery_upstream} of {t.requery} re-asked",
            "—",
            f"start {mb(minimal.start_rss_kib)}" if minimal else "—",
            bounded_verdict(t),
        ],
    ]


def report(args: argparse.Namespace, bot: Target, floor: Floor, minimal: Target | None) -> None:
    """The table of figures and targets, then the diagnostics."""
    rows = command_rows(args, bot, floor, minimal) + click_rows(args, bot)
    rows += upstream_rows(args, bot) + throughput_rows(args, bot, minimal)
    print_table(
        ["figure", "target", bot.label, "floor: httpx direct", "typical Bolt bot", "meets"], rows
    )
    print()
    for target in (bot, minimal):
        if target is None:
            continue
        for how, run in (("steady", target.commands), ("all at once", target.burst)):
            print(
                f"{target.label}, {args.in_flight} in flight ({how}) at L = {ms(args.latency)}: "
                f"{run.commands} commands, {run.failures} unanswered, "
                f"{sum(run.errors.values())} error answers; CPU {run.cpu:.2f} s = "
                f"{1000 * run.cpu / max(run.commands, 1):.2f} ms/command; {run.lag}"
            )
            for text, count in sorted(run.errors.items(), key=lambda kv: -kv[1])[:5]:
                print(f"    {count:>5}  {text}")
        t = target.throughput
        if t.lookups:
            print(
                f"{target.label} at L = 0: {t.lookups} lookups, {t.failures} failed; CPU "
                f"{t.cpu:.2f} s ({100 * t.cpu / max(t.wall, 1e-9):.0f}% of a core, "
                f"{1000 * t.cpu / t.lookups:.2f} ms/command); {t.lag}"
            )
        print(f"{target.label} exit code after SIGTERM: {target.exit_code}; {target.log_summary}")


@dataclass
class Floor:
    """Direct httpx GET latencies: steady and all at once."""

    steady: list[float] = field(default_factory=list)
    burst: list[float] = field(default_factory=list)


async def main(args: argparse.Namespace) -> None:
    print(machine_line())
    print(await wait_for_quiet(args.wait_quiet))
    print(
        f"L = {ms(args.latency)}; {args.commands} commands at {args.in_flight} in flight "
        f"(steady: agents staggered over L; and all at once); clicks: 1 agent × "
        f"{args.click_rounds} rounds, {args.click_agents} agents × {args.click_agent_rounds}; "
        f"{args.lookups} lookups at L = 0, {args.throughput_in_flight} in flight"
        + (f"; PROFILING with {args.profile}" if args.profile else ""),
        flush=True,
    )
    gen = QueryGen()
    floor = Floor()
    minimal = None
    async with Upstreams(args.latency) as up:
        if not args.profile:
            print("  floor: httpx direct…", flush=True)
            floor.steady = await run_floor(
                up, gen.take(args.commands), args.in_flight, stagger=args.latency
            )
            floor.burst = await run_floor(up, gen.take(args.commands), args.in_flight, stagger=0)
        print("  bot…", flush=True)
        bot = await measure_bot(up, args, gen)
        if not args.profile and not args.bot_only:
            print("  typical Bolt bot…", flush=True)
            minimal = await measure_minimal(up, args, gen)
    print()
    report(args, bot, floor, minimal)
    if bot.profile is not None:
        print(
            f"\nprofile of the bot ({args.profile}) over the warm-up and {args.profile_commands} "
            f"commands × 2 runs at {args.in_flight} in flight, L = {ms(args.latency)} "
            "(the figures above ran under the profiler):"
        )
        bot.profile.print()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15, help="CrowdTwist latency L, s")
    parser.add_argument("--commands", type=int, default=600, help="commands per run")
    parser.add_argument("--in-flight", type=int, default=30, help="commands in flight")
    parser.add_argument("--click-rounds", type=int, default=20, help="Next+Previous, 1 agent")
    parser.add_argument("--click-agents", type=int, default=10, help="agents clicking at once")
    parser.add_argument("--click-agent-rounds", type=int, default=3, help="rounds per agent")
    parser.add_argument("--upstream-queries", type=int, default=20, help="new queries, counted")
    parser.add_argument("--lookups", type=int, default=5000, help="distinct lookups at L = 0")
    parser.add_argument("--throughput-in-flight", type=int, default=30, help="at L = 0")
    parser.add_argument("--quick", action="store_true", help="small counts for a quick run")
    parser.add_argument("--bot-only", action="store_true", help="skip the typical Bolt bot")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="wait up to this long for an idle machine"
    )
    parser.add_argument(
        "--bot-env", action="append", default=[], metavar="KEY=VALUE", help="bot setting"
    )
    parser.add_argument("--profile", choices=PROFILERS, help="profile the 30-in-flight runs")
    parser.add_argument("--profile-commands", type=int, default=1500)
    parser.add_argument(
        "--profile-dir",
        default=str(Path(tempfile.gettempdir()) / "purchases-profile"),
        help="where the profiler's files are written",
    )
    args = parser.parse_args()
    if args.quick:
        args.commands, args.click_rounds, args.click_agent_rounds = 150, 6, 1
        args.upstream_queries, args.lookups, args.profile_commands = 8, 1000, 300
    for name in ("commands", "in_flight", "lookups", "throughput_in_flight", "click_agents"):
        if not 1 <= getattr(args, name) <= 20_000:
            parser.error(f"--{name.replace('_', '-')} must be 1..20000")
    if not 0 < args.latency <= 5 or not 0 <= args.wait_quiet <= 600:
        parser.error("--latency must be in (0, 5] s and --wait-quiet in [0, 600] s")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
