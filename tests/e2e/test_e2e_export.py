"""Export CSV end to end: every page fetched, one private file in the agent's DM."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.answers.export import CSV_COLUMNS, safe_cell, to_csv
from bot.crowdtwist.models import Purchase
from bot.slack_ids import EXPORT_ACTION
from tests.conftest import RunningBot
from tests.support.e2e_helpers import api_calls, button, response_posts, text_of
from tests.support.slack_driver import USER

DEV = "dev.patel@example.com"


async def export(bot: RunningBot, member: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    sent = await bot.driver.command(member)
    (card,) = await response_posts(bot.slack, sent.token)
    click = await bot.driver.click(EXPORT_ACTION, button(card, EXPORT_ACTION)["value"])
    notes = await response_posts(bot.slack, click.token, count=2)
    (complete,) = await api_calls(bot.slack, "files.completeUploadExternal")
    (upload,) = await api_calls(bot.slack, "file_upload")
    content = bot.slack.uploads[upload.args["file_id"]].decode()
    assert complete.message["channel_id"].startswith("D")
    rows = list(csv.DictReader(io.StringIO(content)))
    return rows, notes


async def test_export_of_the_whole_history(bot: RunningBot) -> None:
    rows, notes = await export(bot, DEV)
    assert len(rows) == 213
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len({r["purchase_id"] for r in rows}) == 213
    assert all(r["last_date_purchased"].endswith("Z") for r in rows)
    (opened,) = await api_calls(bot.slack, "conversations.open")
    assert opened.args["users"] == USER
    assert "213" in text_of(notes[-1])
    assert all(n["response_type"] == "ephemeral" for n in notes)


async def test_export_cap_is_said_clearly(bot_factory: Any) -> None:
    bot = await bot_factory(export_max_pages=3)
    rows, notes = await export(bot, DEV)
    assert len(rows) == 30
    assert "3 pages" in text_of(notes[-1]) or "first 30" in text_of(notes[-1])


async def test_export_fetches_pages_in_parallel(bot_factory: Any) -> None:
    bot = await bot_factory(export_concurrency=5, prefetch_adjacent_pages=False)
    bot.sandbox.faults.latency_seconds = 0.1
    await export(bot, DEV)
    history = [r for r in bot.sandbox.requests if r.path.endswith("/purchases")]
    starts = sorted(r.at for r in history)
    # 22 pages at 0.1 s each one after another would take 2.2 s; five at a time is far less.
    assert starts[-1] - starts[0] < 1.5


def test_formula_looking_values_are_neutralised() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for start in "=+-@\t\r":
        assert safe_cell(start + "1").startswith("'")
    assert safe_cell("order_1") == "order_1"
    content = to_csv([Purchase(purchase_id="=cmd|' /C calc'!A0", purchase_id_type="order_id")])
    row = next(csv.DictReader(io.StringIO(content)))
    assert row["purchase_id"].startswith("'=")
    assert row["points_awaiting_fulfillment"] == ""


async def test_a_refused_upload_is_said_and_audited(bot: RunningBot) -> None:
    bot.slack.fail("files.getUploadURLExternal", 400, body={"ok": False, "error": "not_allowed"})
    sent = await bot.driver.command("carmen.ruiz@example.com")
    (card,) = await response_posts(bot.slack, sent.token)
    click = await bot.driver.click(EXPORT_ACTION, button(card, EXPORT_ACTION)["value"])
    notes = await response_posts(bot.slack, click.token, count=2)
    assert "refused the upload" in notes[-1]["text"]


def test_export_file_names_are_safe() -> None:
    from datetime import date

    from bot.crowdtwist.models import IdType
    from bot.listeners.actions import export_filename
    from bot.query import PurchaseQuery

    name = export_filename(
        PurchaseQuery("EU/IE 0044#B", IdType.THIRD_PARTY_ID, start=date(2024, 1, 1))
    )
    assert name == "purchases-EU_IE_0044_B-2024-01-01.csv"
    assert export_filename(PurchaseQuery("../..", IdType.THIRD_PARTY_ID)) == "purchases-member.csv"
