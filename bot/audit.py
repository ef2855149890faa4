"""The audit trail: one structured line per lookup, and optionally a copy in a channel.

Member identifiers never appear in clear: each is a keyed hash (see :func:`member_hash`), the
same for the same member, so an auditor can follow one member without seeing who it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.query import PurchaseQuery
from bot.redact import member_hash

audit_logger = logging.getLogger("bot.audit")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who asked, and where."""

    user_id: str | None
    team_id: str | None
    channel_id: str | None


@dataclass
class AuditEvent:
    """One lookup as the audit trail records it."""

    entry: str
    outcome: str
    user: str | None = None
    team: str | None = None
    channel: str | None = None
    id_type: str | None = None
    member: str | None = None
    date_start: str | None = None
    date_end: str | None = None
    page: int | None = None
    results: int | None = None
    total: int | None = None
    latency_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_EVENT_FIELDS = tuple(f.name for f in fields(AuditEvent))


class AuditLog:
    """Writes audit events to the ``bot.audit`` logger and, if set, an audit channel."""

    def __init__(
        self,
        hash_key: bytes,
        *,
        channel_id: str | None = None,
        observer: Callable[[AuditEvent], None] | None = None,
    ) -> None:
        self._hash_key = hash_key
        self._channel_id = channel_id
        self.observer = observer
        """Told of every event as it is recorded (the metrics count lookups here)."""

    def member_tag(self, member: str) -> str:
        """The member's keyed hash, as it appears in every log line."""
        return member_hash(member, self._hash_key)

    def event(
        self,
        entry: str,
        outcome: str,
        actor: Actor,
        *,
        query: PurchaseQuery | None = None,
        member: str | None = None,
        id_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
        page: int | None = None,
        results: int | None = None,
        total: int | None = None,
        latency_ms: int | None = None,
        **extra: Any,
    ) -> AuditEvent:
        """Build an event with the member already hashed; ``query`` fills the member, its id
        type and the date range (the page stays the caller's to give)."""
        if query is not None:
            member, id_type = query.member, query.id_type.value
            start, end = query.start, query.end
        return AuditEvent(
            entry=entry,
            outcome=outcome,
            user=actor.user_id,
            team=actor.team_id,
            channel=actor.channel_id,
            id_type=id_type,
            member=self.member_tag(member) if member else None,
            date_start=start.isoformat() if start else None,
            date_end=end.isoformat() if end else None,
            page=page,
            results=results,
            total=total,
            latency_ms=latency_ms,
            extra=extra,
        )

    async def record(self, event: AuditEvent, client: AsyncWebClient | None = None) -> None:
        """Write the line; copy it to the audit channel when one is configured."""
        if self.observer is not None:
            self.observer(event)
        if audit_logger.isEnabledFor(logging.INFO):
            # Field by field, not dataclasses.asdict (a deep copy): the values are plain.
            shown = {
                name: value
                for name in _EVENT_FIELDS
                if (value := getattr(event, name)) is not None and value != {}
            }
            audit_logger.info(json.dumps({"audit": "lookup", **shown}, sort_keys=True))
        if self._channel_id and client is not None:
            try:
                await client.chat_postMessage(
                    channel=self._channel_id, text=self._channel_line(event)
                )
            except (SlackApiError, OSError) as exc:
                log.warning("could not copy the audit line to the audit channel: %s", exc)

    @staticmethod
    def _channel_line(event: AuditEvent) -> str:
        dates = " to ".join(d for d in (event.date_start, event.date_end) if d)
        parts = [
            f"<@{event.user}>" if event.user else "someone",
            f"{event.entry}",
            f"member `{event.member}`" if event.member else "",
            f"as {event.id_type}" if event.id_type else "",
            f"dates {dates}" if dates else "",
            f"page {event.page}" if event.page else "",
            f"in <#{event.channel}>" if event.channel else "",
            f"→ {event.outcome}",
        ]
        if event.results is not None:
            parts.append(f"({event.results} shown of {event.total})")
        return " ".join(part for part in parts if part)
