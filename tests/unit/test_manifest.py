"""manifest.yml: valid against Slack's schema, and exactly what the code uses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot import slack_ids
from bot.crowdtwist.models import IdType
from bot.workflow_step import CHANNEL_INPUT, REQUESTED_BY_INPUT, STEP_CALLBACK_ID

ROOT = Path(__file__).resolve().parents[2]
# Slack's app manifest JSON Schema (MIT, licence beside it), kept in the repository so the
# manifest is checked offline in any clone.
SCHEMA = ROOT / "tests" / "data" / "manifest.schema.1.0.0.json"

# Which bot scope each Web API method the code calls needs.
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write", "chat:write.public"},
    "chat_postEphemeral": {"chat:write"},
    "conversations_open": {"im:write"},
    "files_upload_v2": {"files:write"},
    "chat_getPermalink": set(),
    "views_open": set(),
    "views_publish": set(),
    "views_update": set(),
    # A workflow step completes with the token its event brings; Slack asks for no scope.
    "functions_completeSuccess": set(),
    "functions_completeError": set(),
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


def methods_called_by_the_bot() -> set[str]:
    called: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "playground" in path.parts or "sandbox" in path.parts:
            continue
        if "@app.function(" in path.read_text():
            # A custom step's complete() and fail() (Bolt's) call these two methods.
            called |= {"functions_completeSuccess", "functions_completeError"}
        # Web API methods are snake_case with a namespace: chat_postMessage, views_open, …
        called |= set(
            re.findall(
                r"client\.((?:chat|views|conversations|files|users|functions)_\w+)\(",
                path.read_text(),
            )
        )
    return called


def test_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.fail(f"Slack's manifest schema is missing at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(manifest, schema)


def test_the_socket_mode_variant_is_valid_too(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    variant = json.loads(json.dumps(manifest))
    variant["settings"]["socket_mode_enabled"] = True
    jsonschema.validate(variant, schema)


def test_command_and_shortcut_match_the_code(manifest: dict[str, Any]) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [slack_ids.COMMAND]
    shortcuts = manifest["features"]["shortcuts"]
    assert [(s["type"], s["callback_id"]) for s in shortcuts] == [
        ("message", slack_ids.SHORTCUT_CALLBACK_ID)
    ]
    assert shortcuts[0]["name"] == "Purchase history"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_http_mode_urls_point_at_the_events_path(manifest: dict[str, Any]) -> None:
    urls = [manifest["features"]["slash_commands"][0]["url"]]
    urls.append(manifest["settings"]["interactivity"]["request_url"])
    urls.append(manifest["settings"]["event_subscriptions"]["request_url"])
    assert all(url.endswith("/slack/events") for url in urls)


def test_every_method_the_code_calls_is_known_here() -> None:
    called = methods_called_by_the_bot()
    assert called, "no Web API calls found: the scan is broken"
    assert called <= set(METHOD_SCOPES), (
        f"map these methods to scopes: {called - set(METHOD_SCOPES)}"
    )


def test_scopes_are_exactly_what_the_code_needs(manifest: dict[str, Any]) -> None:
    needed = {"commands"}
    for method in methods_called_by_the_bot():
        needed |= METHOD_SCOPES[method]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed


def test_the_workflow_step_matches_the_code(manifest: dict[str, Any]) -> None:
    step = manifest["functions"][STEP_CALLBACK_ID]
    inputs = step["input_parameters"]
    assert set(inputs) == {
        "member",
        "id_type",
        "start_date",
        "end_date",
        REQUESTED_BY_INPUT,
        CHANNEL_INPUT,
    }
    assert [name for name, spec in inputs.items() if spec.get("is_required")] == ["member"]
    assert inputs["id_type"]["enum"] == [kind.value for kind in IdType]
    assert inputs["start_date"]["type"] == inputs["end_date"]["type"] == "slack#/types/date"
    outputs = {name: spec["type"] for name, spec in step["output_parameters"].items()}
    assert outputs == {
        "found": "boolean",
        "total_purchases": "integer",
        "points_earned": "integer",
        "points_awarded": "integer",
        "points_awaiting": "integer",
        "points_total": "integer",
        "points_redeemable": "integer",
        "last_purchase_date": "slack#/types/timestamp",
        "summary": "string",
    }
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is True
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_the_home_tab_and_its_event_are_on(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert isinstance(events, list) and slack_ids.HOME_EVENT in events
