"""The receipts buttons: Receipts on the card, paging the receipts message in place, View.

Values come back from Slack's clients and are read as untrusted (:func:`clicked_query`,
:meth:`~bot.cards.ReceiptRef.decode`); the access middleware re-checks the person.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.receipts import answer_receipts, gather_receipts, scanning_inactive
from bot.crowdtwist.errors import CrowdTwistError
from bot.listeners.actions import (
    clicked_action,
    clicked_query,
    private_note,
    refuse_stale,
)
from bot.listeners.context import actor_of, thread_of
from bot.listeners.modals import open_loading
from bot.replies import via_response_url
from bot.services import Services
from bot.slack_ids import (
    RECEIPT_VIEW_ACTION_PREFIX,
    RECEIPTS_ACTION,
    RECEIPTS_NEXT_PAGE_ACTION,
    RECEIPTS_PREV_PAGE_ACTION,
)

log = logging.getLogger(__name__)

_ENTRIES = {
    RECEIPTS_ACTION: "receipts_button",
    RECEIPTS_NEXT_PAGE_ACTION: "receipts_next_page",
    RECEIPTS_PREV_PAGE_ACTION: "receipts_prev_page",
}


def register(app: AsyncApp, services: Services) -> None:
    """Attach the receipts listeners."""

    @app.action(RECEIPTS_ACTION)
    @app.action(RECEIPTS_NEXT_PAGE_ACTION)
    @app.action(RECEIPTS_PREV_PAGE_ACTION)
    @services.inflight.tracked
    async def show_receipts(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        query = await clicked_query(services, body)
        if query is None:
            return
        action_id = clicked_action(body).get("action_id")
        actor = actor_of(body)
        # From the card: a new private message beside it. Paging: the receipts in place.
        reply = via_response_url(
            services,
            body.get("response_url"),
            actor=actor,
            in_place=action_id != RECEIPTS_ACTION,
            thread_ts=thread_of(body),
        )
        entry = _ENTRIES.get(str(action_id), "receipts_button")
        await answer_receipts(services, query, actor, entry=entry, deliver=reply)

    @app.action(re.compile(rf"^{RECEIPT_VIEW_ACTION_PREFIX}_\d+$"))
    @services.inflight.tracked
    async def view_receipt(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = cards.ReceiptRef.decode(clicked_action(body).get("value"))
        if ref is None:
            await refuse_stale(services, body)
            return
        await show_receipt(services, client, body, ref)


async def show_receipt(
    services: Services, client: AsyncWebClient, body: dict[str, Any], ref: cards.ReceiptRef
) -> None:
    """Open the receipt modal at once (the trigger lasts 3 s), find the receipt again (from
    the cache when the list was just shown), then show it with its image; if Slack refuses
    the image, show it again without."""
    modal = await open_loading(
        client,
        body,
        cards.receipt_loading_modal(),
        what="receipt",
        note=private_note(services, body, functools.partial(cards.receipt_not_opened_message, ref)),
    )
    if modal is None:
        return
    query = ref.query
    receipt = None
    try:
        history = await gather_receipts(services.crowdtwist, query)
    except CrowdTwistError as error:
        if scanning_inactive(error) and services.receipts is not None:
            services.receipts.mark_inactive()
        log.warning("receipt view failed: kind=%s detail=%s", error.kind.value, error.detail)
        view, outcome = cards.receipt_missing_modal(query, error), error.kind.value
    except Exception:
        log.exception("receipt view failed unexpectedly")
        view, outcome = cards.receipt_missing_modal(query), "internal_error"
    else:
        receipt = history.find(ref.key)
        if receipt is None:
            view, outcome = cards.receipt_missing_modal(query), "not_found"
        else:
            view, outcome = cards.receipt_modal(query, receipt), "ok"
    await services.audit.record(
        services.audit.event("receipt_view", outcome, actor_of(body), query=query),
        services.slack,
    )
    # Slack refusing the view is most likely its image: then the details, saying so.
    fallbacks = [] if receipt is None else [cards.receipt_modal(query, receipt, image_refused=True)]
    await modal.fill(view, *fallbacks, cards.receipt_not_shown_modal())
