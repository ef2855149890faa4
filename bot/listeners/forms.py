"""Opening the lookup form, and answering where it was opened once it is submitted."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.lookup import Answer, Deliver
from bot.audit import Actor
from bot.blockkit import Message
from bot.listeners.context import FormOrigin
from bot.replies import conversation_refusal, post_to_dm, post_to_response_url, response_type
from bot.services import Services

log = logging.getLogger(__name__)


async def open_lookup_form(
    services: Services,
    client: AsyncWebClient,
    trigger_id: str | None,
    origin: FormOrigin,
    *,
    member: str = "",
) -> bool:
    """Open the form (the trigger lasts 3 s: call this before any slow work)."""
    if not trigger_id:
        return False
    try:
        await client.views_open(
            trigger_id=trigger_id,
            view=cards.lookup_modal(private_metadata=origin.encode(), member=member),
        )
    except SlackApiError as exc:
        log.warning("could not open the lookup form: %s", exc.response.get("error"))
        return False
    return True


async def answer_at_origin(
    services: Services,
    client: AsyncWebClient,
    origin: FormOrigin,
    actor: Actor,
    message: Message,
    *,
    private: bool = False,
) -> bool:
    """Deliver a form's answer where the form was opened: thread, channel, or the DM.

    Every route keeps the thread: a visible post the bot may not make (``not_in_channel``)
    is tried again as an ephemeral one in the same thread, then the ``response_url`` is
    given the thread too, then the DM. When Slack refused because the bot is not in the
    conversation, the answer says (once) how to invite it.
    """
    channel, user, thread = origin.channel_id, actor.user_id, origin.thread_ts

    async def in_conversation(shown: Message, *, privately: bool) -> str | None:
        assert channel and user
        return await conversation_refusal(
            services,
            client,
            channel=channel,
            user=user,
            message=shown,
            thread_ts=thread,
            private=privately,
        )

    visible = response_type(services, private=private) == "in_channel"
    if thread and channel and user:
        refused = await in_conversation(message, privately=private)
        if refused is not None and visible:
            refused = await in_conversation(message, privately=True)
        if refused is None:
            return True
        if refused in cards.BOT_NOT_IN_CONVERSATION:
            message = cards.with_invite_hint(message)
    if origin.response_url:
        delivered = await post_to_response_url(
            services, origin.response_url, message, private=private, thread_ts=thread
        )
        if delivered:
            return True
    unthreaded = bool(channel and user and not thread)
    if unthreaded and await in_conversation(message, privately=private) is None:
        return True
    if user:
        # Last resort: the person's DM with the bot, so the answer is never lost.
        return await post_to_dm(client, user, message)
    return False


def to_origin(
    services: Services, client: AsyncWebClient, origin: FormOrigin, actor: Actor
) -> Deliver:
    """Deliver where a form or shortcut came from; errors are always private."""

    async def deliver(message: Message, answer: Answer) -> bool:
        if answer is Answer.PROGRESS:
            return False  # the answer may land where nothing is replaced: no progress notes
        return await answer_at_origin(
            services, client, origin, actor, message, private=answer.private
        )

    return deliver
