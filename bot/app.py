"""Assembles the engine from data and settings: the one place that knows every layer."""

from __future__ import annotations

from dataclasses import dataclass

from actions import build_actions
from actions.documents import DocumentCatalogue, load_documents
from actions.urgency import RuleBook, load_rules
from bot.core.clock import Clock
from bot.core.ports import ConversationStore
from bot.engine.engine import Engine
from bot.engine.schema import Flow, load_flow
from bot.engine.texts import Texts, load_texts
from bot.settings import Settings
from bot.understanding.models import load_or_train
from bot.understanding.nlu import NluUnderstanding
from bot.understanding.nlu_data import load_nlu_data
from bot.understanding.places import Gazetteer, default_gazetteer


class DataError(Exception):
    """The shipped data does not hold together (a text missing in a language...)."""


@dataclass(frozen=True)
class Brain:
    """Everything loaded once at start-up and shared, read-only, by every conversation."""

    flow: Flow
    texts: Texts
    rules: RuleBook
    documents: DocumentCatalogue
    gazetteer: Gazetteer
    understanding: NluUnderstanding

    def engine(self, store: ConversationStore, clock: Clock) -> Engine:
        return Engine(
            flow=self.flow,
            texts=self.texts,
            understanding=self.understanding,
            actions=build_actions(self.rules),
            store=store,
            clock=clock,
        )


def load_brain(settings: Settings) -> Brain:
    flow = load_flow(settings.dialogs_dir / "flow.yml")
    texts = load_texts(settings.dialogs_dir / "locales")
    problems = texts.missing(flow.text_keys())
    if problems:
        raise DataError("; ".join(problems))
    documents = load_documents()
    rules = load_rules(settings.rules_file, documents)
    gazetteer = default_gazetteer()
    labels = {
        code: {lang: documents.label(code, lang) for lang in texts.languages} for code in documents.codes
    }
    data = load_nlu_data(settings.nlu_data_dir)
    models = load_or_train(data, settings.nlu_data_dir, settings.model_cache_dir)
    understanding = NluUnderstanding(data, gazetteer, labels, models)
    missing_languages = set(texts.languages) - set(understanding.data.languages)
    if missing_languages:
        raise DataError(f"texts exist but no NLU data for: {sorted(missing_languages)}")
    return Brain(flow, texts, rules, documents, gazetteer, understanding)
