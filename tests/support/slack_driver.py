"""Sends requests to the bot exactly as Slack does: form bodies, signed with the secret.

The shapes come from :mod:`bot.fake_slack.payloads` and the signature from
:mod:`bot.fake_slack.signing`; this module only adds the tests' installation, sending and timing.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.fake_slack import payloads
from bot.fake_slack.signing import signed_headers

USER = "U0AGENT01"
CHANNEL = "C0SUPPORT"
TEAM = "T0BRAND01"
INSTALL = payloads.Installation(
    team_id=TEAM, team_domain="brand", app_id="A0PURCHASE", token="legacy"
)
"""The installation the tests' requests come from."""
AGENT = payloads.user_object(USER, "agent", INSTALL)

_tokens = itertools.count(1)
_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger id, as Slack gives each command, click and submission its own."""
    return f"trig-{next(_triggers)}"


def _user(user_id: str) -> dict[str, Any]:
    return payloads.user_object(user_id, "agent", INSTALL)


def command_fields(
    text: str,
    *,
    response_url: str,
    trigger_id: str,
    user: str = USER,
    channel: str = CHANNEL,
    channel_name: str = "support",
    user_name: str = "agent",
) -> dict[str, str]:
    """``/purchases <text>`` as Slack sends it: a form over HTTP, an envelope's payload in
    Socket Mode."""
    return payloads.slash_command(
        command="/purchases",
        text=text,
        user=payloads.user_object(user, user_name, INSTALL),
        channel_id=channel,
        channel_name=channel_name,
        response_url=response_url,
        trigger_id=trigger_id,
        install=INSTALL,
    )


@dataclass
class Sent:
    """A request sent to the bot: its HTTP answer, how long the ack took, its response_url."""

    response: httpx.Response
    ack_seconds: float
    response_url: str
    token: str


@dataclass
class StepRun:
    """A step run sent to the bot: its HTTP answer, how long the ack took, and its ids."""

    response: httpx.Response
    ack_seconds: float
    execution_id: str
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
        signed = signed_headers(self.secret, body) if headers is None else headers
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
        form = command_fields(
            text,
            response_url=url,
            trigger_id=trigger_id or new_trigger_id(),
            user=user,
            channel=channel,
            channel_name=channel_name,
            user_name=user_name,
        )
        response, took = await self.post(payloads.form_body(form))
        return Sent(response, took, url, token)

    async def interactive(self, payload: dict[str, Any], token: str | None = None) -> Sent:
        """Send an interaction; fields Slack always sends are filled in where left out.

        ``token`` names the response_url the payload already carries (else a new one is made).
        """
        if token is None:
            url, token = self.new_response_url()
            payload.setdefault("response_url", url)
        payload.setdefault("trigger_id", new_trigger_id())
        for key, value in payloads.common_fields(AGENT, INSTALL).items():
            payload.setdefault(key, value)
        response, took = await self.post(payloads.payload_body(payload))
        return Sent(response, took, payload.get("response_url", ""), token)

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
        url, token = self.new_response_url()
        ts = "1700000000.000100"
        on = payloads.MessageRef(
            channel=channel,
            ts=ts,
            thread_ts=thread_ts,
            ephemeral=ephemeral,
            message=message or {"ts": ts, "thread_ts": thread_ts},
        )
        button = {"type": "button", "action_id": action_id, "value": value}
        payload = payloads.block_actions(
            user=_user(user),
            message=on,
            channel_name="support",
            action=payloads.action_of(button, "nav"),
            response_url=url,
            trigger_id=trigger_id or new_trigger_id(),
            values={},
            install=INSTALL,
        )
        return await self.interactive(payload, token)

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
        url, token = self.new_response_url()
        payload = payloads.message_action(
            user=_user(user),
            message=payloads.MessageRef(
                channel=channel, ts=ts, thread_ts=thread_ts, message=message
            ),
            channel_name="support",
            response_url=url,
            trigger_id=new_trigger_id(),
            install=INSTALL,
        )
        return await self.interactive(payload, token)

    async def run_step(
        self,
        inputs: dict[str, Any],
        *,
        token: str | None = None,
        callback_id: str = "lookup_purchase_history",
    ) -> StepRun:
        """A workflow step run: the signed JSON ``function_executed`` event, with its own token."""
        token = token or payloads.new_function_token()
        event = payloads.function_executed(
            callback_id=callback_id, inputs=inputs, bot_access_token=token, install=INSTALL
        )
        response, took = await self.post(
            payloads.json_body(event), content_type=payloads.JSON_CONTENT_TYPE
        )
        return StepRun(response, took, event["event"]["function_execution_id"], token)

    async def event(self, event: dict[str, Any]) -> httpx.Response:
        """Deliver an Events API event (JSON, signed) as Slack's servers would."""
        body = json.dumps(payloads.event_callback(event, INSTALL)).encode()
        response, _ = await self.post(body, content_type="application/json")
        return response

    async def click_in_view(
        self, view: dict[str, Any], action_id: str, value: str | None = None, *, user: str = USER
    ) -> Sent:
        """Click a button inside a published view (the Home tab) or an open modal."""
        button: dict[str, Any] = {"type": "button", "action_id": action_id}
        if value is not None:
            button["value"] = value
        shown = {"id": "VHOME0001", "type": "home", **view}
        payload = payloads.view_block_actions(
            user=_user(user),
            view=shown,
            action=payloads.action_of(button, "home"),
            trigger_id=new_trigger_id(),
            install=INSTALL,
        )
        return await self.interactive(payload, token="none")  # a view click has no response_url

    async def submit_view(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = USER
    ) -> Sent:
        submitted = payloads.view_object("VFORM0001", view, values, INSTALL)
        payload = payloads.view_submission(
            user=_user(user), view=submitted, trigger_id=new_trigger_id(), install=INSTALL
        )
        return await self.interactive(payload)
