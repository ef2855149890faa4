"""The fake Slack's Socket Mode side: the WebSocket a Socket Mode app dials, and envelopes.

Mixed into :class:`bot.fake_slack.server.FakeSlack`, which serves ``GET /socket`` and hands
that URL out from ``apps.connections.open``; tests deliver envelopes and read the bot's acks.
Tests can also make the open sockets go silent (no pong, no envelope: a dead connection that
stays open) and refuse new connections for a while, to prove the bot's watchdog.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiohttp import web


class SocketMode:
    """Envelopes out, acks back, over every connected Socket Mode WebSocket."""

    def __init__(self) -> None:
        self._sockets: set[web.WebSocketResponse] = set()
        self._socket_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._socket_connected = asyncio.Event()
        self._envelope_ids = itertools.count(1)
        self._silent: set[web.WebSocketResponse] = set()
        self.refuse_connections = False
        """While True, ``apps.connections.open`` answers ``ok: false`` (Slack unreachable)."""
        self.connections = 0
        """Sockets opened so far."""

    def go_silent(self) -> None:
        """From now on the open sockets answer no ping and carry no envelope (they stay
        open); sockets opened later behave."""
        self._silent |= self._sockets

    def connections_open_answer(self, base_url: str) -> dict[str, Any]:
        """What ``apps.connections.open`` answers."""
        if self.refuse_connections:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": base_url.replace("http://", "ws://") + "/socket"}

    async def wait_for_socket(self, within: float = 10.0) -> None:
        """Wait up to ``within`` seconds until a Socket Mode client has connected."""
        await asyncio.wait_for(self._socket_connected.wait(), within)

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, within: float = 5.0
    ) -> dict[str, Any]:
        """Deliver one Socket Mode envelope (``slash_commands``…); return the bot's ack."""
        envelope_id = f"env-{next(self._envelope_ids):08d}"
        acked: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = acked
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        for socket in list(self._sockets - self._silent):
            await socket.send_json(envelope)
        try:
            return await asyncio.wait_for(acked, within)
        finally:
            self._socket_acks.pop(envelope_id, None)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=False)  # pings answered below, unless silent
        await socket.prepare(request)
        self._sockets.add(socket)
        self.connections += 1
        await socket.send_json(
            {"type": "hello", "num_connections": len(self._sockets), "debug_info": {}}
        )
        self._socket_connected.set()
        try:
            async for frame in socket:
                if frame.type == web.WSMsgType.PING and socket not in self._silent:
                    await socket.pong(frame.data)
                if frame.type != web.WSMsgType.TEXT or socket in self._silent:
                    continue
                ack = json.loads(frame.data)
                waiter = self._socket_acks.get(str(ack.get("envelope_id")))
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        finally:
            self._sockets.discard(socket)
            self._silent.discard(socket)
        return socket
