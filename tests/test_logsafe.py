"""Logged exceptions keep their type and where they were raised, never their message."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import logging
from collections.abc import Iterator

from pydantic import BaseModel, ValidationError

from bot.eventloop import loop_factory
from bot.logsafe import SafeFormatter, loop_exception_handler

# Built at run time: in no source line that a traceback could show.
NUMBER = "+33" + "612345678"


class _Note(BaseModel):
    count: int


@contextlib.contextmanager
def written_by(name: str) -> Iterator[io.StringIO]:
    """What the logger `name` writes through `SafeFormatter`, as `triage` configures it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger(name)
    log.addHandler(handler)
    try:
        yield stream
    finally:
        log.removeHandler(handler)


def test_an_exception_logged_keeps_its_type_and_place_but_not_what_it_quotes() -> None:
    person = "Amina" + " Diallo, 06 12 34 56 78"
    with written_by("test.logsafe") as stream:
        try:
            try:
                _Note.model_validate({"count": person})
            except ValidationError as error:
                raise RuntimeError(f"could not read {error}") from error
        except RuntimeError:
            logging.getLogger("test.logsafe").exception("turn failed for conversation %s", "3f2a9c")
    written = stream.getvalue()
    assert "turn failed for conversation 3f2a9c" in written
    assert "Amina" not in written and "06 12" not in written
    assert "ValidationError (message withheld)" in written
    assert "RuntimeError (message withheld)" in written
    assert "test_logsafe.py" in written  # where it happened is still there


def test_a_task_exception_nobody_retrieved_is_logged_without_what_it_quotes() -> None:
    """asyncio's own handler writes repr(exception) into the message itself."""

    async def fails() -> None:
        raise ValueError(f"could not send to {NUMBER}")

    with written_by("asyncio") as stream:
        loop = loop_factory("asyncio")()
        try:
            task = loop.create_task(fails())
            loop.run_until_complete(asyncio.sleep(0.01))
            del task
            gc.collect()  # the task is dropped with its exception unseen: the loop reports it
            loop.run_until_complete(asyncio.sleep(0))
        finally:
            loop.close()
    written = stream.getvalue()
    assert "Task exception was never retrieved" in written
    assert NUMBER not in written and "ValueError" in written


def test_a_callback_error_is_logged_without_the_callbacks_arguments() -> None:
    """asyncio names a failing callback with the repr of its arguments in the message."""
    with written_by("asyncio") as stream:
        loop_exception_handler(None, {"message": f"Exception in callback cb('{NUMBER} sans papiers')"})  # type: ignore[arg-type]
    written = stream.getvalue()
    assert "Exception" in written and NUMBER not in written and "sans papiers" not in written
