"""The lookup form's submission: field errors on the form, or the card where it was opened."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.lookup import answer_lookup
from bot.listeners.context import FormOrigin, actor_of
from bot.listeners.forms import to_origin
from bot.query import query_from_form
from bot.services import Services
from bot.share import share_target
from bot.slack_ids import (
    FORM_END_ACTION,
    FORM_END_BLOCK,
    FORM_FIND_ACTION,
    FORM_FIND_BLOCK,
    FORM_ID_TYPE_ACTION,
    FORM_ID_TYPE_BLOCK,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_ONLY_ACTION,
    FORM_ONLY_BLOCK,
    FORM_START_ACTION,
    FORM_START_BLOCK,
    LOOKUP_VIEW_CALLBACK_ID,
)

FIELD_BLOCKS = {
    "member": FORM_MEMBER_BLOCK,
    "id_type": FORM_ID_TYPE_BLOCK,
    "start": FORM_START_BLOCK,
    "end": FORM_END_BLOCK,
    "find": FORM_FIND_BLOCK,
    "only": FORM_ONLY_BLOCK,
}


def _state_value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    actions = values.get(block)
    item = actions.get(action) if isinstance(actions, dict) else None
    return item if isinstance(item, dict) else {}


def _date_of(raw: Any) -> date | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _text_of(raw: Any) -> str:
    """A text field's value; anything but a string (a tampered payload) reads as empty."""
    return raw if isinstance(raw, str) else ""


def read_form(
    view: dict[str, Any],
) -> tuple[str, str | None, date | None, date | None, str, str | None]:
    """(member, id type or None, start, end, purchase id, "Show only" choice or None) from
    the submitted view's state.

    Values come from Slack's clients and are untrusted: a member or purchase id that is not
    a string is empty (the form says so), a choice that is not a string is an unknown one.
    """
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}
    member = _text_of(_state_value(values, FORM_MEMBER_BLOCK, FORM_MEMBER_ACTION).get("value"))
    id_type = _choice(values, FORM_ID_TYPE_BLOCK, FORM_ID_TYPE_ACTION)
    start = _date_of(_state_value(values, FORM_START_BLOCK, FORM_START_ACTION).get("selected_date"))
    end = _date_of(_state_value(values, FORM_END_BLOCK, FORM_END_ACTION).get("selected_date"))
    find = _text_of(_state_value(values, FORM_FIND_BLOCK, FORM_FIND_ACTION).get("value"))
    return member, id_type, start, end, find, _choice(values, FORM_ONLY_BLOCK, FORM_ONLY_ACTION)


def _choice(values: dict[str, Any], block: str, action: str) -> str | None:
    """A select's chosen value; one that is not a string reads as an unknown choice."""
    option = _state_value(values, block, action).get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else None
    return raw if raw is None or isinstance(raw, str) else repr(raw)[:40]


def register(app: AsyncApp, services: Services) -> None:
    """Attach the form submission listener."""

    @app.view(LOOKUP_VIEW_CALLBACK_ID)
    @services.inflight.tracked
    async def lookup_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        origin = FormOrigin.decode(view.get("private_metadata"))
        result = query_from_form(*read_form(view))
        if isinstance(result, dict):
            errors = {
                FIELD_BLOCKS.get(name, FORM_MEMBER_BLOCK): text for name, text in result.items()
            }
            await ack(response_action="errors", errors=errors)
            actor = actor_of(body, channel_id=origin.channel_id)
            # Audited as the command's bad input is (and so counted: outcome "invalid").
            await services.audit.record(services.audit.event("form", "usage_error", actor))
            return
        await ack()
        actor = actor_of(body, channel_id=origin.channel_id)
        reply = to_origin(services, client, origin, actor)
        share = share_target(services.settings, origin.channel_id, origin.thread_ts)
        await answer_lookup(services, result, actor, entry="form", deliver=reply, share=share)
