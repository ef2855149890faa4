"""The Share button: post a private card's page visibly where it was, then say so privately.

The click is re-checked by the access middleware like every button. The shared copy goes to
the channel (or the thread) the value names, which must be the conversation clicked in, so a
tampered value cannot post elsewhere. When Slack will not let the bot post there, the agent
is told privately and nothing else changes.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.lookup import log_failure, render_card
from bot.crowdtwist.errors import CrowdTwistError
from bot.listeners.actions import clicked_action, refuse_stale, reply_privately
from bot.listeners.context import actor_of
from bot.services import Services
from bot.share import ShareRef
from bot.slack_ids import SHARE_ACTION

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Attach the Share button's listener."""

    @app.action(SHARE_ACTION)
    @services.inflight.tracked
    async def share(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = ShareRef.decode(clicked_action(body).get("value"))
        clicked_in = actor_of(body).channel_id
        if (
            ref is None
            or not services.settings.sharing_enabled
            or (clicked_in is not None and clicked_in != ref.target.channel_id)
        ):
            await refuse_stale(services, body)
            return
        await share_card(services, client, body, ref)


async def _post_shared(
    client: AsyncWebClient, ref: ShareRef, message: dict[str, Any]
) -> tuple[str | None, str | None]:
    """Post the shared copy; (its ts, None) or (None, Slack's error code)."""
    try:
        posted = await client.chat_postMessage(
            channel=ref.target.channel_id,
            thread_ts=ref.target.thread_ts,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        return None, str(exc.response.get("error") or "slack_error")
    except Exception as exc:  # network trouble after the retries
        log.warning("could not post the shared card: %s", type(exc).__name__)
        return None, "slack_unreachable"
    ts = posted.get("ts")
    return (ts, None) if isinstance(ts, str) else (None, "no_ts")


async def _permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    """The shared message's link (None when Slack will not give one: the note says less)."""
    try:
        found = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except Exception as exc:
        log.warning("could not get the shared card's permalink: %s", type(exc).__name__)
        return None
    link = found.get("permalink")
    return link if isinstance(link, str) else None


async def share_card(
    services: Services, client: AsyncWebClient, body: dict[str, Any], ref: ShareRef
) -> None:
    """Render the card (its page or a filter's, cached), post it visibly naming the sharer,
    replace the private card."""
    actor = actor_of(body)
    query = ref.query
    outcome, results, total = "ok", None, None
    try:
        card = await render_card(services, query, shared_by=actor.user_id)
    except CrowdTwistError as error:
        log_failure(services, error, query)
        outcome = error.kind.value
        note = cards.crowdtwist_error_message(error, query)
        await reply_privately(services, body, note)
    else:
        results, total = card.results, card.total
        ts, error_code = await _post_shared(client, ref, card.message)
        if ts is None:
            log.info("the shared card was refused: %s", error_code)
            outcome = error_code or "slack_error"
            refused = cards.share_refused_message(error_code)
            await reply_privately(services, body, refused)
        else:
            link = await _permalink(client, ref.target.channel_id, ts)
            await reply_privately(services, body, cards.shared_note(link), replace_original=True)
    await services.audit.record(
        services.audit.event(
            "share",
            outcome,
            actor,
            query=query,
            page=query.page,
            results=results,
            total=total,
        ),
        services.slack,
    )
