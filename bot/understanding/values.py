"""Slot values from answers the synonym lists do not cover word for word.

"je risque de perdre mon travail" is not in vulnerabilities.yml, but it is close to "je vais
perdre mon travail". A character n-gram model per language and kind of slot, trained at start-up
on the same synonym lists (plus a "none of these" class made of the other kinds' phrases and the
out-of-scope intent), proposes a value with a probability. The caller asks the person to confirm
unless the model is sure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.understanding.intents import Scorer, build_pipeline
from bot.understanding.nlu_data import NluData

logger = logging.getLogger(__name__)

NONE_OF_THESE = "_none"
# Kinds learned this way; each is a synonym file stem in nlu_data/<lang>/.
KINDS = ("document", "application_status", "custody", "vulnerabilities", "evidence")


@dataclass(frozen=True, slots=True)
class ValueGuess:
    value: str | None
    probability: float


class ValueClassifier:
    def __init__(self, scorers: dict[tuple[str, str], Scorer]) -> None:
        self._scorers = scorers

    @classmethod
    def train(cls, data: NluData, *, kinds: Iterable[str] = KINDS) -> ValueClassifier:
        started = time.perf_counter()
        kinds = tuple(kinds)
        scorers: dict[tuple[str, str], Scorer] = {}
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            for lang in data.languages:
                sources = [lang] if lang == "fr" else [lang, "fr"]
                for kind in kinds:
                    texts: list[str] = []
                    labels: list[str] = []
                    for source in sources:
                        for value, expressions in _synonyms(data, source, kind).items():
                            texts.extend(expressions)
                            labels.extend([value] * len(expressions))
                        for other in kinds:
                            if other == kind:
                                continue
                            for expressions in _synonyms(data, source, other).values():
                                texts.extend(expressions[:6])
                                labels.extend([NONE_OF_THESE] * len(expressions[:6]))
                        out_of_scope = data.intent_examples(source).get("out_of_scope", [])
                        texts.extend(out_of_scope)
                        labels.extend([NONE_OF_THESE] * len(out_of_scope))
                    if len(set(labels)) >= 2:
                        scorers[(lang, kind)] = Scorer.of(build_pipeline().fit(texts, labels))
        logger.info("value models trained in %.2f s", time.perf_counter() - started)
        return cls(scorers)

    def guess(self, text: str, lang: str, kind: str) -> ValueGuess:
        scorer = self._scorers.get((lang, kind)) or self._scorers.get(("fr", kind))
        if scorer is None or not text.strip():
            return ValueGuess(None, 0.0)
        probabilities = scorer.probabilities(text)
        best = int(np.argmax(probabilities))
        value = scorer.classes[best]
        probability = float(probabilities[best])
        if value == NONE_OF_THESE:
            return ValueGuess(None, probability)
        return ValueGuess(value, probability)


def _synonyms(data: NluData, lang: str, kind: str) -> dict[str, list[str]]:
    try:
        return data.synonyms(lang, kind)
    except KeyError:
        return {}
