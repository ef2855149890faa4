"""Hostile input, odd identifiers and broken upstreams: each answered once and correctly."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from bot import replies
from bot.crowdtwist.models import IdType
from bot.fake_slack import RESPONSE_METHOD
from bot.fake_slack.signing import signed_headers
from bot.logs import configure_logging
from bot.query import PurchaseQuery, encode_query
from bot.slack_ids import (
    DETAILS_ACTION_PREFIX,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    NEXT_PAGE_ACTION,
)
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.support.e2e_helpers import api_calls, button, response_posts, text_of
from tests.support.slack_driver import CHANNEL, USER

ALICE = "alice@example.com"


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


# -- defect 1: "payload" anywhere in a command's form ---------------------------------------


async def test_a_command_for_a_member_named_payload_is_answered(bot: RunningBot) -> None:
    sent = await bot.driver.command("payload@example.com")
    assert sent.response.status_code == 200
    (answer,) = await response_posts(bot.slack, sent.token)
    assert "No member found for `payload@example.com`" in text_of(answer)
    assert bot.sandbox.requests[0].path == "/users/payload%40example.com/purchases"


@pytest.mark.parametrize("where", [{"channel_name": "payload-team"}, {"user_name": "payloadqa"}])
async def test_a_command_from_a_payload_channel_or_user_gets_its_card(
    bot: RunningBot, where: dict[str, str]
) -> None:
    sent = await bot.driver.command(ALICE, **where)
    assert sent.response.status_code == 200
    (card,) = await response_posts(bot.slack, sent.token)
    assert "Page 1 of 3" in text_of(card)


# -- defect 5: unsigned junk and clients that hang up ---------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "junk"},
        {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=" + "0" * 64},
        {},
    ],
)
async def test_malformed_signature_headers_are_refused_quietly(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    body = b"command=%2Fpurchases&text=alice%40example.com"
    response, _ = await bot.driver.post(body, headers=headers)
    assert response.status_code == 401
    assert errors_logged(caplog) == []
    assert bot.sandbox.requests == []


async def test_clients_that_hang_up_mid_body_leave_no_error_in_the_log(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    port = bot.runner.addresses[0][1]
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 4000\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: 1700000000\r\nX-Slack-Signature: v0={'0' * 64}\r\n\r\n"
    ).encode()
    for _ in range(20):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + b"command=%2Fpurchases&text=ali")
        await writer.drain()
        writer.transport.abort()  # a reset, mid-body
    for _ in range(5):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + b"command=")
        await writer.drain()
        writer.close()  # a clean close, mid-body
    await asyncio.sleep(0.5)
    assert errors_logged(caplog) == []
    after = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, after.token)
    assert "Page 1 of 3" in text_of(card)


# -- defect 3: member tags in the log equal the audit channel's -----------------------------


async def test_the_logged_member_tag_equals_the_audit_channels(
    bot_factory: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    bot = await bot_factory(audit_channel_id="C0AUDIT")
    tag = bot.services.audit.member_tag
    members = [f"member{i}@example.com" for i in range(400)]
    digit_runs = [m for m in members if re.search(r"[0-9]{7}", tag(m))][:6]
    chosen = [*digit_runs, "alice@example.com", "bob@example.com"]
    assert len(digit_runs) == 6
    configure_logging("INFO", "json")
    try:
        for member in chosen:
            sent = await bot.driver.command(member)
            await response_posts(bot.slack, sent.token)
        copies = await api_calls(bot.slack, "chat.postMessage", count=len(chosen))
    finally:
        logging.getLogger().handlers.clear()
    logged = [
        json.loads(json.loads(line)["message"])["member"]
        for line in capfd.readouterr().err.splitlines()
        if '"logger": "bot.audit"' in line
    ]
    found = [re.search(r"member `([^`]+)`", c.args["text"]) for c in copies]
    assert all(found), [c.args["text"] for c in copies]
    in_channel = [match.group(1) for match in found if match]
    assert logged == in_channel == [tag(m) for m in chosen]


# -- defect 2: a huge pasted message cannot stall the bot -----------------------------------


async def test_three_huge_shortcuts_at_once_leave_a_plain_command_prompt(bot: RunningBot) -> None:
    huge = [("a." * 20_000), ("1 " * 20_000)[:-1] + "x", "x@" + "a." * 19_999]
    shortcuts = [
        asyncio.create_task(bot.driver.shortcut(text, ts=f"1700000000.00{i}900"))
        for i, text in enumerate(huge)
    ]
    await asyncio.sleep(0.05)
    command = await bot.driver.command(ALICE)
    sent = await asyncio.gather(*shortcuts)
    # Slack gives up on an ack after 3 s: a correctness limit, far above a normal ack.
    assert command.ack_seconds < 3
    assert all(s.response.status_code == 200 and s.ack_seconds < 3 for s in sent)
    (card,) = await response_posts(bot.slack, command.token)
    assert "Page 1 of 3" in text_of(card)
    opened = await api_calls(bot.slack, "views.open", count=3)  # nothing found: the form
    assert len(opened) == 3


# -- defect 6: apostrophes and + in emails --------------------------------------------------

ONEIL = "o'neil+vip@example.com"


@pytest.mark.parametrize("text", [f"Hi, I am {ONEIL}.", f"From <mailto:{ONEIL}|{ONEIL}>"])
async def test_the_shortcut_finds_an_email_with_an_apostrophe_and_a_plus(
    bot: RunningBot, text: str
) -> None:
    await bot.driver.shortcut(text, ts="1700000000.000400")
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    assert call.message["thread_ts"] == "1700000000.000400"
    shown = text_of(call.message)
    assert f"Purchases for {ONEIL}" in shown
    assert "No member found" not in shown and "purchase" in shown
    assert bot.sandbox.requests[0].path == "/users/o%27neil%2Bvip%40example.com/purchases"


# -- defect 7: the Details modal uses the card's cap rule -----------------------------------


async def test_details_of_an_order_awaiting_fulfilment_do_not_say_capped(bot: RunningBot) -> None:
    sent = await bot.driver.command(f"{ALICE} since 2025-06-01")
    (card,) = await response_posts(bot.slack, sent.token)
    assert "298 points awaiting fulfilment" in text_of(card)
    details = next(
        element
        for block in card["blocks"]
        if "NW-400026" in block.get("text", {}).get("text", "")
        for element in [block["accessory"]]
    )
    assert details["accessibility_label"] == "Details of Order NW-400026"
    await bot.driver.click(details["action_id"], details["value"])
    (updated,) = await api_calls(bot.slack, "views.update")
    shown = text_of(updated.message["view"])
    assert "Capped" not in shown
    assert "298 points awaiting fulfilment" in shown


# -- defect 8: non-string values in payloads ------------------------------------------------


async def test_a_form_submitted_with_a_non_string_member_is_told_to_fill_it(
    bot: RunningBot,
) -> None:
    view = {"type": "modal", "callback_id": "purchases_lookup", "private_metadata": "{}"}
    values = {
        FORM_MEMBER_BLOCK: {FORM_MEMBER_ACTION: {"type": "plain_text_input", "value": {"x": 1}}}
    }
    sent = await bot.driver.submit_view(view, values)
    answer = sent.response.json()
    assert answer["response_action"] == "errors"
    assert FORM_MEMBER_BLOCK in answer["errors"]
    assert "{'x': 1}" not in json.dumps(answer)
    assert bot.sandbox.requests == []


@pytest.mark.parametrize("text", [{"x": 1}, 12345, ["alice@example.com"]])
async def test_a_shortcut_with_non_string_text_opens_the_form(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, text: object
) -> None:
    sent = await bot.driver.interactive(
        {
            "type": "message_action",
            "callback_id": "purchase_history",
            "message_ts": "1700000000.000200",
            "user": {"id": "U0AGENT01", "username": "agent", "team_id": "T0BRAND01"},
            "channel": {"id": "C0SUPPORT", "name": "support"},
            "message": {
                "type": "message",
                "ts": "1700000000.000200",
                "text": text,
                "attachments": "x",
            },
        }
    )
    assert sent.response.status_code == 200
    (opened,) = await api_calls(bot.slack, "views.open")
    assert opened.message["view"]["callback_id"] == "purchases_lookup"
    assert errors_logged(caplog) == []


# -- defect 4: a huge or endless CrowdTwist body ---------------------------------------------


@pytest.mark.parametrize("fault", ["huge", "endless"])
async def test_a_runaway_crowdtwist_body_gets_one_clear_answer(
    bot_factory: Any, fault: str
) -> None:
    bot = await bot_factory(crowdtwist_max_response_bytes=512 * 1024)
    if fault == "huge":
        bot.sandbox.faults.inject_huge_body(40 * 1024 * 1024)
    else:
        bot.sandbox.faults.inject_endless_body()
    sent = await bot.driver.command(ALICE)
    (answer,) = await response_posts(bot.slack, sent.token)
    assert "CrowdTwist sent an answer the bot could not read" in text_of(answer)
    assert len(bot.sandbox.requests) == 1
    again = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, again.token)
    assert "Page 1 of 3" in text_of(card)


# -- risk: a response_url Slack refuses ----------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
async def test_a_refused_response_url_falls_back_to_an_ephemeral_post(
    bot: RunningBot, status: int
) -> None:
    bot.slack.fail(RESPONSE_METHOD, status, times=10)
    sent = await bot.driver.command(ALICE)
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    assert (call.message["channel"], call.message["user"]) == (CHANNEL, USER)
    assert "Page 1 of 3" in text_of(call.message)
    assert next(c.args["_token"] for c in bot.slack.calls_to(RESPONSE_METHOD)) == sent.token
    assert bot.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("status", "headers", "waited"),
    [(503, {}, None), (429, {"Retry-After": "20"}, [3.0]), (429, {}, [1.0])],
)
async def test_a_response_url_that_fails_once_is_retried_and_answered_once(
    bot: RunningBot,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    headers: dict[str, str],
    waited: list[float] | None,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(replies, "_sleep", sleep)
    bot.slack.fail(RESPONSE_METHOD, status, headers=headers, times=1)
    sent = await bot.driver.command(ALICE)
    refused, card = await response_posts(bot.slack, sent.token, count=2)
    assert refused == card and "Page 1 of 3" in text_of(card)
    calls = bot.slack.calls_to(RESPONSE_METHOD)
    assert [call.result.get("status") for call in calls][:1] == [status]
    await asyncio.sleep(0.2)  # a third post or a fallback would show by now
    assert len(bot.slack.calls_to(RESPONSE_METHOD)) == 2
    assert bot.slack.calls_to("chat.postEphemeral") == []
    if waited is not None:  # a 429 waits as Slack asks, capped (5xx backs off by itself)
        assert slept == waited


async def test_a_failed_page_click_answers_in_the_thread_then_the_dm(bot: RunningBot) -> None:
    sent = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, sent.token)
    bot.slack.fail(RESPONSE_METHOD, 404, times=10)
    bot.slack.fail("chat.postEphemeral", 200, body={"ok": False, "error": "channel_not_found"})
    value = button(card, NEXT_PAGE_ACTION)["value"]
    await bot.driver.click(NEXT_PAGE_ACTION, value, thread_ts="1700000000.000050")
    (tried,) = await bot.slack.wait_for(lambda c: c.method == "chat.postEphemeral")
    assert tried.args["thread_ts"] == "1700000000.000050"
    (dm,) = await api_calls(bot.slack, "chat.postMessage")
    assert "Page 2 of 3" in text_of(dm.message)
    assert bot.slack.calls_to("conversations.open")


# -- risks: the thread is kept on fallbacks; Details never stays on "Loading…" ----------------


async def test_a_visible_shortcut_answer_the_bot_may_not_post_stays_in_the_thread(
    bot_factory: Any,
) -> None:
    bot = await bot_factory(reply_visibility="in_channel")
    bot.slack.fail("chat.postMessage", 200, body={"ok": False, "error": "not_in_channel"})
    await bot.driver.shortcut(ALICE, ts="1700000000.000800")
    (call,) = await api_calls(bot.slack, "chat.postEphemeral")
    assert call.message["thread_ts"] == "1700000000.000800"
    assert "Page 1 of 3" in text_of(call.message)
    assert bot.slack.calls_to(RESPONSE_METHOD) == []


async def test_a_shortcut_answer_never_leaves_the_thread_for_the_channel(bot: RunningBot) -> None:
    bot.slack.fail("chat.postEphemeral", 200, body={"ok": False, "error": "channel_not_found"})
    bot.slack.fail(RESPONSE_METHOD, 404, times=10)
    await bot.driver.shortcut(ALICE, ts="1700000000.000900")
    (dm,) = await api_calls(bot.slack, "chat.postMessage")
    assert "Page 1 of 3" in text_of(dm.message)
    tried = bot.slack.calls_to("chat.postEphemeral")
    assert tried and all(c.args.get("thread_ts") == "1700000000.000900" for c in tried)


async def test_details_that_slack_refuses_do_not_stay_loading(bot: RunningBot) -> None:
    sent = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, sent.token)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "invalid_arguments"})
    details = button(card, DETAILS_ACTION_PREFIX)
    await bot.driver.click(details["action_id"], details["value"])
    first, second = await bot.slack.wait_for(lambda c: c.method == "views.update", count=2)
    assert first.result == {"status": 200}
    assert second.result["ok"] is True
    assert "could not be shown" in text_of(second.message["view"])


# -- risk: a paging link to page 99,999,999,999 ---------------------------------------------


async def test_prefetch_follows_only_links_to_pages_that_exist(bot: RunningBot) -> None:
    far = (
        f"{bot.sandbox.base_url}/users/alice%40example.com/purchases?id_type=email&page=99999999999"
    )
    page = {
        "purchases": [{"purchase_id": "o1", "purchase_id_type": "order_id"}],
        "paging": {"total": 12, "pages": 2, "next_page": far, "prev_page": ""},
    }
    bot.sandbox.faults.inject(200, json.dumps(page))
    sent = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, sent.token)
    assert "Page 1 of 2" in text_of(card)
    await asyncio.sleep(0.3)
    asked = [r.query.get("page", "1") for r in bot.sandbox.requests]
    assert asked == ["1"]
    assert bot.services.crowdtwist.stats.prefetches == 0


# -- risk: replays within Slack's window ----------------------------------------------------


async def test_a_signed_command_replayed_50_times_is_processed_once(bot: RunningBot) -> None:
    url, token = bot.driver.new_response_url()
    form = {
        "command": "/purchases",
        "text": ALICE,
        "user_id": USER,
        "channel_id": CHANNEL,
        "team_id": "T0BRAND01",
        "response_url": url,
        "trigger_id": "trig-replayed",
    }
    body = urlencode(form).encode()
    headers = signed_headers(SIGNING_SECRET, body)
    answers = await asyncio.gather(*(bot.driver.post(body, headers=headers) for _ in range(50)))
    assert all(response.status_code == 200 for response, _ in answers)
    assert sorted(response.text for response, _ in answers) == [""] * 50
    (card,) = await response_posts(bot.slack, token)
    assert "Page 1 of 3" in text_of(card)
    await asyncio.sleep(0.3)
    assert len([c for c in bot.slack.calls_to(RESPONSE_METHOD) if c.args["_token"] == token]) == 1
    assert len([r for r in bot.sandbox.requests if r.query.get("page", "1") == "1"]) == 1


async def test_a_replayed_click_is_processed_once(bot: RunningBot) -> None:
    sent = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, sent.token)
    value = button(card, NEXT_PAGE_ACTION)["value"]
    first = await bot.driver.click(NEXT_PAGE_ACTION, value, trigger_id="trig-click-once")
    again = await bot.driver.click(NEXT_PAGE_ACTION, value, trigger_id="trig-click-once")
    assert again.response.status_code == 200 and again.response.text == ""
    await response_posts(bot.slack, first.token)
    await asyncio.sleep(0.3)
    assert [c for c in bot.slack.calls_to(RESPONSE_METHOD) if c.args["_token"] == again.token] == []


@pytest.mark.parametrize(
    "tampered",
    [{"container": "x"}, {"container": {"thread_ts": 5}}, {"message": ["x"]}],
)
async def test_a_click_with_odd_shapes_is_answered_without_a_traceback(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, tampered: dict[str, Any]
) -> None:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": USER, "username": "agent", "team_id": "T0BRAND01"},
        "channel": {"id": CHANNEL, "name": "support"},
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True},
        "actions": [
            {
                "type": "button",
                "action_id": NEXT_PAGE_ACTION,
                "value": encode_query(PurchaseQuery(ALICE, IdType.EMAIL, page=2)),
            }
        ],
    }
    sent = await bot.driver.interactive(payload | tampered)
    assert sent.response.status_code == 200
    (page,) = await response_posts(bot.slack, sent.token)
    assert "Page 2 of 3" in text_of(page)
    assert errors_logged(caplog) == []
