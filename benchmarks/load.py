"""Trust under load: bursts of ``/purchases`` at the real bot process while CrowdTwist is slow.

The bot runs as ``python -m bot`` (HTTP mode, its own process); the CrowdTwist sandbox (with
``--latency`` seconds added to every answer), the fake Slack and the driver run here. The
driver sends ``--commands`` signed slash commands (distinct members, id types and dates) in
waves of ``--concurrency`` at once — the next wave as soon as the last one is acknowledged —
then waits (bounded) for every answer and ``--settle`` seconds more to catch duplicates.

The same burst then goes to the baseline, a typical Bolt bot (written as Slack's samples
write one, library defaults; ``benchmarks/typical_bolt.py``) in its own process, in the
same run.

    python -m benchmarks.load [--commands 500] [--concurrency 100] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import (
    PROFILERS,
    BotProcess,
    Driver,
    Profiler,
    Query,
    QueryGen,
    Sent,
    Upstreams,
    bot_setup,
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


@dataclass
class BurstResult:
    """What one target did with the burst."""

    label: str
    sent: list[Sent] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    first_answer_seconds: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    send_seconds: float = 0.0
    wall_seconds: float = 0.0
    upstream_requests: int = 0
    auth_tests: int = 0
    cpu_seconds: float = 0.0
    peak_kib: int | None = None
    rss_kib: int | None = None
    exit_code: int | None = None
    log_levels: Counter[str] = field(default_factory=Counter)
    log_top: list[tuple[str, int]] = field(default_factory=list)
    loop_lag: str = ""


def waves(items: Sequence[Query], size: int) -> list[Sequence[Query]]:
    """``items`` cut into consecutive waves of ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


async def burst(
    up: Upstreams,
    label: str,
    argv: list[str],
    queries: Sequence[Query],
    args: argparse.Namespace,
    warmup: Query,
    profiler: Profiler | None = None,
    env: dict[str, str] | None = None,
) -> BurstResult:
    """Start the target, fire the burst, collect every answer, stop the target."""
    result = BurstResult(label)
    env = env or {}
    if profiler is not None:
        argv = profiler.argv()
    port = free_port()
    process = BotProcess(label, argv, up.bot_env(port, **env), port)
    await process.start()
    try:
        async with Driver(
            process.events_url, up.slack.base_url, connections=args.concurrency
        ) as driver:
            if not args.cold:
                # One command first, so the burst meets a warm process (auth.test done).
                up.latency = 0.0
                await request_and_answer(driver, up.recorder, warmup.text, timeout=30)
                await asyncio.sleep(0.2)
            up.latency = args.latency
            up.trim()
            if profiler is not None:
                await profiler.attach(process.pid)
            auth_before = up.recorder.api_calls["auth.test"]
            cpu_before = process.cpu()
            async with measured_loop(process.pid) as lag:
                started = time.monotonic()
                futures = []
                for wave in waves(queries, args.concurrency):
                    tokens = [driver.new_token() for _ in wave]
                    futures += [up.recorder.expect(token) for token in tokens]
                    result.sent += await asyncio.gather(
                        *(driver.command(q.text, t) for q, t in zip(wave, tokens, strict=True))
                    )
                result.send_seconds = time.monotonic() - started
                _, still = await asyncio.wait(futures, timeout=args.answer_timeout)
                for future in still:
                    future.cancel()
                await asyncio.sleep(args.settle)  # any duplicate arrives in this window
            if profiler is not None:
                await profiler.detach()
            result.cpu_seconds = process.cpu() - cpu_before
            memory = process.memory()
            result.peak_kib, result.rss_kib = memory.get("VmHWM"), memory.get("VmRSS")
            result.upstream_requests = up.upstream_count()
            result.auth_tests = up.recorder.api_calls["auth.test"] - auth_before
            result.loop_lag = lag.summary()
            last = started
            for sent in result.sent:
                posts = up.recorder.answers.get(sent.token, [])
                result.answers.append(len(posts))
                if posts:
                    result.first_answer_seconds.append(posts[0].at - sent.sent_at)
                    last = max(last, max(p.at for p in posts))
                for post in posts:
                    if not is_card(post):
                        result.errors[headline(post)] += 1
            result.wall_seconds = last - started
    finally:
        result.exit_code = await process.stop()
        result.log_levels = process.log_levels()
        result.log_top = process.log_messages()
        process.cleanup()
    return result


def report(results: list[BurstResult], args: argparse.Namespace) -> None:
    """The side-by-side table, then the diagnostics."""

    def acks(r: BurstResult) -> list[float]:
        return [s.ack_seconds for s in r.sent]

    def cell(r: BurstResult, name: str) -> str:
        answered = [n for n in r.answers]
        match name:
            case "worst ack":
                return ms(max(acks(r), default=float("nan")))
            case "ack p50 / p99":
                return f"{ms(percentile(acks(r), 50))} / {ms(percentile(acks(r), 99))}"
            case "acks not 200 (over 3 s)":
                late = sum(1 for a in acks(r) if a > 3.0)
                return f"{sum(1 for s in r.sent if s.status != 200)} ({late})"
            case "answers delivered":
                return f"{sum(answered)} for {len(r.sent)} commands"
            case "commands with 0 answers":
                return str(sum(1 for n in answered if n == 0))
            case "duplicates (>1 answer)":
                return str(sum(1 for n in answered if n > 1))
            case "errors shown":
                return str(sum(r.errors.values()))
            case "command → answer p50 / p99 / max":
                f = r.first_answer_seconds
                return (
                    f"{ms(percentile(f, 50))} / {ms(percentile(f, 99))} / "
                    f"{ms(max(f, default=float('nan')))}"
                )
            case "peak RSS (VmHWM)":
                return mb(r.peak_kib)
            case "wall time (first send → last answer)":
                return f"{r.wall_seconds:.2f} s (all sent in {r.send_seconds:.2f} s)"
            case "CrowdTwist requests":
                return str(r.upstream_requests)
            case "auth.test calls during burst":
                return str(r.auth_tests)
            case "CPU used by the process":
                return f"{r.cpu_seconds:.2f} s"
            case "exit code after SIGTERM":
                return str(r.exit_code)
        raise AssertionError(name)

    names = [
        "worst ack",
        "ack p50 / p99",
        "acks not 200 (over 3 s)",
        "answers delivered",
        "commands with 0 answers",
        "duplicates (>1 answer)",
        "errors shown",
        "command → answer p50 / p99 / max",
        "peak RSS (VmHWM)",
        "wall time (first send → last answer)",
        "CrowdTwist requests",
        "auth.test calls during burst",
        "CPU used by the process",
        "exit code after SIGTERM",
    ]
    print_table(
        ["figure", *(r.label for r in results)],
        [[n, *(cell(r, n) for r in results)] for n in names],
    )
    for r in results:
        print()
        print(f"{r.label}: driver process during the burst: {r.loop_lag}")
        if r.errors:
            print(f"{r.label}: error answers by first line:")
            for text, count in r.errors.most_common(5):
                print(f"    {count:>5}  {text}")
        levels = ", ".join(f"{k} {v}" for k, v in sorted(r.log_levels.items())) or "none"
        print(f"{r.label}: log lines by level: {levels}")
        for text, count in r.log_top:
            print(f"    {count:>5}  {text}")


async def main(args: argparse.Namespace) -> None:
    print(machine_line())
    print(await wait_for_quiet(args.wait_quiet))
    gen = QueryGen()
    warmup = gen.next()
    queries = gen.take(args.commands)
    print(
        f"burst: {len(queries)} distinct /purchases commands in waves of {args.concurrency}, "
        f"CrowdTwist latency {args.latency:.2f} s, {'cold' if args.cold else 'warm'} process"
    )
    results = []
    profiler = Profiler(args.profile, Path(args.profile_dir)) if args.profile else None
    async with Upstreams(args.latency) as up:
        label, argv, env = bot_setup(args.bot_env)
        results.append(await burst(up, label, argv, queries, args, warmup, profiler, env))
        if not args.bot_only:
            results.append(
                await burst(up, "typical Bolt bot", typical_argv(), queries, args, warmup)
            )
    print()
    report(results, args)
    if profiler is not None:
        print(f"\nprofile of the bot during the burst ({args.profile}; it slows the bot):")
        (await profiler.report()).print()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500, help="commands in the burst")
    parser.add_argument("--concurrency", type=int, default=100, help="commands sent at once")
    parser.add_argument("--latency", type=float, default=1.0, help="CrowdTwist latency, s")
    parser.add_argument(
        "--answer-timeout", type=float, default=60.0, help="longest wait for every answer, s"
    )
    parser.add_argument("--settle", type=float, default=3.0, help="extra wait for duplicates, s")
    parser.add_argument("--cold", action="store_true", help="no warm-up command before the burst")
    parser.add_argument(
        "--bot-env", action="append", default=[], metavar="KEY=VALUE", help="bot setting"
    )
    parser.add_argument("--bot-only", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, help="wait up to this long for an idle machine"
    )
    parser.add_argument(
        "--profile", choices=PROFILERS, help="profile the bot process during the burst"
    )
    parser.add_argument(
        "--profile-dir",
        default=str(Path(tempfile.gettempdir()) / "purchases-profile-load"),
        help="where the profiler's files are written",
    )
    args = parser.parse_args()
    if not 1 <= args.commands <= 20_000 or not 1 <= args.concurrency <= 1_000:
        parser.error("--commands must be 1..20000 and --concurrency 1..1000")
    if not 0 <= args.latency <= 30 or not 0 < args.answer_timeout <= 600:
        parser.error("--latency must be 0..30 s and --answer-timeout 0..600 s")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
