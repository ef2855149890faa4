"""Every message and modal the bot sends, as pure functions of what it knows.

Nothing here talks to Slack or CrowdTwist: a listener gets a query, a page or an error and
asks this module for the Block Kit to send. Every piece of outside text (what a person typed,
what CrowdTwist answered) goes into mrkdwn through :func:`bot.blockkit.escape` only, and every
output stays within Block Kit's limits whatever the data (``tests/test_cards.py``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.blockkit import (
    ACCESSIBILITY_LABEL_MAX,
    ACTIONS_ELEMENTS_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    HEADER_MAX,
    OPTION_TEXT_MAX,
    SECTION_TEXT_MAX,
    TEXT_RECOMMENDED_MAX,
    Message,
    escape,
)
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import (
    Coupon,
    IdType,
    Item,
    Paging,
    Purchase,
    PurchaseDetail,
    PurchaseIdType,
    PurchasePage,
)
from bot.query import MAX_MEMBER_LENGTH, MAX_PAGE, USAGE, PurchaseQuery, UsageError, encode_query
from bot.share import ShareRef, ShareTarget
from bot.slack_ids import (
    CHOOSE_MEMBER_ACTION_PREFIX,
    COMMAND,
    DETAIL_VIEW_CALLBACK_ID,
    DETAILS_ACTION_PREFIX,
    EXPORT_ACTION,
    FORM_END_ACTION,
    FORM_END_BLOCK,
    FORM_ID_TYPE_ACTION,
    FORM_ID_TYPE_BLOCK,
    FORM_ID_TYPE_INFER,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_START_ACTION,
    FORM_START_BLOCK,
    HOME_LOOKUP_ACTION_PREFIX,
    LOOKUP_VIEW_CALLBACK_ID,
    NEXT_PAGE_ACTION,
    OPEN_FORM_ACTION,
    PREV_PAGE_ACTION,
    SHARE_ACTION,
    SHARED_BY_BLOCK_PREFIX,
)
from bot.text import clip, code_span

PAGE_SIZE = 10
"""Purchases per page, as the API documents; used only when ``paging.pages`` is missing."""

# How much of a piece of outside text is shown (before escaping, which may grow it fivefold).
_MEMBER_SHOWN = 100
_ID_SHOWN = 80
_LABEL_SHOWN = 30
_NAME_SHOWN = 80
_VALUE_SHOWN = 100

# The detail modal's budget, in characters of mrkdwn, so 200 items still fit in a view.
_ITEMS_SHOWN = 50
_ITEMS_CHARS = 5500
_COUPONS_SHOWN = 20
_COUPONS_CHARS = 1500
_CUSTOM_SHOWN = 20
_CUSTOM_CHARS = 1500
_HELP_CHARS = 9000

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
    # with four digits for year 1, where glibc's %Y gives "1").
    fallback = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} {utc.hour:02d}:{utc.minute:02d} UTC"
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
    return f"{line}, {query.range_label}" if query.range_label else line


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


# --------------------------------------------------------------------------------------------
# The purchase card
# --------------------------------------------------------------------------------------------


_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(..., separators=(",", ":"))`` without building an encoder per call."""


MAX_PURCHASE_ID = 255
"""The longest purchase id a Details button carries (and a click accepts)."""


def points_over_cap(earned: int | None, awarded: int | None, awaiting: int | None) -> int:
    """Points a cap took away: earned beyond awarded *plus* awaiting; 0 when unknown.

    The one rule for the card and the Details modal: points still awaiting fulfilment are
    not capped, and without both earned and awarded there is no claim of a cap.
    """
    if earned is None or awarded is None:
        return 0
    return max(0, earned - awarded - max(awaiting or 0, 0))


@dataclass(frozen=True)
class PurchaseRef:
    """What a Details button carries: the purchase, and the points the card saw awaiting."""

    purchase_id: str
    purchase_id_type: str
    awaiting: int | None = None

    def encode(self) -> str:
        data: dict[str, object] = {"id": self.purchase_id, "t": self.purchase_id_type}
        if self.awaiting is not None:
            data["w"] = self.awaiting
        return _COMPACT_JSON.encode(data)

    @classmethod
    def decode(cls, value: object) -> PurchaseRef | None:
        """Read a Details button's value back; None for anything :meth:`encode` did not write.

        The card draws a button only when this accepts its value, so every Details button
        drawn is one a click accepts.
        """
        if not isinstance(value, str) or not value or len(value) > BUTTON_VALUE_MAX:
            return None
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not set(data) <= {"id", "t", "w"}:
            return None
        purchase_id, id_type, awaiting = data.get("id"), data.get("t"), data.get("w")
        if not isinstance(purchase_id, str) or not 0 < len(purchase_id) <= MAX_PURCHASE_ID:
            return None
        if not purchase_id.strip() or any(
            ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in purchase_id
        ):
            return None
        if id_type not in {t.value for t in PurchaseIdType}:
            return None
        if awaiting is not None and (type(awaiting) is not int or not 0 <= awaiting < _HUGE):
            return None
        return cls(purchase_id, str(id_type), awaiting)


def _purchase_flags(purchase: Purchase) -> list[str]:
    flags = []
    over = points_over_cap(
        purchase.total_points_earned,
        purchase.total_points_awarded,
        purchase.points_awaiting_fulfillment,
    )
    if over:
        flags.append(f"{_WARNING} Capped: {_count(over, 'point')} over the cap")
    if purchase.awaiting:
        waiting = _count(purchase.points_awaiting_fulfillment or 0, "point")
        flags.append(f"{_AWAITING} {waiting} awaiting fulfilment")
    return flags


def _purchase_block(purchase: Purchase, index: int, *, allow_details: bool) -> dict[str, Any]:
    """One purchase: what and when, then its figures in a fixed order, then any flags."""
    figures = (
        ("Total", purchase.purchase_total),
        ("Earned", purchase.total_points_earned),
        ("Awarded", purchase.total_points_awarded),
        ("Awaiting", purchase.points_awaiting_fulfillment),
    )
    lines = [
        f"*{_purchase_kind(purchase.purchase_id_type)}* {_escaped_code(purchase.purchase_id)}"
        f"  ·  {_slack_date(purchase.last_date_purchased)}",
        "  ·  ".join(f"{label} *{_figure(value)}*" for label, value in figures),
    ]
    flags = _purchase_flags(purchase)
    if flags:
        lines.append("   ".join(flags))
    details = None
    awaiting = purchase.points_awaiting_fulfillment
    ref = PurchaseRef(purchase.purchase_id, purchase.purchase_id_type, awaiting)
    value = ref.encode()
    if allow_details and PurchaseRef.decode(value) == ref:
        details = _button(
            "Details",
            f"{DETAILS_ACTION_PREFIX}_{index}",
            value,
            accessibility_label=f"Details of {_accessible_name(ref)}",
        )
    return _section("\n".join(lines), details)


def _accessible_name(ref: PurchaseRef) -> str:
    """``Order NW-400026``: how a screen reader names one purchase (plain text, clipped)."""
    kind = _PURCHASE_TYPES.get(ref.purchase_id_type, "Purchase")
    return f"{kind} {clip(ref.purchase_id, ACCESSIBILITY_LABEL_MAX - 20)}"


def page_count(paging: Paging) -> int:
    """``paging.pages``, or what ``total`` implies when the API left it out."""
    return paging.pages or math.ceil(paging.total / PAGE_SIZE)


def _link_target(link: str | None, number: int | None, fallback: int) -> int | None:
    """The page a paging link leads to: its ``page`` number, else ``fallback``; None if no link."""
    if not link:
        return None
    page = fallback if number is None else number
    return page if 1 <= page <= MAX_PAGE else None


def _page_buttons(
    query: PurchaseQuery, paging: Paging, *, out_of_range: bool
) -> list[dict[str, Any]]:
    """Previous / Next where the API links to such pages; worded as the way back if lost."""
    last = page_count(paging)
    before = min(query.page - 1, last) if last else query.page - 1
    after = 1 if query.page < 1 else query.page + 1
    prev_page = _link_target(paging.prev_page, paging.prev_page_number, before)
    next_page = _link_target(paging.next_page, paging.next_page_number, after)
    buttons = []
    if prev_page is not None:
        label = f"Back to page {prev_page}" if out_of_range else "Previous"
        buttons.append(_page_button(label, PREV_PAGE_ACTION, query, prev_page))
    if next_page is not None:
        label = f"Go to page {next_page}" if out_of_range else "Next"
        buttons.append(_page_button(label, NEXT_PAGE_ACTION, query, next_page))
    return buttons


def _out_of_range_note(query: PurchaseQuery, paging: Paging) -> str:
    """Why a page of a non-empty history came back empty, in plain words."""
    last = page_count(paging)
    if query.page < 1:
        where = f"Page {_figure(query.page)} is before the first page."
    elif last and query.page > last:
        where = f"Page {_figure(query.page)} is past the last page ({_figure(last)})."
    else:
        where = f"Page {_figure(query.page)} has no purchases."
    return f"{where} This member has {_count(paging.total, 'purchase')}{_range_phrase(query)}."


def _card_head(query: PurchaseQuery) -> list[dict[str, Any]]:
    """Header naming the member as searched; a line saying how and over which dates."""
    how = _searched_as(query)
    return [
        _header(f"Purchases for {query.member}"),
        _context(f"{how[0].upper()}{how[1:]} · {query.range_label or 'all dates'}"),
    ]


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
"""A Slack user id as Slack writes it (the only sharer a card will name)."""


def _share_button(query: PurchaseQuery, target: ShareTarget) -> list[dict[str, Any]]:
    """The Share button for this page, or none when its value would not be read back."""
    ref = ShareRef(query, target)
    value = ref.encode()
    if ShareRef.decode(value) != ref:
        return []
    return [
        _button(
            "Share",
            SHARE_ACTION,
            value,
            accessibility_label="Share: post this card where everyone here can see it",
        )
    ]


def shared_by_user(blocks: object) -> str | None:
    """The sharer a shared copy names (its context block's id), for paging it in place."""
    for block in blocks if isinstance(blocks, list) else []:
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str) and block_id.startswith(SHARED_BY_BLOCK_PREFIX):
            user = block_id[len(SHARED_BY_BLOCK_PREFIX) :]
            if _USER_ID.fullmatch(user):
                return user
    return None


def purchase_card(
    query: PurchaseQuery,
    page: PurchasePage,
    *,
    allow_details: bool = True,
    allow_export: bool = True,
    share: ShareTarget | None = None,
    shared_by: str | None = None,
) -> Message:
    """One page of a member's purchase history as a card, with paging and export buttons.

    ``share`` (a private card) adds a Share button; ``shared_by`` (a shared copy) names who
    shared it in a context line and in the fallback text.
    """
    paging = page.paging
    who = f"{escape(clip(query.member, _MEMBER_SHOWN))}{_range_phrase(query)}"
    blocks = _card_head(query)
    sharer = shared_by if shared_by and _USER_ID.fullmatch(shared_by) else None
    if sharer:
        blocks.append(
            {
                "type": "context",
                "block_id": f"{SHARED_BY_BLOCK_PREFIX}{sharer}",
                "elements": [_mrkdwn(f":busts_in_silhouette: Shared by <@{sharer}>")],
            }
        )
    if page.purchases:
        total = _count(max(paging.total, len(page.purchases)), "purchase")
        position = f"Page {_figure(query.page)} of {_figure(max(page_count(paging), 1))}"
        blocks.append(_section(f"*{total}*  ·  {position}"))
        blocks.append(_divider())
        blocks.extend(
            _purchase_block(purchase, i, allow_details=allow_details)
            for i, purchase in enumerate(page.purchases[:PAGE_SIZE])
        )
        buttons = _page_buttons(query, paging, out_of_range=False)
        if allow_export:
            buttons.append(_page_button("Export CSV", EXPORT_ACTION, query, 1))
        if buttons:
            blocks.append(_divider())
        text = f"Purchases for {who} ({_searched_as(query)}): {total}, {position.lower()}"
    elif paging.total > 0:
        note = _out_of_range_note(query, paging)
        blocks.append(_section(note))
        buttons = _page_buttons(query, paging, out_of_range=True)
        text = f"Purchases for {who}: {note}"
    else:
        none = f"No purchases{_range_phrase(query)}."
        blocks.append(_section(none))
        buttons = []
        text = f"No purchases for {who} ({_searched_as(query)})."
    if share is not None:
        buttons = [*buttons, *_share_button(query, share)]
    if sharer:
        text = f"<@{sharer}> shared: {text}"
    return _message(text, blocks + _actions(buttons))


# --------------------------------------------------------------------------------------------
# Sharing a card
# --------------------------------------------------------------------------------------------

_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def shared_note(permalink: str | None) -> Message:
    """What replaces the private card once it is shared: a link to the shared copy."""
    safe = permalink if permalink and permalink.startswith("https://") else None
    if safe and not any(c in safe for c in "<>| "):
        return _notice(f":white_check_mark: Shared <{safe}|this card> with the conversation.")
    return _notice(":white_check_mark: Shared this card with the conversation.")


def share_refused_message(error: str | None) -> Message:
    """Slack would not post the shared copy: what the agent can do (the card stays)."""
    if error in _CANNOT_POST:
        text = (
            f"{_WARNING} I can't post in this conversation yet, so the card was not shared.\n"
            "Invite me first with `/invite @purchases`, then press Share again."
        )
    else:
        code = escape(clip(error or "unknown", 60))
        text = f"{_WARNING} Slack would not post the shared card (`{code}`). Please try again."
    return {**_notice(text), "response_type": "ephemeral", "replace_original": False}


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


def _error_text(error: CrowdTwistError, not_found: str, not_found_advice: str) -> str:
    """What happened (bold) and what to do, for any kind of CrowdTwist failure."""
    if error.kind is ErrorKind.NOT_FOUND:
        headline, advice = not_found, not_found_advice
    else:
        headline, advice = _ADVICE[error.kind]
        headline = headline or escape(clip(str(error), 500))
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
# App Home
# --------------------------------------------------------------------------------------------

HOME_LOOKUPS_SHOWN = 10
"""The most recent lookups the Home view lists (each is a section with a button)."""


def _when(at: float) -> str:
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
                f"{query.range_label or 'all dates'}\n{_when(at)}"
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


# --------------------------------------------------------------------------------------------
# Modals
# --------------------------------------------------------------------------------------------

_INFER_LABEL = "Infer from what I type"


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(clip(label, OPTION_TEXT_MAX)), "value": value}


def _id_type_option(id_type: IdType | None) -> dict[str, Any]:
    if id_type is None:
        return _option(_INFER_LABEL, FORM_ID_TYPE_INFER)
    return _option(id_type.label[0].upper() + id_type.label[1:], id_type.value)


def _date_input(block_id: str, action_id: str, label: str, initial: date | None) -> dict[str, Any]:
    picker: dict[str, Any] = {
        "type": "datepicker",
        "action_id": action_id,
        "placeholder": _plain("Any date"),
    }
    if initial is not None:
        picker["initial_date"] = initial.isoformat()
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain(label),
        "element": picker,
    }


def lookup_modal(
    *,
    private_metadata: str,
    member: str = "",
    id_type: IdType | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """The lookup form: member, how to read it, and an optional date range."""
    member_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": FORM_MEMBER_ACTION,
        "max_length": MAX_MEMBER_LENGTH,
        "placeholder": _plain("Email, phone number, CrowdTwist id or third-party id"),
    }
    if member:
        member_input["initial_value"] = member[:MAX_MEMBER_LENGTH]
    select = {
        "type": "static_select",
        "action_id": FORM_ID_TYPE_ACTION,
        "options": [_id_type_option(None)] + [_id_type_option(t) for t in IdType],
        "initial_option": _id_type_option(id_type),
    }
    blocks = [
        {
            "type": "input",
            "block_id": FORM_MEMBER_BLOCK,
            "label": _plain("Member"),
            "element": member_input,
        },
        {
            "type": "input",
            "block_id": FORM_ID_TYPE_BLOCK,
            "label": _plain("Search as"),
            "element": select,
        },
        _date_input(FORM_START_BLOCK, FORM_START_ACTION, "From", start),
        _date_input(FORM_END_BLOCK, FORM_END_ACTION, "To", end),
        _context("Dates are inclusive. Leave them empty for the whole history."),
    ]
    return _modal(
        "Purchase history",
        blocks,
        callback_id=LOOKUP_VIEW_CALLBACK_ID,
        submit=_plain("Look up"),
        close=_plain("Cancel"),
        private_metadata=private_metadata,
    )


def _detail_modal(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return _modal(
        "Purchase details", blocks, callback_id=DETAIL_VIEW_CALLBACK_ID, close=_plain("Close")
    )


def _purchase_name(purchase_id: str, purchase_id_type: str) -> str:
    return f"{_purchase_kind(purchase_id_type)} {_escaped_code(purchase_id)}"


def detail_loading_modal(purchase_id: str, purchase_id_type: str) -> dict[str, Any]:
    """Opened at once on Details; replaced when CrowdTwist answers."""
    name = _purchase_name(purchase_id, purchase_id_type)
    return _detail_modal([_section(f"Loading {name}…")])


def _field_value(value: str | None, limit: int = _NAME_SHOWN) -> str:
    """Outside text for a field: escaped and clipped, ``—`` when missing."""
    return escape(clip(value, limit)) if value else _UNKNOWN


def _coupon_line(coupon: Coupon) -> str:
    parts = [_escaped_code(coupon.code, _NAME_SHOWN)] if coupon.code else []
    parts += [escape(clip(t, _NAME_SHOWN)) for t in (coupon.name, coupon.description) if t]
    if coupon.discount is not None:
        parts.append(f"discount {_figure(coupon.discount)}")
    return "• " + (" · ".join(parts) or "a coupon with no details")


def _item_line(item: Item) -> str:
    parts = [_escaped_code(item.sku, _LABEL_SHOWN)] if item.sku else []
    if item.name:
        parts.append(escape(clip(item.name, _NAME_SHOWN)))
    parts.append(f"qty {_figure(item.quantity)}")
    parts.append(f"price {_figure(item.price)}")
    parts.append(f"{_figure(item.points_awarded)} pts")
    if item.is_excluded:
        parts.append(":no_entry_sign: excluded from points")
    return "• " + " · ".join(parts)


def _custom_line(key: str, value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    return f"• {escape(clip(key, _LABEL_SHOWN))}: {escape(clip(shown, _VALUE_SHOWN))}"


def _titled(title: str, lines: list[str]) -> list[dict[str, Any]]:
    """A divider, then a bold title over the lines, packed into sections."""
    return [_divider(), *_packed_sections([f"*{title}*", *lines])]


def detail_modal(
    purchase_id: str,
    purchase_id_type: str,
    detail: PurchaseDetail,
    *,
    awaiting: int | None = None,
) -> dict[str, Any]:
    """One purchase in full: receipt, money, points (flagging a cap), coupons, items, extras.

    ``awaiting`` is the card's points awaiting fulfilment (the detail answer has no such
    figure), so the modal flags a cap exactly when the card does.
    """
    total = _figure(detail.purchase_total)
    if detail.currency and detail.purchase_total is not None:
        total += " " + escape(clip(detail.currency, 10))
    blocks = [
        _section(f"*{_purchase_name(purchase_id, purchase_id_type)}*"),
        _fields(
            [
                ("Receipt", _field_value(detail.third_party_receipt_id, _ID_SHOWN)),
                ("Date", _slack_date(detail.date_purchased)),
                ("Channel", _field_value(detail.channel)),
                ("Total", total),
            ]
        ),
        _fields(
            [
                ("Base points", _figure(detail.base_points)),
                ("Bonus points", _figure(detail.bonus_points)),
                ("Earned", _figure(detail.points_earned)),
                ("Awarded", _figure(detail.points_awarded)),
            ]
        ),
    ]
    over = points_over_cap(detail.points_earned, detail.points_awarded, awaiting)
    if over:
        blocks.append(
            _context(
                f"{_WARNING} Capped: {_count(over, 'point')} earned over the cap, not awarded."
            )
        )
    if awaiting:
        blocks.append(_context(f"{_AWAITING} {_count(awaiting, 'point')} awaiting fulfilment."))
    if detail.coupons:
        lines = [_coupon_line(c) for c in detail.coupons]
        lines = _limited_lines(lines, most=_COUPONS_SHOWN, chars=_COUPONS_CHARS, noun="coupons")
        blocks += _titled(f"Coupons ({_figure(len(detail.coupons))})", lines)
    items = [_item_line(i) for i in detail.items]
    items = _limited_lines(items, most=_ITEMS_SHOWN, chars=_ITEMS_CHARS, noun="items")
    blocks += _titled(f"Items ({_figure(len(detail.items))})", items or ["No items listed."])
    if detail.custom_data:
        lines = [_custom_line(k, v) for k, v in detail.custom_data.items()]
        lines = _limited_lines(lines, most=_CUSTOM_SHOWN, chars=_CUSTOM_CHARS, noun="entries")
        blocks += _titled("Custom data", lines)
    return _detail_modal(blocks)


def detail_error_modal(
    purchase_id: str, purchase_id_type: str, error: CrowdTwistError
) -> dict[str, Any]:
    """Details could not be loaded: what happened and what to do."""
    name = _purchase_name(purchase_id, purchase_id_type)
    text = _error_text(
        error,
        f"CrowdTwist has no details for {name}.",
        "It may be too recent or have been removed. Check the purchase id.",
    )
    return _detail_modal([_section(text)])


def detail_not_shown_modal(purchase_id: str, purchase_id_type: str) -> dict[str, Any]:
    """Slack refused the filled modal: replaces "Loading…" so it never stays forever."""
    name = _purchase_name(purchase_id, purchase_id_type)
    return _detail_modal(
        [
            _section(
                f"{_WARNING} *The details of {name} could not be shown.*\n"
                "Close this and click *Details* again; if it keeps happening, tell a Slack "
                "admin (the bot's log has the details)."
            )
        ]
    )
