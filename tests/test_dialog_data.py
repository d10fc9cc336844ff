"""The flow and the texts hold together: every prompt in every language, every action known."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import build_actions
from actions.urgency import load_rules
from bot.app import Brain
from bot.engine.schema import DialogDataError, load_flow
from bot.engine.texts import load_texts

DIALOGS = Path(__file__).resolve().parent.parent / "dialogs"


def test_every_text_exists_in_every_language(brain: Brain) -> None:
    assert set(brain.texts.languages) >= {"fr", "en", "ar", "es"}
    assert brain.texts.missing(brain.flow.text_keys()) == []


def test_every_action_named_by_the_flow_exists() -> None:
    flow = load_flow(DIALOGS / "flow.yml")
    actions = build_actions(load_rules())
    assert set(flow.on_update) | set(flow.on_handoff) <= set(actions)


def test_every_step_is_reachable(brain: Brain) -> None:
    """Each step's condition can hold: there is a case where the engine asks it."""
    from bot.engine.conditions import holds

    samples = [
        {"document": "CST_SAL", "removal_order": True},
        {"document": "NONE", "removal_order": False},
        {"document": "RECEPISSE", "removal_order": True},
    ]
    for step in brain.flow.steps:
        assert any(holds(step.when, sample) for sample in samples), step.slot


def test_a_broken_flow_is_rejected_with_its_place(tmp_path: Path) -> None:
    broken = tmp_path / "flow.yml"
    broken.write_text(
        "steps:\n  - slot: adress\n    kind: place\n    prompt: a\n    help: b\n", encoding="utf-8"
    )
    with pytest.raises(DialogDataError, match="adress"):
        load_flow(broken)


def test_a_missing_text_is_reported_per_language(tmp_path: Path) -> None:
    for lang, body in {"fr": 'msgid "a"\nmsgstr "A {x}"\n', "en": 'msgid "a"\nmsgstr "A {y}"\n'}.items():
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text(body, encoding="utf-8")
    texts = load_texts(tmp_path)
    problems = texts.missing({"a", "b"})
    assert "fr: missing text 'b'" in problems
    assert any("en: text 'a' must use the placeholders" in p for p in problems)


def test_sms_variants_are_short(brain: Brain) -> None:
    for lang, catalogue in brain.texts.catalogues.items():
        for key, text in catalogue.items():
            if key.endswith(".sms"):
                limit = 70 * 2 if lang == "ar" else 160 * 2
                assert len(text) <= limit, (lang, key, len(text))
