"""The playground's Workflow Builder step runner: inputs in, the step's outputs or error out.

Runs the step as Slack's Workflow Builder would: a signed ``function_executed`` event with a
fresh short-lived token goes to the bot, and the page is shown what the bot completed the
step with (``functions.completeSuccess`` outputs or the ``functions.completeError`` error),
and whether that came with the event's token, as Slack requires.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.fake_slack import SlackCall, payloads
from bot.playground.bridge import Bridge
from bot.playground.state import CHANNEL_ID, USER_ID
from bot.workflow_step import CHANNEL_INPUT, REQUESTED_BY_INPUT, STEP_CALLBACK_ID

STEP_INPUTS = ("member", "id_type", "start_date", "end_date")
"""The inputs the page's form sends (the playground fills in who ran it and where)."""
STEP_TIMEOUT_SECONDS = 60.0
"""How long the page waits for the step to complete (a whole history is many pages)."""
SUCCESS, FAILURE = "functions.completeSuccess", "functions.completeError"


def step_inputs(body: dict[str, Any]) -> dict[str, Any]:
    """The page's form as the step's inputs: empty fields left out, as Workflow Builder does."""
    inputs: dict[str, Any] = {}
    for name in STEP_INPUTS:
        value = body.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise web.HTTPBadRequest(text=f"{name}: expected text")
        inputs[name] = value
    inputs[REQUESTED_BY_INPUT] = USER_ID
    inputs[CHANNEL_INPUT] = CHANNEL_ID
    return inputs


def _outcome(call: SlackCall, token: str) -> dict[str, Any]:
    """What the page shows: outputs or error, and whether the right token was used."""
    shown: dict[str, Any] = {"token_ok": call.token == token, "method": call.method}
    if call.method == SUCCESS:
        outputs = call.message.get("outputs")
        if isinstance(outputs, str):  # slack_sdk sends them as a JSON string
            outputs = json.loads(outputs)
        return shown | {"ok": True, "outputs": outputs if isinstance(outputs, dict) else {}}
    return shown | {"ok": False, "error": str(call.args.get("error") or "")}


async def run_step(bridge: Bridge, body: dict[str, Any]) -> dict[str, Any]:
    """Send one step run to the bot and wait for its completion."""
    inputs = step_inputs(body)
    token = payloads.new_function_token()
    event = payloads.function_executed(
        callback_id=STEP_CALLBACK_ID, inputs=inputs, bot_access_token=token
    )
    execution_id = event["event"]["function_execution_id"]
    answer = await bridge.send(payloads.json_body(event), content_type=payloads.JSON_CONTENT_TYPE)
    if not answer.ok:
        return {"ok": False, "error": f"The app did not acknowledge the event: {answer.describe()}"}
    try:
        (call,) = await bridge.fake.wait_for(
            lambda c: (
                c.method in (SUCCESS, FAILURE)
                and c.args.get("function_execution_id") == execution_id
            ),
            timeout=STEP_TIMEOUT_SECONDS,
        )
    except TimeoutError:
        return {"ok": False, "error": "The step did not complete within a minute."}
    return _outcome(call, token) | {"inputs": inputs}
