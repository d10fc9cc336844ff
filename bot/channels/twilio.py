"""SMS through Twilio Programmable Messaging: a signed form POST in, the REST API out.

Inbound: Twilio posts `application/x-www-form-urlencoded` parameters (`MessageSid`, `From`,
`Body`, ...) signed in `X-Twilio-Signature`: Base64(HMAC-SHA1(auth token, URL + every parameter's
name and value, sorted by name)). The URL is the public one Twilio called (`TWILIO_WEBHOOK_URL`),
not the one a proxy hands us. We acknowledge with an empty TwiML `<Response/>`: the bot answers
later through `POST /2010-04-01/Accounts/<sid>/Messages.json`.

Twilio gives no send time with an inbound message, so messages of one person are ordered as they
arrive (not by `MessageSid`, which is random).

Delivery reports (`TWILIO_STATUS_CALLBACKS`, on by default): each SMS is sent with a
`StatusCallback` to this webhook's URL plus `?dlr=<reference of its ledger record>`; Twilio posts
the `MessageStatus` there, signed like an inbound message (the signature covers the query).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp
from aiohttp import hdrs, web

from bot.channels.base import (
    ChannelSendError,
    DeliveryReport,
    DeliveryStatus,
    Ignored,
    Parsed,
    Unauthorized,
    same_secret,
)
from bot.channels.sms import REPORT_PARAM, SentSms, SmsLedger, render_sms, sms_conversation_id
from bot.core.clock import Clock
from bot.core.messages import SMS_CHANNEL, Address, InboundMessage, Reply
from bot.core.ports import RecordStore
from bot.settings import Settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_BODY_CHARS = 1600  # Twilio's limit for one outbound message
UNSUBSCRIBED = 21610  # the person sent STOP: Twilio refuses every message until START
# Twilio's default opt-out keywords: a message that is only one of them unsubscribes the person.
# With Advanced Opt-Out the webhook carries OptOutType instead, which then decides alone.
TWILIO_OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
DEFAULT_PORTS = {"https": 443, "http": 80}
# MessageStatus values that say something final or useful; queued, sending, accepted... do not.
DELIVERY_STATUSES: dict[str, DeliveryStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's `X-Twilio-Signature` for a form POST to `url` with these parameters."""
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, without and with its default port: Twilio's SDK accepts all three."""
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme)
    if default is None or parts.port not in (None, default):
        return [url]
    userinfo, _, _ = parts.netloc.rpartition("@")
    prefix = f"{userinfo}@" if userinfo else ""
    host = parts.hostname or ""
    without = urlunsplit(parts._replace(netloc=prefix + host))
    with_port = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}"))
    return list(dict.fromkeys([url, without, with_port]))


class TwilioChannel:
    """The `Channel` for Twilio SMS."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        webhook_url: str,
        http: aiohttp.ClientSession,
        api_base: str = "https://api.twilio.com",
        records: RecordStore | None = None,
        clock: Clock | None = None,
        wall_time: Callable[[], float] = time.time,
        status_callbacks: bool = True,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.webhook_url = webhook_url
        self.http = http
        self.messages_url = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.ledger = SmsLedger(self.name, records, clock)
        self.wall_time = wall_time
        self.status_callbacks = status_callbacks

    @classmethod
    def from_settings(
        cls, settings: Settings, http: aiohttp.ClientSession, *, store: RecordStore | None = None
    ) -> TwilioChannel | None:
        """The channel, or None when its settings are absent; `store` keeps the SMS ledger."""
        if not settings.twilio_account_sid and settings.twilio_auth_token is None:
            return None
        if (
            not settings.twilio_account_sid
            or settings.twilio_auth_token is None
            or not settings.twilio_auth_token.get_secret_value()
            or not settings.twilio_from_number
            or not settings.twilio_webhook_url
        ):
            logger.warning(
                "Twilio disabled: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER "
                "and TWILIO_WEBHOOK_URL together"
            )
            return None
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            from_number=settings.twilio_from_number,
            webhook_url=settings.twilio_webhook_url,
            http=http,
            api_base=settings.twilio_api_base,
            records=store,
            status_callbacks=settings.twilio_status_callbacks,
        )

    @property
    def last_sent(self) -> list[SentSms]:
        """Encoding and segments of each SMS of the latest `send` (tests, benchmarks)."""
        return list(self.ledger.last_sent)

    # -- inbound ---------------------------------------------------------------------------------

    def _signed_url(self, request: web.Request) -> str:
        """The public URL Twilio called: the configured one with the query it was called with
        (a status callback adds `dlr=` to a URL that may already have a query)."""
        if not request.query_string:
            return self.webhook_url
        return f"{self.webhook_url.partition('?')[0]}?{request.query_string}"

    async def verify(self, request: web.Request, body: bytes) -> None:
        given = request.headers.get(SIGNATURE_HEADER)
        if not given:
            raise Unauthorized("no X-Twilio-Signature", status=401)
        params = _form(body)
        for url in _url_variants(self._signed_url(request)):
            expected = twilio_signature(self.auth_token, url, params)
            if same_secret(given, expected):
                return
        raise Unauthorized("wrong X-Twilio-Signature", status=403)

    def parse(self, request: web.Request, body: bytes) -> Sequence[Parsed]:
        params = dict(_form(body))
        reference = request.query.get(REPORT_PARAM)
        if reference is not None:
            status = DELIVERY_STATUSES.get(params.get("MessageStatus", ""))
            if status is None:
                return [Ignored(f"Twilio status {params.get('MessageStatus', '')[:20]!r}")]
            code = params.get("ErrorCode", "")
            return [
                DeliveryReport(reference=reference, status=status, detail=f"error {code}" if code else "")
            ]
        if "MessageStatus" in params or params.get("SmsStatus", "received") != "received":
            # A status callback we did not ask for (set on the Messaging Service, or from before
            # TWILIO_STATUS_CALLBACKS was turned off): its From is our own number, not a person.
            return [Ignored("Twilio status callback without our reference")]
        sid, sender = params.get("MessageSid", ""), params.get("From", "")
        if not sid or not sender:
            return [Ignored("Twilio call without MessageSid or From (a status callback?)")]
        # A photo without words (MMS) is still a person writing: the engine answers that it reads
        # only text (a photo of a residence card is the likely one; it is not fetched).
        text = params.get("Body", "")
        # Twilio answers its opt-out keywords itself and then refuses every message to the person
        # (error 21610), so the bot's confirmation could never arrive: see `unsubscribed`.
        unsubscribed = params.get("OptOutType", "").upper() == "STOP" or (
            "OptOutType" not in params and text.strip().upper() in TWILIO_OPT_OUT_KEYWORDS
        )
        return [
            InboundMessage(
                conversation_id=sms_conversation_id(sender),
                channel=SMS_CHANNEL,
                text=text,  # as typed: "STOP", "SUPPRIMER" and menu numbers are the engine's to read
                message_id=sid,
                sender=Address(channel=self.name, recipient=sender),
                # No send time from Twilio: the arrival time keeps arrival order.
                sent_at=dt.datetime.fromtimestamp(self.wall_time(), tz=dt.UTC),
                unsubscribed=unsubscribed,
            )
        ]

    def acknowledge(self) -> web.Response:
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def verification(self, request: web.Request) -> web.Response:
        raise web.HTTPMethodNotAllowed("GET", ["POST"])

    # -- outbound --------------------------------------------------------------------------------

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        async def send_one(text: str, reference: str) -> None:
            await self._send_one(address.recipient, text, reference)

        await self.ledger.send_each(render_sms(replies, max_chars=MAX_BODY_CHARS), send_one, replies)

    async def record_delivery(self, report: DeliveryReport) -> bool:
        return await self.ledger.record_delivery(report)

    async def _send_one(self, recipient: str, text: str, reference: str | None = None) -> None:
        form = {"To": recipient, "From": self.from_number, "Body": text}
        if self.status_callbacks and reference:
            form["StatusCallback"] = SmsLedger.report_url(self.webhook_url, reference)
        headers = {hdrs.AUTHORIZATION: aiohttp.encode_basic_auth(self.account_sid, self.auth_token)}
        try:
            async with self.http.post(self.messages_url, data=form, headers=headers) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                payload = await _json_or_empty(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelSendError(f"Twilio unreachable: {type(exc).__name__}", retryable=True) from exc
        if 200 <= status < 300:
            return
        code = payload.get("code")
        reason = f"Twilio {status} (error {code})"
        if code == UNSUBSCRIBED:
            raise ChannelSendError(f"{reason}: the person unsubscribed (STOP)", retryable=False)
        if status == 429 or status >= 500:
            raise ChannelSendError(reason, retryable=True, retry_after=_seconds(retry_after))
        raise ChannelSendError(reason, retryable=False)


def _form(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


async def _json_or_empty(response: aiohttp.ClientResponse) -> dict[str, object]:
    try:
        payload = await response.json(content_type=None)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
