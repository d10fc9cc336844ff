"""The catalogue of residence documents (spec §1.1): the `anef` flag and labels, as data."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.case import DOCUMENT_CODES

logger = logging.getLogger(__name__)

DEFAULT_DOCUMENTS_PATH = Path(__file__).parent / "rules" / "documents.yml"


class DocumentsError(ValueError):
    """The document catalogue file is broken; the message lists every problem."""


class DocumentLabels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str
    en: str | None = None
    ar: str | None = None
    es: str | None = None


class DocumentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    anef: bool
    label: DocumentLabels


class DocumentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    documents: list[DocumentEntry]


class DocumentCatalogue:
    """Looks up the `anef` flag and the label of a document code."""

    def __init__(self, entries: list[DocumentEntry]) -> None:
        self._entries = {entry.code: entry for entry in entries}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def anef(self, code: str) -> bool:
        """Whether renewals of this document go through ANEF; KeyError for an unknown code."""
        return self._entries[code].anef

    def label(self, code: str, lang: str = "fr") -> str:
        """The label in `lang`, French when that language has none; the code itself if unknown."""
        entry = self._entries.get(code)
        if entry is None:
            return code
        text = getattr(entry.label, lang, None) if lang in DocumentLabels.model_fields else None
        return text if isinstance(text, str) and text else entry.label.fr


def _problems(data: DocumentsFile) -> list[str]:
    problems: list[str] = []
    counts = Counter(entry.code for entry in data.documents)
    for code in DOCUMENT_CODES:
        if counts[code] == 0:
            problems.append(f"document {code}: absent du fichier")
        elif counts[code] > 1:
            problems.append(f"document {code}: présent {counts[code]} fois (une seule entrée attendue)")
    for code in counts:
        if code not in DOCUMENT_CODES:
            problems.append(f"document {code}: code inconnu (codes connus : {', '.join(DOCUMENT_CODES)})")
    return problems


def load_documents(path: Path | None = None) -> DocumentCatalogue:
    """Load and check the catalogue; raises DocumentsError listing every problem."""
    path = path or DEFAULT_DOCUMENTS_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DocumentsError(f"{path}: lecture impossible: {exc}") from exc
    try:
        data = DocumentsFile.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(part) for part in err['loc']) or '(fichier)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise DocumentsError(f"{path}:\n" + "\n".join(lines)) from None
    problems = _problems(data)
    if problems:
        raise DocumentsError(f"{path}:\n" + "\n".join(problems))
    logger.debug("loaded %d document codes", len(data.documents))
    return DocumentCatalogue(data.documents)
