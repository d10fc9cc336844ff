"""The SMS fallback: retries, the fall back to SMS, and the delivery log on the case."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.channels.base import ChannelSendError
from bot.core.case import Case, Slots, UrgencyDecision
from bot.core.clock import FixedClock
from bot.core.conversation import ConversationState
from bot.core.messages import Address, Reply
from bot.fallback import (
    FallbackOutbox,
    PhoneNumberError,
    forget_phone,
    normalize_phone,
    remember_phone,
)
from bot.storage.sqlite import SqliteStore

CONVERSATION = "telegram:424242"
TELEGRAM = Address(channel="telegram", recipient="424242")
REPLIES = [Reply(text="Bonne nouvelle : Amina, de La Cimade, va vous aider.")]


class FakeChannel:
    """A channel's `send` that fails as scripted (one outcome per call), then succeeds."""

    def __init__(self, name: str, failures: Sequence[ChannelSendError] = ()) -> None:
        self.name = name
        self.failures = list(failures)
        self.calls: list[Address] = []
        self.sent: list[tuple[Address, list[Reply]]] = []

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        self.calls.append(address)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((address, list(replies)))


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


BLOCKED = ChannelSendError("Forbidden: bot was blocked by the user", retryable=False)


async def _case_for(store: SqliteStore, clock: FixedClock, *, consent: bool | None) -> Case:
    slots = Slots(language="fr", consent=consent, prefecture="34")
    state = ConversationState(
        id=CONVERSATION, channel="telegram", slots=slots, created_at=clock.now(), updated_at=clock.now()
    )
    await store.save_conversation(state)
    urgency = UrgencyDecision(
        level="P3", rule="default", base_level="P3", modifier_applied=False, reason_fr="r", reason="r"
    )
    case = Case(
        id="case-1",
        conversation_id=CONVERSATION,
        channel="telegram",
        slots=slots,
        urgency=urgency,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    await store.save_case(case)
    return case


def _outbox(
    store: SqliteStore, clock: FixedClock, telegram: FakeChannel, sms: FakeChannel, sleeps: Sleeps
) -> FallbackOutbox:
    return FallbackOutbox({"telegram": telegram, "sms": sms}, "sms", store, clock=clock, sleep=sleeps)


async def test_blocked_telegram_falls_back_to_sms_and_records_it(
    store: SqliteStore, clock: FixedClock
) -> None:
    await _case_for(store, clock, consent=True)
    assert await remember_phone(store, CONVERSATION, "06 12 34 56 78") == "+33612345678"
    telegram, sms, sleeps = FakeChannel("telegram", [BLOCKED]), FakeChannel("sms"), Sleeps()

    delivery = await _outbox(store, clock, telegram, sms, sleeps).deliver(TELEGRAM, REPLIES)

    assert delivery.delivered_by == "sms"
    assert len(telegram.calls) == 1, "a permanent failure is not retried"
    assert sleeps.waits == []
    assert sms.sent == [(Address(channel="sms", recipient="+33612345678"), REPLIES)]
    case = await store.get_case("case-1")
    assert case is not None
    assert [(d["channel"], d["ok"], d["fallback_for"]) for d in case.deliveries] == [
        ("telegram", False, None),
        ("sms", True, "telegram"),
    ]
    assert case.deliveries[0]["reason"] == "Forbidden: bot was blocked by the user"
    assert case.deliveries[1]["at"] == "2026-11-26T09:00:00+00:00"


@pytest.mark.parametrize(("consent", "phone"), [(True, None), (False, "0612345678"), (None, "0612345678")])
async def test_without_phone_or_consent_nothing_goes_by_sms_and_the_failure_is_recorded(
    store: SqliteStore, clock: FixedClock, consent: bool | None, phone: str | None
) -> None:
    await _case_for(store, clock, consent=consent)
    if phone:
        await remember_phone(store, CONVERSATION, phone)
    telegram, sms, sleeps = FakeChannel("telegram", [BLOCKED]), FakeChannel("sms"), Sleeps()

    delivery = await _outbox(store, clock, telegram, sms, sleeps).deliver(TELEGRAM, REPLIES)

    assert delivery.delivered_by is None
    assert sms.calls == []
    case = await store.get_case("case-1")
    assert case is not None
    assert [(d["channel"], d["ok"]) for d in case.deliveries] == [("telegram", False), ("sms", False)]
    expected = "no phone number" if phone is None else "no consent"
    assert case.deliveries[1]["reason"] == expected


async def test_retryable_then_ok_is_retried_with_backoff_and_no_fallback(
    store: SqliteStore, clock: FixedClock
) -> None:
    await _case_for(store, clock, consent=True)
    await remember_phone(store, CONVERSATION, "+33 6 12 34 56 78")
    failures = [
        ChannelSendError("Too Many Requests", retryable=True, retry_after=3),
        ChannelSendError("Bad Gateway", retryable=True),
    ]
    telegram, sms, sleeps = FakeChannel("telegram", failures), FakeChannel("sms"), Sleeps()

    delivery = await _outbox(store, clock, telegram, sms, sleeps).deliver(TELEGRAM, REPLIES)

    assert delivery.delivered_by == "telegram"
    assert len(telegram.calls) == 3
    assert sleeps.waits == [3, 2.0], "retry_after first, then the doubled backoff"
    assert sms.calls == []
    case = await store.get_case("case-1")
    assert case is not None
    assert [(d["channel"], d["ok"]) for d in case.deliveries] == [("telegram", True)]


async def test_retries_are_bounded_then_sms_stands_in(store: SqliteStore, clock: FixedClock) -> None:
    await _case_for(store, clock, consent=True)
    await remember_phone(store, CONVERSATION, "0612345678")
    down = [ChannelSendError("Service Unavailable", retryable=True, retry_after=600) for _ in range(5)]
    telegram, sms, sleeps = FakeChannel("telegram", down), FakeChannel("sms"), Sleeps()

    delivery = await _outbox(store, clock, telegram, sms, sleeps).deliver(TELEGRAM, REPLIES)

    assert len(telegram.calls) == 3
    assert sleeps.waits == [30.0, 30.0], "a provider's long retry_after is capped"
    assert delivery.delivered_by == "sms"


async def test_sms_and_web_have_no_fallback(store: SqliteStore, clock: FixedClock) -> None:
    sms = FakeChannel("sms", [ChannelSendError("rejected", retryable=False)])
    outbox = FallbackOutbox({"sms": sms}, "sms", store, clock=clock, sleep=Sleeps())
    delivery = await outbox.deliver(Address(channel="sms", recipient="+33612345678"), REPLIES)
    assert [a.channel for a in delivery.attempts] == ["sms"]
    assert delivery.delivered_by is None


async def test_send_is_the_outbox_port(store: SqliteStore, clock: FixedClock) -> None:
    telegram, sms = FakeChannel("telegram"), FakeChannel("sms")
    await _outbox(store, clock, telegram, sms, Sleeps()).send(TELEGRAM, REPLIES)
    assert telegram.sent == [(TELEGRAM, REPLIES)]


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 7 81 23 45 67", "+33781234567"),
        ("0033612345678", "+33612345678"),
    ],
)
def test_phone_numbers_are_normalized(text: str, e164: str) -> None:
    assert normalize_phone(text) == e164


@pytest.mark.parametrize("text", ["12", "01 23 45 67 89", "bonjour", "+33 6 12"])
def test_invalid_or_landline_numbers_are_refused(text: str) -> None:
    with pytest.raises(PhoneNumberError):
        normalize_phone(text)


async def test_forget_phone_erases_the_number(store: SqliteStore, clock: FixedClock) -> None:
    await _case_for(store, clock, consent=True)
    await remember_phone(store, CONVERSATION, "0612345678")
    await forget_phone(store, CONVERSATION)
    telegram, sms = FakeChannel("telegram", [BLOCKED]), FakeChannel("sms")
    delivery = await _outbox(store, clock, telegram, sms, Sleeps()).deliver(TELEGRAM, REPLIES)
    assert sms.calls == [] and delivery.attempts[-1].reason == "no phone number"


async def test_an_address_on_sms_goes_through_the_enabled_sms_provider(
    store: SqliteStore, clock: FixedClock
) -> None:
    """The roster gives a volunteer with only a phone number the channel "sms"; the channels
    enabled are named after their provider: offers to them were never sent."""
    kannel = FakeChannel("kannel")
    outbox = FallbackOutbox({"kannel": kannel}, "kannel", store, clock=clock, sleep=Sleeps())
    delivery = await outbox.deliver(Address(channel="sms", recipient="+33612345678"), [Reply(text="Offre")])
    assert delivery.delivered_by == "kannel"
    assert kannel.sent == [(Address(channel="kannel", recipient="+33612345678"), [Reply(text="Offre")])]
