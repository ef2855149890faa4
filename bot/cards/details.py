"""The Details modal of one purchase: loading at once, then filled, failed or not shown."""

from __future__ import annotations

import json
from typing import Any

from bot.blockkit import Message, escape
from bot.cards.messages import _error_text
from bot.cards.parts import (
    _AWAITING,
    _ID_SHOWN,
    _LABEL_SHOWN,
    _NAME_SHOWN,
    _UNKNOWN,
    _VALUE_SHOWN,
    _WARNING,
    _button,
    _context,
    _count,
    _divider,
    _escaped_code,
    _fields,
    _figure,
    _limited_lines,
    _modal,
    _not_opened_note,
    _packed_sections,
    _plain,
    _purchase_kind,
    _section,
    _slack_date,
)
from bot.cards.purchases import PurchaseRef, _accessible_name, points_over_cap
from bot.crowdtwist.errors import CrowdTwistError
from bot.crowdtwist.models import Coupon, Item, PurchaseDetail
from bot.slack_ids import DETAIL_VIEW_CALLBACK_ID, DETAILS_ACTION_PREFIX
from bot.text import clip

# The detail modal's budget, in characters of mrkdwn, so 200 items still fit in a view.
_ITEMS_SHOWN = 50
_ITEMS_CHARS = 5500
_COUPONS_SHOWN = 20
_COUPONS_CHARS = 1500
_CUSTOM_SHOWN = 20
_CUSTOM_CHARS = 1500


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


def details_not_opened_message(ref: PurchaseRef, error: str | None) -> Message:
    """Slack would not open (or fill) the Details modal: say so privately, offer it again.

    ``error`` is Slack's error code (``expired_trigger_id``, ``ratelimited``, ``not_found``
    for a modal already closed…); any other code is shown as inert text.
    """
    name = _purchase_name(ref.purchase_id, ref.purchase_id_type)
    again = _button(
        "Details",
        DETAILS_ACTION_PREFIX,
        ref.encode(),
        accessibility_label=f"Details of {_accessible_name(ref)}",
    )
    return _not_opened_note(
        error,
        subject=f"the details of {name}",
        closed=f"The details window of {name} was closed before they arrived.",
        again=again,
        plural=True,
    )
