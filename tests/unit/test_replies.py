"""Slack's Retry-After, read and capped (what slack_sdk's own handler obeys uncapped)."""

from __future__ import annotations

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import replies
from bot.replies import CappedRateLimitRetryHandler, retry_after_seconds


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": ["20"]}, 20.0),
        ({"retry-after": ["1.5"]}, 1.5),
        ({"Retry-After": ["soon"]}, 1.0),
        ({"Retry-After": ["-4"]}, 0.0),
        ({"Retry-After": ["nan"]}, 1.0),
        ({}, 1.0),
    ],
)
def test_retry_after_is_read_safely(headers: dict[str, list[str]], seconds: float) -> None:
    assert retry_after_seconds(headers) == seconds


@pytest.mark.parametrize(("asked", "waited"), [("20", 3.0), ("2", 2.0), ("junk", 1.0)])
async def test_a_429_waits_at_most_the_cap(
    monkeypatch: pytest.MonkeyPatch, asked: str, waited: float
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(replies, "_sleep", sleep)
    handler = CappedRateLimitRetryHandler(max_retry_count=2)
    state = RetryState()
    request = HttpRequest(method="POST", url="https://hooks.example/x", headers={}, data=b"")
    response = HttpResponse(status_code=429, headers={"Retry-After": [asked]}, data=b"")
    assert await handler.can_retry_async(state=state, request=request, response=response)
    await handler.prepare_for_next_attempt_async(state=state, request=request, response=response)
    assert slept == [waited]
    assert state.next_attempt_requested and state.current_attempt == 1
