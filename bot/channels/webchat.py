"""The web chat's mailbox: what the bot writes to a web-chat person outside their own turn.

The web chat has no provider to push through: the reply to a message comes back in the response
of `POST /api/chat/{id}`. What comes later (the volunteer who accepted the case, the volunteer's
messages, hand-off news) waits here until the page asks for it (`GET /api/chat/{id}`, which it does
every few seconds while open, and at each reload). It is the `Outbox`'s sender for the "web"
channel, in every process that may write to a person (`triage serve`, `triage worker`). A message
is given until the page acknowledges it (the next `GET ...?seen=<ids of those it showed>`): one
lost on a bad connection comes again.

Messages are records of the store (encrypted like every record, their keys hashed by the store),
listed per conversation in a small set whose key is a SHA-256 of the conversation id (a random id
the page drew, so no key is needed to hide it) and whose members
are opaque ids, sortable by time. Acknowledging deletes exactly the ids acknowledged: one written
meanwhile by another process (whose id may sort before them) waits for the next poll. Erased with
the conversation (`forget`), and by the retention once the conversation is gone
(`purge_web_messages`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Collection, Sequence
from typing import Any

from bot.core.clock import Clock, SystemClock
from bot.core.messages import WEB_CHANNEL, Address, Reply
from bot.core.ports import ConversationStore, RecordStore

logger = logging.getLogger(__name__)

MESSAGE_KIND = "web_message"
MAILBOX_KIND = "web_mailbox"
# A page nobody opens does not fill the store: beyond this many waiting, new ones are dropped
# (the volunteer's own copy of what they wrote is in their chat app; the case keeps its history).
MAX_WAITING = 50
MESSAGE_ID = re.compile(r"^\d{20}-[0-9a-f]{12}$")


def mailbox_key(conversation_id: str) -> str:
    """The set's key: a hash, so that the store's index names no conversation."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:32]


class WebChatMailbox:
    name = WEB_CHANNEL

    def __init__(self, store: RecordStore, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        conversation = address.recipient
        key = mailbox_key(conversation)
        waiting = len(await self.store.set_members(MAILBOX_KIND, key))
        for reply in replies:
            if waiting >= MAX_WAITING:
                logger.warning("web chat mailbox full: a message was dropped")
                return
            # Sortable by time of writing, unique across processes.
            message_id = f"{time.time_ns():020d}-{secrets.token_hex(6)}"
            record: dict[str, Any] = {
                "conversation": conversation,
                "at": self.clock.now().isoformat(),
                "text": reply.text,
                "options": [{"id": option.id, "label": option.label} for option in reply.options],
            }
            await self.store.put_record(MESSAGE_KIND, message_id, record)
            await self.store.add_to_set(MAILBOX_KIND, key, message_id)
            waiting += 1

    async def waiting(self, conversation_id: str, seen: Collection[str] = ()) -> list[dict[str, Any]]:
        """The messages waiting for the conversation, oldest first, each with its "id"; those in
        ``seen`` (the ids the page showed) are deleted first and not given again."""
        key = mailbox_key(conversation_id)
        given: list[dict[str, Any]] = []
        for message_id in sorted(await self.store.set_members(MAILBOX_KIND, key)):
            if message_id in seen:
                await self._delete(key, message_id)
                continue
            record = await self.store.get_record(MESSAGE_KIND, message_id)
            if record is None or record.get("conversation") != conversation_id:
                await self.store.remove_from_set(MAILBOX_KIND, key, message_id)
                continue
            given.append(
                {"id": message_id, "text": record.get("text", ""), "options": record.get("options", [])}
            )
        return given

    async def _delete(self, key: str, message_id: str) -> None:
        await self.store.delete_record(MESSAGE_KIND, message_id)
        await self.store.remove_from_set(MAILBOX_KIND, key, message_id)

    async def forget(self, address: Address) -> None:
        """The person erased their data: what waits for them goes too."""
        key = mailbox_key(address.recipient)
        for message_id in await self.store.set_members(MAILBOX_KIND, key):
            await self._delete(key, message_id)


async def purge_web_messages(store: ConversationStore, now: dt.datetime, keep: dt.timedelta) -> int:
    """Delete the messages whose conversation is gone (purged or expired: no erase action ran)
    or that waited longer than ``keep``. Returns how many went."""
    gone = 0
    for message_id, record in await store.record_items(MESSAGE_KIND):
        conversation = record.get("conversation")
        at = record.get("at")
        try:
            old = isinstance(at, str) and dt.datetime.fromisoformat(at) < now - keep
        except ValueError:
            old = True
        if not isinstance(conversation, str) or old or await store.load_conversation(conversation) is None:
            await store.delete_record(MESSAGE_KIND, message_id)
            if isinstance(conversation, str):
                await store.remove_from_set(MAILBOX_KIND, mailbox_key(conversation), message_id)
            gone += 1
    return gone
