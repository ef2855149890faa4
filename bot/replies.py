"""Delivering a message: through a ``response_url``, or into a conversation or thread.

Every delivery failure is logged and swallowed: a lost answer must never take the process
down, and the operator's log says what happened (never the message's content).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Collection
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

from bot.answers.lookup import Answer, Deliver
from bot.audit import Actor
from bot.blockkit import Message
from bot.compact_json import dumps_bytes
from bot.config import ReplyVisibility
from bot.ops.metrics import failure_label
from bot.services import Services

log = logging.getLogger(__name__)

RESPONSE_URL_TIMEOUT_SECONDS = 10
"""A ``response_url`` post that takes longer is given up (and the answer goes elsewhere)."""
PROGRESS_NOTES_IN_PLACE = 3
"""Progress notes one click's ``response_url`` carries at most (it takes 5 posts in all)."""
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
    thread_ts: str | None = None,
) -> bool:
    """Post ``message`` to a ``response_url``; True when Slack took it.

    ``thread_ts`` keeps a new message in the thread it answers (a shortcut's response_url
    otherwise posts at the channel's top level).
    """
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
        if thread_ts:
            payload["thread_ts"] = thread_ts
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

    Progress notes: on a click (``in_place``) each replaces the card, then the next note, and
    the answer replaces the last, at most :data:`PROGRESS_NOTES_IN_PLACE` of them so the
    ``response_url``'s 5 posts always leave room for the answer. A command's ``response_url``
    cannot replace the reply it produced, so there one note at most is posted and the answer
    follows it (asked to replace it, which Slack may or may not do).

    When Slack refuses the ``response_url`` (404, 5xx, a timeout), the answer goes into the
    conversation instead (``chat.postEphemeral``, or visible when configured), and as the
    last resort into the person's DM with the bot: an answer is never silently lost.
    """

    progress_shown = False
    notes_left = PROGRESS_NOTES_IN_PLACE if in_place else 1

    async def deliver(message: Message, answer: Answer) -> bool:
        nonlocal progress_shown, notes_left
        # After a progress note every answer takes its place (an error too: the card it
        # would have kept is already gone).
        replace = (in_place and answer.may_replace) or progress_shown
        if answer is Answer.PROGRESS:
            if notes_left <= 0:
                return False
            notes_left -= 1
            posted = await post_to_response_url(
                services, url, message, replace_original=replace, private=True
            )
            progress_shown = progress_shown or posted
            return posted  # a note is never worth a fallback route
        if await post_to_response_url(
            services, url, message, replace_original=replace, private=answer.private
        ):
            return True
        return await answer_elsewhere(
            services, message, actor=actor, thread_ts=thread_ts, private=answer.private
        )

    return deliver


async def answer_privately(
    services: Services,
    url: str | None,
    message: Message,
    *,
    actor: Actor,
    thread_ts: str | None = None,
    replace_original: bool = False,
) -> bool:
    """A private note (an export's progress, a refused button, a modal that would not open)
    by the route every answer takes: the ``response_url``, then ``chat.postEphemeral`` in the
    conversation (thread kept), then the DM."""
    if await post_to_response_url(
        services, url, message, replace_original=replace_original, private=True
    ):
        return True
    return await answer_elsewhere(services, message, actor=actor, thread_ts=thread_ts, private=True)


async def answer_elsewhere(
    services: Services,
    message: Message,
    *,
    actor: Actor,
    thread_ts: str | None = None,
    private: bool = False,
) -> bool:
    """Where an answer goes when its ``response_url`` failed: the conversation, then the DM."""
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
            private=private,
        ):
            return True
    log.info("answering in the DM instead")
    return await post_to_dm(client, user, message)


async def delivered(what: str, call: Awaitable[Any]) -> bool:
    """Await a Web API call; log a failure (Slack's error code only) and say whether it worked."""
    return await refusal(what, call) is None


async def refusal(what: str, call: Awaitable[Any], *, expected: Collection[str] = ()) -> str | None:
    """Await a Web API call: None when it worked, else Slack's error code (logged: at INFO
    when ``expected``), or the exception's name for network trouble after the retries."""
    try:
        await call
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "slack_error")
        level = logging.INFO if code in expected else logging.WARNING
        log.log(level, "could not %s: %s", what, code)
        return code
    except Exception as exc:  # network trouble after the retries
        log.warning("could not %s: %s", what, type(exc).__name__)
        return type(exc).__name__
    return None


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
    refused = await conversation_refusal(
        services,
        client,
        channel=channel,
        user=user,
        message=message,
        thread_ts=thread_ts,
        private=private,
    )
    return refused is None


async def conversation_refusal(
    services: Services,
    client: AsyncWebClient,
    *,
    channel: str,
    user: str,
    message: Message,
    thread_ts: str | None = None,
    private: bool = False,
) -> str | None:
    """:func:`post_to_conversation`, saying why Slack refused (None when it took the post)."""
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
    return await refusal("post to the conversation", call)


async def post_to_dm(client: AsyncWebClient, user_id: str, message: Message) -> bool:
    """Post into the person's direct messages with the bot (only they can read it)."""

    async def post() -> None:
        opened = await client.conversations_open(users=user_id)
        await client.chat_postMessage(
            channel=opened["channel"]["id"], text=message["text"], blocks=message.get("blocks")
        )

    return await delivered("post to the DM", post())
