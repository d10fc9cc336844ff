"""Dependencies point inward: the engine and the actions never import the outer layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = (
    "aiohttp",
    "aiogram",
    "bot.channels",
    "bot.storage",
    "bot.server",
    "bot.understanding",
    "bot.app",
)
INNER = [*sorted((ROOT / "bot" / "engine").glob("*.py")), *sorted((ROOT / "bot" / "core").glob("*.py"))]
ACTIONS = sorted((ROOT / "actions").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", [*INNER, *ACTIONS], ids=lambda p: str(p.relative_to(ROOT)))
def test_inner_layers_do_not_import_outer_ones(path: Path) -> None:
    bad = {m for m in imported_modules(path) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_core_imports_nothing_of_ours_but_itself() -> None:
    for path in (ROOT / "bot" / "core").glob("*.py"):
        ours = {m for m in imported_modules(path) if m.startswith(("bot", "actions"))}
        assert all(m.startswith("bot.core") for m in ours), (path.name, ours)


def test_engine_code_names_no_channel() -> None:
    for path in (ROOT / "bot" / "engine").glob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        for channel in ("telegram", "whatsapp", "twilio", "kannel"):
            assert channel not in text, f"{path.name} mentions {channel}"
