"""The fake Slack's Socket Mode side: the WebSocket a Socket Mode app dials, and envelopes.

Mixed into :class:`bot.fake_slack.server.FakeSlack`, which serves ``GET /socket`` and hands
that URL out from ``apps.connections.open``; tests deliver envelopes and read the bot's acks.
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
        for socket in list(self._sockets):
            await socket.send_json(envelope)
        try:
            return await asyncio.wait_for(acked, within)
        finally:
            self._socket_acks.pop(envelope_id, None)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.add(socket)
        await socket.send_json(
            {"type": "hello", "num_connections": len(self._sockets), "debug_info": {}}
        )
        self._socket_connected.set()
        try:
            async for frame in socket:
                if frame.type != web.WSMsgType.TEXT:
                    continue
                ack = json.loads(frame.data)
                waiter = self._socket_acks.get(str(ack.get("envelope_id")))
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        finally:
            self._sockets.discard(socket)
        return socket
