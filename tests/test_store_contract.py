"""One contract for every store: SQLite (a temporary file), a real Redis at 127.0.0.1:6379, and a
real Redis Cluster of three primaries (tests/redis_cluster.py, the `cluster_url` fixture).

Redis tests use database 15 and a key prefix unique to the test; they delete only their own keys.
They fail (not skip) when no Redis answers or no cluster can be started: CI installs and starts them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.channels.sms import SmsLedger
from bot.channels.webchat import WebChatMailbox, mailbox_key, purge_web_messages
from bot.core.case import DESK_PART, TRIAGE_PART, Case, Slots, UrgencyDecision
from bot.core.clock import PARIS, FixedClock
from bot.core.conversation import ConversationState
from bot.core.messages import Address, Option, Reply
from bot.core.ports import CaseErased, Timer
from bot.retention import RetentionReport, RetentionSchedule, apply_retention
from bot.storage import Retention, Store, open_store
from bot.storage.crypto import FieldCipher, StoreKeyError, keyed_hash
from bot.storage.redis import RedisStore
from bot.storage.sqlite import SqliteStore

REDIS_URL = "redis://127.0.0.1:6379/15"
TODAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
KEY_A = FieldCipher.generate_key()
KEY_B = FieldCipher.generate_key()
HASH_KEY = b"contract-test-hash-key"

PHONE = "+33612345678"
CONVERSATION = f"sms:{PHONE}"
NOTE = "Je suis Fatima Benali, mon employeur menace de me licencier"


class Backend:
    """Opens stores over one place (a SQLite file or a Redis prefix), with any keys."""

    def __init__(self, kind: str, tmp_path: Path, redis: Redis | None, url: str = REDIS_URL) -> None:
        self.kind = kind
        self.url = url
        self.path = tmp_path / "store.db"
        self.prefix = f"triage-test-{uuid.uuid4().hex[:12]}"
        self.redis = redis
        self.opened: list[Store] = []

    def open(
        self,
        keys: tuple[str, ...] = (KEY_A,),
        hash_key: bytes = HASH_KEY,
        retention: Retention | None = None,
        lock_wait_seconds: float = 5.0,
    ) -> Store:
        options: dict[str, Any] = {
            "cipher": FieldCipher(keys),
            "hash_key": hash_key,
            "retention": retention or Retention(),
            "lock_wait_seconds": lock_wait_seconds,
        }
        store: Store
        if self.kind == "sqlite":
            store = SqliteStore(self.path, **options)
        else:
            store = RedisStore.from_url(self.url, prefix=self.prefix, **options)
        self.opened.append(store)
        return store

    async def key_names(self) -> list[str]:
        """Every name a lookup goes through: Redis keys and hash fields, SQLite key columns."""
        if self.redis is None:
            db = sqlite3.connect(self.path)
            try:
                names = [row[0] for row in db.execute("SELECT id FROM conversations")]
                names += [row[0] for row in db.execute("SELECT conversation_id FROM cases")]
                names += [row[0] for row in db.execute("SELECT key FROM records")]
                names += [row[0] for row in db.execute("SELECT key FROM timers")]
            finally:
                db.close()
            return names
        names = []
        async for key in self.redis.scan_iter(match=f"{self.prefix}:*"):
            names.append(key.decode())
            if await self.redis.type(key) == b"hash":
                names += [
                    field.decode() if isinstance(field, bytes) else field
                    for field in await self.redis.hkeys(key)
                ]
        return names

    async def raw_bytes(self) -> bytes:
        """Everything stored, as the disk or the Redis server holds it."""
        if self.redis is None:
            files = [self.path, self.path.with_name(self.path.name + "-wal")]
            return b"".join(file.read_bytes() for file in files if file.exists())
        chunks: list[Any] = []  # bytes: the client does not decode responses
        async for key in self.redis.scan_iter(match=f"{self.prefix}:*"):
            chunks.append(key)
            kind = await self.redis.type(key)
            if kind == b"string":
                chunks.append(await self.redis.get(key) or b"")
            elif kind == b"hash":
                for field, value in (await self.redis.hgetall(key)).items():
                    chunks += [field, value]
            elif kind == b"set":
                chunks += list(await self.redis.smembers(key))
            elif kind == b"zset":
                chunks += list(await self.redis.zrange(key, 0, -1))
        return b"\n".join(chunks)

    async def cleanup(self) -> None:
        for store in self.opened:
            await store.close()
        if self.redis is not None:
            keys = [key async for key in self.redis.scan_iter(match=f"{self.prefix}:*")]
            if keys:
                await self.redis.delete(*keys)
            await self.redis.aclose()


async def _redis() -> Redis:
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await redis.ping()
    except (RedisConnectionError, OSError) as exc:
        await redis.aclose()
        pytest.fail(
            f"no Redis answers at {REDIS_URL} ({exc}): the store contract needs a real Redis; "
            "start one with `redis-server --port 6379 --save '' --appendonly no`"
        )
    return redis


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "redis-cluster":
        url: str = request.getfixturevalue("cluster_url")
        # The inspecting client (scan, type, get...) is a cluster client too: it visits every node.
        inspector = RedisCluster.from_url(url.replace("redis+cluster://", "redis://"))
        found = Backend(request.param, tmp_path, cast(Redis, inspector), url)
    else:
        found = Backend(request.param, tmp_path, await _redis() if request.param == "redis" else None)
    yield found
    await found.cleanup()


@pytest.fixture
async def redis_backend(tmp_path: Path) -> AsyncIterator[Backend]:
    found = Backend("redis", tmp_path, await _redis())
    yield found
    await found.cleanup()


def state(
    conversation_id: str = CONVERSATION, *, at: dt.datetime = TODAY, **fields: Any
) -> ConversationState:
    return ConversationState(id=conversation_id, channel="sms", created_at=at, updated_at=at, **fields)


URGENCY = UrgencyDecision(
    level="P2", rule="R-test", base_level="P2", modifier_applied=False, reason_fr="test", reason="test"
)


def case(
    case_id: str, conversation_id: str = CONVERSATION, *, at: dt.datetime = TODAY, **fields: Any
) -> Case:
    slots = Slots(
        prefecture="93", commune="Bobigny", document="OTHER", document_text="carte verte", note=NOTE
    )
    return Case(
        id=case_id,
        conversation_id=conversation_id,
        channel="sms",
        slots=slots,
        urgency=URGENCY,
        created_at=at,
        updated_at=at,
        **fields,
    )


# -- conversations and cases ---------------------------------------------------------------------


async def test_conversation_round_trip(backend: Backend) -> None:
    store = backend.open()
    assert await store.load_conversation(CONVERSATION) is None
    first = state(slots=Slots(note=NOTE, prefecture="93"), asking="document")
    await store.save_conversation(first)
    assert await store.load_conversation(CONVERSATION) == first
    second = first.model_copy(update={"asking": "expiry_date", "updated_at": TODAY + dt.timedelta(minutes=1)})
    await store.save_conversation(second)
    assert await store.load_conversation(CONVERSATION) == second
    # Another instance (another worker) sees the same data.
    assert await backend.open().load_conversation(CONVERSATION) == second


async def test_cases_belong_to_their_conversation_and_erase_removes_them(backend: Backend) -> None:
    store = backend.open()
    other = "telegram:4242"
    await store.save_conversation(state())
    await store.save_conversation(state(other))
    later = case("case-2", at=TODAY + dt.timedelta(hours=1))
    earlier = case("case-1")
    await store.save_case(later)
    await store.save_case(earlier)
    await store.save_case(case("case-3", other))
    assert [c.id for c in await store.cases_for_conversation(CONVERSATION)] == ["case-1", "case-2"]
    assert await store.get_case("case-2") == later
    updated = later.model_copy(update={"status": "accepted"})
    await store.save_case(updated)
    assert await store.get_case("case-2") == updated

    await store.erase_conversation(CONVERSATION)

    assert await store.load_conversation(CONVERSATION) is None
    assert await store.cases_for_conversation(CONVERSATION) == []
    assert await store.get_case("case-1") is None
    assert await store.get_case("case-2") is None
    assert await store.load_conversation(other) is not None
    assert [c.id for c in await store.cases_for_conversation(other)] == ["case-3"]
    assert await store.get_case("missing") is None


# -- records and timers ---------------------------------------------------------------------------


async def test_records_put_get_list_delete(backend: Backend) -> None:
    store = backend.open()
    await store.put_record("volunteer", "v2", {"name": "Bob", "langs": ["fr"]})
    await store.put_record("volunteer", "v1", {"name": "Alice", "phone": PHONE})
    await store.put_record("offer", "v1", {"case": "c1"})
    assert await store.get_record("volunteer", "v1") == {"name": "Alice", "phone": PHONE}
    assert [r["name"] for r in await store.list_records("volunteer")] == ["Alice", "Bob"]
    assert await store.record_items("volunteer") == [
        ("v1", {"name": "Alice", "phone": PHONE}),
        ("v2", {"name": "Bob", "langs": ["fr"]}),
    ]  # the key as given, though the store files the record under its hash
    await store.put_record("volunteer", "v1", {"name": "Alice B."})
    assert await store.get_record("volunteer", "v1") == {"name": "Alice B."}
    await store.delete_record("volunteer", "v1")
    assert await store.get_record("volunteer", "v1") is None
    assert await store.list_records("volunteer") == [{"name": "Bob", "langs": ["fr"]}]
    assert await store.list_records("offer") == [{"case": "c1"}]
    assert await store.list_records("nothing") == []


async def test_sets_add_remove_count_and_list(backend: Backend) -> None:
    store = backend.open()
    await store.add_to_set("held", "v1", "CASE01")
    await store.add_to_set("held", "v1", "CASE02")
    await store.add_to_set("held", "v1", "CASE02")  # twice: still one member
    await store.add_to_set("held", "v2", "CASE03")
    await store.add_to_set("offered", "v1", "CASE09")
    assert await store.set_members("held", "v1") == {"CASE01", "CASE02"}
    assert await store.set_sizes("held", ["v1", "v2", "v3"]) == {"v1": 2, "v2": 1, "v3": 0}
    await store.remove_from_set("held", "v2", "CASE03")
    await store.remove_from_set("held", "v2", "CASE03")  # twice: harmless
    await store.remove_from_set("held", "v1", "NOPE")
    assert await store.set_members("held", "v2") == set()
    assert await store.all_sets("held") == {"v1": {"CASE01", "CASE02"}}
    assert await store.all_sets("offered") == {"v1": {"CASE09"}}
    assert await store.all_sets("nothing") == {}
    assert await store.set_sizes("held", []) == {}
    # The index survives a reopening (another process sees it).
    assert await backend.open().set_members("held", "v1") == {"CASE01", "CASE02"}


async def test_timers_schedule_move_due_claim_cancel(backend: Backend) -> None:
    store = backend.open()
    now = TODAY.astimezone(dt.UTC)
    await store.schedule_timer("offer", "case-1", now + dt.timedelta(minutes=15))
    await store.schedule_timer("reminder", CONVERSATION, now + dt.timedelta(minutes=5, microseconds=123457))
    await store.schedule_timer("offer", "case-2", now + dt.timedelta(days=1))
    assert await store.due_timers(now) == []
    due = await store.due_timers(now + dt.timedelta(minutes=20))
    assert [(t.kind, t.key) for t in due] == [("reminder", CONVERSATION), ("offer", "case-1")]
    assert due[0].due_at == now + dt.timedelta(minutes=5, microseconds=123457)
    assert await store.due_timers(now + dt.timedelta(minutes=20), limit=1) == due[:1]

    # Moving a timer makes the old sighting unclaimable.
    await store.schedule_timer("offer", "case-1", now + dt.timedelta(hours=2))
    assert not await store.claim_timer(due[1])
    assert await store.claim_timer(due[0])
    assert not await store.claim_timer(due[0])
    moved = await store.due_timers(now + dt.timedelta(hours=3))
    assert moved == [Timer("offer", "case-1", now + dt.timedelta(hours=2))]

    await store.cancel_timer("offer", "case-1")
    assert await store.due_timers(now + dt.timedelta(hours=3)) == []
    assert [t.key for t in await store.due_timers(now + dt.timedelta(days=2))] == ["case-2"]


async def test_two_workers_claim_each_timer_exactly_once(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    now = TODAY.astimezone(dt.UTC)
    for number in range(20):
        await first.schedule_timer("offer", f"case-{number}", now)
    due = await first.due_timers(now)
    assert len(due) == 20
    assert await second.due_timers(now) == due
    wins = await asyncio.gather(*(store.claim_timer(timer) for timer in due for store in (first, second)))
    assert sum(wins) == 20
    assert all(a != b for a, b in zip(wins[::2], wins[1::2], strict=True))
    assert await first.due_timers(now) == []


# -- concurrency ------------------------------------------------------------------------------------


async def test_a_burst_of_turns_waits_for_connections_instead_of_failing(backend: Backend) -> None:
    # More turns at once than the Redis client's connections (50): callers wait for one. The
    # cluster client failed these with MaxConnectionsError before it was made to wait too.
    store = backend.open()
    people = [f"telegram:{700_000 + number}" for number in range(300)]

    async def turn(conversation_id: str) -> None:
        async with store.conversation_lock(conversation_id):
            loaded = await store.load_conversation(conversation_id)
            await store.save_conversation(loaded or state(conversation_id))

    await asyncio.gather(*(turn(person) for person in people))
    loaded = await asyncio.gather(*(store.load_conversation(person) for person in people))
    assert [found.id if found else None for found in loaded] == people


async def test_conversation_lock_is_mutually_exclusive(backend: Backend) -> None:
    workers = [backend.open(), backend.open()]
    events: list[str] = []

    async def work(store: Store, name: str) -> None:
        async with store.conversation_lock(CONVERSATION):
            events.append(f"{name} in")
            await asyncio.sleep(0.05)
            events.append(f"{name} out")

    await asyncio.gather(work(workers[0], "a"), work(workers[1], "b"), work(workers[0], "c"))
    for start in range(0, 6, 2):
        assert events[start].endswith(" in")
        assert events[start + 1] == events[start].replace(" in", " out")

    # Another conversation is not blocked; a held lock times out the waiter.
    impatient = backend.open(lock_wait_seconds=0.2)
    async with workers[0].conversation_lock(CONVERSATION):
        async with workers[1].conversation_lock("telegram:1"):
            pass
        with pytest.raises(TimeoutError):
            async with impatient.conversation_lock(CONVERSATION):
                pass
    async with impatient.conversation_lock(CONVERSATION):
        pass


async def test_a_load_under_the_lock_sees_the_latest_save(backend: Backend) -> None:
    # Redis reads the state with the lock, in one round trip: that copy must never be stale.
    store, other = backend.open(), backend.open()
    await store.save_conversation(state(slots=Slots(prefecture="93")))
    async with store.conversation_lock(CONVERSATION):
        loaded = await store.load_conversation(CONVERSATION)
        assert loaded is not None and loaded.slots.prefecture == "93"
        await store.save_conversation(state(slots=Slots(prefecture="75")))
        again = await store.load_conversation(CONVERSATION)
        assert again is not None and again.slots.prefecture == "75"
    await other.save_conversation(state(slots=Slots(prefecture="13")))  # another process, unlocked
    async with store.conversation_lock(CONVERSATION):
        await store.save_conversation(state(slots=Slots(prefecture="34")))  # saved before any load
        loaded = await store.load_conversation(CONVERSATION)
        assert loaded is not None and loaded.slots.prefecture == "34"
    assert (await store.load_conversation(CONVERSATION) or state()).slots.prefecture == "34"
    async with store.conversation_lock("telegram:new"):
        assert await store.load_conversation("telegram:new") is None
        await store.save_conversation(state("telegram:new"))
        assert await store.load_conversation("telegram:new") is not None


async def test_a_turn_saved_under_the_lock_is_seen_by_others_once_released(backend: Backend) -> None:
    # Redis writes a turn's state with the release of its lock, in one round trip.
    store, other = backend.open(), backend.open()
    async with store.conversation_lock(CONVERSATION):
        await store.save_conversation(state(slots=Slots(prefecture="93")))
    seen = await other.load_conversation(CONVERSATION)
    assert seen is not None and seen.slots.prefecture == "93"
    # A failure after the save: the save still counts, as it always did.
    with pytest.raises(RuntimeError):
        async with store.conversation_lock(CONVERSATION):
            await store.save_conversation(state(slots=Slots(prefecture="75")))
            raise RuntimeError("the turn failed after saving")
    seen = await other.load_conversation(CONVERSATION)
    assert seen is not None and seen.slots.prefecture == "75"
    # Erased after a save in the same turn: nothing comes back at the release.
    async with store.conversation_lock(CONVERSATION):
        await store.save_conversation(state(slots=Slots(prefecture="13")))
        await store.erase_conversation(CONVERSATION)
        assert await store.load_conversation(CONVERSATION) is None
    assert await other.load_conversation(CONVERSATION) is None
    assert await store.load_conversation(CONVERSATION) is None


async def test_seen_before_deduplicates_deliveries(backend: Backend) -> None:
    store, other = backend.open(), backend.open()
    assert not await store.seen_before("whatsapp", "wamid.A", 60)
    assert await other.seen_before("whatsapp", "wamid.A", 60)
    assert await store.seen_before("whatsapp", "wamid.A", 60)
    assert not await store.seen_before("telegram", "wamid.A", 60)
    assert not await store.seen_before("sms", "k1", 1)
    await asyncio.sleep(1.1)
    assert not await store.seen_before("sms", "k1", 1)


# -- personal data at rest --------------------------------------------------------------------------


async def _write_personal_data(store: Store) -> None:
    await store.save_conversation(state(slots=Slots(note=NOTE, commune="Bobigny")))
    await store.save_case(case("case-1"))
    await store.put_record("contact", CONVERSATION, {"phone": PHONE, "note": NOTE})
    await store.schedule_timer("reminder", CONVERSATION, TODAY)


async def test_personal_data_is_encrypted_at_rest(backend: Backend) -> None:
    store = backend.open()
    await _write_personal_data(store)
    raw = await backend.raw_bytes()
    assert raw  # the dump sees the data
    for secret in ("612345678", "Benali", "licencier", "carte verte"):
        assert secret.encode() not in raw, secret
    assert await store.get_record("contact", CONVERSATION) == {"phone": PHONE, "note": NOTE}


async def test_without_keys_data_is_in_clear(backend: Backend) -> None:
    """The demo mode, and proof that the dump above would have seen plaintext."""
    store = backend.open(keys=())
    await _write_personal_data(store)
    assert b"Benali" in await backend.raw_bytes()
    assert (await store.load_conversation(CONVERSATION)) is not None


async def test_no_phone_number_in_key_names(backend: Backend) -> None:
    store = backend.open()
    await _write_personal_data(store)
    names = await backend.key_names()
    assert names
    assert not [name for name in names if "612345678" in name or "4242" in name]
    # Lookups go through the keyed hash: another hash key finds nothing.
    assert await backend.open(hash_key=b"another key").load_conversation(CONVERSATION) is None


async def test_key_rotation(backend: Backend) -> None:
    old = backend.open(keys=(KEY_A,))
    await _write_personal_data(old)
    expected = await old.load_conversation(CONVERSATION)

    both = backend.open(keys=(KEY_B, KEY_A))
    assert await both.load_conversation(CONVERSATION) == expected
    rewritten = await both.rotate_keys()
    assert rewritten == 4  # state, case, record, timer key
    assert await both.rotate_keys() == 0

    new = backend.open(keys=(KEY_B,))
    assert await new.load_conversation(CONVERSATION) == expected
    assert [c.id for c in await new.cases_for_conversation(CONVERSATION)] == ["case-1"]
    assert await new.get_record("contact", CONVERSATION) == {"phone": PHONE, "note": NOTE}
    assert [t.key for t in await new.due_timers(TODAY)] == [CONVERSATION]
    with pytest.raises(StoreKeyError):
        await backend.open(keys=(KEY_A,)).load_conversation(CONVERSATION)


async def test_rehash_moves_everything_to_the_new_hash_key(backend: Backend) -> None:
    old_key, new_key = b"hash key of last year", b"hash key of this year"
    old = backend.open(hash_key=old_key, retention=Retention(abandoned_after=dt.timedelta(days=30)))
    await _write_personal_data(old)
    expected = await old.load_conversation(CONVERSATION)
    old_names = set(await backend.key_names())

    new = backend.open(hash_key=new_key, retention=Retention(abandoned_after=dt.timedelta(days=30)))
    assert await new.load_conversation(CONVERSATION) is None, "another hash key finds nothing"
    assert await new.rehash(old_key) == 4  # state, case, record, timer
    assert await new.rehash(old_key) == 0, "a second run moves nothing"
    assert await new.rehash(new_key) == 0

    assert await new.load_conversation(CONVERSATION) == expected
    assert [c.id for c in await new.cases_for_conversation(CONVERSATION)] == ["case-1"]
    assert await new.get_case("case-1") == case("case-1")
    assert await new.get_record("contact", CONVERSATION) == {"phone": PHONE, "note": NOTE}
    [timer] = await new.due_timers(TODAY)
    assert (timer.kind, timer.key) == ("reminder", CONVERSATION)
    assert await new.claim_timer(timer)
    async with new.conversation_lock(CONVERSATION):
        pass
    assert await old.load_conversation(CONVERSATION) is None, "nothing left under the old hashes"
    assert await old.get_record("contact", CONVERSATION) is None
    old_hashes = {keyed_hash(CONVERSATION, old_key), keyed_hash(f"reminder\x00{CONVERSATION}", old_key)}
    names = await backend.key_names()
    assert not [name for name in names if any(hashed in name for hashed in old_hashes)], names
    assert set(names) != old_names
    # The retention index moved too: the abandoned conversation is found and erased by the new key.
    report = await new.purge(TODAY + dt.timedelta(days=31))
    assert report.conversations_erased == 1
    assert await new.cases_for_conversation(CONVERSATION) == []


async def test_rehash_after_the_service_ran_with_the_new_key_keeps_the_newer_state_and_all_cases(
    backend: Backend,
) -> None:
    old_key, new_key = b"hash key of last year", b"hash key of this year"
    old, new = backend.open(hash_key=old_key), backend.open(hash_key=new_key)
    await old.save_conversation(state(slots=Slots(commune="Bobigny")))
    await old.save_case(case("case-1"))
    later = TODAY + dt.timedelta(hours=1)
    await new.save_conversation(state(at=later, slots=Slots(commune="Lyon")))  # the person wrote again
    await new.save_case(case("case-2", at=later))
    await new.rehash(old_key)
    kept = await new.load_conversation(CONVERSATION)
    assert kept is not None and kept.slots.commune == "Lyon", "the newer state stays"
    assert [c.id for c in await new.cases_for_conversation(CONVERSATION)] == ["case-1", "case-2"]
    assert await new.get_case("case-1") == case("case-1")
    assert await old.load_conversation(CONVERSATION) is None


async def test_rehash_keeps_what_the_service_changed_under_the_new_key(backend: Backend) -> None:
    """The service ran with the new key before the rehash: a case closed, another anonymised, a
    record and a timer written again. The rehash must not bring the old copies back."""
    old_key, new_key = b"hash key of last year", b"hash key of this year"
    old = backend.open(hash_key=old_key)
    await old.save_conversation(state())
    for case_id in ("case-1", "case-3"):
        await old.save_case(case(case_id))
    await old.put_record("contact", CONVERSATION, {"phone": PHONE, "version": 1})
    await old.schedule_timer("reminder", CONVERSATION, TODAY)

    retention = Retention(closed_after=dt.timedelta(days=1))
    new = backend.open(hash_key=new_key, retention=retention)
    later = TODAY + dt.timedelta(hours=1)
    await new.save_case(case("case-1", at=later, status="closed"))  # found by id, closed
    await new.save_case(case("case-3", status="closed"))
    report = await new.purge(TODAY + dt.timedelta(days=1, minutes=30))
    assert report.cases_anonymised == 1  # case-3, closed for over a day
    await new.put_record("contact", CONVERSATION, {"phone": PHONE, "version": 2})
    await new.schedule_timer("reminder", CONVERSATION, TODAY + dt.timedelta(days=1))

    await new.rehash(old_key)
    closed = await new.get_case("case-1")
    assert closed is not None and closed.status == "closed", "not the old open copy"
    cut = await new.get_case("case-3")
    assert cut is not None and cut.conversation_id == "" and cut.slots.note is None, "stays anonymised"
    assert [c.id for c in await new.cases_for_conversation(CONVERSATION)] == ["case-1"]
    names = await backend.key_names()
    assert not [name for name in names if "{c:" in name and name.endswith("case:case-3")], "no old copy"
    assert await new.get_record("contact", CONVERSATION) == {"phone": PHONE, "version": 2}
    [timer] = await new.due_timers(TODAY + dt.timedelta(days=2))
    assert timer.due_at == TODAY + dt.timedelta(days=1)


async def test_rehash_does_not_bring_back_a_case_erased_under_the_new_key(backend: Backend) -> None:
    old_key, new_key = b"hash key of last year", b"hash key of this year"
    old, new = backend.open(hash_key=old_key), backend.open(hash_key=new_key)
    await old.save_conversation(state())
    await old.save_case(case("case-1"))
    await new.save_case(case("case-1"))  # the service, on the new key, found it by id...
    await new.erase_conversation(CONVERSATION)  # ...and the person asked to erase everything
    await new.rehash(old_key)
    assert await new.get_case("case-1") is None
    assert await new.cases_for_conversation(CONVERSATION) == []


async def test_rehash_started_again_after_an_interruption_finishes_the_move(redis_backend: Backend) -> None:
    """What a crash half-way leaves: every key of the conversation copied to the new hash, some
    of the old ones deleted (state, set of cases) and others not, the pointers still old."""
    backend = redis_backend
    assert backend.redis is not None
    old_key, new_key = b"hash key of last year", b"hash key of this year"
    old = backend.open(hash_key=old_key)
    await _write_personal_data(old)
    await old.save_case(case("case-2"))
    old_hash, new_hash = keyed_hash(CONVERSATION, old_key), keyed_hash(CONVERSATION, new_key)
    async for raw in backend.redis.scan_iter(match=f"{backend.prefix}:{{c:{old_hash}}}:*"):
        dumped = await backend.redis.dump(raw)
        assert dumped is not None
        await backend.redis.restore(raw.decode().replace(old_hash, new_hash), 0, dumped, replace=True)
    for suffix in ("state", "cases"):
        await backend.redis.delete(f"{backend.prefix}:{{c:{old_hash}}}:{suffix}")

    new = backend.open(hash_key=new_key)
    await new.rehash(old_key)
    assert [c.id for c in await new.cases_for_conversation(CONVERSATION)] == ["case-1", "case-2"]
    assert await new.get_case("case-1") == case("case-1"), "the pointers follow"
    assert await new.get_case("case-2") == case("case-2")
    names = await backend.key_names()
    assert not [name for name in names if old_hash in name]
    assert await new.rehash(old_key) == 0


async def test_rotation_encrypts_data_written_in_clear(backend: Backend) -> None:
    await _write_personal_data(backend.open(keys=()))
    store = backend.open(keys=(KEY_A,))
    assert await store.get_case("case-1") == case("case-1")
    assert await store.rotate_keys() == 4
    assert b"Benali" not in await backend.raw_bytes()
    assert await store.get_case("case-1") == case("case-1")


async def test_a_case_read_before_an_erasure_is_not_written_back_after_it(backend: Backend) -> None:
    """The desk reads a case, the person erases everything, the desk saves its copy (an offer):
    the case must not come back."""
    store = backend.open()
    await store.save_conversation(state())
    read_by_the_desk = case("case-1")
    await store.save_case(read_by_the_desk)
    await store.erase_conversation(CONVERSATION)
    with pytest.raises(CaseErased):  # the desk must stop what it was doing with the case
        await store.save_case(read_by_the_desk.model_copy(update={"status": "offered"}))
    assert await store.get_case("case-1") is None
    assert await store.cases_for_conversation(CONVERSATION) == []
    # Nothing of it but its erasure mark (opaque ids, gone after a day on Redis).
    assert not [name for name in await backend.key_names() if "case-1" in name and ":erased:" not in name]
    # The same person coming back later gets new cases saved as usual.
    await store.save_conversation(state())
    await store.save_case(case("case-2"))
    assert [c.id for c in await store.cases_for_conversation(CONVERSATION)] == ["case-2"]


async def test_concurrent_updates_of_one_case_lose_nothing(backend: Backend) -> None:
    """Two processes change one case at once (the person's turn, the desk, the fallback): every
    change is kept. A plain read-then-write loses most of them on Redis."""
    first, second = backend.open(), backend.open()
    await first.save_conversation(state())
    await first.save_case(case("case-1"))

    def adding(name: str) -> Callable[[Case], Case]:
        return lambda fresh: fresh.model_copy(update={"escalated_to": sorted({*fresh.escalated_to, name})})

    # 80: writers in step need one attempt each for the last of them (one write wins a round),
    # more than CASE_UPDATE_ATTEMPTS; without the random pause between attempts this fails.
    names = [f"v{i:02d}" for i in range(80)]
    await asyncio.gather(
        *((first if i % 2 else second).update_case("case-1", adding(name)) for i, name in enumerate(names))
    )
    stored = await backend.open().get_case("case-1")
    assert stored is not None
    assert stored.escalated_to == names


async def test_a_turn_and_an_acceptance_at_once_keep_both(backend: Backend) -> None:
    """The person adds a fact while a volunteer accepts: the case ends accepted with the fact,
    whichever writes last (each writes only its part of the case)."""
    store, desk_process = backend.open(), backend.open()
    await store.save_conversation(state())
    await store.save_case(case("case-1", status="offered"))
    read_by_the_desk = await desk_process.get_case("case-1")
    assert read_by_the_desk is not None
    accepted = read_by_the_desk.model_copy(update={"status": "accepted", "volunteer_id": "v1"})
    told = read_by_the_desk.model_copy(
        update={"slots": read_by_the_desk.slots.model_copy(update={"removal_order": True})}
    )
    for _ in range(5):
        await asyncio.gather(
            store.update_case("case-1", lambda fresh: fresh.with_part_of(told, TRIAGE_PART)),
            desk_process.update_case("case-1", lambda fresh: fresh.with_part_of(accepted, DESK_PART)),
        )
        stored = await backend.open().get_case("case-1")
        assert stored is not None
        assert (stored.status, stored.volunteer_id, stored.slots.removal_order) == ("accepted", "v1", True)


async def test_update_case_of_a_missing_case_writes_nothing(backend: Backend) -> None:
    store = backend.open()
    await store.save_conversation(state())
    assert await store.update_case("nobody", lambda fresh: fresh) is None
    assert await store.get_case("nobody") is None
    await store.save_case(case("case-1"))
    await store.erase_conversation(CONVERSATION)
    assert await store.update_case("case-1", lambda fresh: fresh) is None
    assert await store.get_case("case-1") is None
    await store.save_conversation(state())
    await store.save_case(case("case-2"))
    with pytest.raises(ValueError):
        await store.update_case("case-2", lambda fresh: fresh.model_copy(update={"id": "case-3"}))
    assert await store.get_case("case-3") is None


async def test_update_case_never_moves_a_case_to_another_conversation(backend: Backend) -> None:
    """An anonymised case stays detached: a late turn of the person cannot put their data back."""
    clock = FixedClock(TODAY)
    store = backend.open(retention=Retention(closed_after=dt.timedelta(days=1)))
    await store.save_conversation(state())
    written = case("case-1", status="closed").model_copy(update={"waiting_messages": ["toujours au CRA"]})
    await store.save_case(written)
    assert (await store.purge(clock.now() + dt.timedelta(days=2))).cases_anonymised == 1
    with pytest.raises(ValueError):
        await store.update_case(
            "case-1", lambda fresh: fresh.model_copy(update={"conversation_id": CONVERSATION})
        )
    anonymous = await store.get_case("case-1")
    assert anonymous is not None and anonymous.conversation_id == "" and anonymous.slots.note is None
    assert anonymous.waiting_messages == []  # what the person wrote goes with the rest
    assert await store.cases_for_conversation(CONVERSATION) == []
    # Changing what it holds in place is allowed (the desk's part).
    updated = await store.update_case(
        "case-1", lambda fresh: fresh.model_copy(update={"outcome": "resolved"})
    )
    assert updated is not None and updated.conversation_id == ""


async def test_delivery_reports_arriving_together_keep_the_most_final_status(backend: Backend) -> None:
    """Kannel reports each part of a long SMS, Twilio "sent" then "delivered" close together:
    read-compare-write must not let one report undo another (found in review on Redis)."""
    store = backend.open()
    ledger = SmsLedger("kannel", store)
    references = []
    for _ in range(8):
        reference = ledger.new_reference()
        await ledger.record("Bonjour", reference)
        references.append(reference)
    await asyncio.gather(
        *(ledger.report(r, "failed", "dlr 2") for r in references[:4]),
        *(ledger.report(r, "delivered", "dlr 1") for r in references[:4]),
        *(ledger.report(r, "sent") for r in references[4:]),
        *(ledger.report(r, "delivered") for r in references[4:]),
    )
    statuses = [(await store.get_record("sms_sent", r) or {}).get("status") for r in references]
    assert statuses == ["failed"] * 4 + ["delivered"] * 4


# -- retention --------------------------------------------------------------------------------------


async def test_purge_erases_abandoned_conversations_and_anonymises_old_closed_cases(backend: Backend) -> None:
    clock = FixedClock(TODAY)
    store = backend.open(retention=Retention(abandoned_after=dt.timedelta(days=30)))
    long_ago = TODAY - dt.timedelta(days=31)
    await store.save_conversation(state("sms:abandoned", at=long_ago))
    await store.save_case(case("abandoned-case", "sms:abandoned", at=long_ago, status="triage"))
    consented = Slots(consent=True)
    await store.save_conversation(state("sms:recent", at=TODAY - dt.timedelta(days=29), slots=consented))
    await store.save_conversation(state("sms:handed", at=long_ago, status="handed_off"))
    old_closed = case("old-closed", "sms:handed", at=TODAY - dt.timedelta(days=400))
    old_closed.slots = old_closed.slots.model_copy(update={"expiry_date": dt.date(2025, 10, 17)})
    old_closed.urgency = old_closed.urgency.model_copy(update={"days_to_expiry": -416})  # gives 17/10 back
    await store.save_case(
        old_closed.model_copy(update={"status": "closed", "updated_at": TODAY - dt.timedelta(days=366)})
    )
    await store.save_case(
        case("young-closed", "sms:handed", status="closed", at=TODAY - dt.timedelta(days=364))
    )
    await store.save_case(
        case("old-open", "sms:handed", status="accepted", at=TODAY - dt.timedelta(days=400))
    )

    report = await store.purge(clock.now())

    assert report.conversations_erased == 1
    assert report.cases_anonymised == 1
    assert await store.load_conversation("sms:abandoned") is None
    assert await store.get_case("abandoned-case") is None
    assert await store.load_conversation("sms:recent") is not None
    assert await store.load_conversation("sms:handed") is not None
    anonymous = await store.get_case("old-closed")
    assert anonymous is not None
    assert anonymous.conversation_id == ""
    assert (anonymous.slots.note, anonymous.slots.commune, anonymous.slots.document_text) == (
        None,
        None,
        None,
    )
    assert anonymous.slots.prefecture == "93"
    assert (anonymous.urgency.level, anonymous.urgency.rule) == (URGENCY.level, URGENCY.rule)
    kept = anonymous.urgency
    assert (kept.oqtf_deadline, kept.hours_left, kept.days_to_expiry) == (None, None, None)
    expiry = old_closed.slots.expiry_date
    assert expiry is not None and expiry.day != 1, "the fixture must have a date to blur"
    assert anonymous.slots.expiry_date == expiry.replace(day=1)  # the month is enough for statistics
    young = await store.get_case("young-closed")
    assert young is not None and young.slots.note == NOTE
    remaining = [c.id for c in await store.cases_for_conversation("sms:handed")]
    assert sorted(remaining) == ["old-open", "young-closed"]
    assert b"Bobigny" not in await backend.raw_bytes()  # encrypted anyway; and the anonymised copy lost it

    # Nothing left to do the next time; erasing the conversation leaves the anonymised case.
    clock.advance(dt.timedelta(days=1))
    assert (await store.purge(clock.now())).cases_anonymised == 0
    await store.erase_conversation("sms:handed")
    assert await store.get_case("old-closed") == anonymous
    assert await store.get_case("young-closed") is None


async def test_purge_keeps_a_conversation_that_came_back(backend: Backend) -> None:
    store = backend.open()
    await store.save_conversation(state("sms:back", at=TODAY - dt.timedelta(days=31)))
    await store.save_conversation(state("sms:back", at=TODAY - dt.timedelta(days=31), status="ended"))
    assert (await store.purge(TODAY)).conversations_erased == 0
    assert await store.load_conversation("sms:back") is not None


async def test_redis_a_refused_case_write_leaves_the_index_of_closed_cases_alone(
    redis_backend: Backend,
) -> None:
    """A writer holding a stale copy is refused after the volunteer closed the case, and never
    retries (it failed, it was stopped): the closed case must stay due for anonymisation."""
    backend = redis_backend
    store = backend.open(retention=Retention(closed_after=dt.timedelta(days=1)))
    await store.save_conversation(state(status="handed_off"))
    await store.save_case(case("case-1", status="accepted"))

    async def volunteer_closes() -> None:  # another process, on its own connection and loop
        other = RedisStore.from_url(
            backend.url, prefix=backend.prefix, cipher=FieldCipher([KEY_A]), hash_key=HASH_KEY
        )
        closing = {"status": "closed", "closed_at": TODAY, "outcome": "resolved"}
        await other.update_case("case-1", lambda fresh: fresh.model_copy(update=closing))
        await other.close()

    calls = 0

    def record_a_delivery(fresh: Case) -> Case:
        nonlocal calls
        calls += 1
        if calls == 1:  # between this writer's read and its write
            with ThreadPoolExecutor(1) as elsewhere:
                elsewhere.submit(asyncio.run, volunteer_closes()).result()
            return fresh.model_copy(update={"deliveries": [{"channel": "sms", "ok": True}]})
        raise RuntimeError("stopped before its second attempt")

    with pytest.raises(RuntimeError, match="second attempt"):
        await store.update_case("case-1", record_a_delivery)
    closed = await store.get_case("case-1")
    assert closed is not None and closed.status == "closed"
    assert (await store.purge(TODAY + dt.timedelta(days=2))).cases_anonymised == 1
    anonymous = await store.get_case("case-1")
    assert anonymous is not None and anonymous.conversation_id == ""


async def test_redis_keeps_a_state_without_consent_a_day_only(redis_backend: Backend) -> None:
    backend = redis_backend
    assert backend.redis is not None
    store = backend.open(retention=Retention(unconsented_after=dt.timedelta(hours=24)))
    await store.save_conversation(state("sms:asked"))
    await store.save_conversation(state("sms:agreed", slots=Slots(consent=True)))
    ttls = {}
    async for name in backend.redis.scan_iter(match=f"{backend.prefix}:*:state"):
        ttls[name] = await backend.redis.pttl(name)
    day, short, long = 86400_000, *sorted(ttls.values())
    assert day - 60_000 < short <= day and long > 89 * day
    # Under the conversation lock (the path of every webhook turn) too.
    async with store.conversation_lock("sms:asked"):
        await store.save_conversation(state("sms:asked", slots=Slots(consent=True)))
    ttls = {}
    async for name in backend.redis.scan_iter(match=f"{backend.prefix}:*:state"):
        ttls[name] = await backend.redis.pttl(name)
    assert all(ttl > 89 * 86400_000 for ttl in ttls.values())


async def test_two_purges_at_once_anonymise_each_case_once_and_lose_none(backend: Backend) -> None:
    """`triage store purge` run by hand while the daily job runs: both move the same cases."""
    first, second = backend.open(), backend.open()
    ids = [f"closed-{number:02d}" for number in range(12)]
    await first.save_conversation(state("sms:old", at=TODAY - dt.timedelta(days=400), status="handed_off"))
    for case_id in ids:
        await first.save_case(case(case_id, "sms:old", status="closed", at=TODAY - dt.timedelta(days=400)))

    reports = await asyncio.gather(first.purge(TODAY), second.purge(TODAY))

    assert sum(report.cases_anonymised for report in reports) == len(ids)
    for store in (first, second):
        for case_id in ids:
            kept = await store.get_case(case_id)
            assert kept is not None, case_id
            assert kept.conversation_id == "" and kept.slots.note is None


async def test_a_case_under_a_dropped_key_does_not_stop_the_purge(backend: Backend) -> None:
    """Found by a review: one unreadable value aborted the purge, run after run, and nothing
    after it went."""
    older = backend.open(keys=(KEY_A,))
    long_ago = TODAY - dt.timedelta(days=400)
    await older.save_conversation(state("sms:old-key", at=long_ago, status="handed_off"))
    await older.save_case(case("old-key-case", "sms:old-key", status="closed", at=long_ago))
    store = backend.open(keys=(KEY_B,), retention=Retention(abandoned_after=dt.timedelta(days=30)))
    await store.save_conversation(state("sms:handed", at=long_ago, status="handed_off"))
    await store.save_case(case("new-key-case", "sms:handed", status="closed", at=long_ago))
    await store.save_conversation(state("sms:abandoned", at=TODAY - dt.timedelta(days=31)))

    report = await store.purge(TODAY)

    assert (report.cases_anonymised, report.conversations_erased, report.unreadable) == (1, 1, 1)
    anonymous = await store.get_case("new-key-case")
    assert anonymous is not None and anonymous.conversation_id == "" and anonymous.slots.note is None
    assert await store.load_conversation("sms:abandoned") is None
    assert "1 unreadable" in RetentionReport(report, 0, 0).summary()


async def test_the_retention_job_runs_once_a_period_in_one_process_of_two(backend: Backend) -> None:
    """Two workers on one store tick together: one applies the retention, the other does nothing;
    nothing runs again until the next period, which runs again."""
    clock = FixedClock(TODAY)
    stores = [backend.open(retention=Retention(abandoned_after=dt.timedelta(days=30))) for _ in range(2)]
    schedules = [
        RetentionSchedule(s, clock, every=dt.timedelta(hours=24), keep_delivery_records=dt.timedelta(days=14))
        for s in stores
    ]
    store = stores[0]
    await store.save_conversation(state("sms:abandoned", at=TODAY - dt.timedelta(days=31)))
    await store.save_conversation(
        state("sms:recent", at=TODAY - dt.timedelta(days=2), slots=Slots(consent=True))
    )
    sent = {"channel": "kannel", "segments": 1, "status": "delivered"}
    await store.put_record(
        "sms_sent", "old-sms", {**sent, "sent_at": (TODAY - dt.timedelta(days=15)).isoformat()}
    )
    await store.put_record(
        "sms_sent", "new-sms", {**sent, "sent_at": (TODAY - dt.timedelta(days=13)).isoformat()}
    )
    await store.put_record("wa_sent", "legacy", {"case_id": "CASE01"})  # written before times were kept
    await store.put_record("wa_sent", "waiting", {"case_id": "CASE01", "sent_at": TODAY.isoformat()})

    reports = await asyncio.gather(*(s.run_if_due() for s in schedules))

    done = [r for r in reports if r is not None]
    assert len(done) == 1, reports
    assert (done[0].purged.conversations_erased, done[0].delivery_records_deleted) == (1, 1)
    assert await store.load_conversation("sms:abandoned") is None
    assert await store.load_conversation("sms:recent") is not None
    assert [key for key, _ in await store.record_items("sms_sent")] == ["new-sms"]
    # Its message may have gone a minute before the upgrade: it gets a time, and goes 14 days on.
    assert await store.get_record("wa_sent", "legacy") == {"case_id": "CASE01", "sent_at": TODAY.isoformat()}
    assert [key for key, _ in await store.record_items("wa_sent")] == ["legacy", "waiting"]

    await store.save_conversation(state("sms:abandoned-later", at=TODAY - dt.timedelta(days=31)))
    clock.advance(dt.timedelta(hours=14))  # 23:00 UTC the same day: done already
    assert [await s.run_if_due() for s in schedules] == [None, None]
    assert await store.load_conversation("sms:abandoned-later") is not None
    clock.advance(dt.timedelta(hours=2))  # the next day
    second = [await s.run_if_due() for s in reversed(schedules)]
    assert second[0] is not None and second[1] is None
    assert second[0].purged.conversations_erased == 1
    assert await store.load_conversation("sms:abandoned-later") is None
    clock.advance(dt.timedelta(days=14))
    third = [await s.run_if_due() for s in schedules]
    assert third[0] is not None and third[0].delivery_records_deleted == 3
    assert await store.record_items("wa_sent") == await store.record_items("sms_sent") == []


async def test_a_retention_step_that_fails_does_not_stop_the_others(backend: Backend) -> None:
    """A record written under a key since dropped cannot be read: the phone numbers fail, the
    rest is done all the same, and the failure is said."""
    older = backend.open(keys=(KEY_A,))
    await older.put_record("contact", "c1", {"phone": PHONE, "key": "c1", "conversation": "sms:gone"})
    store = backend.open(keys=(KEY_B,), retention=Retention(abandoned_after=dt.timedelta(days=30)))
    await store.save_conversation(state("sms:abandoned", at=TODAY - dt.timedelta(days=31)))
    old = {"sent_at": (TODAY - dt.timedelta(days=15)).isoformat()}
    await store.put_record("sms_sent", "20261111T100000-0123456789ab", old)

    report = await apply_retention(store, TODAY, keep_delivery_records=dt.timedelta(days=14))

    assert report.failed == ("phone numbers",)
    assert (report.purged.conversations_erased, report.delivery_records_deleted) == (1, 1)
    assert "FAILED: phone numbers" in report.summary()


async def test_sqlite_purge_erases_what_was_said_without_consent_after_a_day(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", retention=Retention(unconsented_after=dt.timedelta(hours=24)))
    await store.save_conversation(state("sms:asked", at=TODAY - dt.timedelta(hours=25)))
    await store.save_conversation(state("sms:fresh", at=TODAY - dt.timedelta(hours=23)))
    await store.save_conversation(
        state("sms:agreed", at=TODAY - dt.timedelta(days=2), slots=Slots(consent=True))
    )
    report = await store.purge(TODAY)
    assert report.conversations_erased == 1
    assert await store.load_conversation("sms:asked") is None
    assert await store.load_conversation("sms:fresh") is not None
    assert await store.load_conversation("sms:agreed") is not None
    await store.close()


# -- store-specific -------------------------------------------------------------------------------


async def test_redis_state_expires_and_the_ttl_is_refreshed(redis_backend: Backend) -> None:
    backend = redis_backend
    assert backend.redis is not None
    store = backend.open(retention=Retention(conversation_ttl=dt.timedelta(days=90)))
    await store.save_conversation(state(slots=Slots(consent=True)))
    names = [name async for name in backend.redis.scan_iter(match=f"{backend.prefix}:*:state")]
    assert len(names) == 1
    ttl_ms = await backend.redis.pttl(names[0])
    assert 89 * 86400_000 < ttl_ms <= 90 * 86400_000
    await backend.redis.pexpire(names[0], 1000)
    await store.save_conversation(state(slots=Slots(consent=True)))
    assert await backend.redis.pttl(names[0]) > 89 * 86400_000
    await store.rotate_keys()
    assert await backend.redis.pttl(names[0]) > 89 * 86400_000


async def test_sqlite_purge_deletes_states_idle_past_the_ttl(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", retention=Retention(conversation_ttl=dt.timedelta(days=90)))
    await store.save_conversation(state("sms:old", at=TODAY - dt.timedelta(days=91), status="handed_off"))
    await store.save_case(case("kept", "sms:old"))
    await store.save_conversation(state("sms:new", at=TODAY - dt.timedelta(days=89), status="handed_off"))
    report = await store.purge(TODAY)
    assert report.states_expired == 1
    assert await store.load_conversation("sms:old") is None
    assert await store.get_case("kept") is not None
    assert await store.load_conversation("sms:new") is not None
    await store.close()


async def test_sqlite_file_of_the_first_version_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE conversations (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE cases (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, status TEXT NOT NULL,
            data TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (kind, key));
        CREATE TABLE timers (kind TEXT NOT NULL, key TEXT NOT NULL, due_at TEXT NOT NULL,
            PRIMARY KEY (kind, key));
        """
    )
    old_state, old_case = state(slots=Slots(note=NOTE)), case("case-1")
    db.execute("INSERT INTO conversations VALUES (?, ?, ?)", (CONVERSATION, old_state.model_dump_json(), "x"))
    db.execute(
        "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?)",
        ("case-1", CONVERSATION, "ready_for_handoff", old_case.model_dump_json(), "x", "x"),
    )
    db.execute("INSERT INTO records VALUES ('contact', ?, ?)", (CONVERSATION, '{"phone": "+33612345678"}'))
    db.execute(
        "INSERT INTO timers VALUES ('reminder', ?, ?)", (CONVERSATION, "2026-11-26T09:00:00.000000+00:00")
    )
    db.commit()
    db.close()

    store = SqliteStore(path, cipher=FieldCipher([KEY_A]))
    assert await store.load_conversation(CONVERSATION) == old_state
    assert await store.cases_for_conversation(CONVERSATION) == [old_case]
    assert await store.get_record("contact", CONVERSATION) == {"phone": PHONE}
    assert [t.key for t in await store.due_timers(TODAY)] == [CONVERSATION]
    await store.close()
    assert b"612345678" not in path.read_bytes()
    reopened = SqliteStore(path, cipher=FieldCipher([KEY_A]))
    assert await reopened.load_conversation(CONVERSATION) == old_state
    await reopened.close()


async def test_sqlite_file_of_the_second_version_gains_the_sets(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    store = SqliteStore(path, cipher=FieldCipher([KEY_A]))
    await store.save_conversation(state())
    await store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE set_members; PRAGMA user_version = 2;")
    db.close()
    reopened = SqliteStore(path, cipher=FieldCipher([KEY_A]))
    await reopened.add_to_set("held", "v1", "CASE01")
    assert await reopened.set_members("held", "v1") == {"CASE01"}
    assert await reopened.load_conversation(CONVERSATION) is not None
    await reopened.close()


async def test_open_store_chooses_by_url(tmp_path: Path) -> None:
    sqlite = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(sqlite, SqliteStore)
    await sqlite.close()
    redis = open_store(REDIS_URL)
    assert isinstance(redis, RedisStore)
    await redis.close()
    with pytest.raises(ValueError, match="unsupported STORE_URL"):
        open_store("mongodb://localhost")


WEB = Address(channel="web", recipient="web:abcd-1234-efgh")


async def test_web_chat_mailbox_gives_each_message_until_seen_and_forgets(backend: Backend) -> None:
    """What the desk writes to a web-chat person waits until the page says it showed it: a poll
    lost on a bad connection loses nothing; another process (another replica) gives the same."""
    store = backend.open()
    mailbox = WebChatMailbox(store, FixedClock(TODAY))
    other = Address(channel="web", recipient="web:wxyz-9876-ijkl")
    await mailbox.send(WEB, [Reply(text=NOTE, options=(Option(id="yes", label="Oui"),)), Reply(text="deux")])
    await mailbox.send(other, [Reply(text="autre")])
    first = await mailbox.waiting(WEB.recipient)
    assert [message["text"] for message in first] == [NOTE, "deux"]
    assert first[0]["options"] == [{"id": "yes", "label": "Oui"}]
    assert await WebChatMailbox(backend.open()).waiting(WEB.recipient) == first
    # Encrypted like every record; the index names neither the conversation nor the text.
    assert NOTE.encode() not in await backend.raw_bytes()
    assert not any("abcd-1234-efgh" in name for name in await backend.key_names())
    seen = await mailbox.waiting(WEB.recipient, seen=[first[0]["id"]])
    assert [message["text"] for message in seen] == ["deux"]
    # Only the ids acknowledged go: not one written meanwhile whose id sorts before them (another
    # process's clock), nor anything for an id never given.
    await mailbox.send(WEB, [Reply(text="écrit entre-temps")])
    late = (await mailbox.waiting(WEB.recipient))[-1]
    assert await mailbox.waiting(WEB.recipient, seen=["99999999999999999999-ffffffffffff"]) != []
    assert [m["text"] for m in await mailbox.waiting(WEB.recipient, seen=[seen[-1]["id"]])] == [late["text"]]
    assert await mailbox.waiting(WEB.recipient, seen=[late["id"]]) == []
    await mailbox.send(WEB, [Reply(text="trois")])
    await mailbox.forget(WEB)  # the person erased their data
    assert await mailbox.waiting(WEB.recipient) == []
    assert await store.set_members("web_mailbox", mailbox_key(WEB.recipient)) == set()
    assert [message["text"] for message in await mailbox.waiting(other.recipient)] == ["autre"]


async def test_retention_deletes_web_chat_messages_of_conversations_gone_or_too_old(backend: Backend) -> None:
    store = backend.open()
    living = Address(channel="web", recipient="web:living-conversation")
    await store.save_conversation(state(living.recipient))
    await WebChatMailbox(store, FixedClock(TODAY)).send(WEB, [Reply(text=NOTE)])  # no conversation
    await WebChatMailbox(store, FixedClock(TODAY)).send(living, [Reply(text="à lire")])
    later = TODAY + dt.timedelta(days=1)
    assert await purge_web_messages(store, later, keep=dt.timedelta(days=7)) == 1
    assert await WebChatMailbox(store).waiting(WEB.recipient) == []
    assert [m["text"] for m in await WebChatMailbox(store).waiting(living.recipient)] == ["à lire"]
    assert await purge_web_messages(store, TODAY + dt.timedelta(days=8), keep=dt.timedelta(days=7)) == 1
    assert await WebChatMailbox(store).waiting(living.recipient) == []
