"""A modal opened at once with "Loading…" (a click's trigger lasts 3 s), then filled.

Shared by Details, Points and a receipt's View, so none leaves the agent with nothing or
with "Loading…" for ever: a refused ``views.open`` becomes a private note with the button
again; a refused ``views.update`` is retried once without the hash on ``hash_conflict``,
is no error when the agent already closed the modal (``not_found``: a note), and otherwise
falls back to smaller views, then to the note.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.replies import refusal

log = logging.getLogger(__name__)

Note = Callable[[str | None], Awaitable[object]]
"""Tells the agent privately that the modal did not show, given Slack's error code."""


@dataclass(frozen=True)
class LoadingModal:
    """An open "Loading…" modal, to be filled once."""

    client: AsyncWebClient
    what: str
    view_id: str
    view_hash: str | None
    note: Note

    async def _update(self, view: dict[str, Any], with_hash: str | None) -> str | None:
        call = self.client.views_update(view_id=self.view_id, view=view, hash=with_hash)
        return await refusal(f"fill the {self.what} modal", call, expected={"not_found"})

    async def fill(self, view: dict[str, Any], *fallbacks: dict[str, Any]) -> None:
        """Replace "Loading…" with ``view``; if Slack refuses it, each of ``fallbacks`` in
        turn (smaller views), then the private note."""
        refused = await self._update(view, self.view_hash)
        if refused == "hash_conflict":
            refused = await self._update(view, None)
        if refused is None:
            return
        if refused == "not_found":
            log.info("the %s modal was closed before it was filled", self.what)
        else:
            for fallback in fallbacks:
                again = await self._update(fallback, None)
                if again is None:
                    return
                if again == "not_found":
                    break
        await self.note(refused)


async def open_loading(
    client: AsyncWebClient,
    body: dict[str, Any],
    loading: dict[str, Any],
    *,
    what: str,
    note: Note,
) -> LoadingModal | None:
    """Open ``loading`` on the click's trigger; None (and the note) when Slack refuses
    (expired or used trigger, rate limited) or cannot be reached."""
    try:
        opened = await client.views_open(trigger_id=body.get("trigger_id") or "", view=loading)
        view_id, view_hash = opened["view"]["id"], opened["view"].get("hash")
    except Exception as exc:  # refused (expired or used trigger, rate limited) or unreachable
        code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        log.warning("could not open the %s modal: %s", what, code or type(exc).__name__)
        await note(code)
        return None
    return LoadingModal(client, what, view_id, view_hash, note)
