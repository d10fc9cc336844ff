"""The event loop factory of `triage serve` and `triage worker` (bot.eventloop)."""

from __future__ import annotations

import asyncio

import uvloop

from bot.eventloop import loop_factory, running_loop_name


def test_uvloop_and_asyncio_make_loops_of_their_kind() -> None:
    for name, kind in (("uvloop", uvloop.Loop), ("asyncio", asyncio.BaseEventLoop)):
        loop = loop_factory(name)()  # type: ignore[arg-type]
        try:
            assert isinstance(loop, kind), name
            assert loop.run_until_complete(_name()) == name
        finally:
            loop.close()
    plain = loop_factory("asyncio")()
    try:
        assert not isinstance(plain, uvloop.Loop)
    finally:
        plain.close()


async def _name() -> str:
    return running_loop_name()
