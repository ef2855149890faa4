"""HTTP mode's own reading of Slack's bodies, and the Bolt quirk it works around."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_bolt.request.internals import parse_body

from bot.server import SlackHttpRequest, parse_slack_body

FORM = "application/x-www-form-urlencoded"


def command_form(**fields: str) -> str:
    values = {"command": "/purchases", "text": "alice@example.com", "user_id": "U1"}
    return urlencode(values | fields)


def test_bolt_still_drops_a_command_that_mentions_payload() -> None:
    """The quirk our parser exists for. When this fails, Bolt changed ``parse_body``:
    check whether :func:`bot.server.parse_slack_body` (and ``SlackHttpRequest``) can go."""
    assert parse_body(command_form(text="payload@example.com"), FORM) == {}
    assert parse_body(command_form(channel_name="payload-team"), FORM) == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "payload@example.com"},
        {"channel_name": "payload-team"},
        {"user_name": "payloadqa"},
        {"text": 'payload={"type":"block_actions"}'},
    ],
)
def test_a_command_is_its_fields_whatever_words_they_hold(fields: dict[str, str]) -> None:
    parsed = parse_slack_body(command_form(**fields), FORM)
    assert parsed["command"] == "/purchases"
    for name, value in fields.items():
        assert parsed[name] == value


def test_an_interactive_payload_is_its_json() -> None:
    payload = {"type": "block_actions", "actions": [{"value": "payload"}]}
    assert parse_slack_body(urlencode({"payload": json.dumps(payload)}), FORM) == payload


def test_json_bodies_and_empty_bodies() -> None:
    assert parse_slack_body('{"type": "url_verification"}', "application/json") == {
        "type": "url_verification"
    }
    assert parse_slack_body("", FORM) == {}


@pytest.mark.parametrize("body", ["payload=not-json", "payload=%5B1%5D", "{broken", "[1, 2]"])
def test_unreadable_bodies_are_refused(body: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_slack_body(body, "application/json" if body.startswith("[") else FORM)


def test_the_request_keeps_the_raw_body_for_the_signature() -> None:
    raw = command_form(text="payload@example.com")
    request = SlackHttpRequest(body=raw, headers={"content-type": FORM})
    assert request.raw_body == raw
    assert request.body["text"] == "payload@example.com"
    copy = request.to_copyable()
    assert copy.raw_body == raw and copy.body == request.body
