"""Whatever a person sends, the engine answers and its stored state stays valid (hypothesis)."""

from __future__ import annotations

import asyncio
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import Brain
from bot.core.clock import FixedClock
from bot.core.conversation import ConversationState
from bot.core.messages import InboundMessage
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY

ANSWERS = ["oui", "non", "93", "Lyon", "carte salarié", "le 3 mars", "SUPPRIMER", "retour", "/skip"]
weird_texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", " ", "\x00\x01\x02", "🙂🙂🙂", "؟؟؟", "Bonjour مرحبا hello", "x" * 10_000]),
    st.binary(max_size=300).map(lambda raw: raw.decode("utf-8", errors="replace")),
    st.text(alphabet=st.characters(categories=["So", "Sk", "Cf", "Zs", "Mn"]), max_size=50),
    st.sampled_from(ANSWERS),
)


def run(brain: Brain, messages: list[str]) -> tuple[list[list[str]], ConversationState | None]:
    async def go() -> tuple[list[list[str]], ConversationState | None]:
        store = SqliteStore(":memory:")
        engine = brain.engine(store, FixedClock(TODAY))
        texts = []
        for text in messages:
            replies = await engine.handle(InboundMessage(conversation_id="prop:1", channel="sms", text=text))
            texts.append([reply.text for reply in replies])
        state = await store.load_conversation("prop:1")
        await store.close()
        return texts, state

    return asyncio.run(go())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(weird_texts, min_size=1, max_size=6))
def test_any_input_gets_a_reply_and_leaves_a_valid_state(brain: Brain, messages: list[str]) -> None:
    replies, state = run(brain, messages)
    for turn in replies:
        assert turn, "every message gets at least one reply"
        assert all(text.strip() for text in turn)
        assert not any("Traceback" in text or "Error" in text for text in turn)
    if state is not None:
        # The stored state validates against its own model: nothing corrupted.
        ConversationState.model_validate_json(state.model_dump_json())
        assert len(state.slots.note or "") <= 1000


# Text with no letter and no digit (symbols, emoji, punctuation, spaces, controls) names nothing.
# Not even once normalised as the understanding reads it: "㏖" (a symbol) is "mol" in NFKC.
letterless = st.text(
    alphabet=st.characters(categories=["So", "Sk", "Sm", "Sc", "Po", "Ps", "Pe", "Zs", "Cc"]).filter(
        lambda c: not any(ch.isalnum() for ch in unicodedata.normalize("NFKC", c))
    ),
    max_size=80,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.lists(letterless, min_size=1, max_size=4))
def test_noise_fills_nothing_and_the_question_stands(brain: Brain, noise: list[str]) -> None:
    """Nonsense sent while the bot asks for the prefecture fills nothing, silently or not."""
    replies, state = run(brain, ["Bonjour, je n'ai pas de rendez-vous", "oui", *noise])
    assert state is not None
    assert state.slots.consent is True
    assert state.slots.prefecture is None and state.slots.commune is None
    assert state.pending is None
    assert state.asking == "prefecture"
    assert all(turn for turn in replies[2:]), "every noise message is answered"


def test_ten_kilobytes_is_cut_with_a_notice(brain: Brain) -> None:
    replies, state = run(brain, ["Bonjour, je n'ai pas de rendez-vous", "oui", "a" * 10_000])
    assert any("long" in text for text in replies[-1])
    assert state is not None and state.asking == "prefecture"


def test_binary_garbage_is_answered_and_changes_nothing(brain: Brain) -> None:
    replies, before = run(brain, ["Bonjour, je n'ai pas de rendez-vous", "oui"])
    replies, after = run(brain, ["Bonjour, je n'ai pas de rendez-vous", "oui", "\x00\xff\xfe\x01"])
    assert before is not None and after is not None
    assert after.slots == before.slots
    assert replies[-1]
