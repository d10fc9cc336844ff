"""Which language a first message is in, among the supported ones only.

py3langid (a maintained, numpy-based fork of langid.py) ships its model inside the package, runs
offline in well under a millisecond, and can be restricted to our languages, which makes short
messages far less ambiguous. Below the confidence threshold we say "unsure" and the bot asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.understanding.text import fold

_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
_LATIN_LETTERS = re.compile(r"[a-zA-Z\u00c0-\u024f]")
# Short messages ("ok", "salam") are guessed badly by any model; ask instead.
MIN_LETTERS = 6
MIN_CONFIDENCE = 0.9


class LanguageDetector:
    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages)
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(self.languages))

    def detect(self, text: str) -> str | None:
        arabic = len(_ARABIC_LETTERS.findall(text))
        latin = len(_LATIN_LETTERS.findall(text))
        if "ar" in self.languages and arabic >= 2 and arabic >= latin:
            return "ar"
        if latin < MIN_LETTERS:
            return None
        language, confidence = self._identifier.classify(fold(text))
        return str(language) if confidence >= MIN_CONFIDENCE else None
