"""The event loop of the long-running processes: `triage serve` and `triage worker`.

uvloop (libuv under asyncio's interface, MagicStack) by default: the acknowledgement of a webhook
is mostly event-loop work (accepting a connection, reading, writing, waking on Redis's answer), and
uvloop does it with less CPU than asyncio's pure-Python loop. Measured in docs/benchmarks.md ("The
event loop"). `EVENT_LOOP=asyncio` goes back to asyncio's own loop, and so does a platform uvloop
does not support (Windows): the code is the same on both, only the loop differs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

from bot.logsafe import loop_exception_handler

logger = logging.getLogger(__name__)

EventLoopName = Literal["uvloop", "asyncio"]


def loop_factory(name: EventLoopName) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a new event loop of that kind, whose unhandled errors are logged without what
    they quote (`bot.logsafe`)."""
    make: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if name == "uvloop":
        try:
            import uvloop
        except ImportError:
            logger.warning("EVENT_LOOP=uvloop, but uvloop is not installed here: asyncio's loop instead")
        else:
            make = uvloop.new_event_loop

    def new_loop() -> asyncio.AbstractEventLoop:
        loop = make()
        loop.set_exception_handler(loop_exception_handler)
        return loop

    return new_loop


def running_loop_name() -> str:
    """ "uvloop" or "asyncio": the package of the loop running this coroutine."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]
