"""The shipped urgency rules (spec §3), their boundaries, and the checks on broken rule files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.documents import DEFAULT_DOCUMENTS_PATH, DocumentsError, load_documents
from actions.urgency import (
    DEFAULT_RULES_PATH,
    SLOT_TERMS,
    RuleBook,
    RulesError,
    check_rules,
    load_rules,
)
from bot.core.case import (
    APPLICATION_STATUSES,
    CUSTODY_KINDS,
    DOCUMENT_CODES,
    URGENCY_LEVELS,
    VULNERABILITIES,
    Slots,
    UrgencyDecision,
)
from bot.core.clock import PARIS

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
LANGUAGES = ("fr", "en", "ar", "es")


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules()


def decide(book: RuleBook, now: dt.datetime = NOW, language: str = "fr", **slots: Any) -> UrgencyDecision:
    return book.evaluate(Slots(**slots), now, language)


def expiring(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


# --- the document catalogue -----------------------------------------------------------------------


def test_catalogue_has_every_code_with_spec_flags() -> None:
    documents = load_documents()
    assert set(documents.codes) == set(DOCUMENT_CODES)
    assert documents.anef("CST_ETU") is True
    assert documents.anef("CR_10") is True
    assert documents.anef("CST_VPF") is False
    assert documents.anef("RECEPISSE") is False
    assert documents.anef("ANEF_API") is True


def test_catalogue_labels_fall_back_to_french() -> None:
    documents = load_documents()
    assert documents.label("CST_VPF", "fr") == "carte de séjour « vie privée et familiale »"
    assert documents.label("CST_VPF", "en") == "residence card 'private and family life'"
    assert documents.label("CST_VPF", "tr") == documents.label("CST_VPF", "fr")
    for code in DOCUMENT_CODES:
        for lang in LANGUAGES:
            assert documents.label(code, lang).strip(), (code, lang)
            if lang != "fr":
                assert documents.label(code, lang) != documents.label(code, "fr"), (code, lang)


def _write(tmp_path: Path, data: object, name: str = "file.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_catalogue_rejects_missing_and_duplicated_codes(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_DOCUMENTS_PATH.read_text(encoding="utf-8"))
    entries = data["documents"]
    dcem = next(entry for entry in entries if entry["code"] == "DCEM")
    entries.remove(dcem)
    entries.append(dict(entries[0]))  # NONE twice
    entries.append({"code": "CST_XYZ", "anef": True, "label": {"fr": "x"}})
    with pytest.raises(DocumentsError) as caught:
        load_documents(_write(tmp_path, data))
    message = str(caught.value)
    assert "DCEM" in message and "absent" in message
    assert "NONE" in message and "2 fois" in message
    assert "CST_XYZ" in message and "inconnu" in message


def test_catalogue_rejects_unknown_fields(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_DOCUMENTS_PATH.read_text(encoding="utf-8"))
    data["documents"][3]["anfe"] = True
    with pytest.raises(DocumentsError, match="anfe"):
        load_documents(_write(tmp_path, data))


# --- the shipped file -------------------------------------------------------------------------------


def test_shipped_file_is_clean() -> None:
    assert check_rules() == []
    assert check_rules(DEFAULT_RULES_PATH) == []


def test_rule_order_is_the_spec_table(book: RuleBook) -> None:
    assert [(rule.name, rule.level) for rule in book.rules] == [
        ("detained", "P0"),
        ("oqtf_deadline_72h", "P0"),
        ("oqtf_custody", "P1"),
        ("oqtf_deadline_10d", "P1"),
        ("expired_unprotected", "P1"),
        ("oqtf_open", "P2"),
        ("anef_window_missed", "P2"),
        ("expiry_30d", "P2"),
        ("renewal_window", "P3"),
        ("first_request", "P3"),
        ("expired_covered", "P3"),
        ("filed_no_proof", "P3"),
        ("default", "P4"),
    ]


def test_every_rule_has_a_reason_in_each_language(book: RuleBook) -> None:
    assert book.modifier is not None
    for name, reason in [
        *((rule.name, rule.reason) for rule in book.rules),
        ("modifier", book.modifier.reason),
    ]:
        for lang in LANGUAGES:
            text = reason.get(lang, "")
            assert text.strip(), (name, lang)
            assert "\n" not in text, (name, lang)
        assert len({reason[lang] for lang in LANGUAGES}) == 4, name
        # Jargon is spelled out: a French reason naming the OQTF says what it is.
        if "OQTF" in reason["fr"]:
            assert "obligation de quitter le territoire (OQTF)" in reason["fr"], name


def test_terms_cover_every_slot() -> None:
    assert set(SLOT_TERMS) == set(Slots.model_fields)


# --- expiry boundaries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "rule", "level"),
    [
        (-1, "expired_unprotected", "P1"),
        (-300, "expired_unprotected", "P1"),
        (0, "expiry_30d", "P2"),
        (30, "expiry_30d", "P2"),
        (31, "renewal_window", "P3"),
        (60, "renewal_window", "P3"),
        (61, "renewal_window", "P3"),
        (120, "renewal_window", "P3"),
        (121, "default", "P4"),
    ],
)
def test_non_anef_document_not_filed(book: RuleBook, days: int, rule: str, level: str) -> None:
    decision = decide(book, document="CST_VPF", expiry_date=expiring(days), application_status="not_filed")
    assert (decision.rule, decision.level, decision.days_to_expiry) == (rule, level, days)
    assert decision.modifier_applied is False


@pytest.mark.parametrize(
    ("days", "rule", "level"),
    [
        (-1, "expired_unprotected", "P1"),
        (0, "anef_window_missed", "P2"),
        (30, "anef_window_missed", "P2"),
        (31, "anef_window_missed", "P2"),
        (60, "anef_window_missed", "P2"),
        (61, "renewal_window", "P3"),
        (120, "renewal_window", "P3"),
        (121, "default", "P4"),
    ],
)
def test_anef_document_not_filed(book: RuleBook, days: int, rule: str, level: str) -> None:
    decision = decide(book, document="CST_ETU", expiry_date=expiring(days), application_status="not_filed")
    assert (decision.rule, decision.level) == (rule, level)


def test_anef_flag_comes_from_the_catalogue(book: RuleBook) -> None:
    for code in ("VLS_TS", "CSP_TALENT", "CR_10", "CRA_10", "DCEM"):
        assert decide(book, document=code, expiry_date=expiring(45), application_status="not_filed").rule == (
            "anef_window_missed"
        )
    for code in ("CST_SAL", "CRA_1", "APS", "OTHER"):
        assert decide(book, document=code, expiry_date=expiring(45), application_status="not_filed").rule == (
            "renewal_window"
        )


@pytest.mark.parametrize(
    ("status", "rule", "level"),
    [
        ("filed_with_proof", "expired_covered", "P3"),
        ("filed_without_proof", "expired_unprotected", "P1"),
        ("not_filed", "expired_unprotected", "P1"),
    ],
)
def test_expired_by_application_status(book: RuleBook, status: str, rule: str, level: str) -> None:
    decision = decide(book, document="CST_SAL", expiry_date=expiring(-12), application_status=status)
    assert (decision.rule, decision.level, decision.days_to_expiry) == (rule, level, -12)


def test_filed_without_proof_unexpired(book: RuleBook) -> None:
    decision = decide(
        book, document="CST_SAL", expiry_date=expiring(200), application_status="filed_without_proof"
    )
    assert (decision.rule, decision.level) == ("filed_no_proof", "P3")


def test_filed_with_proof_unexpired_is_information(book: RuleBook) -> None:
    decision = decide(
        book, document="CST_SAL", expiry_date=expiring(10), application_status="filed_with_proof"
    )
    assert (decision.rule, decision.level) == ("default", "P4")


def test_days_count_from_the_paris_date(book: RuleBook) -> None:
    # 23:30 UTC on 25 Nov is already 26 Nov in Paris: the card expiring on the 25th is expired.
    late = dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC)
    decision = decide(book, now=late, document="CST_SAL", expiry_date=dt.date(2026, 11, 25))
    assert decision.days_to_expiry == -1


def test_naive_now_is_paris_time(book: RuleBook) -> None:
    decision = decide(book, now=NOW.replace(tzinfo=None), document="CST_SAL", expiry_date=TODAY)
    assert decision.days_to_expiry == 0


# --- récépissé and ANEF attestation -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["RECEPISSE", "ANEF_API"])
def test_receipt_status_is_derived_from_its_expiry(book: RuleBook, code: str) -> None:
    valid = decide(book, document=code, expiry_date=expiring(10))
    assert (valid.rule, valid.level) == ("default", "P4")
    expired = decide(book, document=code, expiry_date=expiring(-5))
    assert (expired.rule, expired.level) == ("expired_unprotected", "P1")
    # A status stored while the receipt was valid does not hide its expiry.
    stale = decide(book, document=code, expiry_date=expiring(-5), application_status="filed_with_proof")
    assert stale.rule == "expired_unprotected"


def test_receipt_without_expiry_keeps_the_stated_status(book: RuleBook) -> None:
    decision = decide(book, document="RECEPISSE", application_status="filed_without_proof")
    assert decision.rule == "filed_no_proof"


def test_receipt_facts_show_the_derived_status(book: RuleBook) -> None:
    facts = book.facts(Slots(document="RECEPISSE", expiry_date=expiring(-1)), NOW)
    assert facts["application_status"] == "filed_without_proof"
    assert facts["anef"] is False


# --- OQTF deadlines ---------------------------------------------------------------------------------


def test_free_person_gets_one_calendar_month(book: RuleBook) -> None:
    decision = decide(book, removal_order=True, removal_order_date=dt.date(2026, 10, 31), custody="free")
    assert decision.oqtf_deadline == dt.datetime(2026, 11, 30, 0, 0, tzinfo=PARIS)
    assert decision.hours_left == pytest.approx(3 * 24 + 14)
    assert (decision.rule, decision.level) == ("oqtf_deadline_10d", "P1")


def test_free_month_crossing_dst_is_calendar_based(book: RuleBook) -> None:
    deadline = book.oqtf_deadline(
        Slots(removal_order=True, removal_order_date=dt.date(2026, 10, 10), custody="free")
    )
    assert deadline == dt.datetime(2026, 11, 10, 0, 0, tzinfo=PARIS)
    assert deadline is not None and deadline.utcoffset() == dt.timedelta(hours=1)


@pytest.mark.parametrize("custody", ["house_arrest", "prison"])
def test_house_arrest_and_prison_get_168_hours(book: RuleBook, custody: str) -> None:
    decision = decide(book, removal_order=True, removal_order_date=dt.date(2026, 11, 20), custody=custody)
    assert decision.oqtf_deadline == dt.datetime(2026, 11, 27, 0, 0, tzinfo=PARIS)
    assert decision.hours_left == pytest.approx(14)
    assert (decision.rule, decision.level) == ("oqtf_deadline_72h", "P0")
    early = decide(
        book,
        now=dt.datetime(2026, 11, 20, 10, tzinfo=PARIS),
        removal_order=True,
        removal_order_date=dt.date(2026, 11, 20),
        custody=custody,
    )
    assert early.hours_left == pytest.approx(158)
    assert (early.rule, early.level) == ("oqtf_custody", "P1")


def test_house_arrest_deadline_crossing_the_october_dst_change(book: RuleBook) -> None:
    # Notified Saturday 24 Oct 2026 (CEST, UTC+2); clocks go back on Sunday 25 Oct.
    # 168 real hours from 24 Oct 00:00 CEST end on 30 Oct at 23:00 CET, not at midnight.
    slots = Slots(removal_order=True, removal_order_date=dt.date(2026, 10, 24), custody="house_arrest")
    deadline = book.oqtf_deadline(slots)
    assert deadline == dt.datetime(2026, 10, 30, 23, 0, tzinfo=PARIS)
    assert deadline is not None and deadline.astimezone(dt.UTC) == dt.datetime(
        2026, 10, 30, 22, 0, tzinfo=dt.UTC
    )
    start = dt.datetime(2026, 10, 24, 0, 0, tzinfo=PARIS)
    assert book.evaluate(slots, start).hours_left == pytest.approx(168)
    # Exactly 72 real hours before the deadline is 27 Oct 23:00 CET.
    decision = book.evaluate(slots, dt.datetime(2026, 10, 27, 23, 0, tzinfo=PARIS))
    assert decision.hours_left == pytest.approx(72)
    assert decision.rule == "oqtf_deadline_72h"


def test_detained_gets_48_hours_and_is_p0(book: RuleBook) -> None:
    decision = decide(book, removal_order=True, removal_order_date=dt.date(2026, 11, 20), custody="detained")
    assert decision.oqtf_deadline == dt.datetime(2026, 11, 22, 0, 0, tzinfo=PARIS)
    assert decision.hours_left is not None and decision.hours_left < 0
    assert (decision.rule, decision.level) == ("detained", "P0")
    assert book.is_fast_track(decision)


def test_detained_without_anything_else_is_p0(book: RuleBook) -> None:
    decision = decide(book, custody="detained")
    assert (decision.rule, decision.level, decision.oqtf_deadline) == ("detained", "P0", None)


def test_unknown_custody_counts_as_free(book: RuleBook) -> None:
    decision = decide(book, removal_order=True, removal_order_date=dt.date(2026, 10, 31))
    assert decision.oqtf_deadline == dt.datetime(2026, 11, 30, 0, 0, tzinfo=PARIS)
    assert decision.rule == "oqtf_deadline_10d"


def test_no_deadline_without_removal_order(book: RuleBook) -> None:
    decision = decide(book, removal_order=False, removal_order_date=dt.date(2026, 11, 20), custody="free")
    assert decision.oqtf_deadline is None and decision.hours_left is None


# Notified 2 Nov: the free person's deadline is 2 Dec 00:00 CET, with no DST change in between.
_DEADLINE = dt.datetime(2026, 12, 2, 0, 0, tzinfo=PARIS)
_EPSILON = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("before", "rule", "level"),
    [
        (dt.timedelta(hours=72), "oqtf_deadline_72h", "P0"),
        (dt.timedelta(hours=72) + _EPSILON, "oqtf_deadline_10d", "P1"),
        (dt.timedelta(hours=240), "oqtf_deadline_10d", "P1"),
        (dt.timedelta(hours=240) + _EPSILON, "oqtf_open", "P2"),
        (dt.timedelta(hours=1), "oqtf_deadline_72h", "P0"),
        (-dt.timedelta(hours=5), "oqtf_deadline_72h", "P0"),
        (-dt.timedelta(days=40), "oqtf_deadline_72h", "P0"),
    ],
)
def test_hours_left_boundaries(book: RuleBook, before: dt.timedelta, rule: str, level: str) -> None:
    now = _DEADLINE - before
    decision = decide(
        book, now=now, removal_order=True, removal_order_date=dt.date(2026, 11, 2), custody="free"
    )
    assert decision.oqtf_deadline == _DEADLINE
    assert decision.hours_left == pytest.approx(before.total_seconds() / 3600)
    assert (decision.rule, decision.level) == (rule, level)


def test_oqtf_outranks_an_expired_card(book: RuleBook) -> None:
    decision = decide(
        book,
        document="CST_SAL",
        expiry_date=expiring(-3),
        application_status="not_filed",
        removal_order=True,
        removal_order_date=dt.date(2026, 11, 20),
        custody="free",
    )
    assert (decision.rule, decision.level) == ("expired_unprotected", "P1")
    in_prison = decide(
        book,
        document="CST_SAL",
        expiry_date=expiring(-3),
        removal_order=True,
        removal_order_date=dt.date(2026, 11, 24),
        custody="prison",
    )
    assert (in_prison.rule, in_prison.level) == ("oqtf_custody", "P1")


# --- the modifier -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "rule", "base", "level", "applied"),
    [
        ({}, "default", "P4", "P3", True),
        ({"document": "NONE"}, "first_request", "P3", "P2", True),
        ({"removal_order": True}, "oqtf_open", "P2", "P1", True),
        (
            {"document": "CST_SAL", "expiry_date": "2026-11-01", "application_status": "not_filed"},
            "expired_unprotected",
            "P1",
            "P1",
            False,
        ),
        ({"custody": "detained"}, "detained", "P0", "P0", False),
    ],
)
def test_modifier_raises_one_level_up_to_p1(
    book: RuleBook, slots: dict[str, Any], rule: str, base: str, level: str, applied: bool
) -> None:
    decision = decide(book, vulnerabilities=frozenset({"children"}), **slots)
    assert (decision.rule, decision.base_level, decision.level, decision.modifier_applied) == (
        rule,
        base,
        level,
        applied,
    )
    modifier_fr = "Votre situation (enfants, santé, travail, logement ou violences)"
    assert (modifier_fr in decision.reason_fr) is applied


def test_modifier_applies_once_whatever_the_number_of_vulnerabilities(book: RuleBook) -> None:
    decision = decide(book, vulnerabilities=frozenset(VULNERABILITIES))
    assert (decision.base_level, decision.level) == ("P4", "P3")


def test_no_vulnerability_no_modifier(book: RuleBook) -> None:
    decision = decide(book, document="NONE", vulnerabilities=frozenset())
    assert (decision.level, decision.modifier_applied) == ("P3", False)


# --- missing answers and languages --------------------------------------------------------------------


def test_nothing_known_is_default(book: RuleBook) -> None:
    decision = decide(book)
    assert (decision.rule, decision.level, decision.base_level) == ("default", "P4", "P4")
    assert decision.oqtf_deadline is None and decision.days_to_expiry is None and decision.hours_left is None


def test_removal_order_alone_is_oqtf_open(book: RuleBook) -> None:
    decision = decide(book, removal_order=True)
    assert (decision.rule, decision.level) == ("oqtf_open", "P2")
    assert not book.is_fast_track(decision)


def test_not_does_not_fire_on_an_unknown_status(book: RuleBook) -> None:
    # expired_unprotected says {not: filed_with_proof}: an unknown status must not fire it.
    decision = decide(book, document="CST_SAL", expiry_date=expiring(-3))
    assert decision.rule == "default"
    explained = dict(book.explain(Slots(document="CST_SAL", expiry_date=expiring(-3)), NOW))
    assert explained["expired_unprotected"] is None
    assert explained["expiry_30d"] is False
    assert explained["default"] is True


def test_explain_lists_every_rule(book: RuleBook) -> None:
    explained = book.explain(Slots(custody="detained", removal_order=True), NOW)
    assert [name for name, _ in explained] == list(book.rule_names)
    assert dict(explained)["detained"] is True
    assert dict(explained)["oqtf_open"] is True
    assert dict(explained)["oqtf_custody"] is False


@pytest.mark.parametrize("language", ["en", "ar", "es"])
def test_reason_in_the_person_language(book: RuleBook, language: str) -> None:
    decision = decide(book, language=language, custody="detained")
    rule = book.rules[0]
    assert decision.reason == rule.reason[language]
    assert decision.reason_fr == rule.reason["fr"]


def test_unknown_language_gets_french(book: RuleBook) -> None:
    decision = decide(book, language="tr", vulnerabilities=frozenset({"health"}))
    assert decision.reason == decision.reason_fr


_slots = st.builds(
    Slots,
    document=st.none() | st.sampled_from(DOCUMENT_CODES),
    expiry_date=st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2029, 12, 31)),
    application_status=st.none() | st.sampled_from(APPLICATION_STATUSES),
    removal_order=st.none() | st.booleans(),
    removal_order_date=st.none() | st.dates(dt.date(2025, 1, 1), dt.date(2026, 11, 26)),
    custody=st.none() | st.sampled_from(CUSTODY_KINDS),
    vulnerabilities=st.none() | st.frozensets(st.sampled_from(VULNERABILITIES)),
)


@settings(max_examples=300, deadline=None)
@given(slots=_slots)
def test_any_combination_gives_a_consistent_decision(book: RuleBook, slots: Slots) -> None:
    decision = book.evaluate(slots, NOW, "en")
    rule = next(rule for rule in book.rules if rule.name == decision.rule)
    assert decision.base_level == rule.level
    shift = URGENCY_LEVELS.index(decision.base_level) - URGENCY_LEVELS.index(decision.level)
    assert shift == (1 if decision.modifier_applied else 0)
    if decision.modifier_applied:
        assert slots.vulnerabilities and decision.level != "P0"
    # The rule that fired is the first one explain() marks as firing.
    assert next(name for name, fired in book.explain(slots, NOW) if fired is True) == decision.rule


# --- broken files -----------------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return data


def _rule(data: dict[str, Any], name: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(rule for rule in data["rules"] if rule["name"] == name)
    return rule


def _problems(tmp_path: Path, data: dict[str, Any]) -> str:
    path = _write(tmp_path, data, "urgency.yml")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert check_rules(path) == caught.value.problems
    return str(caught.value)


def test_a_rewritten_shipped_file_still_loads(tmp_path: Path) -> None:
    book = load_rules(_write(tmp_path, _shipped()))
    assert len(book.rules) == 13


def test_rejects_unknown_term(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "detained")["when"] = {"custdy": "detained"}
    message = _problems(tmp_path, data)
    assert "règle « detained » (n° 1)" in message and "terme inconnu « custdy »" in message


def test_rejects_unknown_slot_value(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "detained")["when"] = {"custody": "detaind"}
    message = _problems(tmp_path, data)
    assert "« detained »" in message and "« detaind » inconnue pour custody" in message


def test_rejects_unknown_value_inside_in(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "oqtf_custody")["when"]["custody"] = {"in": ["house_arrest", "prisn"]}
    message = _problems(tmp_path, data)
    assert "oqtf_custody" in message and "prisn" in message


def test_rejects_unknown_level(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "oqtf_open")["level"] = "P5"
    message = _problems(tmp_path, data)
    assert "« oqtf_open »" in message and "niveau « P5 » inconnu" in message


def test_rejects_duplicate_rule_names(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "expiry_30d")["name"] = "renewal_window"
    message = _problems(tmp_path, data)
    assert "le nom « renewal_window » est utilisé par 2 règles" in message


def test_rejects_missing_default_rule(tmp_path: Path) -> None:
    data = _shipped()
    data["rules"].pop()
    message = _problems(tmp_path, data)
    assert "la dernière règle doit s'appeler « default »" in message


def test_rejects_a_default_rule_with_conditions(tmp_path: Path) -> None:
    data = _shipped()
    data["rules"][-1]["when"] = {"removal_order": False}
    assert "default" in _problems(tmp_path, data)


def test_rejects_a_condition_free_rule_before_the_end(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "first_request")["when"] = {}
    message = _problems(tmp_path, data)
    assert "first_request" in message and "ne serviraient jamais" in message


def test_rejects_reason_missing_in_french(tmp_path: Path) -> None:
    data = _shipped()
    del _rule(data, "expiry_30d")["reason"]["fr"]
    message = _problems(tmp_path, data)
    assert "« expiry_30d »" in message and "la raison en français (fr) manque" in message


def test_rejects_unknown_operator_and_bad_bounds(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "oqtf_custody")["when"]["custody"] = {"inn": ["prison"]}
    _rule(data, "renewal_window")["when"]["days_to_expiry"] = {"min": 0, "max": "soixante"}
    _rule(data, "first_request")["when"]["document"] = {"min": 3}
    message = _problems(tmp_path, data)
    assert "opérateur inconnu « inn »" in message
    assert "« soixante » n'est pas un nombre" in message
    assert "l'opérateur « min » ne s'applique pas à document" in message


def test_rejects_a_misspelt_field_and_lists_every_problem(tmp_path: Path) -> None:
    data = _shipped()
    rule = _rule(data, "expired_covered")
    rule["levle"] = rule.pop("level")
    data["settings"]["custody_when_unknown"] = "libre"
    path = _write(tmp_path, data, "urgency.yml")
    problems = check_rules(path)
    assert any("« expired_covered »" in p and "levle" in p and "champ inconnu" in p for p in problems)
    assert any(
        "« expired_covered »" in p and "level" in p and "champ obligatoire absent" in p for p in problems
    )
    # Structure problems stop before the meaning checks; fixing them shows the next ones.
    rule["level"] = rule.pop("levle")
    later = check_rules(_write(tmp_path, data, "urgency.yml"))
    assert later == [
        "settings → custody_when_unknown : valeur « libre » inconnue "
        "(possibles : free, house_arrest, prison, detained, ou null)"
    ]


def test_rejects_missing_custody_deadline(tmp_path: Path) -> None:
    data = _shipped()
    del data["settings"]["oqtf_deadline"]["prison"]
    assert "le délai pour « prison » manque" in _problems(tmp_path, data)


def test_rejects_a_key_written_twice(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        "when: {custody: detained}", "when: {custody: detained, custody: prison}"
    )
    path = tmp_path / "urgency.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="la clé « custody » est écrite deux fois"):
        load_rules(path)


def test_rejects_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "urgency.yml"
    path.write_text("rules: [\n  - name: x\n", encoding="utf-8")
    with pytest.raises(RulesError, match="pas du YAML valide"):
        load_rules(path)


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problems = check_rules(tmp_path / "absent.yml")
    assert len(problems) == 1 and "lecture impossible" in problems[0]


def test_custody_when_unknown_null_disables_the_guess(tmp_path: Path) -> None:
    data = _shipped()
    data["settings"]["custody_when_unknown"] = None
    book = load_rules(_write(tmp_path, data))
    decision = book.evaluate(Slots(removal_order=True, removal_order_date=dt.date(2026, 11, 25)), NOW)
    assert decision.oqtf_deadline is None
    assert decision.rule == "oqtf_open"


def test_known_operator_lets_jurists_catch_missing_answers(tmp_path: Path) -> None:
    # The example of docs/rules.md: an expired card whose application status is unknown.
    data = _shipped()
    index = data["rules"].index(_rule(data, "expired_unprotected")) + 1
    data["rules"].insert(
        index,
        {
            "name": "expired_status_unknown",
            "level": "P1",
            "when": {"days_to_expiry": {"max": -1}, "application_status": {"known": False}},
            "reason": {"fr": "Votre titre de séjour a expiré."},
        },
    )
    book = load_rules(_write(tmp_path, data))
    unknown = book.evaluate(Slots(document="CST_SAL", expiry_date=expiring(-3)), NOW)
    assert (unknown.rule, unknown.level) == ("expired_status_unknown", "P1")
    covered = Slots(document="CST_SAL", expiry_date=expiring(-3), application_status="filed_with_proof")
    assert book.evaluate(covered, NOW).rule == "expired_covered"


def test_known_needs_true_or_false(tmp_path: Path) -> None:
    data = _shipped()
    _rule(data, "first_request")["when"]["document"] = {"known": "oui"}
    assert "known : écrire true" in _problems(tmp_path, data)
