"""The message shortcut **Purchase history**: find the member, answer in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.lookup import answer_lookup
from bot.listeners.context import FormOrigin, actor_of
from bot.listeners.forms import answer_at_origin, open_lookup_form, to_origin
from bot.query import PurchaseQuery, find_member_identifiers
from bot.services import Services
from bot.share import share_target
from bot.slack_ids import SHORTCUT_CALLBACK_ID


def _text(value: Any) -> str:
    """A payload field that should be text; anything else (a tampered payload) is no text."""
    return value if isinstance(value, str) else ""


def message_texts(message: dict[str, Any]) -> str:
    """All the text a person sees in a message, forwarded attachments included."""
    parts = [_text(message.get("text"))]
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict):
            parts.extend(
                _text(attachment.get(key)) for key in ("pretext", "title", "text", "fallback")
            )
    return "\n".join(part for part in parts if part)


def register(app: AsyncApp, services: Services) -> None:
    """Attach the message shortcut listener."""

    @app.message_shortcut(SHORTCUT_CALLBACK_ID)
    @services.inflight.tracked
    async def purchase_history_shortcut(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = body.get("message")
        message = message if isinstance(message, dict) else {}
        actor = actor_of(body)
        origin = FormOrigin(
            channel_id=actor.channel_id,
            thread_ts=_text(message.get("thread_ts")) or _text(message.get("ts")) or None,
            response_url=body.get("response_url"),
        )
        candidates = find_member_identifiers(message_texts(message))
        if not candidates:
            opened = await open_lookup_form(services, client, body.get("trigger_id"), origin)
            if not opened:
                await answer_at_origin(
                    services, client, origin, actor, cards.no_identifier_message(), private=True
                )
            return
        if len(candidates) > 1:
            await answer_at_origin(
                services, client, origin, actor, cards.choose_member_message(candidates)
            )
            return
        member, id_type = candidates[0]
        query = PurchaseQuery(member=member, id_type=id_type)
        reply = to_origin(services, client, origin, actor)
        share = share_target(services.settings, origin.channel_id, origin.thread_ts)
        await answer_lookup(services, query, actor, entry="shortcut", deliver=reply, share=share)
