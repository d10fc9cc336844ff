"""Business actions the flow names (`dialogs/flow.yml`), in one explicit registry.

Each action is a small async callable taking an `ActionContext` and returning an `ActionResult`.
Side effects go through the ports in the context, never through imports of the runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from actions.contacts import forget_contact, remember_contact
from actions.derive import derive_application_status
from actions.handoff import hand_off
from actions.urgency import RuleBook, load_rules
from bot.core.messages import Address
from bot.core.ports import Action, ActionContext, ActionResult

if TYPE_CHECKING:
    from actions.desk import HandoffDesk

logger = logging.getLogger(__name__)


# What the runtime keeps about an address outside the store's conversations (WhatsApp's 24-hour
# window record): erased with the rest, through this port, since actions do not know channels.
ForgetAddress = Callable[[Address], Awaitable[None]]


def build_actions(
    rules: RuleBook, desk: HandoffDesk | None = None, forget_address: ForgetAddress | None = None
) -> dict[str, Action]:
    """The actions of the flow. Without a ``desk`` a case is only stored (ready for hand-off) and
    messages after the hand-off are not relayed."""

    async def classify_urgency(ctx: ActionContext) -> ActionResult:
        decision = rules.evaluate(ctx.slots, ctx.now, ctx.language)
        return ActionResult(urgency=decision, fast_track=rules.is_fast_track(decision))

    async def hand_off_and_offer(ctx: ActionContext) -> ActionResult:
        result = await hand_off(ctx)
        if desk is None or result.case is None:
            return result
        try:
            if result.case.id != ctx.case_id:  # a new case (the usual hand-off)
                await desk.submit(result.case)
            else:
                # Answers after an early hand-off: an offer still waiting may need to hurry.
                previous = result.previous_urgency.level if result.previous_urgency else None
                await desk.urgency_updated(result.case, ctx.now, previous)
        except Exception:
            # The case is saved: the desk's next tick makes the offer (its timer is set first),
            # or finishes the hurry (the claim's lease brings the offer's timer back).
            logger.exception("offering case %s failed; the next tick retries", result.case.id)
        return result

    async def relay_to_volunteer(ctx: ActionContext) -> ActionResult:
        if desk is None or ctx.case_id is None or not ctx.message_text:
            return ActionResult()
        reply = await desk.relay_from_person(ctx.case_id, ctx.message_text)
        return ActionResult(consumed=reply is not None, reply=reply)

    async def withdraw_case(ctx: ActionContext) -> ActionResult:
        # `on_erase`: the volunteers stop waiting for, or writing to, a person who erased their data.
        # Every case of the conversation: a case left by an earlier triage ("recommencer") too.
        if desk is not None:
            for case_id in dict.fromkeys([*ctx.case_ids, *([ctx.case_id] if ctx.case_id else [])]):
                await desk.withdraw(case_id)
        return ActionResult()

    async def forget_channel_traces(ctx: ActionContext) -> ActionResult:
        # `on_erase`: what a channel remembers of the person's address goes too.
        if forget_address is not None and ctx.sender is not None:
            await forget_address(ctx.sender)
        return ActionResult()

    return {
        "forget_channel_traces": forget_channel_traces,
        "derive_application_status": derive_application_status,
        "classify_urgency": classify_urgency,
        "hand_off": hand_off_and_offer,
        "relay_to_volunteer": relay_to_volunteer,
        "forget_contact": forget_contact,
        "withdraw_case": withdraw_case,
        "remember_contact": remember_contact,
    }


def default_actions(rules_path: Path | None = None) -> dict[str, Action]:
    return build_actions(load_rules(rules_path))


__all__ = ["build_actions", "default_actions"]
