"""Neutral messages between the channels and the engine (no provider's shape leaks past the edge)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

SMS_CHANNEL = "sms"  # what the engine sees of SMS, whatever the provider (texts `<key>.sms`)
WEB_CHANNEL = "web"  # the web chat (bot/channels/webchat.py; texts `<key>.web`)


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)

    lat: float
    lon: float


class Address(BaseModel):
    """Where to send messages: a channel and the provider's id of the recipient (a Telegram chat
    id, a phone number in E.164, a web chat id). Personal data: never logged."""

    model_config = ConfigDict(frozen=True)

    channel: str
    recipient: str


class InboundMessage(BaseModel):
    """What a person sent: some text, a chosen option, or a shared location."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    channel: str = "test"
    text: str | None = None
    option: str | None = None
    location: Location | None = None
    # The provider's id, for de-duplication; absent for the terminal and tests.
    message_id: str | None = None
    # Who sent it, to answer later (hand-off news, relayed messages); None for the terminal.
    sender: Address | None = None
    # When the provider says it was sent: messages of one person are processed in this order
    # even when the webhooks arrive in another.
    sent_at: dt.datetime | None = None
    # The provider itself unsubscribed the person (Twilio's STOP) and will refuse every message to
    # them: the usual "are you sure?" cannot reach them, so their data is erased at once.
    unsubscribed: bool = False


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    label: str


class Reply(BaseModel):
    """One message of the bot; channels render the options as buttons or a numbered menu."""

    model_config = ConfigDict(frozen=True)

    text: str
    options: tuple[Option, ...] = ()
    # The slot this message asks for, if any (read by `triage eval` and by channels for hints).
    asking: str | None = None
    # True when it checks an answer already given ("Vous voulez dire Montpellier (34) ?").
    confirming: bool = False
    # The conversation was erased with this message ("tout est effacé", consent refused): a
    # client that keeps a transcript (the web chat, in the browser) forgets it too.
    erased: bool = False
    # The case this message is about, when the desk writes to the person for a volunteer: an
    # SMS channel keeps it with the message's delivery record, so that a report "not delivered"
    # reaches the volunteer (an opaque random id, not personal data).
    case_id: str | None = None
