"""End to end: a member's receipt scans, by the ``receipts`` word and by the card's button.

Signed requests into the real app over HTTP; User Receipt History from the sandbox's main
host over HTTP; what the bot sent read back from the fake Slack, every message and view
checked against Block Kit's limits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import httpx
import pytest

from bot.cards.receipts import SCAN_RESULT_PHRASES
from bot.crowdtwist.receipts import SCAN_RESULT_KINDS
from bot.sandbox import SandboxServer
from bot.sandbox.receipts import DEMO_RECEIPTS, PROGRAM_TEXTS
from bot.slack_ids import (
    RECEIPT_VIEW_ACTION_PREFIX,
    RECEIPTS_ACTION,
    RECEIPTS_NEXT_PAGE_ACTION,
    RECEIPTS_PREV_PAGE_ACTION,
)
from tests.conftest import CT_KEY, RunningBot
from tests.support import slack_payloads
from tests.support.e2e_helpers import api_calls, button, has_button, response_posts, text_of
from tests.support.render import render_text
from tests.support.slack_driver import USER

ALICE = "alice@example.com"
BEN = "ben.okafor@example.com"
CARMEN = "carmen.ruiz@example.com"
DEV = "dev.patel@example.com"
SIOBHAN = "o'neil+vip@example.com"
GRACE = "grace.lindqvist@example.com"
SLACK_PAYLOAD = "bolt_python_block_actions_ephemeral"
"""Slack's own click on an ephemeral message (no ``message`` in it; an enterprise install)."""
RECEIPTS_PATH = re.compile(r"/v2/users/[^/]+/receipts")
SUBMITTED = re.compile(r"<!date\^(\d+)\^")


@pytest.fixture
async def bot(bot_factory: Any, sandbox: SandboxServer) -> RunningBot:
    """The bot with the sandbox as its main host too (receipts live there)."""
    started: RunningBot = await bot_factory(crowdtwist_main_url=sandbox.base_url)
    return started


async def answer(bot: RunningBot, text: str) -> dict[str, Any]:
    sent = await bot.driver.command(text)
    assert sent.response.status_code == 200
    assert sent.response.text == ""  # acknowledged at once, answered on the response_url
    (message,) = await response_posts(bot.slack, sent.token)
    return message


async def click(bot: RunningBot, message: dict[str, Any], action_id: str) -> dict[str, Any]:
    pressed = button(message, action_id)
    sent = await bot.driver.click(pressed["action_id"], pressed["value"])
    assert sent.response.status_code == 200
    (reply,) = await response_posts(bot.slack, sent.token)
    return reply


def receipt_requests(bot: RunningBot) -> list[Any]:
    return [r for r in bot.sandbox.main_requests if RECEIPTS_PATH.fullmatch(r.path)]


async def test_receipts_by_command_newest_first_need_you_first(bot: RunningBot) -> None:
    message = await answer(bot, f"{ALICE} receipts")
    seen = text_of(message)
    assert message["response_type"] == "ephemeral"
    assert message["text"].startswith("2 need you: receipts for alice@example.com")
    lines = render_text(message).splitlines()
    assert lines[0].startswith("Receipts for alice@example.com")
    assert lines[2].startswith("*:raising_hand: 2 need you*")  # under the header's rule
    assert "8 receipts, newest first · Page 1 of 1" in seen
    assert seen.count("[View]") == 8
    stamps = [int(s) for s in SUBMITTED.findall(json.dumps(message["blocks"]))]
    assert len(stamps) == 8 and stamps == sorted(stamps, reverse=True)
    for text in (PROGRAM_TEXTS["DEFER_TO_CUSTOMER_SERVICE"], PROGRAM_TEXTS["AWARDED"]):
        assert f"“{text}”" in seen  # the program's words, as sent
    (sent,) = receipt_requests(bot)
    assert sent.query == {
        "api_key": CT_KEY,
        "id_type": "email",
        "page": "1",
        "page_size": "25",
    }
    assert "X-CT-Authorization" not in sent.headers  # the main host takes the key in the query


async def test_every_documented_code_is_shown_with_its_phrase(bot: RunningBot) -> None:
    seen = ""
    for member in (ALICE, BEN, SIOBHAN, GRACE):
        seen += text_of(await answer(bot, f"{member} receipts"))
    message = await answer(bot, f"{DEV} receipts")
    seen += text_of(message) + text_of(await click(bot, message, RECEIPTS_NEXT_PAGE_ACTION))
    assert set(SCAN_RESULT_PHRASES) == set(SCAN_RESULT_KINDS)
    for code, phrase in SCAN_RESULT_PHRASES.items():
        assert f"*{phrase[0].upper()}{phrase[1:]}*" in seen, code
    assert "*Result `MANUAL_REVIEW_QUEUED`*" in seen  # a code the bot does not know, as sent
    assert "Your receipt is in the manual review queue." in seen


async def test_the_need_you_count(bot: RunningBot) -> None:
    dev = await answer(bot, f"{DEV} receipts")
    assert render_text(dev).splitlines()[2].startswith("*:raising_hand: 1 needs you*")
    assert dev["text"].startswith("1 needs you")
    ben = text_of(await answer(bot, f"{BEN} receipts"))
    assert "Nothing needs you" in ben and ":x: 4 rejected" in ben
    # Counted over every page, not the one shown: Dev's one is on page 1 of 2, the count
    # on page 2 is the same.
    page_two = await click(bot, dev, RECEIPTS_NEXT_PAGE_ACTION)
    assert render_text(page_two).splitlines()[2].startswith("*:raising_hand: 1 needs you*")


async def test_paging_in_place(bot: RunningBot) -> None:
    first = await answer(bot, f"{DEV} receipts")
    assert "32 receipts, newest first · Page 1 of 2" in text_of(first)
    assert text_of(first).count("[View]") == 25
    assert not has_button(first, RECEIPTS_PREV_PAGE_ACTION)
    second = await click(bot, first, RECEIPTS_NEXT_PAGE_ACTION)
    assert second["replace_original"] is True
    assert "Page 2 of 2" in text_of(second)
    assert text_of(second).count("[View]") == 7
    assert not has_button(second, RECEIPTS_NEXT_PAGE_ACTION)
    back = await click(bot, second, RECEIPTS_PREV_PAGE_ACTION)
    assert back["replace_original"] is True
    assert render_text(back) == render_text(first)
    # Two API pages of 25 read once; the clicks were answered from the cache.
    assert len(receipt_requests(bot)) == 2


async def test_dates_narrow_by_the_day_submitted(bot: RunningBot) -> None:
    expected = [r for r in DEMO_RECEIPTS["alice"] if r.submitted_at.strftime("%Y-%m") == "2026-11"]
    message = await answer(bot, f"{ALICE} receipts 2026-11")
    seen = text_of(message)
    assert f"{len(expected)} receipts, newest first" in seen
    assert "2026-11-01 to 2026-11-30" in seen
    none = text_of(await answer(bot, f"{ALICE} receipts in 2024"))
    assert "No receipts submitted from 2024-01-01 to 2024-12-31." in none


async def test_receipts_by_the_cards_button(bot: RunningBot) -> None:
    card = await answer(bot, ALICE)
    assert has_button(card, RECEIPTS_ACTION)
    reply = await click(bot, card, RECEIPTS_ACTION)
    assert reply["replace_original"] is False  # beside the card, not over it
    assert reply["response_type"] == "ephemeral"
    assert render_text(reply) == render_text(await answer(bot, f"{ALICE} receipts"))
    # A member with no purchases may still have scans that scored nothing.
    empty = await answer(bot, BEN)
    assert "No purchases" in text_of(empty)
    assert "Nothing needs you" in text_of(await click(bot, empty, RECEIPTS_ACTION))


async def test_view_opens_the_image_modal(bot: RunningBot) -> None:
    message = await answer(bot, f"{ALICE} receipts")
    view = button(message, RECEIPT_VIEW_ACTION_PREFIX)
    sent = await bot.driver.click(view["action_id"], view["value"], trigger_id="trig-r")
    assert sent.response.status_code == 200
    (opened,) = await api_calls(bot.slack, "views.open")
    (updated,) = await api_calls(bot.slack, "views.update")
    assert opened.message["trigger_id"] == "trig-r"
    assert "Loading the receipt" in text_of(opened.message["view"])
    shown = updated.message["view"]
    (image,) = [b for b in shown["blocks"] if b["type"] == "image"]
    newest = max(DEMO_RECEIPTS["alice"], key=lambda r: r.submitted_at)
    assert image["image_url"].startswith(bot.sandbox.base_url + "/receipt-images/")
    assert image["alt_text"] == (
        f"Receipt {newest.file_name}, submitted "
        f"{newest.submitted_at.strftime('%Y-%m-%d %H:%M')} UTC"
    )
    seen = text_of(shown)
    assert "*Not scanned yet*" in seen and "`NOT_SCANNED`" in seen
    assert PROGRAM_TEXTS["NOT_SCANNED"] in seen
    async with httpx.AsyncClient() as http:  # the image the playground shows, offline
        fetched = await http.get(image["image_url"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_an_image_slack_refuses_leaves_the_details(bot: RunningBot) -> None:
    message = await answer(bot, f"{ALICE} receipts")
    view = button(message, RECEIPT_VIEW_ACTION_PREFIX)
    refused = {"ok": False, "error": "invalid_blocks", "errors": ["downloading image failed"]}
    bot.slack.fail("views.update", 200, body=refused)
    await bot.driver.click(view["action_id"], view["value"])
    first, second = await api_calls(bot.slack, "views.update", count=2)
    assert any(b["type"] == "image" for b in first.message["view"]["blocks"])
    blocks = second.message["view"]["blocks"]
    assert not any(b["type"] == "image" for b in blocks)
    seen = text_of(second.message["view"])
    assert "The image is not shown here: Slack could not load it." in seen
    assert "Not scanned yet" in seen  # the details stay


async def test_a_tampered_view_button_is_refused(bot: RunningBot) -> None:
    sent = await bot.driver.click(f"{RECEIPT_VIEW_ACTION_PREFIX}_0", '{"q": "x", "r": 1}')
    (note,) = await response_posts(bot.slack, sent.token)
    assert "no longer works" in text_of(note)
    assert bot.slack.calls_to("views.open") == []


async def test_scanning_inactive_hides_the_entry_points_without_an_error(
    bot: RunningBot,
) -> None:
    card = await answer(bot, CARMEN)
    note = await click(bot, card, RECEIPTS_ACTION)
    seen = text_of(note)
    assert "Receipt scanning is not turned on for this loyalty program" in seen
    assert ":warning:" not in seen and "Try again" not in seen  # a note, not an error card
    assert note["response_type"] == "ephemeral"
    assert len(receipt_requests(bot)) == 1
    # For the cache TTL no card offers Receipts, this member's or anyone's.
    assert not has_button(await answer(bot, CARMEN), RECEIPTS_ACTION)
    assert not has_button(await answer(bot, ALICE), RECEIPTS_ACTION)
    # The word still answers, with the same note, without asking CrowdTwist again.
    again = await answer(bot, f"{ALICE} receipts")
    assert "not turned on" in text_of(again)
    assert len(receipt_requests(bot)) == 1


async def test_scanning_comes_back_after_the_ttl(bot_factory: Any, sandbox: SandboxServer) -> None:
    bot = await bot_factory(crowdtwist_main_url=sandbox.base_url, cache_ttl_seconds=1)
    await answer(bot, f"{CARMEN} receipts")
    assert not has_button(await answer(bot, ALICE), RECEIPTS_ACTION)
    await asyncio.sleep(1.1)
    assert has_button(await answer(bot, ALICE), RECEIPTS_ACTION)


async def test_without_a_main_host_no_card_offers_receipts(bot_factory: Any) -> None:
    bot = await bot_factory()  # the sandbox's address is no {environment}pos{id} host
    assert not has_button(await answer(bot, ALICE), RECEIPTS_ACTION)
    seen = text_of(await answer(bot, f"{ALICE} receipts"))
    assert "CROWDTWIST_MAIN_URL" in seen


async def test_the_key_is_in_no_log_line(bot: RunningBot, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    bot.sandbox.main_faults.inject(503, '{"error": "internal_error", "message": "down"}')
    message = await answer(bot, f"{ALICE} receipts")
    assert "2 need you" in message["text"]  # after a retry
    bot.sandbox.main_faults.inject(400, '{"error": "bad", "message": "key ' + CT_KEY + '"}')
    failed = text_of(await answer(bot, f"{GRACE} receipts"))
    assert CT_KEY not in failed and "[secret]" in failed  # an echoed key is masked
    await answer(bot, f"{CARMEN} receipts")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/v2/users/{member}/receipts" in logged  # the attempts were logged …
    assert CT_KEY not in logged and "api_key" not in logged  # … never with the key
    assert "receipt_scanning_inactive" in logged


async def test_slacks_own_block_actions_payload_reaches_the_listener(bot: RunningBot) -> None:
    """A block_actions payload Slack itself produced (bolt-python's fixture), carrying our
    Receipts button's value, answers like a click from our fake."""
    card = await answer(bot, ALICE)
    pressed = button(card, RECEIPTS_ACTION)
    payload, token = slack_payloads.block_actions(
        SLACK_PAYLOAD, bot.driver, RECEIPTS_ACTION, pressed["value"]
    )
    sent = await slack_payloads.send_payload(bot.driver, payload, token)
    assert sent.response.status_code == 200
    (reply,) = await response_posts(bot.slack, token)
    assert "2 need you" in reply["text"]


async def test_slacks_own_payload_opens_a_receipt(bot: RunningBot) -> None:
    """The same real payload on a View button: no ``message`` in it (an ephemeral click)."""
    receipts = await answer(bot, f"{BEN} receipts")
    view = button(receipts, RECEIPT_VIEW_ACTION_PREFIX)
    payload, token = slack_payloads.block_actions(
        SLACK_PAYLOAD, bot.driver, view["action_id"], view["value"]
    )
    assert "message" not in payload and payload["container"]["is_ephemeral"] is True
    sent = await slack_payloads.send_payload(bot.driver, payload, token)
    assert sent.response.status_code == 200
    (opened,) = await api_calls(bot.slack, "views.open")
    assert opened.message["trigger_id"] == payload["trigger_id"]
    (updated,) = await api_calls(bot.slack, "views.update")
    assert any(b["type"] == "image" for b in updated.message["view"]["blocks"])


async def test_receipts_stay_private_beside_a_visible_card(
    bot_factory: Any, sandbox: SandboxServer
) -> None:
    bot = await bot_factory(crowdtwist_main_url=sandbox.base_url, reply_visibility="in_channel")
    card = await answer(bot, ALICE)
    assert card["response_type"] == "in_channel"
    pressed = button(card, RECEIPTS_ACTION)
    sent = await bot.driver.click(pressed["action_id"], pressed["value"], ephemeral=False)
    (reply,) = await response_posts(bot.slack, sent.token)
    assert reply["response_type"] == "ephemeral"  # a member's scans are for the asker only
    assert reply["replace_original"] is False  # the visible card stays
    paged = await answer(bot, f"{DEV} receipts")
    assert paged["response_type"] == "ephemeral"


async def test_view_when_the_receipt_is_gone_or_crowdtwist_fails(
    bot_factory: Any, sandbox: SandboxServer
) -> None:
    # Without a main-host cache every View reads the receipts again.
    bot = await bot_factory(crowdtwist_main_url=sandbox.base_url, member_summary_ttl_seconds=0)
    message = await answer(bot, f"{ALICE} receipts")
    view = button(message, RECEIPT_VIEW_ACTION_PREFIX)
    gone = json.loads(view["value"]) | {"r": "no-such-receipt"}
    await bot.driver.click(view["action_id"], json.dumps(gone))
    (first,) = await api_calls(bot.slack, "views.update")
    assert "no longer among the member's receipts" in text_of(first.message["view"])
    sandbox.main_faults.inject(503, '{"error": "internal_error"}', times=3)  # every attempt
    await bot.driver.click(view["action_id"], view["value"])
    _, second = await api_calls(bot.slack, "views.update", count=2)
    assert "CrowdTwist is not answering" in text_of(second.message["view"])


async def test_a_modal_slack_refuses_twice_never_stays_loading(bot: RunningBot) -> None:
    message = await answer(bot, f"{ALICE} receipts")
    view = button(message, RECEIPT_VIEW_ACTION_PREFIX)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "invalid_blocks"}, times=2)
    await bot.driver.click(view["action_id"], view["value"])
    *_, last = await api_calls(bot.slack, "views.update", count=3)
    assert "The receipt could not be shown" in text_of(last.message["view"])


async def test_seeing_a_card_does_not_grant_its_receipts(
    bot_factory: Any, sandbox: SandboxServer
) -> None:
    bot = await bot_factory(
        crowdtwist_main_url=sandbox.base_url, allowed_slack_user_ids=frozenset({USER})
    )
    card = await answer(bot, ALICE)
    pressed = button(card, RECEIPTS_ACTION)
    click = await bot.driver.click(pressed["action_id"], pressed["value"], user="U0NOTALLOWED")
    (note,) = await response_posts(bot.slack, click.token)
    assert "not on the list" in text_of(note)
    assert receipt_requests(bot) == []
