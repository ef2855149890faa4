"""The pure parts of issue 24: mrkdwn links, the payload shape check, the new notes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import cards
from bot.blockkit import LINK_URL_MAX, link
from bot.listeners.context import FormOrigin, malformed
from bot.slack_ids import DETAILS_ACTION_PREFIX
from tests.support.blockkit_rules import assert_valid_message
from tests.support.render import render_text

THREAD_LINK = (
    "https://brand.slack.com/archives/C1/p1700000000000900?thread_ts=1700000000.000800&cid=C1"
)


def test_a_thread_permalinks_ampersand_is_escaped_in_the_link() -> None:
    assert link(THREAD_LINK, "this card") == (
        "<https://brand.slack.com/archives/C1/p1700000000000900"
        "?thread_ts=1700000000.000800&amp;cid=C1|this card>"
    )


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://brand.slack.com/x",
        "javascript:alert(1)",
        "https://a.example/x|<!channel>",
        "https://a.example/x y",
        "https://a.example/x\n<!here>",
        "https://a.example/" + "a" * LINK_URL_MAX,
        "https://a.example/" + "&" * (LINK_URL_MAX // 5),  # bounded after escaping
    ],
)
def test_links_that_cannot_be_carried_safely_are_left_out(url: str | None) -> None:
    assert link(url, "x") is None


@given(st.text(max_size=300))
def test_a_link_never_lets_its_url_out_of_the_markup(tail: str) -> None:
    made = link("https://a.example/" + tail, "this card")
    if made is not None:
        inside = made[1 : made.rindex("|")]
        assert not set(inside) & {"<", ">", "|"} and len(inside) <= LINK_URL_MAX
        assert "&" not in inside.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


def test_the_share_note_links_a_thread_permalink_escaped() -> None:
    note = cards.shared_note(THREAD_LINK)
    assert_valid_message(note)
    assert "&amp;cid=C1|this card>" in note["blocks"][0]["text"]["text"]


CLICK: dict[str, Any] = {"type": "block_actions", "actions": [{"action_id": "a", "value": "v"}]}


@pytest.mark.parametrize(
    "body",
    [
        CLICK | {"actions": "a"},
        CLICK | {"actions": ["a"]},
        CLICK | {"actions": []},
        CLICK | {"actions": None},
        {"type": "block_actions"},
        CLICK | {"actions": [{"action_id": 1}]},
        CLICK | {"actions": [{"action_id": "a"}, 5]},
        {"type": "view_submission", "view": {"private_metadata": 12}},
        {"type": "view_submission", "view": "x"},
        {"type": "view_closed", "view": {"private_metadata": ["x"]}},
    ],
)
def test_malformed_payloads_are_named(body: dict[str, Any]) -> None:
    assert malformed(body)


@pytest.mark.parametrize(
    "body",
    [
        CLICK,
        {"type": "view_submission", "view": {"private_metadata": ""}},
        {"type": "view_submission", "view": {}},
        {"command": "/purchases", "text": "x"},
        {"type": "message_action", "message": "x"},
        {"type": "event_callback", "event": {}},
    ],
)
def test_sound_payloads_pass(body: dict[str, Any]) -> None:
    assert malformed(body) is None


@pytest.mark.parametrize("value", [12, 1.5, ["x"], {"c": "C1"}, None, "[1]", "{"])
def test_unreadable_private_metadata_is_an_unknown_origin(value: object) -> None:
    assert FormOrigin.decode(value) == FormOrigin()


@pytest.mark.parametrize(
    "error", ["expired_trigger_id", "exchanged_trigger_id", "ratelimited", "not_found", None, "x`y"]
)
def test_the_details_note_offers_details_again(error: str | None) -> None:
    ref = cards.PurchaseRef("NW-400026", "order_id", 298)
    note = cards.details_not_opened_message(ref, error)
    assert_valid_message(note)
    (again,) = [
        e
        for b in note["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == DETAILS_ACTION_PREFIX
    ]
    assert cards.PurchaseRef.decode(again["value"]) == ref
    assert "Order" in render_text(note)
    assert ("closed" in render_text(note)) is (error == "not_found")


def test_the_invite_hint_is_one_line_after_the_message() -> None:
    message = cards.shared_note(None)
    hinted = cards.with_invite_hint(message)
    assert_valid_message(hinted)
    assert hinted["blocks"][:-1] == message["blocks"]
    assert render_text(hinted).count("/invite @purchases") == 1


def test_a_message_with_no_room_left_carries_the_hint_in_its_text() -> None:
    full = {"text": "x", "blocks": [{"type": "divider"}] * 50}
    hinted = cards.with_invite_hint(full)
    assert hinted["blocks"] == full["blocks"]
    assert "/invite @purchases" in hinted["text"]
