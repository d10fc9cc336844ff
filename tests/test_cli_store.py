"""`triage store rehash`, run as the real command on an embedded store (the store contract tests
`rehash` itself on SQLite, Redis and a Redis Cluster)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from actions.desk import RECORD_ADDRESS, RECORD_CONTACT, address_hash, replace_roster
from actions.volunteers import load_volunteers
from bot.app import desk_address_key
from bot.core.clock import PARIS
from bot.core.conversation import ConversationState
from bot.core.messages import Address
from bot.settings import Settings
from bot.storage.crypto import FieldCipher
from bot.storage.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[1]
DEMO_ROSTER = REPO / "data" / "demo" / "volunteers.csv"
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


def address_key(secret: str) -> bytes:
    key = desk_address_key(Settings(store_hash_key=SecretStr(secret)))
    assert key is not None
    return key


async def volunteer_for(store: SqliteStore, secret: str, sender: Address) -> str | None:
    """The desk's lookup of who writes (`HandoffDesk.volunteer_for`), with the key of `secret`."""
    binding = await store.get_record(RECORD_ADDRESS, address_hash(address_key(secret), sender))
    return None if binding is None else str(binding["volunteer_id"])


async def test_rehash_moves_the_store_and_the_volunteers_to_the_new_hash_key(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    old = SqliteStore(db, cipher=FieldCipher([KEY]), hash_key=b"old secret")
    state = ConversationState(id=CONVERSATION, channel="sms", created_at=NOW, updated_at=NOW)
    await old.save_conversation(state)
    await replace_roster(old, load_volunteers(DEMO_ROSTER), address_key("old secret"))
    registered = Address(channel="telegram", recipient="555000111")  # as a registration leaves it
    await old.put_record(
        RECORD_CONTACT,
        "demo-93-01",
        {"volunteer_id": "demo-93-01", "addresses": [{"channel": "telegram", "recipient": "555000111"}]},
    )
    from_roster = Address(channel="sms", recipient="+33600000002")
    await old.close()

    done = rehash(db, STORE_HASH_KEY="new secret", STORE_PREVIOUS_HASH_KEY="old secret")
    assert done.returncode == 0, done.stderr
    assert "entries moved" in done.stdout  # the conversation, the roster's records, the rest
    assert "volunteer addresses bound again" in done.stdout
    assert "612345678" not in done.stdout + done.stderr

    new = SqliteStore(db, cipher=FieldCipher([KEY]), hash_key=b"new secret")
    try:
        found = await new.load_conversation(CONVERSATION)
        assert found is not None and found.id == CONVERSATION
        assert await volunteer_for(new, "new secret", from_roster) == "demo-paris-02"
        assert await volunteer_for(new, "new secret", registered) == "demo-93-01"
        assert await volunteer_for(new, "old secret", from_roster) is None
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


async def test_purge_deletes_the_phone_numbers_of_conversations_gone(tmp_path: Path) -> None:
    """A conversation the store purges or lets expire runs no erase action: the number the person
    gave must not outlive it (`triage store purge`, daily); one still going keeps it."""
    from actions.contacts import CONTACT_KIND, contact_key, remember_phone

    db = tmp_path / "purge.db"
    store = SqliteStore(db, cipher=FieldCipher([KEY]))
    now = dt.datetime.now(dt.UTC)
    await remember_phone(store, "telegram:1", "0612345678", now=now - dt.timedelta(days=91))
    await remember_phone(store, "telegram:2", "0698765432", now=now - dt.timedelta(days=400))
    going = ConversationState(id="telegram:2", channel="telegram", created_at=now, updated_at=now)
    going.status = "handed_off"
    await store.save_conversation(going)  # still writing to their volunteer, a year on
    await store.close()

    env = {**os.environ, "STORE_URL": f"sqlite:///{db}", "STORE_ENCRYPTION_KEYS": KEY, "LOG_LEVEL": "ERROR"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "store", "purge"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "1 phone number(s)" in done.stdout

    store = SqliteStore(db, cipher=FieldCipher([KEY]))
    assert await store.get_record(CONTACT_KIND, contact_key("telegram:1")) is None
    kept = await store.get_record(CONTACT_KIND, contact_key("telegram:2"))
    assert kept is not None and kept["phone"] == "+33698765432"
    await store.close()


async def test_purge_says_which_step_failed_and_exits_1(tmp_path: Path) -> None:
    """A number kept under a key since dropped: the rest is purged, the failure is told."""
    from actions.contacts import remember_phone

    db = tmp_path / "purge.db"
    store = SqliteStore(db, cipher=FieldCipher([FieldCipher.generate_key()]))
    await remember_phone(store, "telegram:1", "0612345678")
    await store.close()

    env = {
        **os.environ,
        "STORE_URL": f"sqlite:///{db}",
        "STORE_ENCRYPTION_KEYS": KEY,
        "LOG_LEVEL": "CRITICAL",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "store", "purge"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED: phone numbers" in done.stdout
    assert "0 abandoned conversation(s) erased" in done.stdout
    assert "0612345678" not in done.stdout + done.stderr
