"""The playground without a browser: payload shapes, signing, and the wiring end to end.

The wiring tests drive the page's own JSON API (what the page's JavaScript calls) and check
the picture of the channel the playground holds, with the real bot and sandbox behind it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.fake_slack import RESPONSE_METHOD, FakeSlack, SlackCall
from bot.fake_slack import payloads as requests
from bot.fake_slack.signing import signed_headers
from bot.playground import bridge as bridge_module
from bot.playground.bridge import Bridge, Origin
from bot.playground.demos import page_info
from bot.playground.markup import slack_message_text
from bot.playground.server import Playground, run_playground
from bot.playground.state import CHANNEL_ID, CUSTOMER_ID, USER_ID, Message, Workspace

ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------------
# Pure pieces
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("alice@example.com", "<mailto:alice@example.com|alice@example.com>"),
        (
            "Hi, I'm o'neil+vip@example.com!",
            "Hi, I'm <mailto:o'neil+vip@example.com|o'neil+vip@example.com>!",
        ),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("see https://example.com/x?a=1&b=2.", "see <https://example.com/x?a=1&amp;b=2>."),
        ("no email@here", "no email@here"),
        ("<script>x@y.io</script>", "&lt;script&gt;<mailto:x@y.io|x@y.io>&lt;/script&gt;"),
    ],
)
def test_typed_text_is_stored_as_slack_stores_it(typed: str, stored: str) -> None:
    assert slack_message_text(typed) == stored


def test_signed_headers_pass_slacks_verification() -> None:
    body = b"command=%2Fpurchases&text=alice%40example.com"
    headers = signed_headers("s3cret", body)
    # Independently of slack_sdk: v0= HMAC-SHA256 of "v0:{timestamp}:{body}", by hand.
    by_hand = hmac.new(b"s3cret", b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert signed_headers("s3cret", body, timestamp=1_700_000_000) == {
        "X-Slack-Request-Timestamp": "1700000000",
        "X-Slack-Signature": f"v0={by_hand}",
    }
    not_utf8 = b"\xff\xfe\x00garbage"  # hostile-input tests sign such bodies too
    by_hand = hmac.new(b"s3cret", b"v0:1700000000:" + not_utf8, hashlib.sha256).hexdigest()
    signed = signed_headers("s3cret", not_utf8, timestamp=1_700_000_000)
    assert signed["X-Slack-Signature"] == f"v0={by_hand}"
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)


FORM_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "input",
        "block_id": "member",
        "label": {"type": "plain_text", "text": "Member"},
        "element": {"type": "plain_text_input", "action_id": "member_input"},
    },
    {
        "type": "input",
        "block_id": "id_type",
        "label": {"type": "plain_text", "text": "Search as"},
        "element": {
            "type": "static_select",
            "action_id": "id_type_select",
            "options": [
                {"text": {"type": "plain_text", "text": "Infer"}, "value": "infer"},
                {"text": {"type": "plain_text", "text": "Email"}, "value": "email"},
            ],
            "initial_option": {"text": {"type": "plain_text", "text": "Infer"}, "value": "infer"},
        },
    },
    {
        "type": "input",
        "block_id": "start",
        "optional": True,
        "label": {"type": "plain_text", "text": "From"},
        "element": {"type": "datepicker", "action_id": "start_date", "initial_date": "2024-01-01"},
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "note"}]},
]


def test_state_values_take_slacks_shape() -> None:
    values = requests.state_values(
        FORM_BLOCKS, {"member": {"member_input": "a@b.co"}, "id_type": {"id_type_select": "email"}}
    )
    assert values == {
        "member": {"member_input": {"type": "plain_text_input", "value": "a@b.co"}},
        "id_type": {
            "id_type_select": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Email"},
                    "value": "email",
                },
            }
        },
        # untouched: the element's initial value, as Slack reports it
        "start": {"start_date": {"type": "datepicker", "selected_date": "2024-01-01"}},
    }
    cleared = requests.state_values(FORM_BLOCKS, {"member": {"member_input": ""}})
    assert cleared["member"]["member_input"] == {"type": "plain_text_input", "value": None}
    picked = requests.state_values(FORM_BLOCKS, {"id_type": {"id_type_select": "not-an-option"}})
    assert picked["id_type"]["id_type_select"]["selected_option"] is None


def test_missing_ids_are_filled_in_as_slack_does() -> None:
    blocks = requests.with_ids(
        [
            {"type": "section", "text": {"type": "mrkdwn", "text": "x"}},
            {"type": "actions", "elements": [{"type": "button", "text": {}, "value": "v"}]},
        ]
    )
    assert [b["block_id"] for b in blocks] == ["blk0", "blk1"]
    assert blocks[1]["elements"][0]["action_id"]
    found = requests.find_element(blocks, "blk1", blocks[1]["elements"][0]["action_id"])
    assert found is not None
    assert found["value"] == "v"


def _message(*, ephemeral: bool, thread_ts: str | None = None) -> Message:
    return Message(
        id="m1",
        channel=CHANNEL_ID,
        ts="1700000000.000100",
        user="UBOTPURCH",
        text="card",
        blocks=[{"type": "actions", "block_id": "nav", "elements": []}],
        thread_ts=thread_ts,
        ephemeral=ephemeral,
    )


def test_a_click_on_an_ephemeral_message_carries_no_message() -> None:
    button = {"type": "button", "action_id": "purchases_next_page", "value": "q", "text": {}}
    payload = requests.block_actions(
        user=requests.user_object(USER_ID, "you"),
        message=_message(ephemeral=True, thread_ts="1699999999.000001"),
        channel_name="support",
        action=requests.action_of(button, "nav"),
        response_url="http://x/response/t1",
        trigger_id="1.2.3",
        values={},
    )
    assert "message" not in payload
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": CHANNEL_ID,
        "is_ephemeral": True,
        "thread_ts": "1699999999.000001",
    }
    assert payload["actions"][0]["value"] == "q"
    assert payload["actions"][0]["block_id"] == "nav"


def test_a_click_on_a_posted_message_carries_it() -> None:
    payload = requests.block_actions(
        user=requests.user_object(USER_ID, "you"),
        message=_message(ephemeral=False),
        channel_name="support",
        action={"type": "button", "action_id": "x", "block_id": "nav"},
        response_url="http://x/response/t1",
        trigger_id="1.2.3",
        values={},
    )
    assert payload["message"]["ts"] == "1700000000.000100"
    assert payload["message"]["blocks"]
    assert payload["container"]["is_ephemeral"] is False


def test_the_page_says_when_crowdtwist_is_real() -> None:
    sandbox = Settings(_env_file=None)
    assert page_info(sandbox)["sandbox"] is True
    assert page_info(sandbox)["members"][0]["name"] == "Alice Martin"
    assert Playground(sandbox).data_label == "sandbox data"

    real = Settings(
        _env_file=None,
        crowdtwist_api_key=SecretStr("k"),
        crowdtwist_base_url="https://pos12.crowdtwist.com",
    )
    info = page_info(real)
    assert info["sandbox"] is False
    assert info["crowdtwist"] == "https://pos12.crowdtwist.com"
    assert info["members"] == []
    assert Playground(real).data_label == "live CrowdTwist at https://pos12.crowdtwist.com"


# --------------------------------------------------------------------------------------------
# Bot → page: calls on the fake Slack become the channel (no bot needed)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def bridge() -> Bridge:
    fake = FakeSlack()
    fake.base_url = "http://fake"
    return Bridge(Workspace(), fake, events_url="http://bot/slack/events", signing_secret="s")


def _response(bridge: Bridge, url: str, **args: Any) -> SlackCall:
    return SlackCall(
        RESPONSE_METHOD, {"_token": url.rsplit("/", 1)[1], **args}, result={"ok": True}
    )


async def test_response_url_posts_replace_add_and_delete(bridge: Bridge) -> None:
    workspace = bridge.workspace
    card = workspace.add_message(
        channel=CHANNEL_ID, user="UBOTPURCH", text="page 1", ephemeral=True, thread_ts=None
    )
    url = bridge.issue_response_url(Origin(CHANNEL_ID, message_id=card.id))

    await bridge.on_slack_call(_response(bridge, url, text="page 2", replace_original=True))
    assert [m.text for m in workspace.messages.values()] == ["page 2"]
    assert workspace.messages[card.id].ephemeral  # still only visible to you

    await bridge.on_slack_call(_response(bridge, url, text="for all", response_type="in_channel"))
    added = list(workspace.messages.values())[-1]
    assert (added.text, added.ephemeral) == ("for all", False)

    await bridge.on_slack_call(_response(bridge, url, text="note", replace_original="false"))
    assert list(workspace.messages.values())[-1].ephemeral

    await bridge.on_slack_call(_response(bridge, url, delete_original=True))
    assert card.id not in workspace.messages

    await bridge.on_slack_call(_response(bridge, url, text="fifth"))
    assert list(workspace.messages.values())[-1].text == "fifth"
    await bridge.on_slack_call(_response(bridge, url, text="sixth"))  # Slack takes 5
    assert "Slack would refuse" in list(workspace.messages.values())[-1].text


async def test_thread_posts_land_in_the_thread(bridge: Bridge) -> None:
    parent = bridge.post_message("hi alice@example.com", "customer")
    call = SlackCall(
        "chat.postEphemeral",
        {"channel": CHANNEL_ID, "user": USER_ID, "thread_ts": parent.ts, "text": "card"},
        result={"ok": True, "message_ts": "1.000001"},
    )
    await bridge.on_slack_call(call)
    reply = list(bridge.workspace.messages.values())[-1]
    assert (reply.thread_ts, reply.ephemeral, reply.ts) == (parent.ts, True, "1.000001")


async def test_a_trigger_id_works_once_and_only_for_three_seconds(
    bridge: Bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}

    def opened(trigger_id: str) -> SlackCall:
        result = {"ok": True, "view": {"id": "V1"}}
        return SlackCall("views.open", {"trigger_id": trigger_id, "view": view}, result=result)

    trigger = bridge.issue_trigger_id()
    await bridge.on_slack_call(opened(trigger))
    assert [m.id for m in bridge.workspace.modals] == ["V1"]
    bridge.workspace.close_modal("V1")

    await bridge.on_slack_call(opened(trigger))
    assert bridge.workspace.modals == []
    assert "exchanged_trigger_id" in list(bridge.workspace.messages.values())[-1].text

    late = bridge.issue_trigger_id()
    monkeypatch.setattr(bridge_module, "TRIGGER_LIFETIME_SECONDS", -1.0)  # 3 s have passed
    await bridge.on_slack_call(opened(late))
    assert "expired_trigger_id" in list(bridge.workspace.messages.values())[-1].text


# --------------------------------------------------------------------------------------------
# The wiring, end to end
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def playground() -> AsyncIterator[Playground]:
    async with Playground(Settings(_env_file=None, log_format="text")) as running:
        yield running


class Page:
    """What the page's JavaScript does: JSON posts to the playground's API."""

    def __init__(self, playground: Playground, http: aiohttp.ClientSession) -> None:
        self.playground = playground
        self.http = http

    @property
    def workspace(self) -> Workspace:
        return self.playground.workspace

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.playground.url + path, json=body) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def command(self, text: str) -> dict[str, Any]:
        return await self.post("/api/command", {"text": text})

    async def wait_for_message(self, needle: str, *, after: int = 0) -> Message:
        """The first message (from the ``after``-th on) whose text or blocks mention ``needle``."""

        def found() -> Message | None:
            for message in list(self.workspace.messages.values())[after:]:
                if needle in message.text or needle in json.dumps(message.blocks):
                    return message
            return None

        await self.workspace.wait_for(lambda _: found() is not None)
        message = found()
        assert message is not None
        return message

    async def click(self, message: Message, action_id: str) -> dict[str, Any]:
        for block in message.blocks:
            elements = block.get("elements") or [block.get("accessory") or {}]
            for element in elements:
                if element.get("action_id") == action_id:
                    return await self.post(
                        "/api/actions",
                        {
                            "message_id": message.id,
                            "block_id": block["block_id"],
                            "action_id": action_id,
                        },
                    )
        raise AssertionError(f"no {action_id} on the message")


@pytest.fixture
async def page(playground: Playground) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as http:
        yield Page(playground, http)


async def test_a_command_shows_the_card_and_next_replaces_it_in_place(page: Page) -> None:
    answer = await page.command("/purchases alice@example.com")
    assert answer == {"ok": True, "status": 200, "error": None}
    card = await page.wait_for_message("Page 1 of")
    assert card.ephemeral
    assert card.channel == CHANNEL_ID
    kinds = [m.kind for m in page.workspace.messages.values()]
    assert kinds == ["command", "message"]

    assert (await page.click(card, "purchases_next_page"))["ok"]
    await page.workspace.wait_for(lambda w: "Page 2 of" in json.dumps(w.messages[card.id].blocks))
    assert len(page.workspace.messages) == 2  # replaced in place, not added

    page2 = page.workspace.messages[card.id]
    assert (await page.click(page2, "purchases_prev_page"))["ok"]
    await page.workspace.wait_for(lambda w: "Page 1 of" in json.dumps(w.messages[card.id].blocks))


async def test_help_and_usage_errors_come_back_in_the_ack(page: Page) -> None:
    await page.command("/purchases help")
    help_message = list(page.workspace.messages.values())[-1]
    assert help_message.ephemeral
    assert "shows a loyalty member" in json.dumps(help_message.blocks)

    await page.command("/purchases alice@example.com 2024-02-30")
    error = list(page.workspace.messages.values())[-1]
    assert error.ephemeral
    assert "2024-02-30" in error.text
    assert "Usage" in json.dumps(error.blocks)


async def test_an_unknown_member_is_answered_privately(page: Page) -> None:
    await page.command("/purchases nobody@example.com")
    reply = await page.wait_for_message("No member found")
    assert reply.ephemeral
    assert "nobody@example.com" in reply.text or "nobody@example.com" in json.dumps(reply.blocks)


async def test_the_form_shows_field_errors_then_answers(page: Page) -> None:
    await page.command("/purchases")
    await page.workspace.wait_for(lambda w: bool(w.modals))
    modal = page.workspace.modals[0]
    values = {
        "member": {"member_input": "alice@example.com"},
        "start": {"start_date": "2025-05-01"},
        "end": {"end_date": "2025-01-01"},
    }
    answer = await page.post("/api/views/submit", {"view_id": modal.id, "values": values})
    assert set(answer["errors"]) == {"end"}
    assert page.workspace.modals[0].errors == answer["errors"]

    values["end"] = {"end_date": "2025-12-31"}
    answer = await page.post("/api/views/submit", {"view_id": modal.id, "values": values})
    assert answer["ok"]
    assert page.workspace.modals == []
    card = await page.wait_for_message("Page 1 of")
    assert "2025-05-01 to 2025-12-31" in json.dumps(card.blocks)


async def test_the_shortcut_answers_in_the_messages_thread(page: Page) -> None:
    posted = await page.post(
        "/api/messages",
        {"text": "Hi, I'm alice@example.com and my points are missing", "author": "customer"},
    )
    message = posted["message"]
    assert message["user"] == CUSTOMER_ID
    assert "<mailto:alice@example.com|alice@example.com>" in message["text"]

    answer = await page.post("/api/shortcut", {"message_id": message["id"]})
    assert answer["ok"]
    assert answer["thread_ts"] == message["ts"]
    reply = await page.wait_for_message("Page 1 of")
    assert reply.thread_ts == message["ts"]

    assert (await page.click(reply, "purchases_next_page"))["ok"]
    await page.workspace.wait_for(lambda w: "Page 2 of" in json.dumps(w.messages[reply.id].blocks))
    assert page.workspace.messages[reply.id].thread_ts == message["ts"]


async def test_details_open_a_modal_with_the_items(page: Page) -> None:
    await page.command("/purchases alice@example.com")
    card = await page.wait_for_message("Page 1 of")
    details = next(b["accessory"] for b in card.blocks if "accessory" in b)
    assert (await page.click(card, details["action_id"]))["ok"]
    await page.workspace.wait_for(
        lambda w: bool(w.modals) and "Items (" in json.dumps(w.modals[-1].view)
    )
    view_id = page.workspace.modals[-1].id
    await page.post("/api/views/close", {"view_id": view_id})
    assert page.workspace.modals == []


async def test_the_csv_export_arrives_as_a_file_in_the_dm(page: Page) -> None:
    await page.command("/purchases alice@example.com")
    card = await page.wait_for_message("Page 1 of")
    assert (await page.click(card, "purchases_export_csv"))["ok"]
    await page.workspace.wait_for(lambda w: any(m.files for m in w.messages.values()))
    shared = next(m for m in page.workspace.messages.values() if m.files)
    assert shared.channel.startswith("D")
    assert page.workspace.conversations[shared.channel].kind == "im"
    file = shared.files[0]
    async with page.http.get(page.playground.url + file.url) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        content = await response.text()
    assert content.count("\n") >= 27  # a header and alice's 27 purchases


async def test_slack_rules_the_bot_might_break_are_reported(page: Page) -> None:
    await page.command("/nope")
    notice = list(page.workspace.messages.values())[-1]
    assert notice.kind == "system"
    assert "not a valid command" in notice.text

    posted = await page.post("/api/messages", {"text": "hello", "author": "you"})
    thread_ts = posted["message"]["ts"]
    await page.post("/api/command", {"text": "/purchases help", "thread_ts": thread_ts})
    notice = list(page.workspace.messages.values())[-1]
    assert "not supported in threads" in notice.text
    assert notice.thread_ts == thread_ts


async def test_the_event_stream_starts_with_a_snapshot(page: Page) -> None:
    await page.post("/api/messages", {"text": "hello", "author": "you"})
    async with page.http.get(page.playground.url + "/api/events") as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        line = await response.content.readline()
        event = json.loads(line.decode().removeprefix("data: "))
        assert event["type"] == "snapshot"
        assert event["info"]["sandbox"] is True
        assert [m["text"] for m in event["messages"]] == ["hello"]
        await page.post("/api/messages", {"text": "again", "author": "customer"})
        await response.content.readline()  # the blank line ending the first event
        line = await response.content.readline()
        event = json.loads(line.decode().removeprefix("data: "))
        assert event["type"] == "message"
        assert event["message"]["text"] == "again"


async def test_the_page_server_refuses_foreign_hosts_and_form_posts(page: Page) -> None:
    url = page.playground.url
    async with page.http.get(url + "/api/state", headers={"Host": "evil.example"}) as response:
        assert response.status == 421
    async with page.http.post(url + "/api/clear", data="x=1") as response:
        assert response.status == 415
    async with page.http.get(url + "/") as response:
        assert response.status == 200
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "Purchases playground" in await response.text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_taken_port_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(_env_file=None, port=port, log_format="text")
        with pytest.raises(SystemExit) as exited:
            run_playground(settings)
    assert exited.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"purchases: port {port} is already in use; start the playground on another one: "
        f"PORT={port + 1} python -m bot"
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_python_m_bot_with_nothing_configured_serves_the_playground(
    stop: signal.Signals,
) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "CROWDTWIST_", "ALLOWED_SLACK_", "AUDIT_", "PORT"))
    }
    env |= {"PORT": str(port), "LOG_FORMAT": "text", "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=str(ROOT / "tests"),  # no .env from the project root
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
        assert line.strip() == (
            f"Playground: http://127.0.0.1:{port}  (sandbox data; Ctrl-C to stop)"
        )
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/api/state") as response,
        ):
            assert (await response.json())["info"]["sandbox"] is True
        process.send_signal(stop)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert "Traceback" not in stderr
