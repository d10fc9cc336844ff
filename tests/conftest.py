"""Shared fixtures: the real data, the real engine, an embedded store, a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Brain, load_brain
from bot.core.clock import PARIS, FixedClock
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.conversation import Conversation

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
