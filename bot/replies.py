"""Delivering a message: through a ``response_url``, or into a conversation or thread.

Every delivery failure is logged and swallowed: a lost answer must never take the process
down, and the operator's log says what happened (never the message's content).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Actor
from bot.blockkit import Message
from bot.compact_json import dumps_bytes
from bot.config import ReplyVisibility
from bot.lookup import Answer, Deliver
from bot.metrics import failure_label
from bot.services import Services

log = logging.getLogger(__name__)

RESPONSE_URL_TIMEOUT_SECONDS = 10
"""A ``response_url`` post that takes longer is given up (and the answer goes elsewhere)."""
SLACK_RETRY_AFTER_MAX_SECONDS = 3.0
"""The longest the bot waits on Slack's ``Retry-After`` before trying again (20 s was seen)."""


_sleep = asyncio.sleep  # one name the tests can replace without touching asyncio itself


def retry_after_seconds(headers: dict[str, Any]) -> float:
    """Slack's ``Retry-After`` in seconds (1 when missing or unreadable), never negative."""
    for name, values in headers.items():
        if name.lower() == "retry-after":
            raw = values[0] if isinstance(values, list | tuple) and values else values
            try:
                seconds = float(str(raw).strip())
            except ValueError:
                return 1.0
            return max(0.0, seconds) if math.isfinite(seconds) else 1.0
    return 1.0


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 retry, but waiting at most ``max_wait_seconds`` whatever Slack asks.

    slack_sdk sleeps the full ``Retry-After``; an answer that waits 20 s is an answer the
    agent has stopped waiting for, so the wait is capped and, if Slack still refuses, the
    delivery falls back to another route.
    """

    def __init__(
        self, max_retry_count: int = 2, max_wait_seconds: float = SLACK_RETRY_AFTER_MAX_SECONDS
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_seconds = max_wait_seconds

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("a rate-limit retry without a response")
        state.next_attempt_requested = True
        await _sleep(min(retry_after_seconds(response.headers), self.max_wait_seconds))
        state.increment_current_attempt()


def retry_handlers() -> list[Any]:
    """Retries as Slack asks: connection errors, 429 (Retry-After, capped), 5xx; all bounded."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        CappedRateLimitRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


_WEBHOOK_RETRIES = retry_handlers()
"""Shared by every response_url post: the handlers keep no per-request state."""


def response_type(services: Services, *, private: bool = False) -> str:
    """``in_channel`` when replies are set to be visible and this one may be; else ephemeral."""
    if private or services.settings.reply_visibility is ReplyVisibility.EPHEMERAL:
        return "ephemeral"
    return "in_channel"


async def post_to_response_url(
    services: Services,
    url: str | None,
    message: Message,
    *,
    replace_original: bool = False,
    private: bool = False,
) -> bool:
    """Post ``message`` to a ``response_url``; True when Slack took it."""
    if not url:
        log.warning("no response_url to answer on")
        return False
    payload: dict[str, Any] = {
        "text": message["text"],
        "blocks": message.get("blocks", []),
        "replace_original": replace_original,
    }
    if not replace_original:
        payload["response_type"] = response_type(services, private=private)
    try:
        status = await post_json(services.slack_session(), url, payload)
    except Exception as exc:  # a lost answer is logged, never fatal
        log.warning("response_url post failed: %s", type(exc).__name__)
        if services.metrics is not None:
            services.metrics.slack_error("response_url", failure_label(exc))
        return False
    if status != 200:
        log.warning("response_url post refused: HTTP %s", status)
        if services.metrics is not None:
            services.metrics.slack_error("response_url", str(status))
        return False
    return True


_JSON_HEADERS = {"Content-Type": "application/json;charset=utf-8"}
_POST_TIMEOUT = aiohttp.ClientTimeout(total=RESPONSE_URL_TIMEOUT_SECONDS)
_MAX_ATTEMPTS = 10
"""A bound on attempts whatever the handlers say (theirs are 2 retries each)."""


async def post_json(session: aiohttp.ClientSession, url: str, payload: dict[str, Any]) -> int:
    """POST ``payload`` as JSON to ``url`` on ``session``; the final HTTP status.

    What slack_sdk's ``AsyncWebhookClient`` does for a ``response_url``, without a client
    object per post and the copies of the body it keeps: the same retry handlers
    (:func:`retry_handlers`: connection errors, 429 with ``Retry-After`` capped, 5xx) decide
    after each failed attempt, and a connection error that is not retried is raised.
    """
    data = dumps_bytes(payload)
    request = HttpRequest(method="POST", url=url, headers=dict(_JSON_HEADERS), data=data)
    state = RetryState()
    for _ in range(_MAX_ATTEMPTS):
        state.next_attempt_requested = False
        response: HttpResponse | None = None
        error: Exception | None = None
        try:
            async with session.post(
                url, data=data, headers=_JSON_HEADERS, timeout=_POST_TIMEOUT
            ) as answer:
                body = await answer.read()
                if answer.status < 400:
                    return answer.status
                response = HttpResponse(
                    status_code=answer.status, headers=dict(answer.headers), data=body
                )
        except Exception as exc:
            error = exc
        for handler in _WEBHOOK_RETRIES:
            if await handler.can_retry_async(
                state=state, request=request, response=response, error=error
            ):
                await handler.prepare_for_next_attempt_async(
                    state=state, request=request, response=response, error=error
                )
                break
        if not state.next_attempt_requested:
            if error is not None:
                raise error
            assert response is not None  # no error, so there was an answer
            return response.status_code
    raise RuntimeError(f"response_url post: still failing after {_MAX_ATTEMPTS} attempts")


def via_response_url(
    services: Services,
    url: str | None,
    *,
    actor: Actor,
    in_place: bool = False,
    thread_ts: str | None = None,
) -> Deliver:
    """Deliver through a ``response_url``: a card replaces the original when ``in_place``;
    an error is always a separate private note (a failed click keeps the card).

    When Slack refuses the ``response_url`` (404, 5xx, a timeout), the answer goes into the
    conversation instead (``chat.postEphemeral``, or visible when configured), and as the
    last resort into the person's DM with the bot: an answer is never silently lost.
    """

    async def deliver(message: Message, answer: Answer) -> bool:
        if await post_to_response_url(
            services,
            url,
            message,
            replace_original=in_place and answer.may_replace,
            private=answer.private,
        ):
            return True
        client, user = services.slack, actor.user_id
        if client is None or not user:
            return False
        if actor.channel_id:
            log.info("answering in the conversation instead of the response_url")
            if await post_to_conversation(
                services,
                client,
                channel=actor.channel_id,
                user=user,
                message=message,
                thread_ts=thread_ts,
                private=answer.private,
            ):
                return True
        log.info("answering in the DM instead")
        return await post_to_dm(client, user, message)

    return deliver


async def delivered(what: str, call: Awaitable[Any]) -> bool:
    """Await a Web API call; log a failure (Slack's error code only) and say whether it worked."""
    try:
        await call
    except SlackApiError as exc:
        log.warning("could not %s: %s", what, exc.response.get("error"))
        return False
    except Exception as exc:  # network trouble after the retries
        log.warning("could not %s: %s", what, type(exc).__name__)
        return False
    return True


async def post_to_conversation(
    services: Services,
    client: AsyncWebClient,
    *,
    channel: str,
    user: str,
    message: Message,
    thread_ts: str | None = None,
    private: bool = False,
) -> bool:
    """Post into a channel or thread: ephemeral to ``user``, or visible when configured."""
    if response_type(services, private=private) == "in_channel":
        call = client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
        )
    else:
        call = client.chat_postEphemeral(
            channel=channel,
            user=user,
            thread_ts=thread_ts,
            text=message["text"],
            blocks=message.get("blocks"),
        )
    return await delivered("post to the conversation", call)


async def post_to_dm(client: AsyncWebClient, user_id: str, message: Message) -> bool:
    """Post into the person's direct messages with the bot (only they can read it)."""

    async def post() -> None:
        opened = await client.conversations_open(users=user_id)
        await client.chat_postMessage(
            channel=opened["channel"]["id"], text=message["text"], blocks=message.get("blocks")
        )

    return await delivered("post to the DM", post())
