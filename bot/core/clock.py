"""The clock, injectable so that tests and evaluation files fix "today" (spec §3)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in Europe/Paris."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(PARIS)


class FixedClock:
    """A clock that stands still unless moved: for tests, evaluations and `triage chat --today`."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=PARIS)
        self._at = self._at.astimezone(PARIS)

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        self._at = self._at + delta

    @classmethod
    def parse(cls, text: str) -> FixedClock:
        """Accepts ``2026-11-26`` (10:00 Paris time) or a full ISO 8601 timestamp."""
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return cls(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS))
        return cls(dt.datetime.fromisoformat(text))
