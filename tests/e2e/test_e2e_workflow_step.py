"""The Workflow Builder step end to end: signed ``function_executed`` events in, the step's
completion (``functions.completeSuccess`` / ``completeError``) recorded by the fake Slack."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

import pytest

from bot.fake_slack import FakeSlack, SlackCall, payloads
from bot.sandbox import DEMO_MEMBERS, DemoMember
from bot.sandbox.data import in_date_range
from tests.conftest import BOT_TOKEN, CT_KEY, RunningBot
from tests.support.slack_driver import StepRun

SUCCESS = "functions.completeSuccess"
ERROR = "functions.completeError"


def member(key: str) -> DemoMember:
    return next(m for m in DEMO_MEMBERS if m.key == key)


GRACE = member("grace")


async def completion(slack: FakeSlack, run: StepRun) -> SlackCall:
    """The one completion of ``run`` (success or error), checked to carry the event's token."""
    (call,) = await slack.wait_for(
        lambda c: (
            c.method in (SUCCESS, ERROR) and c.args.get("function_execution_id") == run.execution_id
        )
    )
    assert call.token == run.token
    assert call.token != BOT_TOKEN
    return call


def outputs_of(call: SlackCall) -> dict[str, Any]:
    assert call.method == SUCCESS, call.args
    outputs = call.args["outputs"]
    assert isinstance(outputs, str)  # slack_sdk sends the outputs as a JSON string
    loaded: dict[str, Any] = json.loads(outputs)
    return loaded


def error_of(call: SlackCall) -> str:
    assert call.method == ERROR, call.args
    return str(call.args["error"])


def expected_sums(demo: DemoMember, start: date | None = None, end: date | None = None) -> Any:
    """Totals over the sandbox's own data (not through the bot), missing figures as 0."""
    chosen = [p for p in demo.purchases if in_date_range(p, start, end)]
    rows = [p.as_history_row() for p in chosen]
    return {
        "total_purchases": len(chosen),
        "points_earned": sum(row.get("total_points_earned") or 0 for row in rows),
        "points_awarded": sum(row.get("total_points_awarded") or 0 for row in rows),
        "points_awaiting": sum(row.get("points_awaiting_fulfillment") or 0 for row in rows),
    }


async def test_a_member_with_23_purchases_completes_with_the_whole_historys_totals(
    bot: RunningBot,
) -> None:
    assert len(GRACE.purchases) == 23
    run = await bot.driver.run_step({"member": GRACE.email})
    assert run.response.status_code == 200
    outputs = outputs_of(await completion(bot.slack, run))
    expected = expected_sums(GRACE)
    assert expected["total_purchases"] == 23 and expected["points_earned"] > 0
    assert {key: outputs[key] for key in expected} == expected
    assert outputs["found"] is True
    newest = GRACE.purchases[0].purchased_at
    assert outputs["last_purchase_date"] == int(newest.timestamp())
    assert GRACE.email in outputs["summary"] and "23 purchases" in outputs["summary"]
    assert 2 <= len(outputs["summary"].splitlines()) <= 3
    pages = [r for r in bot.sandbox.requests if "purchase" in r.path]
    assert len({r.query.get("page", "1") for r in pages}) == 3  # every page of 10


async def test_inputs_are_read_as_the_command_reads_them(bot: RunningBot) -> None:
    start, end = date(2026, 3, 1), date(2026, 8, 31)
    run = await bot.driver.run_step(
        {
            "member": f"  {GRACE.crowdtwist_id} ",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
    )
    outputs = outputs_of(await completion(bot.slack, run))
    expected = expected_sums(GRACE, start, end)
    assert 0 < expected["total_purchases"] < 23
    assert {key: outputs[key] for key in expected} == expected
    assert f"{GRACE.crowdtwist_id} (id)" in outputs["summary"]
    assert "2026-03-01 to 2026-08-31" in outputs["summary"]


async def test_a_range_without_purchases_has_no_last_purchase_date(bot: RunningBot) -> None:
    run = await bot.driver.run_step({"member": GRACE.phone, "end_date": "2020-01-01"})
    outputs = outputs_of(await completion(bot.slack, run))
    assert outputs["total_purchases"] == 0 and outputs["points_earned"] == 0
    assert "last_purchase_date" not in outputs


async def test_purchases_without_awaiting_points_count_as_0_and_the_summary_says_so(
    bot: RunningBot,
) -> None:
    carmen = member("carmen")
    run = await bot.driver.run_step({"member": carmen.email, "id_type": "email"})
    outputs = outputs_of(await completion(bot.slack, run))
    assert outputs["total_purchases"] == 12 and outputs["points_awaiting"] == 0
    assert "12 purchases did not report points awaiting" in outputs["summary"]


async def test_an_unknown_member_completes_with_an_error_naming_it(bot: RunningBot) -> None:
    run = await bot.driver.run_step({"member": "nobody@example.com"})
    error = error_of(await completion(bot.slack, run))
    assert error.startswith("Member not found")
    assert "nobody@example.com" in error and "email" in error
    assert CT_KEY not in error and "Traceback" not in error


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        ({"member": GRACE.email, "start_date": "2026-02-30"}, "start_date", "not a date"),
        ({"member": GRACE.email, "end_date": "next week"}, "end_date", "not a date like"),
        (
            {"member": GRACE.email, "start_date": "2026-05-02", "end_date": "2026-05-01"},
            "end_date",
            "before the start date",
        ),
        ({"member": ""}, "member", "is required"),
        ({"member": "jane@", "id_type": "email"}, "member", "not an email address"),
        ({"member": GRACE.email, "id_type": "fax"}, "id_type", "Unknown type"),
    ],
)
async def test_invalid_inputs_complete_with_an_error_naming_the_field(
    bot: RunningBot, inputs: dict[str, Any], field: str, words: str
) -> None:
    run = await bot.driver.run_step(inputs)
    error = error_of(await completion(bot.slack, run))
    assert error.startswith("Invalid input.")
    assert f"{field}: " in error and words in error
    assert not bot.sandbox.requests


@pytest.mark.parametrize(
    ("email", "starts"),
    [("outage@example.com", "CrowdTwist unavailable"), ("not-configured@example.com", "Not conf")],
)
async def test_crowdtwist_failures_complete_with_an_error_an_owner_understands(
    bot: RunningBot, email: str, starts: str
) -> None:
    run = await bot.driver.run_step({"member": email})
    error = error_of(await completion(bot.slack, run))
    assert error.startswith(starts)
    assert CT_KEY not in error and "Traceback" not in error


async def test_the_ack_comes_before_a_slow_crowdtwist_answers(bot_factory: Any) -> None:
    bot = await bot_factory(crowdtwist_timeout_seconds=8.0)
    bot.sandbox.faults.inject_delay(3.5)
    run = await bot.driver.run_step({"member": GRACE.email})
    assert run.response.status_code == 200
    assert run.ack_seconds < 3
    assert not bot.slack.calls_to(SUCCESS)  # the work happens after the ack
    bot.slack.calls.clear()
    call = await bot.slack.wait_for(lambda c: c.method == SUCCESS, timeout=15)
    assert outputs_of(call[0])["total_purchases"] == 23


async def test_the_cap_stops_the_gathering_and_the_summary_says_so(bot_factory: Any) -> None:
    bot = await bot_factory(export_max_pages=2)
    dev = member("dev")
    run = await bot.driver.run_step({"member": dev.email})
    outputs = outputs_of(await completion(bot.slack, run))
    assert outputs["total_purchases"] == 213
    first_20 = [p.as_history_row() for p in dev.purchases[:20]]
    assert outputs["points_earned"] == sum(r.get("total_points_earned") or 0 for r in first_20)
    assert "Only the first 2 pages (20 purchases) were added up" in outputs["summary"]


async def test_a_user_off_the_allow_list_gets_an_error_and_crowdtwist_is_not_called(
    bot_factory: Any,
) -> None:
    bot = await bot_factory(allowed_slack_user_ids="U0ALLOWED")
    run = await bot.driver.run_step({"member": GRACE.email, "requested_by": "U0STRANGER"})
    error = error_of(await completion(bot.slack, run))
    assert error.startswith("Access denied")
    unmapped = await bot.driver.run_step({"member": GRACE.email})
    assert "requested_by" in error_of(await completion(bot.slack, unmapped))
    assert not bot.sandbox.requests
    allowed = await bot.driver.run_step({"member": GRACE.email, "requested_by": "U0ALLOWED"})
    assert outputs_of(await completion(bot.slack, allowed))["total_purchases"] == 23


async def test_the_channel_list_needs_the_channel_input(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_channel_ids="C0CASES")
    unmapped = await bot.driver.run_step({"member": GRACE.email})
    assert "channel input" in error_of(await completion(bot.slack, unmapped))
    elsewhere = await bot.driver.run_step({"member": GRACE.email, "channel": "C0RANDOM"})
    assert error_of(await completion(bot.slack, elsewhere)).startswith("Access denied")
    allowed = await bot.driver.run_step({"member": GRACE.email, "channel": "C0CASES"})
    assert outputs_of(await completion(bot.slack, allowed))["found"] is True


async def test_each_run_writes_one_audit_line_with_the_member_hashed(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.audit")
    run = await bot.driver.run_step({"member": GRACE.email, "requested_by": "U0AGENT01"})
    await completion(bot.slack, run)
    bad = await bot.driver.run_step({"member": GRACE.email, "start_date": "2026-13-01"})
    await completion(bot.slack, bad)
    assert await bot.services.inflight.drain(5)  # the audit line follows the completion
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bot.audit"]
    assert [(line["entry"], line["outcome"]) for line in lines] == [
        ("workflow_step", "ok"),
        ("workflow_step", "invalid_input"),
    ]
    assert lines[0]["user"] == "U0AGENT01" and lines[0]["total"] == 23
    assert re.fullmatch(r"m_[0-9a-f]{16}", lines[0]["member"])
    assert GRACE.email not in json.dumps(lines)


async def test_a_replayed_event_runs_the_step_once(bot: RunningBot) -> None:
    event = payloads.function_executed(
        callback_id="lookup_purchase_history",
        inputs={"member": GRACE.email},
        bot_access_token=payloads.new_function_token(),
    )
    body = payloads.json_body(event)
    for _ in range(2):  # Slack retries an event it thinks was not acked
        response, _took = await bot.driver.post(body, content_type=payloads.JSON_CONTENT_TYPE)
        assert response.status_code == 200
    await bot.slack.wait_for(lambda c: c.method == SUCCESS)
    assert await bot.services.inflight.drain(5)
    assert len(bot.slack.calls_to(SUCCESS)) == 1


async def test_a_completion_slack_refuses_is_logged_and_the_run_still_audited(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot.slack.fail(SUCCESS, 200, body={"ok": False, "error": "function_execution_not_found"})
    run = await bot.driver.run_step({"member": GRACE.email})
    await completion(bot.slack, run)
    assert await bot.services.inflight.drain(5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not complete the workflow step: function_execution_not_found" in warnings
    audit = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bot.audit"]
    assert [line["outcome"] for line in audit] == ["ok"]
