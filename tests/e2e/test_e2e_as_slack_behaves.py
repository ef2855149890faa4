"""As real Slack behaves (issue 24): the certificate check, refused modals, thread fallbacks,
malformed signed payloads, mrkdwn links, slow clients and private notes whose response_url
fails. Requests are payloads Slack itself produced (``tests/data/slack_payloads/``), adapted
and signed by ``tests/support/slack_payloads.py``, sent over real HTTP (or Socket Mode)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import replies
from bot.fake_slack import RESPONSE_METHOD, FakeSlack
from bot.listeners.actions import STALE_BUTTON
from bot.listeners.context import FormOrigin
from bot.runtime import serve_socket_mode
from bot.sandbox import SandboxServer
from bot.slack_ids import (
    DETAILS_ACTION_PREFIX,
    EXPORT_ACTION,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    LOOKUP_VIEW_CALLBACK_ID,
    NEXT_PAGE_ACTION,
    SHARE_ACTION,
)
from tests.conftest import RunningBot
from tests.e2e.test_socket_mode import socket_settings
from tests.support import slack_payloads as real
from tests.support.e2e_helpers import api_calls, button, response_posts, text_of
from tests.support.slack_driver import Sent, SlackDriver

ALICE = "alice@example.com"
BOLT_COMMAND = "bolt_python_slash_command"
JAVA_COMMAND = "java_slack_sdk_slash_command"
BOLT_CLICK = "bolt_python_block_actions_ephemeral"
JAVA_CLICK = "java_slack_sdk_block_actions"
BOLT_SHORTCUT = "bolt_python_message_shortcut"
JAVA_SHORTCUT = "java_slack_sdk_message_shortcut"
SUBMISSIONS = [
    "bolt_python_view_submission_response_urls",
    "bolt_python_view_submission_connect_channel",
    "java_slack_sdk_view_submission",
]


def bot_records(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= level and not r.name.startswith("httpx")
    ]


def answers(slack: FakeSlack) -> list[str]:
    """What the bot sent Slack, leaving out the one ``auth.test`` each process makes."""
    return [call.method for call in slack.calls if call.method != "auth.test"]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Records at ERROR or above, or carrying a traceback (what the issue forbids)."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info or r.exc_text
    ]


async def card_of(bot: RunningBot, command: str = BOLT_COMMAND) -> dict[str, Any]:
    sent = await real.send_command(bot.driver, command, ALICE)
    assert sent.response.status_code == 200
    (card,) = await response_posts(bot.slack, sent.token)
    assert "Page 1 of 3" in text_of(card)
    return card


async def click(
    bot: RunningBot, action_id: str, value: str, *, fixture: str = BOLT_CLICK, **kw: Any
) -> Sent:
    payload, token = real.block_actions(fixture, bot.driver, action_id, value, **kw)
    return await real.send_payload(bot.driver, payload, token)


# -- 1. Slack's certificate check ---------------------------------------------------------------


async def test_slacks_unsigned_ssl_check_gets_an_empty_200_and_nothing_else(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    response, _ = await bot.driver.post(real.ssl_check_body(), headers={})
    assert (response.status_code, response.text) == (200, "")
    await asyncio.sleep(0.1)
    assert answers(bot.slack) == [] and bot.sandbox.requests == []
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"token=random&ssl_check=0", "application/x-www-form-urlencoded"),
        (b"token=random", "application/x-www-form-urlencoded"),
        (b'{"ssl_check": "1"}', "application/json"),
        (b"command=%2Fpurchases&text=alice%40example.com", "application/x-www-form-urlencoded"),
        (b"ssl_check=1", "text/plain"),
        (b"ssl_check=1&pad=" + b"x" * 5000, "application/x-www-form-urlencoded"),
    ],
    ids=["ssl_check_0", "no_ssl_check", "json", "a_command", "not_a_form", "over_4_kb"],
)
async def test_every_other_unsigned_request_is_still_refused(
    bot: RunningBot, body: bytes, content_type: str
) -> None:
    response, _ = await bot.driver.post(body, content_type=content_type, headers={})
    assert response.status_code == 401
    assert bot.sandbox.requests == []


# -- 2. Details that never show -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "said"),
    [
        (200, "expired_trigger_id", "took too long"),
        (200, "exchanged_trigger_id", "already used this click"),
        (429, "ratelimited", "too many windows"),
    ],
)
async def test_details_slack_will_not_open_are_offered_again_privately(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, status: int, error: str, said: str
) -> None:
    async def no_wait(seconds: float) -> None:
        pass

    monkeypatch.setattr(replies, "_sleep", no_wait)  # 429s are retried: skip the waits
    card = await card_of(bot)
    details = button(card, DETAILS_ACTION_PREFIX)
    bot.slack.fail(
        "views.open", status, body={"ok": False, "error": error}, headers={"Retry-After": "0"}
    )
    if status == 429:
        bot.slack.fail("views.open", 429, body={"ok": False, "error": error}, times=3)
    sent = await click(bot, details["action_id"], details["value"])
    assert sent.response.status_code == 200
    (note,) = await response_posts(bot.slack, sent.token)
    assert said in text_of(note)
    assert note["response_type"] == "ephemeral" and note["replace_original"] is False
    again = button(note, DETAILS_ACTION_PREFIX)
    assert again["value"] == details["value"]
    assert bot.slack.calls_to("views.update") == []


async def test_a_detail_modal_the_agent_already_closed_is_no_error(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    card = await card_of(bot)
    details = button(card, DETAILS_ACTION_PREFIX)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "not_found"})
    sent = await click(bot, details["action_id"], details["value"])
    (note,) = await response_posts(bot.slack, sent.token)
    assert "closed before they arrived" in text_of(note)
    assert button(note, DETAILS_ACTION_PREFIX)["value"] == details["value"]
    assert len(bot.slack.calls_to("views.update")) == 1  # nothing left to update
    assert [r for r in bot_records(caplog, logging.WARNING) if "detail" in r] == []


async def test_a_hash_conflict_is_retried_once_and_the_modal_filled(bot: RunningBot) -> None:
    card = await card_of(bot)
    details = button(card, DETAILS_ACTION_PREFIX)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "hash_conflict"})
    await click(bot, details["action_id"], details["value"])
    first, second = await api_calls(bot.slack, "views.update", count=2)
    (opened,) = bot.slack.calls_to("views.open")
    assert first.args.get("hash") == opened.result["view"]["hash"]
    assert "hash" not in second.args
    assert "Loading" not in text_of(second.message["view"])
    assert "Items (" in text_of(second.message["view"])
    await asyncio.sleep(0.2)
    assert len(bot.slack.calls_to("views.update")) == 2


async def test_details_whose_fill_slack_keeps_refusing_end_in_a_private_note(
    bot: RunningBot,
) -> None:
    card = await card_of(bot)
    details = button(card, DETAILS_ACTION_PREFIX)
    bot.slack.fail("views.update", 200, body={"ok": False, "error": "hash_conflict"}, times=3)
    sent = await click(bot, details["action_id"], details["value"])
    (note,) = await response_posts(bot.slack, sent.token)
    assert "hash_conflict" in text_of(note)
    assert button(note, DETAILS_ACTION_PREFIX)["value"] == details["value"]


# -- 3. A thread answer that lands outside the thread ---------------------------------------


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
@pytest.mark.parametrize("fixture", [BOLT_SHORTCUT, JAVA_SHORTCUT])
async def test_a_thread_shortcut_the_bot_may_not_post_stays_in_the_thread_and_says_invite(
    bot: RunningBot, error: str, fixture: str
) -> None:
    bot.slack.fail("chat.postEphemeral", 200, body={"ok": False, "error": error}, times=5)
    payload, token = real.message_shortcut(
        fixture,
        bot.driver,
        f"Hi, {ALICE} here",
        ts="1700000000.000950",
        thread_ts="1700000000.000900",
    )
    await real.send_payload(bot.driver, payload, token)
    (answer,) = await response_posts(bot.slack, token)
    assert answer["thread_ts"] == "1700000000.000900"
    shown = text_of(answer)
    assert "Page 1 of 3" in shown
    assert shown.count("/invite @purchases") == 1
    await asyncio.sleep(0.2)
    assert bot.slack.calls_to("chat.postMessage") == []  # nothing in the DM or the channel
    assert len(bot.slack.calls_to(RESPONSE_METHOD)) == 1


async def test_a_thread_shortcut_refused_for_another_reason_gets_no_invite_hint(
    bot: RunningBot,
) -> None:
    bot.slack.fail("chat.postEphemeral", 200, body={"ok": False, "error": "msg_too_long"})
    payload, token = real.message_shortcut(
        BOLT_SHORTCUT, bot.driver, ALICE, ts="1700000000.000960", thread_ts="1700000000.000900"
    )
    await real.send_payload(bot.driver, payload, token)
    (answer,) = await response_posts(bot.slack, token)
    assert answer["thread_ts"] == "1700000000.000900"
    assert "/invite" not in text_of(answer)


# -- 4. Signed but malformed payloads ---------------------------------------------------------

MALFORMED_CLICKS: list[Any] = [
    "purchases_next_page",
    ["purchases_next_page", "x"],
    [],
    None,
    [{"action_id": 5, "value": "x"}],
    [{"action_id": None}],
    [{"value": "x"}],
    [{"action_id": NEXT_PAGE_ACTION}, "x"],
]


@pytest.mark.parametrize("actions", MALFORMED_CLICKS)
async def test_a_click_with_malformed_actions_is_answered_quietly(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, actions: Any
) -> None:
    caplog.set_level(logging.INFO)
    payload, token = real.block_actions(BOLT_CLICK, bot.driver, NEXT_PAGE_ACTION, "x")
    payload["actions"] = actions
    sent = await real.send_payload(bot.driver, payload, token)
    assert (sent.response.status_code, sent.response.text) == (200, "")
    await asyncio.sleep(0.1)
    assert tracebacks(caplog) == []
    noted = [r for r in bot_records(caplog) if "malformed" in r]
    assert len(noted) == 1 and noted[0].startswith("INFO bot.app")
    assert answers(bot.slack) == [] and bot.sandbox.requests == []


@pytest.mark.parametrize("metadata", [12345, 1.5, ["x"], {"c": "C111"}, True])
async def test_a_submission_with_non_string_private_metadata_is_answered_quietly(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, metadata: Any
) -> None:
    caplog.set_level(logging.INFO)
    values = {FORM_MEMBER_BLOCK: {FORM_MEMBER_ACTION: {"type": "plain_text_input", "value": ALICE}}}
    payload, token = real.view_submission(
        SUBMISSIONS[0],
        bot.driver,
        callback_id=LOOKUP_VIEW_CALLBACK_ID,
        values=values,
        private_metadata=metadata,
    )
    sent = await real.send_payload(bot.driver, payload, token)
    assert (sent.response.status_code, sent.response.text) == (200, "")
    await asyncio.sleep(0.1)
    assert tracebacks(caplog) == []
    assert len([r for r in bot_records(caplog) if "malformed" in r]) == 1
    assert bot.sandbox.requests == []


@pytest.mark.parametrize("fixture", [BOLT_CLICK, JAVA_CLICK])
async def test_an_unknown_action_id_gets_a_200_and_a_log_line(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, fixture: str
) -> None:
    caplog.set_level(logging.INFO)
    sent = await click(bot, "some_retired_button", "x", fixture=fixture)
    assert (sent.response.status_code, sent.response.text) == (200, "")
    assert any("some_retired_button" in r for r in bot_records(caplog))
    assert tracebacks(caplog) == []


# -- 5. Links that escape their markup --------------------------------------------------------


async def test_a_thread_permalink_in_the_share_note_is_escaped_as_slack_requires(
    bot: RunningBot,
) -> None:
    payload, token = real.message_shortcut(
        BOLT_SHORTCUT, bot.driver, ALICE, ts="1700000000.000850", thread_ts="1700000000.000800"
    )
    await real.send_payload(bot.driver, payload, token)
    (answer,) = await api_calls(bot.slack, "chat.postEphemeral")
    share = button(answer.message, SHARE_ACTION)
    sent = await click(bot, SHARE_ACTION, share["value"], thread_ts="1700000000.000800")
    (note,) = await response_posts(bot.slack, sent.token)
    (shared,) = bot.slack.calls_to("chat.postMessage")
    raw = bot.slack.permalink(shared.args["channel"], shared.result["ts"])
    assert "&cid=" in raw  # Slack's link to a reply names its thread
    mrkdwn = note["blocks"][0]["text"]["text"]
    links = re.findall(r"<([^>|]*)\|([^>]*)>", mrkdwn)
    assert links == [(raw.replace("&", "&amp;"), "this card")]
    assert "&cid" not in mrkdwn.replace("&amp;cid", "")


async def test_an_upstream_error_with_a_url_is_shown_inert(bot: RunningBot) -> None:
    upstream = "Invalid member, see https://evil.example/reset or www.evil.example now"
    bot.sandbox.faults.inject(400, json.dumps({"error": {"code": 400, "message": upstream}}))
    sent = await real.send_command(bot.driver, BOLT_COMMAND, ALICE)
    (answer,) = await response_posts(bot.slack, sent.token)
    mrkdwn = answer["blocks"][0]["text"]["text"]
    assert "evil.example/reset" in mrkdwn
    outside_code = re.sub(r"`[^`]*`", "", mrkdwn)
    assert "evil.example" not in outside_code


# -- 6. Slow clients ----------------------------------------------------------------------------


async def _trickle(port: int, head: bytes, rest: bytes, every: float) -> tuple[float, bytes]:
    """Send ``head`` at once, then ``rest`` a byte every ``every`` s; (seconds until the
    server closed the connection, what it answered)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(head)
    await writer.drain()

    async def drip() -> None:
        for byte in rest:
            await asyncio.sleep(every)
            writer.write(bytes([byte]))
            await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=14)
    finally:
        dripping.cancel()
        writer.close()
    return time.monotonic() - started, answer


async def test_slow_clients_are_cut_off_without_an_error(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = bot.runner.addresses[0][1]
    headers = (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"X-Slack-Request-Timestamp: 1700000000\r\nX-Slack-Signature: v0=" + b"0" * 64 + b"\r\n"
    )
    slow_head = _trickle(port, b"P", headers[1:] + b"Content-Length: 5\r\n\r\nhello", every=0.5)
    slow_body = _trickle(port, headers + b"Content-Length: 400\r\n\r\nc", b"x" * 400, every=0.5)
    (head_took, head_answer), (body_took, body_answer) = await asyncio.gather(slow_head, slow_body)
    assert 4.5 <= head_took < 7 and head_answer == b""  # closed, nothing to answer
    assert 9.5 <= body_took < 12.5 and body_answer.startswith(b"HTTP/1.1 408")
    assert tracebacks(caplog) == []
    assert len([r for r in bot_records(caplog) if "closed a connection" in r]) == 2
    sent = await real.send_command(bot.driver, BOLT_COMMAND, ALICE)
    (card,) = await response_posts(bot.slack, sent.token)
    assert "Page 1 of 3" in text_of(card)


# -- 7. Private notes whose response_url fails --------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
async def test_export_notes_reach_the_agent_when_the_response_url_fails(
    bot: RunningBot, status: int
) -> None:
    card = await card_of(bot)
    export = button(card, EXPORT_ACTION)
    bot.slack.fail(RESPONSE_METHOD, status, times=50)
    await click(bot, EXPORT_ACTION, export["value"])
    # A 500 is retried with slack_sdk's own backoff before the fallback: allow for it.
    started, done = await bot.slack.wait_for(
        lambda c: c.method == "chat.postEphemeral", count=2, timeout=20
    )
    assert "Exporting purchases to CSV" in text_of(started.message)
    assert "Exported 27 purchases to CSV" in text_of(done.message)
    assert {c.args["user"] for c in (started, done)} == {"W111"}
    assert {c.args["channel"] for c in (started, done)} == {"C111"}


async def test_a_failed_export_is_still_told_when_the_response_url_fails(
    bot: RunningBot,
) -> None:
    card = await card_of(bot)
    export = button(card, EXPORT_ACTION)
    bot.slack.fail(RESPONSE_METHOD, 404, times=50)
    bot.sandbox.faults.inject(503, "{}", times=50)
    await click(bot, EXPORT_ACTION, export["value"])
    _, failed = await api_calls(bot.slack, "chat.postEphemeral", count=2)
    assert "CrowdTwist is not answering" in text_of(failed.message)


async def test_a_stale_button_is_refused_in_the_conversation_when_the_response_url_fails(
    bot: RunningBot,
) -> None:
    bot.slack.fail(RESPONSE_METHOD, 404, times=10)
    await click(bot, NEXT_PAGE_ACTION, "not a value the bot wrote", thread_ts="1700000000.000700")
    (note,) = await api_calls(bot.slack, "chat.postEphemeral")
    assert STALE_BUTTON in text_of(note.message)
    assert note.args["thread_ts"] == "1700000000.000700"


# -- Slack's own payloads reach every listener changed ----------------------------------------


@pytest.mark.parametrize("command", [BOLT_COMMAND, JAVA_COMMAND])
@pytest.mark.parametrize("clicked", [BOLT_CLICK, JAVA_CLICK])
async def test_slacks_own_command_and_click_payloads_page_the_card(
    bot: RunningBot, command: str, clicked: str
) -> None:
    card = await card_of(bot, command)
    sent = await click(
        bot, NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"], fixture=clicked
    )
    (page,) = await response_posts(bot.slack, sent.token)
    assert "Page 2 of 3" in text_of(page)


@pytest.mark.parametrize("fixture", SUBMISSIONS)
async def test_slacks_own_view_submissions_answer_where_the_form_was_opened(
    bot: RunningBot, fixture: str
) -> None:
    url, token = bot.driver.new_response_url()
    values = {FORM_MEMBER_BLOCK: {FORM_MEMBER_ACTION: {"type": "plain_text_input", "value": ALICE}}}
    payload, _ = real.view_submission(
        fixture,
        bot.driver,
        callback_id=LOOKUP_VIEW_CALLBACK_ID,
        values=values,
        private_metadata=FormOrigin(channel_id="C111", response_url=url).encode(),
    )
    sent = await real.send_payload(bot.driver, payload, token)
    assert (sent.response.status_code, sent.response.text) == (200, "")
    (card,) = await response_posts(bot.slack, token)
    assert "Page 1 of 3" in text_of(card)


async def test_slacks_own_function_executed_event_completes_the_step(bot: RunningBot) -> None:
    body = real.function_executed(
        "bolt_python_function_executed",
        callback_id="lookup_purchase_history",
        inputs={"member": "grace.lindqvist@example.com"},
    )
    response, _ = await bot.driver.post(json.dumps(body).encode(), content_type="application/json")
    assert response.status_code == 200
    (done,) = await api_calls(bot.slack, "functions.completeSuccess")
    assert done.token == body["event"]["bot_access_token"]
    assert json.loads(done.args["outputs"])["total_purchases"] == 23


# -- Socket Mode: the same answers for 2-4 --------------------------------------------------


@pytest.fixture
async def socket_bot(sandbox: SandboxServer, fake_slack: FakeSlack) -> AsyncIterator[FakeSlack]:
    settings = socket_settings(sandbox, fake_slack)  # health and metrics on a free port
    stop = asyncio.Event()
    running = asyncio.create_task(serve_socket_mode(settings, stop))
    await fake_slack.wait_for_socket()
    yield fake_slack
    stop.set()
    await asyncio.wait_for(running, timeout=15)


async def test_over_socket_mode_refused_modals_threads_and_malformed_payloads_answer_alike(
    socket_bot: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = socket_bot
    driver = SlackDriver("http://unused", "unused", slack.base_url)  # only makes URLs
    fields, token = real.command(BOLT_COMMAND, driver, ALICE)
    await slack.send_envelope("slash_commands", fields)
    (card,) = await response_posts(slack, token)

    # 2: Details that Slack will not open → a private note offering Details again.
    details = button(card, DETAILS_ACTION_PREFIX)
    slack.fail("views.open", 200, body={"ok": False, "error": "expired_trigger_id"})
    payload, token = real.block_actions(BOLT_CLICK, driver, details["action_id"], details["value"])
    await slack.send_envelope("interactive", payload)
    (note,) = await response_posts(slack, token)
    assert "took too long" in text_of(note)
    assert button(note, DETAILS_ACTION_PREFIX)["value"] == details["value"]

    # 3: a thread shortcut the bot may not post → the thread kept, the invite said once.
    slack.fail("chat.postEphemeral", 200, body={"ok": False, "error": "not_in_channel"})
    payload, token = real.message_shortcut(
        JAVA_SHORTCUT, driver, ALICE, ts="1700000000.000990", thread_ts="1700000000.000980"
    )
    await slack.send_envelope("interactive", payload)
    (answer,) = await response_posts(slack, token)
    assert answer["thread_ts"] == "1700000000.000980"
    assert text_of(answer).count("/invite @purchases") == 1

    # 4: malformed shapes and an unknown action: acked, one INFO line each, no traceback.
    before = len(answers(slack))
    for actions in MALFORMED_CLICKS:
        payload, _ = real.block_actions(BOLT_CLICK, driver, NEXT_PAGE_ACTION, "x")
        payload["actions"] = actions
        ack = await slack.send_envelope("interactive", payload)
        assert "envelope_id" in ack and not ack.get("payload")
    payload, _ = real.block_actions(JAVA_CLICK, driver, "some_retired_button", "x")
    ack = await slack.send_envelope("interactive", payload)
    assert "envelope_id" in ack
    await asyncio.sleep(0.2)
    assert answers(slack)[before:] == []
    assert tracebacks(caplog) == []
    assert len([r for r in bot_records(caplog) if "malformed" in r]) == len(MALFORMED_CLICKS)
    assert any("some_retired_button" in r for r in bot_records(caplog))
