"""The Bolt app: built from settings and services, with every listener and the access check.

No app exists at import time; :func:`build_app` makes one, so tests and the playground can
build as many as they like, each pointed at their own fake Slack and CrowdTwist.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cards, listeners
from bot.listeners.context import FormOrigin, actor_of, malformed
from bot.ops.metrics import request_started
from bot.replay import request_key
from bot.replies import answer_privately, retry_handlers
from bot.services import SLACK_TIMEOUT, Services
from bot.slack_ids import (
    CHOOSE_MEMBER_ACTION_PREFIX,
    DETAILS_ACTION_PREFIX,
    EXPORT_ACTION,
    FORM_MEMBER_BLOCK,
    HOME_EVENT,
    HOME_LOOKUP_ACTION_PREFIX,
    NEXT_PAGE_ACTION,
    OPEN_FORM_ACTION,
    POINTS_ACTION,
    PREV_PAGE_ACTION,
    RECEIPT_VIEW_ACTION_PREFIX,
    RECEIPTS_ACTION,
    RECEIPTS_NEXT_PAGE_ACTION,
    RECEIPTS_PREV_PAGE_ACTION,
    SHARE_ACTION,
)
from bot.workflow_step import AUDIT_ENTRY, is_step_run, step_actor, step_denied_text

log = logging.getLogger(__name__)


def build_web_client(services: Services) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_URL`` honoured, Slack's 429/5xx retried (bounded), on
    the process's one Slack session (call it inside the running loop)."""
    token = services.settings.slack_bot_token
    return AsyncWebClient(
        token=token.get_secret_value() if token else None,
        base_url=services.settings.slack_api_url,
        retry_handlers=retry_handlers() + services.slack_observers(),
        timeout=SLACK_TIMEOUT,
        session=services.slack_session(),
    )


def once_authorization(client: AsyncWebClient) -> Callable[[], Awaitable[AuthorizeResult]]:
    """Bolt's ``authorize``: one ``auth.test`` for the whole process, however many requests
    arrive together at start-up (Bolt's own single-workspace check calls it once per request
    until the first answer is back)."""
    lock = asyncio.Lock()
    results: list[AuthorizeResult] = []

    async def authorize() -> AuthorizeResult:
        async with lock:
            if not results:
                response = await client.auth_test()
                results.append(
                    AuthorizeResult.from_auth_test_response(
                        auth_test_response=response, bot_token=client.token
                    )
                )
        return results[0]

    return authorize


def _not_the_token_warning(record: logging.LogRecord) -> bool:
    """Drop Bolt's start-up warning that SLACK_BOT_TOKEN goes unused: ``authorize`` uses it."""
    return "`token` will be unused" not in record.getMessage()


def build_app(services: Services) -> AsyncApp:
    """A Bolt app wired to ``services``; requests are verified with the signing secret."""
    settings = services.settings
    client = build_web_client(services)
    services.slack = client
    secret = settings.slack_signing_secret
    # Bolt takes the token from ``authorize``; its own client must not carry one as well.
    # Both share the process's one Slack session; Bolt copies it into every per-request client.
    tokenless = AsyncWebClient(
        base_url=client.base_url,
        retry_handlers=client.retry_handlers,
        timeout=client.timeout,
        session=client.session,
    )
    bolt_logger = logging.getLogger("slack_bolt.app")
    bolt_logger.addFilter(_not_the_token_warning)
    app = AsyncApp(
        client=tokenless,
        authorize=once_authorization(client),
        signing_secret=secret.get_secret_value() if secret else "",
        process_before_response=True,  # answered at the ack: bot/inflight.py
        raise_error_for_unhandled_request=False,
        logger=bolt_logger,
    )

    app.use(Guards(services))  # after Bolt's signature check, before anything else

    @app.error
    async def on_error(error: Exception) -> None:
        # The log handler masks personal data and secrets in the traceback too.
        log.error("unhandled error in a listener: %s", type(error).__name__, exc_info=error)

    listeners.register(app, services)
    return app


class Guards(AsyncMiddleware):
    """The replay guard, then the access check (:func:`enforce_access`), as one middleware.

    A class rather than ``@app.middleware`` functions: Bolt calls a class's
    ``async_process`` directly, where it builds a keyword-argument set for each function
    middleware on every request (``build_async_required_kwargs``, 3 % of the CPU per lookup
    in the profile for the two guards).
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        services, body = self._services, req.body
        request_started.set(time.perf_counter())  # the answer's clock (purchases_answer_seconds)
        wrong = malformed(body)
        if wrong is not None:
            # Signed, so Slack's or a tamperer's: answered once, quietly, doing nothing.
            log.info("ignored a malformed payload: type=%s: %s", body.get("type"), wrong)
            return BoltResponse(status=200, body="")
        key = request_key(body)
        if key is not None and not await services.replays.first_time(key):
            # A replay (the same trigger or event seen before) is answered with an empty 200.
            kind = body.get("type") or body.get("command")
            log.info("dropped a replayed request: type=%s", kind)
            return BoltResponse(status=200, body="")
        return await enforce_access(services, body, req.context, next)


def _is_home_opened(body: dict[str, Any]) -> bool:
    """``app_home_opened`` is no lookup: its listener publishes the refused Home itself."""
    event = body.get("event")
    return (
        body.get("type") == "event_callback"
        and isinstance(event, dict)
        and event.get("type") == HOME_EVENT
    )


def _channel_of(body: dict[str, Any], context: AsyncBoltContext) -> str | None:
    if body.get("type") == "view_submission":
        view = body.get("view") or {}
        return FormOrigin.decode(view.get("private_metadata")).channel_id
    return context.channel_id


# A refused click is audited under the entry its button belongs to (the longest prefix wins).
_ENTRY_OF_ACTION = (
    (NEXT_PAGE_ACTION, "next_page"),
    (PREV_PAGE_ACTION, "prev_page"),
    (DETAILS_ACTION_PREFIX, "details"),
    (EXPORT_ACTION, "export"),
    (SHARE_ACTION, "share"),
    (CHOOSE_MEMBER_ACTION_PREFIX, "choose"),
    (HOME_LOOKUP_ACTION_PREFIX, "home"),
    (OPEN_FORM_ACTION, "form"),
    (POINTS_ACTION, "points"),
    (RECEIPT_VIEW_ACTION_PREFIX, "receipt_view"),
    (RECEIPTS_NEXT_PAGE_ACTION, "receipts_next_page"),
    (RECEIPTS_PREV_PAGE_ACTION, "receipts_prev_page"),
    (RECEIPTS_ACTION, "receipts_button"),
)


def refused_entry(body: dict[str, Any]) -> str:
    """The audit entry of a refused request: as its listener would have named it, where the
    payload says which (a command, the shortcut, the form, a known button); else its type."""
    if body.get("command"):
        return "command"
    kind = str(body.get("type") or "unknown")
    if kind == "message_action":
        return "shortcut"
    if kind == "view_submission":
        return "form"
    actions = body.get("actions")
    if kind == "block_actions" and isinstance(actions, list) and actions:
        first = actions[0]
        action_id = str(first.get("action_id", "")) if isinstance(first, dict) else ""
        for prefix, entry in _ENTRY_OF_ACTION:
            if action_id.startswith(prefix):
                return entry
    return kind


async def enforce_access(
    services: Services,
    body: dict[str, Any],
    context: AsyncBoltContext,
    next: Callable[[], Awaitable[object]],
) -> BoltResponse | None:
    """Let allowed people through; answer everyone else privately, and never call CrowdTwist.

    A middleware that stops the chain answers Slack by returning the response itself.
    """
    if is_step_run(body):
        return await _enforce_on_step(services, body, context, next)
    user_id = context.user_id
    channel_id = _channel_of(body, context)
    if _is_home_opened(body) or services.access.allows(user_id, channel_id):
        await next()
        return None
    reason = services.access.why_denied(user_id, channel_id)
    message = cards.denied_message(reason=reason)
    kind = refused_entry(body)
    log.info("access denied: user=%s channel=%s entry=%s", user_id, channel_id, kind)
    await services.audit.record(
        services.audit.event(kind, "denied", actor_of(body, channel_id=channel_id)),
        services.slack,
    )
    if body.get("command"):
        return _json_response({"text": message["text"], "blocks": message.get("blocks", [])})
    if body.get("type") == "view_submission":
        return _json_response({"response_action": "errors", "errors": {FORM_MEMBER_BLOCK: reason}})
    url = body.get("response_url")
    await answer_privately(
        services,
        url if isinstance(url, str) else None,
        message,
        actor=actor_of(body, channel_id=channel_id),
    )
    return BoltResponse(status=200, body="")


async def _enforce_on_step(
    services: Services,
    body: dict[str, Any],
    context: AsyncBoltContext,
    next: Callable[[], Awaitable[object]],
) -> BoltResponse | None:
    """A step run: the person is the ``requested_by`` input and the channel the ``channel``
    input (SECURITY.md); a refused run completes with ``functions.completeError``."""
    event = body["event"]
    inputs = event.get("inputs") if isinstance(event.get("inputs"), dict) else {}
    actor = step_actor(body, inputs)
    if services.access.allows(actor.user_id, actor.channel_id):
        await next()
        return None
    reason = services.access.why_denied(actor.user_id, actor.channel_id)
    log.info(
        "access denied: user=%s channel=%s entry=%s", actor.user_id, actor.channel_id, AUDIT_ENTRY
    )
    await services.audit.record(services.audit.event(AUDIT_ENTRY, "denied", actor), services.slack)
    # Bolt has already put the event's own token on this client (AttachingFunctionToken).
    try:
        await context.fail(step_denied_text(reason, actor))
    except (SlackApiError, OSError) as exc:
        log.warning("could not fail the refused workflow step: %s", type(exc).__name__)
    return BoltResponse(status=200, body="")


def _json_response(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )
