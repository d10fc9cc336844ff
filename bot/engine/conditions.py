"""Flow conditions on slots: `{slot: value}`, `{slot: {in: [...]}}`, `{slot: {not_in: [...]}}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def holds(condition: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """True when every clause holds. A clause on an unknown slot holds only for `not_in`,
    so that a question is not skipped because an earlier one was left unanswered."""
    for slot, expected in condition.items():
        actual = values.get(slot)
        if isinstance(expected, Mapping):
            if "in" in expected and actual not in expected["in"]:
                return False
            if "not_in" in expected and actual is not None and actual in expected["not_in"]:
                return False
        elif actual != expected:
            return False
    return True
