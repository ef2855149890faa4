"""Prometheus metrics: what the engineer on call reads from ``GET /metrics``.

One :class:`Metrics` per process, owned by :class:`bot.services.Services`, with its own
``CollectorRegistry`` (never prometheus-client's global one), so several bots in one process
(tests, the playground) each count their own. The counting happens in a few central places
that already see every event: the audit trail (lookups), the CrowdTwist client's one attempt
(requests), the Slack client's retry handlers and the ``response_url`` post (Slack errors).
Every label is one of a small fixed set: never a member, an email, a user or channel id.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

if TYPE_CHECKING:
    from bot.audit import AuditEvent
    from bot.crowdtwist.client import ClientStats

__all__ = ["CONTENT_TYPE", "Metrics", "SlackErrorCounter", "lookup_labels", "request_started"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text format's content type (prometheus-client's ``CONTENT_TYPE_LATEST``)."""

request_started: ContextVar[float | None] = ContextVar("request_started", default=None)
"""When the Slack request being answered arrived (``time.perf_counter``); set by the guards
middleware for both modes and carried into the listener's background task."""

ENTRIES = frozenset(
    {
        "command",
        "shortcut",
        "form",
        "page",
        "home",
        "workflow_step",
        "share",
        "details",
        "export",
        "points",
        "receipts",
    }
)
OUTCOMES = frozenset({"card", "empty", "not_found", "invalid", "denied", "busy", "error"})

# The audit trail's entry names (and, for a refused request, Slack's payload type) → the label.
_ENTRY_OF = {name: name for name in ENTRIES} | {
    "choose": "shortcut",  # a member picked from the shortcut's list
    "next_page": "page",
    "prev_page": "page",
    # The member summary's ledger, and the receipts (the word, the button, their pages, View).
    "receipts_button": "receipts",
    "receipts_next_page": "receipts",
    "receipts_prev_page": "receipts",
    "receipt_view": "receipts",
}
_OUTCOME_OF = {
    "not_found": "not_found",
    "invalid_input": "invalid",
    "usage_error": "invalid",
    "denied": "denied",
    "busy": "busy",
    "shown": "card",  # the points ledger
    "id_type_refused": "invalid",  # the points ledger, an id type User Points refuses
    "scanning_inactive": "empty",  # receipts, for a program that scans none
}

ANSWER_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 4.0, 8.0)

_SLACK_CODE = re.compile(r"[a-z0-9_]{1,60}")
_SLACK_METHOD = re.compile(r"[a-zA-Z]+(\.[a-zA-Z]+){1,3}")


def lookup_labels(entry: str, outcome: str, results: int | None) -> tuple[str, str] | None:
    """The (entry, outcome) labels of an audit line; None for an entry outside the set."""
    label = _ENTRY_OF.get(entry)
    if label is None:
        return None
    if outcome == "ok":
        return label, "empty" if results == 0 else "card"
    return label, _OUTCOME_OF.get(outcome, "error")


class _CacheCollector(Collector):
    """``crowdtwist_cache_total`` read from the client's own counters at scrape time (the
    hot path pays nothing for it)."""

    def __init__(self, stats: Callable[[], ClientStats | None]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "crowdtwist_cache_total",
            "CrowdTwist calls by how the page cache answered them",
            labels=["result"],
        )
        stats = self._stats()
        if stats is not None:
            family.add_metric(["hit"], stats.cache_hits)
            family.add_metric(["miss"], stats.cache_misses)
            family.add_metric(["coalesced"], stats.coalesced)
        yield family


class Metrics:
    """The process's metrics and the few calls that feed them."""

    def __init__(self) -> None:
        # No ``*_created`` series: Prometheus does not need them, and they double the lines.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self._lookups = Counter(
            "purchases_lookups_total",
            "Lookups answered, by where they came from and what the person got",
            ["entry", "outcome"],
            registry=r,
        )
        self._answer = Histogram(
            "purchases_answer_seconds",
            "From Slack's request arriving to the answer delivered",
            ["entry"],
            buckets=ANSWER_BUCKETS,
            registry=r,
        )
        self._requests = Counter(
            "crowdtwist_requests_total",
            "CrowdTwist attempts sent (retries included), by endpoint and HTTP status or failure",
            ["endpoint", "status"],
            registry=r,
        )
        self._request_seconds = Histogram(
            "crowdtwist_request_seconds",
            "One CrowdTwist attempt, headers and body",
            ["endpoint"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self._slack_errors = Counter(
            "slack_api_errors_total",
            "Slack Web API calls and response_url posts that failed, by error or HTTP status",
            ["method", "error"],
            registry=r,
        )
        self._budget = Gauge(
            "crowdtwist_budget_remaining",
            "CrowdTwist requests left in this minute's budget (every replica's, with Redis)",
            registry=r,
        )
        self._in_flight = Gauge(
            "purchases_in_flight", "Answers acknowledged and not yet delivered", registry=r
        )
        # Children looked up once: labels() takes a lock and builds a key on every call.
        self._lookup_children: dict[tuple[str, str], Any] = {}
        self._answer_children: dict[str, Any] = {}
        self._request_children: dict[tuple[str, str], Any] = {}
        self._seconds_children: dict[str, Any] = {}
        self._budget_source: Callable[[], Any] | None = None

    # -- sources read at scrape time -------------------------------------------------------

    def watch_cache(self, stats: Callable[[], ClientStats | None]) -> None:
        """Report the CrowdTwist client's cache counters."""
        self.registry.register(_CacheCollector(stats))

    def watch_in_flight(self, count: Callable[[], int]) -> None:
        self._in_flight.set_function(count)

    def watch_budget(self, remaining: Callable[[], Any]) -> None:
        """``remaining`` is awaited before each scrape (the shared budget lives in Redis)."""
        self._budget_source = remaining

    def watch_flag(self, name: str, documentation: str, up: Callable[[], bool]) -> None:
        """A 0/1 gauge read at scrape time (``redis_up``, ``slack_socket_mode_connected``)."""
        gauge = Gauge(name, documentation, registry=self.registry)
        gauge.set_function(lambda: 1.0 if up() else 0.0)

    async def exposition(self) -> bytes:
        """The text format, after refreshing what must be awaited."""
        if self._budget_source is not None:
            remaining = await self._budget_source()
            # No budget (CROWDTWIST_RATE_LIMIT_PER_MINUTE=0): nothing limits the requests.
            self._budget.set(math.inf if remaining is None else remaining)
        return generate_latest(self.registry)

    # -- events ----------------------------------------------------------------------------

    def lookup(self, event: AuditEvent) -> None:
        """One audit line: count the lookup, and time it when the request's start is known."""
        labels = lookup_labels(event.entry, event.outcome, event.results)
        if labels is None:
            return
        child = self._lookup_children.get(labels)
        if child is None:
            child = self._lookup_children[labels] = self._lookups.labels(*labels)
        child.inc()
        started = request_started.get()
        if started is not None:
            entry = labels[0]
            timer = self._answer_children.get(entry)
            if timer is None:
                timer = self._answer_children[entry] = self._answer.labels(entry)
            timer.observe(time.perf_counter() - started)

    def crowdtwist_request(self, endpoint: str, status: str, seconds: float) -> None:
        """One CrowdTwist attempt (the client calls this once per attempt sent)."""
        key = (endpoint, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self._requests.labels(endpoint, status)
        child.inc()
        timer = self._seconds_children.get(endpoint)
        if timer is None:
            timer = self._seconds_children[endpoint] = self._request_seconds.labels(endpoint)
        timer.observe(seconds)

    def slack_error(self, method: str, error: str) -> None:
        """A Slack call that failed; ``error`` is Slack's code, the HTTP status, or a failure."""
        self._slack_errors.labels(method, error).inc()


class SlackErrorCounter(AsyncRetryHandler):
    """The last of the Web API client's retry handlers: it never retries, it counts.

    slack_sdk asks every retry handler about every answer until one retries, so the last one
    sees each call's final answer once (Bolt's per-request clients copy the same list).
    """

    def __init__(self, metrics: Metrics, api_url: str) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics
        self._api_url = api_url

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is not None:
            self._metrics.slack_error(self._method(request.url), failure_label(error))
            return False
        if response is None:
            return False
        body = response.body
        if response.status_code < 400 and (not isinstance(body, dict) or body.get("ok", True)):
            return False
        code = body.get("error") if isinstance(body, dict) else None
        shown = code if isinstance(code, str) and _SLACK_CODE.fullmatch(code) else None
        self._metrics.slack_error(self._method(request.url), shown or str(response.status_code))
        return False

    def _method(self, url: str) -> str:
        method = url[len(self._api_url) :] if url.startswith(self._api_url) else ""
        return method if _SLACK_METHOD.fullmatch(method) else "other"


def failure_label(error: BaseException) -> str:
    """``timeout`` or ``connect_error``: the label of a call that got no answer."""
    return "timeout" if isinstance(error, TimeoutError) else "connect_error"
