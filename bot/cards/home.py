"""The App Home tab: what the bot does, the lookup form button, and the agent's recent lookups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.blockkit import escape
from bot.cards.parts import (
    _MEMBER_SHOWN,
    _UNKNOWN,
    _actions,
    _button,
    _clip_mrkdwn,
    _context,
    _count,
    _divider,
    _escaped_code,
    _header,
    _section,
    _slack_date,
)
from bot.query import PurchaseQuery, encode_query
from bot.slack_ids import COMMAND, HOME_LOOKUP_ACTION_PREFIX, OPEN_FORM_ACTION
from bot.text import clip

HOME_LOOKUPS_SHOWN = 10
"""The most recent lookups the Home view lists (each is a section with a button)."""


def _search_words(query: PurchaseQuery) -> str:
    """``  ·  find:NW-400026`` after the dates of a find or a filter, else nothing."""
    search = query.search_label
    return f"  ·  {_escaped_code(search, 80)}" if search else ""


def _looked_up_at(at: float) -> str:
    """When a lookup was made, in the reader's zone (UTC fallback)."""
    try:
        moment = datetime.fromtimestamp(at, UTC)
    except (OverflowError, OSError, ValueError):
        return _UNKNOWN
    return _slack_date(moment)


def home_view(
    recent: Sequence[tuple[PurchaseQuery, float]] = (),
    *,
    denied_reason: str | None = None,
    recent_hours: int = 24,
    sharing: bool = True,
) -> dict[str, Any]:
    """The App Home tab: what the bot does, the form button, and the agent's recent lookups.

    ``recent`` is (query, epoch seconds) newest first. Someone the allow-lists refuse gets
    the help and ``denied_reason`` with whom to ask, and neither the button nor any lookup;
    ``recent_hours=0`` (the list turned off) shows no list at all; ``sharing`` says whether
    cards offer Share (``SHARING_ENABLED``), so the help does not promise a missing button.
    """
    third = (
        "Press *Share* on a card to post it in the channel or thread for your team."
        if sharing
        else "Cards are private to you; Export CSV sends the file to your DM with the bot."
    )
    blocks: list[dict[str, Any]] = [
        _header("Purchases"),
        _section(
            f"*{COMMAND}* shows a loyalty member's CrowdTwist purchase history, privately.\n"
            "Give an email, phone number or member id, and optionally dates; page through "
            f"the card, open Details, export a CSV.\n{third}"
        ),
        _context(
            f"`{COMMAND} jane@example.com since 2024-03-01`  ·  "
            f"`{COMMAND} 12345 last 30 days`  ·  `{COMMAND} help` for more"
        ),
    ]
    if denied_reason is not None:
        why = _clip_mrkdwn(escape(denied_reason), 1000)
        blocks.append(
            _section(f":no_entry: {why}\nAsk a Slack admin to add you to the bot's allowed list.")
        )
        return {"type": "home", "blocks": blocks}
    blocks += _actions([_button("Look up a member", OPEN_FORM_ACTION, primary=True)])
    if recent_hours > 0:
        blocks += [_divider(), _header("Your recent lookups")]
        shown = list(recent)[:HOME_LOOKUPS_SHOWN]
        for i, (query, at) in enumerate(shown):
            line = (
                f"{_escaped_code(query.member, _MEMBER_SHOWN)}  ·  "
                f"{query.range_label or 'all dates'}{_search_words(query)}\n{_looked_up_at(at)}"
            )
            again = _button(
                "Open",
                f"{HOME_LOOKUP_ACTION_PREFIX}_{i}",
                encode_query(query),
                accessibility_label=f"Look up {clip(query.member, 60)} again",
            )
            blocks.append(_section(line, again))
        hours = _count(recent_hours, "hour")
        if not shown:
            blocks.append(_context(f"Nothing in the last {hours}: your lookups show here."))
        else:
            note = f"Yours only, kept for {hours}. The answers come in your DM with the bot."
            blocks.append(_context(note))
    return {"type": "home", "blocks": blocks}
