"""Starting the bot in each mode: HTTP (production), Socket Mode (development), and the
pieces the playground shares with them."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from contextlib import AsyncExitStack

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot import eventloop
from bot.app import build_app
from bot.config import SANDBOX_API_KEY, Settings
from bot.crowdtwist.client import CrowdTwistClient
from bot.ops.slow_clients import GuardedSite
from bot.ops.socket_watch import SocketWatch, WatchTimes
from bot.sandbox import SandboxServer
from bot.server import build_operations_app, build_web_app
from bot.services import Services, crowdtwist_client
from bot.shared_state import SharedState

log = logging.getLogger(__name__)


async def crowdtwist_for(
    settings: Settings, stack: AsyncExitStack, shared: SharedState | None = None
) -> CrowdTwistClient:
    """The CrowdTwist client the settings ask for; starts the built-in sandbox if they do."""
    if settings.uses_sandbox:
        sandbox = await stack.enter_async_context(SandboxServer(api_key=SANDBOX_API_KEY))
        log.info("CrowdTwist: the built-in sandbox at %s", sandbox.base_url)
        sandboxed = settings.model_copy(update={"crowdtwist_api_key": SecretStr(SANDBOX_API_KEY)})
        # The sandbox answers as both hosts: the POS host and the main host (User Points).
        return crowdtwist_client(
            sandboxed, base_url=sandbox.base_url, main_url=sandbox.base_url, shared=shared
        )
    log.info("CrowdTwist: %s", settings.crowdtwist_origin)
    return crowdtwist_client(settings, shared=shared)


async def services_for(settings: Settings, stack: AsyncExitStack) -> Services:
    """Redis (with ``REDIS_URL``), the CrowdTwist client and the services around them.

    ``Services.aclose`` closes the client and then Redis; ``stack`` owns the sandbox.
    """
    shared = SharedState.from_settings(settings)
    if shared is not None:
        await shared.start()
    crowdtwist = await crowdtwist_for(settings, stack, shared)
    return Services.from_settings(settings, crowdtwist, shared)


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    Modules, settings and the app live as long as the process; without this, every full
    collection walks them again, a pause that lands on whichever answer is in flight.
    """
    gc.collect()
    gc.freeze()


def run_http(settings: Settings) -> None:
    """Serve ``POST /slack/events`` and ``GET /healthz`` on ``PORT`` until SIGTERM/SIGINT.

    What ``web.run_app`` does, on a :class:`GuardedSite` (slow clients' headers bounded).
    """

    async def serve() -> None:
        stack = AsyncExitStack()
        services = await services_for(settings, stack)
        app = build_web_app(build_app(services), services)

        async def close_stack(_: web.Application) -> None:
            await stack.aclose()

        app.on_cleanup.append(close_stack)
        runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=settings.shutdown_grace_seconds,
            handle_signals=True,
        )
        await runner.setup()
        try:
            await GuardedSite(runner, settings.host, settings.port).start()
            settle_heap()
            log.info("HTTP mode: listening on %s:%s", settings.host, settings.port)
            await asyncio.Event().wait()  # until SIGTERM/SIGINT raise GracefulExit
        finally:
            await runner.cleanup()

    loop = eventloop.new_event_loop(settings.event_loop)
    main = loop.create_task(serve())
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not main.done():
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main)
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def serve_socket_mode(
    settings: Settings, stop: asyncio.Event, times: WatchTimes | None = None
) -> None:
    """Connect over Socket Mode and serve until ``stop`` is set; then drain and disconnect.

    ``/healthz`` and ``/metrics`` are served on ``PORT`` meanwhile, and a watchdog
    (:mod:`bot.ops.socket_watch`, its clock ``times``) replaces a connection gone silent.
    """
    assert settings.slack_app_token is not None
    async with AsyncExitStack() as stack:
        services = await services_for(settings, stack)
        stack.push_async_callback(services.aclose)
        app = build_app(services)
        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        probe = services.slack.auth_test if services.slack is not None else None
        watch = SocketWatch(handler.client, probe, times)
        services.unhealthy = watch.problem
        if services.metrics is not None:
            services.metrics.watch_flag(
                "slack_socket_mode_connected",
                "1 while the Socket Mode connection is alive, else 0",
                lambda: watch.connected,
            )
        runner = web.AppRunner(build_operations_app(services), access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await GuardedSite(runner, settings.host, settings.port).start()  # slow clients bounded too
        log.info("Socket Mode: /healthz and /metrics on %s:%s", settings.host, settings.port)
        settle_heap()
        await handler.connect_async()  # type: ignore[no-untyped-call]
        watching = asyncio.create_task(watch.run(), name="socket-watch")
        log.info("Socket Mode: connected; Ctrl-C to stop")
        await stop.wait()
        log.info("Socket Mode: stopping; waiting for answers in flight")
        watching.cancel()
        await watch.stop()
        await services.inflight.drain(settings.shutdown_grace_seconds)
        await handler.close_async()  # type: ignore[no-untyped-call]


def run_socket(settings: Settings) -> None:
    """Connect to Slack over Socket Mode until SIGTERM/SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve_socket_mode(settings, stop)

    eventloop.run(main(), settings.event_loop)
