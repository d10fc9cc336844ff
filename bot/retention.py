"""Retention, applied on a schedule: nothing is kept longer than the settings say, without anyone
having to remember a cron job.

`triage store purge` applies it once. The processes that tick the hand-off timers (`triage worker`
on Redis, `triage serve` on the embedded store) apply it once every RETENTION_EVERY_HOURS: at the
first tick of each period, in one of the replicas, which claims the period with the store's
de-duplication (the same SET NX with a time-to-live that makes a webhook delivered twice be
processed once). A process stopped half-way leaves the rest to the next period: retention is
counted in days, so a period late changes little. Two runs at once (the command beside the job)
are safe: every step is safe to repeat, and a store's purge is safe against another.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from actions.contacts import purge_contacts
from bot.channels.sms import SmsLedger
from bot.channels.webchat import purge_web_messages
from bot.channels.whatsapp import SENT_KIND as WHATSAPP_SENT_KIND
from bot.core.clock import Clock
from bot.storage import PurgeReport, Store

logger = logging.getLogger(__name__)

# Records of messages sent whose delivery report may still come: once it is too late for one,
# they only say that a message went at that time, about that case. No number, no text.
DELIVERY_RECORD_KINDS = (SmsLedger.RECORD_KIND, WHATSAPP_SENT_KIND)
# The de-duplication "channel" under which a period is claimed.
CLAIM_CHANNEL = "retention"
T = TypeVar("T")


@dataclass(frozen=True)
class RetentionReport:
    purged: PurgeReport
    contacts_deleted: int
    delivery_records_deleted: int
    failed: tuple[str, ...] = ()  # the steps that raised (logged); the others ran all the same
    web_messages_deleted: int = 0

    def summary(self) -> str:
        """Counts only: what went, never whose."""
        counts = (
            f"{self.purged.conversations_erased} abandoned conversation(s) erased, "
            f"{self.purged.states_expired} idle state(s) deleted, "
            f"{self.purged.cases_anonymised} closed case(s) anonymised, "
            f"{self.purged.dead_letters_deleted} dead letter(s) deleted, "
            f"{self.contacts_deleted} phone number(s) of conversations gone deleted, "
            f"{self.delivery_records_deleted} delivery record(s) deleted, "
            f"{self.web_messages_deleted} web chat message(s) deleted"
        )
        if self.purged.unreadable:
            counts += f"; {self.purged.unreadable} unreadable state(s) or case(s) left (see the log)"
        return counts + (f"; FAILED: {', '.join(self.failed)} (see the log)" if self.failed else "")

    @property
    def complete(self) -> bool:
        """Whether every rule was applied to everything (else someone must look at the log)."""
        return not self.failed and not self.purged.unreadable


async def apply_retention(
    store: Store, now: dt.datetime, keep_delivery_records: dt.timedelta
) -> RetentionReport:
    """Everything the retention settings ask for, once. One step failing (a value written under a
    key since dropped, say) does not keep the others from running."""
    failed: list[str] = []

    async def step(name: str, work: Awaitable[T], nothing: T) -> T:
        try:
            return await work
        except Exception:
            logger.exception("retention: %s failed", name)
            failed.append(name)
            return nothing

    purged = await step("store purge", store.purge(now), PurgeReport())
    contacts = await step("phone numbers", purge_contacts(store), 0)
    records = await step("delivery records", purge_delivery_records(store, now, keep_delivery_records), 0)
    # Messages waiting for a web-chat page: gone with their conversation, and as old as a
    # delivery record at most.
    web = await step("web chat messages", purge_web_messages(store, now, keep_delivery_records), 0)
    return RetentionReport(purged, contacts, records, tuple(failed), web)


async def purge_delivery_records(store: Store, now: dt.datetime, keep: dt.timedelta) -> int:
    """Delete the records of messages sent longer than ``keep`` ago, whatever their status: a
    delivery report arrives within hours (an SMS centre gives up after a few days), and none of
    them is worth keeping after. A record from before times were kept gets one now, and goes
    ``keep`` later: its message may have been sent a minute ago."""
    deleted = 0
    for kind in DELIVERY_RECORD_KINDS:
        for key, record in await store.record_items(kind):
            sent_at = _moment(record.get("sent_at"))
            if sent_at is None:
                await store.put_record(kind, key, {**record, "sent_at": now.isoformat()})
            elif sent_at < now - keep:
                await store.delete_record(kind, key)
                deleted += 1
    return deleted


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class RetentionSchedule:
    """Applies the retention once per period, in one process among all that share the store."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        every: dt.timedelta,
        keep_delivery_records: dt.timedelta,
    ) -> None:
        if every <= dt.timedelta(0):
            raise ValueError("the retention period must be positive")
        self.store = store
        self.clock = clock
        self.every = every
        self.keep_delivery_records = keep_delivery_records

    def period(self, now: dt.datetime) -> int:
        """The number of the period ``now`` falls in (periods start at the Unix epoch: with 24 hours,
        at midnight UTC), the same in every process."""
        return int(now.timestamp() // self.every.total_seconds())

    async def run_if_due(self) -> RetentionReport | None:
        """Apply the retention if no process has started it in this period; the report, or None."""
        now = self.clock.now()
        # Kept two periods: long enough that nobody claims this one again, short enough to go.
        ttl = int(2 * self.every.total_seconds())
        if await self.store.seen_before(CLAIM_CHANNEL, str(self.period(now)), ttl):
            return None
        report = await apply_retention(self.store, now, self.keep_delivery_records)
        logger.info("retention applied: %s", report.summary())
        return report
