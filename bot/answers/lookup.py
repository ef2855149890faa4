"""The one path from a query to an answer: fetch a page (or gather the range for a find or a
filter), render it, deliver it, audit it.

Every entry point (command, shortcut, buttons, form) calls :func:`answer_lookup`, so what an
agent sees for the same query is the same wherever they asked; :func:`gather_range` is the
one way any of them (the export and the Workflow step too) reads a whole range.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from types import TracebackType

from bot import cards
from bot.answers.history import History, Progress, Stop, gather
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
PROGRESS_SECONDS = 1.0
"""A gathering shows its progress once it has taken this long, then at most this often."""


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


async def gather_range(
    services: Services,
    query: PurchaseQuery,
    *,
    stop: Stop | None = None,
    progress: Progress | None = None,
) -> History:
    """``query``'s whole range, as the settings bound it (``EXPORT_MAX_PAGES`` pages at most,
    ``EXPORT_CONCURRENCY`` at a time): the export, the Workflow step, find and filter."""
    settings = services.settings
    return await gather(
        services.crowdtwist,
        query,
        max_pages=settings.export_max_pages,
        concurrency=settings.export_concurrency,
        stop=stop,
        progress=progress,
    )


class Answer(Enum):
    """What a delivered message is: it decides who sees it and whether it may replace a card."""

    CARD = "card"
    """The card asked for: visible when replies are, and may replace the card it came from."""
    ERROR = "error"
    """Why there is no card: always private, and never in place (a failed click keeps the card)."""
    PRIVATE = "private"
    """An answer only the asker sees (the receipts), which may replace the one it answers."""
    PROGRESS = "progress"
    """How far a long gathering has got: private, replaced by the next message. A delivery that
    cannot replace a message in place ignores it (returns False)."""

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
    card: Card | None = None
    try:
        card = await render_card(services, query, share=share, shared_by=shared_by, deliver=deliver)
    except CrowdTwistError as error:
        log_failure(services, error, query)
        outcome = error.kind.value
        message, answer = error_message(error, query), Answer.ERROR
    except Exception:
        log.exception("lookup failed unexpectedly")
        outcome = "internal_error"
        message, answer = cards.internal_error_message(), Answer.ERROR
    else:
        message, results, total, answer = card.message, card.results, card.total, Answer.CARD
    latency_ms = round((time.perf_counter() - started) * 1000)
    await deliver(message, answer)
    if card is not None:
        if card.page is not None:
            prefetch_neighbours(services, card.shown, card.page)
        if entry in NEW_LOOKUP_ENTRIES:
            await services.recent.record(actor.user_id, query)
    await audit_answer(
        services,
        entry,
        outcome,
        actor,
        card.shown if card else query,
        results,
        total,
        latency_ms,
        query=query,
    )


async def audit_answer(
    services: Services,
    entry: str,
    outcome: str,
    actor: Actor,
    shown: PurchaseQuery,
    results: int | None,
    total: int | None,
    latency_ms: int,
    *,
    query: PurchaseQuery | None = None,
) -> None:
    """The audit line of one answered query (a card, receipts, or why there is none).

    ``shown`` is the query whose page was answered (a find's found page), ``query`` the one
    asked when it differs: a find or a filter adds its word (never the purchase id)."""
    asked = query or shown
    event = services.audit.event(
        entry,
        outcome,
        actor,
        query=asked,
        page=shown.page,
        results=results,
        total=total,
        latency_ms=latency_ms,
    )
    if asked.gathers:
        event.extra["search"] = _search_word(asked)
    await services.audit.record(event, services.slack)


def _search_word(query: PurchaseQuery) -> str:
    """``find`` or ``only:awaiting`` for the audit line (never the purchase id itself)."""
    return "find" if query.only is None else f"only:{query.only.value}"


@dataclass(frozen=True)
class Card:
    """What a query is answered with: the message, the CrowdTwist page it shows and the
    query that page answers (for prefetching its neighbours; none for a filter or a find
    that found nothing), and the figures for the audit line."""

    message: Message
    results: int
    total: int
    shown: PurchaseQuery
    page: PurchasePage | None = None


async def render_card(
    services: Services,
    query: PurchaseQuery,
    *,
    share: ShareTarget | None = None,
    shared_by: str | None = None,
    deliver: Deliver | None = None,
) -> Card:
    """The card for ``query``: its page, or a find's or a filter's answer over the gathered
    range (progress notes through ``deliver`` when it takes long). Raises CrowdTwistError.

    The member's points are asked for at once, beside the pages, and the card waits for them
    at most :data:`SUMMARY_GRACE_SECONDS` once its purchases are ready."""
    summary = start_summary(services, query)
    try:
        if query.gathers:
            return await _search(services, query, deliver, share, shared_by, summary)
        page = await fetch_page(services, query)
        message = cards.purchase_card(
            query,
            page,
            share=share,
            shared_by=shared_by,
            summary=await summary_within(summary),
            allow_receipts=_receipts_allowed(services),
        )
        return Card(message, len(page.purchases), page.paging.total, query, page)
    finally:
        drop_summary(summary)  # no card (an error) has no points line


def _receipts_allowed(services: Services) -> bool:
    """The card offers Receipts while the program is not known to lack receipt scanning."""
    return services.receipts is not None and services.receipts.active


async def _search(
    services: Services,
    query: PurchaseQuery,
    deliver: Deliver | None,
    share: ShareTarget | None,
    shared_by: str | None,
    summary: asyncio.Task[MemberSummary] | None,
) -> Card:
    """Gather the range (showing progress past a second) and answer the find or filter."""
    find = query.find
    stop: Stop | None = None
    if find is not None:
        stop = lambda _number, page: _row_of(page, find, exact=True) is not None  # noqa: E731
    async with _Progress(deliver, query) as progress:
        history = await gather_range(services, query, stop=stop, progress=progress.update)
    totals = cards.RangeTotals.of(history.purchases) if history.complete else None
    if find is None:
        only = query.only
        assert only is not None
        history.or_raise()
        matching = [p for p in history.purchases if cards.matches(p, only)]
        message = cards.filtered_card(
            query,
            matching,
            gathered=len(history.purchases),
            totals=totals,
            capped_at=services.settings.export_max_pages if history.capped else None,
            share=share,
            shared_by=shared_by,
            summary=await summary_within(summary),
            allow_receipts=_receipts_allowed(services),
        )
        return Card(message, len(matching), history.total, query)
    located = _locate(history, find)
    if located is None:
        busy = history.busy
        message = cards.not_found_message(
            query,
            searched=history.searched(),
            read=len(history.read),
            pages=max(history.pages, len(history.read)),
            cap=services.settings.export_max_pages if history.capped else None,
            busy_seconds=(busy.retry_after or 1.0) if busy is not None else None,
        )
        return Card(message, 0, history.total, query)
    number, row = located
    page = history.read[number]
    message = cards.found_card(
        query,
        page,
        number=number,
        row=row,
        pages=history.pages,
        totals=totals,
        share=share,
        shared_by=shared_by,
        summary=await summary_within(summary),
        allow_receipts=_receipts_allowed(services),
    )
    return Card(message, 1, history.total, query.plain(number), page)


def _row_of(page: PurchasePage, find: str, *, exact: bool) -> int | None:
    """The index of the purchase ``find`` names on ``page`` (exactly, or ignoring case)."""
    wanted = find if exact else find.casefold()
    for index, purchase in enumerate(page.purchases[: cards.PAGE_SIZE]):
        if (purchase.purchase_id if exact else purchase.purchase_id.casefold()) == wanted:
            return index
    return None


def _locate(history: History, find: str) -> tuple[int, int] | None:
    """(page, row) of the purchase: an exact match first, else one that differs only in case."""
    for exact in (True, False):
        for number in sorted(history.read):
            row = _row_of(history.read[number], find, exact=exact)
            if row is not None:
                return number, row
    return None


class _Progress:
    """``Searching… 8 of 21 pages`` once a gathering has taken a second, replaced in place at
    most once a second; the last note is delivered before the answer that replaces it (no
    notes without a ``deliver``)."""

    def __init__(self, deliver: Deliver | None, query: PurchaseQuery) -> None:
        self._deliver = deliver
        self._query = query
        self._now = (0, 0)
        self._ticker: asyncio.Task[None] | None = None
        self._sending: asyncio.Task[object] | None = None

    def update(self, read: int, pages: int) -> None:
        """Called by the gathering after each page."""
        self._now = (read, pages)

    async def _tick(self) -> None:
        shown = (0, 0)
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            read, pages = self._now
            if pages > 1 and (read, pages) != shown and read < pages:
                shown = (read, pages)
                note = cards.progress_message(self._query, read, pages)
                assert self._deliver is not None  # no ticker runs without one
                self._sending = asyncio.ensure_future(self._deliver(note, Answer.PROGRESS))
                await asyncio.shield(self._sending)

    async def __aenter__(self) -> _Progress:
        if self._deliver is not None:
            self._ticker = asyncio.create_task(self._tick(), name="gathering-progress")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            # A note that failed is no reason to lose the answer: it is only a note.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._ticker
        if self._sending is not None:
            with contextlib.suppress(Exception):
                await self._sending
