"""The trained models of the understanding layer, and their cache on disk.

Training all of them takes a few seconds; like `rasa train`, we keep the result as a file named
after a hash of everything it depends on (every file under nlu_data/, the scikit-learn version
and MODEL_FORMAT), so a process starts in well under a second while the data is unchanged and
retrains by itself when it changes. The cache holds only what we trained from our own files;
a file that fails to load is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bot.understanding.intents import IntentClassifier
from bot.understanding.language import LanguageDetector
from bot.understanding.nlu_data import NluData
from bot.understanding.values import ValueClassifier

logger = logging.getLogger(__name__)

# Bump when the shape of the models or of their training changes.
MODEL_FORMAT = "6"


@dataclass(frozen=True)
class TrainedModels:
    intents: IntentClassifier
    values: ValueClassifier
    languages: LanguageDetector

    @classmethod
    def train(cls, data: NluData) -> TrainedModels:
        return cls(IntentClassifier.train(data), ValueClassifier.train(data), LanguageDetector(data))


def data_fingerprint(root: Path) -> str:
    digest = hashlib.sha256(f"{MODEL_FORMAT}:{version('scikit-learn')}".encode())
    for path in sorted(root.rglob("*.yml")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def load_or_train(data: NluData, root: Path, cache_dir: Path | None) -> TrainedModels:
    if cache_dir is None:
        return TrainedModels.train(data)
    path = cache_dir / f"nlu-{data_fingerprint(root)}.pkl"
    try:
        with path.open("rb") as handle:
            models = pickle.load(handle)
        if isinstance(models, TrainedModels):
            return models
    except FileNotFoundError:
        pass
    except Exception:  # a truncated or foreign file: rebuild it
        logger.warning("model cache %s unreadable, retraining", path.name)
    models = TrainedModels.train(data)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Written aside then renamed, so a concurrent process never reads half a file.
    with tempfile.NamedTemporaryFile(dir=cache_dir, delete=False, suffix=".tmp") as out:
        pickle.dump(models, out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(out.name, path)
    return models
