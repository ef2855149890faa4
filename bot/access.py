"""Who may look up members: the allow-lists of users and channels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessPolicy:
    """Allow-lists from ``ALLOWED_SLACK_USER_IDS`` / ``ALLOWED_SLACK_CHANNEL_IDS``.

    An empty list allows everyone; both lists must allow a request. A request whose channel is
    unknown passes the channel check only when no channel list is set.
    """

    user_ids: frozenset[str] = frozenset()
    channel_ids: frozenset[str] = frozenset()

    def allows(self, user_id: str | None, channel_id: str | None) -> bool:
        """True when this person, in this channel, may see purchase histories."""
        if self.user_ids and (user_id is None or user_id not in self.user_ids):
            return False
        return not (self.channel_ids and (channel_id is None or channel_id not in self.channel_ids))

    def why_denied(self, user_id: str | None, channel_id: str | None) -> str:
        """A short reason for a refused person (no ids of others)."""
        if self.user_ids and (user_id is None or user_id not in self.user_ids):
            return "You are not on the list of people who may look up loyalty members."
        return "Purchase lookups are not enabled in this channel."
