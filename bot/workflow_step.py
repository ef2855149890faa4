"""The Workflow Builder step ``lookup_purchase_history``: its inputs read, its outputs totalled.

Pure functions, so every rule is testable without Slack: :func:`read_inputs` reads the step's
inputs exactly as the lookup form reads its fields (the same member checks, the same id-type
inference), :func:`step_outputs` turns a whole gathered history into the step's outputs, and
:func:`failure_text` says in plain words why a run failed, for the workflow's owner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from bot.answers.history import History
from bot.audit import Actor
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import MemberPoints
from bot.query import PurchaseQuery, query_from_form

STEP_CALLBACK_ID: Final = "lookup_purchase_history"
"""The step's ``callback_id``, as ``manifest.yml`` declares it under ``functions``."""

AUDIT_ENTRY: Final = "workflow_step"
"""The step's ``entry`` in the audit trail."""

REQUESTED_BY_INPUT: Final = "requested_by"
"""The optional input naming who started the workflow (Slack's event does not say)."""
CHANNEL_INPUT: Final = "channel"
"""The optional input naming the channel the workflow runs for."""

_FIELD_OF_FORM = {
    "member": "member",
    "id_type": "id_type",
    "start": "start_date",
    "end": "end_date",
}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SLACK_ID = re.compile(r"[A-Z0-9]{2,40}")


@dataclass(frozen=True)
class InvalidInput:
    """The inputs cannot be read as a lookup: ``field: what is wrong`` for each bad input."""

    problems: dict[str, str]

    @property
    def text(self) -> str:
        """One line per bad input, named as the workflow's step names it."""
        return "Invalid input. " + " ".join(
            f"{name}: {problem}" for name, problem in self.problems.items()
        )


def _text_input(inputs: Mapping[str, Any], name: str) -> str | None:
    """A string input, None when absent or empty; anything else is not a string."""
    value = inputs.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(name)
    return value.strip() or None


def _date_input(inputs: Mapping[str, Any], name: str) -> date | str | None:
    """A ``slack#/types/date`` input (``YYYY-MM-DD``) as a date, or what is wrong with it."""
    try:
        text = _text_input(inputs, name)
    except TypeError:
        return "must be a date like 2026-03-01."
    if text is None:
        return None
    if not _ISO_DATE.fullmatch(text):
        return f"“{text[:40]}” is not a date like 2026-03-01."
    try:
        return date.fromisoformat(text)
    except ValueError:
        return f"{text} is not a date on the calendar."


def read_inputs(inputs: Mapping[str, Any]) -> PurchaseQuery | InvalidInput:
    """The step's inputs as a lookup of the whole range, or which inputs are wrong and why.

    ``member`` is required; ``id_type`` absent means inferred as ``/purchases`` infers it;
    ``start_date`` and ``end_date`` are inclusive and the start may not come after the end.
    """
    problems: dict[str, str] = {}
    try:
        member = _text_input(inputs, "member")
    except TypeError:
        member, problems["member"] = None, "must be text."
    try:
        id_type = _text_input(inputs, "id_type")
    except TypeError:
        id_type, problems["id_type"] = None, "must be text."
    dates: dict[str, date | None] = {}
    for name in ("start_date", "end_date"):
        value = _date_input(inputs, name)
        if isinstance(value, str):
            problems[name] = value
            value = None
        dates[name] = value
    if member is None and "member" not in problems:
        problems["member"] = "is required: an email, phone number, CrowdTwist id or third-party id."
    if problems:
        return InvalidInput(problems)
    read = query_from_form(member or "", id_type, dates["start_date"], dates["end_date"])
    if isinstance(read, PurchaseQuery):
        return read
    return InvalidInput({_FIELD_OF_FORM.get(name, name): text for name, text in read.items()})


def slack_id_input(inputs: Mapping[str, Any], name: str) -> str | None:
    """A user or channel id input, if it looks like one (anything else counts as absent)."""
    value = inputs.get(name)
    if isinstance(value, str) and _SLACK_ID.fullmatch(value.strip()):
        return value.strip()
    return None


def is_step_run(body: Mapping[str, Any]) -> bool:
    """True for Slack's ``function_executed`` event (a step run), in any envelope."""
    event = body.get("event")
    return isinstance(event, dict) and event.get("type") == "function_executed"


def step_actor(body: Mapping[str, Any], inputs: Mapping[str, Any]) -> Actor:
    """Who the run is for: Slack's event names nobody, so the ``requested_by`` and
    ``channel`` inputs say (absent when the workflow's owner did not map them)."""
    team = body.get("team_id")
    return Actor(
        user_id=slack_id_input(inputs, REQUESTED_BY_INPUT),
        team_id=team if isinstance(team, str) else None,
        channel_id=slack_id_input(inputs, CHANNEL_INPUT),
    )


def step_denied_text(reason: str, actor: Actor) -> str:
    """Why a run was refused, for the workflow's owner: which input to map when it is absent."""
    if actor.user_id is None and reason.startswith("You are not"):
        return (
            "Access denied: only listed people may look up loyalty members, and this step "
            f"does not say who ran the workflow. Set its {REQUESTED_BY_INPUT} input to the "
            "person who used the workflow."
        )
    if actor.channel_id is None and not reason.startswith("You are not"):
        return (
            "Access denied: lookups are enabled only in listed channels, and this step does "
            f"not say which channel it runs for. Set its {CHANNEL_INPUT} input."
        )
    return f"Access denied: {reason}"


def _total(values: list[int | None]) -> tuple[int, int]:
    """The sum of the known values, and how many were not reported."""
    known = [value for value in values if value is not None]
    return sum(known), len(values) - len(known)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def step_outputs(
    query: PurchaseQuery,
    history: History,
    *,
    cap_pages: int,
    points: MemberPoints | None = None,
) -> dict[str, Any]:
    """The step's outputs over every gathered purchase (see the README for each one).

    ``points`` (the member summary, when it came) adds ``points_total`` and
    ``points_redeemable``, each only when CrowdTwist sent it.

    A figure a purchase does not report counts as 0 in the sum, and the summary says how many
    purchases did not report it. ``total_purchases`` is CrowdTwist's count for the range, even
    when the page cap stopped the gathering early (the summary says so).
    """
    purchases = history.purchases
    earned, earned_missing = _total([p.total_points_earned for p in purchases])
    awarded, awarded_missing = _total([p.total_points_awarded for p in purchases])
    awaiting, awaiting_missing = _total([p.points_awaiting_fulfillment for p in purchases])
    dates = [p.last_date_purchased for p in purchases if p.last_date_purchased is not None]
    newest = max(dates) if dates else None
    range_text = f" ({query.range_label})" if query.range_label else ""
    lines = [
        f"{query.member} ({query.id_type.value}): {_plural(history.total, 'purchase')}"
        f"{range_text}" + (f", the last on {newest.date().isoformat()}." if newest else "."),
        f"Points: {earned:,} earned, {awarded:,} awarded, {awaiting:,} awaiting fulfilment.",
    ]
    notes = [
        f"{_plural(missing, 'purchase')} did not report points {what}"
        for missing, what in (
            (earned_missing, "earned"),
            (awarded_missing, "awarded"),
            (awaiting_missing, "awaiting"),
        )
        if missing
    ]
    if history.capped:
        notes.insert(
            0,
            f"Only the first {_plural(cap_pages, 'page')} ({_plural(len(purchases), 'purchase')}) "
            "were added up: narrow the dates for exact points",
        )
    balance = _balance(points)
    if balance:  # on the points line: the summary stays two or three lines
        words = {"points_total": "points", "points_redeemable": "redeemable"}
        shown = ", ".join(f"{value:,} {words[key]}" for key, value in balance.items())
        lines[1] = f"{lines[1][:-1]}; balance now {shown}."
    if notes:
        lines.append("Note: " + "; ".join(notes) + ".")
    outputs: dict[str, Any] = {
        "found": True,
        "total_purchases": history.total,
        "points_earned": earned,
        "points_awarded": awarded,
        "points_awaiting": awaiting,
        "summary": "\n".join(lines),
    }
    if newest is not None:
        outputs["last_purchase_date"] = int(newest.timestamp())
    outputs.update(balance)
    return outputs


def _balance(points: MemberPoints | None) -> dict[str, int]:
    """The outputs ``points_total`` and ``points_redeemable``, each only when sent."""
    if points is None:
        return {}
    figures = {
        "points_total": points.total_points,
        "points_redeemable": points.redeemable_points,
    }
    return {word: value for word, value in figures.items() if value is not None}


def failure_text(error: CrowdTwistError, query: PurchaseQuery) -> str:
    """Why CrowdTwist gave no history, for the workflow's owner (no key, no traceback)."""
    match error.kind:
        case ErrorKind.NOT_FOUND:
            return (
                f"Member not found: no CrowdTwist member has {query.id_type.value} "
                f"“{query.member}”. Check the identifier, or set id_type if it was "
                "inferred wrongly."
            )
        case ErrorKind.INVALID_INPUT:
            return f"Invalid input: CrowdTwist refused the lookup. {error}"
        case ErrorKind.UNAUTHORIZED | ErrorKind.NOT_CONFIGURED:
            return (
                f"Not configured: {error} Ask the app's administrator to check its "
                "CrowdTwist settings."
            )
        case _:
            return f"CrowdTwist unavailable: {error}"


UNEXPECTED_FAILURE: Final = (
    "The purchase history lookup failed unexpectedly; the app's log has the details. "
    "Run the step again, and tell the app's administrator if it keeps failing."
)
