"""Which language a first message is in, among the supported ones only.

A character n-gram model (scikit-learn, the same pipeline as the intents) trained at start-up on
every phrase of `nlu_data/<lang>/`: restricted to our languages by construction, so adding a
language needs only its data. Compared with py3langid, which we tried first, it costs about 1 MB
instead of 75 MB of memory and 0.05 s instead of 0.4 s of start-up, and it knows our vocabulary
(SMS spellings, French words inside Arabic sentences). Below the confidence threshold, or for
messages too short to tell, it says "unsure" and the bot asks.
"""

from __future__ import annotations

import re

import numpy as np

from bot.understanding.intents import Scorer, build_pipeline
from bot.understanding.nlu_data import NluData
from bot.understanding.text import fold

_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
_LATIN_LETTERS = re.compile(r"[a-zA-Z\u00c0-\u024f]")
# Ranks as French and English write them after a number: "2eme", "3rd", "1er".
_RANK_SUFFIXES = "e|er|ere|eme|ieme|th|st|nd|rd"
# Arabizi, Arabic in Latin letters with digits for the letters Latin lacks ("3andi", "m3a", "l9itch"):
# a digit between letters, or leading letters, but not an ordinal ("2eme", "3rd", "1er").
_ARABIZI = re.compile(rf"(?<![\w])(?:[a-z]+[235679][a-z]+|[235679](?!(?:{_RANK_SUFFIXES}|o|a)\b)[a-z]{{2,}})")
# A word that can be Arabizi: letters and the digits Arabizi uses, at least one vowel, short.
# Keyboard mashing and pasted codes ("xk3jd q9wlz", base64) also put digits between letters;
# they have no vowel, other digits, or no end.
_ARABIZI_WORD = re.compile(r"(?=[a-z235679]*[aeiouy])[a-z235679]{2,12}")
_TOKENS = re.compile(r"[A-Za-z0-9]+")
_CASE_CHANGE = re.compile(r"[a-z][A-Z]")
_ARABIZI_DIGIT = re.compile(r"[235679]")
_DIGIT = re.compile(r"\d")
# A time or a rank, not a word: "3am" is also darija (year), but "at 3am" is English.
_TIME_OR_RANK = re.compile(rf"\d+(?:am|pm|h|mn|min|{_RANK_SUFFIXES})")
# Short messages ("ok", "salam") are guessed badly by any model; ask instead.
MIN_LETTERS = 6
MIN_CONFIDENCE = 0.75
# Arabizi-shaped words count only where the model finds Arabic plausible, or one is a known word.
ARABIZI_MIN_PROBABILITY = 0.25


class LanguageDetector:
    def __init__(self, data: NluData) -> None:
        self.languages = data.languages
        texts: list[str] = []
        labels: list[str] = []
        for lang in self.languages:
            phrases = _phrases(data, lang)
            texts.extend(phrases)
            labels.extend([lang] * len(phrases))
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            self._scorer = Scorer.of(build_pipeline().fit(texts, labels))
        # The Arabizi words of the Arabic data ("3andi", "m3a", "l7bs"): one of them is enough to
        # trust the other Arabizi-shaped words of a message the model reads as French
        # ("salam 3andi un problème avec la préfecture").
        self._arabizi_known = frozenset(
            word
            for phrase in (_phrases(data, "ar") if "ar" in self.languages else [])
            for word in _TOKENS.findall(fold(phrase))
            if _ARABIZI_DIGIT.search(word)
            and _LATIN_LETTERS.search(word)
            and not _TIME_OR_RANK.fullmatch(word)
        )

    def detect(self, text: str) -> str | None:
        arabic = len(_ARABIC_LETTERS.findall(text))
        latin = len(_LATIN_LETTERS.findall(text))
        if "ar" in self.languages and arabic >= 2 and arabic >= latin:
            return "ar"
        if latin < MIN_LETTERS or _mostly_code(text):
            return None
        if len(_TOKENS.findall(text)) < 2:
            # One Latin word ("qwerty", "ok", a name) is a guess: the language menu costs one tap,
            # a wrong guess a conversation in a language the person did not choose.
            return None
        folded = fold(text)
        probabilities = self._scorer.probabilities(folded)
        arabizi = 0
        if "ar" in self.languages:
            words, known = _arabizi_words(text, self._arabizi_known)
            plausible = probabilities[self._scorer.classes.index("ar")] >= ARABIZI_MIN_PROBABILITY
            arabizi = words if plausible or known else 0
        if arabizi >= 2:
            return "ar"  # the model is often unsure of Arabizi: few examples, many spellings
        best = int(np.argmax(probabilities))
        if float(probabilities[best]) >= MIN_CONFIDENCE:
            return self._scorer.classes[best]
        return "ar" if arabizi else None


def _mostly_code(text: str) -> bool:
    """Whether most of the message is pasted codes (a token, a key, base64): words of 16 or more
    letters and digits, or with the case changing inside. No language to read there: ask."""
    tokens = _TOKENS.findall(text)
    coded = sum(len(t) for t in tokens if len(t) >= 16 or (_CASE_CHANGE.search(t) and _DIGIT.search(t)))
    return coded * 2 > sum(len(t) for t in tokens)


def _arabizi_words(text: str, known: frozenset[str]) -> tuple[int, int]:
    """(words that look like Arabizi, words of them that the Arabic data has). Shaped like
    Arabizi: short, a vowel, digits between letters ("3andi", "m3a", "l9itch", "wa7ed"); known
    words count whatever their shape ("ms7", "l7bs"). A word whose case changes inside it
    ("LywHBi7ujim") is a pasted code, not something a person typed."""
    shaped = found = 0
    for word in _TOKENS.findall(text):
        lowered = word.lower()
        if _CASE_CHANGE.search(word) or _TIME_OR_RANK.fullmatch(lowered):
            continue
        if lowered in known:
            shaped, found = shaped + 1, found + 1
        elif _ARABIZI_WORD.fullmatch(lowered) and _ARABIZI.search(lowered):
            shaped += 1
    return shaped, found


def _phrases(data: NluData, lang: str) -> list[str]:
    """Every phrase of one language: intents, synonyms and lookups, without duplicates."""
    language = data.by_language[lang]
    phrases: dict[str, None] = {}
    for examples in language.intents.values():
        phrases.update(dict.fromkeys(examples))
    for table in language.synonyms.values():
        for expressions in table.values():
            phrases.update(dict.fromkeys(expressions))
    for name, entries in language.lookups.items():
        if not name.startswith("language_"):  # "english" is said in every language
            phrases.update(dict.fromkeys(entries))
    return list(phrases)
