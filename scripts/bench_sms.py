"""Benchmark: what a whole French triage costs over SMS, in outgoing segments.

Runs every conversation of tests/eval/fr_conversations.yml through the real engine as channel
"sms" (the `.sms` text variants), answering like `triage eval` does (bot.evaluation), renders each
turn's replies as the SMS channels do (numbered menus, GSM-7 clean-up, replies joined when it costs
no more: bot.channels.sms.outgoing_sms) and counts segments (160/153 GSM-7, 70/67 UCS-2). Target:
at most TRIAGE_MAX_SEGMENTS (15) for a whole triage; tests/test_sms_budget.py enforces it.

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


@dataclass
class Run:
    id: str
    turns: int = 0
    handed_off: bool = False
    # (segments, encoding, text) of every SMS sent.
    sent: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return len(self.sent)

    @property
    def segments(self) -> int:
        return sum(cost for cost, _, _ in self.sent)

    @property
    def ucs2_messages(self) -> int:
        return sum(encoding == "ucs2" for _, encoding, _ in self.sent)


async def run_one(spec: object, brain: object, today: str) -> Run:
    from bot.app import Brain
    from bot.channels.sms import SMS_CHANNEL, outgoing_sms
    from bot.core.clock import FixedClock
    from bot.evaluation import ConversationSpec, run_conversation

    assert isinstance(spec, ConversationSpec) and isinstance(brain, Brain)
    outcome = await run_conversation(spec, brain, FixedClock.parse(today), channel=SMS_CHANNEL)
    run = Run(spec.id, turns=outcome.turns, handed_off=outcome.case is not None)
    run.sent = [(info.segments, info.encoding, text) for text, info in outgoing_sms(outcome.replies)]
    return run


async def main(ids: list[str], detail: bool, every: bool) -> int:
    from bot.app import load_brain
    from bot.channels.sms import TRIAGE_MAX_SEGMENTS
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
        flag = "" if run.segments <= TRIAGE_MAX_SEGMENTS else "  > target"
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
                f"over {TRIAGE_MAX_SEGMENTS}: {sum(s > TRIAGE_MAX_SEGMENTS for s in segments)}"
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
    if every:
        for run in runs:
            print(f"\n== {run.id}: {run.segments} segments")
            for cost, encoding, text in run.sent:
                print(f"-- {cost} x {encoding}, {len(text)} characters\n{text}")
    worst = max((run.segments for run in full), default=0)
    return 0 if worst <= TRIAGE_MAX_SEGMENTS else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--id", action="append", default=[], help="only this conversation (repeatable)")
    parser.add_argument("--detail", action="store_true", help="list the costliest SMS")
    parser.add_argument("--every", action="store_true", help="print every SMS of every conversation")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.id, arguments.detail, arguments.every)))
