"""Routing decision of spec §4: eligibility, ranking, exclusions, escalation."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from actions.routing import (
    HandoffRules,
    Locator,
    RoutingCase,
    RoutingDecision,
    VolunteerIndex,
    great_circle_km,
    load_handoff_rules,
    route_case,
)
from actions.volunteers import Volunteer, load_volunteers

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Commune:
    insee: str
    lat: float
    lon: float


class FakeLocator:
    """A few real places (mairie coordinates), standing in for the Gazetteer."""

    COMMUNES: dict[str, tuple[float, float]] = {  # noqa: RUF012
        "93008": (48.9062, 2.4450),  # Bobigny
        "93066": (48.9370, 2.3598),  # Saint-Denis
        "93048": (48.8625, 2.4428),  # Montreuil
        "75056": (48.8566, 2.3522),  # Paris
        "75118": (48.8923, 2.3447),  # Paris 18e
        "75119": (48.8829, 2.3822),  # Paris 19e
        "75120": (48.8651, 2.3990),  # Paris 20e
        "92050": (48.8922, 2.2069),  # Nanterre
        "92012": (48.8360, 2.2403),  # Boulogne-Billancourt
        "94028": (48.7778, 2.4532),  # Créteil
        "95127": (49.0522, 2.0364),  # Cergy
        "95500": (49.0508, 2.1003),  # Pontoise
        "69123": (45.7677, 4.8354),  # Lyon
        "13055": (43.2976, 5.3694),  # Marseille
        "59350": (50.6309, 3.0709),  # Lille
        "97411": (-20.8790, 55.4486),  # Saint-Denis (La Réunion)
    }
    PREFECTURES: dict[str, str] = {  # noqa: RUF012
        "75": "75056", "92": "92050", "93": "93008", "94": "94028", "95": "95500",
        "69": "69123", "13": "13055", "59": "59350", "974": "97411",
    }  # fmt: skip
    POSTAL_CODES: dict[str, list[Commune]] = {  # noqa: RUF012
        "92100": [Commune("92012", 48.8360, 2.2403)],
        "93200": [Commune("93066", 48.9370, 2.3598)],
    }

    def coordinates(self, insee: str) -> tuple[float, float] | None:
        return self.COMMUNES.get(insee)

    def prefecture_coordinates(self, department: str) -> tuple[float, float] | None:
        insee = self.PREFECTURES.get(department)
        return self.COMMUNES[insee] if insee else None

    def communes_for_postal_code(self, code: str) -> list[Any]:
        return list(self.POSTAL_CODES.get(code, []))


LOCATOR = FakeLocator()


def vol(vid: str, **fields: Any) -> Volunteer:
    """A volunteer in Bobigny covering 93, speaking French, free, unless told otherwise."""
    data: dict[str, Any] = {
        "id": vid,
        "name": f"Démo {vid}",
        "association": "Association Démo",
        "commune": "93008",
        "departments": ["93"],
        "languages": ["fr"],
        "capacity": 3,
    }
    data.update(fields)
    return Volunteer.model_validate(data)


def case(**fields: Any) -> RoutingCase:
    data: dict[str, Any] = {"language": "fr", "prefecture": "93", "commune": "93008", "urgency": "P3"}
    data.update(fields)
    return RoutingCase.model_validate(data)


QUALIFY = "needs oqtf/detention skill or lawyer"


@dataclass(frozen=True)
class Scenario:
    name: str
    volunteers: list[Volunteer]
    case: RoutingCase
    choice: str | None
    ranking: list[str]
    excluded: dict[str, str] = field(default_factory=dict)
    interpreter_needed: bool = False
    open_cases: dict[str, int] | None = None
    excluded_ids: tuple[str, ...] = ()


SCENARIOS = [
    Scenario(
        "capacity_full",
        [vol("a", open_cases=3), vol("b", commune="93048", open_cases=2)],
        case(),
        choice="b",
        ranking=["b"],
        excluded={"a": "full (3/3 cases)"},
    ),
    Scenario(
        "capacity_zero_is_full",
        [vol("a", capacity=0), vol("b", commune="93048")],
        case(),
        choice="b",
        ranking=["b"],
        excluded={"a": "full (0/0 cases)"},
    ),
    Scenario(
        "open_cases_mapping_overrides_the_roster",
        [vol("a", open_cases=3), vol("b", commune="93048")],
        case(),
        choice="a",
        ranking=["a"],
        excluded={"b": "full (3/3 cases)"},
        open_cases={"a": 1, "b": 3},
    ),
    Scenario(
        "live_counts_replace_the_roster_column_absent_ids_have_none",
        [vol("a", open_cases=3), vol("b", commune="93048", open_cases=3)],
        case(),
        choice="a",
        ranking=["a", "b"],
        open_cases={},
    ),
    Scenario(
        "speaker_preferred_over_nearer_non_speaker",
        [vol("a"), vol("b", commune="93066", languages=["fr", "ar"])],
        case(language="ar"),
        choice="b",
        ranking=["b"],
        excluded={"a": "does not speak ar"},
    ),
    Scenario(
        "nobody_speaks_the_language_interpreter_needed",
        [vol("a", commune="93066"), vol("b", languages=["fr", "en"])],
        case(language="ps"),
        choice="b",
        ranking=["b", "a"],
        interpreter_needed=True,
    ),
    Scenario(
        "only_speaker_is_full_so_interpreter_needed",
        [vol("a", languages=["ps"], open_cases=3), vol("b", commune="93066")],
        case(language="ps"),
        choice="b",
        ranking=["b"],
        excluded={"a": "full (3/3 cases)"},
        interpreter_needed=True,
    ),
    Scenario(
        "p0_needs_oqtf_or_detention_skill_or_lawyer",
        [
            vol("a"),
            vol("b", commune="93066", skills=["oqtf"]),
            vol("c", commune="95127", lawyer=True),
            vol("d", commune="93048", skills=["detention"]),
            vol("e", skills=["students", "family"]),
        ],
        case(urgency="P0"),
        choice="d",
        ranking=["d", "b", "c"],
        excluded={"a": QUALIFY, "e": QUALIFY},
    ),
    Scenario(
        "removal_order_p2_needs_them_too",
        [vol("a"), vol("b", commune="93066", lawyer=True)],
        case(urgency="P2", removal_order=True),
        choice="b",
        ranking=["b"],
        excluded={"a": QUALIFY},
    ),
    Scenario(
        "p2_without_removal_order_does_not",
        [vol("a"), vol("b", commune="93066", lawyer=True)],
        case(urgency="P2", removal_order=False),
        choice="a",
        ranking=["a", "b"],
    ),
    Scenario(
        "covering_beats_nearer",
        [
            vol("near", commune="75119", departments=["75"]),
            vol("far", commune="95127", departments=["93", "95"]),
        ],
        case(),
        choice="far",
        ranking=["far", "near"],
    ),
    Scenario(
        "distance_ordering",
        [vol("sd", commune="93066"), vol("bob", commune="93008"), vol("mtr", commune="93048")],
        case(commune="93048"),
        choice="mtr",
        ranking=["mtr", "bob", "sd"],
    ),
    Scenario(
        "ties_broken_by_open_cases_then_id",
        [vol("c", open_cases=0), vol("a", open_cases=1), vol("b", open_cases=0)],
        case(),
        choice="b",
        ranking=["b", "c", "a"],
    ),
    Scenario(
        "inactive_volunteers_are_left_out",
        [vol("a", active=False), vol("b", commune="93066")],
        case(),
        choice="b",
        ranking=["b"],
        excluded={"a": "inactive"},
    ),
    Scenario(
        "already_offered_exclusions",
        [
            vol("a", languages=["ar"]),
            vol("b", commune="93066", languages=["ar", "fr"]),
            vol("c", commune="75118"),
        ],
        case(language="ar"),
        choice="b",
        ranking=["b"],
        excluded={"a": "already offered", "c": "does not speak ar"},
        excluded_ids=("a",),
    ),
    Scenario(
        "no_candidate_at_all_escalates",
        [vol("a", active=False), vol("b", open_cases=3), vol("c", commune="93066")],
        case(urgency="P0"),
        choice=None,
        ranking=[],
        excluded={"a": "inactive", "b": "full (3/3 cases)", "c": QUALIFY},
    ),
    Scenario(
        "max_failed_offers_escalates_even_with_candidates_left",
        [vol("a"), vol("b"), vol("c"), vol("d", commune="93066")],
        case(),
        choice=None,
        ranking=["d"],
        excluded={"a": "already offered", "b": "already offered", "c": "already offered"},
        excluded_ids=("a", "b", "c"),
    ),
    Scenario(
        "persons_commune_is_used_when_known",
        [vol("sd", commune="93066"), vol("mtr", commune="93048")],
        case(commune="93066"),
        choice="sd",
        ranking=["sd", "mtr"],
    ),
    Scenario(
        "prefecture_city_when_no_commune",
        [vol("sd", commune="93066"), vol("mtr", commune="93048")],
        case(commune=None),  # Bobigny: Montreuil 4.9 km, Saint-Denis 7.0 km
        choice="mtr",
        ranking=["mtr", "sd"],
    ),
    Scenario(
        "prefecture_city_when_commune_unknown_to_locator",
        [vol("sd", commune="93066"), vol("mtr", commune="93048")],
        case(commune="93999"),
        choice="mtr",
        ranking=["mtr", "sd"],
    ),
    Scenario(
        "postal_code_base_uses_its_first_commune",
        [vol("pc", commune=None, postal_code="93200"), vol("mtr", commune="93048")],
        case(commune="93066"),
        choice="pc",
        ranking=["pc", "mtr"],
    ),
    Scenario(
        "unlocated_volunteer_ranks_after_located_ones",
        [vol("lost", commune="93999"), vol("lille", commune="59350")],
        case(),
        choice="lille",
        ranking=["lille", "lost"],
    ),
    Scenario(
        "volunteer_covering_nothing_ranks_on_distance_after_coverers",
        [vol("nat", commune="93008", departments=[]), vol("lyon", commune="69123", departments=["93", "69"])],
        case(),
        choice="lyon",
        ranking=["lyon", "nat"],
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_route_case(scenario: Scenario) -> None:
    decision = route_case(
        scenario.case,
        scenario.volunteers,
        LOCATOR,
        open_cases=scenario.open_cases,
        excluded_ids=scenario.excluded_ids,
    )
    assert [r.id for r in decision.ranking] == scenario.ranking
    assert decision.choice == scenario.choice
    assert decision.escalate is (scenario.choice is None)
    assert decision.interpreter_needed is scenario.interpreter_needed
    assert {e.id: e.reason for e in decision.excluded} == scenario.excluded
    # Every volunteer is either ranked or excluded, never both.
    assert len(decision.ranking) + len(decision.excluded) == len(scenario.volunteers)


def test_ranking_reports_distance_coverage_and_load() -> None:
    volunteers = [
        vol("mtr", commune="93048", open_cases=2),
        vol("cergy", commune="95127", departments=["95"]),
    ]
    decision = route_case(case(), volunteers, LOCATOR)
    mtr, cergy = decision.ranking
    assert (mtr.id, mtr.covers, mtr.open_cases) == ("mtr", True, 2)
    assert mtr.km == pytest.approx(4.9, abs=0.1)  # Bobigny → Montreuil
    assert (cergy.id, cergy.covers, cergy.open_cases) == ("cergy", False, 0)
    assert cergy.km == pytest.approx(great_circle_km((48.9062, 2.4450), (49.0522, 2.0364)))
    assert cergy.km is not None and 30 < cergy.km < 35


def test_great_circle_km_on_known_distances() -> None:
    paris, lyon, marseille = (48.8566, 2.3522), (45.7677, 4.8354), (43.2976, 5.3694)
    assert great_circle_km(paris, lyon) == pytest.approx(392, abs=3)
    assert great_circle_km(paris, marseille) == pytest.approx(661, abs=3)
    assert great_circle_km(lyon, lyon) == 0.0


def test_to_json_dict_has_exactly_the_documented_shape() -> None:
    volunteers = [vol("a", commune="93048"), vol("b", active=False), vol("c", commune="93099")]
    decision = route_case(case(language="ar"), volunteers, LOCATOR)
    data = decision.to_json_dict()
    assert data == {
        "choice": "a",
        "interpreter_needed": True,
        "escalate": False,
        "ranking": [
            {"id": "a", "km": 4.9, "covers": True, "open_cases": 0},
            {"id": "c", "km": None, "covers": True, "open_cases": 0},
        ],
        "excluded": [{"id": "b", "reason": "inactive"}],
    }
    assert json.loads(json.dumps(data)) == data
    # A stored decision reads back (distances as rounded).
    assert RoutingDecision.model_validate(data).to_json_dict() == data


def test_decision_is_frozen() -> None:
    decision = route_case(case(), [vol("a")], LOCATOR)
    assert isinstance(decision, RoutingDecision)
    with pytest.raises(ValidationError):
        decision.choice = "b"  # type: ignore[misc]


def test_index_is_reused_and_gives_the_same_decision() -> None:
    volunteers = [vol("sd", commune="93066"), vol("mtr", commune="93048"), vol("x", active=False)]
    index = VolunteerIndex(volunteers, LOCATOR)
    assert len(index) == 3
    for commune in ("93066", "93048", None):
        expected = route_case(case(commune=commune), volunteers, LOCATOR)
        assert route_case(case(commune=commune), index, LOCATOR) == expected


def test_limit_keeps_the_head_of_the_full_ranking() -> None:
    volunteers = [
        vol(f"v{n}", commune=code) for n, code in enumerate(["93066", "93048", "75118", "95127", "93008"])
    ]
    full = route_case(case(), volunteers, LOCATOR)
    short = route_case(case(), volunteers, LOCATOR, limit=2)
    assert short.ranking == full.ranking[:2]
    assert (short.choice, short.excluded) == (full.choice, full.excluded)
    with pytest.raises(ValueError, match="limit"):
        route_case(case(), volunteers, LOCATOR, limit=0)


def test_index_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        VolunteerIndex([vol("a"), vol("a", commune="93066")], LOCATOR)


def test_no_location_at_all_still_ranks_by_coverage_load_and_id() -> None:
    volunteers = [vol("b", open_cases=1), vol("a", open_cases=1), vol("z", departments=["75"])]
    decision = route_case(
        case(prefecture="976", commune=None), [*volunteers, vol("m", departments=["976"])], LOCATOR
    )
    assert [r.id for r in decision.ranking] == ["m", "z", "a", "b"]
    assert all(r.km is None for r in decision.ranking)


def test_routing_case_from_case() -> None:
    from bot.core.case import Case, Slots, UrgencyDecision

    now = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
    urgency = UrgencyDecision(
        level="P1", rule="oqtf_custody", base_level="P1", modifier_applied=False, reason_fr="x", reason="x"
    )
    full = Case(
        id="c1",
        conversation_id="conv",
        channel="test",
        slots=Slots(language="ar", prefecture="93", commune="93066", removal_order=True),
        urgency=urgency,
        created_at=now,
        updated_at=now,
    )
    assert RoutingCase.from_case(full) == RoutingCase(
        language="ar", prefecture="93", commune="93066", urgency="P1", removal_order=True
    )


def test_shipped_handoff_rules() -> None:
    rules = load_handoff_rules()
    assert [rules.offer_lifetime(level) for level in ("P0", "P1", "P2", "P3", "P4")] == [
        dt.timedelta(minutes=15),
        dt.timedelta(hours=2),
        dt.timedelta(hours=12),
        dt.timedelta(hours=48),
        dt.timedelta(days=7),
    ]
    assert rules.max_failed_offers == 3
    assert rules.removal_order_skills == ("oqtf", "detention")
    assert rules.lawyers_qualify is True
    assert rules.qualified_levels == frozenset({"P0"})


RULES = {
    "offer_lifetimes": {"P0": "15 min", "P1": "2 h", "P2": "12 h", "P3": "48 h", "P4": "7 days"},
    "max_failed_offers": 3,
    "qualified_levels": ["P0"],
    "removal_order_skills": ["oqtf", "detention"],
    "lawyers_qualify": True,
}


@pytest.mark.parametrize(
    "change",
    [
        {"unexpected_key": 1},
        {"offer_lifetimes": {"P0": "15 min"}},
        {"offer_lifetimes": {**RULES["offer_lifetimes"], "P1": "soon"}},  # type: ignore[dict-item]
        {"max_failed_offers": 0},
        {"removal_order_skills": []},
    ],
    ids=["extra_key", "missing_level", "bad_duration", "zero_offers", "no_skill"],
)
def test_bad_handoff_rules_are_rejected(change: dict[str, Any], tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "handoff.yml"
    path.write_text(yaml.safe_dump({**RULES, **change}), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_handoff_rules(path)


def test_rules_change_who_qualifies() -> None:
    volunteers = [vol("lawyer", lawyer=True), vol("student", commune="93066", skills=["students"])]
    strict = HandoffRules.model_validate(
        {**RULES, "lawyers_qualify": False, "removal_order_skills": ["students"]}
    )
    decision = route_case(case(urgency="P0"), volunteers, LOCATOR, rules=strict)
    assert [r.id for r in decision.ranking] == ["student"]
    assert {e.id: e.reason for e in decision.excluded} == {"lawyer": "needs students skill"}
    two_offers = HandoffRules.model_validate({**RULES, "max_failed_offers": 1})
    decision = route_case(case(), volunteers, LOCATOR, excluded_ids=["x"], rules=two_offers)
    assert decision.escalate and decision.choice is None


@pytest.mark.parametrize(
    ("routing_case", "choice"),
    [
        # Bobigny, Arabic: Paris 19e covers 93 and speaks Arabic, 5 km away.
        (case(language="ar", urgency="P1"), "demo-paris-02"),
        # Bobigny, P0: the Bobigny volunteer with oqtf/detention skills.
        (case(language="fr", urgency="P0"), "demo-93-01"),
        # Lyon, Spanish: only the Lyon lawyer speaks it there.
        (case(language="es", prefecture="69", commune="69123"), "demo-lyon-03"),
        # Réunion.
        (case(language="fr", prefecture="974", commune="97411", urgency="P0"), "demo-reunion-01"),
    ],
)
def test_demo_roster_routes(routing_case: RoutingCase, choice: str) -> None:
    class DemoLocator(FakeLocator):
        COMMUNES = {  # noqa: RUF012
            **FakeLocator.COMMUNES,
            "69381": (45.7694, 4.8300),
            "31555": (43.6040, 1.4430),
            "33063": (44.8380, -0.5796),
        }
        POSTAL_CODES = {**FakeLocator.POSTAL_CODES, "69007": [Commune("69387", 45.7453, 4.8422)]}  # noqa: RUF012

    volunteers = load_volunteers(REPO / "data" / "demo" / "volunteers.csv")
    decision = route_case(routing_case, volunteers, DemoLocator())
    assert decision.choice == choice


# Property test: the optimised `route_case` against a plain transcription of spec §4.

PLACES = [*FakeLocator.COMMUNES, "93999"]  # one code the locator does not know
LANGS = ["fr", "ar", "en", "ps"]
DEPTS = ["75", "93", "92", "69", "976"]


def reference(
    rc: RoutingCase,
    volunteers: list[Volunteer],
    open_cases: dict[str, int] | None,
    offered: set[str],
    rules: HandoffRules,
) -> tuple[list[str], bool, set[str]]:
    def count(v: Volunteer) -> int:
        return v.open_cases if open_cases is None else open_cases.get(v.id, 0)

    needs = rc.urgency in rules.qualified_levels or bool(rc.removal_order)
    ok = [
        v
        for v in volunteers
        if v.active
        and v.id not in offered
        and count(v) < v.capacity
        and (
            not needs
            or (v.lawyer and rules.lawyers_qualify)
            or set(v.skills) & set(rules.removal_order_skills)
        )
    ]
    speakers = [v for v in ok if rc.language in v.languages]
    candidates = speakers or ok
    person = LOCATOR.coordinates(rc.commune) if rc.commune else None
    person = person or (LOCATOR.prefecture_coordinates(rc.prefecture) if rc.prefecture else None)

    def km(v: Volunteer) -> float:
        base = LOCATOR.coordinates(v.commune) if v.commune else None
        return great_circle_km(person, base) if person and base else float("inf")

    ranked = sorted(candidates, key=lambda v: (rc.prefecture not in v.departments, km(v), count(v), v.id))
    return (
        [v.id for v in ranked],
        not speakers and bool(ok),
        {v.id for v in volunteers} - set(map(id_of, ranked)),
    )


def id_of(v: Volunteer) -> str:
    return v.id


volunteer_fields = st.fixed_dictionaries(
    {
        "commune": st.sampled_from(PLACES),
        "departments": st.lists(st.sampled_from(DEPTS), max_size=2),
        "languages": st.lists(st.sampled_from(LANGS), min_size=1, max_size=2),
        "skills": st.lists(st.sampled_from(["oqtf", "detention", "family"]), max_size=2),
        "lawyer": st.booleans(),
        "capacity": st.integers(0, 3),
        "active": st.booleans(),
        "open_cases": st.integers(0, 3),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    rosters=st.lists(volunteer_fields, max_size=12),
    language=st.sampled_from(LANGS),
    prefecture=st.sampled_from([*DEPTS, None]),
    commune=st.sampled_from([*PLACES, None]),
    urgency=st.sampled_from(["P0", "P1", "P2", "P3", "P4"]),
    removal_order=st.sampled_from([True, False, None]),
    offered_numbers=st.sets(st.integers(0, 14), max_size=4),
    live=st.none() | st.dictionaries(st.integers(0, 14), st.integers(0, 4), max_size=6),
    limit=st.integers(1, 4),
)
def test_route_case_agrees_with_a_plain_reading_of_the_spec(
    rosters: list[dict[str, Any]],
    language: str,
    prefecture: str | None,
    commune: str | None,
    urgency: str,
    removal_order: bool | None,
    offered_numbers: set[int],
    live: dict[int, int] | None,
    limit: int,
) -> None:
    volunteers = [vol(f"v{n:02d}", **fields) for n, fields in enumerate(rosters)]
    rc = RoutingCase.model_validate(
        {
            "language": language,
            "prefecture": prefecture,
            "commune": commune,
            "urgency": urgency,
            "removal_order": removal_order,
        }
    )
    offered = {f"v{n:02d}" for n in offered_numbers}
    open_cases = None if live is None else {f"v{n:02d}": c for n, c in live.items()}
    rules = load_handoff_rules()
    index = VolunteerIndex(volunteers, LOCATOR)
    expected_ranking, expected_interpreter, expected_excluded = reference(
        rc, volunteers, open_cases, offered, rules
    )
    for _ in range(2):  # twice: the second call runs on the index's cached state
        decision = route_case(rc, index, LOCATOR, open_cases=open_cases, excluded_ids=offered, rules=rules)
        assert [r.id for r in decision.ranking] == expected_ranking
        assert decision.interpreter_needed is expected_interpreter
        assert {e.id for e in decision.excluded} == expected_excluded
        assert len(decision.excluded) == len(expected_excluded)
        assert decision.escalate is (not expected_ranking or len(offered) >= rules.max_failed_offers)
    head = route_case(
        rc, index, LOCATOR, open_cases=open_cases, excluded_ids=offered, rules=rules, limit=limit
    )
    assert [r.id for r in head.ranking] == expected_ranking[:limit]
    assert head.ranking == decision.ranking[:limit]


def test_the_gazetteer_is_a_locator_for_the_demo_roster() -> None:
    from bot.understanding.places import Gazetteer

    gazetteer = Gazetteer.load()
    locator: Locator = gazetteer
    index = VolunteerIndex(load_volunteers(REPO / "data" / "demo" / "volunteers.csv"), locator)
    assert len(index.bases) > 20  # every base located, most distinct
    decision = route_case(case(language="ar", urgency="P1"), index, locator)
    assert decision.choice == "demo-paris-02"  # Paris 19e, covers 93, speaks Arabic
    assert decision.ranking[0].km == pytest.approx(5.3, abs=0.2)
    # Without a commune, Val-d'Oise is measured from the prefecture (Cergy).
    near_cergy = route_case(case(prefecture="95", commune=None, language="fr"), index, locator)
    assert near_cergy.choice == "demo-95-01"
    assert near_cergy.ranking[0].km == pytest.approx(0.0, abs=0.5)
