"""The App Home tab: published on ``app_home_opened``; its buttons look up into the DM.

``app_home_opened`` passes the access middleware (it is not a lookup) so that this listener
can publish the refused variant itself: help and whom to ask, without any lookups.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.lookup import Answer, Deliver, answer_lookup
from bot.blockkit import Message
from bot.listeners.actions import clicked_query
from bot.listeners.context import actor_of
from bot.replies import delivered, post_to_dm
from bot.services import Services
from bot.slack_ids import HOME_EVENT, HOME_LOOKUP_ACTION_PREFIX

log = logging.getLogger(__name__)


async def publish_home(
    services: Services, client: AsyncWebClient, user_id: str, channel_id: str | None = None
) -> bool:
    """Publish ``user_id``'s Home view: theirs only, refused when the allow-lists say so."""
    access = services.access
    if not access.allows(user_id, channel_id):
        view = cards.home_view(
            denied_reason=_why_not_here(services, user_id, channel_id),
            sharing=services.settings.sharing_enabled,
        )
    else:
        recent = await services.recent.of(user_id)
        view = cards.home_view(
            [(entry.query, entry.at) for entry in recent],
            recent_hours=services.recent.hours,
            sharing=services.settings.sharing_enabled,
        )
    return await delivered(
        "publish the Home view", client.views_publish(user_id=user_id, view=view)
    )


HOME_NOT_IN_ALLOWED_CHANNELS = (
    "Lookups are limited to the allowed channels, so the Home tab cannot look members up: "
    "use /purchases in one of those channels."
)


def _why_not_here(services: Services, user_id: str, channel_id: str | None) -> str:
    """The access policy's reason, worded for the Home tab when a channel list is the cause."""
    access = services.access
    if access.user_ids and user_id not in access.user_ids:
        return access.why_denied(user_id, channel_id)
    return HOME_NOT_IN_ALLOWED_CHANNELS


def to_dm(services: Services, client: AsyncWebClient, user_id: str) -> Deliver:
    """Deliver into the agent's DM with the bot (where a lookup from Home answers)."""

    async def deliver(message: Message, answer: Answer) -> bool:
        if answer is Answer.PROGRESS:
            return False  # a DM message is not replaced in place: no progress notes there
        return await post_to_dm(client, user_id, message)

    return deliver


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def register(app: AsyncApp, services: Services) -> None:
    """Attach the Home tab's event and button listeners."""

    @app.event(HOME_EVENT)
    @services.inflight.tracked
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = _text(event.get("user"))
        if event.get("tab") != "home" or user_id is None:
            return  # the Messages tab needs nothing from the bot
        await publish_home(services, client, user_id, _text(event.get("channel")))

    @app.action(re.compile(rf"^{HOME_LOOKUP_ACTION_PREFIX}_\d+$"))
    @services.inflight.tracked
    async def look_up_again(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        actor = actor_of(body)
        query = await clicked_query(services, body)
        if query is None or actor.user_id is None:
            return
        reply = to_dm(services, client, actor.user_id)
        await answer_lookup(services, query, actor, entry="home", deliver=reply)
        await publish_home(services, client, actor.user_id)
