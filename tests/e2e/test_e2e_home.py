"""End to end: the App Home tab, published on ``app_home_opened``, and its recent lookups.

Signed requests (JSON events, interactions) into the real app; the sandbox CrowdTwist and the
loopback fake Slack over HTTP; a real redis-server for the shared list. Every view and message
seen is checked against Block Kit's limits (``tests/e2e_helpers.py``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from bot.app import build_app
from bot.fake_slack import FakeSlack, payloads
from bot.query import decode_query
from bot.sandbox import SandboxServer
from bot.server import build_web_app
from bot.services import Services, crowdtwist_client
from bot.shared_state import SharedState
from bot.slack_ids import (
    HOME_LOOKUP_ACTION_PREFIX,
    LOOKUP_VIEW_CALLBACK_ID,
    NEXT_PAGE_ACTION,
    OPEN_FORM_ACTION,
    SHARE_ACTION,
)
from tests.conftest import SIGNING_SECRET, RunningBot, make_settings
from tests.e2e.test_e2e_slack import form_values
from tests.support.e2e_helpers import api_calls, button, has_button, response_posts, text_of
from tests.support.redis_server import RedisServer
from tests.support.slack_driver import USER, SlackDriver

ALICE = "alice@example.com"
OTHER_AGENT = "U0AGENT02"


async def home_of(bot: RunningBot, user: str = USER) -> dict[str, Any]:
    """Open ``user``'s Home tab; the view the bot published for them."""
    before = len(bot.slack.calls_to("views.publish"))
    response = await bot.driver.event(payloads.app_home_opened(user))
    assert response.status_code == 200
    calls = await api_calls(bot.slack, "views.publish", count=before + 1)
    published = calls[before].message
    assert published["user_id"] == user
    view: dict[str, Any] = published["view"]
    assert view["type"] == "home"
    return view


async def looked_up(bot: RunningBot, text: str, *, user: str = USER) -> None:
    sent = await bot.driver.command(text, user=user)
    await response_posts(bot.slack, sent.token)


async def test_home_shows_help_the_form_button_and_that_agents_own_lookups(
    bot: RunningBot,
) -> None:
    await looked_up(bot, f"{ALICE} since 2025-01-01")
    await looked_up(bot, "ben.okafor@example.com")
    await looked_up(bot, "carmen.ruiz@example.com", user=OTHER_AGENT)

    view = await home_of(bot)
    seen = text_of(view)
    assert "/purchases" in seen and "jane@example.com since 2024-03-01" in seen
    assert has_button(view, OPEN_FORM_ACTION)
    assert "Your recent lookups" in seen
    assert "carmen.ruiz@example.com" not in json.dumps(view)  # another agent's
    values = [
        decode_query(button(view, f"{HOME_LOOKUP_ACTION_PREFIX}_{i}")["value"]) for i in (0, 1)
    ]
    assert [q.member for q in values if q] == ["ben.okafor@example.com", ALICE]  # newest first
    assert values[1] is not None and str(values[1].start) == "2025-01-01"
    assert "<!date^" in json.dumps(view["blocks"])  # when, in the reader's zone
    assert not has_button(view, f"{HOME_LOOKUP_ACTION_PREFIX}_2")

    theirs = await home_of(bot, OTHER_AGENT)
    assert "carmen.ruiz@example.com" in json.dumps(theirs) and ALICE not in json.dumps(theirs)


async def test_the_home_form_button_opens_the_lookup_form_which_answers_in_the_dm(
    bot: RunningBot,
) -> None:
    view = await home_of(bot)
    click = await bot.driver.click_in_view(view, OPEN_FORM_ACTION)
    assert click.response.status_code == 200
    (opened,) = await api_calls(bot.slack, "views.open")
    form = opened.message["view"]
    assert form["callback_id"] == LOOKUP_VIEW_CALLBACK_ID
    await bot.driver.submit_view(form, form_values(ALICE))
    (posted,) = await api_calls(bot.slack, "chat.postMessage")
    assert posted.message["channel"].startswith("D")  # the agent's DM with the bot
    assert "Page 1 of 3" in text_of(posted.message)
    assert not has_button(posted.message, SHARE_ACTION)


async def test_a_lookup_from_home_answers_in_the_dm_and_pages_there(bot: RunningBot) -> None:
    await looked_up(bot, ALICE)
    view = await home_of(bot)
    again = button(view, f"{HOME_LOOKUP_ACTION_PREFIX}_0")
    await bot.driver.click_in_view(view, again["action_id"], again["value"])
    (opened,) = await api_calls(bot.slack, "conversations.open")
    assert opened.args["users"] == USER
    (posted,) = await api_calls(bot.slack, "chat.postMessage")
    dm = posted.message
    assert dm["channel"] == "D" + USER[1:]
    assert "Page 1 of 3" in text_of(dm)
    assert not has_button(dm, SHARE_ACTION)

    page = await bot.driver.click(
        NEXT_PAGE_ACTION,
        button(dm, NEXT_PAGE_ACTION)["value"],
        channel=dm["channel"],
        ephemeral=False,
        message={"ts": posted.result["ts"], "blocks": dm["blocks"]},
    )
    (page2,) = await response_posts(bot.slack, page.token)
    assert page2["replace_original"] is True and "Page 2 of 3" in text_of(page2)
    assert not has_button(page2, SHARE_ACTION)
    # The Home view is published again with the lookup at the top.
    calls = await api_calls(bot.slack, "views.publish", count=2)
    refreshed = calls[1].message["view"]
    first = decode_query(button(refreshed, f"{HOME_LOOKUP_ACTION_PREFIX}_0")["value"])
    assert first is not None and first.member == ALICE


async def test_a_refused_agent_sees_help_and_whom_to_ask_but_no_lookups(
    bot_factory: Any,
) -> None:
    bot = await bot_factory(allowed_slack_user_ids=frozenset({USER}))
    refused = await bot.driver.command(ALICE, user="U0STRANGER")  # answered in the ack
    assert "not on the list" in refused.response.text
    view = await home_of(bot, "U0STRANGER")
    seen = text_of(view)
    assert "not on the list" in seen and "Ask a Slack admin" in seen
    assert "Your recent lookups" not in seen
    assert not has_button(view, OPEN_FORM_ACTION)
    assert not has_button(view, HOME_LOOKUP_ACTION_PREFIX)


async def test_recent_lookups_hours_zero_shows_no_list(bot_factory: Any) -> None:
    bot = await bot_factory(recent_lookups_hours=0)
    await looked_up(bot, ALICE)
    view = await home_of(bot)
    assert has_button(view, OPEN_FORM_ACTION)
    assert "Your recent lookups" not in text_of(view)
    assert ALICE not in json.dumps(view)


async def test_the_messages_tab_publishes_nothing(bot: RunningBot) -> None:
    response = await bot.driver.event(payloads.app_home_opened(USER, tab="messages"))
    assert response.status_code == 200
    await looked_up(bot, ALICE)  # something after it, so the bot had its chance
    assert not bot.slack.calls_to("views.publish")


@pytest.fixture
async def redis_bots(
    sandbox: SandboxServer, fake_slack: FakeSlack, redis_server: RedisServer
) -> AsyncIterator[Callable[[], Any]]:
    """Start in-process bots sharing one Redis (each with its own SharedState)."""
    started: list[tuple[web.AppRunner, Services, SlackDriver]] = []

    async def start() -> RunningBot:
        settings = make_settings(sandbox, fake_slack, redis_url=redis_server.url)
        shared = SharedState.from_settings(settings)
        assert shared is not None
        await shared.start()
        services = Services.from_settings(
            settings, crowdtwist_client(settings, shared=shared), shared
        )
        runner = web.AppRunner(build_web_app(build_app(services), services), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET, fake_slack.base_url)
        started.append((runner, services, driver))
        return RunningBot(base, services, fake_slack, sandbox, driver, runner)

    yield start
    for runner, services, driver in started:
        await driver.http.aclose()
        await runner.cleanup()
        await services.aclose()


async def test_recent_lookups_in_redis_are_shared_by_two_services(
    redis_bots: Callable[[], Any],
) -> None:
    one: RunningBot = await redis_bots()
    two: RunningBot = await redis_bots()
    await looked_up(one, ALICE)
    await looked_up(two, "ben.okafor@example.com")
    view = await home_of(two)
    members = []
    for i in (0, 1):
        query = decode_query(button(view, f"{HOME_LOOKUP_ACTION_PREFIX}_{i}")["value"])
        assert query is not None
        members.append(query.member)
    assert members == ["ben.okafor@example.com", ALICE]
    other = await home_of(one, OTHER_AGENT)
    assert ALICE not in json.dumps(other)


async def test_with_redis_down_the_list_comes_from_the_process(
    redis_bots: Callable[[], Any], redis_server: RedisServer
) -> None:
    bot: RunningBot = await redis_bots()
    await redis_server.stop()
    await looked_up(bot, ALICE)  # answered; recorded in this process only
    view = await home_of(bot)
    query = decode_query(button(view, f"{HOME_LOOKUP_ACTION_PREFIX}_0")["value"])
    assert query is not None and query.member == ALICE


async def test_a_channel_allow_list_keeps_lookups_off_the_home_tab(bot_factory: Any) -> None:
    bot = await bot_factory(allowed_slack_channel_ids=frozenset({"C0SUPPORT"}))
    await looked_up(bot, ALICE)  # allowed in the channel
    view = await home_of(bot)
    seen = text_of(view)
    assert "limited to the allowed channels" in seen and "Ask a Slack admin" in seen
    assert ALICE not in json.dumps(view)
