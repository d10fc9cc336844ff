"""Intent classifier: which command or small-talk move a short message is ("oui", "STOP", "un humain").

Trained at start-up from :class:`NluData`, one model per language: character n-grams (2-5, within
word boundaries) of the normalized text, TF-IDF, then a multinomial logistic regression, whose
probabilities say how sure the guess is. Character n-grams cope with SMS spelling, missing accents,
Arabizi and French words inside other languages, with a few hundred examples per language.

A guess is withheld (``intent=None``) when the model is not sure enough for that intent, when the
message is long (a sentence carrying answers, not a command), or when it has no letter at all
("2" picks a menu option, it is not an intent). Destructive intents need more confidence.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from bot.understanding.nlu_data import NluData, normalize_text

# scikit-learn is imported only to train: a process that loads its models from the cache never
# imports it (nor scipy), which saves about 80 MB of its memory.
if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

# The fixed keywords of the spec (§2) and the bot commands, matched whole, before the model.
KEYWORDS: Mapping[str, str] = {
    "stop": "erase",
    "supprimer": "erase",
    "/supprimer": "erase",
    "/stop": "erase",
    "/start": "restart",
    "/restart": "restart",
    "/aide": "help",
    "/help": "help",
    "aide": "help",
    "help": "help",
    "/skip": "skip",
}
# A command is short; a longer message is a sentence that answers questions.
MAX_WORDS = 12
DEFAULT_THRESHOLD = 0.4
# Acting on these wrongly costs the person their answers or the conversation: ask for more. Held-out
# phrasings of these intents score 0.68 or more; answers like "من شتنبر" ("since September") up to 0.52.
THRESHOLDS: Mapping[str, float] = {
    "erase": 0.6,
    "restart": 0.6,
    "human": 0.5,
    "change_language": 0.5,
}
# The model of every language together, for a language that has no data (yet).
ANY_LANGUAGE = "*"

_TRIM = re.compile(r"^[\s.!?¡¿،؟]+|[\s.!?¡¿،؟]+$")


@dataclass(frozen=True, slots=True)
class IntentGuess:
    intent: str | None
    confidence: float
    ranking: tuple[tuple[str, float], ...]


NO_GUESS = IntentGuess(intent=None, confidence=0.0, ranking=())


NGRAM_RANGE = (2, 5)
_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, *, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """The n-grams of `TfidfVectorizer(analyzer="char_wb")` after our normalisation, without
    scikit-learn (same order and counts: a test holds them equal to its analyzer's)."""
    document = _SPACES.sub(" ", normalize_text(text))
    low, high = ngram_range
    grams: list[str] = []
    for word in document.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


def build_pipeline() -> Pipeline:
    """The untrained pipeline of one language (also used by ``scripts/intent_report.py``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=NGRAM_RANGE,
                    sublinear_tf=True,
                    lowercase=True,
                    preprocessor=normalize_text,
                    dtype=np.float32,
                ),
            ),
            ("model", LogisticRegression(C=10.0, max_iter=1000)),
        ]
    )


@dataclass(frozen=True, slots=True)
class Scorer:
    """A fitted pipeline's arithmetic without sklearn's per-call input checks.

    Those checks cost about 0.5 ms per message, most of the budget; the n-grams still come from
    the fitted vectorizer's own analyzer, and a test holds the probabilities equal to the pipeline's.
    """

    analyze: Callable[[str], list[str]]
    vocabulary: Mapping[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (features, classes)
    intercept: np.ndarray
    classes: tuple[str, ...]

    @classmethod
    def of(cls, pipeline: Pipeline) -> Scorer:
        tfidf = pipeline.named_steps["tfidf"]
        model = pipeline.named_steps["model"]
        return cls(
            analyze=partial(char_wb_ngrams, ngram_range=tuple(tfidf.ngram_range)),
            vocabulary=tfidf.vocabulary_,
            idf=tfidf.idf_.astype(np.float64),
            coef=np.ascontiguousarray(model.coef_.T, dtype=np.float64),
            intercept=model.intercept_.astype(np.float64),
            classes=tuple(str(c) for c in model.classes_),
        )

    def probabilities(self, text: str) -> np.ndarray:
        counts = Counter(i for i in map(self.vocabulary.get, self.analyze(text)) if i is not None)
        scores = self.intercept
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weights *= self.idf[index]
            weights /= np.sqrt(weights @ weights)
            scores = scores + weights @ self.coef[index]
        exp = np.exp(scores - scores.max())
        probabilities: np.ndarray = exp / exp.sum()
        return probabilities


class IntentClassifier:
    """One trained pipeline per language; :meth:`classify` is read-only and thread-safe."""

    def __init__(self, models: Mapping[str, Pipeline]) -> None:
        self.models = dict(models)
        self._scorers = {lang: Scorer.of(pipeline) for lang, pipeline in self.models.items()}

    def __getstate__(self) -> dict[str, object]:
        # The cache keeps the scorers only: unpickling a pipeline would import scikit-learn.
        return {"models": {}, "_scorers": self._scorers}

    @classmethod
    def train(cls, data: NluData) -> IntentClassifier:
        started = time.perf_counter()
        corpora = {lang: _corpus(data.intent_examples(lang)) for lang in data.languages}
        everything = (
            [text for texts, _ in corpora.values() for text in texts],
            [label for _, labels in corpora.values() for label in labels],
        )
        models: dict[str, Pipeline] = {}
        from threadpoolctl import threadpool_limits

        # One BLAS/OpenMP thread: on a busy 2-core machine, more threads made training 10 x slower.
        with threadpool_limits(limits=1):
            for lang, (texts, labels) in {**corpora, ANY_LANGUAGE: everything}.items():
                models[lang] = build_pipeline().fit(texts, labels)
        logger.info(
            "intent models trained for %s in %.2f s", ",".join(data.languages), time.perf_counter() - started
        )
        return cls(models)

    def classify(self, text: str, lang: str) -> IntentGuess:
        trimmed = _TRIM.sub("", text).casefold()
        if trimmed.startswith("/"):
            trimmed = trimmed.split("@", 1)[0]  # Telegram group commands: "/aide@TriageBot"
        keyword = KEYWORDS.get(trimmed)
        if keyword is not None:
            return IntentGuess(intent=keyword, confidence=1.0, ranking=((keyword, 1.0),))
        normalized = normalize_text(text)
        if not any(c.isalpha() for c in normalized) or len(normalized.split()) > MAX_WORDS:
            return NO_GUESS
        scorer = self._scorers.get(lang) or self._scorers[ANY_LANGUAGE]
        probabilities = scorer.probabilities(text)
        ranking = tuple((scorer.classes[i], float(probabilities[i])) for i in np.argsort(-probabilities))
        best, confidence = ranking[0]
        if confidence < THRESHOLDS.get(best, DEFAULT_THRESHOLD):
            return IntentGuess(intent=None, confidence=confidence, ranking=ranking)
        return IntentGuess(intent=best, confidence=confidence, ranking=ranking)


def _corpus(examples: Mapping[str, list[str]]) -> tuple[list[str], list[str]]:
    texts = [text for intent in examples for text in examples[intent]]
    labels = [intent for intent in examples for _ in examples[intent]]
    return texts, labels
