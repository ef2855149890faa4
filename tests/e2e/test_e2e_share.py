"""End to end: the Share button posts a private card visibly where it was, naming the sharer.

Signed requests into the real app; the sandbox CrowdTwist and the loopback fake Slack over
HTTP. Every message seen is checked against Block Kit's limits (``tests/e2e_helpers.py``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.share import ShareRef
from bot.slack_ids import NEXT_PAGE_ACTION, PREV_PAGE_ACTION, SHARE_ACTION
from tests.conftest import RunningBot
from tests.e2e.test_e2e_slack import form_values
from tests.support.e2e_helpers import api_calls, button, has_button, response_posts, text_of
from tests.support.slack_driver import CHANNEL, USER

ALICE = "alice@example.com"
THREAD = "1700000000.000300"


async def card_for(bot: RunningBot, text: str) -> dict[str, Any]:
    sent = await bot.driver.command(text)
    (message,) = await response_posts(bot.slack, sent.token)
    return message


async def test_share_posts_a_visible_copy_that_names_the_sharer_and_pages_in_place(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.audit")
    card = await card_for(bot, f"{ALICE} from:2025-01-01")
    assert card["response_type"] == "ephemeral"
    share = button(card, SHARE_ACTION)
    ref = ShareRef.decode(share["value"])
    assert ref is not None and ref.target.channel_id == CHANNEL and ref.target.thread_ts is None
    assert ref.query.member == ALICE and ref.query.page == 1

    click = await bot.driver.click(SHARE_ACTION, share["value"])
    assert click.response.status_code == 200
    (posted,) = await api_calls(bot.slack, "chat.postMessage")
    copy = posted.message
    assert copy["channel"] == CHANNEL and not copy.get("thread_ts")
    assert f"<@{USER}>" in copy["text"]
    assert f"Shared by <@{USER}>" in json.dumps(copy["blocks"])
    assert "Page 1 of 3" in text_of(copy)
    assert not has_button(copy, SHARE_ACTION)
    assert has_button(copy, NEXT_PAGE_ACTION)

    (note,) = await response_posts(bot.slack, click.token)
    assert note["replace_original"] is True
    (link,) = await api_calls(bot.slack, "chat.getPermalink")
    assert link.args["channel"] == CHANNEL and link.args["message_ts"] == posted.result["ts"]
    assert link.result["permalink"] in json.dumps(note["blocks"])
    assert "Shared" in text_of(note)

    # Paging the shared copy: its click carries the visible message; it stays visible,
    # still names the sharer, and gets no Share button.
    page_click = await bot.driver.click(
        NEXT_PAGE_ACTION,
        button(copy, NEXT_PAGE_ACTION)["value"],
        ephemeral=False,
        message={"ts": posted.result["ts"], "blocks": copy["blocks"]},
        user="U0COLLEAGUE",
    )
    (page2,) = await response_posts(bot.slack, page_click.token)
    assert page2["replace_original"] is True and "response_type" not in page2
    assert "Page 2 of 3" in text_of(page2)
    assert f"Shared by <@{USER}>" in json.dumps(page2["blocks"])
    assert not has_button(page2, SHARE_ACTION)
    assert has_button(page2, PREV_PAGE_ACTION)

    shares = [
        line
        for line in (json.loads(r.getMessage()) for r in caplog.records if r.name == "bot.audit")
        if line["entry"] == "share"
    ]
    assert len(shares) == 1 and shares[0]["outcome"] == "ok" and shares[0]["user"] == USER
    assert ALICE not in json.dumps(shares[0]) and shares[0]["member"].startswith("m_")


async def test_paging_a_private_card_keeps_its_share_button(bot: RunningBot) -> None:
    card = await card_for(bot, ALICE)
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (page2,) = await response_posts(bot.slack, click.token)
    ref = ShareRef.decode(button(page2, SHARE_ACTION)["value"])
    assert ref is not None and ref.query.page == 2


async def test_share_from_a_shortcut_lands_in_that_messages_thread(bot: RunningBot) -> None:
    await bot.driver.shortcut("Where are my points? alice@example.com", ts=THREAD)
    (private,) = await api_calls(bot.slack, "chat.postEphemeral")
    card = private.message
    assert card["thread_ts"] == THREAD
    share = button(card, SHARE_ACTION)
    # A click on an ephemeral message carries no message: the thread is in the value.
    click = await bot.driver.click(SHARE_ACTION, share["value"], thread_ts=None)
    (posted,) = await api_calls(bot.slack, "chat.postMessage")
    assert posted.message["channel"] == CHANNEL
    assert posted.message["thread_ts"] == THREAD
    assert f"<@{USER}>" in posted.message["text"]
    (note,) = await response_posts(bot.slack, click.token)
    assert note["replace_original"] is True


async def test_share_where_the_bot_is_not_in_the_channel_says_how_to_invite_it(
    bot: RunningBot,
) -> None:
    card = await card_for(bot, ALICE)
    bot.slack.fail("chat.postMessage", 200, body={"ok": False, "error": "not_in_channel"}, times=1)
    click = await bot.driver.click(SHARE_ACTION, button(card, SHARE_ACTION)["value"])
    (hint,) = await response_posts(bot.slack, click.token)
    assert hint["replace_original"] is False and hint["response_type"] == "ephemeral"
    assert "/invite @purchases" in text_of(hint)
    assert not bot.slack.calls_to("chat.getPermalink")


async def test_share_into_a_private_channel_the_bot_cannot_see_gives_the_same_hint(
    bot: RunningBot,
) -> None:
    card = await card_for(bot, ALICE)
    bot.slack.fail("chat.postMessage", 200, body={"ok": False, "error": "channel_not_found"})
    click = await bot.driver.click(SHARE_ACTION, button(card, SHARE_ACTION)["value"])
    (hint,) = await response_posts(bot.slack, click.token)
    assert "/invite @purchases" in text_of(hint) and hint["replace_original"] is False


async def test_sharing_disabled_gives_no_button(bot_factory: Any) -> None:
    bot = await bot_factory(sharing_enabled=False)
    card = await card_for(bot, ALICE)
    assert not has_button(card, SHARE_ACTION)
    assert has_button(card, NEXT_PAGE_ACTION)


async def test_visible_cards_have_no_share_button(bot_factory: Any) -> None:
    bot = await bot_factory(reply_visibility="in_channel")
    card = await card_for(bot, ALICE)
    assert card["response_type"] == "in_channel"
    assert not has_button(card, SHARE_ACTION)


async def test_a_tampered_share_value_posts_nothing(bot: RunningBot) -> None:
    card = await card_for(bot, ALICE)
    ref = ShareRef.decode(button(card, SHARE_ACTION)["value"])
    assert ref is not None
    elsewhere = ref.encode().replace(CHANNEL, "C0ELSEWHERE")
    click = await bot.driver.click(SHARE_ACTION, elsewhere)
    (refused,) = await response_posts(bot.slack, click.token)
    assert "no longer works" in text_of(refused)
    garbage = await bot.driver.click(SHARE_ACTION, '{"q":"nope","c":"C0SUPPORT"}')
    await response_posts(bot.slack, garbage.token)
    assert not bot.slack.calls_to("chat.postMessage")


async def test_the_allow_lists_apply_to_the_share_click(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_user_ids=frozenset({USER}))
    card = await card_for(bot, ALICE)
    click = await bot.driver.click(
        SHARE_ACTION, button(card, SHARE_ACTION)["value"], user="U0STRANGER"
    )
    (denied,) = await response_posts(bot.slack, click.token)
    assert "not on the list" in text_of(denied)
    assert not bot.slack.calls_to("chat.postMessage")


async def test_a_card_from_the_form_carries_share_for_its_channel(bot: RunningBot) -> None:
    command = await bot.driver.command("")
    (opened,) = await api_calls(bot.slack, "views.open")
    sent = await bot.driver.submit_view(opened.message["view"], form_values(ALICE))
    assert sent.response.status_code == 200
    (card,) = await response_posts(bot.slack, command.token)  # the form's origin
    ref = ShareRef.decode(button(card, SHARE_ACTION)["value"])
    assert ref is not None and ref.target.channel_id == CHANNEL and ref.query.member == ALICE
