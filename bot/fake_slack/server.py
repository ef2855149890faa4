"""The fake Slack's HTTP side: the Web API, ``response_url`` posts and file uploads.

The bot talks to it exactly as to Slack (``SLACK_API_URL`` points here; ``response_url`` values
point here). It records every call so tests can assert on what was sent, can inject failures
(429 with ``Retry-After``, 5xx) per method, and tells subscribers about every call, which is how
the playground page turns calls into a channel on screen. It keeps no Slack-like state beyond
ids it hands out: the playground owns the picture of the channel.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import web

from bot.fake_slack.socket_mode import SocketMode

BOT_USER_ID = "UBOTPURCH"
BOT_ID = "BPURCHASES"
TEAM_ID = "TPLAYGRND"
TEAM_DOMAIN = "playground"


@dataclass(frozen=True)
class SlackCall:
    """One Web API call (``method`` like ``chat.postMessage``) or response_url post."""

    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    """The token the call was sent with (``Authorization: Bearer …``), if any."""

    @property
    def message(self) -> dict[str, Any]:
        """The message the call carried, with ``blocks`` decoded from JSON if needed."""
        message = dict(self.args)
        blocks = message.get("blocks")
        if isinstance(blocks, str):
            message["blocks"] = json.loads(blocks)
        view = message.get("view")
        if isinstance(view, str):
            message["view"] = json.loads(view)
        return message


@dataclass
class _Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    remaining: int


def _invalid(detail: str) -> dict[str, Any]:
    return {"ok": False, "error": "invalid_arguments", "detail": detail}


Subscriber = Callable[[SlackCall], Awaitable[None]]

RESPONSE_METHOD = "response_url"
UPLOAD_METHOD = "file_upload"


class FakeSlack(SocketMode):
    """The fake, as an aiohttp app with a recording of everything it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[SlackCall] = []
        self.uploads: dict[str, bytes] = {}
        self._faults: dict[str, _Fault] = {}
        self._subscribers: list[Subscriber] = []
        self._ids = itertools.count(1)
        self._threads: dict[str, str] = {}
        """The thread of each reply the fake posted (``ts`` → ``thread_ts``), for permalinks."""
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- what tests and the playground use -------------------------------------------------

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL``."""
        return f"{self.base_url}/api/"

    def response_url(self, token: str) -> str:
        """A ``response_url`` that lands here, tagged with ``token``."""
        return f"{self.base_url}/response/{token}"

    def permalink(self, channel: str, ts: str) -> str:
        """The link ``chat.getPermalink`` gives for a message (the playground opens it).

        A reply's link names its thread as Slack's does: ``?thread_ts=…&cid=…``.
        """
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        thread = self._threads.get(ts)
        return f"{link}?thread_ts={thread}&cid={channel}" if thread else link

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` with every call after it is recorded."""
        self._subscribers.append(subscriber)

    def fail(
        self,
        method: str,
        status: int,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (e.g. 429, 500)."""
        self._faults[method] = _Fault(
            status, body or {"ok": False, "error": "fake_failure"}, headers or {}, times
        )

    def calls_to(self, method: str) -> list[SlackCall]:
        """Recorded calls of one method, in order."""
        return [call for call in self.calls if call.method == method]

    async def wait_for(
        self,
        predicate: Callable[[SlackCall], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - one deadline over many waits
        count: int = 1,
    ) -> list[SlackCall]:
        """Wait until ``count`` recorded calls match ``predicate``; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [call for call in self.calls if predicate(call)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [call.method for call in self.calls]
                raise TimeoutError(f"expected {count} matching call(s); saw {seen}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
            except TimeoutError:
                continue

    # -- serving ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application serving the fake."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # chat.getPermalink is a GET
        app.router.add_post("/response/{token}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 picks a free port); return the base URL."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- handlers --------------------------------------------------------------------------

    async def _record(self, call: SlackCall) -> None:
        self.calls.append(call)
        self._changed.set()
        for subscriber in list(self._subscribers):
            await subscriber(call)

    def _take_fault(self, method: str) -> _Fault | None:
        fault = self._faults.get(method)
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining <= 0:
            del self._faults[method]
        return fault

    @staticmethod
    def _token_of(request: web.Request) -> str | None:
        """The bearer token of a Web API call's ``Authorization`` header, if any."""
        header = request.headers.get("Authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else None

    @staticmethod
    async def _read_args(request: web.Request) -> dict[str, Any]:
        """The call's arguments: body (JSON or form) over query string.

        slack_sdk sends some methods' arguments (``conversations.open``, ``files.*``) as
        query parameters, so those count as arguments too.
        """
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if request.content_type == "application/json":
            loaded = json.loads(raw or b"{}")
            return args | (loaded if isinstance(loaded, dict) else {"_": loaded})
        return args | dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._read_args(request)
        token = self._token_of(request) or args.get("token")  # header, else the argument
        fault = self._take_fault(method)
        if fault is not None:
            await self._record(
                SlackCall(method, args, result={"status": fault.status}, token=token)
            )
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        result = self._answer(method, args)
        await self._record(SlackCall(method, args, result=result, token=token))
        return web.json_response(result)

    async def _response(self, request: web.Request) -> web.Response:
        args = await self._read_args(request)
        args["_token"] = request.match_info["token"]
        fault = self._take_fault(RESPONSE_METHOD)
        if fault is not None:
            await self._record(SlackCall(RESPONSE_METHOD, args, result={"status": fault.status}))
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        await self._record(SlackCall(RESPONSE_METHOD, args, result={"ok": True}))
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        content = await request.read()
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            content = b""
            async for part in reader:
                content = await part.read()  # type: ignore[union-attr]
        self.uploads[file_id] = content
        await self._record(SlackCall(UPLOAD_METHOD, {"file_id": file_id, "size": len(content)}))
        return web.Response(text=f"OK - {len(content)}")

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _ts(self) -> str:
        return f"{time.time():.6f}"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """What Slack answers for the methods the bot uses."""
        ok: dict[str, Any] = {"ok": True}
        match method:
            case "apps.connections.open":
                return self.connections_open_answer(self.base_url)
            case "auth.test":
                return ok | {
                    "url": "https://playground.example/",
                    "team": "Playground",
                    "user": "purchases",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                }
            case "chat.postMessage":
                ts = self._ts()
                if args.get("thread_ts"):
                    self._threads[ts] = str(args["thread_ts"])
                return ok | {"channel": args.get("channel"), "ts": ts, "message": {"ts": ts}}
            case "chat.postEphemeral":
                return ok | {"message_ts": self._ts()}
            case "chat.getPermalink":
                channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
                return ok | {"channel": channel, "permalink": self.permalink(channel, ts)}
            case "views.publish":
                view = args.get("view")
                view = json.loads(view) if isinstance(view, str) else dict(view or {})
                return ok | {"view": view | {"id": self._next_id("VH"), "hash": self._next_id("h")}}
            case "chat.update":
                return ok | {"channel": args.get("channel"), "ts": args.get("ts")}
            case "views.open" | "views.update" | "views.push":
                view = args.get("view")
                view = json.loads(view) if isinstance(view, str) else dict(view or {})
                view_id = args.get("view_id") or self._next_id("V")
                return ok | {"view": view | {"id": view_id, "hash": self._next_id("h")}}
            case "conversations.open":
                return ok | {"channel": {"id": "D" + str(args.get("users", "USER"))[1:]}}
            case "files.getUploadURLExternal":
                file_id = self._next_id("F")
                return ok | {"file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}
            case "files.completeUploadExternal":
                files = args.get("files")
                files = json.loads(files) if isinstance(files, str) else files or []
                return ok | {"files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
            case "functions.completeSuccess" | "functions.completeError":
                # A workflow step's end, sent with the event's own token.
                return ok if args.get("function_execution_id") else _invalid("missing id")
            case _:
                return {"ok": False, "error": "unknown_method"}
