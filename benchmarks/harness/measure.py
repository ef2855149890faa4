"""Measurement: percentiles, CPU accounting, how late the benchmark's own loop runs, and
how busy the rest of the machine is (so every figure can say whether it was disturbed).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness.report import ms


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q ≤ 100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds used so far by ``pid`` (this process when None)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


# -- the benchmark's own event loop and the rest of the machine --------------------------------


def machine_busy_seconds() -> float:
    """CPU-seconds all cores have spent busy since boot (from the ``cpu`` line of /proc/stat)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return 0.0


def process_ticks() -> dict[int, tuple[str, int]]:
    """Every process's (and kernel thread's) name and CPU ticks so far."""
    found: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            found[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
    return found


def busiest_others(
    before: dict[int, tuple[str, int]], exclude: set[int], wall: float, top: int = 3
) -> str:
    """The processes (other than ``exclude``) that used the most CPU since ``before``."""
    now = process_ticks()
    tick = os.sysconf("SC_CLK_TCK")
    used = []
    for pid, (name, ticks) in now.items():
        if pid in exclude:
            continue
        delta = ticks - before.get(pid, (name, 0))[1] if pid in before else ticks
        if delta > 0:
            used.append((delta / tick / wall, f"{name}[{pid}]"))
    used.sort(reverse=True)
    return ", ".join(f"{label} {share * 100:.0f}%" for share, label in used[:top]) or "none"


@dataclass
class LoopLag:
    """How late this process's event loop wakes up (driver + sandbox + fake Slack load), how
    much CPU this process used, and how much every other process on the machine used (the
    process under test, ``pid``, excluded)."""

    pid: int | None = None
    interval: float = 0.005
    samples: list[float] = field(default_factory=list)
    cpu_share: float = 0.0
    others_share: float = 0.0
    others_top: str = ""
    _task: asyncio.Task[None] | None = None
    _ticks: dict[int, tuple[str, int]] = field(default_factory=dict)
    _start: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    async def _run(self) -> None:
        while len(self.samples) < 1_000_000:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - before - self.interval))

    def _pid_cpu(self) -> float:
        if self.pid is None:
            return 0.0
        with contextlib.suppress(OSError):
            return cpu_seconds(self.pid)
        return 0.0

    def start(self) -> None:
        """Begin sampling; move what survived so far out of the GC's way first."""
        gc.collect()
        gc.freeze()  # earlier phases' objects are never scanned again: shorter GC pauses
        self.samples.clear()
        self._ticks = process_ticks()
        self._start = (time.monotonic(), cpu_seconds(), self._pid_cpu(), machine_busy_seconds())
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling; work out the CPU shares over the window."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        wall0, own0, pid0, busy0 = self._start
        wall = max(time.monotonic() - wall0, 1e-9)
        own, pid = cpu_seconds() - own0, self._pid_cpu() - pid0
        self.cpu_share = own / wall
        self.others_share = max(0.0, machine_busy_seconds() - busy0 - own - pid) / wall
        if self.others_share >= 0.2:
            exclude = {os.getpid(), *([self.pid] if self.pid is not None else [])}
            self.others_top = busiest_others(self._ticks, exclude, wall)

    def summary(self) -> str:
        """Loop lag percentiles, this process's CPU, everyone else's CPU."""
        return (
            f"loop lag p50 {ms(percentile(self.samples, 50))}, "
            f"p99 {ms(percentile(self.samples, 99))}, "
            f"max {ms(max(self.samples, default=math.nan))}; driver CPU "
            f"{self.cpu_share * 100:.0f}%; other processes {self.others_share * 100:.0f}% of a core"
            + (f" (busiest: {self.others_top})" if self.others_top else "")
        )


@contextlib.asynccontextmanager
async def measured_loop(pid: int | None = None) -> AsyncIterator[LoopLag]:
    """``async with measured_loop(pid) as lag:`` samples the loop lag and CPU for the block."""
    lag = LoopLag(pid)
    lag.start()
    try:
        yield lag
    finally:
        await lag.stop()


async def wait_for_quiet(max_seconds: float, threshold: float = 0.25) -> str:
    """Wait (at most ``max_seconds``) until other processes use < ``threshold`` of a core.

    Returns a line saying how busy the machine was when the run began.
    """
    deadline = time.monotonic() + max_seconds
    while True:
        busy0, own0, wall0 = machine_busy_seconds(), cpu_seconds(), time.monotonic()
        await asyncio.sleep(1.0)
        wall = time.monotonic() - wall0
        others = max(0.0, machine_busy_seconds() - busy0 - (cpu_seconds() - own0)) / wall
        if others < threshold or time.monotonic() >= deadline:
            state = "quiet" if others < threshold else "BUSY (figures may be distorted)"
            return f"machine {state}: other processes used {others * 100:.0f}% of a core at start"
