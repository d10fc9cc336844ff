"""SMS rendering: GSM-7 or UCS-2, segment counts at the boundaries, menus, typographic clean-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.channels.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsLedger,
    cut_text,
    encoding_of,
    is_gsm7,
    length_in_units,
    measure,
    normalize_phone,
    outgoing_sms,
    render_sms,
    segment_count,
    sms_conversation_id,
    split_segments,
    to_gsm7_friendly,
)
from bot.core.clock import FixedClock
from bot.core.messages import Option, Reply
from bot.storage.sqlite import SqliteStore

TODAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def test_the_gsm7_tables_have_the_standard_sizes() -> None:
    # 128 code points minus the escape; the extension table's 10 printable entries incl. form feed.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    "text",
    [
        "Avez-vous un récépissé ? Répondez OUI ou NON",
        "Où habitez-vous ? à Créteil, près de l'église",
        "ÉCRIVEZ 1 ou 2 @ 10h £$¥ Ç ÄÖÑÜ äöñü ß §¿¡ ΔΦΓΛΩΠΨΣΘΞ",
        "prix: 5€ [a] {b} ~c^ |d\\",
    ],
)
def test_gsm7_texts(text: str) -> None:
    assert is_gsm7(text)
    assert encoding_of(text) == "gsm7"


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, décrivez vos symptômes",  # ô
        "Êtes-vous d'accord ?",  # Ê
        "Quelle est votre fenêtre ?",  # ê
        "ça ne marche pas",  # lowercase ç is not in GSM 03.38 (only Ç)
        "J’ai un titre",  # typographic apostrophe
        "cœur",
        "naïf",
        "À Paris",
        "بطاقة الإقامة",
        "ok 👍",
        "back`quote",
    ],
)
def test_ucs2_texts(text: str) -> None:
    assert encoding_of(text) == "ucs2"


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é" * 160, 1),  # é is GSM-7: one septet
        ("€" * 80, 1),  # extension characters count two: 160 septets
        ("a" * 159 + "€", 2),  # 161 septets
        ("[" * 80, 1),
        ("[" * 80 + "a", 2),
        ("ô" * 70, 1),
        ("ô" * 71, 2),
        ("ô" * 134, 2),
        ("ô" * 135, 3),
        ("ب" * 70, 1),
        ("ب" * 71, 2),
        ("😀" * 35, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, 2),
        ("", 1),
    ],
)
def test_segment_counts_at_the_boundaries(text: str, segments: int) -> None:
    assert segment_count(text) == segments


def test_concatenated_parts_respect_the_per_part_limits() -> None:
    gsm = split_segments("x" * 400)
    assert [len(part) for part in gsm] == [153, 153, 94]
    escapes = split_segments("a" + "{" * 100)  # 201 septets; a pair never straddles two parts
    assert [length_in_units(part, "gsm7") for part in escapes] == [153, 48]
    ucs2 = split_segments("ô" * 150)
    assert [len(part) for part in ucs2] == [67, 67, 16]
    emoji = split_segments("a" + "😀" * 40)  # 81 units: the 34th emoji would straddle
    assert [length_in_units(part, "ucs2") for part in emoji] == [67, 14]


def test_measure_reports_encoding_units_and_segments() -> None:
    info = measure("Prix: 5€")
    assert (info.encoding, info.characters, info.units, info.segments) == ("gsm7", 8, 9, 1)
    arabic = measure("مرحبا")
    assert (arabic.encoding, arabic.units, arabic.segments) == ("ucs2", 5, 1)


@pytest.mark.parametrize(
    ("text", "friendly"),
    [
        ("J’ai « un titre » expiré…", 'J\'ai "un titre" expiré...'),
        ("Répondez\u00a0: OUI\u202f!", "Répondez : OUI !"),
        ("Étape 1 – envoyez “1”", 'Étape 1 - envoyez "1"'),
    ],
)
def test_typographic_characters_become_gsm7_when_that_makes_the_text_gsm7(text: str, friendly: str) -> None:
    assert encoding_of(text) == "ucs2"
    assert to_gsm7_friendly(text) == friendly
    assert encoding_of(friendly) == "gsm7"


@pytest.mark.parametrize(
    ("text", "friendly"),
    [
        ("J’ai une fenêtre", "J'ai une fenetre"),
        ("Ça va ? « oui »", 'Ça va ? "oui"'),  # Ç is GSM-7: it stays
        ("Le cœur…", "Le coeur..."),
        ("Préfecture de Nîmes, Besançon, Île-de-France", "Préfecture de Nimes, Besancon, Ile-de-France"),
        ("Noël à l'hôpital", "Noel à l'hopital"),  # à is GSM-7
    ],
)
def test_latin_letters_the_alphabet_lacks_lose_their_accent(text: str, friendly: str) -> None:
    assert to_gsm7_friendly(text) == friendly
    assert encoding_of(friendly) == "gsm7"
    assert segment_count(friendly) <= segment_count(text)


@pytest.mark.parametrize("text", ["الإقامة…", "Nîmes الإقامة", "Ville: Nîmes 😀"])
def test_a_text_that_stays_ucs2_is_left_exactly_as_it_is(text: str) -> None:
    assert to_gsm7_friendly(text) == text


def test_a_gsm7_text_is_left_alone() -> None:
    text = "Répondez 1 ou 2 [ou STOP]"
    assert to_gsm7_friendly(text) is text


def test_menus_are_numbered_and_stop_words_are_untouched() -> None:
    reply = Reply(
        text="Êtes-vous d’accord ?",
        options=(Option(id="yes", label="Oui"), Option(id="no", label="Non")),
    )
    assert render_sms([reply]) == ["Etes-vous d'accord ?\n1 Oui\n2 Non"]  # GSM-7: 1 segment, not 1 UCS-2
    plain = Reply(text="Vous êtes d’accord ?", options=(Option(id="yes", label="Oui"),))
    assert render_sms([Reply(text="Écrivez STOP ou SUPPRIMER"), plain])[0].startswith(
        "Écrivez STOP ou SUPPRIMER\n\n"
    )


def test_replies_of_one_turn_are_joined_when_it_costs_no_more() -> None:
    short = [Reply(text="Merci."), Reply(text="Dans quelle ville habitez-vous ?")]
    assert render_sms(short) == ["Merci.\n\nDans quelle ville habitez-vous ?"]
    # A GSM-7 text of 150 characters and a UCS-2 one: joined they would cost 4 UCS-2 parts
    # instead of 1 + 1, so they go apart.
    apart = [Reply(text="a" * 150), Reply(text="وين ساكن؟")]
    assert render_sms(apart) == ["a" * 150, "وين ساكن؟"]
    assert render_sms([Reply(text="  ")]) == []


def test_a_conversation_costs_the_sms_of_each_turn_rendered_apart() -> None:
    # Turns are never joined with each other: the person answers in between.
    turns = [
        [Reply(text="Merci."), Reply(text="Ville ?")],
        [Reply(text="é" * 161)],
        [Reply(text="وين ساكن؟")],
    ]
    sent = outgoing_sms(turns)
    assert [text for text, _ in sent] == ["Merci.\n\nVille ?", "é" * 161, "وين ساكن؟"]
    assert [(info.encoding, info.segments) for _, info in sent] == [("gsm7", 1), ("gsm7", 2), ("ucs2", 1)]
    assert outgoing_sms([]) == []


def test_long_texts_are_cut_at_line_breaks_for_the_provider_limit() -> None:
    text = "\n".join(f"ligne {n} " + "x" * 90 for n in range(40))
    parts = render_sms([Reply(text=text)], max_chars=1600)
    assert all(len(part) <= 1600 for part in parts)
    assert "\n".join(parts) == text
    assert cut_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("33612345678", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("06 12 34 56 78", "+33612345678"),
        ("212600000001", "+212600000001"),
        ("12345", "12345"),
    ],
)
def test_phone_numbers_are_normalized(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164
    assert sms_conversation_id(raw) == f"sms:{e164}"


async def test_the_ledger_records_every_sms_without_text_or_number(store: SqliteStore) -> None:
    ledger = SmsLedger("kannel", store, FixedClock(TODAY))
    ledger.start_batch()
    await ledger.record("Répondez 1 ou 2")
    await ledger.record("مرحبا " * 20)
    assert [(s.encoding, s.segments) for s in ledger.last_sent] == [("gsm7", 1), ("ucs2", 2)]
    assert ledger.segments_total == 3 and ledger.messages_total == 2
    records: list[dict[str, Any]] = await store.list_records(SmsLedger.RECORD_KIND)
    assert sorted(r["segments"] for r in records) == [1, 2]
    assert {r["channel"] for r in records} == {"kannel"}
    assert all("Répondez" not in str(r) and "مرحبا" not in str(r) for r in records)
    ledger.start_batch()
    assert ledger.last_sent == [] and ledger.messages_total == 2
