"""Retention, applied on a schedule: nothing is kept longer than the settings say, without anyone
having to remember a cron job.

`triage store purge` applies it once. The processes that tick the hand-off timers (`triage worker`
on Redis, `triage serve` on the embedded store) apply it once every RETENTION_EVERY_HOURS: at the
first tick of each period, in exactly one of the replicas, which claims the period with the
store's de-duplication (the same SET NX with a time-to-live that makes a webhook delivered twice be
processed once). A process stopped half-way leaves the rest to the next period: retention is
counted in days, so a period late changes little, and nothing is ever run twice at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from actions.contacts import purge_contacts
from bot.channels.sms import SmsLedger
from bot.channels.whatsapp import SENT_KIND as WHATSAPP_SENT_KIND
from bot.core.clock import Clock
from bot.storage import PurgeReport, Store

logger = logging.getLogger(__name__)

# Records of messages sent whose delivery report may still come: once it is too late for one,
# they only say that a message went at that time, about that case. No number, no text.
DELIVERY_RECORD_KINDS = (SmsLedger.RECORD_KIND, WHATSAPP_SENT_KIND)
# The de-duplication "channel" under which a period is claimed.
CLAIM_CHANNEL = "retention"


@dataclass(frozen=True)
class RetentionReport:
    purged: PurgeReport
    contacts_deleted: int
    delivery_records_deleted: int

    def summary(self) -> str:
        """Counts only: what went, never whose."""
        return (
            f"{self.purged.conversations_erased} abandoned conversation(s) erased, "
            f"{self.purged.states_expired} idle state(s) deleted, "
            f"{self.purged.cases_anonymised} closed case(s) anonymised, "
            f"{self.contacts_deleted} phone number(s) of conversations gone deleted, "
            f"{self.delivery_records_deleted} delivery record(s) deleted, "
            f"{self.purged.dead_letters_deleted} dead letter(s) deleted"
        )


async def apply_retention(
    store: Store, now: dt.datetime, keep_delivery_records: dt.timedelta
) -> RetentionReport:
    """Everything the retention settings ask for, once."""
    purged = await store.purge(now)
    contacts = await purge_contacts(store)
    records = await purge_delivery_records(store, now - keep_delivery_records)
    return RetentionReport(purged, contacts, records)


async def purge_delivery_records(store: Store, sent_before: dt.datetime) -> int:
    """Delete the records of messages sent before ``sent_before``, whatever their status: a
    delivery report arrives within hours (an SMS centre gives up after a few days), and none of
    them is worth keeping after. A record without its time is from before times were kept."""
    deleted = 0
    for kind in DELIVERY_RECORD_KINDS:
        for key, record in await store.record_items(kind):
            sent_at = _moment(record.get("sent_at"))
            if sent_at is None or sent_at < sent_before:
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
