"""EVENT_LOOP: uvloop where installed, asyncio's loop on request or when uvloop is missing.

The choice is checked on the real process (``python -m bot`` in HTTP mode answering a signed
command), with uvloop made unimportable by a module on ``PYTHONPATH`` that raises ImportError,
and Socket Mode is driven through the fake Slack's WebSocket on a uvloop loop.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot import eventloop
from bot.config import ConfigError, EventLoop
from bot.fake_slack import FakeSlack
from bot.runtime import serve_socket_mode
from bot.sandbox import SandboxServer
from tests.conftest import BOT_TOKEN, CT_KEY, SIGNING_SECRET, make_settings
from tests.support.e2e_helpers import response_posts, text_of
from tests.support.processes import ROOT, free_port, start_process, wait_until_healthy
from tests.support.slack_driver import SlackDriver, command_fields


def hide_uvloop(tmp_path: Path) -> str:
    """A directory whose ``uvloop`` module fails to import, as on a platform without it."""
    fake = tmp_path / "no_uvloop"
    fake.mkdir()
    (fake / "uvloop.py").write_text("raise ImportError('uvloop is not available here')\n")
    return str(fake)


def test_asyncio_is_the_standard_loop_and_auto_prefers_uvloop() -> None:
    plain = eventloop.loop_factory(EventLoop.ASYNCIO)()
    fast = eventloop.loop_factory("auto")()
    try:
        assert eventloop.loop_name(plain) == "asyncio"
        assert eventloop.loop_name(fast) == "uvloop"
    finally:
        plain.close()
        fast.close()


def test_run_returns_the_coroutines_result_on_the_chosen_loop() -> None:
    async def which() -> str:
        return eventloop.loop_name(asyncio.get_running_loop())

    assert eventloop.run(which(), "uvloop") == "uvloop"
    assert eventloop.run(which(), "asyncio") == "asyncio"


def test_without_uvloop_auto_falls_back_and_uvloop_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import now raises ImportError
    assert eventloop.loop_factory("auto") is asyncio.new_event_loop
    with pytest.raises(ConfigError, match="EVENT_LOOP"):
        eventloop.loop_factory("uvloop")


@pytest.mark.parametrize(
    ("setting", "uvloop_installed", "expected"),
    [
        ("auto", True, "uvloop"),
        ("asyncio", True, "asyncio"),
        ("auto", False, "asyncio"),
    ],
)
async def test_the_http_process_answers_on_the_loop_the_setting_names(
    sandbox: SandboxServer,
    fake_slack: FakeSlack,
    tmp_path: Path,
    setting: str,
    uvloop_installed: bool,
    expected: str,
) -> None:
    port = free_port()
    path = str(ROOT) if uvloop_installed else f"{hide_uvloop(tmp_path)}:{ROOT}"
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "CROWDTWIST_BASE_URL": sandbox.base_url,
        "CROWDTWIST_API_KEY": CT_KEY,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONPATH": path,
        "EVENT_LOOP": setting,
    }
    process = await start_process(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET, fake_slack.base_url)
    try:
        if not await wait_until_healthy(base):
            raise AssertionError("the bot did not start")
        sent = await driver.command("alice@example.com")
        assert sent.response.status_code == 200
        (card,) = await response_posts(fake_slack, sent.token, count=1)
        assert "Page 1 of 3" in text_of(card)
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await driver.http.aclose()
    assert process.returncode == 0
    messages = [
        json.loads(line).get("message")
        for line in (out + err).decode().splitlines()
        if line.startswith("{")
    ]
    assert f"event loop: {expected}" in messages


async def test_asking_for_uvloop_without_it_stops_start_up_with_one_line(tmp_path: Path) -> None:
    process = await start_process(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "s",
            "CROWDTWIST_BASE_URL": "http://127.0.0.1:9",
            "CROWDTWIST_API_KEY": "k",
            "EVENT_LOOP": "uvloop",
            "PYTHONPATH": f"{hide_uvloop(tmp_path)}:{ROOT}",
        },
        tmp_path,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 2
    (line,) = err.decode().strip().splitlines()
    assert "EVENT_LOOP" in line
    assert "uvloop" in line


def test_socket_mode_answers_a_command_on_uvloop() -> None:
    async def main() -> tuple[str, str]:
        async with SandboxServer(api_key=CT_KEY) as sandbox, FakeSlack() as slack:
            settings = make_settings(
                sandbox,
                slack,
                slack_app_token=SecretStr("xapp-1-A0-test"),
                event_loop="uvloop",
                host="127.0.0.1",
                port=free_port(),
            )
            stop = asyncio.Event()
            running = asyncio.create_task(serve_socket_mode(settings, stop))
            try:
                await slack.wait_for_socket()
                command = command_fields(
                    "alice@example.com",
                    response_url=slack.response_url("uv1"),
                    trigger_id="trig-uv",
                )
                await slack.send_envelope("slash_commands", command)
                (card,) = await response_posts(slack, "uv1")
            finally:
                stop.set()
                await asyncio.wait_for(running, timeout=15)
            return eventloop.loop_name(asyncio.get_running_loop()), text_of(card)

    loop, card = eventloop.run(main(), "uvloop")
    assert loop == "uvloop"
    assert "Page 1 of 3" in card
