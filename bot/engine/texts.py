"""The texts the person reads, per language, from gettext catalogues (Babel's PO reader).

Each catalogue is `dialogs/locales/<lang>/LC_MESSAGES/messages.po`. Message ids are the keys the
flow names (like Rasa's `utter_*` responses), so the flow stays language-neutral; French is the
reference catalogue. A key with the suffix ``.sms`` is a shorter variant for SMS.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

FALLBACK_LANGUAGE = "fr"
SMS_SUFFIX = ".sms"


class TextsError(Exception):
    """A catalogue is missing, unreadable or incomplete."""


@dataclass(frozen=True)
class Texts:
    catalogues: dict[str, dict[str, str]]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.catalogues)

    def get(self, key: str, lang: str | None, *, channel: str | None = None, **values: object) -> str:
        """The text for `key` in `lang` (French if missing), the channel's variant (`key.sms`,
        `key.web`) when there is one."""
        catalogue = self.catalogues.get(lang or FALLBACK_LANGUAGE) or self.catalogues[FALLBACK_LANGUAGE]
        text = None
        if channel is not None:
            # "key.sms": shorter, each segment costs; "key.web": the web chat has no app to notify.
            text = catalogue.get(f"{key}.{channel}")
        if text is None:
            text = catalogue.get(key) or self.catalogues[FALLBACK_LANGUAGE].get(key, key)
        return text.format(**values) if values else text

    def missing(self, keys: set[str]) -> list[str]:
        """Problems: keys absent from a catalogue, and placeholders that differ from French."""
        problems = []
        reference = self.catalogues.get(FALLBACK_LANGUAGE, {})
        for lang, catalogue in self.catalogues.items():
            for key in sorted(keys - catalogue.keys()):
                problems.append(f"{lang}: missing text {key!r}")
            for key, text in catalogue.items():
                base = reference.get(key)
                if base is not None and _placeholders(base) != _placeholders(text):
                    problems.append(f"{lang}: text {key!r} must use the placeholders {_placeholders(base)}")
        return problems


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_texts(locales_dir: Path) -> Texts:
    catalogues: dict[str, dict[str, str]] = {}
    for po_path in sorted(locales_dir.glob("*/LC_MESSAGES/messages.po")):
        lang = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            try:
                catalogue = read_po(handle, locale=None, abort_invalid=True)
            except Exception as exc:  # Babel raises several error types for a malformed file
                raise TextsError(f"{po_path}: {exc}") from exc
        catalogues[lang] = {
            str(message.id): str(message.string)
            for message in catalogue
            if message.id and message.string and not message.fuzzy
        }
    if FALLBACK_LANGUAGE not in catalogues:
        raise TextsError(f"{locales_dir}: no French catalogue (fr/LC_MESSAGES/messages.po)")
    return Texts(catalogues)
