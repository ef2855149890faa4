"""The playground's Workflow Builder step runner: the page's form in, the step's outcome out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.playground.server import Playground
from bot.playground.state import CHANNEL_ID, USER_ID
from bot.sandbox import DEMO_MEMBERS


@pytest.fixture
async def playground() -> AsyncIterator[Playground]:
    async with Playground(Settings(_env_file=None, log_format="text")) as running:
        yield running


async def run(playground: Playground, body: dict[str, Any]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(playground.url + "/api/workflow/run", json=body) as response,
    ):
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result


async def test_the_step_runs_with_the_forms_inputs_and_shows_its_outputs(
    playground: Playground,
) -> None:
    grace = next(m for m in DEMO_MEMBERS if m.key == "grace")
    result = await run(playground, {"member": grace.email, "id_type": "", "start_date": ""})
    assert result["ok"] is True and result["token_ok"] is True
    assert result["method"] == "functions.completeSuccess"
    assert result["outputs"]["total_purchases"] == 23
    # Empty fields are left out, as Workflow Builder leaves out inputs nobody set.
    assert result["inputs"] == {
        "member": grace.email,
        "requested_by": USER_ID,
        "channel": CHANNEL_ID,
    }


async def test_the_steps_error_is_shown(playground: Playground) -> None:
    result = await run(playground, {"member": "nobody@example.com"})
    assert result["ok"] is False and result["token_ok"] is True
    assert result["error"].startswith("Member not found")
    bad = await run(playground, {"member": "alice@example.com", "start_date": "2026-02-30"})
    assert "start_date: 2026-02-30 is not a date on the calendar." in bad["error"]


async def test_a_field_that_is_not_text_is_refused(playground: Playground) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(playground.url + "/api/workflow/run", json={"member": 5}) as response,
    ):
        assert response.status == 400
