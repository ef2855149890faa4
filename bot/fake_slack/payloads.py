"""The one builder of what Slack sends an app: slash-command forms, interaction payloads and
the ``function_executed`` event of a workflow step.

Shapes follow Slack's documented payloads (``docs/slack-platform.md``): a slash command is a
form; interactions are a form with one ``payload`` field holding JSON. The playground, the
tests' driver and the benchmarks' driver all build their requests here. Pure functions, so the
shapes are testable without a server.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from bot.fake_slack.server import BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

APP_ID = "APLAYPURCH"
VERIFICATION_TOKEN = "playground-legacy-token"  # noqa: S105 - Slack's deprecated, unused field
SHORTCUT_CALLBACK_ID = "purchase_history"


@dataclass(frozen=True)
class Installation:
    """The app as installed in a workspace: the ids Slack puts in every request it sends."""

    team_id: str = TEAM_ID
    team_domain: str = TEAM_DOMAIN
    app_id: str = APP_ID
    bot_id: str = BOT_ID
    token: str = VERIFICATION_TOKEN


PLAYGROUND = Installation()
"""The playground's installation, the default of every builder."""


class SlackMessage(Protocol):
    """A message an interaction happens on, as the builders need it."""

    @property
    def channel(self) -> str: ...
    @property
    def ts(self) -> str: ...
    @property
    def thread_ts(self) -> str | None: ...
    @property
    def ephemeral(self) -> bool: ...
    def as_slack(self) -> dict[str, Any]:
        """The ``message`` object Slack puts in interaction payloads."""
        ...


@dataclass(frozen=True)
class MessageRef:
    """A message given by its ids and its ``message`` object (for drivers without a channel)."""

    channel: str
    ts: str
    thread_ts: str | None = None
    ephemeral: bool = False
    message: dict[str, Any] = field(default_factory=dict)

    def as_slack(self) -> dict[str, Any]:
        """The ``message`` object as given."""
        return self.message


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# -- bodies ----------------------------------------------------------------------------------


def form_body(form: dict[str, str]) -> bytes:
    """A slash command's body: URL-encoded form fields."""
    return urlencode(form).encode()


def json_body(payload: dict[str, Any]) -> bytes:
    """An Events API body: the JSON itself (signed like any other body)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def payload_body(payload: dict[str, Any]) -> bytes:
    """An interaction's body: one ``payload`` form field holding the JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def new_trigger_id() -> str:
    """A trigger id in Slack's ``digits.digits.hex`` form."""
    return f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def action_ts() -> str:
    """When the action happened, as Slack writes it."""
    return f"{time.time():.6f}"


# -- ids Slack fills in ----------------------------------------------------------------------


def with_ids(blocks: list[Any]) -> list[Any]:
    """A copy of ``blocks`` where every block has a ``block_id`` and every interactive
    element an ``action_id``, as Slack fills them in when an app leaves them out."""
    filled = copy.deepcopy(blocks)
    for i, block in enumerate(filled):
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", f"blk{i}")
        for j, element in enumerate(_elements_of(block)):
            element.setdefault("action_id", f"{block['block_id']}_act{j}")
    return filled


def _elements_of(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The interactive elements of one block (accessory, actions, input)."""
    candidates: list[Any] = []
    if block.get("type") == "actions":
        candidates = list(block.get("elements") or [])
    elif block.get("type") == "section" and "accessory" in block:
        candidates = [block["accessory"]]
    elif block.get("type") == "input" and "element" in block:
        candidates = [block["element"]]
    for element in candidates:
        if isinstance(element, dict) and element.get("type") not in {"image", None}:
            yield element


def find_element(blocks: list[Any], block_id: str, action_id: str) -> dict[str, Any] | None:
    """The interactive element ``block_id``/``action_id`` names, if it is there."""
    for block in blocks:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            for element in _elements_of(block):
                if element.get("action_id") == action_id:
                    return element
    return None


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    """The option of a select whose ``value`` the page picked (None if it is not one)."""
    for option in element.get("options") or []:
        if isinstance(option, dict) and option.get("value") == value:
            return dict(option)
    return None


def action_of(element: dict[str, Any], block_id: str, chosen: Any = None) -> dict[str, Any]:
    """The ``actions[]`` entry for using ``element``; ``chosen`` is a select's option value or
    a datepicker's date."""
    kind = element.get("type")
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": action_ts(),
    }
    if kind == "button":
        for key in ("text", "value", "style", "url"):
            if key in element:
                action[key] = element[key]
    elif kind == "static_select":
        action["selected_option"] = _option(element, chosen)
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
    elif kind == "datepicker":
        action["selected_date"] = chosen if isinstance(chosen, str) and chosen else None
        if "initial_date" in element:
            action["initial_date"] = element["initial_date"]
    return action


# -- state of inputs -------------------------------------------------------------------------


def _state_entry(element: dict[str, Any], raw: Any, *, has_raw: bool) -> dict[str, Any] | None:
    """One element's state as Slack reports it; the element's initial value when untouched."""
    kind = element.get("type")
    if kind == "plain_text_input":
        value = raw if has_raw else element.get("initial_value")
        text = value if isinstance(value, str) else None
        return {"type": kind, "value": text or None}
    if kind == "static_select":
        option = _option(element, raw) if has_raw else element.get("initial_option")
        return {"type": kind, "selected_option": option}
    if kind == "datepicker":
        value = raw if has_raw else element.get("initial_date")
        return {"type": kind, "selected_date": value if isinstance(value, str) and value else None}
    return None


def state_values(blocks: list[Any], raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Slack's ``state.values`` for ``blocks``: ``{block_id: {action_id: {type, …}}}``.

    ``raw`` is what the page sends: ``{block_id: {action_id: text | option value | date}}``.
    Only stateful elements (inputs, selects, datepickers) appear, as in Slack.
    """
    values: dict[str, dict[str, Any]] = {}
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id"))
        sent = raw.get(block_id)
        if not isinstance(sent, dict):
            sent = {}
        for element in _elements_of(block):
            action_id = str(element.get("action_id"))
            entry = _state_entry(element, sent.get(action_id), has_raw=action_id in sent)
            if entry is not None:
                values.setdefault(block_id, {})[action_id] = entry
    return values


# -- the requests ------------------------------------------------------------------------------


def user_object(user_id: str, name: str, install: Installation = PLAYGROUND) -> dict[str, Any]:
    """The ``user`` object of an interaction payload."""
    return {"id": user_id, "username": name, "name": name, "team_id": install.team_id}


def team_object(install: Installation = PLAYGROUND) -> dict[str, Any]:
    """The ``team`` object of an interaction payload."""
    return {"id": install.team_id, "domain": install.team_domain}


def common_fields(user: dict[str, Any], install: Installation = PLAYGROUND) -> dict[str, Any]:
    """The fields every interaction payload carries: who, which workspace, which app."""
    return {
        "team": team_object(install),
        "user": user,
        "api_app_id": install.app_id,
        "token": install.token,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command(
    *,
    command: str,
    text: str,
    user: dict[str, Any],
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
    install: Installation = PLAYGROUND,
) -> dict[str, str]:
    """A slash command's form fields."""
    return {
        "token": install.token,
        "team_id": install.team_id,
        "team_domain": install.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user["id"],
        "user_name": user["name"],
        "command": command,
        "text": text,
        "api_app_id": install.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(
    *,
    user: dict[str, Any],
    message: SlackMessage,
    channel_name: str,
    action: dict[str, Any],
    response_url: str,
    trigger_id: str,
    values: dict[str, dict[str, Any]],
    install: Installation = PLAYGROUND,
) -> dict[str, Any]:
    """A click (or select) on a message's element; ephemeral messages carry no ``message``."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": message.ephemeral,
    }
    if message.thread_ts:
        container["thread_ts"] = message.thread_ts
    payload = common_fields(user, install) | {
        "type": "block_actions",
        "container": container,
        "trigger_id": trigger_id,
        "channel": {"id": message.channel, "name": channel_name},
        "state": {"values": values},
        "response_url": response_url,
        "actions": [action],
    }
    if not message.ephemeral:
        payload["message"] = message.as_slack()
    return payload


def view_object(
    view_id: str,
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    install: Installation = PLAYGROUND,
) -> dict[str, Any]:
    """A view as Slack describes it in payloads: the app's view plus ids and state."""
    return dict(view) | {
        "id": view_id,
        "team_id": install.team_id,
        "app_id": install.app_id,
        "bot_id": install.bot_id,
        "state": {"values": values},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "root_view_id": view_id,
        "previous_view_id": None,
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
    }


def view_block_actions(
    *,
    user: dict[str, Any],
    view: dict[str, Any],
    action: dict[str, Any],
    trigger_id: str,
    install: Installation = PLAYGROUND,
) -> dict[str, Any]:
    """A click (or select) on an element inside a modal."""
    return common_fields(user, install) | {
        "type": "block_actions",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id,
        "view": view,
        "actions": [action],
    }


def message_action(
    *,
    user: dict[str, Any],
    message: SlackMessage,
    channel_name: str,
    response_url: str,
    trigger_id: str,
    callback_id: str = SHORTCUT_CALLBACK_ID,
    install: Installation = PLAYGROUND,
) -> dict[str, Any]:
    """The message shortcut, used on ``message``."""
    return common_fields(user, install) | {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "action_ts": action_ts(),
        "message_ts": message.ts,
        "response_url": response_url,
        "channel": {"id": message.channel, "name": channel_name},
        "message": message.as_slack(),
    }


def view_submission(
    *,
    user: dict[str, Any],
    view: dict[str, Any],
    trigger_id: str,
    install: Installation = PLAYGROUND,
) -> dict[str, Any]:
    """The modal's submit button."""
    return common_fields(user, install) | {
        "type": "view_submission",
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
    }


def view_closed(
    *, user: dict[str, Any], view: dict[str, Any], install: Installation = PLAYGROUND
) -> dict[str, Any]:
    """The modal's close button, sent only when the view asked (``notify_on_close``)."""
    return common_fields(user, install) | {"type": "view_closed", "view": view, "is_cleared": False}


# -- events ----------------------------------------------------------------------------------

JSON_CONTENT_TYPE = "application/json"


def _slack_id(prefix: str) -> str:
    return prefix + secrets.token_hex(5).upper()


def event_callback(event: dict[str, Any], install: Installation = PLAYGROUND) -> dict[str, Any]:
    """An Events API delivery (JSON body) wrapping ``event``, with a fresh ``event_id``."""
    return {
        "token": install.token,
        "team_id": install.team_id,
        "api_app_id": install.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": _slack_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": install.team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened(user_id: str, *, tab: str = "home") -> dict[str, Any]:
    """The ``app_home_opened`` event: ``user_id`` opened the app's ``home`` (or messages) tab."""
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id[1:],
        "tab": tab,
        "event_ts": action_ts(),
    }


# -- workflow steps --------------------------------------------------------------------------


def new_function_token() -> str:
    """A short-lived workflow token like the one in ``function_executed`` (``xwfp-…``)."""
    return f"xwfp-{secrets.randbelow(10**12)}-{secrets.token_hex(16)}"


def function_executed(
    *,
    callback_id: str,
    inputs: dict[str, Any],
    bot_access_token: str,
    function_execution_id: str | None = None,
    input_parameters: list[dict[str, Any]] | None = None,
    output_parameters: list[dict[str, Any]] | None = None,
    install: Installation = PLAYGROUND,
) -> dict[str, Any]:
    """The Events API envelope of a workflow step run (``event_callback`` →
    ``function_executed``), with the token the app must complete the step with."""
    now = int(time.time())
    event = {
        "type": "function_executed",
        "function": {
            "id": _slack_id("Fn"),
            "callback_id": callback_id,
            "title": callback_id.replace("_", " ").capitalize(),
            "type": "app",
            "input_parameters": input_parameters or [],
            "output_parameters": output_parameters or [],
            "app_id": install.app_id,
            "date_created": now,
            "date_updated": now,
            "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": function_execution_id or _slack_id("Fx"),
        "workflow_execution_id": _slack_id("Wx"),
        "event_ts": action_ts(),
        "bot_access_token": bot_access_token,
    }
    return event_callback(event, install)
