"""WhatsApp end to end over real HTTP: signed webhook in → engine → the fake Cloud API receives the answer."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import Brain
from bot.channels.base import ChannelSendError
from bot.channels.whatsapp import MAX_TEXT, SENT_KIND, WINDOW_KIND, WhatsAppChannel, sent_key, signature
from bot.core.clock import FixedClock
from bot.core.messages import Address, Reply
from bot.server import RUNTIME
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.e2e.apps import app_with_channel
from tests.fakes.whatsapp_api import FakeWhatsAppApi
from tests.test_engine import FULL_FRENCH

FIXTURES = Path(__file__).parent.parent / "fixtures" / "whatsapp"
APP_SECRET = "test_app_secret"
VERIFY_TOKEN = "meatyhamhock"
NUMBER = "33639980001"  # fictional (ARCEP range reserved for fiction)
CONVERSATION = f"whatsapp:{NUMBER}"
ADDRESS = Address(channel="whatsapp", recipient=NUMBER)

Client = TestClient[web.Request, web.Application]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


def payload(
    name: str, *, age: dt.timedelta = dt.timedelta(seconds=30), now: dt.datetime, **changes: Any
) -> bytes:
    """A fixture as Meta would post it, its timestamps set to `now - age` (and message fields changed)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    value = data["entry"][0]["changes"][0]["value"]
    for item in value.get("messages", []) + value.get("statuses", []):
        item["timestamp"] = str(int((now - age).timestamp()))
        for key, new in changes.items():
            if key == "body":
                item["text"]["body"] = new
            else:
                item[key] = new
    # Meta escapes non-ASCII characters; the signature covers these exact bytes.
    return json.dumps(data).encode()


@pytest.fixture
def fake() -> FakeWhatsAppApi:
    return FakeWhatsAppApi()


@pytest.fixture
async def api_base(fake: FakeWhatsAppApi, aiohttp_server: ServerFactory) -> str:
    """The Graph API version is part of the base URL."""
    server = await aiohttp_server(fake.app)
    return str(server.make_url(f"/{fake.version}"))


def make_channel(
    api_base: str,
    http: aiohttp.ClientSession,
    store: SqliteStore,
    clock: FixedClock,
    templates: dict[str, str] | None = None,
) -> WhatsAppChannel:
    return WhatsAppChannel(
        token="TEST-WA-TOKEN",
        app_secret=APP_SECRET,
        phone_number_id="1122334455667",
        http=http,
        api_base=api_base,
        verify_token=VERIFY_TOKEN,
        templates=templates,
        store=store,
        clock=clock,
    )


@pytest.fixture
def channel(
    api_base: str, http: aiohttp.ClientSession, store: SqliteStore, clock: FixedClock
) -> WhatsAppChannel:
    return make_channel(api_base, http, store, clock)


def make_app(
    channel: WhatsAppChannel, brain: Brain, clock: FixedClock, store: SqliteStore, reorder: float = 0.0
) -> web.Application:
    return app_with_channel("whatsapp", channel, brain, clock, store, reorder)


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory,
    channel: WhatsAppChannel,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
) -> Client:
    return await aiohttp_client(make_app(channel, brain, clock, store))


async def post(client: Client, body: bytes, sign: str | None = APP_SECRET) -> aiohttp.ClientResponse:
    headers = {"Content-Type": "application/json"}
    if sign is not None:
        headers["X-Hub-Signature-256"] = signature(sign, body)
    return await client.post("/webhooks/whatsapp", data=body, headers=headers)


def test_signature_matches_the_documented_vector() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    expected = "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756"
    assert signature("test_app_secret", body) == expected


async def test_a_text_message_is_answered_with_reply_buttons(
    client: Client, fake: FakeWhatsAppApi, store: SqliteStore, clock: FixedClock
) -> None:
    response = await post(client, payload("text", now=clock.now()))
    assert response.status == 200
    assert fake.messages, "the fake Cloud API received nothing"
    assert {m["to"] for m in fake.messages} == {NUMBER}
    last = fake.messages[-1]
    assert last["type"] == "interactive" and last["interactive"]["type"] == "button"
    buttons = last["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["yes", "no"]
    assert all(len(b["reply"]["title"]) <= 20 for b in buttons)
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.asking == "consent"


async def test_four_options_come_as_a_list(client: Client, fake: FakeWhatsAppApi, clock: FixedClock) -> None:
    await post(client, payload("text", now=clock.now(), body="/start"))
    last = fake.messages[-1]
    assert last["interactive"]["type"] == "list"
    rows = [row for section in last["interactive"]["action"]["sections"] for row in section["rows"]]
    assert [row["id"] for row in rows] == ["fr", "en", "ar", "es"]


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("forged_secret", 403)])
async def test_unsigned_or_forged_webhooks_are_refused_and_store_nothing(
    client: Client,
    fake: FakeWhatsAppApi,
    store: SqliteStore,
    clock: FixedClock,
    secret: str | None,
    status: int,
) -> None:
    response = await post(client, payload("text", now=clock.now()), sign=secret)
    assert response.status == status
    assert await store.load_conversation(CONVERSATION) is None
    assert fake.messages == []


async def test_a_signature_of_other_bytes_is_refused(
    client: Client, store: SqliteStore, clock: FixedClock
) -> None:
    body = payload("text", now=clock.now())
    response = await client.post(
        "/webhooks/whatsapp",
        data=body.replace(b"Bonjour", b"Bonsoir"),
        headers={"X-Hub-Signature-256": signature(APP_SECRET, body)},
    )
    assert response.status == 403
    assert await store.load_conversation(CONVERSATION) is None


async def test_a_duplicate_delivery_is_processed_once(
    client: Client, fake: FakeWhatsAppApi, clock: FixedClock
) -> None:
    body = payload("text", now=clock.now())
    await post(client, body)
    answered = len(fake.messages)
    again = await post(client, body)
    assert again.status == 200
    assert len(fake.messages) == answered


async def test_messages_arriving_out_of_order_are_handled_in_order(
    aiohttp_client: ClientFactory,
    channel: WhatsAppChannel,
    fake: FakeWhatsAppApi,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
) -> None:
    app = make_app(channel, brain, clock, store, reorder=0.2)
    client = await aiohttp_client(app)
    now = clock.now()
    later = payload("text", now=now, age=dt.timedelta(seconds=10), body="oui", id="wamid.TEXT0002")
    earlier = payload("text", now=now, age=dt.timedelta(seconds=20))
    await post(client, later)
    await post(client, earlier)
    await app[RUNTIME].inbox.drain()
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.consent is True
    assert "habitez" in fake.messages[-1]["text"]["body"]


async def test_button_reply_then_location_fill_consent_and_prefecture(
    client: Client, fake: FakeWhatsAppApi, store: SqliteStore, clock: FixedClock
) -> None:
    now = clock.now()
    await post(client, payload("text", now=now, age=dt.timedelta(seconds=30)))
    await post(client, payload("button_reply", now=now, age=dt.timedelta(seconds=20)))
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.consent is True
    await post(client, payload("location", now=now, age=dt.timedelta(seconds=10)))
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.prefecture == "75"


async def test_a_list_reply_is_read_as_the_option(
    client: Client, fake: FakeWhatsAppApi, store: SqliteStore, clock: FixedClock
) -> None:
    now = clock.now()
    await post(client, payload("text", now=now, body="/start", age=dt.timedelta(seconds=30)))
    list_reply = payload("list_reply", now=now, age=dt.timedelta(seconds=20))
    await post(client, list_reply.replace(b'"recepisse"', b'"en"'))
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.language == "en"


async def test_statuses_are_ignored_and_failures_logged_without_the_number(
    client: Client,
    fake: FakeWhatsAppApi,
    channel: WhatsAppChannel,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await post(client, payload("text", now=clock.now()))
    sent = len(fake.messages)
    assert await channel.window_open(NUMBER)
    with caplog.at_level(logging.INFO):
        for name in ("status_sent", "status_failed"):
            response = await post(client, payload(name, now=clock.now()))
            assert response.status == 200
    await channel.drain()
    assert len(fake.messages) == sent
    assert "131047" in caplog.text
    assert NUMBER not in caplog.text
    assert not await channel.window_open(NUMBER)  # Meta said the window is closed


async def test_unsupported_types_get_the_text_only_answer(
    client: Client, fake: FakeWhatsAppApi, clock: FixedClock
) -> None:
    response = await post(client, payload("unsupported", now=clock.now()))
    assert response.status == 200
    assert fake.messages
    unparseable = b"{not json"
    assert (await post(client, unparseable)).status == 200


async def test_verification_handshake(client: Client) -> None:
    good = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
    response = await client.get("/webhooks/whatsapp", params=good)
    assert response.status == 200
    assert await response.text() == "1158201444"
    for bad in ({**good, "hub.verify_token": "nope"}, {**good, "hub.mode": "unsubscribe"}, {}):
        refused = await client.get("/webhooks/whatsapp", params=bad)
        assert refused.status == 403


async def test_the_window_is_remembered_in_the_store_under_a_hash(
    client: Client,
    channel: WhatsAppChannel,
    store: SqliteStore,
    clock: FixedClock,
    api_base: str,
    http: aiohttp.ClientSession,
) -> None:
    await post(client, payload("text", now=clock.now(), age=dt.timedelta(hours=2)))
    await channel.drain()
    key = channel.window_key(NUMBER)
    assert NUMBER not in key
    record = await store.get_record(WINDOW_KIND, key)
    assert record is not None
    assert NUMBER not in json.dumps(record)
    restarted = make_channel(api_base, http, store, clock)
    assert await restarted.window_open(NUMBER)
    clock.advance(dt.timedelta(hours=23))
    assert not await restarted.window_open(NUMBER)


async def test_outside_the_window_without_a_template_the_send_fails_for_good(
    client: Client, channel: WhatsAppChannel, fake: FakeWhatsAppApi, clock: FixedClock
) -> None:
    with pytest.raises(ChannelSendError, match="window closed") as never_wrote:
        await channel.send(ADDRESS, [Reply(text="Un bénévole a accepté votre dossier.")])
    assert never_wrote.value.retryable is False
    await post(client, payload("text", now=clock.now(), age=dt.timedelta(hours=25)))
    sent = len(fake.messages)
    assert sent == 0  # the answer itself was outside the window
    with pytest.raises(ChannelSendError, match="window closed"):
        await channel.send(ADDRESS, [Reply(text="Un bénévole a accepté votre dossier.")])
    assert fake.messages == []


async def test_outside_the_window_the_followup_template_is_sent(
    api_base: str, http: aiohttp.ClientSession, store: SqliteStore, clock: FixedClock, fake: FakeWhatsAppApi
) -> None:
    channel = make_channel(
        api_base, http, store, clock, templates={"followup": "case_followup:fr", "news": "x"}
    )
    await channel.send(ADDRESS, [Reply(text="Un bénévole a accepté votre dossier.")])
    [message] = fake.messages
    assert message["type"] == "template"
    assert message["template"] == {"name": "case_followup", "language": {"code": "fr"}}
    await channel.send_template(ADDRESS, "news", ["Amina"])
    assert fake.messages[-1]["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Amina"}]
    with pytest.raises(ChannelSendError):
        await channel.send_template(ADDRESS, "unknown")


async def test_inside_the_window_a_long_text_is_split(
    client: Client, channel: WhatsAppChannel, fake: FakeWhatsAppApi, clock: FixedClock
) -> None:
    await post(client, payload("text", now=clock.now()))
    fake.messages.clear()
    text = "\n".join(["Une ligne d'explication sur le référé mesures utiles. " * 10] * 20)  # ~11,000 chars
    await channel.send(ADDRESS, [Reply(text=text)])
    assert len(fake.messages) == 3
    assert all(m["type"] == "text" and len(m["text"]["body"]) <= MAX_TEXT for m in fake.messages)
    assert " ".join(m["text"]["body"] for m in fake.messages).split() == text.split()


@pytest.mark.parametrize(
    ("code", "retryable", "retry_after"),
    [(131047, False, None), (131026, False, None), (131056, True, 6.0), (190, False, None)],
)
async def test_send_errors_map_to_channel_errors(
    client: Client,
    channel: WhatsAppChannel,
    fake: FakeWhatsAppApi,
    clock: FixedClock,
    code: int,
    retryable: bool,
    retry_after: float | None,
) -> None:
    await post(client, payload("text", now=clock.now()))
    fake.fail_next(code)
    with pytest.raises(ChannelSendError) as raised:
        await channel.send(ADDRESS, [Reply(text="Bonjour")])
    assert raised.value.retryable is retryable
    assert raised.value.retry_after == retry_after
    assert await channel.window_open(NUMBER) is (code != 131047)


def test_from_settings_needs_token_secret_and_number(http: aiohttp.ClientSession, store: SqliteStore) -> None:
    assert WhatsAppChannel.from_settings(Settings(), http) is None
    settings = Settings(
        whatsapp_token=SecretStr("t"),
        whatsapp_app_secret=SecretStr("s"),
        whatsapp_phone_number_id="1122334455667",
        whatsapp_templates={"followup": "case_followup"},
    )
    channel = WhatsAppChannel.from_settings(settings, http, store=store)
    assert channel is not None and channel.store is store
    assert channel.url.endswith("/v21.0/1122334455667/messages")


async def test_erasing_forgets_the_window_record_and_still_confirms_in_the_window(
    client: Client,
    channel: WhatsAppChannel,
    fake: FakeWhatsAppApi,
    store: SqliteStore,
    clock: FixedClock,
    api_base: str,
    http: aiohttp.ClientSession,
) -> None:
    await post(client, payload("text", now=clock.now()))
    await post(client, payload("text", now=clock.now(), id="wamid.erase-1", body="SUPPRIMER"))
    await post(client, payload("text", now=clock.now(), id="wamid.erase-2", body="oui"))
    await channel.drain()
    assert await store.load_conversation(CONVERSATION) is None
    # The record saying when this number last wrote is gone with the rest...
    assert await store.get_record(WINDOW_KIND, channel.window_key(NUMBER)) is None
    assert not await make_channel(api_base, http, store, clock).window_open(NUMBER)
    # ...and "everything is erased" still went out as a free-form text inside the window.
    last = fake.messages[-1]
    assert last["type"] == "text" and "effac" in last["text"]["body"].lower()


async def test_a_message_about_a_case_that_fails_is_recorded_on_the_case(
    client: Client, fake: FakeWhatsAppApi, channel: WhatsAppChannel, store: SqliteStore, clock: FixedClock
) -> None:
    """A volunteer of the demo roster accepts from WhatsApp; the news to the person is accepted by
    Meta, then reported failed: the desk hears of it (the case's delivery record, and a notice to
    the volunteer). A message delivered leaves nothing behind."""
    answers = FULL_FRENCH  # the engine tests' whole triage, a P1 case in Bobigny
    number = 0

    async def say(text: str, sender: str = NUMBER) -> None:
        nonlocal number
        number += 1
        body = payload("text", now=clock.now(), body=text, id=f"wamid.IN{number:04d}", **{"from": sender})
        assert (await post(client, body)).status == 200

    await say("Bonjour, je n'ai pas de rendez-vous")
    for _ in range(20):
        state = await store.load_conversation(CONVERSATION)
        assert state is not None
        if state.status != "active" or state.asking is None:
            break
        await say(answers.get(state.asking, "/skip"))
    (case,) = await store.cases_for_conversation(CONVERSATION)
    assert case.status == "offered" and case.offers[-1].volunteer_id == "demo-93-01"

    before = len(fake.messages)
    await say(f"OUI {case.id}", sender="33600000005")  # Démo Emma, from WhatsApp
    accepted = await store.get_case(case.id)
    assert accepted is not None and accepted.status == "accepted"
    news = [m for m in fake.messages[before:] if m["to"] == NUMBER]
    assert news and "Démo Emma" in json.dumps(news, ensure_ascii=False)
    wamids = [f"wamid.FAKE{i:06d}" for i in range(before + 1, len(fake.messages) + 1)]
    recorded = [w for w in wamids if await store.get_record(SENT_KIND, sent_key(w))]
    assert len(recorded) == len(news)  # only the messages about the case, to the person
    record = await store.get_record(SENT_KIND, sent_key(recorded[0]))
    assert record == {"case_id": case.id, "sent_at": clock.now().isoformat()}  # the time, for the purge

    await post(client, payload("status_failed", now=clock.now(), id=recorded[0]))
    await channel.drain()
    failed = await store.get_case(case.id)
    assert failed is not None and [(d["channel"], d["ok"]) for d in failed.deliveries] == [
        ("whatsapp", False)
    ]
    assert await store.get_record(SENT_KIND, sent_key(recorded[0])) is None
    # Reported again, or delivered: nothing more.
    await post(client, payload("status_failed", now=clock.now(), id=recorded[0]))
    await channel.drain()
    for other in recorded[1:]:
        await post(client, payload("status_sent", now=clock.now(), id=other, status="delivered"))
    await channel.drain()
    final = await store.get_case(case.id)
    assert final is not None and len(final.deliveries) == 1
    assert await store.list_records(SENT_KIND) == []
