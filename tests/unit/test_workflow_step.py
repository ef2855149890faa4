"""The Workflow Builder step's pure parts: inputs read, outputs totalled, failures worded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.answers.history import History
from bot.audit import Actor
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, Purchase
from bot.query import PurchaseQuery
from bot.workflow_step import (
    InvalidInput,
    failure_text,
    is_step_run,
    read_inputs,
    step_actor,
    step_denied_text,
    step_outputs,
)


def query(inputs: dict[str, Any]) -> PurchaseQuery:
    read = read_inputs(inputs)
    assert isinstance(read, PurchaseQuery), read
    return read


def problems(inputs: dict[str, Any]) -> dict[str, str]:
    read = read_inputs(inputs)
    assert isinstance(read, InvalidInput), read
    return read.problems


@pytest.mark.parametrize(
    ("member", "kind", "normal"),
    [
        ("jane@example.com", IdType.EMAIL, "jane@example.com"),
        ("+1 (555) 010-0040", IdType.MOBILE_PHONE_NUMBER, "+15550100040"),
        ("332170040", IdType.ID, "332170040"),
        ("POS-88120040", IdType.THIRD_PARTY_ID, "POS-88120040"),
        ("<mailto:jane@example.com|jane@example.com>", IdType.EMAIL, "jane@example.com"),
    ],
)
def test_the_id_type_is_inferred_as_the_command_infers_it(
    member: str, kind: IdType, normal: str
) -> None:
    read = query({"member": member})
    assert (read.member, read.id_type, read.id_type_inferred) == (normal, kind, True)
    assert read.start is None and read.end is None and read.page == 1


def test_an_explicit_id_type_and_inclusive_dates_are_kept() -> None:
    read = query(
        {
            "member": "12345",
            "id_type": "third_party_id",
            "start_date": "2026-03-01",
            "end_date": "2026-03-01",
        }
    )
    assert read.id_type is IdType.THIRD_PARTY_ID and not read.id_type_inferred
    assert read.start == read.end == date(2026, 3, 1)


def test_empty_and_null_optional_inputs_are_absent() -> None:
    read = query({"member": "a@b.co", "id_type": "", "start_date": None, "end_date": " "})
    assert read.id_type is IdType.EMAIL and read.start is None and read.end is None


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        ({}, "member", "is required"),
        ({"member": 42}, "member", "must be text"),
        ({"member": "a@b.co", "id_type": ["email"]}, "id_type", "must be text"),
        ({"member": "a@b.co", "start_date": "2026-02-29"}, "start_date", "not a date on"),
        ({"member": "a@b.co", "end_date": "2026-3-1"}, "end_date", "not a date like"),
        ({"member": "a@b.co", "end_date": 20260301}, "end_date", "must be a date"),
        ({"member": "abc", "id_type": "id"}, "member", "not a CrowdTwist id"),
        ({"member": "a\x00b"}, "member", "control character"),
    ],
)
def test_bad_inputs_are_named_with_what_is_wrong(
    inputs: dict[str, Any], field: str, words: str
) -> None:
    found = problems(inputs)
    assert field in found and words in found[field]
    assert f"{field}: " in InvalidInput(found).text


def test_every_bad_input_is_reported_at_once() -> None:
    found = problems({"member": 1, "start_date": "2026-02-30", "end_date": "soon"})
    assert set(found) == {"member", "start_date", "end_date"}


def purchase(day: int, earned: int | None, awarded: int | None, awaiting: int | None) -> Purchase:
    return Purchase(
        purchase_id=f"o{day}",
        last_date_purchased=datetime(2026, 5, day, 12, 0, tzinfo=UTC),
        total_points_earned=earned,
        total_points_awarded=awarded,
        points_awaiting_fulfillment=awaiting,
    )


def test_outputs_sum_known_figures_and_the_summary_names_the_missing() -> None:
    rows = [purchase(3, 10, 8, None), purchase(9, 5, None, 2), purchase(1, None, 1, None)]
    out = step_outputs(query({"member": "a@b.co"}), History(rows, 3, False), cap_pages=50)
    assert out["found"] is True and out["total_purchases"] == 3
    assert (out["points_earned"], out["points_awarded"], out["points_awaiting"]) == (15, 9, 2)
    assert out["last_purchase_date"] == int(datetime(2026, 5, 9, 12, tzinfo=UTC).timestamp())
    lines = out["summary"].splitlines()
    assert len(lines) == 3
    assert lines[0] == "a@b.co (email): 3 purchases, the last on 2026-05-09."
    assert "1 purchase did not report points earned" in lines[2]
    assert "2 purchases did not report points awaiting" in lines[2]


def test_no_purchases_means_no_last_purchase_date_and_two_lines() -> None:
    out = step_outputs(query({"member": "a@b.co"}), History([], 0, False), cap_pages=50)
    assert "last_purchase_date" not in out
    assert out["summary"].splitlines() == [
        "a@b.co (email): 0 purchases.",
        "Points: 0 earned, 0 awarded, 0 awaiting fulfilment.",
    ]


def test_the_cap_is_said_in_the_summary() -> None:
    rows = [purchase(d, 1, 1, 0) for d in range(1, 21)]
    out = step_outputs(query({"member": "a@b.co"}), History(rows, 213, True), cap_pages=2)
    assert out["total_purchases"] == 213 and out["points_earned"] == 20
    assert "Only the first 2 pages (20 purchases) were added up" in out["summary"]


@pytest.mark.parametrize(
    ("kind", "starts"),
    [
        (ErrorKind.NOT_FOUND, "Member not found: no CrowdTwist member has email “a@b.co”"),
        (ErrorKind.INVALID_INPUT, "Invalid input: CrowdTwist refused"),
        (ErrorKind.UNAUTHORIZED, "Not configured:"),
        (ErrorKind.NOT_CONFIGURED, "Not configured:"),
        (ErrorKind.UNAVAILABLE, "CrowdTwist unavailable:"),
        (ErrorKind.BAD_RESPONSE, "CrowdTwist unavailable:"),
        (ErrorKind.BUSY, "CrowdTwist unavailable:"),
    ],
)
def test_each_failure_is_worded_for_the_workflows_owner(kind: ErrorKind, starts: str) -> None:
    error = CrowdTwistError(kind, "Something safe to show.", detail="secret-ish detail")
    text = failure_text(error, query({"member": "a@b.co"}))
    assert text.startswith(starts)
    assert "secret-ish detail" not in text


def test_the_actor_comes_from_the_inputs_and_junk_ids_are_absent() -> None:
    body = {"team_id": "T1", "event": {"type": "function_executed"}}
    assert is_step_run(body) and not is_step_run({"event": {"type": "message"}})
    actor = step_actor(body, {"requested_by": "U0AGENT", "channel": "C0CASES"})
    assert actor == Actor(user_id="U0AGENT", team_id="T1", channel_id="C0CASES")
    junk = step_actor(body, {"requested_by": "<@U0AGENT>", "channel": 5})
    assert junk.user_id is None and junk.channel_id is None


def test_a_refusal_says_which_input_to_map() -> None:
    nobody = Actor(user_id=None, team_id=None, channel_id=None)
    user_reason = "You are not on the list of people who may look up loyalty members."
    assert "requested_by" in step_denied_text(user_reason, nobody)
    channel_reason = "Purchase lookups are not enabled in this channel."
    assert "channel input" in step_denied_text(channel_reason, nobody)
    someone = Actor(user_id="U1", team_id=None, channel_id="C1")
    assert step_denied_text(user_reason, someone) == f"Access denied: {user_reason}"
