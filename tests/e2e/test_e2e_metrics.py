"""``GET /metrics`` after known traffic: exact counts, bounded labels, the token rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.app import build_app
from bot.crowdtwist.models import IdType
from bot.fake_slack import RESPONSE_METHOD, FakeSlack
from bot.sandbox import SandboxServer
from bot.server import build_web_app
from bot.services import Services, crowdtwist_client
from bot.shared_state import SharedState
from bot.slack_ids import DETAILS_ACTION_PREFIX, EXPORT_ACTION, NEXT_PAGE_ACTION, POINTS_ACTION
from tests.conftest import RunningBot, make_settings
from tests.e2e.test_e2e_slack import form_values
from tests.support import slack_payloads
from tests.support.e2e_helpers import api_calls, button, response_posts, text_of
from tests.support.redis_server import RedisServer
from tests.support.slack_driver import USER

TOKEN = "metrics-token-7c1d"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

# What no label may ever look like: a CrowdTwist id, an email, a Slack user or channel id.
PERSONAL = re.compile(r"^\d{6,}$|@|^[UCWDG][A-Z0-9]{7,}$")


async def scrape(bot: RunningBot, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await bot.driver.http.get(f"{bot.base_url}/metrics", headers=headers)


def samples(text: str) -> Samples:
    """Every sample by name and labels, parsed by prometheus-client's own parser."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def with_prefix(found: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in found.items() if n == name and v}


async def test_metrics_count_exactly_the_traffic_sent(bot_factory: Callable[..., Any]) -> None:
    # Eight CrowdTwist attempts are planned below; the ninth lookup finds the budget spent.
    bot: RunningBot = await bot_factory(
        metrics_token=SecretStr(TOKEN),
        prefetch_adjacent_pages=False,
        crowdtwist_max_retries=0,
        crowdtwist_timeout_seconds=0.5,
        crowdtwist_rate_limit_per_minute=8,
        allowed_slack_user_ids=frozenset({USER}),
    )
    slack, faults = bot.slack, bot.sandbox.faults

    sent = await bot.driver.command("alice@example.com")  # card
    (card,) = await response_posts(slack, sent.token)
    assert "Page 1 of 3" in text_of(card)

    # An empty history, answered after Slack refuses the response_url and the ephemeral post.
    slack.fail(RESPONSE_METHOD, 404)
    slack.fail("chat.postEphemeral", 200, body={"ok": False, "error": "not_in_channel"})
    await bot.driver.command("ben.okafor@example.com")
    (dm,) = await api_calls(slack, "chat.postMessage")
    assert "No purchases" in text_of(dm.message)

    sent = await bot.driver.command("nobody@example.com")  # not_found
    await response_posts(slack, sent.token)
    sent = await bot.driver.command("someone 2024-02-30")  # invalid: answered in the ack
    assert "2024-02-30" in sent.response.text
    sent = await bot.driver.command("alice@example.com", user="U0STRANGER")  # denied
    assert sent.response.status_code == 200

    faults.inject(500, b'{"error": "boom"}')
    sent = await bot.driver.command("carmen.ruiz@example.com")  # error: CrowdTwist's 500
    await response_posts(slack, sent.token)
    faults.inject_delay(1.0)
    sent = await bot.driver.command("dev.patel@example.com")  # error: a timeout
    await response_posts(slack, sent.token)

    details = button(card, DETAILS_ACTION_PREFIX)
    await bot.driver.click(details["action_id"], details["value"])
    await api_calls(slack, "views.update")
    sent = await bot.driver.click(NEXT_PAGE_ACTION, button(card, NEXT_PAGE_ACTION)["value"])
    (page2,) = await response_posts(slack, sent.token)
    assert "Page 2 of 3" in text_of(page2)
    nxt = button(page2, NEXT_PAGE_ACTION)["value"]
    sent = await bot.driver.click(NEXT_PAGE_ACTION, nxt, user="U0STRANGER")  # page: denied
    await response_posts(slack, sent.token)
    sent = await bot.driver.click(EXPORT_ACTION, button(card, EXPORT_ACTION)["value"])
    await response_posts(slack, sent.token, count=2)  # "exporting…", then done
    await api_calls(slack, "files.completeUploadExternal")

    await bot.driver.command("", trigger_id="trig-form")  # the form: no lookup yet
    form = (await api_calls(slack, "views.open", count=2))[-1]  # Details opened the first
    refused = await bot.driver.submit_view(form.message["view"], form_values("  "))
    assert refused.response.json()["response_action"] == "errors"  # form: invalid

    sent = await bot.driver.command("grace.lindqvist@example.com")  # busy: the budget is spent
    (busy,) = await response_posts(slack, sent.token)
    assert "busy" in text_of(busy)

    answer = await scrape(bot)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(answer.text)

    lookups = with_prefix(found, "purchases_lookups_total")
    assert lookups == {
        (("entry", "command"), ("outcome", "card")): 1,
        (("entry", "command"), ("outcome", "empty")): 1,
        (("entry", "command"), ("outcome", "not_found")): 1,
        (("entry", "command"), ("outcome", "invalid")): 1,
        (("entry", "command"), ("outcome", "denied")): 1,
        (("entry", "command"), ("outcome", "error")): 2,
        (("entry", "command"), ("outcome", "busy")): 1,
        (("entry", "details"), ("outcome", "card")): 1,
        (("entry", "form"), ("outcome", "invalid")): 1,
        (("entry", "page"), ("outcome", "card")): 1,
        (("entry", "page"), ("outcome", "denied")): 1,
        (("entry", "export"), ("outcome", "card")): 1,
    }
    answered = with_prefix(found, "purchases_answer_seconds_count")
    assert answered == {
        (("entry", "command"),): 8,
        (("entry", "details"),): 1,
        (("entry", "form"),): 1,
        (("entry", "page"),): 2,
        (("entry", "export"),): 1,
    }
    # The timed-out lookup waited 0.5 s for CrowdTwist: its answer is in the 0.5 s+ buckets.
    assert value(found, "purchases_answer_seconds_bucket", entry="command", le="0.3") <= 7
    assert with_prefix(found, "crowdtwist_requests_total") == {
        (("endpoint", "purchases"), ("status", "200")): 4,  # alice p1, ben, Next, export p3
        (("endpoint", "purchases"), ("status", "404")): 1,
        (("endpoint", "purchases"), ("status", "500")): 1,
        (("endpoint", "purchases"), ("status", "timeout")): 1,
        (("endpoint", "purchase_detail"), ("status", "200")): 1,
    }
    assert with_prefix(found, "crowdtwist_request_seconds_count") == {
        (("endpoint", "purchases"),): 7,
        (("endpoint", "purchase_detail"),): 1,
    }
    # The export found pages 1 and 2 cached (the command and Next fetched them).
    assert value(found, "crowdtwist_cache_total", result="hit") == 2
    assert value(found, "crowdtwist_cache_total", result="miss") == 9
    assert value(found, "crowdtwist_cache_total", result="coalesced") == 0
    assert value(found, "crowdtwist_budget_remaining") == 0
    assert with_prefix(found, "slack_api_errors_total") == {
        (("error", "404"), ("method", "response_url")): 1,
        (("error", "not_in_channel"), ("method", "chat.postEphemeral")): 1,
    }
    assert value(found, "purchases_in_flight") == 0
    assert not any(name == "redis_up" for name, _ in found)

    labels = {v for _, pairs in found for _, v in pairs}
    assert "command" in labels
    assert not [v for v in labels if PERSONAL.search(v)], labels


async def test_metrics_need_the_bearer_token_when_one_is_set(
    bot_factory: Callable[..., Any],
) -> None:
    bot: RunningBot = await bot_factory(metrics_token=SecretStr(TOKEN))
    assert (await scrape(bot, token=None)).status_code == 401
    assert (await scrape(bot, token="wrong")).status_code == 401
    refused = await bot.driver.http.get(f"{bot.base_url}/metrics", headers={"Authorization": TOKEN})
    assert refused.status_code == 401
    assert TOKEN not in refused.text
    assert (await scrape(bot)).status_code == 200
    assert (await bot.driver.http.get(f"{bot.base_url}/healthz")).status_code == 200


async def test_metrics_are_open_without_a_token_and_gone_when_disabled(
    bot_factory: Callable[..., Any],
) -> None:
    open_bot: RunningBot = await bot_factory()
    answer = await scrape(open_bot, token=None)
    assert answer.status_code == 200
    # Two bots in one process count on their own registries: no clash, no shared counts.
    other: RunningBot = await bot_factory()
    await other.driver.command("alice@example.com")
    await other.slack.wait_for(lambda c: c.method == RESPONSE_METHOD)
    assert value(samples((await scrape(open_bot, None)).text), "purchases_lookups_total") == 0
    counted = samples((await scrape(other, None)).text)
    assert value(counted, "purchases_lookups_total", entry="command", outcome="card") == 1

    off: RunningBot = await bot_factory(metrics_enabled=False)
    assert (await scrape(off, token=None)).status_code == 404
    assert (await off.driver.http.get(f"{off.base_url}/healthz")).status_code == 200


async def test_with_redis_the_budget_is_every_replicas_and_redis_up_follows_redis(
    redis_server: RedisServer, sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    async with AsyncExitStack() as stack:

        async def replica() -> tuple[Services, str]:
            settings = make_settings(
                sandbox,
                fake_slack,
                redis_url=SecretStr(redis_server.url),
                crowdtwist_rate_limit_per_minute=100,
                prefetch_adjacent_pages=False,
            )
            shared = SharedState(redis_server.url, timeout=0.3, probe_seconds=0.1)
            await shared.start()
            client = crowdtwist_client(settings, shared=shared)
            services = Services.from_settings(settings, client, shared)
            runner = web.AppRunner(build_web_app(build_app(services), services))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return services, f"http://127.0.0.1:{runner.addresses[0][1]}/metrics"

        (a, _), (_, b_url) = await replica(), await replica()
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=5))
        await a.crowdtwist.purchase_history("alice@example.com", IdType.EMAIL)
        await a.crowdtwist.purchase_history("ben.okafor@example.com", IdType.EMAIL)

        seen_by_b = samples((await http.get(b_url)).text)
        assert value(seen_by_b, "redis_up") == 1
        assert value(seen_by_b, "crowdtwist_budget_remaining") == 98  # A's two, seen by B

        await redis_server.stop()
        assert a.shared is not None
        await a.crowdtwist.purchase_history("carmen.ruiz@example.com", IdType.EMAIL)
        assert not a.shared.available
        alone = samples((await http.get(b_url)).text)
        assert value(alone, "redis_up") == 0
        # Down, B falls back on its own share of the limit (two replicas were alive).
        assert value(alone, "crowdtwist_budget_remaining") == 50
        await redis_server.start()
        assert a.shared is not None and await a.shared.wait_until_available(5)


async def test_a_refused_click_slack_sent_counts_as_denied_under_its_entry(
    bot_factory: Callable[..., Any],
) -> None:
    # bolt-python's block_actions fixture (an ephemeral card's click: a container, no
    # message), with our buttons' ids and the fake Slack's response_url put in.
    bot: RunningBot = await bot_factory(allowed_slack_user_ids=frozenset({USER}))
    for action_id in (NEXT_PAGE_ACTION, EXPORT_ACTION):
        payload, token = slack_payloads.block_actions(
            "bolt_python_block_actions_ephemeral", bot.driver, action_id, "{}"
        )
        sent = await slack_payloads.send_payload(bot.driver, payload, token)
        assert sent.response.status_code == 200
        (note,) = await response_posts(bot.slack, token)
        assert "W111" not in text_of(note)
    found = samples((await scrape(bot, token=None)).text)
    assert with_prefix(found, "purchases_lookups_total") == {
        (("entry", "page"), ("outcome", "denied")): 1,
        (("entry", "export"), ("outcome", "denied")): 1,
    }
    assert with_prefix(found, "crowdtwist_requests_total") == {}


async def test_points_and_receipts_count_under_their_own_entries_and_endpoints(
    bot_factory: Callable[..., Any], sandbox: SandboxServer
) -> None:
    """The ledger and the receipts are answers too: each counted once under its own entry,
    and their main-host calls under their own endpoint (never under purchases)."""
    bot: RunningBot = await bot_factory(
        metrics_token=SecretStr(TOKEN),
        prefetch_adjacent_pages=False,
        crowdtwist_main_url=sandbox.base_url,
    )
    sent = await bot.driver.command("alice@example.com")
    (card,) = await response_posts(bot.slack, sent.token)
    points = button(card, POINTS_ACTION)
    clicked = await bot.driver.click(POINTS_ACTION, points["value"])
    assert clicked.response.status_code == 200
    await api_calls(bot.slack, "views.update")
    receipts = await bot.driver.command("alice@example.com receipts")
    (listed,) = await response_posts(bot.slack, receipts.token)
    assert "need you" in text_of(listed)
    carmen = await bot.driver.command("carmen.ruiz@example.com receipts")  # scans none
    await response_posts(bot.slack, carmen.token)

    found = samples((await scrape(bot)).text)
    lookups = with_prefix(found, "purchases_lookups_total")
    assert lookups == {
        (("entry", "command"), ("outcome", "card")): 1,
        (("entry", "points"), ("outcome", "card")): 1,
        (("entry", "receipts"), ("outcome", "card")): 1,
        (("entry", "receipts"), ("outcome", "empty")): 1,
    }
    requests = with_prefix(found, "crowdtwist_requests_total")
    assert value(found, "crowdtwist_requests_total", endpoint="purchases", status="200") == 1
    assert value(found, "crowdtwist_requests_total", endpoint="points", status="200") >= 1
    assert value(found, "crowdtwist_requests_total", endpoint="receipts", status="200") >= 1
    assert value(found, "crowdtwist_requests_total", endpoint="receipts", status="400") == 1
    assert {dict(labels)["endpoint"] for labels in requests} == {"purchases", "points", "receipts"}
