"""The volunteer's summary of a case and the anonymous offer (spec §4), from a Jinja2 template.

Everything is computed here, locally and deterministically: no external service sees the data.
The words (statuses, custody, suggested routes) live in ``templates/summary_fr.j2`` so that the
jurists can read and change them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2

from actions.documents import DocumentCatalogue
from bot.core.case import VULNERABILITIES, Case
from bot.core.clock import PARIS

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
ESSENTIALS_LIMIT = 1200
# The summary by SMS: three segments of 153 GSM-7 characters at most, each paid for.
SMS_SUMMARY_LIMIT = 459
_CLIP_SMS_NOTE = 120
# Free text shown in the essentials is clipped so that they always fit in ESSENTIALS_LIMIT.
_CLIP_PLACE = 48
_CLIP_LABEL = 90
_CLIP_REASON = 320

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # plain text for chat messages, never HTML
    auto_reload=False,  # read once, like the rule files: an edit takes effect at the next start
)


@dataclass(frozen=True, kw_only=True)
class SummaryContext:
    """What the actions layer cannot look up itself: names, the catalogue, the clock."""

    documents: DocumentCatalogue
    now: dt.datetime
    pseudonym: str
    department_name: str | None = None
    prefecture_city: str | None = None
    commune_name: str | None = None
    language_name: str | None = None  # e.g. "arabe"
    interpreter_needed: bool = False


@dataclass(frozen=True)
class _View:
    level: str
    base_level: str
    rule: str
    modifier_applied: bool
    reason: str
    countdown: str | None
    pseudonym: str
    language: str | None
    interpreter_needed: bool
    for_someone_else: bool
    department: str | None
    prefecture_city: str | None
    commune_name: str | None
    document: str | None
    document_label: str | None
    document_text: str | None
    expiry_date: str | None
    expiry_relative: str | None
    application_status: str | None
    removal_order: bool | None
    removal_order_date: str | None
    custody: str | None
    oqtf_deadline: str | None
    attempts_since: str | None
    attempts_for: str | None
    evidence: bool | None
    vulnerabilities: tuple[str, ...] | None
    note: str | None
    told_person: str
    unanswered: tuple[str, ...]
    distance: str | None


def pseudonym_for(case_id: str) -> str:
    """A short, stable, non-reversible name for a case, e.g. ``Personne #A3F9``."""
    return "Personne #" + hashlib.sha256(case_id.encode("utf-8")).hexdigest()[:4].upper()


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    if not flat:
        return None
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _days(count: int) -> str:
    return f"{count} jour" if count == 1 else f"{count} jours"


def _expiry_relative(days: int) -> str:
    if days < 0:
        return f"expiré depuis {_days(-days)}"
    if days == 0:
        return "expire aujourd'hui"
    return f"expire dans {_days(days)}"


def _hours_countdown(hours: float) -> str:
    if hours <= 0:
        late = math.floor(-hours)
        return (
            f"Délai de recours OQTF dépassé depuis {late} h"
            if late < 72
            else (f"Délai de recours OQTF dépassé depuis {_days(late // 24)}")
        )
    # Rounded down: better to tell the volunteer one hour too few than one too many.
    left = math.floor(hours)
    if left < 72:
        return f"Délai de recours OQTF : {left} h restantes"
    return f"Délai de recours OQTF : {_days(left // 24)} et {left % 24} h restants"


def _view(case: Case, context: SummaryContext, distance_km: float | None = None) -> _View:
    slots = case.slots
    now = context.now if context.now.tzinfo else context.now.replace(tzinfo=PARIS)
    today = now.astimezone(PARIS).date()

    deadline = case.urgency.oqtf_deadline
    hours_left = (
        None
        if deadline is None
        else (deadline.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds() / 3600
    )
    days_to_expiry = None if slots.expiry_date is None else (slots.expiry_date - today).days
    countdown: str | None = None
    if hours_left is not None:
        countdown = _hours_countdown(hours_left)
    elif days_to_expiry is not None:
        countdown = f"Titre {_expiry_relative(days_to_expiry)}"

    department = None
    if slots.prefecture:
        department = " ".join(part for part in (slots.prefecture, context.department_name) if part)
    elif context.department_name:
        department = context.department_name

    document_label = None if slots.document is None else context.documents.label(slots.document, "fr")
    document_text = _clip(slots.document_text, _CLIP_LABEL) if slots.document == "OTHER" else None

    attempts_for = None
    if slots.attempts_since is not None:
        attempts_for = _days(max((today - slots.attempts_since).days, 0))

    vulnerabilities = None
    if slots.vulnerabilities is not None:
        vulnerabilities = tuple(code for code in VULNERABILITIES if code in slots.vulnerabilities)

    distance = None
    if distance_km is not None:
        distance = "moins de 1 km" if distance_km < 1 else f"environ {round(distance_km)} km"

    return _View(
        level=case.urgency.level,
        base_level=case.urgency.base_level,
        rule=case.urgency.rule,
        modifier_applied=case.urgency.modifier_applied,
        reason=_clip(case.urgency.reason_fr, _CLIP_REASON) or "",
        countdown=countdown,
        pseudonym=_clip(context.pseudonym, 24) or pseudonym_for(case.id),
        language=_clip(context.language_name or slots.language, 30),
        interpreter_needed=context.interpreter_needed,
        for_someone_else=case.for_someone_else,
        department=_clip(department, _CLIP_PLACE),
        prefecture_city=_clip(context.prefecture_city, _CLIP_PLACE),
        commune_name=_clip(context.commune_name, _CLIP_PLACE),
        document=slots.document,
        document_label=_clip(document_label, _CLIP_LABEL),
        document_text=document_text,
        expiry_date=None if slots.expiry_date is None else _date(slots.expiry_date),
        expiry_relative=None if days_to_expiry is None else _expiry_relative(days_to_expiry),
        application_status=slots.application_status,
        removal_order=slots.removal_order,
        removal_order_date=None if slots.removal_order_date is None else _date(slots.removal_order_date),
        custody=slots.custody,
        oqtf_deadline=None if deadline is None else deadline.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M"),
        attempts_since=None if slots.attempts_since is None else _date(slots.attempts_since),
        attempts_for=attempts_for,
        evidence=slots.evidence,
        vulnerabilities=vulnerabilities,
        note=(slots.note or "").strip() or None,
        told_person=case.told_person.strip(),
        unanswered=tuple(case.unanswered),
        distance=distance,
    )


def _render(part: str, view: _View) -> str:
    module: Any = _env.get_template("summary_fr.j2").make_module()
    text = str(getattr(module, part)(view))
    # Drop the blank lines the template layout leaves, keep one between sections.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def render_essentials(case: Case, context: SummaryContext) -> str:
    """The part of the summary that must fit in ESSENTIALS_LIMIT characters."""
    text = _render("essentials", _view(case, context))
    if len(text) > ESSENTIALS_LIMIT:
        # Cannot happen with the shipped template (free text is clipped); keep the promise anyway.
        logger.warning("summary essentials of %d characters clipped", len(text))
        text = text[: ESSENTIALS_LIMIT - 1] + "…"
    return text


def render_details(case: Case, context: SummaryContext) -> str:
    """Suggested route, the person's note, and what the bot told the person."""
    return _render("details", _view(case, context))


def render_summary(case: Case, context: SummaryContext) -> str:
    """The full summary a volunteer sees after accepting the case."""
    return render_essentials(case, context) + "\n\n" + render_details(case, context)


def _latin(text: str) -> bool:
    """Latin letters (accents aside), digits, punctuation: what an SMS channel can send as GSM-7
    once its accents are plain (bot/channels/sms.py, which actions do not import)."""
    return all(unicodedata.normalize("NFD", ch)[0].isascii() or ch in "«»’‘“”–—…\u00a0\u202f" for ch in text)


def render_summary_sms(case: Case, context: SummaryContext) -> str:
    """The summary for a volunteer who answers by SMS: what to act on, within SMS_SUMMARY_LIMIT
    characters (the whole one costs 9 segments or more); `VOIR CODE` gives the whole."""
    view = _view(case, context)
    note = _clip(view.note, _CLIP_SMS_NOTE)
    # A note in another script (Arabic) makes the whole SMS UCS-2: 7 segments, not 3. It stays in
    # the whole summary (VOIR CODE).
    view = replace(view, note=note if note is None or _latin(note) else "(dans la fiche entière : VOIR)")
    text = _render("sms", view)
    if len(text) > SMS_SUMMARY_LIMIT:
        text = text[: SMS_SUMMARY_LIMIT - 1] + "…"
    return text


def render_offer(case: Case, context: SummaryContext, distance_km: float | None) -> str:
    """The offer shown before acceptance: no identifying data (spec §4.3)."""
    view = _view(case, context, distance_km)
    # Blank what identifies the person, so that an edit of the template cannot leak it.
    anonymous = replace(
        view,
        pseudonym="",
        commune_name=None,
        document_text=None,
        expiry_date=None,
        removal_order_date=None,
        oqtf_deadline=None,
        attempts_since=None,
        note=None,
        told_person="",
    )
    return _render("offer", anonymous)
