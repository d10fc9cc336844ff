"""Volunteers as data: the roster an association maintains in CSV or YAML (spec §4).

The import is all or nothing: every bad line is reported at once in a `VolunteerFileError`,
and nothing is returned until the whole file is valid.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import yaml
from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

logger = logging.getLogger(__name__)

# Département codes of spec §1 (`prefecture`): 01..95 without 20, Corsica, the five overseas.
DEPARTMENT_CODES: frozenset[str] = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
)

# ISO 639-1 codes known to CLDR (through Babel), so that a typo such as "ra" for "ar" is caught.
LANGUAGE_CODES: frozenset[str] = frozenset(
    code
    for code in Locale("en").languages
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.islower()
)

# The CSV column order, also used when writing files.
COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "association",
    "commune",
    "postal_code",
    "departments",
    "languages",
    "skills",
    "lawyer",
    "capacity",
    "active",
    "telegram_chat_id",
    "phone",
    "email",
    "open_cases",
)

_TRUE = frozenset({"true", "oui", "yes", "1", "vrai", "o", "y"})
_FALSE = frozenset({"false", "non", "no", "0", "faux", "n"})
_COMMUNE = re.compile(r"(?:\d{5}|2[AB]\d{3})")
_POSTAL_CODE = re.compile(r"\d{5}")
_SKILL = re.compile(r"[a-z][a-z0-9_]*")
_PHONE_ALLOWED = re.compile(r"\+[\d .\-()]+")
_TELEGRAM_CHAT = re.compile(r"-?\d+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LIST_SPLIT = re.compile(r"[\s,;]+")


class Locator(Protocol):
    """What the import needs to check that a commune or postal code exists."""

    def coordinates(self, insee: str) -> tuple[float, float] | None: ...

    def communes_for_postal_code(self, code: str) -> list[Any]: ...


class VolunteerProblem(NamedTuple):
    """One problem in a roster file: the line, the column ("" for the whole line) and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class VolunteerFileError(ValueError):
    """The roster file has problems; nothing was imported."""

    def __init__(self, path: Path | str, problems: Sequence[VolunteerProblem]) -> None:
        self.path = str(path)
        self.problems: list[VolunteerProblem] = sorted(problems, key=lambda p: (p.line, p.column))
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s), nothing imported:\n{lines}")


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _LIST_SPLIT.split(value) if part]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    return value


def _as_code(value: Any) -> Any:
    # YAML reads an unquoted 69123 as an integer; codes are strings.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class Volunteer(BaseModel):
    """One volunteer of the roster (spec §4)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    association: str = Field(min_length=1)
    commune: str | None = None
    postal_code: str | None = None
    departments: list[str] = Field(default_factory=list)
    languages: list[str] = Field(min_length=1)
    skills: list[str] = Field(default_factory=list)
    lawyer: bool = False
    capacity: int = Field(ge=0)
    active: bool = True
    telegram_chat_id: str | None = None
    phone: str | None = None
    email: str | None = None
    open_cases: int = Field(default=0, ge=0)

    @field_validator("id", "name", "association", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _as_code(value)

    @field_validator("commune", "postal_code", "telegram_chat_id", mode="before")
    @classmethod
    def _code_or_none(cls, value: Any) -> Any:
        return _blank_to_none(_as_code(value))

    @field_validator("phone", "email", mode="before")
    @classmethod
    def _text_or_none(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("commune")
    @classmethod
    def _check_commune(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.upper()
        if not _COMMUNE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an INSEE commune code (5 characters, e.g. 69123 or 2A004; "
                "in YAML write codes in quotes)"
            )
        return value

    @field_validator("postal_code")
    @classmethod
    def _check_postal_code(cls, value: str | None) -> str | None:
        if value is not None and not _POSTAL_CODE.fullmatch(value):
            raise ValueError(f"{value!r} is not a postal code (5 digits; in YAML write codes in quotes)")
        return value

    @field_validator("departments", mode="before")
    @classmethod
    def _split_departments(cls, value: Any) -> Any:
        value = _as_list(value)
        if isinstance(value, list):
            # YAML turns 01..07 into integers 1..7: pad them back.
            return [
                f"{item:02d}" if isinstance(item, int) and not isinstance(item, bool) else item
                for item in value
            ]
        return value

    @field_validator("languages", "skills", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("departments")
    @classmethod
    def _check_departments(cls, value: list[str]) -> list[str]:
        codes = [code.strip().upper() for code in value]
        unknown = [code for code in codes if code not in DEPARTMENT_CODES]
        if unknown:
            raise ValueError(
                f"unknown département code(s): {', '.join(unknown)} (use 01..95, 2A, 2B, 971..976)"
            )
        return list(dict.fromkeys(codes))

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in value]
        bad = [code for code in codes if code not in LANGUAGE_CODES]
        if bad:
            raise ValueError(
                f"unknown language code(s): {', '.join(bad)} (use 2-letter ISO 639-1 codes: fr en ar)"
            )
        return list(dict.fromkeys(codes))

    @field_validator("skills")
    @classmethod
    def _check_skills(cls, value: list[str]) -> list[str]:
        skills = [skill.strip().lower() for skill in value]
        bad = [skill for skill in skills if not _SKILL.fullmatch(skill)]
        if bad:
            raise ValueError(f"skills are single lowercase words, not: {', '.join(bad)}")
        return list(dict.fromkeys(skills))

    @field_validator("lawyer", "active", mode="before")
    @classmethod
    def _parse_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise ValueError(f"{value!r} is not true or false (also accepted: oui/non, yes/no, 1/0)")

    @field_validator("capacity", "open_cases", mode="before")
    @classmethod
    def _parse_count(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a whole number, 0 or more")
        if isinstance(value, str):
            text = value.strip()
            if not text.isdigit():
                raise ValueError(f"must be a whole number, 0 or more, not {value!r}")
            return int(text)
        return value

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str | None) -> str | None:
        # Kept as written; only checked to be international (+ country code), which SMS gateways need.
        if value is None:
            return None
        digits = sum(ch.isdigit() for ch in value)
        if not _PHONE_ALLOWED.fullmatch(value) or not 8 <= digits <= 15:
            raise ValueError("phone must be in international form, + then 8 to 15 digits, e.g. +33612345678")
        return value

    @field_validator("telegram_chat_id")
    @classmethod
    def _check_chat_id(cls, value: str | None) -> str | None:
        if value is not None and not _TELEGRAM_CHAT.fullmatch(value):
            raise ValueError("a Telegram chat id is a number")
        return value

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError(f"{value!r} does not look like an e-mail address")
        return value

    @model_validator(mode="after")
    def _needs_a_base(self) -> Volunteer:
        if self.commune is None and self.postal_code is None:
            raise ValueError("give a commune (INSEE code) or a postal_code for the volunteer's base")
        return self


def _plain(error: ErrorDetails) -> tuple[str, str]:
    """A pydantic error as (column, message in plain words)."""
    column = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if kind == "missing":
        return column, "is required"
    if kind == "extra_forbidden":
        return column, "unknown column"
    if kind == "too_short":
        return column, "must not be empty"
    if kind in ("greater_than_equal", "int_type", "int_from_float", "int_parsing"):
        return column, "must be a whole number, 0 or more"
    if kind == "value_error":
        return column, str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    if kind in ("string_type", "list_type"):
        return column, "has the wrong type" + (
            " (expected text)" if kind == "string_type" else " (expected a list)"
        )
    return column, error["msg"]


def _validate(
    items: Iterable[tuple[int, dict[str, Any]]], locator: Locator | None
) -> tuple[list[Volunteer], list[VolunteerProblem]]:
    volunteers: list[Volunteer] = []
    problems: list[VolunteerProblem] = []
    first_line: dict[str, int] = {}
    for line, item in items:
        raw_id = item.get("id")
        if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) and str(raw_id).strip():
            vid = str(raw_id).strip()
            if vid in first_line:
                problems.append(
                    VolunteerProblem(line, "id", f"duplicate id {vid!r} (already on line {first_line[vid]})")
                )
            else:
                first_line[vid] = line
        try:
            volunteer = Volunteer.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                column, message = _plain(error)
                problems.append(VolunteerProblem(line, column, message))
            continue
        if locator is not None:
            if volunteer.commune is not None and locator.coordinates(volunteer.commune) is None:
                problems.append(
                    VolunteerProblem(line, "commune", f"no commune has INSEE code {volunteer.commune}")
                )
            if volunteer.postal_code is not None and not locator.communes_for_postal_code(
                volunteer.postal_code
            ):
                problems.append(
                    VolunteerProblem(line, "postal_code", f"unknown postal code {volunteer.postal_code}")
                )
        volunteers.append(volunteer)
    return volunteers, problems


def _csv_items(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[VolunteerProblem]]:
    head = text.split("\n", 1)[0]
    # Spreadsheets set to French export with ";"; accept it as well as "," and tabs.
    delimiter = max(",;\t", key=head.count) if head else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    problems: list[VolunteerProblem] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return [], [VolunteerProblem(1, "", "the file is empty (expected a header line)")]
    for name in header:
        if name not in COLUMNS:
            problems.append(VolunteerProblem(1, name, "unknown column"))
    items: list[tuple[int, dict[str, Any]]] = []
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(VolunteerProblem(start, "", f"{len(row)} cells but the header has {len(header)}"))
            continue
        # Empty cells mean "not given", so that defaults apply (and required columns are reported).
        items.append(
            (
                start,
                {
                    name: cell
                    for name, cell in zip(header, row, strict=False)
                    if name in COLUMNS and cell.strip()
                },
            )
        )
    return items, problems


def _yaml_items(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[VolunteerProblem]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [VolunteerProblem(mark.line + 1 if mark else 1, "", f"not valid YAML: {exc}")]
    if isinstance(root, yaml.MappingNode) and isinstance(data, dict) and set(data) == {"volunteers"}:
        root = root.value[0][1]
        data = data["volunteers"]
    if data is None:
        return [], []
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        return [], [
            VolunteerProblem(1, "", "expected a list of volunteers, or 'volunteers:' followed by a list")
        ]
    items: list[tuple[int, dict[str, Any]]] = []
    problems: list[VolunteerProblem] = []
    for node, item in zip(root.value, data, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(VolunteerProblem(line, "", "expected a volunteer (keys and values)"))
        else:
            items.append((line, {str(key): value for key, value in item.items()}))
    return items, problems


def load_volunteers(path: Path, *, locator: Locator | None = None) -> list[Volunteer]:
    """Read a roster from .csv, .yml or .yaml; raise `VolunteerFileError` listing every problem.

    With a ``locator``, also check that each commune and postal code exists.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yml", ".yaml"):
        raise VolunteerFileError(path, [VolunteerProblem(0, "", "the file must end in .csv, .yml or .yaml")])
    text = path.read_text(encoding="utf-8-sig")
    items, problems = _csv_items(text) if suffix == ".csv" else _yaml_items(text)
    volunteers, more = _validate(items, locator)
    problems += more
    if problems:
        logger.warning("volunteer file %s rejected: %d problem(s)", path.name, len(problems))
        raise VolunteerFileError(path, problems)
    logger.info("loaded %d volunteers from %s", len(volunteers), path.name)
    return volunteers


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def dump_volunteers(volunteers: Sequence[Volunteer], path: Path) -> None:
    """Write a roster as CSV or YAML, chosen by the file extension; `load_volunteers` reads it back equal."""
    path = Path(path)
    suffix = path.suffix.lower()
    rows = [volunteer.model_dump() for volunteer in volunteers]
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([_csv_cell(row[name]) for name in COLUMNS] for row in rows)
    elif suffix in (".yml", ".yaml"):
        text = yaml.safe_dump({"volunteers": rows}, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    else:
        raise ValueError(f"cannot write volunteers to {path.name}: use .csv, .yml or .yaml")
