"""Assembles the engine from data and settings: the one place that knows every layer."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from actions import ForgetAddress, build_actions
from actions.desk import HandoffDesk, load_advice
from actions.documents import DocumentCatalogue, load_documents
from actions.routing import load_handoff_rules
from actions.urgency import RuleBook, load_rules
from bot.core.clock import Clock
from bot.core.ports import ConversationStore, Outbox
from bot.engine.engine import Engine
from bot.engine.schema import Flow, load_flow
from bot.engine.texts import Texts, load_texts
from bot.settings import REPO_ROOT, Settings
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

    def engine(
        self,
        store: ConversationStore,
        clock: Clock,
        desk: HandoffDesk | None = None,
        forget_address: ForgetAddress | None = None,
        remind_after: dt.timedelta | None = None,
    ) -> Engine:
        """The engine; with a ``desk``, cases are offered to volunteers and messages relayed;
        `forget_address` erases what the channels keep of an address when the person erases."""
        return Engine(
            flow=self.flow,
            texts=self.texts,
            understanding=self.understanding,
            actions=build_actions(self.rules, desk, forget_address),
            store=store,
            clock=clock,
            remind_after=remind_after,
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


DEMO_ROSTER = REPO_ROOT / "data" / "demo" / "volunteers.csv"


def desk_address_key(settings: Settings) -> bytes | None:
    """The key of the desk's hashes of volunteer addresses, derived from STORE_HASH_KEY; None when
    unset (the desk then keeps a random key in the store)."""
    if settings.store_hash_key is None or not settings.store_hash_key.get_secret_value():
        return None
    secret = settings.store_hash_key.get_secret_value().encode("utf-8")
    return hmac.new(secret, b"volunteer-address", hashlib.sha256).digest()


async def build_desk(
    brain: Brain,
    store: ConversationStore,
    outbox: Outbox,
    clock: Clock,
    *,
    address_key: bytes | None = None,
    demo_roster: Path | None = DEMO_ROSTER,
) -> HandoffDesk:
    """The hand-off desk over ``store``; loads ``demo_roster`` when the store has no volunteer yet."""
    desk = HandoffDesk(
        store,
        outbox,
        clock,
        brain.gazetteer,
        brain.rules,
        load_handoff_rules(),
        brain.documents,
        brain.texts,
        advice=load_advice(languages=brain.texts.languages, rule_names=brain.rules.rule_names),
        address_key=address_key,
    )
    if demo_roster is not None:
        await desk.ensure_roster(demo_roster, brain.gazetteer)
    return desk
