"""Unit tests: the Share button's value, and the recent-lookups list (in memory)."""

from __future__ import annotations

import json
from datetime import date

from bot import cards
from bot.config import ReplyVisibility, Settings
from bot.crowdtwist.models import IdType
from bot.query import PurchaseQuery
from bot.query.model import MAX_MEMBER_LENGTH
from bot.recent import PER_AGENT, RecentLookup, RecentLookups
from bot.share import ShareRef, ShareTarget, share_target
from tests.support.blockkit_rules import assert_valid_message, assert_valid_view

QUERY = PurchaseQuery("jane@example.com", IdType.EMAIL, start=date(2024, 3, 1), page=2)


def test_a_share_value_round_trips_with_the_thread() -> None:
    ref = ShareRef(QUERY, ShareTarget("C0SUPPORT", "1700000000.000300"))
    assert ShareRef.decode(ref.encode()) == ref
    assert len(ref.encode()) <= 2000


def test_the_worst_member_still_fits_a_button_value() -> None:
    member = '"\\' * (MAX_MEMBER_LENGTH // 2)
    ref = ShareRef(PurchaseQuery(member, IdType.THIRD_PARTY_ID), ShareTarget("C0SUPPORT"))
    assert len(ref.encode()) <= 2000 and ShareRef.decode(ref.encode()) == ref


def test_share_values_not_written_by_the_bot_are_refused() -> None:
    good = ShareRef(QUERY, ShareTarget("C0SUPPORT")).encode()
    for bad in (
        None,
        "",
        "x" * 2001,
        "[]",
        good.replace("C0SUPPORT", "#general"),
        good[:-1] + ',"z":1}',
        '{"q":"{}","c":"C0SUPPORT"}',
        good[:-1] + ',"t":"<!channel>"}',
    ):
        assert ShareRef.decode(bad) is None, bad


def test_share_target_only_for_private_cards_in_a_channel() -> None:
    settings = Settings(_env_file=None)
    assert share_target(settings, "C0SUPPORT") == ShareTarget("C0SUPPORT")
    assert share_target(settings, None) is None
    off = settings.model_copy(update={"sharing_enabled": False})
    assert share_target(off, "C0SUPPORT") is None
    visible = settings.model_copy(update={"reply_visibility": ReplyVisibility.IN_CHANNEL})
    assert share_target(visible, "C0SUPPORT") is None


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_recent_lookups_are_per_agent_newest_first_distinct_and_capped() -> None:
    clock = Clock()
    recent = RecentLookups(24, clock=clock)
    for i in range(PER_AGENT + 3):
        clock.now += 1
        await recent.record("U1", PurchaseQuery(f"m{i}@example.com", IdType.EMAIL, page=3))
    clock.now += 1
    await recent.record("U1", PurchaseQuery("m5@example.com", IdType.EMAIL))
    mine = await recent.of("U1")
    assert len(mine) == PER_AGENT
    assert [e.query.member for e in mine[:2]] == ["m5@example.com", "m12@example.com"]
    assert all(e.query.page == 1 for e in mine)
    assert len({e.query for e in mine}) == PER_AGENT
    assert await recent.of("U2") == []


async def test_recent_lookups_expire_and_zero_hours_keeps_nothing() -> None:
    clock = Clock()
    recent = RecentLookups(1, clock=clock)
    await recent.record("U1", QUERY)
    clock.now += 3599
    assert len(await recent.of("U1")) == 1
    clock.now += 2
    assert await recent.of("U1") == []
    off = RecentLookups(0, clock=clock)
    await off.record("U1", QUERY)
    assert not off.enabled and await off.of("U1") == []


def test_a_stored_entry_reads_back_and_garbage_does_not() -> None:
    entry = RecentLookup(QUERY.with_page(1), 1_800_000_000.5)
    assert RecentLookup.decode(entry.encode()) == entry
    for bad in (b"\xff", "[]", '{"q":"x","a":1}', '{"q":"{}","a":true}'):
        assert RecentLookup.decode(bad) is None


def test_the_home_view_with_ten_worst_case_lookups_is_within_block_kits_limits() -> None:
    member = "&<>" * (MAX_MEMBER_LENGTH // 3)
    recent = [
        (PurchaseQuery(member, IdType.THIRD_PARTY_ID, start=date(2024, 1, 1)), 1.8e9 - i)
        for i in range(12)
    ]
    view = cards.home_view(recent)
    assert_valid_view(view)
    assert sum(1 for b in view["blocks"] if "accessory" in b) == cards.HOME_LOOKUPS_SHOWN
    assert_valid_view(cards.home_view(denied_reason="<!channel> " * 200))
    assert_valid_view(cards.home_view(recent, recent_hours=0))


def test_share_notes_are_within_limits_and_link_only_to_https() -> None:
    assert_valid_message(cards.share_refused_message("not_in_channel"))
    assert_valid_message(cards.share_refused_message("x" * 500))
    linked = cards.shared_note("https://brand.slack.com/archives/C1/p1")
    assert "<https://brand.slack.com/archives/C1/p1|" in linked["blocks"][0]["text"]["text"]
    assert "<" not in cards.shared_note("javascript:alert(1)")["blocks"][0]["text"]["text"]


def test_the_home_help_mentions_share_only_when_cards_have_it() -> None:
    assert "*Share*" in json.dumps(cards.home_view())
    assert "Share" not in json.dumps(cards.home_view(sharing=False))
