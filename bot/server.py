"""HTTP mode: ``POST /slack/events`` into the Bolt app, ``GET /healthz`` and ``GET /metrics``,
on aiohttp (Socket Mode serves the last two alone: :func:`build_operations_app`).

aiohttp's server is production-grade (it is not Bolt's development server): keep-alive,
a body-size limit, graceful shutdown. On SIGTERM it stops accepting, then waits for every
acknowledged answer to be delivered (``SHUTDOWN_GRACE_SECONDS``) before closing pools.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_sdk.signature import SignatureVerifier

from bot.ops.metrics import CONTENT_TYPE
from bot.services import Services

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger.
SSL_CHECK_MAX_BYTES = 4096
"""Slack's certificate check is ``ssl_check=1&token=…``: unsigned bodies are read up to this."""
BODY_SECONDS = 10.0
"""The body must arrive within this long of the headers (Slack sends a few KB at once)."""

BOLT_APP = web.AppKey("bolt_app", AsyncApp)
SERVICES = web.AppKey("services", Services)
STARTED = web.AppKey("started", float)


# A client that hangs up (or garbles the body) mid-request: nobody is left to answer.
_BODY_CUT_SHORT: tuple[type[BaseException], ...] = (
    ConnectionError,  # aiohttp's ClientConnectionResetError and "Connection lost" among them
    ClientPayloadError,
    HttpProcessingError,
)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def parse_slack_body(text: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request body as the listeners read it.

    JSON bodies are decoded; a form with a ``payload`` field (interactivity) is that field's
    JSON; any other form (slash commands) is its fields. Bolt's own ``parse_body`` looks for
    the word "payload" anywhere in the raw form, so a command typed as
    ``/purchases payload@example.com`` would come out empty and go unanswered.
    Raises ``ValueError`` for a body that is none of these.
    """
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        data: Any = json.loads(text)
    else:
        fields = dict(parse_qsl(text, keep_blank_values=True))
        data = json.loads(fields["payload"]) if "payload" in fields else fields
    if not isinstance(data, dict):
        raise ValueError("a Slack request body is an object")
    return data


class SlackHttpRequest(AsyncBoltRequest):
    """Bolt's request with the body parsed by :func:`parse_slack_body`.

    ``raw_body`` stays the untouched text, so Bolt still verifies the signature on exactly
    the bytes Slack signed; only ``body`` (and the context Bolt derives from it) change.
    """

    def __init__(
        self,
        *,
        body: str,
        query: str | dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        # Bolt parses a *text* body itself (and builds the context from that parse); handed
        # the dict, it only builds the context, so the body is read once, by our parser.
        # Bolt accepts a dict body only in Socket Mode, so the mode is set back afterwards.
        normalised = build_normalized_headers(headers)
        parsed = parse_slack_body(body, extract_content_type(normalised))
        super().__init__(
            body=parsed, query=query, headers=normalised, context=context, mode="socket_mode"
        )
        self.raw_body = body
        self.mode = "http"

    def to_copyable(self) -> SlackHttpRequest:
        return SlackHttpRequest(
            body=self.raw_body,
            query=dict(self.query),
            headers=dict(self.headers),
            context=self.context.to_copyable(),
        )


def _signature_headers_well_formed(request: web.Request) -> bool:
    """Slack's two signature headers are present and shaped as Slack sends them.

    Anything else cannot be a signed request: it is refused before Bolt, which would
    otherwise fail on a non-numeric timestamp with a traceback.
    """
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    return bool(_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature))


def _signed(request: web.Request, body: bytes, services: Services) -> bool:
    secret = services.settings.slack_signing_secret
    if secret is None:
        return False
    verifier = SignatureVerifier(secret.get_secret_value())
    return verifier.is_valid_request(body, dict(request.headers))


class _SlowBody(Exception):
    """The body did not arrive within :data:`BODY_SECONDS` of the headers."""


async def _read_body(request: web.Request) -> bytes:
    """The whole body, within :data:`BODY_SECONDS` (else :class:`_SlowBody`)."""
    try:
        async with asyncio.timeout(BODY_SECONDS):
            return await request.read()
    except TimeoutError:
        raise _SlowBody from None


async def _slow_body_answer(request: web.Request) -> web.Response:
    """408, and the connection closed: a client that trickles its body gets no more time.

    Sent here and the connection closed at once: returned as usual, aiohttp would first
    linger, reading the rest of the trickle for up to 10 s more.
    """
    log.info("closed a connection whose body took over %ss", BODY_SECONDS)
    response = web.Response(status=408, text="request body too slow")
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response


def _is_ssl_check(body: bytes) -> bool:
    """Slack's certificate check: a form whose ``ssl_check`` field is ``1``."""
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("ssl_check") == "1"


async def _unsigned(request: web.Request) -> web.Response:
    """A request without Slack's signature: an empty 200 to Slack's certificate check (it
    is sent unsigned, expecting 200), 401 to anything else."""
    probe = (
        "X-Slack-Signature" not in request.headers
        and request.content_type == "application/x-www-form-urlencoded"
        and (request.content_length or 0) <= SSL_CHECK_MAX_BYTES
        and request.can_read_body
    )
    if probe:
        try:
            body = await _read_body(request)
        except _SlowBody:
            return await _slow_body_answer(request)
        except _BODY_CUT_SHORT:
            return web.Response(status=400, text="incomplete request body")
        if _is_ssl_check(body):
            log.info("answered Slack's certificate check (ssl_check)")
            return web.Response(status=200)
    log.debug("refused a request without well-formed signature headers")
    return web.Response(status=401, text="invalid signature")


async def slack_events(request: web.Request) -> web.Response:
    """Hand a Slack request to Bolt (which verifies the signature); malformed input is a 4xx."""
    bolt_app, services = request.app[BOLT_APP], request.app[SERVICES]
    if not _signature_headers_well_formed(request):
        return await _unsigned(request)
    try:
        body = await _read_body(request)
    except _SlowBody:
        return await _slow_body_answer(request)
    except _BODY_CUT_SHORT as exc:
        log.debug("client hung up mid-body: %s", type(exc).__name__)
        return web.Response(status=400, text="incomplete request body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return web.Response(status=400, text="body is not UTF-8")
    try:
        bolt_request = SlackHttpRequest(
            body=text, query=request.query_string, headers=dict(request.headers)
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        # Bolt could not even read the body; only a signed request earns "bad request".
        if not _signed(request, body, services):
            return web.Response(status=401, text="invalid signature")
        return web.Response(status=400, text="malformed request body")
    try:
        bolt_response = await bolt_app.async_dispatch(bolt_request)
    except Exception:
        log.exception("dispatch failed")
        if not _signed(request, body, services):
            return web.Response(status=401, text="invalid signature")
        return web.Response(status=400, text="could not handle the request")
    if bolt_response.status >= 500:
        # Bolt answers 500 for payloads it cannot route or parse; that is the sender's fault.
        log.warning("bolt answered %s; answering 400", bolt_response.status)
        return web.Response(status=400, text="could not handle the request")
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    """Liveness for load balancers: up, how long, and how many answers are in flight.

    With ``REDIS_URL``, also whether Redis is reachable; still "ok" when it is not: the
    replica answers on its own meanwhile.
    """
    services = request.app[SERVICES]
    body: dict[str, object] = {
        "status": "ok",
        "uptime_seconds": round(time.monotonic() - request.app[STARTED], 1),
        "in_flight": services.inflight.count,
    }
    if services.shared is not None:
        body["redis"] = "up" if services.shared.available else "down"
    problem = services.unhealthy() if services.unhealthy is not None else None
    if problem is not None:
        body["status"], body["problem"] = "unhealthy", problem
        return web.json_response(body, status=503, dumps=json.dumps)
    return web.json_response(body, dumps=json.dumps)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus's text format; with ``METRICS_TOKEN`` only for ``Bearer <token>``."""
    services = request.app[SERVICES]
    if services.metrics is None:
        raise web.HTTPNotFound()
    token = services.settings.metrics_token
    if token is not None:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(
                status=401,
                text="metrics need a bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
    body = await services.metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def add_operations_routes(app: web.Application, services: Services) -> None:
    """``GET /healthz`` and, unless ``METRICS_ENABLED=false``, ``GET /metrics``."""
    app[SERVICES] = services
    app[STARTED] = time.monotonic()
    app.router.add_get(HEALTH_PATH, healthz)
    if services.metrics is not None:
        app.router.add_get(METRICS_PATH, metrics)


def build_operations_app(services: Services) -> web.Application:
    """Socket Mode's server on ``PORT``: health and metrics only (Slack is on the socket)."""
    app = web.Application(client_max_size=64 * 1024)
    add_operations_routes(app, services)
    return app


def build_web_app(bolt_app: AsyncApp, services: Services) -> web.Application:
    """The aiohttp application for HTTP mode (also mounted by the playground and tests)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[BOLT_APP] = bolt_app
    app.router.add_post(EVENTS_PATH, slack_events)
    add_operations_routes(app, services)

    async def drain(_: web.Application) -> None:
        grace = services.settings.shutdown_grace_seconds
        pending = services.inflight.count
        if pending:
            log.info("shutting down: waiting up to %ss for %s answer(s)", grace, pending)
        if not await services.inflight.drain(grace):
            log.warning("shutting down with %s answer(s) undelivered", services.inflight.count)

    async def close(_: web.Application) -> None:
        await services.aclose()

    app.on_shutdown.append(drain)
    app.on_cleanup.append(close)
    return app
