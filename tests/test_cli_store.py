"""`triage store rehash`, run as the real command on an embedded store (the store contract tests
`rehash` itself on SQLite, Redis and a Redis Cluster)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from bot.core.clock import PARIS
from bot.core.conversation import ConversationState
from bot.storage.crypto import FieldCipher
from bot.storage.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[1]
KEY = FieldCipher.generate_key()
CONVERSATION = "sms:+33612345678"
NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=PARIS)


def rehash(db: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STORE_URL": f"sqlite:///{db}", "STORE_ENCRYPTION_KEYS": KEY, "LOG_LEVEL": "ERROR"}
    env.pop("STORE_HASH_KEY", None)
    env.pop("STORE_PREVIOUS_HASH_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "store", "rehash"],
        cwd=REPO,
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_rehash_moves_the_store_to_the_new_hash_key(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    old = SqliteStore(db, cipher=FieldCipher([KEY]), hash_key=b"old secret")
    state = ConversationState(id=CONVERSATION, channel="sms", created_at=NOW, updated_at=NOW)
    await old.save_conversation(state)
    await old.close()

    done = rehash(db, STORE_HASH_KEY="new secret", STORE_PREVIOUS_HASH_KEY="old secret")
    assert done.returncode == 0, done.stderr
    assert "1 entries moved" in done.stdout
    assert "612345678" not in done.stdout + done.stderr

    new = SqliteStore(db, cipher=FieldCipher([KEY]), hash_key=b"new secret")
    try:
        found = await new.load_conversation(CONVERSATION)
        assert found is not None and found.id == CONVERSATION
    finally:
        await new.close()


def test_rehash_refuses_without_two_different_keys(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    for settings in (
        {"STORE_HASH_KEY": "new secret"},
        {"STORE_PREVIOUS_HASH_KEY": "old secret"},
        {"STORE_HASH_KEY": "same", "STORE_PREVIOUS_HASH_KEY": "same"},
    ):
        done = rehash(db, **settings)
        assert done.returncode == 2, settings
        assert "STORE_PREVIOUS_HASH_KEY" in done.stderr
    assert not db.exists(), "nothing was opened, nothing was created"
