"""Trust: who may look, the audit trail, clean logs, and answers that survive faults."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr

from bot.fake_slack import RESPONSE_METHOD
from bot.logs import configure_logging
from bot.slack_ids import FORM_MEMBER_BLOCK, NEXT_PAGE_ACTION
from tests.conftest import BOT_TOKEN, CT_KEY, SIGNING_SECRET, RunningBot
from tests.support.e2e_helpers import api_calls, button, response_posts, text_of
from tests.support.slack_driver import CHANNEL, USER

ALICE = "alice@example.com"
OTHER_USER = "U0INTRUDER"


# -- authorization -----------------------------------------------------------------------------


async def test_a_person_not_on_the_list_is_refused_before_crowdtwist(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_user_ids=frozenset({USER}))
    sent = await bot.driver.command(ALICE, user=OTHER_USER)
    assert sent.response.status_code == 200
    assert "not on the list" in text_of(sent.response.json())
    await asyncio.sleep(0.2)
    assert bot.sandbox.requests == []
    allowed = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, allowed.token)
    assert "Page 1 of 3" in text_of(card)


async def test_a_channel_not_on_the_list_is_refused(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_channel_ids=frozenset({"C0OTHER"}))
    sent = await bot.driver.command(ALICE, channel=CHANNEL)
    assert "not enabled in this channel" in text_of(sent.response.json())
    assert bot.sandbox.requests == []


async def test_seeing_a_card_does_not_grant_paging(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_user_ids=frozenset({USER}))
    sent = await bot.driver.command(ALICE)
    (card,) = await response_posts(bot.slack, sent.token)
    await asyncio.sleep(0.2)
    before = len(bot.sandbox.requests)
    bot.services.crowdtwist._cache.clear()  # a refusal must not lean on a cache miss
    click = await bot.driver.click(
        NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"], user=OTHER_USER
    )
    (note,) = await response_posts(bot.slack, click.token)
    assert note["replace_original"] is False
    assert "not on the list" in text_of(note)
    assert len(bot.sandbox.requests) == before


async def test_shortcut_and_form_are_checked_too(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_user_ids=frozenset({USER}))
    sent = await bot.driver.shortcut(ALICE, user=OTHER_USER)
    (note,) = await response_posts(bot.slack, sent.token)
    assert "not on the list" in text_of(note)
    submitted = await bot.driver.submit_view(
        {"type": "modal", "callback_id": "purchases_lookup", "private_metadata": "{}"},
        {},
        user=OTHER_USER,
    )
    assert submitted.response.json()["response_action"] == "errors"
    assert FORM_MEMBER_BLOCK in submitted.response.json()["errors"]
    assert bot.sandbox.requests == []
    assert bot.slack.calls_to("chat.postEphemeral") == []


# -- audit trail -------------------------------------------------------------------------------


async def test_each_lookup_writes_one_audit_line_without_the_member(
    bot_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await bot_factory(audit_channel_id="C0AUDIT")
    caplog.set_level(logging.INFO, logger="bot.audit")
    sent = await bot.driver.command(f"{ALICE} since 2025-01-01")
    await response_posts(bot.slack, sent.token)
    (copy,) = await api_calls(bot.slack, "chat.postMessage")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bot.audit"]
    assert len(lines) == 1
    line = lines[0]
    assert line["user"] == USER and line["channel"] == CHANNEL and line["team"]
    assert line["entry"] == "command" and line["outcome"] == "ok"
    assert line["id_type"] == "email" and line["date_start"] == "2025-01-01"
    assert line["page"] == 1 and line["results"] == 10 and line["total"] > 10
    assert isinstance(line["latency_ms"], int)
    assert re.fullmatch(r"m_[0-9a-f]{16}", line["member"])
    assert ALICE not in json.dumps(line)
    assert copy.args["channel"] == "C0AUDIT"
    assert ALICE not in copy.args["text"] and line["member"] in copy.args["text"]


# -- clean logs --------------------------------------------------------------------------------

SENSITIVE = [
    ALICE,
    "o'neil+vip@example.com",
    "EU/IE 0044#B",
    "+15550100040",
    "5550100040",
    CT_KEY,
    BOT_TOKEN,
    SIGNING_SECRET,
]


async def test_nothing_sensitive_reaches_the_logs_at_debug(
    bot_factory: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG", "json", [CT_KEY, BOT_TOKEN, SIGNING_SECRET])
    try:
        bot = await bot_factory(crowdtwist_max_retries=1)
        caplog.set_level(logging.DEBUG)
        flows = [
            ALICE,
            '"EU/IE 0044#B" type:3p',
            "+1 555 010 0040",
            "nobody@example.com",
            "outage@example.com",
        ]
        for text in flows:
            sent = await bot.driver.command(text)
            await response_posts(bot.slack, sent.token)
        bot.sandbox.faults.inject(
            400,
            b'{"system":"pos","reason":"user_not_found",'
            b'"message":"User with id [o\'neil+vip@example.com] not found"}',
        )
        sent = await bot.driver.command("o'neil+vip@example.com")
        await response_posts(bot.slack, sent.token)
        await bot.driver.shortcut("<mailto:alice@example.com|alice@example.com>")
        await api_calls(bot.slack, "chat.postEphemeral")
        wrong = await bot_factory(crowdtwist_api_key=SecretStr("ct-wrong-key-77"))
        sent = await wrong.driver.command(ALICE)
        await response_posts(wrong.slack, sent.token)
    finally:
        logging.getLogger().handlers.clear()
    emitted = capfd.readouterr().err
    assert "crowdtwist lookup failed" in emitted  # the scan is looking at real output
    own = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    for secret in [*SENSITIVE, "ct-wrong-key-77"]:
        assert secret not in emitted, f"{secret!r} leaked to the log output"
        assert secret not in own, f"{secret!r} logged by the bot's own code"


# -- faults ------------------------------------------------------------------------------------


async def exactly_one_answer(bot: RunningBot, token: str) -> dict[str, Any]:
    (message,) = await response_posts(bot.slack, token)
    await asyncio.sleep(0.3)
    posts = [c for c in bot.slack.calls_to(RESPONSE_METHOD) if c.args["_token"] == token]
    assert len(posts) == 1
    return message


async def test_crowdtwist_down_gets_one_clear_answer(bot_factory: Any) -> None:
    bot = await bot_factory(crowdtwist_base_url="http://127.0.0.1:9")
    sent = await bot.driver.command(ALICE)
    message = await exactly_one_answer(bot, sent.token)
    assert "not answering" in text_of(message)


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (429, b"{}", {"Retry-After": "1"}, "Page 1 of 3"),  # retried after Retry-After
        (503, b"<html>bad gateway</html>", {}, "Page 1 of 3"),  # retried
        (200, b'{"purchases": [', {}, "could not read"),  # truncated JSON, not retried
    ],
)
async def test_crowdtwist_faults_get_one_clear_answer(
    bot: RunningBot, status: int, body: bytes, headers: dict[str, str], expected: str
) -> None:
    bot.sandbox.faults.inject(status, body, headers=headers)
    sent = await bot.driver.command(ALICE)
    message = await exactly_one_answer(bot, sent.token)
    assert expected in text_of(message)
    again = await bot.driver.command("carmen.ruiz@example.com")
    assert "Page 1 of 2" in text_of(await exactly_one_answer(bot, again.token))


async def test_slack_rate_limits_are_retried_as_asked(bot: RunningBot) -> None:
    bot.slack.fail("chat.postEphemeral", 429, headers={"Retry-After": "1"})
    await bot.driver.shortcut(ALICE)
    calls = await bot.slack.wait_for(lambda c: c.method == "chat.postEphemeral", count=2)
    assert calls[0].result == {"status": 429}
    assert calls[1].result["ok"] is True
    assert calls[1].at - calls[0].at >= 0.9


async def test_slack_server_errors_are_retried(bot: RunningBot) -> None:
    bot.slack.fail("chat.postEphemeral", 500)
    await bot.driver.shortcut(ALICE)
    calls = await bot.slack.wait_for(lambda c: c.method == "chat.postEphemeral", count=2)
    assert calls[1].result["ok"] is True


async def test_a_failed_response_url_post_is_logged_not_fatal(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.slack.fail(RESPONSE_METHOD, 404, times=10)
    sent = await bot.driver.command(ALICE)
    await bot.slack.wait_for(lambda c: c.args.get("_token") == sent.token)
    await api_calls(bot.slack, "chat.postEphemeral")  # the fallback
    assert "response_url post refused" in caplog.text
    bot.slack.fail(RESPONSE_METHOD, 200, times=0)
    bot.slack._faults.clear()
    again = await bot.driver.command(ALICE)
    assert "Page 1 of 3" in text_of((await response_posts(bot.slack, again.token))[0])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        (b"payload=%7B%22type%22%3A%22block_actions%22%7D", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b"command=%2Fpurchases", "application/x-www-form-urlencoded"),
    ],
)
async def test_malformed_signed_bodies_get_a_4xx(
    bot: RunningBot, body: bytes, content_type: str
) -> None:
    response, _ = await bot.driver.post(body, content_type=content_type)
    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert response.status_code < 500
    await asyncio.sleep(0.1)
    assert bot.sandbox.requests == []


async def test_an_oversized_body_is_refused(bot: RunningBot) -> None:
    body = urlencode({"command": "/purchases", "text": "x" * 2_000_000}).encode()
    response, _ = await bot.driver.post(body)
    assert response.status_code == 413
    assert bot.sandbox.requests == []


async def test_an_unknown_payload_type_is_not_a_server_error(bot: RunningBot) -> None:
    sent = await bot.driver.interactive({"type": "something_new", "user": {"id": USER}})
    assert sent.response.status_code < 500
