"""CrowdTwistClient through real HTTP on 127.0.0.1: the sandbox, and tiny local servers only
where the sandbox cannot express a case (a body cut short in transit, a connection's peer).

No httpx mocks: every request below crosses a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.config import SANDBOX_API_KEY, ConfigError, Settings
from bot.crowdtwist import client as client_module
from bot.crowdtwist.budget import LocalBudget
from bot.crowdtwist.client import ClientStats, CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, PurchaseDetail, PurchaseIdType, PurchasePage
from bot.sandbox import DEFAULT_API_KEY, DEMO_MEMBERS, DemoMember, SandboxServer
from bot.services import crowdtwist_client

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


@pytest.fixture
async def sb() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(api_key=KEY) as server:
        yield server


@pytest.fixture
async def ct(sb: SandboxServer) -> AsyncIterator[CrowdTwistClient]:
    async with make_client(sb.base_url) as client:
        yield client


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
async def raw_server(reply: bytes) -> AsyncIterator[tuple[str, list[int]]]:
    """A TCP server that reads a request head, writes ``reply`` verbatim and hangs up."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(reply)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", connections
    finally:
        server.close()
        await server.wait_closed()


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


# --- history: paging, dates, identifiers, what is sent -------------------------------------------


async def test_alice_walk_every_page(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    seen: list[str] = []
    pages: list[PurchasePage] = []
    page_number: int | None = 1
    while page_number is not None:
        page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
        pages.append(page)
        seen += [row.purchase_id for row in page.purchases]
        page_number = page.paging.next_page_number
    assert [len(p.purchases) for p in pages] == [10, 10, 7]
    assert all((p.paging.total, p.paging.pages) == (27, 3) for p in pages)
    assert [p.paging.prev_page_number for p in pages] == [None, 1, 2]
    assert seen == [p.purchase_id for p in ALICE.purchases]
    first = pages[0].purchases[0]
    assert first.last_date_purchased == ALICE.purchases[0].purchased_at
    assert first.last_date_purchased is not None
    assert first.last_date_purchased.tzinfo is not None
    assert len(sb.requests) == 3


async def test_213_purchases_walk_forward_and_back(ct: CrowdTwistClient) -> None:
    forward: list[str] = []
    page_number: int | None = 1
    visited = 0
    last = 1
    while page_number is not None:
        page = await ct.purchase_history(DEV.crowdtwist_id, IdType.ID, page=page_number)
        forward += [row.purchase_id for row in page.purchases]
        visited += 1
        last, page_number = page_number, page.paging.next_page_number
    assert visited == last == 22
    assert forward == [p.purchase_id for p in DEV.purchases]
    assert len(set(forward)) == 213

    backward: list[str] = []
    back_number: int | None = 22
    while back_number is not None:
        page = await ct.purchase_history(DEV.crowdtwist_id, IdType.ID, page=back_number)
        backward = [row.purchase_id for row in page.purchases] + backward
        back_number = page.paging.prev_page_number
    assert backward == forward


@pytest.mark.parametrize("page_number", [0, -1, -50])
async def test_page_zero_or_less_is_empty_and_links_to_page_one(
    ct: CrowdTwistClient, sb: SandboxServer, page_number: int
) -> None:
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
    assert page.purchases == []
    assert page.paging.next_page_number == 1
    assert page.paging.prev_page_number is None
    assert page.paging.total == 27
    assert sb.requests[-1].query["page"] == str(page_number)


@pytest.mark.parametrize("page_number", [4, 99, 10**9])
async def test_page_past_the_last_is_empty_and_links_to_the_last(
    ct: CrowdTwistClient, page_number: int
) -> None:
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
    assert page.purchases == []
    assert page.paging.prev_page_number == 3
    assert page.paging.next_page_number is None


def dev_between(start: date | None, end: date | None) -> list[str]:
    return [
        p.purchase_id
        for p in DEV.purchases
        if (start is None or start <= p.purchased_at.date())
        and (end is None or p.purchased_at.date() <= end)
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 6, 1), date(2025, 8, 31)),
        (date(2026, 10, 1), None),
        (None, date(2025, 1, 15)),
        (date(2025, 3, 3), date(2025, 3, 3)),
    ],
)
async def test_date_ranges(
    ct: CrowdTwistClient, sb: SandboxServer, start: date | None, end: date | None
) -> None:
    expected = dev_between(start, end)
    got: list[str] = []
    page_number: int | None = 1
    while page_number is not None:
        page = await ct.purchase_history(
            DEV.email, IdType.EMAIL, page=page_number, start=start, end=end
        )
        assert page.paging.total == len(expected)
        got += [row.purchase_id for row in page.purchases]
        page_number = page.paging.next_page_number
    assert got == expected
    sent = sb.requests[0].query
    assert sent.get("date_start") == (start.isoformat() if start else None)
    assert sent.get("date_end") == (end.isoformat() if end else None)


async def test_a_datetime_is_sent_as_its_date(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    moment = datetime(2025, 6, 1, 23, 59, tzinfo=UTC)
    await ct.purchase_history(DEV.email, IdType.EMAIL, start=moment)
    assert sb.requests[-1].query["date_start"] == "2025-06-01"


async def test_end_before_start_is_invalid_input(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    error = await expect_error(
        ct.purchase_history(DEV.email, IdType.EMAIL, start=date(2025, 2, 1), end=date(2025, 1, 1)),
        ErrorKind.INVALID_INPUT,
    )
    assert (error.status, error.reason) == (400, "invalid_date")  # envelope 3
    assert len(sb.requests) == 1


@pytest.mark.parametrize(
    ("id_type", "value"),
    [
        (IdType.EMAIL, SIOBHAN.email),
        (IdType.EMAIL, SIOBHAN.email.upper()),
        (IdType.ID, SIOBHAN.crowdtwist_id),
        (IdType.THIRD_PARTY_ID, SIOBHAN.third_party_id),
        (IdType.MOBILE_PHONE_NUMBER, SIOBHAN.phone),
    ],
)
async def test_awkward_identifiers_reach_the_right_member_as_one_segment(
    ct: CrowdTwistClient, sb: SandboxServer, id_type: IdType, value: str
) -> None:
    page = await ct.purchase_history(value, id_type)
    assert page.paging.total == len(SIOBHAN.purchases)
    assert [r.purchase_id for r in page.purchases] == [
        p.purchase_id for p in SIOBHAN.purchases[:10]
    ]
    (request,) = sb.requests
    assert request.path == f"/users/{quote(value, safe='')}/purchases"
    segment = request.path.split("/")[2]
    assert not set(segment) & set("/#? +'@")
    assert request.query == {"id_type": id_type.value}


def test_the_awkward_third_party_id_is_really_awkward() -> None:
    assert {"/", "#", " "} <= set(SIOBHAN.third_party_id)
    assert {"+", "'", "@"} <= set(SIOBHAN.email)


@pytest.mark.parametrize(
    ("member", "segment"),
    [
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a%2Fb", "a%252Fb"),
        ("50%", "50%25"),
        ("x?page=2&id_type=id", "x%3Fpage%3D2%26id_type%3Did"),
        ("zoë 😀", "zo%C3%AB%20%F0%9F%98%80"),
    ],
)
async def test_segments_are_sent_exactly_as_encoded(
    ct: CrowdTwistClient, sb: SandboxServer, member: str, segment: str
) -> None:
    with contextlib.suppress(CrowdTwistError):
        await ct.purchase_history(member, IdType.THIRD_PARTY_ID)
    (request,) = sb.requests
    assert request.path == f"/users/{segment}/purchases"
    assert request.query == {"id_type": "third_party_id"}


@pytest.mark.parametrize("member", ["", "   "])
async def test_an_empty_member_is_refused_without_a_request(
    ct: CrowdTwistClient, sb: SandboxServer, member: str
) -> None:
    await expect_error(ct.purchase_history(member, IdType.EMAIL), ErrorKind.INVALID_INPUT)
    assert sb.requests == []
    assert ct.stats.upstream_requests == 0


async def test_only_the_parameters_that_are_set_are_sent(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=3, end=date(2026, 1, 1))
    await ct.purchase_history(ALICE.crowdtwist_id, "id", start=date(2025, 9, 1))
    assert [r.query for r in sb.requests] == [
        {"id_type": "email"},
        {"id_type": "email", "page": "2"},
        {"id_type": "email", "page": "3", "date_end": "2026-01-01"},
        {"id_type": "id", "date_start": "2025-09-01"},
    ]
    assert all(r.method == "GET" for r in sb.requests)


async def test_the_auth_header_is_exact(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    headers = {name.lower(): value for name, value in sb.requests[0].headers.items()}
    assert headers["x-ct-authorization"] == f"CTApiKey {KEY}"
    assert headers["accept"] == "application/json"
    assert "authorization" not in headers


async def test_one_pool_keeps_connections_alive() -> None:
    async with peer_server() as (base_url, peers), make_client(base_url) as client:
        for page_number in range(1, 6):
            await client.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
        assert len(peers) == 5
        assert len(set(peers)) == 1  # one connection served all five


# --- purchase detail -----------------------------------------------------------------------------


async def test_detail_of_a_purchase(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    purchase = ALICE.purchases[0]
    detail = await ct.purchase_detail(purchase.purchase_id, purchase.purchase_id_type)
    assert detail == PurchaseDetail.model_validate(purchase.as_detail())
    assert detail.currency == "USD"
    assert detail.items
    assert sb.requests[0].path == f"/purchase/{purchase.purchase_id}"
    assert sb.requests[0].query == {"purchase_id_type": purchase.purchase_id_type}


async def test_detail_with_an_awkward_receipt_id(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    purchase = next(p for p in SIOBHAN.purchases if "/" in p.purchase_id)
    assert {"/", "#", " "} <= set(purchase.purchase_id)
    detail = await ct.purchase_detail(purchase.purchase_id, PurchaseIdType.RECEIPT_ID)
    assert detail.third_party_receipt_id == purchase.third_party_receipt_id
    assert sb.requests[0].path == f"/purchase/{quote(purchase.purchase_id, safe='')}"
    assert sb.requests[0].query == {"purchase_id_type": "receipt_id"}


async def test_detail_errors(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    missing = await expect_error(
        ct.purchase_detail("NW-nope", PurchaseIdType.ORDER_ID), ErrorKind.NOT_FOUND
    )
    assert (missing.status, missing.reason) == (404, "purchase_not_found")
    assert str(missing) == "CrowdTwist found no such purchase."
    await expect_error(ct.purchase_detail("NW-1", "ticket_id"), ErrorKind.INVALID_INPUT)
    await expect_error(ct.purchase_detail("", "order_id"), ErrorKind.INVALID_INPUT)
    assert len(sb.requests) == 2


# --- errors: every envelope, status and transport failure ----------------------------------------


async def test_member_not_found_in_each_envelope(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    by_email = await expect_error(
        ct.purchase_history("nobody@example.com", IdType.EMAIL), ErrorKind.NOT_FOUND
    )
    assert (by_email.status, by_email.reason) == (404, "user_not_found")  # envelope 1
    by_third_party = await expect_error(
        ct.purchase_history("NOPE-1", IdType.THIRD_PARTY_ID), ErrorKind.NOT_FOUND
    )
    assert (by_third_party.status, by_third_party.reason) == (404, "user_not_found")  # env. 2
    by_id = await expect_error(ct.purchase_history("999", IdType.ID), ErrorKind.NOT_FOUND)
    assert (by_id.status, by_id.reason) == (400, "user_not_found")  # envelope 3, HTTP 400
    assert str(by_id) == "CrowdTwist found no such member."
    assert len(sb.requests) == 3  # none retried


async def test_invalid_id_type_is_invalid_input(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    error = await expect_error(
        ct.purchase_history("alice@example.com", "nickname"), ErrorKind.INVALID_INPUT
    )
    assert (error.status, error.reason) == (400, "invalid_parameter")  # envelope 2
    assert "ID type is invalid." in str(error)
    assert len(sb.requests) == 1


async def test_a_wrong_key_is_unauthorized(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, api_key="not-the-key") as client:
        error = await expect_error(
            client.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAUTHORIZED
        )
    assert error.status == 401
    assert len(sb.requests) == 1


@pytest.mark.parametrize(
    ("email", "kind", "status", "attempts"),
    [
        ("not-configured@example.com", ErrorKind.NOT_CONFIGURED, 500, 1),
        ("outage@example.com", ErrorKind.UNAVAILABLE, 503, 3),
    ],
)
async def test_the_sandbox_failure_demos(
    ct: CrowdTwistClient,
    sb: SandboxServer,
    email: str,
    kind: ErrorKind,
    status: int,
    attempts: int,
) -> None:
    error = await expect_error(ct.purchase_history(email, IdType.EMAIL), kind)
    assert error.status == status
    assert len(sb.requests) == attempts
    assert ct.stats.upstream_requests == attempts


HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "kind", "attempts"),
    [
        (403, b"", "application/json", ErrorKind.UNAUTHORIZED, 1),
        (
            403,
            b'{"error": "forbidden", "message": "No access"}',
            "application/json",
            ErrorKind.UNAUTHORIZED,
            1,
        ),
        (
            500,
            b'{"error": {"code": 500, "message": "Internal Server Error", '
            b'"errors": [{"reason": "internal_error", "message": "Oops"}]}}',
            "application/json",
            ErrorKind.UNAVAILABLE,
            3,
        ),
        (
            503,
            b'{"system": "pos", "reason": "not_configured", "description": "Not set up."}',
            "application/json",
            ErrorKind.NOT_CONFIGURED,
            1,
        ),
        (502, HTML_502, "text/html", ErrorKind.UNAVAILABLE, 3),
        (500, b"", "application/json", ErrorKind.UNAVAILABLE, 3),
        (404, b"", "text/plain", ErrorKind.NOT_FOUND, 1),
        (400, b"", "application/json", ErrorKind.INVALID_INPUT, 1),
        (200, HTML_502, "text/html", ErrorKind.BAD_RESPONSE, 1),
        (
            200,
            b'{"purchases": [{"purchase_id": "o1", ',
            "application/json",
            ErrorKind.BAD_RESPONSE,
            1,
        ),
        (200, b'{"purchases": "x"}', "application/json", ErrorKind.BAD_RESPONSE, 1),
        (
            200,
            b'{"purchases": [{"purchase_total": 5}]}',
            "application/json",
            ErrorKind.BAD_RESPONSE,
            1,
        ),
        (200, b"[]", "application/json", ErrorKind.BAD_RESPONSE, 1),
        (200, b"{}", "application/json", ErrorKind.BAD_RESPONSE, 1),
        (200, b"", "application/json", ErrorKind.BAD_RESPONSE, 1),
        (200, b"\xff\xfe\xfa", "application/json", ErrorKind.BAD_RESPONSE, 1),
        (200, b"[" * 5000, "application/json", ErrorKind.BAD_RESPONSE, 1),
        (204, b"", "application/json", ErrorKind.BAD_RESPONSE, 1),
        (
            200,
            b'{"error": {"code": 404, "errors": [{"reason": "user_not_found"}]}}',
            "application/json",
            ErrorKind.NOT_FOUND,
            1,
        ),
        (302, b"", "text/html", ErrorKind.BAD_RESPONSE, 1),
    ],
)
async def test_each_answer_maps_to_its_kind(
    ct: CrowdTwistClient,
    sb: SandboxServer,
    status: int,
    body: bytes,
    content_type: str,
    kind: ErrorKind,
    attempts: int,
) -> None:
    sb.faults.inject(status, body, content_type=content_type, times=5)
    error = await expect_error(ct.purchase_history("alice@example.com", IdType.EMAIL), kind)
    assert len(sb.requests) == attempts
    assert "alice" not in error.detail
    assert error.detail.startswith(f"HTTP {status}")
    assert f"on GET {HISTORY}" in error.detail


async def test_a_bad_detail_body_is_a_bad_response(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.inject(200, b'{"items": "none"}')
    error = await expect_error(ct.purchase_detail("NW-1", "order_id"), ErrorKind.BAD_RESPONSE)
    assert "validation error" in error.detail
    assert "/purchase/{purchase_id}" in error.detail
    sb.faults.inject(200, b'{"unrelated": 1}')
    await expect_error(ct.purchase_detail("NW-1", "order_id"), ErrorKind.BAD_RESPONSE)


async def test_a_timeout_is_unavailable_and_the_pool_recovers(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, timeout=0.3, max_retries=1) as client:
        sb.faults.inject_delay(1.5, times=2)
        started = time.monotonic()
        error = await expect_error(
            client.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
        elapsed = time.monotonic() - started
        assert 0.55 <= elapsed < 1.4
        assert "Timeout" in error.detail
        assert len(sb.requests) == 2
        page = await client.purchase_history("alice@example.com", IdType.EMAIL)
        assert page.paging.total == 27


async def test_a_refused_connection_is_unavailable_after_every_attempt() -> None:
    async with make_client(f"http://127.0.0.1:{closed_port()}", max_retries=2) as client:
        error = await expect_error(
            client.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
        assert client.stats.upstream_requests == 3
        assert client.stats.retries == 2
    assert "ConnectError" in error.detail
    assert error.detail.endswith("(after 3 attempts)")


async def test_a_dropped_connection_is_retried(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.inject_disconnect()
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL)
    assert page.paging.total == 27
    assert len(sb.requests) == 2
    assert ct.stats.retries == 1

    sb.faults.inject_disconnect(times=3)
    error = await expect_error(
        ct.purchase_history("alice@example.com", IdType.EMAIL, page=2), ErrorKind.UNAVAILABLE
    )
    assert "RemoteProtocolError" in error.detail
    assert len(sb.requests) == 5


async def test_a_body_cut_short_in_transit_is_retried_then_unavailable() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    cut = head + b'{"purchases": [{"purc'
    async with (
        raw_server(cut) as (base_url, connections),
        make_client(base_url, max_retries=1) as ct,
    ):
        error = await expect_error(
            ct.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
    assert "RemoteProtocolError" in error.detail
    assert len(connections) == 2


# --- retries -------------------------------------------------------------------------------------


async def test_503_twice_then_success(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.inject(503, b'{"error": "internal_error", "message": "busy"}', times=2)
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL)
    assert page.paging.total == 27
    assert len(sb.requests) == 3
    assert ct.stats == ClientStats(upstream_requests=3, retries=2)


async def test_429_retry_after_seconds_is_honoured(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.inject(429, b"", headers={"Retry-After": "1"})
    started = time.monotonic()
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL)
    elapsed = time.monotonic() - started
    assert page.paging.total == 27
    assert elapsed >= 0.95
    assert sb.requests[1].at - sb.requests[0].at >= 0.95
    assert len(sb.requests) == 2


async def test_429_retry_after_is_capped(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, retry_after_max_seconds=0.2) as client:
        sb.faults.inject(429, b"", headers={"Retry-After": "3600"})
        started = time.monotonic()
        await client.purchase_history("alice@example.com", IdType.EMAIL)
        elapsed = time.monotonic() - started
    assert 0.18 <= elapsed < 1.0
    assert len(sb.requests) == 2


async def test_retry_after_as_an_http_date(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    sb.faults.inject(503, b"", headers={"Retry-After": past})
    started = time.monotonic()
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    assert time.monotonic() - started < 0.5  # a date in the past: retry at once
    assert len(sb.requests) == 2


def test_retry_after_parsing() -> None:
    parse = client_module._retry_after_seconds
    assert parse(None) is None
    assert parse("") is None
    assert parse("soon") is None
    assert parse("nan") is None
    assert parse("2") == 2.0
    assert parse(" 0.5 ") == 0.5
    assert parse("-3") == 0.0
    future = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse(format_datetime(future, usegmt=True))
    assert seconds is not None
    assert 28 <= seconds <= 30
    assert parse("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_backoff_is_full_jitter_and_exponential() -> None:
    client = CrowdTwistClient("http://127.0.0.1:1", KEY, backoff_seconds=0.3)
    random.seed(7)
    for attempt in (1, 2, 3):
        delays = [client._delay(attempt, None) for _ in range(300)]
        ceiling = 0.3 * 2 ** (attempt - 1)
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range
        assert min(delays) < ceiling * 0.2
    assert client._delay(1, 99.0) == 5.0  # Retry-After, capped by retry_after_max_seconds


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, ErrorKind.INVALID_INPUT), (404, ErrorKind.NOT_FOUND), (401, ErrorKind.UNAUTHORIZED)],
)
async def test_client_errors_are_never_retried(
    ct: CrowdTwistClient, sb: SandboxServer, status: int, kind: ErrorKind
) -> None:
    sb.faults.inject(status, b'{"error": "x", "message": "no"}', times=5)
    await expect_error(ct.purchase_history("alice@example.com", IdType.EMAIL), kind)
    assert len(sb.requests) == 1
    assert ct.stats.retries == 0


@pytest.mark.parametrize("max_retries", [0, 1, 4])
async def test_max_retries_is_respected(sb: SandboxServer, max_retries: int) -> None:
    sb.faults.inject(500, b'{"error": "internal_error"}', times=10)
    async with make_client(sb.base_url, max_retries=max_retries) as client:
        await expect_error(
            client.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
        assert client.stats.upstream_requests == 1 + max_retries
        assert client.stats.retries == max_retries
    assert len(sb.requests) == 1 + max_retries


# --- cache ---------------------------------------------------------------------------------------


async def test_a_second_identical_call_is_served_from_the_cache(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    first = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    second = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    assert second is first
    assert len(sb.requests) == 1
    assert ct.stats.cache_hits == 1
    purchase = ALICE.purchases[0]
    await ct.purchase_detail(purchase.purchase_id, purchase.purchase_id_type)
    await ct.purchase_detail(purchase.purchase_id, PurchaseIdType(purchase.purchase_id_type))
    assert len(sb.requests) == 2
    assert ct.stats.cache_hits == 2


async def test_anything_different_is_a_new_request(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    await ct.purchase_history(ALICE.crowdtwist_id, IdType.ID)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, start=date(2026, 1, 1))
    await ct.purchase_history("alice@example.com", IdType.EMAIL, end=date(2026, 1, 1))
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=1)  # = the first call
    assert len(sb.requests) == 5
    assert ct.stats.cache_hits == 1


async def test_entries_expire(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, cache_ttl_seconds=0.2) as client:
        await client.purchase_history("alice@example.com", IdType.EMAIL)
        await client.purchase_history("alice@example.com", IdType.EMAIL)
        assert len(sb.requests) == 1
        await asyncio.sleep(0.3)
        await client.purchase_history("alice@example.com", IdType.EMAIL)
        assert len(sb.requests) == 2


async def test_errors_are_not_cached(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, max_retries=0) as client:
        for _ in range(2):
            await expect_error(
                client.purchase_history("nobody@example.com", IdType.EMAIL), ErrorKind.NOT_FOUND
            )
        assert len(sb.requests) == 2
        sb.faults.inject(500)
        await expect_error(
            client.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
        page = await client.purchase_history("alice@example.com", IdType.EMAIL)
        assert page.paging.total == 27
        assert len(sb.requests) == 4
        assert client.stats.cache_hits == 0


async def test_the_cache_is_bounded(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, cache_max_entries=2) as client:
        for page_number in (1, 2, 3):
            await client.purchase_history(DEV.email, IdType.EMAIL, page=page_number)
        await client.purchase_history(DEV.email, IdType.EMAIL, page=3)
        assert (len(sb.requests), client.stats.cache_hits) == (3, 1)
        await client.purchase_history(DEV.email, IdType.EMAIL, page=1)  # evicted
        assert len(sb.requests) == 4


@pytest.mark.parametrize("options", [{"cache_ttl_seconds": 0}, {"cache_max_entries": 0}])
async def test_the_cache_can_be_turned_off(sb: SandboxServer, options: dict[str, Any]) -> None:
    async with make_client(sb.base_url, **options) as client:
        await client.purchase_history("alice@example.com", IdType.EMAIL)
        await client.purchase_history("alice@example.com", IdType.EMAIL)
        client.prefetch_history("alice@example.com", IdType.EMAIL, pages=[2, 3])
        assert client.stats.prefetches == 0
    assert len(sb.requests) == 2


# --- coalescing ----------------------------------------------------------------------------------


async def test_identical_concurrent_calls_share_one_request(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    sb.faults.latency_seconds = 0.2
    results = await asyncio.gather(
        *(ct.purchase_history("alice@example.com", IdType.EMAIL) for _ in range(20))
    )
    assert len(sb.requests) == 1
    assert all(result is results[0] for result in results)
    assert ct.stats.coalesced == 19
    assert ct.stats.upstream_requests == 1


async def test_a_shared_failure_reaches_every_caller_and_is_not_kept(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.2
    sb.faults.inject(500, b'{"error": "internal_error"}')
    async with make_client(sb.base_url, max_retries=0) as client:
        results = await asyncio.gather(
            *(client.purchase_history("alice@example.com", IdType.EMAIL) for _ in range(20)),
            return_exceptions=True,
        )
        assert all(isinstance(r, CrowdTwistError) for r in results)
        assert {r.kind for r in results if isinstance(r, CrowdTwistError)} == {
            ErrorKind.UNAVAILABLE
        }
        assert len(sb.requests) == 1
        page = await client.purchase_history("alice@example.com", IdType.EMAIL)
        assert page.paging.total == 27
        assert len(sb.requests) == 2


async def test_a_cancelled_caller_does_not_break_the_others(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    sb.faults.latency_seconds = 0.2
    calls = [
        asyncio.create_task(ct.purchase_history("alice@example.com", IdType.EMAIL))
        for _ in range(3)
    ]
    await asyncio.sleep(0.05)
    calls[0].cancel()  # the caller that started the shared request
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert isinstance(results[1], PurchasePage)
    assert results[2] is results[1]
    assert len(sb.requests) == 1


async def test_a_caller_timing_out_does_not_break_the_others(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    sb.faults.latency_seconds = 0.2
    impatient = asyncio.wait_for(ct.purchase_history("alice@example.com", IdType.EMAIL), 0.05)
    patient = ct.purchase_history("alice@example.com", IdType.EMAIL)
    first, second = await asyncio.gather(impatient, patient, return_exceptions=True)
    assert isinstance(first, TimeoutError)
    assert isinstance(second, PurchasePage)
    assert len(sb.requests) == 1


async def test_a_fetch_nobody_waits_for_still_fills_the_cache(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    sb.faults.latency_seconds = 0.15
    call = asyncio.create_task(ct.purchase_history("alice@example.com", IdType.EMAIL))
    await asyncio.sleep(0.05)
    call.cancel()
    await asyncio.sleep(0.25)
    sb.faults.latency_seconds = 0.0
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    assert len(sb.requests) == 1
    assert ct.stats.cache_hits == 1


async def test_a_failure_nobody_waits_for_is_quiet(
    sb: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    sb.faults.latency_seconds = 0.1
    sb.faults.inject(500, times=3)
    async with make_client(sb.base_url, max_retries=0) as client:
        call = asyncio.create_task(client.purchase_history("alice@example.com", IdType.EMAIL))
        await asyncio.sleep(0.03)
        call.cancel()
        await asyncio.sleep(0.2)
        client.prefetch_history("alice@example.com", IdType.EMAIL, pages=[2])
        await asyncio.sleep(0.2)
    del call
    gc.collect()
    await asyncio.sleep(0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


# --- prefetch ------------------------------------------------------------------------------------


async def test_prefetched_pages_are_instant(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.15
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    ct.prefetch_history("alice@example.com", IdType.EMAIL, pages=[1, 2, 3])
    assert ct.stats.prefetches == 2  # page 1 is cached already
    await asyncio.sleep(0.35)
    assert len(sb.requests) == 3
    started = time.monotonic()
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    assert time.monotonic() - started < 0.05
    assert len(sb.requests) == 3
    assert [r.purchase_id for r in page.purchases] == [
        p.purchase_id for p in ALICE.purchases[10:20]
    ]
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=3)
    assert len(sb.requests) == 3
    assert ct.stats.cache_hits == 2


async def test_a_call_joins_a_prefetch_in_flight(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.15
    ct.prefetch_history(DEV.email, IdType.EMAIL, pages=[2], start=date(2025, 1, 1))
    ct.prefetch_history(DEV.email, IdType.EMAIL, pages=[2], start=date(2025, 1, 1))  # in flight
    page = await ct.purchase_history(DEV.email, IdType.EMAIL, page=2, start=date(2025, 1, 1))
    assert page.purchases
    assert len(sb.requests) == 1
    assert ct.stats.prefetches == 1
    assert ct.stats.coalesced == 1


async def test_prefetch_errors_are_swallowed_and_not_cached(
    ct: CrowdTwistClient, sb: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.crowdtwist")
    sb.faults.inject(404, times=1)
    ct.prefetch_history("alice@example.com", IdType.EMAIL, pages=[2])
    ct.prefetch_history("", IdType.EMAIL, pages=[1])  # refused before any request
    await asyncio.sleep(0.1)
    assert any("prefetch failed: not_found" in r.getMessage() for r in caplog.records)
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    assert len(page.purchases) == 10
    assert len(sb.requests) == 2


async def test_prefetch_is_bounded(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.2
    async with make_client(sb.base_url, max_prefetches=2) as client:
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=range(1, 10))
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[12, 13])
        assert client.stats.prefetches == 2
        await asyncio.sleep(0.3)
        assert len(sb.requests) == 2
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[0, -1, 1, 2, 3, 4, 5])
        assert client.stats.prefetches == 4  # pages 3 and 4: 1 and 2 are cached, 0/-1 skipped


async def test_prefetch_is_shed_while_lookups_fill_the_budget(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.2
    async with make_client(sb.base_url, max_prefetches=2) as client:
        lookups = [
            asyncio.create_task(client.purchase_history(member, IdType.EMAIL))
            for member in ("alice@example.com", DEV.email)
        ]
        await asyncio.sleep(0.05)
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[2, 3])
        assert client.stats.prefetches == 0  # people's lookups come first
        await asyncio.gather(*lookups)
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[2])
        assert client.stats.prefetches == 1  # idle again: the guess is worth making


async def test_closing_cancels_background_work(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.5
    client = make_client(sb.base_url)
    client.prefetch_history("alice@example.com", IdType.EMAIL, pages=[2, 3])
    waiting = asyncio.create_task(client.purchase_history("alice@example.com", IdType.EMAIL))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await client.aclose()
    assert time.monotonic() - started < 0.3
    error = await expect_error(waiting, ErrorKind.UNAVAILABLE)
    assert "closed" in error.detail
    await expect_error(
        client.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
    )
    client.prefetch_history("alice@example.com", IdType.EMAIL, pages=[4])  # a no-op
    await client.aclose()  # twice is fine


# --- secrets and logs ----------------------------------------------------------------------------


def texts_of(error: BaseException) -> list[str]:
    texts = [str(error), repr(error), *(str(arg) for arg in error.args)]
    if isinstance(error, CrowdTwistError):
        texts += [error.message, error.detail, str(error.reason)]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            texts += [str(linked), repr(linked)]
    return texts


async def test_the_key_never_appears_anywhere(
    sb: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"Bad header X-CT-Authorization: CTApiKey {KEY} (key {KEY} is unknown)"
    errors: list[BaseException] = []

    async def collect(call: Awaitable[Any]) -> None:
        try:
            await call
        except CrowdTwistError as exc:
            errors.append(exc)

    async with make_client(sb.base_url, timeout=0.3, max_retries=1) as client:
        history = client.purchase_history
        await collect(history("nobody@example.com", IdType.EMAIL))  # NOT_FOUND
        await collect(history("999", IdType.ID))
        await collect(history("alice@example.com", "nope"))  # INVALID_INPUT
        await collect(history("not-configured@example.com", IdType.EMAIL))  # NOT_CONFIGURED
        await collect(history("outage@example.com", IdType.EMAIL))  # UNAVAILABLE
        sb.faults.inject(400, json.dumps({"error": "invalid", "message": echo}))
        await collect(history("alice@example.com", IdType.EMAIL, page=2))
        sb.faults.inject(401, json.dumps({"error": "unauthorized", "message": echo}))
        await collect(history("alice@example.com", IdType.EMAIL, page=3))
        sb.faults.inject(503, echo, content_type="text/plain", times=2)
        await collect(history("alice@example.com", IdType.EMAIL, page=4))
        sb.faults.inject(200, echo, content_type="text/html")  # BAD_RESPONSE
        await collect(history("alice@example.com", IdType.EMAIL, page=5))
        sb.faults.inject(200, b'{"purchases": [{"purchase_id": {}}]}')
        await collect(history("alice@example.com", IdType.EMAIL, page=6))
        sb.faults.inject_delay(1.0, times=2)  # timeouts
        await collect(history("alice@example.com", IdType.EMAIL, page=7))
        sb.faults.inject_disconnect(times=2)
        await collect(history("alice@example.com", IdType.EMAIL, page=8))
        await collect(client.purchase_detail("NW-0", "order_id"))
        texts = [repr(client), str(client.stats)]
    async with make_client(f"http://127.0.0.1:{closed_port()}", max_retries=0) as refused:
        await collect(refused.purchase_history("alice@example.com", IdType.EMAIL))
    async with make_client(sb.base_url, api_key=KEY + "-wrong") as wrong:
        await collect(wrong.purchase_history("alice@example.com", IdType.EMAIL))
    async with make_client(sb.base_url, budget=LocalBudget(1, max_wait=0)) as limited:
        await limited.purchase_history("alice@example.com", IdType.EMAIL)
        await collect(limited.purchase_history("alice@example.com", IdType.EMAIL, page=2))  # BUSY

    assert {e.kind for e in errors if isinstance(e, CrowdTwistError)} == set(ErrorKind)
    assert len(errors) == 16
    for error in errors:
        texts += texts_of(error)
    for record in caplog.records:
        texts += [record.getMessage(), str(record.args), record.exc_text or ""]
    assert not [text for text in texts if KEY in text]
    assert [e for e in errors if "[secret]" in str(e)]  # the echo was masked, not dropped

    ours = [r.getMessage() for r in caplog.records if r.name == "bot.crowdtwist"]
    assert ours
    for member in ("alice", "332170040", "nobody", "outage", "not-configured", "999 "):
        assert not [text for text in ours if member in text]


async def test_one_line_per_attempt_and_a_warning_per_failure(
    ct: CrowdTwistClient, sb: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.crowdtwist")
    sb.faults.inject(503, b'{"error": "internal_error"}', times=2)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    records = [r for r in caplog.records if r.name == "bot.crowdtwist"]
    debug = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(debug) == 3
    assert len(warnings) == 2
    for n, line in enumerate(debug, start=1):
        assert line.startswith(f"crowdtwist GET {HISTORY} page=2 attempt {n}/3: ")
        assert line.endswith(" ms")
    assert "HTTP 503 reason=internal_error" in warnings[0]
    assert "retrying in" in warnings[0]
    assert "HTTP 200" in debug[2]


async def test_a_member_not_found_is_not_a_warning(
    ct: CrowdTwistClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.crowdtwist")
    await expect_error(ct.purchase_history("nobody@example.com", IdType.EMAIL), ErrorKind.NOT_FOUND)
    levels = [r.levelno for r in caplog.records if r.name == "bot.crowdtwist"]
    assert levels == [logging.DEBUG, logging.INFO]


# --- construction --------------------------------------------------------------------------------


def test_repr_shows_the_base_url_only() -> None:
    client = CrowdTwistClient("https://pos12.crowdtwist.com/", SecretStr(KEY))
    assert repr(client) == "CrowdTwistClient(base_url='https://pos12.crowdtwist.com')"
    assert KEY not in repr(client)
    assert KEY not in str(client)


@pytest.mark.parametrize("bad", ["", "   ", "two words", "line\nbreak", "clé"])
def test_an_unusable_key_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError, match="api_key") as info:
        CrowdTwistClient("https://pos12.crowdtwist.com", bad)
    assert not bad.strip() or bad not in str(info.value)


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"max_retries": -1}, {"backoff_seconds": -1}, {"max_connections": 0}],
)
def test_impossible_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        CrowdTwistClient("https://pos12.crowdtwist.com", KEY, **options)


async def test_from_settings_with_the_sandbox() -> None:
    settings = Settings(_env_file=None, crowdtwist_sandbox=True)
    assert SANDBOX_API_KEY == DEFAULT_API_KEY
    with pytest.raises(ConfigError, match="CROWDTWIST_BASE_URL"):
        crowdtwist_client(settings)
    async with SandboxServer() as server:
        async with crowdtwist_client(settings, base_url=server.base_url) as client:
            page = await client.purchase_history("alice@example.com", IdType.EMAIL)
        assert page.paging.total == 27
        assert server.requests[0].headers["X-CT-Authorization"] == f"CTApiKey {SANDBOX_API_KEY}"


def test_from_settings_for_a_real_program() -> None:
    settings = Settings(
        _env_file=None,
        crowdtwist_api_key=SecretStr(KEY),
        crowdtwist_environment="sb-",
        crowdtwist_client_id="12",
        crowdtwist_timeout_seconds=3.5,
        crowdtwist_max_retries=4,
        cache_ttl_seconds=0,
    )
    client = crowdtwist_client(settings)
    assert client.base_url == "https://sb-pos12.crowdtwist.com"
    assert client._timeout == 3.5
    assert client._max_retries == 4
    assert client._cache is None
    assert KEY not in repr(client)


# -- response size and the deadline on reading a body ------------------------------------------


@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_body_over_the_size_limit_is_a_bad_response_not_retried(
    sb: SandboxServer, declare_length: bool
) -> None:
    async with make_client(sb.base_url, max_response_bytes=256 * 1024) as client:
        sb.faults.inject_huge_body(40 * 1024 * 1024, declare_length=declare_length)
        error = await expect_error(
            client.purchase_history(ALICE.email, IdType.EMAIL), ErrorKind.BAD_RESPONSE
        )
        assert "262144-byte limit" in error.detail
        assert len(sb.requests) == 1  # another attempt would get the same
        assert client.stats.retries == 0
        page = await client.purchase_history(ALICE.email, IdType.EMAIL)  # the pool still works
        assert page.purchases


async def test_a_body_just_under_the_limit_is_read(sb: SandboxServer) -> None:
    async with make_client(sb.base_url) as client:
        page = await client.purchase_history(ALICE.email, IdType.EMAIL)
    async with make_client(
        sb.base_url, max_response_bytes=len(json.dumps(page.model_dump(mode="json"))) * 4
    ) as small:
        assert (await small.purchase_history(ALICE.email, IdType.EMAIL)).purchases


async def test_a_body_that_never_ends_stops_at_the_size_limit(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, max_response_bytes=1024 * 1024, timeout=5.0) as client:
        sb.faults.inject_endless_body()
        error = await expect_error(
            client.purchase_history(ALICE.email, IdType.EMAIL), ErrorKind.BAD_RESPONSE
        )
        assert "limit" in error.detail and len(sb.requests) == 1


async def test_a_trickling_body_is_cut_by_the_attempt_deadline(sb: SandboxServer) -> None:
    async with make_client(sb.base_url, timeout=0.5, max_retries=1) as client:
        sb.faults.inject_endless_body(chunk_interval_seconds=0.05, times=2)
        started = time.monotonic()
        error = await expect_error(
            client.purchase_history(ALICE.email, IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
        took = time.monotonic() - started
        assert "TimeoutError" in error.detail and len(sb.requests) == 2
        # two attempts of 0.5 s each and a backoff, not an endless read
        assert took < 4


def test_the_size_limit_comes_from_the_settings() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        crowdtwist_base_url="https://pos.example.com",
        crowdtwist_api_key=SecretStr(KEY),
        crowdtwist_max_response_bytes=123_456,
    )
    assert crowdtwist_client(settings)._max_response_bytes == 123_456
    with pytest.raises(ValueError, match="max_response_bytes"):
        CrowdTwistClient("https://pos.example.com", KEY, max_response_bytes=0)
