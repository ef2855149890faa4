"""Two real ``python -m bot`` processes on one Redis act as one bot.

Both replicas are HTTP-mode processes pointed at the same sandbox CrowdTwist, the same fake
Slack and the same redis-server (password-protected, as production's should be); commands go
to one and clicks to the other, as a load balancer would send them. The sandbox records every
request it receives, so "no CrowdTwist call" is counted, not guessed.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from redis.asyncio import Redis

from bot.fake_slack import RESPONSE_METHOD, FakeSlack
from bot.sandbox import SandboxServer
from bot.shared_state import KEY_PREFIX
from bot.slack_ids import NEXT_PAGE_ACTION
from tests.conftest import BOT_TOKEN, CT_KEY, SIGNING_SECRET
from tests.support.e2e_helpers import button, response_posts, text_of
from tests.support.processes import ROOT, free_port, start_process, wait_until_healthy
from tests.support.redis_server import RedisServer, redis_available
from tests.support.slack_driver import SlackDriver

REDIS_PASSWORD = "replica-test-pass-4b1d"
ALICE = "alice@example.com"
DEV = "dev.patel@example.com"


@dataclass
class Replica:
    """One bot process: its driver and the log it writes."""

    name: str
    process: asyncio.subprocess.Process
    driver: SlackDriver
    log: Path

    def messages(self) -> list[str]:
        """The process's log messages so far (JSON lines; anything else as it is)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                found.append(line)
                continue
            found.append(str(record.get("message", line)) if isinstance(record, dict) else line)
        return found

    async def health(self) -> dict[str, Any]:
        """What ``GET /healthz`` says."""
        url = self.driver.events_url.replace("/slack/events", "/healthz")
        body: dict[str, Any] = (await self.driver.http.get(url)).json()
        return body

    def count(self, text: str) -> int:
        return sum(text in message for message in self.messages())

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@pytest.fixture
async def redis_with_password() -> AsyncIterator[RedisServer]:
    if not redis_available():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    async with RedisServer(password=REDIS_PASSWORD) as server:
        yield server


@pytest.fixture
async def start_replicas(
    sandbox: SandboxServer,
    fake_slack: FakeSlack,
    redis_with_password: RedisServer,
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Any]]:
    """Start two replicas with extra environment; both stopped after the test."""
    started: list[Replica] = []

    async def one(name: str, extra: dict[str, str]) -> Replica:
        port = free_port()
        log = tmp_path / f"{name}.log"
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "CROWDTWIST_BASE_URL": sandbox.base_url,
            "CROWDTWIST_API_KEY": CT_KEY,
            "CROWDTWIST_TIMEOUT_SECONDS": "10",
            "CROWDTWIST_BACKOFF_SECONDS": "0.01",
            "REDIS_URL": redis_with_password.url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
        workdir = tmp_path / name
        workdir.mkdir()
        process = await start_process(env, workdir, output=log)
        base = f"http://127.0.0.1:{port}"
        if not await wait_until_healthy(base, tries=200, pause=0.05):
            process.kill()
            await process.wait()
            raise AssertionError(log.read_text())
        driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET, fake_slack.base_url)
        replica = Replica(name, process, driver, log)
        started.append(replica)
        return replica

    async def start(**extra: str) -> tuple[Replica, Replica]:
        a, b = await asyncio.gather(one("a", extra), one("b", extra))
        return a, b

    yield start
    for replica in started:
        await replica.stop()
        await replica.driver.http.aclose()
        assert REDIS_PASSWORD not in replica.log.read_text()


def requests_for(sandbox: SandboxServer, member: str, *, page: int = 1, since: str = "") -> int:
    """Sandbox requests for one page of one member's history (``since``: its date_start)."""
    return sum(
        1
        for r in sandbox.requests
        if unquote(r.path) == f"/users/{member}/purchases"
        and r.query.get("page", "1") == str(page)
        and r.query.get("date_start", "") == since
    )


async def eventually(check: Callable[[], Any], seconds: float = 15.0) -> None:
    """Wait (bounded) until ``check()`` is true (or its awaitable result is)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.05)


async def shared_pages(server: RedisServer) -> int:
    async with Redis.from_url(server.url) as redis:
        return int(await redis.zcard(KEY_PREFIX + "pages"))


async def test_next_on_the_other_replica_and_a_repeat_there_make_no_call(
    start_replicas: Callable[..., Any],
    sandbox: SandboxServer,
    fake_slack: FakeSlack,
    redis_with_password: RedisServer,
) -> None:
    a, b = await start_replicas()
    sent = await a.driver.command(ALICE)
    (card,) = await response_posts(fake_slack, sent.token)
    assert "Page 1 of 3" in text_of(card)
    # A prefetches page 2 once the card is out; wait until it is in the shared cache.
    await eventually(lambda: requests_for(sandbox, ALICE, page=2) == 1)
    await eventually(lambda: _pages_at_least(redis_with_password, 2))

    clicked = await b.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (page_two,) = await response_posts(fake_slack, clicked.token)
    assert "Page 2 of 3" in text_of(page_two)
    assert requests_for(sandbox, ALICE, page=2) == 1  # only A's prefetch: B made no call

    again = await b.driver.command(ALICE)
    (repeat,) = await response_posts(fake_slack, again.token)
    assert "Page 1 of 3" in text_of(repeat)
    assert requests_for(sandbox, ALICE, page=1) == 1


async def _pages_at_least(server: RedisServer, count: int) -> bool:
    return await shared_pages(server) >= count


async def test_twenty_identical_lookups_across_both_make_at_most_two_calls(
    start_replicas: Callable[..., Any], sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    a, b = await start_replicas()
    sandbox.faults.latency_seconds = 0.5
    sent = await asyncio.gather(*(r.driver.command(DEV) for r in (a, b) for _ in range(10)))
    for s in sent:
        (card,) = await response_posts(fake_slack, s.token)
        assert "Page 1 of 22" in text_of(card)
    assert 1 <= requests_for(sandbox, DEV, page=1) <= 2


async def test_a_budget_of_30_a_minute_holds_across_both_and_every_lookup_is_answered_once(
    start_replicas: Callable[..., Any], sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    a, b = await start_replicas(CROWDTWIST_RATE_LIMIT_PER_MINUTE="30")
    days = [date(2023, 1, 1) + timedelta(days=n) for n in range(40)]
    sent = await asyncio.gather(
        *(
            (a if n % 2 else b).driver.command(f"{DEV} since {day.isoformat()}")
            for n, day in enumerate(days)
        )
    )
    texts = []
    for s in sent:
        (answer,) = await response_posts(fake_slack, s.token)
        texts.append(text_of(answer))
    await a.stop()
    await b.stop()  # nothing more can arrive: now count every post
    posts = Counter(c.args.get("_token") for c in fake_slack.calls if c.method == RESPONSE_METHOD)
    assert [posts[s.token] for s in sent] == [1] * 40
    assert len(sandbox.requests) <= 30
    cards = [t for t in texts if "Page 1 of" in t]
    busy = [t for t in texts if "CrowdTwist is busy" in t]
    assert len(cards) + len(busy) == 40
    # Every card cost one call, and prefetches never took the last 20 % (6) from lookups.
    first_pages = sum(1 for r in sandbox.requests if r.query.get("page", "1") == "1")
    assert len(cards) == first_pages >= 6
    assert busy
    assert all("try again in" in t for t in busy)
    spent = [r.count("request budget of 30 a minute is spent") for r in (a, b)]
    assert max(spent) == 1  # at most once a minute per replica, not once per lookup


async def test_with_redis_stopped_every_lookup_is_answered_and_sharing_resumes(
    start_replicas: Callable[..., Any],
    sandbox: SandboxServer,
    fake_slack: FakeSlack,
    redis_with_password: RedisServer,
) -> None:
    a, b = await start_replicas()
    await redis_with_password.stop()
    days = iter(date(2023, 1, 1) + timedelta(days=n) for n in range(400))
    for n in range(8):
        sent = await (a if n % 2 else b).driver.command(f"{DEV} since {next(days)}")
        (card,) = await response_posts(fake_slack, sent.token)
        assert "Page 1 of" in text_of(card)
    for replica in (a, b):
        await eventually(lambda r=replica: r.count("is unreachable") == 1)  # type: ignore[misc]
        assert (await replica.health())["redis"] == "down"
        assert (await replica.health())["status"] == "ok"  # the balancer keeps sending

    await redis_with_password.start()
    for replica in (a, b):
        await eventually(lambda r=replica: r.count("is back: sharing") == 1)  # type: ignore[misc]
    day = next(days).isoformat()
    first = await a.driver.command(f"{DEV} since {day}")
    await response_posts(fake_slack, first.token)
    second = await b.driver.command(f"{DEV} since {day}")
    (card,) = await response_posts(fake_slack, second.token)
    assert "Page 1 of" in text_of(card)
    assert requests_for(sandbox, DEV, since=day) == 1  # shared again
    for replica in (a, b):
        assert replica.count("is unreachable") == 1  # logged once, not once per lookup
        assert (await replica.health())["redis"] == "up"


async def test_next_over_a_filtered_list_on_the_other_replica_makes_no_call(
    start_replicas: Callable[..., Any],
    sandbox: SandboxServer,
    fake_slack: FakeSlack,
    redis_with_password: RedisServer,
) -> None:
    a, b = await start_replicas()
    sent = await a.driver.command("hana.sato@example.com only:short")
    (card,) = await response_posts(fake_slack, sent.token)
    assert "65 of 203 purchases are short of points" in text_of(card)
    gathered = len(sandbox.requests)
    assert gathered == 21  # every page once
    clicked = await b.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (page_two,) = await response_posts(fake_slack, clicked.token)
    assert "Page 2 of 7" in text_of(page_two)
    assert len(sandbox.requests) == gathered  # B read all 21 pages from the shared cache
