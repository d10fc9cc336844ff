"""The embedded store: one SQLite file, so the bot runs on a laptop with nothing else installed.

Every write is committed before the engine answers (WAL journal, synchronous=NORMAL is durable
against a killed process; FULL would also survive a power cut at a measured cost).

Serialized states, cases, records and timer keys are encrypted (`FieldCipher`); identifiers
(conversation ids hold phone numbers and chat ids, record and timer keys may too) are stored as
keyed hashes. Only statuses and timestamps stay in clear, for retention and timers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from bot.core.case import Case
from bot.core.conversation import ConversationState
from bot.core.ports import CaseErased, Timer
from bot.storage import ERASED_CASE_MEMORY, PurgeReport, Retention, anonymised
from bot.storage.crypto import DEMO_HASH_KEY, FieldCipher, StoreKeyError, keyed_hash

logger = logging.getLogger(__name__)


def _utc(moment: dt.datetime) -> str:
    """Timestamps compare as text: one fixed-width UTC form keeps the order right."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


SCHEMA_VERSION = 3
# Ids of erased cases are kept a day in `seen_messages` under this pseudo-channel.
ERASED_CASE = "erased-case"

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_status ON conversations (status, updated_at);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_conversation ON cases (conversation_id);
CREATE INDEX IF NOT EXISTS cases_by_status ON cases (status, updated_at);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS timers (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ref TEXT NOT NULL,
    due_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS timers_by_due ON timers (due_at);
CREATE TABLE IF NOT EXISTS set_members (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (kind, key, member)
);
CREATE TABLE IF NOT EXISTS seen_messages (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (channel, message_id)
);
"""

# (table, primary key columns, encrypted column): what `rotate_keys` rewrites.
_ENCRYPTED = (
    ("conversations", "id", "state"),
    ("cases", "id", "data"),
    ("records", "kind, key", "data"),
    ("timers", "kind, key", "ref"),
)


class _LockTable:
    """Process-local locks per (database, conversation), dropped when nobody holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str], wait: float) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with asyncio.timeout(wait):
                await lock.acquire()
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


_LOCKS = _LockTable()


class SqliteStore:
    """Conversation states and cases in SQLite. Calls are short and local, so they run inline.

    The conversation lock is process-local: one process per database file (the laptop setup).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        cipher: FieldCipher | None = None,
        hash_key: bytes = DEMO_HASH_KEY,
        retention: Retention | None = None,
        lock_wait_seconds: float = 10.0,
    ) -> None:
        self.path = str(path)
        self._cipher = cipher or FieldCipher()
        self._hash_key = hash_key
        self._retention = retention or Retention()
        self._lock_wait = lock_wait_seconds
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_scope = str(Path(self.path).resolve())
        else:
            self._lock_scope = f":memory:{id(self)}"
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Erased data must not linger in free pages of the file.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._open_schema()

    def _hash(self, identifier: str) -> str:
        return keyed_hash(identifier, self._hash_key)

    # -- schema -----------------------------------------------------------------------------------

    def _open_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        old = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversations'")
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if version == 0 and old.fetchone():
                self._migrate_from_clear()
            else:
                self._create_schema()

    def _create_schema(self) -> None:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _migrate_from_clear(self) -> None:
        """Files of the first version kept ids and JSON in clear: rewrite them hashed and encrypted."""
        db = self._db
        states = [
            ConversationState.model_validate_json(r[0]) for r in db.execute("SELECT state FROM conversations")
        ]
        cases = [Case.model_validate_json(r[0]) for r in db.execute("SELECT data FROM cases")]
        existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # The very first files had no records or timers yet.
        records = (
            db.execute("SELECT kind, key, data FROM records").fetchall() if "records" in existing else []
        )
        timers = db.execute("SELECT kind, key, due_at FROM timers").fetchall() if "timers" in existing else []
        for table in ("conversations", "cases", "records", "timers"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        self._create_schema()
        for state in states:
            self._write_conversation(state)
        for case in cases:
            self._write_case(case)
        for kind, key, data in records:
            self._write_record(kind, key, json.loads(data))
        for kind, key, due in timers:
            self._write_timer(kind, key, dt.datetime.fromisoformat(due))
        logger.info("migrated the store to schema %d (%d conversations)", SCHEMA_VERSION, len(states))

    # -- conversations and cases ------------------------------------------------------------------

    async def load_conversation(self, conversation_id: str) -> ConversationState | None:
        row = self._db.execute(
            "SELECT state FROM conversations WHERE id = ?", (self._hash(conversation_id),)
        ).fetchone()
        return ConversationState.model_validate_json(self._cipher.decrypt(row[0])) if row else None

    async def save_conversation(self, state: ConversationState) -> None:
        self._write_conversation(state)

    def _write_conversation(self, state: ConversationState) -> None:
        self._db.execute(
            "INSERT INTO conversations (id, state, status, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET state = excluded.state, status = excluded.status, "
            "updated_at = excluded.updated_at",
            (
                self._hash(state.id),
                self._cipher.encrypt(state.model_dump_json()),
                state.status,
                _utc(state.updated_at),
            ),
        )

    async def erase_conversation(self, conversation_id: str) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._erase(self._hash(conversation_id))
        self._forget_deleted_pages()

    def _forget_deleted_pages(self) -> None:
        """`secure_delete` zeroes the database file's pages, not the write-ahead log, which keeps
        the deleted rows until a checkpoint copies it back and truncates it: do that now."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _erase(self, hashed_id: str) -> None:
        erased = self._db.execute("SELECT id FROM cases WHERE conversation_id = ?", (hashed_id,)).fetchall()
        self._db.executemany(
            "INSERT OR REPLACE INTO seen_messages (channel, message_id, expires_at) VALUES (?, ?, ?)",
            [
                (ERASED_CASE, case_id, time.time() + ERASED_CASE_MEMORY.total_seconds())
                for (case_id,) in erased
            ],
        )
        self._db.execute("DELETE FROM conversations WHERE id = ?", (hashed_id,))
        self._db.execute("DELETE FROM cases WHERE conversation_id = ?", (hashed_id,))

    async def save_case(self, case: Case) -> None:
        if case.conversation_id and self._was_erased(case.id):
            raise CaseErased(case.id)
        self._write_case(case)

    def _was_erased(self, case_id: str) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM seen_messages WHERE channel = ? AND message_id = ? AND expires_at > ?",
                (ERASED_CASE, case_id, time.time()),
            ).fetchone()
            is not None
        )

    def _write_case(self, case: Case) -> None:
        self._db.execute(
            "INSERT INTO cases (id, conversation_id, status, data, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "conversation_id = excluded.conversation_id, status = excluded.status, data = excluded.data, "
            "updated_at = excluded.updated_at",
            (
                case.id,
                self._hash(case.conversation_id) if case.conversation_id else "",
                case.status,
                self._cipher.encrypt(case.model_dump_json()),
                _utc(case.created_at),
                _utc(case.updated_at),
            ),
        )

    async def get_case(self, case_id: str) -> Case | None:
        row = self._db.execute("SELECT data FROM cases WHERE id = ?", (case_id,)).fetchone()
        return Case.model_validate_json(self._cipher.decrypt(row[0])) if row else None

    async def update_case(self, case_id: str, change: Callable[[Case], Case]) -> Case | None:
        # Read, change and write with no await between them, in one immediate transaction: no
        # other task of this process, nor another process on the file, writes in between.
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT data FROM cases WHERE id = ?", (case_id,)).fetchone()
            if row is None:
                return None
            read = Case.model_validate_json(self._cipher.decrypt(row[0]))
            case = change(read)
            if case.id != case_id:
                raise ValueError(f"update_case({case_id!r}) changed the case's id to {case.id!r}")
            if case.conversation_id != read.conversation_id:
                # Re-attaching an anonymised case to a conversation, or moving it to another one.
                raise ValueError(f"update_case({case_id!r}) would move the case to another conversation")
            if case.conversation_id and self._was_erased(case.id):
                raise CaseErased(case.id)
            self._write_case(case)
        return case

    async def cases_for_conversation(self, conversation_id: str) -> list[Case]:
        rows = self._db.execute(
            "SELECT data FROM cases WHERE conversation_id = ? ORDER BY created_at, id",
            (self._hash(conversation_id),),
        ).fetchall()
        return [Case.model_validate_json(self._cipher.decrypt(row[0])) for row in rows]

    # -- records and timers (RecordStore) ---------------------------------------------------------

    async def put_record(self, kind: str, key: str, record: Mapping[str, Any]) -> None:
        self._write_record(kind, key, record)

    def _write_record(self, kind: str, key: str, record: Mapping[str, Any]) -> None:
        # The key is inside the encrypted value: `list_records` needs it, the table only has its hash.
        data = json.dumps({"key": key, "record": record}, ensure_ascii=False, default=str)
        self._db.execute(
            "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET data = excluded.data",
            (kind, self._hash(key), self._cipher.encrypt(data)),
        )

    def _read_record(self, stored: str) -> tuple[str, dict[str, Any]]:
        envelope = json.loads(self._cipher.decrypt(stored))
        return str(envelope["key"]), dict(envelope["record"])

    async def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT data FROM records WHERE kind = ? AND key = ?", (kind, self._hash(key))
        ).fetchone()
        return self._read_record(row[0])[1] if row else None

    async def delete_record(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, self._hash(key)))

    async def list_records(self, kind: str) -> list[dict[str, Any]]:
        return [record for _, record in await self.record_items(kind)]

    async def record_items(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self._db.execute("SELECT data FROM records WHERE kind = ?", (kind,)).fetchall()
        return sorted((self._read_record(row[0]) for row in rows), key=lambda item: item[0])

    async def add_to_set(self, kind: str, key: str, member: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO set_members (kind, key, member) VALUES (?, ?, ?)", (kind, key, member)
        )

    async def remove_from_set(self, kind: str, key: str, member: str) -> None:
        self._db.execute(
            "DELETE FROM set_members WHERE kind = ? AND key = ? AND member = ?", (kind, key, member)
        )

    async def set_members(self, kind: str, key: str) -> set[str]:
        rows = self._db.execute("SELECT member FROM set_members WHERE kind = ? AND key = ?", (kind, key))
        return {row[0] for row in rows}

    async def set_sizes(self, kind: str, keys: Sequence[str]) -> dict[str, int]:
        rows = self._db.execute("SELECT key, COUNT(*) FROM set_members WHERE kind = ? GROUP BY key", (kind,))
        counted = dict(rows.fetchall())
        return {key: counted.get(key, 0) for key in keys}

    async def all_sets(self, kind: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for key, member in self._db.execute("SELECT key, member FROM set_members WHERE kind = ?", (kind,)):
            found.setdefault(key, set()).add(member)
        return found

    async def schedule_timer(self, kind: str, key: str, due_at: dt.datetime) -> None:
        self._write_timer(kind, key, due_at)

    def _write_timer(self, kind: str, key: str, due_at: dt.datetime) -> None:
        self._db.execute(
            "INSERT INTO timers (kind, key, ref, due_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET due_at = excluded.due_at",
            (kind, self._hash(key), self._cipher.encrypt(json.dumps(key)), _utc(due_at)),
        )

    async def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        rows = self._db.execute(
            "SELECT kind, ref, due_at FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?",
            (_utc(now), limit),
        ).fetchall()
        return [
            Timer(kind, str(json.loads(self._cipher.decrypt(ref))), dt.datetime.fromisoformat(due))
            for kind, ref, due in rows
        ]

    async def claim_timer(self, timer: Timer) -> bool:
        cursor = self._db.execute(
            "DELETE FROM timers WHERE kind = ? AND key = ? AND due_at = ?",
            (timer.kind, self._hash(timer.key), _utc(timer.due_at)),
        )
        return cursor.rowcount == 1

    async def cancel_timer(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM timers WHERE kind = ? AND key = ?", (kind, self._hash(key)))

    # -- concurrency (ConcurrencyControl) ---------------------------------------------------------

    def conversation_lock(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        return _LOCKS.hold((self._lock_scope, conversation_id), self._lock_wait)

    async def seen_before(self, channel: str, message_id: str, ttl_seconds: int) -> bool:
        now = time.time()
        # Inserts a new row or revives an expired one (a change); an unexpired row changes nothing.
        cursor = self._db.execute(
            "INSERT INTO seen_messages (channel, message_id, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT(channel, message_id) DO UPDATE SET expires_at = excluded.expires_at "
            "WHERE seen_messages.expires_at <= ?",
            (channel, self._hash(message_id), now + ttl_seconds, now),
        )
        return cursor.rowcount == 0

    # -- maintenance ------------------------------------------------------------------------------

    async def purge(self, now: dt.datetime) -> PurgeReport:
        retention = self._retention
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            abandoned = self._db.execute(
                "SELECT id FROM conversations WHERE status = 'active' AND updated_at < ?",
                (_utc(now - retention.abandoned_after),),
            ).fetchall()
            for (hashed_id,) in abandoned:
                self._erase(hashed_id)
            # Never consented: what they wrote goes after a day, not after RETENTION_ABANDONED_DAYS.
            idle = self._db.execute(
                "SELECT id, state FROM conversations WHERE status = 'active' AND updated_at < ?",
                (_utc(now - retention.unconsented_after),),
            ).fetchall()
            unreadable = 0
            unconsented = []
            for hashed_id, data in idle:
                try:
                    state = ConversationState.model_validate_json(self._cipher.decrypt(data))
                except (StoreKeyError, ValueError) as error:
                    # Written under a key since dropped: one such state must not keep the others
                    # from going (the whole purge is one transaction).
                    unreadable += 1
                    logger.warning(
                        "purge: a conversation state cannot be read (%s); left", type(error).__name__
                    )
                    continue
                if state.slots.consent is not True:
                    unconsented.append(hashed_id)
            for hashed_id in unconsented:
                # The state only: a case of the conversation, if any, was consented to.
                self._db.execute("DELETE FROM conversations WHERE id = ?", (hashed_id,))
            expired = self._db.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (_utc(now - retention.conversation_ttl),)
            ).rowcount
            closed = self._db.execute(
                "SELECT data FROM cases WHERE status = 'closed' AND conversation_id != '' AND updated_at < ?",
                (_utc(now - retention.closed_after),),
            ).fetchall()
            anonymised_count = 0
            for (data,) in closed:
                try:
                    case = Case.model_validate_json(self._cipher.decrypt(data))
                except (StoreKeyError, ValueError) as error:
                    unreadable += 1
                    logger.warning("purge: a closed case cannot be read (%s); left", type(error).__name__)
                    continue
                self._write_case(anonymised(case))
                anonymised_count += 1
            self._db.execute("DELETE FROM seen_messages WHERE expires_at <= ?", (time.time(),))
        self._forget_deleted_pages()
        return PurgeReport(
            len(abandoned) + len(unconsented), expired, anonymised_count, unreadable=unreadable
        )

    async def rotate_keys(self) -> int:
        rewritten = 0
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            for table, key_columns, column in _ENCRYPTED:
                rows = self._db.execute(f"SELECT {key_columns}, {column} FROM {table}").fetchall()
                where = " AND ".join(f"{name.strip()} = ?" for name in key_columns.split(","))
                for *key, value in rows:
                    if not self._cipher.is_current(value):
                        rotated = self._cipher.rotate(value)
                        self._db.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (rotated, *key))
                        rewritten += 1
        # Old ciphertexts must not stay in the write-ahead log once the old key is dropped.
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return rewritten

    async def rehash(self, old_hash_key: bytes) -> int:
        """Move every entry filed under a keyed hash of `old_hash_key` to the hash of this store's
        key: conversations, the cases' conversation column, records and timers (each one's clear
        identifier is inside its encrypted value). One transaction; entries already under the new
        key are left alone, so running it twice moves nothing the second time. A conversation with a
        state under both keys (the service ran with the new key first) keeps the newer state and
        the cases of both. De-duplication entries are not moved: they expire within days, and the
        engine remembers the ids it processed. Returns the number of entries moved."""
        if old_hash_key == self._hash_key:
            return 0
        moved = 0

        def rekeyed(identifier: str, stored: str) -> str | None:
            """The new hash of an entry filed under the old key's hash of `identifier`, else None."""
            return self._hash(identifier) if stored == keyed_hash(identifier, old_hash_key) else None

        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            for hashed, blob in self._db.execute("SELECT id, state FROM conversations").fetchall():
                state = ConversationState.model_validate_json(self._cipher.decrypt(blob))
                if (new := rekeyed(state.id, hashed)) is None:
                    continue
                # A state under both keys (the service ran with the new key first): the newer stays.
                query = "SELECT updated_at FROM conversations WHERE id = ?"
                there = self._db.execute(query, (new,)).fetchone()
                if there is not None and there[0] >= _utc(state.updated_at):
                    self._db.execute("DELETE FROM conversations WHERE id = ?", (hashed,))
                    continue
                self._db.execute("DELETE FROM conversations WHERE id = ?", (new,))
                self._db.execute("UPDATE conversations SET id = ? WHERE id = ?", (new, hashed))
                moved += 1
            rows = self._db.execute("SELECT id, conversation_id, data FROM cases WHERE conversation_id != ''")
            for case_id, hashed, blob in rows.fetchall():
                case = Case.model_validate_json(self._cipher.decrypt(blob))
                if case.conversation_id and (new := rekeyed(case.conversation_id, hashed)) is not None:
                    self._db.execute("UPDATE cases SET conversation_id = ? WHERE id = ?", (new, case_id))
                    moved += 1
            # A record or timer written under the new key since is newer: the old one is dropped.
            for kind, hashed, blob in self._db.execute("SELECT kind, key, data FROM records").fetchall():
                if (new := rekeyed(self._read_record(blob)[0], hashed)) is not None:
                    moved += self._move_row("records", kind, hashed, new)
            for kind, hashed, ref in self._db.execute("SELECT kind, key, ref FROM timers").fetchall():
                if (new := rekeyed(str(json.loads(self._cipher.decrypt(ref))), hashed)) is not None:
                    moved += self._move_row("timers", kind, hashed, new)
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return moved

    def _move_row(self, table: str, kind: str, old: str, new: str) -> int:
        """Re-key one row of `records` or `timers`; 0 (and the old row dropped) if `new` is taken."""
        taken = self._db.execute(f"SELECT 1 FROM {table} WHERE kind = ? AND key = ?", (kind, new)).fetchone()
        if taken:
            self._db.execute(f"DELETE FROM {table} WHERE kind = ? AND key = ?", (kind, old))
            return 0
        self._db.execute(f"UPDATE {table} SET key = ? WHERE kind = ? AND key = ?", (new, kind, old))
        return 1

    async def close(self) -> None:
        self._db.close()
