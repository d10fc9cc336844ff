"""Cross-validated quality of the intent classifier, per language and per intent.

Run: .venv/bin/python scripts/intent_report.py [--root nlu_data] [--folds 5]

For each language: 5-fold stratified cross-validation of the same pipeline the bot trains
(bot.understanding.intents.build_pipeline), then accuracy, macro-F1 and sklearn's
classification_report. "With thresholds" applies the classifier's per-intent thresholds to the
out-of-fold probabilities: how often it withholds a guess, and how often a guess it makes is right.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.understanding.intents import DEFAULT_THRESHOLD, THRESHOLDS, IntentClassifier, build_pipeline
from bot.understanding.nlu_data import NluData, load_nlu_data


def report(lang: str, examples: dict[str, list[str]], folds: int) -> tuple[float, float]:
    texts = [text for intent in examples for text in examples[intent]]
    labels = np.array([intent for intent in examples for _ in examples[intent]])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    probabilities = cross_val_predict(build_pipeline(), texts, labels, cv=splitter, method="predict_proba")
    classes = np.array(sorted(examples))  # the pipeline orders its classes the same way
    predicted = classes[probabilities.argmax(axis=1)]
    accuracy = float(accuracy_score(labels, predicted))
    macro_f1 = float(f1_score(labels, predicted, average="macro"))
    confidence = probabilities.max(axis=1)
    kept = confidence >= np.array([THRESHOLDS.get(intent, DEFAULT_THRESHOLD) for intent in predicted])
    kept_accuracy = float((predicted[kept] == labels[kept]).mean()) if kept.any() else 0.0

    print(f"== {lang}: {len(texts)} examples, {len(classes)} intents, {folds}-fold stratified CV")
    print(f"accuracy {accuracy:.3f}   macro-F1 {macro_f1:.3f}")
    print(
        f"with thresholds: {int((~kept).sum())} withheld ({(~kept).mean():.1%}), "
        f"accuracy of the guesses made {kept_accuracy:.3f}"
    )
    print(classification_report(labels, predicted, digits=3, zero_division=0))
    return accuracy, macro_f1


def bench(data: NluData) -> None:
    """Training time of every language, and the time of one classify over every example."""
    wall, cpu = time.perf_counter(), time.process_time()
    classifier = IntentClassifier.train(data)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    languages = len(data.languages)
    print(f"== speed\ntraining, {languages} languages (+ all together): {wall:.2f} s wall, {cpu:.2f} s CPU")
    timings = []
    for _ in range(5):
        for lang in data.languages:
            for examples in data.intent_examples(lang).values():
                for text in examples:
                    started = time.perf_counter()
                    classifier.classify(text, lang)
                    timings.append(time.perf_counter() - started)
    timings.sort()
    p50, p99, worst = (1000 * timings[int(len(timings) * q)] for q in (0.5, 0.99, 1 - 1e-9))
    print(f"classify, {len(timings)} calls: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="NLU data folder (default: nlu_data/)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    data = load_nlu_data(args.root)
    summary = {}
    with threadpool_limits(limits=1):
        for lang in data.languages:
            summary[lang] = report(lang, data.intent_examples(lang), args.folds)
    print("== summary")
    for lang, (accuracy, macro_f1) in summary.items():
        print(f"{lang}: accuracy {accuracy:.3f}  macro-F1 {macro_f1:.3f}")
    bench(data)


if __name__ == "__main__":
    main()
