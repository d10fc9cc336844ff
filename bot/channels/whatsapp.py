"""WhatsApp Cloud API: signed webhook in, `POST /<phone_number_id>/messages` out.

Free-form messages (text, reply buttons, lists) are allowed only within 24 hours of the person's
last message; outside that window only an approved template may be sent, else the send fails
for good so that another channel (SMS) can take over. The window is remembered per person in the
store's records (kind `wa_window`, key = a keyed hash of the number, never the number itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.channels.base import ChannelSendError, Ignored, Parsed, Unauthorized, same_secret
from bot.channels.render import numbered_menu
from bot.channels.telegram import ORDINAL_PREFIX, split_text
from bot.core.clock import Clock, SystemClock
from bot.core.messages import Address, InboundMessage, Location, Option, Reply
from bot.core.ports import RecordStore
from bot.settings import Settings
from bot.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

NAME = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 4096
MAX_BODY = 1024  # interactive body text (lists allow 4096 in the 2025 docs; older docs say 1024)
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_REPLY_ID = 200  # row ids ≤ 200, button ids ≤ 256
WINDOW = dt.timedelta(hours=24)
# Do not start a free-form send in the last minutes: it may reach Meta after the window closed.
WINDOW_MARGIN = dt.timedelta(minutes=5)
WINDOW_KIND = "wa_window"
# A message the desk sent the person about a case, by a digest of Meta's message id (a wamid
# encodes the recipient's number): the case it was about, so that a "failed" status reaches the
# volunteer. Deleted when Meta reports the message delivered, read or failed, or by the retention
# job when no status came (bot/retention.py); it holds no number and no text.
SENT_KIND = "wa_sent"


def sent_key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:32]


# The template sent instead of a free-form message outside the window ("you have a new message,
# answer to read it"); other purposes are sent with `send_template`.
FOLLOWUP_PURPOSE = "followup"
LIST_BUTTON = "☰ Options"
# Meta error codes (branch on `code`, not on the HTTP status).
WINDOW_CLOSED = 131047
UNDELIVERABLE = 131026
RETRY_AFTER_BY_CODE = {131056: 6.0, 130429: 1.0, 131057: 60.0, 131000: 5.0}


# -- the webhook payload (only what we read; Meta adds fields freely) ----------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Text(_Model):
    body: str


class _Choice(_Model):
    id: str
    title: str = ""


class _Interactive(_Model):
    type: str
    button_reply: _Choice | None = None
    list_reply: _Choice | None = None


class _TemplateButton(_Model):
    payload: str | None = None
    text: str | None = None


class _Location(_Model):
    latitude: float
    longitude: float


class _Message(_Model):
    id: str
    timestamp: int
    type: str
    sender: str | None = Field(default=None, alias="from")
    # Business-scoped user id: may replace the number for people who adopt a username (2026).
    from_user_id: str | None = None
    text: _Text | None = None
    interactive: _Interactive | None = None
    button: _TemplateButton | None = None
    location: _Location | None = None


class _Error(_Model):
    code: int
    title: str = ""


class _Status(_Model):
    id: str
    status: str
    timestamp: int | None = None
    recipient_id: str | None = None
    errors: tuple[_Error, ...] = ()


class _Value(_Model):
    messages: tuple[_Message, ...] = ()
    statuses: tuple[_Status, ...] = ()
    errors: tuple[_Error, ...] = ()


class _Change(_Model):
    field: str
    value: _Value


class _Entry(_Model):
    changes: tuple[_Change, ...] = ()


class _Envelope(_Model):
    object: str
    entry: tuple[_Entry, ...] = ()


# -- rendering --------------------------------------------------------------------------------


def shorten(label: str, limit: int) -> str:
    """Fit a label in `limit` characters, cutting at a word boundary with an ellipsis."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    cut = label.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return label[:cut].rstrip(" ,;:-(") + "…"


def button_titles(options: Sequence[Option]) -> list[str]:
    """Titles ≤ 20 characters and unique within the message (Meta refuses duplicates)."""
    titles = [shorten(option.label, MAX_BUTTON_TITLE) for option in options]
    if len(set(titles)) < len(titles):
        titles = [
            f"{number}. {shorten(option.label, MAX_BUTTON_TITLE - len(str(number)) - 2)}"
            for number, option in enumerate(options, start=1)
        ]
    return titles


def _reply_id(option: Option, number: int, limit: int) -> str:
    # An id too long comes back as its number ("#2"), which is read like a typed "2".
    if 0 < len(option.id) <= limit and not option.id.startswith(ORDINAL_PREFIX):
        return option.id
    return f"{ORDINAL_PREFIX}{number}"


def _split_tail(text: str, limit: int) -> tuple[list[str], str]:
    """Plain pieces, then a last piece of at most `limit` characters (an interactive body)."""
    pieces = split_text(text, MAX_TEXT) or ["…"]
    last = pieces.pop()
    if len(last) > limit:
        tail_pieces = split_text(last, limit)
        tail = tail_pieces[-1]
        pieces.append(last[: len(last) - len(tail)].rstrip() if len(tail_pieces) > 1 else last)
        last = tail
    return pieces, last


def render(reply: Reply) -> list[dict[str, Any]]:
    """The message objects (without `to`) of one reply, within Meta's limits."""
    options = reply.options
    if not options or len(options) > MAX_ROWS:
        text = numbered_menu(reply) if options else reply.text
        return [_text(piece) for piece in split_text(text, MAX_TEXT)]
    head, body = _split_tail(reply.text, MAX_BODY)
    messages = [_text(piece) for piece in head]
    if len(options) <= MAX_BUTTONS:
        buttons = [
            {"type": "reply", "reply": {"id": _reply_id(option, number, MAX_REPLY_ID), "title": title}}
            for number, (option, title) in enumerate(zip(options, button_titles(options), strict=True), 1)
        ]
        interactive: dict[str, Any] = {
            "type": "button",
            "body": {"text": body},
            "action": {"buttons": buttons},
        }
    else:
        rows = []
        for number, option in enumerate(options, start=1):
            row = {
                "id": _reply_id(option, number, MAX_REPLY_ID),
                "title": shorten(option.label, MAX_ROW_TITLE),
            }
            if len(" ".join(option.label.split())) > MAX_ROW_TITLE:
                # The whole label goes under the cut title, so nothing is lost.
                row["description"] = shorten(option.label, MAX_ROW_DESCRIPTION)
            rows.append(row)
        interactive = {
            "type": "list",
            "body": {"text": body},
            "action": {"button": LIST_BUTTON, "sections": [{"rows": rows}]},
        }
    messages.append({"type": "interactive", "interactive": interactive})
    return messages


def _text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"preview_url": False, "body": body}}


def signature(secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256` of a body: `sha256=<hex HMAC-SHA256 with the app secret>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# -- the channel ------------------------------------------------------------------------------


class WhatsAppChannel:
    """The `Channel` for one WhatsApp Business phone number of the Cloud API.

    Pass `store` (the app's store, a `RecordStore`) so that the 24-hour window survives restarts
    and is shared by workers; without it the window is remembered in this process only.
    """

    name = NAME

    def __init__(
        self,
        *,
        token: str,
        app_secret: str,
        phone_number_id: str,
        http: aiohttp.ClientSession,
        api_base: str = "https://graph.facebook.com/v21.0",
        verify_token: str | None = None,
        templates: dict[str, str] | None = None,
        store: RecordStore | None = None,
        clock: Clock | None = None,
        hash_key: bytes = b"wa_window",
    ) -> None:
        self.token = token
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.http = http
        self.url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self.verify_token = verify_token
        self.templates = dict(templates or {})
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.hash_key = hash_key
        # Last inbound time per hashed sender: read before the store, so a reply never waits on
        # the write of the message it answers.
        self._last_inbound: dict[str, dt.datetime] = {}
        # When Meta said a person's window was closed (a failed status or send with 131047).
        self._closed: dict[str, dt.datetime] = {}
        self._tasks = BackgroundTasks()
        # Told (case id, channel) when a message about a case is reported failed (set by the
        # service's assembly to the hand-off desk, which tells the volunteer).
        self.on_undelivered: Callable[[str, str], Awaitable[None]] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, http: aiohttp.ClientSession, *, store: RecordStore | None = None
    ) -> WhatsAppChannel | None:
        token, secret, number = (
            settings.whatsapp_token,
            settings.whatsapp_app_secret,
            settings.whatsapp_phone_number_id,
        )
        if token is None or secret is None or not number:
            return None
        verify = settings.whatsapp_verify_token
        hash_key = settings.store_hash_key.get_secret_value() if settings.store_hash_key else "wa_window"
        return cls(
            token=token.get_secret_value(),
            app_secret=secret.get_secret_value(),
            phone_number_id=number,
            http=http,
            api_base=settings.whatsapp_api_base,
            verify_token=verify.get_secret_value() if verify is not None else None,
            templates=settings.whatsapp_templates,
            store=store,
            hash_key=hash_key.encode("utf-8"),
        )

    # -- in -------------------------------------------------------------------------------------

    async def verification(self, request: web.Request) -> web.Response:
        query = request.query
        given = query.get("hub.verify_token", "")
        if (
            self.verify_token is not None
            and query.get("hub.mode") == "subscribe"
            and same_secret(given, self.verify_token)
        ):
            return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
        logger.warning("WhatsApp webhook verification refused")
        return web.Response(status=403, text="forbidden")

    async def verify(self, request: web.Request, body: bytes) -> None:
        given = request.headers.get(SIGNATURE_HEADER)
        if not given:
            raise Unauthorized("missing signature", status=401)
        if not same_secret(given, signature(self.app_secret, body)):
            raise Unauthorized("wrong signature", status=403)

    def parse(self, request: web.Request, body: bytes) -> Sequence[Parsed]:
        try:
            envelope = _Envelope.model_validate_json(body)
        except ValidationError:
            logger.warning("authentic WhatsApp payload that does not parse: ignored")
            return [Ignored("unparseable payload")]
        if envelope.object != "whatsapp_business_account":
            return [Ignored(f"object {envelope.object}")]
        parsed: list[Parsed] = []
        for entry in envelope.entry:
            for change in entry.changes:
                if change.field != "messages":
                    parsed.append(Ignored(f"field {change.field}"))
                    continue
                parsed.extend(self._message(message) for message in change.value.messages)
                parsed.extend(self._status(status) for status in change.value.statuses)
                for error in change.value.errors:
                    logger.warning("WhatsApp reports error %s", error.code)
                    parsed.append(Ignored(f"error {error.code}"))
        return parsed or [Ignored("nothing in the payload")]

    def _message(self, message: _Message) -> Parsed:
        sender = message.sender or message.from_user_id
        if not sender:
            return Ignored("message without a sender")
        sent_at = _sent_at(message.timestamp)
        # Any inbound message opens the window, even one we do not act on (a reaction).
        self._note_inbound(sender, sent_at)
        common: dict[str, Any] = {
            "conversation_id": f"{NAME}:{sender}",
            "channel": NAME,
            "message_id": message.id,
            "sender": Address(channel=NAME, recipient=sender),
            "sent_at": sent_at,
        }
        if message.type == "text" and message.text is not None:
            return InboundMessage(text=message.text.body, **common)
        if message.type == "interactive" and message.interactive is not None:
            choice = message.interactive.button_reply or message.interactive.list_reply
            if choice is None:
                return Ignored(f"interactive {message.interactive.type}")
            number = choice.id.removeprefix(ORDINAL_PREFIX)
            if choice.id.startswith(ORDINAL_PREFIX) and number.isdigit():
                return InboundMessage(text=number, **common)  # an option sent by its number
            return InboundMessage(option=choice.id, **common)
        if message.type == "button" and message.button is not None:
            # A template's quick reply: its text is what the person means ("Oui, reprendre").
            return InboundMessage(text=message.button.text or message.button.payload or "", **common)
        if message.type == "location" and message.location is not None:
            location = Location(lat=message.location.latitude, lon=message.location.longitude)
            return InboundMessage(location=location, **common)
        if message.type in {"reaction", "system", "ephemeral", "request_welcome"}:
            return Ignored(f"message type {message.type}")
        # Media, stickers, contacts, unsupported types: an empty text makes the engine ask for words.
        return InboundMessage(text="", **common)

    def _status(self, status: _Status) -> Parsed:
        if status.status == "failed":
            codes = [error.code for error in status.errors]
            # The recipient is personal data: only the codes are logged.
            logger.warning("WhatsApp delivery failed: codes %s", codes)
            if WINDOW_CLOSED in codes and status.recipient_id:
                self._forget_window(status.recipient_id)
        if status.status in ("delivered", "read", "failed") and self.store is not None:
            self._tasks.spawn(self._settle(status.id, failed=status.status == "failed"))
        return Ignored(f"status {status.status}")

    async def _settle(self, message_id: str, *, failed: bool) -> None:
        """The fate of a message about a case is known: its record goes, and a failure is told."""
        assert self.store is not None
        try:
            record = await self.store.get_record(SENT_KIND, sent_key(message_id))
            if record is None:
                return
            await self.store.delete_record(SENT_KIND, sent_key(message_id))
            case_id = record.get("case_id")
            if failed and isinstance(case_id, str) and self.on_undelivered is not None:
                await self.on_undelivered(case_id, NAME)
        except Exception:
            logger.exception("could not settle a WhatsApp message about a case")

    def acknowledge(self) -> web.Response:
        return web.Response(text="OK")

    # -- the 24-hour window ---------------------------------------------------------------------

    def window_key(self, recipient: str) -> str:
        """The record key of a person's window: a keyed hash, never the number."""
        digits = recipient.lstrip("+")
        return hmac.new(self.hash_key, digits.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def _note_inbound(self, sender: str, sent_at: dt.datetime) -> None:
        key = self.window_key(sender)
        known = self._last_inbound.get(key)
        if known is None or sent_at > known:
            if len(self._last_inbound) > 100_000:
                self._last_inbound.clear()  # a cache: the store has them
            self._last_inbound[key] = sent_at
        if self.store is not None:
            self._tasks.spawn(self._store_inbound(key, sent_at))

    async def _store_inbound(self, key: str, sent_at: dt.datetime) -> None:
        assert self.store is not None
        try:
            record = await self.store.get_record(WINDOW_KIND, key)
            if record is not None and _parse_time(record.get("last_inbound_at")) >= sent_at:
                return  # a late delivery of an older message
            await self.store.put_record(WINDOW_KIND, key, {"last_inbound_at": sent_at.isoformat()})
        except Exception:
            logger.exception("could not record the WhatsApp window")

    def _forget_window(self, recipient: str) -> None:
        """Meta says the window is closed (131047): trust it over what we remember."""
        key = self.window_key(recipient)
        self._last_inbound.pop(key, None)
        if len(self._closed) > 100_000:
            self._closed.clear()
        self._closed[key] = self.clock.now()
        if self.store is not None:
            self._tasks.spawn(self.store.delete_record(WINDOW_KIND, key))

    async def forget(self, address: Address) -> None:
        """The person erased their data: their window record goes too (it says when they wrote)."""
        if address.channel != NAME:
            return
        await self._tasks.drain()  # a record being written now would come back after the delete
        # Read first: this process keeps it in memory only, so that "everything is erased" can
        # still be sent inside the window it opened.
        await self.last_inbound(address.recipient)
        if self.store is not None:
            await self.store.delete_record(WINDOW_KIND, self.window_key(address.recipient))

    async def last_inbound(self, recipient: str) -> dt.datetime | None:
        """When the person last wrote, as far as this process and the store know."""
        key = self.window_key(recipient)
        last = self._last_inbound.get(key)
        # Another worker may have seen a newer message: ask the store unless we know it is open.
        if self.store is not None and (last is None or not self._open(last)):
            record = await self.store.get_record(WINDOW_KIND, key)
            stored = _parse_time(record.get("last_inbound_at")) if record is not None else None
            if stored is not None and (last is None or stored > last):
                last = self._last_inbound[key] = stored
        closed = self._closed.get(key)
        if last is not None and closed is not None and last <= closed:
            return None
        return last

    async def window_open(self, recipient: str) -> bool:
        """True while free-form messages may be sent to this person."""
        last = await self.last_inbound(recipient)
        return last is not None and self._open(last)

    def _open(self, last: dt.datetime) -> bool:
        return self.clock.now() - last < WINDOW - WINDOW_MARGIN

    async def drain(self) -> None:
        """Wait for the window records still being written (shutdown, tests)."""
        await self._tasks.drain()

    # -- out ------------------------------------------------------------------------------------

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        if not await self.window_open(address.recipient):
            if FOLLOWUP_PURPOSE in self.templates:
                # The replies themselves cannot go out: invite the person to write, which reopens it.
                logger.info("WhatsApp window closed: follow-up template sent instead")
                await self.send_template(address, FOLLOWUP_PURPOSE)
                return
            raise ChannelSendError("window closed", retryable=False)
        for reply in replies:
            for message in render(reply):
                message_id = await self._post(address.recipient, message)
                if reply.case_id and message_id and self.store is not None:
                    await self._remember_sent(message_id, reply.case_id)

    async def _remember_sent(self, message_id: str, case_id: str) -> None:
        assert self.store is not None
        try:
            record = {"case_id": case_id, "sent_at": self.clock.now().isoformat()}  # for the purge
            await self.store.put_record(SENT_KIND, sent_key(message_id), record)
        except Exception:
            # The message is sent: losing its record must not make the caller send it again.
            logger.exception("could not record a WhatsApp message about a case")

    async def send_template(self, address: Address, purpose: str, parameters: Sequence[str] = ()) -> None:
        """Send the approved template of `purpose` (WHATSAPP_TEMPLATES: purpose → "name" or
        "name:language"); allowed outside the 24-hour window."""
        configured = self.templates.get(purpose)
        if not configured:
            raise ChannelSendError(f"no template for {purpose}", retryable=False)
        name, _, language = configured.partition(":")
        template: dict[str, Any] = {"name": name, "language": {"code": language or "fr"}}
        if parameters:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": value} for value in parameters]}
            ]
        await self._post(address.recipient, {"type": "template", "template": template})

    async def _post(self, recipient: str, message: dict[str, Any]) -> str | None:
        """Send one message; Meta's id for it (wamid), None if the answer has none."""
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            **message,
        }
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self.http.post(self.url, json=payload, headers=headers) as response:
                if response.status < 300:
                    return await _message_id_of(response)
                error = await _error_of(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelSendError(f"unavailable: {type(exc).__name__}", retryable=True) from exc
        code, status = error
        logger.warning("WhatsApp send failed: HTTP %s, code %s", status, code)
        if code == WINDOW_CLOSED:
            self._forget_window(recipient)
            raise ChannelSendError("window closed", retryable=False)
        if code == UNDELIVERABLE:
            raise ChannelSendError("undeliverable", retryable=False)
        if code in RETRY_AFTER_BY_CODE:
            raise ChannelSendError(
                f"rate limited ({code})", retryable=True, retry_after=RETRY_AFTER_BY_CODE[code]
            )
        if status >= 500 or status == 429:
            raise ChannelSendError(f"unavailable ({status})", retryable=True)
        raise ChannelSendError(f"refused ({code})", retryable=False)


async def _message_id_of(response: aiohttp.ClientResponse) -> str | None:
    try:
        answer = await response.json(content_type=None)
        message_id = answer["messages"][0]["id"]
        return message_id if isinstance(message_id, str) else None
    except (ValueError, KeyError, IndexError, TypeError, aiohttp.ContentTypeError):
        return None


async def _error_of(response: aiohttp.ClientResponse) -> tuple[int | None, int]:
    try:
        payload = await response.json(content_type=None)
        code = payload["error"]["code"]
        return (code if isinstance(code, int) else None), response.status
    except (ValueError, KeyError, TypeError, aiohttp.ContentTypeError):
        return None, response.status


def _parse_time(value: object) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return dt.datetime.min.replace(tzinfo=dt.UTC)


EARLIEST_TIMESTAMP = 946_684_800  # 2000-01-01


def _sent_at(timestamp: float) -> dt.datetime:
    """Meta's send time; an absurd one (not finite, before 2000, or more than a day ahead) is the
    arrival time. Old ones are kept: Meta retries a delivery for up to 7 days."""
    now = time.time()
    if not math.isfinite(timestamp) or not EARLIEST_TIMESTAMP <= timestamp <= now + 86_400:
        timestamp = now
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
