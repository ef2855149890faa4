"""A real ``redis-server`` of our own on a free loopback port, for tests and benchmarks.

No persistence (``--save '' --appendonly no``); :meth:`RedisServer.stop` and
:meth:`RedisServer.start` again on the same port stand in for an outage and Redis's return.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_available() -> bool:
    """True when Debian's ``redis-server`` binary is installed."""
    return Path(REDIS_SERVER).is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` as a child process on 127.0.0.1 (port chosen once, kept on restart)."""

    def __init__(self, port: int | None = None, *, password: str | None = None) -> None:
        self.port = port or _free_port()
        self.password = password
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="purchases-redis-")
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - one deadline
        """Start it and wait until it accepts connections."""
        if self._process is not None:
            return
        self._process = await asyncio.create_subprocess_exec(
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self._dir.name,
            *(["--requirepass", self.password] if self.password else []),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(b"PING\r\n")
                await writer.drain()
                reply = await asyncio.wait_for(reader.readline(), 1.0)
                writer.close()
                if reply.startswith((b"+PONG", b"-NOAUTH")):
                    return
            await asyncio.sleep(0.05)
        await self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    async def stop(self) -> None:
        """Stop it (its data goes with it)."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        self._dir.cleanup()
