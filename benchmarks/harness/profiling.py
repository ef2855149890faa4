"""Profiling the process under test: pyinstrument around it or py-spy attached to it, and
the report of where its time went (by package, by frame, the bot's own functions).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness.constants import PYTHON, ROOT
from benchmarks.harness.processes import bot_argv
from benchmarks.harness.report import print_table

PROFILERS = ("pyinstrument", "py-spy")


@dataclass
class FrameStat:
    """One function in a profile: samples (or seconds) spent in it alone and under it."""

    name: str
    package: str
    own: float
    cumulative: float


@dataclass
class ProfileReport:
    """Where the time went, over ``total`` samples (py-spy) or seconds (pyinstrument)."""

    unit: str
    total: float
    frames: list[FrameStat]
    files: list[Path]
    note: str = ""

    def _cells(self, f: FrameStat) -> list[str]:
        fmt = "{:.0f}" if self.unit == "samples" else "{:.3f}"
        return [
            f.name[:110],
            fmt.format(f.own),
            f"{100 * f.own / self.total:.1f}",
            fmt.format(f.cumulative),
            f"{100 * f.cumulative / self.total:.1f}",
        ]

    def print(self, top: int = 15) -> None:
        """Own time by package; top frames by own time; by cumulative time; the bot's own."""
        if self.note:
            print(self.note)
        packages: dict[str, float] = {}
        for f in self.frames:
            packages[f.package] = packages.get(f.package, 0.0) + f.own
        print(f"\nown time by package (of {self.total:.0f} {self.unit}):")
        print_table(
            ["package", "own", "own %"],
            [
                [
                    name,
                    f"{own:.0f}" if self.unit == "samples" else f"{own:.3f}",
                    f"{100 * own / self.total:.1f}",
                ]
                for name, own in sorted(packages.items(), key=lambda kv: -kv[1])[:12]
            ],
        )
        headers = ["function (file)", "own", "own %", "cumulative", "cum %"]
        by_own = sorted(self.frames, key=lambda f: f.own, reverse=True)[:top]
        print(f"\ntop {top} frames by own time:")
        print_table(headers, [self._cells(f) for f in by_own])
        # Leave out the scaffolding every sample passes through (run_app, the loop, runpy).
        inner = [f for f in self.frames if f.cumulative < 0.85 * self.total]
        by_cumulative = sorted(inner, key=lambda f: f.cumulative, reverse=True)[:top]
        print(f"\ntop {top} frames by cumulative time (frames under 85% of the total):")
        print_table(headers, [self._cells(f) for f in by_cumulative])
        own_code = [f for f in inner if f.package == "bot"]
        by_bot = sorted(own_code, key=lambda f: f.cumulative, reverse=True)[:top]
        print(f"\nthe bot's own functions by cumulative time (top {top}):")
        print_table(headers, [self._cells(f) for f in by_bot])
        print("\nraw profile files: " + ", ".join(str(p) for p in self.files))


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3", f"{ROOT}/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _package(path: str) -> str:
    """Which package a source path belongs to (``stdlib asyncio``, ``httpcore``, ``bot``…)."""
    if path.startswith("<frozen importlib"):
        return "import machinery (failed imports)"
    if path.startswith("<"):
        return "built-in / C"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return "stdlib " + rest.split("/", 1)[0].removesuffix(".py")
    if "/bot/" in path or path.startswith("bot/"):
        return "bot"
    return path


class Profiler:
    """Profiles the bot process: pyinstrument wraps it; py-spy attaches to its pid.

    pyinstrument (``python -m pyinstrument -r pyisession -o F -m bot``) writes its session when
    the bot exits on SIGTERM, so it covers the process's whole life (start-up included);
    py-spy records only between :meth:`attach` and :meth:`detach` and only on-CPU samples.
    """

    def __init__(self, kind: str, out_dir: Path) -> None:
        if kind not in PROFILERS:
            raise ValueError(f"profiler must be one of {PROFILERS}")
        self.kind = kind
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.session = out_dir / "bot.pyisession"
        self.raw = out_dir / "bot.py-spy.txt"
        self._spy: asyncio.subprocess.Process | None = None

    def argv(self) -> list[str]:
        """The bot's command line (under pyinstrument when that is the profiler)."""
        if self.kind == "pyinstrument":
            return [
                PYTHON,
                "-m",
                "pyinstrument",
                "-r",
                "pyisession",
                "-o",
                str(self.session),
                "-m",
                "bot",
            ]
        return bot_argv()

    async def attach(self, pid: int) -> None:
        """Start py-spy on ``pid`` (no-op for pyinstrument)."""
        if self.kind != "py-spy":
            return
        spy = Path(PYTHON).with_name("py-spy")
        self._spy = await asyncio.create_subprocess_exec(
            str(spy) if spy.exists() else "py-spy",
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--function",
            "--full-filenames",
            "--rate",
            "200",
            "--output",
            str(self.raw),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)  # let it attach before the measured run

    async def detach(self) -> None:
        """Stop py-spy (SIGINT makes it write its file)."""
        if self._spy is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._spy.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self._spy.wait(), timeout=30)
        except TimeoutError:
            self._spy.kill()
            await self._spy.wait()
        self._spy = None

    async def report(self) -> ProfileReport:
        """Read what the profiler wrote (call after the bot has exited for pyinstrument)."""
        if self.kind == "py-spy":
            return self._py_spy_report()
        return await self._pyinstrument_report()

    def _py_spy_report(self) -> ProfileReport:
        own: Counter[tuple[str, str]] = Counter()
        cumulative: Counter[tuple[str, str]] = Counter()
        total = 0
        for line in self.raw.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_frame(f) for f in stack.split(";")]
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                cumulative[frame] += count
        stats = [
            FrameStat(name, package, own[(name, package)], cumulative[(name, package)])
            for name, package in cumulative
        ]
        note = f"py-spy: {total} on-CPU samples at 200 Hz ({total / 200:.1f} CPU-seconds)"
        return ProfileReport("samples", max(total, 1), stats, [self.raw], note)

    async def _pyinstrument_report(self) -> ProfileReport:
        text = self.out_dir / "bot.pyinstrument.txt"
        pstats_file = self.out_dir / "bot.pstats"
        for renderer, target in (("text", text), ("pstats", pstats_file)):
            process = await asyncio.create_subprocess_exec(
                PYTHON,
                "-m",
                "pyinstrument",
                "--load",
                str(self.session),
                "-r",
                renderer,
                "-o",
                str(target),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await asyncio.wait_for(process.wait(), timeout=120)
        import pstats

        raw: Any = pstats.Stats(str(pstats_file)).stats  # type: ignore[attr-defined]
        frames: list[FrameStat] = []
        total = 0.0
        for (filename, line, function), entry in raw.items():
            own_seconds, cumulative_seconds = float(entry[2]), float(entry[3])
            total += own_seconds
            name = f"{function} ({_short(filename)}:{line})"
            frames.append(FrameStat(name, _package(filename), own_seconds, cumulative_seconds))
        note = (
            f"pyinstrument: {total:.2f} s of wall-clock samples over the bot's whole life "
            "(idle waiting shows up as the event loop's select/epoll frames)"
        )
        return ProfileReport(
            "seconds", max(total, 1e-9), frames, [self.session, text, pstats_file], note
        )


def _frame(frame: str) -> tuple[str, str]:
    """``(function (short path:line), package)`` from a py-spy frame."""
    name, sep, rest = frame.partition(" (")
    if not sep:
        return frame, "?"
    path = rest.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({_short(rest.rstrip(')'))})", _package(path)
