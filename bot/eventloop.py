"""Which event loop every mode runs on: uvloop where it is installed, else asyncio's own.

uvloop (libuv under asyncio's API) spends less CPU per socket event than asyncio's selector
loop; the bot depends on it where the platform has it (not on Windows). ``EVENT_LOOP``
chooses: ``auto`` (uvloop if importable, else asyncio), ``asyncio`` (always the standard
loop), ``uvloop`` (uvloop or a clear start-up error). HTTP mode, Socket Mode and the
playground all take their loop from :func:`new_event_loop` or :func:`run`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from bot.config import ConfigError, EventLoop

__all__ = ["EventLoop", "loop_factory", "loop_name", "new_event_loop", "run"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")


def loop_factory(choice: EventLoop | str) -> Callable[[], asyncio.AbstractEventLoop]:
    """A function that makes a new loop of the chosen kind."""
    choice = EventLoop(choice)
    if choice is not EventLoop.ASYNCIO:
        try:
            uvloop: Any = importlib.import_module("uvloop")
        except ImportError:
            if choice is EventLoop.UVLOOP:
                raise ConfigError(
                    "EVENT_LOOP: uvloop is not installed (pip install uvloop, or use auto)"
                ) from None
        else:
            factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
            return factory
    return asyncio.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``, for the start-up log line."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def new_event_loop(choice: EventLoop | str) -> asyncio.AbstractEventLoop:
    """A new loop of the chosen kind, set as the current one (``web.run_app(loop=...)``)."""
    loop = loop_factory(choice)()
    asyncio.set_event_loop(loop)
    log.info("event loop: %s", loop_name(loop))
    return loop


def run(main: Coroutine[Any, Any, _T], choice: EventLoop | str) -> _T:
    """``asyncio.run(main)`` on a loop of the chosen kind."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        log.info("event loop: %s", loop_name(runner.get_loop()))
        return runner.run(main)
