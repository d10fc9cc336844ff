"""The hand-off: the triage becomes a case, ready for a volunteer (spec §4, issue "hand-off")."""

from __future__ import annotations

import logging
import secrets

from bot.core.case import Case, UrgencyDecision
from bot.core.ports import ActionContext, ActionResult

logger = logging.getLogger(__name__)


def new_case_id() -> str:
    # Short enough to type in an SMS ("OUI 7K3F9Q"), random so that it reveals nothing.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(6))


async def hand_off(ctx: ActionContext) -> ActionResult:
    """Create the case, or bring it up to date when the person answers more after the hand-off."""
    if ctx.urgency is None:
        raise ValueError("hand_off needs the urgency: run classify_urgency first")
    if ctx.case_id is not None:
        # Only what the triage knows changes, on the freshest copy: the desk's part (status,
        # offers...) may change at the same moment, in another process (a volunteer accepting).
        mine = {
            "conversation_id": ctx.conversation_id,
            "channel": ctx.channel,
            "slots": ctx.slots,
            "urgency": ctx.urgency,
            "unanswered": ctx.unanswered,
            "human_requested": ctx.human_requested,
            "for_someone_else": ctx.for_someone_else,
        }

        before: list[UrgencyDecision] = []

        def bring_up_to_date(fresh: Case) -> Case:
            before[:] = [fresh.urgency]  # the last attempt's read is the one written over
            if not fresh.conversation_id:
                return fresh  # anonymised long ago: it stays detached from the person
            update = {**mine, "fast_track": ctx.fast_track or fresh.fast_track}
            return fresh.model_copy(update={**update, "updated_at": max(fresh.updated_at, ctx.now)})

        updated = await ctx.cases.update_case(ctx.case_id, bring_up_to_date)
        if updated is not None:
            return ActionResult(case=updated, previous_urgency=before[0] if before else None)
    case = Case(
        id=new_case_id(),
        conversation_id=ctx.conversation_id,
        channel=ctx.channel,
        slots=ctx.slots,
        urgency=ctx.urgency,
        status="ready_for_handoff",
        created_at=ctx.now,
        updated_at=ctx.now,
        unanswered=ctx.unanswered,
        told_person=ctx.told_person,
        fast_track=ctx.fast_track,
        human_requested=ctx.human_requested,
        for_someone_else=ctx.for_someone_else,
    )
    await ctx.cases.save_case(case)
    logger.info("case %s ready for hand-off at %s (%s)", case.id, case.urgency.level, case.urgency.rule)
    return ActionResult(case=case)
