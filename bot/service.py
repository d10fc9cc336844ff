"""The running service, assembled once for `triage serve` and `triage worker`.

Channels, outbox (with the SMS fallback), hand-off desk and engine, and the one function that
routes an inbound message: volunteers' messages go to the desk, everyone else's to the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from actions.desk import HandoffDesk
from bot.app import Brain, build_desk, desk_address_key
from bot.channels.base import Channel
from bot.channels.sms import normalize_phone
from bot.channels.webchat import WebChatMailbox
from bot.core.clock import Clock
from bot.core.messages import SMS_CHANNEL, WEB_CHANNEL, Address, InboundMessage, Reply
from bot.core.ports import ConversationStore, Outbox
from bot.engine.engine import Engine
from bot.fallback import FallbackOutbox
from bot.inbox import ChannelOutbox, Sender
from bot.reminders import IdleReminders
from bot.retention import RetentionSchedule
from bot.settings import Settings
from bot.storage import Store

logger = logging.getLogger(__name__)

# The SMS gateways the fallback may use, by preference: the association's own gateway first.
SMS_CHANNELS = ("kannel", "twilio")
TICK_SECONDS = 15.0


@dataclass
class Service:
    engine: Engine
    desk: HandoffDesk
    outbox: Outbox
    channels: dict[str, Channel]
    retention: RetentionSchedule | None = None
    reminders: IdleReminders | None = None
    # What waits for web-chat people (the web chat has no provider to push through).
    web_mailbox: WebChatMailbox | None = None

    async def handle(self, message: InboundMessage) -> list[Reply]:
        sender = desk_address(message.sender) if message.sender is not None else None
        # Never the web chat: a page anyone holding its id can read is no volunteer's address
        # ("/start CODE" typed there made it one, and offers and summaries would have gone there).
        if (
            sender is not None
            and sender.channel != WEB_CHANNEL
            and await self.desk.handles(sender, message.text)
        ):
            return await self.desk.volunteer_message(sender, message.text, message.option)
        return await self.engine.handle(message)

    async def tick_forever(self, stop: asyncio.Event, every: float = TICK_SECONDS) -> None:
        """Offer expiries and escalations: the desk's durable timers, processed once each; the
        reminders of conversations left half-way; and the retention rules, once a period."""
        while not stop.is_set():
            try:
                await self.desk.tick()
            except Exception:
                logger.exception("hand-off tick failed")
            if self.reminders is not None:
                try:
                    await self.reminders.tick()
                except Exception:
                    logger.exception("reminders tick failed")
            if self.retention is not None:
                try:
                    await self.retention.run_if_due()
                except Exception:
                    logger.exception("applying the retention rules failed; tried again next period")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)


def desk_address(sender: Address) -> Address:
    """The sender as the desk knows volunteers: one "sms" channel whatever the gateway (the
    desk writes to "sms", the fallback picks the gateway), the number in E.164 (Kannel gives
    `33612345678`). Without it a volunteer answering an offer by SMS ("OUI CODE") started a
    triage as a person."""
    if sender.channel in SMS_CHANNELS:
        return Address(channel=SMS_CHANNEL, recipient=normalize_phone(sender.recipient))
    return sender


def build_channels(
    settings: Settings, http: aiohttp.ClientSession, store: ConversationStore
) -> dict[str, Channel]:
    from bot.channels import CHANNELS, configured, load_factory

    enabled: dict[str, Channel] = {}
    for name in CHANNELS:
        if not configured(name, settings):
            continue
        factory = load_factory(name)
        if factory is None:
            continue
        # Channels that keep state across processes (WhatsApp's 24-hour window) take the store.
        if "store" in inspect.signature(factory.from_settings).parameters:
            channel = factory.from_settings(settings, http, store=store)  # type: ignore[call-arg]
        else:
            channel = factory.from_settings(settings, http)
        if channel is not None:
            enabled[name] = channel
    return enabled


async def assemble(
    settings: Settings,
    brain: Brain,
    store: Store,
    clock: Clock,
    channels: Mapping[str, Channel],
) -> Service:
    enabled = dict(channels)
    sms = next((name for name in SMS_CHANNELS if name in enabled), None)
    # The web chat is no webhook channel, but the desk writes to its people all the same.
    mailbox = WebChatMailbox(store, clock) if settings.web_chat else None
    senders: dict[str, Sender] = {**enabled, WEB_CHANNEL: mailbox} if mailbox is not None else dict(enabled)
    outbox: Outbox = FallbackOutbox(senders, sms, store, clock=clock) if sms else ChannelOutbox(senders)
    desk = await build_desk(
        brain,
        store,
        outbox,
        clock,
        address_key=desk_address_key(settings),
        demo_roster=settings.demo_volunteers,
    )

    for channel in enabled.values():
        # A message about a case reported not delivered (an SMS gateway's ledger, WhatsApp's
        # statuses): the desk tells the volunteer.
        reporter = getattr(channel, "ledger", channel)
        if hasattr(reporter, "on_undelivered"):
            reporter.on_undelivered = desk.undelivered

    async def forget_address(address: Address) -> None:
        channel = senders.get(address.channel)
        forget = getattr(channel, "forget", None)
        if forget is not None:
            await forget(address)

    retention = None
    if settings.retention_every_hours:
        retention = RetentionSchedule(
            store,
            clock,
            every=dt.timedelta(hours=settings.retention_every_hours),
            keep_delivery_records=dt.timedelta(days=settings.retention_delivery_days),
        )
    remind_after = (
        dt.timedelta(hours=settings.reminder_after_hours) if settings.reminder_after_hours > 0 else None
    )
    engine = brain.engine(store, clock, desk, forget_address, remind_after)
    reminders = IdleReminders(store, engine, outbox, clock) if remind_after else None
    return Service(engine, desk, outbox, enabled, retention, reminders, mailbox)
