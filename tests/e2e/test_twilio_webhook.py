"""Twilio SMS end to end over real HTTP: signed form POST in → engine → the fake REST API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import Brain
from bot.channels.base import ChannelSendError
from bot.channels.twilio import EMPTY_TWIML, TwilioChannel, twilio_signature
from bot.core.clock import FixedClock
from bot.core.messages import Address, Reply
from bot.server import RUNTIME
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore
from tests.e2e.apps import app_with_channel
from tests.fakes.twilio_api import FakeTwilioApi, SentMessage

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-for-tests"
BOT_NUMBER = "+33757000000"
PHONE = "+33612345678"
CONVERSATION = f"sms:{PHONE}"
# The public URL Twilio calls: not the test server's address (a proxy sits in between).
PUBLIC_URL = "https://triage.example.org/webhooks/twilio"

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


def inbound(body: str, sid: str, sender: str = PHONE) -> list[tuple[str, str]]:
    """Twilio's inbound parameters (protocols.md §3.6), in the order Twilio sends them."""
    return [
        ("ToCountry", "FR"),
        ("ToState", ""),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", "FR"),
        ("To", BOT_NUMBER),
        ("ToZip", ""),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]


@pytest.fixture
def fake() -> FakeTwilioApi:
    return FakeTwilioApi(ACCOUNT, TOKEN)


def make_channel(
    api_base: str, http: aiohttp.ClientSession, store: SqliteStore | None = None, **settings: Any
) -> TwilioChannel:
    """The channel from its settings, pointed at the fake API; `settings` override the defaults."""
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_from_number": BOT_NUMBER,
        "twilio_webhook_url": PUBLIC_URL,
        "twilio_api_base": api_base,
        **settings,
    }
    built = TwilioChannel.from_settings(Settings(**values), http, store=store)
    assert built is not None
    return built


@pytest.fixture
def channel(api_base: str, http: aiohttp.ClientSession) -> TwilioChannel:
    return make_channel(api_base, http)


def make_app(
    channel: TwilioChannel, brain: Brain, clock: FixedClock, store: SqliteStore, reorder: float = 0.0
) -> web.Application:
    return app_with_channel("twilio", channel, brain, clock, store, reorder)


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, channel: TwilioChannel, brain: Brain, clock: FixedClock, store: SqliteStore
) -> Client:
    return await aiohttp_client(make_app(channel, brain, clock, store))


@dataclass
class Recording:
    """A channel that keeps a record of each SMS in the store, and the app its reports reach."""

    channel: TwilioChannel
    client: Client


@pytest.fixture
async def recording(
    aiohttp_client: ClientFactory,
    api_base: str,
    http: aiohttp.ClientSession,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
) -> Recording:
    channel = make_channel(api_base, http, store)
    return Recording(channel, await aiohttp_client(make_app(channel, brain, clock, store)))


async def post(
    client: Client, params: list[tuple[str, str]], signature: str | None = "sign"
) -> aiohttp.ClientResponse:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        headers["X-Twilio-Signature"] = twilio_signature(TOKEN, PUBLIC_URL, params)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return await client.post("/webhooks/twilio", data=urlencode(params), headers=headers)


def test_the_signature_follows_twilios_documented_vectors() -> None:
    # twilio-python tests/unit/test_request_validator.py (protocols.md §3.6).
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", with_port, params) == "kvajT1Ptam85bY51eRf/AJRuM3w="
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert twilio_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


async def test_a_signed_sms_is_answered_through_the_rest_api(
    client: Client, fake: FakeTwilioApi, channel: TwilioChannel, store: SqliteStore
) -> None:
    response = await post(client, inbound("Bonjour, je n'ai pas de rendez-vous", "SM" + "a" * 32))
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert await response.text() == EMPTY_TWIML
    answers = fake.bodies_to(PHONE)
    assert answers, "the fake Twilio API received no message"
    assert len(answers) == len(channel.last_sent)
    answer = answers[-1]
    assert {message.from_ for message in fake.messages} == {BOT_NUMBER}
    assert answer.endswith("\n1 Oui\n2 Non")  # the consent question as a numbered menu
    assert "SUPPRIMER" in answer
    assert all(sms.encoding == "gsm7" for sms in channel.last_sent)  # the French SMS variants
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.channel == "sms"

    # "1" picks the first option of the menu.
    await post(client, inbound("1", "SM" + "b" * 32))
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.consent is True
    assert "habitez" in fake.bodies_to(PHONE)[-1]


async def test_a_signature_over_the_url_with_its_default_port_is_accepted(
    client: Client, fake: FakeTwilioApi
) -> None:
    params = inbound("Bonjour", "SM" + "c" * 32)
    signature = twilio_signature(TOKEN, "https://triage.example.org:443/webhooks/twilio", params)
    response = await post(client, params, signature=signature)
    assert response.status == 200
    assert fake.bodies_to(PHONE)


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, 401),
        ("", 401),
        ("RSOYDt4T1cUTdK1PDd93/VVr8B8=", 403),
        ("forged", 403),
    ],
)
async def test_unsigned_or_forged_requests_are_refused_and_store_nothing(
    client: Client, fake: FakeTwilioApi, store: SqliteStore, signature: str | None, status: int
) -> None:
    response = await post(client, inbound("Bonjour", "SM" + "d" * 32), signature=signature)
    assert response.status == status
    assert await store.load_conversation(CONVERSATION) is None
    assert fake.messages == []


async def test_a_signature_of_other_parameters_is_refused(client: Client, store: SqliteStore) -> None:
    signed = inbound("Bonjour", "SM" + "e" * 32)
    tampered = [(k, "+33699999999" if k == "From" else v) for k, v in signed]
    signature = twilio_signature(TOKEN, PUBLIC_URL, signed)
    response = await post(client, tampered, signature=signature)
    assert response.status == 403
    assert await store.load_conversation("sms:+33699999999") is None


async def test_a_duplicate_message_sid_is_processed_once(
    client: Client, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    params = inbound("Bonjour, je n'ai pas de rendez-vous", "SM" + "f" * 32)
    first = await post(client, params)
    sent = len(fake.bodies_to(PHONE))
    again = await post(client, params)
    assert (first.status, again.status) == (200, 200)
    assert sent > 0
    assert len(fake.bodies_to(PHONE)) == sent
    state = await store.load_conversation(CONVERSATION)
    assert state is not None
    assert state.processed_ids == ["SM" + "f" * 32]


async def test_messages_are_processed_in_arrival_order_not_by_sid(
    aiohttp_client: ClientFactory,
    channel: TwilioChannel,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
    fake: FakeTwilioApi,
) -> None:
    """Twilio sends no timestamp: within the reorder window, arrival order wins (SIDs are random;
    sorted by SID, the "1" would come before the opening and be read as a first message)."""
    app = make_app(channel, brain, clock, store, reorder=0.2)
    client = await aiohttp_client(app)
    await post(client, inbound("Bonjour, je n'ai pas de rendez-vous", "SMz" + "0" * 31))
    await post(client, inbound("1", "SMa" + "0" * 31))
    await app[RUNTIME].inbox.drain()
    state = await store.load_conversation(CONVERSATION)
    assert state is not None and state.slots.consent is True
    assert "habitez" in fake.bodies_to(PHONE)[-1]


async def test_supprimer_asks_for_confirmation_over_twilio(
    client: Client, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    await post(client, inbound("Bonjour, je n'ai pas de rendez-vous", "SM" + "1" * 32))
    await post(client, inbound("SUPPRIMER", "SM" + "2" * 32))
    assert "effacer" in fake.bodies_to(PHONE)[-1]
    await post(client, inbound("OUI", "SM" + "3" * 32))
    state = await store.load_conversation(CONVERSATION)
    assert state is None or state.slots.consent is not True


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        ("STOP", []),  # Twilio's default opt-out keyword
        ("  stop ", []),
        ("ARRET", [("OptOutType", "STOP")]),  # a keyword of the service's Advanced Opt-Out
    ],
)
async def test_twilio_unsubscribing_erases_at_once_and_sends_nothing(
    client: Client, fake: FakeTwilioApi, store: SqliteStore, body: str, extra: list[tuple[str, str]]
) -> None:
    await post(client, inbound("Bonjour, je n'ai pas de rendez-vous", "SM" + "1" * 32))
    await post(client, inbound("1", "SM" + "2" * 32))
    assert await store.load_conversation(CONVERSATION) is not None
    sent_before = len(fake.messages)
    response = await post(client, [*inbound(body, "SM" + "3" * 32), *extra])
    assert response.status == 200
    assert await store.load_conversation(CONVERSATION) is None
    assert len(fake.messages) == sent_before  # Twilio would refuse it (21610): nothing is tried


async def test_stop_with_an_advanced_opt_out_type_other_than_stop_is_an_ordinary_message(
    client: Client, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    await post(client, inbound("Bonjour, je n'ai pas de rendez-vous", "SM" + "1" * 32))
    await post(client, [*inbound("STOP", "SM" + "2" * 32), ("OptOutType", "HELP")])
    assert await store.load_conversation(CONVERSATION) is not None
    assert "effacer" in fake.bodies_to(PHONE)[-1]  # the engine's own STOP: with confirmation


async def test_a_photo_without_words_gets_the_only_text_answer(
    client: Client, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    params = [
        (k, "" if k == "Body" else ("1" if k == "NumMedia" else v)) for k, v in inbound("", "SM" + "4" * 32)
    ]
    response = await post(client, params)
    assert response.status == 200
    assert await response.text() == EMPTY_TWIML
    assert any("texte" in body for body in fake.bodies_to(PHONE)), fake.bodies_to(PHONE)


async def test_an_unsubscribed_recipient_is_a_final_error(
    channel: TwilioChannel, fake: FakeTwilioApi
) -> None:
    fake.unsubscribed.add(PHONE)
    with pytest.raises(ChannelSendError) as error:
        await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    assert error.value.retryable is False
    assert "21610" in str(error.value)
    assert fake.messages == []


async def test_rate_limiting_is_retryable_with_its_delay(channel: TwilioChannel, fake: FakeTwilioApi) -> None:
    fake.rate_limited = 1
    with pytest.raises(ChannelSendError) as error:
        await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    assert error.value.retryable is True
    assert error.value.retry_after == 2.0
    await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    assert fake.bodies_to(PHONE) == ["Bonjour"]


async def test_a_wrong_auth_token_is_a_final_error(api_base: str, http: aiohttp.ClientSession) -> None:
    wrong = TwilioChannel(
        account_sid=ACCOUNT,
        auth_token="not-the-token",
        from_number=BOT_NUMBER,
        webhook_url=PUBLIC_URL,
        http=http,
        api_base=api_base,
    )
    with pytest.raises(ChannelSendError) as error:
        await wrong.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    assert error.value.retryable is False


def status_callback(sid: str, status: str, error: str | None = None) -> list[tuple[str, str]]:
    """Twilio's status callback parameters for an outbound SMS (Twilio docs, "Outbound Message
    Status in Status Callbacks"); ErrorCode only when it failed or was undelivered."""
    params = [
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", PHONE),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", BOT_NUMBER),
        ("ApiVersion", "2010-04-01"),
    ]
    return [*params, ("ErrorCode", error)] if error else params


async def post_status(
    client: Client, callback_url: str, params: list[tuple[str, str]], sign: bool = True
) -> int:
    """POST a status callback to the path and query of `callback_url`, signed over the whole URL."""
    query = callback_url.partition("?")[2]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = twilio_signature(TOKEN, callback_url, params)
    response = await client.post(f"/webhooks/twilio?{query}", data=urlencode(params), headers=headers)
    return response.status


async def test_twilio_reports_whether_each_sms_was_delivered(
    recording: Recording, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    channel, client = recording.channel, recording.client
    address = Address(channel="twilio", recipient=PHONE)
    await channel.send(address, [Reply(text="Bonjour")])
    await channel.send(address, [Reply(text="Au revoir")])
    first, second = fake.messages
    first_sms, second_sms = channel.ledger.sent
    # Each SMS asks for its own report, on the public URL, with only the record's reference.
    assert first.status_callback == f"{PUBLIC_URL}?dlr={first_sms.reference}"
    assert second.status_callback == f"{PUBLIC_URL}?dlr={second_sms.reference}"
    assert PHONE not in first.status_callback

    # Unsigned: refused, nothing changes.
    assert (
        await post_status(client, first.status_callback, status_callback("SM1", "delivered"), sign=False)
        == 401
    )
    assert await post_status(client, first.status_callback, status_callback("SM1", "sent")) == 200
    assert await post_status(client, first.status_callback, status_callback("SM1", "delivered")) == 200
    assert (
        await post_status(client, second.status_callback, status_callback("SM2", "undelivered", "30003"))
        == 200
    )
    # A stale "sent" after "delivered" changes nothing; statuses that say nothing are ignored.
    assert await post_status(client, first.status_callback, status_callback("SM1", "sent")) == 200
    assert await post_status(client, second.status_callback, status_callback("SM2", "sending")) == 200
    assert first_sms.reference is not None and second_sms.reference is not None
    delivered = await store.get_record("sms_sent", first_sms.reference)
    failed = await store.get_record("sms_sent", second_sms.reference)
    assert delivered is not None and delivered["status"] == "delivered"
    assert failed is not None and failed["status"] == "failed" and failed["detail"] == "error 30003"
    # A report for a reference we never sent stores nothing.
    unknown = f"{PUBLIC_URL}?dlr=20261206T000000-0123456789ab"
    assert await post_status(client, unknown, status_callback("SM3", "delivered")) == 200
    assert len(await store.list_records("sms_sent")) == 2
    assert await store.load_conversation(CONVERSATION) is None  # a report is no message


async def test_a_report_that_comes_before_the_api_answers_is_kept(
    recording: Recording, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    """The record is written before the SMS goes: a report that found none was lost (seen with
    Kannel's fake SMSC, whose delivery report can beat sendsms's answer), and with it a failure
    the volunteer had to hear of."""
    channel, client = recording.channel, recording.client
    answers: list[int] = []

    async def report_at_once(message: SentMessage) -> None:
        params = status_callback("SM1", "undelivered", "30003")
        answers.append(await post_status(client, message.status_callback, params))

    fake.before_answer = report_at_once
    await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    (sms,) = channel.ledger.sent
    assert answers == [200]
    assert sms.reference is not None
    record = await store.get_record("sms_sent", sms.reference)
    assert record is not None and record["status"] == "failed" and record["detail"] == "error 30003"


async def test_an_sms_the_api_refused_leaves_no_record(
    fake: FakeTwilioApi, api_base: str, http: aiohttp.ClientSession, store: SqliteStore
) -> None:
    channel = make_channel(api_base, http, store)
    fake.unsubscribed.add(PHONE)
    with pytest.raises(ChannelSendError):
        await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    assert await store.list_records("sms_sent") == []
    assert channel.ledger.sent == []


async def test_status_callbacks_can_be_turned_off(
    api_base: str, http: aiohttp.ClientSession, fake: FakeTwilioApi
) -> None:
    channel = make_channel(api_base, http, twilio_status_callbacks=False)
    await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    assert [message.status_callback for message in fake.messages] == [""]


def test_twilio_is_disabled_without_its_settings(http: aiohttp.ClientSession) -> None:
    assert TwilioChannel.from_settings(Settings(), http) is None
    partial = Settings(twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN)
    assert TwilioChannel.from_settings(partial, http) is None


async def test_a_status_callback_without_our_reference_is_no_message(
    client: Client, fake: FakeTwilioApi, store: SqliteStore
) -> None:
    """Set on the Messaging Service, or from before TWILIO_STATUS_CALLBACKS was turned off: its
    From is our own number; answering it would be the bot texting itself, for a fee."""
    for status in ("sent", "delivered", "undelivered"):
        response = await post(client, status_callback("SM" + "7" * 32, status, "30003"))
        assert response.status == 200
    assert fake.messages == []
    assert await store.load_conversation(f"sms:{BOT_NUMBER}") is None


async def test_status_callbacks_verify_when_the_public_url_has_a_query(
    aiohttp_client: ClientFactory,
    fake: FakeTwilioApi,
    api_base: str,
    http: aiohttp.ClientSession,
    brain: Brain,
    clock: FixedClock,
    store: SqliteStore,
) -> None:
    public = f"{PUBLIC_URL}?site=lyon"
    channel = make_channel(api_base, http, store, twilio_webhook_url=public)
    client = await aiohttp_client(make_app(channel, brain, clock, store))
    await channel.send(Address(channel="twilio", recipient=PHONE), [Reply(text="Bonjour")])
    [message] = fake.messages
    assert message.status_callback.startswith(f"{public}&dlr=")
    assert await post_status(client, message.status_callback, status_callback("SM1", "delivered")) == 200
    [sms] = channel.ledger.sent
    assert sms.reference is not None
    assert (await store.get_record("sms_sent", sms.reference) or {}).get("status") == "delivered"
