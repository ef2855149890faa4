"""Delivering a message: through a ``response_url``, or into a conversation or thread.

Every delivery failure is logged and swallowed: a lost answer must never take the process
down, and the operator's log says what happened (never the message's content).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.blockkit import Message
from bot.config import ReplyVisibility
from bot.lookup import Deliver
from bot.services import Services

log = logging.getLogger(__name__)


def retry_handlers() -> list[Any]:
    """Retries as Slack asks: connection errors, 429 with Retry-After, 5xx; all bounded."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
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
    # A webhook client is bound to its URL, so each post names its own; the session (and so
    # the connections) and the retry handlers are the process's shared ones.
    client = AsyncWebhookClient(
        url, session=services.slack_session(), retry_handlers=_WEBHOOK_RETRIES
    )
    try:
        response = await client.send_dict(payload)
    except Exception as exc:  # a lost answer is logged, never fatal
        log.warning("response_url post failed: %s", type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("response_url post refused: HTTP %s", response.status_code)
        return False
    return True


def via_response_url(services: Services, url: str | None, *, in_place: bool = False) -> Deliver:
    """Deliver through a ``response_url``: a card replaces the original when ``in_place``;
    an error is always a separate private note (a failed click keeps the card)."""

    async def deliver(message: Message, ok: bool) -> bool:
        return await post_to_response_url(
            services, url, message, replace_original=in_place and ok, private=not ok
        )

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
