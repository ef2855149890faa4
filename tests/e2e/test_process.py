"""The real process: ``python -m bot`` in HTTP mode, started and stopped as a platform would."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fake_slack import FakeSlack
from bot.sandbox import SandboxServer
from tests.conftest import BOT_TOKEN, CT_KEY, SIGNING_SECRET
from tests.support.e2e_helpers import response_posts, text_of
from tests.support.processes import ROOT, free_port, start_process, wait_until_healthy
from tests.support.slack_driver import SlackDriver


@pytest.fixture
async def http_process(
    sandbox: SandboxServer, fake_slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, SlackDriver, str]]:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "CROWDTWIST_BASE_URL": sandbox.base_url,
        "CROWDTWIST_API_KEY": CT_KEY,
        "CROWDTWIST_TIMEOUT_SECONDS": "10",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    process = await start_process(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    if not await wait_until_healthy(base):
        process.kill()
        raise AssertionError((await process.communicate())[1].decode())
    driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET, fake_slack.base_url)
    yield process, driver, base
    if process.returncode is None:
        process.kill()
        await process.wait()
    await driver.http.aclose()


async def test_sigterm_delivers_answers_in_flight_then_exits(
    http_process: tuple[asyncio.subprocess.Process, SlackDriver, str],
    sandbox: SandboxServer,
    fake_slack: FakeSlack,
) -> None:
    process, driver, _ = http_process
    sandbox.faults.latency_seconds = 1.5
    sent = await asyncio.gather(*(driver.command("alice@example.com") for _ in range(3)))
    assert all(s.response.status_code == 200 for s in sent)
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), timeout=15)
    assert code == 0
    for s in sent:
        (card,) = await response_posts(fake_slack, s.token, count=1)
        assert "Page 1 of 3" in text_of(card)


async def test_a_bad_setting_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    process = await start_process(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "s",
            "PORT": "eighty",
            "CROWDTWIST_API_KEY": "k",
            "CROWDTWIST_CLIENT_ID": "12",
            "PYTHONPATH": str(ROOT),
        },
        tmp_path,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "PORT" in lines[0]
    assert BOT_TOKEN not in lines[0]


async def test_http_mode_needs_crowdtwist_settings(tmp_path: Path) -> None:
    process = await start_process(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "PYTHONPATH": str(ROOT)},
        tmp_path,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 2
    assert "CROWDTWIST_API_KEY" in err.decode()


async def test_the_purchases_bot_command_does_what_python_m_bot_does(tmp_path: Path) -> None:
    """The installed entry point runs the same ``main``: same start-up line, same exit code."""
    script = shutil.which("purchases-bot", path=str(Path(sys.executable).parent))
    assert script, "no purchases-bot next to this Python: reinstall with pip install -e ."
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
        "PORT": "eighty",
        "CROWDTWIST_SANDBOX": "true",
        "PYTHONPATH": str(ROOT),
    }
    answers = []
    for argv in ([sys.executable, "-m", "bot"], [script]):
        process = await start_process(env, tmp_path, argv=argv)
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
        answers.append((process.returncode, err.decode().strip()))
    (code, line), same = answers
    assert same == (code, line)
    assert code == 2
    assert line.startswith("purchases: configuration error: PORT")
