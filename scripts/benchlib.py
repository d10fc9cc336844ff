"""What every benchmark script prints the same way: the machine, percentiles, memory."""

from __future__ import annotations

import asyncio
import os
import platform
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()} {platform.machine()}"
    return f"{system}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def run_on_loop(main: Coroutine[Any, Any, T], loop: str | None = None) -> T:
    """`asyncio.run` on the event loop `triage serve` and `triage worker` run on (EVENT_LOOP,
    uvloop by default: bot.eventloop), or on `loop` ("uvloop" or "asyncio") when given."""
    from bot.eventloop import loop_factory
    from bot.settings import Settings

    name = loop if loop is not None else Settings().event_loop
    with asyncio.Runner(loop_factory=loop_factory(name)) as runner:  # type: ignore[arg-type]
        return runner.run(main)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb() -> float:
    """Resident memory of this process, from /proc (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


async def delete_prefix(url: str, prefix: str) -> int:
    """Delete one run's Redis keys only: the store's prefix and the queue's hash-tagged keys of
    it (never FLUSHDB: the database may hold someone else's data)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    deleted = 0
    try:
        for pattern in (f"{prefix}:*", f"{{{prefix}:inbound}}:*"):
            batch: list[bytes] = []
            async for key in redis.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += await redis.delete(*batch)
                    batch = []
            if batch:
                deleted += await redis.delete(*batch)
    finally:
        await redis.aclose()
    return deleted
