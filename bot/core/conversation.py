"""The state of one conversation between two messages: all the engine needs to resume it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.case import Slots, UrgencyDecision, UrgencyLevel
from bot.core.messages import Address


class Candidate(BaseModel):
    """A possible reading of an answer: the slots it would set, and how to show it."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, Any]
    label: str


class Pending(BaseModel):
    """A question the bot asked that is not a slot: confirm a value, erase, restart."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["value", "erase", "restart", "for_someone_else", "for_someone_else_again"]
    slot: str | None = None
    candidates: tuple[Candidate, ...] = ()


ConversationStatus = Literal["active", "handed_off", "ended"]


class ConversationState(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str
    channel: str = "test"
    slots: Slots = Field(default_factory=Slots)
    # Steps finished without a value ("je ne sais pas", /skip, "non" to the note).
    skipped: list[str] = Field(default_factory=list)
    # Slots in the order they were answered, for "back".
    history: list[str] = Field(default_factory=list)
    # How each answer is shown back to the person ("Seine-Saint-Denis (93)"), in their language.
    labels: dict[str, str] = Field(default_factory=dict)
    asking: str | None = None
    misses: int = 0
    pending: Pending | None = None
    status: ConversationStatus = "active"
    fast_track: bool = False
    human_requested: bool = False
    # Asked a second time for a human: only what routing needs is asked, then the case is handed
    # off with what is known (as the fast track does); the other questions may follow.
    hand_off_now: bool = False
    # Whether the person writes for someone close who is detained or has an order ("mon mari est
    # au CRA"): asked once, when a message first says so; None until then. When True, what the
    # messages say of that person is the case's.
    for_someone_else: bool | None = None
    # The reminder of a silence (bot/reminders.py): its timer set; the reminder sent (once only).
    reminder_set: bool = False
    reminded: bool = False
    # A P0 left silent is handed off without the place (the reminder decides it; nothing else).
    hand_off_without_place: bool = False
    greeted: bool = False
    # The language was taken from one word ("yes" to the SMS welcome): a longer message plainly in
    # another language takes it back ("je parle français, j'habite à Nantes").
    language_guessed: bool = False
    urgency: UrgencyDecision | None = None
    # The urgency level the person was told at the hand-off: answers given after an early
    # hand-off that make it more urgent are told too.
    told_level: UrgencyLevel | None = None
    case_id: str | None = None
    # The last address the person wrote from: hand-off news and relayed messages go there.
    sender: Address | None = None
    # Provider ids of the last messages processed, saved with the state they produced: a message
    # delivered again (a worker died before acknowledging it) changes nothing the second time.
    processed_ids: list[str] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime
