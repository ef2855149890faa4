"""A raw TCP server that answers every request with fixed bytes: for replies no real server
would send (bodies cut short, garbled HTTP) and for seeing exactly what a client sent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def raw_server(reply: bytes) -> AsyncIterator[tuple[str, list[bytes]]]:
    """Reads each request head, writes ``reply`` verbatim, hangs up; records the heads (one
    per connection, since every connection is closed after its reply)."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(reply)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", heads
    finally:
        server.close()
        await server.wait_closed()
