"""Delivering a message: through a ``response_url``, or into a conversation or thread.

Every delivery failure is logged and swallowed: a lost answer must never take the process
down, and the operator's log says what happened (never the message's content).
"""

from __future__ import annotations

import logging
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
from bot.services import Services

log = logging.getLogger(__name__)


def retry_handlers() -> list[Any]:
    """Retries as Slack asks: connection errors, 429 with Retry-After, 5xx; all bounded."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


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
    client = AsyncWebhookClient(
        url, session=await services.session(), retry_handlers=retry_handlers()
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
    visible = response_type(services, private=private) == "in_channel"
    try:
        if visible:
            await client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message.get("blocks"),
                unfurl_links=False,
                unfurl_media=False,
            )
        else:
            await client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message.get("blocks"),
            )
    except SlackApiError as exc:
        log.warning("could not post to the conversation: %s", exc.response.get("error"))
        return False
    except Exception as exc:  # network trouble after retries
        log.warning("could not post to the conversation: %s", type(exc).__name__)
        return False
    return True


async def post_to_dm(client: AsyncWebClient, user_id: str, message: Message) -> bool:
    """Post into the person's direct messages with the bot (only they can read it)."""
    try:
        opened = await client.conversations_open(users=user_id)
        channel = opened["channel"]["id"]
        await client.chat_postMessage(
            channel=channel, text=message["text"], blocks=message.get("blocks")
        )
    except SlackApiError as exc:
        log.warning("could not post to the DM: %s", exc.response.get("error"))
        return False
    except Exception as exc:  # network trouble after retries
        log.warning("could not post to the DM: %s", type(exc).__name__)
        return False
    return True
