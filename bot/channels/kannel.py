"""SMS through a Kannel gateway: smsbox's `sms-service` posts to us, we answer through `sendsms`.

Inbound (see deploy/kannel/kannel.conf): a catch-all `sms-service` with

    post-url = "http://kannel:<KANNEL_WEBHOOK_SECRET>@<bot host>/webhooks/kannel?id=%I&ts=%T"
    send-sender = true
    max-messages = 0
    omit-empty = true

Kannel posts the text as the body (its charset in the Content-Type) and the sender in
`X-Kannel-From`, so neither lands in URLs or access logs. It sends the URL's user:password as HTTP
Basic auth, which carries the shared secret (a reverse proxy may send `X-Kannel-Secret`; a
`?secret=` query parameter is accepted but ends up in access logs). `%I` is Kannel's id of the
message, stable across its own retries: the de-duplication key; `%T` the time it was sent. We
answer an empty `200 text/plain`: with `max-messages = 0` and `omit-empty` Kannel sends nothing back.

Outbound: `POST <KANNEL_SENDSMS_URL>` (smsbox's `/cgi-bin/sendsms`) with UTF-8 text and
coding 2 (UCS-2) whenever the text is not pure GSM-7: with `coding=0` Kannel silently turns
`ô` into `?`.

Delivery reports (when `KANNEL_DLR_URL` is set): each SMS goes with `dlr-mask` 19 (delivered to
the phone, not delivered to the phone, refused by the operator's SMSC) and a `dlr-url` back to
this webhook carrying the reference of the SMS's ledger record and Kannel's `%d`. Kannel fetches
it with a GET, the secret again as the URL's user:password. Only the reference comes back: the
number and the text stay out of the URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

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
from bot.channels.sms import (
    REPORT_PARAM,
    SentSms,
    SmsLedger,
    encoding_of,
    render_sms,
    sms_conversation_id,
)
from bot.core.clock import Clock
from bot.core.messages import SMS_CHANNEL, Address, InboundMessage, Reply
from bot.core.ports import RecordStore
from bot.settings import Settings

logger = logging.getLogger(__name__)

SECRET_PARAM = "secret"
SECRET_HEADER = "X-Kannel-Secret"
# Kannel's sendsms accepts up to `max-messages` parts per request (10 in our config).
MAX_TEXT_CHARS = 1500
# dlr-mask bits: 1 delivered to the phone, 2 not delivered to the phone, 16 refused by the SMSC.
# 8 ("the SMSC took it") is left out: it would race with 1 on our record and tells a volunteer
# nothing.
DLR_MASK = 1 | 2 | 16
DLR_STATUSES: dict[str, DeliveryStatus] = {
    "1": "delivered",
    "2": "failed",
    "16": "failed",
    "4": "sent",
    "8": "sent",
}
EARLIEST_TIMESTAMP = 946_684_800  # 2000-01-01


class KannelChannel:
    """The `Channel` for Kannel: webhook from smsbox's sms-service, replies through sendsms."""

    name = "kannel"
    # Kannel fetches delivery reports with a GET on the webhook's URL.
    reports_by_get = True

    def __init__(
        self,
        *,
        sendsms_url: str,
        username: str,
        password: str,
        webhook_secret: str,
        http: aiohttp.ClientSession,
        sender: str | None = None,
        dlr_url: str | None = None,
        records: RecordStore | None = None,
        clock: Clock | None = None,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self.sendsms_url = sendsms_url
        self.username = username
        self.password = password
        self.webhook_secret = webhook_secret
        self.http = http
        self.sender = sender
        self.dlr_url = _with_secret(dlr_url, webhook_secret) if dlr_url else None
        self.ledger = SmsLedger(self.name, records, clock)
        self.wall_time = wall_time

    @classmethod
    def from_settings(
        cls, settings: Settings, http: aiohttp.ClientSession, *, store: RecordStore | None = None
    ) -> KannelChannel | None:
        """The channel, or None when its settings are absent; `store` keeps the SMS ledger."""
        values = (
            settings.kannel_sendsms_url,
            settings.kannel_username,
            settings.kannel_password,
            settings.kannel_webhook_secret,
        )
        if not any(values):
            return None
        if (
            settings.kannel_sendsms_url is None
            or settings.kannel_username is None
            or settings.kannel_password is None
            or settings.kannel_webhook_secret is None
            or not settings.kannel_webhook_secret.get_secret_value()
        ):
            logger.warning(
                "Kannel disabled: set KANNEL_SENDSMS_URL, KANNEL_USERNAME, KANNEL_PASSWORD "
                "and KANNEL_WEBHOOK_SECRET together"
            )
            return None
        return cls(
            sendsms_url=settings.kannel_sendsms_url,
            username=settings.kannel_username,
            password=settings.kannel_password.get_secret_value(),
            webhook_secret=settings.kannel_webhook_secret.get_secret_value(),
            http=http,
            dlr_url=settings.kannel_dlr_url,
            records=store,
        )

    @property
    def last_sent(self) -> list[SentSms]:
        """Encoding and segments of each SMS of the latest `send` (tests, benchmarks)."""
        return list(self.ledger.last_sent)

    # -- inbound ---------------------------------------------------------------------------------

    async def verify(self, request: web.Request, body: bytes) -> None:
        given = (
            _basic_password(request) or request.headers.get(SECRET_HEADER) or request.query.get(SECRET_PARAM)
        )
        if not given:
            raise Unauthorized("no Kannel webhook secret", status=401)
        if not same_secret(given, self.webhook_secret):
            raise Unauthorized("wrong Kannel webhook secret", status=403)

    def parse(self, request: web.Request, body: bytes) -> Sequence[Parsed]:
        query, headers = request.query, request.headers
        reference = query.get(REPORT_PARAM)
        if reference is not None:
            status = DLR_STATUSES.get(query.get("status", ""))
            if status is None:
                return [Ignored("Kannel delivery report of an unknown kind")]
            return [DeliveryReport(reference=reference, status=status, detail=f"dlr {query.get('status')}")]
        sender = headers.get("X-Kannel-From") or query.get("from") or ""
        digits = sender.strip().lstrip("+")
        if not (digits.isascii() and digits.isdigit()):  # "²" and "٣" are digits to isdigit()
            return [Ignored("Kannel call without a sender number (%p)")]
        # An empty SMS (or one whose bytes decode to nothing) is still a person writing: the engine
        # answers that it reads only text.
        text = _decode(body, request.charset, query.get("coding") or headers.get("X-Kannel-Coding"))
        message_id = query.get("id") or None
        return [
            InboundMessage(
                conversation_id=sms_conversation_id(sender),
                channel=SMS_CHANNEL,
                text=text,  # as typed: "STOP", "SUPPRIMER" and menu numbers are the engine's to read
                message_id=message_id,
                sender=Address(channel=self.name, recipient=sender.strip()),
                sent_at=self._sent_at(query.get("ts")),
            )
        ]

    def _sent_at(self, ts: str | None) -> dt.datetime:
        """Kannel's `%T` has one-second resolution: within that second, keep the arrival order."""
        now = self.wall_time()
        try:
            sent = float(ts) if ts else now
        except ValueError:
            sent = now
        if not math.isfinite(sent) or not EARLIEST_TIMESTAMP <= sent <= now + 86_400:
            sent = now  # "nan", "1e308", a year 5000: the arrival time (an SMSC may hold old ones)
        return dt.datetime.fromtimestamp(sent + min(max(now - sent, 0.0), 0.999), tz=dt.UTC)

    def acknowledge(self) -> web.Response:
        # Empty 200: with `omit-empty = true` Kannel sends no SMS of its own.
        return web.Response(status=200, text="", content_type="text/plain")

    async def verification(self, request: web.Request) -> web.Response:
        raise web.HTTPMethodNotAllowed("GET", ["POST"])

    # -- outbound --------------------------------------------------------------------------------

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        async def send_one(text: str, reference: str) -> None:
            await self._send_one(address.recipient, text, reference)

        await self.ledger.send_each(render_sms(replies, max_chars=MAX_TEXT_CHARS), send_one, replies)

    async def record_delivery(self, report: DeliveryReport) -> bool:
        return await self.ledger.record_delivery(report)

    async def _send_one(self, recipient: str, text: str, reference: str | None = None) -> None:
        # sendsms's POST form: the text is the body, the rest in X-Kannel-* headers (Kannel 1.4.5
        # answers "400 Invalid content-type" to a urlencoded form). Password and text thus stay
        # out of URLs and access logs.
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "X-Kannel-Username": self.username,
            "X-Kannel-Password": self.password,
            "X-Kannel-To": recipient,
            # UCS-2 whenever one character is not GSM-7: coding=0 would turn it into "?".
            "X-Kannel-Coding": "0" if encoding_of(text) == "gsm7" else "2",
        }
        if self.sender:
            headers["X-Kannel-From"] = self.sender
        if self.dlr_url and reference:
            headers["X-Kannel-DLR-Mask"] = str(DLR_MASK)
            headers["X-Kannel-DLR-Url"] = SmsLedger.report_url(self.dlr_url, reference, "&status=%d")
        body = text.encode("utf-8")
        try:
            async with self.http.post(self.sendsms_url, data=body, headers=headers) as response:
                status = response.status
                answer = (await response.text(errors="replace"))[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChannelSendError(
                f"Kannel sendsms unreachable: {type(exc).__name__}", retryable=True
            ) from exc
        if 200 <= status < 300:
            return
        if status == 503 or status >= 500:
            raise ChannelSendError(f"Kannel sendsms {status}: {answer}", retryable=True, retry_after=5.0)
        # 4xx: wrong user or password, empty receiver, too long: sending again will not help.
        raise ChannelSendError(f"Kannel sendsms {status}: {answer}", retryable=False)


def _decode(body: bytes, charset: str | None, coding: str | None) -> str:
    """Kannel posts the text in the charset of its Content-Type (UTF-8 after `mo-recode`)."""
    encoding = charset or ("utf-16-be" if coding == "2" else "utf-8")
    try:
        return body.decode(encoding, errors="replace")
    except (LookupError, UnicodeError):
        return body.decode("utf-8", errors="replace")


def _with_secret(url: str, secret: str) -> str:
    """The URL with `kannel:<secret>@` as its user info, which Kannel sends as HTTP Basic auth."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"kannel:{secret}@{host}"))


def _basic_password(request: web.Request) -> str | None:
    """The password of an HTTP Basic `Authorization` header (Kannel sends the URL's userinfo)."""
    scheme, _, encoded = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None
