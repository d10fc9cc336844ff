"""Text normalisation shared by every parser: one place decides what "the same word" means."""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits, as people type them on Arabic keyboards.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Arabic letter variants written interchangeably (hamza forms, ta marbuta, alif maqsura).
_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": ""})
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "‘": "'"})
_NON_WORD = re.compile(r"[^\w'/.:\-]+")
_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
_REPEATS = re.compile(r"(\D)\1{2,}")


def fold(text: str) -> str:
    """Lower-case, accents removed, Arabic letters unified, digits in ASCII, spaces squeezed.

    "Préfecture  de  l’Hérault" → "prefecture de l'herault"; "٩٣" → "93".
    """
    text = text.translate(_DIGITS).translate(_APOSTROPHES).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    # Dropping combining marks removes French accents, Arabic short vowels and the hamza that
    # NFKD splits off (أ → ا), which is the usual normalisation for matching Arabic words.
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC)
    text = unicodedata.normalize("NFKC", text)
    text = _REPEATS.sub(r"\1\1", text)  # "ouiiiii" → "ouii", keeps real double letters
    return " ".join(_NON_WORD.sub(" ", text).split())


def words(text: str) -> list[str]:
    return fold(text).replace("'", " ").split()


def contains_phrase(folded_text: str, folded_phrase: str) -> bool:
    """Whole-word containment on folded text ("cra" is in "je suis au cra", not in "cravate")."""
    if not folded_phrase:
        return False
    start = folded_text.find(folded_phrase)
    while start != -1:
        end = start + len(folded_phrase)
        before_ok = start == 0 or not folded_text[start - 1].isalnum()
        after_ok = end == len(folded_text) or not folded_text[end].isalnum()
        if before_ok and after_ok:
            return True
        start = folded_text.find(folded_phrase, start + 1)
    return False
