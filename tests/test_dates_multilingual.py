"""The date parser in French, English, Spanish and Arabic (spec §2), table-driven.

Today is Thursday 26 November 2026. "expiry" dates take their year from the tense (past: the last
occurrence, future: the next, none: the nearest); "event" dates (removal_order_date, attempts_since)
are never in the future. A month alone is its 15th; relative phrases count from today.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding.dates import DateKind, DateParser
from bot.understanding.nlu import date_parser
from bot.understanding.nlu_data import load_nlu_data

TODAY = dt.date(2026, 11, 26)

Case = tuple[str, DateKind, str | None]

CASES: dict[str, list[Case]] = {
    "fr": [
        ("elle a expiré le 3 mars", "expiry", "2026-03-03"),
        ("elle expire le 3 mars", "expiry", "2027-03-03"),
        ("le 3 mars", "expiry", "2027-03-03"),
        ("ma carte a expirer le 10 octobre", "expiry", "2026-10-10"),
        ("elle finit le 1er décembre", "expiry", "2026-12-01"),
        ("15/03/2027", "expiry", "2027-03-15"),
        ("15 03 2027", "expiry", "2027-03-15"),
        ("en janvier", "expiry", "2027-01-15"),
        ("fin janvier", "expiry", "2027-01-31"),
        ("dans deux semaines", "expiry", "2026-12-10"),
        ("dan 3 semaine", "expiry", "2026-12-17"),
        ("il y a 3 mois", "event", "2026-08-26"),
        ("depuis septembre", "event", "2026-09-15"),
        ("depuis le mois de février", "event", "2026-02-15"),
        ("lundi dernier", "event", "2026-11-23"),
        ("le 3 décembre", "event", "2025-12-03"),
        ("demain", "event", None),
        ("le 31 février", "expiry", None),
        ("je ne sais plus", "expiry", None),
    ],
    "en": [
        ("it expired on 3 March", "expiry", "2026-03-03"),
        ("it expires on 3 March", "expiry", "2027-03-03"),
        ("3rd of March", "expiry", "2027-03-03"),
        ("it ran out on the 20th of July", "expiry", "2026-07-20"),
        ("March 3", "expiry", "2027-03-03"),
        ("March 3rd, 2027", "expiry", "2027-03-03"),
        ("the 1st of February 2027", "expiry", "2027-02-01"),
        ("in January", "expiry", "2027-01-15"),
        ("at the end of January", "expiry", "2027-01-31"),
        ("in two weeks", "expiry", "2026-12-10"),
        ("3 months ago", "event", "2026-08-26"),
        ("for 2 years", "event", "2024-11-26"),
        ("since September", "event", "2026-09-15"),
        ("last Monday", "event", "2026-11-23"),
        ("next Friday", "expiry", "2026-11-27"),
        ("on 12 December", "event", "2025-12-12"),
        ("30 February", "expiry", None),
        ("I don't remember", "expiry", None),
    ],
    "es": [
        ("venció el 3 de marzo", "expiry", "2026-03-03"),
        ("vence el 3 de marzo", "expiry", "2027-03-03"),
        ("el 3 de marzo de 2027", "expiry", "2027-03-03"),
        ("caducó el 1 de octubre", "expiry", "2026-10-01"),
        ("el 20/07", "expiry", "2026-07-20"),
        ("en enero", "expiry", "2027-01-15"),
        ("a finales de enero", "expiry", "2027-01-31"),
        ("dentro de dos semanas", "expiry", "2026-12-10"),
        ("hace dos meses", "event", "2026-09-26"),
        ("hace 3 semanas", "event", "2026-11-05"),
        ("desde septiembre", "event", "2026-09-15"),
        ("desde el mes de febrero", "event", "2026-02-15"),
        ("el lunes pasado", "event", "2026-11-23"),
        ("el 3 de diciembre", "event", "2025-12-03"),
        ("el 31 de abril", "expiry", None),
        ("no me acuerdo", "expiry", None),
    ],
    "ar": [
        ("انتهت في 3 مارس", "expiry", "2026-03-03"),
        ("تنتهي في 3 مارس", "expiry", "2027-03-03"),
        ("في ٣ مارس ٢٠٢٧", "expiry", "2027-03-03"),
        ("١٥/٠٣/٢٠٢٧", "expiry", "2027-03-15"),
        ("10 جانفي", "expiry", "2027-01-10"),
        ("انتهت في 5 فيفري", "expiry", "2026-02-05"),
        ("تنتهي في 2 أفريل", "expiry", "2027-04-02"),
        ("انتهت في 9 ماي", "expiry", "2026-05-09"),
        ("انتهت في 7 جوان", "expiry", "2026-06-07"),
        ("انتهت في جويلية", "expiry", "2026-07-15"),
        ("انتهت في 14 أوت", "expiry", "2026-08-14"),
        ("في شتنبر", "event", "2026-09-15"),
        ("بعد أسبوعين", "expiry", "2026-12-10"),
        ("منذ شهرين", "event", "2026-09-26"),
        ("قبل ثلاثة أشهر", "event", "2026-08-26"),
        ("من عامين", "event", "2024-11-26"),
        ("من شهر ديسمبر", "event", "2025-12-15"),
        ("من شهر 9", "event", "2026-09-15"),
        ("نهار الاثنين اللي فات", "event", "2026-11-23"),
        ("الخميس الماضي", "event", "2026-11-19"),
        ("في 3 ديسمبر", "event", "2025-12-03"),
        ("بعد شهر", "event", "2026-10-26"),
        ("31 فيفري", "expiry", None),
        ("ما عرفتش", "expiry", None),
    ],
}


@pytest.fixture(scope="module")
def parsers() -> dict[str, DateParser]:
    data = load_nlu_data()
    return {lang: date_parser(data, lang) for lang in CASES}


def test_every_language_has_at_least_15_cases() -> None:
    assert all(len(cases) >= 15 for cases in CASES.values())


@pytest.mark.parametrize(
    ("lang", "text", "kind", "expected"),
    [(lang, text, kind, expected) for lang, cases in CASES.items() for text, kind, expected in cases],
)
def test_dates_in_every_language(
    parsers: dict[str, DateParser], lang: str, text: str, kind: DateKind, expected: str | None
) -> None:
    reading = parsers[lang].parse(text, today=TODAY, kind=kind)
    got = reading.value.isoformat() if reading else None
    assert got == expected


@pytest.mark.parametrize("lang", list(CASES))
def test_an_event_is_never_in_the_future(parsers: dict[str, DateParser], lang: str) -> None:
    for text, _, _ in CASES[lang]:
        reading = parsers[lang].parse(text, today=TODAY, kind="event")
        assert reading is None or reading.value <= TODAY, text
