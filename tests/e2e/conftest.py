"""Fixtures every channel's end-to-end tests share; each test module provides its `fake`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class FakeProvider(Protocol):
    """A local fake of a provider's HTTP API (tests/fakes/)."""

    @property
    def app(self) -> web.Application: ...


@pytest.fixture
async def api_base(fake: FakeProvider, aiohttp_server: ServerFactory) -> str:
    """The fake provider served on loopback: the channel's `*_API_BASE`."""
    server = await aiohttp_server(fake.app)
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
