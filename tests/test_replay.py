"""The replay guard: a key is new once within the window; the memory is bounded; with Redis,
once for every replica."""

from __future__ import annotations

from contextlib import AsyncExitStack

from bot.replay import SeenRequests, SharedSeenRequests, request_key, seen_requests_for
from bot.shared_state import SharedState
from tests.redis_server import RedisServer


async def test_a_key_is_new_once_within_the_window() -> None:
    now = [0.0]
    seen = SeenRequests(window_seconds=300, clock=lambda: now[0])
    assert await seen.first_time("trigger:t1")
    assert not await seen.first_time("trigger:t1")
    now[0] = 299.0
    assert not await seen.first_time("trigger:t1")
    now[0] = 301.0
    assert await seen.first_time("trigger:t1")  # past Slack's window Bolt refuses it anyway


async def test_the_memory_is_bounded() -> None:
    seen = SeenRequests(max_entries=100)
    for i in range(1000):
        assert await seen.first_time(f"trigger:{i}")
    assert len(seen) == 100


def test_the_key_of_each_kind_of_request() -> None:
    assert request_key({"command": "/purchases", "trigger_id": "1.2.abc"}) == "trigger:1.2.abc"
    assert request_key({"type": "event_callback", "event_id": "Ev1"}) == "event:Ev1"
    assert request_key({"type": "view_closed"}) is None
    assert request_key({"trigger_id": 5}) is None


async def test_replicas_on_one_redis_refuse_each_others_replays(
    redis_server: RedisServer,
) -> None:
    """A replay sent to the other replica is refused too; with Redis gone each replica still
    refuses its own replays and lets new requests through."""
    async with AsyncExitStack() as stack:
        guards = []
        for _ in range(2):
            shared = SharedState(redis_server.url, timeout=0.5, probe_seconds=0.2)
            await shared.start()
            stack.push_async_callback(shared.aclose)
            guards.append(seen_requests_for(shared))
        a, b = guards
        assert isinstance(a, SharedSeenRequests)
        assert await a.first_time("trigger:t1")
        assert not await b.first_time("trigger:t1")  # the other replica saw it
        assert not await a.first_time("trigger:t1")
        assert await b.first_time("trigger:t2")
        assert not await a.first_time("trigger:t2")

        await redis_server.stop()
        assert await a.first_time("trigger:t3")  # Redis away: this replica decides alone
        assert not await a.first_time("trigger:t3")
        assert await b.first_time("trigger:t4")


def test_without_redis_the_guard_is_the_process_own() -> None:
    guard = seen_requests_for(None)
    assert type(guard) is SeenRequests
