"""The playground: the real bot, a fake Slack, CrowdTwist (the sandbox, or a real one) and a
Slack-like page, wired together in one process and one event loop.

``python -m bot`` with nothing configured calls :func:`run_playground`. Tests use
:class:`Playground` in-process: ``async with Playground(settings) as pg: …``.

The page server binds 127.0.0.1 only, answers only to local host names (no DNS rebinding) and
takes only JSON posts (no cross-site form posts), so nothing but the person at this machine
can drive the bot.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import secrets
import signal
import socket
import sys
from contextlib import AsyncExitStack
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import SecretStr

from bot import eventloop
from bot.app import build_app
from bot.config import Settings
from bot.fake_slack import FakeSlack
from bot.fake_slack.signing import new_signing_secret
from bot.playground import home
from bot.playground.bridge import Bridge, PlaygroundError
from bot.playground.demos import page_info
from bot.playground.state import CHANNEL_ID, Workspace
from bot.playground.workflow import run_step
from bot.runtime import crowdtwist_for
from bot.server import EVENTS_PATH, build_web_app
from bot.services import Services

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# The page's own files by their types, not by this machine's MIME tables (which may call .js
# text/plain, as some Windows registries do): a module script of any other type does not run.
STATIC_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
KEEP_ALIVE_SECONDS = 15.0
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MAX_JSON_BYTES = 256 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'none'"
)
"""``{images}``: the sandbox's origin, whose receipt images the page shows (else nothing)."""

WORKSPACE = web.AppKey("workspace", Workspace)
BRIDGE = web.AppKey("bridge", Bridge)
ALLOWED_HOSTS = web.AppKey("allowed_hosts", set[str])
IMAGE_ORIGINS = web.AppKey("image_origins", set[str])


class PortInUseError(OSError):
    """The page's port is taken by another program."""

    def __init__(self, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} is already in use")
        self.port = port


# -- HTTP routes of the page -------------------------------------------------------------------


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="expected a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise web.HTTPBadRequest(text=f"{key}: expected a string")
    return value


def _channel(request: web.Request, body: dict[str, Any]) -> str:
    """The conversation the page is showing (the channel unless it names another one)."""
    channel = _text(body, "channel", required=False) or CHANNEL_ID
    if channel not in request.app[WORKSPACE].conversations:
        raise web.HTTPBadRequest(text="channel: no such conversation")
    return channel


def _values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = body.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise web.HTTPBadRequest(text="values: expected {block_id: {action_id: value}}")
    return {str(k): v for k, v in values.items()}


async def index(request: web.Request) -> web.StreamResponse:
    """The page itself."""
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


async def state(request: web.Request) -> web.Response:
    """Everything on screen, as JSON (the page uses the event stream; tests use this)."""
    return web.json_response(request.app[WORKSPACE].snapshot())


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: a snapshot, then each change as it happens."""
    workspace = request.app[WORKSPACE]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    queue = workspace.subscribe()
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=KEEP_ALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is None:
                break
            data = json.dumps(event, separators=(",", ":"), default=str)
            await response.write(f"data: {data}\n\n".encode())
    except (ConnectionResetError, ConnectionError):
        pass  # the tab was closed
    finally:
        workspace.unsubscribe(queue)
    return response


async def command(request: web.Request) -> web.Response:
    """``{"text": "/purchases …", "channel"?, "thread_ts"?}``: run a slash command."""
    body = await _json_body(request)
    line = _text(body, "text") or ""
    result = await request.app[BRIDGE].run_command(
        line, channel=_channel(request, body), thread_ts=_text(body, "thread_ts", required=False)
    )
    return web.json_response(result)


async def post_message(request: web.Request) -> web.Response:
    """``{"text", "author": "you"|"customer", "channel"?, "thread_ts"?}``: post a plain message."""
    body = await _json_body(request)
    author = body.get("author", "you")
    if author not in ("you", "customer"):
        raise web.HTTPBadRequest(text="author: expected you or customer")
    message = request.app[BRIDGE].post_message(
        _text(body, "text") or "",
        author,
        channel=_channel(request, body),
        thread_ts=_text(body, "thread_ts", required=False),
    )
    return web.json_response({"ok": True, "message": message.to_json()})


async def action(request: web.Request) -> web.Response:
    """``{"message_id"|"view_id", "block_id", "action_id", "chosen"?, "values"?}``: a click."""
    body = await _json_body(request)
    bridge = request.app[BRIDGE]
    block_id, action_id = _text(body, "block_id") or "", _text(body, "action_id") or ""
    chosen, values = body.get("chosen"), _values(body)
    view_id = _text(body, "view_id", required=False)
    if view_id is not None:
        result = await bridge.click_in_view(
            view_id, block_id, action_id, chosen=chosen, values=values
        )
    else:
        message_id = _text(body, "message_id") or ""
        result = await bridge.click(message_id, block_id, action_id, chosen=chosen, values=values)
    return web.json_response(result)


async def shortcut(request: web.Request) -> web.Response:
    """``{"message_id"}``: the message shortcut **Purchase history**."""
    body = await _json_body(request)
    return web.json_response(await request.app[BRIDGE].shortcut(_text(body, "message_id") or ""))


async def submit_view(request: web.Request) -> web.Response:
    """``{"view_id", "values": {block_id: {action_id: value}}}``: submit a modal."""
    body = await _json_body(request)
    result = await request.app[BRIDGE].submit_view(_text(body, "view_id") or "", _values(body))
    return web.json_response(result)


async def close_view(request: web.Request) -> web.Response:
    """``{"view_id"}``: close a modal."""
    body = await _json_body(request)
    return web.json_response(await request.app[BRIDGE].close_view(_text(body, "view_id") or ""))


async def workflow_run(request: web.Request) -> web.Response:
    """``{"member", "id_type"?, "start_date"?, "end_date"?}``: run the Workflow Builder step."""
    body = await _json_body(request)
    return web.json_response(await run_step(request.app[BRIDGE], body))


async def clear(request: web.Request) -> web.Response:
    """Forget every message (a fresh start without restarting)."""
    request.app[WORKSPACE].clear()
    return web.json_response({"ok": True})


async def download(request: web.Request) -> web.Response:
    """A file the bot shared (the CSV export)."""
    found = request.app[BRIDGE].file(request.match_info["file_id"])
    if found is None:
        raise web.HTTPNotFound(text="no such file")
    name, content = found
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    content_type = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    return web.Response(
        body=content,
        content_type=content_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Local host names only; JSON-only posts; page errors as JSON; security headers."""
    if request.host not in request.app[ALLOWED_HOSTS]:
        return web.Response(status=421, text="the playground answers only on this machine")
    if request.method == "POST" and request.content_type != "application/json":
        return web.Response(status=415, text="expected application/json")
    try:
        response = await handler(request)
    except PlaygroundError as exc:
        response = web.json_response({"ok": False, "error": str(exc)}, status=409)
    origins: set[str] = request.app[IMAGE_ORIGINS]
    images = "".join(f" {origin}" for origin in sorted(origins))
    response.headers.setdefault(
        "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(images=images)
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@web.middleware
async def static_types(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serve the page's files under ``/static/`` with their content types spelled out."""
    response = await handler(request)
    content_type = STATIC_CONTENT_TYPES.get(PurePosixPath(request.path).suffix)
    if content_type and request.path.startswith("/static/"):
        response.content_type = content_type
        response.charset = "utf-8"
    return response


def page_app(workspace: Workspace, bridge: Bridge) -> web.Application:
    """The page server's aiohttp application (hosts are filled in once the port is known)."""
    app = web.Application(middlewares=[guard, static_types], client_max_size=MAX_JSON_BYTES)
    app[WORKSPACE] = workspace
    app[BRIDGE] = bridge
    app[ALLOWED_HOSTS] = set()
    app[IMAGE_ORIGINS] = set()
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/events", events)
    app.router.add_post("/api/command", command)
    app.router.add_post("/api/messages", post_message)
    app.router.add_post("/api/actions", action)
    app.router.add_post("/api/shortcut", shortcut)
    app.router.add_post("/api/views/submit", submit_view)
    app.router.add_post("/api/views/close", close_view)
    app.router.add_post("/api/clear", clear)
    app.router.add_post("/api/workflow/run", workflow_run)
    app.router.add_get("/files/{file_id}/{name}", download)
    home.add_routes(app, bridge)
    return app


# -- the whole playground --------------------------------------------------------------------


def _check_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` if ``host:port`` is taken (0 is always free)."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(port) from None
            raise


class Playground:
    """The bot, the fake Slack, CrowdTwist and the page, started and stopped together."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings(_env_file=None)
        self.workspace = Workspace()
        self.fake = FakeSlack()
        self.url = ""
        self.bot_url = ""
        self._bridge: Bridge | None = None
        self._stack: AsyncExitStack | None = None

    @property
    def bridge(self) -> Bridge:
        """The page ↔ bot bridge (only while started)."""
        if self._bridge is None:
            raise RuntimeError("the playground is not started")
        return self._bridge

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start everything; serve the page on ``host:port`` (0 = any free port); its URL."""
        stack = AsyncExitStack()
        try:
            await self._start(stack, host, port)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self.url

    async def _start(self, stack: AsyncExitStack, host: str, port: int) -> None:
        _check_port_free(host, port)  # before starting anything else, so the message stands alone
        await self.fake.start()
        stack.push_async_callback(self.fake.stop)
        crowdtwist = await crowdtwist_for(self.settings, stack)
        secret = new_signing_secret()
        bot_settings = self.settings.model_copy(
            update={
                "slack_bot_token": SecretStr(f"xoxb-playground-{secrets.token_hex(8)}"),
                "slack_signing_secret": SecretStr(secret),
                "slack_api_url": self.fake.api_url,
            }
        )
        services = Services.from_settings(bot_settings, crowdtwist)
        bot_runner = web.AppRunner(
            build_web_app(build_app(services), services), access_log=None, shutdown_timeout=2.0
        )
        await bot_runner.setup()
        stack.push_async_callback(bot_runner.cleanup)
        await web.TCPSite(bot_runner, "127.0.0.1", 0).start()
        self.bot_url = f"http://127.0.0.1:{bot_runner.addresses[0][1]}"

        self.workspace.info = page_info(self.settings)
        self._bridge = Bridge(
            self.workspace, self.fake, events_url=self.bot_url + EVENTS_PATH, signing_secret=secret
        )
        stack.push_async_callback(self._bridge.aclose)

        app = page_app(self.workspace, self._bridge)
        if self.settings.uses_sandbox and crowdtwist.main_url:
            app[IMAGE_ORIGINS].add(crowdtwist.main_url)  # the receipt images it draws
        page_runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await page_runner.setup()
        stack.push_async_callback(page_runner.cleanup)
        stack.callback(self.workspace.close_subscribers)  # runs first: ends event streams
        try:
            await web.TCPSite(page_runner, host, port).start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(port) from None
            raise
        bound = page_runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        app[ALLOWED_HOSTS].update({f"{name}:{bound}" for name in {*LOCAL_HOSTS, shown_host}})
        self.url = f"http://{shown_host}:{bound}"
        log.info(
            "playground: page %s, bot %s, fake Slack %s", self.url, self.bot_url, self.fake.base_url
        )

    async def stop(self) -> None:
        """Stop everything started (safe to call twice)."""
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
        self._bridge = None

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def data_label(self) -> str:
        """Which member data the page shows, for the start-up line."""
        if self.settings.uses_sandbox:
            return "sandbox data"
        return f"live CrowdTwist at {self.settings.crowdtwist_origin}"


async def _serve(settings: Settings) -> None:
    playground = Playground(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = await playground.start("127.0.0.1", settings.port)
    print(f"Playground: {url}  ({playground.data_label}; Ctrl-C to stop)", flush=True)
    try:
        await stop.wait()
    finally:
        print("Playground: stopping", flush=True)
        await playground.stop()


def run_playground(settings: Settings) -> None:
    """Serve the playground on ``127.0.0.1:PORT`` until Ctrl-C or SIGTERM."""
    try:
        eventloop.run(_serve(settings), settings.event_loop)
    except PortInUseError as exc:
        suggestion = exc.port + 1 if exc.port < 65535 else 3001
        print(
            f"purchases: port {exc.port} is already in use; "
            f"start the playground on another one: PORT={suggestion} python -m bot",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
