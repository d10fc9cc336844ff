"""Interfaces the engine and the actions depend on; storage and understanding implement them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.case import Case, Slots, UrgencyDecision
from bot.core.conversation import Candidate, ConversationState
from bot.core.messages import Address, Location, Reply


class CaseErased(Exception):  # noqa: N818 (what happened, not an error of the caller)
    """The case was erased (the person erased their data) after the caller read it: it is not
    written back, and whatever the caller was doing with it (an offer) must stop."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} was erased")
        self.case_id = case_id


class CaseRepository(Protocol):
    async def save_case(self, case: Case) -> None:
        """Create or replace the case; raises `CaseErased` for a case erased since it was read."""
        ...

    async def get_case(self, case_id: str) -> Case | None: ...

    async def update_case(self, case_id: str, change: Callable[[Case], Case]) -> Case | None:
        """Read the case, apply ``change`` and write the result, atomically: if another process
        wrote the case in between, ``change`` is applied again to the fresher copy (it must have no
        side effect). Returns the case written; None for a case that does not exist (never did, or
        was erased before the read); raises `CaseErased` for a case erased between the read and
        the write."""
        ...


@dataclass(frozen=True)
class Timer:
    kind: str
    key: str
    due_at: dt.datetime


class RecordStore(Protocol):
    """Small JSON records by kind and key (volunteers, offers, invitations...) and durable timers.

    The actions layer owns the records' shapes; stores only keep them. Timers survive restarts;
    `claim_timer` removes one atomically, so among several workers exactly one processes it.
    """

    async def put_record(self, kind: str, key: str, record: Mapping[str, Any]) -> None: ...

    async def get_record(self, kind: str, key: str) -> dict[str, Any] | None: ...

    async def delete_record(self, kind: str, key: str) -> None: ...

    async def list_records(self, kind: str) -> list[dict[str, Any]]: ...

    async def record_items(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Every record of ``kind`` with its key, ordered by key (to delete some by their content)."""
        ...

    async def schedule_timer(self, kind: str, key: str, due_at: dt.datetime) -> None:
        """Set (or move) the timer of (kind, key)."""
        ...

    async def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]: ...

    async def claim_timer(self, timer: Timer) -> bool:
        """Remove the timer if it is still there with that due time; True for the one caller that did."""
        ...

    async def cancel_timer(self, kind: str, key: str) -> None: ...

    # Small sets of ids by kind and key (which cases a volunteer holds...): an index kept beside
    # the records so that a count does not need every record read and decrypted. Members are
    # opaque ids, never personal data; adding or removing twice is harmless.

    async def add_to_set(self, kind: str, key: str, member: str) -> None: ...

    async def remove_from_set(self, kind: str, key: str, member: str) -> None: ...

    async def set_members(self, kind: str, key: str) -> set[str]: ...

    async def set_sizes(self, kind: str, keys: Sequence[str]) -> dict[str, int]:
        """The size of each named set (0 for a set that does not exist)."""
        ...

    async def all_sets(self, kind: str) -> dict[str, set[str]]:
        """Every non-empty set of that kind, by key (for checking the index against the records)."""
        ...


class ConversationStore(CaseRepository, RecordStore, Protocol):
    async def load_conversation(self, conversation_id: str) -> ConversationState | None: ...

    async def save_conversation(self, state: ConversationState) -> None: ...

    async def erase_conversation(self, conversation_id: str) -> None:
        """Delete the conversation and every case and trace it produced."""
        ...

    async def cases_for_conversation(self, conversation_id: str) -> list[Case]: ...

    async def close(self) -> None: ...


class ConcurrencyControl(Protocol):
    """What lets several workers share the stores: one message of a conversation at a time, and
    each provider delivery handled once (channels deliver at least once)."""

    def conversation_lock(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """`async with`: held by one worker at a time; raises TimeoutError when it cannot be taken."""
        ...

    async def seen_before(self, channel: str, message_id: str, ttl_seconds: int) -> bool:
        """Mark the delivery as seen; True when it already was within the last `ttl_seconds`."""
        ...


class Outbox(Protocol):
    """Sends messages nobody is waiting for as a reply: offers to volunteers, hand-off news,
    relayed messages. Channels implement it; tests record what was sent."""

    async def send(self, address: Address, replies: Sequence[Reply]) -> None: ...


@dataclass(frozen=True)
class Finding:
    """What a message says about one slot. `certain` findings with one candidate are applied;
    others are confirmed with the person. `echo` asks for an implicit confirmation (a typo fixed).
    `polar`: read from a bare yes or no, not from words about the slot itself."""

    slot: str
    candidates: tuple[Candidate, ...]
    certain: bool
    echo: bool = False
    polar: bool = False


@dataclass(frozen=True)
class Reading:
    intent: str | None = None
    findings: tuple[Finding, ...] = ()
    # A language the person named ("english please"), for switching.
    named_language: str | None = None
    # The person says an earlier answer was wrong ("non, en fait c'est le 5 avril"): findings may
    # replace answers already given. Without it, a value met in passing only fills empty slots.
    correcting: bool = False
    # The person says what alone is true ("seulement", "only"): the situations named replace
    # those noted instead of being added to them.
    restricting: bool = False
    # An urgent fact said of someone else, not of the person ("mon mari est au CRA", "my brother
    # got an OQTF"): set aside; the engine asks whether the person writes for them.
    about_someone_else: tuple[Finding, ...] = ()
    # The message names someone else and not the person ("pour mon mari"): how "for whom?" is
    # answered in words. Read when no question is asked only.
    only_someone_else: bool = False
    # Who the person says they write for, read when no question is asked (the answer to "for
    # them?"): "them" ("pour lui", "for her", "son mari") or "me" ("pour moi", "c moi", "أنا").
    for_whom: str | None = None

    def finding(self, slot: str) -> Finding | None:
        return next((f for f in self.findings if f.slot == slot), None)


class Understanding(Protocol):
    def detect_language(self, text: str) -> str | None:
        """The language of a first message, or None when unsure."""
        ...

    def read(
        self,
        text: str,
        *,
        lang: str,
        asked: str | None,
        now: dt.datetime,
        location: Location | None = None,
    ) -> Reading: ...

    def pick(self, text: str, *, lang: str, options: Sequence[str], ranks_only: bool = False) -> int | None:
        """The index of the option a short answer picks by rank or (unless `ranks_only`) by
        denying the others."""
        ...


@dataclass
class ActionContext:
    """The narrow view of a conversation an action gets."""

    conversation_id: str
    channel: str
    language: str
    slots: Slots
    now: dt.datetime
    cases: CaseRepository
    urgency: UrgencyDecision | None = None
    unanswered: list[str] = field(default_factory=list)
    fast_track: bool = False
    human_requested: bool = False
    # Written by someone close to the person concerned (a relative of a detained person).
    for_someone_else: bool = False
    told_person: str = ""
    case_id: str | None = None
    # Where the person can be reached (None in the terminal), and what they just wrote after the
    # hand-off (for actions that relay it to their volunteer).
    sender: Address | None = None
    message_text: str | None = None
    # Records of the person's data beyond the conversation (contact details...), for erasure.
    records: RecordStore | None = None
    # Every case of the conversation, oldest first (after "recommencer" there can be several):
    # set for the erase actions, which must withdraw them all.
    case_ids: tuple[str, ...] = ()


@dataclass
class ActionResult:
    urgency: UrgencyDecision | None = None
    case: Case | None = None
    # The urgency `case` had before this action brought it up to date (the hand-off of answers
    # given after an early hand-off): read in the same write, so nobody reads the case twice.
    previous_urgency: UrgencyDecision | None = None
    # Slots the action derived from others (a récépissé implies the request was filed).
    slots: Slots | None = None
    # The case must reach a volunteer now: ask only what routing needs (spec §2, fast track).
    fast_track: bool = False
    # An after-hand-off action took the message (relayed it): the engine answers with `reply`,
    # a text key, instead of its usual "your case is already handed off".
    consumed: bool = False
    reply: str | None = None


Action = Callable[[ActionContext], Awaitable[ActionResult]]
