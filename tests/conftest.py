"""Shared fixtures: the real data, the real engine, an embedded store, a fixed clock, a real Redis
Cluster (started once, only for the tests that ask for it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import Brain, load_brain
from bot.core.clock import PARIS, FixedClock
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.conversation import Conversation
from tests.redis_cluster import running_cluster

TODAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def brain() -> Brain:
    """Loaded once: the flow, texts, rules, gazetteer and the trained NLU."""
    return load_brain(Settings(store_url="sqlite:///:memory:"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    sqlite = SqliteStore(tmp_path / "triage.db")
    yield sqlite
    await sqlite.close()


@pytest.fixture
def convo(brain: Brain, store: SqliteStore, clock: FixedClock) -> Conversation:
    return Conversation(brain.engine(store, clock), store)


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`redis+cluster://127.0.0.1:PORT`: three primaries of Debian's redis-server, for the session."""
    with running_cluster(tmp_path_factory.mktemp("redis-cluster")) as url:
        yield url
