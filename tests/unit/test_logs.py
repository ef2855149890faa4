"""The log handler: JSON lines, with personal data and secrets masked, tracebacks included."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, RedactingFilter


def emit(record_logger: logging.Logger, secrets: list[str]) -> list[dict[str, str]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(JsonFormatter())
    record_logger.addHandler(handler)
    try:
        record_logger.warning("lookup for %s with key %s", "jane@example.com", "ct-key-123456")
        try:
            raise ValueError("member +1 555 010 0040 and jane@example.com")
        except ValueError:
            record_logger.exception("listener failed")
    finally:
        record_logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_messages_and_tracebacks_are_masked() -> None:
    lines = emit(logging.getLogger("test.logs"), ["ct-key-123456"])
    text = json.dumps(lines)
    assert "jane@example.com" not in text
    assert "555 010 0040" not in text
    assert "ct-key-123456" not in text
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["message"] == "lookup for [email] with key [secret]"
    assert "ValueError" in lines[1]["traceback"]
    assert "[number]" in lines[1]["traceback"]
