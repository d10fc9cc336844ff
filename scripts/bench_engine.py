"""Benchmark: whole French triages in-process on the embedded store, and understanding one message.

Prints turns per second and p50/p99/max per turn (engine + NLU + SQLite on a file), the time to
understand one message, start-up time and resident memory. Run: `.venv/bin/python scripts/bench_engine.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import machine, percentile, rss_mb

ROOT = Path(__file__).resolve().parent.parent


async def run(conversations: int) -> None:
    started = time.perf_counter()
    from bot.app import load_brain
    from bot.core.clock import FixedClock
    from bot.core.messages import InboundMessage
    from bot.settings import Settings
    from bot.storage.sqlite import SqliteStore

    brain = load_brain(Settings())
    startup = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # what a server does after loading its data: the old generation is not rescanned
    print(f"machine: {machine()}")
    print(f"start-up (imports + data + models from cache): {startup:.2f} s; RSS {rss_mb():.0f} MB")

    spec = yaml.safe_load((ROOT / "tests" / "eval" / "fr_conversations.yml").read_text(encoding="utf-8"))
    clock = FixedClock.parse(spec["today"])
    scripts = spec["conversations"]
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.db")
        engine = brain.engine(store, clock)
        turn_ms: list[float] = []
        handed_off = 0
        wall = time.perf_counter()
        for index in range(conversations):
            script = scripts[index % len(scripts)]
            conversation_id = f"bench:{index}"
            opening = script.get("opening") or "/start"
            pending = [opening] if isinstance(opening, str) else list(opening)
            replies = []
            for _ in range(40):
                text = pending.pop(0) if pending else None
                if text is None:
                    question = next((r for r in reversed(replies) if r.asking), None)
                    if question is None:
                        break
                    if question.confirming:
                        message = InboundMessage(
                            conversation_id=conversation_id, option=question.options[0].id
                        )
                    else:
                        message = InboundMessage(
                            conversation_id=conversation_id,
                            text=script["answers"].get(question.asking, "/skip"),
                        )
                else:
                    message = InboundMessage(conversation_id=conversation_id, text=text)
                t0 = time.perf_counter()
                replies = await engine.handle(message)
                turn_ms.append((time.perf_counter() - t0) * 1000)
            if await store.cases_for_conversation(conversation_id):
                handed_off += 1
        elapsed = time.perf_counter() - wall
        await store.close()
    print(
        f"whole triages: {conversations} conversations, {handed_off} handed off, {len(turn_ms)} turns in"
        f" {elapsed:.2f} s = {len(turn_ms) / elapsed:.0f} turns/s"
    )
    print(
        f"per turn (engine + NLU + SQLite file): p50 {statistics.median(turn_ms):.2f} ms,"
        f" p99 {percentile(turn_ms, 0.99):.2f} ms, max {max(turn_ms):.2f} ms"
    )

    examples = []
    for path in sorted((ROOT / "tests" / "eval").glob("*_understanding.yml")):
        examples.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["examples"])
    now = clock.now()
    nlu_ms = []
    for _ in range(5):
        for example in examples:
            t0 = time.perf_counter()
            brain.understanding.read(example["text"], lang=example["lang"], asked=example["slot"], now=now)
            nlu_ms.append((time.perf_counter() - t0) * 1000)
    print(
        f"understanding one message ({len(nlu_ms)} reads of {len(examples)} examples):"
        f" p50 {statistics.median(nlu_ms):.3f} ms, p99 {percentile(nlu_ms, 0.99):.3f} ms,"
        f" max {max(nlu_ms):.2f} ms"
    )
    print(f"RSS at the end: {rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.conversations))


if __name__ == "__main__":
    main()
