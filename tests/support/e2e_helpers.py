"""Reading what the bot sent to the fake Slack, checked against Block Kit's limits."""

from __future__ import annotations

from typing import Any

from bot.fake_slack import RESPONSE_METHOD, FakeSlack, SlackCall
from tests.support.blockkit_rules import assert_valid_message, assert_valid_view
from tests.support.render import render_text


async def response_posts(slack: FakeSlack, token: str, count: int = 1) -> list[dict[str, Any]]:
    """The messages posted to the response_url tagged ``token``, each checked for limits."""
    calls = await slack.wait_for(
        lambda c: c.method == RESPONSE_METHOD and c.args.get("_token") == token, count=count
    )
    messages = [call.message for call in calls]
    for message in messages:
        assert_valid_message(message)
    return messages


async def api_calls(slack: FakeSlack, method: str, count: int = 1) -> list[SlackCall]:
    """Web API calls of ``method``; messages and views in them checked for limits."""
    calls = await slack.wait_for(lambda c: c.method == method, count=count)
    for call in calls:
        message = call.message
        if "view" in message:
            assert_valid_view(message["view"])
        elif "blocks" in message or "text" in message:
            assert_valid_message(message)
    return calls


def text_of(message: dict[str, Any]) -> str:
    """What a person sees: the rendering of the blocks plus the fallback text."""
    return render_text(message) + "\n" + str(message.get("text", ""))


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The button with ``action_id`` (or starting with it) anywhere in the message or view."""
    for block in message.get("blocks", []):
        elements = list(block.get("elements", []))
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button" and str(element.get("action_id", "")).startswith(
                action_id
            ):
                return dict(element)
    raise AssertionError(f"no button {action_id!r} in {render_text(message)}")


def has_button(message: dict[str, Any], action_id: str) -> bool:
    try:
        button(message, action_id)
    except AssertionError:
        return False
    return True
