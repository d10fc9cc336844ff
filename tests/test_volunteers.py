"""Volunteer roster import and export (spec §4): CSV and YAML, all errors at once, nothing half-imported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from actions.volunteers import (
    COLUMNS,
    Volunteer,
    VolunteerFileError,
    VolunteerProblem,
    dump_volunteers,
    load_volunteers,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo" / "volunteers.csv"

HEADER = ",".join(COLUMNS)
GOOD_CSV = f"""{HEADER}
v1,Démo Alice,Association Démo Lyon,69123,,69 01,fr en,oqtf detention,false,3,true,123456,+33600000001,\
alice@demo.example.org,1
v2,Démo Bilal,Association Démo Marseille,,13001,13,FR ar,family,oui,2,non,,+33 6 00 00 00 02,,
v3,Démo Chloé,Association Démo Nice,06088,,2a 06,fr,,0,0,1,-100200,,,
"""

GOOD_YAML = """\
volunteers:
  - id: v1
    name: Démo Alice
    association: Association Démo Lyon
    commune: "69123"
    departments: ["69", 01]
    languages: [fr, en]
    skills: [oqtf, detention]
    lawyer: false
    capacity: 3
    active: true
    telegram_chat_id: 123456
    phone: "+33600000001"
    email: alice@demo.example.org
    open_cases: 1
  - id: v2
    name: Démo Bilal
    association: Association Démo Marseille
    postal_code: "13001"
    departments: "13"
    languages: FR ar
    skills: family
    lawyer: oui
    capacity: 2
    active: non
    phone: +33 6 00 00 00 02
  - id: v3
    name: Démo Chloé
    association: Association Démo Nice
    commune: "06088"
    departments: [2a, "06"]
    languages: [fr]
    lawyer: 0
    capacity: 0
    active: 1
    telegram_chat_id: "-100200"
"""

EXPECTED = [
    Volunteer(
        id="v1",
        name="Démo Alice",
        association="Association Démo Lyon",
        commune="69123",
        departments=["69", "01"],
        languages=["fr", "en"],
        skills=["oqtf", "detention"],
        lawyer=False,
        capacity=3,
        active=True,
        telegram_chat_id="123456",
        phone="+33600000001",
        email="alice@demo.example.org",
        open_cases=1,
    ),
    Volunteer(
        id="v2",
        name="Démo Bilal",
        association="Association Démo Marseille",
        postal_code="13001",
        departments=["13"],
        languages=["fr", "ar"],
        skills=["family"],
        lawyer=True,
        capacity=2,
        active=False,
        phone="+33 6 00 00 00 02",
    ),
    Volunteer(
        id="v3",
        name="Démo Chloé",
        association="Association Démo Nice",
        commune="06088",
        departments=["2A", "06"],
        languages=["fr"],
        capacity=0,
        telegram_chat_id="-100200",
    ),
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text"), [("team.csv", GOOD_CSV), ("team.yml", GOOD_YAML), ("team.yaml", GOOD_YAML)]
)
def test_import(tmp_path: Path, name: str, text: str) -> None:
    assert load_volunteers(write(tmp_path, name, text)) == EXPECTED


def test_yaml_plain_list_and_csv_with_semicolons_and_bom(tmp_path: Path) -> None:
    plain = "\n".join(line[2:] for line in GOOD_YAML.splitlines()[1:])
    assert load_volunteers(write(tmp_path, "plain.yml", plain)) == EXPECTED
    # A spreadsheet set to French exports ";" separated cells and a byte-order mark.
    semicolons = "\ufeff" + GOOD_CSV.replace(",", ";")
    assert load_volunteers(write(tmp_path, "excel.csv", semicolons)) == EXPECTED


def test_empty_optional_columns_take_their_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "short.csv",
        "id,name,association,commune,languages,capacity\nv1,Démo A,Asso Démo,93008,fr,2\n",
    )
    (volunteer,) = load_volunteers(path)
    assert (volunteer.active, volunteer.lawyer, volunteer.departments, volunteer.skills) == (
        True,
        False,
        [],
        [],
    )
    assert (volunteer.phone, volunteer.email, volunteer.telegram_chat_id, volunteer.open_cases) == (
        None,
        None,
        None,
        0,
    )


@pytest.mark.parametrize("suffix", [".csv", ".yml"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    dump_volunteers(EXPECTED, path)
    assert load_volunteers(path) == EXPECTED


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_demo_roster_round_trips(tmp_path: Path, suffix: str) -> None:
    roster = load_volunteers(DEMO)
    path = tmp_path / f"demo{suffix}"
    dump_volunteers(roster, path)
    assert load_volunteers(path) == roster


def test_dump_refuses_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="csv"):
        dump_volunteers(EXPECTED, tmp_path / "out.json")


@dataclass(frozen=True)
class BadLine:
    cells: dict[str, str]
    column: str
    words: str  # a fragment of the plain-words message


BASE = {
    "id": "",
    "name": "Démo X",
    "association": "Asso Démo",
    "commune": "93008",
    "languages": "fr",
    "capacity": "2",
}
BAD_LINES = [
    BadLine({"capacity": "-1"}, "capacity", "whole number"),
    BadLine({"capacity": "beaucoup"}, "capacity", "whole number"),
    BadLine({"capacity": ""}, "capacity", "required"),
    BadLine({"active": "peut-être"}, "active", "true or false"),
    BadLine({"lawyer": "maybe"}, "lawyer", "true or false"),
    BadLine({"departments": "93 20 99"}, "departments", "unknown département code(s): 20, 99"),
    BadLine({"languages": "fr xx"}, "languages", "unknown language code(s): xx"),
    BadLine({"languages": "fra"}, "languages", "2-letter"),
    BadLine({"languages": ""}, "languages", "required"),
    BadLine({"commune": "9300"}, "commune", "INSEE"),
    BadLine({"commune": "", "postal_code": "93 000"}, "postal_code", "5 digits"),
    BadLine({"commune": ""}, "", "commune (INSEE code) or a postal_code"),
    BadLine({"phone": "06 00 00 00 01"}, "phone", "international"),
    BadLine({"phone": "+33 six"}, "phone", "international"),
    BadLine({"email": "alice-at-example"}, "email", "e-mail"),
    BadLine({"telegram_chat_id": "@alice"}, "telegram_chat_id", "number"),
    BadLine({"skills": "oqtf Détention!"}, "skills", "lowercase"),
    BadLine({"name": ""}, "name", "required"),
    BadLine({"open_cases": "1.5"}, "open_cases", "whole number"),
]


def _csv_line(cells: dict[str, str]) -> str:
    return ",".join(f'"{cells.get(name, "")}"' for name in COLUMNS)


def test_every_bad_line_is_reported_at_once_and_nothing_imported(tmp_path: Path) -> None:
    lines = [HEADER, _csv_line({**BASE, "id": "ok-1"})]  # line 2 is fine
    for number, bad in enumerate(BAD_LINES, start=3):
        lines.append(_csv_line({**BASE, "id": f"bad-{number}", **bad.cells}))
    lines.append(_csv_line({**BASE, "id": "ok-1", "commune": "69123"}))  # duplicate id
    path = write(tmp_path, "bad.csv", "\n".join(lines) + "\n")

    with pytest.raises(VolunteerFileError) as caught:
        load_volunteers(path)

    problems = caught.value.problems
    duplicate_line = len(BAD_LINES) + 3
    assert [(p.line, p.column) for p in problems] == sorted(
        [(number, bad.column) for number, bad in enumerate(BAD_LINES, start=3)] + [(duplicate_line, "id")]
    )
    by_line = {p.line: p for p in problems}
    for number, bad in enumerate(BAD_LINES, start=3):
        assert bad.words in by_line[number].message, (number, by_line[number])
    assert "duplicate id 'ok-1' (already on line 2)" in by_line[duplicate_line].message
    # The message lists every problem in plain words, with line and column.
    text = str(caught.value)
    assert f"{len(problems)} problem(s), nothing imported" in text
    assert "line 3, column capacity: must be a whole number, 0 or more" in text


def test_several_problems_on_one_line_are_all_reported(tmp_path: Path) -> None:
    row = _csv_line({**BASE, "id": "v1", "capacity": "x", "languages": "zz", "active": "?", "commune": "1"})
    with pytest.raises(VolunteerFileError) as caught:
        load_volunteers(write(tmp_path, "bad.csv", f"{HEADER}\n{row}\n"))
    assert {(p.line, p.column) for p in caught.value.problems} == {
        (2, "capacity"),
        (2, "languages"),
        (2, "active"),
        (2, "commune"),
    }


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    text = "id,name,association,commune,langauges,capacity\nv1,Démo A,Asso Démo,93008,fr,2\n"
    with pytest.raises(VolunteerFileError) as caught:
        load_volunteers(write(tmp_path, "typo.csv", text))
    assert caught.value.problems == [
        VolunteerProblem(1, "langauges", "unknown column"),
        VolunteerProblem(2, "languages", "is required"),
    ]


def test_yaml_problems_carry_the_line_of_the_item(tmp_path: Path) -> None:
    text = """\
- {id: a, name: Démo A, association: Asso, commune: "93008", languages: [fr], capacity: 1}
- just a string
- id: a
  name: Démo B
  association: Asso
  commune: 93008
  languages: [fr, qq]
  capacity: 1
  colour: blue
"""
    with pytest.raises(VolunteerFileError) as caught:
        load_volunteers(write(tmp_path, "team.yml", text))
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (2, ""),
        (3, "colour"),
        (3, "id"),
        (3, "languages"),
    ]
    assert caught.value.problems[2].message == "duplicate id 'a' (already on line 1)"


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("team.yml", "volunteers: {id: a}\n", "expected a list"),
        ("team.yml", "- [unclosed\n", "not valid YAML"),
        ("team.csv", "", "empty"),
        ("team.txt", "id\n", ".csv, .yml or .yaml"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, text: str, words: str) -> None:
    with pytest.raises(VolunteerFileError, match=words):
        load_volunteers(write(tmp_path, name, text))


class SmallLocator:
    """Knows Bobigny and one postal code; enough to check that codes exist."""

    def coordinates(self, insee: str) -> tuple[float, float] | None:
        return {"93008": (48.9062, 2.4450)}.get(insee)

    def communes_for_postal_code(self, code: str) -> list[Any]:
        return ["93000-commune"] if code == "93000" else []


def test_locator_checks_that_places_exist(tmp_path: Path) -> None:
    rows = [
        _csv_line({**BASE, "id": "ok"}),
        _csv_line({**BASE, "id": "ghost-commune", "commune": "93999"}),
        _csv_line({**BASE, "id": "ok-postal", "commune": "", "postal_code": "93000"}),
        _csv_line({**BASE, "id": "ghost-postal", "commune": "", "postal_code": "93990"}),
    ]
    path = write(tmp_path, "team.csv", "\n".join([HEADER, *rows]) + "\n")
    assert len(load_volunteers(path)) == 4  # without a locator only the format is checked
    with pytest.raises(VolunteerFileError) as caught:
        load_volunteers(path, locator=SmallLocator())
    assert caught.value.problems == [
        VolunteerProblem(3, "commune", "no commune has INSEE code 93999"),
        VolunteerProblem(5, "postal_code", "unknown postal code 93990"),
    ]


def test_demo_roster_loads() -> None:
    roster = load_volunteers(DEMO)
    assert 35 <= len(roster) <= 50
    assert len({v.id for v in roster}) == len(roster)
    assert all(v.name.startswith("Démo ") and "Démo" in v.association for v in roster)
    assert all(v.phone is not None and v.phone.startswith("+3360000") for v in roster)
    assert all(v.telegram_chat_id is None for v in roster)
    # The mix the routing tests and demos rely on.
    languages = {lang for v in roster for lang in v.languages}
    assert {"fr", "en", "ar", "es"} <= languages and len(languages) > 6
    assert any(v.lawyer for v in roster) and any(not v.active for v in roster)
    assert any({"oqtf", "detention"} & set(v.skills) for v in roster)
    departments = {d for v in roster for d in v.departments}
    assert {"75", "93", "92", "94", "95", "91", "77", "78", "69", "13", "974", "971"} <= departments
    assert any(v.postal_code and not v.commune for v in roster)


def test_volunteer_model_rejects_unknown_fields() -> None:
    data: dict[str, Any] = {**BASE, "id": "v1", "languages": ["fr"], "capacity": 1, "colour": "blue"}
    with pytest.raises(ValueError, match="colour"):
        Volunteer.model_validate(data)


def test_demo_roster_places_exist_in_the_gazetteer() -> None:
    from bot.understanding.places import Gazetteer

    assert len(load_volunteers(DEMO, locator=Gazetteer.load())) == len(load_volunteers(DEMO))
