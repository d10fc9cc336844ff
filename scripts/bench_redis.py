"""Benchmark: Redis memory per idle conversation, with N conversations stored (default 100,000).

Each conversation is a triage stopped half-way (several slots, a note, labels, the sender's
address), saved encrypted through `RedisStore` as the bot saves it. Memory is Redis
`INFO memory` `used_memory` after minus before, divided by N. Uses its own key prefix in the
given database and deletes exactly those keys at the end (never FLUSHDB).

Run: `.venv/bin/python scripts/bench_redis.py [--url redis://127.0.0.1:6379/14] [--count 100000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
import uuid

from redis.asyncio import Redis

from bot.core.case import Slots
from bot.core.clock import PARIS
from bot.core.conversation import ConversationState
from bot.core.messages import Address
from bot.storage.crypto import FieldCipher
from bot.storage.redis import RedisStore

TARGET_BYTES = 2048


def idle_state(number: int, at: dt.datetime) -> ConversationState:
    phone = f"+336{number:08d}"
    # The provider ids of the last messages, when the state keeps them (bot.queue's idempotence).
    extra = {"processed_ids": [f"kannel-{number}-1", f"kannel-{number}-2"]}
    if "processed_ids" not in ConversationState.model_fields:
        extra = {}
    return ConversationState(
        id=f"sms:{phone}",
        channel="sms",
        slots=Slots(
            language="fr",
            consent=True,
            prefecture="93",
            commune="Saint-Denis",
            document="CST_SAL",
            expiry_date=dt.date(2026, 12, 20),
            application_status="filed_without_proof",
            removal_order=False,
            note="Mon titre expire bientôt et je risque de perdre mon travail, aucun rendez-vous depuis mai.",
        ),
        history=["language", "consent", "prefecture", "commune", "document", "expiry_date"],
        labels={"prefecture": "Seine-Saint-Denis (93)", "document": "Carte de séjour salarié"},
        asking="removal_order",
        greeted=True,
        sender=Address(channel="sms", recipient=phone),
        **extra,
        created_at=at,
        updated_at=at,
    )


async def used_memory(redis: Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


async def main(url: str, count: int, concurrency: int) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    raw = Redis.from_url(url)
    store = RedisStore.from_url(
        url,
        prefix=prefix,
        cipher=FieldCipher([FieldCipher.generate_key()]),
        hash_key=b"bench-hash-key",
        max_connections=concurrency,
    )
    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
    sample = idle_state(0, now)
    try:
        before = await used_memory(raw)
        started = time.perf_counter()
        queue = iter(range(count))

        async def writer() -> None:
            for number in queue:
                await store.save_conversation(idle_state(number, now))

        await asyncio.gather(*(writer() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        after = await used_memory(raw)
        keys = [key async for key in raw.scan_iter(match=f"{prefix}:*", count=10_000)]
        state_key = next(key for key in keys if key.endswith(b":state"))
        blob = await raw.get(state_key) or b""
        per_conversation = (after - before) / count
        print(
            f"conversations stored: {count:,} ({len(keys):,} keys) "
            f"in {elapsed:.1f} s ({count / elapsed:,.0f}/s)"
        )
        print(
            f"state JSON: {len(sample.model_dump_json())} bytes; encrypted blob in Redis: {len(blob)} bytes"
        )
        print(f"MEMORY USAGE of one state key: {await raw.memory_usage(state_key)} bytes")
        print(f"used_memory delta: {after - before:,} bytes")
        verdict = "OK" if per_conversation <= TARGET_BYTES else "OVER TARGET"
        print(
            f"memory per idle conversation: {per_conversation:,.0f} bytes "
            f"(target <= {TARGET_BYTES}): {verdict}"
        )
    finally:
        deleted = 0
        batch: list[bytes] = []
        async for key in raw.scan_iter(match=f"{prefix}:*", count=10_000):
            batch.append(key)
            if len(batch) == 1000:
                deleted += await raw.delete(*batch)
                batch = []
        if batch:
            deleted += await raw.delete(*batch)
        print(f"cleaned up {deleted:,} keys with prefix {prefix}")
        await store.close()
        await raw.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/14", help="Redis URL with a spare database")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()
    asyncio.run(main(options.url, options.count, options.concurrency))
