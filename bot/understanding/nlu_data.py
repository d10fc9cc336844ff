"""The NLU training data of ``nlu_data/<lang>/*.yml`` (Rasa 3.x format), loaded and checked once.

Each language folder holds intents (``- intent:``), synonyms (``- synonym: <code>``, grouped by
file stem: ``document``, ``custody``...) and lookup tables (``- lookup: month_01``). The loader
checks the Rasa structure with pydantic, then the cross-file rules a typo would break silently:
codes that do not exist in :mod:`bot.core.case`, an example claimed by two intents, a missing
month. Every problem is reported at once, with file and line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from bot.core.case import APPLICATION_STATUSES, CUSTODY_KINDS, DOCUMENT_CODES, VULNERABILITIES
from bot.understanding.text import fold

logger = logging.getLogger(__name__)

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "nlu_data"

# Synonym files whose values are codes of the case: every value must be a code, every code covered.
SLOT_CODES: Mapping[str, tuple[str, ...]] = {
    "document": DOCUMENT_CODES,
    "application_status": APPLICATION_STATUSES,
    "custody": CUSTODY_KINDS,
    "vulnerabilities": VULNERABILITIES,
}
MONTH_LOOKUPS: tuple[str, ...] = tuple(f"month_{m:02d}" for m in range(1, 13))

_LANGUAGE_DIR = re.compile(r"^[a-z]{2}$")
_ENTITY_ANNOTATION = re.compile(r"\[[^\]]+\]\([^)]*\)|\[[^\]]+\]\{[^}]*\}")

_NON_WORD = re.compile(r"[\W_]+")


def normalize_text(text: str) -> str:
    """:func:`bot.understanding.text.fold`, punctuation dropped: "Oui !!" and "oui" are one example."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


# ---------------------------------------------------------------------------------------------
# The Rasa 3.x file structure (rasa/shared/nlu/training_data/schemas/nlu.yml).


class _Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    metadata: Any = None


class _IntentItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: str = Field(min_length=1)
    examples: str | list[_Example]
    metadata: Any = None


class _SynonymItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    synonym: str = Field(min_length=1)
    examples: str


class _LookupItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lookup: str = Field(min_length=1)
    examples: str


class _RegexItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regex: str = Field(min_length=1)
    examples: str


_ITEM_KEYS = ("intent", "synonym", "lookup", "regex")


def _item_kind(item: Any) -> str | None:
    if isinstance(item, dict):
        return next((key for key in _ITEM_KEYS if key in item), None)
    return next((key for key in _ITEM_KEYS if hasattr(item, key)), None)


_Item = Annotated[
    Annotated[_IntentItem, Tag("intent")]
    | Annotated[_SynonymItem, Tag("synonym")]
    | Annotated[_LookupItem, Tag("lookup")]
    | Annotated[_RegexItem, Tag("regex")],
    Discriminator(
        _item_kind,
        custom_error_type="nlu_item",
        custom_error_message="an nlu item needs one of the keys: intent, synonym, lookup, regex",
    ),
]


class _NluFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal["3.1"]
    nlu: list[_Item] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The loaded data.


class LanguageData(BaseModel):
    """Everything ``nlu_data/<lang>/`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intents: dict[str, tuple[str, ...]]
    # file stem -> synonym value -> expressions
    synonyms: dict[str, dict[str, tuple[str, ...]]]
    lookups: dict[str, tuple[str, ...]]
    regexes: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class NluData(BaseModel):
    """The NLU data of every language, as validated by :func:`load_nlu_data`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by_language: dict[str, LanguageData]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_language))

    def _language(self, lang: str) -> LanguageData:
        try:
            return self.by_language[lang]
        except KeyError:
            raise KeyError(f"no NLU data for language {lang!r}") from None

    def intent_examples(self, lang: str) -> dict[str, list[str]]:
        return {intent: list(examples) for intent, examples in self._language(lang).intents.items()}

    def synonyms(self, lang: str, kind: str) -> dict[str, list[str]]:
        try:
            table = self._language(lang).synonyms[kind]
        except KeyError:
            raise KeyError(f"no synonyms {kind!r} for language {lang!r}") from None
        return {value: list(expressions) for value, expressions in table.items()}

    def lookup(self, lang: str, name: str) -> list[str]:
        try:
            return list(self._language(lang).lookups[name])
        except KeyError:
            raise KeyError(f"no lookup table {name!r} for language {lang!r}") from None


@dataclass(frozen=True, slots=True)
class NluIssue:
    file: Path
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message}"


class NluDataError(Exception):
    """The NLU data is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[NluIssue]) -> None:
        self.issues: tuple[NluIssue, ...] = tuple(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the NLU data:\n{lines}")


# ---------------------------------------------------------------------------------------------
# Loading.


@dataclass(frozen=True, slots=True)
class _Entry:
    """One example, synonym expression or lookup entry, with where it was written."""

    text: str
    file: Path
    line: int


class _Lines:
    """Line numbers of the ``nlu`` items of one file, from the YAML node tree."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._items: list[tuple[int, int]] = []  # (item line, examples first content line)
        if not isinstance(root, yaml.MappingNode):
            return
        for key, value in root.value:
            if key.value == "nlu" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    examples_line = item.start_mark.line + 1
                    if isinstance(item, yaml.MappingNode):
                        for item_key, item_value in item.value:
                            if item_key.value == "examples":
                                # A block scalar starts on the line of its "|"; its text on the next.
                                examples_line = item_value.start_mark.line + 1
                    self._items.append((item.start_mark.line + 1, examples_line))

    def item(self, index: int) -> int:
        return self._items[index][0] if index < len(self._items) else 0

    def example(self, index: int, offset: int) -> int:
        return self._items[index][1] + offset + 1 if index < len(self._items) else 0


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[NluIssue] = []
        self._item_lines: dict[tuple[Path, str], int] = {}
        # Files that could not be read: their content is unknown, so no "missing" reports on them.
        self._unreadable: set[Path] = set()

    def issue(self, file: Path, location: str, message: str) -> None:
        self.issues.append(NluIssue(self._show(file), location, message))

    def _show(self, file: Path) -> Path:
        try:
            return file.relative_to(self.root.parent)
        except ValueError:
            return file

    def load(self) -> NluData:
        if not self.root.is_dir():
            raise NluDataError([NluIssue(self.root, "-", "NLU data folder not found")])
        languages: dict[str, LanguageData] = {}
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and _LANGUAGE_DIR.match(p.name)):
            languages[folder.name] = self._load_language(folder)
        if not languages:
            self.issue(self.root, "-", "no language folder (nlu_data/<lang>/)")
        self._check_same_intents(languages)
        if self.issues:
            raise NluDataError(self.issues)
        logger.info("NLU data loaded: %d languages", len(languages))
        return NluData(by_language=languages)

    def _load_language(self, folder: Path) -> LanguageData:
        intents: dict[str, list[_Entry]] = {}
        synonyms: dict[str, dict[str, list[_Entry]]] = {}
        lookups: dict[str, list[_Entry]] = {}
        regexes: dict[str, list[_Entry]] = {}
        files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
        for file in files:
            parsed = self._parse(file)
            if parsed is None:
                self._unreadable.add(file)
                continue
            nlu_file, lines = parsed
            table: dict[str, list[_Entry]] = {}
            for index, item in enumerate(nlu_file.nlu):
                entries = self._entries(file, lines, index, item.examples)
                if isinstance(item, _IntentItem):
                    for entry in entries:
                        if _ENTITY_ANNOTATION.search(entry.text):
                            self.issue(file, f"line {entry.line}", "entity annotations are not used here")
                    intents.setdefault(item.intent, []).extend(entries)
                    continue
                if isinstance(item, _SynonymItem):
                    name, target = item.synonym, table
                elif isinstance(item, _LookupItem):
                    name, target = item.lookup, lookups
                else:
                    name, target = item.regex, regexes
                if name in target:
                    self.issue(
                        file, f"line {lines.item(index)}", f"{name!r} is listed twice; merge the entries"
                    )
                self._item_lines.setdefault((file, name), lines.item(index))
                target.setdefault(name, []).extend(entries)
            if table:
                synonyms[file.stem] = table
                self._check_unique(file, table, "synonym")
            months = {
                name: lookups[name]
                for name in MONTH_LOOKUPS
                if name in lookups and lookups[name][0].file == file
            }
            self._check_unique(file, months, "lookup")
        self._check_intents(intents)
        self._check_codes(folder, synonyms)
        missing = [name for name in MONTH_LOOKUPS if name not in lookups]
        if missing and not self._unreadable.intersection(files):
            self.issue(folder / "months.yml", "-", f"missing lookup tables: {', '.join(missing)}")
        return LanguageData(
            intents=_texts(intents),
            synonyms={kind: _texts(table) for kind, table in synonyms.items()},
            lookups=_texts(lookups),
            regexes=_texts(regexes),
        )

    def _parse(self, file: Path) -> tuple[_NluFile, _Lines] | None:
        # One parse gives both the data and the node tree, whose marks give line numbers.
        loader = yaml.SafeLoader(file.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            raw = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "-"
            self.issue(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")
            return None
        finally:
            loader.dispose()
        lines = _Lines(node)
        try:
            return _NluFile.model_validate(raw), lines
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                where = _location(loc)
                if len(loc) >= 2 and loc[0] == "nlu" and isinstance(loc[1], int):
                    where = f"line {lines.item(loc[1])} ({where})"
                self.issue(file, where, error["msg"])
            return None

    def _entries(self, file: Path, lines: _Lines, index: int, examples: str | list[_Example]) -> list[_Entry]:
        if isinstance(examples, list):
            return [_Entry(example.text.strip(), file, lines.item(index)) for example in examples]
        entries = []
        for offset, raw_line in enumerate(examples.splitlines()):
            line = raw_line.strip()
            if not line:
                continue
            number = lines.example(index, offset)
            if not line.startswith("- ") or not line[2:].strip():
                self.issue(file, f"line {number}", "an example line must read '- <text>'")
                continue
            entries.append(_Entry(line[2:].strip(), file, number))
        if not entries:
            self.issue(file, f"line {lines.item(index)}", "no examples")
        return entries

    def _check_unique(self, file: Path, table: Mapping[str, list[_Entry]], what: str) -> None:
        """One expression must mean one thing: not two synonym values, not two months."""
        seen: dict[str, str] = {}
        for name, entries in table.items():
            for entry in entries:
                key = normalize_text(entry.text)
                other = seen.setdefault(key, name)
                if other != name:
                    self.issue(
                        file, f"line {entry.line}", f"{entry.text!r} is in {what} {other!r} and {name!r}"
                    )

    def _check_intents(self, intents: Mapping[str, list[_Entry]]) -> None:
        """An example is written once, and two intents never share one once normalized.

        Spelling variants of one intent ("reprendre à zéro", "reprendre a zero") are kept on purpose:
        Rasa and other readers of these files do not normalize the way the classifier does.
        """
        seen: dict[str, tuple[str, _Entry]] = {}
        written: set[tuple[str, str]] = set()
        for intent, entries in intents.items():
            for entry in entries:
                key = normalize_text(entry.text)
                if not key:
                    self.issue(entry.file, f"line {entry.line}", f"{entry.text!r} has no letter or digit")
                    continue
                if (intent, entry.text.casefold()) in written:
                    self.issue(entry.file, f"line {entry.line}", f"{entry.text!r} is written twice")
                written.add((intent, entry.text.casefold()))
                other_intent, other = seen.setdefault(key, (intent, entry))
                if other_intent != intent:
                    self.issue(
                        entry.file,
                        f"line {entry.line}",
                        f"{entry.text!r} (intent {intent!r}) is also an example of intent {other_intent!r}: "
                        f"{other.text!r} ({self._show(other.file)} line {other.line})",
                    )

    def _check_codes(self, folder: Path, synonyms: Mapping[str, Mapping[str, list[_Entry]]]) -> None:
        for kind, codes in SLOT_CODES.items():
            table = synonyms.get(kind)
            file = folder / f"{kind}.yml"
            if table is None:
                if file not in self._unreadable:
                    self.issue(file, "-", f"missing: every language needs the {kind} synonyms")
                continue
            for value in table:
                if value not in codes:
                    where = f"line {self._item_lines.get((file, value), 0)}"
                    self.issue(
                        file, where, f"{value!r} is not a {kind} code of bot.core.case ({', '.join(codes)})"
                    )
            missing = [code for code in codes if code not in table]
            if missing:
                self.issue(file, "-", f"no synonyms for: {', '.join(missing)}")

    def _check_same_intents(self, languages: Mapping[str, LanguageData]) -> None:
        everything = set().union(*(data.intents for data in languages.values())) if languages else set()
        for lang, data in languages.items():
            missing = sorted(everything - set(data.intents))
            if missing and not any(file.parent.name == lang for file in self._unreadable):
                self.issue(self.root / lang, "-", f"intents missing in this language: {', '.join(missing)}")


def _texts(table: Mapping[str, list[_Entry]]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(entry.text for entry in entries) for name, entries in table.items()}


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif not (isinstance(previous, int) and part in _ITEM_KEYS):
            # (A discriminated union adds its tag after the index: "nlu[3].synonym.examples".)
            parts.append(f".{part}")
        previous = part
    return "".join(parts).lstrip(".") or "-"


def load_nlu_data(root: Path | None = None) -> NluData:
    """Load and check ``root`` (default ``<repo>/nlu_data``); raise :class:`NluDataError` on any problem."""
    return _Loader(root if root is not None else DEFAULT_ROOT).load()
