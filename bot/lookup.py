"""The one path from a query to an answer: fetch a page, render it, deliver it, audit it.

Every entry point (command, shortcut, buttons, form) calls :func:`answer_lookup`, so what an
agent sees for the same query is the same wherever they asked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from enum import Enum

from bot import cards
from bot.audit import Actor
from bot.blockkit import Message
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import PurchasePage
from bot.crowdtwist.summary import MemberSummary, SummaryState
from bot.query import MAX_PAGE, PurchaseQuery
from bot.services import Services
from bot.share import ShareTarget

log = logging.getLogger(__name__)

SUMMARY_GRACE_SECONDS = 0.3
"""How long a card whose page is ready waits for the member's points before it goes without."""
UNAVAILABLE = MemberSummary(SummaryState.UNAVAILABLE)


async def fetch_page(services: Services, query: PurchaseQuery) -> PurchasePage:
    """One page of history for ``query`` (cached and coalesced by the client)."""
    return await services.crowdtwist.purchase_history(
        query.member, query.id_type, page=query.page, start=query.start, end=query.end
    )


def start_summary(services: Services, query: PurchaseQuery) -> asyncio.Task[MemberSummary] | None:
    """Ask for the member's points now, beside the page (None when the summary is off)."""
    if services.summaries is None:
        return None
    return asyncio.create_task(
        services.summaries.fetch(query.member, query.id_type), name="member-summary"
    )


async def summary_within(
    task: asyncio.Task[MemberSummary] | None, seconds: float = SUMMARY_GRACE_SECONDS
) -> MemberSummary | None:
    """The summary if it comes within ``seconds``; else "unavailable" (the fetch goes on
    behind, shielded in the client, and fills the cache for the next card)."""
    if task is None:
        return None
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        return UNAVAILABLE
    try:
        return task.result()
    except Exception:  # fetch() answers every CrowdTwist failure; anything else is a bug
        log.exception("member summary failed unexpectedly")
        return UNAVAILABLE


def drop_summary(task: asyncio.Task[MemberSummary] | None) -> None:
    """No card to put it on: stop waiting (the client's shared fetch still fills the cache)."""
    if task is not None and not task.done():
        task.cancel()


def prefetch_neighbours(services: Services, query: PurchaseQuery, page: PurchasePage) -> None:
    """Warm the cache with the pages Previous and Next would show, so a click is instant."""
    if not services.settings.prefetch_adjacent_pages:
        return
    # A link is upstream data: only pages that exist are worth a request (a next_page link
    # to page 99,999,999,999 is not).
    last = min(cards.page_count(page.paging), MAX_PAGE)
    targets = [
        number
        for number in (page.paging.next_page_number, page.paging.prev_page_number)
        if number is not None and number != query.page and 1 <= number <= last
    ]
    if targets:
        services.crowdtwist.prefetch_history(
            query.member, query.id_type, pages=targets, start=query.start, end=query.end
        )


def log_failure(services: Services, error: CrowdTwistError, query: PurchaseQuery) -> None:
    """Tell the operator exactly what failed (without the member id or the key)."""
    level = logging.ERROR if error.kind is ErrorKind.UNAUTHORIZED else logging.WARNING
    if error.kind in (ErrorKind.NOT_FOUND, ErrorKind.BUSY):
        level = logging.INFO  # an answer, not an incident (the budget warns once by itself)
    log.log(
        level,
        "crowdtwist lookup failed: kind=%s member=%s id_type=%s page=%s detail=%s",
        error.kind.value,
        services.audit.member_tag(query.member),
        query.id_type.value,
        query.page,
        error.detail,
    )
    if error.kind is ErrorKind.UNAUTHORIZED:
        log.error(
            "CROWDTWIST_API_KEY was refused by %s (HTTP %s): check the key and its access "
            "to the purchase history endpoint",
            services.crowdtwist.base_url,
            error.status,
        )


class Answer(Enum):
    """What a delivered message is: it decides who sees it and whether it may replace a card."""

    CARD = "card"
    """The card asked for: visible when replies are, and may replace the card it came from."""
    ERROR = "error"
    """Why there is no card: always private, and never in place (a failed click keeps the card)."""
    PRIVATE = "private"
    """An answer only the asker sees (the receipts), which may replace the one it answers."""

    @property
    def private(self) -> bool:
        """Only the person asking may see it, whatever ``REPLY_VISIBILITY`` says."""
        return self is not Answer.CARD

    @property
    def may_replace(self) -> bool:
        """It may take the place of the message it answers (when the route replaces in place)."""
        return self is not Answer.ERROR


NEW_LOOKUP_ENTRIES = frozenset({"command", "shortcut", "form", "choose", "home"})
"""Entries that start a lookup (paging does not): each goes into the agent's recent list."""

ErrorMessage = Callable[[CrowdTwistError, PurchaseQuery], Message]
Deliver = Callable[[Message, Answer], Awaitable[object]]
"""Puts a message in front of the person; the :class:`Answer` says what kind it is."""


async def answer_lookup(
    services: Services,
    query: PurchaseQuery,
    actor: Actor,
    *,
    entry: str,
    deliver: Deliver,
    error_message: ErrorMessage = cards.crowdtwist_error_message,
    share: ShareTarget | None = None,
    shared_by: str | None = None,
) -> None:
    """Fetch, render and deliver the card for ``query`` (or the error a person should see).

    ``share`` gives a private card its Share button; ``shared_by`` marks a shared copy.
    The person's answer goes first; prefetching the neighbouring pages, the recent-lookups
    entry and the audit line come after it, so none delays the card on the event loop.
    """
    started = time.perf_counter()
    outcome, results, total = "ok", None, None
    page = None
    summary = start_summary(services, query)  # concurrently with the page
    try:
        page = await fetch_page(services, query)
    except CrowdTwistError as error:
        log_failure(services, error, query)
        outcome = error.kind.value
        message, answer = error_message(error, query), Answer.ERROR
    except Exception:
        log.exception("lookup failed unexpectedly")
        outcome = "internal_error"
        message, answer = cards.internal_error_message(), Answer.ERROR
    else:
        results, total = len(page.purchases), page.paging.total
        message = cards.purchase_card(
            query,
            page,
            share=share,
            shared_by=shared_by,
            summary=await summary_within(summary),
            allow_receipts=services.receipts is not None and services.receipts.active,
        )
        answer = Answer.CARD
    drop_summary(summary)  # an error card has no points line
    latency_ms = round((time.perf_counter() - started) * 1000)
    await deliver(message, answer)
    if page is not None:
        prefetch_neighbours(services, query, page)
        if entry in NEW_LOOKUP_ENTRIES:
            await services.recent.record(actor.user_id, query)
    await audit_answer(services, entry, outcome, actor, query, results, total, latency_ms)


async def audit_answer(
    services: Services,
    entry: str,
    outcome: str,
    actor: Actor,
    query: PurchaseQuery,
    results: int | None,
    total: int | None,
    latency_ms: int,
) -> None:
    """The audit line of one answered query (a card, receipts, or why there is none)."""
    await services.audit.record(
        services.audit.event(
            entry,
            outcome,
            actor,
            query=query,
            page=query.page,
            results=results,
            total=total,
            latency_ms=latency_ms,
        ),
        services.slack,
    )
