"""The NLU data files: Rasa 3.x format (checked with Rasa's own pykwalify schema) and our loader."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pykwalify.core import Core
from pykwalify.errors import SchemaError

from bot.core.case import APPLICATION_STATUSES, CUSTODY_KINDS, DOCUMENT_CODES, VULNERABILITIES
from bot.understanding.nlu_data import (
    DEFAULT_ROOT,
    MONTH_LOOKUPS,
    NluData,
    NluDataError,
    load_nlu_data,
    normalize_text,
)

SCHEMAS = Path(__file__).resolve().parent / "rasa_schema"
LANGUAGES = ("ar", "en", "es", "fr")
INTENTS = {
    "affirm", "deny", "help", "restart", "erase", "human", "change_language",
    "back", "skip", "greet", "thanks", "dont_know", "out_of_scope",
}  # fmt: skip
NLU_FILES = sorted(p for p in DEFAULT_ROOT.glob("*/*.yml") if p.parent.name in LANGUAGES)


@pytest.fixture(scope="module")
def rasa_schema() -> dict[str, Any]:
    # Rasa merges the responses schema in, since the NLU schema includes it by name.
    nlu = yaml.safe_load((SCHEMAS / "nlu.schema.yml").read_text(encoding="utf-8"))
    responses = yaml.safe_load((SCHEMAS / "responses.schema.yml").read_text(encoding="utf-8"))
    return {**nlu, **responses}


@pytest.fixture(scope="module")
def data() -> NluData:
    return load_nlu_data()


def _distinct(texts: list[str]) -> int:
    return len({normalize_text(text) for text in texts})


# -- Rasa format ---------------------------------------------------------------------------------


def test_every_language_has_the_assigned_files() -> None:
    for lang in LANGUAGES:
        for stem in ("intents", "document", "application_status", "custody", "vulnerabilities", "months"):
            assert (DEFAULT_ROOT / lang / f"{stem}.yml").is_file(), f"{lang}/{stem}.yml"


@pytest.mark.parametrize("path", NLU_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_matches_the_rasa_schema(path: Path, rasa_schema: dict[str, Any]) -> None:
    source = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert source["version"] == "3.1"
    Core(source_data=source, schema_data=rasa_schema).validate(raise_exception=True)


def test_the_schema_check_can_fail(rasa_schema: dict[str, Any]) -> None:
    broken = {"version": "3.1", "nlu": [{"intent": "greet", "exemples": "- salut"}]}
    with pytest.raises(SchemaError):
        Core(source_data=broken, schema_data=rasa_schema).validate(raise_exception=True)


# -- what the loader gives -----------------------------------------------------------------------


def test_languages_and_intents(data: NluData) -> None:
    assert data.languages == LANGUAGES
    for lang in LANGUAGES:
        examples = data.intent_examples(lang)
        assert set(examples) == INTENTS, lang
        minimum = 25 if lang == "fr" else 15
        for intent, texts in examples.items():
            assert _distinct(texts) >= minimum, (lang, intent, _distinct(texts))


def test_codes_are_complete_with_enough_expressions(data: NluData) -> None:
    for lang in LANGUAGES:
        documents = data.synonyms(lang, "document")
        assert set(documents) == set(DOCUMENT_CODES), lang
        minimum = 8 if lang == "fr" else 4
        for code, expressions in documents.items():
            assert _distinct(expressions) >= minimum, (lang, code)
        assert set(data.synonyms(lang, "custody")) == set(CUSTODY_KINDS)
        assert set(data.synonyms(lang, "application_status")) == set(APPLICATION_STATUSES)
        assert set(data.synonyms(lang, "vulnerabilities")) == set(VULNERABILITIES)
        for month in MONTH_LOOKUPS:
            assert data.lookup(lang, month), (lang, month)


@pytest.mark.parametrize(
    ("lang", "kind", "expression", "value"),
    [
        ("fr", "document", "carte vie privée et familiale", "CST_VPF"),
        ("fr", "document", "salarier", "CST_SAL"),
        ("fr", "document", "réssipissi", "RECEPISSE"),
        ("fr", "document", "le récép", "RECEPISSE"),
        ("fr", "document", "api", "ANEF_API"),
        ("fr", "document", "certificat de résidence algérien 1 an", "CRA_1"),
        ("fr", "document", "cra 10 ans", "CRA_10"),
        ("fr", "document", "sans papiers", "NONE"),
        ("en", "document", "10-year card", "CR_10"),
        ("en", "document", "i have no papers", "NONE"),
        ("ar", "document", "وصل", "RECEPISSE"),
        ("ar", "document", "بطاقة إقامة 10 سنوات", "CR_10"),
        ("ar", "document", "ما عندي أوراق", "NONE"),
        ("es", "document", "resguardo", "RECEPISSE"),
        ("es", "document", "tarjeta de residente de 10 años", "CR_10"),
        ("fr", "custody", "je suis au cra", "detained"),
        ("fr", "custody", "je pointe au commissariat", "house_arrest"),
        ("fr", "custody", "chez moi", "free"),
        ("fr", "vulnerabilities", "115", "housing"),
        ("fr", "vulnerabilities", "mon mari me frappe", "violence"),
        ("fr", "vulnerabilities", "la caf a coupé", "work"),
        ("fr", "application_status", "j'ai juste l'attestation de dépôt", "filed_without_proof"),
    ],
)
def test_expressions_people_use(data: NluData, lang: str, kind: str, expression: str, value: str) -> None:
    assert expression in data.synonyms(lang, kind)[value]


def test_arabic_months_in_every_tradition(data: NluData) -> None:
    january = data.lookup("ar", "month_01")
    assert {"كانون الثاني", "جانفي", "يناير"} <= set(january)
    assert {"آب", "أوت", "أغسطس", "غشت"} <= set(data.lookup("ar", "month_08"))


def test_unknown_names_raise_key_error(data: NluData) -> None:
    with pytest.raises(KeyError, match="de"):
        data.intent_examples("de")
    with pytest.raises(KeyError, match="nope"):
        data.synonyms("fr", "nope")
    with pytest.raises(KeyError, match="month_13"):
        data.lookup("fr", "month_13")


# -- broken data is refused, naming the file -----------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "nlu_data"
    for lang in LANGUAGES:
        shutil.copytree(DEFAULT_ROOT / lang, root / lang)
    return root


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + text, encoding="utf-8")


def test_the_copy_loads(copy: Path) -> None:
    assert load_nlu_data(copy).languages == LANGUAGES


def test_unknown_document_code(copy: Path) -> None:
    _append(copy / "fr" / "document.yml", "\n- synonym: CST_MAGIC\n  examples: |\n    - carte magique\n")
    with pytest.raises(NluDataError) as raised:
        load_nlu_data(copy)
    [issue] = raised.value.issues
    assert issue.file == Path("nlu_data/fr/document.yml")
    assert "CST_MAGIC" in issue.message
    assert "fr/document.yml" in str(raised.value)


def test_example_in_two_intents(copy: Path) -> None:
    text = (copy / "en" / "intents.yml").read_text(encoding="utf-8")
    (copy / "en" / "intents.yml").write_text(
        text.replace("    - nope\n", "    - nope\n    - Yes!\n"), encoding="utf-8"
    )
    with pytest.raises(NluDataError) as raised:
        load_nlu_data(copy)
    [issue] = raised.value.issues
    assert issue.file == Path("nlu_data/en/intents.yml")
    assert "'deny'" in issue.message and "'affirm'" in issue.message
    line = int(issue.location.removeprefix("line "))
    lines = (copy / "en" / "intents.yml").read_text(encoding="utf-8").splitlines()
    assert lines[line - 1].strip() == "- Yes!"


def test_unknown_custody_value_and_missing_month(copy: Path) -> None:
    _append(copy / "es" / "custody.yml", "\n- synonym: hotel\n  examples: |\n    - en el hotel\n")
    months = (copy / "ar" / "months.yml").read_text(encoding="utf-8")
    (copy / "ar" / "months.yml").write_text(
        months.replace("lookup: month_05", "lookup: month_5"), encoding="utf-8"
    )
    with pytest.raises(NluDataError) as raised:
        load_nlu_data(copy)
    messages = {str(issue.file): issue.message for issue in raised.value.issues}
    assert "'hotel'" in messages["nlu_data/es/custody.yml"]
    assert "month_05" in messages["nlu_data/ar/months.yml"]


def test_structure_errors(copy: Path) -> None:
    intents = copy / "fr" / "intents.yml"
    appended_at = len(intents.read_text(encoding="utf-8").splitlines()) + 2  # the new "- intent:" line
    _append(intents, "\n- intent: greet\n  exemples: |\n    - salut\n")
    (copy / "en" / "months.yml").write_text("version: '3.1'\nnlu: [\n", encoding="utf-8")
    with pytest.raises(NluDataError) as raised:
        load_nlu_data(copy)
    files = {str(issue.file) for issue in raised.value.issues}
    assert {"nlu_data/fr/intents.yml", "nlu_data/en/months.yml"} <= files
    locations = [i.location for i in raised.value.issues if str(i.file) == "nlu_data/fr/intents.yml"]
    assert f"line {appended_at} (nlu[13].exemples)" in locations, locations


def test_example_lines_must_be_list_items(copy: Path) -> None:
    _append(copy / "fr" / "intents.yml", "\n- intent: greet\n  examples: |\n    - salutations\n    coucou\n")
    with pytest.raises(NluDataError, match="'- <text>'"):
        load_nlu_data(copy)
