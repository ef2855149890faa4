"""Replica-wide state on a real redis-server: cache, coalescing, budget, outages.

Two CrowdTwist clients, each with its own :class:`SharedState`, stand for two replicas in
this process (``tests/e2e/test_replicas.py`` runs two real bot processes). The budget's counting
is also tested alone on a fake clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.config import Settings, load_settings
from bot.crowdtwist.budget import LocalBudget, PrefetchShed, SharedBudget, prefetch_cap
from bot.crowdtwist.cache import RedisPageCache, decode_page, encode_page
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, PurchasePage
from bot.fake_slack import FakeSlack
from bot.sandbox import SandboxServer
from bot.services import crowdtwist_client
from bot.shared_state import KEY_PREFIX, SharedState, SharedStateUnavailable
from tests.conftest import make_settings
from tests.support.redis_server import RedisServer

ALICE = "alice@example.com"
DEV = "dev.patel@example.com"


@dataclass
class Replica:
    shared: SharedState
    client: CrowdTwistClient


@pytest.fixture
async def replicas(
    redis_server: RedisServer, sandbox: SandboxServer, fake_slack: FakeSlack
) -> AsyncIterator[Any]:
    """A factory of replicas (client + shared state) on the test Redis; all closed after."""
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> Replica:
            settings = make_settings(
                sandbox, fake_slack, redis_url=SecretStr(redis_server.url), **overrides
            )
            shared = SharedState(
                redis_server.url, timeout=0.5, probe_seconds=0.2, heartbeat_seconds=0.2
            )
            await shared.start()
            client = crowdtwist_client(settings, shared=shared)
            stack.push_async_callback(shared.aclose)
            stack.push_async_callback(client.aclose)
            return Replica(shared, client)

        yield make


def page_requests(sandbox: SandboxServer, member: str = ALICE, page: int = 1) -> int:
    """Requests the sandbox received for one member's page."""
    quoted = member.replace("@", "%40")
    return sum(
        1 for r in sandbox.requests if quoted in r.path and r.query.get("page", "1") == str(page)
    )


async def redis_keys(server: RedisServer) -> list[bytes]:
    async with Redis.from_url(server.url) as redis:
        keys = await redis.keys(KEY_PREFIX + "*")
    assert all(isinstance(key, bytes) for key in keys)  # no decode_responses: bytes
    return sorted(key for key in keys if isinstance(key, bytes))


# -- the shared cache ----------------------------------------------------------------------


async def test_a_page_fetched_by_one_replica_is_served_to_the_other_without_a_call(
    replicas: Any, sandbox: SandboxServer
) -> None:
    a, b = await replicas(), await replicas()
    first = await a.client.purchase_history(ALICE, IdType.EMAIL)
    again = await b.client.purchase_history(ALICE, IdType.EMAIL)
    assert again == first
    assert len(sandbox.requests) == 1
    assert isinstance(b.client._cache, RedisPageCache)
    assert b.client._cache.shared_hits == 1
    # Now in B's front cache too: a third call costs neither CrowdTwist nor Redis.
    await b.client.purchase_history(ALICE, IdType.EMAIL)
    assert b.client.stats.cache_hits == 1
    assert len(sandbox.requests) == 1


async def test_a_prefetched_page_is_shared(replicas: Any, sandbox: SandboxServer) -> None:
    a, b = await replicas(), await replicas()
    a.client.prefetch_history(ALICE, IdType.EMAIL, pages=[2])
    await asyncio.gather(*a.client._prefetching)
    assert page_requests(sandbox, page=2) == 1
    await b.client.purchase_history(ALICE, IdType.EMAIL, page=2)
    assert page_requests(sandbox, page=2) == 1


async def test_keys_hold_no_member_id_and_values_are_compact(
    replicas: Any, redis_server: RedisServer
) -> None:
    a = await replicas()
    page = await a.client.purchase_history(ALICE, IdType.EMAIL)
    await a.client.purchase_history("+15550100040", IdType.MOBILE_PHONE_NUMBER)
    keys = await redis_keys(redis_server)
    pages = [k for k in keys if k.startswith(b"purchases:page:") and not k.endswith(b":lock")]
    assert len(pages) == 2
    for key in keys:
        assert b"alice" not in key.lower()
        assert b"5550100040" not in key
    async with Redis.from_url(redis_server.url) as redis:
        raw = await redis.get(pages[0]) or b""
        other = await redis.get(pages[1]) or b""
        ttl = await redis.pttl(pages[0])
    assert 0 < ttl <= 120_000
    assert isinstance(raw, bytes) and isinstance(other, bytes)  # no decode_responses: bytes
    assert page in [decode_page(raw, PurchasePage), decode_page(other, PurchasePage)]
    assert len(raw) < len(page.model_dump_json()) / 2  # zlib-compressed JSON


def test_pages_survive_encoding_and_junk_is_a_miss() -> None:
    page = PurchasePage.model_validate(
        {"purchases": [{"purchase_id": "R-1", "purchase_id_type": "receipt_id"}]}
    )
    assert decode_page(encode_page(page), PurchasePage) == page
    assert decode_page(b"not zlib", PurchasePage) is None
    assert decode_page(encode_page(page)[:-3], PurchasePage) is None


async def test_the_shared_cache_keeps_at_most_cache_max_entries(
    replicas: Any, redis_server: RedisServer
) -> None:
    a = await replicas(cache_max_entries=3)
    for page in range(1, 6):
        await a.client.purchase_history(DEV, IdType.EMAIL, page=page)
    pages = [k for k in await redis_keys(redis_server) if k.startswith(b"purchases:page:")]
    assert len(pages) == 3
    async with Redis.from_url(redis_server.url) as redis:
        assert await redis.zcard(KEY_PREFIX + "pages") == 3


async def test_replicas_with_another_hash_key_or_origin_do_not_share(
    replicas: Any, sandbox: SandboxServer
) -> None:
    a, b = await replicas(), await replicas(audit_hash_key=SecretStr("another-key-123"))
    await a.client.purchase_history(ALICE, IdType.EMAIL)
    await b.client.purchase_history(ALICE, IdType.EMAIL)
    assert len(sandbox.requests) == 2


# -- coalescing across replicas -------------------------------------------------------------


async def test_identical_lookups_on_two_replicas_at_once_make_one_call(
    replicas: Any, sandbox: SandboxServer
) -> None:
    a, b = await replicas(), await replicas()
    sandbox.faults.latency_seconds = 0.3
    calls = [r.client.purchase_history(ALICE, IdType.EMAIL) for r in (a, b) for _ in range(10)]
    pages = await asyncio.gather(*calls)
    assert len({p.model_dump_json() for p in pages}) == 1
    assert len(sandbox.requests) == 1


async def test_a_lookup_that_joins_a_prefetch_shed_elsewhere_still_gets_its_page(
    replicas: Any, sandbox: SandboxServer
) -> None:
    a, b = await replicas(), await replicas()
    sandbox.faults.latency_seconds = 0.3
    fetching = asyncio.create_task(a.client.purchase_history(ALICE, IdType.EMAIL, page=2))
    await asyncio.sleep(0.1)  # A holds the page's lock now
    b.client.prefetch_history(ALICE, IdType.EMAIL, pages=[2])
    page = await b.client.purchase_history(ALICE, IdType.EMAIL, page=2)
    assert page == await fetching
    assert page_requests(sandbox, page=2) == 1


async def test_when_the_lock_holder_fails_the_others_fetch_for_themselves(
    replicas: Any, sandbox: SandboxServer
) -> None:
    a, b = await replicas(), await replicas()
    sandbox.faults.latency_seconds = 0.2
    sandbox.faults.inject(404, '{"error": "user_not_found", "message": "no"}')
    results = await asyncio.gather(
        a.client.purchase_history(ALICE, IdType.EMAIL),
        b.client.purchase_history(ALICE, IdType.EMAIL),
        return_exceptions=True,
    )
    kinds = sorted(r.kind.value if isinstance(r, CrowdTwistError) else "page" for r in results)
    assert kinds == ["not_found", "page"]
    assert len(sandbox.requests) == 2


# -- the request budget ---------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_local_window_slides_over_sixty_seconds() -> None:
    clock = Clock()
    budget = LocalBudget(3, clock=clock)
    for _ in range(3):
        assert budget.take_now(3) is None
        clock.now += 10.0
    assert budget.take_now(3) == pytest.approx(30.0)  # the first leaves at 1060
    clock.now += 29.0
    assert budget.take_now(3) == pytest.approx(1.0)
    clock.now += 1.0
    assert budget.take_now(3) is None  # the first attempt left the window
    assert budget.used() == 3


def test_prefetches_get_the_first_eighty_percent_only() -> None:
    assert prefetch_cap(30) == 24
    assert prefetch_cap(1) == 0
    budget = LocalBudget(5, clock=Clock())
    for _ in range(4):
        assert budget.take_now(prefetch_cap(5)) is None
    assert budget.take_now(prefetch_cap(5)) is not None
    assert budget.take_now(5) is None


async def test_a_lookup_over_budget_waits_then_is_told_when_to_try_again() -> None:
    budget = LocalBudget(1, max_wait=0.05)
    await budget.admit(prefetch=False)
    with pytest.raises(CrowdTwistError) as caught:
        await budget.admit(prefetch=False)
    assert caught.value.kind is ErrorKind.BUSY
    assert caught.value.retry_after == 60
    assert "try again in 60 s" in str(caught.value)
    with pytest.raises(PrefetchShed):
        await budget.admit(prefetch=True)


async def test_a_spent_budget_is_logged_at_most_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.crowdtwist.budget")
    offset = 0.0
    budget = LocalBudget(1, max_wait=0.0, clock=lambda: 1000.0 + offset)
    await budget.admit(prefetch=False)
    for _ in range(5):
        with pytest.raises(CrowdTwistError):
            await budget.admit(prefetch=False)
    offset = 61.0
    await budget.admit(prefetch=False)
    with pytest.raises(CrowdTwistError):
        await budget.admit(prefetch=False)
    assert sum("is spent" in r.getMessage() for r in caplog.records) == 1


async def test_a_lookup_gets_a_slot_that_frees_within_its_wait() -> None:
    offset = 0.0
    budget = LocalBudget(1, max_wait=5.0, clock=lambda: time.monotonic() + offset)
    await budget.admit(prefetch=False)
    offset = 59.95  # the slot frees in 50 ms
    await budget.admit(prefetch=False)
    assert budget.used() == 1


async def test_one_budget_holds_across_replicas(replicas: Any, sandbox: SandboxServer) -> None:
    a, b = (
        await replicas(crowdtwist_rate_limit_per_minute=5),
        await replicas(crowdtwist_rate_limit_per_minute=5),
    )
    for budget in (a.client._budget, b.client._budget):
        assert isinstance(budget, SharedBudget)
        budget.max_wait = 0.1
    results = await asyncio.gather(
        *(
            (a if n % 2 else b).client.purchase_history(DEV, IdType.EMAIL, page=n)
            for n in range(1, 9)
        ),
        return_exceptions=True,
    )
    busy = [r for r in results if isinstance(r, CrowdTwistError)]
    assert len(sandbox.requests) == 5
    assert len(busy) == 3
    assert all(e.kind is ErrorKind.BUSY for e in busy)


async def test_prefetch_is_shed_first_when_the_shared_budget_runs_low(
    replicas: Any, sandbox: SandboxServer
) -> None:
    a = await replicas(crowdtwist_rate_limit_per_minute=5)
    for page in range(1, 5):
        await a.client.purchase_history(DEV, IdType.EMAIL, page=page)
    a.client.prefetch_history(DEV, IdType.EMAIL, pages=[5, 6])
    await asyncio.gather(*a.client._prefetching, return_exceptions=True)
    assert len(sandbox.requests) == 4
    await a.client.purchase_history(DEV, IdType.EMAIL, page=5)  # a lookup still fits
    assert len(sandbox.requests) == 5


# -- Redis going away -------------------------------------------------------------------------


async def test_without_redis_every_lookup_is_answered_logged_once_and_sharing_resumes(
    replicas: Any,
    redis_server: RedisServer,
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.shared_state")
    a, b = await replicas(), await replicas()
    await redis_server.stop()
    for page in range(1, 6):
        await a.client.purchase_history(DEV, IdType.EMAIL, page=page)
        await b.client.purchase_history(DEV, IdType.EMAIL, page=page)
    assert len(sandbox.requests) == 10  # no sharing, but every lookup answered
    assert a.shared.outages == 1
    assert b.shared.outages == 1
    down = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(down) == 2  # once per replica, not once per lookup
    # The local caches still serve repeats.
    await a.client.purchase_history(DEV, IdType.EMAIL, page=1)
    assert len(sandbox.requests) == 10

    await redis_server.start()
    assert await a.shared.wait_until_available(5.0)
    assert await b.shared.wait_until_available(5.0)
    back = [r for r in caplog.records if "is back: sharing" in r.getMessage()]
    assert len(back) == 2
    await a.client.purchase_history(DEV, IdType.EMAIL, page=7)
    await b.client.purchase_history(DEV, IdType.EMAIL, page=7)
    assert page_requests(sandbox, DEV, page=7) == 1


async def test_without_redis_each_replica_keeps_a_share_of_the_budget(
    replicas: Any, redis_server: RedisServer, sandbox: SandboxServer
) -> None:
    a = await replicas(crowdtwist_rate_limit_per_minute=6)
    await replicas(crowdtwist_rate_limit_per_minute=6)  # the other replica
    await a.shared._heartbeat()
    assert a.shared.replicas_seen == 2
    budget = a.client._budget
    assert isinstance(budget, SharedBudget)
    assert budget.local_share() == 3
    budget.max_wait = 0.05
    await a.client.purchase_history(DEV, IdType.EMAIL, page=1)  # counted while Redis is up
    await redis_server.stop()
    results = await asyncio.gather(
        *(a.client.purchase_history(DEV, IdType.EMAIL, page=n) for n in range(2, 6)),
        return_exceptions=True,
    )
    assert len(sandbox.requests) == 3  # its share: 6 / 2 replicas, the one before included
    assert sum(isinstance(r, CrowdTwistError) and r.kind is ErrorKind.BUSY for r in results) == 2


async def test_a_dead_redis_costs_one_deadline_then_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "redis-pass-9f8e7d"  # a test password
    shared = SharedState(f"redis://:{secret}@127.0.0.1:1/0", timeout=0.2, probe_seconds=60)
    await shared.start()
    assert not shared.available
    with pytest.raises(SharedStateUnavailable):
        await shared.run(lambda r: r.ping())
    assert shared.outages == 1
    assert secret not in repr(shared)
    await shared.aclose()
    assert not [r for r in caplog.records if secret in r.getMessage()]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "127.0.0.1:1/0" in warnings[0].getMessage()


# -- settings ---------------------------------------------------------------------------------


def test_redis_settings_are_validated_and_secret() -> None:
    base: dict[str, Any] = {"crowdtwist_sandbox": True}
    settings = load_settings(**base, redis_url="rediss://:pw-123456@cache.internal:6380/2")
    assert settings.redis_url is not None
    assert "pw-123456" not in repr(settings)
    assert load_settings(**base, redis_url="").redis_url is None
    with pytest.raises(Exception, match="REDIS_URL"):
        load_settings(**base, redis_url="http://cache:6379")
    assert Settings(_env_file=None, **base).crowdtwist_rate_limit_per_minute == 6000
    shared = SharedState.from_settings(settings)
    assert shared is not None
    assert shared.where == "cache.internal:6380/2"
