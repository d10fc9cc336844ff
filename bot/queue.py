"""Inbound messages through Redis Streams, for several `triage serve` and `triage worker` processes.

`triage serve` verifies a webhook, then de-duplicates and appends the message to a stream in one
Lua script (nothing is lost between "seen" and "queued"), and answers the provider. Any number of
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
import logging
import os
import socket
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.core.messages import InboundMessage
from bot.engine.engine import conversation_key
from bot.inbox import Handler, Sender

logger = logging.getLogger(__name__)

DEDUP_ENQUEUE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'message', ARGV[3])
end
return false
"""
GROUP = "workers"
STREAM_MAX_LENGTH = 100_000
# Fault injection for the crash tests: pause after processing, before acknowledging, so that a
# test can kill the worker at the worst moment. Zero (off) unless the environment sets it.
FAULT_PAUSE_SECONDS = float(os.environ.get("TRIAGE_FAULT_PAUSE_BEFORE_ACK", "0") or 0)
# A delivery that failed this many times goes to the dead-letter stream instead of looping.
MAX_DELIVERIES = 5


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
        self.tag = f"{{{prefix}:inbound}}"
        self.stream = f"{self.tag}:stream"
        self.dead_letters = f"{self.tag}:dead"
        self.cipher = cipher
        self._script = redis.register_script(DEDUP_ENQUEUE)

    def _dedup_key(self, message: InboundMessage) -> str:
        import hashlib

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
        entry = await self._script(
            keys=[self._dedup_key(message), self.stream],
            args=[self.DEDUP_TTL_SECONDS, STREAM_MAX_LENGTH, payload],
        )
        return entry is not None

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
        """Nothing to wait for in this process: the workers process."""


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
                if fields:
                    await self._handle(entry_id, fields)
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
                if fields:
                    await self._handle(entry_id, fields)

    async def _handle(self, entry_id: bytes, fields: dict[Any, Any]) -> None:
        redis = self.queue.redis
        try:
            message = self.queue.decode(fields)
        except Exception:
            logger.exception("unreadable queue entry %s moved to dead letters", entry_id)
            await redis.xadd(self.queue.dead_letters, fields)
            await redis.xack(self.queue.stream, GROUP, entry_id)
            return
        try:
            async with self.locks.conversation_lock(message.conversation_id):
                replies = await self.handler(message)
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
            await redis.xadd(self.queue.dead_letters, fields)
        await redis.xack(self.queue.stream, GROUP, entry_id)
        self.processed += 1

    async def _deliveries(self, entry_id: bytes) -> int:
        pending = await self.queue.redis.xpending_range(
            self.queue.stream, GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 0
