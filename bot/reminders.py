"""One reminder to a person who stopped answering in the middle of the triage.

People write from cheap phones, between two jobs, with little data: many stop half-way, and a
triage left half-way reaches nobody. Once a consented conversation has waited REMINDER_AFTER_HOURS
for an answer, the bot writes once: the question again, with a word on why it matters; and when what
is known already makes the case urgent (P1 with the place known, P0 even without it), the case is
handed off at once with what is known, and the person is told (they may go on answering to
complete it). Not on the web chat, whose page is read only while open.

A durable timer of the store per conversation (set once, at the first question after the consent:
no write at every turn), processed by whichever process ticks the hand-off timers (`triage serve`
on SQLite, the workers on Redis), each claimed by one. When it falls due the conversation is read
again: if the person wrote since, the timer is moved to their last message plus the delay; if it
was handed off, ended or erased, nothing happens. On Redis the reminder's turn runs under the
conversation's lock, as a message's does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from contextlib import AbstractAsyncContextManager

from bot.core.clock import Clock
from bot.core.ports import ConversationStore, Outbox
from bot.engine.engine import TIMER_IDLE, Engine, conversation_key

logger = logging.getLogger(__name__)

BATCH = 100


class IdleReminders:
    """Processes the reminders' timers; the delay is the engine's (`Engine.remind_after`), which
    sets the timers."""

    def __init__(self, store: ConversationStore, engine: Engine, outbox: Outbox, clock: Clock) -> None:
        if engine.remind_after is None or engine.remind_after <= dt.timedelta(0):
            raise ValueError("the engine sets no reminder: it needs a positive delay")
        self.store = store
        self.engine = engine
        self.outbox = outbox
        self.clock = clock

    async def tick(self) -> int:
        """Remind the conversations whose timer fell due; how many were reminded."""
        now = self.clock.now()
        reminded = 0
        while True:
            due = [
                timer for timer in await self.store.due_timers(now, limit=BATCH) if timer.kind == TIMER_IDLE
            ]
            for timer in due:
                if not await self.store.claim_timer(timer):
                    continue  # another process took it
                try:
                    reminded += await self._remind(timer.key)
                except Exception:
                    # Not retried: one reminder missed is better than one sent twice.
                    logger.exception("reminder for conversation %s failed", conversation_key(timer.key))
            if len(due) < BATCH:
                return reminded

    async def _remind(self, conversation_id: str) -> int:
        async with self._lock(conversation_id):
            sender, replies = await self.engine.remind(conversation_id)
        if sender is None or not replies:
            return 0
        await self.outbox.send(sender, replies)
        logger.info("conversation %s reminded", conversation_key(conversation_id))
        return 1

    def _lock(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        # The reminder's turn takes the conversation's lock as a message's turn does (several
        # workers share Redis); a store without one has a single process, where the engine's own
        # lock serialises them.
        take = getattr(self.store, "conversation_lock", None)
        return take(conversation_id) if take is not None else contextlib.nullcontext()
