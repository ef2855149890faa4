"""What the client's tests share: the demo members, a client tuned for fast tests, the
expected-error check, and tiny local servers for what the sandbox cannot express."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from aiohttp import web

from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.sandbox import DEMO_MEMBERS, DemoMember

KEY = "ct-key-7d41c9e2b5"
HISTORY = "/users/{member}/purchases"


def demo(key: str) -> DemoMember:
    return next(member for member in DEMO_MEMBERS if member.key == key)


ALICE = demo("alice")
DEV = demo("dev")
SIOBHAN = demo("siobhan")


def make_client(base_url: str, **options: Any) -> CrowdTwistClient:
    """A client tuned for fast tests: short timeout, tiny backoff."""
    settings: dict[str, Any] = {
        "timeout": 2.0,
        "max_retries": 2,
        "backoff_seconds": 0.01,
        "retry_after_max_seconds": 2.0,
    }
    settings.update(options)
    return CrowdTwistClient(base_url, settings.pop("api_key", KEY), **settings)


async def expect_error(call: Awaitable[Any], kind: ErrorKind) -> CrowdTwistError:
    with pytest.raises(CrowdTwistError) as info:
        await call
    assert info.value.kind is kind, (info.value.kind, info.value.detail)
    return info.value


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.asynccontextmanager
async def peer_server() -> AsyncIterator[tuple[str, list[object]]]:
    """An aiohttp server answering an empty page and noting each request's client address."""
    peers: list[object] = []

    async def handler(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"purchases": [], "paging": {"total": 0, "pages": 0}})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", peers
    finally:
        await runner.cleanup()
