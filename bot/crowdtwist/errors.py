"""One exception family for every way a CrowdTwist call can fail.

CrowdTwist answers errors in three envelopes (``docs/crowdtwist-api.md`` shows them and what
the bot does with each); proxies add HTML pages and empty bodies; networks add timeouts and
refused connections. All of them become a :class:`CrowdTwistError` whose
:attr:`~CrowdTwistError.kind` a caller branches on and whose ``str()`` a person can read.
Nothing here ever holds the API key.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from typing import Any

from bot.redact import redact_text
from bot.text import clip


class ErrorKind(StrEnum):
    """What went wrong, from the point of view of the person asking."""

    NOT_FOUND = "not_found"
    INVALID_INPUT = "invalid_input"
    UNAUTHORIZED = "unauthorized"
    NOT_CONFIGURED = "not_configured"
    UNAVAILABLE = "unavailable"
    BAD_RESPONSE = "bad_response"
    BUSY = "busy"
    """The bot's own CrowdTwist request budget is spent for this minute (no call was made)."""

    @property
    def retryable(self) -> bool:
        """True for failures that may pass on a later try."""
        return self in (ErrorKind.UNAVAILABLE, ErrorKind.BAD_RESPONSE, ErrorKind.BUSY)


class CrowdTwistError(Exception):
    """A failed CrowdTwist call.

    ``str(error)`` is safe to show a person; :attr:`detail` is for the operator's log (status,
    reason and upstream message, never the key nor the request URL's member id).
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        reason: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        upstream: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.reason = reason
        self.detail = detail or message
        self.retry_after = retry_after
        self.upstream = upstream
        """CrowdTwist's own sentence where ``message`` ends with it (cards show it inert)."""

    def __repr__(self) -> str:
        return (
            f"CrowdTwistError(kind={self.kind.value!r}, status={self.status!r}, "
            f"reason={self.reason!r})"
        )


_NOT_FOUND_REASONS = {"not_found", "user_not_found", "page_not_found", "purchase_not_found"}
_INVALID_REASONS = {"invalid_parameter", "invalid", "invalid_date", "invalid_id_type"}
_UNAUTHORIZED_REASONS = {"unauthorized", "forbidden", "invalid_api_key", "access_denied"}
_MAX_DETAIL = 300
_MAX_SHOWN = 160
_REASON_CODE = re.compile(r"[a-z0-9_.-]{1,40}")
_INVALID_PHRASES = {
    "invalid_date": "CrowdTwist did not accept the dates",
    "invalid_id_type": "CrowdTwist did not accept the id type",
}


def _for_log(text: str) -> str:
    """Upstream text for the operator's log: one short line, personal data masked."""
    return clip(redact_text(" ".join(text.split())), _MAX_DETAIL)


def _for_people(upstream: str | None) -> str | None:
    """An upstream message fit to show an agent: one short line, personal data masked."""
    if not upstream:
        return None
    text = redact_text(" ".join(upstream.split()))
    return text if 0 < len(text) <= _MAX_SHOWN else None


def parse_error_envelope(body: Any) -> tuple[str | None, str | None]:
    """(reason, message) from any of the three documented envelopes, or (None, None).

    1. ``{"error": {"code": 404, "message": "...", "errors": [{"reason": "...", "message": ...}]}}``
    2. ``{"error": "internal_error", "message": "..."}``
    3. ``{"system": "pos", "reason": "...", "description": "...", "message": "..."}``
    """
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):
        reason: str | None = None
        message = error.get("message")
        errors = error.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            reason = first.get("reason") if isinstance(first.get("reason"), str) else None
            if isinstance(first.get("message"), str):
                message = first["message"]
        return reason, message if isinstance(message, str) else None
    if isinstance(error, str):
        message = body.get("message")
        return error, message if isinstance(message, str) else None
    if "reason" in body or "system" in body:
        reason = body.get("reason")
        message = body.get("description") or body.get("message")
        return (
            reason if isinstance(reason, str) else None,
            message if isinstance(message, str) else None,
        )
    return None, None


def error_from_response(
    status: int, content: bytes, *, retry_after: float | None = None, what: str = "request"
) -> CrowdTwistError:
    """Map an unsuccessful HTTP answer to the error a caller can act on (pure)."""
    reason: str | None = None
    upstream: str | None = None
    parsed = True
    try:
        body = json.loads(content) if content.strip() else None
    except (ValueError, UnicodeDecodeError, RecursionError):  # Recursion: absurdly deep JSON
        body, parsed = None, False
    reason, upstream = parse_error_envelope(body)
    reason = reason.lower() if reason else None
    detail = f"HTTP {status}" + (f" reason={reason}" if reason else "")
    if upstream:
        detail += f" message={_for_log(upstream)!r}"
    elif not parsed:
        detail += " (body is not JSON)"

    def make(kind: ErrorKind, message: str, shown: str | None = None) -> CrowdTwistError:
        return CrowdTwistError(
            kind,
            message,
            status=status,
            reason=reason,
            detail=detail,
            retry_after=retry_after,
            upstream=shown,
        )

    if status in (401, 403) or reason in _UNAUTHORIZED_REASONS:
        return make(
            ErrorKind.UNAUTHORIZED,
            "The bot's CrowdTwist API key was refused. Please ask a Slack admin to check it.",
        )
    if reason == "not_configured":
        return make(
            ErrorKind.NOT_CONFIGURED,
            "Purchase history is not set up for this loyalty program. Please ask an admin.",
        )
    if status == 404 or reason in _NOT_FOUND_REASONS:
        return make(ErrorKind.NOT_FOUND, f"CrowdTwist found no such {what}.")
    if status == 429 or status >= 500:
        return make(
            ErrorKind.UNAVAILABLE,
            "CrowdTwist is not answering right now. Please try again in a minute.",
        )
    if 400 <= status < 500:
        # What the agent can act on: CrowdTwist's own sentence when it is one short line
        # (masked like a log line: it may echo the member), else a phrase for the reason.
        # Anything longer (a stack trace, an HTML page) stays in ``detail``, for the operator.
        text = f"CrowdTwist could not use that {what}"
        shown = _for_people(upstream)
        if shown:
            return make(ErrorKind.INVALID_INPUT, f"{text}: {shown}", shown)
        elif reason in _INVALID_PHRASES:
            text = f"{text}: {_INVALID_PHRASES[reason]}."
        elif reason and _REASON_CODE.fullmatch(reason) and reason not in _INVALID_REASONS:
            text = f"{text} (reason: {reason})."
        else:
            text += "."
        return make(ErrorKind.INVALID_INPUT, text)
    return make(ErrorKind.BAD_RESPONSE, "CrowdTwist sent an answer the bot could not read.")


def unavailable(detail: str) -> CrowdTwistError:
    """A network-level failure: refused connection, timeout, broken transfer."""
    return CrowdTwistError(
        ErrorKind.UNAVAILABLE,
        "CrowdTwist is not answering right now. Please try again in a minute.",
        detail=detail,
    )


def bad_response(detail: str) -> CrowdTwistError:
    """A 2xx answer whose body is not what the API documents."""
    return CrowdTwistError(
        ErrorKind.BAD_RESPONSE,
        "CrowdTwist sent an answer the bot could not read. Please try again later.",
        detail=detail,
    )


def busy(seconds: float, budget: str) -> CrowdTwistError:
    """The request budget is spent: try again in ``seconds`` (rounded up, at least 1)."""
    wait = max(1, math.ceil(seconds))
    return CrowdTwistError(
        ErrorKind.BUSY,
        f"CrowdTwist is busy: please try again in {wait} s.",
        detail=f"request budget of {budget} spent; next slot in {wait} s (no call made)",
        retry_after=float(wait),
    )
