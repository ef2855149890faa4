"""A member's receipt scans: gathered from the main host, rendered, delivered, audited.

Every entry point (the ``receipts`` word, the card's Receipts button, the receipts paging
buttons) calls :func:`answer_receipts`. A program without receipt scanning is told once and
remembered (:class:`~bot.crowdtwist.receipts.ReceiptScanning`) for the cache TTL: the card
then offers no Receipts button, and CrowdTwist is not asked again until it has passed.
"""

from __future__ import annotations

import logging
import time

from bot import cards
from bot.answers.history import pages_after_the_first
from bot.answers.lookup import Answer, Deliver, audit_answer, log_failure
from bot.audit import Actor
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError
from bot.crowdtwist.receipts import (
    RECEIPTS_PAGE_SIZE,
    SCANNING_INACTIVE,
    ReceiptHistory,
    ReceiptPage,
    receipt_history,
)
from bot.query import PurchaseQuery
from bot.services import Services

log = logging.getLogger(__name__)

RECEIPTS_MAX_PAGES = 8
"""The most receipt pages read for one member (200 receipts): the API takes no dates and
documents no order, so the bot reads them all to narrow and sort them."""
RECEIPTS_CONCURRENCY = 4


async def gather_receipts(
    client: CrowdTwistClient, query: PurchaseQuery, *, max_pages: int = RECEIPTS_MAX_PAGES
) -> ReceiptHistory:
    """Every receipt page of ``query``'s member (page 1 first, then the rest a few at a
    time; each page cached by the client), narrowed to the query's dates, newest first."""
    first = await client.receipts_page(query.member, query.id_type, page=1)
    pages = first.paging.pages or -(-first.paging.total // RECEIPTS_PAGE_SIZE)

    async def fetch(number: int) -> ReceiptPage:
        return await client.receipts_page(query.member, query.id_type, page=number)

    rest = await pages_after_the_first(fetch, min(pages, max_pages), RECEIPTS_CONCURRENCY)
    return receipt_history(
        [first, *rest], start=query.start, end=query.end, capped=pages > max_pages
    )


def scanning_inactive(error: CrowdTwistError) -> bool:
    """CrowdTwist's answer for a program without receipt scanning."""
    return error.reason == SCANNING_INACTIVE


async def answer_receipts(
    services: Services, query: PurchaseQuery, actor: Actor, *, entry: str, deliver: Deliver
) -> None:
    """Gather, render and deliver the receipts for ``query`` (always private), or say why not.

    The program without scanning is answered with a plain note, never an error card, and
    only once: until the TTL passes the same note comes without asking CrowdTwist.
    """
    started = time.perf_counter()
    outcome, results, total = "ok", None, None
    scanning = services.receipts
    if scanning is None:
        outcome = "not_configured"
        message, answer = cards.receipts_unavailable_message(), Answer.ERROR
    elif not scanning.active:
        outcome = "scanning_inactive"
        message, answer = cards.scanning_inactive_message(query), Answer.PRIVATE
    else:
        try:
            history = await gather_receipts(services.crowdtwist, query)
        except CrowdTwistError as error:
            if scanning_inactive(error):
                scanning.mark_inactive()
                log.info("receipt scanning is not active for this program: Receipts hidden")
                outcome = "scanning_inactive"
                message, answer = cards.scanning_inactive_message(query), Answer.PRIVATE
            else:
                log_failure(services, error, query)
                outcome = error.kind.value
                message, answer = cards.receipts_failed_message(error, query), Answer.ERROR
        except Exception:
            log.exception("receipts failed unexpectedly")
            outcome = "internal_error"
            message, answer = cards.internal_error_message(), Answer.ERROR
        else:
            results, total = len(history.receipts), history.total
            message, answer = cards.receipts_message(query, history), Answer.PRIVATE
    latency_ms = round((time.perf_counter() - started) * 1000)
    await deliver(message, answer)
    await audit_answer(services, entry, outcome, actor, query, results, total, latency_ms)
