"""Telegram through aiogram 3: secret-token webhook or long polling in, `sendMessage` out.

aiogram stays inside this module: its `Bot` sends (pointed at `TELEGRAM_API_BASE`, so tests talk to
a local fake) over our shared aiohttp `ClientSession`, and long polling reads its `Update` models.
A webhook body is read by `WebhookUpdate`, a pydantic model of only the fields we use, validated
as strictly as aiogram's where we read them: the acknowledgement is on the hot path, and building
aiogram's whole `Update` costs several times more. The dialogue state is ours, not aiogram's FSM:
the same person may move channels.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.channels.base import ChannelSendError, Ignored, Parsed, Unauthorized, same_secret
from bot.core.messages import Address, InboundMessage, Location, Option, Reply
from bot.settings import Settings
from bot.tasks import BackgroundTasks

logger = logging.getLogger(__name__)

NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_TEXT = 4096  # sendMessage text, characters
MAX_CALLBACK_DATA = 64  # bytes
# Labels longer than this get a row of their own (a phone screen holds ~2 short buttons a row).
LONG_LABEL = 20
ALLOWED_UPDATES = ["message", "callback_query"]
WEBHOOK_PATH = "/webhooks/telegram"
# A button whose option id is too long for callback_data carries its number ("#3"), which the
# engine reads back like a typed "3".
ORDINAL_PREFIX = "#"

Sleep = Callable[[float], Awaitable[None]]


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` characters, at a line break or a space if possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = max(cut, window.rfind(" "))
        if cut <= 0:
            cut = limit  # one endless word: cut it
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def keyboard_rows(labels: Sequence[str]) -> list[list[int]]:
    """Which options go on which row: one per row when a label is long, else up to 3 (or 2) a row."""
    if not labels:
        return []
    if max(len(label) for label in labels) > LONG_LABEL:
        per_row = 1
    elif len(labels) <= 3 and sum(len(label) for label in labels) <= 2 * LONG_LABEL:
        per_row = 3
    else:
        per_row = 2
    indexes = list(range(len(labels)))
    return [indexes[start : start + per_row] for start in range(0, len(indexes), per_row)]


def callback_data(option: Option, number: int) -> str:
    """The button's payload: the option id, or "#<number>" when the id does not fit 64 bytes."""
    if 0 < len(option.id.encode("utf-8")) <= MAX_CALLBACK_DATA and not option.id.startswith(ORDINAL_PREFIX):
        return option.id
    return f"{ORDINAL_PREFIX}{number}"


def inline_keyboard(options: Sequence[Option]) -> InlineKeyboardMarkup:
    """The options as inline buttons, laid out by `keyboard_rows`."""
    rows = keyboard_rows([option.label for option in options])
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=options[i].label, callback_data=callback_data(options[i], i + 1))
                for i in row
            ]
            for row in rows
        ]
    )


def render(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The `sendMessage` calls of one reply: the text in pieces, the keyboard under the last one."""
    pieces = split_text(reply.text, MAX_TEXT)
    if not pieces:
        if not reply.options:
            return []
        pieces = ["…"]  # Telegram refuses an empty text, and buttons need a message
    markup = inline_keyboard(reply.options) if reply.options else None
    return [(piece, None) for piece in pieces[:-1]] + [(pieces[-1], markup)]


# -- the webhook body: only what `TelegramChannel.convert` reads ----------------------------------
# Same field names as aiogram's models, so `convert` reads either. Required fields are those aiogram
# requires in the objects we read; anything else in the body is left unread (and unvalidated).


class _Chat(BaseModel):
    id: int
    type: str


class _User(BaseModel):
    id: int
    is_bot: bool
    first_name: str


class _Location(BaseModel):
    latitude: float
    longitude: float


class _Message(BaseModel):
    """A `Message`, or the `InaccessibleMessage` of an old button (date 0): the same fields here."""

    message_id: int
    date: dt.datetime
    chat: _Chat
    text: str | None = None
    caption: str | None = None
    location: _Location | None = None


class _CallbackQuery(BaseModel):
    id: str
    from_user: _User = Field(alias="from")
    chat_instance: str
    message: _Message | None = None
    data: str | None = None


class WebhookUpdate(BaseModel):
    """A webhook's `Update`, validated straight from the JSON bytes (pydantic-core)."""

    model_config = ConfigDict(extra="allow")

    update_id: int
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _CallbackQuery | None = None

    @property
    def event_type(self) -> str:
        """The kind of an update we do not read (aiogram's name: the update's field)."""
        for name in ("message", "edited_message", "callback_query"):
            if getattr(self, name) is not None:
                return name
        return next((name for name, value in (self.model_extra or {}).items() if value), "unknown")


class SharedAiohttpSession(AiohttpSession):
    """aiogram's aiohttp session over the app's `ClientSession` (one connection pool, closed by the app)."""

    def __init__(self, http: aiohttp.ClientSession, api: TelegramAPIServer) -> None:
        super().__init__(api=api)
        self._shared = http

    async def create_session(self) -> aiohttp.ClientSession:
        return self._shared

    async def close(self) -> None:
        """The app owns the shared session."""


class TelegramChannel:
    """The `Channel` for a Telegram bot (webhook or long polling)."""

    name = NAME

    def __init__(
        self,
        token: str,
        *,
        http: aiohttp.ClientSession,
        api_base: str = "https://api.telegram.org",
        webhook_secret: str | None = None,
        max_send_attempts: int = 3,
        max_retry_wait: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        session = SharedAiohttpSession(http, TelegramAPIServer.from_base(api_base.rstrip("/")))
        self.bot = Bot(token, session=session)
        self.webhook_secret = webhook_secret
        self.max_send_attempts = max_send_attempts
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._tasks = BackgroundTasks()

    @classmethod
    def from_settings(cls, settings: Settings, http: aiohttp.ClientSession) -> TelegramChannel | None:
        if settings.telegram_bot_token is None:
            return None
        secret = settings.telegram_webhook_secret
        if secret is None and not settings.telegram_polling:
            logger.warning("TELEGRAM_WEBHOOK_SECRET is not set: the Telegram webhook refuses every request")
        return cls(
            settings.telegram_bot_token.get_secret_value(),
            http=http,
            api_base=settings.telegram_api_base,
            webhook_secret=secret.get_secret_value() if secret is not None else None,
        )

    # -- in -------------------------------------------------------------------------------------

    async def verify(self, request: web.Request, body: bytes) -> None:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            raise Unauthorized("missing secret token", status=401)
        if self.webhook_secret is None:
            raise Unauthorized("no webhook secret configured", status=403)
        if not same_secret(given, self.webhook_secret):
            raise Unauthorized("wrong secret token", status=403)

    def parse(self, request: web.Request, body: bytes) -> Sequence[Parsed]:
        try:
            update = WebhookUpdate.model_validate_json(body)
        except ValidationError:  # not JSON, not an object, or a field we read is missing or wrong
            logger.warning("authentic Telegram update that does not parse: ignored")
            return [Ignored("unparseable update")]
        parsed = self.convert(update)
        if isinstance(parsed, InboundMessage) and update.callback_query is not None:
            # The webhook request must not wait for it; the button's spinner stops when it is done.
            self._tasks.spawn(self._answer_callback(update.callback_query.id))
        return [parsed]

    def convert(self, update: Update | WebhookUpdate) -> InboundMessage | Ignored:
        """One update (a webhook's, or aiogram's from polling) as a neutral message, or why it is
        ignored."""
        message_id = f"{update.update_id}"
        if update.message is not None:
            return self._from_message(update.message, message_id)
        if update.callback_query is not None:
            return self._from_callback(update.callback_query, message_id)
        if update.edited_message is not None:
            # Re-reading an edited message would answer twice; the person can correct in a new one.
            return Ignored("edited message")
        return Ignored(f"update type {update.event_type}")

    def _from_message(self, message: Message | _Message, message_id: str) -> InboundMessage | Ignored:
        if message.chat.type != "private":
            return Ignored("not a private chat")
        chat = str(message.chat.id)
        common: dict[str, Any] = {
            "conversation_id": f"{NAME}:{chat}",
            "channel": NAME,
            "message_id": message_id,
            "sender": Address(channel=NAME, recipient=chat),
            "sent_at": message.date,
        }
        if message.location is not None:
            location = Location(lat=message.location.latitude, lon=message.location.longitude)
            return InboundMessage(location=location, **common)
        text = message.text if message.text is not None else message.caption
        if text is None:
            # A photo, a voice note, a sticker...: an empty text makes the engine ask for words.
            return InboundMessage(text="", **common)
        return InboundMessage(text=_command_text(text), **common)

    def _from_callback(
        self, query: CallbackQuery | _CallbackQuery, message_id: str
    ) -> InboundMessage | Ignored:
        if query.data is None:
            return Ignored("callback without data")
        origin = query.message
        if origin is not None and origin.chat.type != "private":
            return Ignored("not a private chat")
        chat = str(origin.chat.id if origin is not None else query.from_user.id)
        common: dict[str, Any] = {
            "conversation_id": f"{NAME}:{chat}",
            "channel": NAME,
            "message_id": message_id,
            "sender": Address(channel=NAME, recipient=chat),
            # A tap has no date of its own: it happens now, after anything already typed.
            "sent_at": dt.datetime.now(dt.UTC),
        }
        number = query.data.removeprefix(ORDINAL_PREFIX)
        if query.data.startswith(ORDINAL_PREFIX) and number.isdigit():
            return InboundMessage(text=number, **common)
        return InboundMessage(option=query.data, **common)

    def acknowledge(self) -> web.Response:
        return web.json_response({})

    async def verification(self, request: web.Request) -> web.Response:
        raise web.HTTPMethodNotAllowed(request.method, ["POST"])

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramAPIError as exc:
            # Too old or already answered: only the spinner is at stake.
            logger.info("answerCallbackQuery failed: %s", type(exc).__name__)

    async def drain(self) -> None:
        """Wait for the callback answers still in flight (shutdown, tests)."""
        await self._tasks.drain()

    # -- out ------------------------------------------------------------------------------------

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        chat_id = int(address.recipient)
        for reply in replies:
            for text, markup in render(reply):
                await self._send_one(chat_id, text, markup)

    async def _send_one(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
        for attempt in range(1, self.max_send_attempts + 1):
            try:
                await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
                return
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                if attempt == self.max_send_attempts or wait > self.max_retry_wait:
                    raise ChannelSendError("rate limited", retryable=True, retry_after=wait) from exc
                logger.info("Telegram asks to wait %.0f s (attempt %d)", wait, attempt)
                await self._sleep(wait)
            except TelegramForbiddenError as exc:
                raise ChannelSendError("bot blocked by the user", retryable=False) from exc
            except (TelegramBadRequest, TelegramUnauthorizedError) as exc:
                raise ChannelSendError(f"refused: {type(exc).__name__}", retryable=False) from exc
            except (TelegramNetworkError, TelegramServerError) as exc:
                raise ChannelSendError(f"unavailable: {type(exc).__name__}", retryable=True) from exc
            except TelegramAPIError as exc:
                raise ChannelSendError(f"failed: {type(exc).__name__}", retryable=False) from exc
            except AiogramError as exc:
                # ClientDecodeError and kin quote Telegram's whole answer (chat id, names, the
                # text sent): not chained, so no log can print it.
                raise ChannelSendError(f"failed: {type(exc).__name__}", retryable=True) from None

    # -- set-up and polling -----------------------------------------------------------------------

    async def register_webhook(self, public_url: str) -> str:
        """`setWebhook` to `<public_url>/webhooks/telegram` with our secret token; returns the URL."""
        if self.webhook_secret is None:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required to register a webhook")
        url = public_url.rstrip("/") + WEBHOOK_PATH
        await self.bot.set_webhook(url=url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES)
        return url

    async def poll(
        self,
        inbox_accept: Callable[[InboundMessage], Awaitable[bool]],
        stop: asyncio.Event,
        *,
        timeout: int = 30,
    ) -> None:
        """Long polling (`getUpdates` with an offset) until `stop` is set: bots without a public URL."""
        # A webhook and getUpdates exclude each other (409): polling is what the operator chose.
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            fetch = asyncio.ensure_future(
                self.bot.get_updates(
                    offset=offset,
                    timeout=timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=timeout + 10,
                )
            )
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                break
            try:
                updates = fetch.result()
            except TelegramRetryAfter as exc:
                await self._sleep(float(exc.retry_after))
                continue
            except (TelegramNetworkError, TelegramServerError, TelegramConflictError) as exc:
                failures += 1
                logger.warning("getUpdates failed (%s), retrying", type(exc).__name__)
                await self._sleep(min(60.0, 2.0**failures))
                continue
            failures = 0
            for update in updates:
                offset = update.update_id + 1
                parsed = self.convert(update)
                if isinstance(parsed, Ignored):
                    logger.debug("update ignored on telegram: %s", parsed.reason)
                    continue
                if update.callback_query is not None:
                    await self._answer_callback(update.callback_query.id)
                await inbox_accept(parsed)


def _command_text(text: str) -> str:
    """`/start@TriageBot src_poster75` → `/start`: the deep-link payload is a poster's tag, not
    the person's words; other commands keep their argument."""
    if not text.startswith("/"):
        return text
    head, _, rest = text.partition(" ")
    command = head.split("@", 1)[0]
    if command == "/start":
        return command
    return f"{command} {rest}".strip()


async def register_webhook(settings: Settings, http: aiohttp.ClientSession) -> str:
    """Register `<PUBLIC_URL>/webhooks/telegram` with Telegram (for `triage` set-up); returns the URL."""
    if not settings.public_url:
        raise ValueError("PUBLIC_URL is required to register the Telegram webhook")
    channel = TelegramChannel.from_settings(settings, http)
    if channel is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return await channel.register_webhook(settings.public_url)
