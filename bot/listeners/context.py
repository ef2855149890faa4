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
    def decode(cls, value: str | None) -> FormOrigin:
        """Read ``private_metadata`` back; anything unreadable is an unknown origin."""
        try:
            data = json.loads(value or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()

        def text(key: str) -> str | None:
            item = data.get(key)
            return item if isinstance(item, str) and len(item) < 1000 else None

        return cls(channel_id=text("c"), thread_ts=text("t"), response_url=text("r"))
