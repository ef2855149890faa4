"""The metrics' labels: every value from a small fixed set, whatever the input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.app import refused_entry
from bot.audit import AuditEvent
from bot.crowdtwist.client import DETAIL_PATH, HISTORY_PATH, _endpoint_of
from bot.ops.metrics import ENTRIES, OUTCOMES, Metrics, SlackErrorCounter, lookup_labels

API = "https://slack.com/api/"


@pytest.mark.parametrize(
    ("entry", "outcome", "results", "expected"),
    [
        ("command", "ok", 3, ("command", "card")),
        ("command", "ok", 0, ("command", "empty")),
        ("details", "ok", None, ("details", "card")),
        ("next_page", "not_found", None, ("page", "not_found")),
        ("prev_page", "busy", None, ("page", "busy")),
        ("choose", "ok", 1, ("shortcut", "card")),
        ("command", "usage_error", None, ("command", "invalid")),
        ("workflow_step", "invalid_input", None, ("workflow_step", "invalid")),
        ("export", "upload_failed", None, ("export", "error")),
        ("share", "not_in_channel", None, ("share", "error")),
        ("home", "unavailable", None, ("home", "error")),
        ("form", "denied", None, ("form", "denied")),
        ("block_actions", "denied", None, None),
        ("U0AGENT01", "ok", 1, None),
    ],
)
def test_lookup_labels_are_bounded(
    entry: str, outcome: str, results: int | None, expected: tuple[str, str] | None
) -> None:
    labels = lookup_labels(entry, outcome, results)
    assert labels == expected
    if labels is not None:
        assert labels[0] in ENTRIES and labels[1] in OUTCOMES


@pytest.mark.parametrize(
    ("body", "entry"),
    [
        ({"command": "/purchases"}, "command"),
        ({"type": "message_action"}, "shortcut"),
        ({"type": "view_submission"}, "form"),
        ({"type": "block_actions", "actions": [{"action_id": "purchases_next_page"}]}, "next_page"),
        ({"type": "block_actions", "actions": [{"action_id": "purchase_details_3"}]}, "details"),
        ({"type": "block_actions", "actions": [{"action_id": "purchases_export_csv"}]}, "export"),
        ({"type": "block_actions", "actions": [{"action_id": "purchases_share"}]}, "share"),
        ({"type": "block_actions", "actions": [{"action_id": "purchases_home_lookup_2"}]}, "home"),
        ({"type": "block_actions", "actions": [{"action_id": "elsewhere"}]}, "block_actions"),
        ({"type": "block_actions", "actions": ["junk"]}, "block_actions"),
    ],
)
def test_a_refused_request_is_audited_under_its_entry(body: dict[str, object], entry: str) -> None:
    assert refused_entry(body) == entry


def test_each_crowdtwist_call_names_itself() -> None:
    assert _endpoint_of(HISTORY_PATH) == "purchases"
    assert _endpoint_of(DETAIL_PATH) == "purchase_detail"
    assert _endpoint_of("/members/{member}/points") == "points"
    assert _endpoint_of("/{anything}") == "other"


def counted(metrics: Metrics) -> dict[str, float]:
    text = asyncio.run(metrics.exposition()).decode()
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("slack_api_errors_total")
    }


async def _ask(
    handler: SlackErrorCounter, url: str, *, status: int = 200, body: dict[str, Any] | None
) -> bool:
    request = HttpRequest(method="POST", url=url, headers={})
    response = HttpResponse(status_code=status, headers={}, body=body)
    return await handler.can_retry_async(state=RetryState(), request=request, response=response)


def test_slack_errors_are_counted_by_method_and_code_and_never_retried() -> None:
    metrics = Metrics()
    handler = SlackErrorCounter(metrics, API)

    async def traffic() -> list[bool]:
        return [
            await _ask(handler, API + "chat.postMessage", body={"ok": True}),
            await _ask(
                handler, API + "chat.postMessage", body={"ok": False, "error": "not_in_channel"}
            ),
            await _ask(handler, API + "views.open", status=500, body={"ok": False}),
            # Not a code Slack would send: the HTTP status stands in for it.
            await _ask(handler, API + "views.open", body={"ok": False, "error": "U0AGENT01 gone"}),
            await _ask(handler, "https://evil.example/U0AGENT01", status=404, body=None),
        ]

    assert asyncio.run(traffic()) == [False] * 5
    assert counted(Metrics()) == {}
    assert counted(metrics) == {
        "slack_api_errors_total[('error', 'not_in_channel'), ('method', 'chat.postMessage')]": 1,
        "slack_api_errors_total[('error', '500'), ('method', 'views.open')]": 1,
        "slack_api_errors_total[('error', '200'), ('method', 'views.open')]": 1,
        "slack_api_errors_total[('error', '404'), ('method', 'other')]": 1,
    }


def test_a_lookup_is_timed_only_when_the_request_start_is_known() -> None:
    metrics = Metrics()
    metrics.lookup(AuditEvent(entry="command", outcome="ok", results=1))
    text = asyncio.run(metrics.exposition()).decode()
    assert 'purchases_lookups_total{entry="command",outcome="card"} 1.0' in text
    assert "purchases_answer_seconds_count" not in text
