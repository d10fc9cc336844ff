"""Stores behind one interface (bot.core.ports.ConversationStore), chosen by `STORE_URL`.

Both stores encrypt serialized states, cases and records (`bot.storage.crypto`), look identifiers
up through keyed hashes, and apply the same retention (`purge`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.core.case import Case
from bot.core.conversation import ConversationState
from bot.core.ports import ConcurrencyControl, ConversationStore
from bot.engine.engine import use_log_key
from bot.storage.crypto import DEMO_HASH_KEY, FieldCipher, hash_key_from_setting

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)


class StoreUrlError(ValueError):
    """`STORE_URL` names a store this build does not know."""


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept (settings CONVERSATION_TTL_DAYS, RETENTION_*_DAYS)."""

    conversation_ttl: dt.timedelta = dt.timedelta(days=90)
    abandoned_after: dt.timedelta = dt.timedelta(days=30)
    closed_after: dt.timedelta = dt.timedelta(days=365)
    unconsented_after: dt.timedelta = dt.timedelta(hours=24)
    # Messages whose processing failed again and again (Redis queue): kept a while for a look.
    dead_letters_after: dt.timedelta = dt.timedelta(days=7)

    def state_ttl(self, state: ConversationState) -> dt.timedelta:
        """How long a saved state lives idle: a day before consent, else the conversation TTL."""
        if state.status == "active" and state.slots.consent is not True:
            return min(self.unconsented_after, self.conversation_ttl)
        return self.conversation_ttl

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            conversation_ttl=dt.timedelta(days=settings.conversation_ttl_days),
            abandoned_after=dt.timedelta(days=settings.retention_abandoned_days),
            closed_after=dt.timedelta(days=settings.retention_closed_days),
            unconsented_after=dt.timedelta(hours=settings.retention_unconsented_hours),
            dead_letters_after=dt.timedelta(days=settings.retention_dead_letter_days),
        )


@dataclass(frozen=True)
class PurgeReport:
    conversations_erased: int = 0  # abandoned: the state and its cases
    states_expired: int = 0  # any state idle longer than the conversation TTL (cases kept)
    cases_anonymised: int = 0
    dead_letters_deleted: int = 0  # Redis: too old, whoever they were from
    unreadable: int = 0  # states or cases that could not be decrypted or read: left, and logged


# How long the ids of erased cases are remembered, so that a write started before the erasure
# (the desk had read the case, then saves it) cannot bring the case back. Opaque ids only.
ERASED_CASE_MEMORY = dt.timedelta(days=1)

# Slots that can identify a person; blanked when a closed case is anonymised.
IDENTIFYING_SLOTS = ("note", "document_text", "commune")


# Dates kept by an anonymised case only to the month: an exact expiry or removal-order date,
# with the département and the document, can point at one person.
DATE_SLOTS = ("expiry_date", "removal_order_date", "attempts_since")


def anonymised(case: Case) -> Case:
    """The case without what identifies the person, and cut from its conversation."""
    months = {
        slot: value.replace(day=1)
        for slot in DATE_SLOTS
        if isinstance(value := getattr(case.slots, slot), dt.date)
    }
    slots = case.slots.model_copy(update={**dict.fromkeys(IDENTIFYING_SLOTS), **months})
    # The urgency keeps its level and rule; its deadline, counts of days or hours and reasons
    # (which quote them) would give the exact dates back.
    urgency = case.urgency.model_copy(
        update={
            "oqtf_deadline": None,
            "hours_left": None,
            "days_to_expiry": None,
            "reason_fr": case.urgency.rule,
            "reason": case.urgency.rule,
        }
    )
    return case.model_copy(
        update={"slots": slots, "urgency": urgency, "conversation_id": "", "waiting_messages": []}
    )


class Store(ConversationStore, ConcurrencyControl, Protocol):
    """What `open_store` returns: the ports plus the maintenance jobs."""

    async def purge(self, now: dt.datetime) -> PurgeReport:
        """Apply the retention periods as of `now` (a scheduled job)."""
        ...

    async def rotate_keys(self) -> int:
        """Re-encrypt everything with the current (first) key; the number of values rewritten."""
        ...

    async def rehash(self, old_hash_key: bytes) -> int:
        """Move what was filed under keyed hashes of `old_hash_key` to the current hash key (the
        service stopped); the number of entries moved."""
        ...


def open_store(url: str, settings: Settings | None = None) -> Store:
    """`sqlite:///relative/or/absolute.db`, `sqlite:///:memory:`, `redis://host:port/db` (or rediss://),
    `redis+cluster://host:port` (a Redis Cluster, entered through any of its nodes).

    Keys, hash key, prefix and retention come from `settings`; without settings (tests, scripts)
    data is stored in clear with the demo hash key.
    """
    cipher = FieldCipher()
    hash_key = DEMO_HASH_KEY
    retention = Retention()
    prefix = "triage"
    if settings is not None:
        cipher = FieldCipher.from_setting(settings.store_encryption_keys.get_secret_value())
        secret = settings.store_hash_key.get_secret_value() if settings.store_hash_key else None
        hash_key = hash_key_from_setting(secret)
        if secret:  # the public demo key would make log names reversible: keep the random one
            use_log_key(hash_key)
        retention = Retention.from_settings(settings)
        prefix = settings.store_key_prefix
        if not cipher.encrypting:
            logger.warning("STORE_ENCRYPTION_KEYS is not set: personal data is stored in clear (demo only)")
    if url.startswith("sqlite:///"):
        from bot.storage.sqlite import SqliteStore

        return SqliteStore(
            url.removeprefix("sqlite:///"), cipher=cipher, hash_key=hash_key, retention=retention
        )
    if url.startswith(("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")):
        from bot.storage.redis import RedisStore

        return RedisStore.from_url(url, prefix=prefix, cipher=cipher, hash_key=hash_key, retention=retention)
    raise StoreUrlError(
        f"unsupported STORE_URL scheme: {url.split(':', 1)[0]!r}"
        " (use sqlite:///path.db, redis://host:port/db or redis+cluster://host:port)"
    )
