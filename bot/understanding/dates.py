"""Dates as people write them, in the French order, with the year taken from the tense (spec §2).

The words (months, units, number words, tense markers) are data: Rasa lookup tables in
`nlu_data/<lang>/months.yml` and `nlu_data/<lang>/dates.yml`. This module only knows the grammar:
numbers, "<day> <month> [year]", "<month> [year]", "fin <month>", "dans 2 semaines",
"il y a 3 mois", "depuis septembre", "hier", "le 12 du mois prochain", "en août de l'année
prochaine". Calendar arithmetic is python-dateutil's.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from dateutil.relativedelta import relativedelta

from bot.understanding.text import fold

Tense = Literal["past", "future"]
# "expiry": any date, the tense decides a missing year. "event": something that happened, never
# in the future (removal_order_date, attempts_since). "order": an event whose text gives durations
# that are not its date (a removal order said in passing: "on ne m'a laissé que 30 jours" is the
# time given to leave).
DateKind = Literal["expiry", "event", "order"]

# Plausible bounds: a residence document is at most 10 years long; older than 1970 is a typo.
EARLIEST = dt.date(1970, 1, 1)
LATEST_YEARS_AHEAD = 12

LEXICON_NAMES = (
    "tense_past",
    "tense_future",
    # Tense markers that decide only when no other marker does: "in", "until", "jusqu'au" go
    # with a date rather than with the verb ("it expired in January" is past).
    "tense_weak",
    "unit_day",
    "unit_week",
    "unit_month",
    "unit_year",
    "ago",
    "in",
    # What is left of an amount of time, said after it ("10 days left", "10 jours restants") or
    # before it ("il me reste 10 jours", "me quedan 10 días"): a paper's, never an event's.
    "remaining",
    "remaining_before",
    # After what is left, the words that say it is left for something else ("pour", "to", "para").
    "remaining_purpose",
    "since",
    "end_of",
    "start_of",
    "middle_of",
    "today",
    "yesterday",
    "tomorrow",
    "day_before_yesterday",
    "day_after_tomorrow",
    "start_of_year",
    "end_of_year",
    "end_of_month",
    "last",
    "next",
    "half",
    # A unit word that carries the number two (Arabic duals: أسبوعين, شهرين, عامين).
    "dual_day",
    "dual_week",
    "dual_month",
    "dual_year",
    # Words between a day and its month ("20th of July", "3 de marzo").
    "link",
    # A word that makes the next number a month ("شهر 3": March).
    "month_prefix",
    # Articles between "since" and its date ("depuis le 3 mai", "desde el mes de mayo").
    "article",
    *(f"weekday_{n}" for n in range(1, 8)),
)


@dataclass(frozen=True)
class DateLexicon:
    """Folded words → meaning, merged over the languages a message may use."""

    months: Mapping[str, int]
    numbers: Mapping[str, int]
    words: Mapping[str, frozenset[str]]
    # Precompiled alternations, longest first so "fin de" wins over "fin".
    patterns: Mapping[str, str] = field(default_factory=dict)
    # Tense markers written with accents, read before folding: "expiré" is past where "expire",
    # its folded twin, is present.
    accented_tenses: Mapping[str, Tense] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        months: Mapping[str, int],
        numbers: Mapping[str, int],
        words: Mapping[str, Iterable[str]],
    ) -> DateLexicon:
        folded_words = {
            name: frozenset(fold(w) for w in words.get(name, ()) if fold(w)) for name in LEXICON_NAMES
        }
        accented, past, future = _split_tense_markers(
            words.get("tense_past", ()), words.get("tense_future", ())
        )
        folded_words["tense_past"], folded_words["tense_future"] = past, future
        folded_months = {fold(k): v for k, v in months.items() if fold(k)}
        folded_numbers = {fold(k): v for k, v in numbers.items() if fold(k)}
        patterns = {name: _alternation(entries) for name, entries in folded_words.items()}
        patterns["month"] = _alternation(folded_months)
        patterns["number"] = _alternation(folded_numbers)
        return cls(
            months=folded_months,
            numbers=folded_numbers,
            words=folded_words,
            patterns=patterns,
            accented_tenses=accented,
        )

    def unit_of(self, word: str) -> tuple[str, int] | None:
        """The unit a word names, with the number it carries (1, or 2 for a dual)."""
        for unit in ("day", "week", "month", "year"):
            if word in self.words[f"unit_{unit}"]:
                return unit, 1
            if word in self.words[f"dual_{unit}"]:
                return unit, 2
        return None

    def weekday_of(self, word: str) -> int | None:
        """0 for Monday ... 6 for Sunday, like :meth:`datetime.date.weekday`."""
        for number in range(1, 8):
            if word in self.words[f"weekday_{number}"]:
                return number - 1
        return None


def _split_tense_markers(
    past: Iterable[str], future: Iterable[str]
) -> tuple[dict[str, Tense], frozenset[str], frozenset[str]]:
    """The accented markers, and the folded markers of each tense.

    A folded form that both tenses share ("expire": "expiré" is past, "expire" present) keeps
    the tense of the spelling without accents, since that is what a text without accents says;
    its accented twin is recognised before folding.
    """
    accented: dict[str, Tense] = {}
    folded: dict[Tense, set[str]] = {"past": set(), "future": set()}
    plain: dict[Tense, set[str]] = {"past": set(), "future": set()}
    by_tense: tuple[tuple[Tense, Iterable[str]], ...] = (("past", past), ("future", future))
    for tense, markers in by_tense:
        for marker in markers:
            bare, light = fold(marker), fold(marker, keep_accents=True)
            if not bare:
                continue
            folded[tense].add(bare)
            if light == bare:
                plain[tense].add(bare)
            else:
                accented.setdefault(light, tense)
    for shared in folded["past"] & folded["future"]:
        if shared in plain["future"] and shared not in plain["past"]:
            folded["past"].discard(shared)
        elif shared in plain["past"] and shared not in plain["future"]:
            folded["future"].discard(shared)
    return accented, frozenset(folded["past"]), frozenset(folded["future"])


def _alternation(entries: Iterable[str]) -> str:
    ordered = sorted(set(entries), key=len, reverse=True)
    if not ordered:
        return r"(?!x)x"  # matches nothing
    return "(?:" + "|".join(re.escape(e) for e in ordered) + ")"


@dataclass(frozen=True)
class DateReading:
    value: dt.date
    # True for "fin décembre", "il y a 3 mois", "en janvier": a volunteer should check it.
    approximate: bool = False


# A date is all of its run of numbers: "01/01/10000" and "1/1/1" are not the 1st of January with
# a year dropped, and "06.12.34.56.78" (a phone number) is no date. Any length of year is taken,
# to be refused when it is no plausible year, rather than skipped.
_NUMERIC = re.compile(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d+))?(?![/.\-]?\d)")
# "15 03 2027": numbers separated by spaces, only with a four-digit year (else it is anything).
_SPACED = re.compile(r"(?<![\d:])(\d{1,2}) (\d{1,2}) (\d{4})(?![\d:])")
_ORDINAL_SUFFIX = r"(?:er|ere|eme|e|th|st|nd|rd|º|o)?"
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(19[7-9]\d|20\d\d)(?!\d)")
# "12/2026", "03-2027" (the month a card ends, as many cards print it) and "2027/03/15".
_MONTH_YEAR = re.compile(r"(?<![\d/.\-])(\d{1,2})[/.\-](\d{4})(?![/.\-]?\d)")
# A reference number ("arrêté n° 09-2025", "dossier 12-3456"): not a date.
_REFERENCE_WORD = re.compile(r"\b(?:n°|no|n|numero|num|ref|reference|dossier|arrete)\s*$")
_YEAR_FIRST = re.compile(r"(?<![\d/.\-])(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?![/.\-]?\d)")


class DateParser:
    def __init__(self, lexicon: DateLexicon) -> None:
        self.lex = lexicon
        p = lexicon.patterns
        # Number words that hold a month's name ("dix sept" is 17, not "dix" and September) are
        # read as digits before anything else: "il y a dix sept jours", "le dix-sept".
        months = set(lexicon.months)
        parts = {words: set(re.split(r"[\s\-]", words)) for words in lexicon.numbers}
        holding_a_month = sorted(
            (words for words, inside in parts.items() if len(inside) > 1 and inside & months),
            key=len,
            reverse=True,
        )
        alternation = "|".join(map(re.escape, holding_a_month))
        # Not before a year: "le vingt sept. 2026" is 20 September.
        self._month_in_number = (
            re.compile(rf"(?<!\w)(?:{alternation})(?!\w)(?!\.?\s*\d{{4}})") if holding_a_month else None
        )
        num = rf"(?:\d{{1,3}}|{p['number']})"
        units = "|".join(
            p[f"{kind}_{unit}"] for kind in ("unit", "dual") for unit in ("day", "week", "month", "year")
        )
        link = rf"(?:{p['link']}\s+)?"
        named_year = _named_by_its_place(p, p["unit_year"], "year")
        # "le mois de décembre", "شهر ديسمبر": a unit word naming a month is not a duration.
        not_a_month = rf"(?!\s+{link}{p['month']}(?!\w))"
        # What is left of a paper's time, and the past markers that say it is not ("30 days left,
        # my card expired in July"): once, not at every reading.
        self._remaining = lexicon.words["remaining"] | lexicon.words["remaining_before"]
        self._past = re.compile(rf"(?<!\w){p['tense_past']}(?!\w)")
        self._relative = re.compile(
            rf"(?<!\w)(?:(?P<dir_before>{p['ago']}|{p['in']}|{p['since']}|{p['remaining_before']})\s+)?"
            rf"(?:(?:un|une|a|an|uno|una)\s+)?(?:(?P<num>{num})\s*)?(?P<half>{p['half']}\s+)?"
            rf"(?P<unit>{units})(?!\w){not_a_month}"
            rf"(?:\s+(?P<dir_after>{p['ago']}|{p['remaining']})(?!\w))?(?:\s+(?P<half_after>{p['half']}))?"
        )
        # An Arabic clitic glued to a month ("فمارس", in March; "لمارس"), or a French "d'" without
        # its apostrophe ("depuis doctobre"): read apart, as "ف مارس", "d octobre".
        self._glued_to_a_month = re.compile(rf"(?<!\w)([فوبل]|d)(?=(?:{p['month']})(?!\w))")
        self._day_month = re.compile(
            rf"(?<![\d/])(\d{{1,2}}|{p['number']}){_ORDINAL_SUFFIX}\s+{link}"
            rf"(?P<month>{p['month']})(?:\s*,?\s+{link}(?P<year>\d{{4,}}|\d{{2}})|\s+{named_year})?(?!\w)"
        )
        # "March 3", "March 3rd, 2027" (English order; a unit after the number is a duration).
        self._month_day = re.compile(
            rf"(?<!\w)(?P<month>{p['month']})\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL_SUFFIX}(?![\d\w])"
            rf"(?!\s+(?:{units})(?!\w))(?:\s*,?\s+(?P<year>\d{{4,}})|\s+{named_year})?"
        )
        self._month_number = re.compile(
            rf"(?<!\w){p['month_prefix']}\s+(?P<month>\d{{1,2}})(?!\d)(?!\s*[/.\-]\d)(?!\s+(?:{units})(?!\w))"
            rf"(?:\s+(?P<year>\d{{4,}})|\s+{named_year})?"
        )
        self._month_year = re.compile(
            rf"(?:(?P<qual>{p['end_of']}|{p['start_of']}|{p['middle_of']})\s+(?:de\s+|d'|del\s+)?)?"
            rf"(?<!\w)(?P<month>{p['month']})(?!\w)(?:\s+(?:de\s+|del\s+)?(?P<year>\d{{4,}})|\s+{named_year})?"
        )
        # "le 12 du mois prochain", "the 3rd of last month", "el 12 del mes que viene": a word
        # between the day and the month, or "3 شهور الجاية" (the coming 3 months) would be a day.
        self._day_of_named_month = re.compile(
            rf"(?<![\w/])(?P<day>\d{{1,2}}|{p['number']}){_ORDINAL_SUFFIX}\s+"
            rf"(?=(?:{p['link']}|{p['article']}))"
            rf"{_named_by_its_place(p, p['unit_month'], 'month')}"
        )
        self._last_next_unit = re.compile(
            rf"(?<!\w)(?:(?P<pre>{p['last']}|{p['next']})\s+)?"
            rf"(?P<unit>{p['unit_week']}|{p['unit_month']}|{p['unit_year']})(?!\w)"
            rf"(?:\s+(?P<post>{p['last']}|{p['next']}))?"
        )
        # "depuis le 3 mai", "since March", "desde el mes de mayo", "منذ شهر ماي": what follows
        # "since" has happened, whatever the verb says ("expire depuis janvier" without accent).
        filler = "|".join((p["article"], p["link"], p["month_prefix"], p["unit_month"]))
        self._since_before = re.compile(rf"(?<!\w){p['since']}(?:\s*(?<!\w)(?:{filler}))*\s*$")
        weekdays = "|".join(p[f"weekday_{n}"] for n in range(1, 8))
        self._weekday = re.compile(
            rf"(?<!\w)(?:(?P<pre>{p['last']}|{p['next']})\s+)?(?P<day>{weekdays})(?!\w)"
            rf"(?:\s+(?P<post>{p['last']}|{p['next']})(?!\w))?"
        )

    def parse(
        self, text: str, *, today: dt.date, kind: DateKind = "expiry", tense_text: str | None = None
    ) -> DateReading | None:
        """The date the text names, or None when there is none or it is impossible.

        `tense_text` is the same words with their accents, when `text` has lost them.
        """
        folded = fold(text)
        if not folded:
            return None
        if self._month_in_number is not None:
            folded = self._month_in_number.sub(lambda number: str(self.lex.numbers[number[0]]), folded)
        folded = self._glued_to_a_month.sub(r"\1 ", folded)
        tense = self.tense(text if tense_text is None else tense_text)
        if kind != "expiry":
            tense = "past"
        reading = (
            self._iso(folded)
            or self._numeric(folded, today, tense)
            or self._day_month_text(folded, today, tense)
            or self._month_day_text(folded, today, tense)
            or self._month_number_text(folded, today, tense)
            or self._day_of_named_month_text(folded, today)
            # Before the relative phrases: "agosto del año que viene" is not "el año que viene".
            or self._month_of_named_year_text(folded, today)
            or self._weekday_text(folded, today, tense)
            or self._relative_phrase(folded, today, kind)
            or self._month_text(folded, today, tense)
            or self._deictic(folded, today, kind)
            or self._year_alone(folded)
        )
        if reading is None or reading is _IMPOSSIBLE:
            return None
        if reading.value < EARLIEST or reading.value.year > today.year + LATEST_YEARS_AHEAD:
            return None
        if kind != "expiry" and reading.value > today:
            return None
        return reading

    # -- the forms ---------------------------------------------------------------------------

    def tense(self, text: str) -> Tense | None:
        """The tense the markers of the text agree on (read with its accents first), or None;
        weak markers count only alone."""
        strong: set[Tense] = set()
        weak: set[Tense] = set()

        def found(marker: str, tense: Tense) -> None:
            (weak if fold(marker) in self.lex.words["tense_weak"] else strong).add(tense)

        # Accents first ("expiré" before it folds into "expire"), then the folded text; longest
        # first, and a marker hides the words inside it: "a expire" (a expiré) must not also count
        # as the present "expire".
        light = f" {fold(text, keep_accents=True)} "
        for marker, tense in sorted(self.lex.accented_tenses.items(), key=lambda m: -len(m[0])):
            if f" {marker} " in light:
                found(marker, tense)
                light = light.replace(f" {marker} ", " | ")
        padded = f" {fold(light, clauses=True)} "
        # Past and future together, longest first: "se termine" (future) before the "termine" that
        # "terminé" folds into (past).
        past: Tense = "past"
        future: Tense = "future"
        markers = [(m, past) for m in self.lex.words["tense_past"]]
        markers += [(m, future) for m in self.lex.words["tense_future"]]
        for marker, tense in sorted(markers, key=lambda m: -len(m[0])):
            if f" {marker} " in padded:
                found(marker, tense)
                padded = padded.replace(f" {marker} ", " | ")
        decided = strong or weak
        return next(iter(decided)) if len(decided) == 1 else None

    def _tense_at(self, folded: str, start: int, tense: Tense | None) -> Tense | None:
        """The tense for a date found at `start`: past right after "since", else the text's."""
        return "past" if self._since_before.search(folded[:start]) else tense

    def _iso(self, folded: str) -> DateReading | None:
        match = _ISO.search(folded)
        if not match:
            return None
        return _make(int(match[1]), int(match[2]), int(match[3]))

    def _numeric(self, folded: str, today: dt.date, tense: Tense | None) -> DateReading | None:
        match = _NUMERIC.search(folded)
        if not match:
            year_first = _YEAR_FIRST.search(folded)
            if year_first:
                return _make(int(year_first[1]), int(year_first[2]), int(year_first[3]))
            month_year = _MONTH_YEAR.search(folded)
            if (
                month_year
                and 1 <= int(month_year[1]) <= 12
                and 2000 <= int(month_year[2]) <= today.year + LATEST_YEARS_AHEAD
                and not _REFERENCE_WORD.search(folded[: month_year.start()])
            ):
                # The middle of the month, as for "en mars 2027": the day is not known.
                return _approximate(_make(int(month_year[2]), int(month_year[1]), 15))
            spaced = _SPACED.search(folded)
            if spaced and 1 <= int(spaced[2]) <= 12:
                return _make(int(spaced[3]), int(spaced[2]), int(spaced[1]))
            return None
        day, month = int(match[1]), int(match[2])
        if match[3] is None:
            return _without_year(day, month, today, self._tense_at(folded, match.start(), tense))
        return _make(_written_year(match[3]), month, day)

    def _number(self, token: str) -> int | None:
        if token.isdigit():
            return int(token)
        return self.lex.numbers.get(token)

    def _day_month_text(self, folded: str, today: dt.date, tense: Tense | None) -> DateReading | None:
        match = self._day_month.search(folded)
        if not match:
            return None
        day = self._number(match[1])
        month = self.lex.months[match["month"]]
        if day is None:
            return None
        if match["year"]:
            return _make(_written_year(match["year"]), month, day)
        named_year = self._named_year(match, today)
        if named_year is not None:
            return _make(named_year, month, day)
        return _without_year(day, month, today, self._tense_at(folded, match.start(), tense))

    def _month_day_text(self, folded: str, today: dt.date, tense: Tense | None) -> DateReading | None:
        match = self._month_day.search(folded)
        if not match:
            return None
        month = self.lex.months[match["month"]]
        day = int(match["day"])
        if match["year"]:
            return _make(_written_year(match["year"]), month, day)
        named_year = self._named_year(match, today)
        if named_year is not None:
            return _make(named_year, month, day)
        return _without_year(day, month, today, self._tense_at(folded, match.start(), tense))

    def _month_number_text(self, folded: str, today: dt.date, tense: Tense | None) -> DateReading | None:
        match = self._month_number.search(folded)
        if not match or not 1 <= int(match["month"]) <= 12:
            return None
        month = int(match["month"])
        if match["year"]:
            return _approximate(_make(_written_year(match["year"]), month, 15))
        named_year = self._named_year(match, today)
        if named_year is not None:
            return _approximate(_make(named_year, month, 15))
        guess = _without_year(15, month, today, self._tense_at(folded, match.start(), tense))
        if guess is None or guess is _IMPOSSIBLE:
            return guess
        return DateReading(guess.value, approximate=True)

    def _weekday_text(self, folded: str, today: dt.date, tense: Tense | None) -> DateReading | None:
        """ "lundi dernier", "next Friday", "el lunes pasado", "نهار الاثنين اللي فات"."""
        match = self._weekday.search(folded)
        if not match:
            return None
        weekday = self.lex.weekday_of(match["day"])
        if weekday is None:
            return None
        which = match["pre"] or match["post"]
        if which in self.lex.words["last"]:
            direction = -1
        elif which in self.lex.words["next"]:
            direction = 1
        else:
            direction = -1 if self._tense_at(folded, match.start(), tense) == "past" else 1
        if direction < 0:
            back = (today.weekday() - weekday) % 7 or 7
            return DateReading(today - dt.timedelta(days=back))
        ahead = (weekday - today.weekday()) % 7 or 7
        return DateReading(today + dt.timedelta(days=ahead))

    def _month_text(self, folded: str, today: dt.date, tense: Tense | None) -> DateReading | None:
        for match in self._month_year.finditer(folded):
            month = self.lex.months[match["month"]]
            year = _written_year(match["year"]) if match["year"] else None
            if year is not None and not dt.MINYEAR <= year <= dt.MAXYEAR:
                return _IMPOSSIBLE
            if year is None:
                guess = _without_year(15, month, today, self._tense_at(folded, match.start(), tense))
                if guess is None or guess is _IMPOSSIBLE:
                    continue
                year = guess.value.year
            return self._in_month(match, year)
        return None

    def _month_of_named_year_text(self, folded: str, today: dt.date) -> DateReading | None:
        """ "en agosto del año que viene", "in March last year", "fin août de l'année prochaine"."""
        for match in self._month_year.finditer(folded):
            year = self._named_year(match, today)
            if year is not None:
                return self._in_month(match, year)
        return None

    def _in_month(self, match: re.Match[str], year: int) -> DateReading:
        """The day a month stands for: its last or first with "fin" or "début", else its middle."""
        month = self.lex.months[match["month"]]
        qualifier = match["qual"]
        if qualifier in self.lex.words["end_of"]:
            day = calendar.monthrange(year, month)[1]
        elif qualifier in self.lex.words["start_of"]:
            day = 1
        else:
            day = 15
        return DateReading(dt.date(year, month, day), approximate=True)

    def _day_of_named_month_text(self, folded: str, today: dt.date) -> DateReading | None:
        match = self._day_of_named_month.search(folded)
        if not match:
            return None
        day = self._number(match["day"])
        which = match["month_pre"] or match["month_post"]
        if day is None or which is None:
            return None  # "le 12 du mois": which month is not said
        month = today + relativedelta(months=1 if which in self.lex.words["next"] else -1)
        return _make(month.year, month.month, day)

    def _named_year(self, match: re.Match[str], today: dt.date) -> int | None:
        """The year a date names by its place from now ("de l'année prochaine"), if it does."""
        which = match["year_pre"] or match["year_post"]
        if which is None:
            return None  # "agosto del año": which year is not said
        return today.year + (1 if which in self.lex.words["next"] else -1)

    def _relative_phrase(self, folded: str, today: dt.date, kind: DateKind) -> DateReading | None:
        remaining = self._remaining
        for match in self._relative.finditer(folded):
            direction_word = match["dir_before"] or match["dir_after"]
            unit_and_count = self.lex.unit_of(match["unit"])
            if unit_and_count is None:
                continue
            unit, count = unit_and_count
            amount_token = match["num"]
            amount = self._number(amount_token) if amount_token else count
            if amount is None:
                continue
            half = bool(match["half"] or match["half_after"])
            if (direction_word is None or direction_word in remaining) and not amount_token and count == 1:
                continue  # a bare unit word ("mois", "no days left") is not a date
            sign = self._direction(direction_word, kind)
            if sign is None:
                continue
            if direction_word in remaining and (
                self._left_for_something_else(folded, match.end())
                or self._says_past(folded[match.end() :])
                # "بقي لي 10 أيام قبل المحكمة": left, then "before" the hearing
                or (match["dir_before"] is not None and match["dir_after"] is not None)
            ):
                # "il me reste 30 jours pour partir", "30 days left, my card expired in July" (a
                # past said after it; "I've got 10 days left" is present): the time to leave.
                continue
            delta = _delta(unit, amount, half)
            value = today - delta if sign < 0 else today + delta
            return DateReading(value, approximate=unit != "day")
        # Every unit word, not only the first: in "I got an OQTF last week" the first is "an"
        # (French for year, the lexicon reads both languages), with no "last" or "next".
        for last_next in self._last_next_unit.finditer(folded):
            which = last_next["pre"] or last_next["post"]
            named_unit = self.lex.unit_of(last_next["unit"])
            if which and named_unit is not None and named_unit[0] != "day":
                delta = _delta(named_unit[0], 1, False)
                value = today - delta if which in self.lex.words["last"] else today + delta
                return DateReading(value, approximate=True)
        return None

    def _says_past(self, folded: str) -> bool:
        """Whether the text has a past tense marker ("expired", "a expiré", "caducó")."""
        return self._past.search(folded) is not None

    def _left_for_something_else(self, folded: str, end: int) -> bool:
        """Whether the time left is said to be for something ("pour partir", "to appeal", "de
        loyer", "باش نخرج"): the words of `remaining_purpose` right after it."""
        following = folded[end:].split()
        return bool(following) and (
            following[0] in self.lex.words["remaining_purpose"]
            or following[0].split("'")[0] + "'" in self.lex.words["remaining_purpose"]
        )

    def _direction(self, word: str | None, kind: DateKind) -> int | None:
        if word is None:  # "3 mois" answering "since when?"; for an order, its time to leave
            return -1 if kind == "event" else None
        if word in self.lex.words["ago"] or word in self.lex.words["since"]:
            return -1
        if word in self.lex.words["in"]:
            return {"expiry": 1, "event": -1, "order": None}[kind]
        if word in self.lex.words["remaining"] or word in self.lex.words["remaining_before"]:
            return 1 if kind == "expiry" else None  # what is left of a paper's time, not of an event
        return None

    def _deictic(self, folded: str, today: dt.date, kind: DateKind = "expiry") -> DateReading | None:
        padded = f" {folded} "
        # The longest word first: "esta mañana" (this morning) before "mañana" (tomorrow).
        offsets = {
            "day_before_yesterday": -2,
            "day_after_tomorrow": 2,
            "yesterday": -1,
            "tomorrow": 1,
            "today": 0,
        }
        words = sorted(
            ((w, offset) for name, offset in offsets.items() for w in self.lex.words[name]),
            key=lambda x: -len(x[0]),
        )
        for word, offset in words:
            if f" {word} " in padded or (kind != "expiry" and f" qu'{word} " in padded):
                # "je ne l'ai reçue qu'hier" dates what happened; not a paper's end ("je l'ai vu
                # qu'hier", "la lettre d'hier dit qu'elle a expiré").
                return DateReading(today + dt.timedelta(days=offset))
        if any(f" {w} " in padded for w in self.lex.words["start_of_year"]):
            return DateReading(dt.date(today.year, 1, 1), approximate=True)
        if any(f" {w} " in padded for w in self.lex.words["end_of_year"]):
            return DateReading(dt.date(today.year, 12, 31), approximate=True)
        if any(f" {w} " in padded for w in self.lex.words["end_of_month"]):
            # "fin du mois" with no month named: the end of this one.
            last_day = calendar.monthrange(today.year, today.month)[1]
            return DateReading(today.replace(day=last_day), approximate=True)
        return None

    def _year_alone(self, folded: str) -> DateReading | None:
        match = _YEAR.search(folded)
        if not match:
            return None
        return DateReading(dt.date(int(match[1]), 7, 1), approximate=True)


def _named_by_its_place(p: Mapping[str, str], unit: str, name: str) -> str:
    """ "du mois prochain", "of next year", "del año que viene", "من السنة الماضية": a month or a
    year named by its place from now. The groups `<name>_pre` and `<name>_post` hold the word
    saying which (last or next); with neither, the unit is only named ("del año")."""
    which = f"{p['last']}|{p['next']}"
    return (
        rf"(?:{p['link']}\s*)?(?:{p['article']}\s*)?(?:(?P<{name}_pre>{which})\s+)?"
        rf"{unit}(?!\w)(?:\s+(?P<{name}_post>{which})(?!\w))?"
    )


# Returned by a form that recognised a date that cannot exist (31/02): stop, do not guess.
_IMPOSSIBLE = DateReading(dt.date.min)


def _make(year: int, month: int, day: int) -> DateReading:
    try:
        return DateReading(dt.date(year, month, day))
    except (ValueError, OverflowError):  # 31/02, or a year of twenty digits
        return _IMPOSSIBLE


def _approximate(reading: DateReading) -> DateReading:
    return reading if reading is _IMPOSSIBLE else DateReading(reading.value, approximate=True)


def _written_year(digits: str) -> int:
    """The year as written, two digits meaning this century ("15/03/27").

    Any other length is taken as it is ("0001" is the year 1, not 2001), for the plausible
    bounds to refuse it.
    """
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _without_year(day: int, month: int, today: dt.date, tense: Tense | None) -> DateReading | None:
    """The year from the tense: the past occurrence, the coming one, or the nearest."""
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(dt.date(year, month, day))
        except ValueError:
            continue
    if not options:
        # 29/02 outside leap years is still a real date in some year: try the nearest leap year.
        return _IMPOSSIBLE if not (month == 2 and day == 29) else _nearest_leap_day(today, tense)
    if tense == "past":
        past = [d for d in options if d <= today]
        return DateReading(max(past)) if past else None
    if tense == "future":
        future = [d for d in options if d >= today]
        return DateReading(min(future)) if future else None
    return DateReading(min(options, key=lambda d: (abs((d - today).days), d < today)))


def _nearest_leap_day(today: dt.date, tense: Tense | None) -> DateReading:
    years = [y for y in range(today.year - 4, today.year + 5) if calendar.isleap(y)]
    dates = [dt.date(y, 2, 29) for y in years]
    if tense == "past":
        dates = [d for d in dates if d <= today]
    elif tense == "future":
        dates = [d for d in dates if d >= today]
    return DateReading(min(dates, key=lambda d: abs((d - today).days)))


def _delta(unit: str, amount: int, half: bool) -> relativedelta:
    if unit == "day":
        return relativedelta(days=amount)
    if unit == "week":
        return relativedelta(weeks=amount, days=3 if half else 0)
    if unit == "month":
        return relativedelta(months=amount, days=15 if half else 0)
    return relativedelta(years=amount, months=6 if half else 0)
