"""CrowdTwistClient over real HTTP (the sandbox, tiny local servers where it cannot express a
case; no httpx mocks): every error envelope, status and transport failure, and the retries."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.crowdtwist import client as client_module
from bot.crowdtwist.client import ClientStats, CrowdTwistClient
from bot.crowdtwist.errors import ErrorKind
from bot.crowdtwist.models import IdType
from bot.sandbox import SandboxServer
from tests.e2e.crowdtwist_client.helpers import (
    HISTORY,
    KEY,
    closed_port,
    expect_error,
    make_client,
)
from tests.support.raw_http import raw_server

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
        raw_server(cut) as (base_url, requests),
        make_client(base_url, max_retries=1) as ct,
    ):
        error = await expect_error(
            ct.purchase_history("alice@example.com", IdType.EMAIL), ErrorKind.UNAVAILABLE
        )
    assert "RemoteProtocolError" in error.detail
    assert len(requests) == 2


# --- retries -------------------------------------------------------------------------------------


async def test_503_twice_then_success(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    sb.faults.inject(503, b'{"error": "internal_error", "message": "busy"}', times=2)
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL)
    assert page.paging.total == 27
    assert len(sb.requests) == 3
    assert ct.stats == ClientStats(upstream_requests=3, retries=2, cache_misses=1)


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
