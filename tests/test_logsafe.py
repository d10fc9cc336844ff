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
