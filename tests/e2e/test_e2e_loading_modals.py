"""Points and a receipt's View when Slack refuses their modals (issue 24's fix, which Details
had, now shared by all three through ``bot/listeners/modals.py``). Clicks are Slack's own
block_actions payload (bolt-python's ephemeral click) signed and sent over real HTTP; the
fake Slack refuses ``views.open`` / ``views.update`` as real Slack does."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from bot import cards, replies
from bot.crowdtwist.models import IdType
from bot.query import PurchaseQuery, decode_query
from bot.sandbox import SandboxServer
from bot.slack_ids import POINTS_ACTION, RECEIPT_VIEW_ACTION_PREFIX
from tests.conftest import RunningBot
from tests.support import slack_payloads as real
from tests.support.blockkit_rules import assert_valid_message
from tests.support.e2e_helpers import api_calls, button, response_posts, text_of
from tests.support.render import render_text

ALICE = "alice@example.com"
BOLT_CLICK = "bolt_python_block_actions_ephemeral"


@dataclass(frozen=True)
class Kind:
    """One of the two loading modals: how to get its button and what its views say."""

    name: str
    command: str
    action_id: str
    loading: str  # in the "Loading…" view
    filled: str  # in the filled view
    closed: str  # in the note when the agent closed the modal first


POINTS = Kind("points", ALICE, POINTS_ACTION, "Loading the points", "Goodwill credit", "they")
VIEW = Kind(
    "view",
    f"{ALICE} receipts",
    RECEIPT_VIEW_ACTION_PREFIX,
    "Loading the receipt",
    "Not scanned yet",
    "it",
)
KINDS = [pytest.param(POINTS, id="points"), pytest.param(VIEW, id="view")]


@pytest.fixture
async def bot(bot_factory: Any, sandbox: SandboxServer) -> RunningBot:
    """The bot with the sandbox as its main host too (points and receipts live there)."""
    started: RunningBot = await bot_factory(crowdtwist_main_url=sandbox.base_url)
    return started


async def pressed(bot: RunningBot, kind: Kind) -> dict[str, Any]:
    """The Points or View button of a fresh answer."""
    sent = await bot.driver.command(kind.command)
    assert sent.response.status_code == 200
    (message,) = await response_posts(bot.slack, sent.token)
    return button(message, kind.action_id)


async def click(bot: RunningBot, pressed: dict[str, Any]) -> str:
    """Slack's own click payload on ``pressed``; the response_url's token."""
    payload, token = real.block_actions(
        BOLT_CLICK, bot.driver, pressed["action_id"], pressed["value"]
    )
    assert "message" not in payload and payload["container"]["is_ephemeral"] is True
    sent = await real.send_payload(bot.driver, payload, token)
    assert sent.response.status_code == 200
    return token


def bot_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.name.startswith("bot") and (r.levelno >= logging.WARNING or r.exc_info)
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("status", "error", "said"),
    [
        (200, "expired_trigger_id", "took too long"),
        (200, "exchanged_trigger_id", "already used this click"),
        (429, "ratelimited", "too many windows"),
        (200, "internal_error", "`internal_error`"),
    ],
)
async def test_a_modal_slack_will_not_open_is_offered_again_privately_and_the_retry_opens_it(
    bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
    kind: Kind,
    status: int,
    error: str,
    said: str,
) -> None:
    async def no_wait(seconds: float) -> None:
        pass

    monkeypatch.setattr(replies, "_sleep", no_wait)  # 429s are retried: skip the waits
    first = await pressed(bot, kind)
    times = 4 if status == 429 else 1  # the first try and every retry
    refused = {"ok": False, "error": error}
    bot.slack.fail("views.open", status, body=refused, headers={"Retry-After": "0"}, times=times)
    (note,) = await response_posts(bot.slack, await click(bot, first))
    assert said in text_of(note)
    assert note["response_type"] == "ephemeral" and note["replace_original"] is False
    assert bot.slack.calls_to("views.update") == []
    again = button(note, kind.action_id)
    assert again["value"] == first["value"]

    opened_before = len(bot.slack.calls_to("views.open"))
    await click(bot, again)  # the note's button works like the card's
    opened = await api_calls(bot.slack, "views.open", count=opened_before + 1)
    assert kind.loading in text_of(opened[-1].message["view"])
    (filled,) = await api_calls(bot.slack, "views.update")
    assert kind.filled in text_of(filled.message["view"])


@pytest.mark.parametrize("kind", KINDS)
async def test_a_hash_conflict_is_retried_once_without_the_hash_and_the_modal_filled(
    bot: RunningBot, kind: Kind
) -> None:
    first = await pressed(bot, kind)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "hash_conflict"})
    token = await click(bot, first)
    conflicted, retried = await api_calls(bot.slack, "views.update", count=2)
    (opened,) = bot.slack.calls_to("views.open")
    assert conflicted.args.get("hash") == opened.result["view"]["hash"]
    assert "hash" not in retried.args
    assert retried.message["view"] == conflicted.message["view"]
    assert kind.filled in text_of(retried.message["view"])
    assert "Loading" not in text_of(retried.message["view"])
    await asyncio.sleep(0.2)  # nothing more is sent
    assert len(bot.slack.calls_to("views.update")) == 2
    assert [c for c in bot.slack.calls if c.args.get("_token") == token] == []  # no note


@pytest.mark.parametrize("kind", KINDS)
async def test_a_modal_the_agent_already_closed_is_a_note_and_no_error(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, kind: Kind
) -> None:
    caplog.set_level(logging.INFO)
    first = await pressed(bot, kind)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "not_found"})
    (note,) = await response_posts(bot.slack, await click(bot, first))
    seen = text_of(note)
    assert f"was closed before {kind.closed} arrived" in seen and ":warning:" not in seen
    assert button(note, kind.action_id)["value"] == first["value"]
    assert len(bot.slack.calls_to("views.update")) == 1  # nothing left to update
    assert bot_warnings(caplog) == []
    assert any("closed before it was filled" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_fill_slack_keeps_refusing_ends_in_the_note(bot: RunningBot, kind: Kind) -> None:
    first = await pressed(bot, kind)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "invalid_blocks"}, times=5)
    (note,) = await response_posts(bot.slack, await click(bot, first))
    assert "`invalid_blocks`" in text_of(note)
    assert button(note, kind.action_id)["value"] == first["value"]
    shown = [text_of(c.message["view"]) for c in bot.slack.calls_to("views.update")]
    assert "could not be shown" in shown[-1]
    # View tries once more without the image before the "could not be shown" view.
    assert len(shown) == (2 if kind is POINTS else 3)


@pytest.mark.parametrize(
    "error", ["expired_trigger_id", "exchanged_trigger_id", "ratelimited", "not_found", None, "x`y"]
)
def test_the_points_and_view_notes_offer_their_button_again_within_block_kits_limits(
    error: str | None,
) -> None:
    query = PurchaseQuery(member="o'neil+vip@example.com", id_type=IdType.EMAIL)
    ref = cards.ReceiptRef(query, "receipt-1")
    points = cards.points_not_opened_message(query, error)
    view = cards.receipt_not_opened_message(ref, error)
    for note in (points, view):
        assert_valid_message(note)
        shown = render_text(note)
        assert "o'neil+vip@example.com" in shown
        assert ("closed" in shown) is (error == "not_found")
        assert "x`y" not in note["blocks"][0]["text"]["text"]  # inert: the span stays closed
    assert decode_query(button(points, POINTS_ACTION)["value"]) == query
    assert cards.ReceiptRef.decode(button(view, RECEIPT_VIEW_ACTION_PREFIX)["value"]) == ref
