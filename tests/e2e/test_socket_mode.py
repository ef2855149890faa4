"""Socket Mode end to end: the bot dials the fake Slack's WebSocket and answers envelopes."""

from __future__ import annotations

import asyncio
import json

from pydantic import SecretStr

from bot.config import Mode
from bot.fake_slack import FakeSlack, payloads
from bot.runtime import serve_socket_mode
from bot.sandbox import SandboxServer
from tests.conftest import make_settings
from tests.support.e2e_helpers import api_calls, response_posts, text_of
from tests.support.slack_driver import command_fields


async def test_a_command_over_socket_mode_gets_acked_and_answered(
    sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    settings = make_settings(
        sandbox, fake_slack, slack_app_token=SecretStr("xapp-1-A0-test"), slack_signing_secret=None
    )
    assert settings.mode is Mode.SOCKET
    stop = asyncio.Event()
    running = asyncio.create_task(serve_socket_mode(settings, stop))
    try:
        await fake_slack.wait_for_socket()
        command = command_fields(
            "alice@example.com",
            response_url=fake_slack.response_url("sock1"),
            trigger_id="trig-sock",
        )
        ack = await fake_slack.send_envelope("slash_commands", command)
        assert "envelope_id" in ack
        (card,) = await response_posts(fake_slack, "sock1")
        assert "Page 1 of 3" in text_of(card)

        bad = await fake_slack.send_envelope(
            "slash_commands", command | {"text": "x 2024-02-30", "trigger_id": "trig-sock-2"}
        )
        assert "2024-02-30" in text_of(bad["payload"])

        # Socket Mode payloads arrive as JSON objects: Bolt's form-parsing quirk cannot apply.
        named = command | {
            "trigger_id": "trig-sock-3",
            "channel_name": "payload-team",
            "response_url": fake_slack.response_url("sock2"),
        }
        await fake_slack.send_envelope("slash_commands", named)
        (again,) = await response_posts(fake_slack, "sock2")
        assert "Page 1 of 3" in text_of(again)
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=15)
    connections = fake_slack.calls_to("apps.connections.open")
    assert connections


async def test_a_workflow_step_over_socket_mode_completes_with_the_events_token(
    sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    settings = make_settings(
        sandbox, fake_slack, slack_app_token=SecretStr("xapp-1-A0-test"), slack_signing_secret=None
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve_socket_mode(settings, stop))
    try:
        await fake_slack.wait_for_socket()
        token = payloads.new_function_token()
        event = payloads.function_executed(
            callback_id="lookup_purchase_history",
            inputs={"member": "grace.lindqvist@example.com"},
            bot_access_token=token,
        )
        ack = await fake_slack.send_envelope("events_api", event)
        assert "envelope_id" in ack
        (done,) = await fake_slack.wait_for(lambda c: c.method == "functions.completeSuccess")
        assert done.token == token
        assert done.args["function_execution_id"] == event["event"]["function_execution_id"]
        assert json.loads(done.args["outputs"])["total_purchases"] == 23
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=15)


async def test_app_home_opened_over_socket_mode_publishes_the_home_view(
    sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    settings = make_settings(
        sandbox, fake_slack, slack_app_token=SecretStr("xapp-1-A0-test"), slack_signing_secret=None
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve_socket_mode(settings, stop))
    try:
        await fake_slack.wait_for_socket()
        event = payloads.event_callback(payloads.app_home_opened("U0AGENT01"))
        ack = await fake_slack.send_envelope("events_api", event)
        assert "envelope_id" in ack
        (published,) = await api_calls(fake_slack, "views.publish")
        assert published.message["user_id"] == "U0AGENT01"
        assert "Look up a member" in text_of(published.message["view"])
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=15)
