"""What SMS channels share: numbered menus, GSM-7 or UCS-2, segment counts, a record of every SMS.

An SMS is GSM-7 (160 characters, 153 per part when concatenated) when every character is in the
GSM 03.38 default alphabet; a single other character makes the whole message UCS-2 (70, 67 per
part). Characters of the extension table take two septets (an escape and the character).
Typographic punctuation with a plain GSM-7 equivalent is replaced when that makes the whole text
GSM-7; so are Latin letters the alphabet lacks (French `â ê î ô û ë ï ç œ`, from a town name or a
note echoed back: "Nîmes" → "Nimes"), as French SMS commonly are, because one of them would make
the whole message UCS-2 and cost two to three times the segments. A text that would stay UCS-2
anyway (Arabic) is left exactly as it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.channels.base import DeliveryReport
from bot.channels.render import numbered_menu
from bot.core.clock import Clock, SystemClock
from bot.core.messages import SMS_CHANNEL, Reply
from bot.core.ports import RecordStore

logger = logging.getLogger(__name__)

Encoding = Literal["gsm7", "ucs2"]

# 3GPP TS 23.038 default alphabet, in code order (0x1B, the escape to the extension table, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape: two septets each. "\f" is the page break.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# A whole French triage over SMS, from the first message to the hand-off, sends at most this many
# segments (issue 5); tests/test_sms_budget.py holds every conversation of the evaluation to it.
TRIAGE_MAX_SEGMENTS = 15

# Typographic characters and their plain GSM-7 equivalents (punctuation and spaces only).
_FRIENDLY = {
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u2032": "'",  # ′
    "`": "'",
    "\u00b4": "'",  # ´
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2039": "'",  # ‹
    "\u203a": "'",  # ›
    "\u2026": "...",  # …
    "\u2013": "-",  # –
    "\u2014": "-",  # —
    "\u2010": "-",  # ‐
    "\u2011": "-",  # non-breaking hyphen
    "\u2212": "-",  # −
    "\u2022": "-",  # •
    "\u00b7": "-",  # ·
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (French typography before ; : ! ?)
    "\u2009": " ",  # thin space
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\t": " ",
    "\u200b": "",  # zero-width space
    "\u2060": "",  # word joiner
    "\ufeff": "",
}
_LIGATURES = {"œ": "oe", "Œ": "OE"}
# French quotes carry their own (no-break) spaces inside: « oui » becomes "oui", not " oui ".
_QUOTE_SPACES = re.compile("(\u00ab)[ \u00a0\u202f]+|[ \u00a0\u202f]+(\u00bb)")


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding_of(text: str) -> Encoding:
    return "gsm7" if is_gsm7(text) else "ucs2"


def _units(ch: str, encoding: Encoding) -> int:
    if encoding == "gsm7":
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # outside the BMP: a UTF-16 surrogate pair


def length_in_units(text: str, encoding: Encoding | None = None) -> int:
    """Septets (GSM-7, escapes counted) or UTF-16 code units (UCS-2)."""
    chosen = encoding or encoding_of(text)
    return sum(_units(ch, chosen) for ch in text)


def split_segments(text: str) -> list[str]:
    """The parts a concatenated SMS is cut into; an escape or a surrogate pair is never split."""
    encoding = encoding_of(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_PART)
    if length_in_units(text, encoding) <= single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = _units(ch, encoding)
        if used + size > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    parts.append("".join(current))
    return parts


def segment_count(text: str) -> int:
    return len(split_segments(text))


@dataclass(frozen=True)
class SmsInfo:
    """What one SMS costs: its encoding, length in characters and units, and segments."""

    encoding: Encoding
    characters: int
    units: int
    segments: int


def measure(text: str) -> SmsInfo:
    encoding = encoding_of(text)
    return SmsInfo(
        encoding=encoding,
        characters=len(text),
        units=length_in_units(text, encoding),
        segments=segment_count(text),
    )


def _plain_letter(ch: str) -> str:
    """A Latin letter the GSM-7 alphabet lacks, without its accent ("ê" → "e"); others unchanged."""
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    if ch in _LIGATURES:
        return _LIGATURES[ch]
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() and base.isalpha() else ch


def to_gsm7_friendly(text: str) -> str:
    """Replace typographic punctuation and spaces, then accented Latin letters the alphabet lacks,
    by plain GSM-7 ones, if that makes the whole text GSM-7; otherwise the text is going as UCS-2
    anyway, and is returned unchanged."""
    if is_gsm7(text):
        return text
    plain = _QUOTE_SPACES.sub(lambda m: m.group(1) or m.group(2), text)
    plain = "".join(_FRIENDLY.get(ch, ch) for ch in plain)
    if not is_gsm7(plain):
        plain = "".join(_plain_letter(ch) for ch in plain)
    return plain if is_gsm7(plain) else text


MESSAGE_SEPARATOR = "\n\n"


def render_sms(replies: Sequence[Reply], *, max_chars: int | None = None) -> list[str]:
    """The SMS texts for the replies of one turn: numbered menus, GSM-7 friendly, consecutive
    replies joined into one SMS whenever that costs no more segments than sending them apart,
    and no text longer than `max_chars` (the provider's limit per request)."""
    texts = [to_gsm7_friendly(numbered_menu(reply).strip()) for reply in replies]
    merged: list[str] = []
    for text in (text for text in texts if text):
        if merged:
            joined = merged[-1] + MESSAGE_SEPARATOR + text
            fits = max_chars is None or len(joined) <= max_chars
            if fits and segment_count(joined) <= segment_count(merged[-1]) + segment_count(text):
                merged[-1] = joined
                continue
        merged.append(text)
    if max_chars is None:
        return merged
    return [chunk for text in merged for chunk in cut_text(text, max_chars)]


def outgoing_sms(turns: Iterable[Sequence[Reply]]) -> list[tuple[str, SmsInfo]]:
    """Every SMS a conversation sends, turn by turn as `render_sms` makes them, with its cost."""
    return [(text, measure(text)) for replies in turns for text in render_sms(replies)]


def cut_text(text: str, limit: int) -> list[str]:
    """Cut an over-long text at line breaks, else spaces, into parts of at most `limit` characters."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [part for part in parts if part]


@dataclass(frozen=True)
class SentSms:
    """The record of one outgoing SMS: never its text nor its recipient."""

    channel: str
    encoding: Encoding
    characters: int
    segments: int
    sent_at: dt.datetime
    reference: str | None = None  # the key of its record, which delivery reports carry back

    def as_record(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "encoding": self.encoding,
            "characters": self.characters,
            "segments": self.segments,
            "sent_at": self.sent_at.isoformat(),
        }


# What a delivery report may change: a later report never takes a message back to an earlier
# state, and a failure of one part of a long message is not undone by another part delivered.
_STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "failed": 3}
# The query parameter of our report URLs that carries the SMS's reference (Kannel, Twilio).
REPORT_PARAM = "dlr"
_REFERENCE = re.compile(r"\d{8}T\d{6}-[0-9a-f]{12}")


class SmsLedger:
    """Records the encoding, segment count and fate of every SMS a channel sends.

    Logged at info (no text, no number) and, when a `RecordStore` is given, stored as a record of
    kind `sms_sent` under a reference the provider's delivery reports carry back (`status`:
    accepted by the gateway, then sent, delivered or failed). `last_sent` holds the SMS of the
    latest `send`, `sent` all of them since start (bounded), for tests and the benchmark.
    """

    RECORD_KIND = "sms_sent"
    KEEP = 1000

    def __init__(self, channel: str, records: RecordStore | None = None, clock: Clock | None = None) -> None:
        self.channel = channel
        self.records = records
        self.clock = clock or SystemClock()
        # Told (case id, channel) when an SMS about a case is reported not delivered (set by the
        # service's assembly to the hand-off desk, which tells the volunteer).
        self.on_undelivered: Callable[[str, str], Awaitable[None]] | None = None
        self.last_sent: list[SentSms] = []
        self.sent: list[SentSms] = []
        self.messages_total = 0

    def start_batch(self) -> None:
        self.last_sent = []

    def new_reference(self) -> str:
        """The key of the next SMS's record, given to the provider before sending it."""
        return f"{self.clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"

    @staticmethod
    def is_reference(text: str) -> bool:
        return _REFERENCE.fullmatch(text) is not None

    async def record(self, text: str, reference: str | None = None, *, case_id: str | None = None) -> SentSms:
        """Account for an SMS sent and store its record."""
        reference = reference or self.new_reference()
        sms = self._measure(text, reference)
        await self._store(reference, sms, case_id)
        self._count(sms)
        return sms

    def _measure(self, text: str, reference: str) -> SentSms:
        info = measure(text)
        return SentSms(
            self.channel, info.encoding, info.characters, info.segments, self.clock.now(), reference
        )

    async def _store(self, reference: str, sms: SentSms, case_id: str | None) -> None:
        if self.records is None:
            return
        try:
            about = {"case_id": case_id} if case_id else {}
            await self.records.put_record(
                self.RECORD_KIND, reference, {**sms.as_record(), "status": "accepted", **about}
            )
        except Exception:
            # Losing the cost record of an SMS must not keep it from going (or make it go twice).
            logger.exception("could not store the record of an SMS sent on %s", self.channel)

    async def _unstore(self, reference: str) -> None:
        if self.records is None:
            return
        try:
            await self.records.delete_record(self.RECORD_KIND, reference)
        except Exception:
            logger.exception("could not delete the record of an SMS not sent on %s", self.channel)

    def _count(self, sms: SentSms) -> None:
        self.last_sent.append(sms)
        self.sent.append(sms)
        del self.sent[: -self.KEEP]
        self.messages_total += 1
        logger.info(
            "sms sent on %s: %s, %d characters, %d segment(s)",
            self.channel,
            sms.encoding,
            sms.characters,
            sms.segments,
        )

    async def send_each(
        self,
        texts: Iterable[str],
        send_one: Callable[[str, str], Awaitable[None]],
        replies: Sequence[Reply] = (),
    ) -> None:
        """Send each SMS with `send_one(text, reference)` and record it under that reference,
        which the provider's delivery report carries back. The first SMS of a message about a
        case (``replies``) also keeps the case's id: one notice per message not delivered.

        The record is written before the SMS goes: the gateway may report the delivery before
        its answer to the send reaches us (Kannel's fake SMSC does, at once), and a report that
        finds no record is lost (a failure then never reaches the volunteer)."""
        self.start_batch()
        case_id = next((reply.case_id for reply in replies if reply.case_id), None)
        for number, text in enumerate(texts):
            reference = self.new_reference()
            sms = self._measure(text, reference)
            await self._store(reference, sms, case_id if number == 0 else None)
            try:
                await send_one(text, reference)
            except BaseException:
                await self._unstore(reference)
                raise
            self._count(sms)

    @staticmethod
    def report_url(url: str, reference: str, extra: str = "") -> str:
        """`url` with the SMS's reference (and `extra` parameters) added to its query."""
        return f"{url}{'&' if '?' in url else '?'}{REPORT_PARAM}={reference}{extra}"

    async def record_delivery(self, report: DeliveryReport) -> bool:
        return await self.report(report.reference, report.status, report.detail)

    async def report(self, reference: str, status: str, detail: str = "") -> bool:
        """Apply a delivery report to the SMS's record; False when there is no such record."""
        if self.records is None or not self.is_reference(reference) or status not in _STATUS_RANK:
            return False
        # Reports of one SMS come close together (each part of a long one; Twilio's "sent" then
        # "delivered"): read, compare and write under one lock where several processes share the
        # store (Redis); the embedded store is one process, where no await splits them.
        lock = getattr(self.records, "conversation_lock", None)
        newly_failed = False
        async with lock(f"sms-report:{reference}") if lock is not None else contextlib.nullcontext():
            record = await self.records.get_record(self.RECORD_KIND, reference)
            if record is None or record.get("channel") != self.channel:
                return False
            if _STATUS_RANK[status] > _STATUS_RANK.get(str(record.get("status")), 0):
                newly_failed = status == "failed"
                record["status"] = status
                record["status_at"] = self.clock.now().isoformat()
                if detail:
                    record["detail"] = detail[:40]
                await self.records.put_record(self.RECORD_KIND, reference, record)
        if status == "failed":
            # Neither the number nor the text: the reference leads to the record, which has neither.
            logger.warning(
                "sms %s on %s not delivered (%s)", reference, self.channel, detail[:40] or "no code"
            )
        case_id = record.get("case_id")
        if newly_failed and isinstance(case_id, str) and self.on_undelivered is not None:
            try:
                await self.on_undelivered(case_id, SMS_CHANNEL)
            except Exception:
                # The report is recorded: the provider must not retry it for our failure.
                logger.exception("telling the desk of an SMS not delivered failed (case %s)", case_id)
        return True

    @property
    def segments_total(self) -> int:
        return sum(sms.segments for sms in self.sent)


# -- inbound ---------------------------------------------------------------------------------


def normalize_phone(raw: str) -> str:
    """E.164 when the number allows it (`0033…`/`33…`/`06…` → `+33…`); short codes unchanged.

    One person writing through Kannel (`33612345678`) and Twilio (`+33612345678`) is one
    conversation."""
    number = re.sub(r"[\s().-]", "", raw)
    if number.startswith("+"):
        return number
    if number.startswith("00") and number[2:].isdigit():
        return "+" + number[2:]
    if re.fullmatch(r"0[1-9]\d{8}", number):  # French national format
        return "+33" + number[1:]
    if number.isdigit() and len(number) >= 11:
        return "+" + number
    return number


def sms_conversation_id(phone: str) -> str:
    return f"{SMS_CHANNEL}:{normalize_phone(phone)}"
