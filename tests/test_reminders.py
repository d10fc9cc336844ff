"""One reminder to a person who stopped answering half-way (bot/reminders.py), through the real
engine, data and desk, on the embedded store and on a real Redis (with its conversation lock)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.app import Brain
from bot.core.clock import FixedClock
from bot.core.messages import Address, InboundMessage, Reply
from bot.engine.engine import TIMER_IDLE, Engine
from bot.reminders import IdleReminders
from bot.service import assemble
from bot.settings import Settings
from bot.storage import Store
from bot.storage.crypto import FieldCipher
from bot.storage.redis import RedisStore
from bot.storage.sqlite import SqliteStore
from tests.conftest import TODAY

REDIS_URL = "redis://127.0.0.1:6379/13"
AFTER = dt.timedelta(hours=3)
PERSON = Address(channel="telegram", recipient="5550001234")
CONVERSATION = "telegram:5550001234"


class RecordingOutbox:
    def __init__(self) -> None:
        self.sent: list[tuple[Address, Reply]] = []

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        self.sent.extend((address, reply) for reply in replies)

    @property
    def text(self) -> str:
        return "\n".join(reply.text for _, reply in self.sent)


@pytest.fixture(params=["sqlite", "redis"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "triage.db")
        yield sqlite
        await sqlite.close()
        return
    prefix = f"test-remind-{uuid.uuid4().hex[:10]}"
    store = RedisStore.from_url(REDIS_URL, prefix=prefix, cipher=FieldCipher([FieldCipher.generate_key()]))
    try:
        await store.client.ping()
    except Exception as exc:  # CI starts a Redis server: its absence is a failure, not a skip
        pytest.fail(f"no Redis answers at {REDIS_URL}: {exc}")
    yield store
    await store.close()
    client = Redis.from_url(REDIS_URL)
    async for key in client.scan_iter(match=f"*{prefix}*"):
        await client.delete(key)
    await client.aclose()


class Setup:
    def __init__(self, brain: Brain, store: Store, *, remind_after: dt.timedelta | None = AFTER) -> None:
        self.clock = FixedClock(TODAY)
        self.store = store
        self.outbox = RecordingOutbox()
        self.engine: Engine = brain.engine(store, self.clock, remind_after=remind_after)
        self.reminders = IdleReminders(store, self.engine, self.outbox, self.clock) if remind_after else None

    async def say(self, text: str) -> list[Reply]:
        message = InboundMessage(conversation_id=CONVERSATION, channel="telegram", text=text, sender=PERSON)
        return await self.engine.handle(message)

    async def consent_in_lyon(self) -> list[Reply]:
        """The first message, the consent, the place (Lyon): the paper question is on screen."""
        await self.say("Bonjour, je n'ai pas de rendez-vous")
        await self.say("oui")
        return await self.say("j'habite à Lyon")

    async def later(self, delta: dt.timedelta) -> int:
        self.clock.advance(delta)
        assert self.reminders is not None, "reminders switched off"
        return await self.reminders.tick()


async def test_a_silence_gets_one_reminder_with_the_question_again(brain: Brain, any_store: Store) -> None:
    s = Setup(brain, any_store)
    asked = (await s.consent_in_lyon())[-1]
    assert asked.asking == "document"
    assert await s.later(AFTER - dt.timedelta(minutes=1)) == 0
    assert await s.later(dt.timedelta(minutes=2)) == 1
    (to, *_), texts = s.outbox.sent[0], s.outbox.text
    assert to == PERSON
    assert "Vous n'avez pas fini de répondre" in texts and asked.text in texts
    state = await any_store.load_conversation(CONVERSATION)
    assert state is not None and state.reminded and state.asking == "document"
    # Once only, however long the silence.
    assert await s.later(dt.timedelta(days=2)) == 0
    # The person answers the question asked again: the triage goes on.
    assert (await s.say("carte étudiant"))[-1].asking == "expiry_date"


async def test_someone_who_wrote_since_is_not_reminded_until_silent_again(
    brain: Brain, any_store: Store
) -> None:
    s = Setup(brain, any_store)
    await s.consent_in_lyon()
    s.clock.advance(dt.timedelta(hours=2))
    await s.say("carte étudiant")  # two hours later
    assert await s.later(dt.timedelta(hours=1, minutes=1)) == 0  # the timer moves to 3 h after it
    assert s.outbox.sent == []
    assert await s.later(dt.timedelta(hours=2)) == 1


async def test_an_urgent_case_left_half_way_is_handed_off_with_what_is_known(
    brain: Brain, any_store: Store
) -> None:
    """Expired and not filed (P1), the place known: the case should not wait for the rest."""
    s = Setup(brain, any_store)
    await s.say("Bonjour, je suis à Bobigny, ma carte vie privée et familiale a expiré le 3 mars")
    await s.say("oui")
    await s.say("non, impossible d'avoir un rendez-vous")  # not filed: P1, then silence
    assert await any_store.cases_for_conversation(CONVERSATION) == []
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 1
    assert "votre situation semble urgente" in s.outbox.text
    (case,) = await any_store.cases_for_conversation(CONVERSATION)
    assert case.urgency.level == "P1" and case.slots.prefecture == "93"
    # Its timer went with the hand-off: nothing is left to come due.
    assert [t for t in await any_store.due_timers(s.clock.now() + AFTER * 2) if t.kind == TIMER_IDLE] == []
    state = await any_store.load_conversation(CONVERSATION)
    assert state is not None and state.status == "handed_off"


async def test_no_reminder_without_consent_after_the_hand_off_or_when_switched_off(
    brain: Brain, any_store: Store
) -> None:
    s = Setup(brain, any_store)
    await s.say("Bonjour, je n'ai pas de rendez-vous")  # the consent is asked: not given yet
    assert await s.later(AFTER * 2) == 0
    off = Setup(brain, any_store, remind_after=None)
    await off.say("oui")
    await off.say("j'habite à Lyon")
    assert [t for t in await any_store.due_timers(off.clock.now() + AFTER * 10) if t.kind == TIMER_IDLE] == []
    assert off.outbox.sent == [] and s.outbox.sent == []


async def test_an_erased_conversation_is_not_reminded(brain: Brain, any_store: Store) -> None:
    s = Setup(brain, any_store)
    await s.consent_in_lyon()
    await s.say("SUPPRIMER")
    await s.say("oui")
    assert await any_store.load_conversation(CONVERSATION) is None
    assert [t for t in await any_store.due_timers(s.clock.now() + AFTER * 2) if t.kind == TIMER_IDLE] == []
    assert await s.later(AFTER * 2) == 0
    assert s.outbox.sent == []


async def test_the_service_reminds_when_the_setting_says_so(brain: Brain, any_store: Store) -> None:
    clock = FixedClock(TODAY)
    on = await assemble(Settings(reminder_after_hours=2, demo_volunteers=None), brain, any_store, clock, {})
    assert on.reminders is not None and on.engine.remind_after == dt.timedelta(hours=2)
    off = await assemble(Settings(reminder_after_hours=0, demo_volunteers=None), brain, any_store, clock, {})
    assert off.reminders is None and off.engine.remind_after is None


async def test_a_conversation_handed_off_leaves_no_timer(brain: Brain, any_store: Store) -> None:
    s = Setup(brain, any_store)
    await s.say("Bonjour, je suis au CRA de Vincennes depuis hier")
    await s.say("oui")  # consent: the place is asked, the timer set
    assert [t.kind for t in await any_store.due_timers(s.clock.now() + AFTER * 2)] == [TIMER_IDLE]
    await s.say("Créteil")  # P0: handed off at once
    assert await any_store.due_timers(s.clock.now() + AFTER * 2) == []
    assert await s.later(AFTER * 2) == 0


async def test_someone_detained_silent_at_the_place_question_is_handed_off_without_it(
    brain: Brain, any_store: Store
) -> None:
    s = Setup(brain, any_store)
    await s.say("Bonjour, je suis au CRA depuis hier")
    await s.say("oui")  # consent; then silence at "where do you live?"
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 1
    (case,) = await any_store.cases_for_conversation(CONVERSATION)
    assert case.urgency.level == "P0" and case.slots.prefecture is None
    state = await any_store.load_conversation(CONVERSATION)
    assert state is not None and state.status == "handed_off"
    assert s.outbox.sent[-1][1].asking == "prefecture"  # asked again after the hand-off


async def test_a_relative_is_told_it_is_their_relatives_situation(brain: Brain, any_store: Store) -> None:
    s = Setup(brain, any_store)
    await s.say("Bonjour, mon mari est au CRA depuis hier")
    await s.say("pour lui")
    await s.say("oui")  # consent; then silence at the place question
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 1
    assert "la situation de votre proche semble urgente" in s.outbox.text


async def test_the_web_chat_is_not_reminded(brain: Brain, any_store: Store) -> None:
    """Found by a review: its "new conversation" button leaves the old one behind, which a reminder
    then handed off as a second case."""
    s = Setup(brain, any_store)
    web = Address(channel="web", recipient="web:abcd-1234-efgh")
    for text in ("Bonjour, je n'ai pas de rendez-vous", "oui", "Lyon"):
        await s.engine.handle(
            InboundMessage(conversation_id=web.recipient, channel="web", text=text, sender=web)
        )
    assert await any_store.due_timers(s.clock.now() + AFTER * 2) == []


async def test_a_silence_while_confirming_an_erasure_is_watched_again_after(
    brain: Brain, any_store: Store
) -> None:
    """Found by a review: the timer was used up while "are you sure?" waited, and never set again."""
    s = Setup(brain, any_store)
    await s.consent_in_lyon()
    await s.say("SUPPRIMER")  # then silence on "are you sure?"
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 0
    await s.say("non")  # not erased after all; the place question comes again, then silence
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 1
    assert "Vous n'avez pas fini de répondre" in s.outbox.text


async def test_a_p0_silent_at_a_choice_of_place_is_really_handed_off(brain: Brain, any_store: Store) -> None:
    """Found by a code review: "which Saint-Denis?" waiting, the reminder said "transmitted" and
    no case existed."""
    s = Setup(brain, any_store)
    await s.say("Bonjour, je suis au CRA depuis hier")
    await s.say("oui")
    assert (await s.say("Saint-Denis"))[-1].options  # the choice of Saint-Denis waits
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 1
    (case,) = await any_store.cases_for_conversation(CONVERSATION)
    assert case.urgency.level == "P0" and "semble urgente" in s.outbox.text


async def test_a_reminder_does_not_make_asking_for_a_human_skip_the_place(
    brain: Brain, any_store: Store
) -> None:
    s = Setup(brain, any_store)
    await s.say("Bonjour, je n'ai pas de rendez-vous")
    await s.say("oui")
    assert await s.later(AFTER + dt.timedelta(minutes=1)) == 1  # P4: a reminder only
    await s.say("je veux parler à un humain")
    replies = await s.say("un humain svp")
    assert replies[-1].asking == "prefecture"
    assert await any_store.cases_for_conversation(CONVERSATION) == []
