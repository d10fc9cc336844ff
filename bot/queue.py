"""Inbound messages through Redis Streams, for several `triage serve` and `triage worker` processes.

`triage serve` verifies a webhook, then de-duplicates and appends the message to a stream in one
Lua script (nothing is lost between "seen" and "queued"), and answers the provider. Webhooks that
arrive together share one script call: while a call is in flight, the next messages wait for it and
then go in one call of their own (no timer: a lone webhook goes at once), so a burst costs Redis
round trips by the batch, not by the message. Any number of
`triage worker` processes read the stream in one consumer group, process each message under the
conversation's lock, send the replies, then acknowledge. A worker that dies before acknowledging
leaves its entries pending; the others take them over after `reclaim_idle_ms` (XAUTOCLAIM). A
message processed twice changes nothing the second time: the engine remembers the provider ids
it processed, in the same write as the state they produced.

Entries carry the message encrypted with the store's cipher when one is configured: messages are
personal data.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.core.messages import InboundMessage
from bot.engine.engine import conversation_key
from bot.inbox import Handler, Sender
from bot.storage.redis import inbound_keys, inbound_tag

logger = logging.getLogger(__name__)

# KEYS[1] the stream, KEYS[1 + i] message i's de-duplication key; ARGV[1] its TTL, ARGV[2] the
# stream's approximate maximum length, ARGV[2 + i] message i's payload. Returns 1 (queued) or
# 0 (a duplicate) per message, in order.
DEDUP_ENQUEUE = """
local queued = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'message', ARGV[i + 1])
    queued[i - 1] = 1
  else
    queued[i - 1] = 0
  end
end
return queued
"""
GROUP = "workers"
# KEYS[1] the stream; ARGV[1] the group, ARGV[2] the entry id.
ACK_AND_DELETE = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
"""
# KEYS[1] the stream, KEYS[2] its dead letters (one hash tag: one Cluster slot); ARGV[1] the group,
# ARGV[2] the entry id, ARGV[3] the dead letters' approximate maximum length. The entry is copied
# from the stream, not from the worker's memory: one erased meanwhile ("erase my data" deletes the
# person's queued messages) is only acknowledged. Returns 1 if moved, 0 if it was gone.
MOVE_TO_DEAD_LETTERS = """
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local moved = 0
if #entry > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(entry[1][2]))
  moved = 1
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return moved
"""
STREAM_MAX_LENGTH = 100_000
# Fault injection for the crash tests: pause after processing, before acknowledging, so that a
# test can kill the worker at the worst moment. Zero (off) unless the environment sets it.
FAULT_PAUSE_SECONDS = float(os.environ.get("TRIAGE_FAULT_PAUSE_BEFORE_ACK", "0") or 0)
# A delivery that failed this many times goes to the dead-letter stream instead of looping.
MAX_DELIVERIES = 5
# Entries that failed MAX_DELIVERIES times are kept for a look, but not without bound.
DEAD_LETTERS_MAX_LENGTH = 10_000
# Messages per script call: bounds how long one call holds Redis (about 10 µs a message).
MAX_BATCH = 64


class Cipher(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, data: bytes) -> bytes: ...


class Locks(Protocol):
    def conversation_lock(self, conversation_id: str) -> AbstractAsyncContextManager[None]: ...


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class RedisQueue:
    """The `Inbox` of several processes: `accept` appends, `Worker` consumes."""

    DEDUP_TTL_SECONDS = 8 * 24 * 3600  # Meta retries for up to 7 days

    def __init__(self, redis: Redis, *, prefix: str, cipher: Cipher | None = None) -> None:
        self.redis = redis
        # One hash tag: the stream and the de-duplication keys live in one Cluster slot, so the
        # script touching both stays legal there.
        self.tag = inbound_tag(prefix)
        self.stream, self.dead_letters = inbound_keys(prefix)
        self.cipher = cipher
        self._script = redis.register_script(DEDUP_ENQUEUE)
        self._waiting: list[tuple[str, bytes, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        """Load the script before the first webhook: else every call of a first burst gets
        NOSCRIPT and loads it again. Redis down at start-up is not fatal (healthz says so)."""
        try:
            await self.redis.script_load(DEDUP_ENQUEUE)
        except (RedisError, OSError) as exc:
            logger.warning("could not load the queue script yet: %s", type(exc).__name__)

    def _dedup_key(self, message: InboundMessage) -> str:
        digest = hashlib.sha256(f"{message.channel}\0{message.message_id}".encode()).hexdigest()[:32]
        return f"{self.tag}:seen:{digest}"

    async def accept(self, message: InboundMessage) -> bool:
        """Queue the message; False for a duplicate delivery. Returns once Redis has it."""
        payload = message.model_dump_json().encode()
        if self.cipher is not None:
            payload = self.cipher.encrypt(payload)
        if message.message_id is None:
            await self.redis.xadd(
                self.stream, {"message": payload}, maxlen=STREAM_MAX_LENGTH, approximate=True
            )
            return True
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((self._dedup_key(message), payload, waiter))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await waiter

    async def _flush(self) -> None:
        """Queue what is waiting, one script call per batch, until nothing waits."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    payloads = [payload for _, payload, _ in batch]
                    queued = await self._script(
                        keys=[self.stream, *(key for key, _, _ in batch)],
                        args=[self.DEDUP_TTL_SECONDS, STREAM_MAX_LENGTH, *payloads],
                    )
                    if not isinstance(queued, list) or len(queued) != len(batch):
                        raise RedisError(f"the queue script answered {type(queued).__name__}")
                except asyncio.CancelledError:
                    for *_, waiter in batch + self._waiting:
                        waiter.cancel()
                    self._waiting = []
                    raise
                except Exception as exc:  # each webhook of the batch answers 500: the provider retries
                    for *_, waiter in batch:
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for (_, _, waiter), flag in zip(batch, queued, strict=True):  # lengths checked above
                    if not waiter.done():  # its request may have been cancelled meanwhile
                        waiter.set_result(bool(flag))
        finally:
            self._flusher = None

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def decode(self, fields: dict[Any, Any]) -> InboundMessage:
        payload = fields[b"message"]
        if self.cipher is not None:
            payload = self.cipher.decrypt(payload)
        return InboundMessage.model_validate_json(payload)

    async def drain(self) -> None:
        """Wait until the messages accepted so far are in Redis (the workers process them)."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)


class Worker:
    def __init__(
        self,
        queue: RedisQueue,
        *,
        handler: Handler,
        outbox: Sender,
        locks: Locks,
        name: str | None = None,
        reclaim_idle_ms: int = 30_000,
        block_ms: int = 1000,
    ) -> None:
        self.queue = queue
        self.handler = handler
        self.outbox = outbox
        self.locks = locks
        self.name = name or consumer_name()
        self.reclaim_idle_ms = reclaim_idle_ms
        self.block_ms = block_ms
        self.processed = 0
        self._ack_and_delete = queue.redis.register_script(ACK_AND_DELETE)
        self._move_to_dead_letters = queue.redis.register_script(MOVE_TO_DEAD_LETTERS)

    async def run(self, stop: asyncio.Event) -> None:
        await self.queue.ensure_group()
        # First our own pending entries (this consumer name restarted), then new ones.
        await self._read(latest=False)
        while not stop.is_set():
            await self.reclaim()
            await self._read(latest=True)

    async def run_once(self) -> int:
        """Process what is there now, then return how many entries were handled (tests, tools)."""
        await self.queue.ensure_group()
        before = self.processed
        await self.reclaim()
        await self._read(latest=False)
        await self._read(latest=True, wait=False)
        return self.processed - before

    async def reclaim(self) -> None:
        """Take over entries another consumer left unacknowledged for too long (it died)."""
        redis = self.queue.redis
        cursor: Any = "0-0"
        while True:
            result = await redis.xautoclaim(
                self.queue.stream, GROUP, self.name, self.reclaim_idle_ms, start_id=cursor, count=50
            )
            cursor, entries = result[0], result[1]
            for entry_id, fields in entries:
                await self._handle_or_forget(entry_id, fields)
            if cursor in (b"0-0", "0-0"):
                return

    async def _read(self, *, latest: bool, wait: bool = True) -> None:
        # Blocking only makes sense for new entries; our own pending ones are there or not.
        block = self.block_ms if latest and wait else None
        response: Any = await self.queue.redis.xreadgroup(
            GROUP, self.name, {self.queue.stream: ">" if latest else "0"}, count=20, block=block
        )
        for _stream, entries in response or []:
            for entry_id, fields in entries:
                await self._handle_or_forget(entry_id, fields)

    async def _handle_or_forget(self, entry_id: bytes, fields: dict[Any, Any] | None) -> None:
        if fields:
            await self._handle(entry_id, fields)
        else:  # pending, but deleted from the stream (erased): nothing to process or keep
            await self._done(entry_id)

    async def _handle(self, entry_id: bytes, fields: dict[Any, Any]) -> None:
        try:
            message = self.queue.decode(fields)
        except Exception:
            logger.error("unreadable queue entry %s moved to dead letters", entry_id)
            await self._bury(entry_id)
            return
        try:
            async with self.locks.conversation_lock(message.conversation_id):
                # Read before the lock, this message may have been erased while another worker
                # held it ("erase my data" deletes the person's queued entries, under this lock):
                # processed now, it would open a new conversation with what they asked to erase.
                erased = not await self._still_queued(entry_id)
                replies = [] if erased else await self.handler(message)
            if FAULT_PAUSE_SECONDS:  # processed and saved (the release writes), not acknowledged
                await asyncio.sleep(FAULT_PAUSE_SECONDS)
            if replies and message.sender is not None:
                await self.outbox.send(message.sender, replies)
        except Exception:
            logger.exception(
                "processing failed for conversation %s", conversation_key(message.conversation_id)
            )
            if await self._deliveries(entry_id) < MAX_DELIVERIES:
                return  # left pending: reclaimed and retried later
            await self._bury(entry_id)
        else:
            await self._done(entry_id)
        self.processed += 1

    async def _still_queued(self, entry_id: bytes) -> bool:
        return bool(await self.queue.redis.xrange(self.queue.stream, entry_id, entry_id, count=1))

    async def _bury(self, entry_id: bytes) -> None:
        """Move the entry to the dead letters, unless it was erased meanwhile; acknowledge it."""
        await self._move_to_dead_letters(
            keys=[self.queue.stream, self.queue.dead_letters],
            args=[GROUP, entry_id, DEAD_LETTERS_MAX_LENGTH],
        )

    async def _done(self, entry_id: bytes) -> None:
        """Acknowledge and delete the entry, in one script (atomic, one key: Cluster-safe): once
        processed, a message (personal data) has no reason to stay in Redis, where "erase my
        data" would not find it."""
        await self._ack_and_delete(keys=[self.queue.stream], args=[GROUP, entry_id])

    async def _deliveries(self, entry_id: bytes) -> int:
        pending = await self.queue.redis.xpending_range(
            self.queue.stream, GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 0
