"""CrowdTwistClient over real HTTP (the sandbox; no httpx mocks): the TTL cache, identical
calls coalesced into one request, and the adjacent pages prefetched."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from datetime import date
from typing import Any

import pytest

from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, PurchaseIdType, PurchasePage
from bot.sandbox import SandboxServer
from tests.e2e.crowdtwist_client.helpers import ALICE, DEV, expect_error, make_client

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


async def test_prefetch_is_bounded_and_queues_the_rest(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.2
    async with make_client(sb.base_url, max_prefetches=2) as client:
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=range(1, 6))
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[2, 3])  # queued once each
        assert client.stats.prefetches == 2  # two in flight, three waiting
        await asyncio.sleep(0.3)
        assert len(sb.requests) == 4  # as the first two ended, the next two started
        await asyncio.sleep(0.3)
        assert len(sb.requests) == 5 and client.stats.prefetches == 5
        started = time.monotonic()
        await client.purchase_history(DEV.email, IdType.EMAIL, page=5)
        assert time.monotonic() - started < 0.05  # from memory
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[0, -1, 1, 2, 3, 4, 5])
        assert client.stats.prefetches == 5  # all cached; 0 and -1 skipped


async def test_the_prefetch_queue_drops_the_oldest_past_its_bound(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.2
    async with make_client(sb.base_url, max_prefetches=1, prefetch_queue=2) as client:
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[1, 2, 3, 4])
        await asyncio.sleep(0.7)
        fetched = sorted(int(r.query.get("page", "1")) for r in sb.requests)
        assert fetched == [1, 3, 4]  # page 2 was the oldest waiting when 4 came


async def test_prefetch_waits_while_lookups_fill_the_slots(sb: SandboxServer) -> None:
    sb.faults.latency_seconds = 0.2
    async with make_client(sb.base_url, max_prefetches=2) as client:
        lookups = [
            asyncio.create_task(client.purchase_history(member, IdType.EMAIL))
            for member in ("alice@example.com", DEV.email)
        ]
        await asyncio.sleep(0.05)
        client.prefetch_history(DEV.email, IdType.EMAIL, pages=[2, 3])
        assert client.stats.prefetches == 0  # people's lookups come first
        assert len(sb.requests) == 2
        await asyncio.gather(*lookups)
        assert client.stats.prefetches == 2  # then the guesses, without being asked again
        await asyncio.sleep(0.25)
        started = time.monotonic()
        await client.purchase_history(DEV.email, IdType.EMAIL, page=3)
        assert time.monotonic() - started < 0.05
        assert len(sb.requests) == 4


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
