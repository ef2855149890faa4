"""The baseline: a typical minimal Bolt bot for ``/purchases``, written the way Slack's samples
write one, with every library left at its defaults.

* ``AsyncApp(token=..., signing_secret=...)`` (its Web API client only pointed at the fake
  Slack through ``base_url``, since a benchmark cannot reach slack.com);
* one module-level ``httpx.AsyncClient()`` with httpx's default limits (100 connections,
  20 keep-alive) and default timeout (5 s);
* ``/purchases <member> [type:3p] [since YYYY-MM-DD]``: ``await ack()``, one GET per lookup to
  CrowdTwist, a simple card (header, a section per purchase, a Next button), ``await respond()``;
* the Next button does the same for the next page and replaces the card (``respond`` with
  ``replace_original``);
* served by Bolt's own aiohttp adapter (``app.web_app()``, what ``app.start()`` runs), plus the
  ``/healthz`` route the benchmark waits for.

No cache, prefetch, retries, access checks or audit: this is the bar a lean bot must clear, not
a copy of the bot's settings. Reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
CROWDTWIST_BASE_URL, CROWDTWIST_API_KEY, HOST, PORT.

    python benchmarks/typical_bolt.py
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any
from urllib.parse import quote

import httpx
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))

app = AsyncApp(
    client=AsyncWebClient(
        token=os.environ.get("SLACK_BOT_TOKEN"), base_url=os.environ["SLACK_API_URL"]
    ),
    signing_secret=os.environ.get("SLACK_SIGNING_SECRET"),
)

crowdtwist = httpx.AsyncClient(
    base_url=os.environ["CROWDTWIST_BASE_URL"],
    headers={"X-CT-Authorization": f"CTApiKey {os.environ['CROWDTWIST_API_KEY']}"},
)


def parse(text: str) -> dict[str, Any]:
    """``jane@example.com since 2024-03-01`` → member, id type and start date."""
    quoted = re.match(r'\s*"([^"]*)"(.*)', text)
    words = text.split() if quoted is None else [quoted[1], *quoted[2].split()]
    query: dict[str, Any] = {"member": words[0] if words else "", "page": 1}
    if "since" in words[1:]:
        query["since"] = words[words.index("since") + 1]
    member = query["member"]
    if "type:3p" in words:
        query["id_type"] = "third_party_id"
    elif "@" in member:
        query["id_type"] = "email"
    elif member.startswith("+"):
        query["id_type"] = "mobile_phone_number"
    else:
        query["id_type"] = "id"
    return query


async def lookup(query: dict[str, Any], http: httpx.AsyncClient = crowdtwist) -> dict[str, Any]:
    """One GET of a page of the member's purchase history (``http``: bolt_floor.py's own)."""
    params = {"id_type": query["id_type"]}
    if query["page"] > 1:
        params["page"] = str(query["page"])
    if query.get("since"):
        params["date_start"] = query["since"]
    response = await http.get(f"/users/{quote(query['member'], safe='')}/purchases", params=params)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def card(query: dict[str, Any], page: dict[str, Any]) -> list[dict[str, Any]]:
    """Header, one section per purchase, and a Next button when there is a next page."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Purchases for {query['member']}"},
        }
    ]
    for purchase in page.get("purchases", []):
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{purchase.get('purchase_id')}*"
                    f"  {purchase.get('last_date_purchased')}"
                    f"\nTotal: {purchase.get('purchase_total')}"
                    f"  Points: {purchase.get('total_points_awarded')}",
                },
            }
        )
    if (page.get("paging") or {}).get("next_page"):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "purchases_next_page",
                        "text": {"type": "plain_text", "text": "Next"},
                        "value": json.dumps({**query, "page": query["page"] + 1}),
                    }
                ],
            }
        )
    return blocks


async def answer(query: dict[str, Any], respond: Any, *, replace: bool) -> None:
    """Look the page up and post the card (or a short error) to the response_url."""
    try:
        page = await lookup(query)
    except httpx.HTTPError as error:
        await respond(text=f"Sorry, CrowdTwist failed: {type(error).__name__}")
        return
    await respond(
        text=f"Purchases for {query['member']} (page {query['page']})",
        blocks=card(query, page),
        replace_original=replace,
    )


@app.command("/purchases")
async def purchases(ack: Any, command: dict[str, Any], respond: Any) -> None:
    await ack()
    await answer(parse(command.get("text", "")), respond, replace=False)


@app.action("purchases_next_page")
async def next_page(ack: Any, action: dict[str, Any], respond: Any) -> None:
    await ack()
    await answer(json.loads(action["value"]), respond, replace=True)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


if __name__ == "__main__":
    web_app = app.web_app(port=int(os.environ.get("PORT", 3000)))
    web_app.router.add_get("/healthz", healthz)
    web.run_app(web_app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ["PORT"]))
