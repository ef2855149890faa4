"""Payloads Slack itself produced (``tests/data/slack_payloads/``), adapted to this bot and signed.

Each file is one payload as Slack sent it to another app, copied from bolt-python's or
java-slack-sdk's tests (the folder's README names each source). Adapting changes only what
must point at this bot and its fakes: the ``action_id``/``callback_id`` and value a listener
matches, the text, a fresh ``trigger_id`` (Slack gives each request its own; the replay guard
drops a repeat), and every ``response_url`` (``response_urls`` included) aimed at the fake
Slack. Ids Slack left empty (java-slack-sdk's samples carry every field, mostly empty) are
filled with the tests' own; everything else Slack sent (``enterprise``, ``is_enterprise_install``,
``token``, ``container``, ``message`` blocks, nulls) reaches the listeners untouched.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

from bot.fake_slack import payloads
from tests.support.slack_driver import CHANNEL, USER, Sent, SlackDriver, new_trigger_id

DATA = Path(__file__).resolve().parents[1] / "data" / "slack_payloads"
_runs = itertools.count(1)


def load(name: str) -> dict[str, Any]:
    """The payload in ``tests/data/slack_payloads/<name>.json``, as stored."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _filled(holder: dict[str, Any], key: str, value: str) -> None:
    """``holder[key]`` set to ``value`` where Slack's sample left it empty or out."""
    if not holder.get(key):
        holder[key] = value


def _fill_ids(payload: dict[str, Any], channel: str | None = CHANNEL) -> None:
    for key in ("user", "channel"):
        if not isinstance(payload.get(key), dict):
            payload[key] = {}
    _filled(payload["user"], "id", USER)
    if channel is not None:
        _filled(payload["channel"], "id", channel)
        container = payload.get("container")
        if isinstance(container, dict):
            _filled(container, "channel_id", payload["channel"]["id"])


def channel_of(payload: dict[str, Any]) -> str:
    """The conversation an interactive payload came from."""
    channel = payload.get("channel")
    return str(channel.get("id")) if isinstance(channel, dict) else CHANNEL


def user_of(payload: dict[str, Any]) -> str:
    user = payload.get("user")
    return str(user.get("id")) if isinstance(user, dict) else USER


async def send_payload(driver: SlackDriver, payload: dict[str, Any], token: str) -> Sent:
    """Sign and post an interactive payload as Slack does (one ``payload`` form field)."""
    response, took = await driver.post(payloads.payload_body(payload))
    return Sent(response, took, str(payload.get("response_url", "")), token)


def command(name: str, driver: SlackDriver, text: str) -> tuple[dict[str, str], str]:
    """A slash command's form fields, as ``/purchases <text>``; and its response_url's token."""
    fields = {key: str(value) for key, value in load(name).items()}
    url, token = driver.new_response_url()
    fields |= {
        "command": "/purchases",
        "text": text,
        "response_url": url,
        "trigger_id": new_trigger_id(),
    }
    _filled(fields, "user_id", USER)
    _filled(fields, "channel_id", CHANNEL)
    return fields, token


async def send_command(driver: SlackDriver, name: str, text: str) -> Sent:
    fields, token = command(name, driver, text)
    response, took = await driver.post(payloads.form_body(fields))
    return Sent(response, took, fields["response_url"], token)


def block_actions(
    name: str,
    driver: SlackDriver,
    action_id: str,
    value: str,
    *,
    thread_ts: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A click on ``action_id`` carrying ``value``, in Slack's shape from ``name``."""
    payload = copy.deepcopy(load(name))
    _fill_ids(payload)
    actions = payload.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    payload["actions"] = [first | {"type": "button", "action_id": action_id, "value": value}]
    container = payload.get("container")
    if isinstance(container, dict):
        if thread_ts:
            container["thread_ts"] = thread_ts
        elif container.get("thread_ts") == "":
            del container["thread_ts"]  # the sample's placeholder: not in a thread
    url, token = driver.new_response_url()
    payload |= {"response_url": url, "trigger_id": new_trigger_id()}
    return payload, token


def message_shortcut(
    name: str,
    driver: SlackDriver,
    text: str,
    *,
    ts: str,
    thread_ts: str | None = None,
) -> tuple[dict[str, Any], str]:
    """**Purchase history** on a message with ``text``, in Slack's shape from ``name``."""
    payload = copy.deepcopy(load(name))
    _fill_ids(payload)
    shown = payload.get("message")
    message = {
        k: v for k, v in (shown if isinstance(shown, dict) else {}).items() if k != "thread_ts"
    }
    message |= {"text": text, "ts": ts}
    if thread_ts:
        message["thread_ts"] = thread_ts
    url, token = driver.new_response_url()
    payload |= {
        "callback_id": "purchase_history",
        "message": message,
        "message_ts": ts,
        "response_url": url,
        "trigger_id": new_trigger_id(),
    }
    return payload, token


def view_submission(
    name: str,
    driver: SlackDriver,
    *,
    callback_id: str,
    values: dict[str, Any],
    private_metadata: Any,
) -> tuple[dict[str, Any], str]:
    """A submitted modal in Slack's shape from ``name``; ``response_urls`` aimed at the fake."""
    payload = copy.deepcopy(load(name))
    _fill_ids(payload, channel=None)
    url, token = driver.new_response_url()
    view = payload.get("view")
    payload["view"] = (view if isinstance(view, dict) else {}) | {
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": values},
    }
    urls = payload.get("response_urls")
    if isinstance(urls, list):
        payload["response_urls"] = [
            entry | {"response_url": url} for entry in urls if isinstance(entry, dict)
        ]
    payload["trigger_id"] = new_trigger_id()
    return payload, token


def ssl_check_body() -> bytes:
    """Slack's certificate check, exactly as the fixture holds it (sent unsigned)."""
    return payloads.form_body(
        {key: str(value) for key, value in load("bolt_python_ssl_check").items()}
    )


def function_executed(name: str, *, callback_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A workflow step run in Slack's shape from ``name``: fresh event and execution ids (the
    replay guard drops a repeat) and a token of its own to complete the step with."""
    body = copy.deepcopy(load(name))
    event = body["event"]
    event["function"]["callback_id"] = callback_id
    event |= {
        "inputs": inputs,
        "function_execution_id": f"Fx{next(_runs):08d}",
        "bot_access_token": payloads.new_function_token(),
    }
    body["event_id"] = f"Ev{next(_runs):08d}"
    return body
