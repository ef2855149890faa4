"""The lookup form: a modal asking for the member, how to read it, an optional date range,
and optionally a purchase id to find or which purchases to show."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blockkit import OPTION_TEXT_MAX
from bot.cards.parts import _context, _modal, _plain
from bot.crowdtwist.models import IdType
from bot.query import MAX_MEMBER_LENGTH
from bot.query.model import MAX_FIND_LENGTH, Only
from bot.slack_ids import (
    FORM_END_ACTION,
    FORM_END_BLOCK,
    FORM_FIND_ACTION,
    FORM_FIND_BLOCK,
    FORM_ID_TYPE_ACTION,
    FORM_ID_TYPE_BLOCK,
    FORM_ID_TYPE_INFER,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_ONLY_ACTION,
    FORM_ONLY_ALL,
    FORM_ONLY_BLOCK,
    FORM_START_ACTION,
    FORM_START_BLOCK,
    LOOKUP_VIEW_CALLBACK_ID,
)
from bot.text import clip

_INFER_LABEL = "Infer from what I type"
_ONLY_LABELS = {
    None: "Every purchase",
    Only.AWAITING: "Points awaiting",
    Only.CAPPED: "Capped (earned more than awarded + awaiting)",
    Only.SHORT: "Short of points (awaiting or capped)",
}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(clip(label, OPTION_TEXT_MAX)), "value": value}


def _id_type_option(id_type: IdType | None) -> dict[str, Any]:
    if id_type is None:
        return _option(_INFER_LABEL, FORM_ID_TYPE_INFER)
    return _option(id_type.label[0].upper() + id_type.label[1:], id_type.value)


def _only_option(only: Only | None) -> dict[str, Any]:
    return _option(_ONLY_LABELS[only], only.value if only else FORM_ONLY_ALL)


def _search_inputs(find: str, only: Only | None) -> list[dict[str, Any]]:
    """The optional purchase id to find, and the "Show only" choice."""
    find_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": FORM_FIND_ACTION,
        "max_length": MAX_FIND_LENGTH,
        "placeholder": _plain("e.g. NW-400026: the page holding it, marked"),
    }
    if find:
        find_input["initial_value"] = find[:MAX_FIND_LENGTH]
    choices = [_only_option(None)] + [_only_option(o) for o in Only]
    return [
        {
            "type": "input",
            "block_id": FORM_FIND_BLOCK,
            "optional": True,
            "label": _plain("Purchase id"),
            "element": find_input,
        },
        {
            "type": "input",
            "block_id": FORM_ONLY_BLOCK,
            "optional": True,
            "label": _plain("Show only"),
            "element": {
                "type": "static_select",
                "action_id": FORM_ONLY_ACTION,
                "options": choices,
                "initial_option": _only_option(only),
            },
        },
    ]


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
    find: str = "",
    only: Only | None = None,
) -> dict[str, Any]:
    """The lookup form: member, how to read it, an optional date range, and optionally a
    purchase id to find or a "Show only" filter."""
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
        *_search_inputs(find, only),
        _context("Give a purchase id or a “Show only” choice, not both."),
    ]
    return _modal(
        "Purchase history",
        blocks,
        callback_id=LOOKUP_VIEW_CALLBACK_ID,
        submit=_plain("Look up"),
        close=_plain("Cancel"),
        private_metadata=private_metadata,
    )
