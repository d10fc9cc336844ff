"""Telegram end to end over real HTTP: webhook in → engine → the fake Bot API receives the answer."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram.types import Update
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr, ValidationError

from bot.app import Brain
from bot.channels.base import ChannelSendError, Ignored
from bot.channels.telegram import MAX_TEXT, TelegramChannel, register_webhook
from bot.core.clock import FixedClock
from bot.core.messages import Address, InboundMessage, Option, Reply
from bot.server import RUNTIME
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.e2e.apps import app_with_channel
from tests.fakes.telegram_api import FakeTelegramApi

FIXTURES = Path(__file__).parent.parent / "fixtures" / "telegram"
SECRET = "test_secret-TOKEN_1"
CHAT = "555001"
CONVERSATION = f"telegram:{CHAT}"

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    update: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    message = update.get("message")
    for key, value in changes.items():
        if key == "update_id":
            update[key] = value
        elif message is not None:
            message[key] = value
    return update


@pytest.fixture
def fake() -> FakeTelegramApi:
    return FakeTelegramApi()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def channel(api_base: str, http: aiohttp.ClientSession, waits: list[float]) -> TelegramChannel:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return TelegramChannel(
        "123456:TEST-TOKEN", http=http, api_base=api_base, webhook_secret=SECRET, sleep=sleep
    )


def make_app(
    channel: TelegramChannel, brain: Brain, clock: FixedClock, store: SqliteStore, reorder: float = 0.0
) -> web.Application:
    return app_with_channel("telegram", channel, brain, clock, store, reorder)


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory,
    channel: TelegramChannel,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
) -> Client:
    return await aiohttp_client(make_app(channel, brain, clock, store))


async def post(client: Client, update: Any, secret: str | None = SECRET) -> aiohttp.ClientResponse:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return await client.post("/webhooks/telegram", json=update, headers=headers)


async def test_a_text_message_is_answered_with_inline_buttons(
    client: Client, fake: FakeTelegramApi, store: SqliteStore
) -> None:
    response = await post(client, fixture("text"))
    assert response.status == 200
    sent = fake.sent()
    assert sent, "the fake Bot API received no sendMessage"
    assert {message["chat_id"] for message in sent} == {CHAT}
    keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
    assert [button["callback_data"] for row in keyboard for button in row] == ["yes", "no"]
    assert all("reply_markup" not in message for message in sent[:-1])
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.asking == "consent"


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong-secret", 403), ("", 403)])
async def test_unsigned_or_forged_updates_are_refused_and_store_nothing(
    client: Client, fake: FakeTelegramApi, store: SqliteStore, secret: str | None, status: int
) -> None:
    response = await post(client, fixture("text"), secret=secret)
    assert response.status == status
    assert await store.load_conversation(CONVERSATION) is None
    assert fake.calls == []


async def test_a_duplicate_delivery_is_processed_once(
    client: Client, fake: FakeTelegramApi, store: SqliteStore
) -> None:
    await post(client, fixture("text"))
    answered = len(fake.sent())
    again = await post(client, fixture("text"))
    assert again.status == 200
    assert len(fake.sent()) == answered
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.asking == "consent"


async def test_messages_arriving_out_of_order_are_handled_in_order(
    aiohttp_client: ClientFactory,
    channel: TelegramChannel,
    fake: FakeTelegramApi,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
) -> None:
    app = make_app(channel, brain, clock, store, reorder=0.2)
    client = await aiohttp_client(app)
    first = fixture("text", update_id=200, date=1732600000)
    second = fixture("text", update_id=201, date=1732600005, text="oui", message_id=12)
    await post(client, second)  # the later message wins the race
    await post(client, first)
    await app[RUNTIME].inbox.drain()
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.consent is True
    assert state.asking == "prefecture"
    assert "habitez" in fake.sent()[-1]["text"]


async def test_a_button_tap_is_answered_and_read_as_the_option(
    client: Client, channel: TelegramChannel, fake: FakeTelegramApi, store: SqliteStore
) -> None:
    await post(client, fixture("text"))
    response = await post(client, fixture("callback"))
    assert response.status == 200
    await channel.drain()
    assert fake.sent("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.consent is True
    assert "habitez" in fake.sent()[-1]["text"]


async def test_a_shared_location_fills_the_prefecture(
    client: Client, channel: TelegramChannel, store: SqliteStore
) -> None:
    await post(client, fixture("text"))
    await post(client, fixture("callback"))
    await post(client, fixture("location"))
    await channel.drain()
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.prefecture == "75"


async def test_media_is_answered_but_edits_and_groups_are_ignored(
    client: Client, fake: FakeTelegramApi, store: SqliteStore
) -> None:
    for name in ("edited", "group_text"):
        response = await post(client, fixture(name))
        assert response.status == 200
    assert fake.calls == []
    assert await store.load_conversation(CONVERSATION) is None
    unparseable = await client.post(
        "/webhooks/telegram", data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert unparseable.status == 200
    await post(client, fixture("sticker"))
    assert fake.sent(), "a sticker gets the 'text only' answer"


def test_start_drops_the_deep_link_payload(channel: TelegramChannel) -> None:
    parsed = channel.convert(Update.model_validate(fixture("start")))
    assert isinstance(parsed, InboundMessage)
    assert parsed.text == "/start"
    assert parsed.message_id == "100000003"
    assert parsed.sender == Address(channel="telegram", recipient=CHAT)
    assert parsed.sent_at is not None and parsed.sent_at.timestamp() == 1732600100


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.json")))
async def test_the_webhook_reads_an_update_as_aiogram_would(channel: TelegramChannel, name: str) -> None:
    """The webhook's lean model and aiogram's `Update` (long polling) give the same message."""
    body = (FIXTURES / f"{name}.json").read_bytes()
    [lean] = channel.parse(None, body)  # type: ignore[arg-type]  # the request is not read
    await channel.drain()  # a tap's answerCallbackQuery
    full = channel.convert(Update.model_validate_json(body))
    if isinstance(full, InboundMessage) and full.option is not None:
        # A tap has no date of its own: each reading stamps the moment it is read.
        assert isinstance(lean, InboundMessage) and lean.sent_at is not None
        lean = lean.model_copy(update={"sent_at": full.sent_at})
    assert lean == full


MALFORMED: dict[str, Any] = {
    "a JSON array": [fixture("text")],
    "no update_id": {"message": fixture("text")["message"]},
    "an update_id that is not a number": {**fixture("text"), "update_id": "one"},
    "a message without its chat": {
        "update_id": 7,
        "message": {k: v for k, v in fixture("text")["message"].items() if k != "chat"},
    },
    "a chat id that is not a number": fixture("text", chat={"id": "abc", "type": "private"}),
    "a text that is not a string": fixture("text", text=42),
    "a message without a date": {
        "update_id": 7,
        "message": {k: v for k, v in fixture("text")["message"].items() if k != "date"},
    },
    "a location without its longitude": fixture("location", location={"latitude": 48.85}),
    "a tap without its sender": {
        "update_id": 8,
        "callback_query": {k: v for k, v in fixture("callback")["callback_query"].items() if k != "from"},
    },
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_a_malformed_update_is_acknowledged_ignored_and_stores_nothing(
    client: Client, channel: TelegramChannel, fake: FakeTelegramApi, store: SqliteStore, case: str
) -> None:
    payload = MALFORMED[case]
    with pytest.raises(ValidationError):
        Update.model_validate(payload)  # aiogram refuses it too
    assert channel.parse(None, json.dumps(payload).encode()) == [  # type: ignore[arg-type]
        Ignored("unparseable update")
    ]
    response = await post(client, payload)
    assert response.status == 200, "an authentic update is acknowledged, or Telegram retries it"
    await channel.drain()
    assert fake.calls == []
    assert await store.load_conversation(CONVERSATION) is None


async def test_a_long_text_is_split_and_the_buttons_follow_the_last_piece(
    channel: TelegramChannel, fake: FakeTelegramApi
) -> None:
    paragraph = "Une phrase assez longue sur les démarches en préfecture. " * 20
    text = "\n".join([paragraph] * 8)  # ~9,000 characters
    reply = Reply(text=text, options=(Option(id="yes", label="Oui"), Option(id="no", label="Non")))
    await channel.send(Address(channel="telegram", recipient=CHAT), [reply])
    sent = fake.sent()
    assert len(sent) == 3
    assert all(len(message["text"]) <= MAX_TEXT for message in sent)
    assert [("reply_markup" in message) for message in sent] == [False, False, True]
    assert " ".join(m["text"] for m in sent).split() == text.split()


async def test_a_429_is_honoured_then_retried(
    channel: TelegramChannel, fake: FakeTelegramApi, waits: list[float]
) -> None:
    fake.rate_limit(retry_after=3)
    await channel.send(Address(channel="telegram", recipient=CHAT), [Reply(text="Bonjour")])
    assert waits == [3.0]
    assert [m["text"] for m in fake.sent()] == ["Bonjour", "Bonjour"]


async def test_a_lasting_429_becomes_a_retryable_error(
    channel: TelegramChannel, fake: FakeTelegramApi, waits: list[float]
) -> None:
    fake.rate_limit(retry_after=3, times=10)
    with pytest.raises(ChannelSendError) as raised:
        await channel.send(Address(channel="telegram", recipient=CHAT), [Reply(text="Bonjour")])
    assert raised.value.retryable and raised.value.retry_after == 3.0
    assert len(fake.sent()) == channel.max_send_attempts
    assert waits == [3.0] * (channel.max_send_attempts - 1)


async def test_a_blocked_bot_gets_a_final_error(channel: TelegramChannel, fake: FakeTelegramApi) -> None:
    fake.block()
    with pytest.raises(ChannelSendError) as raised:
        await channel.send(Address(channel="telegram", recipient=CHAT), [Reply(text="Bonjour")])
    assert raised.value.retryable is False
    assert len(fake.sent()) == 1


async def test_long_polling_reads_updates_with_an_offset(
    channel: TelegramChannel, fake: FakeTelegramApi
) -> None:
    fake.push_update(fixture("text"))
    fake.push_update(fixture("callback"))
    received: list[InboundMessage] = []
    stop = asyncio.Event()

    async def accept(message: InboundMessage) -> bool:
        received.append(message)
        if len(received) == 2:
            stop.set()
        return True

    await asyncio.wait_for(channel.poll(accept, stop, timeout=1), timeout=10)
    assert [m.text for m in received] == ["Bonjour, je n'ai pas de rendez-vous", None]
    assert received[1].option == "yes"
    assert fake.calls[0].method == "deleteWebhook"
    assert fake.sent("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    assert fake.sent("getUpdates")[0].get("offset") is None


async def test_long_polling_confirms_what_it_read(channel: TelegramChannel, fake: FakeTelegramApi) -> None:
    fake.push_update(fixture("text"))
    stop = asyncio.Event()
    received: list[InboundMessage] = []

    async def accept(message: InboundMessage) -> bool:
        received.append(message)
        fake.push_update(fixture("location", update_id=100000009))
        return True

    async def stop_after_second() -> None:
        while len(received) < 2:
            await asyncio.sleep(0.01)
        stop.set()

    await asyncio.wait_for(asyncio.gather(channel.poll(accept, stop, timeout=1), stop_after_second()), 10)
    offsets = [call.get("offset") for call in fake.sent("getUpdates")]
    assert "100000002" in offsets  # the text (100000001) was confirmed
    assert received[1].location is not None
    assert len(received) == 2  # nothing read twice


async def test_register_webhook_sends_the_url_and_secret(
    api_base: str, http: aiohttp.ClientSession, fake: FakeTelegramApi
) -> None:
    settings = Settings(
        telegram_bot_token=SecretStr("123456:TEST-TOKEN"),
        telegram_webhook_secret=SecretStr(SECRET),
        telegram_api_base=api_base,
        public_url="https://triage.example.org/",
    )
    url = await register_webhook(settings, http)
    assert url == "https://triage.example.org/webhooks/telegram"
    [call] = fake.sent("setWebhook")
    assert call["url"] == url and call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]


async def test_the_set_webhook_command(api_base: str, fake: FakeTelegramApi, tmp_path: Path) -> None:
    """`triage telegram set-webhook`, as an operator runs it, against the fake Bot API."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": api_base,
    }

    async def triage(*args: str, **extra: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "telegram", "set-webhook", *args,
            env={**env, **extra}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, output.decode()

    code, output = await triage()
    assert code == 2 and "PUBLIC_URL" in output and fake.sent("setWebhook") == []
    code, output = await triage("--url", "https://triage.example.org")
    assert code == 0, output
    assert "https://triage.example.org/webhooks/telegram" in output
    [call] = fake.sent("setWebhook")
    assert call["secret_token"] == SECRET
    fake.fail("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
    code, output = await triage(PUBLIC_URL="http://insecure.example.org")
    assert code == 1 and "HTTPS url must be provided" in output


def test_from_settings_needs_a_token(http: aiohttp.ClientSession) -> None:
    assert TelegramChannel.from_settings(Settings(), http) is None
    settings = Settings(
        telegram_bot_token=SecretStr("123456:TEST-TOKEN"), telegram_webhook_secret=SecretStr(SECRET)
    )
    channel = TelegramChannel.from_settings(settings, http)
    assert channel is not None and channel.webhook_secret == SECRET
