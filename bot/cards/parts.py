"""What every card, message and modal is built from: how much outside text is shown, figures,
dates and lookup lines for people, and the Block Kit block builders (all pure). The leading
underscore marks names shared by the modules of ``bot.cards`` only, not for outside use."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.blockkit import (
    ACCESSIBILITY_LABEL_MAX,
    BUTTON_TEXT_MAX,
    HEADER_MAX,
    SECTION_TEXT_MAX,
    TEXT_RECOMMENDED_MAX,
    Message,
    escape,
)
from bot.query import PurchaseQuery, encode_query
from bot.text import clip, code_span

# How much of a piece of outside text is shown (before escaping, which may grow it fivefold).
_MEMBER_SHOWN = 100
_ID_SHOWN = 80
_LABEL_SHOWN = 30
_NAME_SHOWN = 80
_VALUE_SHOWN = 100

_DATE_FORMAT = "{date_short_pretty} at {time}"
_WARNING = ":warning:"
_AWAITING = ":hourglass_flowing_sand:"
_UNKNOWN = "—"
_HUGE = 10**15
_PURCHASE_TYPES = {"order_id": "Order", "receipt_id": "Receipt"}

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _clip_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn cut to ``limit`` characters without leaving half an entity or mention.

    Clipping before escaping cannot bound the result (``&`` grows fivefold); clipping
    after it could cut ``&amp;`` or ``<@U123>`` in two, so a cut one is dropped whole.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    bracket = cut.rfind("<")
    if bracket != -1 and ">" not in cut[bracket:]:
        cut = cut[:bracket]
    return cut + "…"


def _escaped_code(text: str, limit: int = _ID_SHOWN) -> str:
    """Outside text as inline code (escaped, clipped), always inside the code span."""
    return code_span(escape(clip(text, limit)))


def _figure(value: int | float | None) -> str:
    """A figure for people: ``1,234`` or ``12.50``; ``—`` when unknown; huge ones shortened."""
    if type(value) is int and -_HUGE < value < _HUGE:
        return f"{value:,}"  # the common case, four times per purchase: no float checks
    if value is None or not math.isfinite(value):
        return _UNKNOWN
    if abs(value) >= _HUGE:
        return f"{value:.3g}"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _count(n: int, noun: str) -> str:
    """``1 purchase``, ``27 purchases``."""
    return f"{_figure(n)} {noun}{'' if n == 1 else 's'}"


def _slack_date(moment: datetime | None) -> str:
    """A time in each reader's own zone, with a UTC fallback for clients that cannot."""
    if moment is None:
        return "date unknown"
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: no UTC equivalent exists
        return escape(moment.isoformat())
    # What strftime("%Y-%m-%d %H:%M UTC") means, without the C locale round trip (and
    # with four digits for year 1, where glibc's %Y gives "1"): ISO's first 16 characters.
    fallback = f"{utc.isoformat(' ', 'minutes')[:16]} UTC"
    stamp = int(utc.timestamp())
    if stamp < 0:  # placeholder dates (0001-01-01): Slack's date token takes no negative
        return fallback
    return f"<!date^{stamp}^{_DATE_FORMAT}|{fallback}>"


def _purchase_kind(purchase_id_type: str) -> str:
    """``Order`` / ``Receipt`` for the documented id types, the raw type (escaped) otherwise."""
    return _PURCHASE_TYPES.get(purchase_id_type) or escape(clip(purchase_id_type, _LABEL_SHOWN))


def _searched_as(query: PurchaseQuery) -> str:
    """``searched as email``, noting when the person chose the type themselves."""
    chosen = "" if query.id_type_inferred else " (you chose it)"
    return f"searched as {query.id_type.label}{chosen}"


def _lookup_line(query: PurchaseQuery) -> str:
    """The lookup in one mrkdwn line: member, how it was searched, the range."""
    line = f"{_escaped_code(query.member, _MEMBER_SHOWN)}, {_searched_as(query)}"
    line = f"{line}, {query.range_label}" if query.range_label else line
    search = query.search_label
    return f"{line}, {_escaped_code(search, _ID_SHOWN)}" if search else line


def _range_phrase(query: PurchaseQuery) -> str:
    """`` from A to B`` / `` since A`` / ``''`` to follow "No purchases"."""
    label = query.range_label
    if not label:
        return ""
    return (
        f" from {label}" if query.start and query.end and query.start != query.end else " " + label
    )


def _limited_lines(lines: Sequence[str], *, most: int, chars: int, noun: str) -> list[str]:
    """The first lines that fit both budgets, then ``…and N more <noun>`` for the rest."""
    kept: list[str] = []
    used = 0
    for line in lines[:most]:
        if used + len(line) + 1 > chars:
            break
        kept.append(line)
        used += len(line) + 1
    rest = len(lines) - len(kept)
    if rest:
        kept.append(f"_…and {_figure(rest)} more {noun}_")
    return kept


# --------------------------------------------------------------------------------------------
# Block helpers
# --------------------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object; ``verbatim`` so Slack links no bare URL, channel name or
    mention found in outside text (the bot's own ``<…>`` tokens still work)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(clip(text, HEADER_MAX))}


def _section(text: str, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": _mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _fields(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A two-column section of ``*label*\\nvalue`` fields (Slack allows 10)."""
    return {"type": "section", "fields": [_mrkdwn(f"*{k}*\n{v}") for k, v in pairs]}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _actions(buttons: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """An actions block holding ``buttons``, or no block at all when there are none."""
    return [{"type": "actions", "elements": list(buttons)}] if buttons else []


def _button(
    label: str,
    action_id: str,
    value: str | None = None,
    *,
    primary: bool = False,
    accessibility_label: str | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(clip(label, BUTTON_TEXT_MAX)),
        "action_id": action_id,
    }
    if value is not None:
        button["value"] = value
    if accessibility_label:
        button["accessibility_label"] = clip(accessibility_label, ACCESSIBILITY_LABEL_MAX)
    if primary:
        button["style"] = "primary"
    return button


def _page_button(label: str, action_id: str, query: PurchaseQuery, page: int) -> dict[str, Any]:
    """A button that shows ``query`` at ``page`` (page navigation and retries)."""
    return _button(label, action_id, encode_query(query.with_page(page)))


def _packed_sections(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as fit ``SECTION_TEXT_MAX`` each."""
    chunks: list[str] = []
    for line in lines:
        line = clip(line, SECTION_TEXT_MAX)
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_TEXT_MAX:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [_section(chunk) for chunk in chunks if chunk.strip()]


def _message(text: str, blocks: list[dict[str, Any]], **extra: Any) -> Message:
    """A message with its top-level ``text`` fallback (notifications, screen readers)."""
    return {"text": clip(text, TEXT_RECOMMENDED_MAX), "blocks": blocks, **extra}


def _notice(
    text: str, *, context: str | None = None, buttons: Sequence[dict[str, Any]] = ()
) -> Message:
    """A short message: one section, an optional context line and buttons."""
    blocks = [_section(text)]
    if context:
        blocks.append(_context(context))
    return _message(text, blocks + _actions(buttons))


def _modal(title: str, blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": _plain(title), "blocks": blocks, **extra}


_NOT_OPENED = {
    "expired_trigger_id": "Slack took too long to open {subject}.",
    "exchanged_trigger_id": "Slack had already used this click, so {subject} did not open.",
    "ratelimited": "Slack is opening too many windows right now, so {subject} did not open.",
}


def _not_opened_note(
    error: str | None, *, subject: str, closed: str, again: dict[str, Any], plural: bool
) -> Message:
    """Slack would not open (or fill) a modal: say so privately, with its button to try again.

    ``subject`` names what did not show ("the details of Order `X`"), ``closed`` says the
    modal was closed first (Slack's ``not_found``); any other code is shown as inert text.
    """
    known = _NOT_OPENED.get(error or "")
    if error == "not_found":
        text = closed
    elif known is not None:
        text = known.format(subject=subject)
    else:
        code = _escaped_code(error or "no answer", 60)
        text = f"Slack would not show {subject} ({code})."
    label = again["text"]["text"]
    warning = "" if error == "not_found" else f"{_WARNING} "
    them = "them" if plural else "it"
    note = _notice(f"{warning}{text}\nClick *{label}* to open {them} again.", buttons=[again])
    return {**note, "response_type": "ephemeral", "replace_original": False}
