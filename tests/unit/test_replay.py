"""The replay guard: a key is new once within the window; the memory is bounded."""

from __future__ import annotations

from bot.replay import SeenRequests, request_key, seen_requests_for


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


def test_without_redis_the_guard_is_the_process_own() -> None:
    guard = seen_requests_for(None)
    assert type(guard) is SeenRequests
