"""Shared fixtures: the sandbox CrowdTwist, the fake Slack, and the bot behind real HTTP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.app import build_app
from bot.config import Settings
from bot.fake_slack import FakeSlack
from bot.ops.slow_clients import GuardedSite
from bot.sandbox import SandboxServer
from bot.server import build_web_app
from bot.services import Services, crowdtwist_client
from tests.support.redis_server import RedisServer, redis_available
from tests.support.slack_driver import SlackDriver

SIGNING_SECRET = "test-signing-secret-8f3a"
BOT_TOKEN = "xoxb-test-token-1234567890"
CT_KEY = "ct-test-key-5ec12e7"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt and the settings read SLACK_* / CROWDTWIST_* from the environment: clear them."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CROWDTWIST_", "ALLOWED_SLACK_", "AUDIT_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(os.path.dirname(__file__))  # no stray .env from the project root


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(api_key=CT_KEY) as server:
        yield server


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


def make_settings(sandbox: SandboxServer, slack: FakeSlack, **overrides: Any) -> Settings:
    """HTTP-mode settings pointed at the sandbox and the fake Slack (no .env, no environment)."""
    values: dict[str, Any] = {
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_api_url": slack.api_url,
        "crowdtwist_api_key": SecretStr(CT_KEY),
        "crowdtwist_base_url": sandbox.base_url,
        "crowdtwist_backoff_seconds": 0.01,
        "crowdtwist_timeout_seconds": 2.0,
        "log_format": "text",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class RunningBot:
    """The bot's HTTP server on 127.0.0.1 with what it is wired to."""

    base_url: str
    services: Services
    slack: FakeSlack
    sandbox: SandboxServer
    driver: SlackDriver
    runner: web.AppRunner


async def start_bot(sandbox: SandboxServer, slack: FakeSlack, **overrides: Any) -> RunningBot:
    """Build the real app from settings and serve it on a free port."""
    settings = make_settings(sandbox, slack, **overrides)
    services = Services.from_settings(settings, crowdtwist_client(settings))
    web_app = build_web_app(build_app(services), services)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0)  # as HTTP mode listens (bot/runtime.py)
    await site.start()
    port = runner.addresses[0][1]
    base_url = f"http://127.0.0.1:{port}"
    driver = SlackDriver(f"{base_url}/slack/events", SIGNING_SECRET, slack.base_url)
    return RunningBot(base_url, services, slack, sandbox, driver, runner)


@pytest.fixture
async def bot_factory(
    sandbox: SandboxServer, fake_slack: FakeSlack
) -> AsyncIterator[Callable[..., Any]]:
    """Start bots with settings overrides; all are stopped after the test."""
    started: list[RunningBot] = []

    async def factory(**overrides: Any) -> RunningBot:
        bot = await start_bot(sandbox, fake_slack, **overrides)
        started.append(bot)
        return bot

    yield factory
    for bot in started:
        await bot.driver.http.aclose()
        await bot.runner.cleanup()


@pytest.fixture
async def bot(bot_factory: Callable[..., Any]) -> RunningBot:
    result: RunningBot = await bot_factory()
    return result


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    """Our own ``redis-server`` on a free loopback port (tests may stop and restart it)."""
    if not redis_available():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    async with RedisServer() as server:
        yield server
