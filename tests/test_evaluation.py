"""Accuracy gates on our own evaluation files, through `triage eval`'s own code (spec §5.3)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import Brain
from bot.evaluation import Report, evaluate_files

EVAL_DIR = Path(__file__).parent / "eval"
CONVERSATION_FILES = sorted(EVAL_DIR.glob("*_conversations.yml"))
UNDERSTANDING_FILES = sorted(EVAL_DIR.glob("*_understanding.yml"))
MIN_ACCURACY = 0.95


@pytest.fixture(scope="module")
def report(brain: Brain) -> Report:
    return asyncio.run(evaluate_files([*CONVERSATION_FILES, *UNDERSTANDING_FILES], brain))


def test_there_is_enough_evaluation_data(report: Report) -> None:
    assert report.conversations_total >= 40
    assert report.examples_total >= 200


def test_understanding_accuracy_per_slot_and_language(report: Report) -> None:
    low = {
        f"{slot}/{lang}": f"{tally.correct}/{tally.total}"
        for (slot, lang), tally in report.slot_languages.items()
        if tally.accuracy < MIN_ACCURACY
    }
    assert not low, f"below {MIN_ACCURACY:.0%}: {low}"


def test_conversation_accuracy_per_field(report: Report) -> None:
    low = {
        name: f"{tally.correct}/{tally.total}"
        for name, tally in report.fields.items()
        if tally.accuracy < MIN_ACCURACY
    }
    assert not low, f"below {MIN_ACCURACY:.0%}: {low}"


def test_whole_conversations_pass(report: Report) -> None:
    assert report.conversations_passed / report.conversations_total >= MIN_ACCURACY
    failed = sorted({f["id"] for f in report.failures if "id" in f})
    assert len(failed) <= report.conversations_total * (1 - MIN_ACCURACY), failed


def test_the_command_prints_the_json_of_the_spec(tmp_path: Path) -> None:
    sample = tmp_path / "sample.yml"
    sample.write_text(
        'today: "2026-11-26"\n'
        "examples:\n"
        '  - {slot: prefecture, lang: fr, text: "Montpellier", expect: "34"}\n'
        '  - {slot: expiry_date, lang: fr, text: "je ne sais plus", expect: null}\n'
        '  - {slot: document, lang: fr, text: "une carte de séjour salarié", expect: CST_ETU}\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "eval", "--json", str(sample)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["examples"]["total"] == 3
    assert result["examples"]["correct"] == 2
    assert result["examples"]["slots"]["prefecture"] == {"correct": 1, "total": 1}
    assert result["failures"] == [
        {
            "file": "sample.yml",
            "index": 2,
            "slot": "document",
            "lang": "fr",
            "text": "une carte de séjour salarié",
            "expected": "CST_ETU",
            "got": "CST_SAL",
        }
    ]
