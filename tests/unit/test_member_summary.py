"""The member summary's pure parts: the model, the main host's origin, the card's line, the
ledger modal, the workflow outputs and the sandbox's derived balances."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from bot import cards
from bot.answers.history import History
from bot.config import Settings
from bot.crowdtwist.models import IdType, MemberPoints
from bot.crowdtwist.summary import MemberSummary, SummaryState
from bot.query import PurchaseQuery, decode_query
from bot.sandbox import DEMO_MEMBERS
from bot.sandbox.points import ADJUSTMENT, SIGN_UP_BONUS, activities_of, points_answer
from bot.slack_ids import POINTS_ACTION, POINTS_VIEW_CALLBACK_ID
from bot.workflow_step import step_outputs
from tests.support.blockkit_rules import assert_valid_message, assert_valid_view
from tests.support.render import render_text

BALANCE = {
    "id": "332170040",
    "total_points": 12340,
    "redeemable_points": 11200,
    "num_points_purchased": 0,
    "fan_level": "Gold",
    "activities": [
        {"name": "user registration", "num_points": 250, "notes": None, "date_created": 1_700_000},
        {"name": "reward redemption", "num_points": -500, "notes": "$5 off", "date_created": 9e8},
    ],
}
QUERY = PurchaseQuery(member="jane@example.com", id_type=IdType.EMAIL)
EMPTY = History(purchases=[], total=0, capped=False)


def shown(**fields: Any) -> MemberSummary:
    return MemberSummary(SummaryState.SHOWN, IdType.EMAIL, MemberPoints.model_validate(fields))


# -- the model ----------------------------------------------------------------------------------


def test_the_documented_fields_are_read() -> None:
    points = MemberPoints.model_validate(BALANCE)
    assert (points.total_points, points.redeemable_points, points.fan_level) == (
        12340,
        11200,
        "Gold",
    )
    assert [a.num_points for a in points.activities] == [250, -500]
    assert points.activities[1].date_created == datetime.fromtimestamp(9e8, UTC)


def test_the_docs_label_for_the_total_is_read_too() -> None:
    assert MemberPoints.model_validate({"Total points": 7}).total_points == 7


def test_a_missing_figure_is_unknown_not_0() -> None:
    points = MemberPoints.model_validate({"fan_level": "Gold", "activities": None})
    assert points.total_points is None and points.redeemable_points is None
    assert points.activities == []


@pytest.mark.parametrize(
    "body",
    [
        {"total_points": "lots"},
        {"redeemable_points": [1]},
        {"activities": "none"},
        {"activities": [{"num_points": "minus five"}]},
    ],
)
def test_a_wrong_type_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MemberPoints.model_validate(body)


# -- the main host's origin -----------------------------------------------------------------------


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {"crowdtwist_api_key": SecretStr("k"), "slack_bot_token": None}
    return Settings(_env_file=None, **{**base, **values})


@pytest.mark.parametrize(
    ("values", "origin"),
    [
        ({"crowdtwist_client_id": "12"}, "https://api12.crowdtwist.com"),
        (
            {"crowdtwist_client_id": "12", "crowdtwist_environment": "sb-"},
            "https://sb-api12.crowdtwist.com",
        ),
        (
            {"crowdtwist_base_url": "https://us2-pos201.crowdtwist.com"},
            "https://us2-api201.crowdtwist.com",
        ),
        ({"crowdtwist_base_url": "https://pos12.crowdtwist.com/"}, "https://api12.crowdtwist.com"),
        (
            {
                "crowdtwist_base_url": "https://pos12.crowdtwist.com",
                "crowdtwist_main_url": "https://proxy.example.com/ct/",
            },
            "https://proxy.example.com/ct",
        ),
        ({"crowdtwist_base_url": "https://ct-proxy.example.com"}, None),
        ({"crowdtwist_base_url": "https://pos12.crowdtwist.com.evil.example"}, None),
    ],
)
def test_the_main_host_is_configured_or_derived(values: dict[str, Any], origin: str | None) -> None:
    assert settings(**values).crowdtwist_main_origin == origin


def test_a_main_url_that_is_not_an_origin_stops_start_up() -> None:
    with pytest.raises(ValidationError, match="api12"):
        settings(crowdtwist_base_url="https://pos12.crowdtwist.com", crowdtwist_main_url="api12")


# -- the card's line ------------------------------------------------------------------------------


def card(summary: MemberSummary | None) -> dict[str, Any]:
    from bot.crowdtwist.models import PurchasePage

    message = cards.purchase_card(QUERY, PurchasePage(), summary=summary)
    assert_valid_message(message)
    return dict(message)


def test_the_balance_is_a_line_right_under_the_header() -> None:
    message = card(shown(**BALANCE))
    head = message["blocks"][:3]
    assert head[0]["type"] == "header"
    line = head[2]["elements"][0]["text"]
    assert "*12,340* points · *11,200* redeemable · Gold" in line
    points_button = next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    assert points_button["action_id"] == POINTS_ACTION
    assert decode_query(points_button["value"]) == QUERY


def test_figures_it_did_not_send_show_as_a_dash() -> None:
    text = render_text(card(shown(fan_level=None)))
    assert "*—* points · *—* redeemable · —" in text


def test_a_late_or_failed_balance_says_so() -> None:
    text = render_text(card(MemberSummary(SummaryState.UNAVAILABLE)))
    assert "Points balance unavailable right now" in text


def test_a_refused_id_type_is_named_with_what_to_try() -> None:
    message = card(MemberSummary(SummaryState.ID_TYPE_REFUSED, IdType.EMAIL))
    text = render_text(message)
    assert "can't be looked up by email" in text and "`type:id`" in text
    assert "third-party id" in text
    assert POINTS_ACTION not in str(message["blocks"])


@pytest.mark.parametrize("summary", [None, MemberSummary(SummaryState.OFF)])
def test_no_line_and_no_button_when_the_summary_is_off(summary: MemberSummary | None) -> None:
    message = card(summary)
    assert "points" not in render_text(message).lower()
    assert POINTS_ACTION not in str(message["blocks"])


def test_a_hostile_level_is_escaped_and_clipped() -> None:
    text = card(shown(total_points=1, fan_level="<!channel> *Gold*" + "x" * 500))["blocks"][2]
    rendered = text["elements"][0]["text"]
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
    assert len(rendered) < 200


# -- the ledger -----------------------------------------------------------------------------------


def ledger(count: int, notes: str = "n") -> MemberPoints:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return MemberPoints.model_validate(
        {
            **BALANCE,
            "activities": [
                {
                    "name": f"activity {i}",
                    "num_points": i - 5,
                    "notes": notes,
                    "date_created": int((start + timedelta(days=i)).timestamp()),
                }
                for i in range(count)
            ],
        }
    )


def test_the_ledger_has_the_balance_on_top_and_activities_newest_first() -> None:
    view = cards.points_modal("jane@example.com", ledger(7))
    assert_valid_view(view)
    assert view["callback_id"] == POINTS_VIEW_CALLBACK_ID
    text = render_text({"blocks": view["blocks"]})
    assert text.index("12,340") < text.index("activity 6") < text.index("activity 0")
    assert "*+1*" in text and "*-5*" in text and "*0*" in text


def test_200_activities_with_long_notes_fit_and_say_how_many_are_not_shown() -> None:
    view = cards.points_modal("jane@example.com", ledger(200, notes="why " * 400))
    assert_valid_view(view)
    text = render_text({"blocks": view["blocks"]})
    shown_lines = text.count("activity ")
    assert 0 < shown_lines < 200
    assert "more activities not shown" in text
    assert f"{200 - shown_lines:,} more" in text


def test_an_empty_ledger_and_the_failures_are_valid_views() -> None:
    for view in (
        cards.points_modal("x", MemberPoints()),
        cards.points_loading_modal("x" * 300),
        cards.points_failed_modal("x", MemberSummary(SummaryState.UNAVAILABLE)),
        cards.points_failed_modal("x", MemberSummary(SummaryState.ID_TYPE_REFUSED, IdType.EMAIL)),
        cards.points_not_shown_modal(),
    ):
        assert_valid_view(view)


# -- the workflow step ----------------------------------------------------------------------------


def test_the_step_outputs_the_balance_when_it_came() -> None:
    points = MemberPoints.model_validate(BALANCE)
    outputs = step_outputs(QUERY, EMPTY, cap_pages=50, points=points)
    assert (outputs["points_total"], outputs["points_redeemable"]) == (12340, 11200)
    assert "balance now 12,340 points, 11,200 redeemable" in outputs["summary"]
    assert len(outputs["summary"].splitlines()) <= 3


def test_the_step_leaves_out_what_is_unavailable() -> None:
    assert "points_total" not in step_outputs(QUERY, EMPTY, cap_pages=50)
    partial = MemberPoints.model_validate({"redeemable_points": 5})
    outputs = step_outputs(QUERY, EMPTY, cap_pages=50, points=partial)
    assert "points_total" not in outputs and outputs["points_redeemable"] == 5


# -- the sandbox's balances -----------------------------------------------------------------------


@pytest.mark.parametrize("member", DEMO_MEMBERS, ids=lambda m: m.key)
def test_each_sandbox_balance_follows_from_the_members_purchases(member: Any) -> None:
    answer = points_answer(member)
    awarded = sum(p.points_awarded for p in member.purchases)
    redeemed = sum(a.num_points for a in activities_of(member) if a.num_points < 0)
    assert answer["total_points"] == SIGN_UP_BONUS + ADJUSTMENT + awarded + redeemed
    assert answer["total_points"] == sum(a["num_points"] for a in answer["activities"])
    assert 0 <= answer["redeemable_points"] <= answer["total_points"]
    names = {a["name"] for a in answer["activities"]}
    assert {"user registration", "customer service adjustment"} <= names
    assert any(a["notes"] for a in answer["activities"] if a["name"].endswith("adjustment"))
    dates = [a["date_created"] for a in answer["activities"]]
    assert dates == sorted(dates, reverse=True)
    MemberPoints.model_validate(answer)  # the bot reads it


def test_a_member_with_enough_points_has_a_negative_redemption() -> None:
    alice = next(m for m in DEMO_MEMBERS if m.key == "alice")
    assert any(a.num_points < 0 for a in activities_of(alice))


def test_an_underivable_main_host_turns_the_summary_off_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.services import main_origin

    proxy = settings(crowdtwist_base_url="https://ct-proxy.example.com")
    with caplog.at_level(logging.WARNING):
        assert main_origin(proxy) is None
    (said,) = [r.getMessage() for r in caplog.records]
    assert "member summary and receipts off" in said and "CROWDTWIST_MAIN_URL" in said
    assert main_origin(settings(crowdtwist_client_id="12")) == "https://api12.crowdtwist.com"


def test_the_summary_switch_leaves_the_main_host_to_receipts() -> None:
    from bot.services import Services, crowdtwist_client

    off = settings(crowdtwist_client_id="12", member_summary_enabled=False)
    client = crowdtwist_client(off)
    services = Services.from_settings(off, client)
    assert client.main_url == "https://api12.crowdtwist.com"
    assert services.summaries is None and services.receipts is not None
