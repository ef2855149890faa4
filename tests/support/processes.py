"""Real processes for the tests: ``python -m bot`` (or any command) started on a clean
environment, a free loopback port, and the repository's root for ``PYTHONPATH``."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def start_process(
    env: dict[str, str],
    cwd: Path,
    argv: list[str] | None = None,
    *,
    output: Path | None = None,
) -> asyncio.subprocess.Process:
    """Start ``python -m bot`` (or ``argv``) with ``env`` on top of a clean environment; its
    output piped, or written to ``output`` (long runs)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROWDTWIST_"))}
    program, *args = argv or [sys.executable, "-m", "bot"]
    if output is None:
        return await asyncio.create_subprocess_exec(
            program,
            *args,
            env={**base, **env},
            cwd=cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    with output.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            program, *args, env={**base, **env}, cwd=cwd, stdout=sink, stderr=sink
        )


async def wait_until_healthy(base: str, *, tries: int = 100, pause: float = 0.1) -> bool:
    """Poll ``{base}/healthz`` until it answers 200; False if it never does."""
    async with httpx.AsyncClient() as http:
        for _ in range(tries):
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            await asyncio.sleep(pause)
    return False
