"""The Workflow Builder step: ``function_executed`` in, ``functions.completeSuccess`` or
``functions.completeError`` out, sent with the token that came in the event.

Bolt acknowledges the event before the listener runs, so a slow CrowdTwist never delays the
ack; the whole history is then gathered as the CSV export gathers it (every page, a few at a
time, up to the export's page cap) and totalled in :mod:`bot.workflow_step`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.errors import SlackApiError

from bot.answers.lookup import (
    drop_summary,
    gather_range,
    log_failure,
    start_summary,
    summary_within,
)
from bot.audit import Actor
from bot.crowdtwist.errors import CrowdTwistError
from bot.query import PurchaseQuery
from bot.services import Services
from bot.workflow_step import (
    AUDIT_ENTRY,
    STEP_CALLBACK_ID,
    UNEXPECTED_FAILURE,
    InvalidInput,
    failure_text,
    read_inputs,
    step_actor,
    step_outputs,
)

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    """Attach the step's listener (Bolt acks ``function_executed`` before it runs)."""

    @app.function(STEP_CALLBACK_ID)
    @services.inflight.tracked
    async def lookup_purchase_history(
        body: dict[str, Any], inputs: dict[str, Any], complete: AsyncComplete, fail: AsyncFail
    ) -> None:
        await run_step(services, body, inputs or {}, complete, fail)


async def run_step(
    services: Services,
    body: dict[str, Any],
    inputs: dict[str, Any],
    complete: AsyncComplete,
    fail: AsyncFail,
) -> None:
    """Read the inputs, gather the whole range, complete the step once, audit the run."""
    actor = step_actor(body, inputs)
    read = read_inputs(inputs)
    if isinstance(read, InvalidInput):
        await _finish(fail(read.text))
        await _audit(services, actor, "invalid_input", None)
        return
    query = read
    started = time.perf_counter()
    settings = services.settings
    summary = start_summary(services, query)  # beside the pages, for points_total/redeemable
    try:
        history = (await gather_range(services, query)).or_raise()
    except CrowdTwistError as error:
        drop_summary(summary)
        log_failure(services, error, query)
        await _finish(fail(failure_text(error, query)))
        await _audit(services, actor, error.kind.value, query, started=started)
        return
    except Exception:
        drop_summary(summary)
        log.exception("workflow step failed unexpectedly")
        await _finish(fail(UNEXPECTED_FAILURE))
        await _audit(services, actor, "internal_error", query, started=started)
        return
    points = await summary_within(summary)
    outputs = step_outputs(
        query,
        history,
        cap_pages=settings.export_max_pages,
        points=points.points if points is not None else None,
    )
    await _finish(complete(outputs))
    await _audit(
        services,
        actor,
        "ok",
        query,
        started=started,
        results=len(history.purchases),
        total=history.total,
        capped=history.capped,
    )


async def _finish(completion: Awaitable[object]) -> None:
    """Send the step's completion; a refusal from Slack is logged, the audit line still written."""
    try:
        await completion
    except (SlackApiError, OSError) as exc:
        code = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("could not complete the workflow step: %s", code)


async def _audit(
    services: Services,
    actor: Actor,
    outcome: str,
    query: PurchaseQuery | None,
    *,
    started: float | None = None,
    results: int | None = None,
    total: int | None = None,
    **extra: Any,
) -> None:
    """The run's one audit line (the member hashed, as everywhere)."""
    latency_ms = round((time.perf_counter() - started) * 1000) if started is not None else None
    await services.audit.record(
        services.audit.event(
            AUDIT_ENTRY,
            outcome,
            actor,
            query=query,
            results=results,
            total=total,
            latency_ms=latency_ms,
            **extra,
        ),
        services.slack,
    )
