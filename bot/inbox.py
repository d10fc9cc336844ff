"""From an accepted webhook to the engine and back: de-duplicate, order, process, send.

verify → de-duplicate on the provider's id → acknowledge → process, serialized per
conversation. Messages of one person that arrive within `reorder_window` seconds are processed
in the order the provider says they were sent (webhooks race; Kannel was seen delivering two
messages in reverse order). Processing runs in tracked background tasks, or inline for tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.messages import Address, InboundMessage, Reply
from bot.engine.engine import conversation_key
from bot.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

Handler = Callable[[InboundMessage], Awaitable[list[Reply]]]


class Deduplicator(Protocol):
    async def seen_before(self, channel: str, message_id: str, ttl_seconds: int) -> bool: ...


class MemoryDeduplicator:
    """Process-local de-duplication, for the embedded store (one process)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}

    async def seen_before(self, channel: str, message_id: str, ttl_seconds: int) -> bool:
        now = time.monotonic()
        if len(self._seen) > 100_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        key = (channel, message_id)
        if self._seen.get(key, 0.0) > now:
            return True
        self._seen[key] = now + ttl_seconds
        return False


class Sender(Protocol):
    async def send(self, address: Address, replies: Sequence[Reply]) -> None: ...


@dataclass
class _Pending:
    messages: list[InboundMessage] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class Inbox:
    DEDUP_TTL_SECONDS = 7 * 24 * 3600  # Meta retries for up to 7 days

    def __init__(
        self,
        *,
        handler: Handler,
        outbox: Sender,
        dedup: Deduplicator,
        reorder_window: float = 0.0,
        process_inline: bool = False,
    ) -> None:
        self.handler = handler
        self.outbox = outbox
        self.dedup = dedup
        self.reorder_window = reorder_window
        self.process_inline = process_inline
        self._pending: dict[str, _Pending] = {}
        self._tasks = BackgroundTasks()
        self._locks: dict[str, asyncio.Lock] = {}

    async def accept(self, message: InboundMessage) -> bool:
        """Take a message in; False when it is a duplicate delivery (already taken)."""
        if message.message_id and await self.dedup.seen_before(
            message.channel, message.message_id, self.DEDUP_TTL_SECONDS
        ):
            logger.info("duplicate delivery ignored on %s", message.channel)
            return False
        pending = self._pending.setdefault(message.conversation_id, _Pending())
        pending.messages.append(message)
        if self.process_inline and self.reorder_window == 0:
            await self._drain(message.conversation_id)
        elif pending.task is None or pending.task.done():
            pending.task = self._tasks.spawn(self._drain_later(message.conversation_id))
        return True

    async def _drain_later(self, conversation_id: str) -> None:
        await asyncio.sleep(self.reorder_window)
        await self._drain(conversation_id)

    async def _drain(self, conversation_id: str) -> None:
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            pending = self._pending.get(conversation_id)
            while pending and pending.messages:
                batch = sorted(pending.messages, key=_order)
                pending.messages.clear()
                for message in batch:
                    await self._process(message)
            if pending is not None and not pending.messages:
                self._pending.pop(conversation_id, None)
                self._locks.pop(conversation_id, None)

    async def _process(self, message: InboundMessage) -> None:
        try:
            replies = await self.handler(message)
            if replies and message.sender is not None:
                await self.outbox.send(message.sender, replies)
        except Exception:
            logger.exception(
                "processing failed for conversation %s", conversation_key(message.conversation_id)
            )

    async def drain(self) -> None:
        """Wait for every message taken in so far (shutdown, tests)."""
        await self._tasks.drain()


def _order(message: InboundMessage) -> tuple[dt.datetime, str]:
    sent = message.sent_at or dt.datetime.min.replace(tzinfo=dt.UTC)
    if sent.tzinfo is None:  # a provider's date without a zone: never compare naive with aware
        sent = sent.replace(tzinfo=dt.UTC)
    return sent, message.message_id or ""


class ChannelOutbox:
    """The `Outbox` port over the enabled channels: picks the channel by the address."""

    def __init__(self, channels: Mapping[str, Sender]) -> None:
        self.channels = dict(channels)

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        channel = self.channels.get(address.channel)
        if channel is None:
            logger.warning("no enabled channel %s to send to", address.channel)
            return
        await channel.send(address, replies)
