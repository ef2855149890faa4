"""The process under test: a bot (or the typical-Bolt baseline) started as a real process.

:class:`BotProcess` starts it with its argv and environment, waits for ``/healthz``, reads its
memory (VmHWM, VmRSS) and CPU time from ``/proc`` and stops it with SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from benchmarks.harness.constants import FLOOR_BOT, HOST, PYTHON, ROOT, TYPICAL_BOT
from benchmarks.harness.measure import cpu_seconds


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def proc_memory(pid: int) -> dict[str, int]:
    """``VmHWM`` (peak resident) and ``VmRSS`` of ``pid`` in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    return found


def parse_env_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings (from ``--bot-env``) as a dict."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--bot-env expects KEY=VALUE, got {pair!r}")
        found[key] = value
    return found


class BotProcess:
    """A bot (``python -m bot`` or another argv) as a real separate process on ``port``."""

    def __init__(self, label: str, argv: Sequence[str], env: dict[str, str], port: int) -> None:
        self.label = label
        self.argv = list(argv)
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self.events_url = f"{self.base_url}/slack/events"
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "CROWDTWIST_", "ALLOWED_SLACK_", "AUDIT_"))
        }
        self.env = {**inherited, "PYTHONPATH": str(ROOT), **env}
        self._dir = tempfile.TemporaryDirectory(prefix="purchases-bench-")
        self.log_path = Path(self._dir.name) / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        """The process id (the process must be started)."""
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - one deadline
        """Start the process (cwd: an empty temp dir, so no stray .env) and wait for /healthz."""
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                cwd=self._dir.name,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.base_url}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        await self.stop()
        raise RuntimeError(f"{self.label} did not start:\n{self.log_tail()}")

    def memory(self) -> dict[str, int]:
        """VmHWM and VmRSS in KiB."""
        return proc_memory(self.pid)

    def cpu(self) -> float:
        """CPU seconds used so far."""
        return cpu_seconds(self.pid)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:  # noqa: ASYNC109
        """Signal the process and wait (at most ``timeout``) for it to exit; kill it after that."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                await asyncio.wait_for(process.wait(), timeout=timeout)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.exit_code = process.returncode
        return self.exit_code

    def log_lines(self) -> list[str]:
        """What the process wrote to stdout and stderr."""
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def log_levels(self) -> Counter[str]:
        """Log lines by level (JSON lines with ``level``; anything else counts as ``other``)."""
        levels: Counter[str] = Counter()
        for line in self.log_lines():
            try:
                record = json.loads(line)
            except ValueError:
                levels["other"] += 1
                continue
            levels[str(record.get("level", "other")) if isinstance(record, dict) else "other"] += 1
        return levels

    def log_messages(self, top: int = 5) -> list[tuple[str, int]]:
        """The most frequent log messages (digits as ``#``, first 100 characters)."""
        counts: Counter[str] = Counter()
        for line in self.log_lines():
            try:
                record = json.loads(line)
                text = str(record.get("message", line)) if isinstance(record, dict) else line
            except ValueError:
                text = line
            counts[re.sub(r"\d+", "#", text)[:100]] += 1
        return counts.most_common(top)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's output."""
        return "\n".join(self.log_lines()[-lines:])

    def cleanup(self) -> None:
        """Remove the temp dir (with the log)."""
        self._dir.cleanup()


def bot_argv(prefix: Sequence[str] = ()) -> list[str]:
    """``python -m bot``, optionally under a wrapper (a profiler)."""
    return [*prefix, PYTHON, "-m", "bot"] if prefix else [PYTHON, "-m", "bot"]


def bot_setup(overrides: Sequence[str]) -> tuple[str, list[str], dict[str, str]]:
    """Label, argv and extra environment for the bot under test (``--bot-env``)."""
    env = parse_env_overrides(overrides)
    label = "bot"
    if env:
        label += " (" + ", ".join(f"{k}={v}" for k, v in env.items()) + ")"
    return label, bot_argv(), env


def typical_argv() -> list[str]:
    """The typical Bolt bot baseline (benchmarks/typical_bolt.py)."""
    return [PYTHON, str(TYPICAL_BOT)]


def floor_argv() -> list[str]:
    """The typical bot's logic on the bot's plumbing (benchmarks/bolt_floor.py)."""
    return [PYTHON, str(FLOOR_BOT)]
