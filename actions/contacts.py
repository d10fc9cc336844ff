"""Contact details a person gave (a phone number for SMS when a chat app cannot reach them).

Kept as a record of kind "contact" keyed by the conversation's hash, and erased with the rest of
the person's data (the flow's `on_erase` runs `forget_contact`).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import phonenumbers

from bot.core.ports import ActionContext, ActionResult, ConversationStore, RecordStore

CONTACT_KIND = "contact"


class PhoneNumberError(ValueError):
    """The text is not a phone number that can receive an SMS."""


def normalize_phone(text: str, region: str = "FR") -> str:
    """The number in E.164 ("06 12 34 56 78" → "+33612345678"); raises `PhoneNumberError`.

    Only mobile numbers (or numbers whose type the metadata cannot tell) can receive an SMS."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise PhoneNumberError(str(error)) from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError("not a valid number")
    kind = phonenumbers.number_type(number)
    if kind not in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }:
        raise PhoneNumberError("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_key(conversation_id: str) -> str:
    # The record's key, stable across processes and releases (the log names are keyed per
    # deployment); the store keeps the record itself encrypted.
    return hashlib.sha256(conversation_id.encode()).hexdigest()[:12]


async def remember_phone(
    store: RecordStore,
    conversation_id: str,
    number: str,
    *,
    region: str = "FR",
    now: dt.datetime | None = None,
) -> str:
    """Keep the phone number the person gave for this conversation; returns it in E.164."""
    e164 = normalize_phone(number, region)
    key = contact_key(conversation_id)
    saved_at = (now or dt.datetime.now(dt.UTC)).isoformat()
    # The key and the conversation inside the (encrypted) record let `purge_contacts` find
    # the numbers whose conversation is gone: records are listed by kind only.
    record = {"phone": e164, "saved_at": saved_at, "key": key, "conversation": conversation_id}
    await store.put_record(CONTACT_KIND, key, record)
    return e164


async def purge_contacts(store: ConversationStore) -> int:
    """Delete the numbers whose conversation is gone (`triage store purge`): a conversation the
    store purged or let expire runs no erase action, and its number must not outlive it; one
    still going keeps its number however old. Returns how many went."""
    gone = 0
    for record in await store.list_records(CONTACT_KIND):
        key, conversation = record.get("key"), record.get("conversation")
        if not isinstance(key, str) or not isinstance(conversation, str):
            continue  # kept by an earlier version: erased with its conversation only
        if await store.load_conversation(conversation) is None:
            await store.delete_record(CONTACT_KIND, key)
            gone += 1
    return gone


async def forget_phone(store: RecordStore, conversation_id: str) -> None:
    """Erase the number (the person asked to erase their data, or withdrew it)."""
    await store.delete_record(CONTACT_KIND, contact_key(conversation_id))


async def remember_contact(ctx: ActionContext) -> ActionResult:
    """`on_update`: a mobile number written in a chat app, once the person consented, is kept so
    that SMS can reach them if the app cannot (the hand-off text invites them to give one)."""
    if ctx.records is None or not ctx.slots.consent or ctx.channel == "sms" or not ctx.message_text:
        return ActionResult()
    for match in phonenumbers.PhoneNumberMatcher(ctx.message_text, "FR"):
        try:
            await remember_phone(ctx.records, ctx.conversation_id, match.raw_string, now=ctx.now)
        except PhoneNumberError:
            continue
        break
    return ActionResult()


async def forget_contact(ctx: ActionContext) -> ActionResult:
    """`on_erase`: the person's contact details go with the rest of their data."""
    if ctx.records is not None:
        await forget_phone(ctx.records, ctx.conversation_id)
    return ActionResult()
