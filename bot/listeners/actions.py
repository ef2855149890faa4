"""Buttons on the card: page in place, pick a member, details, points, export, open the form.

Button values come back from Slack's clients and are untrusted: each is decoded and
validated (:func:`bot.query.decode_query`) and the person is re-checked by the access
middleware, so seeing a card never grants paging.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards
from bot.answers.export import to_csv
from bot.answers.lookup import answer_lookup, gather_range, log_failure
from bot.blockkit import Message
from bot.crowdtwist.errors import CrowdTwistError, bad_response
from bot.crowdtwist.summary import MemberSummary, SummaryState
from bot.listeners.context import FormOrigin, actor_of, thread_of
from bot.listeners.forms import open_lookup_form
from bot.listeners.modals import Note, open_loading
from bot.query import PurchaseQuery, decode_query
from bot.replies import answer_privately, delivered, via_response_url
from bot.services import Services
from bot.share import share_target
from bot.slack_ids import (
    CHOOSE_MEMBER_ACTION_PREFIX,
    DETAILS_ACTION_PREFIX,
    EXPORT_ACTION,
    NEXT_PAGE_ACTION,
    OPEN_FORM_ACTION,
    POINTS_ACTION,
    PREV_PAGE_ACTION,
)

log = logging.getLogger(__name__)

STALE_BUTTON = "That button no longer works. Run `/purchases` again for a fresh card."
UPLOAD_REFUSED: Message = {
    "text": "The export was ready, but Slack refused the upload. Please try again.",
    "blocks": [],
}


def clicked_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}


def clicked_private(body: dict[str, Any]) -> bool:
    """Whether the clicked message is ephemeral (a private card) rather than visible."""
    container = body.get("container")
    if isinstance(container, dict) and isinstance(container.get("is_ephemeral"), bool):
        return bool(container["is_ephemeral"])
    return not isinstance(body.get("message"), dict)  # Slack sends no message for those


async def reply_privately(
    services: Services, body: dict[str, Any], message: Message, *, replace_original: bool = False
) -> bool:
    """A private note about a click, by the route every answer takes (response_url, then the
    conversation and its thread, then the DM)."""
    url = body.get("response_url")
    return await answer_privately(
        services,
        url if isinstance(url, str) else None,
        message,
        actor=actor_of(body),
        thread_ts=thread_of(body),
        replace_original=replace_original,
    )


async def refuse_stale(services: Services, body: dict[str, Any]) -> None:
    """Refuse a button whose value is not one the bot wrote (stale, or tampered with)."""
    log.info("refused a button value: action=%s", clicked_action(body).get("action_id"))
    await reply_privately(services, body, {"text": STALE_BUTTON, "blocks": []})


async def clicked_query(services: Services, body: dict[str, Any]) -> PurchaseQuery | None:
    """The query a button carries, validated like typed input; None (and a note) if invalid."""
    query = decode_query(clicked_action(body).get("value"))
    if query is None:
        await refuse_stale(services, body)
    return query


def register(app: AsyncApp, services: Services) -> None:
    """Attach the button listeners."""

    @app.action(NEXT_PAGE_ACTION)
    @app.action(PREV_PAGE_ACTION)
    @services.inflight.tracked
    async def turn_page(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        query = await clicked_query(services, body)
        if query is None:
            return
        action_id = clicked_action(body).get("action_id", NEXT_PAGE_ACTION)
        entry = "next_page" if action_id == NEXT_PAGE_ACTION else "prev_page"
        await show_page_in_place(services, body, query, entry=entry, action_id=action_id)

    @app.action(re.compile(rf"^{CHOOSE_MEMBER_ACTION_PREFIX}_\d+$"))
    @services.inflight.tracked
    async def choose_member(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        query = await clicked_query(services, body)
        if query is None:
            return
        reply = via_response_url(
            services,
            body.get("response_url"),
            actor=actor_of(body),
            in_place=True,
            thread_ts=thread_of(body),
        )
        share = share_target(services.settings, actor_of(body).channel_id, thread_of(body))
        await answer_lookup(
            services, query, actor_of(body), entry="choose", deliver=reply, share=share
        )

    @app.action(OPEN_FORM_ACTION)
    @services.inflight.tracked
    async def open_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        actor = actor_of(body)
        origin = FormOrigin(
            channel_id=actor.channel_id,
            thread_ts=thread_of(body),
            response_url=body.get("response_url"),
        )
        await open_lookup_form(services, client, body.get("trigger_id"), origin)

    @app.action(re.compile(rf"^{DETAILS_ACTION_PREFIX}(_\d+)?$"))
    @services.inflight.tracked
    async def show_details(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = cards.PurchaseRef.decode(clicked_action(body).get("value"))
        if ref is None:
            await refuse_stale(services, body)
            return
        await show_purchase_detail(services, client, body, ref)

    @app.action(POINTS_ACTION)
    @services.inflight.tracked
    async def show_points(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        query = await clicked_query(services, body)
        if query is None:
            return
        await show_points_ledger(services, client, body, query)

    @app.action(EXPORT_ACTION)
    @services.inflight.tracked
    async def export_csv(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        query = await clicked_query(services, body)
        if query is None:
            return
        await export_history(services, client, body, query)


def register_unknown(app: AsyncApp) -> None:
    """Acknowledge a click no listener knows (an old card's button, another app's id) with
    an empty 200 and a log line, instead of Bolt's 404 ("this app didn't respond")."""

    @app.action(re.compile(".*"))
    async def unknown_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action_id = str(clicked_action(body).get("action_id", ""))[:80]
        log.info("ignored a click no listener handles: action=%r", action_id)


async def show_page_in_place(
    services: Services,
    body: dict[str, Any],
    query: PurchaseQuery,
    *,
    entry: str,
    action_id: str = NEXT_PAGE_ACTION,
) -> None:
    """Replace the card with ``query``'s page; on failure keep the card and say why.

    A private card keeps its Share button; a visible one (a shared copy) stays visible,
    still naming who shared it, and gets none.
    """
    share, shared_by = None, None
    if clicked_private(body):
        share = share_target(services.settings, actor_of(body).channel_id, thread_of(body))
    else:
        message = body.get("message")
        shared_by = cards.shared_by_user(
            message.get("blocks") if isinstance(message, dict) else None
        )
    await answer_lookup(
        services,
        query,
        actor_of(body),
        entry=entry,
        deliver=via_response_url(
            services,
            body.get("response_url"),
            actor=actor_of(body),
            in_place=True,
            thread_ts=thread_of(body),
        ),
        error_message=functools.partial(cards.page_failed_message, action_id=action_id),
        share=share,
        shared_by=shared_by,
    )


def private_note(
    services: Services, body: dict[str, Any], message: Callable[[str | None], Message]
) -> Note:
    """The note a loading modal sends when it cannot show: ``message`` for Slack's error code,
    by :func:`reply_privately`."""

    async def send(error: str | None) -> bool:
        return await reply_privately(services, body, message(error))

    return send


async def show_purchase_detail(
    services: Services,
    client: AsyncWebClient,
    body: dict[str, Any],
    ref: cards.PurchaseRef,
) -> None:
    """Open the detail modal at once (the trigger lasts 3 s), then fill it from CrowdTwist."""
    purchase_id, purchase_id_type = ref.purchase_id, ref.purchase_id_type
    modal = await open_loading(
        client,
        body,
        cards.detail_loading_modal(purchase_id, purchase_id_type),
        what="detail",
        note=private_note(services, body, functools.partial(cards.details_not_opened_message, ref)),
    )
    if modal is None:
        return
    try:
        detail = await services.crowdtwist.purchase_detail(purchase_id, purchase_id_type)
    except CrowdTwistError as error:
        log.warning("purchase detail failed: kind=%s detail=%s", error.kind.value, error.detail)
        view = cards.detail_error_modal(purchase_id, purchase_id_type, error)
        outcome = error.kind.value
    except Exception:
        log.exception("purchase detail failed unexpectedly")
        view = cards.detail_error_modal(purchase_id, purchase_id_type, bad_response("internal"))
        outcome = "internal_error"
    else:
        view = cards.detail_modal(purchase_id, purchase_id_type, detail, awaiting=ref.awaiting)
        outcome = "ok"
    await modal.fill(view, cards.detail_not_shown_modal(purchase_id, purchase_id_type))
    # After the modal is filled: the audit line is when the metrics stop the answer's clock.
    await services.audit.record(
        services.audit.event("details", outcome, actor_of(body), purchase_id_type=purchase_id_type),
        services.slack,
    )


async def show_points_ledger(
    services: Services, client: AsyncWebClient, body: dict[str, Any], query: PurchaseQuery
) -> None:
    """Open the ledger modal at once (the trigger lasts 3 s), then fill it with the member's
    points activity (from the summary's cache when the card just fetched it)."""
    modal = await open_loading(
        client,
        body,
        cards.points_loading_modal(query.member),
        what="points",
        note=private_note(
            services, body, functools.partial(cards.points_not_opened_message, query)
        ),
    )
    if modal is None:
        return
    summary = (
        await services.summaries.fetch(query.member, query.id_type)
        if services.summaries is not None
        else MemberSummary(SummaryState.OFF, query.id_type)
    )
    if summary.shown and summary.points is not None:
        view = cards.points_modal(query.member, summary.points)
    else:
        view = cards.points_failed_modal(query.member, summary)
    await services.audit.record(
        services.audit.event("points", summary.state.value, actor_of(body), query=query),
        services.slack,
    )
    await modal.fill(view, cards.points_not_shown_modal())


def export_filename(query: PurchaseQuery) -> str:
    """A file name an agent recognises: the member (made safe) and the range."""
    member = re.sub(r"[^A-Za-z0-9._@+-]+", "_", query.member)[:60].strip("._") or "member"
    dates = "-".join(d.isoformat() for d in (query.start, query.end) if d)
    return f"purchases-{member}{'-' + dates if dates else ''}.csv"


async def upload_to_dm(
    client: AsyncWebClient, user_id: str | None, query: PurchaseQuery, content: str, note: str
) -> bool:
    """Upload the CSV into the person's DM with the bot; False when Slack refused."""

    async def upload() -> None:
        dm = await client.conversations_open(users=user_id)
        await client.files_upload_v2(
            channel=dm["channel"]["id"],
            content=content,
            filename=export_filename(query),
            title=f"Purchases for {query.member}",
            initial_comment=note,
        )

    return await delivered("upload the export", upload())


async def export_history(
    services: Services, client: AsyncWebClient, body: dict[str, Any], query: PurchaseQuery
) -> None:
    """Fetch every page, upload the CSV to the person's DM with the bot, say how it went."""
    actor = actor_of(body)
    settings = services.settings
    await reply_privately(services, body, cards.export_started_message(query))
    outcome, results, total = "ok", None, None
    try:
        export = (await gather_range(services, query)).or_raise()
    except CrowdTwistError as error:
        log_failure(services, error, query)
        outcome, final = error.kind.value, cards.export_failed_message(query, error)
    else:
        rows = export.purchases
        if query.only is not None:  # a filtered card exports what it shows
            rows = [p for p in rows if cards.matches(p, query.only)]
        results, total = len(rows), export.total
        final = cards.export_done_message(query, results, export.capped, settings.export_max_pages)
        content = to_csv(rows)
        if not await upload_to_dm(client, actor.user_id, query, content, final["text"]):
            outcome, final = "upload_failed", UPLOAD_REFUSED
    await reply_privately(services, body, final)
    await services.audit.record(
        services.audit.event(
            "export",
            outcome,
            actor,
            query=query,
            results=results,
            total=total,
        ),
        services.slack,
    )
