"""Issue 5: a whole French triage over SMS sends at most 15 segments (the texts' budget).

Every conversation of tests/eval/fr_conversations.yml that ends in a hand-off is played as channel
"sms" by the evaluation's own runner, and its replies are rendered and counted as the SMS channels
send them (scripts/bench_sms.py prints the same figures, and every SMS with --every).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Brain
from bot.channels.sms import TRIAGE_MAX_SEGMENTS, outgoing_sms
from bot.core.clock import FixedClock
from bot.core.messages import SMS_CHANNEL
from bot.evaluation import ConversationFile, ConversationSpec, load_eval_file, run_conversation

FRENCH = load_eval_file(Path(__file__).parent / "eval" / "fr_conversations.yml")
assert isinstance(FRENCH, ConversationFile)
WHOLE_TRIAGES = [spec for spec in FRENCH.conversations if spec.expect.get("handed_off") is True]


def test_the_file_has_whole_triages_of_every_kind() -> None:
    assert len(WHOLE_TRIAGES) >= 40
    assert any(spec.opening is None for spec in WHOLE_TRIAGES), "a neutral start (no language to detect)"
    assert any(spec.expect.get("urgency") == "P0" for spec in WHOLE_TRIAGES), "a fast track"


@pytest.mark.parametrize("spec", WHOLE_TRIAGES, ids=lambda spec: spec.id)
async def test_a_whole_french_triage_fits_the_sms_budget(brain: Brain, spec: ConversationSpec) -> None:
    assert isinstance(FRENCH, ConversationFile)
    outcome = await run_conversation(spec, brain, FixedClock.parse(FRENCH.today), channel=SMS_CHANNEL)
    assert outcome.case is not None, "handed off over SMS too"
    sent = outgoing_sms(outcome.replies)
    segments = sum(info.segments for _, info in sent)
    assert segments <= TRIAGE_MAX_SEGMENTS, [f"{info.segments}: {text}" for text, info in sent]
