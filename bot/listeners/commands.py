"""``/purchases``: answer bad input and help at once, open the form, or look up a member."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.lookup import answer_lookup
from bot.answers.receipts import answer_receipts
from bot.listeners.context import FormOrigin, ack_with, actor_of
from bot.listeners.forms import open_lookup_form
from bot.query import (
    HELP_TEXT,
    FormRequest,
    HelpRequest,
    ReceiptsRequest,
    UsageError,
    parse_command,
)
from bot.replies import via_response_url
from bot.services import Services
from bot.share import share_target
from bot.slack_ids import COMMAND

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Attach the slash command listener."""

    @app.command(COMMAND)
    @services.inflight.tracked
    async def purchases_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        parsed = parse_command(body.get("text") or "", today=services.today())
        actor = actor_of(body)
        if isinstance(parsed, UsageError):
            await ack_with(ack, cards.usage_error_message(parsed))
            await services.audit.record(services.audit.event("command", "usage_error", actor))
            return
        if isinstance(parsed, HelpRequest):
            await ack_with(ack, cards.help_message(HELP_TEXT))
            return
        await ack()
        if isinstance(parsed, FormRequest):
            origin = FormOrigin(channel_id=actor.channel_id, response_url=body.get("response_url"))
            await open_lookup_form(services, client, body.get("trigger_id"), origin)
            return
        reply = via_response_url(services, body.get("response_url"), actor=actor)
        if isinstance(parsed, ReceiptsRequest):
            await answer_receipts(services, parsed.query, actor, entry="receipts", deliver=reply)
            return
        share = share_target(services.settings, actor.channel_id)
        await answer_lookup(services, parsed, actor, entry="command", deliver=reply, share=share)
