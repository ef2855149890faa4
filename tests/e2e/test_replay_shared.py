"""The replay guard on a real redis-server: a replay sent to another replica is refused."""

from __future__ import annotations

from contextlib import AsyncExitStack

from bot.replay import SharedSeenRequests, seen_requests_for
from bot.shared_state import SharedState
from tests.support.redis_server import RedisServer


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
