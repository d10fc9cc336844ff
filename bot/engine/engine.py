"""The dialog engine: one inbound message in, neutral replies out (spec §2).

The engine knows no channel and no provider. It reads the flow from `dialogs/`, asks the
understanding layer what a message says, runs the actions named by the flow, and keeps the
conversation's state in the store after every message, so a process killed between two messages
loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.case import SLOT_NAMES, Slots
from bot.core.clock import Clock
from bot.core.conversation import Candidate, ConversationState, Pending
from bot.core.messages import SMS_CHANNEL, Address, InboundMessage, Option, Reply
from bot.core.ports import Action, ActionContext, ConversationStore, Finding, Reading, Understanding
from bot.engine.conditions import holds
from bot.engine.schema import Flow, Step
from bot.engine.texts import Texts

logger = logging.getLogger(__name__)

# How many provider message ids a conversation remembers, to process a redelivery only once.
PROCESSED_IDS_KEPT = 32
# Longer messages are cut: nobody answers a triage question in more, and it bounds the work.
MAX_TEXT_CHARS = 2000
# An answer of at least this many words that only another language understands switches to it
# ("desde octubre" after an SMS welcome in French): the answer found is the evidence, not the length.
WRITTEN_IN_WORDS = 2
# The levels whose rule's reason is told to the person at the hand-off (P4 has nothing to explain).
LEVELS_EXPLAINED = frozenset({"P0", "P1", "P2", "P3"})
# Arabic script: a message in it can be answered in it.
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
# A language taken from one word is checked against the next message of at least this many words.
GUESS_CHECK_WORDS = 3
# Steps whose options are shown with the question; the others show them after two misses.
KINDS_WITH_BUTTONS = frozenset({"language", "bool", "choice", "confirm"})
# "Do you write for them?", and the same asked again once after an answer not understood.
FOR_WHOM = ("for_someone_else", "for_someone_else_again")
# The timer of a conversation waiting for an answer (bot/reminders.py).
TIMER_IDLE = "idle_reminder"
# What an idle reminder hands off at once: a case this urgent should not wait for the rest (P1
# with the place known; P0 even without it).
URGENT_WHEN_IDLE = ("P0", "P1")
COMMANDS = frozenset({"erase", "restart", "help", "human", "back", "skip", "change_language"})
# Shown in the recap before the hand-off, in the order of the case: what the person told.
RECAP_SLOTS = tuple(slot for slot in SLOT_NAMES if slot not in ("language", "consent", "commune", "confirm"))


# Log lines name conversations by a keyed hash: conversation ids hold phone numbers and chat
# ids, and an unkeyed hash of a French mobile number is reversed by trying them all in minutes.
# Random per process until `use_log_key` derives it from STORE_HASH_KEY, so that every process of
# one deployment names a conversation alike.
_log_key = secrets.token_bytes(32)


def use_log_key(secret: bytes) -> None:
    global _log_key  # one process-wide setting, made once at start-up
    _log_key = hmac.new(secret, b"triage log names", hashlib.sha256).digest()


def conversation_key(conversation_id: str) -> str:
    """A short keyed hash for logs: conversation ids can contain phone numbers."""
    return hmac.new(_log_key, conversation_id.encode(), hashlib.sha256).hexdigest()[:12]


def _says_no(finding: Finding) -> bool:
    return finding.candidates[0].values.get(finding.slot) in (False, "not_filed")


def clean_text(raw: str) -> tuple[str, bool]:
    """Drop control and unassigned characters, trim, cut; returns (text, was_cut)."""
    kept = "".join(
        ch for ch in raw if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}
    )
    kept = " ".join(kept.split())
    if len(kept) > MAX_TEXT_CHARS:
        return kept[:MAX_TEXT_CHARS], True
    return kept, False


# French words that say nothing of another language: "oui" to the language menu is French, "yes",
# "hola", "salam" are not (they get the menu again).
_FRENCH_ONLY_WORDS = frozenset(
    {
        "oui",
        "ouais",
        "ouai",
        "wi",
        "non",
        "nn",
        "bonjour",
        "bonsoir",
        "salut",
        "merci",
        "carte",
        "titre",
        "je",
        "j'ai",
        "suis",
        "habite",
    }
)


def _plainly_french(text: str) -> bool:
    return bool(set(_words_of(text).split()) & _FRENCH_ONLY_WORDS)


def _words_of(text: str) -> str:
    return " ".join(re.sub(r"[^\w']+", " ", text.casefold()).split())


def _only_gained(before: Slots, after: Slots) -> bool:
    """Whether answers were added or changed, none taken away (a "back" clears one)."""
    old, new = before.model_dump(), after.model_dump()
    if any(old[name] is not None and new[name] is None for name in old):
        return False
    return any(new[name] is not None and new[name] != old[name] for name in new)


def _choosing(turn: Turn) -> bool:
    """Whether the person is choosing among values the bot proposed ("Lequel ?")."""
    pending = turn.state.pending
    return pending is not None and len(pending.candidates) > 1


@dataclass
class Turn:
    """What one message does: the state being changed and the replies being built."""

    state: ConversationState
    channel: str
    replies: list[Reply] = field(default_factory=list)
    # An after-hand-off action took the message (it went to the volunteer).
    relayed: bool = False
    # The cleaned text of the message, for the actions that read it (contact details, relay).
    text: str = ""
    # The conversation was erased during the turn: its state must not be saved again.
    erased: bool = False
    # The answers before this message: a case handed off early is brought up to date at each
    # answer that changes them, so its volunteer reads them as they come.
    slots_before: Slots | None = None
    # The message says what is true rather than what is more ("non, seulement j'ai des enfants"):
    # the situations it names replace those noted.
    restating: bool = False

    @property
    def lang(self) -> str:
        return self.state.slots.language or "fr"


class Engine:
    def __init__(
        self,
        *,
        flow: Flow,
        texts: Texts,
        understanding: Understanding,
        actions: Mapping[str, Action],
        store: ConversationStore,
        clock: Clock,
        remind_after: dt.timedelta | None = None,
    ) -> None:
        missing = [
            name
            for name in (*flow.on_update, *flow.on_handoff, *flow.after_handoff, *flow.on_erase)
            if name not in actions
        ]
        if missing:
            raise ValueError(f"the flow names unknown actions: {missing}")
        self.flow = flow
        self.texts = texts
        self.understanding = understanding
        self.actions = actions
        self.store = store
        self.clock = clock
        # With a delay, a conversation waiting for an answer gets one reminder (bot/reminders.py,
        # which processes the timers; without it, none is set: nobody would take them).
        self.remind_after = remind_after
        self._locks: dict[str, asyncio.Lock] = {}
        self._news_replaces = {step.slot: step.news_replaces for step in flow.steps if step.news_replaces}
        # The date steps in the flow's order (a date taken back goes to the one answered last).
        self._date_steps = [step.slot for step in flow.steps if step.kind == "date"]
        self._step_rank = {step.slot: rank for rank, step in enumerate(flow.steps)}

    # -- entry point -------------------------------------------------------------------------

    async def handle(self, message: InboundMessage) -> list[Reply]:
        """Process one message; messages of one conversation are handled one at a time."""
        async with self._one_at_a_time(message.conversation_id):
            try:
                return await self._handle(message)
            except Exception:
                # The one catch-all: the state saved before this message is kept as it was.
                logger.exception("turn failed for conversation %s", conversation_key(message.conversation_id))
                state = await self._load_quietly(message.conversation_id)
                lang = state.slots.language if state else None
                return [Reply(text=self.texts.get("internal_error", lang, channel=message.channel))]

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, conversation_id: str) -> AsyncIterator[None]:
        """The conversation's lock in this process: its messages and its reminder, one at a time."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            try:
                yield
            finally:
                if not lock.locked() or len(self._locks) > 10_000:
                    self._locks.pop(conversation_id, None)

    async def _load_quietly(self, conversation_id: str) -> ConversationState | None:
        try:
            return await self.store.load_conversation(conversation_id)
        except Exception:
            return None

    async def _handle(self, message: InboundMessage) -> list[Reply]:
        now = self.clock.now()
        state = await self.store.load_conversation(message.conversation_id)
        if state is None or state.status == "ended":
            state = ConversationState(
                id=message.conversation_id, channel=message.channel, created_at=now, updated_at=now
            )
        if message.message_id is not None:
            if message.message_id in state.processed_ids:
                logger.info("message already processed in conversation %s", conversation_key(state.id))
                return []
            state.processed_ids = [*state.processed_ids[-(PROCESSED_IDS_KEPT - 1) :], message.message_id]
        if message.sender is not None:
            state.sender = message.sender
        turn = Turn(state=state, channel=message.channel, slots_before=state.slots)
        if message.unsubscribed:
            await self._erase(turn)
            logger.info(
                "conversation %s erased: the provider unsubscribed the person", conversation_key(state.id)
            )
            return []  # nothing can be sent to them any more

        text, was_cut = clean_text(message.text or "")
        turn.text = text
        if message.text is not None and not text and message.option is None and message.location is None:
            turn.replies.append(self._say(turn, "not_text"))
        if was_cut:
            turn.replies.append(self._say(turn, "too_long"))

        if state.slots.language is None and text:
            detected = self.understanding.detect_language(text)
            if detected in self.texts.languages:
                state.slots = state.slots.model_copy(update={"language": detected})
                state.language_guessed = len(text.split()) == 1
        elif state.language_guessed and len(text.split()) >= GUESS_CHECK_WORDS:
            detected = self.understanding.detect_language(text)
            if detected in self.texts.languages and detected != state.slots.language:
                state.slots = state.slots.model_copy(update={"language": detected})
                turn.replies.append(self._say(turn, "language_switched"))
            if detected is not None:
                state.language_guessed = False
        if not state.greeted:
            state.greeted = True
            turn.replies.append(self._say(turn, "welcome"))

        erased = await self._interpret(turn, message, text, now)
        if erased:
            return turn.replies

        await self._advance(turn, now)
        if turn.erased:
            return turn.replies  # consent refused: nothing of this conversation is written back
        turn.state.updated_at = now  # `turn.state` may be a fresh one after a restart
        await self._watch_for_silence(turn.state, now)
        await self.store.save_conversation(turn.state)
        return turn.replies

    async def _watch_for_silence(self, state: ConversationState, now: dt.datetime) -> None:
        """Set the conversation's reminder timer once, at the first question after the consent."""
        if (
            self.remind_after is not None
            and not state.reminder_set
            and state.status == "active"
            and state.slots.consent
            and state.asking is not None
            and state.channel not in self.flow.no_reminder_on
        ):
            await self.store.schedule_timer(TIMER_IDLE, state.id, now + self.remind_after)
            state.reminder_set = True

    async def remind(self, conversation_id: str) -> tuple[Address | None, list[Reply]]:
        """The reminder of a conversation whose timer fell due: where to send it and what (nothing
        when the person wrote since, the timer then moved; or when it is handed off, ended, erased
        or reminded already). An urgent case is handed off at once: P1 with its place known, P0
        even without it."""
        if self.remind_after is None:
            return None, []
        async with self._one_at_a_time(conversation_id):
            now = self.clock.now()
            state = await self.store.load_conversation(conversation_id)
            confirming = state is not None and state.pending is not None and state.asking is None
            if state is not None and state.status == "active" and confirming:
                # In the middle of confirming an erasure or a restart: watched again from the
                # next message, not used up.
                state.reminder_set = False
                await self.store.save_conversation(state)
                return None, []
            if (
                state is None
                or state.status != "active"
                or state.reminded
                or not state.slots.consent
                or state.asking is None
            ):
                return None, []
            due = state.updated_at + self.remind_after
            if due > now:
                await self.store.schedule_timer(TIMER_IDLE, conversation_id, due)
                return None, []
            state.reminded = True
            turn = Turn(state=state, channel=state.channel, slots_before=state.slots)
            level = state.urgency.level if state.urgency else None
            # P0 even without the place: someone held in a CRA who stopped answering at
            # "where do you live?" (or at "which Saint-Denis?") reaches a detention team
            # anywhere rather than nobody; the place is asked again after the hand-off.
            if level == "P0" or (level in URGENT_WHEN_IDLE and state.slots.prefecture is not None):
                state.hand_off_now = True
                state.hand_off_without_place = level == "P0"
                if state.pending is not None and state.pending.kind == "value":
                    state.pending = None  # asked again after the hand-off
            await self._advance(turn, now)
            if turn.state.status == "handed_off":
                said = self._to_writer(state, "idle_handed_off")
            else:
                said = "idle_reminder"
                state.hand_off_now = state.hand_off_without_place = False
            turn.replies.insert(0, self._say(turn, said))
            # Not `updated_at`: a reminder is no sign of life of the person (retention).
            await self.store.save_conversation(turn.state)
            return state.sender, turn.replies

    # -- reading the message -----------------------------------------------------------------

    def _news(self, turn: Turn, reading: Reading) -> bool:
        """A more urgent fact than the one recorded (`news_replaces`: "j'ai oublié de dire, j'ai reçu
        une OQTF le 20 novembre" once the case is handed off): applied and the case brought up to
        date, not answered "already transmitted" and dropped."""
        return any(
            finding.certain
            and len(finding.candidates) == 1
            and self._is_news(finding.slot, value := finding.candidates[0].values.get(finding.slot))
            and getattr(turn.state.slots, finding.slot, None) != value
            for finding in reading.findings
        )

    def _is_news(self, slot: str, value: object) -> bool:
        """A value its step lists in `news_replaces` (a detention, an order): it replaces an
        earlier answer without a word of correction."""
        return value in self._news_replaces.get(slot, ())

    def _date_taken_back(self, turn: Turn, text: str, reading: Reading, now: dt.datetime) -> Reading:
        """A correction of the date answered last, said at a later question without naming it
        ("non pardon c'est le 15 décembre pas le 5" asked whether the application was filed): the
        date corrects that answer, and its "non" answers nothing (it said "not filed")."""
        asked = turn.state.asking
        if (
            not reading.correcting
            or asked not in self._step_rank
            or asked in self._date_steps
            or any(finding.slot in self._date_steps for finding in reading.findings)
        ):
            return reading
        filled = [slot for slot in self._date_steps if getattr(turn.state.slots, slot, None) is not None]
        # The last one asked before this question; else one said in the opening message ("non
        # pardon c'est le 15 pas le 5" at the consent: its "non" refused the consent and erased all).
        before = [slot for slot in filled if self._step_rank[slot] < self._step_rank[asked]]
        answered = before or filled
        if not answered:
            return reading
        correction = self.understanding.read(text, lang=turn.lang, asked=answered[-1], now=now).finding(
            answered[-1]
        )
        if correction is None:
            return reading
        others = tuple(finding for finding in reading.findings if finding.slot != asked)
        return Reading(
            intent=None,
            findings=(correction, *others),
            named_language=reading.named_language,
            correcting=True,
            restricting=reading.restricting,
        )

    def _in_the_language_written(self, turn: Turn, text: str, reading: Reading, now: dt.datetime) -> Reading:
        """A message plainly in another of our languages that answers the question only when read
        in it ("student residence card" to the French question after a first message in French,
        "desde octubre" after the French SMS welcome):
        the person writes that language, so it is read in it and the conversation goes on in it.
        Only when the question found no answer in the conversation's language: the French words
        every language's lexicons know ("récépissé", "Lyon") never switch anything."""
        asked = turn.state.asking
        if (
            asked is None
            or asked == "language"
            or reading.finding(asked) is not None
            or reading.intent in COMMANDS
            or len(text.split()) < WRITTEN_IN_WORDS
        ):
            return reading
        written = self.understanding.detect_language(text)
        if written is None or written == turn.lang or written not in self.texts.languages:
            return reading
        other = self.understanding.read(text, lang=written, asked=asked, now=now)
        if other.finding(asked) is None:
            return reading
        if written == "ar" and not _ARABIC_LETTER.search(text):
            # Darija in Latin letters ("3andi 2 drari w mrati mrida") from someone reading the
            # French questions: understood, but the questions stay in the letters they read.
            return other
        turn.state.slots = turn.state.slots.model_copy(update={"language": written})
        turn.state.language_guessed = False
        turn.replies.append(self._say(turn, "language_switched"))
        return other

    async def _interpret(self, turn: Turn, message: InboundMessage, text: str, now: dt.datetime) -> bool:
        """Apply what the message says to the state. Returns True when the conversation was erased."""
        state = turn.state
        asked = state.asking
        chosen = self._chosen_option(turn, message.option, text)

        if state.pending is not None:
            return await self._answer_pending(turn, chosen, text, now)

        if chosen is not None:
            self._apply_option(turn, chosen)
            return False
        if not text and message.location is None:
            if message.option is not None and asked is not None:
                # A button of an older message (or a forged one): say how to answer, then the
                # question comes again with its own buttons.
                turn.replies.append(self._say(turn, self.flow.step(asked).help))
            return False

        reading = self.understanding.read(
            text, lang=turn.lang, asked=asked, now=now, location=message.location
        )
        reading = self._in_the_language_written(turn, text, reading, now)
        reading = self._date_taken_back(turn, text, reading, now)
        # The understanding keeps a command beside an answer only when it is one ("supprimez mes
        # données" beside "je les ai supprimés"; a guess of the model is no answer).
        if reading.intent in COMMANDS:
            return await self._command(turn, reading, now)
        if (
            state.status == "handed_off"
            and asked is None
            and not reading.correcting
            and not self._news(turn, reading)
        ):
            await self._after_handoff(turn, text, now)
            return False

        reading, ask_for_whom = self._for_someone_else(turn, reading)
        applied_asked = False
        # "Non c'est Lille pas le Cantal", "no, it's Lyon not Grenoble" at the consent or the OQTF
        # question: the "no" is about an answer already given, which the message changes; not the
        # question on screen, which is asked again. Taken as the answer it would have erased
        # everything, or recorded "no OQTF" unasked.
        polar_no = any(f.slot == asked and f.polar and _says_no(f) for f in reading.findings)
        # Any value the finding carries counts: "Montreuil" after "Bobigny" keeps the 93 and
        # changes the commune.
        changes_another = any(
            f.slot != asked
            and f.certain
            and getattr(state.slots, f.slot, None) is not None
            and any(
                value is not None and getattr(state.slots, key, None) != value
                for key, value in f.candidates[0].values.items()
            )
            for f in reading.findings
        )
        corrects_another = (reading.correcting or polar_no) and changes_another
        turn.restating = asked == "confirm" and reading.restricting
        may_correct = reading.correcting or asked == "confirm" or corrects_another
        for finding in reading.findings:
            if finding.slot == asked and finding.polar and corrects_another:
                continue
            if finding.slot == asked:
                applied_asked = self._apply_finding(turn, finding, asked=True)
            else:
                self._apply_finding(turn, finding, asked=False, may_correct=may_correct)
        # The language asked for can be filled by the detection of this very message: no miss.
        answered_anyway = asked is not None and getattr(state.slots, asked, None) is not None
        if (
            asked is not None
            and not applied_asked
            and state.pending is None
            and not answered_anyway
            and ask_for_whom is None  # "for whom?" comes first; the question after it
        ):
            step = self.flow.step(asked)
            # "non merci", or just "merci", to "anything to add?" declines it
            # A yes again after the help to "anything to add?" ("oui", "c'est bon", "no problem")
            # says there is nothing more to say: asked once, not again and again.
            declined = (
                (reading.intent in ("deny", "thanks") and step.kind == "text")
                or (reading.intent == "deny" and step.no_skips)
                or (reading.intent == "affirm" and step.kind == "text" and state.misses >= 1)
            )
            if declined or (
                reading.intent == "dont_know" and asked not in ("consent", "confirm", "language")
            ):
                self._skip(turn, asked)
            elif (
                step.kind == "language"
                and text
                and (
                    _plainly_french(text)
                    or (reading.findings and self.understanding.detect_language(text) in (None, "fr"))
                )
                and (state.misses >= 1 or reading.findings or reading.intent in ("affirm", "deny"))
            ):
                # Answering in the language of the question ("oui", "Lyon", "carte etudiant")
                # rather than choosing one: that language it is (the person can change it at any
                # time). Asked again and again, the menu became a loop.
                self._set(turn, {"language": turn.lang}, label=self.texts.get(f"lang_{turn.lang}", turn.lang))
                turn.replies.append(self._say(turn, "language_switched"))
            elif not any(f.certain for f in reading.findings):
                state.misses += 1
                if state.misses == 1:
                    turn.replies.append(self._say(turn, step.help))
        if ask_for_whom is not None and state.pending is None:
            state.pending = ask_for_whom
        return False

    def _for_someone_else(self, turn: Turn, reading: Reading) -> tuple[Reading, Pending | None]:
        """What a message says of someone close who is detained or has an order ("mon mari est au
        CRA de Vincennes"): the understanding sets it aside as not the person's. The first time,
        the person is asked whether they write for that person (a relative often writes for one
        held in a CRA, whose case is the most urgent of all); if they do, it is the case's, then
        and in later messages ("il est au CRA depuis lundi")."""
        state = turn.state
        if not reading.about_someone_else or state.for_someone_else is False:
            return reading, None
        if state.for_someone_else:
            theirs = tuple(f for f in reading.about_someone_else if reading.finding(f.slot) is None)
            return dataclasses.replace(reading, findings=(*reading.findings, *theirs)), None
        urgent = any(
            f.candidates[0].values.get(f.slot) not in (None, False, "free")
            for f in reading.about_someone_else
        )
        if state.status != "active" or not urgent:
            return reading, None
        values: dict[str, Any] = {}
        for finding in reading.about_someone_else:
            values.update(finding.candidates[0].values)
        first = reading.about_someone_else[0]
        candidate = Candidate(values=values, label=first.candidates[0].label)
        # `slot`: the question on screen, read again after it (the fact's slot before any question).
        return reading, Pending(
            kind="for_someone_else", slot=state.asking or first.slot, candidates=(candidate,)
        )

    def _chosen_option(self, turn: Turn, option_id: str | None, text: str) -> str | None:
        """The option the person picked: by id (buttons), by number or by label (SMS, typing)."""
        offered = self._offered_options(turn)
        ids = [option_id_ for option_id_, _ in offered]
        if option_id is not None:
            return option_id if option_id in ids else None
        stripped = text.strip().rstrip(".)").strip()
        if stripped.isdigit() and offered:
            index = int(stripped) - 1
            if 0 <= index < len(offered):
                return offered[index][0]
            if len(stripped) < 4:
                return None
        # The label as typed, punctuation aside: "non corriger" is the button "Non, corriger".
        folded = _words_of(stripped)
        for option_id_, label in offered:
            if folded and folded == _words_of(label):
                return option_id_
        # The part of one label only that tells it from the others: "2027" to "25/11/2026 |
        # 25/11/2027" (read afresh, a year alone was mid-year: 01/07/2027).
        if any(ch.isdigit() for ch in folded) and _choosing(turn):
            within = [option_id_ for option_id_, label in offered if f" {folded} " in f" {_words_of(label)} "]
            if len(within) == 1:
                return within[0]
        return None

    def _offered_options(self, turn: Turn) -> list[tuple[str, str]]:
        """The options the last question showed (or would show), as (id, label)."""
        state = turn.state
        if state.pending is not None:
            return [(option.id, option.label) for option in self._pending_options(turn, state.pending)]
        if state.asking is None:
            return []
        step = self.flow.step(state.asking)
        if step.kind not in KINDS_WITH_BUTTONS and state.misses < 2:
            return []
        return [(option.id, option.label) for option in self._step_options(turn, step)]

    def _label(self, turn: Turn, slot: str, candidate: Candidate) -> str:
        """How to show a proposed value: the engine's own words where it has them."""
        value = candidate.values.get(slot)
        if slot in ("prefecture", "document", "language", "note") or value is None:
            return candidate.label
        return self._describe(turn, slot, value)

    def _apply_option(self, turn: Turn, option_id: str) -> None:
        state = turn.state
        assert state.asking is not None
        step = self.flow.step(state.asking)
        spec = next(option for option in step.options if option.id == option_id)
        if spec.value is None:
            self._skip(turn, step.slot)
            return
        value = frozenset(spec.value) if step.kind == "set" else spec.value
        self._set(turn, {step.slot: value}, label=self.texts.get(spec.label, turn.lang, channel=turn.channel))

    def _apply_finding(self, turn: Turn, finding: Finding, *, asked: bool, may_correct: bool = False) -> bool:
        """Set a slot from a finding, or ask to confirm it. Returns True when the slot was set."""
        state = turn.state
        if finding.certain and len(finding.candidates) == 1:
            candidate = finding.candidates[0]
            current = getattr(state.slots, finding.slot, None)
            is_correction = (
                not asked
                and current is not None
                # Only what the finding states: "le 93" after Bobigny says nothing of the commune.
                and any(
                    value is not None and getattr(state.slots, key, None) != value
                    for key, value in candidate.values.items()
                )
            )
            adds_a_situation = finding.slot == "vulnerabilities" and not (
                frozenset(candidate.values.get("vulnerabilities") or ()) <= frozenset(current or ())
            )
            news = self._is_news(finding.slot, candidate.values.get(finding.slot))
            if (
                not asked
                and current is not None
                and not (is_correction and (may_correct or news))
                and not adds_a_situation
            ):
                # (A situation said later, in the note or at the summary, is added: _set.)
                return False
            label = self._label(turn, finding.slot, candidate)
            self._set(turn, candidate.values, label=label)
            if is_correction:
                turn.replies.append(self._say(turn, "corrected", value=label))
            elif finding.echo:
                turn.replies.append(self._say(turn, "implicit_confirm", value=label))
            return True
        if asked and finding.candidates:
            state.pending = Pending(kind="value", slot=finding.slot, candidates=finding.candidates)
        return False

    def _set(self, turn: Turn, values: Mapping[str, Any], *, label: str) -> None:
        state = turn.state
        if (
            "consent" in values
            and state.slots.language is None
            and turn.channel in self.flow.language_with_consent
        ):
            # Asked before the language, in the language shown: answering it keeps that language.
            language = turn.lang
            self._set(turn, {"language": language}, label=self.texts.get(f"lang_{language}", language))
        known = state.slots.vulnerabilities
        added = values.get("vulnerabilities")
        if added and known and state.asking != "vulnerabilities" and not turn.restating:
            # Said in passing or at the summary ("j'ai des enfants"): one more situation, not
            # instead of those already noted (the work at risk was lost).
            values = {**values, "vulnerabilities": frozenset(known) | frozenset(added)}
        # Validated, not model_copy'd: candidate values saved in a pending question come back from
        # the store as JSON (a list for a set, a string for a date) and must become typed again.
        state.slots = Slots.model_validate({**state.slots.model_dump(), **values})
        if "language" in values:
            # Chosen or named ("العربية" typed at the menu), not guessed from a word: a card
            # named in French later does not switch it.
            state.language_guessed = False
        for slot in values:
            if slot in state.skipped:
                state.skipped.remove(slot)
            if slot in state.history:
                state.history.remove(slot)
            state.history.append(slot)
            state.labels[slot] = label
        if state.asking in values:
            state.misses = 0

    def _skip(self, turn: Turn, slot: str) -> None:
        state = turn.state
        if slot not in state.skipped:
            state.skipped.append(slot)
        if slot in state.history:
            state.history.remove(slot)
        state.history.append(slot)
        state.misses = 0

    async def _answer_pending(self, turn: Turn, chosen: str | None, text: str, now: dt.datetime) -> bool:
        state = turn.state
        pending = state.pending
        assert pending is not None
        reading = self.understanding.read(text, lang=turn.lang, asked=None, now=now) if text else Reading()
        typed_pick = False
        if chosen is None and text and len(pending.candidates) > 1:
            # "le deuxième", "pas celui de la Réunion": the option meant, without its name. With a
            # command or a "don't know" read ("من الأول": start again; "pas sûr"), a rank alone.
            labels = [self._label(turn, pending.slot or "", candidate) for candidate in pending.candidates]
            ranks_only = reading.intent in (*COMMANDS, "dont_know")
            picked = self.understanding.pick(text, lang=turn.lang, options=labels, ranks_only=ranks_only)
            if picked is not None:
                chosen, reading, typed_pick = f"c{picked}", Reading(), True
        yes = chosen == "yes" or (chosen is None and reading.intent == "affirm")
        no = chosen == "no" or (chosen is None and reading.intent == "deny")
        unsure = chosen is None and self._first_dont_know_at_choice(state, pending, reading)
        state.pending = None

        if pending.kind == "erase":
            if yes:
                await self._erase(turn)
                logger.info("conversation %s erased at the person's request", conversation_key(state.id))
                turn.replies.append(self._say(turn, "erased").model_copy(update={"erased": True}))
                return True
            turn.replies.append(self._say(turn, "erase_cancelled"))
            return False
        if pending.kind in FOR_WHOM:
            if chosen is None and reading.for_whom is not None:
                # "pour lui", "je suis sa femme", "c pour moi": who, whatever yes or no came with it.
                yes, no = reading.for_whom == "them", reading.for_whom == "me"
            # "pour mon mari" says who as well as a yes; so does more about them ("il est au CRA
            # depuis hier soir, aidez-nous").
            yes = yes or (
                chosen is None and not no and (reading.only_someone_else or bool(reading.about_someone_else))
            )
            if yes or no:
                state.for_someone_else = yes
                if yes:
                    self._set(turn, pending.candidates[0].values, label=pending.candidates[0].label)
                turn.replies.append(self._say(turn, "for_someone_else_noted" if yes else "for_myself_noted"))
                return False
            if pending.kind == "for_someone_else":
                # Not understood: asked once more (the relative's detention is lost with a wrong
                # guess), with its buttons or numbered menu.
                state.pending = pending.model_copy(update={"kind": "for_someone_else_again"})
                return False
            # Still not: the questions stay about the person, as before the question, and the
            # message is read as an answer.
            state.for_someone_else = False
            return await self._interpret(turn, InboundMessage(conversation_id=state.id, text=text), text, now)
        if pending.kind == "restart":
            if yes:
                language = state.slots.language
                fresh = ConversationState(
                    id=state.id,
                    channel=state.channel,
                    created_at=now,
                    updated_at=now,
                    greeted=True,
                    sender=state.sender,
                    processed_ids=state.processed_ids,
                )
                # The answers start over, not the consent: it was given for this conversation, and
                # a restart without it would let the never-consented retention erase its cases.
                fresh.slots = fresh.slots.model_copy(
                    update={"language": language, "consent": True if state.slots.consent else None}
                )
                turn.state = fresh
                turn.replies.append(self._say(turn, "restarted"))
            return False

        # A value to confirm: one candidate (yes/no) or several (pick one).
        if chosen is not None and chosen.startswith("c") and chosen[1:].isdigit():
            candidate = pending.candidates[int(chosen[1:])]
            self._set(turn, candidate.values, label=candidate.label)
            if typed_pick:  # read, not tapped: shown ("retour" goes back if it is wrong)
                # After `_set`: a date stored in the pending question comes back as text, and its
                # label is then the one recorded ("25/11/2027", not "2027-11-25").
                label = self._label(turn, pending.slot or "", candidate)
                turn.replies.append(self._say(turn, "noted", value=label))
        elif yes and len(pending.candidates) == 1:
            self._set(turn, pending.candidates[0].values, label=pending.candidates[0].label)
        elif no or chosen == "none" or not text or unsure:
            if unsure:
                state.misses += 1  # once only: a second "je sais pas" skips
            turn.replies.append(self._say(turn, self.flow.step(pending.slot or "prefecture").help))
        else:
            # Neither yes nor no: read it as a fresh answer to the same question.
            before = state.slots
            erased = await self._interpret(
                turn, InboundMessage(conversation_id=state.id, text=text), text, now
            )
            if (
                not erased
                and state.pending is None
                and len(pending.candidates) > 1
                and pending.slot is not None
                and getattr(state.slots, pending.slot, None) is None
                and _only_gained(before, state.slots)
            ):
                # "elle expire le 15 février" among the kinds of card: the date is kept, and the
                # same choice comes again instead of the bare question (its buttons were lost).
                state.pending = pending
            return erased
        return False

    @staticmethod
    def _first_dont_know_at_choice(state: ConversationState, pending: Pending, reading: Reading) -> bool:
        """ "je sais pas" among the kinds of card offered, the first time: help to find it on the
        card, then the question again. Skipped at once, the card was lost, and with it what its
        kind decides (the ANEF deadline: P3 for P2). A second "je sais pas" skips, and "je sais
        pas, je crois que c'est étudiant" is read as the answer it gives."""
        return (
            len(pending.candidates) > 1
            and reading.intent == "dont_know"
            and not any(f.slot == pending.slot for f in reading.findings)
            and state.misses == 0
        )

    async def _command(self, turn: Turn, reading: Reading, now: dt.datetime) -> bool:
        state = turn.state
        intent = reading.intent
        logger.debug("command %s in conversation %s", intent, conversation_key(state.id))
        if intent == "erase":
            state.pending = Pending(kind="erase")
        elif intent == "restart":
            # Chat apps send "/start" when a chat opens: with nothing answered there is nothing to lose.
            if state.history or state.status != "active":
                state.pending = Pending(kind="restart")
        elif intent == "help":
            turn.replies.append(self._say(turn, "help_general"))
            if state.asking:
                turn.replies.append(self._say(turn, self.flow.step(state.asking).help))
        elif intent == "human":
            if state.human_requested and state.status == "active":
                # Asked again: more questions first would be a loop to someone who wants a person.
                state.hand_off_now = True
                turn.replies.append(self._say(turn, "human_now"))
            else:
                state.human_requested = True
                turn.replies.append(self._say(turn, "human_requested"))
        elif intent == "skip" and state.asking and state.asking not in ("consent", "confirm", "language"):
            self._skip(turn, state.asking)
            turn.replies.append(self._say(turn, "skipped"))
        elif intent == "back":
            self._go_back(turn)
        elif intent == "change_language":
            self._change_language(turn, reading.named_language)
        return False

    def _go_back(self, turn: Turn) -> None:
        state = turn.state
        # The answers before the question on screen: not one said in passing that the flow asks
        # later ("mon frère a reçu une OQTF" before the paper question; "retour" there cleared it).
        order = {step.slot: rank for rank, step in enumerate(self._steps_in_order(state))}
        rank = order.get(state.asking, len(order)) if state.asking else len(order)
        previous = [
            slot
            for slot in state.history
            if slot not in ("language", "consent", "commune") and order.get(slot, 0) < rank
        ]
        turn.replies.append(self._say(turn, "back"))
        if not previous:
            return
        slot = previous[-1]
        state.history.remove(slot)
        if slot in state.skipped:
            state.skipped.remove(slot)
        cleared: dict[str, Any] = {slot: None}
        if slot == "prefecture":
            cleared["commune"] = None
        state.slots = state.slots.model_copy(update=cleared)
        state.misses = 0

    def _change_language(self, turn: Turn, named: str | None) -> None:
        state = turn.state
        if named and named in self.texts.languages:
            state.slots = state.slots.model_copy(update={"language": named})
            turn.replies.append(self._say(turn, "language_switched"))
        else:
            state.slots = state.slots.model_copy(update={"language": None})
            state.asking = None

    # -- choosing what comes next ------------------------------------------------------------

    async def _advance(self, turn: Turn, now: dt.datetime) -> None:
        state = turn.state
        self._drop_irrelevant(state)
        if state.slots.confirm is False and state.status == "active":
            # "Non, corriger" at the summary: nothing goes before the person has said what is
            # wrong; the summary comes again once they have (or they send it as it is).
            state.slots = state.slots.model_copy(update={"confirm": None})
            turn.replies.append(self._say(turn, self.flow.step("confirm").help))
        if state.slots.consent is False:
            await self._refuse_consent(turn)
            return
        await self._run_update_actions(turn, now)

        if state.pending is not None:
            state.asking = state.pending.slot
            turn.replies.append(self._pending_reply(turn, state.pending))
            return

        step = self._next_step(state, turn.channel)
        if step is None and state.status == "active":
            await self._hand_off(turn, now)
            step = self._next_step(state, turn.channel)
        elif state.status == "handed_off" and (step is None or state.slots != turn.slots_before):
            # Keep the case up to date: at each new answer after an early hand-off (the
            # volunteer reads them as they come), and once the questions are over.
            await self._run_actions(turn, self.flow.on_handoff, now)
            level = state.urgency.level if state.urgency else None
            if level is not None and state.told_level is not None and level < state.told_level:
                # "P1" < "P4": the answers after an early hand-off made it more urgent.
                state.told_level = level
                turn.replies.append(self._say_level(turn, "handoff_more_urgent", level))
            elif step is None and not turn.relayed:
                turn.replies.append(self._say(turn, "already_handed_off"))
        if step is None:
            state.asking = None
            return
        if step.slot != state.asking:
            state.misses = 0
        state.asking = step.slot
        turn.replies.append(self._question(turn, step))

    def _drop_irrelevant(self, state: ConversationState) -> None:
        """A corrected answer can make other answers irrelevant (a document changed to NONE)."""
        values = state.slots.model_dump()
        updates = {
            step.slot: None
            for step in self.flow.steps
            if values.get(step.slot) is not None
            and step.when
            and not holds(step.when, values)
            and not step.kept_in_passing
            and step.slot not in self.flow.derived
        }
        if updates:
            state.slots = state.slots.model_copy(update=updates)

    def _steps_in_order(self, state: ConversationState) -> Sequence[Step]:
        """The flow's steps in the order they are asked now (going back follows it too)."""
        steps: Sequence[Step] = self.flow.steps
        if state.status == "handed_off" and state.urgency is not None and state.urgency.level == "P0":
            # A P0 case handed off: the order's date before the papers (`after_fast_track_first`).
            # Its level cannot rise, so no answer in between alarms its volunteer again.
            # The place first when it is still unknown (a P0 handed off after a silence, without it).
            wanted = (
                *(("prefecture",) if state.slots.prefecture is None else ()),
                *self.flow.after_fast_track_first,
            )
            first = [self.flow.step(slot) for slot in wanted]
            steps = (*first, *(step for step in steps if step.slot not in wanted))
        return steps

    def _next_step(self, state: ConversationState, channel: str) -> Step | None:
        values = state.slots.model_dump()
        # Where the language comes with the consent question, it is asked on its own only after it.
        language_later = channel in self.flow.language_with_consent and state.slots.consent is None
        steps = self._steps_in_order(state)
        for step in steps:
            if (state.fast_track or state.hand_off_now) and state.status == "active" and not step.fast_track:
                continue
            if state.hand_off_without_place and state.status == "active" and step.slot == "prefecture":
                continue  # a P0 left silent: handed off without the place, asked again after
            if step.kind == "language" and language_later:
                continue
            if step.slot == "confirm" and (
                state.status != "active" or state.fast_track or state.hand_off_now
            ):
                continue
            if values.get(step.slot) is not None or step.slot in state.skipped:
                continue
            if step.slot == "confirm" and state.slots.confirm is False:
                continue
            if holds(step.when, values):
                return step
        return None

    async def _run_update_actions(self, turn: Turn, now: dt.datetime) -> None:
        state = turn.state
        fast_track = await self._run_actions(turn, self.flow.on_update, now)
        if fast_track and not state.fast_track and state.status == "active":
            state.fast_track = True
            turn.replies.append(self._say(turn, self._to_writer(state, "fast_track")))

    async def _erase(self, turn: Turn) -> None:
        """Everything the person gave goes: what the actions keep, then the conversation and cases."""
        cases = await self.store.cases_for_conversation(turn.state.id)
        context = self._context(turn, self.clock.now())
        context.case_ids = tuple(case.id for case in sorted(cases, key=lambda case: case.created_at))
        for name in self.flow.on_erase:
            await self.actions[name](context)
        if turn.state.reminder_set:
            await self.store.cancel_timer(TIMER_IDLE, turn.state.id)
        await self.store.erase_conversation(turn.state.id)

    async def _after_handoff(self, turn: Turn, text: str, now: dt.datetime) -> None:
        """A message once the triage is over goes to the after-hand-off actions (the relay)."""
        for name in self.flow.after_handoff:
            result = await self.actions[name](self._context(turn, now, message_text=text))
            if result.consumed:
                turn.relayed = True
                if result.reply:
                    turn.replies.append(self._say(turn, result.reply))
                return

    def _context(self, turn: Turn, now: dt.datetime, *, message_text: str | None = None) -> ActionContext:
        state = turn.state
        return ActionContext(
            conversation_id=state.id,
            channel=state.channel,
            language=turn.lang,
            slots=state.slots,
            now=now,
            cases=self.store,
            urgency=state.urgency,
            unanswered=self._unanswered(state),
            fast_track=state.fast_track,
            human_requested=state.human_requested,
            for_someone_else=state.for_someone_else is True,
            told_person=self._told_person(turn),
            case_id=state.case_id,
            sender=state.sender,
            message_text=message_text,
            records=self.store,
        )

    async def _run_actions(self, turn: Turn, names: tuple[str, ...], now: dt.datetime) -> bool:
        """Run actions in order; True when one asks for the fast track (a P0 rule fired)."""
        state = turn.state
        fast_track = False
        for name in names:
            result = await self.actions[name](self._context(turn, now, message_text=turn.text))
            if result.urgency is not None:
                state.urgency = result.urgency
            if result.case is not None:
                state.case_id = result.case.id
            if result.slots is not None:
                state.slots = result.slots
            fast_track = fast_track or result.fast_track
        return fast_track

    def _unanswered(self, state: ConversationState) -> list[str]:
        values = state.slots.model_dump()
        return [
            step.slot
            for step in self.flow.steps
            if values.get(step.slot) is None
            and holds(step.when, values)
            and step.slot != "confirm"
            # "non merci" to "anything to add?" is an answer: nothing to ask the person later.
            and not (step.kind == "text" and step.slot in state.skipped)
        ]

    def _told_person(self, turn: Turn) -> str:
        urgency = turn.state.urgency
        level = urgency.level if urgency else "P4"
        if turn.state.fast_track:
            return self.texts.get("handoff_done_fast", "fr")
        return self.texts.get(
            "handoff_done",
            "fr",
            urgency=self.texts.get(f"urgency_{level}", "fr"),
            delay=self.texts.get(f"delay_{level}", "fr"),
        )

    async def _hand_off(self, turn: Turn, now: dt.datetime) -> None:
        state = turn.state
        await self._run_actions(turn, self.flow.on_handoff, now)
        state.status = "handed_off"
        state.hand_off_without_place = False
        if state.reminder_set and not state.reminded:
            await self.store.cancel_timer(TIMER_IDLE, state.id)  # nothing left to remind of
        state.hand_off_now = False
        level = state.urgency.level if state.urgency else "P4"
        state.told_level = level
        reason = state.urgency.reason if state.urgency else None
        if reason and level in LEVELS_EXPLAINED and turn.channel != SMS_CHANNEL:
            # Why it is urgent, in their language ("Le délai pour contester votre OQTF... se termine
            # dans moins de 3 jours"): what the rules' `reason` is written for. Not by SMS, where
            # every segment counts and the summary of answers already went.
            if state.for_someone_else:
                # The rules' reasons speak to the person concerned ("Vous êtes en centre de
                # rétention"); a relative reads whom they speak to.
                reason = self.texts.get("reason_for_them", turn.lang, channel=turn.channel, reason=reason)
            turn.replies.append(Reply(text=reason))
        if state.fast_track:
            turn.replies.append(self._say(turn, "handoff_done_fast"))
            state.fast_track = False  # the other questions may follow, to complete the case
        else:
            turn.replies.append(self._say_level(turn, "handoff_done", level))
        logger.info("conversation %s handed off at %s", conversation_key(state.id), level)

    async def _refuse_consent(self, turn: Turn) -> None:
        turn.replies.append(self._say(turn, "consent_refused").model_copy(update={"erased": True}))
        await self._erase(turn)
        turn.erased = True  # "je n'ai rien gardé": the next message starts a new conversation

    # -- building replies --------------------------------------------------------------------

    @staticmethod
    def _to_writer(state: ConversationState, key: str) -> str:
        """The text said of the person's situation, or of their relative's when the person writes
        for someone close (`<key>_for_them`: "La situation de votre proche est très urgente")."""
        return f"{key}_for_them" if state.for_someone_else else key

    def _say(self, turn: Turn, key: str, **values: object) -> Reply:
        return Reply(text=self.texts.get(key, turn.lang, channel=turn.channel, **values))

    def _say_level(self, turn: Turn, key: str, level: str) -> Reply:
        """A text that names an urgency level and the delay it promises."""
        get = self.texts.get
        return self._say(
            turn,
            key,
            urgency=get(f"urgency_{level}", turn.lang, channel=turn.channel),
            delay=get(f"delay_{level}", turn.lang, channel=turn.channel),
        )

    def _step_options(self, turn: Turn, step: Step) -> tuple[Option, ...]:
        return tuple(
            Option(id=option.id, label=self.texts.get(option.label, turn.lang, channel=turn.channel))
            for option in step.options
        )

    def _question(self, turn: Turn, step: Step) -> Reply:
        state = turn.state
        text = self.texts.get(step.prompt, turn.lang, channel=turn.channel)
        options: tuple[Option, ...] = ()
        if step.kind in KINDS_WITH_BUTTONS or state.misses >= 2:
            options = self._step_options(turn, step)
        if state.misses >= 2 and step.kind not in KINDS_WITH_BUTTONS:
            # "Choose an answer" over a single "I don't know" button (the place question) would
            # confuse: the examples of the help say what to write instead.
            lead = "not_understood_options" if len(options) > 1 else step.help
            text = self.texts.get(lead, turn.lang, channel=turn.channel) + "\n" + text
        if step.kind == "confirm":
            text = self._recap(turn) + "\n\n" + text
        return Reply(text=text, options=options, asking=step.slot)

    def _pending_options(self, turn: Turn, pending: Pending) -> tuple[Option, ...]:
        if pending.kind in FOR_WHOM:
            return (
                Option(id="yes", label=self.texts.get("opt_for_them", turn.lang, channel=turn.channel)),
                Option(id="no", label=self.texts.get("opt_for_me", turn.lang, channel=turn.channel)),
            )
        if pending.kind in ("erase", "restart") or len(pending.candidates) == 1:
            return (
                Option(id="yes", label=self.texts.get("opt_yes", turn.lang, channel=turn.channel)),
                Option(id="no", label=self.texts.get("opt_no", turn.lang, channel=turn.channel)),
            )
        return (
            *(
                Option(id=f"c{i}", label=self._label(turn, pending.slot or "", c))
                for i, c in enumerate(pending.candidates)
            ),
            Option(id="none", label=self.texts.get("opt_none_of_these", turn.lang, channel=turn.channel)),
        )

    def _pending_reply(self, turn: Turn, pending: Pending) -> Reply:
        options = self._pending_options(turn, pending)
        if pending.kind == "erase":
            text = self.texts.get("erase_confirm", turn.lang, channel=turn.channel)
        elif pending.kind == "restart":
            text = self.texts.get("restart_confirm", turn.lang, channel=turn.channel)
        elif pending.kind in FOR_WHOM:
            text = self.texts.get("ask_for_someone_else", turn.lang, channel=turn.channel)
            if pending.kind == "for_someone_else_again":
                text = self.texts.get("not_understood_options", turn.lang, channel=turn.channel) + "\n" + text
        elif len(pending.candidates) == 1:
            label = self._label(turn, pending.slot or "", pending.candidates[0])
            text = self.texts.get("confirm_value", turn.lang, channel=turn.channel, value=label)
        else:
            text = self.texts.get("choose_value", turn.lang, channel=turn.channel)
        confirming = pending.kind == "value" or pending.kind in FOR_WHOM
        return Reply(text=text, options=options, asking=pending.slot, confirming=confirming)

    def _recap(self, turn: Turn) -> str:
        state = turn.state
        values = state.slots.model_dump()
        lines = [self.texts.get("recap_title", turn.lang, channel=turn.channel)]
        for slot in RECAP_SLOTS:
            step = self.flow.step(slot)
            if not holds(step.when, values):
                continue
            name = self.texts.get(f"slot_{slot}", turn.lang, channel=turn.channel)
            value = self._describe(turn, slot, values.get(slot))
            line = self.texts.get("recap_line", turn.lang, channel=turn.channel, name=name, value=value)
            lines.append(line)
        return "\n".join(lines)

    def _describe(self, turn: Turn, slot: str, value: Any) -> str:
        lang = turn.lang
        if value is None and slot in turn.state.skipped and self.flow.step(slot).kind == "text":
            # "non merci" to "anything to add?": nothing, not "no answer" (it looked missed).
            return self.texts.get("recap_nothing", lang, channel=turn.channel)
        if value is None:
            return self.texts.get("recap_unknown", lang, channel=turn.channel)
        if isinstance(value, bool):
            return self.texts.get("val_yes" if value else "val_no", lang, channel=turn.channel)
        if isinstance(value, dt.date):
            return value.strftime("%d/%m/%Y")
        if slot == "custody":
            return self.texts.get(f"val_custody_{value}", lang, channel=turn.channel)
        if slot == "application_status":
            return self.texts.get(f"val_{value}", lang, channel=turn.channel)
        if slot == "vulnerabilities":
            if not value:
                return self.texts.get("val_none", lang, channel=turn.channel)
            return ", ".join(
                self.texts.get(f"val_vuln_{v}", lang, channel=turn.channel) for v in sorted(value)
            )
        if slot in turn.state.labels:
            return turn.state.labels[slot]
        return str(value)


__all__ = ["Engine", "clean_text", "conversation_key", "use_log_key"]
