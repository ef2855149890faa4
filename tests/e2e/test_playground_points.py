"""The playground serves the member summary by itself: the sandbox answers as the main host."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import Settings
from bot.playground.server import Playground
from bot.sandbox import DEMO_MEMBERS
from bot.sandbox.points import points_answer
from bot.slack_ids import POINTS_ACTION
from tests.e2e.test_playground import Page


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with (
        Playground(Settings(_env_file=None, log_format="text")) as running,
        aiohttp.ClientSession() as http,
    ):
        yield Page(running, http)


async def test_the_playground_card_has_the_balance_and_the_points_ledger(page: Page) -> None:
    alice = points_answer(next(m for m in DEMO_MEMBERS if m.key == "alice"))
    await page.command("/purchases alice@example.com")
    card = await page.wait_for_message("Page 1 of")
    line = f"*{alice['total_points']:,}* points · *{alice['redeemable_points']:,}* redeemable"
    assert line in json.dumps(card.blocks, ensure_ascii=False)
    assert (await page.click(card, POINTS_ACTION))["ok"]
    await page.workspace.wait_for(
        lambda w: bool(w.modals) and "reward redemption" in json.dumps(w.modals[-1].view)
    )
