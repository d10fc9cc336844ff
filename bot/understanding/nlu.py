"""What a message says: intents, slot values, languages (the engine's `Understanding` port).

Everything language-specific is data in `nlu_data/`; this module combines the parsers:
intent classifier (intents.py), gazetteer (places.py), dates (dates.py) and the synonym lexicons
(documents, custody, application status, vulnerabilities, removal order).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import phonenumbers
from dateutil.relativedelta import relativedelta
from rapidfuzz import fuzz, process

from bot.core.case import DOCUMENT_CODES
from bot.core.clock import PARIS
from bot.core.conversation import Candidate
from bot.core.messages import Location
from bot.core.ports import Finding, Reading
from bot.understanding.dates import DateKind, DateLexicon, DateParser, DateReading
from bot.understanding.models import TrainedModels
from bot.understanding.nlu_data import NluData
from bot.understanding.places import Gazetteer, PlaceMatch, needs_confirmation
from bot.understanding.places import normalize as normalize_place
from bot.understanding.text import contains_phrase, fold, split_arabic_negation

logger = logging.getLogger(__name__)

BOOL_SLOTS = frozenset({"consent", "removal_order", "evidence", "confirm"})
# Papers given while a card is renewed or examined: people name them with the card's date beside
# their own ("ma carte a expiré le 3 mars, mon récépissé finit le 10 décembre").
PAPERS_HELD_BESIDE_A_CARD = frozenset({"RECEPISSE", "ANEF_API", "APS"})

DATE_SLOTS: Mapping[str, DateKind] = {
    "expiry_date": "expiry",
    "removal_order_date": "event",
    "attempts_since": "event",
}
COMMAND_INTENTS = frozenset({"erase", "restart", "help", "human", "back", "skip", "change_language"})
# A message naming a language and nothing else, up to this long, asks to switch to it.
SWITCH_MAX_WORDS = 4
# A note longer than this is cut: it is read by a volunteer on a phone.
MAX_NOTE_CHARS = 1000
# A pick at a choice by rank or by denying the others is a short answer; longer ones are read
# as answers to the question.
PICK_MAX_WORDS = 10
RANKS = ("1", "2", "3", "4", "5", "6")
# Words that join clauses. "y" is the Spanish "and" only: in French it is the "y" of "il y a"
# ("OQTF il y a 3 semaines" is one clause, the date goes with the order).
_JOINERS = ("et", "mais", "and", "but", "pero", "aunque", "لكن", "ولكن", "بس", "و")
_JOINERS_OF_LANGUAGE: Mapping[str, tuple[str, ...]] = {"es": ("y",), "ar": ("w", "o", "walakin", "walakine")}


@functools.cache
def _clause_break(lang: str) -> re.Pattern[str]:
    """Clause ends in raw text: punctuation and the words that join clauses."""
    joiners = "|".join((*_JOINERS, *_JOINERS_OF_LANGUAGE.get(lang, ())))
    return re.compile(rf"[,;.!:،]|\s(?:{joiners})\s")


@functools.cache
def _clause_bounds(norm: str, span: Span, lang: str) -> tuple[int, int]:
    """Where the clause holding ``span`` starts and ends in folded text."""
    breaks = _folded_clause_break(lang)
    start = max((found.end() for found in breaks.finditer(norm[: span.start])), default=0)
    end = breaks.search(norm, span.end)
    return start, end.start() if end else len(norm)


def _blanked(text: str, start: int, end: int) -> str:
    """``text`` with ``start:end`` replaced by spaces: every other word keeps its place."""
    return text[:start] + " " * (end - start) + text[end:]


def _folded_clause_break(lang: str) -> re.Pattern[str]:
    """Clause ends in text folded with `fold(..., clauses=True)`: "|" and the joining words."""
    joiners = "|".join((*_JOINERS, *_JOINERS_OF_LANGUAGE.get(lang, ())))
    return re.compile(rf"\|| (?:{joiners}) ")


# Words that start another clause: a negation before them does not reach past them ("ils ne
# répondent pas depuis que j'ai envoyé", "je n'ai reçu que le récépissé").
_SCOPE_ENDS = frozenset(
    {
        "que",
        "qu'",
        "qui",
        "quand",
        "depuis",
        "because",
        "since",
        "when",
        "porque",
        "cuando",
        "desde",
        "لان",
        "ملي",
        # Darija "ما عندي غير الوصل", "ما عندي الا الوصل": "I have nothing but the receipt".
        "غير",
        "الا",
        "ghir",
        # "sans papiers avec OQTF", "rien sauf mes enfants": what follows is had, not denied.
        "avec",
        "with",
        "con",
        "مع",
        "sauf",
        "except",
        "excepto",
        "salvo",
        "menos",
    }
)
# The person counting themselves in, beside someone else ("moi et ma femme", "yo y mi esposo
# tenemos", "me and my wife", "انا وراجلي عندنا"), or an object pronoun of theirs ("mon fils vient me
# voir au CRA"): their own situation.
# Subjects that start a statement of its own after a fear or a future ("ils vont m'expulser, on m'a
# donné une OQTF", "g reçu", "im in the CRA").
_OTHER_SUBJECTS = frozenset({"on", "ils", "they", "ellos", "g", "im"})
# Auxiliaries before a participle that folds like a present ("m'a donné" is "m'a donne"): past.
_AUXILIARIES = frozenset(
    {
        "a",
        "ai",
        "as",
        "ont",
        "avons",
        "avez",
        "ete",
        "ma",
        "mont",
        "has",
        "have",
        "had",
        "was",
        "were",
        "been",
        "ha",
        "han",
        "he",
        "fue",
    }
)
# "C'est pas mon OQTF", "it's not my OQTF", "no es mi OQTF": a negation of being, not of a verb.
_COPULAS = frozenset(
    {"c", "c'est", "cest", "ce", "est", "c'etait", "etait", "es", "is", "it's", "its", "was", "isn't"}
)
_COPULAR_NEGATIONS = frozenset({"not", "ماشي", "machi", "mashi"})
# "Still" ("j'étais au CRA, j'y suis encore"): where one was is where one is.
_STILL = frozenset(
    {"encore", "toujours", "still", "todavia", "sigo", "مازال", "مازلت", "باقي", "mazal", "ba9i"}
)
# The words between being and a place ("j'étais au CRA", "I was in detention", "كنت في الحبس").
_PLACE_LINKS = frozenset(
    {
        "au",
        "en",
        "a",
        "dans",
        "in",
        "at",
        "the",
        "el",
        "la",
        "le",
        "un",
        "une",
        "في",
        "ف",
        "f",
        "fi",
        "fl",
        "fel",
    }
)
# The word between an order or a place and the one it was given to or is of ("une OQTF à mon mari").
_TO_SOMEONE = frozenset({"a", "to", "pour", "for", "de", "of", "para", "del", "ل"})
# After a "pas" that follows a paper, what the "pas" goes with instead ("pas de récépissé", "pas une
# carte", "not a student card", "no una tarjeta").
_ARTICLES_AFTER_NOT = frozenset(
    {"de", "du", "des", "un", "une", "le", "la", "les", "a", "an", "the", "una", "el"}
)
# Little words between a verb of placing and the place ("send me to the", "llevarme al").
_TO_A_PLACE = frozenset({"to", "the", "al", "el", "la", "le", "au", "l'", "l", "into"})
# The word between a release and the place left ("sorti de prison", "released from the CRA").
_FROM = frozenset({"de", "du", "des", "from", "of", "the", "del", "la", "من", "mn", "men"})
# Indefinite articles and the pronouns between a fear and what it fears ("peur qu'ils me donnent une").
_INDEFINITE = frozenset(
    {"une", "un", "d'une", "d'un", "a", "an", "una", "me", "m'", "any", "some", "d'avoir", "avoir", "getting"}
)
# A verb of placing or giving counts within this many words before the order or the place.
UNREAL_VERB_REACH = 3
_FIRST_PERSON = frozenset(
    {
        "moi",
        "me",
        "m'",
        "nous",
        "avons",
        "yo",
        "tenemos",
        "nosotros",
        "we",
        "us",
        "انا",
        "احنا",
        "عندنا",
        "ana",
        "7na",
        "3andna",
        "m",
        "وانا",
    }
)


# The person as the subject, beside `_FIRST_PERSON`: "je", "I", "yo", "ana" start most answers.
_SPEAKER = frozenset({"je", "j", "i", "yo", "ana", "انا", "أنا", "عندي", "3ndi", "3andi"})


def _starts_with_any(words: Sequence[str], starts: Sequence[str]) -> bool:
    """Whether the first of ``words`` is one of ``starts`` or, for an elided one ("qu'", "d'"),
    begins with it ("qu'ils", "d'être")."""
    return bool(words) and any(
        words[0] == start or (start.endswith("'") and words[0].startswith(start)) for start in starts
    )


def _definite_before(norm: str, span: Span) -> bool:
    """The expression right after a definite article or a demonstrative ("l'OQTF", "the OQTF",
    "la OQTF", "cette OQTF"): a thing that exists."""
    head = norm[: span.start]
    return head.endswith("l'") or head.split()[-1:] in (
        ["la"],
        ["le"],
        ["the"],
        ["el"],
        ["cette"],
        ["this"],
        ["esta"],
    )


# What may follow "j'en ai une" when it answers the order's question: its date, or nothing.
_AFTER_ONE = frozenset(
    {"|", "depuis", "since", "desde", "le", "du", "en", "on", "el", "de", "from", "منذ", "oui", "yes", "si"}
    | {"aussi", "too", "tambien", "et", "and", "y", "il", "ago", "hace", "ya"}
)
# "être" before a participle of placing ("d'être enfermé"): a placing to come or feared.
_TO_BE = frozenset({"etre", "être", "detre", "be", "being", "ser"})


def _unelided(word: str) -> str:
    """The word without an elided pronoun before it: "m'enfermer" → "enfermer"."""
    return word.rsplit("'", 1)[-1]


# "Nothing" in the ways the lists say it ("j'ai rien", "I have nothing", "no tengo nada", "ما عندي والو").
_NOTHING = frozenset({"rien", "nothing", "nada", "والو", "walo", "walou"})
_SCOPE_END_PHRASES = ("a part", "apart from", "en dehors de", "aparte de")
# Also "and I have" in Darija, glued ("ما عندي حتى وراق وعندي OQTF"), and "I'll".
_SUBJECT_PRONOUNS = frozenset(
    {"je", "j'ai", "i", "i'm", "i'll", "yo", "انا", "راني", "rani", "ana", "وعندي", "w3andi", "wa3andi"}
)
# Facts that decide the most urgent levels: a navigation command beside them does not drop them.
URGENT_FACTS = frozenset({"custody", "removal_order"})
# A negation applies to what follows it in the same clause, within this many words.
NEGATION_REACH = 4
# A fear or a future bears on what follows it a little further: "j'ai peur qu'ils me donnent une OQTF".
UNREAL_REACH = 6
# Words between "I was" and a place of detention when a release is said in the message.
WAS_THERE_REACH = 3
# Clitics glued to Arabic words ("و" and, "ف" in), read through by the lexicons.
ARABIC_PREFIXES = ("و", "ف")
# Concepts of an answer about the application (lookups of `application_status.yml`).
STATUS_CONCEPTS = (
    "status_filed",
    "status_not_filed",
    "status_proof",
    "status_deposit_only",
    "status_proof_expired",
    "status_response",
    "status_refused",
)
# Broad codes a more precise expression refines ("carte de résident" + "réfugié" is CR_REFUGIE).
REFINED_BY: Mapping[str, frozenset[str]] = {
    "CR_10": frozenset({"CR_REFUGIE", "CR_UE", "CR_PERM"}),
    # The student card is CST_ETU whether temporary or multi-year (spec table 1.1).
    "CSP_OTHER": frozenset({"CSP_TALENT", "CSP_SAISON", "CSP_PS", "CST_ETU"}),
    "CST_SAL": frozenset({"CST_TT"}),
    "OTHER": frozenset(DOCUMENT_CODES) - {"OTHER", "NONE"},
}
# A yes this short is a yes and nothing else ("ih", "oui oui").
BARE_ANSWER_WORDS = 2
# Places within this score of the best are offered with it when the bot must ask.
PLACE_MARGIN = 0.1
FUZZY_DOCUMENT_MIN = 86
# More words than this beside a "help" at the free note: a plea, kept as the note.
PLEA_WORDS = 3
# Words beside a card named without its kind that may say the kind ("student residence card").
KIND_BESIDE_WORDS = 2
_MONTH_LOOKUP = re.compile(r"(?:month|season)_\d\d")
# The value models: sure above the first, worth a confirmation above the second.
MODEL_SURE = 0.85
MODEL_ASK = 0.5
# Character n-grams do not see a negation: "i dont agree", "no acepto" score as "affirm". With a
# negation word in the message, a yes is taken only when the model is this sure of it or the
# message is one of its examples ("ماشي مشكل"); otherwise the question is asked again.
AFFIRM_DESPITE_NEGATION = 0.8


@dataclass(frozen=True)
class Span:
    """One expression of a lexicon found in a text, with where it is."""

    start: int
    end: int
    expression: str
    value: str


_HEAD = 3


@dataclass(frozen=True)
class Lexicon:
    """Folded expression → value, for one kind of slot, searched longest expression first.

    `prefixes` are clitics glued to the next word that do not change what it means (Arabic
    "و" and, "ف" in: "وعندي ثلاثة أطفال", "فالحبس").
    """

    entries: tuple[tuple[str, str], ...]
    prefixes: frozenset[str] = frozenset()
    # Entry positions by their first HEAD characters: `spans` tries only the entries whose head
    # occurs in the text instead of searching the text for each of hundreds of entries.
    _by_head: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_head: dict[str, list[int]] = {}
        for index, (expression, _) in enumerate(self.entries):
            by_head.setdefault(expression[:_HEAD], []).append(index)
        object.__setattr__(self, "_by_head", {head: tuple(found) for head, found in by_head.items()})

    def _candidates(self, text: str) -> list[tuple[str, str]]:
        """The entries that occur in ``text`` as substrings, in `entries` order (longest first).
        Blanking in `spans` only removes occurrences, so no other entry could be found."""
        heads, prefixes = self._by_head, self.prefixes
        found: set[int] = set()
        previous = ""
        for start, char in enumerate(text):
            # Only where `spans` could accept a match: a word start (also after a clitic), or a
            # character that is not a letter (blanking never makes other places word starts).
            if not previous.isalnum() or previous in prefixes or not char.isalnum():
                for size in range(1, _HEAD + 1):
                    hit = heads.get(text[start : start + size])
                    if hit is not None:
                        found.update(i for i in hit if text.startswith(self.entries[i][0], start))
            previous = char
        return [self.entries[i] for i in sorted(found)]

    @classmethod
    def build(cls, synonyms: Iterable[Mapping[str, list[str]]], prefixes: Iterable[str] = ()) -> Lexicon:
        pairs: dict[str, str] = {}
        for table in synonyms:
            for value, expressions in table.items():
                for expression in expressions:
                    # Read like the messages: "ما عنديش دار" is matched as "ما عندي دار".
                    folded = split_arabic_negation(fold(expression))
                    if folded:
                        pairs.setdefault(folded, value)
        ordered = sorted(pairs.items(), key=lambda item: len(item[0]), reverse=True)
        return cls(tuple(ordered), frozenset(prefixes))

    def spans(self, folded_text: str) -> list[Span]:
        """Every expression in the text, longest expressions first, without overlaps; sorted by place."""
        found: list[Span] = []
        remaining = folded_text
        for expression, value in self._candidates(folded_text):
            if len(expression) > len(remaining):
                continue
            start = remaining.find(expression)
            while start != -1:
                end = start + len(expression)
                if self._starts_word(remaining, start) and (
                    end == len(remaining) or not remaining[end].isalnum()
                ):
                    found.append(Span(start, end, expression, value))
                    # Blanked, not removed: the other spans keep their places.
                    remaining = remaining[:start] + "|" * len(expression) + remaining[end:]
                    start = remaining.find(expression, end)
                else:
                    start = remaining.find(expression, start + 1)
        return sorted(found, key=lambda span: span.start)

    def _starts_word(self, text: str, start: int) -> bool:
        if start == 0 or not text[start - 1].isalnum():
            return True
        glued = start - 1
        return text[glued] in self.prefixes and (glued == 0 or not text[glued - 1].isalnum())

    def find_all(self, folded_text: str) -> list[tuple[str, str]]:
        """Every (expression, value) in the text, longest first, without overlaps."""
        found = sorted(self.spans(folded_text), key=lambda span: (-len(span.expression), span.start))
        return [(span.expression, span.value) for span in found]

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
        self._number_words: dict[str, frozenset[str]] = {}
        # At a choice: the words of each rank ("deuxième" → "2") and the words that name nothing.
        self._ranks: dict[str, dict[str, str]] = {}
        self._words_of_rank: dict[str, dict[int, frozenset[str]]] = {}  # option index → its words
        self._choice_fillers: dict[str, frozenset[str]] = {}
        self._rank_fillers: dict[str, frozenset[str]] = {}
        self._negated_verbs: dict[str, frozenset[str]] = {}
        self._mainland: dict[str, frozenset[str]] = {}
        self._ne: dict[str, NeParticles] = {}
        self._birth_cues: dict[str, re.Pattern[str] | None] = {}
        self._mine_before: dict[str, frozenset[str]] = {}
        self._deletion_words: dict[str, frozenset[str]] = {}
        self._unreal_verbs: dict[str, frozenset[str]] = {}
        self._someone_else_links: dict[str, frozenset[str]] = {}
        self._if_words: dict[str, frozenset[str]] = {}
        self._receive_verbs: dict[str, frozenset[str]] = {}
        self._unreal_participles: dict[str, frozenset[str]] = {}
        self._taken_to: dict[str, frozenset[str]] = {}
        self._being_there: dict[str, frozenset[str]] = {}
        self._works_there: dict[str, frozenset[str]] = {}
        self._ordinals: dict[str, frozenset[str]] = {}
        self._unreal_connectors: dict[str, tuple[str, ...]] = {}
        self._mine_after: dict[str, frozenset[str]] = {}
        self._birth_ends: dict[str, frozenset[str]] = {}
        self._date_words: dict[str, frozenset[str]] = {}
        self._bare_no: dict[str, frozenset[str]] = {}
        self._bare_yes: dict[str, frozenset[str]] = {}
        self._language_names = self._build_language_names()
        # Longest first, once: `_named_language` runs on every message.
        self._long_language_names = sorted(
            ((name, code) for name, code in self._language_names.items() if len(name) >= 4),
            key=lambda item: -len(item[0]),
        )
        # Date cue words folded once, not at every message (folding is the costliest step of a read).
        self._date_cues = {
            (lang, name): tuple(fold(cue) for cue in self._lookup_merged(lang, name))
            for lang in data.languages
            for name in (
                "date_cue_removal_order",
                "date_cue_attempts",
                "date_cue_expiry",
                "date_word_at_summary",
            )
        }
        # A day of one or two digits right after a word of expiry and its article ("expire le 30",
        # "valable jusqu'au 12", "expires on the 3rd"): never a département number.
        self._expiry_days = {
            lang: re.compile(
                r"(?i)(?<!\w)(?:"
                + "|".join(
                    re.escape(cue)
                    for cue in sorted(
                        {
                            *self._lookup_merged(lang, "date_cue_expiry"),
                            *self._date_cues[(lang, "date_cue_expiry")],
                        },
                        key=len,
                        reverse=True,
                    )
                )
                + r")\s+(?:(?:le|au|du|the|on the|on|el|al)\s+)?(\d{1,2})(?!\d)(?!\s*[/.\-]\s*\d)"
            )
            for lang in data.languages
        }
        self._none_answers = {
            lang: frozenset(fold(entry) for entry in self._lookup_merged(lang, "none_answer"))
            for lang in data.languages
        }
        self._bare_noes = {
            lang: frozenset(
                split_arabic_negation(fold(entry)) for entry in self._lookup_merged(lang, "bare_no")
            )
            for lang in data.languages
        }
        self._affirm_examples = {
            lang: frozenset(fold(example) for example in data.intent_examples(lang).get("affirm", ()))
            for lang in data.languages
        }
        # The examples of "no" ("non", "je refuse", "ma bghitch", "لا"), but none a "yes" says too:
        # a refusal of the consent is one of them, alone or as its first clause, or has a negation.
        # Not any word of any example: "c'est vrai" was a no ("pas vrai" is an example), and so was
        # "la carte" in an Arabic conversation ("la").
        self._deny_examples = {
            lang: frozenset(
                _plain(split_arabic_negation(fold(example)))
                for example in data.intent_examples(lang).get("deny", ())
            )
            - frozenset(_plain(fold(example)) for example in data.intent_examples(lang).get("affirm", ()))
            for lang in data.languages
        }
        self._ordinary_words = self._conversation_words(data, gazetteer)
        self._correction_cues = self._folded_lookup(data.languages, "correction_cue")
        self._only_cues = self._folded_lookup(data.languages, "only_cue")
        self._retraction_cues = self._folded_lookup(data.languages, "retraction_cue")
        self._place_number_cues = self._folded_lookup(data.languages, "place_number_cue")
        self._future_said = self._folded_lookup(data.languages, "future_said")
        self._question_cues = self._folded_lookup(data.languages, "question_cue")
        self._retraction_nos = self._folded_lookup(data.languages, "retraction_no")
        # Single words, as the message is cut into words there ("c'est" is "c", "est").
        self._retraction_no_fillers = {
            lang: frozenset(
                word
                for cue in self._lookup_merged(lang, "retraction_no_filler")
                for word in _DATE_TOKENS.findall(fold(cue))
            )
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
                    (self.data.synonyms(other, kind) for other in self._with_french(lang)),
                    prefixes=self._prefixes(lang),
                )
            self._lexicons[(lang, "status_concepts")] = Lexicon.build(
                [{name: self._lookup_merged(lang, name) for name in STATUS_CONCEPTS}], self._prefixes(lang)
            )
            self._lexicons[(lang, "negation")] = Lexicon.build(
                [{"negation": self._lookup_merged(lang, "negation")}], self._prefixes(lang)
            )
            # Spoken French drops the "ne" of "je n'ai plus de": "j'ai plus de récépissé" says
            # "no more", but "j'ai plus de 3 enfants" says "more than" (see `_negations`).
            self._lexicons[(lang, "negation_no_more")] = Lexicon.build(
                [{"negation": self._lookup_merged(lang, "negation_no_more")}], self._prefixes(lang)
            )
            self._lexicons[(lang, "erase_object")] = Lexicon.build(
                [{"erase_object": self._lookup_merged(lang, "erase_object")}], self._prefixes(lang)
            )
            # "je sais pas, c'est une carte": the negation is about knowing, it denies nothing after it.
            self._lexicons[(lang, "dont_know")] = Lexicon.build(
                [{"dont_know": self._lookup_merged(lang, "dont_know_phrase")}], self._prefixes(lang)
            )
            # French SMS drops the "ne": "ils répondent pas" puts the negation after the verb.
            self._lexicons[(lang, "negation_after")] = Lexicon.build(
                [{"negation": self._lookup_merged(lang, "negation_after")}], self._prefixes(lang)
            )
            for name in (
                "document_vague",
                "document_foreign",
                "document_word",
                "document_former",
                "document_unnamed_kind",
                "document_passport",
            ):
                self._lexicons[(lang, name)] = Lexicon.build(
                    [{name: self._lookup_merged(lang, name)}], self._prefixes(lang)
                )
            self._lexicons[(lang, "nothing_to_change")] = Lexicon.build(
                [{"nothing": self._lookup_merged(lang, "nothing_to_change")}], self._prefixes(lang)
            )
            # Cue lists read as phrases (cues.yml; each one's comment says what it decides).
            for name in (
                "custody_was",
                "release_to_come",
                "release_past",
                "release",
                "date_of_something_else",
                "someone_else",
                "reported_speech",
                "date_of_an_event",
                "question_word",
                "consent_limit",
                "consent_kept_out",
                "me_too",
                "nothing_of",
                "unreal_if",
                "unreal",
                "have_one",
                "me_not",
                "doubt_if",
                "someone_else_pronoun",
                "someone_else_after_named",
                "order_annulled",
                "annulled_other",
                "wish_word",
                "someone_else_relative",
                "visit",
                "what_it_is",
                "annulled_it",
                "long_ago",
                "someone_outside",
                "someone_was",
                "for_them",
                "for_me",
                "plea",
            ):
                self._lexicons[(lang, name)] = Lexicon.build(
                    [{name: self._lookup_merged(lang, name)}], self._prefixes(lang)
                )
            # Cue lists read as single words.
            self._deletion_words[lang] = self._word_set(lang, "deletion_word")
            self._mine_before[lang] = self._word_set(lang, "mine_before")
            self._mine_after[lang] = self._word_set(lang, "mine_after")
            self._someone_else_links[lang] = self._word_set(lang, "someone_else_link")
            self._if_words[lang] = self._word_set(lang, "if_word")
            self._receive_verbs[lang] = self._word_set(lang, "receive_verb")
            self._ordinals[lang] = self._word_set(lang, "ordinal")
            self._unreal_verbs[lang] = self._word_set(lang, "unreal_verb")
            self._unreal_participles[lang] = self._word_set(lang, "unreal_participle")
            self._taken_to[lang] = self._word_set(lang, "taken_to")
            self._being_there[lang] = self._word_set(lang, "being_there")
            self._works_there[lang] = self._word_set(lang, "works_there")
            self._unreal_connectors[lang] = tuple(sorted(self._word_set(lang, "unreal_connector")))
            self._lexicons[(lang, "not_yet")] = Lexicon.build(
                [{"not_yet": self._lookup_merged(lang, "not_yet")}], self._prefixes(lang)
            )
            self._lexicons[(lang, "presence")] = Lexicon.build(
                [{"presence": self._lookup_merged(lang, "date_block_presence")}], self._prefixes(lang)
            )
            self._lexicons[(lang, "residence")] = Lexicon.build(
                [{"residence": self._lookup_merged(lang, "date_block_residence")}], self._prefixes(lang)
            )
            # Spellings are not merged with French: "pa" is "pas" in French SMS, "para" in Spanish.
            self._lexicons[(lang, "spelling")] = Lexicon.build(
                [self._synonyms_or_empty(lang, "spelling")], self._prefixes(lang)
            )
            self._dates[lang] = date_parser(data, lang)
            self._number_words[lang] = frozenset(self._dates[lang].lex.numbers)
            # The language's own words only: French "a", "en" or "second" mean something else in
            # English ("a second" is "wait").
            own = data.by_language[lang].lookups
            self._ranks[lang] = {fold(word): rank for rank in RANKS for word in own.get(f"rank_{rank}", ())}
            self._words_of_rank[lang] = {
                int(rank) - 1: frozenset(word for word, its in self._ranks[lang].items() if its == rank)
                for rank in RANKS
            }
            self._choice_fillers[lang] = frozenset(fold(word) for word in own.get("choice_filler", ()))
            self._rank_fillers[lang] = frozenset(fold(word) for word in own.get("rank_filler", ()))
            self._negated_verbs[lang] = frozenset(fold(word) for word in own.get("choice_negated_verb", ()))
            self._lexicons[(lang, "choice_no_pick")] = Lexicon.build(
                [
                    {
                        "neither": list(own.get("choice_neither", ())),
                        "question": list(own.get("choice_question", ())),
                    }
                ],
                self._prefixes(lang),
            )
            self._ne[lang] = NeParticles(
                *(
                    frozenset(fold(word) for word in own.get(name, ()))
                    for name in ("negation_ne", "negation_ne_completion", "negation_ne_subject")
                )
            )
            births = "|".join(sorted(map(_loose, self._lookup_merged(lang, "birth")), key=len, reverse=True))
            self._birth_cues[lang] = re.compile(rf"(?<!\w)(?:{births})(?!\w)", re.I) if births else None
            self._birth_ends[lang] = frozenset(fold(word) for word in self._lookup_merged(lang, "birth_ends"))
            lexicon = self._dates[lang].lex
            self._date_words[lang] = frozenset(
                word
                for word in (
                    *lexicon.months,
                    *lexicon.numbers,
                    *(w for ws in lexicon.words.values() for w in ws),
                )
                if " " not in word
            )
            self._mainland[lang] = frozenset(fold(word) for word in own.get("choice_mainland", ()))
            self._bare_no[lang] = frozenset(fold(word) for word in own.get("bare_no", ()) if " " not in word)
            self._bare_yes[lang] = frozenset(fold(word) for word in own.get("bare_yes", ()))
        self._any_bare_yes = frozenset().union(*self._bare_yes.values())
        self._any_bare_no = frozenset().union(*self._bare_no.values())
        # The yes words as written, that say a language: not two letters ("si" is French too).
        self._own_yes = {
            lang: frozenset(
                word.lower()
                for word in data.by_language[lang].lookups.get("bare_yes", ())
                if len(word) > 2 or not word.isascii()
            )
            for lang in data.languages
        }
        self._yes_words = frozenset().union(*self._own_yes.values(), _SHARED_OK)
        # The small words of every language: never what tells one option's label from another's.
        self._all_fillers = frozenset().union(*self._choice_fillers.values(), _LABEL_FUNCTION_WORDS)
        # The cues of the attempts that are only a word of time ("depuis", "hace", "منذ"): they say
        # when something began, not what. With an expiry verb, it is the expiry that began.
        self._attempt_cues_of_time = {
            lang: frozenset(
                cue
                for cue in self._date_cues[(lang, "date_cue_attempts")]
                if cue in self._dates[lang].lex.words["since"] | self._dates[lang].lex.words["ago"]
            )
            for lang in data.languages
        }

    # -- the port ------------------------------------------------------------------------------

    def detect_language(self, text: str) -> str | None:
        detected = self.languages.detect(text)
        if detected is None:
            # One word is a guess, except a yes that only one language says ("yes", "sí", "wakha"):
            # over SMS the welcome is in French and offers the other languages; answering it with
            # "yes" chooses English.
            said = re.sub(r"[,!.]", " ", text.lower()).split()
            owners = {lang for lang, words in self._own_yes.items() for word in said if word in words}
            if said and len(owners) == 1 and "fr" not in owners and self._yes_words.issuperset(said):
                return owners.pop()  # "yes", "yes ok", "Sí!", "wakha"
        return detected

    def pick(self, text: str, *, lang: str, options: Sequence[str], ranks_only: bool = False) -> int | None:
        """Which of several options shown (their labels) a short answer picks without naming it:
        by rank ("le deuxième", "non, the second one", "التاني"), or, unless `ranks_only`, by saying
        no to all the others and nothing else ("pas celui de la Réunion", "el de Francia, no la
        Reunión"). None otherwise, and for a question ("isn't it 93?"): the answer is then read as
        an answer to the question."""
        lang = lang if lang in self.data.languages else "fr"
        if _ASKING.search(text):
            return None
        norm = self.normalize(text, lang)
        words = [word for word in norm.split() if word != "|"]
        if len(options) < 2 or not words or len(words) > PICK_MAX_WORDS:
            return None
        if self._lexicons[(lang, "choice_no_pick")].spans(norm):  # "ni l'un ni l'autre", "isnt it"
            return None
        folded_options = [fold(option) for option in options]
        # Not among dates: "le premier", "the 1st" are days there.
        ranked = not any(_NUMERIC_DATE.search(option) for option in folded_options)
        if ranked:
            rank = self._rank(norm, lang)
            if rank is not None:
                return rank if rank < len(options) else None
        return None if ranks_only else self._the_one_not_denied(norm, lang, folded_options, ranked)

    def _leading_noes(self, words: list[str], lang: str) -> int:
        """How many words open the message with a plain no ("no", "no no", "non, non", "لا لا"):
        the no that answers, which denies nothing."""
        count = 0
        while count < len(words) and (words[count] in self._bare_no[lang] or (count and words[count] == "|")):
            count += 1
        while count and words[count - 1] == "|":
            count -= 1
        if count < len(words) and words[count] in self._negated_verbs[lang]:
            return 0  # "no vivo en la Reunión": the no of the verb
        return count

    def _answers_no(self, words: list[str], start: int, telling: list[set[str]]) -> bool:
        """A plain no (the first `start` words) right before an option's words, small words at most
        between ("no 93", "no la Reunión", "no no sous Bois", "لا 93"): "no, 93" or "not 93"?
        Nothing is picked."""
        if not start:
            return False
        after = [word for word in words[start : start + 4] if word != "|"]
        while after and after[0] in self._all_fillers:
            after = after[1:]
        return bool(after) and any(after[0] in option_words for option_words in telling)

    def _rank(self, norm: str, lang: str) -> int | None:
        """The rank a message says and nothing else. A no before it with a comma is the no that
        answers ("non, le deuxième"); without one it may deny ("pas le premier", "no el primero"),
        and after the rank it may reject it ("le deuxième, non")."""
        words = norm.split()
        # "non, le deuxième", "no no the second one": the no that answers. Not in Spanish without a
        # comma, where "no el primero" is as often "not the first".
        noes = self._leading_noes(words, lang)
        if noes and (lang != "es" or (noes < len(words) and words[noes] == "|")):
            words = words[noes:]
        said = [word for word in words if word != "|" and word not in self._rank_fillers[lang]]
        rank = self._ranks[lang].get(" ".join(said))
        return None if rank is None else int(rank) - 1

    def _the_one_not_denied(self, norm: str, lang: str, options: list[str], ranked: bool) -> int | None:
        fillers = self._choice_fillers[lang]
        label_words = [set(option.split()) | set(_LABEL_WORD.findall(option)) for option in options]
        shared = set.intersection(*label_words)
        # What tells an option from the others: "reunion", "974"; not "sur" of "Villiers-sur-Marne"
        # (the small words of every language, this one's included).
        telling = [words - shared - self._all_fillers for words in label_words]
        words = norm.split()
        noes = self._leading_noes(words, lang)
        rank_words = self._words_of_rank[lang]
        named_or_ranked = [tells | rank_words[i] if ranked else tells for i, tells in enumerate(telling)]
        if self._answers_no(words, noes, named_or_ranked):
            return None  # "no 93 no 95", "no the first, no the second": neither, or a correction
        # A "ne" denies through its "pas": "je ne vis pas à la Réunion" is read from the "pas".
        negations = [span for span in self._negations(norm, lang) if span.expression not in _NE]
        negation_words = {word for span in negations for word in span.expression.split()}
        if negations:
            negation_words |= _NE.intersection(norm[: negations[-1].start].split())
        for span in negations:
            before = norm[: span.start].split()  # a comma between lifts it: "93, no la Reunión"
            if (
                span.expression in self._bare_no[lang]
                and before
                and any(before[-1] in tells for tells in telling)
            ):
                return None  # "la Reunión no 93": the no may go with the word before it ("pas" may not)
        # "no it's 93", "لا ساكن في 93": the opening no answers; it denies nothing after it.
        answering = len(" ".join(words[:noes]))
        denied: dict[int, int] = {}  # the word's place → the option it denies
        for negation in negations:
            if negation.start < answering:
                continue
            first = len(norm[: negation.end].split())
            for place in range(first, min(len(words), first + NEGATION_REACH + 1)):
                word = words[place]
                if word == "|" or word in _SCOPE_ENDS or word in _JOINERS:
                    break
                if word in self._mainland[lang]:
                    return None  # "pas en France mais à la Réunion": not about one option
                if word in _NE:
                    break  # "pas né à 39": "né" folds to "ne"; where one was born is not the question
                if word in self._all_fillers or word in negation_words:
                    continue  # "not la Réunion": French words in English too
                rank = self._ranks[lang].get(word) if ranked else None
                named = [int(rank) - 1] if rank else [i for i, tells in enumerate(telling) if word in tells]
                if len(named) == 1 and named[0] < len(options):
                    denied[place] = named[0]
                    # The rest of the same name: "pas 1 an", "pas saint georges".
                    following = place + 1
                    while following < len(words) and words[following] in telling[named[0]]:
                        denied[following] = named[0]
                        following += 1
                break
        left = [i for i in range(len(options)) if i not in denied.values()]
        if not denied or len(left) != 1:
            return None
        for place, word in enumerate(words):
            if place in denied:
                continue
            # A denied option named again elsewhere ("pas 69, j'habite à Lyon" with Sainte-Foy-lès-
            # Lyon (69) offered, "le deuxième, pas 93"): the message contradicts itself.
            if any(word in telling[option] for option in denied.values()):
                return None
            rank = self._ranks[lang].get(word) if ranked else None
            if rank is not None and int(rank) - 1 in denied.values():
                return None
            # Mainland France said beside a no: an overseas option left is not what they mean.
            if word in self._mainland[lang] and _OVERSEAS.search(options[left[0]]):
                return None
        # Nothing else said: "pas la Réunion, j'habite à Lyon" names another place.
        known = fillers | self._mainland[lang] | self._bare_no[lang] | negation_words | set(_JOINERS)
        known |= set().union(*label_words)
        if ranked:
            known |= {rank for rank in self._ranks[lang] if " " not in rank}
        if any(word not in known for word in words if word != "|"):
            return None
        return left[0]

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
        # A phone number is contact data (actions.contacts keeps it), never a date, a postal code
        # or a département: "06 12 34 56 78" would read as 06/12 or as the 06.
        text = _without_phone_numbers(text)
        # "le 5 du 12", "el 5 del 12": a day and a month number, as "5/12" (the 12 was Aveyron).
        text = _DAY_OF_MONTH_NUMBER.sub(_as_numeric_date, text)
        # A date of birth is no date of a paper, an order or an attempt: "je suis né le 3 mars
        # 1990" at the OQTF question is no OQTF of 1990.
        said = text
        text = self._without_birth_dates(text, lang, today)
        folded = fold(text)
        norm = self.normalize(text, lang) if folded else ""
        intent = self._intent(said, lang) if said else None
        if intent is None and asked != "consent" and folded and _plain(folded) in self._any_bare_no:
            # "la" (Darija) or "no" alone in a conversation held in French: a no of any of our
            # languages is a no, as a yes of any of them answers a yes/no question. Not to the
            # consent, whose no erases everything: never taken from a word of another language.
            intent = "deny"
        if asked == "note" and intent == "help" and len(said.split()) > PLEA_WORDS:
            # "svp aidez-moi je vais perdre mon stage": a plea, the note itself, not the HELP command
            # (which listed the commands and lost the note). A bare "aide" is the command.
            intent = None
        if asked == "confirm" and intent != "affirm" and self._confirms_nothing_to_change(norm, lang):
            intent = "affirm"
        findings: list[Finding] = []

        if location is not None:
            findings.extend(self._location(location))
        if folded:
            findings.extend(self._read_text(text, norm, lang, asked, today, intent))
            # "pas encore essayé", "I haven't tried yet": nothing to date, not a misunderstanding.
            if (
                asked in DATE_SLOTS
                and intent in (None, "deny")
                and not any(f.slot == asked for f in findings)
                and self._lexicons[(lang, "not_yet")].spans(norm)
            ):
                intent = "dont_know"

        named = self._named_language(folded)
        if asked == "language" and named:
            findings.append(_certain("language", {"language": named}, named))
        elif named and intent is None and not findings and len(folded.split()) <= SWITCH_MAX_WORDS:
            # "en français" written in an Arabic conversation: the classifier of Arabic may not know it.
            intent = "change_language"
        if (
            asked == "document"
            and intent == "dont_know"
            and not any(f.slot == "document" for f in findings)
            and self._lexicons[(lang, "document_word")].spans(norm)
        ):
            # "je sais pas, c'est une carte plastique": a paper they cannot name, not a question to
            # skip; asked again with the help (what is written on the card).
            intent = None
        # An answer to the question asked is not a command ("non" to "ajouter quelque chose ?");
        # a guess of the model is no answer ("supprimez mes messages" at the proofs question).
        # But "je les ai supprimés, et supprimez mes données" asks for the erasure too: one that
        # names the person's data (cues.yml: erase_object) is heard beside any answer.
        if (
            intent in COMMAND_INTENTS
            and any(f.slot == asked and not f.echo for f in findings)
            and not (intent == "erase" and self._lexicons[(lang, "erase_object")].spans(norm))
        ):
            intent = None
        # "necesito ayuda, vivo en Lyon": asking for help while saying one's situation is no
        # request for the help text (which dropped the town).
        if intent == "help" and findings:
            intent = None
        correcting = any(contains_phrase(folded, cue) for cue in self._correction_cues.get(lang, ()))
        if intent == "back" and correcting and any(f.certain for f in findings):
            # "en fait j'ai pas d'OQTF, je me suis trompé": a correction that says what is right,
            # not a request to go back a question.
            intent = None
        if (
            intent == "back"
            and folded
            and self._dates[lang].parse(text, today=today, kind="event") is not None
        ):
            # "avant-hier" at the paper question (the model heard the "avant" of "la question
            # d'avant"): a date, not a request to go back, which cleared the order just noted.
            intent = None
        if intent == "back" and any(f.certain and f.slot in URGENT_FACTS for f in findings):
            # "la police m'a arrêté hier et maintenant je suis en rétention" (the model heard
            # "back"): a detention or an order said is never lost to going back a question.
            intent = None
        restricting = any(contains_phrase(folded, cue) for cue in self._only_cues.get(lang, ()))
        return Reading(
            intent=intent,
            findings=tuple(findings),
            named_language=named,
            correcting=correcting,
            restricting=restricting,
            about_someone_else=self._about_someone_else(text, norm, lang, findings, asked) if folded else (),
            # Both answer "for whom?", read with no question asked: not read at every answer.
            only_someone_else=bool(folded) and asked is None and self._only_someone_else(norm, lang),
            for_whom=self._for_whom(norm, lang) if folded and asked is None else None,
        )

    def _for_whom(self, norm: str, lang: str) -> str | None:
        """Who the person writes for: someone else (`for_them`: "pour lui", "je suis sa femme",
        "for him") before themselves (`for_me`: "pour moi", "c moi", "l rasi")."""
        if self._lexicons[(lang, "for_them")].spans(norm):
            return "them"
        if self._lexicons[(lang, "for_me")].spans(norm):
            return "me"
        # "for him", "para él" in a conversation held in French: as a yes of any language answers.
        others = (other for other in self.data.languages if other != lang)
        if any(self._lexicons[(other, "for_them")].spans(norm) for other in others):
            return "them"
        return None

    def _about_someone_else(
        self, text: str, norm: str, lang: str, own: Sequence[Finding], asked: str | None
    ) -> tuple[Finding, ...]:
        """The urgent facts (a detention, an order received) said of someone named and set aside
        as not the person's ("mon mari est au CRA de Vincennes", "l'OQTF de mon frère", "my son
        got an OQTF"); not feared, denied, left, visited or past ("mon frère est sorti du CRA", "je
        vais voir mon frère au CRA", "peur que mon mari aille au CRA"), nor when the message says
        the same fact of the person. Also after a pronoun alone ("il est au CRA depuis lundi"):
        who it is may have been said before."""
        if not (
            self._lexicons[(lang, "someone_else")].spans(norm)
            or self._lexicons[(lang, "someone_else_pronoun")].spans(norm)
        ):
            return ()
        said = {finding.slot for finding in own if finding.certain}
        facts: list[Finding] = []
        if "custody" not in said:
            held = [
                span
                for span in self._lexicons[(lang, "custody")].spans(norm)
                # Free only as the answer to where they are ("il est libre, il est chez lui").
                if (span.value != "free" or asked == "custody")
                and not self._negated(norm, span, lang)
                and self._unreal(norm, span, lang, only_others=True)
                and not self._visiting(norm, span, lang)
                and not self._left(norm, span, lang)
                and not self._someone_was_there(norm, span, lang)
                and self._a_fact_now(text, norm, span, lang)
            ]
            if held:
                restrained = [span for span in held if span.value != "free"]
                best = max(restrained or held, key=lambda span: len(span.expression))
                facts.append(_certain("custody", {"custody": best.value}, best.expression))
        if "removal_order" not in said and not self._order_annulled(norm, lang):
            ordered = [
                span
                for span in self._lexicons[(lang, "removal_order")].spans(norm)
                if span.value == "received"
                and not self._negated(norm, span, lang)
                and self._unreal(norm, span, lang, only_others=True)
                and self._a_fact_now(text, norm, span, lang)
            ]
            if ordered:
                facts.append(_certain("removal_order", {"removal_order": True}, ordered[0].expression))
        return tuple(facts)

    def normalize(self, text: str, lang: str) -> str:
        """The text as the lexicons read it: folded with clause marks ("|"), SMS spellings and
        Arabic negation resolved ("jai recu" → "j'ai recu", "ما قدمتش" → "ما قدمت")."""
        norm = fold(text, clauses=True)
        if lang == "ar":
            norm = split_arabic_negation(norm)
        spellings = self._lexicons[(lang, "spelling")].spans(norm)
        for span in reversed(spellings):
            norm = norm[: span.start] + fold(span.value) + norm[span.end :]
        return norm

    # -- slots -----------------------------------------------------------------------------------

    def _read_text(
        self, text: str, norm: str, lang: str, asked: str | None, today: dt.date, intent: str | None
    ) -> list[Finding]:
        findings: list[Finding] = []
        place, by_number = self._place(text, asked == "prefecture", lang)
        if place is not None:
            findings.append(place)

        # "c'est quoi un récépissé ?": a paper asked about is not a paper had.
        unasked = self._without_short_questions(text, norm, lang)
        document = self._document(unasked, lang, asked == "document")
        if document is None and asked == "document" and _plain(norm) in self._bare_noes.get(lang, ()):
            # "non" to "Quel papier avez-vous ?" most likely means none, but it may also say that the
            # answer noted just before is wrong: confirmed, not taken.
            candidate = Candidate(values={"document": "NONE"}, label=self._document_label("NONE", lang))
            document = Finding("document", (candidate,), certain=False)
        if document is not None:
            findings.append(document)

        dates = self._dates_in(text, norm, lang, asked, today, document)
        findings.extend(dates)
        if document is not None and _is_no_document(document) and any(f.slot == "expiry_date" for f in dates):
            # "je n'ai plus de papiers, mon titre a expiré le 2 septembre": no valid papers, but a
            # permit that expired, whose date decides the urgency (P1), where "none" is a first
            # request (P3) and drops the date.
            findings.remove(document)
            values = {"document": "OTHER", "document_text": EXPIRED_PERMIT_OF_UNKNOWN_KIND}
            document = _certain("document", values, self._document_label("OTHER", lang))
            findings.append(document)
        if (
            place is not None
            and by_number
            and asked != "prefecture"
            and (
                _is_a_day(place, dates)
                or _is_a_day(place, self._dates_left_out(text, norm, lang, asked, today, document))
            )
        ):
            # "ma carte expire le 12", "le 12 du mois prochain": the 12 is the day of the date,
            # also of a date left out ("ma carte a expiré le 28/12/2025. mon APS …" is no 28).
            findings.remove(place)
        elif place is not None and by_number and asked in DATE_SLOTS and self._day_number(place, norm, lang):
            # A date asked for: "…, pardon le 28" is a day, whatever became of it, not the Eure-et-Loir.
            findings.remove(place)
        elif (
            place is not None
            and by_number
            and place.certain
            and asked == "prefecture"
            and self._number_may_be_a_day(place, norm, lang)
        ):
            # At the place question too, "ma carte expire le 18" or "le 15 décembre non le 18" may
            # give a day, not the Cher: asked, not taken ("le 93", "dans le 18", "j'habite dans le
            # 93 depuis mars" stay certain).
            findings.remove(place)
            findings.append(Finding(place.slot, place.candidates, certain=False))

        # "c quoi une oqtf, non j'en ai pas": the order of the question is not one received.
        after_question = self._answer_after_order_question(norm, lang)
        removal = None if after_question else self._removal_order(norm, lang)
        if (removal is not None or asked == "removal_order") and self._says_not_me(text, lang):
            # "mon mari oui, moi non", "khti jatha oqtf, ana la": the yes was someone else's; in
            # passing ("loqtf c'est pour ma femme pas pour moi") nothing is said of the person's.
            removal = (
                _certain("removal_order", {"removal_order": False}, "non")
                if asked == "removal_order"
                else None
            )
        # "c'est quoi une OQTF ?", "c quoi une oqtf" say nothing about having one; a question after
        # an order said is about something else ("ils m'ont mis une oqtf lundi, j'ai 30 jours ?").
        is_question = (
            text.rstrip().endswith(("?", "؟")) and self._order_in_last_clause(text, lang)
        ) or self._asks(text, lang)
        order_dated = any(f.slot == "removal_order_date" for f in findings)
        if (
            removal is None
            and asked == "removal_order"
            and intent == "deny"
            and order_dated
            and not is_question
        ):
            # "non jamais, mais on m'a refusé le 2 octobre", "non, la date c'est le 5 avril": a no
            # with another date in it is still a no, and that date is not the order's.
            findings = [f for f in findings if f.slot != "removal_order_date"]
            findings.append(_certain("removal_order", {"removal_order": False}, "non"))
        elif removal is not None and not is_question:
            findings.append(removal)
        elif (
            removal is None
            and asked == "removal_order"
            and any(f.slot == "removal_order_date" for f in findings)
        ):
            if self._only_someone_else(norm, lang) or self._order_annulled(norm, lang, named=False):
                # "yes she got it last week, my wife": someone else's order and its date; "oui mais le
                # tribunal a annulé l'OQTF en octobre": the date of the annulment.
                findings = [f for f in findings if f.slot != "removal_order_date"]
            else:
                # "je l'ai reçue le 3 octobre": the date of the order says there is one.
                findings.append(_certain("removal_order", {"removal_order": True}, "oui"))
        elif removal is None and asked == "removal_order" and not is_question and self._has_one(norm, lang):
            # "ah ok oui j'en ai une": the one asked about (`have_one`, only as an answer).
            findings.append(_certain("removal_order", {"removal_order": True}, "oui"))

        custody = self._custody(norm, lang, asked == "custody")
        if custody is not None:
            findings.append(custody)

        if asked == "application_status":
            status = self._application_status(unasked, lang, intent)
            # The latest date a proof may be valid until ("qui expire le 25 novembre" may be the
            # coming one: asked, and meanwhile the proof is not read as expired).
            proof_valid_until = [
                max(c.values["expiry_date"] for c in f.candidates) for f in dates if f.slot == "expiry_date"
            ]
            accented = fold(text, keep_accents=True)
            said_expired = _PROOF_SAID_EXPIRED.search(accented) and not _EXPIRY_DENIED.search(accented)
            if (
                status is not None
                and not said_expired
                and status.candidates[0].values.get("application_status") == "filed_without_proof"
                and document is not None
                and document.candidates[0].values.get("document") in PROOF_DOCUMENTS
                and proof_valid_until
                and proof_valid_until[0] >= today
            ):
                # "j'ai un récépissé qui expire demain": "expire" folds like "expiré", but a proof
                # valid until a date to come is a valid proof.
                status = _certain(
                    "application_status", {"application_status": "filed_with_proof"}, "récépissé"
                )
            elif (
                status is not None
                and not said_expired
                and document is None
                and proof_valid_until
                and proof_valid_until[0] >= today
                and {span.value for span in self._lexicons[(lang, "status_concepts")].spans(unasked)}
                == {"status_proof_expired"}
            ):
                # "ah non pardon elle expire le 15 décembre": the card's expiry to come, said again
                # at this question; nothing about filing (it was read "filed, proof expired").
                status = None
            if status is not None:
                findings.append(status)

        vulnerabilities = self._vulnerabilities(norm, lang, asked == "vulnerabilities", intent)
        if vulnerabilities is not None:
            findings.append(vulnerabilities)

        if asked == "evidence":
            kept = self._polar(norm, lang, "evidence", "kept")
            if kept is None and self._nothing_deleted(norm, lang):
                kept = ("rien effacé", True)  # the model reads no negation
            if kept is not None:
                findings.append(_certain("evidence", {"evidence": kept[1]}, kept[0]))
            elif intent not in ("affirm", "deny", "dont_know"):
                model = self._model_finding(_plain(norm), lang, "evidence")
                if model is not None:
                    findings.append(model)
        if asked in BOOL_SLOTS and not any(f.slot == asked for f in findings):
            answer = self._yes_no(intent)
            if answer is None:
                answer = self._yes_no(self._first_clause_intent(text, lang))
            if answer is None and _plain(norm) in self._any_bare_yes:
                # "sí", "wakha", "yes" alone to a question asked in French (an SMS starts in French).
                answer = True
            if asked == "removal_order" and after_question:
                answer = False if after_question == "no" else None
            if asked == "removal_order" and self._order_not_real(norm, lang, norm):
                answer = None  # "i might get an oqtf": the model's yes is about the order feared
            if asked == "removal_order" and answer and self._only_someone_else(norm, lang):
                answer = None  # "oui mais c'est celle de mon mari": someone else's order
            if asked == "removal_order" and answer and self._order_annulled(norm, lang, named=False):
                answer = None  # "yes but the court cancelled it": asked again
            if asked == "consent" and answer is not None and not self._plain_consent(text, lang, answer):
                answer = None  # asked again: consent is never guessed
            if asked == "consent" and answer is False and not self._says_no(norm, lang):
                # "Lyon" (the Arabic model heard the "la" of "no" in it, 0.54), "Laval": a refusal
                # erases everything the person said, so it is never read from a guess.
                answer = None
            # A correction at the confirmation ("non, la date c'est le 5 avril") is not a plain "no";
            # "c quoi une oqtf" is no yes.
            if answer is not None and not (asked == "confirm" and findings) and not self._asks(text, lang):
                findings.append(_polar(asked, {asked: answer}, "oui" if answer else "non"))

        # A bare "oui" to "anything to add?" says there is something, not what: the help that
        # follows asks for it (it was the volunteer's message: "Message : oui").
        if (
            asked == "note"
            and intent not in ("deny", "dont_know", "thanks", *COMMAND_INTENTS)
            and not (intent == "affirm" and _plain(norm) in self._affirm_examples.get(lang, ()))
        ):
            note = " ".join(text.split())[:MAX_NOTE_CHARS]
            findings.append(_certain("note", {"note": note}, note))
        return findings

    # -- negation and clauses ------------------------------------------------------------------

    def _negations(self, norm: str, lang: str, before: int | None = None) -> list[Span]:
        """The negation words of the text (up to `before`), sorted by place."""
        head = norm[:before]
        found = self._lexicons[(lang, "negation")].spans(head)
        # Read on the whole text: the "pas" of "je ne travaille pas" comes after the expression.
        found.extend(span for span in self._ne_negations(norm, lang) if span.end <= len(head))
        for span in self._lexicons[(lang, "negation_no_more")].spans(head):
            # Read on the whole text: in "j'ai plus de deux enfants" the number is part of the
            # expression "deux enfants" that `before` cuts off.
            if not self._counted_after(norm, span.end, lang):
                found.append(span)
        unknowing = self._lexicons[(lang, "dont_know")].spans(norm)
        if unknowing:
            found = [
                span
                for span in found
                if not any(phrase.start <= span.start < phrase.end for phrase in unknowing)
            ]
        return sorted(found, key=lambda span: span.start)

    def _ne_negations(self, norm: str, lang: str) -> list[Span]:
        """The "ne" that are a negation, in the same clause: with their second word after them
        ("ne ... plus", "ne ... ps") or a word before them that makes them deny ("personne ne",
        "peur qu'ils ne"). cues.yml: negation_ne, negation_ne_completion, negation_ne_subject."""
        ne = self._ne[lang]
        if not ne.particles:
            return []
        tokens = [(match.start(), match.group()) for match in re.finditer(r"\S+", norm)]
        found = []
        for place, (start, token) in enumerate(tokens):
            if token not in ne.particles:
                continue
            after = _same_clause(token for _, token in tokens[place + 1 : place + 1 + NE_REACH])
            before = _same_clause(token for _, token in reversed(tokens[:place]))
            if ne.completions.intersection(after) or ne.subjects.intersection(before):
                found.append(Span(start, start + len(token), token, "negation"))
        return found

    def _doubts(self, norm: str, lang: str) -> bool:
        """Whether the text says no or that the person does not know ("no sé si acepto" is no yes,
        although its "no" is about knowing)."""
        return bool(self._negations(norm, lang) or self._lexicons[(lang, "dont_know")].spans(norm))

    def _counted_after(self, norm: str, end: int, lang: str) -> bool:
        """Whether a number or "que" follows: "plus de 3 mois", "plus d'un an", "plus que ça"."""
        after = norm[end:].split()[:2]
        if not after:
            return False
        if after[0] in ("que", "qu'un", "qu'une"):
            return True
        if after[0] in ("de", "du") and len(after) == 2:
            counted = after[1]
        elif after[0].startswith("d'"):
            counted = after[0][2:]
        else:
            return False
        return counted[:1].isdigit() or counted in self._number_words.get(lang, frozenset())

    def _negated(self, norm: str, span: Span, lang: str) -> bool:
        """A negation word shortly before the expression, in the same clause ("je n'ai pas reçu
        d'OQTF", "nunca me dieron resguardo", "ما عطاوني وصل")."""
        if any(
            self._reaches(norm, negation, span, lang)
            for negation in self._negations(norm, lang, before=span.start)
        ):
            return True
        after = norm[span.end :].split()[:2]
        if not after or not self._lexicons[(lang, "negation_after")].spans(after[0]):
            return False
        # "déposé pas de récépissé", "un récépissé pas une carte": the "pas" goes with what follows it.
        return len(after) == 1 or not (after[1] in _ARTICLES_AFTER_NOT or after[1].startswith("d'"))

    def _reaches(self, norm: str, cue: Span, span: Span, lang: str) -> bool:
        """Whether a word before the expression bears on it: in the same clause, a few words away."""
        between = norm[cue.end : span.start].split()
        if cue.expression in _WITHOUT and any(
            word in _AND or (word.startswith("و") and len(word) > 3) for word in between[1:]
        ):
            return False  # "بدون أوراق وتلقيت OQTF": "without" does not reach past an "and"
        if (
            "|" in between
            or len(between) > NEGATION_REACH
            or _folded_clause_break(lang).search(f" {' '.join(between)} ")
            or _SCOPE_ENDS.intersection(between)
            or any(f" {phrase} " in f" {' '.join(between)} " for phrase in _SCOPE_END_PHRASES)
        ):
            return False
        # "no, I'm free", "no I have two kids": the "no" answers the question, it negates nothing;
        # "personne ne m'aide je suis au CRA": a new subject starts another clause (not after "ni":
        # "ni en ligne ni au guichet je n'ai pu déposer").
        if cue.expression == "ni":
            return not (between and between[0] in _SUBJECT_PRONOUNS)
        starts_anew = bool(between) and span.expression.split()[:1] in ([p] for p in _SUBJECT_PRONOUNS)
        return not (_SUBJECT_PRONOUNS.intersection(between) or starts_anew)

    def _denied(self, norm: str, expression: str, lang: str) -> bool:
        start = norm.find(expression)
        return start >= 0 and self._negated(norm, Span(start, start + len(expression), expression, ""), lang)

    def _polar(
        self, norm: str, lang: str, kind: str, positive: str, *, real: bool = False
    ) -> tuple[str, bool] | None:
        """The first clear statement of a yes/no lexicon, a negated positive counting as no; with
        `real`, not a positive feared or still to come ("j'ai peur qu'ils me donnent une OQTF")."""
        spans = sorted(
            self._lexicons[(lang, kind)].spans(norm), key=lambda sp: (-len(sp.expression), sp.start)
        )
        for span in spans if real else ():
            if span.value == positive and self._owned(norm, span, lang):
                return span.expression, True  # "je ne comprends pas mon OQTF": one has it
        for span in spans:
            said = span.value == positive
            if real and not said and self._unreal(norm, span, lang):
                continue  # "mon frère n'a pas d'OQTF (mais moi si)": not the person's no
            if kind == "evidence" and not said and self._nothing_deleted(norm[span.start :], lang):
                return span.expression, True  # "j'ai rien effacé": all was kept
            if said and self._negated(norm, span, lang):
                # "ce n'est pas ma première OQTF", "not my first OQTF": the negation denies the
                # rank, and the order is had.
                said = real and (
                    self._denies_a_rank(norm, span, lang) or self._denies_an_annulment(norm, span, lang)
                )
            elif real and said and self._unreal(norm, span, lang):
                continue
            return span.expression, said
        return None

    def _denies_an_annulment(self, norm: str, span: Span, lang: str) -> bool:
        """A negation bearing on an annulment right before the order ("le tribunal n'a pas annulé
        l'OQTF", "no anularon la OQTF"): the order stands."""
        for negation in self._negations(norm, lang, before=span.start):
            between = norm[negation.end : span.start]
            if self._reaches(norm, negation, span, lang) and self._lexicons[(lang, "order_annulled")].spans(
                between
            ):
                return True
        return False

    def _denies_a_rank(self, norm: str, span: Span, lang: str) -> bool:
        """A negation bearing on an ordinal right before the expression (`ordinal`: "pas ma
        première OQTF", "not the first OQTF I get", "no es mi primera OQTF"); not when someone
        else is named ("la première OQTF de mon frère") or the order is still to come ("pas
        encore ma première")."""
        if self._lexicons[(lang, "someone_else")].spans(norm) or self._lexicons[(lang, "not_yet")].spans(
            norm
        ):
            return False
        words = norm[: span.start].split()[-3:]
        ranked = [i for i, word in enumerate(words) if word in self._ordinals[lang]]
        # Not after a "de" of the negation: "je n'ai jamais eu de première OQTF" is none.
        if not ranked or words[ranked[0] - 1 : ranked[0]] in (["de"], ["d'"], ["any"], ["ninguna"]):
            return False
        negations = self._negations(norm, lang, before=span.start)
        return any(self._reaches(norm, negation, span, lang) for negation in negations)

    def _only_someone_else(self, norm: str, lang: str) -> bool:
        """The message names someone else (`someone_else`: "mon mari") and never the person
        ("j'ai", "moi", "I", `me_too`): a yes in it may be theirs."""
        if not self._lexicons[(lang, "someone_else")].spans(norm):
            return False
        norm = self._without_relatives(norm, lang)
        words = norm.split()
        speaks_of_self = any(
            word in _FIRST_PERSON or word in _SPEAKER or word.startswith(("j'", "i'")) for word in words
        )
        return not speaks_of_self and not self._lexicons[(lang, "me_too")].spans(norm)

    def _to_someone_else(self, norm: str, span: Span, lang: str) -> bool:
        """Someone named right after the expression, given it or owning it ("ils ont donné une
        OQTF à mon mari", "l'OQTF de ma femme", "they gave an OQTF to my husband")."""
        for cue in self._lexicons[(lang, "someone_else")].spans(norm[span.end :]):
            between = norm[span.end : span.end + cue.start].split()
            return len(between) == 1 and between[0] in _TO_SOMEONE
        return False

    def _without_relatives(self, norm: str, lang: str) -> str:
        """``norm`` with the relatives that describe someone named blanked (`someone_else_relative`:
        "qui vit avec moi", "who lives with me"), and the pleas (`plea`: "aidez-nous", "help me",
        "what can we do": a relative asking for help is not in the situation they describe),
        keeping every other word at its place."""
        for kind in ("someone_else_relative", "plea"):
            for span in self._lexicons[(lang, kind)].spans(norm):
                norm = _blanked(norm, span.start, span.end)
        return norm

    def _visiting(self, norm: str, span: Span, lang: str) -> bool:
        """A place of detention the person works at (`works_there` among the words right before
        it: "je travaille comme interprète au CRA") or goes to see someone held there (`visit`
        right before someone named, later in the clause: "je vais à la maison d'arrêt voir mon
        frère", "I go to the prison to visit my husband"); not where they are ("je suis au CRA, je
        veux voir mon fils" says it with a being: kept)."""
        after = norm[span.end : _clause_bounds(norm, span, lang)[1]]
        named = {cue.start for cue in self._lexicons[(lang, "someone_else")].spans(after)}
        before = norm[: span.start].split()[-WAS_THERE_REACH:]
        if self._works_there[lang].intersection(before):
            return True  # "je travaille comme interprète au CRA", "I work at the detention centre"
        if not any(cue.end + 1 in named for cue in self._lexicons[(lang, "visit")].spans(after)):
            return False
        return not self._being_there[lang].intersection(before)

    def _order_in_last_clause(self, text: str, lang: str) -> bool:
        """Whether the last clause names the order ("c'est une OQTF ?"; not "ils m'ont mis une oqtf
        lundi, j'ai 30 jours ?")."""
        last = _clause_break(lang).split(text.rstrip().rstrip("?؟ "))[-1]
        return bool(self._lexicons[(lang, "removal_order")].spans(self.normalize(last, lang)))

    def _says_not_me(self, text: str, lang: str) -> bool:
        """A clause that ends on the person's own no (`me_not`: "moi non", "not me", "ana la"; also
        before a joining word: "moi non mais mon mari a reçu une OQTF"), not "yo no sé"."""
        clauses = self.normalize(fold(text, clauses=True), lang)
        joiners = {*_JOINERS, *_JOINERS_OF_LANGUAGE.get(lang, ())}
        return any(
            clauses[span.end :].strip().startswith("|")
            or not clauses[span.end :].strip()
            or clauses[span.end :].split()[0] in joiners
            for span in self._lexicons[(lang, "me_not")].spans(clauses)
        )

    def _has_one(self, norm: str, lang: str) -> bool:
        """Having one of what was asked, not denied nor doubted ("j'en ai une", `have_one`; not "no
        sé si tengo una"), and nothing else named right after it ("j'en ai une depuis le 10", not
        "j'en ai une autre question", "I have one appointment tomorrow")."""
        if self._doubts(norm, lang):
            return False
        return any(
            norm[span.end :].split()[:1] in ([], *([word] for word in _AFTER_ONE))
            for span in self._lexicons[(lang, "have_one")].spans(norm)
        )

    def _removal_order(self, norm: str, lang: str) -> Finding | None:
        if _ORDER_SAID_NO.search(norm):
            # "OQTF : non", as the summary writes it back.
            return _certain("removal_order", {"removal_order": False}, "non")
        found = self._polar(norm, lang, "removal_order", "received", real=True)
        if found is None:
            return None
        if found[1] and self._order_annulled(norm, lang):
            return None  # "le tribunal a annulé l'OQTF": not in force, nor surely none; asked again
        return _certain("removal_order", {"removal_order": found[1]}, found[0])

    def _order_annulled(self, norm: str, lang: str, *, named: bool = True) -> bool:
        """A clause that says the order was annulled (`order_annulled`: "le tribunal a annulé
        l'OQTF", "the court cancelled the OQTF"; not "mon rdv a été annulé, j'ai une OQTF"), naming
        it or with a pronoun of it (`annulled_it`: "le tribunal l'a annulée"); or, at the order's
        question (`named=False`), of the order asked about: "yes but the court cancelled it", "elle
        a été annulée par le tribunal en 2024"."""
        return any(
            self._annulment_of_the_order(clause, lang)
            and (
                not named
                or self._lexicons[(lang, "removal_order")].spans(clause)
                # "j'avais une OQTF mais le tribunal l'a annulée": the order named just before
                or self._lexicons[(lang, "annulled_it")].spans(clause)
            )
            for clause in _folded_clause_break(lang).split(norm)
        )

    def _annulment_of_the_order(self, clause: str, lang: str) -> bool:
        """An annulment said in the clause, not denied, not wished, and of nothing else named
        (`annulled_other`: "mon rdv a été annulé", "ils m'ont retiré ma carte"; `wish_word`: "je
        veux que l'OQTF soit annulée"; "le tribunal n'a pas annulé l'OQTF")."""
        annulled = [
            span
            for span in self._lexicons[(lang, "order_annulled")].spans(clause)
            if not self._negated(clause, span, lang)
        ]
        return (
            bool(annulled)
            and not self._lexicons[(lang, "annulled_other")].spans(clause)
            and not self._lexicons[(lang, "wish_word")].spans(clause)
        )

    def _order_not_real(self, clause: str, lang: str, whole: str) -> bool:
        """The clause names an order only as someone else's, feared or to come (``whole``: the
        message, where the person may count themselves in: "moi et ma femme OQTF le 3 novembre")."""
        named = [
            span for span in self._lexicons[(lang, "removal_order")].spans(clause) if span.value == "received"
        ]
        return bool(named) and all(self._unreal(clause, span, lang, whole) for span in named)

    def _owned(self, norm: str, span: Span, lang: str) -> bool:
        """The expression said as the person's own ("mon OQTF", "my OQTF", "الـ OQTF ديالي"): what
        a negation nearby denies is something else ("je ne comprends pas mon OQTF")."""
        words_before = norm[: span.start].split()
        before, after = words_before[-1:], norm[span.end :].split()[:1]
        if not (set(before) & self._mine_before[lang] or set(after) & self._mine_after[lang]):
            return False
        # Unless the negation is of having it: "c'est pas mon OQTF", "not my OQTF", "ماشي الـ OQTF
        # ديالي", "j'ai pas encore reçu mon OQTF".
        for negation in self._negations(norm, lang, before=span.start):
            said_between = norm[negation.end : span.start].split()
            if self._receive_verbs[lang].intersection(said_between):
                return False  # "j'ai pas encore reçu mon OQTF"
            # "c'est pas mon OQTF", "not my OQTF", "no es mi OQTF", "ماشي الـ OQTF ديالي"; not "je
            # ne comprends pas mon OQTF", "I never appealed my OQTF" (a verb between, or before)
            said_before = norm[: negation.start].split()[-1:]
            verbless = all(
                word in _COPULAS or word in self._mine_before[lang] or word == "ال" for word in said_between
            )
            if verbless and (
                negation.expression in _COPULAR_NEGATIONS
                or set(said_before) & _COPULAS
                or set(said_between) & _COPULAS
            ):
                return False
        return True

    def _unreal(
        self, norm: str, span: Span, lang: str, whole: str | None = None, *, only_others: bool = False
    ) -> bool:
        """What is said shortly before the expression in its clause makes it not the person's
        situation: a fear of it ("j'ai peur qu'ils m'envoient au CRA", "peur d'une OQTF"), a future,
        a question or a possibility with a verb of placing or giving right before it ("they will
        give me an OQTF", "est-ce qu'ils peuvent m'enfermer au CRA"), or someone else as its subject
        ("mon frère est au CRA"); unless a new statement of the person's starts in between ("j'ai
        peur je suis au CRA", "ils vont m'expulser, on m'a donné une OQTF") or the person counts
        themselves in ("moi et ma femme on a une OQTF", "yo y mi esposo tenemos OQTF")."""
        head = norm[: span.start]
        clause_start, clause_end = _clause_bounds(norm, span, lang)
        # "ma soeur qui vit avec moi a une OQTF": the "moi" of a relative is not the person counting
        # themselves in. Blanked with spaces: the places of the spans stay the same.
        own = self._without_relatives(norm, lang)
        clause = own[clause_start:clause_end].split()
        cues: list[tuple[Span, str]] = (
            []
            if only_others
            else [
                *((cue, "doubt") for cue in self._lexicons[(lang, "doubt_if")].spans(head)),
                # "je sais ce qu'est une OQTF", "I know what an OQTF is": what it is, not having one
                *((cue, "doubt") for cue in self._lexicons[(lang, "what_it_is")].spans(head)),
                *(
                    (cue, "fear")
                    for cue in self._lexicons[(lang, "unreal")].spans(head)
                    if _starts_with_any(norm[cue.end :].split()[:1], self._unreal_connectors[lang])
                ),
                *((cue, "if") for cue in self._lexicons[(lang, "unreal_if")].spans(head)),
            ]
        )
        counted_in = bool(_FIRST_PERSON.intersection(clause)) or any(word.startswith("m'") for word in clause)
        if not counted_in and not self._lexicons[(lang, "me_too")].spans(
            self._without_relatives(whole, lang) if whole else own
        ):
            if self._to_someone_else(own, span, lang):
                return True
            cues.extend(
                (cue, "other")
                for cue in self._lexicons[(lang, "someone_else")].spans(head)
                # "chez mon cousin, assigné à résidence": where one lives, not who.
                if norm[: cue.start].split()[-1:] not in (["chez"], ["with"], ["avec"], ["con"])
            )
            if not (span.value == "received" and _definite_before(norm, span)):
                # "elle a une OQTF", "il est au CRA"; not "mon avocat il a l'OQTF" (the person's
                # paper in someone's hands). Words that may also have a thing as their subject
                # count only after someone named ("mi hermano esta en el CRA, tiene una OQTF"; not
                # "mi caso tiene una OQTF", "hiya oqtf li jatni").
                named = self._lexicons[(lang, "someone_else")].spans(whole or norm)
                kinds = (
                    ("someone_else_pronoun", "someone_else_after_named")
                    if named
                    else ("someone_else_pronoun",)
                )
                cues.extend(
                    (cue, "other") for kind in kinds for cue in self._lexicons[(lang, kind)].spans(head)
                )
        for cue, kind in cues:
            between = own[cue.end : span.start].split()
            if (
                "|" in between
                or len(between) > UNREAL_REACH
                or _folded_clause_break(lang).search(f" {' '.join(between)} ")
            ):
                continue
            if kind == "doubt":
                return True  # "je sais pas si j'ai une OQTF", "no sé si tengo OQTF": a doubt
            if (_SUBJECT_PRONOUNS | _OTHER_SUBJECTS).intersection([*between, *span.expression.split()[:1]]):
                continue  # "ils vont m'expulser on m'a donné une OQTF": a statement of its own
            if kind == "other":
                links = self._someone_else_links[lang]
                if not all(word in links for word in between):
                    continue  # "ma femme est enceinte, OQTF reçue hier": the order is the person's
            elif self._lexicons[(lang, "release")].spans(" ".join(between)):
                continue  # "I will get out of detention next month": where one is now
            elif span.value == "received" and _definite_before(norm, span):
                continue  # "je vais vous envoyer l'OQTF en photo": it exists
            elif (
                not self._placing_before(between, lang)
                and not (
                    # "peur d'être enfermé au CRA": the verb may open the expression itself
                    self._placing_before([*between, *span.expression.split()[:1]], lang)
                )
                and not (kind == "fear" and self._only_indefinite(between, lang))
            ):
                # "demain ça fait un mois au CRA", "je vais faire un recours contre l'OQTF", "peur de
                # la police, OQTF reçue hier", "peur que l'OQTF soit exécutée" (it exists)
                continue
            return True
        return False

    def _placing_before(self, between: Sequence[str], lang: str) -> bool:
        """A verb of placing or giving among the last words before the expression ("ils vont
        m'enfermer au", "if I get an"), not a past one ("ça va faire 2 semaines qu'ils m'ont
        enfermé au", "est-ce que c'est grave, la préf m'a donné une")."""
        verbs, participles = self._unreal_verbs[lang], self._unreal_participles[lang]
        # The little words before a place do not count ("they might send me to the CRA").
        while between and between[-1] in _TO_A_PLACE:
            between = between[:-1]
        near = list(between[-UNREAL_VERB_REACH:])
        offset = len(between) - len(near)

        def said_before(index: int) -> str:
            return _unelided(between[offset + index - 1]) if offset + index > 0 else ""

        return any(
            (_unelided(word) in verbs and said_before(index) not in _AUXILIARIES)
            or (word in participles and said_before(index) in _TO_BE)
            for index, word in enumerate(near)
        )

    def _only_indefinite(self, between: Sequence[str], lang: str) -> bool:
        """Nothing but what a fear governs before its object, with an indefinite article: "peur
        d'une OQTF", "peur qu'ils me donnent une" (a definite "l'OQTF" is one that exists)."""
        return all(word in self._unreal_connectors[lang] or word in _INDEFINITE for word in between)

    def _place(self, text: str, asked: bool, lang: str) -> tuple[Finding | None, bool]:
        """The place the text names, and whether only a bare département number named it."""
        # "expire le 12/1, je suis à Bobigny": the 12 of a date is no département number, nor is
        # the day right after a word of expiry ("ma carte expire le 30, j'habite à Meaux").
        text = _NUMERIC_DATE.sub(" ", text)
        text = self._expiry_days[lang].sub(lambda day: day[0][: day.start(1) - day.start(0)] + " ", text)
        ordinary = self._ordinary_words
        matches = self.gazetteer.resolve(text, asked=asked, ordinary=ordinary)
        affirmed = _NEGATED_WORD.sub(" ", text) if matches else text
        if affirmed != text:
            # "c'est Bobigny pas Lille", "Lyon, not Paris": the place denied is not a candidate;
            # nor the only one found ("انا ف ليل ماشي ليون" in passing, where "ليل" alone may be
            # the night and is not taken: Lyon was).
            matches = self.gazetteer.resolve(affirmed, asked=asked, ordinary=ordinary) or (
                matches if len(matches) > 1 else []
            )
        if not matches:
            return None, False
        best = matches[0]
        by_number = best.via == "department_number"
        if not needs_confirmation(matches):
            certain = Finding("prefecture", (_place_candidate(best),), certain=True, echo=best.score < 0.99)
            return certain, by_number
        if not asked:
            return None, False  # an unsure place in passing is not worth a question
        # Offer one candidate per département, best first: the prefecture is what matters.
        offered: dict[str, PlaceMatch] = {}
        for match in matches:
            if match.score >= best.score - PLACE_MARGIN or not offered:
                offered.setdefault(match.department, match)
        candidates = tuple(_place_candidate(m) for m in list(offered.values())[:4])
        return Finding("prefecture", candidates, certain=False), by_number

    def _location(self, location: Location) -> list[Finding]:
        match = self.gazetteer.locate(location.lat, location.lon)
        if match is None:
            return []
        return [Finding("prefecture", (_place_candidate(match),), certain=True, echo=True)]

    def _kind_beside(self, norm: str, card: Span, lang: str) -> Finding | None:
        """The kind said in the few words beside a card named without it ("student residence card",
        "residence card student": the card is the student one), read as the answer alone would be."""
        rest = f"{norm[: card.start]} {norm[card.end :]}"
        if not 1 <= len(_plain(rest).split()) <= KIND_BESIDE_WORDS:
            return None
        kind = self._document(" ".join(rest.split()), lang, asked=True)
        if kind is None or len(kind.candidates) != 1:
            return None
        code = kind.candidates[0].values.get("document")
        return kind if code not in (None, "NONE", "OTHER") else None

    def _document(self, norm: str, lang: str, asked: bool) -> Finding | None:
        if asked:
            # "ma femme a une carte de 10 ans, moi un titre vie privée": the spouse's card is not
            # the person's paper.
            norm = self._without_clauses_of(norm, lang, "someone_else")
        lexicon = self._lexicons[(lang, "document")]
        plain = _plain(norm)
        # In passing, a paper denied is not the one held: "not a student card, a salarié card".
        found = _most_precise(
            [
                (expression, code)
                for expression, code in lexicon.find_all(norm)
                if not self._denied(norm, expression, lang)
            ]
        )
        only_denied = False
        if asked:
            found, only_denied = self._document_held(norm, lang)
        if (
            asked
            and (found is None or found[1] != "NONE")
            and self._lexicons[(lang, "document_foreign")].spans(norm)
            and (found is not None or self._lexicons[(lang, "document_word")].spans(norm))
        ):
            # "titre de séjour italien", "la TIE de España": another country's papers.
            return _certain(
                "document", self._document_values("OTHER", plain), self._document_label("OTHER", lang)
            )
        if found is not None:
            expression, code = found
            if self._lexicons[(lang, "document_vague")].spans(expression):
                # "carte de travail" may be "salarié" or "travailleur temporaire": check when asked.
                if not asked:
                    return None
                candidate = Candidate(
                    values=self._document_values(code, plain), label=self._document_label(code, lang)
                )
                return Finding("document", (candidate,), certain=False)
            # In passing, a lone word ("rien", "nothing", "ninguno") says nothing about papers, nor
            # does a denied one ("pas de récépissé").
            lone = " " not in expression and (len(expression) < 6 or code == "NONE")
            if not asked and code == "NONE" and self._nothing_of_something_else(norm, expression, lang):
                return None  # "j'ai rien compris au site", "j'ai rien reçu": not about papers
            if asked or (not lone and not self._denied(norm, expression, lang)):
                return _certain(
                    "document", self._document_values(code, plain), self._document_label(code, lang)
                )
        if asked:
            if only_denied:
                # "je n'ai pas de récépissé" says what they do not hold; most likely nothing: ask.
                candidate = Candidate(values={"document": "NONE"}, label=self._document_label("NONE", lang))
                return Finding("document", (candidate,), certain=False)
            detention = [
                span
                for span in self._lexicons[(lang, "custody")].spans(norm)
                if norm[span.start : span.end] != "cra"
            ]
            if found is None and "cra" in plain.split() and not detention:
                # "un CRA" to the document question: the Algerian certificate (not the detention
                # centre, which the custody words say), of 1 or 10 years: asked, not guessed.
                candidates = tuple(
                    Candidate(values={"document": code}, label=self._document_label(code, lang))
                    for code in ("CRA_1", "CRA_10")
                )
                return Finding("document", candidates, certain=False)
            unnamed = self._lexicons[(lang, "document_unnamed_kind")].spans(norm)
            if found is None and unnamed and not self._negated(norm, unnamed[0], lang):
                kind = self._kind_beside(norm, unnamed[0], lang)
                if kind is not None:
                    return kind
                # "carte de séjour", "my residence permit": a card, but which? The usual kinds to
                # choose from (or "none of these"), rather than the same question again.
                candidates = tuple(
                    Candidate(values={"document": code}, label=self._document_label(code, lang))
                    for code in UNNAMED_CARD_KINDS
                )
                return Finding("document", candidates, certain=False)
            if (
                found is None
                and self._lexicons[(lang, "document_passport")].spans(norm)
                and not self._lexicons[(lang, "document_word")].spans(norm)
            ):
                # "mon passeport", "passport": a passport is no residence permit, so most likely
                # none; asked, not assumed (a "passeport talent" is a card). It was read as "skip"
                # ("passe"), and the bot asked until when "this paper" was valid.
                candidate = Candidate(values={"document": "NONE"}, label=self._document_label("NONE", lang))
                return Finding("document", (candidate,), certain=False)
            # "ماعندي حتى كارط", "I have no card": a paper denied, none named, is no paper at all.
            words = self._lexicons[(lang, "document_word")].spans(norm)
            if found is None and words and self._negated(norm, words[0], lang):
                return _certain("document", {"document": "NONE"}, self._document_label("NONE", lang))
            fuzzy = lexicon.fuzzy(plain)
            if fuzzy is None:
                return self._model_finding(plain, lang, "document")
            _, code, score = fuzzy
            return Finding(
                "document",
                (
                    Candidate(
                        values=self._document_values(code, plain), label=self._document_label(code, lang)
                    ),
                ),
                certain=score >= 92,
                echo=True,
            )
        return None

    def _document_held(self, norm: str, lang: str) -> tuple[tuple[str, str] | None, bool]:
        """The document an answer says the person holds now, and whether it only denied some.

        A paper denied ("pas de récépissé, j'ai une carte étudiant") or held before ("aucun,
        j'avais une carte vie privée") is not the one held now; a paper held before and nothing
        else ("j'avais une carte vie privée, elle a expiré") is most likely that card, expired.
        """
        spans = self._lexicons[(lang, "document")].spans(norm)
        former_cues = self._lexicons[(lang, "document_former")].spans(norm)
        denied: list[Span] = []
        former: list[Span] = []
        held: list[Span] = []
        for span in spans:
            if span.value != "NONE" and self._negated(norm, span, lang):
                denied.append(span)
            elif span.value != "NONE" and any(
                cue.end <= span.start and self._reaches(norm, cue, span, lang) for cue in former_cues
            ):
                former.append(span)
            else:
                held.append(span)
        for group in (held, former):
            if group:
                ordered = sorted(group, key=lambda span: (-len(span.expression), span.start))
                return _most_precise([(span.expression, span.value) for span in ordered]), False
        return None, bool(denied)

    def _document_values(self, code: str, folded: str) -> dict[str, Any]:
        values: dict[str, Any] = {"document": code}
        if code == "OTHER":
            values["document_text"] = folded[:200]
        return values

    def _document_label(self, code: str, lang: str) -> str:
        labels = self.document_labels.get(code, {})
        return labels.get(lang) or labels.get("fr") or code

    def _custody(self, norm: str, lang: str, asked: bool) -> Finding | None:
        spans = self._lexicons[(lang, "custody")].spans(norm)
        kept: list[Span] = []
        unreal = False
        not_left = False  # "pas encore sorti du CRA": still there
        stayed_before = False  # a place where the person was, and only that
        for span in spans:
            negated = self._negated(norm, span, lang)
            left = negated and self._left(norm, span, lang)
            # "ils vont m'enfermer au CRA", "mon frère (n'est pas encore sorti du) est au CRA",
            # "j'étais au CRA en 2023": asked again; but a place the person denies is theirs to
            # deny, even feared ("j'ai peur qu'ils ne m'enferment au CRA": free).
            set_aside = (
                self._unreal(norm, span, lang)
                or self._visiting(norm, span, lang)
                or (
                    # "I was released on parole" is free now; "j'étais libre avant" is not.
                    self._was_there(norm, span, lang)
                    and not (span.value == "free" and self._released_self(norm, lang))
                )
                or (span.value == "free" and not negated and self._free_to_come(norm, span, lang))
                or (span.value != "free" and not negated and self._of_someone_named_not_now(norm, span, lang))
            )
            if negated and not left and not self._unreal(norm, span, lang, only_others=True):
                set_aside = False
            if set_aside:
                unreal = True
                stayed_before = stayed_before or self._was_there(norm, span, lang)
                continue
            if left:
                not_left = True
            elif negated:
                # "pas en prison", "not detained": said in answer to the question, that is "free"
                # (also feared: "j'ai peur qu'ils ne m'enferment au CRA"); not leaving it is being
                # there ("pas encore sorti du CRA").
                if asked and span.value != "free":
                    kept.append(Span(span.start, span.end, span.expression, "free"))
                continue
            kept.append(span)
        if not kept and asked and stayed_before and self._released_self(norm, lang):
            # "I was in detention in 2021 but they released me", "estuve en el CRA en 2022 pero ya
            # salí": where one was, then released: free now (it was asked again).
            return _certain("custody", {"custody": "free"}, "libre")
        if not kept:
            # Nor guessed from what was set aside: "mon frère est sorti du CRA mais moi je suis
            # toujours dedans" is not free.
            guess = self._model_finding(_plain(norm), lang, "custody") if asked and not unreal else None
            # The model does not read negations: "on ne m'a toujours pas libéré" looks like "libéré
            # du CRA", "je ne suis pas détenu" like "détenu". A guess through a negation is asked
            # again (free by a guess could hide a detention).
            # Nor a guess through a fear or a future: "je serai libéré demain" is still held.
            future = self._lexicons[(lang, "unreal_if")].spans(norm) or self._lexicons[
                (lang, "unreal")
            ].spans(norm)
            # Nor a guess in a message about someone else only: "خويا فالسونطر ديال الريتونسيون"
            # (a place misspelt, so no span that the checks above could set aside).
            doubtful = self._negations(norm, lang) or future or self._only_someone_else(norm, lang)
            return None if guess and doubtful else guess
        # A place of detention named beats "free" said in the same answer; the place one was
        # taken to beats the one one left ("ils m'ont sorti de prison pour m'envoyer au CRA").
        restrained = [span for span in kept if span.value != "free"]
        stayed = [span for span in restrained if not self._left(norm, span, lang)]
        if (
            restrained
            and not stayed
            and not not_left
            and not self._lexicons[(lang, "unreal_if")].spans(norm)
            and self._lexicons[(lang, "release_past")].spans(norm)
            and not self._lexicons[(lang, "release_to_come")].spans(norm)
        ):
            # Only the place left is named, in the past (`release_past`: "libéré du CRA par le
            # juge hier", "released from the CRA yesterday, at home now"): free. Not a release to
            # come ("je vais être libéré du CRA demain", "je sors du CRA demain"): still held.
            restrained = []
            kept = [span for span in kept if span.value == "free"] or [
                Span(span.start, span.end, span.expression, "free") for span in kept
            ]
        restrained = stayed or restrained
        best = max(restrained or kept, key=lambda span: len(span.expression))
        # In passing only clear phrases count ("je suis au CRA"), never a lone "cra" or "libre";
        # a lone word right after being there is one ("ana f l7abs", read "ana f الحبس").
        if not asked and (
            best.value == "free" or (" " not in best.expression and not self._said_to_be_in(norm, best, lang))
        ):
            return None
        return _certain("custody", {"custody": best.value}, best.expression)

    def _application_status(self, norm: str, lang: str, intent: str | None) -> Finding | None:
        composed = self._status_from_concepts(norm, lang)
        if composed is not None and composed != ASK_PROOF:
            return _certain("application_status", {"application_status": composed}, composed)
        found = self._lexicons[(lang, "application_status")].best(norm)
        if found is not None:
            return _certain("application_status", {"application_status": found[1]}, found[0])
        # A plain "no" to "have you filed?" is sure, whatever the model would guess.
        if intent == "deny" and composed is None:
            return _polar("application_status", {"application_status": "not_filed"}, "non")
        if composed is None and intent != "affirm":
            guess = self._model_finding(_plain(norm), lang, "application_status")
            if guess is not None:
                return guess
        if intent == "affirm" or composed == ASK_PROOF:
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

    def _status_from_concepts(self, norm: str, lang: str) -> str | None:
        """The status from what the answer says about filing and about a proof, wherever in the
        sentence: "I sent my file by post but never got any receipt" is filed, proof denied."""
        spans = self._lexicons[(lang, "status_concepts")].spans(norm)
        if not spans:
            return None
        negations = self._negations(norm, lang)
        # Not the refusal of a request: "ils ont refusé de me recevoir" refuses to act (a negation
        # of what follows), and in "je refuse", "I refuse" the person refuses (to answer).
        spans = [
            span
            for span in spans
            if span.value != "status_refused"
            or not (
                any(neg.start <= span.start < neg.end for neg in negations)
                or norm[: span.start].split()[-1:] in (["je"], ["i"], ["yo"])
            )
        ]
        negated = {id(span) for span in spans if self._negated(norm, span, lang)}
        # A refused request leaves no valid proof: one named in the clause of the refusal is none.
        expired_clauses = {
            _clause_of(norm, sp.start, lang)
            for sp in spans
            if sp.value == "status_proof_expired" or (sp.value == "status_refused" and id(sp) not in negated)
        }
        # "j'ai un récépissé mais il a expiré": an expiry whose clause says only "it" speaks of the
        # proof of the clause before ("ma carte a expiré" names what expired, and stays apart).
        clauses = _clauses(norm, lang)
        for index in sorted(expired_clauses):
            words = [w for w in clauses[index].split() if w not in _CLAUSE_LINKS]
            if index > 0 and (not words or words[0] in _PRONOUNS_OF_A_THING or words[0] in _EXPIRY_WORDS):
                expired_clauses.add(index - 1)
        # "never gave me any attestation or receipt": one negation covers the proofs listed with it.
        denied_clauses = {
            _clause_of(norm, sp.start, lang)
            for sp in spans
            if sp.value == "status_proof" and id(sp) in negated
        }
        filed = not_filed = proof = no_proof = no_response = False
        for span in spans:
            clause = _clause_of(norm, span.start, lang)
            if span.value == "status_filed":
                not_filed |= id(span) in negated
                filed |= id(span) not in negated
            elif span.value == "status_not_filed":
                not_filed = True
            elif span.value == "status_proof":
                if clause in denied_clauses or clause in expired_clauses:
                    no_proof = True
                else:
                    proof = True
            elif span.value in ("status_deposit_only", "status_proof_expired"):
                no_proof = True
            elif span.value == "status_response" and id(span) in negated:
                no_response = True
            elif span.value == "status_refused" and id(span) not in negated:
                # A decision was taken on a request, so one was filed.
                filed = no_proof = True
        if proof:
            return "filed_with_proof"
        if not_filed and not filed:
            return "not_filed"
        if no_proof or (filed and no_response):
            return "filed_without_proof"
        if filed:
            return ASK_PROOF
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
        label = str(guess.value)
        if kind == "document":
            values = self._document_values(guess.value, folded)
            label = self._document_label(guess.value, lang)  # the person reads it, never the code
        candidate = Candidate(values=values, label=label)
        return Finding(slot, (candidate,), certain=guess.probability >= MODEL_SURE, echo=True)

    def _vulnerabilities(self, norm: str, lang: str, asked: bool, intent: str | None) -> Finding | None:
        norm = self._without_outsiders(norm, lang)
        every = self._lexicons[(lang, "vulnerabilities")].spans(norm)
        spans = [
            span
            for span in every
            if (asked or " " in span.expression) and not self._negated(norm, span, lang)
        ]
        values = {span.value for span in spans}
        if values and asked:
            # "I'm diabetic and I lost my job": a clause the lists do not cover may add a value
            # (a clause that denies one, "pas d'enfants", is covered).
            covered = {_clause_of(norm, span.start, lang) for span in every}
            for index, clause in enumerate(_clauses(norm, lang)):
                if index not in covered and len(clause.split()) >= 2:
                    guess = self.values.guess(clause, lang, "vulnerabilities")
                    if guess.value is not None and guess.probability >= MODEL_SURE:
                        values.add(guess.value)
        if values:
            return _certain(
                "vulnerabilities", {"vulnerabilities": frozenset(values)}, ", ".join(sorted(values))
            )
        if not asked:
            return None
        plain = _plain(norm)
        # A "no" naming no situation of the lists is "none". (The model is not asked: it hears
        # "ما عندي", "لا ليس لدي" as housing, whose phrases start that way.)
        # "non je n'ai pas d'enfants et pas de problème de santé": each situation named is denied.
        denied_all = bool(every) and all(self._negated(norm, span, lang) for span in every)
        if intent == "deny" or denied_all or plain in self._none_answers.get(lang, ()):
            return _certain("vulnerabilities", {"vulnerabilities": frozenset()}, "-")
        if (
            intent == "dont_know"
            or intent in COMMAND_INTENTS
            or (intent == "affirm" and len(plain.split()) <= BARE_ANSWER_WORDS)
        ):
            # "je sais pas" is no answer (skipped), not "none"; a bare "ih" (yes) says there is
            # something but not what: asked again with the help. Neither, nor a command ("dooz",
            # pass), is given to the model, whose guess would win over them.
            return None
        return self._model_finding(plain, lang, "vulnerabilities")

    def _without_outsiders(self, norm: str, lang: str) -> str:
        """``norm`` with the clauses about someone outside the household blanked (`someone_outside`
        opening the clause, or in the words of someone named who opens it: "ma voisine a perdu son
        travail", "mon frère au pays est malade"): their situation is not the person's. The
        household's is ("ma femme est enceinte"). Not a clause where the person counts themselves
        in ("mon ami et moi on a perdu notre travail")."""
        return self._without_clauses_of(norm, lang, "someone_outside")

    def _without_clauses_of(self, norm: str, lang: str, who: str) -> str:
        """``norm`` with the clauses about the people of lookup ``who`` blanked (named opening the
        clause, or in the words of someone named who opens it), keeping the places of the rest;
        not a clause where the person counts themselves in."""
        named = self._lexicons[(lang, who)].spans(norm)
        if not named:
            return norm
        # Only as the subject, opening the clause: "je dors chez un ami" is the person's housing.
        subjects = {span.start for span in named} | {
            span.start for span in self._lexicons[(lang, "someone_else")].spans(norm)
        }
        kept, start = [], 0
        for found in [*_folded_clause_break(lang).finditer(norm), None]:
            end = found.start() if found else len(norm)
            clause = norm[start:end]
            words = clause.split()
            opening = start + len(clause) - len(clause.lstrip())
            about_them = opening in subjects and any(start <= span.start < end for span in named)
            counted_in = bool(
                _FIRST_PERSON.intersection(words)
                or _SPEAKER.intersection(words)
                or any(word.startswith("m'") for word in words)  # "mon ami m'héberge"
            )
            kept.append(_blanked(clause, 0, len(clause)) if about_them and not counted_in else clause)
            if found:
                kept.append(found.group())
                start = found.end()
        return "".join(kept)

    def _confirms_nothing_to_change(self, norm: str, lang: str) -> bool:
        """At the recap, "oui, rien à changer" / "yes nothing to add" / "rien à corriger": the
        negative words say nothing is wrong, so it is a yes (the n-gram model hears a "no")."""
        found = self._lexicons[(lang, "nothing_to_change")].spans(norm)
        if not found:
            return False
        head = norm[: found[0].start].replace("|", " ").split()
        if not head:
            return True  # the phrase opens the message: "rien à corriger", "nothing to change"
        # Only after a plain yes word ("oui", "yes", "نعم"): "non, rien à changer" stays ambiguous.
        return head[0].strip(",.!") in self._affirm_examples.get(lang, ())

    def _first_clause_intent(self, text: str, lang: str) -> str | None:
        """ "oui, et je suis assigné à résidence": the yes is in the first words; also without a
        comma, when the first word is a bare yes ("oui je dois partir")."""
        clause = _clause_break(lang).split(text.strip(), maxsplit=1)[0]
        if clause == text.strip() or not clause:
            norm = self.normalize(text, lang)
            first = _plain(norm).split()[:1]
            # Not a leading "no": "no problem" is a yes.
            leading_yes = bool(first) and first[0] in self._bare_yes.get(lang, ())
            if (
                leading_yes
                and len(text.split()) > 1
                and not self._lexicons[(lang, "dont_know")].spans(norm)
                and not self._negations(norm, lang)  # "ouais pas encore", "oui enfin je crois pas"
            ):
                return "affirm"
            return None
        return self._intent(clause, lang)

    def _intent(self, text: str, lang: str) -> str | None:
        guess = self.intents.classify(text, lang)
        if guess.intent != "affirm" or guess.confidence >= AFFIRM_DESPITE_NEGATION:
            return guess.intent
        norm = self.normalize(text, lang)
        if _plain(norm) in self._affirm_examples.get(lang, ()):
            return guess.intent
        return None if self._doubts(norm, lang) else guess.intent

    def _was_there(self, norm: str, span: Span, lang: str) -> bool:
        """A place of detention where one was, right after a past of being (`custody_was`: "j'étais
        au CRA en 2023", "I was in detention last year"), not where one still is ("j'étais au CRA
        et j'y suis toujours" says it in another clause)."""
        if _STILL.intersection(norm.split()):
            return False  # "j'étais au CRA, j'y suis encore"
        lex = self._dates[lang].lex
        # A time served counts only beside a release said ("j'ai fait 2 ans à la maison d'arrêt, je
        # suis sorti le 20 novembre"): "j'ai fait 15 jours au CRA pour l'instant" is still there.
        served = self._released_self(norm, lang) or self._years_ago(norm, span, lang)
        for cue in self._lexicons[(lang, "custody_was")].spans(norm[: span.start]):
            between = norm[cue.end : span.start].split()
            # "j'étais au", "j'ai fait 2 ans à la", not "j'étais chez moi quand"; beside a release
            # said, a few words ("I was held in the CRA last year but they released me").
            if all(
                word in _PLACE_LINKS
                or (served and (word.isdigit() or word in lex.numbers or lex.unit_of(word)))
                for word in between
            ) or (
                served
                and len(between) <= WAS_THERE_REACH
                and not any(_unelided(word) in self._taken_to[lang] for word in between)
            ):
                return True
        return False

    def _of_someone_named_not_now(self, norm: str, span: Span, lang: str) -> bool:
        """Someone named before the place in its clause, and the place supposed, feared or past
        ("si mon mari va au CRA", "peur que mon mari aille au CRA", "mi hermano estuvo en el CRA"):
        neither the person's detention nor theirs now (it made the person's P0)."""
        start = _clause_bounds(norm, span, lang)[0]
        if not self._lexicons[(lang, "someone_else")].spans(norm[start : span.start]):
            return False
        return not self._a_fact_now(None, norm, span, lang) or self._someone_was_there(norm, span, lang)

    def _a_fact_now(self, text: str | None, norm: str, span: Span, lang: str) -> bool:
        """The expression says what is, not what is feared, doubted, supposed, asked or over: no
        fear or doubt before it in its clause ("j'ai peur qu'ils envoient mon mari au CRA"), no
        "if" ("si mon frère est envoyé au CRA", `if_word`), no future or possibility with a verb
        of placing ("ils vont mettre mon frère au CRA"; not "ils ont mis mon frère au CRA"), no
        release in its clause ("ils ont libéré mon mari du CRA"), not in a question ("ils peuvent
        mettre mon mari en rétention ?")."""
        start, end = _clause_bounds(norm, span, lang)
        head = norm[start : span.start]
        if any(self._lexicons[(lang, kind)].spans(head) for kind in ("unreal", "doubt_if", "what_it_is")):
            return False
        if self._if_words[lang].intersection(head.split()):
            return False
        for cue in self._lexicons[(lang, "unreal_if")].spans(head):
            between = [word for word in norm[cue.end : span.start].split() if word not in _PLACE_LINKS]
            if self._placing_before(between, lang) or any(
                _unelided(w) in self._unreal_verbs[lang] for w in between
            ):
                return False
        if self._lexicons[(lang, "release_past")].spans(norm[start:end]):
            return False
        if text is None:
            return True
        # "ils peuvent mettre mon mari en rétention ?"; not "my brother got an OQTF, what should we do?"
        asked = [part for part in re.split(r"(?<=[?؟,;.!])", text) if part.rstrip().endswith(("?", "؟"))]
        return not any(span.expression in self.normalize(part, lang) for part in asked)

    def _someone_was_there(self, norm: str, span: Span, lang: str) -> bool:
        """A place of detention where someone was, right after a past of being (`someone_was`:
        "mon frère était au CRA", "my father spent two years in prison"; not "il était au CRA et
        il y est toujours"), or a time served years ago."""
        cues = self._lexicons[(lang, "someone_was")].spans(norm[: span.start])
        if not cues or _STILL.intersection(norm.split()):
            return False
        first = _unelided(span.expression.split()[0])
        if first in self._unreal_participles[lang] or first in self._unreal_verbs[lang]:
            return False  # "mon frère a été placé en rétention": the expression says where he is
        lex = self._dates[lang].lex
        return self._years_ago(norm, span, lang) or any(
            all(
                word in _PLACE_LINKS or word.isdigit() or word in lex.numbers or lex.unit_of(word)
                for word in norm[cue.end : span.start].split()
            )
            for cue in cues
        )

    def _years_ago(self, norm: str, span: Span, lang: str) -> bool:
        """A time years back said after the place, in its clause (`long_ago` and a unit of years:
        "j'ai fait 6 mois de prison il y a 3 ans", "I did 2 years in prison 5 years ago"): a
        time served then, not now."""
        after = norm[span.end : _clause_bounds(norm, span, lang)[1]]
        lex = self._dates[lang].lex
        years = any((lex.unit_of(word) or ("", 0))[0] == "year" for word in after.split())
        return years and bool(self._lexicons[(lang, "long_ago")].spans(after))

    def _said_to_be_in(self, norm: str, span: Span, lang: str) -> bool:
        """The person says they are in the place: a word of being there, then at most a word of
        place, right before it ("ana f الحبس", "rani fel cra", "estoy en el CRA")."""
        before = [word for word in norm[: span.start].split()[-3:] if word not in _PLACE_LINKS]
        return bool(before) and before[-1] in self._being_there[lang]

    def _free_to_come(self, norm: str, span: Span, lang: str) -> bool:
        """Freedom still to come in its clause ("je serai libre le mois prochain", "I will be
        released on parole next month", `unreal_if` before it or `release_to_come`; not "je suis
        libre, demain j'ai rdv"): still held, asked again."""
        start, end = _clause_bounds(norm, span, lang)
        return bool(
            self._lexicons[(lang, "unreal_if")].spans(norm[start : span.start])
            or self._lexicons[(lang, "release_to_come")].spans(norm[start:end])
        )

    def _released_self(self, norm: str, lang: str) -> bool:
        """The person says they were released or are free now: a release in the past, or "je suis
        libre", "now I'm out"; not someone else's ("ils ont libéré mon cousin"), nor one to come
        ("je serai libéré bientôt")."""
        if (
            self._lexicons[(lang, "someone_else")].spans(norm)
            or self._lexicons[(lang, "unreal_if")].spans(norm)
            or self._lexicons[(lang, "release_to_come")].spans(norm)
        ):
            return False
        if self._lexicons[(lang, "release_past")].spans(norm):
            return True
        return any(
            place.value == "free" and _FREE_SELF.intersection(place.expression.split())
            for place in self._lexicons[(lang, "custody")].spans(norm)
        )

    def _left(self, norm: str, span: Span, lang: str) -> bool:
        """A place of detention named as the one left: a word of release right before it ("sorti
        de prison", "released from the CRA")."""
        words = norm[: span.start].split()[-3:]
        # Released from it, not with it: "ils m'ont libéré avec une assignation à résidence".
        from_it = bool(words) and (words[-1] in _FROM or words[-1].startswith("d'"))
        return from_it and bool(self._lexicons[(lang, "release")].spans(" ".join(words)))

    def _nothing_deleted(self, norm: str, lang: str) -> bool:
        """ "Rien" right before a word of deleting: nothing was deleted ("j'ai rien effacé", "je
        n'ai rien supprimé"), which the lists and the model read as nothing kept."""
        words = norm.split()
        return any(
            word in _NOTHING and following in self._deletion_words[lang]
            for word, following in itertools.pairwise(words)
        )

    def _nothing_of_something_else(self, norm: str, expression: str, lang: str) -> bool:
        """ "J'ai rien" followed by what the nothing is of (`nothing_of`: "j'ai rien compris",
        "j'ai rien reçu de la préfecture", "rien à cacher"): not about papers."""
        start = norm.find(expression)
        if start < 0 or not any(word in expression.split() for word in _NOTHING):
            return False
        following = " ".join(norm[start + len(expression) :].split()[:3])
        return any(span.start == 0 for span in self._lexicons[(lang, "nothing_of")].spans(following))

    def _plain_consent(self, text: str, lang: str, answer: bool) -> bool:
        """Whether a yes or no to the consent question is plain: not a question back ("ça dépend,
        qui va lire ?", "c'est gratuit ?"; "oui ok?" is a yes typed as a question), not a yes with
        a limit on what is shared ("oui mais ne donnez pas mon numéro", "oui sauf mon adresse":
        the person says what they accept when asked again; "oui mais j'ai pas de papiers" is a
        yes)."""
        norm = self.normalize(text, lang)
        if "?" in text or "؟" in text:
            if self._lexicons[(lang, "question_word")].spans(norm):
                return False
            words = _plain(norm).split()
            typed_yes = bool(words) and (
                words[0] in self._bare_yes.get(lang, ()) or words[0] in self._affirm_examples.get(lang, ())
            )
            if not (typed_yes or _plain(norm) in self._affirm_examples.get(lang, ())):
                return False
        if answer and self._limits_sharing(norm, lang):
            return False
        first = _clause_break(lang).split(text.strip(), maxsplit=1)[0]
        if first == text.strip() or not first:
            return True
        said_first = self._yes_no(self._intent(first, lang))
        if said_first is None:
            return self._yes_no(self.intents.classify(text, lang).intent) == answer
        return said_first == answer and self._yes_no(self._intent(text, lang)) in (None, answer)

    def _says_no(self, norm: str, lang: str) -> bool:
        """A no in words: a negation, or a word of the examples of "no" of the language or a
        bare no of any ("No, no acepto. Vivo en Lyon" refuses; "Lyon" does not)."""
        first = _plain(norm.split("|")[0])
        return bool(
            _plain(norm) in self._deny_examples[lang]
            or first in self._deny_examples[lang]
            or first in self._any_bare_no
            # "ma bghitch nsift lma3loumat": an example of more than one word opening it.
            or any(
                " " in example and f"{first} ".startswith(f"{example} ")
                for example in self._deny_examples[lang]
            )
            or self._negations(norm, lang)
        )

    def _limits_sharing(self, norm: str, lang: str) -> bool:
        """A no about sharing ("ne donnez pas mon numéro", "ما تعطيوش الرقم") or data kept out
        ("sauf mon adresse", "not my number", "بلا رقم الهاتف")."""
        if self._lexicons[(lang, "consent_kept_out")].spans(norm):
            return True
        # "ne donnez pas mon numéro", "don't share my name"; not "oui partagez, je n'ai pas peur".
        return any(
            self._negated(norm, span, lang) for span in self._lexicons[(lang, "consent_limit")].spans(norm)
        )

    def _yes_no(self, intent: str | None) -> bool | None:
        if intent == "affirm":
            return True
        if intent == "deny":
            return False
        return None

    def _dates_in(
        self,
        text: str,
        norm: str,
        lang: str,
        asked: str | None,
        today: dt.date,
        document: Finding | None,
    ) -> list[Finding]:
        parser = self._dates[lang]
        # "le 5 novembre, non pardon le 15 novembre": what comes after the last word taking back.
        folded = fold(text)
        corrected_from = max(
            (
                folded.rfind(cue) + len(cue)
                for cue in self._retraction_cues.get(lang, ())
                if contains_phrase(folded, cue)
            ),
            default=-1,
        )
        if (
            asked is not None
            and asked in DATE_SLOTS
            and not self._date_of_another_kind(folded, norm, lang, asked)
        ):
            kind = DATE_SLOTS[asked]
            if asked == "removal_order_date" and self._lexicons[(lang, "removal_order")].spans(norm):
                kind = "order"  # "they gave me 30 days to leave": its time to leave, not its date
            elif (
                asked == "removal_order_date"
                and _LEGAL_DELAYS.intersection(folded.split())
                and parser.parse(text, today=today, kind="order") is None
            ):
                kind = "order"  # "30 jours", "j'ai 30 jour pour partir": the time to leave, asked again
            reading = None
            if corrected_from >= 0:
                rest = folded[corrected_from:]
                reading = parser.parse(rest, today=today, kind=kind)
                days = None if reading else self._day_after_retraction(text, rest, lang, today, kind)
                if days == ():
                    return []  # "reçue le 5 décembre, pardon le 31": taken back, and no 31st fits
                if days is not None and len(days) == 1:
                    reading = days[0]
                elif days:
                    # "le 20 novembre, pardon le 5": the 5th of November, or of December? Asked.
                    return [_date_choice(asked, [day.value for day in days])]
            if reading is None and (both := self._date_after_no(text, folded, lang, today, kind)):
                # "le 25 novembre non le 28": taken back, or "not the 28th"? The person says which.
                return [_date_choice(asked, [day.value for day in both])]
            if reading is None and corrected_from < 0:
                own = self._asked_dates_own_clause(text, norm, lang, asked, today, kind, document)
                if own is False:
                    return []  # every date said is another thing's: asked again
                reading = own if isinstance(own, DateReading) else None
            reading = reading or self._in_its_clauses_tense(
                parser.parse(text, today=today, kind=kind), text, norm, lang, today, kind, document
            )
            if reading is None:
                alone = self._bare_day(text, lang, today, kind) if corrected_from < 0 else []
                return [_date_choice(asked, alone)] if alone else []
            return [self._expiry_or_choice(asked, reading, text, lang, today)]
        # In passing, a date is taken only with a word saying what it is the date of, from the
        # clause of that word: "en France depuis 5 ans, j'essaie depuis mars" is March. A date
        # taken only because the message names a document gives way to one whose own clause says
        # what it is: "filed in September, my card expires in 5 months" expires in 5 months.
        said_by_clause: dict[str, DateReading] = {}
        from_context: dict[str, DateReading] = {}
        clauses, accented = self._date_clauses(text, norm, lang)
        other_papers = self._clauses_of_other_papers(clauses, accented, lang, today, document)
        for index, clause in enumerate(clauses):
            if self._lexicons[(lang, "presence")].spans(clause):
                continue  # "in France for 5 years" is not when the attempts started
            if self._lexicons[(lang, "residence")].spans(clause) and not self._has_date_cue(clause, lang):
                continue  # "j'habite à Lyon depuis 2019": not when the attempts started
            if self._lexicons[(lang, "custody")].spans(clause):
                continue  # "au CRA de Vincennes depuis hier": since when detained, not attempts
            slot, by_cue = self._date_slot_from_cues(clause, lang, asked, document)
            if slot == "expiry_date" and index in other_papers:
                continue  # the expired card's date beside the récépissé's: not the paper held
            if slot == "removal_order_date" and self._order_not_real(clause, lang, norm):
                continue  # "ma femme a eu une OQTF le 3 novembre": not the person's order
            if (
                slot == "expiry_date"
                and self._of_another_paper(clause, lang)
                and not self._lexicons[(lang, "document_word")].spans(clause)
            ):
                continue  # "mon bail se termine le 30 juin", "passeport valable jusqu'en 2029"
            found = said_by_clause if by_cue else from_context
            if slot is None or (slot in found and corrected_from < 0):
                continue  # the first date for a slot, unless the message corrects itself
            tense_text = accented[index] if len(accented) == len(clauses) else None
            # Asked "when?", a bare "2 semaines" is its date; in passing, the order's date is said
            # with "il y a", "depuis", and a bare duration is its time to leave ("on ne m'a laissé
            # que 30 jours").
            kind = "order" if slot == "removal_order_date" else DATE_SLOTS[slot]
            reading = parser.parse(clause, today=today, kind=kind, tense_text=tense_text)
            if reading is not None:
                found[slot] = reading
        return [
            self._expiry_or_choice(slot, reading, text, lang, today)
            for slot, reading in {**from_context, **said_by_clause}.items()
        ]

    def _asked_dates_own_clause(
        self,
        text: str,
        norm: str,
        lang: str,
        asked: str,
        today: dt.date,
        kind: DateKind,
        document: Finding | None,
    ) -> DateReading | Literal[False] | None:
        """Asked a date, the answer's clauses that say what their date is about: the one that
        says it is the asked one ("j'ai un rdv le 20 janvier mais ma carte expire le 2 janvier"),
        or the only one not said of something else (an appointment, a passport, the arrival in
        France). False when every date is another thing's ("je suis en France depuis 2015", asked
        since when one tries); None to read the whole answer, as before."""
        parser = self._dates[lang]
        clauses, accented = self._date_clauses(text, norm, lang)
        dated: list[tuple[int, DateReading]] = []
        for index, clause in enumerate(clauses):
            tense_text = accented[index] if len(accented) == len(clauses) else None
            found = parser.parse(clause, today=today, kind=kind, tense_text=tense_text)
            if found is not None:
                dated.append((index, found))
        if not dated:
            return None
        own, others, events = [], [], []
        for index, found in dated:
            clause = clauses[index]
            slot, by_cue = self._date_slot_from_cues(clause, lang, None, document)
            said = by_cue and slot == asked
            if self._lexicons[(lang, "presence")].spans(clause) and not (said and asked == "expiry_date"):
                others.append(found)  # "je suis en France depuis 2015"
            elif (
                asked == "expiry_date"
                and self._of_another_paper(clause, lang)
                and (len(dated) > 1 or not said)
            ):
                others.append(found)  # "mon bail se termine le 30 juin": said of the lease
            elif said:
                own.append((True, found))  # "trying to get an appointment since September"
            elif by_cue and slot is not None and len(dated) > 1:
                others.append(found)  # alone, what it says is read as the answer, as before
            elif self._lexicons[(lang, "date_of_an_event")].spans(clause):
                events.append(found)  # "j'ai un rdv le 20 janvier": gives way to another clause
            else:
                own.append((False, found))
        if not own:
            # "on me l'a donnée au rdv du 18 novembre": an event's date alone is the answer.
            return None if events else (False if others else None)
        others += events
        if not others:
            return None  # nothing set aside: the whole answer, as it always was read
        said_so = [found for by_its_cue, found in own if by_its_cue]
        if len(said_so) == 1:
            return said_so[0]
        return own[0][1] if len(own) == 1 else None

    def _of_another_paper(self, clause: str, lang: str) -> bool:
        """The clause names another paper than a residence permit, or the arrival in France
        (`date_of_something_else`); "mon passeport talent" is a residence permit."""
        return any(
            norm_next[:1] != ["talent"]
            for span in self._lexicons[(lang, "date_of_something_else")].spans(clause)
            for norm_next in [clause[span.end :].split()]
        )

    def _date_clauses(self, text: str, norm: str, lang: str) -> tuple[list[str], list[str]]:
        """The clauses dates are read in, and the same clauses folded with their accents, in which
        the tense is read ("expiré" is past, "expire" is not; they line up unless the SMS
        spellings changed their number). A year cut off by a comma is joined to its date."""
        months = self._dates[lang].lex.months
        clauses = _with_years_joined(_clauses(norm, lang), text, months)
        accented = _with_years_joined(
            _clauses(fold(text, clauses=True, keep_accents=True), lang), text, months
        )
        return clauses, accented

    def _in_its_clauses_tense(
        self,
        reading: DateReading | None,
        text: str,
        norm: str,
        lang: str,
        today: dt.date,
        kind: DateKind,
        document: Finding | None,
    ) -> DateReading | None:
        """The date read from the whole answer, with the year its own clause's tense gives, when
        the whole answer's tenses disagree: "ma carte a expiré le 3 mars et mon récépissé finit
        le 10 décembre" has no one tense, and the nearest 3 March was taken, the coming one (a
        card read as valid for months). Only then, and only the year: never when a year is
        written ("March 3, 2025": the comma cut the year off the clause), nor when the date's
        clause says no tense ("le 3 mars, elle a expiré"), nor when two clauses share the day.
        Nor beside a récépissé's date (`_clauses_of_other_papers`): the document recorded may be
        the card or the récépissé, and the card's date, gone, would make the récépissé expired."""
        parser = self._dates[lang]
        if reading is None or _WRITTEN_YEAR.search(text) or parser.tense(text) is not None:
            return reading
        clauses, accented = self._date_clauses(text, norm, lang)
        if len(clauses) < 2 or len(accented) != len(clauses):
            return reading
        if self._clauses_of_other_papers(clauses, accented, lang, today, document):
            return reading
        same_day = [
            (index, own)
            for index, (clause, tense_text) in enumerate(zip(clauses, accented, strict=True))
            if (own := parser.parse(clause, today=today, kind=kind, tense_text=tense_text)) is not None
            and (own.value.month, own.value.day) == (reading.value.month, reading.value.day)
        ]
        if len(same_day) != 1 or parser.tense(accented[same_day[0][0]]) is None:
            return reading
        return same_day[0][1]

    def _clauses_of_other_papers(
        self, clauses: list[str], accented: list[str], lang: str, today: dt.date, document: Finding | None
    ) -> set[int]:
        """The clauses dating an expired card beside the paper held: "ma carte a expiré le 3 mars,
        mon récépissé finit le 10 décembre". The expiry is the paper held now's (spec §1), the
        récépissé's; the first date, the card's, was taken (a valid récépissé read as expired: no
        valid proof, more urgent than it is). Only for the papers given while a card is renewed
        or examined (récépissé, attestation, APS), named for sure in the message; only when the
        held paper's clause dates its end ("finit", "valable jusqu'au"; not "reçu le"), the other
        paper's date is gone (a card still valid is the paper held) and comes before the held
        one's. In passing only: at the expiry question the document is already recorded
        (perhaps the card), and its date is what is asked. Empty: nothing is left out."""
        if document is None or not document.certain or len(clauses) < 2 or len(accented) != len(clauses):
            return set()
        held = document.candidates[0].values.get("document")
        if held not in PAPERS_HELD_BESIDE_A_CARD:
            return set()
        lexicon = self._lexicons[(lang, "document")]
        parser = self._dates[lang]
        expiry_cues = self._date_cues[(lang, "date_cue_expiry")]
        held_ends: list[dt.date] = []
        others: dict[int, dt.date] = {}
        for index, (clause, tense_text) in enumerate(zip(clauses, accented, strict=True)):
            names_it = any(code == held for _, code in lexicon.find_all(clause))
            if not names_it and not self._names_a_paper(clause, lang):
                continue
            date = parser.parse(clause, today=today, kind="expiry", tense_text=tense_text)
            if date is None:
                continue
            if names_it and not any(contains_phrase(clause, c) for c in expiry_cues):
                return set()  # "reçu un récépissé le 20 mars": the day it was given, not its end
            if names_it:
                held_ends.append(date.value)
            else:
                others[index] = date.value
        if not held_ends or not others:
            return set()
        if any(other >= today or other >= min(held_ends) for other in others.values()):
            return set()  # a card still valid, or ending after the récépissé: left as it was
        return set(others)

    def _dates_left_out(
        self, text: str, norm: str, lang: str, asked: str | None, today: dt.date, document: Finding | None
    ) -> list[Finding]:
        """The dates `_dates_in` leaves out in passing (`_clauses_of_other_papers`), as findings:
        still dates, whose day is no département."""
        if asked in DATE_SLOTS:
            return []
        clauses, accented = self._date_clauses(text, norm, lang)
        parser = self._dates[lang]
        left_out = []
        for index in sorted(self._clauses_of_other_papers(clauses, accented, lang, today, document)):
            reading = parser.parse(clauses[index], today=today, kind="expiry", tense_text=accented[index])
            if reading is not None:
                left_out.append(_certain("expiry_date", {"expiry_date": reading.value}, ""))
        return left_out

    def _names_a_paper(self, clause: str, lang: str) -> bool:
        return bool(
            self._lexicons[(lang, "document")].find_all(clause)
            or self._lexicons[(lang, "document_word")].spans(clause)
        )

    def _expiry_or_choice(
        self, slot: str, reading: DateReading, text: str, lang: str, today: dt.date
    ) -> Finding:
        """The date, or for an expiry read as next year whose day a year earlier has just gone
        ("elle expire le 25 novembre" on 6 December: the coming one, spec §2, or the one just
        gone, said in the present?), both to choose from: expired is urgent, next year is not."""
        recent = _same_day_lately(reading.value, today) if slot == "expiry_date" else None
        if recent is None or _WRITTEN_YEAR.search(text) or self._says_next(text, lang):
            return _certain(slot, {slot: reading.value}, _date_label(reading.value))
        return _date_choice(slot, [recent, reading.value])

    def _says_future(self, text: str, lang: str) -> bool:
        """A future the words say themselves ("expirera", "va expirer", "demain", "dans 2 jours")."""
        folded = fold(text)
        return self._says_next(text, lang) or any(
            contains_phrase(folded, w) for w in self._future_said.get(lang, ())
        )

    def _says_next(self, text: str, lang: str) -> bool:
        """Whether the text places its date ahead itself: "dans 10 mois", "le 25 novembre prochain",
        "il me reste 10 jours"."""
        words = self._dates[lang].lex.words
        folded = fold(text)
        if any(contains_phrase(folded, cue) for cue in words["next"]):
            return True
        # "dans 10 mois", "dans onze mois", "in a year"; not "j'habite dans le 93, elle expire le
        # 25 novembre".
        counts = "|".join(re.escape(n) for n in sorted(self._dates[lang].lex.numbers, key=len, reverse=True))
        amount = rf"(?:\d|(?:{counts})(?!\w))" if counts else r"\d"
        return any(
            re.search(rf"(?<!\w){re.escape(cue)}\s+{amount}", folded)
            for cue in words["in"] | words["remaining_before"]
        )

    def _date_after_no(
        self, text: str, folded: str, lang: str, today: dt.date, kind: DateKind
    ) -> tuple[DateReading, DateReading] | None:
        """ "le 25 novembre non le 28", "the 25th of November, no, the 28th": the date the message
        gives and the same date with the day said after the no, for the person to choose from (a
        no between two dates takes the first back as often as it says "not the 28th"). Only when
        the message ends with DATE no DAY, DATE (with its day and month) being the date the whole
        message gives, and DAY a bare day or a date of the same month (and year, if written), at
        most 10 days away, and not after today for an event (a notification). Anything else is
        left alone ("non 15 jours de délai", "No. 12", "le récépissé non, le 28 février", "dans
        le 13 non le 12", "non le 25 novembre comme écrit", "31 décembre non le 2"). The year
        and tense are those read from the whole message."""
        if _NUMBER_SIGN.search(text):
            return None  # "No. 12": a number
        nos = self._retraction_nos.get(lang, ())
        if not nos:
            return None
        parser = self._dates[lang]
        months = parser.lex.months
        fillers = self._retraction_no_fillers.get(lang, frozenset()) | frozenset(nos)
        tokens = _DATE_TOKENS.findall(folded)
        at = max((i for i, token in enumerate(tokens) if token in nos), default=None)
        if at is None:
            return None
        before = _strip_fillers(tokens[:at], fillers, start=False)
        after = _strip_fillers(tokens[at + 1 :], fillers)
        # The date right before the no, its longest reading ("25 de noviembre de 2026").
        tails = (_day_month_year(before[-n:], months) for n in range(4, 0, -1) if len(before) >= n)
        first = next((found for found in tails if found is not None), None)
        second: tuple[int, int | None, int | None] | None
        if len(after) == 1 and _is_day(after[0]):
            second = (_day_of(after[0]), None, None)
        else:
            second = _day_month_year(after, months)
        if first is None or second is None:
            return None
        reading = parser.parse(text, today=today, kind=kind)  # what the message gives anyway
        if reading is None or (reading.value.day, reading.value.month) != first[:2]:
            return None
        day, month, year = second
        if (month is not None and month != first[1]) or (year is not None and year != reading.value.year):
            return None
        if day == first[0] or abs(day - first[0]) > _NEAR_DAYS:
            return None
        try:
            other = DateReading(reading.value.replace(day=day), reading.approximate)
        except ValueError:  # "le 31" of a 30-day month
            return None
        if kind != "expiry" and other.value > today:
            return None  # "reçue le 2 décembre, non le 9", on the 6th: not a notification to come
        return reading, other

    def _bare_day(self, text: str, lang: str, today: dt.date, kind: DateKind) -> list[dt.date]:
        """Asked a date, a day alone ("le 22", "the twenty-second", "el 30", "نهار 22"): the date it
        is nearest in the tense said, offered to be confirmed, never taken. A notification is
        never to come; an expiry without a tense may be either side of today (both offered)."""
        fillers = self._retraction_no_fillers.get(lang, frozenset()) | _DAY_WORDS
        tokens = _DATE_TOKENS.findall(fold(text))
        # "elle a expiré le 30", "on me l'a donnée le 22": the words after the last article, when
        # nothing before them is a number.
        if any(token in _PLACE_BEFORE_NUMBER for token in tokens):
            return []  # "dans le 13", "in the 93": a place, not a day
        articles = [index for index, token in enumerate(tokens) if token in _DAY_WORDS]
        if articles and not any(any(ch.isdigit() for ch in token) for token in tokens[: articles[-1]]):
            tokens = tokens[articles[-1] :]
        words = _strip_fillers(tokens, fillers)
        numbers = self._dates[lang].lex.numbers
        if len(words) == 1 and _is_day(words[0]):
            day = _day_of(words[0])
        elif words and " ".join(words) in numbers:
            day = numbers[" ".join(words)]  # "vingt deux", "twenty second"
        else:
            return []
        if not 1 <= day <= 31:
            return []

        def this_or(months: int) -> list[dt.date]:
            """The day in this month, then in the month `months` away (those that have it)."""
            days = []
            for shift in (0, months):
                with contextlib.suppress(ValueError):  # "le 31" of a 30-day month
                    days.append((today + relativedelta(months=shift)).replace(day=day))
            return days

        before = next((date for date in this_or(-1) if date <= today), None)
        after = next((date for date in this_or(1) if date >= today), None)
        if kind != "expiry":
            return [before] if before else []
        tense = self._dates[lang].tense(text)
        if tense == "past":
            return [before] if before else []
        if tense == "future":
            return [after] if after else []
        return sorted((d for d in {before, after} if d), key=lambda d: abs((d - today).days))

    def _day_after_retraction(
        self, text: str, rest: str, lang: str, today: dt.date, kind: DateKind
    ) -> tuple[DateReading, ...] | None:
        """ "le 20 novembre, pardon le 5": after a word taking the date back, a bare day is a day
        of that date's month, or of the month around it. One date when it is near (10 days) and
        keeps the tense the message said; else the dates it may be, the first one said among
        them, to choose from ("le 30 novembre pardon le 1er": 1 November or 1 December?). Never a
        notification to come. None when the rest is not a bare day; no date when no day fits: the
        date said was taken back, so it is not taken either (asked again)."""
        fillers = self._retraction_no_fillers.get(lang, frozenset())
        words = _strip_fillers(_DATE_TOKENS.findall(rest), fillers)
        if len(words) != 1 or not _is_day(words[0]):
            return None
        reading = self._dates[lang].parse(text, today=today, kind=kind)
        if reading is None:
            return None
        day, said = _day_of(words[0]), reading.value

        def fits(other: dt.date) -> bool:
            if kind != "expiry" and other > today:
                return False  # a notification is no date to come
            if (other > today) == (said > today):
                return True  # the tense the message said
            # "elle expire le 8 décembre, pardon le 5", on the 6th: "expire" said of a day just
            # gone (the urgent way; the other way, "a expiré le 3, pardon le 8", is refused).
            return (
                kind == "expiry"
                and said > today
                and today - RECENTLY_PAST <= other <= today
                and not self._says_future(text, lang)
            )

        near = None
        with contextlib.suppress(ValueError):  # "le 31" of a 30-day month
            near = said.replace(day=day)
        if near is not None and abs(day - said.day) <= _NEAR_DAYS and fits(near):
            return (DateReading(near, reading.approximate),)
        others = []
        for months in (0, -1, 1, -2, 2):
            with contextlib.suppress(ValueError):
                other = (said + relativedelta(months=months)).replace(day=day)
                if other != said and fits(other):
                    others.append(other)
        if not others:
            return ()
        others = sorted(others, key=lambda other: abs((other - said).days))[:2]
        return tuple(DateReading(value, reading.approximate) for value in (said, *others))

    def _only_a_date(self, folded: str, lang: str) -> bool:
        """A message that is a date and nothing else ("non, c'est le 15/04/2027", "jusqu'au 3
        mars"): a number, a month, and small words only."""
        months = self._dates[lang].lex.months
        words = re.findall(r"[^\W_]+", folded)
        return any(w.isdigit() for w in words) and all(
            w.isdigit() or w in months or w in _DATE_FILLERS for w in words
        )

    @staticmethod
    def _conversation_words(data: NluData, gazetteer: Gazetteer) -> frozenset[str]:
        """The words of the intent examples (all languages: what people say *to* the bot: "aide",
        "help", "comment"), as the gazetteer normalises them, but those near a big place's name
        ("have": Le Havre): an answer made of them only is no misspelt small commune."""
        words = {
            word
            for language in data.by_language.values()
            for examples in language.intents.values()
            for example in examples
            for word in normalize_place(example).split()
        }
        return frozenset(word for word in words if not gazetteer.near_big_place(word))

    def _folded_lookup(self, languages: Iterable[str], name: str) -> dict[str, tuple[str, ...]]:
        """Each language's entries of the lookup ``name`` (cues.yml), folded as messages are."""
        return {lang: tuple(fold(entry) for entry in self._lookup_merged(lang, name)) for lang in languages}

    def _answer_after_order_question(self, norm: str, lang: str) -> Literal["no", "unknown"] | None:
        """For a message that opens asking what an OQTF is, in so many words ("c quoi une oqtf",
        "what is an OQTF?", "شنو هي OQTF؟"), then answers with a no without naming the order
        again: "no" when that no says no ("non j'en ai pas", "no tengo"; it read as "OQTF : oui"),
        "unknown" when it is about knowing ("non je sais pas", "no idea": asked again). None
        otherwise: "qu'est-ce que dit mon oqtf, je comprends pas" (their order: the question says
        more), "c'est quoi une oqtf? je comprends pas mon oqtf" (the rest names it), "c'est quoi
        une oqtf? j'en ai reçu une" (no no)."""
        first, _, rest = norm.partition("|")
        if not rest.strip():
            return None
        first = first.strip()
        cue = next((c for c in self._question_cues.get(lang, ()) if first.startswith(c + " ")), None)
        spans = self._lexicons[(lang, "removal_order")].spans(first)
        if cue is None or len(spans) != 1:
            return None
        between = first[len(cue) : spans[0].start].split()
        if len(between) > 1 or any(word not in _ARTICLES_BEFORE_THE_WORD for word in between):
            return None  # "que significa mi oqtf": their own order
        rest_plain = _plain(rest)
        if first[spans[0].end :].strip() or self._lexicons[(lang, "removal_order")].spans(rest_plain):
            return None
        if not any(
            rest_plain == no or rest_plain.startswith(no + " ") for no in self._bare_noes.get(lang, ())
        ):
            return None
        # "non je sais pas", "no idea", "لا ما فهمتش": a no about knowing, asked again.
        # The words say it, not the model alone (which reads the Spanish "no tengo" as "I don't
        # know"): "je sais pas", "no idea", "ما عرفتش"; or the model hears a request for help
        # ("je comprends pas", "ما فهمتش").
        about_knowing = bool(self._lexicons[(lang, "dont_know")].spans(rest_plain)) or (
            self._intent(rest_plain, lang) == "help"
        )
        return "unknown" if about_knowing else "no"

    def _without_short_questions(self, text: str, norm: str, lang: str) -> str:
        """The text without its short questions about a word ("c'est quoi un récépissé ?", "what
        is a récépissé?"): a question cue, a few words and a question mark, or the whole message."""
        if self._lexicons[(lang, "have_one")].spans(norm):
            return norm  # "c quoi un recepisse? jen ai un": asked about, and had
        kept = norm
        # A whole message that only asks, question mark or not ("c koi un recepisse").
        sentences = _QUESTION_SENTENCE.findall(text) or ([text] if self._asks(text, lang) else [])
        for sentence in sentences:
            folded = self.normalize(sentence, lang).strip(" |")
            if self._mine_before[lang].intersection(folded.split()) or _HAVING.intersection(folded.split()):
                continue  # "c'est quoi mon récépissé ?", "c koi ça jai un recepisse?": one's own
            for cue in self._question_cues.get(lang, ()):
                if folded.startswith(cue + " ") and len(folded[len(cue) :].split()) <= _WORDS_OF_A_QUESTION:
                    kept = kept.replace(folded, " ", 1)
                    break
        return kept

    def _asks(self, text: str, lang: str) -> bool:
        """A message that only asks: one short sentence starting with "c quoi", "what is"... ("c
        quoi une oqtf"); not "c quoi une oqtf jen ai une", "qu'est-ce que je dois faire, j'ai une
        oqtf", "c'est quoi une oqtf? j'ai reçu un papier…", which say more than they ask."""
        if re.search(r"[?؟.,;!]\s*\S", text.strip()):
            return False
        folded = fold(text)
        for cue in self._question_cues.get(lang, ()):
            if folded == cue or folded.startswith(cue + " "):
                return len(re.findall(r"[^\W_]+", folded[len(cue) :])) <= _WORDS_OF_A_QUESTION
        return False

    def _number_may_be_a_day(self, place: Finding, folded: str, lang: str) -> bool:
        """Whether the département number of ``place`` may be the day of a date the message speaks
        of: a number a day can be, in a message naming a month or what a date is about, with no
        word saying it is a place ("dans le 13", "préfecture du 18") or where they live."""
        return (
            self._day_number(place, folded, lang)
            and self._speaks_of_a_date(folded, lang)
            and not self._lexicons[(lang, "residence")].spans(folded)
        )

    def _day_number(self, place: Finding, folded: str, lang: str) -> bool:
        """Whether the département number of ``place`` could be a day: 1 to 31, with no word
        before it saying it is a place ("dans le 13", "préfecture du 18")."""
        number = str(place.candidates[0].values.get("prefecture", ""))
        if not number.isdigit() or not 1 <= int(number) <= 31:
            return False  # "93 depuis janvier", "2A"
        return not any(
            re.search(rf"(?<!\w){re.escape(cue)}\s+0?{int(number)}(?!\d)", folded)
            for cue in self._place_number_cues.get(lang, ())
        )

    def _speaks_of_a_date(self, folded: str, lang: str) -> bool:
        """A month named, or a word saying what a date is about (expiry, an order, attempts)."""
        months = self._dates[lang].lex.months
        return any(word in months for word in re.findall(r"[^\W_]+", folded)) or self._has_date_cue(
            folded, lang
        )

    def _date_of_another_kind(self, folded: str, norm: str, lang: str, asked: str) -> bool:
        """Asked one date, the message gives another kind of date and nothing of what was asked: a
        paper's expiry ("pardon ma carte expire le 15 décembre pas le 5" at the attempts question)
        or, at the attempts question, an order received ("ah si attendez, j'ai reçu une OQTF le 20
        novembre"). Read as in passing, where its words make it that date."""
        cues = self._date_cues

        def said(*kinds: str) -> bool:
            return any(contains_phrase(folded, cue) for kind in kinds for cue in cues[(lang, kind)])

        expiry = (
            asked != "expiry_date"
            and said("date_cue_expiry")
            and not said("date_cue_removal_order", "date_cue_attempts")
            and self._names_a_paper(folded, lang)
        )
        order = (
            asked == "attempts_since"
            and not said("date_cue_attempts")
            and any(span.value == "received" for span in self._lexicons[(lang, "removal_order")].spans(norm))
        )
        return expiry or order

    def _has_date_cue(self, folded: str, lang: str) -> bool:
        """Whether the clause says what a date in it is about (expiry, attempts, an order)."""
        plain_time = self._attempt_cues_of_time[lang]  # "depuis", "since": said of anything
        return any(
            contains_phrase(folded, cue)
            for kind in ("date_cue_removal_order", "date_cue_attempts", "date_cue_expiry")
            for cue in self._date_cues[(lang, kind)]
            if cue not in plain_time
        )

    def _expiry_dated_before_the_order(self, folded: str, lang: str) -> bool:
        """An expiry word, then a date, then the order named: the date is the expiry's."""
        orders = [span.start for span in self._lexicons[(lang, "removal_order")].spans(folded)]
        digit = re.search(r"\d", folded)
        if not orders or digit is None or digit.start() > min(orders):
            return False
        before = folded[: digit.start()]
        return any(contains_phrase(before, cue) for cue in self._date_cues[(lang, "date_cue_expiry")])

    def _date_slot_from_cues(
        self, folded: str, lang: str, asked: str | None, document: Finding | None
    ) -> tuple[str | None, bool]:
        """The slot a clause's date belongs to, and whether the clause says it (by a cue word)
        rather than the rest of the message or the question on screen."""
        cues = self._date_cues
        expiry_first = self._expiry_dated_before_the_order(folded, lang)
        if not expiry_first and any(
            contains_phrase(folded, c) for c in cues[(lang, "date_cue_removal_order")]
        ):
            return "removal_order_date", True
        # "they ordered me to leave France on 10 November": the clause says an order was received;
        # unless the date comes first, right after an expiry ("بطاقتي انتهت يوم 28 أكتوبر وعطاوني
        # OQTF": the glued "و" joins no clause here, and the 28th is the card's).
        said = self._polar(folded, lang, "removal_order", "received")
        if said is not None and said[1] and not expiry_first:
            return "removal_order_date", True
        attempts = [c for c in cues[(lang, "date_cue_attempts")] if contains_phrase(folded, c)]
        expires = any(contains_phrase(folded, c) for c in cues[(lang, "date_cue_expiry")])
        words = folded.split()
        said_yes = bool(words) and words[0] in self._bare_yes.get(lang, ())
        answered_yes = asked == "removal_order" and (said_yes or self._has_one(folded, lang))
        if (
            (asked == "removal_order_date" or answered_yes)
            and attempts
            and not expires
            and self._attempt_cues_of_time[lang].issuperset(attempts)
            and not self._negations(folded, lang)
            and not self._doubts(folded, lang)
        ):
            # "oui, j'en ai une depuis le 10 novembre" to the order's question: a bare "depuis"
            # dates the order asked about, not the attempts.
            return "removal_order_date", False
        if asked == "custody" and attempts and self._attempt_cues_of_time[lang].issuperset(attempts):
            return None, False  # "je suis en conditionnelle depuis septembre": how long held, not tried
        # "انتهت صلاحيتها منذ سنتين", "expirée depuis deux ans": expired two years ago.
        if attempts and not (expires and self._attempt_cues_of_time[lang].issuperset(attempts)):
            return "attempts_since", True
        if expires:
            return "expiry_date", True
        # At the summary a date must say what it is about: "j'ai perdu mon travail il y a 2
        # semaines" there made an expired card of a valid one (P1).
        if document is not None and not _is_no_document(document):
            return "expiry_date", False
        if asked == "confirm" and any(
            contains_phrase(folded, w) for w in cues[(lang, "date_word_at_summary")]
        ):
            return "expiry_date", False  # "non, la date c'est le 5 avril": the date shown there
        if asked == "confirm" and self._only_a_date(folded, lang):
            return "expiry_date", False  # "non, c'est le 15/04/2027": nothing but a date
        # "oui, le 10 novembre" to "have you received an OQTF?": the date of that order.
        if asked == "removal_order" and not self._doubts(folded, lang):
            return "removal_order_date", False
        return None, False

    # -- languages -------------------------------------------------------------------------------

    def _prefixes(self, lang: str) -> tuple[str, ...]:
        return ARABIC_PREFIXES if lang == "ar" else ()

    def _synonyms_or_empty(self, lang: str, kind: str) -> dict[str, list[str]]:
        try:
            return self.data.synonyms(lang, kind)
        except KeyError:
            return {}

    def _without_birth_dates(self, text: str, lang: str, today: dt.date) -> str:
        """The text without its dates of birth: a birth word (cues.yml: birth) and the date right
        after it ("né le 3/03/1990", "née à Alger en 1992", "born 3 weeks ago"), up to the end of its
        clause, a word that starts another statement ("birth_ends": "né au Maroc ma carte expire
        le 15 janvier") or a few words; "mon enfant né en 2020 est malade" keeps "est malade".
        Only what reads as a date goes: "né à Dakar 3 mois que j'essaie" stays whole."""
        cue = self._birth_cues[lang]
        if cue is None:
            return text
        ends, date_words = self._birth_ends[lang], self._date_words[lang]
        pieces, kept_from = [], 0
        since = self._dates[lang].lex.words["since"]
        for match in cue.finditer(text):
            if match.start() < kept_from:
                continue
            starts = [m.end() for m in _birth_clause_end(lang).finditer(text, 0, match.start())]
            if since.intersection(fold(text[max(starts, default=0) : match.start()]).split()):
                continue  # "depuis que mon fils est né en mars j'essaie": the birth dates the attempts

            def is_dated(word: re.Match[str]) -> bool:
                return fold(word.group()) in date_words or any(ch.isdigit() for ch in word.group())

            end = _birth_clause_end(lang).search(text, match.end())
            clause_end = end.start() if end else len(text)
            if end is not None and end.group() == ",":
                # A comma inside the place ("born in Lagos, Nigeria on 3 March 1990"): the clause
                # goes on when it has no date yet and what follows starts no other statement.
                head = text[match.end() : clause_end]
                further = _birth_clause_end(lang).search(text, end.end())
                following = re.findall(r"\S+", text[end.end() : further.start() if further else len(text)])
                if not any(ch.isdigit() for ch in head) and following and fold(following[0]) not in ends:
                    clause_end = further.start() if further else len(text)
            clause = list(re.finditer(r"[^\s,]+", text[match.end() : clause_end]))
            words = clause[:BIRTH_DATE_WORDS]
            words = words[: next((i for i, w in enumerate(words) if fold(w.group()) in ends), len(words))]

            dated = [index for index, word in enumerate(words) if is_dated(word)]
            if not dated:
                continue
            # To its year, or to the end of its run of date words ("le 3 mars", "hier").
            year = next((i for i in dated if _YEAR_IN_WORD.search(words[i].group())), None)
            # Later than a few words only with a year ("née à Alger en Algérie le 3 mars 1990"):
            # "né à Dakar, ça fait 3 mois que j'essaie" is no birth date.
            if dated[0] > BIRTH_DATE_START and year is None:
                continue
            last = dated[0] if year is None else year
            while year is None and last + 1 < len(clause) and is_dated(clause[last + 1]):
                last += 1
            stop = match.end() + clause[last].end()
            born = self._dates[lang].parse(text[match.start() : stop], today=today)
            if born is None or (dated[0] > BIRTH_DATE_START and born.value >= today):
                continue
            pieces.append(text[kept_from : match.start()])
            kept_from = stop
        return "".join(pieces) + text[kept_from:] if pieces else text

    def _word_set(self, lang: str, name: str) -> frozenset[str]:
        """A lookup table of the language and of French, folded, as a set of words."""
        return frozenset(fold(word) for word in self._lookup_merged(lang, name))

    def _lookup_merged(self, lang: str, name: str) -> list[str]:
        """A lookup table of the language and of French; a language may lack one."""
        return [
            entry
            for other in self._with_french(lang)
            for entry in self.data.by_language[other].lookups.get(name, ())
        ]

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
        for name, code in self._long_language_names:
            if contains_phrase(folded, name):
                return code
        return None


def date_lexicon(data: NluData, langs: Sequence[str]) -> DateLexicon:
    """The date words of these languages (lookups of `nlu_data/<lang>/dates.yml` and `months.yml`)."""
    months: dict[str, int] = {}
    numbers: dict[str, int] = {}
    words: dict[str, list[str]] = {}
    for lang in langs:
        for name, entries in data.by_language[lang].lookups.items():
            if _MONTH_LOOKUP.fullmatch(name):
                # A season is read like the month in its middle ("depuis l'été": mid-July).
                for entry in entries:
                    months.setdefault(entry, int(name.rsplit("_", 1)[1]))
            elif name.startswith("number_"):
                for entry in entries:
                    numbers.setdefault(entry, int(name.removeprefix("number_")))
            else:
                words.setdefault(name, []).extend(entries)
    return DateLexicon.build(months, numbers, words)


def date_parser(data: NluData, lang: str) -> DateParser:
    """The date parser of one language; French words are understood in every language."""
    return DateParser(date_lexicon(data, [lang] if lang == "fr" else [lang, "fr"]))


ASK_PROOF = "ask_proof"


def _plain(norm: str) -> str:
    """Normalized text without its clause marks, for the models and fuzzy matching."""
    return " ".join(norm.replace("|", " ").split())


# Words that link a clause to the one before ("mais il a expiré"), and the pronouns that then
# stand for a thing named there; an expiry word first means the clause has no subject of its own.
_CLAUSE_LINKS = frozenset({"mais", "et", "but", "and", "pero", "y", "و", "لكن", "بصح", "walakin"})
_PRONOUNS_OF_A_THING = frozenset({"il", "elle", "it", "el", "ella", "هو", "هي", "lui"})
_EXPIRY_WORDS = frozenset(
    {"expire", "expiré", "expiree", "expired", "perime", "périmé", "caducado", "caduco"}
)


def _clauses(norm: str, lang: str) -> list[str]:
    return [part.strip() for part in _folded_clause_break(lang).split(norm)]


_YEAR_ALONE = re.compile(r"(?:19|20)\d\d")
# A day or a month, a comma, a year: "March 3, 2025", "le 1er février, 2028", "3 مارس، 2025".
_YEAR_AFTER_A_COMMA = re.compile(r"([^\W_]+)\s*[,،]\s*((?:19|20)\d\d)(?!\d)")


def _with_years_joined(clauses: list[str], text: str, months: Mapping[str, int]) -> list[str]:
    """The clauses with a year cut off by a comma right after a day or a month joined to the
    clause before it, as one date: "my card expired on March 3, 2025" (3 March 2026 was read).
    Not after a full stop ("le 30 octobre. 2025, rien n'a bougé") nor after other words
    ("depuis, 2015"). An emptied clause keeps its place, so that indices still match."""
    after_a_date = {
        (fold(word), year)
        for word, year in _YEAR_AFTER_A_COMMA.findall(text)
        if (word.isdigit() and len(word) <= 2) or fold(word) in months
    }
    if not after_a_date:
        return clauses
    joined = list(clauses)
    for index in range(1, len(joined)):
        year, before = joined[index].strip(), joined[index - 1].split()
        if _YEAR_ALONE.fullmatch(year) and before and (fold(before[-1].split("/")[-1]), year) in after_a_date:
            glue = "/" if "/" in before[-1] else " "  # "10/12, 2027" is 10/12/2027
            joined[index - 1] = f"{joined[index - 1]}{glue}{year}"
            joined[index] = ""
    return joined


def _clause_of(norm: str, position: int, lang: str) -> int:
    """The index of the clause (as in `_clauses`) a position of the text is in."""
    return len(_folded_clause_break(lang).findall(norm[:position]))


def _most_precise(found: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """The longest expression, unless another one refines its code ("residence card" + "refugee")."""
    if not found:
        return None
    best = found[0]
    refinements = REFINED_BY.get(best[1], frozenset())
    for expression, code in found[1:]:
        if code in refinements:
            return expression, code
    return best


# The articles a question about a word may put before it ("c quoi UNE oqtf", "شنو هي OQTF").
_ARTICLES_BEFORE_THE_WORD = frozenset(
    [
        "un",
        "une",
        "le",
        "la",
        "l",
        "les",
        "des",
        "the",
        "an",
        "a",
        "el",
        "una",
        "lo",
        "هي",
        "هو",
        "هاد",
        "هذه",
        "هذا",
    ]
)
# "OQTF : non" and nothing more after the no ("OQTF : la date c'est…" is the French article).
_ORDER_SAID_NO = re.compile(r"\boqtf\s*:\s*(?:(?:non|no|لا)\b|la\s*(?:$|[|.,;!]))")
# "a expiré", "est périmé", "expired", "caducó": a proof said expired stays without proof, whatever
# other date the message names (an appointment).
_PROOF_SAID_EXPIRED = re.compile(r"(?:\ba expir|\best expir|expiré|périm|perim|\bexpired\b|\bcaduc|\bvenci)")
# "il n'a pas expiré", "hasn't expired", "no ha caducado": the proof is valid.
_EXPIRY_DENIED = re.compile(
    r"(?:\bpas\s+(?:encore\s+)?(?:expir|périm|perim)|\bnot\s+(?:yet\s+)?expired|n't\s+(?:yet\s+)?expired"
    r"|\bno\s+(?:ha\s+)?(?:caduc|vencid))"
)
# The small words a date is said with at the summary ("non, c'est le 15 avril").
_DATE_FILLERS = frozenset(
    [
        "non",
        "no",
        "c",
        "est",
        "le",
        "la",
        "l",
        "au",
        "jusqu",
        "jusque",
        "until",
        "on",
        "the",
        "el",
        "de",
        "del",
        "en",
        "it",
        "is",
        "es",
        "er",
        "th",
        "st",
        "nd",
        "rd",
    ]
)
# The papers that prove a request was filed.
PROOF_DOCUMENTS = frozenset({"RECEPISSE", "ANEF_API"})

# The kinds offered for a residence card named without its kind: the most common ones.
UNNAMED_CARD_KINDS = ("CST_VPF", "CST_SAL", "CST_ETU", "CST_TT", "CR_10", "OTHER")

# What the volunteer reads as the document of a person who said their permit expired without
# saying which (French: the desk's language).
EXPIRED_PERMIT_OF_UNKNOWN_KIND = "titre expiré, type à préciser"


def _is_no_document(finding: Finding) -> bool:
    return finding.certain and finding.candidates[0].values.get("document") == "NONE"


def _certain(slot: str, values: Mapping[str, Any], label: str) -> Finding:
    return Finding(slot, (Candidate(values=dict(values), label=label),), certain=True)


def _date_label(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _date_choice(slot: str, days: Sequence[dt.date]) -> Finding:
    """Dates of ``slot`` for the person to choose from, in the order given."""
    return Finding(
        slot, tuple(Candidate(values={slot: day}, label=_date_label(day)) for day in days), certain=False
    )


def _polar(slot: str, values: Mapping[str, Any], label: str) -> Finding:
    """A certain finding read from a bare yes or no: the engine drops it when the "no" belongs to
    the correction of another answer ("non c'est Lille pas le Cantal" at the consent question)."""
    return Finding(slot, (Candidate(values=dict(values), label=label),), certain=True, polar=True)


def _is_a_day(place: Finding, dates: list[Finding]) -> bool:
    """Whether the département number of `place` is the day of one of the dates."""
    department = str(place.candidates[0].values.get("prefecture", ""))
    days = {
        value.day
        for finding in dates
        for candidate in finding.candidates  # "le 25 novembre non le 28": either date
        for value in candidate.values.values()
        if isinstance(value, dt.date)
    }
    return department.isdigit() and int(department) in days


def _place_candidate(match: PlaceMatch) -> Candidate:
    return Candidate(values={"prefecture": match.department, "commune": match.commune}, label=match.label)


# A negation and the word (with its article or preposition) it denies: "pas Lille", "not in Paris".
# The words of an option's label, as `fold` writes them ("saint-denis (la reunion, 974)").
_LABEL_WORD = re.compile(r"[^\s()\-,.;:/|]+")
# The small words of French place names ("Villiers-sur-Marne", "Sainte-Foy-lès-Lyon").
_LABEL_FUNCTION_WORDS = frozenset({"sur", "sous", "les", "aux", "et", "l", "d", "le", "la", "en", "de", "du"})
# The "ne" of a French negation, which denies through its "pas", "plus", "jamais" ("né", born,
# folds to it).
_NE = frozenset({"ne", "n'", "n"})
# How far after a "ne" its second word may come: "on ne me l'a toujours pas donné".
NE_REACH = 4


def _same_clause(tokens: Iterable[str]) -> list[str]:
    """The tokens up to the end of the clause ("|" or a joining word)."""
    clause = []
    for token in tokens:
        if token == "|" or token in _JOINERS:
            break
        clause.append(token)
    return clause


@dataclass(frozen=True)
class NeParticles:
    """A language's "ne" (cues.yml: negation_ne), the second words that complete it after it, and
    the words before it that make it deny (a negative subject, a fear, a "before")."""

    particles: frozenset[str] = frozenset()
    completions: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()


# A département of overseas France in a label ("Saint-Denis (La Réunion, 974)").
_OVERSEAS = re.compile(r"\b97\d\b")
# A question mark: "isn't it 93?" asks, it does not pick.
_ASKING = re.compile(r"[?؟¿]")
_NEGATED_WORD = re.compile(
    r"\b(?:pas|plus|not|no|ni|machi|mashi|ماشي)\s+(?:(?:à|a|au|en|in|de|du|le|la|les|the|f|fi|ف|في)\s+)?"
    r"(?:l['’])?[^\s,.;:!?]+",
    re.IGNORECASE,
)
# Also the absurd ones the date parser refuses ("01/01/10000", "999999/1/1"): their numbers are
# no postal code (10000 is Troyes) nor département either.
# A dash between two numbers alone is no date: "le 9-3" is the Seine-Saint-Denis (93); nor is a
# full stop between sentences: "93. 2 enfants".
# After a no that takes a date back ("le 25 novembre, euh non, c'est le 28"): the words of a
# message as numbers, numeric dates and words; the small words around the no.
_DATE_TOKENS = re.compile(r"\d{1,4}(?:[/.\-]\d{1,4})+|[^\W_]+")
# A bare day corrects the day of the date before only near it: "31 décembre non le 2" is the
# 2nd of which month?
_NEAR_DAYS = 10
# A sentence ending with a question mark (the text before it back to the previous sentence end).
_QUESTION_SENTENCE = re.compile(r"[^.!?؟\n]+[?؟]")
# "c quoi une oqtf", "what is an OQTF": a question names its subject in a few words.
_WORDS_OF_A_QUESTION = 4
_DAY_TOKEN = re.compile(r"(?:[12]?\d|3[01])(?:er|st|nd|rd|th|º)?")
_NUMBER_SIGN = re.compile(r"\bno\.\s*\d", re.IGNORECASE)
_YEAR_TOKEN = re.compile(r"(?:19|20)\d\d")


def _strip_fillers(
    tokens: Sequence[str], fillers: frozenset[str], *, start: bool = True, end: bool = True
) -> list[str]:
    """The words without the small words around them ("euh non, c'est le 28" → "28")."""
    words = list(tokens)
    while start and words and words[0] in fillers:
        words.pop(0)
    while end and words and words[-1] in fillers:
        words.pop()
    return words


# "Without" denies what follows it ("sans avoir reçu d'OQTF"), not past an "and", which an Arabic
# "و" glues to the next word ("بدون أوراق وتلقيت OQTF": without papers, and I received an OQTF).
_WITHOUT = frozenset({"sans", "without", "sin", "بدون", "بلا", "bla", "bidoun", "bdoun"})
_AND = frozenset({"w", "و", "et", "and", "y"})
# The delays an OQTF gives (30 days, 48 hours): said bare at its date's question, the time to leave.
_LEGAL_DELAYS = frozenset({"30", "48", "trente", "thirty", "treinta", "quarante-huit", "forty-eight"})
# "I have" in a question about a paper: the paper is had ("c koi ça jai un recepisse?").
_HAVING = frozenset({"j'ai", "have", "tengo", "عندي", "3andi", "3ndi"})
# "ok" is said in every language: it names none ("yes ok" is English by its "yes").
_SHARED_OK = frozenset({"ok", "okay", "oki", "okey"})
# The person saying where they are now: "je suis libre", "now I'm out", "ahora estoy libre".
_FREE_SELF = frozenset({"je", "suis", "i", "i'm", "im", "am", "yo", "estoy", "ana", "انا"})
# "dans le 13", "in the 93", "en el 93": a number after these is a place.
_PLACE_BEFORE_NUMBER = frozenset({"dans", "in", "en", "habite", "live"})
# Words said around a day alone: "nhar 22" (the day 22), "on the 30th", "el 22".
_DAY_WORDS = frozenset({"le", "the", "on", "el", "nhar", "نهار", "of"})


def _is_day(token: str) -> bool:
    return _DAY_TOKEN.fullmatch(token) is not None and _day_of(token) >= 1


# An expiry read as next year whose day a year earlier is this recent is asked (see above).
RECENTLY_PAST = dt.timedelta(days=62)
_WRITTEN_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")


def _same_day_lately(value: dt.date, today: dt.date) -> dt.date | None:
    """The same day a year before ``value``, when that is in the last two months."""
    try:
        before = value.replace(year=value.year - 1)
    except ValueError:  # 29 February
        return None
    return before if dt.timedelta(0) < today - before <= RECENTLY_PAST else None


def _day_of(token: str) -> int:
    return int(re.sub(r"\D", "", token))


def _day_month_year(tokens: Sequence[str], months: Mapping[str, int]) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) when the words are one date with its day and month and
    nothing else: "28/11(/2026)", "28 novembre (2026)", "28 de noviembre", "November 28th"."""
    words = [t for t in tokens if t not in ("de", "del", "of")]
    year = None
    if len(words) > 1 and _YEAR_TOKEN.fullmatch(words[-1]):
        year, words = int(words[-1]), words[:-1]
    if len(words) == 1:
        numeric = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}))?", words[0])
        if numeric is None or year is not None:
            return None
        day, month = int(numeric[1]), int(numeric[2])
        return (
            (day, month, int(numeric[3]) if numeric[3] else None) if 1 <= month <= 12 and day >= 1 else None
        )
    if len(words) == 2 and _is_day(words[0]) and words[1] in months:
        return _day_of(words[0]), months[words[1]], year
    if len(words) == 2 and words[0] in months and _is_day(words[1]):
        return _day_of(words[1]), months[words[0]], year
    return None


_DAY_OF_MONTH_NUMBER = re.compile(
    r"(?<![\d/.\-])(\d{1,2})\s+(?:du|del|de)\s+(\d{1,2})(?:\s+(\d{4}))?(?![\d/.\-])", re.IGNORECASE
)


def _as_numeric_date(match: re.Match[str]) -> str:
    """ "5 du 12" as "5/12", "5 du 12 2026" as "5/12/2026"; left as said when no day and month."""
    day, month, year = int(match[1]), int(match[2]), match[3]
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match[0]
    return f"{day}/{month}" + (f"/{year}" if year else "")


_NUMERIC_DATE = re.compile(
    r"(?<![\d/.-])(?:\d+(?:\s?/\s?|\.)\d{1,2}(?:(?:\s?/\s?|[.-])\d+)?|\d+\s?-\s?\d{1,2}\s?-\s?\d+)(?![\d/.-])"
)


# Arabic letters written in several ways ("الازدياد" finds "الإزدياد"); Latin accents are kept:
# "né" is born, "ne" is not.
_LOOSE_LETTERS = {"ا": "اأإآ", "ه": "هة", "ي": "يى"}


def _loose(word: str) -> str:
    """A pattern finding the word in raw text, whatever the spaces and the Arabic alef."""
    return r"\s+".join(
        "".join(f"[{_LOOSE_LETTERS[ch]}]" if ch in _LOOSE_LETTERS else re.escape(ch) for ch in part)
        for part in word.split()
    )


# A date of birth starts within a few words of its birth word ("née à Alger en 1992") and lies
# within a few more ("nacido el 3 de marzo de 1990").
BIRTH_DATE_START = 3
BIRTH_DATE_WORDS = 10
_YEAR_IN_WORD = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


@functools.cache
def _birth_clause_end(lang: str) -> re.Pattern[str]:
    """Where a birth date's clause ends in raw text: as `_clause_break`, but a full stop inside a
    date ("03.03.1990") and the colon of "date de naissance : 14/02/1987" end nothing."""
    joiners = "|".join((*_JOINERS, *_JOINERS_OF_LANGUAGE.get(lang, ())))
    return re.compile(rf"[,;!،?؟\n]|\.(?!\d)|\s(?:{joiners})\s")


def _without_phone_numbers(text: str) -> str:
    if sum(ch.isdigit() for ch in text) < 8:
        return text
    for match in phonenumbers.PhoneNumberMatcher(text, "FR"):
        text = text.replace(match.raw_string, " ")
    return text
