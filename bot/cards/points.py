"""The member summary on the card (one line under the header) and the Points ledger modal.

Every figure is shown as CrowdTwist sent it; one it did not send shows as ``—``, never 0.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.blockkit import Message, escape
from bot.cards.parts import (
    _WARNING,
    _button,
    _context,
    _divider,
    _escaped_code,
    _figure,
    _limited_lines,
    _modal,
    _not_opened_note,
    _packed_sections,
    _plain,
    _section,
    _slack_date,
)
from bot.crowdtwist.models import IdType, MemberPoints, PointsActivity
from bot.crowdtwist.summary import MemberSummary, SummaryState
from bot.query import PurchaseQuery, encode_query
from bot.slack_ids import POINTS_ACTION, POINTS_VIEW_CALLBACK_ID
from bot.text import clip

UNAVAILABLE_LINE = "Points balance unavailable right now"
_LEVEL_SHOWN = 40
_ACTIVITY_NAME_SHOWN = 80
_NOTES_SHOWN = 200
# The ledger's budget, so 200 activities with long notes still fit in one view.
_ACTIVITIES_SHOWN = 100
_ACTIVITIES_CHARS = 11_000
_OLDEST = datetime.min.replace(tzinfo=UTC)


def balance_text(points: MemberPoints) -> str:
    """``*12,340* points · *11,200* redeemable · Gold`` (``—`` for what was not sent)."""
    level = escape(clip(points.fan_level, _LEVEL_SHOWN)) if points.fan_level else "—"
    return (
        f"*{_figure(points.total_points)}* points · "
        f"*{_figure(points.redeemable_points)}* redeemable · {level}"
    )


def _refused_text(id_type: IdType) -> str:
    return (
        f"Points balance can't be looked up by {id_type.label}: try `type:id` with the "
        "member's CrowdTwist id, or their third-party id."
    )


def balance_blocks(summary: MemberSummary | None) -> list[dict[str, Any]]:
    """The card's points line, right under its header: none when the summary is off."""
    if summary is None or summary.state is SummaryState.OFF:
        return []
    if summary.shown and summary.points is not None:
        return [_context(f":star: {balance_text(summary.points)}")]
    if summary.state is SummaryState.ID_TYPE_REFUSED:
        return [_context(_refused_text(summary.id_type))]
    return [_context(UNAVAILABLE_LINE)]


def points_button(query: PurchaseQuery, summary: MemberSummary | None) -> list[dict[str, Any]]:
    """The Points button, where a ledger may be had (not when off, nor for a refused id type)."""
    if summary is None or summary.state in (SummaryState.OFF, SummaryState.ID_TYPE_REFUSED):
        return []
    return [_points_button(query)]


def _points_button(query: PurchaseQuery) -> dict[str, Any]:
    return _button(
        "Points",
        POINTS_ACTION,
        encode_query(query.with_page(1)),
        accessibility_label="Points: the member's balance and points activity",
    )


def _ledger_modal(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return _modal("Points", blocks, callback_id=POINTS_VIEW_CALLBACK_ID, close=_plain("Close"))


def points_loading_modal(member: str) -> dict[str, Any]:
    """Opened at once on Points; replaced when CrowdTwist answers."""
    return _ledger_modal([_section(f"Loading the points of {_escaped_code(member)}…")])


def _signed(value: int | None) -> str:
    if value is None:
        return "—"
    return f"+{_figure(value)}" if value > 0 else _figure(value)


def _activity_line(activity: PointsActivity) -> str:
    name = escape(clip(activity.name, _ACTIVITY_NAME_SHOWN)) if activity.name else "(no name)"
    line = f"{_slack_date(activity.date_created)} · {name} · *{_signed(activity.num_points)}*"
    if activity.notes and activity.notes.strip():
        line += f" · _{escape(clip(' '.join(activity.notes.split()), _NOTES_SHOWN))}_"
    return line


def points_modal(member: str, points: MemberPoints) -> dict[str, Any]:
    """The balance on top, then the activities newest first, and how many are not shown."""
    activities = sorted(points.activities, key=lambda a: a.date_created or _OLDEST, reverse=True)
    lines = _limited_lines(
        [_activity_line(a) for a in activities],
        most=_ACTIVITIES_SHOWN,
        chars=_ACTIVITIES_CHARS,
        noun="activities not shown",
    )
    head = [
        _section(f"*Points of {_escaped_code(member)}*\n{balance_text(points)}"),
        _context(f"Points bought: {_figure(points.num_points_purchased)}"),
        _divider(),
    ]
    if not lines:
        return _ledger_modal([*head, _section("No points activity.")])
    count = len(activities)
    title = f"*Activity ({_figure(count)}), newest first*"
    return _ledger_modal([*head, *_packed_sections([title, *lines])])


def points_failed_modal(member: str, summary: MemberSummary) -> dict[str, Any]:
    """No ledger: what the card's line would say, in the modal."""
    if summary.state is SummaryState.ID_TYPE_REFUSED:
        text = _refused_text(summary.id_type)
    elif summary.state is SummaryState.OFF:
        text = "Points balances are not available from this bot right now."
    else:
        text = f"{UNAVAILABLE_LINE}. Close this and click *Points* again in a minute."
    return _ledger_modal([_section(f"*Points of {_escaped_code(member)}*\n{text}")])


def points_not_shown_modal() -> dict[str, Any]:
    """Slack refused the filled ledger: replaces "Loading…" so it never stays forever."""
    return _ledger_modal(
        [
            _section(
                f"{_WARNING} *The points could not be shown.* Close this and click *Points* "
                "again; if it keeps happening, tell a Slack admin."
            )
        ]
    )


def points_not_opened_message(query: PurchaseQuery, error: str | None) -> Message:
    """Slack would not open (or fill) the Points modal: say so privately, offer it again
    (``error`` is Slack's error code, as for :func:`details_not_opened_message`)."""
    member = _escaped_code(query.member)
    return _not_opened_note(
        error,
        subject=f"the points of {member}",
        closed=f"The points window of {member} was closed before they arrived.",
        again=_points_button(query),
        plural=True,
    )
