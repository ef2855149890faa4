"""The baseline bot: a minimal Bolt AsyncApp, served on aiohttp the way ``bot.server`` serves
the real one.

``/purchases`` is acknowledged at once; then one httpx GET to the CrowdTwist sandbox (a fixed
page: the 213-purchase demo member's first page), then one fixed message to the
``response_url`` (``Purchases for …`` when the GET answered 200, an error line otherwise). No
parsing, cache, prefetch, retries, cards, audit or access checks: the cost of Bolt + aiohttp +
httpx alone. Its httpx pool and timeout match the bot's defaults (100 connections, 8 s), so a
comparison measures the bot's own work, not a different pool.

Reads the bot's variables: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
CROWDTWIST_BASE_URL, CROWDTWIST_API_KEY, HOST, PORT. Stops on SIGTERM/SIGINT.

    python benchmarks/minimal_bolt.py
"""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

FIXED_PATH = "/users/dev.patel%40example.com/purchases"
FIXED_PARAMS = {"id_type": "email"}

HTTP = web.AppKey("http", httpx.AsyncClient)
BOLT = web.AppKey("bolt", AsyncApp)


def build() -> web.Application:
    """The aiohttp application: ``POST /slack/events`` into Bolt, ``GET /healthz``."""
    env = os.environ
    web_app = web.Application(client_max_size=1024 * 1024)
    bolt = AsyncApp(
        client=AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"]),
        signing_secret=env["SLACK_SIGNING_SECRET"],
        process_before_response=False,
    )

    @bolt.command("/purchases")
    async def purchases(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        http = web_app[HTTP]
        try:
            response = await http.get(FIXED_PATH, params=FIXED_PARAMS)
            text = (
                "Purchases for dev.patel@example.com (minimal baseline)"
                if response.status_code == 200
                else f"error: CrowdTwist answered {response.status_code}"
            )
        except httpx.HTTPError as exc:
            text = f"error: {type(exc).__name__}"
        await http.post(
            str(body["response_url"]),
            json={"response_type": "ephemeral", "text": text, "blocks": []},
        )

    async def events(request: web.Request) -> web.Response:
        body = (await request.read()).decode("utf-8")
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
        return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def open_pool(app: web.Application) -> None:
        app[HTTP] = httpx.AsyncClient(
            base_url=env["CROWDTWIST_BASE_URL"],
            headers={"X-CT-Authorization": f"CTApiKey {env['CROWDTWIST_API_KEY']}"},
            timeout=httpx.Timeout(8.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
        )

    async def close_pool(app: web.Application) -> None:
        await app[HTTP].aclose()

    web_app[BOLT] = bolt
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    web_app.on_startup.append(open_pool)
    web_app.on_cleanup.append(close_pool)
    return web_app


def main() -> None:
    """Serve until SIGTERM/SIGINT."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    web.run_app(
        build(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3000")),
        access_log=None,
        print=None,
        handle_signals=True,
    )


if __name__ == "__main__":
    main()
