"""One small interface per channel: verify → parse → (engine) → send.

A channel turns the provider's webhook into neutral `InboundMessage`s (or says why it ignores an
update), and renders neutral `Reply`s within the provider's limits. Everything provider-specific
stays in its module; the server and the engine only see this interface.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from aiohttp import web

from bot.core.messages import Address, InboundMessage, Reply


class Unauthorized(Exception):  # noqa: N818 (the HTTP status's name)
    """The request is not from the provider (missing or wrong signature or secret): 401/403."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of a secret from a request header with ours. A header may hold
    bytes that are no UTF-8 (aiohttp gives them as surrogates): they compare unequal, never fail."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class ChannelSendError(Exception):
    """Sending failed. `retryable` with `retry_after` seconds, or for good (blocked, not a user)."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class Ignored:
    """An authentic update we do not act on (a status, an edit, a sticker...), and why."""

    reason: str


DeliveryStatus = Literal["sent", "delivered", "failed"]


@dataclass(frozen=True)
class DeliveryReport:
    """The provider's news about a message we sent: our reference for it, and what became of it.

    `sent`: the operator's network took it; `delivered`: it reached the phone; `failed`: it never
    will (refused, unknown number, phone off for too long). `detail` is the provider's code."""

    reference: str
    status: DeliveryStatus
    detail: str = ""


Parsed = InboundMessage | Ignored | DeliveryReport


class Channel(Protocol):
    name: str

    async def verify(self, request: web.Request, body: bytes) -> None:
        """Raise `Unauthorized` unless the request comes from the provider."""
        ...

    def parse(self, request: web.Request, body: bytes) -> Sequence[Parsed]:
        """Every update of the request, as a message or an explicit `Ignored`; never raises for an
        authentic but unexpected payload (it is `Ignored`, and the provider gets its 200)."""
        ...

    def acknowledge(self) -> web.Response:
        """What the provider expects back once the request is accepted."""
        ...

    async def send(self, address: Address, replies: Sequence[Reply]) -> None:
        """Render and send; raise `ChannelSendError`."""
        ...

    async def verification(self, request: web.Request) -> web.Response:
        """`GET /webhooks/<name>`: the provider's set-up handshake (WhatsApp's hub.challenge);
        channels without one answer 405."""
        ...


@runtime_checkable
class ReportsDelivery(Protocol):
    """A channel whose provider reports what became of each message (Kannel's DLR, Twilio's
    status callbacks): the server hands it the `DeliveryReport`s its `parse` returned."""

    async def record_delivery(self, report: DeliveryReport) -> bool:
        """Note the report; False when the reference is unknown (expired, or not ours)."""
        ...
