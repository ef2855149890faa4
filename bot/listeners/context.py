"""Small readers of Slack payloads shared by the listeners."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.audit import Actor
from bot.blockkit import Message


async def ack_with(ack: AsyncAck, message: Message) -> None:
    """Acknowledge with a message: Slack shows it at once, privately, to the person asking."""
    await ack(text=message["text"], blocks=message.get("blocks"))


def malformed(body: dict[str, Any]) -> str | None:
    """Why a signed payload cannot be what Slack sends (None when its shape is sound).

    Checked before any listener (``bot/app.py``), in both HTTP and Socket Mode, so a tampered
    or broken payload gets one quiet answer instead of a traceback: a click's ``actions``
    must be a non-empty list of objects each with a string ``action_id``; a view's
    ``private_metadata``, when present, a string.
    """
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a non-empty list"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "an action is not an object with a string action_id"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict):
            return "view is not an object"
        metadata = view.get("private_metadata")
        if metadata is not None and not isinstance(metadata, str):
            return "private_metadata is not a string"
    return None


def actor_of(body: dict[str, Any], channel_id: str | None = None) -> Actor:
    """Who sent this payload and from where (slash command or interactive payload)."""
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, dict) else body.get("team_id")
    if channel_id is None:
        channel = body.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else body.get("channel_id")
        if channel_id is None and isinstance(body.get("container"), dict):
            channel_id = body["container"].get("channel_id")
    return Actor(user_id=user_id, team_id=team_id, channel_id=channel_id)


@dataclass(frozen=True)
class FormOrigin:
    """Where a lookup form was opened, so its answer goes back there."""

    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None

    def encode(self) -> str:
        """As the modal's ``private_metadata`` (≤ 3000 chars)."""
        data = {"c": self.channel_id, "t": self.thread_ts, "r": self.response_url}
        return json.dumps({k: v for k, v in data.items() if v}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: object) -> FormOrigin:
        """Read ``private_metadata`` back; anything unreadable is an unknown origin."""
        if not isinstance(value, str):
            return cls()
        try:
            data = json.loads(value or "{}")
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(data, dict):
            return cls()

        def text(key: str) -> str | None:
            item = data.get(key)
            return item if isinstance(item, str) and len(item) < 1000 else None

        return cls(channel_id=text("c"), thread_ts=text("t"), response_url=text("r"))


def thread_of(body: dict[str, Any]) -> str | None:
    """The thread the clicked message is in (payload values are untrusted: strings only)."""
    for part in (body.get("container"), body.get("message")):
        thread = part.get("thread_ts") if isinstance(part, dict) else None
        if isinstance(thread, str) and thread:
            return thread
    return None
