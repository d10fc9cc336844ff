"""The production store: Redis (one primary, AOF everysec), shared by several bot replicas.

Key layout (P = the key prefix; h = keyed hash of the conversation id, so no phone number or chat id
appears in a key name; braces are Redis Cluster hash tags: one conversation's keys share a slot):

    P:{c:h}:state        string  encrypted ConversationState; expires CONVERSATION_TTL after the last save
    P:{c:h}:cases        set     ids of the conversation's cases
    P:{c:h}:case:<id>    string  encrypted Case
    P:{c:h}:lock         string  per-conversation lock token (SET NX PX)
    P:case:<id>          string  where case <id> lives (the key above, or anon:<id> once anonymised)
    P:anon:<id>          string  encrypted anonymised Case, cut from its conversation
    P:idx:active         zset    h of active conversations, scored by last update (µs): retention
    P:idx:closed         zset    ids of closed cases, scored by last update (µs): retention
    P:rec:<kind>         hash    keyed hash of the record key -> encrypted {"key", "record"}
    P:{set:<kind>}:<key> set     opaque ids (case ids a volunteer holds...): `add_to_set`
    P:{set:<kind>}       set     the keys of kind <kind> that have a set (for `all_sets`)
    P:{timers}:due       zset    timer member -> due time (µs since the epoch, UTC)
    P:{timers}:refs      hash    timer member -> encrypted [kind, key]
    P:seen:<channel>:<hash of message id>   string   delivery de-duplication (SET NX EX)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import RedisCluster

from bot.core.case import Case
from bot.core.conversation import ConversationState
from bot.core.ports import CaseErased, Timer
from bot.storage import ERASED_CASE_MEMORY, PurgeReport, Retention, anonymised
from bot.storage.crypto import DEMO_HASH_KEY, FieldCipher, StoreKeyError, keyed_hash

logger = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


# Integer microseconds stay exact in a sorted-set score (a double) until the year 2255.
def _micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _moment(micros: float) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(micros))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _is_blob_key(name: str) -> bool:
    """Whether a key name (without the prefix) holds an encrypted string: state, case, anonymised case."""
    in_conversation = name.startswith("{c:") and (name.endswith(":state") or ":case:" in name)
    return in_conversation or name.startswith("anon:")


# Remove the timer only if it is still due at the time the caller saw: exactly one claimer wins.
CLAIM_TIMER = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

# The sizes of many sets of one kind (one hash tag, so one slot) in one call: a hand-off counts
# the load of every volunteer, and one command costs far less than a pipeline of dozens.
SET_SIZES = """
local sizes = {}
for i, key in ipairs(KEYS) do
  sizes[i] = redis.call('SCARD', key)
end
return sizes
"""

# Re-encryption must not overwrite a value a worker changed meanwhile; the TTL is kept.
REPLACE_IF_UNCHANGED = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""

HREPLACE_IF_UNCHANGED = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
"""


# Take a conversation's lock and, in the same round trip, read its state: every turn starts with
# both, and each command costs the client about 0.1 ms. KEYS: lock, state; ARGV: token, ms.
LOCK_AND_READ = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2])}
end
return {0}
"""

# Release the lock only if it is still ours (it may have expired and been taken by another).
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# A case and its conversation's set of cases, together (one slot). KEYS: the case, its
# conversation's set of cases, the case's erasure mark; ARGV: blob, id, and (`update_case`) the
# value read before the change. A case erased since it was read (the desk saving an offer) is not
# written back: 0. A case written by someone else since it was read is not overwritten: -1.
ERASED_MARK_MS = int(ERASED_CASE_MEMORY / dt.timedelta(milliseconds=1))
SAVE_CASE = """
if redis.call('EXISTS', KEYS[3]) == 1 then
  return 0
end
if ARGV[3] and redis.call('GET', KEYS[1]) ~= ARGV[3] then
  return -1
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
"""
# An anonymised case (no conversation): KEYS: the case; ARGV: blob, the value read before the change.
SAVE_ANONYMOUS_CASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return -1
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
# Anonymisation: the conversation's copy of a case goes only if it is still the one read.
# KEYS: the case, its conversation's set of cases; ARGV: the value read, the case id.
DELETE_CASE_IF_UNCHANGED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
"""
# `update_case`: how many times a change is applied again to a case others keep writing, and the
# pause between attempts: random ("full jitter") and doubling up to a cap, so that writers who
# collided do not read and write again in the same instant and collide again. Without it, n writers
# of one case in step need n attempts for the last one (one wins per round), and a loaded machine
# kept them in step (CI: 24 writers, 20 attempts, one gave up).
CASE_UPDATE_ATTEMPTS = 20
CASE_UPDATE_FIRST_PAUSE = 0.002
CASE_UPDATE_LONGEST_PAUSE = 0.1

# Write the state a turn saved and release the lock, in one call (with the active index in the
# same pipeline): the state of a turn is written when its lock is released. The state is written
# even if the lock expired meanwhile, as a save always was. KEYS: lock, state; ARGV: token, state, ms.
SAVE_AND_UNLOCK = """
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass
class _Turn:
    """What the holder of a conversation's lock read and saved (see `RedisStore._hold`)."""

    prefetched: bytes | Literal[False] | None  # read with the lock; False: no state; None: taken
    saved: str | None = None  # the JSON of the state saved in the turn, written at release
    active: bool = True
    updated_micros: int = 0
    ttl_ms: int = 0


# The turns whose lock this task holds, by state key. A new mapping is set at each lock, so that
# tasks started earlier never see it.
_NO_TURNS: Mapping[str, _Turn] = MappingProxyType({})
_TURNS: ContextVar[Mapping[str, _Turn]] = ContextVar("redis_turns", default=_NO_TURNS)

LOCK_RETRY_SECONDS = 0.02
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


# The cluster clients whose connection slot this task holds (see `_WaitingCluster._slot`).
_SLOTS_HELD: ContextVar[frozenset[int]] = ContextVar("cluster_slots_held", default=frozenset())


class _WaitingCluster(RedisCluster):
    """A cluster client that waits for a free connection, as the single server's blocking pool
    does: redis-py's cluster client raises MaxConnectionsError instead, which under a burst turned
    messages into errors. At most `max_connections` operations (a command, a pipeline, a WATCH
    transaction) are in flight, so no node is asked for more connections than that (a pipeline
    takes at most one per node). An operation that holds a slot never waits for a second one: a
    pipeline redirected by MOVED or ASK resends through `execute_command`, and a transaction's
    WATCHed reads run before its EXEC; waiting there would deadlock a full client."""

    def __init__(self, *, max_connections: int = 50, **kwargs: Any) -> None:
        super().__init__(max_connections=max_connections, **kwargs)
        self._in_flight = asyncio.Semaphore(max_connections)

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        held = _SLOTS_HELD.get()
        if id(self) in held:
            yield
            return
        async with self._in_flight:
            token = _SLOTS_HELD.set(held | {id(self)})
            try:
                yield
            finally:
                _SLOTS_HELD.reset(token)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self._slot():
            return await super().execute_command(*args, **kwargs)

    async def transaction(self, func: Any, *watches: Any, **kwargs: Any) -> Any:
        async with self._slot():
            return await super().transaction(func, *watches, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)
        execute = pipe.execute

        async def waiting_execute(*args: Any, **kwargs: Any) -> Any:
            async with self._slot():
                return await execute(*args, **kwargs)

        pipe.execute = waiting_execute  # type: ignore[method-assign]
        return pipe


def inbound_tag(prefix: str) -> str:
    """The hash tag of the inbound queue's keys (bot/queue.py): one Cluster slot for them all."""
    return f"{{{prefix}:inbound}}"


def inbound_keys(prefix: str) -> tuple[str, str]:
    """The inbound queue's stream and its dead letters, which erasure and retention reach too."""
    tag = inbound_tag(prefix)
    return f"{tag}:stream", f"{tag}:dead"


class RedisStore:
    """`ConversationStore` + `ConcurrencyControl` on Redis (redis-py asyncio)."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "triage",
        cipher: FieldCipher | None = None,
        hash_key: bytes = DEMO_HASH_KEY,
        retention: Retention | None = None,
        lock_timeout_seconds: float = 30.0,
        lock_wait_seconds: float = 10.0,
    ) -> None:
        if not prefix or any(char in prefix for char in "{}*?[]"):
            raise ValueError("the Redis key prefix must be non-empty, without braces or glob characters")
        self._redis = client
        self._p = prefix
        self._cipher = cipher or FieldCipher()
        self._hash_key = hash_key
        self._retention = retention or Retention()
        self._lock_timeout = lock_timeout_seconds
        self._lock_wait = lock_wait_seconds
        self._claim = client.register_script(CLAIM_TIMER)
        self._lock_and_read = client.register_script(LOCK_AND_READ)
        self._unlock = client.register_script(UNLOCK)
        self._set_sizes = client.register_script(SET_SIZES)
        self._replace = client.register_script(REPLACE_IF_UNCHANGED)
        self._hreplace = client.register_script(HREPLACE_IF_UNCHANGED)

    @classmethod
    def from_url(cls, url: str, *, max_connections: int = 50, **options: Any) -> RedisStore:
        """`redis://host:port/db`: a blocking pool, past `max_connections` callers wait instead of
        failing (protocols §4.7). `redis+cluster://host:port` (or `rediss+cluster://`): a Redis
        Cluster, any of its nodes as the entry point; the client finds the others."""
        if url.startswith(CLUSTER_SCHEMES):
            scheme, rest = url.split("://", 1)
            cluster = _WaitingCluster.from_url(
                f"{scheme.removesuffix('+cluster')}://{rest}", max_connections=max_connections
            )
            # RedisCluster answers every command this store sends as Redis does, routed by key
            # slot; the contract suite runs on both (tests/test_store_contract.py).
            return cls(cast(Redis, cluster), **options)
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=10)
        return cls(Redis.from_pool(pool), **options)

    @property
    def client(self) -> Redis:
        """The connection pool, for the queue (bot.queue) to share."""
        return self._redis

    @property
    def cipher(self) -> FieldCipher:
        return self._cipher

    # -- key names --------------------------------------------------------------------------------

    def _hash(self, identifier: str) -> str:
        return keyed_hash(identifier, self._hash_key)

    def _conv(self, hashed_id: str, suffix: str) -> str:
        return f"{self._p}:{{c:{hashed_id}}}:{suffix}"

    def _key(self, *parts: str) -> str:
        return ":".join((self._p, *parts))

    # -- conversations ----------------------------------------------------------------------------

    async def load_conversation(self, conversation_id: str) -> ConversationState | None:
        state_key = self._conv(self._hash(conversation_id), "state")
        turn = _TURNS.get().get(state_key)
        if turn is not None and turn.saved is not None:
            return ConversationState.model_validate_json(turn.saved)
        if turn is not None and turn.prefetched is not None:
            stored: bytes | str | Literal[False] | None = turn.prefetched
            turn.prefetched = None  # once: a later read in the turn asks Redis again
        else:
            stored = await self._redis.get(state_key)
        return ConversationState.model_validate_json(self._cipher.decrypt(stored)) if stored else None

    async def save_conversation(self, state: ConversationState) -> None:
        hashed_id = self._hash(state.id)
        turn = _TURNS.get().get(self._conv(hashed_id, "state"))
        if turn is not None:
            # Under the lock: written with the release, in the same round trip.
            turn.saved = state.model_dump_json()
            turn.active = state.status == "active"
            turn.updated_micros = _micros(state.updated_at)
            turn.ttl_ms = int(self._retention.state_ttl(state) / dt.timedelta(milliseconds=1))
            turn.prefetched = None
            return
        ttl_ms = int(self._retention.state_ttl(state) / dt.timedelta(milliseconds=1))
        # Different slots (state, index): not one transaction. A crash in between leaves the index
        # behind; the TTL still deletes the state and the next purge drops the stale entry.
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._conv(hashed_id, "state"), self._cipher.encrypt(state.model_dump_json()), px=ttl_ms)
            if state.status == "active":
                pipe.zadd(self._key("idx", "active"), {hashed_id: _micros(state.updated_at)})
            else:
                pipe.zrem(self._key("idx", "active"), hashed_id)
            await pipe.execute()

    async def erase_conversation(self, conversation_id: str) -> None:
        hashed_id = self._hash(conversation_id)
        turn = _TURNS.get().get(self._conv(hashed_id, "state"))
        if turn is not None:  # nothing the turn saved may come back at the release
            turn.saved, turn.prefetched = None, False
        await self._erase(hashed_id)
        for stream in inbound_keys(self._p):
            await self._forget_queued(stream, conversation_id)

    async def _forget_queued(self, stream: str, conversation_id: str) -> int:
        """The conversation's messages still in the inbound queue (sent before the erasure and not
        yet processed, or failing and waiting to be retried) or in its dead letters (bot/queue.py:
        processing failed again and again) go with it. An entry that cannot be read cannot say
        whose it is: the purge deletes dead letters with age.

        A deleted entry still pending for a worker is acknowledged by that worker, never moved to
        the dead letters: the move copies the entry from the stream, where it is gone (bot/queue.py,
        MOVE_TO_DEAD_LETTERS)."""
        cipher = self._cipher.bytes_cipher()
        doomed: list[bytes] = []
        start = "-"
        while True:  # by pages: a few thousand entries at most (the queue caps them)
            page = cast(
                list[tuple[bytes, dict[bytes, bytes]]], await self._redis.xrange(stream, start, "+", 500)
            )
            for entry_id, fields in page:
                try:
                    payload = fields[b"message"]
                    message = json.loads(cipher.decrypt(payload) if cipher is not None else payload)
                except Exception:
                    continue
                if isinstance(message, dict) and message.get("conversation_id") == conversation_id:
                    doomed.append(entry_id)
            if len(page) < 500:
                break
            start = f"({_text(page[-1][0])}"
        if doomed:
            await self._redis.xdel(stream, *doomed)
        return len(doomed)

    async def _erase(self, hashed_id: str, *, unless_updated_since: dt.datetime | None = None) -> bool:
        """Delete the state and every case of the conversation in one MULTI/EXEC (one slot).

        With `unless_updated_since`, nothing is deleted when the state is no longer an active
        conversation idle since before that time (a message arrived meanwhile).
        """
        state_key = self._conv(hashed_id, "state")
        cases_key = self._conv(hashed_id, "cases")

        async def erase(pipe: Pipeline) -> list[str] | None:
            if unless_updated_since is not None:
                stored = await pipe.get(state_key)
                if stored is not None:
                    state = ConversationState.model_validate_json(self._cipher.decrypt(stored))
                    if state.status != "active" or state.updated_at >= unless_updated_since:
                        return None
            case_ids = [_text(member) for member in await pipe.smembers(cases_key)]
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.delete(
                state_key, cases_key, *(self._conv(hashed_id, f"case:{case_id}") for case_id in case_ids)
            )
            for case_id in case_ids:
                pipe.set(self._conv(hashed_id, f"erased:{case_id}"), b"1", px=ERASED_MARK_MS)
            return case_ids

        case_ids: list[str] | None = await self._redis.transaction(
            erase, state_key, cases_key, value_from_callable=True
        )
        if case_ids is None:
            return False
        # Pointers and index entries live in other slots; they hold no personal data.
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(self._key("idx", "active"), hashed_id)
            if case_ids:
                pipe.delete(*(self._key("case", case_id) for case_id in case_ids))
                pipe.zrem(self._key("idx", "closed"), *case_ids)
            await pipe.execute()
        return True

    # -- cases ------------------------------------------------------------------------------------

    async def save_case(self, case: Case) -> None:
        await self._write_case(case)

    async def update_case(self, case_id: str, change: Callable[[Case], Case]) -> Case | None:
        # Optimistic: read, change, write only if the stored value is still the one read (checked
        # in the writing script); else read again. Cluster-safe: one key, no WATCH across slots.
        for attempt in range(CASE_UPDATE_ATTEMPTS):
            if attempt:
                longest = min(CASE_UPDATE_LONGEST_PAUSE, CASE_UPDATE_FIRST_PAUSE * 2 ** (attempt - 1))
                await asyncio.sleep(random.uniform(0, longest))
            read = await self._read_case(case_id)
            if read is None:
                return None
            where, stored = read
            case = change(Case.model_validate_json(self._cipher.decrypt(stored)))
            if case.id != case_id:
                raise ValueError(f"update_case({case_id!r}) changed the case's id to {case.id!r}")
            if self._location(case) != where:
                # Re-attaching an anonymised case to a conversation, or moving it to another one.
                raise ValueError(f"update_case({case_id!r}) would move the case to another key")
            if await self._write_case(case, expected=stored):
                return case
        raise RuntimeError(f"case {case_id} kept changing: {CASE_UPDATE_ATTEMPTS} attempts to update it")

    def _location(self, case: Case) -> str:
        """Where the case's value is stored (under its pointer `case:<id>`)."""
        if case.conversation_id:
            return f"{{c:{self._hash(case.conversation_id)}}}:case:{case.id}"
        return f"anon:{case.id}"

    async def _write_case(self, case: Case, *, expected: bytes | str | None = None) -> bool:
        """Write the case; with ``expected``, only over that stored value (False: it changed)."""
        blob = self._encrypt_model(case)
        location = self._location(case)
        check = () if expected is None else (expected,)
        # A plain save is one round trip: the case and its conversation's set in one script (one
        # slot, atomic), the pointer and the index (other slots) in the same pipeline. A checked
        # one sends the pointer and the index only once the script wrote: a refused write must not
        # take a closed case out of the index of cases to anonymise.
        async with self._redis.pipeline(transaction=False) as pipe:
            if case.conversation_id:
                hashed_id = self._hash(case.conversation_id)
                erased_mark = self._conv(hashed_id, f"erased:{case.id}")
                pipe.eval(
                    SAVE_CASE,
                    3,
                    self._key(location),
                    self._conv(hashed_id, "cases"),
                    erased_mark,
                    blob,
                    case.id,
                    *check,
                )
            elif expected is None:
                pipe.set(self._key(location), blob)
            else:
                pipe.eval(SAVE_ANONYMOUS_CASE, 1, self._key(location), blob, expected)
            if expected is None:
                self._point_and_index(pipe, case, location)
            results = await pipe.execute()
        if case.conversation_id and not results[0]:
            # Erased meanwhile: the pointer and index entry written beside it go too (other slots).
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.delete(self._key("case", case.id))
                pipe.zrem(self._key("idx", "closed"), case.id)
                await pipe.execute()
            raise CaseErased(case.id)
        if expected is None:
            return True
        if results[0] != 1:
            return False  # -1: changed since read; the caller reads it again
        async with self._redis.pipeline(transaction=False) as pipe:
            self._point_and_index(pipe, case, location)
            await pipe.execute()
        return True

    def _point_and_index(self, pipe: Any, case: Case, location: str) -> None:
        pipe.set(self._key("case", case.id), location)
        if case.status == "closed" and case.conversation_id:
            pipe.zadd(self._key("idx", "closed"), {case.id: _micros(case.updated_at)})
        else:
            pipe.zrem(self._key("idx", "closed"), case.id)

    def _encrypt_model(self, model: Case | ConversationState) -> str:
        return self._cipher.encrypt(model.model_dump_json())

    async def get_case(self, case_id: str) -> Case | None:
        read = await self._read_case(case_id)
        return Case.model_validate_json(self._cipher.decrypt(read[1])) if read else None

    async def _read_case(self, case_id: str) -> tuple[str, bytes | str] | None:
        """(its location, its stored value) or None."""
        location = await self._redis.get(self._key("case", case_id))
        if location is None:
            return None
        where = _text(location)
        stored = await self._redis.get(self._key(where))
        if stored is None:
            # An anonymisation interrupted after moving the case but before updating the pointer.
            where = f"anon:{case_id}"
            stored = await self._redis.get(self._key(where))
        return (where, stored) if stored else None

    async def cases_for_conversation(self, conversation_id: str) -> list[Case]:
        hashed_id = self._hash(conversation_id)
        case_ids = sorted(
            _text(member) for member in await self._redis.smembers(self._conv(hashed_id, "cases"))
        )
        if not case_ids:
            return []
        stored = await self._redis.mget([self._conv(hashed_id, f"case:{case_id}") for case_id in case_ids])
        cases = [Case.model_validate_json(self._cipher.decrypt(value)) for value in stored if value]
        return sorted(cases, key=lambda case: (case.created_at, case.id))

    # -- records ----------------------------------------------------------------------------------

    async def put_record(self, kind: str, key: str, record: Mapping[str, Any]) -> None:
        # The key travels inside the encrypted value: `list_records` needs it, the field is its hash.
        data = json.dumps({"key": key, "record": record}, ensure_ascii=False, default=str)
        await self._redis.hset(self._key("rec", kind), self._hash(key), self._cipher.encrypt(data))

    def _read_record(self, stored: bytes | str) -> tuple[str, dict[str, Any]]:
        envelope = json.loads(self._cipher.decrypt(stored))
        return str(envelope["key"]), dict(envelope["record"])

    async def get_record(self, kind: str, key: str) -> dict[str, Any] | None:
        stored = await self._redis.hget(self._key("rec", kind), self._hash(key))
        return self._read_record(stored)[1] if stored else None

    async def delete_record(self, kind: str, key: str) -> None:
        await self._redis.hdel(self._key("rec", kind), self._hash(key))

    async def list_records(self, kind: str) -> list[dict[str, Any]]:
        return [record for _, record in await self.record_items(kind)]

    async def record_items(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        stored = await self._redis.hvals(self._key("rec", kind))
        return sorted((self._read_record(v) for v in stored), key=lambda item: item[0])

    # -- sets -------------------------------------------------------------------------------------

    def _set(self, kind: str, key: str | None = None) -> str:
        tagged = self._key(f"{{set:{kind}}}")
        return tagged if key is None else f"{tagged}:{key}"

    async def add_to_set(self, kind: str, key: str, member: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self._set(kind, key), member)
            pipe.sadd(self._set(kind), key)
            await pipe.execute()

    async def remove_from_set(self, kind: str, key: str, member: str) -> None:
        # The key stays listed in P:{set:<kind>} when its set empties: `all_sets` skips it.
        await self._redis.srem(self._set(kind, key), member)

    async def set_members(self, kind: str, key: str) -> set[str]:
        return {_text(member) for member in await self._redis.smembers(self._set(kind, key))}

    async def set_sizes(self, kind: str, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        sizes = await self._set_sizes(keys=[self._set(kind, key) for key in keys])
        return {key: int(size) for key, size in zip(keys, sizes, strict=True)}

    async def all_sets(self, kind: str) -> dict[str, set[str]]:
        keys = sorted(_text(key) for key in await self._redis.smembers(self._set(kind)))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.smembers(self._set(kind, key))
            found = await pipe.execute()
        return {key: {_text(m) for m in members} for key, members in zip(keys, found, strict=True) if members}

    # -- timers -----------------------------------------------------------------------------------

    def _timer_member(self, kind: str, key: str) -> str:
        return self._hash(f"{kind}\x00{key}")

    async def schedule_timer(self, kind: str, key: str, due_at: dt.datetime) -> None:
        member = self._timer_member(kind, key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key("{timers}", "refs"), member, self._cipher.encrypt(json.dumps([kind, key])))
            pipe.zadd(self._key("{timers}", "due"), {member: _micros(due_at)})
            await pipe.execute()

    async def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        due = cast(
            list[tuple[bytes, float]],
            await self._redis.zrangebyscore(
                self._key("{timers}", "due"), "-inf", _micros(now), start=0, num=limit, withscores=True
            ),
        )
        if not due:
            return []
        refs = await self._redis.hmget(self._key("{timers}", "refs"), [member for member, _ in due])
        timers = []
        for (_, score), ref in zip(due, refs, strict=True):
            if ref is None:  # claimed between the two reads
                continue
            kind, key = json.loads(self._cipher.decrypt(ref))
            timers.append(Timer(kind, key, _moment(score)))
        return timers

    async def claim_timer(self, timer: Timer) -> bool:
        member = self._timer_member(timer.kind, timer.key)
        keys = [self._key("{timers}", "due"), self._key("{timers}", "refs")]
        return bool(await self._claim(keys=keys, args=[member, _micros(timer.due_at)]))

    async def cancel_timer(self, kind: str, key: str) -> None:
        member = self._timer_member(kind, key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._key("{timers}", "due"), member)
            pipe.hdel(self._key("{timers}", "refs"), member)
            await pipe.execute()

    # -- concurrency (ConcurrencyControl) ---------------------------------------------------------

    def conversation_lock(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        return self._hold(self._hash(conversation_id))

    @asynccontextmanager
    async def _hold(self, hashed_id: str) -> AsyncIterator[None]:
        # SET NX PX with a random token, released by a compare-and-delete script, like redis-py's
        # `Lock`; but the state is read with the lock and the turn's state written with the
        # release: a turn costs two round trips instead of four.
        lock_key, state_key = self._conv(hashed_id, "lock"), self._conv(hashed_id, "state")
        token = secrets.token_hex(16)
        ttl_ms = int(self._lock_timeout * 1000)
        deadline = asyncio.get_running_loop().time() + self._lock_wait
        while True:
            taken = await self._lock_and_read(keys=[lock_key, state_key], args=[token, ttl_ms])
            if taken[0]:
                break
            if asyncio.get_running_loop().time() >= deadline:
                raise TimeoutError("the conversation is locked by another worker")
            await asyncio.sleep(LOCK_RETRY_SECONDS)
        turn = _Turn(prefetched=taken[1] or False)
        _TURNS.set({**_TURNS.get(), state_key: turn})
        try:
            yield
        finally:
            _TURNS.set({key: value for key, value in _TURNS.get().items() if key != state_key})
            if not await self._release(hashed_id, lock_key, state_key, token, turn):
                # It expired and maybe another worker took it: nothing to undo, but worth knowing.
                logger.warning(
                    "a conversation lock expired before it was released (work longer than %ss)",
                    self._lock_timeout,
                )

    async def _release(self, hashed_id: str, lock_key: str, state_key: str, token: str, turn: _Turn) -> bool:
        if turn.saved is None:
            return bool(await self._unlock(keys=[lock_key], args=[token]))
        ttl_ms = turn.ttl_ms
        blob = self._cipher.encrypt(turn.saved)
        # The index is in another slot: same pipeline, not the same script (see save_conversation).
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.eval(SAVE_AND_UNLOCK, 2, lock_key, state_key, token, blob, ttl_ms)
            if turn.active:
                pipe.zadd(self._key("idx", "active"), {hashed_id: turn.updated_micros})
            else:
                pipe.zrem(self._key("idx", "active"), hashed_id)
            released, _ = await pipe.execute()
        return bool(released)

    async def seen_before(self, channel: str, message_id: str, ttl_seconds: int) -> bool:
        key = self._key("seen", channel, self._hash(message_id))
        return not await self._redis.set(key, b"1", nx=True, ex=ttl_seconds)

    # -- maintenance ------------------------------------------------------------------------------

    async def purge(self, now: dt.datetime) -> PurgeReport:
        """Abandoned conversations and closed cases; idle states expire by themselves (TTL)."""
        retention = self._retention
        # First: a case that cannot be read below must not keep old dead letters.
        _, dead = inbound_keys(self._p)
        dead_before = int((now - retention.dead_letters_after).timestamp() * 1000)  # stream ids: ms
        dead_deleted = await self._redis.xtrim(dead, minid=f"{dead_before}-0", approximate=False)
        abandoned_before = now - retention.abandoned_after
        erased = 0
        unreadable = 0
        stale = await self._older_than(self._key("idx", "active"), abandoned_before)
        for member in stale:
            try:
                if await self._erase(member, unless_updated_since=abandoned_before):
                    erased += 1
            except (StoreKeyError, ValueError) as error:
                # Written under a key since dropped, or by a version that wrote another shape:
                # one such state must not keep every other one from going, run after run.
                unreadable += 1
                logger.warning("purge: a conversation state cannot be read (%s); left", type(error).__name__)
        closed_before = now - retention.closed_after
        anonymised_count = 0
        old = await self._older_than(self._key("idx", "closed"), closed_before)
        for member in old:
            try:
                if await self._anonymise(member, closed_before):
                    anonymised_count += 1
            except (StoreKeyError, ValueError) as error:
                unreadable += 1
                logger.warning("purge: case %s cannot be read (%s); left", member, type(error).__name__)
        return PurgeReport(
            conversations_erased=erased,
            cases_anonymised=anonymised_count,
            dead_letters_deleted=dead_deleted,
            unreadable=unreadable,
        )

    async def _older_than(self, index: str, moment: dt.datetime) -> list[str]:
        members = await self._redis.zrangebyscore(index, "-inf", f"({_micros(moment)}")
        return [_text(member) for member in cast(list[bytes], members)]

    async def _anonymise(self, case_id: str, closed_before: dt.datetime) -> bool:
        read = await self._read_case(case_id)
        stored = read[1] if read else None
        case = Case.model_validate_json(self._cipher.decrypt(stored)) if stored else None
        if case is not None and case.status == "closed" and case.updated_at >= closed_before:
            # Written since it was listed (a delivery record): its writer moved it in the index,
            # where it stays, to be anonymised when it is old enough.
            return False
        if case is None or case.status != "closed" or not case.conversation_id:
            await self._redis.zrem(self._key("idx", "closed"), case_id)
            if case is not None and not case.conversation_id:
                await self._redis.set(self._key("case", case_id), f"anon:{case_id}")
            return False
        assert stored is not None  # the case was read from it
        hashed_id = self._hash(case.conversation_id)
        # Each step is safe to repeat if the job dies half-way: copy, then delete the original,
        # only if nobody wrote it since it was read (a delivery record, a late answer): else the
        # copy goes and the next purge looks again.
        copy = self._encrypt_model(anonymised(case))
        await self._redis.set(self._key("anon", case_id), copy)
        removed = await self._redis.eval(
            DELETE_CASE_IF_UNCHANGED,
            2,
            self._conv(hashed_id, f"case:{case_id}"),
            self._conv(hashed_id, "cases"),
            stored,
            case_id,
        )
        if not removed:
            return await self._anonymise_not_done(hashed_id, case_id, copy)
        async with self._redis.pipeline(transaction=False) as pipe:
            # The copy again: another purge that read the case before `rotate-keys` rewrote it
            # found the original still there and deleted the copy (its own, it thought).
            pipe.set(self._key("anon", case_id), copy)
            pipe.set(self._key("case", case_id), f"anon:{case_id}")
            pipe.zrem(self._key("idx", "closed"), case_id)
            await pipe.execute()
        return True

    async def _anonymise_not_done(self, hashed_id: str, case_id: str, copy: str) -> bool:
        """The original was not deleted: find out why before touching the copy. Written since
        (it is still there) or erased by the person (the erasure left its mark): the copy goes,
        if it is still this purge's own (another purge running at the same time may have
        written its copy over it, and moved the case with it). Gone without a mark: another
        purge (`triage store purge` beside the daily job) moved it first, and the copy is that
        purge's too: deleting it would lose the case, so the pointer is set, as that purge does
        (the same value, whichever writes last)."""
        original = self._conv(hashed_id, f"case:{case_id}")
        erased = self._conv(hashed_id, f"erased:{case_id}")
        if await self._redis.exists(original, erased):  # one slot: the conversation's hash tag
            await self._unlock(keys=[self._key("anon", case_id)], args=[copy])  # delete if still ours
            return False
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(self._key("case", case_id), f"anon:{case_id}")
            pipe.zrem(self._key("idx", "closed"), case_id)
            await pipe.execute()
        return False  # counted by the purge that moved it

    async def rotate_keys(self) -> int:
        """Re-encrypt every value under the current key (SCAN over this prefix; safe while serving)."""
        rewritten = 0
        async for raw_name in self._redis.scan_iter(match=f"{self._p}:*", count=1000):
            name = _text(raw_name)
            rest = name.removeprefix(f"{self._p}:")
            if _is_blob_key(rest):
                stored = await self._redis.get(name)
                if stored is not None and not self._cipher.is_current(stored):
                    rewritten += await self._replace(keys=[name], args=[stored, self._cipher.rotate(stored)])
            elif rest.startswith("rec:") or rest == "{timers}:refs":
                async for field, stored in self._redis.hscan_iter(name, count=1000):
                    if not self._cipher.is_current(stored):
                        rotated = self._cipher.rotate(stored)
                        rewritten += await self._hreplace(keys=[name], args=[field, stored, rotated])
        return rewritten

    async def rehash(self, old_hash_key: bytes) -> int:
        """Move every entry filed under a keyed hash of `old_hash_key` to the hash of this store's key:
        each conversation's keys (state, cases; a lock is dropped), the case pointers and the active
        index, records and timers (each one's clear identifier is inside its encrypted value). Run it
        with the service stopped. A conversation's keys are copied to their new names (DUMP/RESTORE,
        the TTL kept; on a Cluster the new names are in another slot), the pointers and the index
        moved to the copies, and only then the old keys deleted: an interruption leaves the old keys
        in place, and the next run does that conversation again. Entries already under the new key are
        left alone. If the service ran with the new key before this, what it changed is kept (the
        newer state, cases closed, anonymised or erased since, records and timers written again); but
        a conversation it erased comes back from its old copy, which it could not see: run this before
        starting the service on the new key. De-duplication keys are not moved: they expire within
        days, and the engine remembers the ids it processed. Returns the number of entries moved (a
        conversation's state and each of its cases count one each)."""
        if old_hash_key == self._hash_key:
            return 0
        moved = 0
        groups: dict[str, list[str]] = {}
        opening = f"{self._p}:{{c:"
        async for raw_name in self._redis.scan_iter(match=f"{opening}*", count=1000):
            name = _text(raw_name)
            groups.setdefault(name[len(opening) : name.index("}", len(opening))], []).append(name)
        for hashed, names in groups.items():
            identifier = await self._conversation_id(hashed, names)
            if identifier is None or keyed_hash(identifier, old_hash_key) != hashed:
                continue
            moved += await self._rehash_conversation(hashed, self._hash(identifier), names)
        async for raw_name in self._redis.scan_iter(match=f"{self._p}:rec:*", count=1000):
            name = _text(raw_name)
            async for field, stored in self._redis.hscan_iter(name, count=1000):
                key = self._read_record(stored)[0]
                if keyed_hash(key, old_hash_key) == _text(field):
                    async with self._redis.pipeline(transaction=True) as pipe:
                        pipe.hsetnx(name, self._hash(key), stored)  # one written since is newer
                        pipe.hdel(name, field)
                        written, _ = await pipe.execute()
                    moved += int(written)
        refs, due = self._key("{timers}", "refs"), self._key("{timers}", "due")
        async for field, stored in self._redis.hscan_iter(refs, count=1000):
            kind, key = json.loads(self._cipher.decrypt(stored))
            if keyed_hash(f"{kind}\x00{key}", old_hash_key) != _text(field):
                continue
            member = self._timer_member(kind, key)
            score = await self._redis.zscore(due, field)
            newer = await self._redis.hexists(refs, member)  # scheduled since under the new key
            async with self._redis.pipeline(transaction=True) as pipe:  # one slot: {timers}
                if not newer:
                    pipe.hset(refs, member, stored)
                    if score is not None:
                        pipe.zadd(due, {member: score})
                pipe.hdel(refs, field)
                pipe.zrem(due, field)
                await pipe.execute()
            moved += int(not newer)
        return moved

    async def _rehash_conversation(self, old: str, new: str, names: list[str]) -> int:
        """Copy one conversation's keys from hash `old` to `new`, re-point, then delete the old.
        What the service wrote under the new key since (a state, a case saved or anonymised) is
        newer and stays; the old copies of it are dropped."""
        moved = 0
        new_state = self._conv(new, "state")
        case_ids: set[str] = set()
        for name in names:
            suffix = name.split("}:", 1)[1]
            if suffix == "state":
                if not await self._newer_state_exists(name, new_state):
                    await self._copy(name, new_state)
                    moved += 1
            elif suffix == "cases":
                case_ids |= {_text(member) for member in await self._redis.smembers(name)}
            elif suffix.startswith("case:"):
                case_ids.add(suffix.removeprefix("case:"))
        kept: list[str] = []
        for case_id in sorted(case_ids):
            pointer = await self._redis.get(self._key("case", case_id))
            where = _text(pointer) if pointer is not None else ""
            if pointer is None or where.startswith("anon:"):
                # Erased since (every saved case has a pointer), or anonymised since: the old
                # copy still holds what was erased or cut.
                continue
            if where != f"{{c:{new}}}:case:{case_id}":  # else saved under the new key since
                source = self._conv(old, f"case:{case_id}")
                if source in names:
                    await self._copy(source, self._conv(new, f"case:{case_id}"))
            kept.append(case_id)
        if kept:
            await self._redis.sadd(self._conv(new, "cases"), *kept)  # with those filed since
            async with self._redis.pipeline(transaction=False) as pipe:
                for case_id in kept:
                    pipe.set(self._key("case", case_id), f"{{c:{new}}}:case:{case_id}")
                await pipe.execute()
        score = await self._redis.zscore(self._key("idx", "active"), old)
        if score is not None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self._key("idx", "active"), {new: score}, gt=True)
                pipe.zrem(self._key("idx", "active"), old)
                await pipe.execute()
        await self._redis.delete(*names)  # one slot: the old hash tag
        return moved + len(kept)

    async def _newer_state_exists(self, old_state: str, new_state: str) -> bool:
        """Whether a state written under the new key is at least as recent as the old one."""
        newer = await self._redis.get(new_state)
        if not newer:
            return False
        older = await self._redis.get(old_state)
        if not older:
            return True
        kept = ConversationState.model_validate_json(self._cipher.decrypt(newer))
        moving = ConversationState.model_validate_json(self._cipher.decrypt(older))
        return kept.updated_at >= moving.updated_at

    async def _conversation_id(self, hashed_id: str, names: Sequence[str]) -> str | None:
        """The clear id of a conversation, from its state or else any of its cases."""
        stored = await self._redis.get(self._conv(hashed_id, "state"))
        if stored:
            return ConversationState.model_validate_json(self._cipher.decrypt(stored)).id
        for name in names:
            if ":case:" in name.rsplit("}", 1)[1]:
                case_blob = await self._redis.get(name)
                if case_blob:
                    return Case.model_validate_json(self._cipher.decrypt(case_blob)).conversation_id
        return None

    async def _copy(self, source: str, target: str) -> None:
        dumped = await self._redis.dump(source)
        ttl_ms = await self._redis.pttl(source)
        if dumped is None or ttl_ms == -2:  # gone meanwhile (expired)
            return
        await self._redis.restore(target, max(ttl_ms, 0), dumped, replace=True)

    async def close(self) -> None:
        await self._redis.aclose()
