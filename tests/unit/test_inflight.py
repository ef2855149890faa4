"""``InFlight.tracked``: Bolt gets control back at the ack, the rest runs counted after it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import bot.inflight
from bot.inflight import InFlight


class FakeAck:
    """Stands in for Bolt's ``AsyncAck``: records the call and keeps ``response``."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.response: str | None = None

    async def __call__(self, **kwargs: Any) -> str:
        self.calls.append(kwargs)
        self.response = "acked"
        return self.response


async def test_returns_at_the_ack_and_counts_the_rest_until_it_ends() -> None:
    inflight, release, steps = InFlight(), asyncio.Event(), []

    @inflight.tracked
    async def listener(ack: Any, body: dict[str, Any]) -> None:
        await ack(text="on it")
        steps.append("acked")
        await release.wait()
        steps.append(f"answered {body['n']}")

    ack = FakeAck()
    await asyncio.wait_for(listener(ack=ack, body={"n": 1}), 1)
    assert ack.calls == [{"text": "on it"}] and ack.response == "acked"
    assert inflight.count == 1 and steps == ["acked"]
    assert not await inflight.drain(0.05)  # still answering
    release.set()
    assert await inflight.drain(1)
    assert steps == ["acked", "answered 1"] and inflight.count == 0


async def test_an_error_before_the_ack_reaches_bolt() -> None:
    inflight = InFlight()

    @inflight.tracked
    async def listener(ack: Any) -> None:
        raise LookupError("broken before ack")

    with pytest.raises(LookupError, match="broken before ack"):
        await listener(ack=FakeAck())
    assert await inflight.drain(1)


async def test_an_error_after_the_ack_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    inflight = InFlight()

    @inflight.tracked
    async def listener(ack: Any) -> None:
        await ack()
        await asyncio.sleep(0)
        raise LookupError("broken after ack")

    with caplog.at_level(logging.ERROR, logger="bot.inflight"):
        await listener(ack=FakeAck())
        assert await inflight.drain(1)
    assert [r.getMessage() for r in caplog.records] == [
        "unhandled error in a listener: LookupError"
    ]


async def test_a_listener_without_ack_hands_back_at_once() -> None:
    inflight, release, done = InFlight(), asyncio.Event(), []

    @inflight.tracked
    async def on_event(event: dict[str, Any]) -> None:
        await release.wait()
        done.append(event["type"])

    await asyncio.wait_for(on_event(event={"type": "app_home_opened"}), 1)
    assert done == [] and inflight.count == 1
    release.set()
    assert await inflight.drain(1) and done == ["app_home_opened"]


async def test_a_listener_that_never_acks_lets_bolt_go_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot.inflight, "ACK_TIMEOUT_SECONDS", 0.05)
    inflight, release = InFlight(), asyncio.Event()

    @inflight.tracked
    async def forgetful(ack: Any) -> None:
        await release.wait()

    ack = FakeAck()
    await asyncio.wait_for(forgetful(ack=ack), 1)
    assert ack.calls == [] and inflight.count == 1
    release.set()
    assert await inflight.drain(1)


async def test_the_wrapper_keeps_the_signature_bolt_reads() -> None:
    import inspect

    inflight = InFlight()

    @inflight.tracked
    async def listener(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()

    assert list(inspect.signature(listener).parameters) == ["ack", "body", "client"]


async def test_an_ack_bolt_refuses_reaches_bolt_once(caplog: pytest.LogCaptureFixture) -> None:
    inflight = InFlight()

    class RefusingAck(FakeAck):
        async def __call__(self, **kwargs: Any) -> str:
            raise ValueError("blocks and text are both missing")

    @inflight.tracked
    async def listener(ack: Any) -> None:
        await ack(response_action="nonsense")

    with caplog.at_level(logging.ERROR, logger="bot.inflight"):
        with pytest.raises(ValueError, match="both missing"):
            await listener(ack=RefusingAck())
        assert await inflight.drain(1)
    assert caplog.records == []  # Bolt's error handler logs it, not this module as well


async def test_counted_from_the_moment_bolt_hands_it_over() -> None:
    inflight, release = InFlight(), asyncio.Event()

    @inflight.tracked
    async def on_event(event: dict[str, Any]) -> None:
        await release.wait()

    await on_event(event={})
    # The task has not run a single step yet, and a drain must already wait for it.
    assert inflight.count == 1
    assert not await inflight.drain(0.05)
    release.set()
    assert await inflight.drain(1)
