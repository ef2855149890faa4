"""Work still under way after Slack was acknowledged, so shutdown can wait for it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class InFlight:
    """Counts answers in progress; :meth:`drain` waits until they are delivered."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        """How many answers are in progress now."""
        return self._count

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Mark one answer as in progress for the duration of the block."""
        self._count += 1
        self._idle.clear()
        try:
            yield
        finally:
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

    def tracked(self, listener: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """Decorate a listener so its whole run, ack to last reply, counts as in flight.

        Bolt reads a listener's argument names through ``inspect.unwrap``, so the wrapper
        keeps the listener's signature.
        """

        @functools.wraps(listener)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            async with self.track():
                return await listener(*args, **kwargs)

        return wrapper
