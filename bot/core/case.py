"""The case: the slots a triage fills in, with the codes fixed by the spec (§1).

This module is the innermost layer: it imports nothing from the engine, the actions or the
channels, so that all of them can share these types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Language = str  # ISO 639-1; the supported set is data (dialogs/languages.yml)

DocumentCode = Literal[
    "NONE",
    "VLS_TS",
    "CST_VPF",
    "CST_SAL",
    "CST_TT",
    "CST_ETU",
    "CST_STAG",
    "CST_VIS",
    "CST_ENT",
    "CST_RECE",
    "CSP_TALENT",
    "CSP_SAISON",
    "CSP_PS",
    "CSP_OTHER",
    "CR_10",
    "CR_REFUGIE",
    "CR_UE",
    "CR_PERM",
    "CRA_1",
    "CRA_10",
    "RECEPISSE",
    "ANEF_API",
    "APS",
    "ASILE_ATT",
    "DCEM",
    "OTHER",
]
DOCUMENT_CODES: tuple[str, ...] = get_args(DocumentCode)

ApplicationStatus = Literal["not_filed", "filed_with_proof", "filed_without_proof"]
APPLICATION_STATUSES: tuple[str, ...] = get_args(ApplicationStatus)

Custody = Literal["free", "house_arrest", "prison", "detained"]
CUSTODY_KINDS: tuple[str, ...] = get_args(Custody)

Vulnerability = Literal["children", "health", "work", "housing", "violence"]
VULNERABILITIES: tuple[str, ...] = get_args(Vulnerability)

UrgencyLevel = Literal["P0", "P1", "P2", "P3", "P4"]
URGENCY_LEVELS: tuple[str, ...] = get_args(UrgencyLevel)

# The slots of spec §1, in the order of the standard flow (§2).
SLOT_NAMES: tuple[str, ...] = (
    "language",
    "consent",
    "prefecture",
    "commune",
    "document",
    "expiry_date",
    "application_status",
    "removal_order",
    "removal_order_date",
    "custody",
    "attempts_since",
    "evidence",
    "vulnerabilities",
    "note",
    "confirm",
)


class Slots(BaseModel):
    """What the person told the bot. ``None`` means "not known yet"."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    language: Language | None = None
    consent: bool | None = None
    prefecture: str | None = None
    commune: str | None = None
    document: DocumentCode | None = None
    # The person's own words when the document is OTHER (spec §1.1).
    document_text: str | None = None
    expiry_date: dt.date | None = None
    application_status: ApplicationStatus | None = None
    removal_order: bool | None = None
    removal_order_date: dt.date | None = None
    custody: Custody | None = None
    attempts_since: dt.date | None = None
    evidence: bool | None = None
    vulnerabilities: frozenset[Vulnerability] | None = None
    note: str | None = None
    confirm: bool | None = None


CaseStatus = Literal[
    "triage",
    "ready_for_handoff",
    "offered",
    "accepted",
    "escalated",
    "closed",
    "erased",
]


class UrgencyDecision(BaseModel):
    """What the urgency rules decided, and why (spec §3)."""

    model_config = ConfigDict(frozen=True)

    level: UrgencyLevel
    rule: str
    base_level: UrgencyLevel
    modifier_applied: bool
    oqtf_deadline: dt.datetime | None = None
    hours_left: float | None = None
    days_to_expiry: int | None = None
    reason_fr: str
    reason: str  # in the person's language (French when it is French or unknown)


CaseOutcome = Literal[
    "appointment_obtained",
    "referee_filed",
    "referred_elsewhere",
    "unreachable",
    "resolved",
    "other",
]
CASE_OUTCOMES: tuple[str, ...] = get_args(CaseOutcome)

OfferResult = Literal["pending", "accepted", "declined", "expired"]


class CaseOffer(BaseModel):
    """One offer of a case to a volunteer (or, on escalation, to a coordinator) and its answer."""

    model_config = ConfigDict(extra="forbid")

    volunteer_id: str
    offered_at: dt.datetime
    expires_at: dt.datetime
    answered_at: dt.datetime | None = None
    result: OfferResult = "pending"


@dataclass(frozen=True)
class DeliveryAttempt:
    """One try at delivering a message: on which channel, whether it went, why not, and for
    which channel SMS stood in (bot/fallback.py); recorded on the case (`Case.with_deliveries`)."""

    channel: str
    ok: bool
    reason: str = ""
    fallback_for: str | None = None


class Case(BaseModel):
    """A triage that reached the hand-off, as stored and shown to volunteers."""

    model_config = ConfigDict(extra="forbid")

    id: str
    conversation_id: str
    channel: str
    slots: Slots
    urgency: UrgencyDecision
    status: CaseStatus = "ready_for_handoff"
    created_at: dt.datetime
    updated_at: dt.datetime
    # Steps the person skipped, so the volunteer knows what to ask.
    unanswered: list[str] = Field(default_factory=list)
    # What the bot told the person at the hand-off (so the volunteer does not contradict it).
    told_person: str = ""
    fast_track: bool = False
    human_requested: bool = False
    # Written by someone close to the person concerned ("mon mari est au CRA"): the volunteer
    # talks with the relative, who may not know every paper or date.
    for_someone_else: bool = False
    # The hand-off desk's part (actions/desk.py): who holds the case and how it went.
    volunteer_id: str | None = None
    interpreter_needed: bool = False
    offers: list[CaseOffer] = Field(default_factory=list)
    accepted_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    # Coordinators told of an escalation, and how far it went ("department", then "national").
    escalated_to: list[str] = Field(default_factory=list)
    escalation_stage: Literal["department", "national"] | None = None
    closed_at: dt.datetime | None = None
    outcome: CaseOutcome | None = None
    # How messages nobody was waiting for reached the person (bot/fallback.py): one entry per
    # attempt with "channel", "at" (ISO 8601), "ok", "reason", and "fallback_for" when SMS stood in.
    deliveries: list[dict[str, str | int | bool | None]] = Field(default_factory=list)
    # What the person wrote after the hand-off while nobody held the case yet: given to the
    # volunteer who takes it, then dropped (they reached nobody: "toujours au CRA, aidez-moi").
    waiting_messages: list[str] = Field(default_factory=list)

    def with_deliveries(self, attempts: Sequence[DeliveryAttempt], now: dt.datetime) -> Case:
        """This case with delivery attempts recorded (the fallback's part: see DESK_PART)."""
        at = now.astimezone(dt.UTC).isoformat()
        entries = [
            {
                "channel": attempt.channel,
                "at": at,
                "ok": attempt.ok,
                "reason": attempt.reason or None,
                "fallback_for": attempt.fallback_for,
            }
            for attempt in attempts
        ]
        update = {"deliveries": [*self.deliveries, *entries], "updated_at": max(self.updated_at, now)}
        return self.model_copy(update=update)

    def with_part_of(self, other: Case, part: tuple[str, ...]) -> Case:
        """This case with the fields of ``part`` taken from ``other``: how one writer (the triage,
        the desk) applies its own changes to a fresher copy without undoing another's."""
        update: dict[str, object] = {name: getattr(other, name) for name in part}
        update["updated_at"] = max(self.updated_at, other.updated_at)
        return self.model_copy(update=update)


# Who writes which fields of a case. Several processes write the same case: the person's
# conversation (the triage, under the conversation's lock), the hand-off desk (under its timer
# claims), the fallback (a delivery record). Each changes only its part, through
# `CaseRepository.update_case`, so a volunteer's acceptance is never overwritten by a turn of the
# person that read the case a moment before, nor a new answer of the person by the desk.
TRIAGE_PART = (
    "conversation_id",
    "channel",
    "slots",
    "urgency",
    "unanswered",
    "fast_track",
    "human_requested",
    "for_someone_else",
)
DESK_PART = (
    "status",
    "volunteer_id",
    "interpreter_needed",
    "offers",
    "accepted_at",
    "escalated_at",
    "escalated_to",
    "escalation_stage",
    "closed_at",
    "outcome",
    "waiting_messages",
)
