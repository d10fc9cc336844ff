"""Logged exceptions keep their type and where they were raised, never their message."""

from __future__ import annotations

import io
import logging

from pydantic import BaseModel, ValidationError

from bot.logsafe import SafeFormatter


class _Note(BaseModel):
    count: int


def test_an_exception_logged_keeps_its_type_and_place_but_not_what_it_quotes() -> None:
    person = "Amina" + " Diallo, 06 12 34 56 78"  # built at run time: not in a source line
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test.logsafe")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            try:
                _Note.model_validate({"count": person})
            except ValidationError as error:
                raise RuntimeError(f"could not read {error}") from error
        except RuntimeError:
            log.exception("turn failed for conversation %s", "3f2a9c")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "turn failed for conversation 3f2a9c" in written
    assert "Amina" not in written and "06 12" not in written
    assert "ValidationError (message withheld)" in written
    assert "RuntimeError (message withheld)" in written
    assert "test_logsafe.py" in written  # where it happened is still there


def test_a_task_exception_nobody_retrieved_is_logged_without_what_it_quotes() -> None:
    """asyncio's own handler writes repr(exception) into the message itself."""
    import asyncio
    import gc

    from bot.eventloop import loop_factory

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("asyncio")
    log.addHandler(handler)
    number = "+33" + "612345678"  # built at run time: in no source line of the traceback

    async def fails() -> None:
        raise ValueError(f"could not send to {number}")

    loop = loop_factory("asyncio")()
    try:
        task = loop.create_task(fails())
        loop.run_until_complete(asyncio.sleep(0.01))
        del task
        gc.collect()  # the task is dropped with its exception unseen: the loop reports it
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "Task exception was never retrieved" in written
    assert number not in written and "ValueError" in written


def test_a_callback_error_is_logged_without_the_callbacks_arguments() -> None:
    """asyncio names a failing callback with the repr of its arguments in the message."""
    from bot.logsafe import loop_exception_handler

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("asyncio")
    log.addHandler(handler)
    number = "+33" + "612345678"
    try:
        loop_exception_handler(None, {"message": f"Exception in callback cb('{number} sans papiers')"})  # type: ignore[arg-type]
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "Exception" in written and number not in written and "sans papiers" not in written
