"""find: and only: end to end, over real HTTP, on the sandbox's 203-purchase member (21 pages)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from bot.answers.export import safe_cell
from bot.cards import PAGE_SIZE, RangeTotals, matches
from bot.cards.purchases import FOUND_MARK
from bot.crowdtwist.models import Purchase
from bot.query.model import Only
from bot.sandbox.data import DEMO_MEMBERS
from bot.sandbox.points import points_answer
from bot.sandbox.server import SandboxServer
from bot.slack_ids import (
    FORM_FIND_ACTION,
    FORM_FIND_BLOCK,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_ONLY_ACTION,
    FORM_ONLY_BLOCK,
    NEXT_PAGE_ACTION,
    POINTS_ACTION,
    PREV_PAGE_ACTION,
    RECEIPTS_ACTION,
    SHARE_ACTION,
)
from tests.conftest import RunningBot
from tests.e2e.test_e2e_export import export
from tests.support import slack_payloads
from tests.support.e2e_helpers import api_calls, button, has_button, response_posts, text_of

HANA = next(m for m in DEMO_MEMBERS if m.key == "hana")
SERVED = [Purchase.model_validate(p.as_history_row()) for p in HANA.purchases]
"""What the sandbox serves for Hana, newest first: 203 purchases, 21 pages."""


def history_calls(bot: RunningBot) -> int:
    return sum(1 for r in bot.sandbox.requests if r.path.endswith("/purchases"))


def row_lines(card: dict[str, Any]) -> list[str]:
    """The purchase rows' first lines, as a person reads them."""
    return [line for line in text_of(card).splitlines() if "`" in line and "·" in line]


def totals_text(totals: RangeTotals) -> str:
    return (
        f"earned *{totals.earned:,}*  ·  awarded *{totals.awarded:,}*"
        f"  ·  awaiting *{totals.awaiting:,}*  ·  shortfall *{totals.shortfall:,}*"
    )


async def ask(bot: RunningBot, text: str, count: int = 1) -> list[dict[str, Any]]:
    sent = await bot.driver.command(text)
    assert sent.response.status_code == 200
    return await response_posts(bot.slack, sent.token, count=count)


def test_the_demo_member_has_21_pages_of_each_kind() -> None:
    assert len(SERVED) == 203
    assert all(sum(matches(p, only) for p in SERVED) >= 20 for only in Only)


async def test_find_on_page_1_reads_one_page(bot_factory: Any) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False)
    wanted = SERVED[4].purchase_id
    (card,) = await ask(bot, f"{HANA.email} find:{wanted}")
    text = text_of(card)
    assert f"Found {wanted} on page 1 of 21" in text
    marked = [line for line in row_lines(card) if FOUND_MARK.strip() in line]
    assert len(marked) == 1 and wanted in marked[0]
    assert history_calls(bot) == 1
    assert "Over the range" not in text  # not every page was read: no totals
    # Next pages on normally from the found page, without find.
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (page2,) = await response_posts(bot.slack, click.token)
    assert "Page 2 of 21" in text_of(page2)
    assert SERVED[10].purchase_id in text_of(page2)


async def test_find_on_page_21_reads_every_page_once_and_totals_the_range(
    bot_factory: Any,
) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False)
    wanted = SERVED[200].purchase_id
    (card,) = await ask(bot, f"{HANA.email} find:{wanted}")
    text = text_of(card)
    assert f"Found {wanted} on page 21 of 21" in text
    assert history_calls(bot) == 21
    assert totals_text(RangeTotals.of(SERVED)) in text
    assert has_button(card, PREV_PAGE_ACTION) and not has_button(card, NEXT_PAGE_ACTION)


async def test_find_in_the_middle_stops_early(bot_factory: Any) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False, export_concurrency=2)
    wanted = SERVED[25].purchase_id  # page 3
    (card,) = await ask(bot, f"{HANA.email} find {wanted}")
    assert f"Found {wanted} on page 3 of 21" in text_of(card)
    # Page 1, then two at a time: pages 2 and 3, and at most one more already asked for.
    assert history_calls(bot) <= 4
    value = button(card, NEXT_PAGE_ACTION)["value"]
    assert '"f"' not in value and '"p":4' in value


async def test_find_ignores_case_when_nothing_matches_exactly(bot: RunningBot) -> None:
    wanted = SERVED[12].purchase_id
    (card,) = await ask(bot, f"{HANA.email} find:{wanted.lower()}")
    assert f"Found {wanted.lower()} on page 2 of 21" in text_of(card)
    assert wanted in "\n".join(line for line in row_lines(card) if "Found" in line)


async def test_an_absent_purchase_says_how_many_were_searched(bot_factory: Any) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False)
    (answer,) = await ask(bot, f'{HANA.email} find:"NW 999 999"')
    text = text_of(answer)
    assert "No purchase `NW 999 999` among the 203 purchases searched" in text
    assert "(21 of 21 pages)" in text
    assert "page cap" not in text
    assert history_calls(bot) == 21


async def test_the_page_cap_is_said_when_it_stopped_the_search(bot_factory: Any) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False, export_max_pages=3)
    (answer,) = await ask(bot, f"{HANA.email} find:{SERVED[150].purchase_id}")
    text = text_of(answer)
    assert "among the 30 purchases searched" in text and "(3 of 21 pages)" in text
    assert "page cap" in text
    assert history_calls(bot) == 3


async def test_dates_still_narrow_a_find(bot: RunningBot) -> None:
    newest = SERVED[0].last_date_purchased
    assert newest is not None
    day = newest.date().isoformat()
    (answer,) = await ask(bot, f"{HANA.email} on {day} find:{SERVED[100].purchase_id}")
    assert "No purchase" in text_of(answer)
    assert all(r.query.get("date_start") == day for r in bot.sandbox.requests)


@pytest.mark.parametrize("only", list(Only))
async def test_each_filter_counts_sums_and_pages_from_the_cache(
    bot_factory: Any, only: Only
) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False)
    kept = [p for p in SERVED if matches(p, only)]
    (card,) = await ask(bot, f"{HANA.email} only:{only.value}")
    text = text_of(card)
    pages = -(-len(kept) // PAGE_SIZE)
    assert f"{len(kept)} of 203 purchases {only.phrase}" in text
    assert f"Page 1 of {pages}" in text
    assert totals_text(RangeTotals.of(SERVED)) in text
    shown = row_lines(card)
    assert [p.purchase_id for p in kept[:PAGE_SIZE]] == [
        next(p.purchase_id for p in kept if f"`{p.purchase_id}`" in line) for line in shown
    ]
    calls = history_calls(bot)
    assert calls == 21
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (second,) = await response_posts(bot.slack, click.token)
    assert f"Page 2 of {pages}" in text_of(second)
    for purchase in kept[PAGE_SIZE : 2 * PAGE_SIZE]:
        assert f"`{purchase.purchase_id}`" in text_of(second)
    assert history_calls(bot) == calls  # every page from the cache
    assert has_button(second, PREV_PAGE_ACTION)


async def test_a_filter_that_matches_nothing_says_so(bot: RunningBot) -> None:
    # Carmen's rows never report points awaiting.
    (answer,) = await ask(bot, "carmen.ruiz@example.com only:awaiting")
    assert "None of the 12 purchases have points awaiting" in text_of(answer)
    assert not has_button(answer, NEXT_PAGE_ACTION)


async def test_export_of_a_filtered_card_exports_the_matches(bot: RunningBot) -> None:
    rows, _ = await export(bot, f"{HANA.email} only:capped")
    kept = [p.purchase_id for p in SERVED if matches(p, Only.CAPPED)]
    assert [r["purchase_id"] for r in rows] == [safe_cell(i) for i in kept]


async def test_a_slow_search_shows_its_progress_then_the_answer_in_its_place(
    bot_factory: Any,
) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False, export_concurrency=5)
    bot.sandbox.faults.latency_seconds = 0.35  # 1 + 4 rounds: about 1.75 s in all
    sent = await bot.driver.command(f"{HANA.email} find:absent-id")
    calls = await bot.slack.wait_for(
        lambda c: c.args.get("_token") == sent.token and "No purchase" in str(c.message), count=1
    )
    posts = [c.message for c in bot.slack.calls if c.args.get("_token") == sent.token]
    assert calls
    notes, final = posts[:-1], posts[-1]
    # A command's reply cannot be replaced: one note, then the answer (asked to replace it).
    (note,) = notes
    assert re.search(r"Searching… [0-9]+ of 21 pages", text_of(note))
    assert note["replace_original"] is False and note["response_type"] == "ephemeral"
    assert final["replace_original"] is True
    assert "No purchase" in text_of(final)


async def test_a_slow_filtered_click_replaces_the_card_with_progress_then_the_page(
    bot_factory: Any,
) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False, cache_ttl_seconds=1)
    (card,) = await ask(bot, f"{HANA.email} only:awaiting")
    await asyncio.sleep(1.1)  # the cache has forgotten the range: the click gathers it again
    bot.sandbox.faults.latency_seconds = 0.5  # 1 + 4 rounds: about 2.5 s
    started = time.monotonic()
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    await bot.slack.wait_for(
        lambda c: c.args.get("_token") == click.token and "Page 2 of" in str(c.message)
    )
    took = time.monotonic() - started
    posts = [c.message for c in bot.slack.calls if c.args.get("_token") == click.token]
    notes, final = posts[:-1], posts[-1]
    assert 1 <= len(notes) <= min(3, int(took))  # at most one a second, at most three
    assert all(n["replace_original"] is True and "Searching…" in text_of(n) for n in notes)
    counts = [int(re.findall(r"Searching… ([0-9]+) of", text_of(n))[0]) for n in notes]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)  # it moves
    assert final["replace_original"] is True and "Page 2 of 3" in text_of(final)


async def test_a_find_over_budget_answers_with_what_it_searched(bot_factory: Any) -> None:
    bot = await bot_factory(prefetch_adjacent_pages=False, crowdtwist_rate_limit_per_minute=4)
    sent = await bot.driver.command(f"{HANA.email} find:absent-id")
    (answer,) = await response_posts(bot.slack, sent.token)
    text = text_of(answer)
    assert "among the 40 purchases searched" in text and "(4 of 21 pages)" in text
    assert "request budget" in text
    assert history_calls(bot) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("find:x only:short", "cannot go together"),
        ("only:capped page:2", "cannot go together"),
        ("find:a find:b", "set twice"),
        ("only:all", "Unknown filter `all`"),
        ("find", "needs a purchase id"),
    ],
)
async def test_wrong_words_are_answered_at_once_without_crowdtwist(
    bot: RunningBot, text: str, expected: str
) -> None:
    sent = await bot.driver.command(f"{HANA.email} {text}")
    assert expected in text_of(sent.response.json())
    await asyncio.sleep(0.05)
    assert history_calls(bot) == 0


async def test_after_a_burst_of_30_lookups_every_next_is_answered_from_memory(
    bot: RunningBot,
) -> None:
    bot.sandbox.faults.latency_seconds = 0.15
    queries = [
        f"{email} until 2026-10-{day:02d}"
        for email in (HANA.email, "dev.patel@example.com")
        for day in range(1, 16)
    ]
    sent = await asyncio.gather(*(bot.driver.command(q) for q in queries))
    cards = [
        (await response_posts(bot.slack, s.token))[0] for s in sent
    ]  # 30 cards, each with a Next button
    await asyncio.sleep(3.0)  # the prefetches queued behind the burst finish meanwhile
    before = len(bot.sandbox.requests)
    clicks = await asyncio.gather(
        *(bot.driver.click(NEXT_PAGE_ACTION, button(c, NEXT_PAGE_ACTION)["value"]) for c in cards)
    )
    for click in clicks:
        (page2,) = await response_posts(bot.slack, click.token)
        assert "Page 2 of" in text_of(page2)
    later = [r for r in bot.sandbox.requests[before:] if r.path.endswith("/purchases")]
    # Every Next from the cache: what was asked for since is only the pages after them.
    assert all(r.query.get("page") == "3" for r in later)
    assert bot.services.crowdtwist.stats.prefetches >= 30


def form_values(member: str, find: str | None, only: str | None) -> dict[str, Any]:
    """The form's state as Slack sends it: untouched fields carry nulls."""
    option = {"text": {"type": "plain_text", "text": only}, "value": only} if only else None
    return {
        FORM_MEMBER_BLOCK: {FORM_MEMBER_ACTION: {"type": "plain_text_input", "value": member}},
        FORM_FIND_BLOCK: {FORM_FIND_ACTION: {"type": "plain_text_input", "value": find}},
        FORM_ONLY_BLOCK: {FORM_ONLY_ACTION: {"type": "static_select", "selected_option": option}},
    }


async def test_the_form_finds_a_purchase_or_filters(bot: RunningBot) -> None:
    sent = await bot.driver.command("", trigger_id="trig-form")
    (opened,) = await api_calls(bot.slack, "views.open")
    view = opened.message["view"]
    assert "Purchase id" in text_of(view) and "Show only" in text_of(view)

    both = await bot.driver.submit_view(view, form_values(HANA.email, "NW-1", "capped"))
    assert FORM_FIND_BLOCK in both.response.json()["errors"]
    wrong = await bot.driver.submit_view(view, form_values(HANA.email, None, "everything"))
    assert FORM_ONLY_BLOCK in wrong.response.json()["errors"]
    assert history_calls(bot) == 0

    wanted = SERVED[57].purchase_id
    found = await bot.driver.submit_view(view, form_values(HANA.email, f" {wanted} ", "all"))
    assert found.response.status_code == 200 and found.response.text == ""
    (card,) = await response_posts(bot.slack, sent.token)
    assert f"Found {wanted} on page 6 of 21" in text_of(card)

    filtered = await bot.driver.submit_view(view, form_values(HANA.email, None, "awaiting"))
    assert filtered.response.status_code == 200
    cards = await response_posts(bot.slack, sent.token, count=2)
    kept = sum(matches(p, Only.AWAITING) for p in SERVED)
    assert f"{kept} of 203 purchases have points awaiting" in text_of(cards[-1])


async def test_slacks_own_view_submission_with_null_fields_reaches_the_find(
    bot: RunningBot,
) -> None:
    # bolt-python's view_submission fixture (an Enterprise Grid team, response_urls), with our
    # form's state: Slack sends null for the fields left untouched.
    sent = await bot.driver.command("", trigger_id="trig-form")
    (opened,) = await api_calls(bot.slack, "views.open")
    ours = opened.message["view"]
    wanted = SERVED[101].purchase_id
    values = form_values(HANA.email, wanted, None)
    values[FORM_ONLY_BLOCK][FORM_ONLY_ACTION]["selected_option"] = None
    payload, token = slack_payloads.view_submission(
        "bolt_python_view_submission_response_urls",
        bot.driver,
        callback_id=ours["callback_id"],
        values=values,
        private_metadata=ours["private_metadata"],
    )
    submitted = await slack_payloads.send_payload(bot.driver, payload, token)
    assert submitted.response.status_code == 200 and submitted.response.text == ""
    (card,) = await response_posts(bot.slack, sent.token)
    assert f"Found {wanted} on page 11 of 21" in text_of(card)


async def test_a_shared_filtered_card_is_the_filtered_page_and_pages_over_the_matches(
    bot: RunningBot,
) -> None:
    kept = [p for p in SERVED if matches(p, Only.CAPPED)]
    (card,) = await ask(bot, f"{HANA.email} only:capped")
    click = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (second,) = await response_posts(bot.slack, click.token)
    shared = await bot.driver.click(SHARE_ACTION, button(second, SHARE_ACTION)["value"])
    assert shared.response.status_code == 200
    (posted,) = await api_calls(bot.slack, "chat.postMessage")
    copy = posted.message
    assert f"{len(kept)} of 203 purchases were capped" in text_of(copy)
    assert f"`{kept[PAGE_SIZE].purchase_id}`" in text_of(copy)  # the second page of matches
    assert "Shared by" in text_of(copy) and not has_button(copy, SHARE_ACTION)
    calls = history_calls(bot)
    back = await bot.driver.click(
        PREV_PAGE_ACTION,
        button(copy, PREV_PAGE_ACTION)["value"],
        ephemeral=False,
        message={"ts": posted.result["ts"], "blocks": copy["blocks"]},
        user="U0COLLEAGUE",
    )
    (first,) = await response_posts(bot.slack, back.token)
    assert "Page 1 of" in text_of(first) and "Shared by" in text_of(first)
    assert f"`{kept[0].purchase_id}`" in text_of(first)
    assert history_calls(bot) == calls


async def test_a_member_without_purchases_is_searched_plainly(bot: RunningBot) -> None:
    (found,) = await ask(bot, "ben.okafor@example.com find:NW-1")
    assert "among the 0 purchases searched (1 of 1 page)" in text_of(found)
    (filtered,) = await ask(bot, "ben.okafor@example.com only:short")
    text = text_of(filtered)
    assert "None of the 0 purchases are short of points" in text
    assert "Over the range" not in text


async def test_found_and_filtered_cards_carry_the_balance_and_receipts_like_any_card(
    bot_factory: Any, sandbox: SandboxServer
) -> None:
    """A find's and a filter's cards are cards: the member's points line under the header,
    and Points and Receipts beside Export, as the plain card has them."""
    bot = await bot_factory(prefetch_adjacent_pages=False, crowdtwist_main_url=sandbox.base_url)
    answer = points_answer(HANA)
    balance = f"*{answer['total_points']:,}* points · *{answer['redeemable_points']:,}* redeemable"
    (found,) = await ask(bot, f"{HANA.email} find:{SERVED[25].purchase_id}")
    (filtered,) = await ask(bot, f"{HANA.email} only:awaiting")
    for card in (found, filtered):
        assert card["blocks"][0]["type"] == "header"
        assert balance in str(card["blocks"][2])  # right under the header's context line
        assert has_button(card, POINTS_ACTION) and has_button(card, RECEIPTS_ACTION)
    points_calls = [r for r in bot.sandbox.main_requests if r.path.endswith("/points")]
    assert len(points_calls) == 1  # the second card read the cached balance
