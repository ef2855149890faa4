"""The async CrowdTwist client: one connection pool, timeouts, retries, cache, coalescing.

Past 600 lines on purpose: one class whose pool, retries, cache and coalescing share its state,
and below it the small wire helpers (classify, log, parse) that only it calls.

Every call is one ``GET``. A failed attempt that may pass later (network trouble, 5xx, 429) is
retried a bounded number of times with full-jitter backoff or the server's ``Retry-After``;
anything else fails at once. The POS host (purchases) takes the key in a header; the main host
(User Points) takes it as the ``api_key`` query parameter, which only :class:`_QueryKeyTransport`
adds, on the wire, so no URL httpx logs or puts in an exception ever holds it. Successful
answers are validated into the models, cached for a short time, and identical calls made
while one is in flight share it. Every failure surfaces as a
:class:`~bot.crowdtwist.errors.CrowdTwistError`; the API key and the member id never reach a
log line, an exception or a ``repr``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import pydantic_core
from pydantic import BaseModel, SecretStr, ValidationError

from bot.crowdtwist.budget import PrefetchShed, RequestBudget, prefetching
from bot.crowdtwist.cache import PageCache, local_page_cache
from bot.crowdtwist.defaults import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_CACHE_MAX_ENTRIES,
    DEFAULT_CACHE_TTL_SECONDS,
    DEFAULT_MAIN_CACHE_TTL_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_PREFETCHES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_AFTER_MAX_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
)
from bot.crowdtwist.errors import (
    CrowdTwistError,
    ErrorKind,
    bad_response,
    error_from_response,
    parse_error_envelope,
    unavailable,
)
from bot.crowdtwist.models import (
    MEMBER_POINTS_KEYS,
    IdType,
    MemberPoints,
    PurchaseDetail,
    PurchaseIdType,
    PurchasePage,
)
from bot.crowdtwist.receipts import RECEIPTS_PAGE_SIZE, RECEIPTS_PATH, ReceiptPage
from bot.crowdtwist.transport import AiohttpTransport

__all__ = [
    "DETAIL_PATH",
    "HISTORY_PATH",
    "POINTS_PATH",
    "RECEIPTS_PATH",
    "ClientStats",
    "CrowdTwistClient",
    "RequestObserver",
]

log = logging.getLogger("bot.crowdtwist")

HISTORY_PATH = "/users/{member}/purchases"
DETAIL_PATH = "/purchase/{purchase_id}"
POINTS_PATH = "/v2/users/{member}/points"
"""User Points, on the main host."""

MAIN_HOST = "crowdtwist.main_host"
"""The request extension that marks a main-host request: :class:`_QueryKeyTransport` then
sends the key as ``api_key`` in the query instead of the POS header."""
_AUTH_HEADER = "X-CT-Authorization"
_AUTH_KEY = _AUTH_HEADER.lower().encode()

_ENDPOINTS = {
    HISTORY_PATH: "purchases",
    DETAIL_PATH: "purchase_detail",
    POINTS_PATH: "points",
    RECEIPTS_PATH: "receipts",
}
"""Each call's name in the metrics (``crowdtwist_requests_total{endpoint}``)."""

RequestObserver = Callable[[str, str, float], None]
"""Told of every attempt sent: endpoint name, HTTP status (or ``timeout``,
``connect_error``, ``too_large``) and seconds taken."""

_M = TypeVar("_M", bound=BaseModel)
_Key = tuple[object, ...]

# Failures of one attempt that a later attempt may not repeat. ``TimeoutError`` is the
# per-attempt deadline; the httpx ones are refused/reset connections, timeouts, and bodies cut
# short or garbled in transit. Other transport errors (bad scheme, proxy set-up) will not pass.
_RETRYABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    TimeoutError,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
)
_REASON_FOR_LOG = re.compile(r"[a-z0-9_.-]{1,40}")
_USER_ERRORS = (ErrorKind.NOT_FOUND, ErrorKind.INVALID_INPUT)
_DETAIL_FIELDS = frozenset(PurchaseDetail.model_fields)
_EXPECTED_KEYS: dict[type[BaseModel], frozenset[str]] = {
    PurchasePage: frozenset({"purchases"}),
    PurchaseDetail: _DETAIL_FIELDS,
    MemberPoints: MEMBER_POINTS_KEYS,
    ReceiptPage: frozenset({"submitted_receipts"}),
}
_MAIN = "main"
"""The first element of every main-host cache key: those use the main host's cache."""
PREFETCH_QUEUE = 256
"""Prefetches waiting for a free slot, at most (the oldest dropped past it): 30 cards at once
queue 60 pages at most, and each queued entry is a few hundred bytes."""


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing and sends nothing.

    CrowdTwist authenticates every request by its key, not by a session, so a ``Set-Cookie``
    from it has no use here; httpx still parses each answer's headers through urllib's
    cookie jar (two compatibility objects and a URL parse per response), which was 4.6 % of
    the bot's CPU under load.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        raise TypeError("the CrowdTwist client keeps no cookies")

    def update(self, cookies: object = None) -> None:  # type: ignore[override]
        raise TypeError("the CrowdTwist client keeps no cookies")


class _CookielessClient(httpx.AsyncClient):
    """httpx's client, its API unchanged, with :class:`_NoCookies` as its jar."""

    _jar = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("the CrowdTwist client keeps no cookies")


@dataclass(slots=True)
class ClientStats:
    """Counters for tests, benchmarks and the operator; they only ever grow."""

    upstream_requests: int = 0
    """HTTP attempts sent (retries included)."""
    cache_hits: int = 0
    """Calls answered from the cache without a request."""
    cache_misses: int = 0
    """Calls that found neither a cached page nor the same fetch in flight, so started one."""
    coalesced: int = 0
    """Calls that joined an identical request already in flight."""
    retries: int = 0
    """Attempts made again after a failure that may pass."""
    prefetches: int = 0
    """Background page fetches started by :meth:`CrowdTwistClient.prefetch_history`."""


class _QueryKeyTransport(httpx.AsyncBaseTransport):
    """Sends a main-host request with the key as ``api_key`` in its query (and without the
    POS header); every other request passes unchanged.

    The key is added here, below httpx, so the URL httpx logs, keeps on the response and
    names in its exceptions never holds it; an error text the wire raises that still holds
    it (a URL in an aiohttp message) is raised again with the key masked.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, secret: str) -> None:
        self._inner = inner
        self._secret = secret

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.extensions.get(MAIN_HOST):
            return await self._inner.handle_async_request(request)
        url = request.url.copy_merge_params({"api_key": self._secret})
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != _AUTH_KEY]
        keyed = httpx.Request(request.method, url, headers=headers, extensions=request.extensions)
        try:
            return await self._inner.handle_async_request(keyed)
        except Exception as exc:
            raise self._masked(exc) from None

    def _masked(self, exc: Exception) -> Exception:
        """``exc``, or one of its class with the key masked (and no cause that holds it)."""
        chain = [exc, exc.__cause__, exc.__context__]
        if not any(self._secret in str(link) for link in chain if link is not None):
            return exc
        text = str(exc).replace(self._secret, "[secret]")
        try:
            return type(exc)(text)
        except Exception:  # a class that takes other arguments: the family's own
            return httpx.TransportError(text)

    async def aclose(self) -> None:
        await self._inner.aclose()


class CrowdTwistClient:
    """Purchase History and Purchase Detail (POS host) and User Points (main host), over one
    shared connection pool.

    Create one per process and close it with :meth:`aclose` (or ``async with``).
    ``timeout`` bounds each attempt (httpx's connect/read/write/pool timeouts and a deadline on
    the whole attempt, reading the body included); a body longer than ``max_response_bytes``
    is refused as a bad answer without being held in memory; ``max_retries`` is the number
    of extra attempts after the first; ``cache_ttl_seconds`` or ``cache_max_entries`` of 0
    turn the cache off; a prefetch starts only while fewer than ``max_prefetches`` fetches of
    any kind are in flight, and waits (up to ``prefetch_queue`` of them, oldest dropped first)
    until one ends (prefetching is spare capacity, shed first when the budget runs low);
    ``transport`` replaces the default one, aiohttp's pool (:mod:`bot.crowdtwist.transport`).
    ``page_cache`` replaces the in-process cache (e.g. with the one shared through Redis) and
    ``budget`` counts every attempt against a per-minute request limit (None: no limit).
    ``main_url`` is the program's main API host (None: no main-host call is made); its
    answers are kept ``main_cache_ttl_seconds`` (0: not cached), or in ``main_cache``.
    Its defaults are :mod:`bot.crowdtwist.defaults`, which the settings share; the client never
    reads the settings (:func:`bot.services.crowdtwist_client` builds it from them).
    """

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        retry_after_max_seconds: float = DEFAULT_RETRY_AFTER_MAX_SECONDS,
        cache_ttl_seconds: float = DEFAULT_CACHE_TTL_SECONDS,
        cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_prefetches: int = DEFAULT_MAX_PREFETCHES,
        prefetch_queue: int = PREFETCH_QUEUE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        page_cache: PageCache | None = None,
        budget: RequestBudget | None = None,
        main_url: str | None = None,
        main_cache_ttl_seconds: float = DEFAULT_MAIN_CACHE_TTL_SECONDS,
        main_cache: PageCache | None = None,
    ) -> None:
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be >= 1")
        if timeout <= 0 or max_retries < 0 or backoff_seconds < 0 or retry_after_max_seconds < 0:
            raise ValueError("timeout must be > 0; retries, backoff and retry cap must be >= 0")
        if max_connections < 1 or max_prefetches < 0 or prefetch_queue < 0:
            raise ValueError("max_connections must be >= 1; max_prefetches, prefetch_queue >= 0")
        secret = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        secret = secret.strip()
        if not secret or not secret.isascii() or not secret.isprintable() or " " in secret:
            # The value itself is never echoed: it is a secret.
            raise ValueError("api_key must be a non-empty printable ASCII string without spaces")
        self.base_url = base_url.rstrip("/")
        self.main_url = main_url.rstrip("/") if main_url else None
        self._secret = secret
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff_seconds
        self._retry_after_max = retry_after_max_seconds
        self._max_prefetches = max_prefetches
        self._prefetch_queue = prefetch_queue
        self._max_response_bytes = max_response_bytes
        self._connection_slots = asyncio.Semaphore(max_connections)
        self._http = _CookielessClient(
            base_url=self.base_url,
            headers={
                _AUTH_HEADER: f"CTApiKey {secret}",
                "Accept": "application/json",
                "User-Agent": "purchases-bot",
            },
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            # aiohttp's pool under httpx's API: its cost does not grow with its size.
            transport=_QueryKeyTransport(
                transport or AiohttpTransport(max_connections=max_connections), secret
            ),
        )
        self._cache: PageCache | None = (
            page_cache
            if page_cache is not None
            else local_page_cache(cache_ttl_seconds, cache_max_entries)
        )
        self._main_cache: PageCache | None = (
            main_cache
            if main_cache is not None
            else local_page_cache(main_cache_ttl_seconds, cache_max_entries)
        )
        self._budget = budget
        self._inflight: dict[_Key, asyncio.Task[BaseModel]] = {}
        self._prefetching: set[asyncio.Task[BaseModel]] = set()
        self._queued: dict[_Key, Callable[[], Awaitable[BaseModel]]] = {}
        """Prefetches waiting for a slot, oldest first (a dict: each page queued once)."""
        self._closed = False
        self.stats = ClientStats()
        self.on_request: RequestObserver | None = None
        """Told of every attempt sent (the metrics); None: nobody listens."""

    def __repr__(self) -> str:
        return f"CrowdTwistClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel background and in-flight fetches, then close the connection pool."""
        if self._closed:
            return
        self._closed = True
        self._queued.clear()
        tasks = {*self._inflight.values(), *self._prefetching}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._http.aclose()

    # -- the two endpoints -------------------------------------------------------------------

    async def purchase_history(
        self,
        member: str,
        id_type: IdType | str,
        *,
        page: int = 1,
        start: date | None = None,
        end: date | None = None,
    ) -> PurchasePage:
        """One page (10 at most) of a member's purchases, newest first as CrowdTwist orders them.

        Pages below 1 or past the last come back empty, with paging links to a real page.
        """
        key, path, params = self._history_request(member, id_type, page, start, end)
        fetch = functools.partial(
            self._fetch, PurchasePage, HISTORY_PATH, path, params, page=page, what="member"
        )
        return await self._shared(key, fetch, PurchasePage)

    async def purchase_detail(
        self, purchase_id: str, purchase_id_type: PurchaseIdType | str
    ) -> PurchaseDetail:
        """The drill-down into one purchase: receipts' items, coupons, currency, points."""
        id_type = str(purchase_id_type)
        path = DETAIL_PATH.format(purchase_id=_segment(purchase_id, "purchase id"))
        params = {"purchase_id_type": id_type}
        key: _Key = ("detail", purchase_id, id_type)
        fetch = functools.partial(
            self._fetch, PurchaseDetail, DETAIL_PATH, path, params, page=None, what="purchase"
        )
        return await self._shared(key, fetch, PurchaseDetail)

    def prefetch_history(
        self,
        member: str,
        id_type: IdType | str,
        *,
        pages: Iterable[int],
        start: date | None = None,
        end: date | None = None,
    ) -> None:
        """Warm the cache with pages a person is likely to ask for next (fire and forget).

        Pages already cached or in flight are skipped, and a page is fetched only while fewer
        than ``max_prefetches`` fetches of any kind are in flight: past that it waits in a
        bounded queue and starts as fetches end, so after a burst of lookups every card's
        neighbours still arrive, while people's own lookups never wait behind guesses. The
        request budget sheds prefetches first.
        Failures are only logged at DEBUG; the person's own request will retry and report
        them. Must be called from a running event loop.
        """
        if self._closed or self._cache is None or self._max_prefetches == 0:
            return  # without a cache a prefetched page would be thrown away; 0: no prefetch
        for page in pages:
            if page < 1:
                continue
            try:
                key, path, params = self._history_request(member, id_type, page, start, end)
            except CrowdTwistError:
                return
            if self._cache.peek(key) is not None or key in self._inflight:
                continue
            fetch = functools.partial(
                self._fetch, PurchasePage, HISTORY_PATH, path, params, page=page, what="member"
            )
            if len(self._inflight) < self._max_prefetches:
                self._start_prefetch(key, fetch)
                continue
            self._queued.pop(key, None)
            self._queued[key] = fetch
            if len(self._queued) > self._prefetch_queue:
                del self._queued[next(iter(self._queued))]
                log.debug("crowdtwist prefetch dropped: %d waiting", self._prefetch_queue)

    def _start_prefetch(self, key: _Key, fetch: Callable[[], Awaitable[BaseModel]]) -> None:
        task = self._start(key, fetch, PurchasePage, prefetch=True)
        self._prefetching.add(task)
        task.add_done_callback(self._prefetch_done)
        self.stats.prefetches += 1

    def _start_queued_prefetches(self) -> None:
        """Start waiting prefetches, oldest first, while slots are free."""
        while self._queued and len(self._inflight) < self._max_prefetches and not self._closed:
            key = next(iter(self._queued))
            fetch = self._queued.pop(key)
            if key in self._inflight or (self._cache and self._cache.peek(key) is not None):
                continue
            self._start_prefetch(key, fetch)

    async def member_points(self, member: str, id_type: IdType | str) -> MemberPoints:
        """User Points on the main host: the member's balance, level and points ledger.

        Raises NOT_CONFIGURED (no call made) when the client has no main host.
        """
        kind = str(id_type)
        path, params = self._main_request(POINTS_PATH, member, {"id_type": kind})
        fetch = functools.partial(
            self._fetch,
            MemberPoints,
            POINTS_PATH,
            path,
            params,
            page=None,
            what="member",
            main=True,
        )
        return await self._shared((_MAIN, POINTS_PATH, member, kind), fetch, MemberPoints)

    async def receipts_page(
        self, member: str, id_type: IdType | str, *, page: int = 1
    ) -> ReceiptPage:
        """One page (``RECEIPTS_PAGE_SIZE``) of User Receipt History on the main host: the
        member's receipt scans, in the order CrowdTwist keeps them.

        A program without receipt scanning fails with reason ``receipt_scanning_inactive``;
        NOT_CONFIGURED (no call made) when the client has no main host.
        """
        kind = str(id_type)
        query = {"id_type": kind, "page": str(page), "page_size": str(RECEIPTS_PAGE_SIZE)}
        path, params = self._main_request(RECEIPTS_PATH, member, query)
        fetch = functools.partial(
            self._fetch,
            ReceiptPage,
            RECEIPTS_PATH,
            path,
            params,
            page=page,
            what="member",
            main=True,
        )
        key: _Key = (_MAIN, RECEIPTS_PATH, member, kind, page)
        return await self._shared(key, fetch, ReceiptPage)

    def _main_request(
        self, template: str, member: str, params: dict[str, str]
    ) -> tuple[str, dict[str, str]]:
        """Encoded path and query of a main-host call (the key is added on the wire only)."""
        if self.main_url is None:
            raise CrowdTwistError(
                ErrorKind.NOT_CONFIGURED,
                "The loyalty program's main API host is not configured.",
                detail=f"no main host for GET {template}",
            )
        return template.format(member=_segment(member, "member identifier")), params

    # -- cache and coalescing ----------------------------------------------------------------

    def _cache_for(self, key: _Key) -> PageCache | None:
        """Main-host answers have their own cache (and shorter TTL) beside the pages'."""
        return self._main_cache if key[0] == _MAIN else self._cache

    def _history_request(
        self,
        member: str,
        id_type: IdType | str,
        page: int,
        start: date | None,
        end: date | None,
    ) -> tuple[_Key, str, dict[str, str]]:
        """Cache key, encoded path and query of one history page; only set parameters are sent."""
        kind = str(id_type)
        first, last = _query_date(start), _query_date(end)
        path = HISTORY_PATH.format(member=_segment(member, "member identifier"))
        params = {"id_type": kind}
        if page != 1:
            params["page"] = str(page)
        if first is not None:
            params["date_start"] = first
        if last is not None:
            params["date_end"] = last
        return ("history", member, kind, page, first, last), path, params

    async def _shared(
        self, key: _Key, fetch: Callable[[], Awaitable[BaseModel]], model: type[_M]
    ) -> _M:
        """A cached answer, else the in-flight fetch of the same key, else a new shared fetch.

        Each caller awaits the shared task through :func:`asyncio.shield`, so a caller that is
        cancelled leaves the fetch running for the others (and for the cache).
        """
        if self._closed:
            raise unavailable("the CrowdTwist client is closed")
        cache = self._cache_for(key)
        if cache is not None:
            hit = cache.peek(key)
            if hit is not None:
                self.stats.cache_hits += 1
                return _expect(hit, model)
        task = self._join_or_start(key, fetch, model)
        try:
            try:
                result = await asyncio.shield(task)
            except PrefetchShed:
                # It joined a prefetch that was shed: fetch the page as a lookup of its own.
                task = self._join_or_start(key, fetch, model)
                result = await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                # The shared fetch was cancelled by aclose(), not this caller.
                raise unavailable("the CrowdTwist client closed during the request") from None
            raise
        return _expect(result, model)

    def _join_or_start(
        self, key: _Key, fetch: Callable[[], Awaitable[BaseModel]], model: type[BaseModel]
    ) -> asyncio.Task[BaseModel]:
        """The fetch of ``key`` in flight in this process, or a new one."""
        task = self._inflight.get(key)
        if task is None or task.done():
            self.stats.cache_misses += 1
            return self._start(key, fetch, model)
        self.stats.coalesced += 1
        return task

    def _start(
        self,
        key: _Key,
        fetch: Callable[[], Awaitable[BaseModel]],
        model: type[BaseModel],
        *,
        prefetch: bool = False,
    ) -> asyncio.Task[BaseModel]:
        """Run ``fetch`` as the one shared task for ``key``, through the cache (which may find
        the answer shared by another replica, and keeps it on success)."""

        async def run() -> BaseModel:
            prefetching.set(prefetch)  # the task's own context: its attempts are shed first
            cache = self._cache_for(key)
            if cache is None:
                return await fetch()
            return await cache.load(key, model, fetch, prefetch=prefetch)

        # The task's name is shown in debug dumps: never put the member id in it.
        task = asyncio.create_task(run(), name=f"crowdtwist-{key[0]}")
        self._inflight[key] = task
        task.add_done_callback(functools.partial(self._settle, key))
        return task

    def _settle(self, key: _Key, task: asyncio.Task[BaseModel]) -> None:
        """Forget a finished fetch; mark its failure retrieved (no "never retrieved" warning)."""
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()
        if self._queued:
            self._start_queued_prefetches()

    def _prefetch_done(self, task: asyncio.Task[BaseModel]) -> None:
        self._prefetching.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            kind = error.kind.value if isinstance(error, CrowdTwistError) else type(error).__name__
            log.debug("crowdtwist prefetch failed: %s", kind)

    # -- one call: attempts, retries, parsing -------------------------------------------------

    async def _fetch(
        self,
        model: type[_M],
        template: str,
        path: str,
        params: dict[str, str],
        *,
        page: int | None,
        what: str,
        main: bool = False,
        endpoint: str | None = None,
    ) -> _M:
        """GET with retries, then validate a 2xx body into ``model`` (``main``: main host);
        ``endpoint`` names the call in the metrics (by default the name :data:`_ENDPOINTS`
        gives its template)."""
        response = await self._send(
            template, path, params, page=page, what=what, main=main, endpoint=endpoint
        )
        try:
            return _parse(response, model, template=template, what=what)
        except CrowdTwistError as error:
            raise self._scrub(error) from None

    async def _send(
        self,
        template: str,
        path: str,
        params: dict[str, str],
        *,
        page: int | None,
        what: str,
        main: bool = False,
        endpoint: str | None = None,
    ) -> _Reply:
        """Send one GET, retrying what may pass; return a 2xx answer or raise the mapped error.

        The loop alone lives here: :meth:`_attempt` sends, :func:`_classify` judges a failed
        attempt, :func:`_log_attempt` writes the lines, :meth:`_delay` picks the wait.
        """
        attempts = self._max_retries + 1
        shown_page = "-" if page is None else str(page)
        name = endpoint or _endpoint_of(template)
        for attempt in range(1, attempts + 1):
            sent = await self._attempt(path, params, template, name, main=main)
            note = functools.partial(
                _log_attempt, template, shown_page, f"{attempt}/{attempts}", sent.elapsed_ms
            )
            if sent.too_large is not None:
                # A broken proxy or a runaway answer: another attempt would be the same.
                note(logging.WARNING, sent.too_large.detail, "; giving up")
                raise self._scrub(sent.too_large)
            if sent.response is not None and sent.response.is_success:
                note(logging.DEBUG, f"HTTP {sent.response.status_code}")
                return sent.response

            failed = _classify(sent, template=template, what=what)
            last = attempt == attempts or not failed.retryable
            delay = 0.0 if last else self._delay(attempt, failed.retry_after)
            note(logging.DEBUG, failed.outcome)
            # A member who does not exist is an answer, not an incident: INFO, not WARNING.
            note(
                logging.INFO if failed.error.kind in _USER_ERRORS else logging.WARNING,
                failed.outcome,
                "; giving up" if last else f"; retrying in {delay:.2f} s",
            )
            if last:
                error = failed.error
                if attempts > 1 and failed.retryable:
                    error.detail = f"{error.detail} (after {attempts} attempts)"
                raise self._scrub(error)
            self.stats.retries += 1
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, path: str, params: dict[str, str], template: str, endpoint: str, *, main: bool = False
    ) -> _Attempt:
        """One attempt: admitted by the budget, a free connection, then the timed GET.

        Failures that are answers to judge (transport errors, a body too large) come back in
        the :class:`_Attempt`; anything else (cancellation, a shed prefetch, BUSY) is raised.
        """
        await self._admit()
        # Wait for a free connection here, before the attempt's deadline starts: time in
        # the queue is not CrowdTwist's slowness, and httpcore's own pool queue costs CPU
        # on every event while it is long.
        async with self._connection_slots:
            self.stats.upstream_requests += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._timeout):  # headers and body alike
                    response = await self._get(path, params, template, main=main)
            except _BodyTooLarge as exc:
                sent = _Attempt(too_large=bad_response(f"{exc} on GET {template}"))
                status = "too_large"
            except _RETRYABLE_EXCEPTIONS as exc:
                sent = _Attempt(failure=type(exc).__name__, retryable=True)
                status = _failure_status(exc)
            except httpx.HTTPError as exc:
                sent = _Attempt(failure=type(exc).__name__)
                status = _failure_status(exc)
            else:
                sent = _Attempt(response=response)
                status = str(response.status_code)
        elapsed = time.perf_counter() - started
        sent.elapsed_ms = round(elapsed * 1000)
        if self.on_request is not None:
            self.on_request(endpoint, status, elapsed)
        return sent

    async def budget_remaining(self) -> int | None:
        """Attempts left in this minute's budget (every replica's); None without a budget."""
        return None if self._budget is None else await self._budget.remaining()

    async def _admit(self) -> None:
        """Count the attempt about to be sent against the request budget (every replica's);
        a prefetch over its share is shed, a lookup over budget waits briefly, then is BUSY."""
        if self._budget is not None:
            await self._budget.admit(prefetch=prefetching.get())

    async def _get(
        self, path: str, params: dict[str, str], template: str, *, main: bool = False
    ) -> _Reply:
        """One GET read as a stream, so a body over ``max_response_bytes`` is never held.

        ``Content-Length`` is checked before any of the body is read; without one, reading
        stops as soon as the (decoded) bytes pass the limit. Only httpx's public streaming
        API is used, so any transport works.
        """
        limit = self._max_response_bytes
        # The whole URL as one string: httpx parses it once, where merging a relative path
        # into base_url and then the params into that parses it three times (267 → 136 µs
        # per request in isolation). The encoding is httpx's own (QueryParams).
        query = f"?{httpx.QueryParams(params)}" if params else ""
        if main:
            request = self._http.build_request(
                "GET", f"{self.main_url}{path}{query}", extensions={MAIN_HOST: True}
            )
        else:
            request = self._http.build_request("GET", f"{self.base_url}{path}{query}")
        response = await self._http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _BodyTooLarge(
                    f"HTTP {response.status_code}: body of {declared} bytes "
                    f"(Content-Length) is over the {limit}-byte limit"
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise _BodyTooLarge(
                        f"HTTP {response.status_code}: body passed the {limit}-byte limit"
                    )
        finally:
            await response.aclose()
        return _Reply(response.status_code, response.headers, bytes(body))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before attempt ``attempt + 1``: Retry-After (capped), else full jitter."""
        if retry_after is not None:
            return min(retry_after, self._retry_after_max)
        return random.uniform(0.0, self._backoff * 2 ** (attempt - 1))

    def _scrub(self, error: CrowdTwistError) -> CrowdTwistError:
        """Mask the key should an upstream message ever echo it back."""
        if len(self._secret) < 4:
            return error
        error.message = error.message.replace(self._secret, "[secret]")
        error.detail = error.detail.replace(self._secret, "[secret]")
        error.args = tuple(
            a.replace(self._secret, "[secret]") if isinstance(a, str) else a for a in error.args
        )
        return error


def _endpoint_of(template: str) -> str:
    """A call's name for the metrics: its entry in :data:`_ENDPOINTS`, else the last
    literal segment of its path (``/members/{id}/points`` → ``points``)."""
    known = _ENDPOINTS.get(template)
    if known is not None:
        return known
    literal = [part for part in template.split("/") if part and "{" not in part]
    return re.sub(r"[^a-z0-9_]", "_", literal[-1].lower())[:40] if literal else "other"


def _failure_status(error: BaseException) -> str:
    """The metrics' status of an attempt that got no answer."""
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "timeout"
    return "connect_error"


class _BodyTooLarge(Exception):
    """An answer's body is larger than the client accepts."""


@dataclass(frozen=True, slots=True)
class _Reply:
    """One answer, its body read in full (and within the size limit)."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


@dataclass(slots=True)
class _Attempt:
    """What one attempt came to: an answer, a transport failure, or a body too large."""

    response: _Reply | None = None
    failure: str = ""
    """The transport error's class name, when there is no answer."""
    retryable: bool = False
    """True for a transport failure a later attempt may not repeat."""
    too_large: CrowdTwistError | None = None
    elapsed_ms: int = 0


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failed attempt judged: the error to raise, whether to try again, and the log's words."""

    error: CrowdTwistError
    retryable: bool
    outcome: str
    retry_after: float | None = None


def _classify(sent: _Attempt, *, template: str, what: str) -> _Failure:
    """The mapped error of an attempt that got no 2xx; only 5xx, 429 and transport trouble
    that may pass are worth another attempt."""
    response = sent.response
    if response is None:
        error = unavailable(f"{sent.failure} in {sent.elapsed_ms} ms on GET {template}")
        return _Failure(error, sent.retryable, sent.failure)
    retry_after = _retry_after_seconds(response.headers.get("retry-after"))
    error = error_from_response(
        response.status_code, response.content, retry_after=retry_after, what=what
    )
    error.detail = f"{error.detail} on GET {template}"
    outcome = f"HTTP {response.status_code}"
    if error.reason and _REASON_FOR_LOG.fullmatch(error.reason):
        outcome += f" reason={error.reason}"
    retryable = error.kind is ErrorKind.UNAVAILABLE  # 5xx and 429 only
    return _Failure(error, retryable, outcome, retry_after)


def _log_attempt(
    template: str,
    page: str,
    attempt: str,
    elapsed_ms: int,
    level: int,
    outcome: str,
    then: str = "",
) -> None:
    """One line about one attempt: path template, never the member id; never the key."""
    log.log(
        level,
        "crowdtwist GET %s page=%s attempt %s: %s in %d ms%s",
        template,
        page,
        attempt,
        outcome,
        elapsed_ms,
        then,
    )


def _segment(value: str, what: str) -> str:
    """``value`` percent-encoded as exactly one path segment, sent as-is.

    ``quote(safe="")`` leaves only unreserved characters and escapes; ``.`` and ``..`` are
    escaped too, or a client or server would resolve them as dot-segments.
    """
    if not value or not value.strip():
        raise CrowdTwistError(
            ErrorKind.INVALID_INPUT, f"Please give a {what}.", detail=f"empty {what}"
        )
    try:
        encoded = quote(value, safe="")
    except UnicodeEncodeError:
        raise CrowdTwistError(
            ErrorKind.INVALID_INPUT,
            f"That {what} has characters CrowdTwist cannot take.",
            detail=f"{what} is not encodable as UTF-8",
        ) from None
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def _query_date(day: date | None) -> str | None:
    """YYYY-MM-DD for the query string (a datetime counts by its date)."""
    if day is None:
        return None
    if isinstance(day, datetime):
        day = day.date()
    return day.isoformat()


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delay-seconds or HTTP-date); None if unusable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _parse(response: _Reply, model: type[_M], *, template: str, what: str) -> _M:
    """Validate a 2xx body; anything but the documented shape is a BAD_RESPONSE.

    A 2xx carrying one of the error envelopes instead of data is mapped like an error answer.
    """
    status = response.status_code
    where = f"HTTP {status} on GET {template}"
    content = response.content
    try:
        body: Any = _json_value(content)
    except (ValueError, RecursionError):
        content_type = response.headers.get("content-type", "none")
        raise bad_response(
            f"{where}: body is not JSON ({len(content)} bytes, content-type {content_type[:60]})"
        ) from None
    if not isinstance(body, dict):
        raise bad_response(f"{where}: JSON {type(body).__name__} where an object was expected")
    expected = _EXPECTED_KEYS.get(model, _DETAIL_FIELDS)
    if expected.isdisjoint(body):
        reason, message = parse_error_envelope(body)
        if reason or message:
            error = error_from_response(status, content, what=what)
            error.detail = f"{error.detail} on GET {template} (error envelope in a {status})"
            raise error
        raise bad_response(f"{where}: none of the expected keys in the answer")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
            for problem in exc.errors(include_input=False, include_url=False)[:3]
        )
        raise bad_response(
            f"{where}: {exc.error_count()} validation error(s): {problems}"
        ) from None


def _json_value(content: bytes) -> Any:
    """``content`` parsed as JSON: pydantic-core's parser first, the standard library's
    when it refuses.

    pydantic-core parses in Rust (a 20-purchase page: 28 -> 14 us); where it declines (a
    BOM, a lone surrogate, trailing junk, a control character) ``json.loads`` decides, so
    every body reads as it did before, and a bad one fails with the same error.
    """
    try:
        return pydantic_core.from_json(content)
    except ValueError:
        return json.loads(content)


def _expect(value: object, model: type[_M]) -> _M:
    if not isinstance(value, model):  # pragma: no cover - keys name their model
        raise TypeError(f"expected {model.__name__}, got {type(value).__name__}")
    return value
