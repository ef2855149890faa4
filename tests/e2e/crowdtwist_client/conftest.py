"""The sandbox CrowdTwist with this folder's key, and a fast client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.crowdtwist.client import CrowdTwistClient
from bot.sandbox import SandboxServer
from tests.e2e.crowdtwist_client.helpers import KEY, make_client


@pytest.fixture
async def sb() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(api_key=KEY) as server:
        yield server


@pytest.fixture
async def ct(sb: SandboxServer) -> AsyncIterator[CrowdTwistClient]:
    async with make_client(sb.base_url) as client:
        yield client
