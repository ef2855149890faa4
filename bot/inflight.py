"""Work still under way after Slack was acknowledged: run in the background, counted, so
the HTTP answer leaves at the ack and shutdown can wait for the rest.

Bolt runs with ``process_before_response=True`` (``bot/app.py``), which makes it await the
listener and answer Slack when the listener returns. :meth:`InFlight.tracked` turns that
into "answer at the ack": the listener runs as its own task and the wrapper Bolt awaits
returns as soon as the listener has called ``ack()`` (or has ended). Bolt's own way
(``process_before_response=False``) polls for the ack with ``asyncio.sleep(0.01)``, so
every ack waited at least 10 ms and cost a timer.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec

P = ParamSpec("P")

log = logging.getLogger(__name__)

ACK_TIMEOUT_SECONDS = 3.0
"""How long Bolt is kept waiting for a listener that has not acked (Slack's own limit)."""


class _SignallingAck:
    """Bolt's ``ack``, which also opens ``gate`` once it has been called."""

    def __init__(self, ack: Any, gate: asyncio.Future[None]) -> None:
        self._ack = ack
        self._gate = gate

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            answer = await self._ack(*args, **kwargs)
        except Exception as exc:  # Bolt refused the ack (its arguments): Bolt answers 500
            if not self._gate.done():
                self._gate.set_exception(exc)
            raise
        _open(self._gate)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ack, name)


class InFlight:
    """Counts answers in progress; :meth:`drain` waits until they are delivered."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def count(self) -> int:
        """How many answers are in progress now."""
        return self._count

    def _begin(self) -> None:
        self._count += 1
        self._idle.clear()

    def _end(self) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def drain(self, grace_seconds: float) -> bool:
        """Wait up to ``grace_seconds`` for every answer; True when none is left."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace_seconds)
        except TimeoutError:
            return False
        return True

    def tracked(
        self, listener: Callable[P, Awaitable[object]]
    ) -> Callable[P, Coroutine[Any, Any, None]]:
        """Decorate a listener: it runs in the background, counted from ack to last reply,
        and Bolt gets control back as soon as it has acked.

        A listener that takes no ``ack`` (an event, a workflow step) hands control back at
        once: Bolt acknowledges those itself. An error before the ack reaches Bolt as it
        would have (a 500 and Bolt's error handler); one after it is logged here. Bolt reads
        a listener's argument names through ``inspect.unwrap``, so the wrapper keeps the
        listener's signature.
        """
        takes_ack = "ack" in inspect.signature(listener).parameters

        @functools.wraps(listener)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            loop = asyncio.get_running_loop()
            gate: asyncio.Future[None] = loop.create_future()
            if takes_ack:
                kwargs["ack"] = _SignallingAck(kwargs["ack"], gate)
            self._begin()  # counted from now, so a shutdown starting meanwhile waits for it
            task = loop.create_task(self._run(listener(*args, **kwargs), gate))
            self._tasks.add(task)  # a strong reference until it ends
            task.add_done_callback(self._tasks.discard)
            if not takes_ack:
                return
            timer = loop.call_later(ACK_TIMEOUT_SECONDS, _open, gate)
            try:
                await gate
            finally:
                timer.cancel()

        return wrapper

    async def _run(self, work: Awaitable[object], gate: asyncio.Future[None]) -> None:
        """Run one listener (counted by the caller); its error goes to Bolt before the ack,
        to the log after it (once: an ack Bolt refused has already gone to Bolt)."""
        try:
            await work
        except Exception as exc:
            if not gate.done():
                gate.set_exception(exc)
            elif gate.cancelled() or gate.exception() is not exc:
                log.error("unhandled error in a listener: %s", type(exc).__name__, exc_info=exc)
        finally:
            _open(gate)
            self._end()


def _open(gate: asyncio.Future[None]) -> None:
    if not gate.done():
        gate.set_result(None)
