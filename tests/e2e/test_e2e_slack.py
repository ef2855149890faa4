"""End to end: signed requests into the real Bolt app behind its real HTTP server.

CrowdTwist is the sandbox over HTTP; Slack's Web API and response_url are the loopback fake,
which records what the bot sent. Every message seen is checked against Block Kit's limits.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from bot.fake_slack import RESPONSE_METHOD
from bot.fake_slack.signing import signed_headers
from bot.query import decode_query
from bot.slack_ids import (
    CHOOSE_MEMBER_ACTION_PREFIX,
    DETAILS_ACTION_PREFIX,
    FORM_END_ACTION,
    FORM_END_BLOCK,
    FORM_ID_TYPE_ACTION,
    FORM_ID_TYPE_BLOCK,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_START_ACTION,
    FORM_START_BLOCK,
    LOOKUP_VIEW_CALLBACK_ID,
    NEXT_PAGE_ACTION,
    PREV_PAGE_ACTION,
)
from tests.conftest import RunningBot
from tests.support.e2e_helpers import api_calls, button, has_button, response_posts, text_of
from tests.support.slack_driver import CHANNEL, USER

ALICE = "alice@example.com"


async def card_for(bot: RunningBot, text: str) -> dict[str, Any]:
    sent = await bot.driver.command(text)
    assert sent.response.status_code == 200
    (message,) = await response_posts(bot.slack, sent.token)
    return message


async def test_command_answers_with_the_card_privately(bot: RunningBot) -> None:
    sent = await bot.driver.command(ALICE)
    assert sent.response.status_code == 200
    assert sent.response.text == ""  # an empty ack posts nothing
    (card,) = await response_posts(bot.slack, sent.token)
    seen = text_of(card)
    assert card["response_type"] == "ephemeral"
    assert "Purchases for alice@example.com" in seen
    assert "Searched as email" in seen
    assert "27 purchases" in seen
    assert "Page 1 of 3" in seen
    assert seen.count("[Details]") == 10
    assert has_button(card, NEXT_PAGE_ACTION)
    assert not has_button(card, PREV_PAGE_ACTION)
    assert "<!date^" in json.dumps(card["blocks"])  # reader's own time zone


async def test_reply_visibility_setting_makes_cards_visible(bot_factory: Any) -> None:
    bot = await bot_factory(reply_visibility="in_channel")
    card = await card_for(bot, ALICE)
    assert card["response_type"] == "in_channel"


async def test_next_and_previous_replace_the_card_in_place(bot: RunningBot) -> None:
    card = await card_for(bot, f"{ALICE} from:2025-01-01")
    nxt = button(card, NEXT_PAGE_ACTION)
    query = decode_query(nxt["value"])
    assert query is not None
    assert (query.member, query.page, str(query.start)) == (ALICE, 2, "2025-01-01")

    click = await bot.driver.click(NEXT_PAGE_ACTION, nxt["value"])
    assert click.response.status_code == 200
    (page2,) = await response_posts(bot.slack, click.token)
    assert page2["replace_original"] is True
    assert "Page 2 of 3" in text_of(page2)
    assert has_button(page2, PREV_PAGE_ACTION) and has_button(page2, NEXT_PAGE_ACTION)

    back = await bot.driver.click(PREV_PAGE_ACTION, button(page2, PREV_PAGE_ACTION)["value"])
    (page1,) = await response_posts(bot.slack, back.token)
    assert page1["replace_original"] is True
    assert "Page 1 of 3" in text_of(page1)


async def test_paging_in_a_thread_on_a_visible_message(bot: RunningBot) -> None:
    card = await card_for(bot, ALICE)
    click = await bot.driver.click(
        NEXT_PAGE_ACTION,
        button(card, NEXT_PAGE_ACTION)["value"],
        ephemeral=False,
        thread_ts="1700000000.000200",
    )
    (page2,) = await response_posts(bot.slack, click.token)
    assert page2["replace_original"] is True
    assert "Page 2 of 3" in text_of(page2)


async def test_next_is_served_from_the_prefetched_page(bot: RunningBot) -> None:
    card = await card_for(bot, ALICE)
    await asyncio.sleep(0.2)  # the agent reads the card; the bot fetches page 2 meanwhile
    before = len(bot.sandbox.requests)
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (page2,) = await response_posts(bot.slack, click.token)
    assert "Page 2 of 3" in text_of(page2)
    await asyncio.sleep(0.2)
    after = [r.query.get("page") for r in bot.sandbox.requests[before:]]
    assert after == ["3"]  # page 2 came from the cache; page 3 is the next prefetch


async def test_the_last_page_has_no_next(bot: RunningBot) -> None:
    card = await card_for(bot, f"{ALICE} page:3")
    assert "Page 3 of 3" in text_of(card)
    assert has_button(card, PREV_PAGE_ACTION)
    assert not has_button(card, NEXT_PAGE_ACTION)


async def test_a_page_past_the_last_says_so_and_offers_the_way_back(bot: RunningBot) -> None:
    card = await card_for(bot, f"{ALICE} page:9")
    seen = text_of(card)
    assert "past the last page" in seen
    back = decode_query(button(card, PREV_PAGE_ACTION)["value"])
    assert back is not None and back.page == 3


async def test_empty_history_says_no_purchases(bot: RunningBot) -> None:
    card = await card_for(bot, "ben.okafor@example.com")
    assert "No purchases" in text_of(card)
    assert not has_button(card, NEXT_PAGE_ACTION)
    ranged = await card_for(bot, f"{ALICE} 2020-01-01 2020-12-31")
    assert "No purchases from 2020-01-01 to 2020-12-31" in text_of(ranged)


async def test_help_is_answered_in_the_ack(bot: RunningBot) -> None:
    sent = await bot.driver.command("help")
    body = sent.response.json()
    assert "/purchases <member>" in text_of(body)
    assert "last 30 days" in text_of(body)
    assert bot.sandbox.requests == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{ALICE} 2024-02-30", "2024-02-30"),
        (f"{ALICE} 2024-03-01 2024-01-01", "before"),
        (f"{ALICE} type:fax", "fax"),
        ("from:2024-01-01", "Tell me whose purchases"),
    ],
)
async def test_bad_input_is_answered_at_once_without_calling_crowdtwist(
    bot: RunningBot, text: str, expected: str
) -> None:
    sent = await bot.driver.command(text)
    assert sent.response.status_code == 200
    body = sent.response.json()
    seen = text_of(body)
    assert expected in seen
    assert "/purchases <member> [<start> [<end>]]" in seen
    await asyncio.sleep(0.1)
    assert bot.sandbox.requests == []
    assert bot.slack.calls_to(RESPONSE_METHOD) == []


async def test_member_not_found_names_the_identifier_and_type(bot: RunningBot) -> None:
    card = await card_for(bot, "nobody@example.com")
    seen = text_of(card)
    assert "nobody@example.com" in seen and "email" in seen
    assert card["response_type"] == "ephemeral"
    assert "{" not in card["text"]
    by_id = await card_for(bot, "999999999")
    assert "999999999" in text_of(by_id) and "CrowdTwist id" in text_of(by_id)


@pytest.mark.parametrize(
    ("member", "words"),
    [
        ("not-configured@example.com", "not set up"),
        ("outage@example.com", "try again"),
    ],
)
async def test_crowdtwist_failures_are_explained(bot: RunningBot, member: str, words: str) -> None:
    card = await card_for(bot, member)
    assert words in text_of(card).lower()
    assert card["response_type"] == "ephemeral"


async def test_a_wrong_api_key_tells_the_agent_to_ask_an_admin_and_logs_why(
    bot_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from pydantic import SecretStr

    bot = await bot_factory(crowdtwist_api_key=SecretStr("wrong-key-123456"))
    card = await card_for(bot, ALICE)
    assert "admin" in text_of(card).lower()
    assert "CROWDTWIST_API_KEY was refused" in caplog.text
    assert "wrong-key-123456" not in caplog.text


async def test_garbage_from_crowdtwist_is_a_clear_answer(bot: RunningBot) -> None:
    bot.sandbox.faults.inject(200, b"<html>proxy error</html>", content_type="text/html")
    card = await card_for(bot, ALICE)
    assert "could not read" in text_of(card).lower()
    assert "<html>" not in json.dumps(card)


async def test_invalid_input_from_crowdtwist_is_shown(bot: RunningBot) -> None:
    bot.sandbox.faults.inject(
        400, json.dumps({"error": "invalid_parameter", "message": "ID type is invalid."})
    )
    card = await card_for(bot, ALICE)
    assert "ID type is invalid." in text_of(card)


async def test_a_failed_page_click_keeps_the_card(bot_factory: Any) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False)
    card = await card_for(bot, ALICE)
    bot.sandbox.faults.inject(503, b"{}", times=10)
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (note,) = await response_posts(bot.slack, click.token)
    assert note["replace_original"] is False
    assert note["response_type"] == "ephemeral"
    assert "unchanged" in text_of(note)
    retry = decode_query(button(note, NEXT_PAGE_ACTION)["value"])
    assert retry is not None and retry.page == 2


async def test_a_tampered_button_value_is_refused(bot: RunningBot) -> None:
    click = await bot.driver.click(NEXT_PAGE_ACTION, '{"m":"","t":"sql","p":-1}')
    (note,) = await response_posts(bot.slack, click.token)
    assert "no longer works" in note["text"]
    assert bot.sandbox.requests == []


async def test_the_shortcut_answers_in_the_messages_thread(bot: RunningBot) -> None:
    sent = await bot.driver.shortcut(
        "Hi, I bought shoes last week and got no points. "
        "<mailto:alice@example.com|alice@example.com>",
        ts="1700000000.000300",
    )
    assert sent.response.status_code == 200
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    message = call.message
    assert message["thread_ts"] == "1700000000.000300"
    assert (message["channel"], message["user"]) == (CHANNEL, USER)
    assert "Page 1 of 3" in text_of(message)


async def test_the_shortcut_on_a_threaded_reply_answers_in_that_thread(bot: RunningBot) -> None:
    await bot.driver.shortcut(
        "customer: +1 555 010 0040", ts="1700000000.000500", thread_ts="1700000000.000100"
    )
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    assert call.message["thread_ts"] == "1700000000.000100"
    assert "Searched as mobile phone number" in text_of(call.message)


async def test_the_shortcut_reads_forwarded_messages(bot: RunningBot) -> None:
    await bot.driver.shortcut(
        "", attachments=[{"text": "From <mailto:carmen.ruiz@example.com|carmen.ruiz@example.com>"}]
    )
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    assert "carmen.ruiz@example.com" in text_of(call.message)


async def test_visible_replies_post_into_the_thread(bot_factory: Any) -> None:
    bot = await bot_factory(reply_visibility="in_channel")
    await bot.driver.shortcut("alice@example.com", ts="1700000000.000700")
    (call,) = await api_calls(bot.slack, "chat.postMessage")
    assert call.message["thread_ts"] == "1700000000.000700"
    assert call.message["channel"] == CHANNEL


async def test_several_identifiers_let_the_agent_choose(bot: RunningBot) -> None:
    await bot.driver.shortcut(
        "Two accounts: <mailto:alice@example.com|alice@example.com> and carmen.ruiz@example.com",
        ts="1700000000.000900",
    )
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    chooser = call.message
    assert chooser["thread_ts"] == "1700000000.000900"
    pick = button(chooser, f"{CHOOSE_MEMBER_ACTION_PREFIX}_1")
    query = decode_query(pick["value"])
    assert query is not None and query.member == "carmen.ruiz@example.com"
    click = await bot.driver.click(pick["action_id"], pick["value"], thread_ts="1700000000.000900")
    (card,) = await response_posts(bot.slack, click.token)
    assert card["replace_original"] is True
    assert "carmen.ruiz@example.com" in text_of(card)
    assert "Page 1 of 2" in text_of(card)


async def test_a_message_without_identifiers_opens_the_form(bot: RunningBot) -> None:
    await bot.driver.shortcut("Where are my points?", ts="1700000000.001100")
    (call,) = await api_calls(bot.slack, "views.open")
    view = call.message["view"]
    assert view["callback_id"] == LOOKUP_VIEW_CALLBACK_ID
    assert json.loads(view["private_metadata"])["t"] == "1700000000.001100"


def form_values(
    member: str, id_type: str | None = None, start: str | None = None, end: str | None = None
) -> dict[str, Any]:
    option = (
        {"text": {"type": "plain_text", "text": id_type}, "value": id_type} if id_type else None
    )
    return {
        FORM_MEMBER_BLOCK: {FORM_MEMBER_ACTION: {"type": "plain_text_input", "value": member}},
        FORM_ID_TYPE_BLOCK: {
            FORM_ID_TYPE_ACTION: {"type": "static_select", "selected_option": option}
        },
        FORM_START_BLOCK: {FORM_START_ACTION: {"type": "datepicker", "selected_date": start}},
        FORM_END_BLOCK: {FORM_END_ACTION: {"type": "datepicker", "selected_date": end}},
    }


async def test_the_form_opens_validates_and_answers_in_the_channel(bot: RunningBot) -> None:
    sent = await bot.driver.command("", trigger_id="trig-form")
    assert sent.response.status_code == 200
    (opened,) = await api_calls(bot.slack, "views.open")
    view = opened.message["view"]
    assert opened.message["trigger_id"] == "trig-form"

    bad = await bot.driver.submit_view(view, form_values(ALICE, None, "2024-03-01", "2024-01-01"))
    assert bad.response.status_code == 200
    answer = bad.response.json()
    assert answer["response_action"] == "errors"
    assert FORM_END_BLOCK in answer["errors"]

    empty = await bot.driver.submit_view(view, form_values("  "))
    assert FORM_MEMBER_BLOCK in empty.response.json()["errors"]

    good = await bot.driver.submit_view(view, form_values(ALICE, "email", "2025-01-01"))
    assert good.response.status_code == 200 and good.response.text == ""
    (card,) = await response_posts(bot.slack, sent.token)
    assert "since 2025-01-01" in text_of(card)
    assert card["response_type"] == "ephemeral"


async def test_details_open_a_modal_then_fill_it(bot: RunningBot) -> None:
    card = await card_for(bot, ALICE)
    details = button(card, DETAILS_ACTION_PREFIX)
    click = await bot.driver.click(details["action_id"], details["value"], trigger_id="trig-d")
    assert click.response.status_code == 200
    (opened,) = await api_calls(bot.slack, "views.open")
    (updated,) = await api_calls(bot.slack, "views.update")
    assert opened.message["trigger_id"] == "trig-d"
    assert updated.message["view_id"] == opened.result["view"]["id"]
    seen = text_of(updated.message["view"])
    assert "Items" in seen and "USD" in seen


async def test_details_errors_show_in_the_modal(bot: RunningBot) -> None:
    click = await bot.driver.click(
        f"{DETAILS_ACTION_PREFIX}_0", json.dumps({"id": "no-such-order", "t": "order_id"})
    )
    assert click.response.status_code == 200
    (updated,) = await api_calls(bot.slack, "views.update")
    assert "no-such-order" in text_of(updated.message["view"])


async def test_acks_stay_fast_when_crowdtwist_takes_four_seconds(bot_factory: Any) -> None:
    bot = await bot_factory(crowdtwist_timeout_seconds=10)
    bot.sandbox.faults.latency_seconds = 4.0
    sent = await asyncio.gather(*(bot.driver.command(ALICE) for _ in range(5)))
    assert max(s.ack_seconds for s in sent) < 3.0
    for s in sent:
        (card,) = await response_posts(bot.slack, s.token)
        assert "Page 1 of 3" in text_of(card)


async def test_a_forged_signature_is_refused(bot: RunningBot) -> None:
    body = b"command=%2Fpurchases&text=alice%40example.com&user_id=U1&response_url=x"
    bad = signed_headers("not-the-secret", body)
    response, _ = await bot.driver.post(body, headers=bad)
    assert response.status_code == 401
    stale = signed_headers("test-signing-secret-8f3a", body, timestamp=1_600_000_000)
    response, _ = await bot.driver.post(body, headers=stale)
    assert response.status_code == 401
    response, _ = await bot.driver.post(body, headers={})
    assert response.status_code == 401
    await asyncio.sleep(0.1)
    assert bot.sandbox.requests == []
    assert bot.slack.calls == []


async def test_health_endpoint(bot: RunningBot) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{bot.base_url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_a_burst_at_start_up_checks_the_token_once(bot: RunningBot) -> None:
    sent = await asyncio.gather(*(bot.driver.command(ALICE) for _ in range(20)))
    assert all(s.response.status_code == 200 for s in sent)
    for s in sent:
        await response_posts(bot.slack, s.token)
    assert len(bot.slack.calls_to("auth.test")) == 1
