"""Log records that cannot carry what a person wrote: exceptions without their messages.

An exception's message often quotes the data that broke it: pydantic quotes the input value
(a stored state, a note), aiogram quotes the API's whole answer (chat id, names, the text sent),
redis quotes key names. `logger.exception` would print it. `SafeFormatter` prints the exception's
type and where it was raised (file, line, function, code line), for it and for the exceptions it
chains, never their messages; nothing else in a record changes. `triage` installs it on the root
logger, so it also covers the libraries' own error logs.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from types import TracebackType
from typing import Any

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

FORMAT = "%(levelname)s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    def formatException(self, ei: _ExcInfo) -> str:  # noqa: N802 (logging's name)
        _, error, _ = ei
        if error is None:
            return ""
        return describe_exception(error)


def describe_exception(error: BaseException) -> str:
    """The traceback of `error` and of what it chains, with type names in place of messages."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}{type(current).__qualname__} (message withheld)"
        )
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n\nwhich was raised while handling:\n\n".join(reversed(parts)) if len(parts) > 1 else parts[0]


def configure(level: str) -> None:
    """Root logging for the `triage` commands: level from settings, `SafeFormatter` on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's own handler puts `repr(exception)` and `repr(task)` in the log message itself
    ("Task exception was never retrieved ... exception=ValueError('+336...')"), where no formatter
    can take it out: only the message, the exception's type and its traceback are logged."""
    error = context.get("exception")
    # Its message too can quote data ("Exception in callback cb('+336…')"): only its first words.
    message = str(context.get("message", "")).split(" in callback", 1)[0].split("\n", 1)[0][:80]
    logging.getLogger("asyncio").error(
        "%s (%s)",
        message or "unhandled exception in the event loop",
        type(error).__name__ if error is not None else "no exception",
        exc_info=error if isinstance(error, BaseException) else None,
    )
