"""Lean under load: the bot beside a typical Bolt bot, each pinned to one core, in one run.

Both bots run as separate processes at the same time, each under ``taskset -c BOT_CORE``
(default 1); this process (the driver, the CrowdTwist sandbox and the fake Slack) pins itself
to the other core with ``os.sched_setaffinity``. Phases run alternately, bot then baseline and
then the other way round, so whatever else the machine does hits both. Figures:

* CPU ms per lookup: user + system time of the bot process (``/proc/PID/stat``) over the
  measured window, divided by the lookups answered in it (prefetches, retries, logging,
  everything the process did is in it);
* first answer p50 / p99: command sent → its first ``response_url`` post recorded;
* Next p50 with 1 and with 10 agents: card on screen, read for 2·L, Next clicked → new page;
* throughput at L = 0: distinct lookups, closed loop, first send → last card;
* lost lookups (no answer within the deadline), duplicates (a command answered twice), and
  peak RSS (VmHWM) after every phase, the throughput run's 5,000 lookups included.

    python -m benchmarks.lean                    # ~3 min
    python -m benchmarks.lean --quick            # small counts (~1 min)
    python -m benchmarks.lean --profile py-spy   # also profile the bot in the L run
    python -m benchmarks.lean --floor            # and benchmarks/bolt_floor.py, a third side
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import (
    PROFILERS,
    PYTHON,
    BotProcess,
    Driver,
    Outcome,
    Profiler,
    QueryGen,
    Upstreams,
    click_and_answer,
    closed_loop,
    floor_argv,
    free_port,
    is_card,
    machine_line,
    mb,
    measured_loop,
    ms,
    parse_env_overrides,
    percentile,
    print_table,
    request_and_answer,
    typical_argv,
    wait_for_quiet,
)
from bot.slack_ids import NEXT_PAGE_ACTION

ANSWER_TIMEOUT = 30.0


@dataclass
class Side:
    """One bot under test and everything measured for it."""

    label: str
    process: BotProcess
    driver: Driver | None = None
    tokens: list[str] = field(default_factory=list)
    lost: int = 0
    errors: int = 0
    load_cpu: float = 0.0
    load_lookups: int = 0
    first_answer: list[float] = field(default_factory=list)
    next_one: list[float] = field(default_factory=list)
    next_ten: list[float] = field(default_factory=list)
    tput_lookups: int = 0
    tput_wall: float = 0.0
    tput_cpu: float = 0.0
    peak_kib: int | None = None
    others: list[float] = field(default_factory=list)
    harness: list[float] = field(default_factory=list)
    round_cpu: list[float] = field(default_factory=list)
    exit_code: int | None = None
    log_top: list[tuple[str, int]] = field(default_factory=list)

    def fold(self, outcomes: Sequence[Outcome]) -> None:
        """Count tokens, lost and error answers."""
        for o in outcomes:
            self.tokens.append(o.sent.token)
            if o.answer is None or o.sent.status != 200:
                self.lost += 1
            elif not is_card(o.answer):
                self.errors += 1

    @property
    def cpu_per_lookup(self) -> float:
        return self.load_cpu / self.load_lookups if self.load_lookups else math.nan

    @property
    def throughput(self) -> float:
        return self.tput_lookups / self.tput_wall if self.tput_wall > 0 else math.nan


def pinned(core: int, argv: Sequence[str]) -> list[str]:
    """``argv`` under ``taskset -c core`` (the bot's core)."""
    taskset = shutil.which("taskset")
    if taskset is None:
        raise SystemExit("taskset (util-linux) is needed to pin the bots to a core")
    return [taskset, "-c", str(core), *argv]


def in_order(sides: Sequence[Side], round_no: int) -> list[Side]:
    """Bot first on even rounds, baseline first on odd ones."""
    return list(sides) if round_no % 2 == 0 else list(reversed(sides))


async def load_round(up: Upstreams, side: Side, texts: Sequence[str], in_flight: int) -> None:
    """Closed loop at L, ``in_flight`` agents (staggered over L): CPU and first answers."""
    assert side.driver is not None
    cpu0 = side.process.cpu()
    async with measured_loop(side.process.pid) as lag:
        outcomes, _ = await closed_loop(
            side.driver,
            up.recorder,
            texts,
            in_flight=in_flight,
            stagger=up.latency,
            answer_timeout=ANSWER_TIMEOUT,
        )
    used = side.process.cpu() - cpu0
    side.load_cpu += used
    side.load_lookups += len(outcomes)
    side.round_cpu.append(used / max(len(outcomes), 1))
    side.others.append(lag.others_share)
    side.harness.append(lag.cpu_share)
    side.first_answer += [s for o in outcomes if (s := o.answer_seconds) is not None]
    side.fold(outcomes)


async def next_round(
    up: Upstreams, side: Side, gen: QueryGen, *, agents: int, rounds: int, into: list[float]
) -> None:
    """Agents that get a card, read it for 2·L, and click Next: seconds to the new page."""
    assert side.driver is not None
    driver = side.driver

    async def agent(offset: float) -> None:
        await asyncio.sleep(offset)
        for _ in range(rounds):
            card = await request_and_answer(
                driver, up.recorder, gen.next(paged=True).text, timeout=ANSWER_TIMEOUT
            )
            side.fold([card])
            value = None if card.answer is None else card.answer.buttons.get(NEXT_PAGE_ACTION)
            if value is None:
                continue
            await asyncio.sleep(2 * up.latency)
            clicked = await click_and_answer(
                driver, up.recorder, NEXT_PAGE_ACTION, value, timeout=ANSWER_TIMEOUT
            )
            side.fold([clicked])
            if clicked.answer_seconds is not None:
                into.append(clicked.answer_seconds)

    await asyncio.gather(*(agent(up.latency * i / agents) for i in range(agents)))


async def throughput_round(up: Upstreams, side: Side, texts: Sequence[str], in_flight: int) -> None:
    """Distinct lookups at L = 0, closed loop."""
    assert side.driver is not None
    cpu0 = side.process.cpu()
    async with measured_loop(side.process.pid) as lag:
        outcomes, wall = await closed_loop(
            side.driver, up.recorder, texts, in_flight=in_flight, answer_timeout=ANSWER_TIMEOUT
        )
    side.tput_cpu += side.process.cpu() - cpu0
    side.tput_wall += wall
    side.tput_lookups += sum(1 for o in outcomes if o.answer is not None and is_card(o.answer))
    side.others.append(lag.others_share)
    side.harness.append(lag.cpu_share)
    side.fold(outcomes)


def duplicates(up: Upstreams, side: Side) -> int:
    """Requests of this side answered more than once."""
    return sum(1 for token in side.tokens if len(up.recorder.answers.get(token, ())) > 1)


def ratio(bot: float, base: float) -> str:
    if math.isnan(bot) or math.isnan(base) or base == 0:
        return "—"
    return f"{bot / base:.2f}x"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def report(args: argparse.Namespace, up: Upstreams, bot: Side, base: Side) -> None:
    """The side-by-side table."""
    p = percentile
    bot_p99, base_p99 = p(bot.first_answer, 99), p(base.first_answer, 99)
    n1, n10 = p(bot.next_one, 50), p(bot.next_ten, 50)
    dup_bot, dup_base = duplicates(up, bot), duplicates(up, base)
    cpu = (bot.cpu_per_lookup, base.cpu_per_lookup)
    rows = [
        [
            "CPU per lookup (user+sys, /proc)",
            f"{cpu[0] * 1000:.2f} ms",
            f"{cpu[1] * 1000:.2f} ms",
            ratio(*cpu),
            "≤ 0.5x",
            verdict(cpu[0] <= 0.5 * cpu[1]),
        ],
        [
            "first answer p50",
            ms(p(bot.first_answer, 50)),
            ms(p(base.first_answer, 50)),
            ratio(p(bot.first_answer, 50), p(base.first_answer, 50)),
            "",
            "",
        ],
        [
            "first answer p99",
            ms(bot_p99),
            ms(base_p99),
            ratio(bot_p99, base_p99),
            "≤ 0.7x",
            verdict(bot_p99 <= 0.7 * base_p99),
        ],
        [
            "Next p50, 1 agent",
            ms(n1),
            ms(p(base.next_one, 50)),
            ratio(n1, p(base.next_one, 50)),
            "≤ 10 ms",
            verdict(n1 <= 0.010),
        ],
        [
            f"Next p50, {args.click_agents} agents",
            ms(n10),
            ms(p(base.next_ten, 50)),
            ratio(n10, p(base.next_ten, 50)),
            "≤ 10 ms",
            verdict(n10 <= 0.010),
        ],
        [
            "throughput at L = 0",
            f"{bot.throughput:.0f}/s",
            f"{base.throughput:.0f}/s",
            ratio(bot.throughput, base.throughput),
            "≥ 2.5x",
            verdict(bot.throughput >= 2.5 * base.throughput),
        ],
        [
            "CPU per lookup at L = 0",
            f"{bot.tput_cpu / max(bot.tput_lookups, 1) * 1000:.2f} ms",
            f"{base.tput_cpu / max(base.tput_lookups, 1) * 1000:.2f} ms",
            ratio(
                bot.tput_cpu / max(bot.tput_lookups, 1), base.tput_cpu / max(base.tput_lookups, 1)
            ),
            "",
            "",
        ],
        ["lost lookups", str(bot.lost), str(base.lost), "", "0", verdict(bot.lost == 0)],
        ["error answers", str(bot.errors), str(base.errors), "", "0", verdict(bot.errors == 0)],
        ["duplicate answers", str(dup_bot), str(dup_base), "", "0", verdict(dup_bot == 0)],
        [
            f"peak RSS after {bot.tput_lookups} lookups at L = 0 (VmHWM)",
            mb(bot.peak_kib),
            mb(base.peak_kib),
            ratio(float(bot.peak_kib or math.nan), float(base.peak_kib or math.nan)),
            "< 80 MB",
            verdict(bot.peak_kib is not None and bot.peak_kib < 80 * 1024),
        ],
    ]
    print_table(["figure", bot.label, base.label, "ratio", "target", "meets"], rows)
    for side in (bot, base):
        others = ", ".join(f"{o * 100:.0f}%" for o in side.others)
        harness = ", ".join(f"{o * 100:.0f}%" for o in side.harness)
        print(
            f"{side.label}: {side.load_lookups} lookups at L, {len(side.next_one)} + "
            f"{len(side.next_ten)} Next clicks, {side.tput_lookups} lookups at L = 0; "
            f"exit code {side.exit_code}; other processes per phase (of a core): {others}; "
            f"this process (driver + sandbox + fake Slack, core 0): {harness}"
        )
        rounds = ", ".join(f"{c * 1000:.2f}" for c in side.round_cpu)
        print(f"    CPU ms per lookup at L, by round: {rounds}")
        for text, count in side.log_top:
            print(f"    log {count:>5}x  {text}")


def report_floor(bot: Side, base: Side, floor: Side) -> None:
    """The floor beside the other two: what the plumbing alone costs, per lookup."""

    def at_zero(side: Side) -> float:
        return side.tput_cpu / max(side.tput_lookups, 1)

    rows = []
    for name, of in (
        ("CPU per lookup at L", lambda s: s.cpu_per_lookup),
        ("CPU per lookup at L = 0", at_zero),
    ):
        b, t, f = of(bot), of(base), of(floor)
        rows.append(
            [name, f"{b * 1000:.2f} ms", f"{t * 1000:.2f} ms", f"{f * 1000:.2f} ms", ratio(f, t)]
        )
    rows.append(
        [
            "throughput at L = 0",
            f"{bot.throughput:.0f}/s",
            f"{base.throughput:.0f}/s",
            f"{floor.throughput:.0f}/s",
            ratio(floor.throughput, base.throughput),
        ]
    )
    rows.append(
        [
            "lost / error answers",
            f"{bot.lost} / {bot.errors}",
            f"{base.lost} / {base.errors}",
            f"{floor.lost} / {floor.errors}",
            "",
        ]
    )
    print(
        "\nthe floor: the typical bot's parse and card on the bot's plumbing "
        "(benchmarks/bolt_floor.py), same rounds:"
    )
    print_table(["figure", bot.label, base.label, floor.label, "floor / typical"], rows)
    rounds = ", ".join(f"{c * 1000:.2f}" for c in floor.round_cpu)
    print(f"    floor: CPU ms per lookup at L, by round: {rounds}")


async def main(args: argparse.Namespace) -> None:
    harness_cores = set(range(os.cpu_count() or 1)) - {args.bot_core}
    os.sched_setaffinity(0, harness_cores or {0})
    print(machine_line())
    print(
        f"pinning: each bot on core {args.bot_core} (taskset -c {args.bot_core}); driver + "
        f"sandbox + fake Slack on core(s) {sorted(os.sched_getaffinity(0))}"
    )
    print(await wait_for_quiet(args.wait_quiet))
    print(
        f"L = {ms(args.latency)}; {args.in_flight} lookups in flight (closed loop), "
        f"{args.lookups_at_l} lookups per bot in {args.rounds} alternating rounds; Next: 1 agent "
        f"× {args.click_rounds}, {args.click_agents} agents × {args.click_agent_rounds}; "
        f"{args.lookups} lookups per bot at L = 0"
        + (f"; PROFILING the bot with {args.profile}" if args.profile else ""),
        flush=True,
    )
    gen = QueryGen()
    async with Upstreams(args.latency) as up:
        extra = parse_env_overrides(args.bot_env)
        port_bot, port_base = free_port(), free_port()
        bot = Side(
            "bot" + "".join(f" {k}={v}" for k, v in extra.items()),
            BotProcess(
                "bot",
                pinned(args.bot_core, [PYTHON, "-m", "bot"]),
                up.bot_env(port_bot, **extra),
                port_bot,
            ),
        )
        base = Side(
            "typical Bolt bot",
            BotProcess(
                "typical Bolt bot",
                pinned(args.bot_core, typical_argv()),
                up.bot_env(port_base),
                port_base,
            ),
        )
        sides = [bot, base]
        floor = None
        if args.floor:
            port_floor = free_port()
            floor = Side(
                "floor",
                BotProcess(
                    "floor", pinned(args.bot_core, floor_argv()), up.bot_env(port_floor), port_floor
                ),
            )
            sides.append(floor)
        profiler = Profiler(args.profile, Path(args.profile_dir)) if args.profile else None
        drivers = contextlib.AsyncExitStack()
        try:
            for side in sides:
                await side.process.start()
                side.driver = await drivers.enter_async_context(
                    Driver(side.process.events_url, up.slack.base_url, connections=100)
                )
                # Warm-up: auth.test, connections, first imports.
                await closed_loop(
                    side.driver, up.recorder, [q.text for q in gen.take(20)], in_flight=5
                )
            per_round = max(1, args.lookups_at_l // args.rounds)
            for r in range(args.rounds):
                texts = [q.text for q in gen.take(per_round)]
                for side in in_order(sides, r):
                    print(f"  L run {r + 1}/{args.rounds}: {side.label}…", flush=True)
                    if profiler is not None and side is bot:
                        await profiler.attach(bot.process.pid)
                    await load_round(up, side, texts, args.in_flight)
                    if profiler is not None and side is bot:
                        await profiler.detach()
            await asyncio.sleep(2 * up.latency + 0.2)
            for side in sides:
                print(f"  Next clicks: {side.label}…", flush=True)
                await next_round(
                    up, side, gen, agents=1, rounds=args.click_rounds, into=side.next_one
                )
            for side in reversed(sides):
                await next_round(
                    up,
                    side,
                    gen,
                    agents=args.click_agents,
                    rounds=args.click_agent_rounds,
                    into=side.next_ten,
                )
            up.latency = 0.0
            per_round = max(1, args.lookups // args.rounds)
            for r in range(args.rounds):
                texts = [q.text for q in gen.take(per_round)]
                for side in in_order(sides, r):
                    print(f"  L = 0 run {r + 1}/{args.rounds}: {side.label}…", flush=True)
                    await throughput_round(up, side, texts, args.in_flight)
            await asyncio.sleep(args.settle)  # late duplicates
            for side in sides:
                side.peak_kib = side.process.memory().get("VmHWM")
        finally:
            await drivers.aclose()
            for side in sides:
                side.exit_code = await side.process.stop()
                side.log_top = side.process.log_messages(3)
                side.process.cleanup()
        print()
        report(args, up, bot, base)
        if floor is not None:
            report_floor(bot, base, floor)
    if profiler is not None:
        print(f"\nprofile of the bot ({args.profile}) over its L runs (timings above are slowed):")
        (await profiler.report()).print()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15, help="CrowdTwist latency L, s")
    parser.add_argument("--in-flight", type=int, default=30, help="lookups in flight")
    parser.add_argument("--lookups-at-l", type=int, default=1200, help="lookups per bot at L")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per phase")
    parser.add_argument("--click-rounds", type=int, default=20, help="Next clicks, 1 agent")
    parser.add_argument("--click-agents", type=int, default=10, help="agents clicking at once")
    parser.add_argument("--click-agent-rounds", type=int, default=3, help="rounds per agent")
    parser.add_argument("--lookups", type=int, default=5000, help="lookups per bot at L = 0")
    parser.add_argument("--bot-core", type=int, default=1, help="the core both bots run on")
    parser.add_argument("--settle", type=float, default=2.0, help="wait for late duplicates, s")
    parser.add_argument("--quick", action="store_true", help="small counts")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="wait up to this long for an idle machine"
    )
    parser.add_argument(
        "--bot-env", action="append", default=[], metavar="KEY=VALUE", help="bot setting"
    )
    parser.add_argument(
        "--floor", action="store_true", help="also run benchmarks/bolt_floor.py (a third side)"
    )
    parser.add_argument("--profile", choices=PROFILERS[1:], help="profile the bot's L runs")
    parser.add_argument(
        "--profile-dir",
        default=str(Path(tempfile.gettempdir()) / "purchases-lean-profile"),
        help="where the profiler's files are written",
    )
    args = parser.parse_args()
    if args.quick:
        args.lookups_at_l, args.click_rounds, args.click_agent_rounds = 300, 6, 1
        args.lookups = 1000
    if (os.cpu_count() or 1) < 2 or not 0 <= args.bot_core < (os.cpu_count() or 1):
        parser.error("needs 2+ cores and --bot-core among them")
    if not 0 < args.latency <= 5 or not 0 <= args.wait_quiet <= 600:
        parser.error("--latency must be in (0, 5] s and --wait-quiet in [0, 600] s")
    for name in ("in_flight", "lookups_at_l", "lookups", "rounds", "click_agents"):
        if not 1 <= getattr(args, name) <= 20_000:
            parser.error(f"--{name.replace('_', '-')} must be 1..20000")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
