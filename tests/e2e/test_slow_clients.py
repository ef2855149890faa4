"""The header deadline of ``bot/ops/slow_clients.py`` on a real socket, with a short deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.ops.slow_clients import GuardedSite

DEADLINE = 0.4
REQUEST = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/ok", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await GuardedSite(runner, "127.0.0.1", 0, header_seconds=DEADLINE).start()
    yield runner.addresses[0][1]
    await runner.cleanup()


async def _answer(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    return head + await asyncio.wait_for(reader.readexactly(2), 2)


async def test_a_kept_alive_connection_idle_past_the_deadline_still_serves(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    assert (await _answer(reader)).endswith(b"ok")
    await asyncio.sleep(DEADLINE * 2)  # idle between requests: no deadline runs
    writer.write(REQUEST)
    assert (await _answer(reader)).endswith(b"ok")
    writer.close()


async def test_headers_trickled_past_the_deadline_close_the_connection(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    for byte in REQUEST[:-2]:
        writer.write(bytes([byte]))
        await asyncio.sleep(DEADLINE / 4)
        if reader.at_eof() or writer.is_closing():
            break
    assert await asyncio.wait_for(reader.read(), 2) == b""
    assert time.monotonic() - started < DEADLINE * 3
    writer.close()


async def test_headers_sent_in_pieces_within_the_deadline_are_served(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for piece in (REQUEST[:10], REQUEST[10:20], REQUEST[20:]):
        writer.write(piece)
        await asyncio.sleep(DEADLINE / 5)
    assert (await _answer(reader)).endswith(b"ok")
    writer.close()


async def test_a_later_request_on_a_kept_alive_connection_has_the_same_deadline(
    port: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(3):  # quick requests first: the one timer runs on, and must still bite
        writer.write(REQUEST)
        assert (await _answer(reader)).endswith(b"ok")
    await asyncio.sleep(DEADLINE * 0.8)
    started = time.monotonic()
    for byte in REQUEST[:-2]:
        writer.write(bytes([byte]))
        await asyncio.sleep(DEADLINE / 4)
        if reader.at_eof():
            break
    assert await asyncio.wait_for(reader.read(), 2) == b""
    assert DEADLINE * 0.9 <= time.monotonic() - started < DEADLINE * 3
    writer.close()
