"""Business actions the flow names (`dialogs/flow.yml`), in one explicit registry.

Each action is a small async callable taking an `ActionContext` and returning an `ActionResult`.
Side effects go through the ports in the context, never through imports of the runtime.
"""

from __future__ import annotations

from pathlib import Path

from actions.derive import derive_application_status
from actions.handoff import hand_off
from actions.urgency import RuleBook, load_rules
from bot.core.ports import Action, ActionContext, ActionResult


def build_actions(rules: RuleBook) -> dict[str, Action]:
    async def classify_urgency(ctx: ActionContext) -> ActionResult:
        decision = rules.evaluate(ctx.slots, ctx.now, ctx.language)
        return ActionResult(urgency=decision, fast_track=rules.is_fast_track(decision))

    return {
        "derive_application_status": derive_application_status,
        "classify_urgency": classify_urgency,
        "hand_off": hand_off,
    }


def default_actions(rules_path: Path | None = None) -> dict[str, Action]:
    return build_actions(load_rules(rules_path))


__all__ = ["build_actions", "default_actions"]
