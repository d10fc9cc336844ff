"""`triage eval`: conversation and understanding files (spec §5) through the real engine and NLU.

Each file runs on its own in-memory SQLite store, with the file's clock. How the simulated person
answers: the text the file gives for the slot being asked; `/skip` when it gives none; when the
bot checks an answer ("Vous voulez dire Montpellier (34) ?") the person takes the bot's first
proposal, so a wrong guess shows up as a wrong field, not as a stuck conversation.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.app import Brain
from bot.core.case import Case, Slots
from bot.core.clock import FixedClock
from bot.core.conversation import ConversationState
from bot.core.messages import InboundMessage, Reply
from bot.storage.sqlite import SqliteStore

MAX_TURNS = 30
NEUTRAL_START = "/start"
SKIP = "/skip"
# Fields of `expect` that are not slots.
CASE_FIELDS = ("urgency", "rule", "handed_off")


class EvalFileError(Exception):
    """An evaluation file does not follow spec §5."""


class ConversationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    channel: str = "test"
    opening: str | list[str] | None = None
    answers: dict[str, str] = Field(default_factory=dict)
    expect: dict[str, Any] = Field(default_factory=dict)


class ConversationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    today: str
    conversations: list[ConversationSpec]


class ExampleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot: str
    lang: str
    text: str
    expect: Any = None


class ExampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    today: str
    examples: list[ExampleSpec]


@dataclass
class Tally:
    correct: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.correct += int(ok)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0

    def as_dict(self) -> dict[str, int]:
        return {"correct": self.correct, "total": self.total}


@dataclass
class Report:
    conversations_total: int = 0
    conversations_passed: int = 0
    turns: list[int] = field(default_factory=list)
    fields: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    conversation_languages: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    examples_total: int = 0
    examples_correct: int = 0
    slots: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    languages: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    slot_languages: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    failures: list[dict[str, Any]] = field(default_factory=list)
    passed_items: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": {
                "total": self.conversations_total,
                "passed": self.conversations_passed,
                "turns_median": statistics.median(self.turns) if self.turns else 0,
                "fields": {name: tally.as_dict() for name, tally in sorted(self.fields.items())},
            },
            "examples": {
                "total": self.examples_total,
                "correct": self.examples_correct,
                "slots": {name: tally.as_dict() for name, tally in sorted(self.slots.items())},
                "languages": {name: tally.as_dict() for name, tally in sorted(self.languages.items())},
            },
            "failures": self.failures,
        }

    def as_text(self) -> str:
        lines = []
        for item in self.passed_items:
            lines.append(f"PASS {item}")
        for failure in self.failures:
            if "id" in failure:
                lines.append(
                    f"FAIL conversation {failure['id']}: {failure['field']} expected {failure['expected']!r}"
                    f" got {failure['got']!r}"
                )
            else:
                lines.append(
                    f"FAIL example {failure['file']}#{failure['index']} [{failure['slot']}/{failure['lang']}]"
                    f" {failure['text']!r}: expected {failure['expected']!r} got {failure['got']!r}"
                )
        if self.conversations_total:
            lines.append("")
            lines.append(
                f"Conversations: {self.conversations_passed}/{self.conversations_total} passed,"
                f" median {statistics.median(self.turns) if self.turns else 0} turns"
            )
            for name, tally in sorted(self.fields.items()):
                lines.append(f"  {name:<20} {tally.correct:>4}/{tally.total:<4} {tally.accuracy:7.1%}")
            for name, tally in sorted(self.conversation_languages.items()):
                lines.append(
                    f"  language {name:<11} {tally.correct:>4}/{tally.total:<4} {tally.accuracy:7.1%}"
                )
        if self.examples_total:
            lines.append("")
            lines.append(f"Examples: {self.examples_correct}/{self.examples_total} correct")
            lines.append("  per slot:")
            for name, tally in sorted(self.slots.items()):
                lines.append(f"    {name:<20} {tally.correct:>4}/{tally.total:<4} {tally.accuracy:7.1%}")
            lines.append("  per language:")
            for name, tally in sorted(self.languages.items()):
                lines.append(f"    {name:<20} {tally.correct:>4}/{tally.total:<4} {tally.accuracy:7.1%}")
        return "\n".join(lines)


def load_eval_file(path: Path) -> ConversationFile | ExampleFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalFileError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise EvalFileError(f"{path}: expected a mapping with 'conversations' or 'examples'")
    if isinstance(raw.get("today"), dt.date):
        raw["today"] = raw["today"].isoformat()
    try:
        if "conversations" in raw:
            return ConversationFile.model_validate(raw)
        if "examples" in raw:
            return ExampleFile.model_validate(raw)
    except ValidationError as exc:
        raise EvalFileError(f"{path}: {exc}") from exc
    raise EvalFileError(f"{path}: no 'conversations' or 'examples' key")


async def evaluate_files(paths: Iterable[Path], brain: Brain) -> Report:
    report = Report()
    for path in paths:
        loaded = load_eval_file(path)
        if isinstance(loaded, ConversationFile):
            await _run_conversations(loaded, brain, report)
        else:
            _run_examples(loaded, path, brain, report)
    return report


# -- conversations ---------------------------------------------------------------------------


@dataclass
class Outcome:
    state: ConversationState | None
    case: Case | None
    turns: int
    problems: list[tuple[str, Any, Any]]
    # The bot's replies, turn by turn (what an SMS benchmark renders and counts).
    replies: list[list[Reply]] = field(default_factory=list)


async def run_conversation(
    spec: ConversationSpec, brain: Brain, clock: FixedClock, *, channel: str | None = None
) -> Outcome:
    """Play one conversation of a file; `channel` replaces the file's (the SMS benchmark)."""
    store = SqliteStore(":memory:")
    engine = brain.engine(store, clock)
    conversation_id = f"eval:{spec.id}"
    problems: list[tuple[str, Any, Any]] = []
    sent: list[list[Reply]] = []

    async def send(text: str | None = None, option: str | None = None) -> list[Reply]:
        message = InboundMessage(
            conversation_id=conversation_id, channel=channel or spec.channel, text=text, option=option
        )
        replies = await engine.handle(message)
        sent.append(replies)
        return replies

    openings = spec.opening if isinstance(spec.opening, list) else [spec.opening or NEUTRAL_START]
    replies: list[Reply] = []
    for opening in openings:
        replies = await send(opening)
    turns = len(openings)
    previous: str | None = None
    while True:
        question = next((reply for reply in reversed(replies) if reply.asking), None)
        if question is None or question.asking is None:
            break
        if turns >= MAX_TURNS:
            problems.append(("turns", f"<= {MAX_TURNS}", turns))
            break
        slot = question.asking
        if question.confirming:
            first = question.options[0].id if question.options else "yes"
            replies = await send(option=first)
        elif slot == previous and not question.confirming:
            problems.append((f"understood:{slot}", spec.answers.get(slot), "asked again"))
            replies = await send(SKIP)
        else:
            replies = await send(spec.answers.get(slot, SKIP))
        previous = None if question.confirming else slot
        turns += 1
    state = await store.load_conversation(conversation_id)
    cases = await store.cases_for_conversation(conversation_id)
    await store.close()
    return Outcome(state, cases[-1] if cases else None, turns, problems, sent)


async def _run_conversations(loaded: ConversationFile, brain: Brain, report: Report) -> None:
    for spec in loaded.conversations:
        clock = FixedClock.parse(loaded.today)
        outcome = await run_conversation(spec, brain, clock)
        passed = True
        for name, expected, got in outcome.problems:
            passed = False
            report.failures.append({"id": spec.id, "field": name, "expected": expected, "got": got})
        actual = _actual_fields(outcome)
        for name, expected in spec.expect.items():
            got = actual.get(name)
            ok = _matches(name, expected, got)
            report.fields[name].add(ok)
            if not ok:
                passed = False
                report.failures.append(
                    {"id": spec.id, "field": name, "expected": _plain(expected), "got": _plain(got)}
                )
        lang = str(spec.expect.get("language") or (outcome.state.slots.language if outcome.state else "?"))
        report.conversation_languages[lang].add(passed)
        report.conversations_total += 1
        report.conversations_passed += int(passed)
        report.turns.append(outcome.turns)
        if passed:
            report.passed_items.append(f"conversation {spec.id} ({outcome.turns} turns)")


def _actual_fields(outcome: Outcome) -> dict[str, Any]:
    slots: Slots | None = (
        outcome.case.slots if outcome.case else (outcome.state.slots if outcome.state else None)
    )
    fields: dict[str, Any] = slots.model_dump() if slots else {}
    urgency = outcome.case.urgency if outcome.case else (outcome.state.urgency if outcome.state else None)
    fields["urgency"] = urgency.level if urgency else None
    fields["rule"] = urgency.rule if urgency else None
    fields["handed_off"] = outcome.case is not None
    return fields


# -- understanding examples ------------------------------------------------------------------


def _run_examples(loaded: ExampleFile, path: Path, brain: Brain, report: Report) -> None:
    now = FixedClock.parse(loaded.today).now()
    for index, example in enumerate(loaded.examples):
        got = understood_value(brain, example.text, example.slot, example.lang, now)
        ok = _matches(example.slot, example.expect, got)
        report.examples_total += 1
        report.examples_correct += int(ok)
        report.slots[example.slot].add(ok)
        report.languages[example.lang].add(ok)
        report.slot_languages[(example.slot, example.lang)].add(ok)
        if not ok:
            report.failures.append(
                {
                    "file": path.name,
                    "index": index,
                    "slot": example.slot,
                    "lang": example.lang,
                    "text": example.text,
                    "expected": _plain(example.expect),
                    "got": _plain(got),
                }
            )


def understood_value(brain: Brain, text: str, slot: str, lang: str, now: dt.datetime) -> Any:
    """What the slot would hold after this answer: a sure value, or the one proposal the bot
    would ask the person to confirm. Several proposals (a choice) fill nothing yet."""
    reading = brain.understanding.read(text, lang=lang, asked=slot, now=now)
    finding = reading.finding(slot)
    if finding is None or len(finding.candidates) != 1:
        return None
    return finding.candidates[0].values.get(slot)


# -- comparing -------------------------------------------------------------------------------


def _matches(name: str, expected: Any, got: Any) -> bool:
    if isinstance(expected, Mapping) and "date" in expected:
        if got is None:
            return False
        target = dt.date.fromisoformat(str(expected["date"]))
        actual = got if isinstance(got, dt.date) else dt.date.fromisoformat(str(got))
        return abs((actual - target).days) <= int(expected.get("tolerance_days", 0))
    if expected is None:
        return got is None or (
            isinstance(got, frozenset | set | list) and name != "vulnerabilities" and not got
        )
    if isinstance(expected, list):
        return got is not None and set(map(str, expected)) == set(map(str, got))
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, dt.date) or isinstance(got, dt.date):
        return str(expected) == str(got)
    return str(expected) == str(got)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def report_json(report: Report) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2)
