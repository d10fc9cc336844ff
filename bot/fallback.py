"""Fallback in one place: when Telegram or WhatsApp cannot reach a person, try SMS.

`FallbackOutbox` is an `Outbox` over the enabled channels. A send that fails with a retryable
`ChannelSendError` is retried with a bounded backoff; one that fails for good (bot blocked, not a
WhatsApp user, 24-hour window closed without a template), or still fails after the retries, is
sent by SMS instead, but only when the person gave a phone number (`remember_phone`) and agreed
that their answers are kept (`consent`). Every attempt is appended to the case's `deliveries`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from actions.contacts import (
    CONTACT_KIND,
    PhoneNumberError,
    contact_key,
    forget_phone,
    normalize_phone,
    remember_phone,
)
from bot.channels.base import ChannelSendError
from bot.core.case import Case, DeliveryAttempt
from bot.core.clock import Clock, SystemClock
from bot.core.conversation import ConversationState
from bot.core.messages import SMS_CHANNEL, Address, Reply
from bot.core.ports import CaseErased, RecordStore
from bot.engine.engine import conversation_key

logger = logging.getLogger(__name__)

# Channels whose failures SMS may stand in for; SMS itself and the web chat have no fallback.
FALLBACK_FROM = frozenset({"telegram", "whatsapp"})


class Sender(Protocol):
    async def send(self, address: Address, replies: Sequence[Reply]) -> None: ...


class FallbackStore(RecordStore, Protocol):
    """What the fallback reads and writes: the contact record, the consent, the case."""

    async def load_conversation(self, conversation_id: str) -> ConversationState | None: ...

    async def cases_for_conversation(self, conversation_id: str) -> list[Case]: ...

    async def update_case(self, case_id: str, change: Callable[[Case], Case]) -> Case | None: ...


def conversation_of(address: Address) -> str:
    """The conversation id of an address, by the channels' convention "<channel>:<user id>"."""
    return f"{address.channel}:{address.recipient}"


# One try at delivering a message, as the case records it.
Attempt = DeliveryAttempt


@dataclass
class Delivery:
    """What happened to one `send`: the attempts in order, and whether anything arrived."""

    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered_by(self) -> str | None:
        return next((a.channel for a in self.attempts if a.ok), None)


class FallbackOutbox:
    """The `Outbox` port with retries and the SMS fallback."""

    def __init__(
        self,
        channels: Mapping[str, Sender],
        sms_channel_name: str,
        store: FallbackStore,
        *,
        clock: Clock | None = None,
        tries: int = 3,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        conversation_for: Callable[[Address], str] | None = None,
    ) -> None:
        self.channels = dict(channels)
        self.sms_channel_name = sms_channel_name
        self.store = store
        self.clock = clock or SystemClock()
        self.tries = max(1, tries)
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._conversation_for = conversation_for or conversation_of

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        await self.deliver(address, replies)

    async def deliver(self, address: Address, replies: Sequence[Reply]) -> Delivery:
        """Send, retry, fall back; record every attempt on the conversation's latest case."""
        delivery = Delivery()
        if address.channel == SMS_CHANNEL and SMS_CHANNEL not in self.channels:
            # The roster says "sms" for a volunteer with only a phone number; Kannel or Twilio
            # carries it.
            address = Address(channel=self.sms_channel_name, recipient=address.recipient)
        channel = self.channels.get(address.channel)
        if channel is None:
            delivery.attempts.append(Attempt(address.channel, False, "channel not enabled"))
        else:
            delivery.attempts.append(await self._try(channel, address, replies))
        first = delivery.attempts[0]
        if not first.ok and address.channel in FALLBACK_FROM:
            delivery.attempts.append(await self._fall_back(address, replies))
        await self._record(address, delivery)
        return delivery

    async def _try(self, channel: Sender, address: Address, replies: Sequence[Reply]) -> Attempt:
        delay = self.first_delay
        for attempt in range(1, self.tries + 1):
            try:
                await channel.send(address, replies)
            except ChannelSendError as error:
                if not error.retryable or attempt == self.tries:
                    logger.warning("send on %s failed after %d tries: %s", address.channel, attempt, error)
                    return Attempt(address.channel, False, str(error))
                wait = min(self.max_delay, error.retry_after if error.retry_after is not None else delay)
                logger.info("send on %s failed, retry in %.1f s: %s", address.channel, wait, error)
                await self._sleep(wait)
                delay = min(self.max_delay, delay * 2)
            else:
                return Attempt(address.channel, True)
        raise AssertionError("unreachable: the loop returns on the last try")

    async def _fall_back(self, address: Address, replies: Sequence[Reply]) -> Attempt:
        sms = self.sms_channel_name
        channel = self.channels.get(sms)
        if channel is None:
            return Attempt(sms, False, "no SMS channel enabled", fallback_for=address.channel)
        conversation_id = self._conversation_for(address)
        state = await self.store.load_conversation(conversation_id)
        if state is None or state.slots.consent is not True:
            return Attempt(sms, False, "no consent", fallback_for=address.channel)
        contact = await self.store.get_record(CONTACT_KIND, contact_key(conversation_id))
        phone = contact.get("phone") if contact else None
        if not isinstance(phone, str) or not phone:
            return Attempt(sms, False, "no phone number", fallback_for=address.channel)
        attempt = await self._try(channel, Address(channel=sms, recipient=phone), replies)
        if attempt.ok:
            logger.info(
                "sent by SMS instead of %s for conversation %s",
                address.channel,
                conversation_key(conversation_id),
            )
        return Attempt(sms, attempt.ok, attempt.reason, fallback_for=address.channel)

    async def _record(self, address: Address, delivery: Delivery) -> None:
        conversation_id = self._conversation_for(address)
        cases = await self.store.cases_for_conversation(conversation_id)
        if not cases:
            if delivery.delivered_by is None:
                logger.warning(
                    "nothing delivered to conversation %s (no case to record it on)",
                    conversation_key(conversation_id),
                )
            return
        latest = max(cases, key=lambda c: c.created_at)
        now = self.clock.now()
        # The person may have erased everything meanwhile: then there is no case to record it on.
        # Only the delivery record changes: the desk or the person's turn may write the case too.
        with contextlib.suppress(CaseErased):
            await self.store.update_case(
                latest.id, lambda fresh: fresh.with_deliveries(delivery.attempts, now)
            )


__all__ = [
    "CONTACT_KIND",
    "FallbackOutbox",
    "PhoneNumberError",
    "forget_phone",
    "normalize_phone",
    "remember_phone",
]
