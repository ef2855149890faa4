"""The aiohttp transport under httpx: streaming, pooling, and httpx's exceptions for aiohttp's.

Each test talks to a real loopback server (the sandbox, or a raw TCP server that answers a
fixed byte string) through ``httpx.AsyncClient(transport=AiohttpTransport())``.
"""

from __future__ import annotations

import asyncio
import gzip
import json

import httpx
import pytest
from aiohttp import web

from bot.crowdtwist.transport import AiohttpTransport
from tests.support.raw_http import raw_server

KEY = "transport-test-key"


def client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"X-CT-Authorization": f"CTApiKey {KEY}"},
        timeout=httpx.Timeout(2.0),
        transport=AiohttpTransport(max_connections=4),
    )


async def test_a_streamed_body_arrives_whole_and_the_connection_is_reused() -> None:
    peers: list[object] = []
    body = json.dumps({"rows": ["x" * 100] * 2000}).encode()  # larger than one chunk

    async def handle(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/big", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with client(f"http://127.0.0.1:{port}") as http:
            response = await http.send(http.build_request("GET", "/big"), stream=True)
            chunks = [chunk async for chunk in response.aiter_bytes()]
            await response.aclose()
            assert len(chunks) > 1
            assert b"".join(chunks) == body
            assert (await http.get("/big")).content == body
    finally:
        await runner.cleanup()
    assert len(peers) == 2
    assert peers[0] == peers[1]  # one keep-alive connection served both


async def test_the_url_and_header_names_go_out_exactly_as_httpx_built_them() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    async with raw_server(reply) as (base_url, heads), client(base_url) as http:
        await http.get("/users/%2E%2E/purchases", params={"id_type": "id"})
    head = heads[0].decode("latin-1")
    assert head.startswith("GET /users/%2E%2E/purchases?id_type=id HTTP/1.1\r\n")
    assert f"X-CT-Authorization: CTApiKey {KEY}\r\n" in head


async def test_a_gzip_body_is_decoded_by_httpx_and_a_bad_one_is_a_decoding_error() -> None:
    body = gzip.compress(b'{"ok": true}')
    good = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n" % len(body)
    ) + body
    async with raw_server(good) as (base_url, _), client(base_url) as http:
        assert (await http.get("/x")).json() == {"ok": True}
    bad = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope"
    async with raw_server(bad) as (base_url, _), client(base_url) as http:
        with pytest.raises(httpx.DecodingError):
            await http.get("/x")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"", httpx.RemoteProtocolError),  # hung up without answering
        (
            b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"cut',
            httpx.RemoteProtocolError,
        ),  # body cut short
        (b"NOT HTTP AT ALL\r\n\r\n", httpx.RemoteProtocolError),  # garbled
    ],
)
async def test_wire_failures_are_httpx_errors(reply: bytes, expected: type[Exception]) -> None:
    async with raw_server(reply) as (base_url, _), client(base_url) as http:
        with pytest.raises(expected):
            await http.get("/x")


async def test_a_body_cut_short_while_streaming_is_a_remote_protocol_error() -> None:
    reply = b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"cut'
    async with raw_server(reply) as (base_url, _), client(base_url) as http:
        response = await http.send(http.build_request("GET", "/x"), stream=True)
        with pytest.raises(httpx.RemoteProtocolError):
            async for _ in response.aiter_bytes():
                pass
        await response.aclose()


async def test_a_refused_connection_is_a_connect_error_and_a_silent_server_a_read_timeout() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(0.2), transport=AiohttpTransport()
        ) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(f"http://127.0.0.1:{port}/x")
    finally:
        server.close()
        await server.wait_closed()
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/x")


async def test_a_closed_transport_refuses_new_requests() -> None:
    transport = AiohttpTransport()
    await transport.aclose()
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.TransportError):
            await http.get("http://127.0.0.1:9/x")
