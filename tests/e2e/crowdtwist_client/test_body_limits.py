"""CrowdTwistClient over real HTTP (the sandbox; no httpx mocks): the response size limit and
the deadline on reading a body."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import ErrorKind
from bot.crowdtwist.models import IdType
from bot.sandbox import SandboxServer
from bot.services import crowdtwist_client
from tests.e2e.crowdtwist_client.helpers import ALICE, KEY, expect_error, make_client

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
        _env_file=None,
        crowdtwist_base_url="https://pos.example.com",
        crowdtwist_api_key=SecretStr(KEY),
        crowdtwist_max_response_bytes=123_456,
    )
    assert crowdtwist_client(settings)._max_response_bytes == 123_456
    with pytest.raises(ValueError, match="max_response_bytes"):
        CrowdTwistClient("https://pos.example.com", KEY, max_response_bytes=0)
