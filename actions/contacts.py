"""Contact details a person gave (a phone number for SMS when a chat app cannot reach them).

Kept as a record of kind "contact" keyed by the conversation's hash, and erased with the rest of
the person's data (the flow's `on_erase` runs `forget_contact`).
"""

from __future__ import annotations

import hashlib

import phonenumbers

from bot.core.ports import ActionContext, ActionResult, RecordStore

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


async def remember_phone(store: RecordStore, conversation_id: str, number: str, *, region: str = "FR") -> str:
    """Keep the phone number the person gave for this conversation; returns it in E.164."""
    e164 = normalize_phone(number, region)
    await store.put_record(CONTACT_KIND, contact_key(conversation_id), {"phone": e164})
    return e164


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
            await remember_phone(ctx.records, ctx.conversation_id, match.raw_string)
        except PhoneNumberError:
            continue
        break
    return ActionResult()


async def forget_contact(ctx: ActionContext) -> ActionResult:
    """`on_erase`: the person's contact details go with the rest of their data."""
    if ctx.records is not None:
        await forget_phone(ctx.records, ctx.conversation_id)
    return ActionResult()
