"""What a message says: intents, slot values, languages (the engine's `Understanding` port).

Everything language-specific is data in `nlu_data/`; this module combines the parsers:
intent classifier (intents.py), gazetteer (places.py), dates (dates.py) and the synonym lexicons
(documents, custody, application status, vulnerabilities, removal order).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.clock import PARIS
from bot.core.conversation import Candidate
from bot.core.messages import Location
from bot.core.ports import Finding, Reading
from bot.understanding.dates import DateKind, DateLexicon, DateParser
from bot.understanding.models import TrainedModels
from bot.understanding.nlu_data import NluData
from bot.understanding.places import Gazetteer, PlaceMatch, needs_confirmation
from bot.understanding.text import contains_phrase, fold

logger = logging.getLogger(__name__)

BOOL_SLOTS = frozenset({"consent", "removal_order", "evidence", "confirm"})
DATE_SLOTS: Mapping[str, DateKind] = {
    "expiry_date": "expiry",
    "removal_order_date": "event",
    "attempts_since": "event",
}
COMMAND_INTENTS = frozenset({"erase", "restart", "help", "human", "back", "skip", "change_language"})
# A note longer than this is cut: it is read by a volunteer on a phone.
MAX_NOTE_CHARS = 1000
_CLAUSE_BREAK = re.compile(r"[,;.!:،]|\s(?:et|mais|and|but|y|pero|و|بس)\s")
# Places within this score of the best are offered with it when the bot must ask.
PLACE_MARGIN = 0.1
FUZZY_DOCUMENT_MIN = 86
# The value models: sure above the first, worth a confirmation above the second.
MODEL_SURE = 0.85
MODEL_ASK = 0.5


@dataclass(frozen=True)
class Lexicon:
    """Folded expression → value, for one kind of slot, searched longest expression first."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, synonyms: Iterable[Mapping[str, list[str]]]) -> Lexicon:
        pairs: dict[str, str] = {}
        for table in synonyms:
            for value, expressions in table.items():
                for expression in expressions:
                    folded = fold(expression)
                    if folded:
                        pairs.setdefault(folded, value)
        ordered = sorted(pairs.items(), key=lambda item: len(item[0]), reverse=True)
        return cls(tuple(ordered))

    def find_all(self, folded_text: str) -> list[tuple[str, str]]:
        """Every (expression, value) in the text, longest first, without overlaps."""
        found: list[tuple[str, str]] = []
        remaining = folded_text
        for expression, value in self.entries:
            if len(expression) > len(remaining):
                continue
            if contains_phrase(remaining, expression):
                found.append((expression, value))
                remaining = remaining.replace(expression, " | ")
        return found

    def best(self, folded_text: str) -> tuple[str, str] | None:
        found = self.find_all(folded_text)
        return found[0] if found else None

    def fuzzy(self, folded_text: str) -> tuple[str, str, float] | None:
        choices = [expression for expression, _ in self.entries]
        result = process.extractOne(folded_text, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_DOCUMENT_MIN)
        if result is None:
            return None
        expression, score, index = result
        return expression, self.entries[index][1], float(score)


class NluUnderstanding:
    """The production understanding: trained at start-up from `nlu_data/`, then read-only."""

    def __init__(
        self,
        data: NluData,
        gazetteer: Gazetteer,
        document_labels: Mapping[str, Mapping[str, str]],
        models: TrainedModels | None = None,
    ) -> None:
        self.data = data
        self.gazetteer = gazetteer
        self.document_labels = document_labels
        models = models or TrainedModels.train(data)
        self.intents = models.intents
        self.values = models.values
        self.languages = models.languages
        self._lexicons: dict[tuple[str, str], Lexicon] = {}
        self._dates: dict[str, DateParser] = {}
        self._language_names = self._build_language_names()
        self._none_answers = {
            lang: frozenset(fold(entry) for entry in self._lookup_merged(lang, "none_answer"))
            for lang in data.languages
        }
        self._correction_cues = {
            lang: tuple(fold(cue) for cue in self._lookup_merged(lang, "correction_cue"))
            for lang in data.languages
        }
        for lang in data.languages:
            for kind in (
                "document",
                "custody",
                "application_status",
                "vulnerabilities",
                "removal_order",
                "evidence",
            ):
                self._lexicons[(lang, kind)] = Lexicon.build(
                    self.data.synonyms(other, kind) for other in self._with_french(lang)
                )
            self._dates[lang] = DateParser(self._date_lexicon(self._with_french(lang)))

    # -- the port ------------------------------------------------------------------------------

    def detect_language(self, text: str) -> str | None:
        return self.languages.detect(text)

    def read(
        self,
        text: str,
        *,
        lang: str,
        asked: str | None,
        now: dt.datetime,
        location: Location | None = None,
    ) -> Reading:
        lang = lang if lang in self.data.languages else "fr"
        today = now.astimezone(PARIS).date()
        folded = fold(text)
        guess = self.intents.classify(text, lang) if text else None
        intent = guess.intent if guess else None
        findings: list[Finding] = []

        if location is not None:
            findings.extend(self._location(location))
        if folded:
            findings.extend(self._read_text(text, folded, lang, asked, today, intent))

        named = self._named_language(folded)
        if asked == "language" and named:
            findings.append(_certain("language", {"language": named}, named))
        # An answer to the question asked is not a command ("non" to "ajouter quelque chose ?").
        if intent in COMMAND_INTENTS and any(f.slot == asked for f in findings):
            intent = None
        correcting = any(contains_phrase(folded, cue) for cue in self._correction_cues.get(lang, ()))
        return Reading(intent=intent, findings=tuple(findings), named_language=named, correcting=correcting)

    # -- slots -----------------------------------------------------------------------------------

    def _read_text(
        self, text: str, folded: str, lang: str, asked: str | None, today: dt.date, intent: str | None
    ) -> list[Finding]:
        findings: list[Finding] = []
        place = self._place(text, asked == "prefecture", lang)
        if place is not None:
            findings.append(place)

        document = self._document(folded, lang, asked == "document")
        if document is not None:
            findings.append(document)

        findings.extend(self._dates_in(text, folded, lang, asked, today, document))

        removal = self._lexicons[(lang, "removal_order")].best(folded)
        is_question = text.rstrip().endswith(("?", "؟"))  # "c'est quoi une OQTF ?" says nothing
        if removal is not None and not is_question:
            findings.append(
                _certain("removal_order", {"removal_order": removal[1] == "received"}, removal[0])
            )

        custody = self._custody(folded, lang, asked == "custody")
        if custody is not None:
            findings.append(custody)

        if asked == "application_status":
            status = self._application_status(folded, lang, intent)
            if status is not None:
                findings.append(status)

        vulnerabilities = self._vulnerabilities(folded, lang, asked == "vulnerabilities", intent)
        if vulnerabilities is not None:
            findings.append(vulnerabilities)

        if asked == "evidence":
            kept = self._lexicons[(lang, "evidence")].best(folded)
            if kept is not None:
                findings.append(_certain("evidence", {"evidence": kept[1] == "kept"}, kept[0]))
            elif self._yes_no(intent) is None:
                model = self._model_finding(folded, lang, "evidence")
                if model is not None:
                    findings.append(model)
        if asked in BOOL_SLOTS and not any(f.slot == asked for f in findings):
            answer = self._yes_no(intent)
            if answer is None:
                answer = self._yes_no(self._first_clause_intent(text, lang))
            # A correction at the confirmation ("non, la date c'est le 5 avril") is not a plain "no".
            if answer is not None and not (asked == "confirm" and findings):
                findings.append(_certain(asked, {asked: answer}, "oui" if answer else "non"))

        if asked == "note" and intent not in ("deny", "dont_know", *COMMAND_INTENTS):
            note = " ".join(text.split())[:MAX_NOTE_CHARS]
            findings.append(_certain("note", {"note": note}, note))
        return findings

    def _place(self, text: str, asked: bool, lang: str) -> Finding | None:
        matches = self.gazetteer.resolve(text, asked=asked)
        if not matches:
            return None
        best = matches[0]
        if not needs_confirmation(matches):
            return Finding("prefecture", (_place_candidate(best),), certain=True, echo=best.score < 0.99)
        if not asked:
            return None  # an unsure place in passing is not worth a question
        # Offer one candidate per département, best first: the prefecture is what matters.
        offered: dict[str, PlaceMatch] = {}
        for match in matches:
            if match.score >= best.score - PLACE_MARGIN or not offered:
                offered.setdefault(match.department, match)
        candidates = tuple(_place_candidate(m) for m in list(offered.values())[:4])
        return Finding("prefecture", candidates, certain=False)

    def _location(self, location: Location) -> list[Finding]:
        commune = self.gazetteer.nearest(location.lat, location.lon)
        if commune is None:
            return []
        label = f"{commune.name} ({commune.department})"
        values = {"prefecture": commune.department, "commune": commune.insee}
        return [Finding("prefecture", (Candidate(values=values, label=label),), certain=True, echo=True)]

    def _document(self, folded: str, lang: str, asked: bool) -> Finding | None:
        lexicon = self._lexicons[(lang, "document")]
        found = lexicon.best(folded)
        if found is not None:
            expression, code = found
            # In passing, a lone word ("rien", "aucun") says nothing about papers.
            if asked or " " in expression or len(expression) >= 6:
                return _certain(
                    "document", self._document_values(code, folded), self._document_label(code, lang)
                )
        if asked:
            fuzzy = lexicon.fuzzy(folded)
            if fuzzy is None:
                return self._model_finding(folded, lang, "document")
            if fuzzy is not None:
                _, code, score = fuzzy
                return Finding(
                    "document",
                    (
                        Candidate(
                            values=self._document_values(code, folded), label=self._document_label(code, lang)
                        ),
                    ),
                    certain=score >= 92,
                    echo=True,
                )
        return None

    def _document_values(self, code: str, folded: str) -> dict[str, Any]:
        values: dict[str, Any] = {"document": code}
        if code == "OTHER":
            values["document_text"] = folded[:200]
        return values

    def _document_label(self, code: str, lang: str) -> str:
        labels = self.document_labels.get(code, {})
        return labels.get(lang) or labels.get("fr") or code

    def _custody(self, folded: str, lang: str, asked: bool) -> Finding | None:
        found = self._lexicons[(lang, "custody")].best(folded)
        if found is None:
            return self._model_finding(folded, lang, "custody") if asked else None
        expression, value = found
        # In passing only clear phrases count ("je suis au CRA"), never a lone "cra" or "libre".
        if not asked and (" " not in expression or value == "free"):
            return None
        return _certain("custody", {"custody": value}, expression)

    def _application_status(self, folded: str, lang: str, intent: str | None) -> Finding | None:
        found = self._lexicons[(lang, "application_status")].best(folded)
        if found is not None:
            return _certain("application_status", {"application_status": found[1]}, found[0])
        guess = self._model_finding(folded, lang, "application_status")
        if guess is not None:
            return guess
        if intent == "deny":
            return _certain("application_status", {"application_status": "not_filed"}, "non")
        if intent == "affirm":
            # "Oui" alone does not say whether a valid receipt came with it: ask.
            return Finding(
                "application_status",
                tuple(
                    Candidate(values={"application_status": value}, label=value)
                    for value in ("filed_with_proof", "filed_without_proof")
                ),
                certain=False,
            )
        return None

    def _model_finding(self, folded: str, lang: str, kind: str, slot: str | None = None) -> Finding | None:
        """A value the model proposes: taken when sure, confirmed when likely, else nothing."""
        guess = self.values.guess(folded, lang, kind)
        if guess.value is None or guess.probability < MODEL_ASK:
            return None
        slot = slot or kind
        value: Any = guess.value
        if kind == "vulnerabilities":
            value = frozenset({guess.value})
        elif kind == "evidence":
            value = guess.value == "kept"
        values = {slot: value}
        if kind == "document":
            values = self._document_values(guess.value, folded)
        candidate = Candidate(values=values, label=str(guess.value))
        return Finding(slot, (candidate,), certain=guess.probability >= MODEL_SURE, echo=True)

    def _vulnerabilities(self, folded: str, lang: str, asked: bool, intent: str | None) -> Finding | None:
        found = self._lexicons[(lang, "vulnerabilities")].find_all(folded)
        if not asked:
            found = [(expression, value) for expression, value in found if " " in expression]
        values = frozenset(value for _, value in found)
        if values:
            return _certain("vulnerabilities", {"vulnerabilities": values}, ", ".join(sorted(values)))
        if asked and (intent in ("deny", "dont_know") or folded in self._none_answers.get(lang, ())):
            return _certain("vulnerabilities", {"vulnerabilities": frozenset()}, "-")
        return self._model_finding(folded, lang, "vulnerabilities") if asked else None

    def _first_clause_intent(self, text: str, lang: str) -> str | None:
        """ "oui, et je suis assigné à résidence": the yes is in the first words."""
        clause = _CLAUSE_BREAK.split(text.strip(), maxsplit=1)[0]
        if clause == text.strip() or not clause:
            return None
        return self.intents.classify(clause, lang).intent

    def _yes_no(self, intent: str | None) -> bool | None:
        if intent == "affirm":
            return True
        if intent == "deny":
            return False
        return None

    def _dates_in(
        self,
        text: str,
        folded: str,
        lang: str,
        asked: str | None,
        today: dt.date,
        document: Finding | None,
    ) -> list[Finding]:
        parser = self._dates[lang]
        if asked is not None and asked in DATE_SLOTS:
            reading = parser.parse(text, today=today, kind=DATE_SLOTS[asked])
            if reading is None:
                return []
            return [_certain(asked, {asked: reading.value}, reading.value.strftime("%d/%m/%Y"))]
        # In passing, a date is taken only with a word saying what it is the date of.
        slot = self._date_slot_from_cues(folded, lang, asked, document)
        if slot is None:
            return []
        reading = parser.parse(text, today=today, kind=DATE_SLOTS[slot])
        if reading is None:
            return []
        return [_certain(slot, {slot: reading.value}, reading.value.strftime("%d/%m/%Y"))]

    def _date_slot_from_cues(
        self, folded: str, lang: str, asked: str | None, document: Finding | None
    ) -> str | None:
        cues = self._lookup_merged(lang, "date_cue_removal_order")
        if any(contains_phrase(folded, fold(c)) for c in cues):
            return "removal_order_date"
        cues = self._lookup_merged(lang, "date_cue_attempts")
        if any(contains_phrase(folded, fold(c)) for c in cues):
            return "attempts_since"
        cues = self._lookup_merged(lang, "date_cue_expiry")
        if document is not None or asked == "confirm" or any(contains_phrase(folded, fold(c)) for c in cues):
            return "expiry_date"
        return None

    # -- languages -------------------------------------------------------------------------------

    def _lookup_merged(self, lang: str, name: str) -> list[str]:
        return [entry for other in self._with_french(lang) for entry in self.data.lookup(other, name)]

    def _with_french(self, lang: str) -> list[str]:
        # French words turn up in every language here ("récépissé", "OQTF", "préfecture").
        return [lang] if lang == "fr" else [lang, "fr"]

    def _build_language_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for lang in self.data.languages:
            for code in self.data.languages:
                for name in self.data.lookup(lang, f"language_{code}"):
                    names[fold(name)] = code
        return names

    def _named_language(self, folded: str) -> str | None:
        if not folded:
            return None
        if folded in self._language_names:
            return self._language_names[folded]
        for name, code in sorted(self._language_names.items(), key=lambda item: -len(item[0])):
            if len(name) >= 4 and contains_phrase(folded, name):
                return code
        return None

    def _date_lexicon(self, langs: Sequence[str]) -> DateLexicon:
        months: dict[str, int] = {}
        numbers: dict[str, int] = {}
        words: dict[str, list[str]] = {}
        for lang in langs:
            for name, entries in self.data.by_language[lang].lookups.items():
                if name.startswith(("month_", "season_")):
                    # A season is read like the month in its middle ("depuis l'été": mid-July).
                    for entry in entries:
                        months.setdefault(entry, int(name.rsplit("_", 1)[1]))
                elif name.startswith("number_"):
                    for entry in entries:
                        numbers.setdefault(entry, int(name.removeprefix("number_")))
                else:
                    words.setdefault(name, []).extend(entries)
        return DateLexicon.build(months, numbers, words)


def _certain(slot: str, values: Mapping[str, Any], label: str) -> Finding:
    return Finding(slot, (Candidate(values=dict(values), label=label),), certain=True)


def _place_candidate(match: PlaceMatch) -> Candidate:
    return Candidate(values={"prefecture": match.department, "commune": match.commune}, label=match.label)
