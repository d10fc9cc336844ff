"""Choice of the volunteer to offer a case to (spec §4, points 1 and 2).

Eligibility: active, fewer open cases than capacity, speaks the case language (relaxed, with
"interpreter needed", when no otherwise eligible volunteer speaks it), and for P0 and removal-order
cases a qualified volunteer (skills or lawyer, from ``rules/handoff.yml``). Ranking: covers the
case's département, then great-circle distance, then fewest open cases, then id.

Volunteer coordinates are resolved once in a `VolunteerIndex`; build it when the roster is loaded
and pass it to every `route_case` call.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from actions.volunteers import Volunteer
from bot.core.case import URGENCY_LEVELS, Case, UrgencyLevel

logger = logging.getLogger(__name__)

HANDOFF_RULES_PATH = Path(__file__).parent / "rules" / "handoff.yml"
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


class Locator(Protocol):
    """Places by code: implemented by ``bot.understanding.places.Gazetteer``."""

    def coordinates(self, insee: str) -> tuple[float, float] | None:
        """(latitude, longitude) of a commune, or None when the code is unknown."""
        ...

    def prefecture_coordinates(self, department: str) -> tuple[float, float] | None:
        """(latitude, longitude) of the prefecture city of a département."""
        ...

    def communes_for_postal_code(self, code: str) -> list[Any]:
        """Communes served by a postal code: objects with ``.insee``, ``.lat`` and ``.lon``."""
        ...


# ---------------------------------------------------------------------------------------------
# Rules (data)

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(min|minutes?|h|hours?|d|days?)\s*", re.IGNORECASE)
_UNIT_SECONDS = {"min": 60, "h": 3600, "d": 86400}


def _parse_duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match is None:
            raise ValueError(f"{value!r} is not a duration such as '15 min', '2 h' or '7 days'")
        unit = match.group(2).lower()
        seconds = _UNIT_SECONDS["min" if unit.startswith("min") else unit[0]]
        return dt.timedelta(seconds=float(match.group(1)) * seconds)
    return value


class HandoffRules(BaseModel):
    """The contents of ``actions/rules/handoff.yml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offer_lifetimes: dict[UrgencyLevel, dt.timedelta]
    max_failed_offers: int = Field(ge=1)
    qualified_levels: frozenset[UrgencyLevel]
    removal_order_skills: tuple[str, ...] = Field(min_length=1)
    lawyers_qualify: bool

    @field_validator("offer_lifetimes", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {level: _parse_duration(duration) for level, duration in value.items()}
        return value

    @field_validator("offer_lifetimes")
    @classmethod
    def _every_level(cls, value: dict[UrgencyLevel, dt.timedelta]) -> dict[UrgencyLevel, dt.timedelta]:
        missing = [level for level in URGENCY_LEVELS if level not in value]
        if missing:
            raise ValueError(f"no offer lifetime for {', '.join(missing)}")
        if any(duration <= dt.timedelta(0) for duration in value.values()):
            raise ValueError("offer lifetimes must be positive")
        return value

    def offer_lifetime(self, level: UrgencyLevel) -> dt.timedelta:
        """How long an offer of a case at ``level`` waits for an answer."""
        return self.offer_lifetimes[level]

    def needs_qualification(self, case: Case) -> bool:
        """P0 cases (by default) and removal orders go to qualified volunteers only."""
        return case.urgency.level in self.qualified_levels or bool(case.slots.removal_order)

    def qualifies(self, volunteer: Volunteer) -> bool:
        """May take the cases that need qualification: a removal-order skill, or a lawyer."""
        return (volunteer.lawyer and self.lawyers_qualify) or not set(volunteer.skills).isdisjoint(
            self.removal_order_skills
        )

    def qualification_text(self) -> str:
        """What a volunteer lacks when not qualified, e.g. "needs oqtf/detention skill or lawyer"."""
        skills = "/".join(self.removal_order_skills)
        return f"needs {skills} skill" + (" or lawyer" if self.lawyers_qualify else "")


@functools.lru_cache(maxsize=8)
def _load_rules(path: Path) -> HandoffRules:
    with path.open(encoding="utf-8") as handle:
        return HandoffRules.model_validate(yaml.safe_load(handle))


def load_handoff_rules(path: Path | None = None) -> HandoffRules:
    """Load and validate the hand-off rules (default: the shipped ``rules/handoff.yml``)."""
    return _load_rules(Path(path) if path is not None else HANDOFF_RULES_PATH)


# ---------------------------------------------------------------------------------------------
# Input and output


class RoutingCase(BaseModel):
    """What routing needs to know about a case, and nothing identifying."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    prefecture: str | None
    commune: str | None = None
    urgency: UrgencyLevel
    removal_order: bool | None = None

    @classmethod
    def from_case(cls, case: Case) -> RoutingCase:
        """Take the routing fields of a case (French when the language is unknown)."""
        slots = case.slots
        return cls(
            language=slots.language or "fr",
            prefecture=slots.prefecture,
            commune=slots.commune,
            urgency=case.urgency.level,
            removal_order=slots.removal_order,
        )


# Named tuples rather than models: a decision over thousands of volunteers builds one per
# volunteer, and a tuple costs a tenth of a pydantic model (see scripts/bench_routing.py).
class RankedVolunteer(NamedTuple):
    """An eligible volunteer, in offer order."""

    id: str
    km: float | None  # None when the person or the volunteer could not be located
    covers: bool
    open_cases: int


class Exclusion(NamedTuple):
    """A volunteer left out, and why (a short stable phrase)."""

    id: str
    reason: str


class RoutingDecision(BaseModel):
    """Whom to offer the case to, the others in order, and who was left out."""

    model_config = ConfigDict(frozen=True)

    choice: str | None
    interpreter_needed: bool
    escalate: bool
    ranking: list[RankedVolunteer]
    excluded: list[Exclusion]

    def to_json_dict(self) -> dict[str, Any]:
        """The decision as plain JSON types, distances rounded to 0.1 km."""
        return {
            "choice": self.choice,
            "interpreter_needed": self.interpreter_needed,
            "escalate": self.escalate,
            "ranking": [
                {
                    "id": r.id,
                    "km": None if r.km is None else round(r.km, 1),
                    "covers": r.covers,
                    "open_cases": r.open_cases,
                }
                for r in self.ranking
            ],
            "excluded": [{"id": e.id, "reason": e.reason} for e in self.excluded],
        }


# ---------------------------------------------------------------------------------------------
# Index


class _Entry:
    """A volunteer reduced to what routing reads, with its exclusions built once and reused."""

    __slots__ = (
        "active",
        "base",
        "capacity",
        "departments",
        "exclusions",
        "id",
        "inactive",
        "languages",
        "lawyer",
        "offered",
        "open_cases",
        "skills",
    )

    def __init__(self, volunteer: Volunteer, base: int) -> None:
        self.id = volunteer.id
        self.active = volunteer.active
        self.capacity = volunteer.capacity
        self.open_cases = volunteer.open_cases
        self.languages = frozenset(volunteer.languages)
        self.departments = frozenset(volunteer.departments)
        self.skills = frozenset(volunteer.skills)
        self.lawyer = volunteer.lawyer
        self.base = base  # position in VolunteerIndex.bases, -1 when not located
        self.inactive = Exclusion(self.id, "inactive")
        self.offered = Exclusion(self.id, "already offered")
        self.exclusions: dict[str | int, Exclusion] = {}

    def excluded(self, reason: str) -> Exclusion:
        found = self.exclusions.get(reason)
        if found is None:
            found = self.exclusions[reason] = Exclusion(self.id, reason)
        return found

    def full(self, count: int) -> Exclusion:
        found = self.exclusions.get(count)
        if found is None:
            found = self.exclusions[count] = Exclusion(self.id, f"full ({count}/{self.capacity} cases)")
        return found

    def exclusion(self, count: int, offered: bool, qualified: bool, unqualified: str) -> Exclusion | None:
        """Why this volunteer cannot take the case, language aside; None when they can."""
        if offered:
            return self.offered
        if not self.active:
            return self.inactive
        if count >= self.capacity:
            return self.full(count)
        if not qualified:
            return self.excluded(unqualified)
        return None


class _Prepared(NamedTuple):
    """Eligibility (language aside) with the roster's counts, or with zero counts, and nobody offered."""

    eligible: list[_Entry]
    excluded: list[Exclusion]


class VolunteerIndex:
    """A roster prepared for routing, built once and reused by every `route_case` call.

    Bases are located once, and volunteers of one town share a base, so distances are computed
    once per base and per case. Eligibility without per-call data (offers, live counts) is also
    computed once; a call only revisits the volunteers its data concerns.
    """

    def __init__(self, volunteers: Sequence[Volunteer], locator: Locator) -> None:
        self.locator = locator
        # Each distinct base as a point on the unit sphere: distances then need no trigonometry.
        self.bases: list[tuple[float, float, float]] = []
        base_of_point: dict[tuple[float, float], int] = {}
        self._entries: list[_Entry] = []
        self._position: dict[str, int] = {}
        unlocated = 0
        for volunteer in volunteers:
            if volunteer.id in self._position:
                raise ValueError(f"duplicate volunteer id {volunteer.id!r}")
            self._position[volunteer.id] = len(self._entries)
            point = base_coordinates(volunteer, locator)
            base = -1
            if point is None:
                unlocated += 1
            else:
                base = base_of_point.setdefault(point, len(self.bases))
                if base == len(self.bases):
                    self.bases.append(_unit_vector(point))
            self._entries.append(_Entry(volunteer, base))
        self._qualified: dict[tuple[tuple[str, ...], bool], list[bool]] = {}
        self._everyone = [True] * len(self._entries)
        self._prepared: dict[tuple[tuple[tuple[str, ...], bool] | None, bool], _Prepared] = {}
        if unlocated:
            logger.warning("%d volunteer base(s) could not be located; they rank last on distance", unlocated)

    def __len__(self) -> int:
        return len(self._entries)

    def qualified(self, rules: HandoffRules | None) -> list[bool]:
        """Per volunteer, in roster order: may take P0 and removal-order cases (all, without rules)."""
        if rules is None:
            return self._everyone
        key = (rules.removal_order_skills, rules.lawyers_qualify)
        flags = self._qualified.get(key)
        if flags is None:
            flags = [
                (entry.lawyer and rules.lawyers_qualify)
                or not entry.skills.isdisjoint(rules.removal_order_skills)
                for entry in self._entries
            ]
            self._qualified[key] = flags
        return flags

    def _prepare(self, rules: HandoffRules | None, live_counts: bool) -> _Prepared:
        key = (None if rules is None else (rules.removal_order_skills, rules.lawyers_qualify), live_counts)
        prepared = self._prepared.get(key)
        if prepared is None:
            unqualified = rules.qualification_text() if rules else ""
            prepared = _Prepared([], [])
            for entry, qualified in zip(self._entries, self.qualified(rules), strict=True):
                count = 0 if live_counts else entry.open_cases
                exclusion = entry.exclusion(count, False, qualified, unqualified)
                if exclusion is None:
                    prepared.eligible.append(entry)
                else:
                    prepared.excluded.append(exclusion)
            self._prepared[key] = prepared
        return prepared


def base_coordinates(volunteer: Volunteer, locator: Locator) -> tuple[float, float] | None:
    """Where a volunteer is based: the commune, else the first commune of the postal code."""
    if volunteer.commune is not None:
        point = locator.coordinates(volunteer.commune)
        if point is not None:
            return point
    if volunteer.postal_code is not None:
        communes = locator.communes_for_postal_code(volunteer.postal_code)
        if communes:
            return (float(communes[0].lat), float(communes[0].lon))
    return None


def person_coordinates(case: RoutingCase, locator: Locator) -> tuple[float, float] | None:
    """Where the person is: their commune, else the prefecture city of their département."""
    point = locator.coordinates(case.commune) if case.commune else None
    if point is None and case.prefecture:
        point = locator.prefecture_coordinates(case.prefecture)
    return point


def _unit_vector(point: tuple[float, float]) -> tuple[float, float, float]:
    lat, lon = math.radians(point[0]), math.radians(point[1])
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in km between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# ---------------------------------------------------------------------------------------------
# The decision


def route_case(
    case: RoutingCase,
    volunteers: Sequence[Volunteer] | VolunteerIndex,
    locator: Locator,
    *,
    open_cases: Mapping[str, int] | None = None,
    excluded_ids: Collection[str] = (),
    rules: HandoffRules | None = None,
    limit: int | None = None,
) -> RoutingDecision:
    """Rank the volunteers for ``case`` and pick the one to offer it to (spec §4).

    ``open_cases``: the live count of open cases per volunteer id (absent ids have none); without
    it, the roster's ``open_cases`` column counts. ``excluded_ids``: volunteers already offered
    this case (declined or expired). The case escalates when nobody is left, or once
    ``max_failed_offers`` offers have failed. ``interpreter_needed`` is set only when the language
    rule had to be relaxed to find someone. ``limit`` keeps only the first candidates of the
    ranking (all by default): the hand-off needs only the next few, since it escalates after
    ``max_failed_offers``, and a large roster is then ranked faster. ``excluded`` comes in a
    stable order: roster order within the volunteers left out for the same kind of reason.
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    rules = rules or load_handoff_rules()
    index = volunteers if isinstance(volunteers, VolunteerIndex) else VolunteerIndex(volunteers, locator)
    offered = frozenset(excluded_ids)
    live_counts = open_cases is not None
    counts: Mapping[str, int] = open_cases if open_cases is not None else {}
    needs_qualification = case.urgency in rules.qualified_levels or bool(case.removal_order)
    qualification_rules = rules if needs_qualification else None
    prepared = index._prepare(qualification_rules, live_counts)

    # Only the volunteers this call says something about are looked at again.
    position = index._position
    touched = sorted({position[vid] for vid in (*offered, *counts) if vid in position})
    if touched:
        touched_ids = {index._entries[p].id for p in touched}
        eligible = [entry for entry in prepared.eligible if entry.id not in touched_ids]
        excluded = [exclusion for exclusion in prepared.excluded if exclusion.id not in touched_ids]
        flags = index.qualified(qualification_rules)
        unqualified = rules.qualification_text()
        for p in touched:
            entry = index._entries[p]
            count = counts.get(entry.id, 0) if live_counts else entry.open_cases
            exclusion = entry.exclusion(count, entry.id in offered, flags[p], unqualified)
            if exclusion is None:
                eligible.append(entry)
            else:
                excluded.append(exclusion)
    else:
        eligible = prepared.eligible
        excluded = list(prepared.excluded)

    language = case.language
    speakers = [entry for entry in eligible if language in entry.languages]
    interpreter_needed = not speakers and bool(eligible)
    if speakers:
        reason = f"does not speak {language}"
        excluded.extend(entry.excluded(reason) for entry in eligible if language not in entry.languages)
    ranking = _rank(index, speakers or eligible, counts if live_counts else None, case, limit)

    too_many_failures = len(offered) >= rules.max_failed_offers
    choice = ranking[0].id if ranking and not too_many_failures else None
    logger.debug(
        "routing %s case: %d candidate(s), %d excluded, interpreter=%s, escalate=%s",
        case.urgency,
        len(ranking),
        len(excluded),
        interpreter_needed,
        choice is None,
    )
    # Built from our own values: validating thousands of tuples again would only cost time.
    return RoutingDecision.model_construct(
        choice=choice,
        interpreter_needed=interpreter_needed,
        escalate=choice is None,
        ranking=ranking,
        excluded=excluded,
    )


def _rank(
    index: VolunteerIndex,
    candidates: list[_Entry],
    counts: Mapping[str, int] | None,
    case: RoutingCase,
    limit: int | None,
) -> list[RankedVolunteer]:
    department = case.prefecture
    if limit is not None and department is not None:
        # Volunteers covering the département come first: when there are enough of them,
        # the others cannot reach the head of the ranking and need no distance.
        covering = [entry for entry in candidates if department in entry.departments]
        if len(covering) >= limit:
            candidates = covering
    point = person_coordinates(case, index.locator)
    inf = math.inf
    # The last slot stands for "not located" (base -1), so that the key needs no test.
    km_by_base: list[float] = [inf] * (len(index.bases) + 1)
    if point is not None:
        # Only the bases of candidates are measured; most rosters have far fewer bases than volunteers.
        # Great-circle distance from the chord between unit vectors: 2R·asin(chord / 2).
        x0, y0, z0 = _unit_vector(point)
        asin, sqrt, bases = math.asin, math.sqrt, index.bases
        diameter = 2 * EARTH_RADIUS_KM
        needed = {entry.base for entry in candidates}
        needed.discard(-1)
        for base in needed:
            x, y, z = bases[base]
            chord = sqrt((x - x0) ** 2 + (y - y0) ** 2 + (z - z0) ** 2)
            km_by_base[base] = diameter * asin(min(1.0, chord / 2))
    if counts is None:
        keyed = [
            (department not in entry.departments, km_by_base[entry.base], entry.open_cases, entry.id)
            for entry in candidates
        ]
    else:
        count_of = counts.get
        keyed = [
            (department not in entry.departments, km_by_base[entry.base], count_of(entry.id, 0), entry.id)
            for entry in candidates
        ]
    if limit is not None and limit < len(keyed):
        keyed = heapq.nsmallest(limit, keyed)
    else:
        keyed.sort()
    new = tuple.__new__  # RankedVolunteer(...) goes through a Python-level __new__: twice as slow
    return [
        new(RankedVolunteer, (vid, None if km == inf else km, not uncovered, count))
        for uncovered, km, count, vid in keyed
    ]
