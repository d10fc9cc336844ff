"""The Redis queue under a burst: webhooks accepted together share script calls, and nothing changes
for the caller: each learns whether its message was queued or a duplicate, in the order accepted.

Redis database 13 with a key prefix of this test's own; only its keys are deleted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.core.messages import InboundMessage
from bot.queue import MAX_BATCH, RedisQueue
from bot.storage.crypto import FieldCipher

REDIS_URL = "redis://127.0.0.1:6379/13"
CIPHER = FieldCipher([FieldCipher.generate_key()]).bytes_cipher()


@pytest.fixture
async def queue() -> AsyncIterator[RedisQueue]:
    prefix = f"test-batch-{uuid.uuid4().hex[:10]}"
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # CI starts a Redis server: its absence is a failure, not a skip
        pytest.fail(f"no Redis answers at {REDIS_URL}: {exc}")
    yield RedisQueue(client, prefix=prefix, cipher=CIPHER)
    async for key in client.scan_iter(match=f"*{prefix}*"):
        await client.delete(key)
    await client.aclose()


def message(number: int, text: str = "bonjour") -> InboundMessage:
    chat = 700_000_000 + number
    return InboundMessage(
        conversation_id=f"telegram:{chat}",
        channel="telegram",
        text=text,
        message_id=f"{100_000_000 + number}",
    )


async def queued_messages(queue: RedisQueue) -> list[InboundMessage]:
    return [queue.decode(fields) for _, fields in await queue.redis.xrange(queue.stream)]


async def test_a_burst_is_queued_once_each_in_the_order_accepted(queue: RedisQueue) -> None:
    count = 2 * MAX_BATCH + 7  # more than one script call's worth
    burst = [message(number) for number in range(count)]
    retried = [message(number) for number in range(0, count, 10)]  # Telegram retrying some at once
    results = await asyncio.gather(*(queue.accept(m) for m in burst + retried))
    assert results == [True] * count + [False] * len(retried)
    stored = await queued_messages(queue)
    assert [m.message_id for m in stored] == [m.message_id for m in burst]
    assert stored[5] == burst[5], "the payload survives encryption and the batch"


async def test_a_lone_message_and_its_duplicate(queue: RedisQueue) -> None:
    assert await queue.accept(message(1)) is True
    assert await queue.accept(message(1, text="the same delivery again")) is False
    assert [m.text for m in await queued_messages(queue)] == ["bonjour"]


async def test_every_webhook_of_a_failed_batch_gets_the_error() -> None:
    # Nothing listens on port 1: the script call fails, and each caller must answer 500 so that
    # the provider delivers again; none may believe its message queued.
    unreachable = Redis.from_url("redis://127.0.0.1:1/13", socket_connect_timeout=1)
    queue = RedisQueue(unreachable, prefix=f"test-batch-{uuid.uuid4().hex[:10]}", cipher=CIPHER)
    await queue.prepare()  # logs and carries on: Redis may come up after the server
    results = await asyncio.gather(*(queue.accept(message(n)) for n in range(5)), return_exceptions=True)
    assert all(isinstance(result, RedisConnectionError) for result in results)
    await queue.drain()
    await unreachable.aclose()


async def test_drain_waits_for_the_batch_in_flight(queue: RedisQueue) -> None:
    pending = [asyncio.ensure_future(queue.accept(message(number))) for number in range(20)]
    await asyncio.sleep(0)  # the calls are waiting for their batch
    await queue.drain()
    assert len(await queued_messages(queue)) == 20
    assert all(task.done() and task.result() is True for task in pending)


async def test_prepare_loads_the_script(queue: RedisQueue) -> None:
    await queue.prepare()
    assert await queue.redis.script_exists(queue._script.sha) == [True]
