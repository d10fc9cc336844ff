"""The hand-off desk (spec §4): offers to volunteers, their answers, escalation, the relay.

A case goes ready → offered (to one volunteer, until ``expires_at``) → accepted, or, after a decline
or an expiry, offered to the next candidate; after ``max_failed_offers`` failures or when nobody is
left it is escalated to the coordinators of the département, then to the national coordinators;
an accepted case is closed by its volunteer with an outcome.

Everything lives in the store, so a restart loses nothing: the case (status and offer history),
small records (the roster, pending offers, assignments, address bindings, invitations) and durable
timers. A timer is processed by whoever claims it (`RecordStore.claim_timer` is atomic), so with
several workers each expiry is handled exactly once. An answer to an offer claims the offer's timer
too, so an acceptance and an expiry cannot both win.

Coordinators are volunteers with the skill ``coordination`` (see `COORDINATION_SKILL`): those with
départements coordinate them, those without any are national coordinators.

The volunteer side speaks French (the associations' language); the person side uses the texts of
the person's language, passed in as a `TextSource`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, get_args

import yaml
from babel import Locale

from actions.documents import DocumentCatalogue
from actions.routing import (
    HandoffRules,
    Locator,
    RoutingCase,
    base_coordinates,
    great_circle_km,
    person_coordinates,
    route_case,
)
from actions.summary import SummaryContext, pseudonym_for, render_offer, render_summary, render_summary_sms
from actions.urgency import RuleBook
from actions.volunteers import Volunteer
from bot.core.case import DESK_PART, Case, CaseOffer, CaseOutcome, DeliveryAttempt, UrgencyLevel
from bot.core.clock import PARIS, Clock
from bot.core.messages import SMS_CHANNEL, Address, Option, Reply
from bot.core.ports import CaseErased, ConversationStore, Outbox, RecordStore, Timer

logger = logging.getLogger(__name__)

ADVICE_PATH = Path(__file__).parent / "rules" / "advice.yml"

# Record kinds (RecordStore) and timer kinds this module owns.
RECORD_VOLUNTEER = "volunteer"  # volunteer id -> the roster line
RECORD_PENDING = "pending_offer"  # case id -> who may accept it now, and the timer's due time
RECORD_ASSIGNMENT = "assignment"  # case id -> the volunteer holding the open case
RECORD_ADDRESS = "volunteer_address"  # keyed hash of an address -> volunteer id
RECORD_CONTACT = "volunteer_contact"  # volunteer id -> addresses the volunteer registered
RECORD_INVITATION = "invitation"  # hash of an invitation code -> volunteer id, expiry
RECORD_SECRET = "secret"
RECORD_MENU = "volunteer_menu"  # volunteer id -> the option ids of the last menu sent to them
RECORD_ROSTER_VERSION = "roster_version"  # "current" -> a token changed whenever roster or contacts change
# Sets (RecordStore.add_to_set) by volunteer id, kept beside the pending offers and assignments so
# that a hand-off counts loads without reading every record (see `HandoffDesk.reconcile`).
SET_OFFERED = "volunteer_offers"  # case ids offered to the volunteer, waiting for an answer
SET_ESCALATED = "volunteer_escalations"  # escalated case ids the coordinator may take (not a load)
SET_HELD = "volunteer_cases"  # case ids the volunteer accepted and has not closed
# Volunteers who paused (PAUSE): offered nothing until REPRISE. Beside the roster, not in it: an
# import of the association's file does not end a pause.
SET_PAUSED = "volunteers_paused"
PAUSED_KEY = "all"
TIMER_OFFER = "offer"  # case id: (re)route the case, or expire its pending offer
TIMER_ESCALATION = "escalation"  # case id: escalate further, or remind the national coordinators
TIMER_INVITATION = "invitation"  # code hash: the invitation expires (also its single-use lock)
DESK_TIMERS = frozenset({TIMER_OFFER, TIMER_ESCALATION, TIMER_INVITATION})

COORDINATION_SKILL = "coordination"
# How often `tick` checks the sets above against the records and drops assignments of vanished
# cases (an erasure whose clean-up was interrupted, a purge, an index of an older version).
RECONCILE_EVERY = dt.timedelta(minutes=10)
INVITATION_LIFETIME = dt.timedelta(days=7)
NATIONAL_REMINDER = dt.timedelta(hours=24)
REMINDER_AT_LEAST = dt.timedelta(hours=1)
# What the person writes while their case waits for a volunteer: the last few, each cut.
WAITING_MESSAGES_KEPT = 5
WAITING_MESSAGE_CHARS = 500
# A claimed timer is set again this far ahead while it is processed: if the process dies in the
# middle, the work is picked up again from the case's saved state.
LEASE = dt.timedelta(minutes=5)

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CASE_ID = re.compile(r"[2-9A-HJ-NP-Z]{6}")
_CODE = re.compile(r"[2-9A-HJ-NP-Z]{4}-?[2-9A-HJ-NP-Z]{4}")
_REGISTER_WORDS = frozenset({"start", "inscription", "register"})
_ACCEPT_WORDS = frozenset({"oui", "yes", "accepte", "accepter", "accept", "ok"})
_DECLINE_WORDS = frozenset({"non", "no", "refuse", "refuser", "decline"})
# The first word of a sentence that may answer an offer ("oui je prends", "non désolée...").
_ANSWER_WORDS = _ACCEPT_WORDS | _DECLINE_WORDS | {"j'accepte", "jaccepte", "desolee", "desole", "pas"}
_CLOSE_WORDS = frozenset({"fin", "clore", "close"})
_MESSAGE_WORDS = frozenset({"msg", "message"})
_HELP_WORDS = frozenset({"aide", "help", "?"})
_LIST_WORDS = frozenset({"dossiers", "cas", "cases"})
_SHOW_WORDS = frozenset({"voir", "fiche", "show"})
_PAUSE_WORDS = frozenset({"pause"})
_RESUME_WORDS = frozenset({"reprise", "reprendre"})

# How a volunteer names an outcome in "FIN CASEID <word>" (accents and case ignored), and how it
# is shown. The codes themselves are accepted too.
OUTCOME_WORDS: Mapping[str, CaseOutcome] = {
    "rdv": "appointment_obtained",
    "rendez-vous": "appointment_obtained",
    "rendezvous": "appointment_obtained",
    "refere": "referee_filed",
    "orientation": "referred_elsewhere",
    "oriente": "referred_elsewhere",
    "injoignable": "unreachable",
    "resolu": "resolved",
    "autre": "other",
    **{code: code for code in get_args(CaseOutcome)},
}
OUTCOME_LABELS: Mapping[str, str] = {
    "appointment_obtained": "rendez-vous obtenu (RDV)",
    "referee_filed": "référé déposé (REFERE)",
    "referred_elsewhere": "orienté ailleurs (ORIENTATION)",
    "unreachable": "personne injoignable (INJOIGNABLE)",
    "resolved": "résolu autrement (RESOLU)",
    "other": "autre (AUTRE)",
}

HELP_TEXT = (
    "Commandes :\n"
    "OUI CODE / NON CODE : accepter ou refuser une proposition (CODE = le dossier, facultatif si "
    "vous n'avez qu'une proposition en attente)\n"
    "MSG CODE votre texte : écrire à la personne (ou votre texte seul si vous n'avez qu'un dossier)\n"
    "FIN CODE RESULTAT : clore (RDV, REFERE, ORIENTATION, INJOIGNABLE, RESOLU, AUTRE)\n"
    "VOIR CODE : relire la fiche d'un de vos dossiers\n"
    "DOSSIERS : vos dossiers et propositions en cours\n"
    "PAUSE / REPRISE : ne plus recevoir de propositions, puis en recevoir de nouveau"
)


# ---------------------------------------------------------------------------------------------
# What the desk needs from outside


class TextSource(Protocol):
    """The person's texts by key (``bot.engine.texts.Texts``)."""

    def get(self, key: str, lang: str | None, *, channel: str | None = None, **values: object) -> str: ...


class _DepartmentInfo(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def prefecture_name(self) -> str: ...


class _CommuneInfo(Protocol):
    @property
    def name(self) -> str: ...


class PlaceBook(Locator, Protocol):
    """Coordinates for routing and names for the summary (``bot.understanding.places.Gazetteer``)."""

    def department(self, code: str) -> _DepartmentInfo | None: ...

    def commune(self, insee: str) -> _CommuneInfo | None: ...


# ---------------------------------------------------------------------------------------------
# Advice while waiting (data: rules/advice.yml)


class AdviceError(ValueError):
    """The advice file has problems; the message lists them all."""


@dataclass(frozen=True)
class AdviceItem:
    texts: Mapping[str, str]
    rules: frozenset[str] | None  # None: for every case


@dataclass(frozen=True)
class Advice:
    """What the person can do while waiting, per urgency rule and language."""

    items: tuple[AdviceItem, ...]

    def for_case(self, rule: str, lang: str) -> list[str]:
        return [
            item.texts.get(lang) or item.texts["fr"]
            for item in self.items
            if item.rules is None or rule in item.rules
        ]


def load_advice(
    path: Path | None = None,
    *,
    languages: Iterable[str] = ("fr", "en", "ar", "es"),
    rule_names: Iterable[str] | None = None,
) -> Advice:
    """Read and check the advice file: every item in every language, known rule names."""
    path = Path(path) if path is not None else ADVICE_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AdviceError(f"{path}: not valid YAML: {exc}") from exc
    wanted = tuple(languages)
    known_rules = None if rule_names is None else frozenset(rule_names)
    problems: list[str] = []
    items: list[AdviceItem] = []
    entries = raw.get("meanwhile") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or set(raw) != {"meanwhile"} or not isinstance(entries, list):
        raise AdviceError(f"{path}: expected one key, 'meanwhile', followed by a list of items")
    for number, entry in enumerate(entries, start=1):
        where = f"item {number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected texts per language (fr: ..., en: ...)")
            continue
        rules = entry.get("rules")
        if rules is not None and (
            not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules)
        ):
            problems.append(f"{where}: 'rules' must be a list of rule names")
            rules = None
        elif rules is not None and known_rules is not None:
            problems.extend(f"{where}: unknown rule {name!r}" for name in rules if name not in known_rules)
        texts = {str(key): value for key, value in entry.items() if key != "rules"}
        for lang in wanted:
            if not isinstance(texts.get(lang), str) or not str(texts[lang]).strip():
                problems.append(f"{where}: no text in {lang!r}")
        for key, value in texts.items():
            if not re.fullmatch(r"[a-z]{2}", key):
                problems.append(f"{where}: unknown key {key!r} (a language code or 'rules')")
            elif not isinstance(value, str):
                problems.append(f"{where}: the {key!r} text must be text")
        items.append(
            AdviceItem(
                {k: " ".join(str(v).split()) for k, v in texts.items() if isinstance(v, str)},
                None if rules is None else frozenset(rules),
            )
        )
    if problems:
        raise AdviceError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))
    return Advice(tuple(items))


# ---------------------------------------------------------------------------------------------
# The roster and addresses in the store (usable without a desk: the `triage volunteers` commands)


def normalized_address(address: Address) -> tuple[str, str]:
    """(channel, recipient) as compared: phone numbers without spaces and punctuation."""
    channel = address.channel.strip().lower()
    recipient = address.recipient.strip()
    if channel in ("sms", "whatsapp"):
        recipient = re.sub(r"[\s.\-()]", "", recipient)
    return channel, recipient


def address_hash(key: bytes, address: Address) -> str:
    """A keyed hash of an address: the store keeps no phone number as a key."""
    channel, recipient = normalized_address(address)
    return hmac.new(key, f"{channel}\x00{recipient}".encode(), hashlib.sha256).hexdigest()[:40]


async def stored_address_key(store: RecordStore) -> bytes:
    """The key of `address_hash` kept in the store, made on first use (see README: set one outside)."""
    record = await store.get_record(RECORD_SECRET, "address_key")
    if record is None:
        record = {"key": secrets.token_hex(32)}
        await store.put_record(RECORD_SECRET, "address_key", record)
    return bytes.fromhex(str(record["key"]))


def roster_addresses(volunteer: Volunteer) -> list[Address]:
    """Where the roster says a volunteer can be reached: Telegram, then the phone (SMS)."""
    found = []
    if volunteer.telegram_chat_id:
        found.append(Address(channel="telegram", recipient=volunteer.telegram_chat_id))
    if volunteer.phone:
        _, number = normalized_address(Address(channel="sms", recipient=volunteer.phone))
        found.append(Address(channel="sms", recipient=number))
    return found


def _inbound_addresses(volunteer: Volunteer) -> list[Address]:
    """Addresses from the roster a volunteer may write from (a phone also over WhatsApp)."""
    found = roster_addresses(volunteer)
    # WhatsApp gives the number without its "+" (`wa_id` 33612345678): both forms are theirs.
    for phone in [a.recipient for a in found if a.channel == "sms"]:
        found += [
            Address(channel="whatsapp", recipient=phone),
            Address(channel="whatsapp", recipient=phone.lstrip("+")),
        ]
    return found


async def load_roster(store: RecordStore) -> list[Volunteer]:
    return [Volunteer.model_validate(record) for record in await store.list_records(RECORD_VOLUNTEER)]


async def roster_version(store: RecordStore) -> str:
    record = await store.get_record(RECORD_ROSTER_VERSION, "current")
    return str(record["version"]) if record else ""


async def bump_roster_version(store: RecordStore) -> None:
    """Tell every process that the roster or a volunteer's contacts changed (their caches reload)."""
    await store.put_record(RECORD_ROSTER_VERSION, "current", {"version": secrets.token_hex(8)})


def _address_binding(digest: str, volunteer_id: str, source: str) -> dict[str, str]:
    """The record binding an address (by its keyed hash) to a volunteer; `source`: "roster" or
    "registered" (a roster import replaces only its own)."""
    return {"key": digest, "volunteer_id": volunteer_id, "source": source}


async def rebind_addresses(store: RecordStore, key: bytes) -> int:
    """Bind every volunteer's addresses again under `key` (the roster's, then those registered);
    the number of bindings. For after `triage store rehash`: the key of `address_hash` derives
    from STORE_HASH_KEY, and the bindings made with the old one match no sender any more."""
    for binding in await store.list_records(RECORD_ADDRESS):
        await store.delete_record(RECORD_ADDRESS, str(binding["key"]))
    bound: dict[str, dict[str, str]] = {}
    for volunteer in await load_roster(store):
        for address in _inbound_addresses(volunteer):
            digest = address_hash(key, address)
            bound[digest] = _address_binding(digest, volunteer.id, "roster")
    for contact in await store.list_records(RECORD_CONTACT):  # a registration wins over the roster
        volunteer_id = str(contact["volunteer_id"])
        for registered in contact["addresses"]:
            address = Address(channel=registered["channel"], recipient=registered["recipient"])
            digest = address_hash(key, address)
            bound[digest] = _address_binding(digest, volunteer_id, "registered")
    for digest, binding in bound.items():
        await store.put_record(RECORD_ADDRESS, digest, binding)
    await bump_roster_version(store)
    return len(bound)


@dataclass(frozen=True)
class RosterChange:
    added: list[str]
    updated: list[str]
    removed: list[str]


async def replace_roster(store: RecordStore, volunteers: Sequence[Volunteer], key: bytes) -> RosterChange:
    """Make ``volunteers`` the roster: new and changed lines stored, missing ones removed.

    The roster's Telegram ids and phones are bound to their volunteer (by keyed hash) so that a
    volunteer can answer from them without registering; registered addresses are kept.
    """
    old = {v.id: v for v in await load_roster(store)}
    new_ids = {v.id for v in volunteers}
    for volunteer in volunteers:
        await store.put_record(RECORD_VOLUNTEER, volunteer.id, volunteer.model_dump(mode="json"))
    removed = sorted(set(old) - new_ids)
    for vid in removed:
        await store.delete_record(RECORD_VOLUNTEER, vid)
        await store.delete_record(RECORD_CONTACT, vid)
    for binding in await store.list_records(RECORD_ADDRESS):
        if binding.get("source") == "roster" or binding.get("volunteer_id") in removed:
            await store.delete_record(RECORD_ADDRESS, str(binding["key"]))
    for volunteer in volunteers:
        for address in _inbound_addresses(volunteer):
            digest = address_hash(key, address)
            existing = await store.get_record(RECORD_ADDRESS, digest)
            if existing is None or existing.get("volunteer_id") not in new_ids:
                await store.put_record(
                    RECORD_ADDRESS,
                    digest,
                    _address_binding(digest, volunteer.id, "roster"),
                )
    await bump_roster_version(store)
    added = sorted(new_ids - set(old))
    updated = sorted(v.id for v in volunteers if v.id in old and old[v.id] != v)
    logger.info("roster replaced: %d added, %d updated, %d removed", len(added), len(updated), len(removed))
    return RosterChange(added, updated, removed)


def _new_code(length: int) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Invitation:
    volunteer_id: str
    code: str  # shown once, stored only as a hash
    expires_at: dt.datetime


async def create_invitation(store: RecordStore, volunteer_id: str, now: dt.datetime) -> Invitation:
    """A one-time code, valid 7 days, that binds the address it is sent from to the volunteer."""
    if await store.get_record(RECORD_VOLUNTEER, volunteer_id) is None:
        raise KeyError(volunteer_id)
    raw = _new_code(8)
    code = f"{raw[:4]}-{raw[4:]}"
    expires_at = now + INVITATION_LIFETIME
    digest = _code_hash(code)
    await store.put_record(
        RECORD_INVITATION,
        digest,
        {"key": digest, "volunteer_id": volunteer_id, "expires_at": expires_at.isoformat()},
    )
    # The timer expires the code and is its single-use lock: registering claims it.
    await store.schedule_timer(TIMER_INVITATION, digest, expires_at)
    logger.info("invitation created for volunteer %s", volunteer_id)
    return Invitation(volunteer_id, code, expires_at)


async def live_loads(store: RecordStore, roster: Sequence[Volunteer]) -> dict[str, int]:
    """Open cases per volunteer: the roster's count (cases outside the bot), plus the cases they
    accepted here and not yet closed, plus the offers waiting for their answer."""
    ids = [v.id for v in roster]
    offered = await store.set_sizes(SET_OFFERED, ids)
    held = await store.set_sizes(SET_HELD, ids)
    return {v.id: v.open_cases + offered[v.id] + held[v.id] for v in roster}


@dataclass(frozen=True)
class RosterView:
    """The roster as one process last read it, valid while the store's roster version is `version`."""

    version: str
    volunteers: tuple[Volunteer, ...]
    reachable: tuple[Volunteer, ...]  # with a registered address or one in the roster

    def get(self, volunteer_id: str) -> Volunteer | None:
        return next((v for v in self.volunteers if v.id == volunteer_id), None)


# ---------------------------------------------------------------------------------------------
# Parsing what a volunteer writes


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip(".,;:!")


@dataclass(frozen=True)
class _Command:
    verb: str  # register | accept | decline | close | message | help | list | show | pause | resume | text
    case_id: str | None = None
    argument: str | None = None  # the code, the outcome word, or the message text


def parse_volunteer_text(text: str) -> _Command:
    """Read "OUI 7K3F9Q", "FIN 7K3F9Q rdv", "MSG 7K3F9Q ...", "/start CODE"... Anything else is text
    for the person. A command word followed by other words ("Oui, je vous appelle") is text too."""
    words = text.split()
    if not words:
        return _Command("text", argument="")
    head = _fold(words[0]).lstrip("/")
    rest = words[1:]
    maybe_id = rest[0].upper().strip(".,;:!") if rest else None
    case_id = maybe_id if maybe_id and _CASE_ID.fullmatch(maybe_id) else None
    if head in _REGISTER_WORDS and len(rest) == 1 and _CODE.fullmatch(rest[0].upper()):
        return _Command("register", argument=rest[0].upper())
    if head in _ACCEPT_WORDS | _DECLINE_WORDS and (not rest or (case_id and len(rest) == 1)):
        return _Command("accept" if head in _ACCEPT_WORDS else "decline", case_id)
    if head in _CLOSE_WORDS and len(rest) <= 2 and (not rest or case_id or len(rest) == 1):
        outcome = rest[-1] if rest and (len(rest) == 2 or not case_id) else None
        return _Command("close", case_id, outcome)
    if head in _MESSAGE_WORDS and rest:
        body = words[2:] if case_id else rest
        return _Command("message", case_id, " ".join(body))
    if head in _HELP_WORDS and not rest:
        return _Command("help")
    if head in _LIST_WORDS and not rest:
        return _Command("list")
    if head in _SHOW_WORDS and len(rest) <= 1:
        # "VOIR M7BKQ" mistyped is answered as a code not found, not relayed to the person.
        return _Command("show", case_id or (maybe_id or None))
    if head in _PAUSE_WORDS and not rest:
        return _Command("pause")
    if head in _RESUME_WORDS and not rest:
        return _Command("resume")
    return _Command("text", argument=" ".join(words))


def parse_volunteer_option(option: str) -> _Command | None:
    """Buttons: ``accept:CASEID``, ``decline:CASEID``, ``close:CASEID``, ``close:CASEID:OUTCOME``."""
    parts = option.split(":")
    if len(parts) >= 2 and _CASE_ID.fullmatch(parts[1]):
        if parts[0] in ("accept", "decline") and len(parts) == 2:
            return _Command(parts[0], parts[1])
        if parts[0] == "close" and len(parts) in (2, 3):
            return _Command("close", parts[1], parts[2] if len(parts) == 3 else None)
    return None


def _qualification_fr(rules: HandoffRules) -> str:
    """What a case needing qualification asks of its volunteer, in the desk's French."""
    skills = "/".join(rules.removal_order_skills)
    return f"la compétence {skills}" + (" ou d'être avocat·e" if rules.lawyers_qualify else "")


# How the desk names a channel that could not deliver, and why it most often fails there.
UNDELIVERED_BY = {"sms": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram"}
UNDELIVERED_WHY = {
    "sms": " (téléphone éteint depuis longtemps, numéro hors service ou refusé par l'opérateur)",
    "whatsapp": " (plus de 24 h sans message de sa part, ou pas de WhatsApp sur ce numéro)",
}

# A volunteer's answer waits at most this long for the desk to let go of the offer's timer.
CLAIM_ATTEMPTS = 5
CLAIM_RETRY_SECONDS = 0.1


def _pending_offer(case: Case) -> CaseOffer | None:
    """The offer of the case waiting for its volunteer's answer, if any."""
    return case.offers[-1] if case.offers and case.offers[-1].result == "pending" else None


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m à %H:%M")


# ---------------------------------------------------------------------------------------------
# The desk


class HandoffDesk:
    """The life of a case after the triage: offers, answers, escalation, relay, closing."""

    def __init__(
        self,
        store: ConversationStore,
        outbox: Outbox,
        clock: Clock,
        places: PlaceBook,
        rules: RuleBook,
        handoff_rules: HandoffRules,
        documents: DocumentCatalogue,
        texts: TextSource,
        *,
        advice: Advice | None = None,
        address_key: bytes | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.places = places
        self.rules = rules
        self.handoff_rules = handoff_rules
        self.documents = documents
        self.texts = texts
        self.advice = advice if advice is not None else load_advice(rule_names=rules.rule_names)
        self._key = address_key
        self._language_names = Locale("fr").languages
        self._roster: RosterView | None = None
        self._reconciled_at: dt.datetime | None = None

    # -- roster and registration ---------------------------------------------------------------

    async def key(self) -> bytes:
        if self._key is None:
            self._key = await stored_address_key(self.store)
        return self._key

    async def import_roster(self, volunteers: Sequence[Volunteer]) -> RosterChange:
        return await replace_roster(self.store, volunteers, await self.key())

    async def ensure_roster(self, path: Path, locator: Locator | None = None) -> int:
        """Load ``path`` when the store has no volunteers yet (the demo); returns how many were loaded."""
        if await self.store.list_records(RECORD_VOLUNTEER):
            return 0
        from actions.volunteers import load_volunteers

        volunteers = load_volunteers(path, locator=locator)
        await self.import_roster(volunteers)
        return len(volunteers)

    async def create_invitation(self, volunteer_id: str) -> Invitation:
        return await create_invitation(self.store, volunteer_id, self.clock.now())

    async def roster(self) -> RosterView:
        """The roster and who is reachable, read again only when another process changed them
        (one small read per hand-off instead of every volunteer and contact decrypted)."""
        version = await roster_version(self.store)
        if self._roster is None or self._roster.version != version or not version:
            volunteers = tuple(await load_roster(self.store))
            contacts = {str(c["volunteer_id"]) for c in await self.store.list_records(RECORD_CONTACT)}
            reachable = tuple(v for v in volunteers if v.id in contacts or roster_addresses(v))
            self._roster = RosterView(version, volunteers, reachable)
        return self._roster

    async def volunteer(self, volunteer_id: str) -> Volunteer | None:
        record = await self.store.get_record(RECORD_VOLUNTEER, volunteer_id)
        return None if record is None else Volunteer.model_validate(record)

    async def volunteer_for(self, sender: Address) -> Volunteer | None:
        binding = await self.store.get_record(RECORD_ADDRESS, address_hash(await self.key(), sender))
        if binding is None:
            return None
        return await self.volunteer(str(binding["volunteer_id"]))

    async def is_volunteer(self, sender: Address) -> bool:
        """Whether messages from ``sender`` go to the desk (a known volunteer) or to the triage."""
        return await self.volunteer_for(sender) is not None

    async def handles(self, sender: Address, text: str | None) -> bool:
        """`is_volunteer`, or a registration ("/start CODE") from an address not known yet."""
        if text is not None and parse_volunteer_text(text).verb == "register":
            return True
        return await self.is_volunteer(sender)

    async def addresses(self, volunteer: Volunteer) -> list[Address]:
        """Where to send to a volunteer: the addresses they registered, else one from the roster."""
        contact = await self.store.get_record(RECORD_CONTACT, volunteer.id)
        registered = [Address.model_validate(a) for a in contact["addresses"]] if contact else []
        # Without a registration: one channel from the roster, Telegram first (free), else SMS.
        return registered or roster_addresses(volunteer)[:1]

    async def _register(self, sender: Address, code: str, now: dt.datetime) -> list[Reply]:
        digest = _code_hash(code)
        invitation = await self.store.get_record(RECORD_INVITATION, digest)
        if invitation is None:
            return [
                Reply(text="Code inconnu ou déjà utilisé. Demandez un nouveau code à votre coordination.")
            ]
        expires_at = dt.datetime.fromisoformat(str(invitation["expires_at"]))
        if expires_at <= now or not await self.store.claim_timer(Timer(TIMER_INVITATION, digest, expires_at)):
            await self.store.delete_record(RECORD_INVITATION, digest)
            return [
                Reply(text="Ce code a expiré ou a déjà servi. Demandez un nouveau code à votre coordination.")
            ]
        await self.store.delete_record(RECORD_INVITATION, digest)
        volunteer = await self.volunteer(str(invitation["volunteer_id"]))
        if volunteer is None:
            return [Reply(text="Ce code ne correspond plus à aucun ou aucune bénévole.")]
        key = await self.key()
        digest_address = address_hash(key, sender)
        previous = await self.store.get_record(RECORD_ADDRESS, digest_address)
        if previous is not None and previous.get("volunteer_id") != volunteer.id:
            await self._unbind(str(previous["volunteer_id"]), sender)
        await self.store.put_record(
            RECORD_ADDRESS,
            digest_address,
            _address_binding(digest_address, volunteer.id, "registered"),
        )
        contact = await self.store.get_record(RECORD_CONTACT, volunteer.id) or {"addresses": []}
        channel, recipient = normalized_address(sender)
        kept = [a for a in contact["addresses"] if a["channel"] != channel]
        contact = {
            "volunteer_id": volunteer.id,
            "addresses": [*kept, {"channel": channel, "recipient": recipient}],
        }
        await self.store.put_record(RECORD_CONTACT, volunteer.id, contact)
        await bump_roster_version(self.store)
        logger.info("volunteer %s registered a %s address", volunteer.id, channel)
        return [
            Reply(
                text=f"Bienvenue {volunteer.name} ({volunteer.association}) ! Les demandes d'aide vous "
                f"arriveront ici.\n\n{HELP_TEXT}"
            )
        ]

    async def _unbind(self, volunteer_id: str, address: Address) -> None:
        contact = await self.store.get_record(RECORD_CONTACT, volunteer_id)
        if contact is None:
            return
        channel, recipient = normalized_address(address)
        contact["addresses"] = [
            a for a in contact["addresses"] if (a["channel"], a["recipient"]) != (channel, recipient)
        ]
        await self.store.put_record(RECORD_CONTACT, volunteer_id, contact)
        await bump_roster_version(self.store)

    # -- pending offers and assignments, with their sets --------------------------------------------
    # A set member is added before its record is written and removed after its record is deleted:
    # an interruption leaves a volunteer counted busier than they are, never less, until `reconcile`.

    async def _set_pending(
        self, case_id: str, volunteer_ids: Sequence[str], due_at: dt.datetime, *, escalation: bool
    ) -> None:
        await self._clear_pending(case_id)
        kind = SET_ESCALATED if escalation else SET_OFFERED
        for vid in volunteer_ids:
            await self.store.add_to_set(kind, vid, case_id)
        await self.store.put_record(
            RECORD_PENDING,
            case_id,
            {
                "case_id": case_id,
                "volunteer_ids": list(volunteer_ids),
                "due_at": due_at.isoformat(),
                "escalation": escalation,
            },
        )

    async def _clear_pending(self, case_id: str) -> dict[str, Any] | None:
        pending = await self.store.get_record(RECORD_PENDING, case_id)
        if pending is None:
            return None
        await self.store.delete_record(RECORD_PENDING, case_id)
        kind = SET_ESCALATED if pending.get("escalation") else SET_OFFERED
        for vid in pending["volunteer_ids"]:
            await self.store.remove_from_set(kind, str(vid), case_id)
        return pending

    async def _set_assignment(self, case_id: str, volunteer_id: str, now: dt.datetime) -> None:
        await self.store.add_to_set(SET_HELD, volunteer_id, case_id)
        await self.store.put_record(
            RECORD_ASSIGNMENT,
            case_id,
            {"case_id": case_id, "volunteer_id": volunteer_id, "accepted_at": now.isoformat()},
        )

    async def _clear_assignment(self, case_id: str) -> str | None:
        assignment = await self.store.get_record(RECORD_ASSIGNMENT, case_id)
        if assignment is None:
            return None
        await self.store.delete_record(RECORD_ASSIGNMENT, case_id)
        await self.store.remove_from_set(SET_HELD, str(assignment["volunteer_id"]), case_id)
        return str(assignment["volunteer_id"])

    async def reconcile(self) -> int:
        """Drop assignments of cases that are gone or no longer accepted, then make the sets match
        the pending offers and assignments exactly; returns how many entries were corrected."""
        fixed = await self.prune_assignments()
        wanted: dict[str, dict[str, set[str]]] = {SET_OFFERED: {}, SET_ESCALATED: {}, SET_HELD: {}}
        # Sets first, records second: an entry added meanwhile is then either in both or only in
        # the set (kept), so a live offer is never removed from its volunteer's load.
        present = {kind: await self.store.all_sets(kind) for kind in wanted}
        for record in await self.store.list_records(RECORD_PENDING):
            kind = SET_ESCALATED if record.get("escalation") else SET_OFFERED
            for vid in record["volunteer_ids"]:
                wanted[kind].setdefault(str(vid), set()).add(str(record["case_id"]))
        for record in await self.store.list_records(RECORD_ASSIGNMENT):
            wanted[SET_HELD].setdefault(str(record["volunteer_id"]), set()).add(str(record["case_id"]))
        for kind, sets in wanted.items():
            for vid in set(sets) | set(present[kind]):
                have, want = present[kind].get(vid, set()), sets.get(vid, set())
                for case_id in want - have:
                    await self.store.add_to_set(kind, vid, case_id)
                for case_id in have - want:
                    await self.store.remove_from_set(kind, vid, case_id)
                fixed += len(want ^ have)
        if fixed:
            logger.info("hand-off index reconciled: %d entries corrected", fixed)
        return fixed

    # -- timers ----------------------------------------------------------------------------------

    async def submit(self, case: Case) -> None:
        """A case just became ready: offer it now. Its timer is set first, one lease ahead, so that
        a crash before the offer is made is caught up by `tick`; as nobody else knows the case yet,
        no claim is needed before the work (a round trip saved at every hand-off)."""
        now = self.clock.now()
        await self.store.schedule_timer(TIMER_OFFER, case.id, now + LEASE)
        try:
            await self._offer_due(case.id, now, case)
        except CaseErased:
            await self._forget(case.id)
        except Exception:
            logger.exception("offering case %s failed; retried in %s", case.id, LEASE)

    async def urgency_updated(
        self, case: Case, now: dt.datetime, previous: UrgencyLevel | None = None
    ) -> None:
        """The person answered more after an early hand-off (they asked for a human, or a
        detention fast-tracked them), and the case may now be more urgent, or need a qualified
        volunteer (a removal order). An offer still waiting for its volunteer then gets the
        shorter answer time of the new level and the volunteer is told, or, if they lack the
        qualification the case now needs, it goes at once to someone who has it: a case that
        became urgent must not sit for days with someone who may never look, or cannot help.

        Done under the offer timer's claim, as an answer of the volunteer: if they answer, or
        the timer fires, at this very moment, this gives way (they read the new urgency). If
        this process stops half-way, the claim's lease brings the timer back and `_offer_due`
        does the rest."""
        if case.status == "escalated":
            if previous is not None and case.urgency.level < previous:  # "P1" < "P4"
                await self._escalation_more_urgent(case, now)
            return
        if case.status == "accepted":
            if previous is not None and case.urgency.level < previous and case.volunteer_id:
                await self._tell_holder_more_urgent(case, now)
            elif previous is not None and case.urgency.level > previous and case.volunteer_id:
                await self._tell_holder_less_urgent(case, previous)
            return
        pending = _pending_offer(case)
        if case.status != "offered" or pending is None or not await self._needs_hurry(case, pending, now):
            return
        try:
            fresh = await self._claim_and_read(Timer(TIMER_OFFER, case.id, pending.expires_at), now)
            if fresh is None:
                return
            current = _pending_offer(fresh) if fresh.status == "offered" else None
            if current is None or current != pending:
                # Not the offer this was about any more: its timer goes back as it was.
                await self.store.schedule_timer(TIMER_OFFER, case.id, pending.expires_at)
                return
            await self._hurry(fresh, current, now)
        except CaseErased:
            await self._forget(case.id)

    async def _tell_holder_more_urgent(self, case: Case, now: dt.datetime) -> None:
        """The volunteer who took an early hand-off learns that the case became more urgent (an
        OQTF and a house arrest answered after the acceptance), with the summary as it is now:
        they had only the first one."""
        volunteer = await self.volunteer(case.volunteer_id or "")
        if volunteer is None:
            return
        # Reached by SMS only: the short summary (3 segments, not 9), the whole on request.
        addresses = await self.addresses(volunteer)
        by_sms = bool(addresses) and all(address.channel == SMS_CHANNEL for address in addresses)
        summary = (render_summary_sms if by_sms else render_summary)(case, self._context(case, now))
        text = (
            f"Le dossier {case.id} est devenu plus urgent ({case.urgency.level}) avec les dernières "
            f"réponses de la personne. Résumé à jour :\n\n{summary}"
            + (f"\nFiche entière : VOIR {case.id}" if by_sms else "")
        )
        await self._send_volunteer(volunteer, [Reply(text=text)])
        logger.info("case %s more urgent: its volunteer %s told", case.id, volunteer.id)

    async def _tell_holder_less_urgent(self, case: Case, previous: UrgencyLevel) -> None:
        """The volunteer who holds a case learns that its level went down (the order's date
        corrected after a P0 hand-off, a detention answered "libre"): they may be about to act on
        the old one. A line only, the summary on request."""
        volunteer = await self.volunteer(case.volunteer_id or "")
        if volunteer is None:
            return
        text = (
            f"Le dossier {case.id} est moins urgent qu'annoncé ({previous} → {case.urgency.level}) avec "
            f"les dernières réponses de la personne (une date corrigée, par exemple). Résumé à jour : "
            f"VOIR {case.id}"
        )
        await self._send_volunteer(volunteer, [Reply(text=text)])
        logger.info("case %s less urgent: its volunteer %s told", case.id, volunteer.id)

    async def _claim_and_read(self, timer: Timer, now: dt.datetime) -> Case | None:
        """Claim ``timer`` and read its case afresh, as it is now that no other desk actor can
        change it; None when the claim is lost, or the case is gone (then forgotten)."""
        if not await self._claim(timer, now):
            return None
        fresh = await self.store.get_case(timer.key)
        if fresh is None:
            await self._forget(timer.key)
        return fresh

    async def _escalation_more_urgent(self, case: Case, now: dt.datetime) -> None:
        """An escalated case became more urgent: its coordinators are told again, with the new
        level, and at the département stage the move to the national coordinators comes as soon
        as the new level's answer time says. Under the escalation timer's claim, as a
        coordinator taking the case."""
        pending = await self.store.get_record(RECORD_PENDING, case.id)
        if pending is None or not pending.get("escalation"):
            return
        due_at = dt.datetime.fromisoformat(str(pending["due_at"]))
        try:
            fresh = await self._claim_and_read(Timer(TIMER_ESCALATION, case.id, due_at), now)
            if fresh is None:
                return
            if fresh.status != "escalated":
                await self.store.schedule_timer(TIMER_ESCALATION, case.id, due_at)
                return
            due = due_at
            if fresh.escalation_stage != "national":
                due = min(due_at, now + self.handoff_rules.offer_lifetime(fresh.urgency.level))
            await self._move_pending(case.id, due)
            await self.store.schedule_timer(TIMER_ESCALATION, case.id, due)
        except CaseErased:
            await self._forget(case.id)
            return
        coordinators = [v for v in [await self.volunteer(vid) for vid in fresh.escalated_to] if v is not None]
        logger.info(
            "escalated case %s became more urgent (%s): coordinators told", case.id, fresh.urgency.level
        )
        await self._notify_coordinators(fresh, coordinators, "le dossier est devenu plus urgent", now)

    async def _needs_hurry(self, case: Case, pending: CaseOffer, now: dt.datetime) -> bool:
        """Whether the waiting offer outlives the answer time of the case's level, or its
        volunteer lacks a qualification the case now needs."""
        rules = self.handoff_rules
        if now + rules.offer_lifetime(case.urgency.level) < pending.expires_at:
            return True
        holder = await self.volunteer(pending.volunteer_id)
        return holder is None or (rules.needs_qualification(case) and not rules.qualifies(holder))

    async def _hurry(self, case: Case, pending: CaseOffer, now: dt.datetime) -> None:
        """Under the offer timer's claim: shorten the offer to the case's level, or move it to a
        qualified volunteer (see `urgency_updated`). Each write is safe to redo."""
        rules = self.handoff_rules
        holder = await self.volunteer(pending.volunteer_id)
        if holder is None or (rules.needs_qualification(case) and not rules.qualifies(holder)):
            # The answer is saved before anyone is told: stopped here, the lease re-offers.
            case = await self._save(self._answered(case, "expired", now))
            await self._offer_next(case, now)
            logger.info("offer of case %s withdrawn from volunteer %s", case.id, pending.volunteer_id)
            if holder is not None:
                text = (
                    f"Le dossier {case.id} est devenu plus urgent et demande {_qualification_fr(rules)},"
                    " que votre fiche n'indique pas : il passe à quelqu'un d'autre. Merci !"
                )
                await self._send_volunteer(holder, [Reply(text=text)])
            return
        expires_at = min(pending.expires_at, now + rules.offer_lifetime(case.urgency.level))
        shortened = pending.model_copy(update={"expires_at": expires_at})
        case = case.model_copy(update={"offers": [*case.offers[:-1], shortened], "updated_at": now})
        case = await self._save(case, reevaluated_at=now)
        await self._move_pending(case.id, expires_at)
        await self.store.schedule_timer(TIMER_OFFER, case.id, expires_at)
        logger.info(
            "offer of case %s to volunteer %s shortened to %s (now %s)",
            case.id,
            pending.volunteer_id,
            expires_at.isoformat(),
            case.urgency.level,
        )
        text = (
            f"Mise à jour : le dossier {case.id} est devenu plus urgent.\n\n"
            f"{render_offer(case, self._context(case, now), None)}\n\n"
            f"Dossier {case.id} : répondez avant le {_when(expires_at)},"
            " sinon il passe à quelqu'un d'autre.\n"
            f"OUI {case.id} pour accepter, NON {case.id} pour refuser."
        )
        options = (
            Option(id=f"accept:{case.id}", label="Accepter"),
            Option(id=f"decline:{case.id}", label="Refuser"),
        )
        await self._send_volunteer(holder, [Reply(text=text, options=options)])

    async def _move_pending(self, case_id: str, due_at: dt.datetime) -> None:
        """The pending offer's record follows its new expiry (its volunteers and their load
        sets unchanged, so that `reconcile` never sees them missing)."""
        record = await self.store.get_record(RECORD_PENDING, case_id)
        if record is not None and record.get("due_at") != due_at.isoformat():
            await self.store.put_record(RECORD_PENDING, case_id, {**record, "due_at": due_at.isoformat()})

    async def undelivered(self, case_id: str, channel: str = "sms") -> None:
        """A message the desk sent to the person about this case was reported not delivered (an
        SMS: phone off for days, number out of service, refused by the operator; WhatsApp: the
        24-hour window closed, no WhatsApp on the number): the volunteer holding the case is
        told, since they are the one waiting for an answer, and the case's delivery record keeps
        it."""
        now = self.clock.now()
        failed = DeliveryAttempt(channel, False, "delivery report: not delivered")
        try:
            case = await self.store.update_case(case_id, lambda fresh: fresh.with_deliveries([failed], now))
        except CaseErased:
            return
        if case is None or case.status != "accepted" or case.volunteer_id is None:
            return
        volunteer = await self.volunteer(case.volunteer_id)
        if volunteer is None:
            return
        why = UNDELIVERED_WHY.get(channel, "")
        text = (
            f"Dossier {case_id} : un message envoyé à la personne par {UNDELIVERED_BY.get(channel, channel)}"
            f" n'a pas pu lui être remis{why}. Votre dernier message ne lui est peut-être pas parvenu."
        )
        logger.info(
            "case %s: an SMS to the person was not delivered; volunteer %s told", case_id, volunteer.id
        )
        await self._send_volunteer(volunteer, [Reply(text=text)])

    async def tick(self, now: dt.datetime | None = None) -> int:
        """Process the desk's due timers (offer expiries, escalations, invitations); returns how many
        this call processed. Safe to call from several workers at once."""
        now = now or self.clock.now()
        if self._reconciled_at is None or now - self._reconciled_at >= RECONCILE_EVERY:
            self._reconciled_at = now
            await self.reconcile()
        done = 0
        while True:
            due = [t for t in await self.store.due_timers(now, limit=100) if t.kind in DESK_TIMERS]
            ran = 0
            for timer in due:
                if await self._run(timer, now):
                    ran += 1
            done += ran
            if ran == 0 or len(due) < 100:
                return done

    async def _claim(self, timer: Timer, now: dt.datetime) -> bool:
        if not await self.store.claim_timer(timer):
            return False
        if timer.kind != TIMER_INVITATION:
            await self.store.schedule_timer(timer.kind, timer.key, now + LEASE)
        return True

    async def _run(self, timer: Timer, now: dt.datetime) -> bool:
        if not await self._claim(timer, now):
            return False
        try:
            if timer.kind == TIMER_OFFER:
                await self._offer_due(timer.key, now)
            elif timer.kind == TIMER_ESCALATION:
                await self._escalation_due(timer.key, now)
            else:
                await self.store.delete_record(RECORD_INVITATION, timer.key)
        except CaseErased:
            # Erased while this timer's work ran: nothing more of it is sent or kept.
            await self._forget(timer.key)
        except Exception:
            # The lease set by _claim brings the timer back: the work is retried from the saved state.
            logger.exception("timer %s for case %s failed; retried in %s", timer.kind, timer.key, LEASE)
        return True

    async def _forget(self, case_id: str) -> list[str]:
        """The case is gone (erased by the person): drop what the desk kept about it; returns the
        volunteers who held it or were asked to take it."""
        pending = await self._clear_pending(case_id)
        holder = await self._clear_assignment(case_id)
        for kind in (TIMER_OFFER, TIMER_ESCALATION):
            await self.store.cancel_timer(kind, case_id)
        involved = [str(vid) for vid in pending["volunteer_ids"]] if pending else []
        return sorted({*involved, *([holder] if holder else [])})

    async def withdraw(self, case_id: str) -> None:
        """The person erased their data: the case leaves the desk at once, and whoever held it or
        had it on offer is told, so that nobody waits for or writes to a person who left."""
        for volunteer_id in await self._forget(case_id):
            volunteer = await self.volunteer(volunteer_id)
            if volunteer is not None:
                text = f"Le dossier {case_id} est retiré : la personne a effacé ses données. Merci !"
                await self._send_volunteer(volunteer, [Reply(text=text)])
        logger.info("case %s withdrawn from the desk (erased)", case_id)

    async def _offer_due(self, case_id: str, now: dt.datetime, case: Case | None = None) -> None:
        case = case or await self.store.get_case(case_id)
        if case is None:
            await self._forget(case_id)
            return
        if case.status == "ready_for_handoff":
            await self._offer_next(case, now)
            return
        if case.status != "offered":
            await self.store.cancel_timer(TIMER_OFFER, case_id)  # a stale timer or lease
            return
        pending = _pending_offer(case)
        if pending is not None and pending.expires_at > now:
            # Only a lease after an interrupted run (an answer, a hurry): finish a hurry that was
            # due, else wait for the real expiry again, the record in step with the case (an
            # answer claims the timer with the record's time).
            if await self._needs_hurry(case, pending, now):
                await self._hurry(case, pending, now)
                return
            await self._move_pending(case_id, pending.expires_at)
            await self.store.schedule_timer(TIMER_OFFER, case_id, pending.expires_at)
            return
        if pending is not None:
            case = self._answered(case, "expired", now)
            logger.info("offer of case %s to volunteer %s expired", case.id, pending.volunteer_id)
            volunteer = await self.volunteer(pending.volunteer_id)
            if volunteer is not None:
                await self._send_volunteer(
                    volunteer,
                    [Reply(text=f"La proposition {case.id} a expiré ; elle passe à quelqu'un d'autre.")],
                )
        await self._offer_next(case, now)

    async def _save(self, case: Case, *, reevaluated_at: dt.datetime | None = None) -> Case:
        """Write the desk's part of ``case`` (status, offers...) onto the freshest copy: the person
        may have answered more meanwhile, in another process, and their answers are kept. With
        ``reevaluated_at``, the urgency is evaluated again on those answers. Returns the case as
        written; raises `CaseErased` when the case is gone."""

        def desk_part(fresh: Case) -> Case:
            merged = fresh.with_part_of(case, DESK_PART)
            if reevaluated_at is None:
                return merged
            urgency = self.rules.evaluate(merged.slots, reevaluated_at, merged.slots.language or "fr")
            return merged.model_copy(update={"urgency": urgency})

        saved = await self.store.update_case(case.id, desk_part)
        if saved is None:
            raise CaseErased(case.id)
        return saved

    def _answered(self, case: Case, result: str, now: dt.datetime) -> Case:
        last = case.offers[-1].model_copy(update={"result": result, "answered_at": now})
        return case.model_copy(update={"offers": [*case.offers[:-1], last], "updated_at": now})

    async def _offer_next(self, case: Case, now: dt.datetime) -> None:
        """Offer the case to the best candidate not asked yet, or escalate."""
        language = case.slots.language or "fr"
        case = case.model_copy(update={"urgency": self.rules.evaluate(case.slots, now, language)})
        reachable = (await self.roster()).reachable
        loads = await live_loads(self.store, reachable)
        decision = route_case(
            RoutingCase.from_case(case),
            reachable,
            self.places,
            open_cases=loads,
            # Those asked already, and those who paused.
            excluded_ids={offer.volunteer_id for offer in case.offers}
            | await self.store.set_members(SET_PAUSED, PAUSED_KEY),
            rules=self.handoff_rules,
            limit=1,
        )
        if decision.choice is None:
            await self._escalate(case, now, failed=len(case.offers))
            return
        volunteer = next(v for v in reachable if v.id == decision.choice)
        expires_at = now + self.handoff_rules.offer_lifetime(case.urgency.level)
        offer = CaseOffer(volunteer_id=volunteer.id, offered_at=now, expires_at=expires_at)
        case = case.model_copy(
            update={
                "status": "offered",
                "offers": [*case.offers, offer],
                "interpreter_needed": decision.interpreter_needed,
                "updated_at": now,
            }
        )
        case = await self._save(case, reevaluated_at=now)
        await self._set_pending(case.id, [volunteer.id], expires_at, escalation=False)
        await self.store.schedule_timer(TIMER_OFFER, case.id, expires_at)
        logger.info(
            "case %s (%s) offered to volunteer %s until %s",
            case.id,
            case.urgency.level,
            volunteer.id,
            expires_at.isoformat(),
        )
        km = decision.ranking[0].km if decision.ranking else None
        text = (
            f"{render_offer(case, self._context(case, now), km)}\n\n"
            f"Dossier {case.id} : répondez avant le {_when(expires_at)}.\n"
            f"OUI {case.id} pour accepter, NON {case.id} pour refuser."
        )
        options = (
            Option(id=f"accept:{case.id}", label="Accepter"),
            Option(id=f"decline:{case.id}", label="Refuser"),
        )
        await self._send_volunteer(volunteer, [Reply(text=text, options=options)])

    async def _coordinators(self, department: str | None) -> tuple[list[Volunteer], list[Volunteer]]:
        """Active coordinators of ``department``, and the national ones. A roster with neither for
        this case: every reachable volunteer stands as the national level (the first to take it
        has it), rather than an escalation to nobody, reminded to nobody, the case stuck."""
        view = await self.roster()
        roster = [v for v in view.volunteers if v.active and COORDINATION_SKILL in v.skills]
        local = [v for v in roster if department is not None and department in v.departments]
        national = [v for v in roster if not v.departments]
        if not local and not national:
            # Those who paused stand down here too: they asked for no new case.
            paused = await self.store.set_members(SET_PAUSED, PAUSED_KEY)
            available = [v for v in view.reachable if v.active]
            # Everyone paused: still someone rather than nobody.
            national = [v for v in available if v.id not in paused] or available
        return local, national

    async def _escalate(self, case: Case, now: dt.datetime, *, failed: int) -> None:
        local, national = await self._coordinators(case.slots.prefecture)
        stage = "department" if local else "national"
        targets = local or national
        due = now + (self.handoff_rules.offer_lifetime(case.urgency.level) if local else self._reminder(case))
        case = case.model_copy(
            update={
                "status": "escalated",
                "escalated_at": now,
                "escalation_stage": stage,
                "escalated_to": [v.id for v in targets],
                "updated_at": now,
            }
        )
        case = await self._save(case, reevaluated_at=now)
        await self._set_escalation(case, due)
        await self.store.cancel_timer(TIMER_OFFER, case.id)
        if not targets:
            logger.warning("case %s escalated but no coordinator is in the roster", case.id)
        else:
            logger.info("case %s escalated to %d %s coordinator(s)", case.id, len(targets), stage)
        reason = (
            f"{failed} proposition(s) sans réponse positive"
            if failed
            else "aucun ou aucune bénévole disponible pour ce dossier"
        )
        await self._notify_coordinators(case, targets, reason, now)
        await self._tell_person(case, "handoff_escalated")

    async def _set_escalation(self, case: Case, due: dt.datetime) -> None:
        await self._set_pending(case.id, case.escalated_to, due, escalation=True)
        await self.store.schedule_timer(TIMER_ESCALATION, case.id, due)

    async def _notify_coordinators(
        self, case: Case, targets: Sequence[Volunteer], reason: str, now: dt.datetime
    ) -> None:
        context = self._context(case, now)
        person = person_coordinates(RoutingCase.from_case(case), self.places)
        for coordinator in targets:
            base = base_coordinates(coordinator, self.places)
            km = great_circle_km(person, base) if person and base else None
            text = (
                f"ESCALADE ({reason})\n\n{render_offer(case, context, km)}\n\n"
                f"Dossier {case.id} : OUI {case.id} pour le prendre en charge."
            )
            await self._send_volunteer(
                coordinator, [Reply(text=text, options=(Option(id=f"accept:{case.id}", label="Prendre"),))]
            )

    def _reminder(self, case: Case) -> dt.timedelta:
        """How long the national level waits before being reminded: the level's answer time, at
        least an hour and at most a day (a detained person's 48 hours got one reminder a day)."""
        return min(
            NATIONAL_REMINDER, max(REMINDER_AT_LEAST, self.handoff_rules.offer_lifetime(case.urgency.level))
        )

    async def _escalation_due(self, case_id: str, now: dt.datetime) -> None:
        case = await self.store.get_case(case_id)
        if case is None:
            await self._forget(case_id)
            return
        if case.status != "escalated":
            await self.store.cancel_timer(TIMER_ESCALATION, case_id)
            return
        _, national = await self._coordinators(case.slots.prefecture)
        first_time = case.escalation_stage != "national"
        case = case.model_copy(
            update={
                "escalation_stage": "national",
                "escalated_to": sorted({*case.escalated_to, *(v.id for v in national)}),
                "updated_at": now,
            }
        )
        case = await self._save(case)
        await self._set_escalation(case, now + self._reminder(case))
        reason = (
            "personne ne l'a pris au niveau du département"
            if first_time
            else "rappel : toujours sans bénévole"
        )
        logger.info("case %s escalated to %d national coordinator(s)", case.id, len(national))
        await self._notify_coordinators(case, national, reason, now)

    # -- the volunteer side ----------------------------------------------------------------------

    async def volunteer_message(self, sender: Address, text: str | None, option: str | None) -> list[Reply]:
        """Handle what a volunteer (or someone registering) sent; returns the replies to them."""
        try:
            return await self._volunteer_message(sender, text, option)
        except CaseErased as erased:
            await self._forget(erased.case_id)
            return [
                Reply(text=f"Le dossier {erased.case_id} n'existe plus : la personne a effacé ses données.")
            ]

    async def _volunteer_message(self, sender: Address, text: str | None, option: str | None) -> list[Reply]:
        now = self.clock.now()
        command = parse_volunteer_option(option) if option else None
        if command is None:
            command = parse_volunteer_text(text or "")
        if command.verb == "register":
            return await self._register(sender, command.argument or "", now)
        volunteer = await self.volunteer_for(sender)
        if volunteer is None:
            return [
                Reply(
                    text="Cette adresse n'est liée à aucun ou aucune bénévole. "
                    "Pour vous inscrire, envoyez INSCRIPTION suivi du code reçu de votre coordination."
                )
            ]
        if command.verb == "text" and option is None:
            command = await self._numbered_choice(volunteer, command)
        replies = await self._answer_volunteer(volunteer, command, now, by_sms=sender.channel == SMS_CHANNEL)
        await self._remember_menu(volunteer, replies)
        return replies

    async def _answer_volunteer(
        self, volunteer: Volunteer, command: _Command, now: dt.datetime, *, by_sms: bool = False
    ) -> list[Reply]:
        if command.verb == "help":
            return [Reply(text=HELP_TEXT)]
        if command.verb == "list":
            return [Reply(text=await self._listing(volunteer))]
        if command.verb == "show":
            case_id = command.case_id or await self._only_open(volunteer)
            if case_id is None:
                return [Reply(text="Précisez le dossier : VOIR CODE (voir DOSSIERS).")]
            return [await self._summary_again(volunteer, case_id, now)]
        if command.verb == "pause":
            await self.store.add_to_set(SET_PAUSED, PAUSED_KEY, volunteer.id)
            logger.info("volunteer %s paused", volunteer.id)
            return [
                Reply(
                    text="Pause : vous ne recevrez plus de proposition jusqu'à ce que vous écriviez "
                    "REPRISE. Vos dossiers en cours et les propositions déjà reçues continuent."
                )
            ]
        if command.verb == "resume":
            await self.store.remove_from_set(SET_PAUSED, PAUSED_KEY, volunteer.id)
            logger.info("volunteer %s resumed", volunteer.id)
            return [Reply(text="C'est noté : vous pouvez de nouveau recevoir des propositions.")]
        if command.verb in ("accept", "decline"):
            case_id = command.case_id or await self._only_pending(volunteer)
            if case_id is None:
                return [Reply(text="Précisez le dossier : OUI CODE ou NON CODE (voir DOSSIERS).")]
            if command.verb == "accept":
                return await self._accept(volunteer, case_id, now, by_sms=by_sms)
            return await self._decline(volunteer, case_id, now)
        if command.verb == "close":
            case_id = command.case_id or await self._only_open(volunteer)
            if case_id is None:
                return [Reply(text="Précisez le dossier : FIN CODE RESULTAT (voir DOSSIERS).")]
            return await self._close(volunteer, case_id, command.argument, now)
        body = (command.argument or "").strip()
        first = _fold(body.split()[0]).strip(",.;:!") if body else ""
        answering = command.verb == "text" and first in _ANSWER_WORDS
        pending = await self._pending_for(volunteer) if answering else []
        if pending:
            # "Non désolée, je ne peux pas prendre celui-là" with an offer waiting: meant for the
            # desk, not for the person whose case they hold (it was relayed to them).
            codes = ", ".join(pending)
            return [
                Reply(
                    text=f"Est-ce votre réponse à la proposition {codes} ? Répondez OUI {pending[0]} ou "
                    f"NON {pending[0]}. Pour écrire à une personne : MSG CODE votre texte."
                )
            ]
        case_id = command.case_id or await self._only_open(volunteer)
        if case_id is None or not body:
            return [Reply(text="Pour écrire à une personne : MSG CODE votre texte.\n\n" + HELP_TEXT)]
        return await self._relay_to_person(volunteer, case_id, body)

    async def _numbered_choice(self, volunteer: Volunteer, command: _Command) -> _Command:
        """A bare number answers the numbered menu an SMS shows in place of buttons ("1 Accepter /
        2 Refuser", "1 Clore le dossier", the outcomes): the option of that rank in the last menu
        sent to this volunteer (it was relayed to the person as "Démo A (bénévole) : 1")."""
        number = (command.argument or "").strip()
        if not number.isdigit() or len(number) > 1:
            return command
        menu = await self.store.get_record(RECORD_MENU, volunteer.id) or {}
        options = [str(option) for option in menu.get("options", [])]
        chosen = (
            parse_volunteer_option(options[int(number) - 1]) if 1 <= int(number) <= len(options) else None
        )
        return chosen or _Command("help")

    async def _remember_menu(self, volunteer: Volunteer, replies: Sequence[Reply]) -> None:
        """The options of the last reply that has some: what a bare number answers."""
        menus = [reply.options for reply in replies if reply.options]
        if menus:
            await self.store.put_record(RECORD_MENU, volunteer.id, {"options": [o.id for o in menus[-1]]})

    async def _pending_for(self, volunteer: Volunteer) -> list[str]:
        offered = await self.store.set_members(SET_OFFERED, volunteer.id)
        escalated = await self.store.set_members(SET_ESCALATED, volunteer.id)
        return sorted(offered | escalated)

    async def _open_for(self, volunteer: Volunteer) -> list[str]:
        """The volunteer's open cases; those gone meanwhile (erased, purged) are dropped."""
        open_ids = []
        for case_id in sorted(await self.store.set_members(SET_HELD, volunteer.id)):
            case = await self.store.get_case(case_id)
            if case is not None and case.status == "accepted" and case.volunteer_id == volunteer.id:
                open_ids.append(case_id)
                continue
            if case is None or case.status != "accepted":
                await self._clear_assignment(case_id)
            # A stale entry (the case is someone else's now) leaves that volunteer's assignment.
            await self.store.remove_from_set(SET_HELD, volunteer.id, case_id)
        return open_ids

    async def prune_assignments(self) -> int:
        """Drop the assignments of cases that are gone (erased by the person, or purged), so that
        they no longer count in their volunteer's load; returns how many were dropped."""
        dropped = 0
        for record in await self.store.list_records(RECORD_ASSIGNMENT):
            case = await self.store.get_case(str(record["case_id"]))
            if case is None or case.status != "accepted":
                await self._clear_assignment(str(record["case_id"]))
                dropped += 1
        return dropped

    async def _only_pending(self, volunteer: Volunteer) -> str | None:
        pending = await self._pending_for(volunteer)
        return pending[0] if len(pending) == 1 else None

    async def _only_open(self, volunteer: Volunteer) -> str | None:
        cases = await self._open_for(volunteer)
        return cases[0] if len(cases) == 1 else None

    async def _summary_again(self, volunteer: Volunteer, case_id: str, now: dt.datetime) -> Reply:
        """The summary of a case the volunteer holds, again (lost, scrolled away, another phone);
        never of one they do not hold: offers show no identifying data."""
        case = await self.store.get_case(case_id)
        if case is None or case.status != "accepted" or case.volunteer_id != volunteer.id:
            return Reply(
                text=f"Aucun dossier {case_id} parmi les vôtres en cours : vérifiez le code "
                "(DOSSIERS les donne)."
            )
        return Reply(text=render_summary(case, self._context(case, now)))

    async def _listing(self, volunteer: Volunteer) -> str:
        pending = await self._pending_for(volunteer)
        cases = await self._open_for(volunteer)
        lines = ["Propositions en attente : " + (", ".join(pending) or "aucune")]
        lines.append("Dossiers en cours : " + (", ".join(cases) or "aucun"))
        if volunteer.id in await self.store.set_members(SET_PAUSED, PAUSED_KEY):
            lines.append("En pause : aucune nouvelle proposition (REPRISE pour en recevoir).")
        return "\n".join(lines)

    async def _accept(
        self, volunteer: Volunteer, case_id: str, now: dt.datetime, *, by_sms: bool = False
    ) -> list[Reply]:
        case = await self.store.get_case(case_id)
        if case is None:
            await self._forget(case_id)
            # A code mistyped looks the same as a case erased (nothing is kept of erased ones).
            return [
                Reply(
                    text=f"Aucun dossier {case_id} : vérifiez le code (DOSSIERS donne les vôtres). "
                    "La personne a aussi pu effacer ses données."
                )
            ]
        if case.status == "accepted" and case.volunteer_id == volunteer.id:
            return [Reply(text=f"Vous avez déjà le dossier {case_id}.")]
        too_late = Reply(
            text=f"La proposition {case_id} n'est plus valable (expirée ou déjà prise). Merci quand même !"
        )
        pending = await self._claim_pending(volunteer, case_id, now)
        if pending is None:
            return [too_late]
        kind = TIMER_ESCALATION if pending.get("escalation") else TIMER_OFFER
        case = await self.store.get_case(case_id)
        assert case is not None
        if case.status == "offered" and case.offers and case.offers[-1].result == "pending":
            case = self._answered(case, "accepted", now)
        else:
            # A coordinator takes an escalated case: keep it in the history too.
            taken = CaseOffer(
                volunteer_id=volunteer.id,
                offered_at=case.escalated_at or now,
                expires_at=now,
                answered_at=now,
                result="accepted",
            )
            case = case.model_copy(update={"offers": [*case.offers, taken]})
        waiting = case.waiting_messages
        case = case.model_copy(
            update={
                "status": "accepted",
                "volunteer_id": volunteer.id,
                "accepted_at": now,
                "updated_at": now,
                "waiting_messages": [],
            }
        )
        case = await self._save(case)
        await self._set_assignment(case_id, volunteer.id, now)
        await self._clear_pending(case_id)
        await self.store.cancel_timer(kind, case_id)
        logger.info("case %s accepted by volunteer %s", case_id, volunteer.id)
        for other_id in pending["volunteer_ids"]:
            other = await self.volunteer(str(other_id)) if other_id != volunteer.id else None
            if other is not None:
                await self._send_volunteer(
                    other, [Reply(text=f"Le dossier {case_id} a été pris par {volunteer.name}.")]
                )
        await self._tell_person_accepted(case, volunteer)
        # By SMS, where each 153 characters are paid for, the short summary (3 segments, not 9);
        # the whole one on request.
        render = render_summary_sms if by_sms else render_summary
        summary = render(case, self._context(case, now))
        instructions = (
            f"Pour écrire à la personne : MSG {case_id} votre texte (ou votre texte seul si c'est votre seul "
            f"dossier). Vos numéros ne sont pas échangés.\nPour clore : FIN {case_id} RESULTAT "
            "(RDV, REFERE, ORIENTATION, INJOIGNABLE, RESOLU, AUTRE)."
            + (f"\nFiche entière : VOIR {case_id}" if by_sms else "")
        )
        written = (
            [Reply(text="Écrit par la personne en attendant :\n" + "\n".join(f"- {m}" for m in waiting))]
            if waiting
            else []
        )
        return [
            Reply(text=summary),
            *written,
            Reply(text=instructions, options=(Option(id=f"close:{case_id}", label="Clore le dossier"),)),
        ]

    async def _claim_pending(
        self, volunteer: Volunteer, case_id: str, now: dt.datetime
    ) -> dict[str, Any] | None:
        """Claim the timer of the offer pending for ``volunteer``: its record, or None when there is
        none for them (answered, expired, taken). The desk may hold the timer a moment (a hurry
        moving the expiry, a tick): the claim is tried again on the record as it then is."""
        for attempt in range(CLAIM_ATTEMPTS):
            if attempt:
                await asyncio.sleep(CLAIM_RETRY_SECONDS)
            pending = await self.store.get_record(RECORD_PENDING, case_id)
            if pending is None or volunteer.id not in pending["volunteer_ids"]:
                return None
            kind = TIMER_ESCALATION if pending.get("escalation") else TIMER_OFFER
            if await self._claim(
                Timer(kind, case_id, dt.datetime.fromisoformat(str(pending["due_at"]))), now
            ):
                return pending
        return None

    async def _decline(self, volunteer: Volunteer, case_id: str, now: dt.datetime) -> list[Reply]:
        pending = await self.store.get_record(RECORD_PENDING, case_id)
        if pending is None or volunteer.id not in pending["volunteer_ids"]:
            return [Reply(text=f"Pas de proposition {case_id} en attente pour vous.")]
        if pending.get("escalation"):
            return [Reply(text="C'est noté, merci.")]  # other coordinators may still take it
        if await self._claim_pending(volunteer, case_id, now) is None:
            return [Reply(text=f"La proposition {case_id} n'est plus en attente.")]
        case = await self.store.get_case(case_id)  # read under the claim
        if case is None:
            await self._forget(case_id)
            return [Reply(text=f"Pas de proposition {case_id} en attente pour vous.")]
        if case.status == "offered" and case.offers and case.offers[-1].result == "pending":
            case = self._answered(case, "declined", now)
            logger.info("case %s declined by volunteer %s", case_id, volunteer.id)
        await self._clear_pending(case_id)
        await self._offer_next(case, now)
        moved = await self.store.get_case(case_id)
        if moved is not None and moved.status == "escalated":
            # The third refusal, or nobody left: it went to the coordination, not to someone else.
            return [Reply(text=f"C'est noté, merci. Le dossier {case_id} passe à la coordination.")]
        return [Reply(text=f"C'est noté, merci. Le dossier {case_id} est proposé à quelqu'un d'autre.")]

    async def _held(self, volunteer: Volunteer, case_id: str) -> Case | None:
        case = await self.store.get_case(case_id)
        if case is None or case.status != "accepted" or case.volunteer_id != volunteer.id:
            return None
        return case

    async def _close(
        self, volunteer: Volunteer, case_id: str, word: str | None, now: dt.datetime
    ) -> list[Reply]:
        case = await self._held(volunteer, case_id)
        if case is None:
            return [Reply(text=f"Vous n'avez pas de dossier {case_id} en cours.")]
        outcome = OUTCOME_WORDS.get(_fold(word)) if word else None
        if outcome is None:
            options = tuple(
                Option(id=f"close:{case_id}:{code}", label=label.split(" (")[0].capitalize())
                for code, label in OUTCOME_LABELS.items()
            )
            listing = "\n".join(f"- {label}" for label in OUTCOME_LABELS.values())
            return [
                Reply(
                    text=f"Quel résultat pour le dossier {case_id} ? FIN {case_id} suivi de :\n{listing}",
                    options=options,
                )
            ]
        case = case.model_copy(
            update={"status": "closed", "outcome": outcome, "closed_at": now, "updated_at": now}
        )
        case = await self._save(case)
        await self._clear_assignment(case_id)
        logger.info("case %s closed by volunteer %s: %s", case_id, volunteer.id, outcome)
        await self._tell_person(case, "handoff_closed")
        return [Reply(text=f"Dossier {case_id} clos : {OUTCOME_LABELS[outcome].split(' (')[0]}. Merci !")]

    async def _relay_to_person(self, volunteer: Volunteer, case_id: str, body: str) -> list[Reply]:
        case = await self._held(volunteer, case_id)
        if case is None:
            return [Reply(text=f"Vous n'avez pas de dossier {case_id} en cours.")]
        sent = await self._tell_person(case, "relay_from_volunteer", name=volunteer.name, text=body)
        if not sent:
            return [
                Reply(
                    text=f"Impossible de joindre la personne du dossier {case_id} pour le moment "
                    "(elle n'a pas d'adresse connue du robot)."
                )
            ]
        return [Reply(text=f"Transmis à {pseudonym_for(case_id)} (dossier {case_id}).")]

    # -- the person side -------------------------------------------------------------------------

    async def relay_from_person(self, case_id: str, text: str) -> str | None:
        """Pass a person's message to their volunteer. Returns the text key to answer the person
        with, or None when the case is not handed off (the message is not taken). While the case
        waits for a volunteer, the message is kept for the one who takes it."""
        case = await self.store.get_case(case_id)
        if case is not None and case.status in ("offered", "escalated"):
            # Nobody holds it yet: kept for whoever takes it (it reached nobody).
            def keep(fresh: Case) -> Case:
                waiting = [*fresh.waiting_messages, text[:WAITING_MESSAGE_CHARS]][-WAITING_MESSAGES_KEPT:]
                return fresh.model_copy(update={"waiting_messages": waiting})

            return "relay_waiting" if await self.store.update_case(case_id, keep) is not None else None
        if case is not None and case.status == "closed":
            return "handoff_closed"  # not "a volunteer will contact you": theirs closed it
        if case is None or case.status != "accepted" or case.volunteer_id is None:
            return None
        volunteer = await self.volunteer(case.volunteer_id)
        if volunteer is None:
            return "relay_failed"
        reply = Reply(
            text=f"{pseudonym_for(case_id)} (dossier {case_id}) :\n{text}\n\n"
            f"Répondre : MSG {case_id} votre texte"
        )
        return "relay_sent" if await self._send_volunteer(volunteer, [reply]) else "relay_failed"

    async def _person_address(self, case: Case) -> Address | None:
        state = await self.store.load_conversation(case.conversation_id)
        return state.sender if state is not None else None

    async def _tell_person(self, case: Case, key: str, **values: object) -> bool:
        address = await self._person_address(case)
        if address is None:
            logger.info("case %s: the person has no address to write to (%s not sent)", case.id, key)
            return False
        text = self.texts.get(key, case.slots.language, channel=address.channel, **values)
        return await self._send(address, [Reply(text=text, case_id=case.id)])

    async def _tell_person_accepted(self, case: Case, volunteer: Volunteer) -> None:
        address = await self._person_address(case)
        if address is None:
            logger.info("case %s: the person has no address to write to", case.id)
            return
        lang = case.slots.language
        get = self.texts.get
        text = get(
            "handoff_accepted",
            lang,
            channel=address.channel,
            name=volunteer.name,
            association=volunteer.association,
            delay=get(f"delay_{case.urgency.level}", lang),
        )
        advice = self.advice.for_case(case.urgency.rule, lang or "fr")
        if advice:
            text += "\n\n" + get("advice_title", lang) + "\n" + "\n".join(f"• {item}" for item in advice)
        await self._send(address, [Reply(text=text, case_id=case.id)])

    # -- sending -----------------------------------------------------------------------------------

    async def _send(self, address: Address, replies: Sequence[Reply]) -> bool:
        try:
            await self.outbox.send(address, replies)
        except Exception:
            # A channel down must not stop the desk: the state is saved, the timers go on.
            logger.exception("sending on %s failed", address.channel)
            return False
        return True

    async def _send_volunteer(self, volunteer: Volunteer, replies: Sequence[Reply]) -> bool:
        sent = False
        for address in await self.addresses(volunteer):
            sent = await self._send(address, replies) or sent
        await self._remember_menu(volunteer, replies)
        if not sent:
            logger.warning("volunteer %s could not be reached", volunteer.id)
        return sent

    def _context(self, case: Case, now: dt.datetime) -> SummaryContext:
        slots = case.slots
        department = self.places.department(slots.prefecture) if slots.prefecture else None
        commune = self.places.commune(slots.commune) if slots.commune else None
        language = slots.language
        return SummaryContext(
            documents=self.documents,
            now=now,
            pseudonym=pseudonym_for(case.id),
            department_name=department.name if department else None,
            prefecture_city=department.prefecture_name if department else None,
            commune_name=commune.name if commune else None,
            language_name=self._language_names.get(language) if language else None,
            interpreter_needed=case.interpreter_needed,
        )
