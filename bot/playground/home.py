"""The playground's App Home tab: opening it sends ``app_home_opened``; its buttons click.

The bot answers the event with ``views.publish``; :func:`on_published` keeps the view the
signed-in agent was sent, and the page (``static/home.js``) draws it with the blocks renderer.
A click on one of its buttons goes to the bot as ``block_actions`` with the Home view as its
``view`` (no ``response_url``), as Slack sends it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.fake_slack import payloads
from bot.playground.state import USER_ID, Workspace

if TYPE_CHECKING:  # the bridge imports this module for its views.publish hook
    from bot.playground.bridge import Bridge

HOME_VIEW_ID = "VPLAYHOME1"
JSON_CONTENT_TYPE = "application/json"


def on_published(workspace: Workspace, args: dict[str, Any], blocks: list[dict[str, Any]]) -> None:
    """``views.publish`` for the signed-in agent: their Home tab now shows ``view``."""
    view = args.get("view")
    if args.get("user_id") == USER_ID and isinstance(view, dict):
        workspace.set_home(dict(view) | {"id": HOME_VIEW_ID, "blocks": blocks})


async def open_home(bridge: Bridge) -> dict[str, Any]:
    """The agent opened the app's Home tab: Slack sends the app ``app_home_opened``."""
    event = payloads.event_callback(payloads.app_home_opened(USER_ID))
    answer = await bridge.send(json.dumps(event).encode(), content_type=JSON_CONTENT_TYPE)
    return answer.describe()


async def click_in_home(bridge: Bridge, block_id: str, action_id: str) -> dict[str, Any]:
    """A button on the Home tab: ``block_actions`` with the Home view as the container."""
    home = bridge.workspace.home
    if home is None:
        raise web.HTTPConflict(text="the Home tab is not open")
    element = payloads.find_element(home.get("blocks") or [], block_id, action_id)
    if element is None:
        raise web.HTTPBadRequest(text="that button is not on the Home tab")
    view = payloads.view_object(HOME_VIEW_ID, home, {})
    payload = payloads.view_block_actions(
        user=payloads.user_object(USER_ID, "you"),
        view=view,
        action=payloads.action_of(element, block_id),
        trigger_id=bridge.issue_trigger_id(),
    )
    answer = await bridge.send(payloads.payload_body(payload))
    return answer.describe()


def add_routes(app: web.Application, bridge: Bridge) -> None:
    """``POST /api/home/open`` and ``POST /api/home/actions`` ``{block_id, action_id}``."""

    async def opened(request: web.Request) -> web.Response:
        return web.json_response(await open_home(bridge))

    async def clicked(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text="expected a JSON object") from exc
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        block_id, action_id = body.get("block_id"), body.get("action_id")
        if not isinstance(block_id, str) or not isinstance(action_id, str):
            raise web.HTTPBadRequest(text="block_id and action_id: expected strings")
        return web.json_response(await click_in_home(bridge, block_id, action_id))

    app.router.add_post("/api/home/open", opened)
    app.router.add_post("/api/home/actions", clicked)
