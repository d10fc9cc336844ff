"""The embedded store: one SQLite file, so the bot runs on a laptop with nothing else installed.

Every write is committed before the engine answers (WAL journal, synchronous=NORMAL is durable
against a killed process; FULL would also survive a power cut at a measured cost).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.case import Case
from bot.core.conversation import ConversationState

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

    async def close(self) -> None:
        self._db.close()
