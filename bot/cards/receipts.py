"""The receipts message (a member's receipt scans, newest first, paged in place) and the
receipt modal (the image and the details), plus what a View button carries.

Each scan result is a phrase of ours with the program's own ``scan_result_text`` beside it
as plain text (inert: the program can change it, so it is never read as mrkdwn), and a mark
by kind; a summary line counts the kinds, "need you" first.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.blockkit import BUTTON_VALUE_MAX, Message, escape
from bot.cards.messages import _member_error_text
from bot.cards.parts import (
    _ID_SHOWN,
    _MEMBER_SHOWN,
    _NAME_SHOWN,
    _UNKNOWN,
    _WARNING,
    _actions,
    _button,
    _context,
    _count,
    _divider,
    _escaped_code,
    _fields,
    _figure,
    _header,
    _lookup_line,
    _message,
    _modal,
    _not_opened_note,
    _notice,
    _page_button,
    _plain,
    _range_phrase,
    _searched_as,
    _section,
    _slack_date,
)
from bot.compact_json import dumps
from bot.crowdtwist.errors import CrowdTwistError
from bot.crowdtwist.receipts import Receipt, ReceiptHistory, ScanKind
from bot.query import MAX_PAGE, PurchaseQuery, decode_query, encode_query
from bot.slack_ids import (
    RECEIPT_VIEW_ACTION_PREFIX,
    RECEIPT_VIEW_CALLBACK_ID,
    RECEIPTS_NEXT_PAGE_ACTION,
    RECEIPTS_PREV_PAGE_ACTION,
)
from bot.text import clip, code_span

RECEIPTS_SHOWN = 25
"""Receipts per message: one section each, so 25 stay well inside Slack's 50 blocks."""
IMAGE_URL_MAX = 3000
"""Slack's limit on an image block's ``image_url``."""
# A receipt's share of the message, so 25 of them stay within Slack's 12,000 characters of
# text a message: the program's words, and each piece of outside text in a code span
# (escaping included).
_PROGRAM_TEXT_SHOWN = 140
_PROGRAM_TEXT_IN_MODAL = 1500
_CODE_SHOWN = 60
_RESULT_SHOWN = 60
_KEY_SHOWN = 100
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

SCAN_RESULT_PHRASES: dict[str, str] = {
    "NOT_SCANNED": "not scanned yet",
    "RECEIPT_UNREADABLE": "could not be read",
    "INVALID_PURCHASE_DATE": "purchase date not accepted",
    "NO_PRODUCTS": "no qualifying products",
    "DUPLICATE_SUBMISSION": "already submitted before",
    "INVALID_STORE": "store not eligible",
    "DEFER_TO_CUSTOMER_SERVICE": "waiting for customer service",
    "POTENTIAL_FRAUD_DETECTED": "flagged as possible fraud",
    "PURCHASED_OUT_OF_STATE": "bought outside an eligible state",
    "NO_STATE_INFO_ON_RECEIPT": "no state on the receipt",
    "NO_STATE_INFO_IN_USER_PROFILE": "no state in the member's profile",
    "NO_MATCHING_PRODUCTS_FOUND": "no matching products found",
    "AWARDED": "points awarded",
}
"""Our plain phrase for every documented ``scan_result`` code."""

KIND_MARKS: dict[ScanKind, str] = {
    ScanKind.NEEDS_AGENT: ":raising_hand:",
    ScanKind.NOT_SCANNED: ":hourglass_flowing_sand:",
    ScanKind.REJECTED: ":x:",
    ScanKind.AWARDED: ":white_check_mark:",
    ScanKind.UNKNOWN: ":grey_question:",
}
_KIND_WORDS: dict[ScanKind, tuple[str, str]] = {
    ScanKind.NEEDS_AGENT: ("needs you", "need you"),
    ScanKind.NOT_SCANNED: ("not scanned yet", "not scanned yet"),
    ScanKind.REJECTED: ("rejected", "rejected"),
    ScanKind.AWARDED: ("awarded", "awarded"),
    ScanKind.UNKNOWN: ("other result", "other results"),
}


def scan_phrase(receipt: Receipt) -> str:
    """The result in mrkdwn: our phrase for a documented code; an unknown code as sent."""
    code = (receipt.scan_result or "").strip()
    if not code:
        return SCAN_RESULT_PHRASES["NOT_SCANNED"]
    phrase = SCAN_RESULT_PHRASES.get(code.upper())
    if phrase is not None:
        return phrase
    return f"result {_bounded_code(code, _CODE_SHOWN)}"


def _bounded_code(text: str, limit: int) -> str:
    """Outside text as a code span of at most ``limit`` characters, escaping included
    (``&`` grows fivefold, so the text is cut until its escaped span fits)."""
    keep = limit
    span = code_span(escape(clip(text, keep)))
    while len(span) > limit and keep > 1:
        keep = max(1, keep * 2 // 3)
        span = code_span(escape(clip(text, keep)))
    return span


def _headline(receipt: Receipt) -> str:
    """The phrase as a receipt's headline: ``*Already submitted before*``."""
    phrase = scan_phrase(receipt)
    return f"*{phrase[0].upper()}{phrase[1:]}*"


def kind_summary(history: ReceiptHistory) -> str:
    """``*:raising_hand: 2 need you*  ·  :x: 4 rejected …``: the kinds counted, need-you first."""
    counts = history.counts()
    parts = []
    needing = counts.get(ScanKind.NEEDS_AGENT, 0)
    if not needing:
        parts.append("Nothing needs you")
    for kind, n in counts.items():
        one, many = _KIND_WORDS[kind]
        part = f"{KIND_MARKS[kind]} {_figure(n)} {one if n == 1 else many}"
        parts.append(f"*{part}*" if kind is ScanKind.NEEDS_AGENT else part)
    return "  ·  ".join(parts)


def _plain_count(history: ReceiptHistory) -> str:
    """The summary for notifications: ``2 need you``, ``nothing needs you``."""
    needing = history.counts().get(ScanKind.NEEDS_AGENT, 0)
    return (
        f"{_figure(needing)} need{'s' if needing == 1 else ''} you"
        if needing
        else ("nothing needs you")
    )


@dataclass(frozen=True)
class ReceiptRef:
    """What a View button carries: the lookup (to find the receipts again) and the receipt."""

    query: PurchaseQuery
    key: str

    def encode(self) -> str:
        return dumps({"q": encode_query(self.query), "r": self.key})

    @classmethod
    def decode(cls, value: object) -> ReceiptRef | None:
        """Read a View button's value back; None for anything :meth:`encode` did not write."""
        if not isinstance(value, str) or not value or len(value) > BUTTON_VALUE_MAX:
            return None
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or set(data) != {"q", "r"}:
            return None
        query, key = decode_query(data["q"]), data["r"]
        if query is None or not isinstance(key, str) or not _key_valid(key):
            return None
        return cls(query, key)


def _key_valid(key: str) -> bool:
    return 0 < len(key) <= _KEY_SHOWN and key.isprintable() and bool(key.strip())


def _view_button(query: PurchaseQuery, receipt: Receipt, index: int) -> dict[str, Any] | None:
    key = receipt.key
    if key is None or not _key_valid(key):
        return None
    value = ReceiptRef(query, key).encode()
    if len(value) > BUTTON_VALUE_MAX:
        return None
    label = f"View the receipt submitted {_utc_words(receipt.date_submitted)}"
    return _button(
        "View", f"{RECEIPT_VIEW_ACTION_PREFIX}_{index}", value, accessibility_label=label
    )


def _utc_words(moment: datetime | None) -> str:
    """``2026-10-31 18:42 UTC`` (plain text, for alt text and labels)."""
    if moment is None:
        return "on an unknown date"
    try:
        return f"{moment.astimezone(UTC).isoformat(' ', 'minutes')[:16]} UTC"
    except OverflowError:
        return moment.isoformat()


def _program_text(receipt: Receipt, limit: int = _PROGRAM_TEXT_SHOWN) -> str | None:
    """The program's own words for the result, quoted, as plain text (never mrkdwn)."""
    text = " ".join((receipt.scan_result_text or "").split())
    return f"“{clip(text, limit)}”" if text else None


def _receipt_block(query: PurchaseQuery, receipt: Receipt, index: int) -> dict[str, Any]:
    """One receipt: mark, our phrase and when; the program's words as plain text; View."""
    text = (
        f"{KIND_MARKS[receipt.kind]} {_headline(receipt)}  ·  {_slack_date(receipt.date_submitted)}"
    )
    if receipt.file_name:
        text += f"\n{_bounded_code(receipt.file_name, _CODE_SHOWN)}"
    block = _section(text, _view_button(query, receipt, index))
    words = _program_text(receipt)
    if words:
        block["fields"] = [_plain(words)]
    return block


def receipts_page_count(history: ReceiptHistory) -> int:
    return max(1, math.ceil(len(history.receipts) / RECEIPTS_SHOWN))


def _receipts_buttons(query: PurchaseQuery, last: int) -> list[dict[str, Any]]:
    buttons = []
    if 1 < query.page <= MAX_PAGE:
        back = min(query.page - 1, last)
        label = "Previous" if query.page <= last else f"Back to page {_figure(back)}"
        buttons.append(_page_button(label, RECEIPTS_PREV_PAGE_ACTION, query, back))
    if query.page < last:
        buttons.append(_page_button("Next", RECEIPTS_NEXT_PAGE_ACTION, query, query.page + 1))
    return buttons


def receipts_message(query: PurchaseQuery, history: ReceiptHistory) -> Message:
    """One page of a member's receipts: the kinds counted, then each receipt, newest first."""
    who = f"{escape(clip(query.member, _MEMBER_SHOWN))}{_range_phrase(query)}"
    how = _searched_as(query)
    blocks = [_header(f"Receipts for {query.member}")]
    found = len(history.receipts)
    last = receipts_page_count(history)
    if not found:
        none = f"No receipts submitted{_range_phrase(query)}."
        blocks += [_context(f"{how[0].upper()}{how[1:]}"), _section(none)]
        return _message(f"No receipts for {who} ({how}).", blocks)
    shown = history.receipts[(query.page - 1) * RECEIPTS_SHOWN : query.page * RECEIPTS_SHOWN]
    position = f"Page {_figure(query.page)} of {_figure(last)}"
    blocks.append(_section(kind_summary(history)))
    blocks.append(
        _context(
            f"{how[0].upper()}{how[1:]} · {query.range_label or 'all dates'} · "
            f"{_count(found, 'receipt')}, newest first · {position}"
        )
    )
    if history.capped:
        blocks.append(
            _context(
                f"{_WARNING} {_figure(history.total)} receipts in all: only the pages "
                "read first are shown here (CrowdTwist documents no order)."
            )
        )
    blocks.append(_divider())
    if shown:
        first = (query.page - 1) * RECEIPTS_SHOWN
        blocks += [_receipt_block(query, r, first + i) for i, r in enumerate(shown)]
    else:
        blocks.append(
            _section(f"Page {_figure(query.page)} is past the last page ({_figure(last)}).")
        )
    buttons = _receipts_buttons(query, last)
    if buttons:
        blocks.append(_divider())
    text = f"{_plain_count(history)}: receipts for {who} ({how}), {_count(found, 'receipt')}"
    return _message(f"{text[0].upper()}{text[1:]}", blocks + _actions(buttons))


def receipts_failed_message(error: CrowdTwistError, query: PurchaseQuery) -> Message:
    """The receipts could not be gathered: what happened, and a retry when it may help."""
    retry = _page_button("Try again", RECEIPTS_NEXT_PAGE_ACTION, query, query.page)
    return _notice(
        _member_error_text(error, query),
        context=f"Receipts: {_lookup_line(query)}",
        buttons=[retry] if error.kind.retryable else (),
    )


def receipts_unavailable_message() -> Message:
    """The bot has no main API host, where receipts live: an operator's matter."""
    return _notice(
        f"{_WARNING} Receipts are not available: the bot does not know the loyalty program's "
        "main API host. Please ask a Slack admin to set `CROWDTWIST_MAIN_URL` (and to leave "
        "`MEMBER_SUMMARY_ENABLED` on: the main host goes with it)."
    )


def scanning_inactive_message(query: PurchaseQuery) -> Message:
    """The program has no receipt scanning: said once, plainly, without an error's look."""
    text = (
        "Receipt scanning is not turned on for this loyalty program, so there are no "
        "receipt submissions to show. The *Receipts* button is hidden for a while."
    )
    return _message(text, [_section(text)])


# --- the receipt modal ----------------------------------------------------------------------


def image_refusal(url: str | None) -> str | None:
    """Why Slack cannot show ``url`` as an image, or None when it may.

    Slack fetches images itself over https. Plain http is accepted only from a loopback
    host: the built-in sandbox, which only the local playground (never Slack) loads from.
    """
    if not url:
        return "CrowdTwist sent no link to the image"
    if len(url) > IMAGE_URL_MAX:
        return "its address is longer than Slack accepts"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "its address is not one Slack can open"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in _LOOPBACK_HOSTS:
        return None
    return "its address is not https"


def receipt_loading_modal() -> dict[str, Any]:
    """Opened at once on View; replaced when the receipt is found again."""
    return _modal(
        "Receipt",
        [_section("Loading the receipt…")],
        callback_id=RECEIPT_VIEW_CALLBACK_ID,
        close=_plain("Close"),
    )


def receipt_modal(
    query: PurchaseQuery, receipt: Receipt, *, image_refused: bool = False
) -> dict[str, Any]:
    """One receipt: the result, the program's words, the details, and the image.

    Where Slack cannot show the image (``image_refusal``, or Slack refused the view with
    it: ``image_refused``), the details stay and a line says why the image is missing.
    """
    code = (receipt.scan_result or "").strip()
    blocks: list[dict[str, Any]] = [
        _section(
            f"{KIND_MARKS[receipt.kind]} {_headline(receipt)}\n"
            f"Submitted {_slack_date(receipt.date_submitted)} by "
            f"{_escaped_code(query.member, _MEMBER_SHOWN)}"
        )
    ]
    words = _program_text(receipt, _PROGRAM_TEXT_IN_MODAL)
    if words:
        blocks.append({"type": "section", "text": _plain(words)})
    blocks.append(
        _fields(
            [
                ("Result code", _escaped_code(code, _RESULT_SHOWN) if code else _UNKNOWN),
                ("File", _escaped_code(receipt.file_name) if receipt.file_name else _UNKNOWN),
                ("Receipt id", _escaped_code(receipt.id, _ID_SHOWN) if receipt.id else _UNKNOWN),
                ("Submitted (UTC)", escape(_utc_words(receipt.date_submitted))),
            ]
        )
    )
    why = "Slack could not load it" if image_refused else image_refusal(receipt.file_url)
    if why is None and receipt.file_url:
        name = clip(receipt.file_name or "receipt image", _NAME_SHOWN)
        blocks.append(
            {
                "type": "image",
                "image_url": receipt.file_url,
                "alt_text": f"Receipt {name}, submitted {_utc_words(receipt.date_submitted)}",
                "title": _plain(name),
            }
        )
    else:
        blocks.append(_context(f":frame_with_picture: The image is not shown here: {why}."))
    return _modal("Receipt", blocks, callback_id=RECEIPT_VIEW_CALLBACK_ID, close=_plain("Close"))


def receipt_missing_modal(
    query: PurchaseQuery, error: CrowdTwistError | None = None
) -> dict[str, Any]:
    """The receipt could not be found again: CrowdTwist's failure (``error``, worded as for
    any lookup), or it is no longer among the member's receipts."""
    text = (
        _member_error_text(error, query)
        if error is not None
        else f"That receipt of {_escaped_code(query.member, _MEMBER_SHOWN)} is no longer among "
        "the member's receipts. Run `/purchases … receipts` for a fresh list."
    )
    return _modal(
        "Receipt", [_section(text)], callback_id=RECEIPT_VIEW_CALLBACK_ID, close=_plain("Close")
    )


def receipt_not_shown_modal() -> dict[str, Any]:
    """Slack refused the filled modal even without its image: never left on "Loading…"."""
    text = (
        f"{_WARNING} *The receipt could not be shown.*\nClose this and click *View* again; if "
        "it keeps happening, tell a Slack admin (the bot's log has the details)."
    )
    return _modal(
        "Receipt", [_section(text)], callback_id=RECEIPT_VIEW_CALLBACK_ID, close=_plain("Close")
    )


def receipt_not_opened_message(ref: ReceiptRef, error: str | None) -> Message:
    """Slack would not open (or fill) a receipt's View modal: say so privately, offer it
    again (``error`` is Slack's error code, as for :func:`details_not_opened_message`)."""
    member = _escaped_code(ref.query.member, _MEMBER_SHOWN)
    again = _button(
        "View",
        f"{RECEIPT_VIEW_ACTION_PREFIX}_0",
        ref.encode(),
        accessibility_label=f"View the receipt of {clip(ref.query.member, _MEMBER_SHOWN)} again",
    )
    return _not_opened_note(
        error,
        subject=f"the receipt of {member}",
        closed=f"The receipt window of {member} was closed before it arrived.",
        again=again,
        plural=False,
    )
