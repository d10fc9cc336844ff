"""`Lexicon.spans` searches only the entries whose first letters occur in the text; it must find
exactly what a search for every entry finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understanding.nlu import Lexicon, Span
from bot.understanding.text import fold

ENTRIES = {
    "document": ["carte de sejour", "carte", "titre de sejour", "sejour", "recepisse", "cst", "vpf", "ap"],
    "custody": ["cra", "retention", "au cra", "garde a vue"],
    "arabic": ["عندي", "ثلاثة", "اطفال", "الحبس", "حبس"],
}


class ExhaustiveLexicon(Lexicon):
    """The same search, trying every entry: what `spans` found before the head index."""

    def _candidates(self, text: str) -> list[tuple[str, str]]:
        return list(self.entries)


def reference_spans(lexicon: Lexicon, folded_text: str) -> list[Span]:
    return ExhaustiveLexicon(lexicon.entries, lexicon.prefixes).spans(folded_text)


LEXICON = Lexicon.build([ENTRIES], prefixes=["و", "ف", "ب"])
PIECES = [fold(e) for values in ENTRIES.values() for e in values] + [
    " ",
    "  ",
    "x",
    "s",
    "و",
    "ف",
    "-",
    "|",
    "'",
    "1",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_spans_find_what_searching_every_entry_finds(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert LEXICON.spans(text) == reference_spans(LEXICON, text)


def test_examples() -> None:
    text = fold("ma carte de séjourne et mon récépissé au CRA وعندي ثلاثة أطفال")
    found = [s.value for s in LEXICON.spans(text)]
    assert found == ["document", "document", "custody", "arabic", "arabic", "arabic"]
    assert LEXICON.spans(text) == reference_spans(LEXICON, text)
    assert LEXICON.spans("") == []
