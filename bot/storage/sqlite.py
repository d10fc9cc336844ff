"""The embedded store: one SQLite file, so the bot runs on a laptop with nothing else installed.

Every write is committed before the engine answers (WAL journal, synchronous=NORMAL is durable
against a killed process; FULL would also survive a power cut at a measured cost).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.core.case import Case
from bot.core.conversation import ConversationState
from bot.core.ports import Timer


def _utc(moment: dt.datetime) -> str:
    """Timers compare as text: one fixed-width UTC form keeps the order right."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_conversation ON cases (conversation_id);
CREATE INDEX IF NOT EXISTS cases_by_status ON cases (status);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS timers (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    due_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS timers_by_due ON timers (due_at);
"""


class SqliteStore:
    """Conversation states and cases in SQLite. Calls are short and local, so they run inline."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Erased data must not linger in free pages of the file.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(SCHEMA)

    async def load_conversation(self, conversation_id: str) -> ConversationState | None:
        row = self._db.execute("SELECT state FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return ConversationState.model_validate_json(row[0]) if row else None

    async def save_conversation(self, state: ConversationState) -> None:
        self._db.execute(
            "INSERT INTO conversations (id, state, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (state.id, state.model_dump_json(), state.updated_at.isoformat()),
        )

    async def erase_conversation(self, conversation_id: str) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            self._db.execute("DELETE FROM cases WHERE conversation_id = ?", (conversation_id,))

    async def save_case(self, case: Case) -> None:
        self._db.execute(
            "INSERT INTO cases (id, conversation_id, status, data, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (
                case.id,
                case.conversation_id,
                case.status,
                case.model_dump_json(),
                case.created_at.isoformat(),
                case.updated_at.isoformat(),
            ),
        )

    async def get_case(self, case_id: str) -> Case | None:
        row = self._db.execute("SELECT data FROM cases WHERE id = ?", (case_id,)).fetchone()
        return Case.model_validate_json(row[0]) if row else None

    async def cases_for_conversation(self, conversation_id: str) -> list[Case]:
        rows = self._db.execute(
            "SELECT data FROM cases WHERE conversation_id = ? ORDER BY created_at", (conversation_id,)
        ).fetchall()
        return [Case.model_validate_json(row[0]) for row in rows]

    # -- records and timers (RecordStore) ------------------------------------------------------

    async def put_record(self, kind: str, key: str, record: Mapping[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET data = excluded.data",
            (kind, key, json.dumps(record, ensure_ascii=False, default=str)),
        )

    async def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM records WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return dict(json.loads(row[0])) if row else None

    async def delete_record(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))

    async def list_records(self, kind: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT data FROM records WHERE kind = ? ORDER BY key", (kind,)).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    async def schedule_timer(self, kind: str, key: str, due_at: dt.datetime) -> None:
        self._db.execute(
            "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET due_at = excluded.due_at",
            (kind, key, _utc(due_at)),
        )

    async def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        rows = self._db.execute(
            "SELECT kind, key, due_at FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?",
            (_utc(now), limit),
        ).fetchall()
        return [Timer(kind, key, dt.datetime.fromisoformat(due)) for kind, key, due in rows]

    async def claim_timer(self, timer: Timer) -> bool:
        cursor = self._db.execute(
            "DELETE FROM timers WHERE kind = ? AND key = ? AND due_at = ?",
            (timer.kind, timer.key, _utc(timer.due_at)),
        )
        return cursor.rowcount == 1

    async def cancel_timer(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM timers WHERE kind = ? AND key = ?", (kind, key))

    async def close(self) -> None:
        self._db.close()
