"""CrowdTwistClient over real HTTP (the sandbox; no httpx mocks): the key never shown in errors
or logs, one log line per attempt, and construction (options refused, built from settings)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import SANDBOX_API_KEY, ConfigError, Settings
from bot.crowdtwist.budget import LocalBudget
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType
from bot.sandbox import DEFAULT_API_KEY, SandboxServer
from bot.services import crowdtwist_client
from tests.e2e.crowdtwist_client.helpers import HISTORY, KEY, closed_port, expect_error, make_client

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
