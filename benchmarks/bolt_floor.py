"""The stack's floor: the typical Bolt bot's own logic on the bot's plumbing, nothing else.

Its ``parse``, ``lookup`` (given this file's client) and ``card`` are imported from
``benchmarks/typical_bolt.py``, so the app logic is the typical bot's to the letter; only the
plumbing is the bot's:

* uvloop (``bot.eventloop``);
* ``process_before_response=True`` and the answer spawned after ``ack()``, so Bolt answers
  Slack at the ack instead of polling for it every 10 ms;
* httpx on aiohttp's pool (``bot.crowdtwist.transport.AiohttpTransport``) for CrowdTwist;
* one aiohttp session for every ``response_url`` post, the body written by orjson.

No cache, prefetch, retries, access check, replay guard, audit, recent lookups, Share
button or rich card. ``python -m benchmarks.lean --floor`` runs it beside the other two:
what the bot costs above it is its features; what it costs is the floor under any bot on
Bolt, httpx and aiohttp. Reads the same settings as the typical bot.

    python benchmarks/bolt_floor.py
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.typical_bolt import card, lookup, parse
from bot import eventloop
from bot.compact_json import dumps_bytes
from bot.crowdtwist.transport import AiohttpTransport

app = AsyncApp(
    client=AsyncWebClient(
        token=os.environ.get("SLACK_BOT_TOKEN"), base_url=os.environ["SLACK_API_URL"]
    ),
    signing_secret=os.environ.get("SLACK_SIGNING_SECRET"),
    process_before_response=True,
)
crowdtwist = httpx.AsyncClient(
    base_url=os.environ["CROWDTWIST_BASE_URL"],
    headers={"X-CT-Authorization": f"CTApiKey {os.environ['CROWDTWIST_API_KEY']}"},
    transport=AiohttpTransport(),
)
_JSON = {"Content-Type": "application/json"}
_state: dict[str, aiohttp.ClientSession] = {}
_answering: set[asyncio.Task[None]] = set()


def _session() -> aiohttp.ClientSession:
    """The one session for every post (made inside the running loop)."""
    if "session" not in _state:
        _state["session"] = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    return _state["session"]


async def answer(query: dict[str, Any], response_url: str, *, replace: bool) -> None:
    """The typical bot's GET (on this client) and card, posted to the response_url."""
    try:
        page = await lookup(query, crowdtwist)
        message: dict[str, Any] = {
            "text": f"Purchases for {query['member']} (page {query['page']})",
            "blocks": card(query, page),
            "replace_original": replace,
        }
    except httpx.HTTPError as error:
        message = {"text": f"Sorry, CrowdTwist failed: {type(error).__name__}"}
    async with _session().post(response_url, data=dumps_bytes(message), headers=_JSON) as sent:
        await sent.read()


def spawn(query: dict[str, Any], response_url: str, *, replace: bool) -> None:
    """Answer after the ack, on a task of its own (kept until it ends)."""
    task = asyncio.get_running_loop().create_task(answer(query, response_url, replace=replace))
    _answering.add(task)
    task.add_done_callback(_answering.discard)


@app.command("/purchases")
async def purchases(ack: Any, command: dict[str, Any]) -> None:
    await ack()
    spawn(parse(command.get("text", "")), command["response_url"], replace=False)


@app.action("purchases_next_page")
async def next_page(ack: Any, action: dict[str, Any], body: dict[str, Any]) -> None:
    await ack()
    spawn(json.loads(action["value"]), body["response_url"], replace=True)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


if __name__ == "__main__":
    port = int(os.environ.get("PORT", 3000))
    web_app = app.web_app(port=port)
    web_app.router.add_get("/healthz", healthz)
    web.run_app(
        web_app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        access_log=None,
        loop=eventloop.new_event_loop("auto"),
    )
