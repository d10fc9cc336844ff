"""`triage volunteers import|export|list|invite` and `triage route`, run as the real command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from actions.routing import RoutingCase, load_handoff_rules, route_case
from actions.volunteers import load_volunteers
from bot.understanding.places import default_gazetteer

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo" / "volunteers.csv"


def triage(store: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STORE_URL": f"sqlite:///{store}", "LOG_LEVEL": "ERROR"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_import_list_export_invite(db: Path, tmp_path: Path) -> None:
    done = triage(db, "volunteers", "import", DEMO)
    assert done.returncode == 0, done.stderr
    assert "43 volunteer(s) in the roster (43 new, 0 changed, 0 removed)" in done.stdout

    listing = triage(db, "volunteers", "list")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert len(lines) == 44 and lines[0].split()[:2] == ["id", "name"]
    assert any(line.startswith("demo-national-01") and "(national)" in line for line in lines)
    assert "+336" not in listing.stdout  # contact details are not printed

    exported = tmp_path / "roster.yml"
    done = triage(db, "volunteers", "export", exported)
    assert done.returncode == 0, done.stderr
    assert load_volunteers(exported) == sorted(load_volunteers(DEMO), key=lambda v: v.id)

    invite = triage(db, "volunteers", "invite", "--volunteer", "demo-93-01")
    assert invite.returncode == 0, invite.stderr
    code = re.search(r"INSCRIPTION ([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})", invite.stdout)
    assert code is not None and code.group(1) in invite.stdout.splitlines()[0]
    unknown = triage(db, "volunteers", "invite", "--volunteer", "nobody")
    assert unknown.returncode == 1 and "no volunteer 'nobody'" in unknown.stderr


def test_a_bad_file_is_reported_whole_and_imports_nothing(db: Path, tmp_path: Path) -> None:
    assert triage(db, "volunteers", "import", DEMO).returncode == 0
    bad = tmp_path / "bad.csv"
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    bad.write_text(
        "\n".join(
            [lines[0], lines[1].replace(",3,true,", ",three,true,"), lines[2].replace("75119", "99999")]
        ),
        encoding="utf-8",
    )
    done = triage(db, "volunteers", "import", bad)
    assert done.returncode == 1
    assert "2 problem(s), nothing imported" in done.stderr
    assert "line 2, column capacity" in done.stderr and "line 3, column commune" in done.stderr
    assert len(triage(db, "volunteers", "list").stdout.splitlines()) == 44  # the roster is unchanged

    smaller = tmp_path / "smaller.csv"
    smaller.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    done = triage(db, "volunteers", "import", smaller)
    assert "2 volunteer(s) in the roster (0 new, 0 changed, 41 removed)" in done.stdout


CASE_YAML = """\
language: fr
prefecture: "93"
commune: "93008"
document: CST_VPF
expiry_date: "2026-03-03"
application_status: not_filed
removal_order: false
vulnerabilities: [children]
"""


def test_route_json_is_the_routing_decision(tmp_path: Path, db: Path) -> None:
    case_file = tmp_path / "case.yml"
    case_file.write_text(CASE_YAML, encoding="utf-8")
    done = triage(db, "route", "--volunteers", DEMO, "--case", case_file, "--today", "2026-11-26", "--json")
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert list(decision) == ["choice", "interpreter_needed", "escalate", "ranking", "excluded"]
    assert list(decision["ranking"][0]) == ["id", "km", "covers", "open_cases"]
    assert list(decision["excluded"][0]) == ["id", "reason"]
    # Emma is based in Bobigny and covers 93; the urgency (P1) was computed from the slots.
    assert decision["choice"] == "demo-93-01" and decision["ranking"][0]["km"] == 0.0
    expected = route_case(
        RoutingCase(language="fr", prefecture="93", commune="93008", urgency="P1", removal_order=False),
        load_volunteers(DEMO),
        default_gazetteer(),
        rules=load_handoff_rules(),
    )
    assert decision == expected.to_json_dict()


def test_route_with_a_given_urgency_in_json_and_as_text(tmp_path: Path, db: Path) -> None:
    case_file = tmp_path / "case.json"
    case_file.write_text(
        json.dumps({"language": "ar", "commune": "69123", "removal_order": True, "urgency": "P0"}),
        encoding="utf-8",
    )
    done = triage(db, "route", "--volunteers", DEMO, "--case", case_file, "--json")
    decision = json.loads(done.stdout)
    # Lyon, removal order: only oqtf/detention volunteers or lawyers, and Arabic speakers first.
    roster = {v.id: v for v in load_volunteers(DEMO)}
    chosen = roster[decision["choice"]]
    assert "ar" in chosen.languages and (chosen.lawyer or {"oqtf", "detention"} & set(chosen.skills))
    assert not decision["interpreter_needed"]
    expected = route_case(
        RoutingCase(language="ar", prefecture="69", commune="69123", urgency="P0", removal_order=True),
        list(roster.values()),
        default_gazetteer(),
        rules=load_handoff_rules(),
    )
    assert decision == expected.to_json_dict()
    assert {"id": "demo-lyon-02", "reason": "needs oqtf/detention skill or lawyer"} in decision["excluded"]

    text = triage(db, "route", "--volunteers", DEMO, "--case", case_file)
    assert text.returncode == 0
    assert text.stdout.startswith("Case: P0, language ar, département 69")
    assert f"Offer to: {decision['choice']}" in text.stdout

    case_file.write_text(json.dumps({"language": "fr", "town": "Lyon"}), encoding="utf-8")
    bad = triage(db, "route", "--volunteers", DEMO, "--case", case_file)
    assert bad.returncode == 2 and "unknown key(s): town" in bad.stderr
