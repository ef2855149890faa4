"""Fault injection for the sandbox: slow answers, canned failures and dropped connections.

Tests and the playground use it to show how the bot copes when CrowdTwist misbehaves, without
touching the sandbox's data. Faults are queued and consumed one per request, in arrival order.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar


@dataclass(frozen=True)
class CannedAnswer:
    """An answer sent instead of the real one."""

    status: int
    body: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without answering."""


@dataclass(frozen=True)
class StreamedBody:
    """A 200 whose JSON body is streamed: ``size`` bytes (None: it never ends).

    A broken proxy or a runaway upstream, for the client's size limit and deadline.
    ``declare_length`` sends ``Content-Length`` (otherwise the body is chunked); a pause of
    ``chunk_interval_seconds`` follows each chunk.
    """

    size: int | None
    declare_length: bool = False
    chunk_interval_seconds: float = 0.0
    chunk_size: int = 64 * 1024


Fault = CannedAnswer | Disconnect | StreamedBody
_T = TypeVar("_T")


class Faults:
    """Runtime fault injection, shared by the server; thread-safe enough for asyncio use.

    ``latency_seconds`` delays every answer. :meth:`inject` and :meth:`inject_disconnect` queue
    replacements for the next requests (first queued, first used); :meth:`inject_delay` queues
    extra delays, independently, so one request may be both delayed and replaced.
    """

    def __init__(self, latency_seconds: float = 0.0) -> None:
        self.latency_seconds = latency_seconds
        self._lock = threading.Lock()
        self._answers: deque[Fault] = deque()
        self._delays: deque[float] = deque()

    def inject(
        self,
        status: int,
        body: str | bytes = b"",
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests (any endpoint) with this instead of the real one."""
        data = body.encode() if isinstance(body, str) else body
        answer = CannedAnswer(status, data, content_type, dict(headers or {}))
        self._queue(self._answers, answer, times)

    def inject_delay(self, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` requests by ``seconds`` more than the latency."""
        self._queue(self._delays, seconds, times)

    def inject_disconnect(self, times: int = 1) -> None:
        """Drop the connection of the next ``times`` requests without answering."""
        self._queue(self._answers, Disconnect(), times)

    def inject_huge_body(self, size: int, *, declare_length: bool = False, times: int = 1) -> None:
        """Answer the next ``times`` requests with a 200 of ``size`` bytes, streamed."""
        if size < 1:
            raise ValueError("size must be at least 1")
        self._queue(self._answers, StreamedBody(size, declare_length), times)

    def inject_endless_body(self, *, chunk_interval_seconds: float = 0.0, times: int = 1) -> None:
        """Answer the next ``times`` requests with a 200 whose body never ends."""
        self._queue(self._answers, StreamedBody(None, False, chunk_interval_seconds), times)

    def clear(self) -> None:
        """Forget every queued fault (the latency stays)."""
        with self._lock:
            self._answers.clear()
            self._delays.clear()

    def take(self) -> tuple[float, Fault | None]:
        """For one request: its extra delay and its replacement answer, if any are queued."""
        with self._lock:
            delay = self._delays.popleft() if self._delays else 0.0
            answer = self._answers.popleft() if self._answers else None
        return delay, answer

    def _queue(self, queue: deque[_T], fault: _T, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            queue.extend([fault] * times)
