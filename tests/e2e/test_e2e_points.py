"""The member summary end to end: the real bot on HTTP, the sandbox answering as both the POS
host and the main host (User Points), the fake Slack recording what was sent."""

from __future__ import annotations

import json
import logging
import traceback
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.crowdtwist.client import MAIN_HOST, CrowdTwistClient, _QueryKeyTransport
from bot.crowdtwist.errors import CrowdTwistError
from bot.crowdtwist.transport import AiohttpTransport
from bot.fake_slack import RESPONSE_METHOD, FakeSlack
from bot.sandbox import DEMO_MEMBERS, DemoMember, SandboxServer
from bot.sandbox.points import points_answer
from bot.services import crowdtwist_client
from bot.shared_state import KEY_PREFIX, SharedState
from bot.slack_ids import NEXT_PAGE_ACTION, POINTS_ACTION, POINTS_VIEW_CALLBACK_ID, SHARE_ACTION
from tests.conftest import CT_KEY, RunningBot, make_settings
from tests.support import slack_payloads
from tests.support.e2e_helpers import api_calls, button, has_button, response_posts, text_of
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer

UNAVAILABLE = "Points balance unavailable right now"
GRACE_SECONDS = 0.3


def member(key: str) -> DemoMember:
    return next(m for m in DEMO_MEMBERS if m.key == key)


ALICE, CARMEN, SIOBHAN, GRACE = (member(k) for k in ("alice", "carmen", "siobhan", "grace"))


def balance_line(demo: DemoMember) -> str:
    answer = points_answer(demo)
    return (
        f"*{answer['total_points']:,}* points · *{answer['redeemable_points']:,}* redeemable"
        f" · {answer['fan_level']}"
    )


@pytest.fixture
async def pbot(bot_factory: Any, sandbox: SandboxServer) -> RunningBot:
    """A bot whose main host is the sandbox (a loopback origin is never derived)."""
    bot: RunningBot = await bot_factory(crowdtwist_main_url=sandbox.base_url)
    return bot


async def card(bot: RunningBot, text: str) -> tuple[dict[str, Any], float]:
    """The card for ``/purchases text`` and how long after the page was ready it was sent."""
    before = len(bot.sandbox.requests)
    sent = await bot.driver.command(text)
    assert sent.response.status_code == 200
    (message,) = await response_posts(bot.slack, sent.token)
    (call,) = [
        c
        for c in bot.slack.calls
        if c.method == RESPONSE_METHOD and c.args.get("_token") == sent.token
    ]
    page = bot.sandbox.requests[before]
    ready = page.at + bot.sandbox.faults.latency_seconds
    return message, call.at - ready


def line_of(message: dict[str, Any]) -> str:
    """The block right under the header and its context line (the summary's place)."""
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    block = blocks[2]
    return str(block["elements"][0]["text"]) if block["type"] == "context" else ""


# -- the card -----------------------------------------------------------------------------------


async def test_the_card_shows_the_balance_as_the_main_host_sent_it(pbot: RunningBot) -> None:
    message, _ = await card(pbot, ALICE.email)
    assert balance_line(ALICE) in line_of(message)
    assert has_button(message, POINTS_ACTION)
    (asked,) = pbot.sandbox.main_requests
    assert asked.path == "/v2/users/alice%40example.com/points"
    assert asked.query == {"id_type": "email", "api_key": CT_KEY}  # the key as documented
    assert "X-CT-Authorization" not in asked.headers  # the POS header stays on the POS host


async def test_the_points_call_runs_beside_page_1(pbot: RunningBot) -> None:
    pbot.sandbox.faults.latency_seconds = 0.4  # both hosts
    message, _ = await card(pbot, ALICE.crowdtwist_id)
    assert balance_line(ALICE) in line_of(message)
    (page,) = pbot.sandbox.requests[:1]
    (points,) = pbot.sandbox.main_requests
    assert abs(points.at - page.at) < 0.2  # sent together, not one after the other


@pytest.mark.parametrize(
    "fault",
    ["slow", "fails", "garbage", "wrong_type", "huge", "disconnect"],
)
async def test_a_failing_or_slow_points_call_leaves_the_card_on_time(
    pbot: RunningBot, fault: str
) -> None:
    faults = pbot.sandbox.main_faults
    if fault == "slow":
        faults.inject_delay(2.0)
    elif fault == "fails":
        faults.inject(503, '{"error": "internal_error", "message": "down"}', times=3)
    elif fault == "garbage":
        faults.inject(200, "<html>proxy error</html>", content_type="text/html")
    elif fault == "wrong_type":
        faults.inject(200, json.dumps({"total_points": "many", "activities": []}))
    elif fault == "huge":
        faults.inject_huge_body(5 * 1024 * 1024, declare_length=True)
    else:
        faults.inject_disconnect(times=3)
    message, late = await card(pbot, ALICE.email)
    assert UNAVAILABLE in line_of(message)
    assert "Page 1 of 3" in text_of(message)  # purchases still show: never an error card
    assert late < GRACE_SECONDS + 0.25


async def test_carmens_points_call_fails_in_the_sandbox(pbot: RunningBot) -> None:
    message, late = await card(pbot, CARMEN.email)
    assert UNAVAILABLE in line_of(message) and "12 purchases" in text_of(message)
    assert late < GRACE_SECONDS + 0.25


async def test_a_next_click_makes_no_points_call(pbot: RunningBot) -> None:
    message, _ = await card(pbot, ALICE.email)
    assert len(pbot.sandbox.main_requests) == 1
    nxt = button(message, NEXT_PAGE_ACTION)
    click = await pbot.driver.click(nxt["action_id"], nxt["value"])
    (page2,) = await response_posts(pbot.slack, click.token)
    assert "Page 2 of 3" in text_of(page2)
    assert balance_line(ALICE) in line_of(page2)
    assert len(pbot.sandbox.main_requests) == 1


async def test_the_shared_copy_and_its_pages_reuse_the_cached_balance(pbot: RunningBot) -> None:
    message, _ = await card(pbot, ALICE.email)
    share = button(message, SHARE_ACTION)
    click = await pbot.driver.click(SHARE_ACTION, share["value"])
    assert click.response.status_code == 200
    (posted,) = await api_calls(pbot.slack, "chat.postMessage")
    copy = posted.message
    assert balance_line(ALICE) in line_of(copy)
    nxt = button(copy, NEXT_PAGE_ACTION)
    page_click = await pbot.driver.click(
        nxt["action_id"], nxt["value"], ephemeral=False, message=copy
    )
    (page2,) = await response_posts(pbot.slack, page_click.token)
    assert balance_line(ALICE) in line_of(page2) and "Shared by" in text_of(page2)
    assert len(pbot.sandbox.main_requests) == 1


async def test_summary_off_means_no_line_no_button_no_call(
    bot_factory: Any, sandbox: SandboxServer
) -> None:
    bot: RunningBot = await bot_factory(
        crowdtwist_main_url=sandbox.base_url, member_summary_enabled=False
    )
    message, _ = await card(bot, ALICE.email)
    assert "points ·" not in text_of(message) and not has_button(message, POINTS_ACTION)
    assert bot.sandbox.main_requests == []


async def test_replicas_share_the_balance_on_redis_for_its_own_ttl(
    redis_server: RedisServer, sandbox: SandboxServer, fake_slack: FakeSlack
) -> None:
    settings = make_settings(
        sandbox,
        fake_slack,
        redis_url=SecretStr(redis_server.url),
        crowdtwist_main_url=sandbox.base_url,
        member_summary_ttl_seconds=30,
    )
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            shared = SharedState(redis_server.url, timeout=0.5)
            await shared.start()
            stack.push_async_callback(shared.aclose)
            client = crowdtwist_client(settings, shared=shared)
            stack.push_async_callback(client.aclose)
            clients.append(client)
        first = await clients[0].member_points(ALICE.email, "email")
        again = await clients[1].member_points(ALICE.email, "email")
        assert again == first and len(sandbox.main_requests) == 1
        async with Redis.from_url(redis_server.url) as redis:
            keys = [k for k in await redis.keys(KEY_PREFIX + "page:*") if isinstance(k, bytes)]
            (key,) = [k for k in keys if not k.endswith(b":lock")]
            assert 0 < await redis.pttl(key) <= 30_000  # the summary's TTL, not the pages' 120 s
            assert ALICE.email.encode() not in key


# -- refusals -------------------------------------------------------------------------------------


async def test_a_refused_key_is_one_error_naming_the_host_then_a_cooldown(
    pbot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    pbot.sandbox.main_faults.inject(401, '{"error": "unauthorized", "message": "Bad key"}')
    first, _ = await card(pbot, ALICE.email)
    second, _ = await card(pbot, GRACE.email)
    for message in (first, second):
        assert "points" not in line_of(message) and UNAVAILABLE not in text_of(message)
        assert not has_button(message, POINTS_ACTION)
        assert "Page 1 of" in text_of(message)
    assert len(pbot.sandbox.main_requests) == 1  # the second lookup did not ask
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert pbot.sandbox.base_url in errors[0] and "main host" in errors[0]
    assert CT_KEY not in errors[0]


async def test_a_refused_id_type_is_said_and_remembered_per_id_type(pbot: RunningBot) -> None:
    refused, _ = await card(pbot, SIOBHAN.phone)
    line = line_of(refused)
    assert "can't be looked up by mobile phone number" in line and "`type:id`" in line
    assert not has_button(refused, POINTS_ACTION)
    alice, _ = await card(pbot, ALICE.phone)  # another phone number within the TTL: not asked
    assert "can't be looked up by mobile phone number" in line_of(alice)
    assert len(pbot.sandbox.main_requests) == 1
    by_email, _ = await card(pbot, ALICE.email)  # another id type is asked
    assert balance_line(ALICE) in line_of(by_email)
    assert len(pbot.sandbox.main_requests) == 2


# -- the ledger, from a payload Slack produced ---------------------------------------------


async def test_points_opens_the_ledger_from_slacks_own_block_actions_payload(
    pbot: RunningBot,
) -> None:
    message, _ = await card(pbot, ALICE.email)
    points = button(message, POINTS_ACTION)
    payload, token = slack_payloads.block_actions(
        "bolt_python_block_actions_ephemeral", pbot.driver, POINTS_ACTION, points["value"]
    )
    assert "message" not in payload and payload["container"]["is_ephemeral"] is True
    sent = await slack_payloads.send_payload(pbot.driver, payload, token)
    assert sent.response.status_code == 200
    (opened,) = await api_calls(pbot.slack, "views.open")
    (updated,) = await api_calls(pbot.slack, "views.update")
    assert opened.message["trigger_id"] == payload["trigger_id"]
    assert "Loading" in text_of(opened.message["view"])
    view = updated.message["view"]
    assert view["callback_id"] == POINTS_VIEW_CALLBACK_ID
    seen = text_of(view)
    answer = points_answer(ALICE)
    assert balance_line(ALICE) in seen
    newest, oldest = answer["activities"][0], answer["activities"][-1]
    assert newest["name"] == "reward redemption" and "*-500*" in seen
    assert seen.index(newest["name"]) < seen.index(oldest["name"])
    assert "Goodwill credit" in seen
    assert len(pbot.sandbox.main_requests) == 1  # the card's cached balance served it


async def test_the_ledger_of_a_failing_member_says_so(pbot: RunningBot) -> None:
    click = await pbot.driver.click(
        POINTS_ACTION, button((await card(pbot, CARMEN.email))[0], POINTS_ACTION)["value"]
    )
    assert click.response.status_code == 200
    (updated,) = await api_calls(pbot.slack, "views.update")
    assert UNAVAILABLE in text_of(updated.message["view"])


# -- the workflow step ----------------------------------------------------------------------------


async def test_the_step_outputs_the_balance(pbot: RunningBot) -> None:
    run = await pbot.driver.run_step({"member": GRACE.email})
    (call,) = await pbot.slack.wait_for(
        lambda c: c.args.get("function_execution_id") == run.execution_id
    )
    assert call.method == "functions.completeSuccess"
    outputs = json.loads(call.args["outputs"])
    answer = points_answer(GRACE)
    assert outputs["points_total"] == answer["total_points"]
    assert outputs["points_redeemable"] == answer["redeemable_points"]


async def test_the_step_leaves_the_balance_out_when_it_failed(pbot: RunningBot) -> None:
    run = await pbot.driver.run_step({"member": CARMEN.email})
    (call,) = await pbot.slack.wait_for(
        lambda c: c.args.get("function_execution_id") == run.execution_id
    )
    outputs = json.loads(call.args["outputs"])
    assert outputs["total_purchases"] == 12
    assert "points_total" not in outputs and "points_redeemable" not in outputs


# -- the key travels in the URL: it is in no log line, error or exception -----------------------


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(record.exc_info[1])))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


async def test_the_key_is_in_no_log_line_at_debug(
    bot_factory: Any, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "aiohttp", "asyncio", "bot", "slack_bolt", "slack_sdk"):
        caplog.set_level(logging.DEBUG, logger=name)
    pbot: RunningBot = await bot_factory(
        crowdtwist_main_url=sandbox.base_url,
        crowdtwist_timeout_seconds=0.5,
        crowdtwist_max_retries=0,
        member_summary_ttl_seconds=0,
    )
    faults = pbot.sandbox.main_faults
    await card(pbot, ALICE.email)  # a good answer
    faults.inject_delay(1.0)  # a timeout
    await card(pbot, GRACE.crowdtwist_id)
    faults.inject_disconnect()  # a dropped connection
    await card(pbot, GRACE.email)
    faults.inject(404, '{"error": "user_not_found", "message": "No user"}')
    await card(pbot, ALICE.crowdtwist_id)
    faults.inject(401, "{}")  # refused
    await card(pbot, ALICE.email)
    assert len(pbot.sandbox.main_requests) == 5
    assert all(r.query["api_key"] == CT_KEY for r in pbot.sandbox.main_requests)  # it was sent

    closed = f"http://127.0.0.1:{free_port()}"  # connect errors on the aiohttp path
    refused: RunningBot = await bot_factory(crowdtwist_main_url=closed, crowdtwist_max_retries=0)
    message, _ = await card(refused, ALICE.email)
    assert UNAVAILABLE in line_of(message)

    logged = everything_logged(caplog)
    assert "/v2/users/{member}/points" in logged  # the main host's attempts were logged
    assert CT_KEY not in logged
    assert "api_key=" not in logged


async def test_client_errors_and_exceptions_never_hold_the_key() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with CrowdTwistClient(
        closed, CT_KEY, main_url=closed, max_retries=1, backoff_seconds=0.01
    ) as client:
        with pytest.raises(CrowdTwistError) as caught:
            await client.member_points("alice@example.com", "email")
    error = caught.value
    shown = [str(error), repr(error), error.detail, *map(str, error.args)]
    shown.append("".join(traceback.format_exception(error)))
    assert error.kind.value == "unavailable" and "ConnectError" in error.detail
    assert not [text for text in shown if CT_KEY in text]


async def test_an_aiohttp_error_naming_the_url_is_masked() -> None:
    # aiohttp names the whole URL in some errors (here a scheme it will not speak): the key
    # added to that URL must not survive in what the client sees.
    url = "ftp://127.0.0.1:1/v2/users/x/points?id_type=id"
    bare = AiohttpTransport()
    try:
        with pytest.raises(httpx.TransportError) as leaked:
            await bare.handle_async_request(httpx.Request("GET", f"{url}&api_key={CT_KEY}"))
        assert CT_KEY in str(leaked.value)  # the hazard is real without the wrapper
    finally:
        await bare.aclose()
    keyed = _QueryKeyTransport(AiohttpTransport(), CT_KEY)
    try:
        with pytest.raises(httpx.TransportError) as masked:
            await keyed.handle_async_request(
                httpx.Request("GET", url, extensions={MAIN_HOST: True})
            )
    finally:
        await keyed.aclose()
    assert CT_KEY not in "".join(traceback.format_exception(masked.value))
    assert "[secret]" in str(masked.value)
