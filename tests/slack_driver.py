"""Sends requests to the bot exactly as Slack does: form bodies, signed with the secret."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

USER = "U0AGENT01"
CHANNEL = "C0SUPPORT"
TEAM = "T0BRAND01"

_tokens = itertools.count(1)
_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger id, as Slack gives each command, click and submission its own."""
    return f"trig-{next(_triggers)}"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's headers: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Sent:
    """A request sent to the bot: its HTTP answer, how long the ack took, its response_url."""

    response: httpx.Response
    ack_seconds: float
    response_url: str
    token: str


@dataclass
class SlackDriver:
    """Drives the bot's ``/slack/events`` like Slack's servers would."""

    events_url: str
    secret: str
    response_base: str
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))

    def new_response_url(self) -> tuple[str, str]:
        token = f"r{next(_tokens)}"
        return f"{self.response_base}/response/{token}", token

    async def post(
        self,
        body: bytes,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, float]:
        signed = sign(self.secret, body) if headers is None else headers
        started = time.perf_counter()
        response = await self.http.post(
            self.events_url, content=body, headers={"Content-Type": content_type, **signed}
        )
        return response, time.perf_counter() - started

    async def command(
        self,
        text: str,
        *,
        user: str = USER,
        channel: str = CHANNEL,
        trigger_id: str | None = None,
        channel_name: str = "support",
        user_name: str = "agent",
    ) -> Sent:
        url, token = self.new_response_url()
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "brand",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user_name,
            "command": "/purchases",
            "text": text,
            "api_app_id": "A0PURCHASE",
            "response_url": url,
            "trigger_id": trigger_id or new_trigger_id(),
        }
        response, took = await self.post(urlencode(form).encode())
        return Sent(response, took, url, token)

    async def interactive(self, payload: dict[str, Any]) -> Sent:
        url, token = self.new_response_url()
        payload.setdefault("trigger_id", new_trigger_id())
        payload.setdefault("response_url", url)
        payload.setdefault("team", {"id": TEAM, "domain": "brand"})
        payload.setdefault("api_app_id", "A0PURCHASE")
        payload.setdefault("token", "legacy")
        body = urlencode({"payload": json.dumps(payload)}).encode()
        response, took = await self.post(body)
        return Sent(response, took, payload["response_url"], token)

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = USER,
        channel: str = CHANNEL,
        ephemeral: bool = True,
        thread_ts: str | None = None,
        message: dict[str, Any] | None = None,
        trigger_id: str | None = None,
    ) -> Sent:
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": "agent", "team_id": TEAM},
            "channel": {"id": channel, "name": "support"},
            "container": container,
            "trigger_id": trigger_id or new_trigger_id(),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "nav",
                    "value": value,
                    "action_ts": "1700000001.0001",
                }
            ],
        }
        if not ephemeral:
            payload["message"] = message or {"ts": "1700000000.000100", "thread_ts": thread_ts}
        return await self.interactive(payload)

    async def shortcut(
        self,
        text: str,
        *,
        ts: str = "1700000000.000200",
        thread_ts: str | None = None,
        user: str = USER,
        channel: str = CHANNEL,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Sent:
        message: dict[str, Any] = {"type": "message", "user": "UCUSTOMER", "ts": ts, "text": text}
        if thread_ts:
            message["thread_ts"] = thread_ts
        if attachments:
            message["attachments"] = attachments
        return await self.interactive(
            {
                "type": "message_action",
                "callback_id": "purchase_history",
                "message_ts": ts,
                "user": {"id": user, "username": "agent", "team_id": TEAM},
                "channel": {"id": channel, "name": "support"},
                "message": message,
            }
        )

    async def submit_view(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = USER
    ) -> Sent:
        submitted = dict(view)
        submitted["id"] = "VFORM0001"
        submitted["state"] = {"values": values}
        return await self.interactive(
            {
                "type": "view_submission",
                "user": {"id": user, "username": "agent", "team_id": TEAM},
                "view": submitted,
            }
        )
