"""Answers the bot does not ask because another answer already gives them (spec §2, skips)."""

from __future__ import annotations

from bot.core.clock import PARIS
from bot.core.ports import ActionContext, ActionResult

# Holding one of these means the request was filed; whether it still protects depends on its date.
PROOF_OF_FILING = frozenset({"RECEPISSE", "ANEF_API"})


async def derive_application_status(ctx: ActionContext) -> ActionResult:
    """A récépissé or an ANEF attestation: `filed_with_proof` while unexpired, else without proof."""
    slots = ctx.slots
    if slots.document not in PROOF_OF_FILING or slots.expiry_date is None:
        return ActionResult()
    today = ctx.now.astimezone(PARIS).date()
    status = "filed_with_proof" if slots.expiry_date >= today else "filed_without_proof"
    if slots.application_status == status:
        return ActionResult()
    return ActionResult(slots=slots.model_copy(update={"application_status": status}))
