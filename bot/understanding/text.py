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
_ARTICLE_ON_LATIN = re.compile(r"ال(?=[a-z])")
_REPEATS = re.compile(r"(\D)\1{2,}")
# Punctuation that ends a clause, kept as "|" by fold(..., clauses=True); a dot only before a space.
_CLAUSE_PUNCTUATION = re.compile(r"[,;!?¡¿،؟؛]|\.(?=\s|$)")
_NON_WORD_OR_BAR = re.compile(r"[^\w'/.:\-|]+")
# Arabic negation around a verb: "ما عطاونيش", "ماعنديش", "مافهمتش" → "ما عطاوني", "ما عندي".
_ARABIC_NEGATION = re.compile(r"(?<!\S)(و?ما) ?(\S{2,}?)ش(?!\S)")


def fold(text: str, *, clauses: bool = False, keep_accents: bool = False) -> str:
    """Lower-case, accents removed, Arabic letters unified, digits in ASCII, spaces squeezed.

    "Préfecture  de  l’Hérault" → "prefecture de l'herault"; "٩٣" → "93". With `clauses`, the
    punctuation that ends a clause is kept as "|" ("oui, et" → "oui | et"). With `keep_accents`,
    the accents of Latin letters stay ("expiré" is not "expire") and all the rest is as above.
    """
    if clauses:
        text = _CLAUSE_PUNCTUATION.sub(" | ", text)
    text = text.translate(_DIGITS).translate(_APOSTROPHES).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    # Dropping combining marks removes French accents, Arabic short vowels and the hamza that
    # NFKD splits off (أ → ا), which is the usual normalisation for matching Arabic words.
    text = "".join(
        ch
        for i, ch in enumerate(decomposed)
        if not unicodedata.combining(ch) or (keep_accents and _on_latin_letter(decomposed, i))
    )
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC)
    text = unicodedata.normalize("NFKC", text)
    text = _REPEATS.sub(r"\1\1", text)
    # The Arabic article glued to a French word ("الCRA", "الrécépissé"): read the word alone.
    text = _ARTICLE_ON_LATIN.sub("ال ", text)  # "ouiiiii" → "ouii", keeps real double letters
    return " ".join((_NON_WORD_OR_BAR if clauses else _NON_WORD).sub(" ", text).split())


def _on_latin_letter(decomposed: str, index: int) -> bool:
    """Whether the combining mark at `index` sits on an a-z letter (é = e + ´)."""
    while index > 0 and unicodedata.combining(decomposed[index - 1]):
        index -= 1
    return index > 0 and "a" <= decomposed[index - 1] <= "z"


def split_arabic_negation(folded: str) -> str:
    """The negation "ما ...ش" of Maghrebi and Egyptian Arabic as a separate word: "ما قدمتش" →
    "ما قدمت", so the verb is the one the lexicons know and "ما" says it did not happen."""
    return _ARABIC_NEGATION.sub(r"\1 \2", folded)


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
