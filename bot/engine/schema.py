"""The shape of `dialogs/flow.yml`: the conversation as data, validated at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.case import SLOT_NAMES

# How the answer to a step is read. The engine asks the understanding layer for the step's slot;
# the kind only decides what a re-ask offers (buttons) and how a "no" is read.
StepKind = Literal["language", "bool", "choice", "place", "document", "date", "set", "text", "confirm"]

# Conditions on slots: `{removal_order: true}`, `{document: {not_in: [NONE]}}`.
Condition = dict[str, Any]


class OptionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    # Text key of the label in the catalogues; several options may share the generic yes/no labels.
    label: str
    # The slot value the option sets (a YAML scalar or list); absent for options that are commands.
    value: Any = None


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slot: str
    kind: StepKind
    prompt: str
    help: str
    when: Condition = Field(default_factory=dict)
    # Offered as buttons or a numbered menu: at once for `choice` steps, after two misses for others.
    options: tuple[OptionSpec, ...] = ()
    # Whether the fast track (a P0 rule fired) still asks this step before the hand-off.
    fast_track: bool = False
    # `when` decides whether the step is asked, not whether an answer given in passing is kept:
    # "je suis au CRA" said before any OQTF question is detention all the same (spec §1, custody).
    kept_in_passing: bool = False
    # A plain "no" skips the step, as "I don't know" does: "Depuis quand essayez-vous d'avoir un
    # rendez-vous ?" "non, jamais" (asked again, it looped).
    no_skips: bool = False
    # Values that replace an earlier answer when said later in passing, without a word of
    # correction: "je suis au CRA maintenant" after "libre" (taken since, or said wrong). The more
    # urgent fact is kept for the volunteer to check rather than dropped.
    news_replaces: tuple[str | bool, ...] = ()

    @model_validator(mode="after")
    def _slot_is_known(self) -> Step:
        if self.slot not in SLOT_NAMES:
            raise ValueError(f"unknown slot {self.slot!r}")
        return self


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[Step, ...]
    # Actions run after every turn and at the hand-off, by name (see actions.ACTIONS).
    on_update: tuple[str, ...] = ()
    # Slots an action may set although their step is skipped (application_status for a récépissé).
    derived: tuple[str, ...] = ()
    on_handoff: tuple[str, ...] = ()
    # Run on each message after the hand-off once no question is pending (relay to the volunteer).
    after_handoff: tuple[str, ...] = ()
    # Run before a conversation is erased (the person's request, or a refused consent): whatever
    # the actions keep about the person beyond the conversation and its cases goes too.
    on_erase: tuple[str, ...] = ()
    # Texts every language must have beyond the steps' own prompts (replies to commands...).
    texts: tuple[str, ...] = ()
    # Channels where an unknown language is not asked on its own before consent: the consent
    # question comes first, in French, with texts that offer the other languages, and answering it
    # keeps French. One question less where each question costs an SMS.
    language_with_consent: tuple[str, ...] = ()
    # After a fast-track hand-off (P0), the questions that follow start with these, in this order:
    # what the detention team needs first (the order's date decides the 48-hour deadline).
    after_fast_track_first: tuple[str, ...] = ()
    # Channels where a silence gets no reminder (bot/reminders.py).
    no_reminder_on: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _first_are_steps(self) -> Flow:
        slots = {step.slot for step in self.steps}
        unknown = [slot for slot in self.after_fast_track_first if slot not in slots]
        if unknown:
            raise ValueError(f"after_fast_track_first names no step: {unknown}")
        return self

    def step(self, slot: str) -> Step:
        for step in self.steps:
            if step.slot == slot:
                return step
        raise KeyError(slot)

    def text_keys(self) -> set[str]:
        keys = set(self.texts)
        for step in self.steps:
            keys.update((step.prompt, step.help))
            keys.update(option.label for option in step.options)
        return keys


class DialogDataError(Exception):
    """A dialog file is malformed; the message names the file and the place."""


def load_flow(path: Path) -> Flow:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Flow.model_validate(raw)
    except yaml.YAMLError as exc:
        raise DialogDataError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise DialogDataError(f"{path}: {problems}") from exc
