"""Socket Mode end to end: the bot dials the fake Slack's WebSocket and answers envelopes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.config import Mode, Settings
from bot.fake_slack import FakeSlack, payloads
from bot.ops.socket_watch import WatchTimes
from bot.runtime import serve_socket_mode
from bot.sandbox import SandboxServer
from tests.conftest import make_settings
from tests.support.e2e_helpers import api_calls, response_posts, text_of
from tests.support.processes import free_port
from tests.support.slack_driver import command_fields


def socket_settings(sandbox: SandboxServer, fake_slack: FakeSlack, **overrides: Any) -> Settings:
    """Socket Mode settings; health and metrics on a free loopback port."""
    return make_settings(
        sandbox,
        fake_slack,
        slack_app_token=SecretStr("xapp-1-A0-test"),
        slack_signing_secret=None,
        host="127.0.0.1",
        port=free_port(),
        **overrides,
    )


async def test_a_command_over_socket_mode_gets_acked_and_answered(
    sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    settings = socket_settings(sandbox, fake_slack)
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
    settings = socket_settings(sandbox, fake_slack)
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
    settings = socket_settings(sandbox, fake_slack)
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


FAST = WatchTimes(check_seconds=0.1, silent_seconds=0.6, unhealthy_seconds=1.5)
"""The watchdog's clock shortened: 30 s of silence and 60 s down become 0.6 s and 1.5 s."""


async def read_metrics(http: httpx.AsyncClient, base: str) -> dict[str, float]:
    """Every sample of ``/metrics`` by name and labels, as prometheus-client parses it."""
    answer = await http.get(f"{base}/metrics")
    assert answer.status_code == 200
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


async def eventually(check: Any, within: float = 10.0) -> None:
    """Poll ``check`` (an async predicate) until it holds, or fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)


async def test_socket_mode_serves_health_and_metrics_and_replaces_a_silent_connection(
    sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    settings = socket_settings(sandbox, fake_slack)
    base = f"http://127.0.0.1:{settings.port}"
    connected = "slack_socket_mode_connected[]"
    refused = (
        "slack_api_errors_total[('error', 'internal_error'), ('method', 'apps.connections.open')]"
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve_socket_mode(settings, stop, FAST))
    async with httpx.AsyncClient(timeout=5) as http:
        try:
            await fake_slack.wait_for_socket()
            command = command_fields(
                "alice@example.com", response_url=fake_slack.response_url("w1"), trigger_id="t-w1"
            )
            await fake_slack.send_envelope("slash_commands", command)
            await response_posts(fake_slack, "w1")
            health = await http.get(f"{base}/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            found = await read_metrics(http, base)
            assert found[connected] == 1
            assert found["purchases_lookups_total[('entry', 'command'), ('outcome', 'card')]"] == 1

            # Idle but alive: the pings are answered, so the connection is kept.
            await asyncio.sleep(4 * FAST.silent_seconds)
            assert fake_slack.connections == 1
            assert (await read_metrics(http, base))[connected] == 1

            # The socket stays open but goes silent, and Slack refuses a new one for a while.
            fake_slack.refuse_connections = True
            fake_slack.go_silent()

            async def noticed() -> bool:
                return (await read_metrics(http, base))[connected] == 0

            await eventually(noticed)
            assert (await http.get(f"{base}/healthz")).status_code == 200  # not for long yet

            async def unhealthy() -> bool:
                return (await http.get(f"{base}/healthz")).status_code == 503

            await eventually(unhealthy)
            answer = (await http.get(f"{base}/healthz")).json()
            assert answer["status"] == "unhealthy" and "disconnected" in answer["problem"]
            assert (await read_metrics(http, base)).get(refused, 0) >= 1

            # Slack takes connections again: the watchdog's next try connects, health returns.
            fake_slack.refuse_connections = False

            async def healthy() -> bool:
                return (await http.get(f"{base}/healthz")).status_code == 200

            await eventually(healthy)
            assert fake_slack.connections == 2
            assert (await read_metrics(http, base))[connected] == 1
            again = command | {"response_url": fake_slack.response_url("w2"), "trigger_id": "t-w2"}
            await fake_slack.send_envelope("slash_commands", again)
            (card,) = await response_posts(fake_slack, "w2")
            assert "Page 1 of 3" in text_of(card)
        finally:
            stop.set()
            await asyncio.wait_for(running, timeout=15)
    with pytest.raises(httpx.ConnectError):  # the health server stopped with the bot
        await httpx.AsyncClient().get(f"{base}/healthz")
