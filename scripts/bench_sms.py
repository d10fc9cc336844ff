"""Benchmark: what a whole French triage costs over SMS, in outgoing segments.

Runs every conversation of tests/eval/fr_conversations.yml through the real engine as channel
"sms" (the `.sms` text variants), answering like `triage eval` does, renders each turn's replies as
the SMS channels do (numbered menus, GSM-7 clean-up, replies joined when it costs no more) and
counts segments (160/153 GSM-7, 70/67 UCS-2). Target: at most 15 segments for a whole triage.

Run: `.venv/bin/python scripts/bench_sms.py [--detail] [--id fr-expired-bobigny]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 15
MAX_TURNS = 30


@dataclass
class Run:
    id: str
    turns: int = 0
    messages: int = 0
    segments: int = 0
    ucs2_messages: int = 0
    handed_off: bool = False
    # (segments, encoding, text) of every SMS sent.
    sent: list[tuple[int, str, str]] = field(default_factory=list)


async def run_one(spec: object, brain: object, today: str) -> Run:
    from bot.app import Brain
    from bot.channels.sms import measure, render_sms
    from bot.core.clock import FixedClock
    from bot.core.messages import InboundMessage, Reply
    from bot.evaluation import NEUTRAL_START, SKIP, ConversationSpec
    from bot.storage.sqlite import SqliteStore

    assert isinstance(spec, ConversationSpec) and isinstance(brain, Brain)
    store = SqliteStore(":memory:")
    engine = brain.engine(store, FixedClock.parse(today))
    conversation_id = f"sms:bench-{spec.id}"
    run = Run(spec.id)

    async def send(text: str | None = None, option: str | None = None) -> list[Reply]:
        message = InboundMessage(conversation_id=conversation_id, channel="sms", text=text, option=option)
        replies = await engine.handle(message)
        run.turns += 1
        for sms in render_sms(replies):
            info = measure(sms)
            run.messages += 1
            run.segments += info.segments
            run.ucs2_messages += info.encoding == "ucs2"
            run.sent.append((info.segments, info.encoding, sms))
        return replies

    openings = spec.opening if isinstance(spec.opening, list) else [spec.opening or NEUTRAL_START]
    replies: list[Reply] = []
    for opening in openings:
        replies = await send(opening)
    previous: str | None = None
    while run.turns < MAX_TURNS:
        question = next((reply for reply in reversed(replies) if reply.asking), None)
        if question is None or question.asking is None:
            break
        slot = question.asking
        if question.confirming:
            replies = await send("1")  # the first proposal, by its number in the menu
        elif slot == previous:
            replies = await send(SKIP)
        else:
            replies = await send(spec.answers.get(slot, SKIP))
        previous = None if question.confirming else slot
    run.handed_off = bool(await store.cases_for_conversation(conversation_id))
    await store.close()
    return run


async def main(ids: list[str], detail: bool) -> int:
    from bot.app import load_brain
    from bot.evaluation import ConversationFile, load_eval_file
    from bot.settings import Settings

    brain = load_brain(Settings())
    loaded = load_eval_file(ROOT / "tests" / "eval" / "fr_conversations.yml")
    assert isinstance(loaded, ConversationFile)
    specs = [spec for spec in loaded.conversations if not ids or spec.id in ids]
    runs = [await run_one(spec, brain, loaded.today) for spec in specs]
    full = [run for run in runs if run.handed_off]

    print(f"{'conversation':<40} {'turns':>5} {'SMS':>4} {'UCS-2':>5} {'segments':>8}  handed off")
    for run in runs:
        flag = "" if run.segments <= TARGET else "  > target"
        print(
            f"{run.id:<40} {run.turns:>5} {run.messages:>4} {run.ucs2_messages:>5} {run.segments:>8}"
            f"  {'yes' if run.handed_off else 'no'}{flag}"
        )
    for label, group in (("all conversations", runs), ("handed off (whole triages)", full)):
        if group:
            segments = [run.segments for run in group]
            print(
                f"{label}: {len(group)}; outgoing segments min {min(segments)}, "
                f"median {statistics.median(segments):g}, max {max(segments)}; "
                f"over {TARGET}: {sum(s > TARGET for s in segments)}"
            )
    if detail:
        costs: Counter[str] = Counter()
        seen: dict[str, tuple[int, str]] = {}
        for run in runs:
            for cost, encoding, text in run.sent:
                costs[text] += cost
                seen[text] = (cost, encoding)
        print("\nthe SMS that cost the most over all conversations (segments each, encoding, text):")
        for text, total in costs.most_common(25):
            cost, encoding = seen[text]
            print(f"{total:>4} = {cost} x {encoding}: {text!r}")
    worst = max((run.segments for run in full), default=0)
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--id", action="append", default=[], help="only this conversation (repeatable)")
    parser.add_argument("--detail", action="store_true", help="list the costliest SMS")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.id, arguments.detail)))
