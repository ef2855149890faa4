"""The lookup form: a modal asking for the member, how to read it, and an optional date range."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blockkit import OPTION_TEXT_MAX
from bot.cards.parts import _context, _modal, _plain
from bot.crowdtwist.models import IdType
from bot.query import MAX_MEMBER_LENGTH
from bot.slack_ids import (
    FORM_END_ACTION,
    FORM_END_BLOCK,
    FORM_ID_TYPE_ACTION,
    FORM_ID_TYPE_BLOCK,
    FORM_ID_TYPE_INFER,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_START_ACTION,
    FORM_START_BLOCK,
    LOOKUP_VIEW_CALLBACK_ID,
)
from bot.text import clip

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
