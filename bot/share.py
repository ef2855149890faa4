"""What a Share button carries: the query, and where the private card was (channel, thread).

A click on an ephemeral message carries no ``message``, so the thread a shortcut answered in
travels in the button's value. Values come back from Slack's clients and are untrusted:
:meth:`ShareRef.decode` reads back only what :meth:`ShareRef.encode` writes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.compact_json import dumps
from bot.config import ReplyVisibility, Settings
from bot.query import PurchaseQuery, decode_query, encode_query
from bot.query.model import MAX_BUTTON_VALUE

_CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{2,30}")
_MESSAGE_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


@dataclass(frozen=True)
class ShareTarget:
    """Where a shared copy goes: the channel the private card was in, and its thread."""

    channel_id: str
    thread_ts: str | None = None

    @classmethod
    def checked(cls, channel_id: object, thread_ts: object = None) -> ShareTarget | None:
        """A target from outside values (ids as Slack writes them), or None."""
        if not isinstance(channel_id, str) or not _CHANNEL_ID.fullmatch(channel_id):
            return None
        if thread_ts is not None and (
            not isinstance(thread_ts, str) or not _MESSAGE_TS.fullmatch(thread_ts)
        ):
            return None
        return cls(channel_id, thread_ts)


@dataclass(frozen=True)
class ShareRef:
    """A Share button's value: the page to post, and where."""

    query: PurchaseQuery
    target: ShareTarget

    def encode(self) -> str:
        data: dict[str, str] = {"q": encode_query(self.query), "c": self.target.channel_id}
        if self.target.thread_ts:
            data["t"] = self.target.thread_ts
        return dumps(data)

    @classmethod
    def decode(cls, value: object) -> ShareRef | None:
        """Read a Share button's value back; None for anything :meth:`encode` did not write."""
        if not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE:
            return None
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not set(data) <= {"q", "c", "t"}:
            return None
        query = decode_query(data.get("q"))
        target = ShareTarget.checked(data.get("c"), data.get("t"))
        if query is None or target is None:
            return None
        return cls(query, target)


def share_target(
    settings: Settings, channel_id: str | None, thread_ts: str | None = None
) -> ShareTarget | None:
    """Where this card could be shared to, or None when it gets no Share button.

    Only private cards are shared: none when sharing is off, when every card is already
    visible (``REPLY_VISIBILITY=in_channel``), or when the card is not in a channel.
    """
    if not settings.sharing_enabled or settings.reply_visibility is not ReplyVisibility.EPHEMERAL:
        return None
    return ShareTarget.checked(channel_id, thread_ts)
