"""The urgency rules of spec §3: a data file the jurists edit, checked at load, evaluated top-down.

The file (``actions/rules/urgency.yml``) holds structured conditions, never code. Loading turns each
condition into a small predicate over the *terms* (the slots plus a few derived values). A predicate
answers True, False, or None when its term is unknown; a rule fires only when all its predicates
answer True, so a missing answer never fires a rule (not even through ``not:``) and never crashes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actions.documents import DocumentCatalogue, DocumentsError, load_documents
from bot.core.case import (
    APPLICATION_STATUSES,
    CUSTODY_KINDS,
    DOCUMENT_CODES,
    URGENCY_LEVELS,
    VULNERABILITIES,
    Slots,
    UrgencyDecision,
    UrgencyLevel,
)
from bot.core.clock import PARIS

logger = logging.getLogger(__name__)

DEFAULT_RULES_PATH = Path(__file__).parent / "rules" / "urgency.yml"

Kind = Literal["bool", "enum", "text", "date", "number", "set"]
Facts = Mapping[str, object]
Predicate = Callable[[Facts], bool | None]


@dataclass(frozen=True)
class Term:
    """A name usable in a condition, with the kind of value it holds."""

    kind: Kind
    values: tuple[str, ...] = ()  # the allowed values, for enum and set terms
    derived: bool = False


TERMS: dict[str, Term] = {
    "language": Term("text"),
    "consent": Term("bool"),
    "prefecture": Term("text"),
    "commune": Term("text"),
    "document": Term("enum", DOCUMENT_CODES),
    "document_text": Term("text"),
    "expiry_date": Term("date"),
    "application_status": Term("enum", APPLICATION_STATUSES),
    "removal_order": Term("bool"),
    "removal_order_date": Term("date"),
    "custody": Term("enum", CUSTODY_KINDS),
    "attempts_since": Term("date"),
    "evidence": Term("bool"),
    "vulnerabilities": Term("set", VULNERABILITIES),
    "note": Term("text"),
    "confirm": Term("bool"),
    "days_to_expiry": Term("number", derived=True),
    "hours_left": Term("number", derived=True),
    "anef": Term("bool", derived=True),
    "vulnerable": Term("bool", derived=True),
}
SLOT_TERMS: tuple[str, ...] = tuple(name for name, term in TERMS.items() if not term.derived)

# `known` is the one operator that looks at unknown values: {known: false} holds when the answer is missing.
OPERATORS: dict[Kind, tuple[str, ...]] = {
    "bool": ("not", "known"),
    "enum": ("in", "not", "not_in", "known"),
    "text": ("in", "not", "not_in", "known"),
    "date": ("min", "max", "not", "known"),
    "number": ("min", "max", "not", "known"),
    "set": ("contains", "known"),
}
_RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RulesError(ValueError):
    """The rule file is broken; ``problems`` lists each problem in plain words."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problème(s) dans le fichier des règles :\n{lines}")


# --- the file, as pydantic models -------------------------------------------------------------------


class ConditionSpec(BaseModel):
    """An operator form of a condition: ``{min: 0, max: 60}``, ``{in: [...]}``, ``{not: x}``..."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    min: Any = None
    max: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_: Any = Field(default=None, alias="not")
    not_in: list[Any] | None = None
    contains: Any = None
    known: Any = None


class Duration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)


class SettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    oqtf_deadline: dict[str, Duration]
    custody_when_unknown: str | None
    status_from_expiry: list[str] = Field(default_factory=list)
    fast_track: list[str] = Field(default_factory=lambda: ["P0"])


class ModifierModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    when: dict[str, Any]
    raise_by: int = Field(default=1, ge=1)
    ceiling: str = "P1"
    reason: dict[str, str]


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    level: str
    when: dict[str, Any] | None
    reason: dict[str, str]


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    settings: SettingsModel
    modifier: ModifierModel | None = None
    rules: list[RuleModel]


# --- reading the YAML -------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice (PyYAML would silently keep the last one)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | bool | float | dt.date) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"la clé « {key} » est écrite deux fois", key_node.start_mark
            )
        if isinstance(key, str | int | bool | float | dt.date):
            seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _plain_error(err: Mapping[str, Any]) -> str:
    """A pydantic error in plain French words."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "champ obligatoire absent"
    if kind == "extra_forbidden":
        return "champ inconnu (faute de frappe ?)"
    if kind in ("bool_type", "bool_parsing"):
        return "doit valoir true ou false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "doit être un nombre entier"
    if kind == "greater_than_equal":
        return f"doit être au moins {ctx.get('ge')}"
    if kind == "list_type":
        return "doit être une liste, par exemple [a, b]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "doit être une liste de champs « clé: valeur »"
    if kind == "string_type":
        return "doit être un texte"
    if kind == "literal_error":
        return f"valeur inattendue (attendu : {ctx.get('expected')})"
    return str(err.get("msg", kind))


def _rule_label(raw: object, index: int) -> str:
    name = None
    if isinstance(raw, dict):
        rules = raw.get("rules")
        if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
            name = rules[index].get("name")
    return f"règle « {name} » (n° {index + 1})" if name else f"règle n° {index + 1}"


def _location(loc: Sequence[int | str], raw: object) -> str:
    parts: list[str] = []
    rest = list(loc)
    if len(rest) >= 2 and rest[0] == "rules" and isinstance(rest[1], int):
        parts.append(_rule_label(raw, rest[1]))
        rest = rest[2:]
    parts.extend(str(part) for part in rest)
    return " → ".join(parts) if parts else "fichier"


# --- conditions ---------------------------------------------------------------------------------------


def _value_problem(term_name: str, term: Term, value: object) -> str | None:
    """Why `value` cannot be compared with `term`, or None when it can."""
    if term.kind == "bool":
        return None if isinstance(value, bool) else f"{term_name} vaut true ou false, pas « {value} »"
    if term.kind in ("enum", "set"):
        if isinstance(value, str) and value in term.values:
            return None
        return f"valeur « {value} » inconnue pour {term_name} (valeurs possibles : {', '.join(term.values)})"
    if term.kind == "text":
        if isinstance(value, str):
            return None
        return f'{term_name} : écrire la valeur entre guillemets, par exemple "{value}"'
    if term.kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return None
        return f"{term_name} : « {value} » n'est pas une date (écrire AAAA-MM-JJ, par exemple 2026-03-01)"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None
    return f"{term_name} : « {value} » n'est pas un nombre"


def _equals(name: str, wanted: object) -> Predicate:
    def test(facts: Facts) -> bool | None:
        value = facts[name]
        return None if value is None else value == wanted

    return test


def _differs(name: str, unwanted: object) -> Predicate:
    def test(facts: Facts) -> bool | None:
        value = facts[name]
        return None if value is None else value != unwanted

    return test


def _member(name: str, allowed: frozenset[object], inside: bool) -> Predicate:
    def test(facts: Facts) -> bool | None:
        value = facts[name]
        return None if value is None else (value in allowed) is inside

    return test


def _at_least(name: str, bound: Any) -> Predicate:
    def test(facts: Facts) -> bool | None:
        value: Any = facts[name]
        return None if value is None else bool(value >= bound)

    return test


def _at_most(name: str, bound: Any) -> Predicate:
    def test(facts: Facts) -> bool | None:
        value: Any = facts[name]
        return None if value is None else bool(value <= bound)

    return test


def _known(name: str, known: bool) -> Predicate:
    def test(facts: Facts) -> bool | None:
        return (facts[name] is not None) is known

    return test


def _contains(name: str, wanted: frozenset[object]) -> Predicate:
    def test(facts: Facts) -> bool | None:
        value = facts[name]
        if value is None:
            return None
        return not wanted.isdisjoint(cast(Iterable[object], value))

    return test


def _compile_condition(name: str, raw: object, where: str, problems: list[str]) -> list[Predicate]:
    """The predicates of one ``term: condition`` entry; adds to `problems` what is wrong with it."""
    term = TERMS.get(name)
    if term is None:
        problems.append(f"{where} : terme inconnu « {name} » (termes possibles : {', '.join(TERMS)})")
        return []
    where = f"{where} → {name}"
    if isinstance(raw, list):
        problems.append(f"{where} : pour plusieurs valeurs possibles, écrire {{in: {raw}}}")
        return []
    if not isinstance(raw, dict):
        if term.kind == "set":
            problems.append(f"{where} : pour un ensemble, écrire {{contains: {raw}}}")
            return []
        problem = _value_problem(name, term, raw)
        if problem:
            problems.append(f"{where} : {problem}")
            return []
        return [_equals(name, raw)]
    try:
        spec = ConditionSpec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            if err["type"] == "extra_forbidden":
                operators = ", ".join(OPERATORS[term.kind])
                problems.append(
                    f"{where} : opérateur inconnu « {err['loc'][0]} » (possibles pour {name} : {operators})"
                )
            else:
                problems.append(f"{where} → {_location(err['loc'], None)} : {_plain_error(err)}")
        return []
    used = {field: getattr(spec, field) for field in spec.model_fields_set}
    if not used:
        problems.append(f"{where} : condition vide")
        return []
    predicates: list[Predicate] = []
    found = len(problems)
    for field, value in used.items():
        operator = field.rstrip("_")
        if operator not in OPERATORS[term.kind]:
            allowed = ", ".join(OPERATORS[term.kind])
            problems.append(
                f"{where} : l'opérateur « {operator} » ne s'applique pas à {name} (possibles : {allowed})"
            )
            continue
        if operator == "known":
            if isinstance(value, bool):
                predicates.append(_known(name, value))
            else:
                problems.append(
                    f"{where} → known : écrire true (réponse connue) ou false (réponse manquante)"
                )
            continue
        if operator in ("in", "not_in"):
            values = list(value)
        elif operator == "contains" and isinstance(value, list):
            values = value
        elif isinstance(value, list | dict):
            problems.append(f"{where} → {operator} : une seule valeur attendue, pas une liste")
            continue
        else:
            values = [value]
        bad = [p for p in (_value_problem(name, term, v) for v in values) if p]
        if not values:
            bad = ["liste vide"]
        if bad:
            problems.extend(f"{where} → {operator} : {p}" for p in bad)
            continue
        if operator == "min":
            predicates.append(_at_least(name, value))
        elif operator == "max":
            predicates.append(_at_most(name, value))
        elif operator == "not":
            predicates.append(_differs(name, value))
        elif operator in ("in", "not_in"):
            predicates.append(_member(name, frozenset(values), inside=operator == "in"))
        else:
            predicates.append(_contains(name, frozenset(values)))
    if len(problems) == found and "min" in used and "max" in used and used["min"] > used["max"]:
        problems.append(f"{where} : min ({used['min']}) est plus grand que max ({used['max']})")
    return predicates


def _compile_when(when: Mapping[str, Any] | None, where: str, problems: list[str]) -> tuple[Predicate, ...]:
    predicates: list[Predicate] = []
    for name, raw in (when or {}).items():
        predicates.extend(_compile_condition(str(name), raw, where, problems))
    return tuple(predicates)


def _check_reason(reason: Mapping[str, str], where: str, problems: list[str]) -> None:
    if not reason.get("fr", "").strip():
        problems.append(f"{where} → reason : la raison en français (fr) manque")
    for lang, text in reason.items():
        if "\n" in text.strip():
            problems.append(f"{where} → reason → {lang} : la raison doit tenir sur une ligne")


def _fires(predicates: Sequence[Predicate], facts: Facts) -> bool | None:
    """True when every predicate holds, False when one fails, None when only unknowns stop it."""
    result: bool | None = True
    for predicate in predicates:
        answer = predicate(facts)
        if answer is False:
            return False
        if answer is None:
            result = None
    return result


# --- the rule book ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    level: UrgencyLevel
    predicates: tuple[Predicate, ...]
    reason: Mapping[str, str]


@dataclass(frozen=True)
class Modifier:
    predicates: tuple[Predicate, ...]
    raise_by: int
    ceiling: UrgencyLevel
    reason: Mapping[str, str]


def _as_paris(now: dt.datetime) -> dt.datetime:
    return now.replace(tzinfo=PARIS) if now.tzinfo is None else now.astimezone(PARIS)


class RuleBook:
    """The loaded rules; `evaluate` gives the urgency of a set of slots at a given time."""

    def __init__(
        self,
        rules: Sequence[Rule],
        modifier: Modifier | None,
        settings: SettingsModel,
        documents: DocumentCatalogue,
    ) -> None:
        self.rules = tuple(rules)
        self.modifier = modifier
        self.settings = settings
        self.documents = documents
        self._fast_track = frozenset(settings.fast_track)
        self._status_from_expiry = frozenset(settings.status_from_expiry)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self.rules)

    def oqtf_deadline(self, slots: Slots) -> dt.datetime | None:
        """End of the OQTF appeal period (Europe/Paris), or None when it cannot be computed."""
        if slots.removal_order is not True or slots.removal_order_date is None:
            return None
        custody = slots.custody or self.settings.custody_when_unknown
        if custody is None:
            return None
        period = self.settings.oqtf_deadline[custody]
        # Calendar parts on the local date; hours as real elapsed time (through UTC), so that a
        # DST change inside the period does not add or remove an hour.
        day = slots.removal_order_date + relativedelta(months=period.months, days=period.days)
        start = dt.datetime(day.year, day.month, day.day, tzinfo=PARIS)
        return (start.astimezone(dt.UTC) + dt.timedelta(hours=period.hours)).astimezone(PARIS)

    def facts(self, slots: Slots, now: dt.datetime) -> dict[str, object]:
        """Every term's value for these slots at `now` (None when unknown)."""
        now = _as_paris(now)
        today = now.date()
        facts: dict[str, object] = {name: getattr(slots, name) for name in SLOT_TERMS}
        days = (slots.expiry_date - today).days if slots.expiry_date is not None else None
        facts["days_to_expiry"] = days
        if slots.document in self._status_from_expiry and days is not None:
            facts["application_status"] = "filed_with_proof" if days >= 0 else "filed_without_proof"
        facts["anef"] = None if slots.document is None else self.documents.anef(slots.document)
        facts["vulnerable"] = None if slots.vulnerabilities is None else bool(slots.vulnerabilities)
        deadline = self.oqtf_deadline(slots)
        facts["oqtf_deadline"] = deadline
        facts["hours_left"] = (
            None
            if deadline is None
            else (deadline.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds() / 3600
        )
        return facts

    def evaluate(self, slots: Slots, now: dt.datetime, language: str = "fr") -> UrgencyDecision:
        facts = self.facts(slots, now)
        chosen = self.rules[-1]
        for rule in self.rules:
            if _fires(rule.predicates, facts) is True:
                chosen = rule
                break
        level = chosen.level
        applied = False
        reason_fr = chosen.reason["fr"]
        reason = chosen.reason.get(language) or reason_fr
        modifier = self.modifier
        if modifier is not None and _fires(modifier.predicates, facts) is True:
            index = URGENCY_LEVELS.index(level)
            ceiling = URGENCY_LEVELS.index(modifier.ceiling)
            if index > ceiling:
                level = cast(UrgencyLevel, URGENCY_LEVELS[max(index - modifier.raise_by, ceiling)])
                applied = True
                reason_fr = f"{reason_fr} {modifier.reason['fr']}"
                reason = f"{reason} {modifier.reason.get(language) or modifier.reason['fr']}"
        hours_left = facts["hours_left"]
        days = facts["days_to_expiry"]
        return UrgencyDecision(
            level=level,
            rule=chosen.name,
            base_level=chosen.level,
            modifier_applied=applied,
            oqtf_deadline=cast(dt.datetime | None, facts["oqtf_deadline"]),
            hours_left=cast(float | None, hours_left),
            days_to_expiry=cast(int | None, days),
            reason_fr=reason_fr,
            reason=reason,
        )

    def is_fast_track(self, decision: UrgencyDecision) -> bool:
        """Whether this decision sends the conversation on the fast track (spec §2: P0)."""
        return decision.level in self._fast_track

    def explain(self, slots: Slots, now: dt.datetime) -> list[tuple[str, bool | None]]:
        """For each rule in order: fires (True), does not (False), or cannot tell (None: unknowns)."""
        facts = self.facts(slots, now)
        return [(rule.name, _fires(rule.predicates, facts)) for rule in self.rules]


# --- loading and checking -----------------------------------------------------------------------------


def _check_settings(settings: SettingsModel, problems: list[str]) -> None:
    where = "settings"
    for custody in settings.oqtf_deadline:
        if custody not in CUSTODY_KINDS:
            problems.append(
                f"{where} → oqtf_deadline : situation « {custody} » inconnue "
                f"(possibles : {', '.join(CUSTODY_KINDS)})"
            )
    for custody in CUSTODY_KINDS:
        period = settings.oqtf_deadline.get(custody)
        if period is None:
            problems.append(f"{where} → oqtf_deadline : le délai pour « {custody} » manque")
        elif not (period.months or period.days or period.hours):
            problems.append(
                f"{where} → oqtf_deadline → {custody} : délai nul (indiquer months, days ou hours)"
            )
    if settings.custody_when_unknown is not None and settings.custody_when_unknown not in CUSTODY_KINDS:
        problems.append(
            f"{where} → custody_when_unknown : valeur « {settings.custody_when_unknown} » inconnue "
            f"(possibles : {', '.join(CUSTODY_KINDS)}, ou null)"
        )
    for code in settings.status_from_expiry:
        if code not in DOCUMENT_CODES:
            problems.append(f"{where} → status_from_expiry : document « {code} » inconnu")
    for level in settings.fast_track:
        if level not in URGENCY_LEVELS:
            problems.append(
                f"{where} → fast_track : niveau « {level} » inconnu ({', '.join(URGENCY_LEVELS)})"
            )


def _build(data: RulesFile, documents: DocumentCatalogue, raw: object) -> tuple[RuleBook | None, list[str]]:
    problems: list[str] = []
    _check_settings(data.settings, problems)

    modifier: Modifier | None = None
    if data.modifier is not None:
        where = "modifier"
        predicates = _compile_when(data.modifier.when, where, problems)
        if data.modifier.ceiling not in URGENCY_LEVELS:
            problems.append(f"{where} → ceiling : niveau « {data.modifier.ceiling} » inconnu")
        _check_reason(data.modifier.reason, where, problems)
        modifier = Modifier(
            predicates,
            data.modifier.raise_by,
            cast(UrgencyLevel, data.modifier.ceiling),
            data.modifier.reason,
        )

    rules: list[Rule] = []
    counts = Counter(rule.name for rule in data.rules)
    reported: set[str] = set()
    for index, model in enumerate(data.rules):
        where = _rule_label(raw, index)
        if not _RULE_NAME.match(model.name):
            problems.append(f"{where} → name : minuscules, chiffres et _ seulement (par exemple oqtf_open)")
        if counts[model.name] > 1 and model.name not in reported:
            reported.add(model.name)
            problems.append(f"{where} : le nom « {model.name} » est utilisé par {counts[model.name]} règles")
        if model.level not in URGENCY_LEVELS:
            problems.append(
                f"{where} → level : niveau « {model.level} » inconnu "
                f"(possibles : {', '.join(URGENCY_LEVELS)})"
            )
        _check_reason(model.reason, where, problems)
        is_last = index == len(data.rules) - 1
        if not model.when and not is_last:
            problems.append(
                f"{where} : règle sans condition avant la fin — les règles suivantes ne serviraient jamais"
            )
        predicates = _compile_when(model.when, where, problems)
        rules.append(Rule(model.name, cast(UrgencyLevel, model.level), predicates, model.reason))

    last = data.rules[-1] if data.rules else None
    if last is None or last.name != "default" or last.when:
        problems.append(
            "rules : la dernière règle doit s'appeler « default » et n'avoir aucune condition (when: {})"
        )
    if problems:
        return None, problems
    return RuleBook(rules, modifier, data.settings, documents), []


def _read(path: Path, documents: DocumentCatalogue | None) -> tuple[RuleBook | None, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"lecture impossible : {exc.strerror or exc}"]
    try:
        raw = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        return None, [f"le fichier n'est pas du YAML valide : {exc}"]
    try:
        data = RulesFile.model_validate(raw)
    except ValidationError as exc:
        return None, [f"{_location(err['loc'], raw)} : {_plain_error(err)}" for err in exc.errors()]
    if documents is None:
        try:
            documents = load_documents()
        except DocumentsError as exc:
            return None, [f"catalogue des documents : {exc}"]
    return _build(data, documents, raw)


def load_rules(path: Path | None = None, documents: DocumentCatalogue | None = None) -> RuleBook:
    """Load and check the rule file; raises RulesError listing every problem with its location."""
    path = path or DEFAULT_RULES_PATH
    book, problems = _read(path, documents)
    if book is None:
        raise RulesError(str(path), problems)
    logger.debug("loaded %d urgency rules", len(book.rules))
    return book


def check_rules(path: Path | None = None) -> list[str]:
    """The problems of a rule file in plain words (empty when fine), for `triage rules check`."""
    _, problems = _read(path or DEFAULT_RULES_PATH, None)
    return problems
