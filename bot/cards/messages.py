"""The short messages: help, usage errors, access denied, internal errors, choosing a member,
CrowdTwist failures (their wording shared with the Details modal) and the CSV export's notes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.blockkit import ACTIONS_ELEMENTS_MAX, Message, escape
from bot.cards.parts import (
    _MEMBER_SHOWN,
    _VALUE_SHOWN,
    _WARNING,
    _button,
    _clip_mrkdwn,
    _count,
    _escaped_code,
    _figure,
    _lookup_line,
    _message,
    _notice,
    _packed_sections,
    _page_button,
    _section,
)
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType
from bot.query import USAGE, PurchaseQuery, UsageError, encode_query
from bot.slack_ids import CHOOSE_MEMBER_ACTION_PREFIX, COMMAND, NEXT_PAGE_ACTION, OPEN_FORM_ACTION
from bot.text import clip

_HELP_CHARS = 9000


# --------------------------------------------------------------------------------------------
# Help, usage, access and other short messages
# --------------------------------------------------------------------------------------------


def help_message(help_text: str) -> Message:
    """The help text (plain text with mrkdwn emphasis; ``& < >`` are escaped here)."""
    lines = escape(clip(help_text, _HELP_CHARS)).splitlines()
    return _message(f"How to use {COMMAND}", _packed_sections(lines) or [_section(COMMAND)])


def usage_error_message(error: UsageError) -> Message:
    """What was wrong with the command, the usage line, and where to read more."""
    text = f"{_WARNING} {escape(clip(error.message, _VALUE_SHOWN * 5))}"
    return _notice(
        text,
        context=f"Usage: {_escaped_code(USAGE, len(USAGE))}  ·  Try `{COMMAND} help` for examples.",
    )


def denied_message(*, reason: str | None = None) -> Message:
    """Not allowed to use the bot here, why (if given), and whom to ask."""
    why = _clip_mrkdwn(escape(reason), 1000) if reason else f"You can't use {COMMAND} here."
    return _notice(
        f":no_entry: {why}\nAsk a Slack admin to add you (or this channel) "
        "to the bot's allowed list."
    )


def internal_error_message() -> Message:
    """Something broke inside the bot; nothing about it is shown but what to do."""
    return _notice(
        f"{_WARNING} Something went wrong on the bot's side.\n"
        "Please try again. If it keeps happening, tell a Slack admin: "
        "the bot's log has the details."
    )


def choose_member_message(candidates: Sequence[tuple[str, IdType]]) -> Message:
    """Several identifiers in a message: one button per candidate, and one for the form."""
    shown = candidates[: ACTIONS_ELEMENTS_MAX - 1]
    buttons = [
        _button(
            f"{member} ({id_type.label})",
            f"{CHOOSE_MEMBER_ACTION_PREFIX}_{i}",
            encode_query(PurchaseQuery(member, id_type)),
        )
        for i, (member, id_type) in enumerate(shown)
    ]
    buttons.append(_button("Type it in a form", OPEN_FORM_ACTION))
    text = "That message mentions several members. Whose purchases should I look up?"
    rest = len(candidates) - len(shown)
    context = f"…and {_figure(rest)} more: use the form for those." if rest else None
    return _notice(text, context=context, buttons=buttons)


def no_identifier_message() -> Message:
    """No member identifier found (and the form could not be opened): how to ask instead."""
    return _notice(
        ":mag: I couldn't find an email, phone number or member id in that message.",
        context=f"Open the form, or type {_escaped_code(USAGE, len(USAGE))}",
        buttons=[_button("Open the lookup form", OPEN_FORM_ACTION, primary=True)],
    )


# --------------------------------------------------------------------------------------------
# CrowdTwist errors
# --------------------------------------------------------------------------------------------

_ADVICE: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.INVALID_INPUT: ("", "Check the identifier, its type (`type:`) and the dates."),
    ErrorKind.UNAUTHORIZED: (
        "CrowdTwist refused the bot's API key.",
        "This is a setup problem, not yours: please ask a Slack admin to check the bot.",
    ),
    ErrorKind.NOT_CONFIGURED: (
        "Purchase history is not set up for this loyalty program.",
        "Please ask an admin to have it turned on in CrowdTwist.",
    ),
    ErrorKind.UNAVAILABLE: (
        "CrowdTwist is not answering right now.",
        "Please try again in a minute.",
    ),
    ErrorKind.BAD_RESPONSE: (
        "CrowdTwist sent an answer the bot could not read.",
        "Please try again; if it keeps happening, ask a Slack admin.",
    ),
    ErrorKind.BUSY: (
        "CrowdTwist is busy right now.",
        "Please try again in {seconds} s: the bot is at its request limit for this minute.",
    ),
}


def _upstream_headline(error: CrowdTwistError) -> str:
    """The error's own sentence, CrowdTwist's words in it inert (a code span: no live link)."""
    message, upstream = str(error), error.upstream
    if upstream and message.endswith(upstream):
        lead = message[: -len(upstream)]
        return escape(clip(lead, 200)) + _escaped_code(upstream, 500)
    return escape(clip(message, 500))


def _error_text(error: CrowdTwistError, not_found: str, not_found_advice: str) -> str:
    """What happened (bold) and what to do, for any kind of CrowdTwist failure."""
    if error.kind is ErrorKind.NOT_FOUND:
        headline, advice = not_found, not_found_advice
    else:
        headline, advice = _ADVICE[error.kind]
        headline = headline or _upstream_headline(error)
        if error.kind is ErrorKind.BUSY:
            advice = advice.format(seconds=_figure(max(1, math.ceil(error.retry_after or 1))))
    return f"{_WARNING} *{headline}*\n{advice}"


def _member_error_text(error: CrowdTwistError, query: PurchaseQuery) -> str:
    member = _escaped_code(query.member, _MEMBER_SHOWN)
    return _error_text(
        error,
        f"No member found for {member} searched as {query.id_type.label}.",
        "Check it, or pick another type with `type:` "
        "(`email`, `id`, `third_party_id`, `mobile_phone_number`).",
    )


def crowdtwist_error_message(error: CrowdTwistError, query: PurchaseQuery) -> Message:
    """A failed lookup: what happened, what to do, and a retry when retrying may help."""
    buttons = [_page_button("Try again", NEXT_PAGE_ACTION, query, query.page)]
    return _notice(
        _member_error_text(error, query),
        context=f"Lookup: {_lookup_line(query)}",
        buttons=buttons if error.kind.retryable else (),
    )


def page_failed_message(
    error: CrowdTwistError, query: PurchaseQuery, *, action_id: str = NEXT_PAGE_ACTION
) -> Message:
    """A failed Previous/Next, as a separate ephemeral note that leaves the card alone.

    ``action_id`` is the clicked button's, so the retry takes the same route.
    """
    note = _notice(
        _member_error_text(error, query),
        context=f"Page {_figure(query.page)} did not load for {_lookup_line(query)}. "
        "The card above is unchanged.",
        buttons=[_page_button("Try again", action_id, query, query.page)],
    )
    return {**note, "response_type": "ephemeral", "replace_original": False}


# --------------------------------------------------------------------------------------------
# CSV export
# --------------------------------------------------------------------------------------------


def export_started_message(query: PurchaseQuery) -> Message:
    """The export has begun; the file follows."""
    return _notice(
        f":inbox_tray: Exporting purchases to CSV for {_lookup_line(query)}…\n"
        "The file will follow as soon as it is ready."
    )


def export_done_message(query: PurchaseQuery, rows: int, capped: bool, cap_pages: int) -> Message:
    """The export finished; says so plainly when it stopped at the page cap."""
    text = (
        f":white_check_mark: Exported {_count(rows, 'purchase')} to CSV for {_lookup_line(query)}."
    )
    if capped:
        text += (
            f"\n{_WARNING} Stopped after {_count(cap_pages, 'page')}: "
            "narrow the dates to export the rest."
        )
    return _notice(text)


def export_failed_message(query: PurchaseQuery, error: CrowdTwistError) -> Message:
    """The export failed part way or at the start."""
    return _notice(
        _member_error_text(error, query),
        context=f"The CSV export for {_lookup_line(query)} did not finish.",
    )
