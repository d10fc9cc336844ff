"""Rules of the understanding found missing by the held-out sets (tests/eval/heldout/).

Each is a general rule, tested here with phrasings other than the held-out sentences.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.app import Brain
from bot.core.ports import Reading
from bot.understanding.nlu import DATE_SLOTS

NOW = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)


def read(brain: Brain, text: str, lang: str, asked: str | None) -> Reading:
    return brain.understanding.read(text, lang=lang, asked=asked, now=NOW)


def value(reading: Reading, slot: str) -> Any:
    """The single value the reading proposes for a slot, or None."""
    found = [f for f in reading.findings if f.slot == slot]
    if len(found) != 1 or len(found[0].candidates) != 1:
        return None
    return found[0].candidates[0].values[slot]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je n'accepte pas"),
        ("fr", "jaccepte pas"),
        ("en", "i dont accept"),
        ("en", "I do not agree"),
        ("es", "no lo acepto"),
        ("es", "no estoy de acuerdo"),
        ("ar", "ما موافقش"),
        ("ar", "la ma bghitch"),
    ],
)
def test_a_refusal_is_never_a_consent(brain: Brain, lang: str, text: str) -> None:
    # Asking again would be acceptable; reading a yes is not.
    assert value(read(brain, text, lang, "consent"), "consent") is not True


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "no sé si acepto"),
        ("fr", "je sais pas si j'accepte"),
        ("en", "I don't know if I agree"),
    ],
)
def test_a_doubt_is_never_a_consent(brain: Brain, lang: str, text: str) -> None:
    # The negation of "no sé" is about knowing (it denies nothing after it), but it is no yes.
    assert value(read(brain, text, lang, "consent"), "consent") is not True


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je ne veux pas donner mes données"),
        ("en", "I do not want to give my data"),
        ("es", "no quiero dar mis datos"),
        ("ar", "لا أريد أن أعطي معلوماتي"),
    ],
)
def test_not_wanting_to_give_ones_data_is_a_no_to_consent(brain: Brain, lang: str, text: str) -> None:
    # Not "erase" (which asks "really erase everything?" although nothing was kept yet), and not
    # a question asked again: the person said no, and the bot stops and keeps nothing.
    assert value(read(brain, text, lang, "consent"), "consent") is False


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "oui j'accepte"),
        ("fr", "pas de souci"),
        ("en", "yes i agree"),
        ("en", "no problem"),
        ("es", "sí, acepto"),
        ("es", "sin problema"),
        ("ar", "ماشي مشكل"),
        ("ar", "wakha"),
    ],
)
def test_a_yes_said_with_a_negation_word_is_still_a_yes(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, "consent"), "consent") is True


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "j'ai aucun titre"),
        ("en", "I have no residence card"),
        ("es", "no tengo ninguna tarjeta"),
        ("ar", "ماعندي حتى بطاقة"),
        ("ar", "ma3andi hta lwra9"),
    ],
)
def test_a_denied_paper_is_no_document(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, "document"), "document") == "NONE"


@pytest.mark.parametrize(
    ("lang", "text", "code"),
    [
        ("fr", "ma carte de séjour vie privée", "CST_VPF"),
        ("ar", "عندي بطاقة طالب", "CST_ETU"),
        # a denied paper in a sentence naming the document is not "no document"
        ("fr", "pas de récépissé, j'ai une carte étudiant", "CST_ETU"),
    ],
)
def test_a_named_document_is_not_turned_into_none(brain: Brain, lang: str, text: str, code: str) -> None:
    assert value(read(brain, text, lang, "document"), "document") == code


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "tarjeta plurianual de estudiante"),
        ("en", "multi-year student card"),
        ("fr", "carte pluriannuelle étudiant"),
    ],
)
def test_a_multi_year_student_card_is_the_student_card(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, "document"), "document") == "CST_ETU"


def test_arabic_lexicon_entries_with_the_maghrebi_negation_match(brain: Brain) -> None:
    # "ما عنديش دار" is written that way in the lexicon; messages are read as "ما عندي دار".
    reading = read(brain, "ما عنديش دار", "ar", "vulnerabilities")
    assert value(reading, "vulnerabilities") == frozenset({"housing"})
    reading = read(brain, "ما عنديش ولاد", "ar", "vulnerabilities")
    assert value(reading, "vulnerabilities") == frozenset()


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I sent the file and received nothing"),
        ("ar", "صيفطت الدوسي وعطاوني والو"),
    ],
)
def test_a_proof_denied_after_the_verb(brain: Brain, lang: str, text: str) -> None:
    reading = read(brain, text, lang, "application_status")
    assert value(reading, "application_status") == "filed_without_proof"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ar", "بقات ليها 10 أيام", "2026-12-06"),
        ("ar", "sala chhar 10", "2026-10-15"),
        ("ar", "تسالات هادي جوج شهور", "2026-09-26"),
        ("ar", "كتسالي الشهر الجاي", "2026-12-26"),
    ],
)
def test_maghrebi_and_arabizi_expiry_dates(brain: Brain, lang: str, text: str, expected: str) -> None:
    found = value(read(brain, text, lang, "expiry_date"), "expiry_date")
    assert found is not None
    assert found.isoformat() == expected


def test_not_tried_yet_is_no_date_even_when_read_as_no(brain: Brain) -> None:
    reading = read(brain, "لا، ما جربتش", "ar", "attempts_since")
    assert reading.intent == "dont_know"
    assert value(reading, "attempts_since") is None


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # A yes, then words that say nothing is wrong: a yes (the n-gram model heard a "no").
        ("fr", "oui, rien à changer", True),
        ("fr", "Oui c'est bon rien a corriger", True),
        ("fr", "rien à modifier", True),
        ("en", "yes, nothing to change", True),
        ("en", "yes nothing else", True),
        ("es", "sí, nada que cambiar", True),
        ("es", "si, nada mas", True),
        ("ar", "نعم ما عندي ما نزيد", True),
        # Without a plain yes first, a "no" stays a "no": the bot asks what to correct.
        ("fr", "non, rien à changer", False),
        ("fr", "non", False),
        ("en", "no, the date is wrong", False),
    ],
)
def test_a_yes_with_nothing_to_change_confirms_the_recap(
    brain: Brain, lang: str, text: str, expected: bool
) -> None:
    assert value(read(brain, text, lang, "confirm"), "confirm") is expected


def test_nothing_to_change_only_confirms_at_the_recap(brain: Brain) -> None:
    # "Voulez-vous ajouter quelque chose ?": "rien à ajouter" is a no to that question.
    assert read(brain, "rien à ajouter", "fr", "note").intent != "affirm"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # An order to leave, said in the person's words rather than "OQTF".
        ("fr", "la préfecture m'a ordonné de quitter la France", True),
        ("fr", "ils m'ont dit de quitter le territoire", True),
        ("fr", "je dois quitter la France dans 30 jours", True),
        ("en", "I was told to leave the country", True),
        ("es", "me ordenaron salir de Francia", True),
        # Negated: no order.
        ("fr", "on ne m'a jamais demandé de quitter la France", False),
        # A wish to leave is not an order.
        ("fr", "je veux quitter la France", None),
        ("en", "i want to leave france", None),
    ],
)
def test_an_order_to_leave_in_other_words_is_a_removal_order(
    brain: Brain, lang: str, text: str, expected: bool | None
) -> None:
    assert value(read(brain, text, lang, None), "removal_order") is expected


@pytest.mark.parametrize(
    ("lang", "text", "asked", "day"),
    [
        # The date said with the order is the order's date, whatever the question.
        ("en", "they ordered me to leave France on 10 November", "removal_order", dt.date(2026, 11, 10)),
        ("fr", "on m'a ordonné de quitter la France le 5 novembre", "document", dt.date(2026, 11, 5)),
        # Answering "have you received an OQTF?" with its date says yes, and when.
        ("fr", "oui, le 10 novembre", "removal_order", dt.date(2026, 11, 10)),
        ("fr", "je l'ai reçue le 3 octobre", "removal_order", dt.date(2026, 10, 3)),
    ],
)
def test_the_date_given_with_a_removal_order_is_its_date(
    brain: Brain, lang: str, text: str, asked: str, day: dt.date
) -> None:
    reading = read(brain, text, lang, asked)
    assert value(reading, "removal_order_date") == day
    assert value(reading, "removal_order") is True


def test_a_no_to_the_removal_order_question_keeps_the_date_for_the_permit(brain: Brain) -> None:
    reading = read(brain, "non, mais mon titre expire le 3 mars", "fr", "removal_order")
    assert value(reading, "removal_order") is False
    assert value(reading, "removal_order_date") is None
    assert value(reading, "expiry_date") == dt.date(2027, 3, 3)


@pytest.mark.parametrize(
    ("lang", "text", "expired_on"),
    [
        ("fr", "je n'ai plus de papiers, mon titre a expiré le 2 septembre", dt.date(2026, 9, 2)),
        ("en", "I have no papers anymore, my residence card expired on 2 September", dt.date(2026, 9, 2)),
        ("es", "no tengo nada, mi tarjeta caducó el 2 de septiembre", dt.date(2026, 9, 2)),
    ],
)
def test_no_papers_but_a_permit_that_expired_keeps_its_date(
    brain: Brain, lang: str, text: str, expired_on: dt.date
) -> None:
    """Found walking conversations: read as "no document" (a first request, P3), the date dropped,
    where an expired permit without a receipt is P1."""
    reading = read(brain, text, lang, "document")
    (document,) = [f for f in reading.findings if f.slot == "document"]
    # An expired card: of a kind to choose when a card is named, else "other" (no kind said).
    assert "NONE" not in [c.values["document"] for c in document.candidates]
    assert value(reading, "expiry_date") == expired_on


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Bonjour j'habite à Lyon depuis 2019"),
        ("en", "I live in Lyon since 2019"),
        ("es", "vivo en Lyon desde 2019"),
        ("fr", "je suis au CRA de Vincennes depuis hier"),
    ],
)
def test_since_when_one_lives_or_is_detained_is_not_since_when_one_tries(
    brain: Brain, lang: str, text: str
) -> None:
    """Found walking conversations: "Essais depuis 01/07/2019" in the volunteer's summary."""
    assert value(read(brain, text, lang, None), "attempts_since") is None


@pytest.mark.parametrize(
    ("text", "slot", "expected"),
    [
        (
            "j'habite à Lyon depuis 2019, j'essaie d'avoir un rdv depuis septembre",
            "attempts_since",
            dt.date(2026, 9, 15),
        ),
        ("j'habite Lyon ma carte expire le 3 avril", "expiry_date", dt.date(2027, 4, 3)),
        (
            "j habite à Créteil depuis 2019, j essaie d avoir un rdv depuis août",
            "attempts_since",
            dt.date(2026, 8, 15),
        ),
    ],
)
def test_a_date_said_of_something_else_beside_where_one_lives_is_kept(
    brain: Brain, text: str, slot: str, expected: dt.date
) -> None:
    assert value(read(brain, text, "fr", None), slot) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j'ai un CRA d'un an", ["CRA_1"]),
        ("j'ai un CRA de 10 ans", ["CRA_10"]),
        ("un CRA", ["CRA_1", "CRA_10"]),
    ],
)
def test_cra_at_the_document_question_is_the_algerian_certificate(
    brain: Brain, text: str, expected: list[str]
) -> None:
    """Found walking conversations: "j'ai un CRA d'un an" was taken for a request for a human."""
    reading = read(brain, text, "fr", "document")
    (finding,) = [f for f in reading.findings if f.slot == "document"]
    assert [c.values["document"] for c in finding.candidates] == expected
    assert finding.certain is (len(expected) == 1)
    assert value(reading, "custody") is None and reading.intent != "human"
    assert value(read(brain, "je suis au CRA", "fr", "document"), "custody") == "detained"


@pytest.mark.parametrize(
    ("lang", "text"),
    [("es", "Hola, necesito ayuda, vivo en Lyon"), ("ar", "مرحبا، أحتاج مساعدة، أسكن في ليون")],
)
def test_asking_for_help_while_saying_where_one_lives_keeps_the_place(
    brain: Brain, lang: str, text: str
) -> None:
    """Found walking conversations: the help text came, the town was lost and asked again."""
    reading = read(brain, text, lang, None)
    assert reading.intent != "help" and value(reading, "prefecture") == "69"
    assert read(brain, "help", "en", None).intent == "help"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "non je n'ai pas d'enfants et pas de problème de santé"),
        ("en", "no kids and no health problems"),
    ],
)
def test_denying_each_situation_named_is_none(brain: Brain, lang: str, text: str) -> None:
    """Found walking conversations: asked again with the help."""
    assert value(read(brain, text, lang, "vulnerabilities"), "vulnerabilities") == frozenset()


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "carte de séjour, elle a expiré en octobre"),
        ("en", "my residence permit"),
        ("en", "residence card, it expired in October"),
        ("es", "tarjeta de residencia"),
        ("ar", "عندي بطاقة الإقامة"),
    ],
)
def test_a_card_named_without_its_kind_offers_the_kinds(brain: Brain, lang: str, text: str) -> None:
    """Found walking the demo: the same question came again, or "no permit?" was proposed."""
    reading = read(brain, text, lang, "document")
    (document,) = [f for f in reading.findings if f.slot == "document"]
    assert not document.certain
    assert [c.values["document"] for c in document.candidates] == [
        "CST_VPF",
        "CST_SAL",
        "CST_ETU",
        "CST_TT",
        "CR_10",
        "OTHER",
    ]
    assert value(read(brain, "carte de séjour salarié", "fr", "document"), "document") == "CST_SAL"
    assert value(read(brain, "je n'ai pas de carte de séjour", "fr", "document"), "document") == "NONE"


def test_a_ten_year_card_in_arabizi(brain: Brain) -> None:
    """Found walking conversations: "3andi karta 10 snin" was not understood."""
    reading = read(brain, "3andi karta 10 snin", "ar", "document")
    (document,) = [f for f in reading.findings if f.slot == "document"]
    assert [c.values["document"] for c in document.candidates] == ["CR_10"]


@pytest.mark.parametrize(
    ("lang", "text", "said"),
    [
        # Found walking conversations: the OQTF of the question read as one received (P2, sent to
        # the OQTF specialists).
        ("fr", "c quoi une oqtf, non j'en ai pas", False),
        ("fr", "c'est quoi une oqtf? non", False),
        ("en", "what is an oqtf? no i don't have one", False),
        ("ar", "شنو هي OQTF؟ لا ما عنديش", False),
        # A question, then what was received: as before.
        ("fr", "c'est quoi une oqtf? j'en ai reçu une", True),
        ("fr", "c quoi une oqtf? oui j'en ai une", True),
        ("ar", "شنو هي OQTF؟ عندي", True),
        # Found in review: a no about understanding their own order is no "no OQTF".
        ("fr", "c'est quoi une oqtf ? je comprends pas mon oqtf", True),
        ("en", "what is an oqtf? i didn't appeal my oqtf", True),
        ("fr", "qu'est-ce que dit mon oqtf, je comprends pas", True),
        ("es", "que significa mi oqtf, no entiendo", True),
        ("fr", "c'est quoi une oqtf ? j'ai pas compris mais j'ai reçu une lettre", True),
        # A no about knowing, or an order in other words: not "no OQTF" (asked again, or yes).
        ("fr", "c quoi une oqtf, non je sais pas", None),
        ("en", "what is an oqtf? no idea", None),
        ("es", "qué es una OQTF? no tengo", False),  # the Spanish model reads "no tengo" as "no sé"
        ("ar", "شنو هي OQTF؟ لا ما عرفتش", None),
    ],
)
def test_a_question_about_the_order_then_the_answer(
    brain: Brain, lang: str, text: str, said: bool | None
) -> None:
    assert value(read(brain, text, lang, "removal_order"), "removal_order") is said


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Found walking conversations: "salam", then "arabi" to "Quelle langue préférez-vous ?"
        # was not understood, and the question came back until the person typed 3.
        ("arabi", "ar"),
        ("b l3arbia", "ar"),
        ("darija", "ar"),
        ("بالدارجة", "ar"),
        ("bel fransawi", "fr"),
    ],
)
def test_languages_named_in_arabizi_and_darija(brain: Brain, text: str, language: str) -> None:
    assert value(read(brain, text, "fr", "language"), "language") == language


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "passeport seulement"),  # was "skip" ("passe"): "until when is this paper valid?"
        ("fr", "j'ai que mon passeport"),
        ("fr", "mon passeport"),
        ("en", "only my passport"),
        ("es", "solo tengo pasaporte"),
        ("ar", "عندي غير الباسبور"),
    ],
)
def test_a_passport_alone_is_asked_as_no_residence_permit(brain: Brain, lang: str, text: str) -> None:
    reading = read(brain, text, lang, "document")
    document = reading.finding("document")
    assert document is not None and not document.certain
    assert [c.values["document"] for c in document.candidates] == ["NONE"]
    assert reading.intent is None


@pytest.mark.parametrize(
    ("lang", "text", "code"),
    [
        ("fr", "passeport talent", "CSP_TALENT"),  # a card, named after the passport
        ("fr", "j'ai un récépissé et mon passeport", "RECEPISSE"),
        ("ar", "باسبور طالون", "CSP_TALENT"),  # found in review: asked as "no residence permit?"
    ],
)
def test_a_passport_beside_a_residence_document_is_that_document(
    brain: Brain, lang: str, text: str, code: str
) -> None:
    assert value(read(brain, text, lang, "document"), "document") == code


def test_a_passport_and_a_visa_is_not_asked_as_no_papers(brain: Brain) -> None:
    # Found in review: "الباسبور والفيزا" (the passport and the visa): the visa may be a VLS-TS.
    document = read(brain, "الباسبور والفيزا", "ar", "document").finding("document")
    assert document is None or "NONE" not in [c.values["document"] for c in document.candidates]


@pytest.mark.parametrize(
    ("lang", "text", "intent"),
    [
        # Found walking conversations: words said to the bot, read as the small communes they look
        # like, some as certain ("aide": Adé (65), Hautes-Pyrénées).
        ("fr", "aide", "help"),
        ("fr", "comment", "help"),  # Commentry (03)
        ("en", "please help", None),  # Héloup (61)
        ("es", "ayuda", "help"),  # Aydat (63)
        ("es", "nada", None),  # Nandax (42)
    ],
)
def test_words_said_to_the_bot_are_no_places(brain: Brain, lang: str, text: str, intent: str | None) -> None:
    reading = read(brain, text, lang, "prefecture")
    assert reading.finding("prefecture") is None
    if intent is not None:
        assert reading.intent == intent


@pytest.mark.parametrize("text", ["famille", "police"])
def test_other_words_that_look_like_small_communes_are_only_asked(brain: Brain, text: str) -> None:
    # Livarot (14), Polincove (62): never set without asking. A guard, not a fix: so they were at
    # the start of this work too; it fails if the gazetteer ever takes them for sure.
    place = read(brain, text, "fr", "prefecture").finding("prefecture")
    assert place is None or not place.certain


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("Paris", "75"),
        ("préfecture de police", "75"),
        ("Côte-d'Or", "21"),
        ("j'ai besoin d'aide, j'habite à Bobigny", "93"),
        ("le have", "76"),  # a typo of Le Havre, though "have" is a word said to the bot
        ("Vence", "06"),  # Spanish "vence" (expires) too
        ("Sainte-Foy-lès-Lyon", "69"),
    ],
)
def test_places_said_among_the_words_of_the_conversation(brain: Brain, text: str, department: str) -> None:
    reading = read(brain, text, "fr", "prefecture")
    place = reading.finding("prefecture")
    assert place is not None and place.candidates[0].values["prefecture"] == department


@pytest.mark.parametrize(
    ("lang", "text"), [("fr", "je suis au CRA"), ("ar", "ana f CRA"), ("ar", "أنا في CRA")]
)
def test_the_cra_is_a_detention_not_la_crau(brain: Brain, lang: str, text: str) -> None:
    """Found walking conversations: P0 cases sent to a volunteer in the Var (La Crau, 83)."""
    reading = read(brain, text, lang, "prefecture")
    assert value(reading, "prefecture") is None
    assert value(read(brain, text, lang, None), "custody") == "detained"
    assert value(read(brain, "La Crau", "fr", "prefecture"), "prefecture") == "83"
    assert value(read(brain, "je suis au CRA de Vincennes", "fr", "prefecture"), "prefecture") == "94"


@pytest.mark.parametrize(
    ("text", "custody"),
    [("ana m7bous", "prison"), ("kan signi f commissariat kol nhar", "house_arrest")],
)
def test_custody_in_arabizi(brain: Brain, text: str, custody: str) -> None:
    assert value(read(brain, text, "ar", "custody"), "custody") == custody


@pytest.mark.parametrize(
    ("lang", "text", "day"),
    [
        ("fr", "le 5 novembre, non pardon le 15 novembre", dt.date(2026, 11, 15)),
        ("en", "March 3rd, sorry I mean March 13", dt.date(2026, 3, 13)),
        ("es", "el 3 de marzo, no perdón, el 13 de marzo", dt.date(2026, 3, 13)),
        ("fr", "le 20 novembre, pardon le 15", dt.date(2026, 11, 15)),
        ("fr", "le 3 novembre, je voulais dire le 9", dt.date(2026, 11, 9)),
    ],
)
def test_a_date_corrected_in_the_same_message_is_the_last_one(
    brain: Brain, lang: str, text: str, day: dt.date
) -> None:
    """Found walking conversations: the retracted 5 November made the OQTF deadline passed (P0)."""
    assert value(read(brain, text, lang, "removal_order_date"), "removal_order_date") == day


EXPIRY, ORDER, ATTEMPTS = "expiry_date", "removal_order_date", "attempts_since"


@pytest.mark.parametrize(
    ("asked", "lang", "text", "first", "second"),
    [
        (EXPIRY, "fr", "le 25 novembre non le 28", dt.date(2026, 11, 25), dt.date(2026, 11, 28)),
        (
            EXPIRY,
            "fr",
            "le 25 novembre, non, c'est le 28 novembre 2026",
            dt.date(2026, 11, 25),
            dt.date(2026, 11, 28),
        ),
        (EXPIRY, "fr", "elle expire le 3 janvier euh non le 13", dt.date(2027, 1, 3), dt.date(2027, 1, 13)),
        (EXPIRY, "fr", "le 25 novembre nan c'était le 28", dt.date(2026, 11, 25), dt.date(2026, 11, 28)),
        (EXPIRY, "fr", "25/11/2026 non 28/11/2026", dt.date(2026, 11, 25), dt.date(2026, 11, 28)),
        (EXPIRY, "en", "the 25th of November, no, the 28th", dt.date(2026, 11, 25), dt.date(2026, 11, 28)),
        (EXPIRY, "en", "November 25th, no wait, November 28th", dt.date(2026, 11, 25), dt.date(2026, 11, 28)),
        # "not the 12th"? The person says which (a fifth review: picking one moved P0 to P1).
        (ORDER, "fr", "notifiée le 5 novembre, non le 12", dt.date(2026, 11, 5), dt.date(2026, 11, 12)),
        (ORDER, "fr", "c'est le 5 novembre non ? le 12 ?", dt.date(2026, 11, 5), dt.date(2026, 11, 12)),
        # The year and tense are the whole message's (a numeric second date lost the written
        # year; "expiré" without its accent was read as future; "de" before a date crashed).
        (EXPIRY, "fr", "titre expiré le 20/11/2026 non 25/11", dt.date(2026, 11, 20), dt.date(2026, 11, 25)),
        (EXPIRY, "fr", "3/01/2026 non 5/01", dt.date(2026, 1, 3), dt.date(2026, 1, 5)),
        (ATTEMPTS, "fr", "depuis le 3/12/2025 non 5/12", dt.date(2025, 12, 3), dt.date(2025, 12, 5)),
        (EXPIRY, "fr", "expiré le 10 décembre non le 12", dt.date(2025, 12, 10), dt.date(2025, 12, 12)),
        (ORDER, "fr", "l'oqtf de 5/11 non 6", dt.date(2026, 11, 5), dt.date(2026, 11, 6)),
    ],
)
def test_a_no_between_a_date_and_a_day_asks_which(
    brain: Brain, asked: str, lang: str, text: str, first: dt.date, second: dt.date
) -> None:
    """Found walking conversations: "le 25 novembre non le 28" kept the 25th, and read 28 as the
    Eure-et-Loir. Taken back, or "not the 28th"? Four versions that chose were each found to
    hide a passed deadline in some answer; asking costs one tap."""
    reading = read(brain, text, lang, asked)
    found = [f for f in reading.findings if f.slot == asked]
    assert len(found) == 1 and not found[0].certain
    assert [c.values[asked] for c in found[0].candidates] == [first, second]
    assert value(reading, "prefecture") is None


@pytest.mark.parametrize(
    ("asked", "lang", "text", "day"),
    [
        (EXPIRY, "fr", "le 25 novembre, non renouvelée depuis le 3 mars", dt.date(2026, 11, 25)),
        (EXPIRY, "fr", "le 25 novembre non", dt.date(2026, 11, 25)),
        (ORDER, "fr", "notifiée le 3 mars non 15 jours de délai", dt.date(2026, 3, 3)),
        (ORDER, "fr", "le 20 novembre, non 2 jours plus tard", dt.date(2026, 11, 20)),
        (ORDER, "en", "3 March, no 30 days to leave", dt.date(2026, 3, 3)),
        (ORDER, "en", "Notified on 5 November 2026, No. 12", dt.date(2026, 11, 5)),
        (ORDER, "en", "5 November, no. 12 November was the hearing", dt.date(2026, 11, 5)),
        (ORDER, "es", "el 3 de marzo no 15 días", dt.date(2026, 3, 3)),
        (ORDER, "es", "me la notificaron el 5 de noviembre, no el 25 de noviembre", dt.date(2026, 11, 5)),
        (ORDER, "ar", "3 mars la 30 jours", dt.date(2026, 3, 3)),
        (ORDER, "ar", "5 نوفمبر لا 10 نوفمبر", dt.date(2026, 11, 5)),
        (EXPIRY, "en", "25 March, receipt no 2026 123456", dt.date(2027, 3, 25)),
        (EXPIRY, "fr", "le 25 novembre 2026 non 2027", dt.date(2026, 11, 25)),
        (ATTEMPTS, "fr", "il y a 10 jours, non 12", dt.date(2026, 11, 16)),
        (ORDER, "fr", "il y a 3 jours non 2", dt.date(2026, 11, 23)),
        (EXPIRY, "fr", "31 décembre non le 2", dt.date(2026, 12, 31)),
        (EXPIRY, "fr", "le 10 février non le 30", dt.date(2027, 2, 10)),
        (
            EXPIRY,
            "fr",
            "la carte a expiré le 25 novembre mais le récépissé non, le 28 février",
            dt.date(2026, 11, 25),
        ),
        (
            ORDER,
            "fr",
            "notifiée le 5 novembre, non le 25 novembre comme écrit sur l'enveloppe",
            dt.date(2026, 11, 5),
        ),
        (ORDER, "fr", "notifiée le 5 novembre, non le 25 novembre", dt.date(2026, 11, 5)),
        (ORDER, "fr", "OQTF le 5 novembre, j'habite dans le 13 non le 12", dt.date(2026, 11, 5)),
        (ORDER, "fr", "notifiée le 28/11/2025 non 1/12", dt.date(2025, 11, 28)),
        (EXPIRY, "fr", "expire 5 dec 2026 non 10 janv", dt.date(2026, 12, 5)),
        (ORDER, "fr", "reçue le 20 novembre, non le 28", dt.date(2026, 11, 20)),  # the 28th is to come
    ],
)
def test_a_no_that_sets_no_day_right_leaves_the_date(
    brain: Brain, asked: str, lang: str, text: str, day: dt.date
) -> None:
    """A no about something else, before a duration, a number, another month, a day far off or
    one to come for a notification: the date the message gives, as before."""
    reading = read(brain, text, lang, asked)
    assert value(reading, asked) == day


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("j ai un récépissé qui expire demain", "filed_with_proof"),
        ("j'ai un récépissé qui expire le 15 décembre", "filed_with_proof"),
        ("mon récépissé a expiré le 3 novembre", "filed_without_proof"),
        ("mon récépissé a expiré", "filed_without_proof"),
    ],
)
def test_a_receipt_valid_until_a_date_to_come_is_a_valid_proof(brain: Brain, text: str, status: str) -> None:
    """Found walking conversations: "qui expire demain" was read as expired (P1 for P3)."""
    assert value(read(brain, text, "fr", "application_status"), "application_status") == status


def test_yes_but_they_gave_me_nothing_in_spanish_is_filed_without_proof(brain: Brain) -> None:
    """Found walking conversations: read as "not filed" (P2 for P3)."""
    reading = read(brain, "sí pero no me dieron nada", "es", "application_status")
    assert value(reading, "application_status") == "filed_without_proof"


def test_arabizi_human_and_receipt(brain: Brain) -> None:
    """Found walking conversations: neither was understood."""
    assert read(brain, "bghit nhdr m3a chi insan", "ar", None).intent == "human"
    assert value(read(brain, "3andi wasl", "ar", "document"), "document") == "RECEPISSE"


def test_the_article_la_after_oqtf_is_no_no(brain: Brain) -> None:
    """Found in review: "OQTF : la date c'est le 25 novembre" dropped a real OQTF."""
    assert (
        value(read(brain, "OQTF : la date c'est le 25 novembre", "fr", "confirm"), "removal_order")
        is not False
    )
    assert value(read(brain, "OQTF : non", "fr", "confirm"), "removal_order") is False


def test_an_expired_receipt_stays_without_proof_whatever_other_date(brain: Brain) -> None:
    """Found in review: the appointment date was taken for the receipt's validity."""
    text = "oui mais mon récépissé a expiré, j'ai un rendez-vous le 15 janvier"
    assert value(read(brain, text, "fr", "application_status"), "application_status") == "filed_without_proof"


@pytest.mark.parametrize("text", ["non, c est le 15/04/2027", "15/04/2027", "jusqu au 15/04/2027"])
def test_a_bare_date_at_the_summary_corrects_the_one_shown(brain: Brain, text: str) -> None:
    """Found in review: ignored once a date at the summary had to say what it was about."""
    assert value(read(brain, text, "fr", "confirm"), "expiry_date") == dt.date(2027, 4, 15)
    assert (
        value(read(brain, "j'ai perdu mon travail il y a 2 semaines", "fr", "confirm"), "expiry_date") is None
    )


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        ("fr", "removal_order", "OQTF : non jamais", "removal_order", False),
        ("en", "confirm", "OQTF: no I did not get one", "removal_order", False),
        (
            "fr",
            "expiry_date",
            "le 10/10/2027, je me suis trompé, le 10/10/2026",
            "expiry_date",
            dt.date(2026, 10, 10),
        ),
        ("fr", "expiry_date", "elle expire en 01/2027", "expiry_date", dt.date(2027, 1, 15)),
        ("fr", "confirm", "j'ai RDV le 20 janvier", "expiry_date", None),
        ("fr", "confirm", "licencié le 3 novembre", "expiry_date", None),
        ("fr", "confirm", "jusqu'au 3 mars", "expiry_date", dt.date(2027, 3, 3)),
        (
            "fr",
            "application_status",
            "oui, j'ai un récépissé, il n'a pas expiré, valable jusqu'au 15/01/2027",
            "application_status",
            "filed_with_proof",
        ),
    ],
)
def test_second_review_of_the_fixes(
    brain: Brain, lang: str, asked: str, text: str, slot: str, expected: Any
) -> None:
    """Found in the second review of this session's understanding fixes."""
    assert value(read(brain, text, lang, asked), slot) == expected


def test_no_papers_and_another_date_is_still_no_papers(brain: Brain) -> None:
    reading = read(brain, "je n'ai pas de papiers, je suis arrivé le 3 mars", "fr", "document")
    assert value(reading, "document") == "NONE"
    assert value(reading, "expiry_date") is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "non jamais, mais on m'a refusé le 2 octobre"),
        ("en", "no never, they refused my file on 2 October"),
        ("es", "no nunca, pero me rechazaron el 2 de octubre"),
        ("fr", "non, la date c'est le 5 avril"),
    ],
)
def test_a_no_with_another_date_is_no_removal_order(brain: Brain, lang: str, text: str) -> None:
    """Found walking conversations: the date made an order of a no, and the case went P0."""
    reading = read(brain, text, lang, "removal_order")
    assert value(reading, "removal_order") is False
    assert value(reading, "removal_order_date") is None


@pytest.mark.parametrize(
    ("text", "document"),
    [
        # Darija names a residence card by what it is "of" (ديال): work, studies, family, 10 years.
        ("عندي كارط سيجور ديال الخدمة", "CST_SAL"),
        ("كارت سيجور ديال الدراسة", "CST_ETU"),
        ("الكارط ديال العائلة", "CST_VPF"),
        ("عندي ديال 10 سنين", "CR_10"),
    ],
)
def test_darija_names_a_card_by_what_it_is_for(brain: Brain, text: str, document: str) -> None:
    assert value(read(brain, text, "ar", "document"), "document") == document


@pytest.mark.parametrize(
    ("text", "kept"),
    [("ايه عندي تصاور", True), ("عندي تصويرات", True), ("ما عنديش تصاور", False)],
)
def test_darija_photos_are_kept_proof(brain: Brain, text: str, kept: bool) -> None:
    assert value(read(brain, text, "ar", "evidence"), "evidence") is kept


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("mon récépissé expire le 12/1, je suis à Bobigny", "93"),
        ("ma carte salarié expire le 15/03, j'habite à Lille", "59"),
        ("expire le 01.02.2027, j'habite à Nice", "06"),
        ("j'habite dans le 9-3, ma carte expire le 12/01", "93"),  # a dash alone is no date
        ("expire le 12-01-2027, j'habite à Lyon", "69"),
        # an absurd date too: refused as a date, its numbers are no place either
        ("je suis à Lyon, mon titre étudiant expire le 1/1/1", "69"),
        ("je suis à Lyon, mon titre étudiant expire le 15/03/99999999", "69"),
    ],
)
def test_the_day_of_a_date_is_no_departement(brain: Brain, text: str, department: str) -> None:
    reading = brain.understanding.read(text, lang="fr", asked=None, now=NOW)
    place = reading.finding("prefecture")
    assert place is not None and place.certain
    assert place.candidates[0].values["prefecture"] == department


@pytest.mark.parametrize(
    "text",
    [
        "عطاوني OQTF هادي 4 أيام وأنا دابا فالسونطر دو ريتونسيون",
        "أنا محبوس فالCRA ديال Mesnil-Amelot",
    ],
)
def test_detention_in_darija_is_read_in_passing(brain: Brain, text: str) -> None:
    reading = brain.understanding.read(text, lang="ar", asked=None, now=NOW)
    custody = reading.finding("custody")
    assert custody is not None and custody.certain
    assert custody.candidates[0].values["custody"] == "detained"


@pytest.mark.parametrize(
    ("text", "lang", "department"),
    [
        ("non c'est Bobigny pas Lille", "fr", "93"),
        ("je ne suis pas à Paris mais à Lyon", "fr", "69"),
        ("no, it's Lyon not Paris", "en", "69"),
    ],
)
def test_a_place_denied_is_not_the_answer(brain: Brain, text: str, lang: str, department: str) -> None:
    reading = brain.understanding.read(text, lang=lang, asked="prefecture", now=NOW)
    place = reading.finding("prefecture")
    assert place is not None and place.certain
    assert place.candidates[0].values["prefecture"] == department


@pytest.mark.parametrize("asked", [None, "document"])
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I filed in September, my student card expires in 5 months"),
        ("fr", "j'ai déposé ma demande en septembre, ma carte étudiant expire dans 5 mois"),
        ("es", "presenté la solicitud en septiembre, mi tarjeta de estudiante caduca dentro de 5 meses"),
        ("ar", "قدمت الطلب في شتنبر، بطاقة الطالب تنتهي بعد 5 أشهر"),
    ],
)
def test_the_expiry_is_the_date_its_clause_says_expires(
    brain: Brain, lang: str, text: str, asked: str | None
) -> None:
    # The document named makes any date of the message its expiry, but a clause that says "expires"
    # says which one: not the month the application was filed.
    assert value(read(brain, text, lang, asked), "expiry_date") == dt.date(2027, 4, 26)


@pytest.mark.parametrize(
    ("lang", "text", "slot", "expected"),
    [
        ("ar", "انتهت صلاحيتها منذ سنتين", "expiry_date", dt.date(2024, 11, 26)),
        ("ar", "انتهت منذ شهرين", "expiry_date", dt.date(2026, 9, 26)),
        ("fr", "elle a expiré depuis deux ans", "expiry_date", dt.date(2024, 11, 26)),
        ("es", "caducó hace dos años", "expiry_date", dt.date(2024, 11, 26)),
        ("en", "it expired two years ago", "expiry_date", dt.date(2024, 11, 26)),
        # the attempts keep their "since", said with what was tried
        ("ar", "كنحاول منذ شهرين", "attempts_since", dt.date(2026, 9, 26)),
        ("fr", "j'essaie depuis deux ans", "attempts_since", dt.date(2024, 11, 26)),
        ("es", "llevo intentando desde hace dos años", "attempts_since", dt.date(2024, 11, 26)),
    ],
)
def test_since_with_an_expiry_verb_dates_the_expiry(
    brain: Brain, lang: str, text: str, slot: str, expected: dt.date
) -> None:
    # Read in passing (no date question on screen, as while a confirmation is pending): "since"
    # says when something began, the verb says what.
    reading = read(brain, text, lang, None)
    dates = {f.slot: value(reading, f.slot) for f in reading.findings if f.slot in DATE_SLOTS}
    assert dates == {slot: expected}


@pytest.mark.parametrize(
    ("lang", "text", "status"),
    [
        # Spoken French drops the "ne" of "je n'ai plus de récépissé".
        ("fr", "oui mais ils ont refusé, j'ai plus de récépissé", "filed_without_proof"),
        ("fr", "jai plus de recepisse", "filed_without_proof"),
        # A refused request was filed, and leaves no valid proof.
        ("fr", "oui mais ils ont refusé", "filed_without_proof"),
        ("fr", "ma demande a été refusée", "filed_without_proof"),
        ("en", "yes but it was refused", "filed_without_proof"),
        ("es", "sí pero me la denegaron", "filed_without_proof"),
        ("ar", "قدمت ولكن رفضوا الطلب", "filed_without_proof"),
        # Refusing to do something is a negation of it, not the refusal of a request.
        ("fr", "ils ont refusé de me donner un récépissé", "filed_without_proof"),
        ("en", "they refused to give me a receipt", "filed_without_proof"),
        ("fr", "ils ont refusé de prendre mon dossier", "not_filed"),
        # A proof still held is a proof.
        ("fr", "j'ai un récépissé", "filed_with_proof"),
    ],
)
def test_a_refused_or_lost_proof_is_no_proof(brain: Brain, lang: str, text: str, status: str) -> None:
    # With an expired card, reading "filed_with_proof" lowers the urgency from P1 to P3.
    assert value(read(brain, text, lang, "application_status"), "application_status") == status


@pytest.mark.parametrize(("lang", "text"), [("fr", "je refuse"), ("en", "no I refuse")])
def test_refusing_to_answer_is_no_refused_request(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, "application_status"), "application_status") != "filed_without_proof"


def test_a_proof_no_longer_held_is_not_the_document(brain: Brain) -> None:
    reading = read(brain, "oui mais ils ont refusé, j'ai plus de récépissé", "fr", "application_status")
    assert reading.finding("document") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j'ai plus de 3 enfants", {"children"}),
        ("j'ai plus de deux enfants, et je suis malade", {"children", "health"}),
    ],
)
def test_more_than_a_number_is_no_negation(brain: Brain, text: str, expected: set[str]) -> None:
    found = read(brain, text, "fr", "vulnerabilities").finding("vulnerabilities")
    assert found is not None and found.certain
    assert found.candidates[0].values["vulnerabilities"] == expected


def proposed(reading: Reading, slot: str) -> tuple[Any, bool] | None:
    """The single value proposed for a slot and whether it is certain (else it is confirmed)."""
    found = reading.finding(slot)
    if found is None or len(found.candidates) != 1:
        return None
    return found.candidates[0].values[slot], found.certain


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # None now: the card named was held before.
        ("fr", "aucun, j'avais une carte vie privée et familiale mais ils ont refusé", ("NONE", True)),
        ("en", "none, I had a student card before", ("NONE", True)),
        # A card held before, and nothing else: most likely that card, expired.
        ("fr", "j'avais une carte vie privée et familiale", ("CST_VPF", True)),
        # A paper denied is not the one held; denied alone, "none" is only likely: confirmed.
        ("fr", "je n'ai pas de récépissé", ("NONE", False)),
        ("en", "I don't have a receipt", ("NONE", False)),
        ("fr", "je n'ai plus de carte vie privée et familiale", ("NONE", False)),
        # "Nothing but the receipt" holds the receipt.
        ("ar", "ما عندي غير الوصل", ("RECEPISSE", True)),
        # SMS French: "g" is "j'ai", "pa" is "pas".
        ("fr", "g pa de papier", ("NONE", True)),
        # The talent card has its own code (spec table 1.1).
        ("fr", "carte pluriannuelle talent", ("CSP_TALENT", True)),
        # A bare "no" to "which paper do you have?": none, confirmed (it may deny the last answer).
        ("fr", "non", ("NONE", False)),
        ("ar", "لا", ("NONE", False)),
        ("ar", "ma3andich", ("NONE", False)),
    ],
)
def test_the_document_held_now(brain: Brain, lang: str, text: str, expected: tuple[str, bool]) -> None:
    assert proposed(read(brain, text, lang, "document"), "document") == expected


@pytest.mark.parametrize(
    ("lang", "text"), [("fr", "c'est faux"), ("en", "that's wrong"), ("fr", "je refuse")]
)
def test_a_no_that_is_not_a_plain_no_proposes_no_document(brain: Brain, lang: str, text: str) -> None:
    # "c'est faux" right after "J'ai noté : Bobigny (93)" is about Bobigny, not about papers.
    assert read(brain, text, lang, "document").finding("document") is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je sais pas c'est une carte plastique"),
        ("en", "I don't know, it's a plastic card"),
    ],
)
def test_a_card_of_unknown_kind_is_asked_about_again(brain: Brain, lang: str, text: str) -> None:
    reading = read(brain, text, lang, "document")
    # The "pas" of "je sais pas" denies no card: the person has one.
    assert value(reading, "document") != "NONE"
    # Not a "don't know", which skips the question: the help says where to look on the card.
    assert reading.intent != "dont_know"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # Standard Arabic worded as a "no" that names a situation.
        ("ar", "ليس لدي سكن مستقر", {"housing"}),
        ("ar", "لا أملك منزلا", {"housing"}),
        ("ar", "ليس عندي بيت", {"housing"}),
        # Arabizi, and the French words darija mixes in.
        ("ar", "khdemti rahi f danger", {"work"}),
        ("ar", "3andi wlad sghar", {"children"}),
        # A "no" naming no situation is none (the model hears "ما عندي" as housing: not asked).
        ("ar", "لا", set()),
        ("ar", "لا ما عندي", set()),
        ("ar", "ma3andi walou", set()),
        ("ar", "لا ليس لدي", set()),
        ("fr", "non merci", set()),
        # A job that a permit running out puts at risk (found walking the demo in English: not
        # understood, and the "no thanks" after the help recorded no situation at all).
        ("en", "I have a job, I might lose it", {"work"}),
        ("en", "I could lose my job", {"work"}),
    ],
)
def test_situations_said_in_arabic_and_arabizi(
    brain: Brain, lang: str, text: str, expected: set[str]
) -> None:
    assert proposed(read(brain, text, lang, "vulnerabilities"), "vulnerabilities") == (expected, True)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # Not knowing is no answer (the question is skipped), not "none of these".
        ("es", "no sé"),
        ("fr", "je sais pas"),
        # A bare yes says there is something, not what: never a guessed situation.
        ("ar", "ih"),
        ("fr", "oui"),
    ],
)
def test_no_situation_is_read_from_a_bare_yes_or_a_dont_know(brain: Brain, lang: str, text: str) -> None:
    assert read(brain, text, lang, "vulnerabilities").finding("vulnerabilities") is None


@pytest.mark.parametrize(
    ("lang", "text", "day"),
    [
        # The "y" of "il y a" is no Spanish "and": the date stays in the clause of the order.
        ("fr", "OQTF il y a 3 semaines", dt.date(2026, 11, 5)),
        ("fr", "j'ai reçu une OQTF il y a 10 jours, je suis à Lyon", dt.date(2026, 11, 16)),
        ("ar", "عندي OQTF هادي 4 أيام", dt.date(2026, 11, 22)),
        ("es", "me dieron una OQTF hace 3 semanas y estoy en Lyon", dt.date(2026, 11, 5)),
    ],
)
def test_the_date_of_an_order_in_a_first_message(brain: Brain, lang: str, text: str, day: dt.date) -> None:
    reading = read(brain, text, lang, None)
    assert value(reading, "removal_order") is True
    assert value(reading, "removal_order_date") == day


@pytest.mark.parametrize(
    ("lang", "text", "intent"),
    [("fr", "plus tard", "skip"), ("en", "help me", "help"), ("fr", "un opérateur", "human")],
)
def test_a_command_at_the_situations_question_is_no_situation(
    brain: Brain, lang: str, text: str, intent: str
) -> None:
    # The model guessed a situation to confirm for these, and the command was lost.
    reading = read(brain, text, lang, "vulnerabilities")
    assert reading.intent == intent
    assert reading.finding("vulnerabilities") is None


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("elle expire le 12 du mois prochain", None),  # the 12 is the day
        ("je suis dans le 12", "12"),
        ("j'habite en Aveyron, elle expire le 12 mars", "12"),  # named, not a number
        ("je suis dans le 93, ma carte expire le 12/01", "93"),
    ],
)
def test_a_departement_number_that_is_the_day_of_a_date_is_no_place(
    brain: Brain, text: str, department: str | None
) -> None:
    reading = brain.understanding.read(text, lang="fr", asked=None, now=NOW)
    place = reading.finding("prefecture")
    assert (place.candidates[0].values["prefecture"] if place else None) == department


@pytest.mark.parametrize("text", ["93. 2 enfants", "93000. 2 enfants", "Je suis dans le 93. 1 enfant"])
def test_a_full_stop_after_a_place_number_is_no_date(brain: Brain, text: str) -> None:
    reading = brain.understanding.read(text, lang="fr", asked="prefecture", now=NOW)
    place = reading.finding("prefecture")
    assert place is not None and place.candidates[0].values["prefecture"] == "93"


@pytest.mark.parametrize(
    ("text", "lang", "status"),
    [
        ("oui, j'ai un récépissé mais il a expiré", "fr", "filed_without_proof"),
        ("j'avais un récépissé mais il est périmé", "fr", "filed_without_proof"),
        ("yes I have a receipt but it expired", "en", "filed_without_proof"),
        ("oui j'ai un récépissé valable, ma carte a expiré", "fr", "filed_with_proof"),  # the card expired
        ("oui, j'ai un récépissé", "fr", "filed_with_proof"),
    ],
)
def test_a_proof_said_to_have_expired_in_the_next_clause_is_no_valid_proof(
    brain: Brain, text: str, lang: str, status: str
) -> None:
    reading = brain.understanding.read(text, lang=lang, asked="application_status", now=NOW)
    finding = reading.finding("application_status")
    assert finding is not None and finding.candidates[0].values["application_status"] == status


@pytest.mark.parametrize("text", ["ma3andich fin nskon", "ma3andich sakan", "ma3andich fin nbat"])
def test_no_housing_in_arabizi_is_housing(brain: Brain, text: str) -> None:
    reading = brain.understanding.read(text, lang="ar", asked="vulnerabilities", now=NOW)
    finding = reading.finding("vulnerabilities")
    assert finding is not None and finding.candidates[0].values["vulnerabilities"] == frozenset({"housing"})


@pytest.mark.parametrize("text", ["bghit nmsah kolchi", "msah kolchi", "bghit nms7 les infos dyali"])
def test_erasing_asked_in_arabizi_is_erasing(brain: Brain, text: str) -> None:
    reading = brain.understanding.read(text, lang="ar", asked="document", now=NOW)
    assert reading.intent == "erase"


@pytest.mark.parametrize(
    "text", ["mon travail est en danger", "j'ai deux enfants et mon travail est en danger"]
)
def test_a_job_in_danger_is_work_without_a_check(brain: Brain, text: str) -> None:
    """Found walking the demo as a newcomer: it was only proposed ("Vous voulez dire : travail ?")."""
    reading = brain.understanding.read(text, lang="fr", asked="vulnerabilities", now=NOW)
    finding = reading.finding("vulnerabilities")
    assert (
        finding is not None and finding.certain and "work" in finding.candidates[0].values["vulnerabilities"]
    )


@pytest.mark.parametrize(
    ("text", "certain"),
    [
        ("le 15 décembre non le 18", False),
        ("le 93", True),
        ("dans le 18", True),
        ("j'habite dans le 93 depuis mars", True),
        ("93 depuis janvier", True),  # no day is 93 (a review: asked for no reason)
        ("dans le 13 depuis septembre", True),
        ("prefecture du 18 depuis juin", True),
    ],
)
def test_a_day_at_the_place_question_is_asked_not_taken_for_a_departement(
    brain: Brain, text: str, certain: bool
) -> None:
    """Found walking the demo: "le 15 décembre non le 18" at the place question set the Cher,
    silently; a number beside a date is confirmed first."""
    found = [f for f in read(brain, text, "fr", "prefecture").findings if f.slot == "prefecture"]
    assert len(found) == 1 and found[0].certain is certain


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "c quoi une oqtf"),
        ("fr", "c'est quoi une OQTF"),
        ("en", "what is an OQTF"),
        ("es", "qué es una OQTF"),
        ("ar", "شنو هي OQTF"),
    ],
)
def test_a_question_about_the_order_is_no_answer(brain: Brain, lang: str, text: str) -> None:
    """Found walking conversations: "c quoi une oqtf" was "OQTF : oui" (P2, sent to the OQTF
    specialists) for someone who had none."""
    reading = read(brain, text, lang, "removal_order")
    assert value(reading, "removal_order") is None


@pytest.mark.parametrize(
    ("lang", "text", "asked"),
    [
        ("fr", "elle expire le 20 novembre", "expiry_date"),
        ("fr", "expire le 20/11", "expiry_date"),
        ("en", "it expires on November 20", "expiry_date"),
        ("fr", "ma carte de séjour expire le 20 novembre", None),  # in passing: asked, not taken
    ],
)
def test_an_expiry_said_in_the_present_with_its_day_just_gone_is_asked(
    brain: Brain, lang: str, text: str, asked: str | None
) -> None:
    """Found walking conversations: "elle expire le 25 novembre" on 6 December was 25/11/2027
    (P4) for a card expired 11 days before (P1). The coming one (spec §2) or the one just gone?"""
    found = [f for f in read(brain, text, lang, asked).findings if f.slot == "expiry_date"]
    assert len(found) == 1 and not found[0].certain
    assert [c.values["expiry_date"] for c in found[0].candidates] == [
        dt.date(2026, 11, 20),
        dt.date(2027, 11, 20),
    ]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("elle expire le 20 novembre 2027", dt.date(2027, 11, 20)),  # a year written
        ("elle a expiré le 20 novembre", dt.date(2026, 11, 20)),  # past tense
        ("elle expire le 20 décembre", dt.date(2026, 12, 20)),  # to come this year
        ("elle expire le 20 août", dt.date(2027, 8, 20)),  # gone long ago: next year, as the spec says
        ("elle expire dans 12 mois", dt.date(2027, 11, 26)),  # ahead by its own words
        ("le 20 novembre prochain", dt.date(2027, 11, 20)),
    ],
)
def test_an_expiry_whose_year_is_clear_is_taken(brain: Brain, text: str, day: dt.date) -> None:
    assert value(read(brain, text, "fr", "expiry_date"), "expiry_date") == day


@pytest.mark.parametrize(
    ("asked", "text", "dates"),
    [
        # A walker: "le 20 novembre, pardon le 5" kept the 20th (13 days left for a passed OQTF
        # deadline, P2 for P0); a review: taking the 5th of the same month made "le 30 novembre
        # pardon le 1er" a deadline passed, "elle a expiré le 3 décembre, pardon le 28" valid.
        ("removal_order_date", "le 20 novembre, pardon le 5", ["2026-11-20", "2026-11-05"]),
        ("removal_order_date", "le 24 novembre pardon le 1er", ["2026-11-24", "2026-11-01"]),
        ("expiry_date", "elle a expiré le 3 novembre, pardon le 28", ["2026-11-03", "2026-10-28"]),
    ],
)
def test_a_far_day_after_a_retraction_is_asked_among_the_months_it_may_be(
    brain: Brain, asked: str, text: str, dates: list[str]
) -> None:
    reading = read(brain, text, "fr", asked)
    found = [f for f in reading.findings if f.slot == asked]
    assert len(found) == 1 and not found[0].certain
    offered = [c.values[asked].isoformat() for c in found[0].candidates]
    assert offered[0] == dates[0], "the date said first comes first"
    assert set(dates) <= set(offered) and len(offered) <= 3
    assert all(day <= "2026-11-26" for day in offered), "the tense said: nothing to come"
    assert value(reading, "prefecture") is None


def test_yes_with_a_question_mark_is_still_yes_and_a_question_then_an_answer_is_the_answer(
    brain: Brain,
) -> None:
    """A review: "oui ?" at the consent question looped; "c'est quoi une oqtf? j'ai reçu un papier
    obligation de quitter le territoire" lost the order; "شنو هي OQTF؟ عندي" became a certain no."""
    assert value(read(brain, "oui ?", "fr", "consent"), "consent") is True
    text = "cest quoi une oqtf? jai recu un papier obligation de quitter le territoire"
    assert value(read(brain, text, "fr", "removal_order"), "removal_order") is True
    assert value(read(brain, "شنو هي OQTF؟ عندي", "ar", "removal_order"), "removal_order") is not False


@pytest.mark.parametrize(
    ("asked", "lang", "text", "expected"),
    [
        # A review of c03b8a7: "expire" said of a day just gone, corrected after "pardon": the
        # day just gone (the urgent way), where the choice had offered only next month's.
        (
            "expiry_date",
            "fr",
            "elle expire le 28 novembre, non pardon le 25",
            {"expiry_date": dt.date(2026, 11, 25)},
        ),
        # A place given at a date question is kept ("j'habite le 13" is where they live).
        (
            "expiry_date",
            "fr",
            "le 15 mars, j'habite le 13",
            {"prefecture": "13", "expiry_date": dt.date(2027, 3, 15)},
        ),
        (
            "expiry_date",
            "fr",
            "15 mars, jhabite ds le 13",
            {"prefecture": "13", "expiry_date": dt.date(2027, 3, 15)},
        ),
        # A question that says more than it asks: what it says counts (reviews: a question
        # word at the start lost the order, and looped).
        ("removal_order", "fr", "qu'est ce que je dois faire, j'ai une oqtf", {"removal_order": True}),
        ("removal_order", "fr", "c quoi une oqtf jen ai une", {"removal_order": True}),
        ("removal_order", "fr", "qu'est-ce que je dois faire j'ai reçu une oqtf", {"removal_order": True}),
        ("removal_order", "fr", "c quoi une oqtf? oui j'en ai une", {"removal_order": True}),
        ("removal_order", "en", "what is an OQTF? I got one", {"removal_order": True}),
        (
            "removal_order",
            "fr",
            "qu'est-ce que je fais avec mon oqtf, je suis perdu",
            {"removal_order": True},
        ),
        # "depuis le 12" is no département; "dans onze mois" is ahead by its own words.
        (
            "expiry_date",
            "fr",
            "j'habite chez mon frère depuis le 12, elle expire le 20 décembre",
            {"prefecture": None, "expiry_date": dt.date(2026, 12, 20)},
        ),
        ("expiry_date", "fr", "elle expire dans onze mois", {"expiry_date": dt.date(2027, 10, 26)}),
    ],
)
def test_answers_a_review_of_the_corrections_found_worse(
    brain: Brain, asked: str, lang: str, text: str, expected: dict[str, object]
) -> None:
    reading = read(brain, text, lang, asked)
    assert {slot: value(reading, slot) for slot in expected} == expected


def test_a_date_taken_back_is_never_taken_as_certain(brain: Brain) -> None:
    """ "reçue le 25 novembre, pardon le 31" (on 26 November): the 25th was taken back (before,
    it was kept, certain); the 31st of which month? Asked, or the question asked again."""
    found = [
        f for f in read(brain, "reçue le 25 novembre, pardon le 31", "fr", "removal_order_date").findings
    ]
    assert all(f.slot != "removal_order_date" or not f.certain for f in found)


def test_a_future_said_is_not_moved_into_the_past_by_a_correction(brain: Brain) -> None:
    """A review: "ma carte expirera le 8 décembre, pardon le 5" (on 26 November: the 5th to come
    anyway) and "elle expire demain, pardon le 5" must never become an expired card."""
    for text in ("ma carte expirera le 28 novembre, pardon le 25", "elle expire demain, pardon le 25"):
        found = [f for f in read(brain, text, "fr", "expiry_date").findings if f.slot == "expiry_date"]
        assert found and all(
            c.values["expiry_date"] > dt.date(2026, 11, 26) for f in found for c in f.candidates
        )


@pytest.mark.parametrize(
    ("lang", "asked", "text", "document", "expires"),
    [
        (
            "fr",
            "document",
            "ma carte a expiré le 3 mars et mon récépissé finit le 10 décembre",
            "RECEPISSE",
            "2026-12-10",
        ),
        (
            "fr",
            "document",
            "mon récépissé expire le 10 décembre, la carte a expiré le 3 mars",
            "RECEPISSE",
            "2026-12-10",
        ),
        (
            "fr",
            None,
            "carte expirée le 3 mars, récépissé valable jusqu'au 10 janvier",
            "RECEPISSE",
            "2027-01-10",
        ),
        (
            "fr",
            "document",
            "ma carte a expiré le 3 mars, j'ai une attestation de prolongation jusqu'au 20 décembre",
            "ANEF_API",
            "2026-12-20",
        ),
        (
            "en",
            "prefecture",
            "Lyon, my card expired on 3 March but my receipt is valid until 10 January",
            "RECEPISSE",
            "2027-01-10",
        ),
        (
            "es",
            "document",
            "mi tarjeta caducó el 3 de marzo y mi resguardo vale hasta el 10 de enero",
            "RECEPISSE",
            "2027-01-10",
        ),
    ],
)
def test_the_expiry_is_the_paper_helds_not_the_expired_cards_beside_it(
    brain: Brain, lang: str, asked: str | None, text: str, document: str, expires: str
) -> None:
    """Spec §1: the expiry of the document held now. The card's date, said first, was taken for
    the récépissé's: a valid récépissé read as expired (no valid proof, more urgent than it is)."""
    reading = read(brain, text, lang, asked)
    assert value(reading, "document") == document
    assert value(reading, "expiry_date") == dt.date.fromisoformat(expires)


@pytest.mark.parametrize(
    ("asked", "text", "expires"),
    [
        # The day the récépissé was given is no end: the first date, as before.
        (
            "document",
            "mon titre a expiré le 3 mars, j'ai déposé ma demande et reçu un récépissé le 20 mars",
            "2026-03-03",
        ),
        # At the expiry question, beside a récépissé's date, left as it was (the nearest 3 March):
        # the document recorded may be the card or the récépissé (neither date is right for both).
        ("expiry_date", "ma carte a expiré le 3 mars et mon récépissé finit le 10 décembre", "2027-03-03"),
        # A card held (no récépissé): nothing to choose between.
        ("document", "ma carte étudiant expire le 12 janvier, mon visa a expiré en mars", "2027-01-12"),
    ],
)
def test_the_card_beside_a_paper_keeps_its_date_otherwise(
    brain: Brain, asked: str, text: str, expires: str
) -> None:
    assert value(read(brain, text, "fr", asked), "expiry_date") == dt.date.fromisoformat(expires)


@pytest.mark.parametrize(
    ("lang", "asked", "text", "expires"),
    [
        # Two tenses in the answer: the date's own clause says it.
        ("fr", "expiry_date", "elle a expiré le 3 mars, le rendez-vous sera quand?", "2026-03-03"),
        # Found in review: the comma cut the year off the date's clause.
        ("en", "expiry_date", "my card expired on March 3, 2025", "2025-03-03"),
        ("en", "removal_order_date", "I received the OQTF on November 20, 2025", "2025-11-20"),
        # The date's clause says no tense: the whole answer's.
        ("fr", "expiry_date", "le 3 mars, elle a expiré", "2026-03-03"),
        ("fr", "expiry_date", "elle a expiré, le 3 mars", "2026-03-03"),
        ("fr", "expiry_date", "c'est le 5 août, elle est encore valable", "2027-08-05"),
        # A card still valid beside an attestation that has ended: the card is the paper held.
        (
            "fr",
            "document",
            "ma carte expire le 15 avril, mon attestation de prolongation était valable jusqu'au 10 janvier",
            "2027-04-15",
        ),
        # A correction after the récépissé's date is still the correction.
        (
            "fr",
            None,
            "ma carte a expiré le 3 mars, mon récépissé se termine le 10 décembre,"
            " non pardon il finit le 1er février",
            "2027-02-01",
        ),
    ],
)
def test_a_date_keeps_its_year_and_tense_beside_other_clauses(
    brain: Brain, lang: str, asked: str | None, text: str, expires: str
) -> None:
    slot = asked if asked in DATE_SLOTS else "expiry_date"
    reading = brain.understanding.read(
        text, lang=lang, asked=asked, now=dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    )
    assert value(reading, slot) == dt.date.fromisoformat(expires)


@pytest.mark.parametrize(
    "text",
    [
        "ma carte de séjour a expire le 28/12/2025. l'autorisation provisoire de séjour est valable jusqu'au"
        " 1er février, je suis perdu",
        "mon titre de séjour a expiré le 13/03/2026. mon récépissé est valable jusqu'au 20 janvier",
    ],
)
def test_the_day_of_a_card_date_left_out_is_no_departement(brain: Brain, text: str) -> None:
    """Found in review: once the card's date is left out beside the récépissé's, its day (28,
    13) was read as a département, certain."""
    reading = read(brain, text, "fr", "document")
    assert reading.finding("prefecture") is None
    assert value(reading, "expiry_date") is not None


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "day"),
    [
        ("en", "document", "my card expired on March 3, 2025", "expiry_date", "2025-03-03"),
        ("en", None, "I received the OQTF on November 20, 2025", "removal_order_date", "2025-11-20"),
        ("fr", None, "ma carte expire le 1er février, 2028", "expiry_date", "2028-02-01"),
        ("es", None, "mi tarjeta caduca el 1 de febrero, 2028", "expiry_date", "2028-02-01"),
        ("ar", None, "بطاقتي انتهت في 3 مارس، 2025", "expiry_date", "2025-03-03"),
        (
            "fr",
            None,
            "ma carte a expiré le 3 mars, 2025, j'essaie depuis septembre",
            "expiry_date",
            "2025-03-03",
        ),
        ("fr", None, "ma carte expire le 10/12, 2027", "expiry_date", "2027-12-10"),
        # Found in review: not after a full stop, nor after another word than a day or a month.
        ("fr", None, "j'essaie depuis le 30 octobre. 2025, rien n'a bougé", "attempts_since", "2026-10-30"),
        (
            "es",
            None,
            "Mi tarjeta de residente vale hasta el 2 de diciembre. 2024, me negaron la cita",
            "expiry_date",
            "2027-12-02",
        ),
        (
            "fr",
            "document",
            "mon attestation de prolongation va expirer le 30/10 mais mon titre de séjour a expiré, 2023",
            "expiry_date",
            "2027-10-30",
        ),
    ],
)
def test_a_year_after_a_comma_belongs_to_the_date_before_it_in_passing(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, day: str
) -> None:
    """Found walking a conversation: 'my card expired on March 3, 2025' said at the document
    question was recorded as 03/03/2026 (the comma cut the year off the date's clause)."""
    reading = brain.understanding.read(
        text, lang=lang, asked=asked, now=dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    )
    assert value(reading, slot) == dt.date.fromisoformat(day)


def test_a_year_after_since_and_a_comma_is_no_date_of_attempts(brain: Brain) -> None:
    """Found in review: 'à la rue depuis, 2015' would have been attempts since mid-2015."""
    text = "Jai recu une oqtf le 10 janvier. à la rue depuis, 2015"
    reading = brain.understanding.read(
        text, lang="fr", asked="note", now=dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    )
    assert reading.finding("attempts_since") is None


@pytest.mark.parametrize(
    ("text", "document"),
    [
        # Darija: "I have a student card, it ends on 15 January" was not understood at the
        # document question (the question came again, the date kept).
        ("عندي كارط ديال الطالب، كتسالي في 15 يناير", "CST_ETU"),
        ("عندي كارط ديال الطالب", "CST_ETU"),
        ("كارطة ديال الطالب", "CST_ETU"),
        # Standard Arabic: "a work residence card" offered all six kinds of card, and the expiry
        # date said next was lost to the choice.
        ("بطاقة إقامة عمل", "CST_SAL"),
        ("عندي بطاقة عمل", "CST_SAL"),
        ("بطاقة إقامة أجير", "CST_SAL"),
        ("بطاقة إقامة دراسة", "CST_ETU"),
    ],
)
def test_the_kinds_of_card_as_said_in_arabic(brain: Brain, text: str, document: str) -> None:
    """Found walking the demo as a newcomer, in Darija and in Standard Arabic."""
    finding = read(brain, text, "ar", "document").finding("document")
    assert finding is not None and finding.certain
    assert [candidate.values["document"] for candidate in finding.candidates] == [document]


@pytest.mark.parametrize(
    ("asked", "text", "slot", "expected"),
    [
        # "ne ... que" means "only": nothing is denied.
        ("removal_order", "on ne m'a donné qu'une OQTF", "removal_order", True),
        ("vulnerabilities", "je ne suis malade que depuis hier", "vulnerabilities", frozenset({"health"})),
        (
            "application_status",
            "je ne l'ai déposé qu'en ligne sans récépissé",
            "application_status",
            "filed_without_proof",
        ),
        # "né" (born) folds to "ne".
        (
            "vulnerabilities",
            "mon bébé né le mois dernier est malade",
            "vulnerabilities",
            frozenset({"children", "health"}),
        ),
    ],
)
def test_a_ne_without_its_pas_denies_nothing(
    brain: Brain, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, "fr", asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "kept"),
    [
        ("fr", "je les ai sur mon téléphone", True),
        ("fr", "je ne les ai que sur mon téléphone", True),
        ("fr", "je les ai supprimés", False),  # was read as "erase my data"
        ("en", "I have them on my phone", True),
        ("en", "i don't have them", False),
        ("en", "I deleted them", False),
        ("es", "los tengo en el móvil", True),
        ("es", "los borré", False),
        ("ar", "عندي في التيليفون", True),
        ("ar", "مسحتهم", False),
    ],
)
def test_the_proofs_of_the_attempts_said_as_them(brain: Brain, lang: str, text: str, kept: bool) -> None:
    reading = read(brain, text, lang, "evidence")
    assert value(reading, "evidence") is kept
    assert reading.intent != "erase"


@pytest.mark.parametrize(
    ("asked", "text", "slot", "expected"),
    [
        # With its second word ("plus", "point") or a negative subject, a "ne" still denies.
        ("removal_order", "on ne m'a plus donné d'OQTF", "removal_order", False),
        ("removal_order", "je n'ai point d'OQTF", "removal_order", False),
        ("removal_order", "personne ne m'a donné d'OQTF", "removal_order", False),
        ("removal_order", "ni la préfecture ni la police ne m'ont donné d'OQTF", "removal_order", False),
        ("custody", "je ne suis plus au CRA", "custody", "free"),
        ("vulnerabilities", "je ne suis plus malade", "vulnerabilities", frozenset()),
        # And the "pas" of a phrase is not denied again by its "n'": "pas de logement" is housing.
        ("vulnerabilities", "je n'ai pas de logement", "vulnerabilities", frozenset({"housing"})),
    ],
)
def test_a_ne_with_its_second_word_or_a_negative_subject_denies(
    brain: Brain, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, "fr", asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        ("fr", "removal_order", "je suis né le 3 mars 1990", "removal_order_date", None),
        ("fr", "removal_order", "je suis né le 3 mars 1990", "removal_order", None),
        (
            "fr",
            "expiry_date",
            "née le 03.03.1990, ma carte expire le 15 janvier 2027",
            "expiry_date",
            dt.date(2027, 1, 15),
        ),
        (
            "fr",
            "expiry_date",
            "né le 3 mars 1990 ma carte expire en mai",
            "expiry_date",
            dt.date(2027, 5, 15),
        ),
        ("fr", "expiry_date", "mon bébé est né le 1er novembre", "expiry_date", None),
        (
            "fr",
            "vulnerabilities",
            "mon enfant né en 2020 est malade",
            "vulnerabilities",
            frozenset({"health"}),
        ),
        (
            "en",
            "removal_order_date",
            "I was born on 3 March 1990 and I got an OQTF on 5 November",
            "removal_order_date",
            dt.date(2026, 11, 5),
        ),
        (
            "es",
            "expiry_date",
            "nací el 3 de marzo de 1990, mi tarjeta caduca el 15 de enero",
            "expiry_date",
            dt.date(2027, 1, 15),
        ),
        ("ar", "removal_order", "مزداد في 1990 و عندي OQTF", "removal_order_date", None),
        # Without a comma, the date of birth ends at its year, or before another statement.
        ("es", "expiry_date", "nací en 1995 caduca en 2 meses", "expiry_date", dt.date(2027, 1, 26)),
        ("fr", None, "né au Maroc ma carte expire le 15 janvier 2027", "expiry_date", dt.date(2027, 1, 15)),
        (
            "en",
            "attempts_since",
            "born in Mali trying since 2 September",
            "attempts_since",
            dt.date(2026, 9, 2),
        ),
        ("fr", "removal_order", "mon bébé est né hier", "removal_order", None),
        ("fr", "removal_order_date", "date de naissance : 14/02/1987", "removal_order_date", None),
        # The birthplace first: later than a few words, a date of birth has its year.
        (
            "fr",
            "expiry_date",
            "je suis né à Alger en Algérie le 3 mars 1990, ma carte expire le 10 janvier",
            "expiry_date",
            dt.date(2027, 1, 10),
        ),
        (
            "fr",
            "expiry_date",
            "né a alger en algerie le 3 mars 1990 ma carte expire le 10 janvier",
            "expiry_date",
            dt.date(2027, 1, 10),
        ),
        (
            "en",
            "expiry_date",
            "I was born in Lagos, Nigeria on 3 March 1990 and my card expires on 10 January",
            "expiry_date",
            dt.date(2027, 1, 10),
        ),
        (
            "es",
            "expiry_date",
            "nací en Bogotá Colombia el 3 de marzo de 1990, mi tarjeta vence el 10 de enero",
            "expiry_date",
            dt.date(2027, 1, 10),
        ),
        # Without a year, far from the birth word, a date is another statement's.
        (
            "fr",
            "attempts_since",
            "je suis né à Dakar au Sénégal, ça fait 3 mois que j'essaie",
            "attempts_since",
            dt.date(2026, 8, 26),
        ),
    ],
)
def test_a_date_of_birth_is_no_date_of_a_paper_or_an_order(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "custody"),
    [
        ("fr", "je suis sorti du CRA hier", "free"),
        ("fr", "je ne suis sorti de prison que la semaine dernière", "free"),
        ("fr", "je ne suis pas sorti du CRA", "detained"),
        ("en", "I was released from detention last week", "free"),
        ("es", "me soltaron del CRA ayer", "free"),
        ("ar", "خرجت من الحبس", "free"),
    ],
)
def test_leaving_detention_is_being_free(brain: Brain, lang: str, text: str, custody: str) -> None:
    assert value(read(brain, text, lang, "custody"), "custody") == custody


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "on ne m'a toujours pas libéré"),
        ("fr", "je ne suis pas sorti du centre"),
        ("en", "they didn't release me"),
        ("es", "no me soltaron"),
        ("ar", "ما طلقونيش"),
    ],
)
def test_not_yet_released_is_never_free(brain: Brain, lang: str, text: str) -> None:
    # Asked again, or read as held; never free, not even to be confirmed (the 48-hour deadlines of
    # detention).
    found = [f for f in read(brain, text, lang, "custody").findings if f.slot == "custody"]
    assert not any(c.values["custody"] == "free" for f in found for c in f.candidates)


def test_the_time_given_to_leave_is_not_the_date_of_the_order(brain: Brain) -> None:
    said_in_passing = read(brain, "oui, ils ne m'ont laissé que 30 jours pour partir", "fr", "removal_order")
    assert value(said_in_passing, "removal_order") is True
    assert value(said_in_passing, "removal_order_date") is None
    # Asked when it was received, a bare duration is how long ago.
    assert value(read(brain, "2 semaines", "fr", "removal_order_date"), "removal_order_date") == dt.date(
        2026, 11, 12
    )


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # "resté" (stayed) folds to "reste": no time left of anything.
        ("fr", "je suis resté 2 ans en Italie", None),
        ("es", "se quedan 2 semanas en mi casa", None),
        # "only" is as often "only 2 weeks ago".
        ("en", "it expired only 2 weeks ago", dt.date(2026, 11, 12)),
        ("en", "I have no days left, it expired yesterday", dt.date(2026, 11, 25)),
    ],
)
def test_what_is_left_is_said_with_its_own_words(
    brain: Brain, lang: str, text: str, expected: object
) -> None:
    assert value(read(brain, text, lang, "expiry_date"), "expiry_date") == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je les ai appelés 50 fois"),
        ("fr", "j'essaie sur mon téléphone tous les jours"),
        ("es", "los tengo que llamar otra vez"),
    ],
)
def test_what_is_done_to_them_is_no_proof_kept(brain: Brain, lang: str, text: str) -> None:
    found = [f for f in read(brain, text, lang, "evidence").findings if f.slot == "evidence"]
    assert not any(f.certain and not f.echo for f in found), "never taken as said"


@pytest.mark.parametrize(
    ("lang", "text"),
    [("fr", "supprimez mes messages"), ("es", "borra todo lo que dije"), ("fr", "effacez tout")],
)
def test_asking_to_erase_at_the_proofs_question_is_still_asking_to_erase(
    brain: Brain, lang: str, text: str
) -> None:
    # The model's guess of an answer ("supprimé" is also "deleted them") is no answer that hides it.
    assert read(brain, text, lang, "evidence").intent == "erase"


@pytest.mark.parametrize("text", ["عندي جوج وليدات", "عندي بنات"])
def test_darija_children_words(brain: Brain, text: str) -> None:
    # "وليدات" (little kids) was only guessed ("هل تقصد: أطفال؟"), found walking the demo.
    reading = read(brain, text, "ar", "vulnerabilities")
    assert value(reading, "vulnerabilities") == frozenset({"children"})
    assert all(f.certain and not f.echo for f in reading.findings if f.slot == "vulnerabilities")


@pytest.mark.parametrize(
    ("lang", "asked", "text"),
    [
        ("en", "removal_order", "yes they gave me 30 days to leave"),
        ("fr", "removal_order", "oui ils m'ont donné 30 jours pour partir"),
        ("ar", "removal_order", "عطاوني 30 يوم باش نخرج"),
        ("en", "removal_order_date", "they gave me 30 days to leave"),
    ],
)
def test_the_time_given_to_leave_says_there_is_an_order_but_not_its_date(
    brain: Brain, lang: str, asked: str, text: str
) -> None:
    # "yes they gave me 30 days to leave" was answered with the help and "Answer yes or no".
    reading = read(brain, text, lang, asked)
    assert value(reading, "removal_order") is True
    assert value(reading, "removal_order_date") is None


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # Found walking the engine in SMS French: at the wrong question, the child was lost.
        (
            "fr",
            "attempts_since",
            "jsuis enceinte et jai 1 enfant",
            "vulnerabilities",
            frozenset({"children", "health"}),
        ),
        ("es", "vulnerabilities", "tengo 3 hijos", "vulnerabilities", frozenset({"children"})),
        ("fr", "attempts_since", "depuis lete", "attempts_since", dt.date(2026, 7, 15)),
    ],
)
def test_children_counted_in_digits_and_seasons_without_apostrophe(
    brain: Brain, lang: str, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


# Found by a third review (2,593 cases and 62 conversations, base c63db91 against 03c0f30).
@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # A "pas" mistyped after a "ne" still denies.
        ("fr", "removal_order", "non on ne m'a ps donné d'oqtf", "removal_order", False),
        ("fr", "custody", "je ne suis po au CRA", "custody", "free"),
        (
            "fr",
            "vulnerabilities",
            "je ne suis ps malade mais jai 2 enfants",
            "vulnerabilities",
            frozenset({"children"}),
        ),
        # A glued "n'" alone denies nothing after it.
        ("fr", "custody", "je n'en peux plus du CRA", "custody", "detained"),
        (
            "fr",
            "vulnerabilities",
            "je n'ai nulle part où aller avec mes enfants",
            "vulnerabilities",
            frozenset({"children", "housing"}),
        ),
        # The "ne" of a fear or of "before": not there yet.
        ("fr", "custody", "j'ai peur qu'ils ne m'enferment au CRA", "custody", "free"),
        ("fr", "removal_order", "avant que la préfecture ne me notifie une OQTF", "removal_order", False),
        # Time left for something else is not the paper's.
        ("fr", "expiry_date", "il me reste 3 mois de loyer à payer", "expiry_date", None),
        ("en", "expiry_date", "10 days left before the court hearing", "expiry_date", None),
        (
            "fr",
            "expiry_date",
            "ma carte a expiré en août, il me reste 30 jours pour partir",
            "expiry_date",
            dt.date(2026, 8, 15),
        ),
        (
            "en",
            "expiry_date",
            "I have 30 days left, my card expired in july",
            "expiry_date",
            dt.date(2026, 7, 15),
        ),
        # Yesterday of a letter or of seeing is not the end of a paper.
        ("fr", "expiry_date", "la lettre d'hier dit que mon titre a expiré", "expiry_date", None),
        ("fr", "expiry_date", "elle a expiré, je l'ai vu qu'hier", "expiry_date", None),
        # A birth that dates the attempts is kept.
        (
            "fr",
            "attempts_since",
            "depuis que mon fils est né en mars j'essaie",
            "attempts_since",
            dt.date(2026, 3, 15),
        ),
        # Someone else's release is not the person's (the CRA named is the brother's, "dedans"
        # names no place: asked again, never free).
        (
            "fr",
            "custody",
            "mon frère est sorti du CRA mais moi je suis toujours dedans",
            "custody",
            None,
        ),
        ("fr", "custody", "ma sortie de prison est prévue le 20 janvier", "custody", "prison"),
        ("en", "custody", "I will be released from prison in March", "custody", "prison"),
        ("ar", "custody", "خرجت من الحبس و داوني ديريكت للسونتر", "custody", "detained"),
        # And after its fixes: time left said in the present, or before a hearing; a denied
        # detention; a detention written as an SMS, in passing.
        ("en", "expiry_date", "ive got 10 days left", "expiry_date", dt.date(2026, 12, 6)),
        ("en", "expiry_date", "10 days left", "expiry_date", dt.date(2026, 12, 6)),
        ("ar", "expiry_date", "بقي لي 10 أيام قبل المحكمة", "expiry_date", None),
        ("fr", "custody", "je ne suis ps en détention", "custody", "free"),
        ("fr", None, "wesh frere jsuis o cra d lesquin depuis 4 jour", "custody", "detained"),
    ],
)
def test_the_third_reviews_worse_readings(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je les ai supprimés, et supprimez mes données svp"),
        ("en", "I deleted them, and please delete my data too"),
        ("es", "los borré, y borren mis datos por favor"),
        ("ar", "مسحتهم، و مسحو المعلومات ديالي عافاك"),
    ],
)
def test_an_erasure_that_names_the_data_is_heard_beside_an_answer(brain: Brain, lang: str, text: str) -> None:
    assert read(brain, text, lang, "evidence").intent == "erase"


@pytest.mark.parametrize(
    ("asked", "text", "slot", "expected"),
    [
        # A negation does not reach past a new subject: the detention is said, not denied.
        ("custody", "personne ne m'aide je suis au CRA", "custody", "detained"),
        ("custody", "rien ne bouge je suis toujours au cra", "custody", "detained"),
        (
            "vulnerabilities",
            "rien ne va je suis enceinte et a la rue",
            "vulnerabilities",
            frozenset({"health", "housing"}),
        ),
        # But "ni ... ni" carries to the verb after its subject.
        (
            "application_status",
            "ni en ligne ni au guichet je n'ai pu déposer",
            "application_status",
            "not_filed",
        ),
        ("custody", "je ne suis pas au CRA", "custody", "free"),
    ],
)
def test_a_negation_stops_at_a_new_subject(
    brain: Brain, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, "fr", asked), slot) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The model's guess through a negation is asked again: "je ne pointe pas" was house arrest.
        ("je ne pointe pas au commissariat", None),
        ("je ne suis pas détenu", None),
        # "en détention" beside a prison: the prison (the longer place named).
        ("je suis libérable en mars, je suis en détention a la maison d'arret", "prison"),
    ],
)
def test_custody_guesses_through_a_negation_are_asked_again(
    brain: Brain, text: str, expected: object
) -> None:
    assert value(read(brain, text, "fr", "custody"), "custody") == expected


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot"),
    [
        ("fr", "removal_order", "j'ai peur qu'ils me donnent une OQTF", "removal_order"),
        ("fr", "removal_order", "ils vont me donner une OQTF", "removal_order"),
        ("en", "removal_order", "I'm afraid they will give me an OQTF", "removal_order"),
        ("es", "removal_order", "tengo miedo de que me den una OQTF", "removal_order"),
        ("fr", "custody", "j'ai peur qu'ils m'envoient au CRA", "custody"),
        ("en", "custody", "they might put me in detention", "custody"),
        # A release to come is no freedom yet.
        ("fr", "custody", "je serai libéré demain", "custody"),
        ("fr", "custody", "ils vont me libérer demain", "custody"),
    ],
)
def test_a_fear_or_a_future_is_not_the_persons_situation(
    brain: Brain, lang: str, asked: str, text: str, slot: str
) -> None:
    # Asked again: what is feared or expected is not read as a fact, either way.
    assert read(brain, text, lang, asked).finding(slot) is None


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        ("fr", "removal_order", "j'ai reçu une OQTF, ils vont m'expulser", "removal_order", True),
        ("fr", "removal_order", "oui j'ai une OQTF et j'ai peur", "removal_order", True),
        ("en", "removal_order", "in May I got an OQTF", "removal_order", True),
        ("fr", "custody", "je suis au cra, j'ai peur", "custody", "detained"),
        ("fr", "custody", "j'ai peur je suis au cra de vincennes", "custody", "detained"),
        ("fr", "custody", "demain ça fera 10 jours que je suis au cra", "custody", "detained"),
        # Where one will be released from is where one is.
        ("en", "custody", "I will be released from prison in March", "custody", "prison"),
        ("fr", "custody", "je sors du cra demain", "custody", "detained"),
    ],
)
def test_a_fear_beside_a_fact_leaves_the_fact(
    brain: Brain, lang: str, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "asked", "text", "expected"),
    [
        # The person's own order: a negation nearby denies something else.
        ("fr", None, "je ne comprends pas mon oqtf", True),
        ("fr", None, "j'ai pas d'avocat pour mon oqtf", True),
        ("fr", None, "mon oqtf n'a pas de délai de départ", True),
        ("en", None, "I never appealed my OQTF", True),
        ("es", None, "no entiendo mi OQTF", True),
        ("ar", None, "ما فهمتش الـ OQTF ديالي", True),
        # What follows "avec", "and I have" is had, not denied.
        ("fr", None, "sans papiers avec oqtf", True),
        ("ar", None, "ما عندي حتى وراق وعندي OQTF", True),
        # Still a no.
        ("fr", "removal_order", "je n'ai pas d'oqtf", False),
        ("fr", "removal_order", "personne ne m'a donné d'OQTF", False),
        ("en", "removal_order", "I didn't get an OQTF", False),
        ("ar", "removal_order", "ما عطاونيش OQTF", False),
    ],
)
def test_a_negation_near_ones_own_order_denies_something_else(
    brain: Brain, lang: str, asked: str | None, text: str, expected: bool
) -> None:
    assert value(read(brain, text, lang, asked), "removal_order") is expected


@pytest.mark.parametrize(
    ("asked", "text", "slot"),
    [
        ("removal_order", "non elle a été annulée", "removal_order_date"),
        ("expiry_date", "ma carte a été volée", "expiry_date"),
    ],
)
def test_a_past_participle_ete_is_no_summer(brain: Brain, asked: str, text: str, slot: str) -> None:
    assert value(read(brain, text, "fr", asked), slot) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("elle m'a été remise hier", dt.date(2026, 11, 25)),
        ("depuis l'été", dt.date(2026, 7, 15)),
        ("en été", dt.date(2026, 7, 15)),
    ],
)
def test_the_summer_is_still_read(brain: Brain, text: str, expected: dt.date) -> None:
    slot = "removal_order_date" if "remise" in text else "attempts_since"
    assert value(read(brain, text, "fr", slot), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "rien sauf mes 3 enfants"),
        ("fr", "non rien à part mes enfants"),
        ("en", "nothing except my children"),
        ("ar", "لا ولكن عندي الدراري"),
    ],
)
def test_nothing_but_a_situation_is_that_situation(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, "vulnerabilities"), "vulnerabilities") == frozenset({"children"})


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot"),
    [
        ("fr", None, "mon frère est au CRA", "custody"),
        ("fr", None, "ma femme a eu une OQTF le 3 novembre", "removal_order"),
        ("fr", None, "ma femme a eu une OQTF le 3 novembre", "removal_order_date"),
        ("en", None, "my husband got a deportation order", "removal_order"),
        ("es", None, "mi hermano está en el CRA", "custody"),
        ("ar", None, "khoya f cra", "custody"),
        ("fr", None, "si on me donne une oqtf je fais quoi", "removal_order"),
        ("en", None, "what happens if I get an OQTF", "removal_order"),
        ("en", None, "can they put me in detention", "custody"),
        ("ar", None, "ماذا أفعل إذا حصلت على OQTF", "removal_order"),
    ],
)
def test_someone_elses_situation_or_a_question_is_not_the_persons(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str
) -> None:
    assert read(brain, text, lang, asked).finding(slot) is None


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        ("fr", "custody", "je suis libre mais mon frère est au cra", "custody", "free"),
        ("fr", "custody", "mon frère est au CRA, moi je suis chez moi", "custody", "free"),
        ("es", "custody", "estoy libre pero mi hermano esta en el CRA", "custody", "free"),
        ("fr", None, "mon avocat dit que j'ai une OQTF", "removal_order", True),
        ("fr", None, "ma femme et moi avons une OQTF", "removal_order", True),
    ],
)
def test_the_persons_own_situation_beside_someone_elses(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # Asked a date: the clause that says it is the asked one, not the first date.
        (
            "fr",
            "expiry_date",
            "jai un rdv le 20 janvier mais ma carte expire le 2 janvier",
            "expiry_date",
            dt.date(2027, 1, 2),
        ),
        (
            "en",
            "expiry_date",
            "appointment on 3 March but card expires 15 December",
            "expiry_date",
            dt.date(2026, 12, 15),
        ),
        (
            "es",
            "expiry_date",
            "tengo cita el 3 de marzo pero mi tarjeta caduca el 15 de diciembre",
            "expiry_date",
            dt.date(2026, 12, 15),
        ),
        (
            "ar",
            "expiry_date",
            "عندي موعد نهار 3 مارس ولكن الكارط كتسالي نهار 15 دجنبر",
            "expiry_date",
            dt.date(2026, 12, 15),
        ),
        (
            "fr",
            "expiry_date",
            "mon bail se termine le 30 juin, ma carte expire le 20 décembre",
            "expiry_date",
            dt.date(2026, 12, 20),
        ),
        (
            "fr",
            "expiry_date",
            "passeport valable jusqu'au 10/05/2029, titre jusqu'au 20/12/2026",
            "expiry_date",
            dt.date(2026, 12, 20),
        ),
        (
            "fr",
            "expiry_date",
            "j'essaie depuis le 3 octobre et ma carte expire le 10 janvier",
            "expiry_date",
            dt.date(2027, 1, 10),
        ),
        (
            "fr",
            "attempts_since",
            "ma carte expire le 10 janvier, j'ai essayé depuis le 3 octobre",
            "attempts_since",
            dt.date(2026, 10, 3),
        ),
        (
            "en",
            "attempts_since",
            "I've lived here since 2015, trying to get an appointment since september",
            "attempts_since",
            dt.date(2026, 9, 15),
        ),
        (
            "fr",
            "expiry_date",
            "je suis arrivé en France le 5 mars 2019, mon titre expire le 20 décembre",
            "expiry_date",
            dt.date(2026, 12, 20),
        ),
        # The arrival in France alone is no answer: asked again.
        ("fr", "attempts_since", "je suis en France depuis 2015", "attempts_since", None),
        ("es", "attempts_since", "vivo en Francia desde 2015", "attempts_since", None),
        ("fr", "expiry_date", "je suis entré en france le 10/01/2020", "expiry_date", None),
        # In passing too: the lease's end is not the card's.
        (
            "fr",
            None,
            "mon bail se termine le 30 juin, ma carte expire le 20 décembre",
            "expiry_date",
            dt.date(2026, 12, 20),
        ),
        # One date alone is read as it always was.
        (
            "es",
            "removal_order_date",
            "me la dieron hace 10 días",
            "removal_order_date",
            dt.date(2026, 11, 16),
        ),
    ],
)
def test_asked_a_date_the_clause_about_it_answers(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


FOURTH_REVIEW = [
    # Nothing deleted is everything kept.
    ("fr", "evidence", "j'ai rien effacé", "evidence", True),
    ("fr", "evidence", "je n'ai rien supprimé", "evidence", True),
    ("es", "evidence", "no las borré", "evidence", True),
    ("ar", "evidence", "ما مسحت والو", "evidence", True),
    ("fr", "evidence", "j'ai tout supprimé", "evidence", False),
    # "J'ai rien" of something else is no "no papers", in passing.
    ("fr", None, "bonjour j'ai rien compris au site de la prefecture", "document", None),
    ("fr", None, "j'ai rien reçu de la préfecture depuis 3 mois", "document", None),
    ("fr", None, "j'ai rien du tout comme papier", "document", "NONE"),
    # House arrest said beside home, the place taken to beside the one left, "plus" alone.
    ("fr", "custody", "à la maison mais assignée", "custody", "house_arrest"),
    ("ar", "custody", "أنا في الدار ولكن خاصني نسيني فالكوميسارية", "custody", "house_arrest"),
    ("fr", "custody", "ils m'ont sorti de prison pour m'envoyer au cra", "custody", "detained"),
    ("fr", None, "mon frère est sorti du CRA", "custody", None),
]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("fr", "oui mais ne donnez pas mon numéro", None),
        ("en", "yes but don't share my name", None),
        ("fr", "ça dépend, qui va lire ?", None),
        ("fr", "oui ?", True),
        ("fr", "oui, d'accord", True),
        ("fr", "non, je ne veux pas", False),
    ],
)
def test_consent_is_read_only_when_plain(brain: Brain, lang: str, text: str, expected: object) -> None:
    assert value(read(brain, text, lang, "consent"), "consent") == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "oui je dois partir"),
        ("fr", "oui il faut que je parte"),
        ("ar", "اه عطاوني"),
        ("ar", "ih 3andi"),
    ],
)
def test_a_leading_yes_without_a_comma_answers(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, "removal_order"), "removal_order") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le trente et un décembre", dt.date(2026, 12, 31)),
        ("le vingt-deux janvier", dt.date(2027, 1, 22)),
        ("le dix-sept mars", dt.date(2027, 3, 17)),
    ],
)
def test_days_in_words_above_twenty(brain: Brain, text: str, expected: dt.date) -> None:
    assert value(read(brain, text, "fr", "expiry_date"), "expiry_date") == expected


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # Found by a fifth review (regressions of the rules above, 912 cases): a fear or a future
        # bears on what follows only with what it fears, or a verb of placing or giving.
        ("fr", "removal_order", "j'ai trop peur oqtf recue le 2 decembre", "removal_order", True),
        ("fr", "removal_order", "je vais faire un recours contre l'OQTF", "removal_order", True),
        ("fr", "removal_order", "la prefecture va m expulser oqtf depuis 3 semaines", "removal_order", True),
        (
            "fr",
            None,
            "ils vont m'expulser on m'a donné une oqtf le 2 novembre",
            "removal_order_date",
            dt.date(2026, 11, 2),
        ),
        ("fr", "custody", "demain ca fait 1 mois au cra", "custody", "detained"),
        ("fr", "custody", "normalement je sors demain du cra", "custody", "detained"),
        ("es", "custody", "me van a deportar estoy en el cra de marsella", "custody", "detained"),
        ("en", "removal_order", "i might get an oqtf", "removal_order", None),
        # The person counting themselves in, or someone saying what their paper is.
        ("fr", "removal_order", "moi et ma femme on a eu une oqtf", "removal_order", True),
        ("fr", "removal_order", "mon frere a une oqtf et moi aussi", "removal_order", True),
        ("es", "removal_order", "yo y mi esposo tenemos oqtf", "removal_order", True),
        ("en", "removal_order", "my friend says it is an oqtf", "removal_order", True),
        ("fr", "custody", "mon frère est au CRA, moi je suis chez moi", "custody", "free"),
        # An appointment's date alone is the answer; "passeport talent" is a document.
        (
            "fr",
            "removal_order_date",
            "on me l'a donnée au rdv du 18 novembre",
            "removal_order_date",
            dt.date(2026, 11, 18),
        ),
        (
            "fr",
            "expiry_date",
            "impossible d'avoir un rdv ma carte expire le 3 janvier",
            "expiry_date",
            dt.date(2027, 1, 3),
        ),
        (
            "fr",
            "expiry_date",
            "ma carte passeport talent expire le 15 janvier",
            "expiry_date",
            dt.date(2027, 1, 15),
        ),
        ("fr", None, "je suis a marseille j'ai rien depuis 2021", "document", "NONE"),
    ],
)
def test_the_fifth_reviews_regressions(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ar", "نعم ولكن ما تعطيوش الرقم ديالي", None),
        ("fr", "oui, mais pas mon adresse", None),
        ("fr", "oui ok?", True),
        ("es", "sí claro?", True),
        ("fr", "oui mais j'ai pas de papiers", True),
        ("fr", "oui, pas de souci", True),
    ],
)
def test_consent_with_a_limit_on_what_is_shared_is_asked_again(
    brain: Brain, lang: str, text: str, expected: object
) -> None:
    assert value(read(brain, text, lang, "consent"), "consent") == expected


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # Found by a sixth review (1,000 new cases): "my OQTF" denied is not had...
        ("fr", "removal_order", "c pas mon oqtf c celle de mon mari", "removal_order", False),
        ("fr", "removal_order", "j'ai pas encore reçu mon oqtf", "removal_order", False),
        ("en", "removal_order", "not my oqtf, it's my brother's", "removal_order", False),
        ("es", "removal_order", "no es mi oqtf es de mi hermano", "removal_order", False),
        # ...a fear of something else leaves the order, a definite one exists...
        ("fr", "removal_order", "jai trop peur de la police oqtf recu hier", "removal_order", True),
        ("fr", "removal_order", "jai peur que l'oqtf soit executée", "removal_order", True),
        ("en", "removal_order", "scared of deportation got oqtf 3 days ago", "removal_order", True),
        ("fr", "removal_order", "j'ai peur d'avoir une OQTF", "removal_order", None),
        # ...a past placing or giving is a fact, a future one is not...
        ("fr", "removal_order", "est ce que c grave pref m a donne oqtf", "removal_order", True),
        ("fr", "custody", "ça va faire 2 semaines qu'ils m'ont enfermé au cra", "custody", "detained"),
        ("en", "custody", "can i get a lawyer in the detention centre", "custody", "detained"),
        ("fr", "custody", "quand je sortirai de prison ils vont m'envoyer au cra", "custody", "prison"),
        ("en", "custody", "i will get out of detention next month", "custody", "detained"),
        # ...someone else only as the subject of the order or the place.
        ("fr", "removal_order", "ma femme est enceinte oqtf recue le 1er decembre", "removal_order", True),
        ("fr", "custody", "mon ami m'a amené des habits au cra", "custody", "detained"),
        ("fr", "custody", "mon frère a été placé au CRA", "custody", None),
        ("fr", "custody", "un avocat m'a été assigné, je suis libre", "custody", "free"),
        ("fr", "removal_order", "ouais pas encore", "removal_order", None),
        ("fr", None, "a Lyon, j'ai rien en ce moment", "document", "NONE"),
        (
            "fr",
            "expiry_date",
            "mon passeport talent expire le 20/02, mon passeport marocain en 2029",
            "expiry_date",
            dt.date(2027, 2, 20),
        ),
        ("fr", "attempts_since", "depuis l ete", "attempts_since", dt.date(2026, 7, 15)),
    ],
)
def test_the_sixth_reviews_regressions(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ar", "اه بلا ما تعطيو سميتي", None),
        ("fr", "oui sauf mon adresse", None),
        ("fr", "c'est gratuit ?", None),
        ("fr", "oui mais je n'ai pas de numéro fixe", True),
        ("en", "yes but I don't have a phone number of my own", True),
    ],
)
def test_consent_limits_are_about_sharing(brain: Brain, lang: str, text: str, expected: object) -> None:
    assert value(read(brain, text, lang, "consent"), "consent") == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # Found by a seventh review (186 whole conversations): released with house arrest...
        ("fr", "je suis plus au CRA, ils m'ont libéré avec une assignation à résidence", "house_arrest"),
        # ...released from a place named alone, in the past, is free...
        ("fr", "libéré du cra par le juge hier", "free"),
        ("en", "released from the CRA yesterday, at home now", "free"),
        # ...but not a release to come.
        ("fr", "je vais être libéré du CRA demain", "detained"),
        ("fr", "normalement libéré du cra apres demain", "detained"),
        ("fr", "je sors du cra demain", "detained"),
        ("en", "I will get out of detention tomorrow", "detained"),
    ],
)
def test_a_release_said_in_the_past_is_freedom(brain: Brain, lang: str, text: str, expected: str) -> None:
    assert value(read(brain, text, lang, "custody"), "custody") == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "si no me equivoco es una oqtf"),
        ("fr", "si je me trompe pas c'est une oqtf"),
        ("en", "if im not mistaken it is an oqtf"),
    ],
)
def test_if_i_am_not_mistaken_denies_nothing(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, None), "removal_order") is True


@pytest.mark.parametrize(
    ("lang", "asked", "text", "expected"),
    [
        # Found by the seventh review's conversations: where one was is not where one is...
        ("fr", None, "j'étais au CRA en 2023, maintenant j'ai un récépissé valable jusqu'au 20 avril", None),
        ("en", "custody", "I was in detention last year, now I am free", "free"),
        ("en", "custody", "I was placed in detention yesterday", "detained"),
        # ...what they want to do is not done...
        ("fr", None, "ils veulent m'envoyer au CRA, j'ai une OQTF depuis le 2 décembre", None),
        # ...and a misspelt detention is one.
        ("fr", None, "ils m'ont mis en retension ce matin", "detained"),
    ],
)
def test_where_one_was_or_may_be_sent_is_not_where_one_is(
    brain: Brain, lang: str, asked: str | None, text: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), "custody") == expected


EIGHTH_REVIEW = [
    # Found by an eighth review (892 new cases): "ok" is no yes...
    ("fr", "removal_order", "ok attends je regarde le papier", "removal_order", None),
    ("fr", "consent", "ok d'accord ?", "consent", True),
    # ...an order one will send is one that exists...
    ("fr", "removal_order", "je vais vous envoyer l'OQTF en photo", "removal_order", True),
    ("fr", "removal_order", "ils vont me donner une OQTF", "removal_order", None),
    # ..."aussi", "comme moi", "avec moi" count the person in...
    ("fr", "removal_order", "ma femme a aussi une OQTF", "removal_order", True),
    ("fr", "removal_order", "mon mari a eu une OQTF comme moi", "removal_order", True),
    ("fr", "custody", "mon fils est au cra avec moi", "custody", "detained"),
    # ...a consent is limited only by a no about sharing or data kept out...
    ("fr", "consent", "oui mais j'ai pas mon passeport", "consent", True),
    ("fr", "consent", "oui partagez, je n'ai pas peur", "consent", True),
    ("fr", "consent", "oui mais ne donnez pas mon numéro", "consent", None),
    # ...not leaving is being there, a transfer ends where it goes, a release in Spanish.
    ("fr", "custody", "pas encore sorti du cra", "custody", "detained"),
    ("fr", "custody", "transféré de la prison au CRA", "custody", "detained"),
    ("es", "custody", "me liberaron ayer del cra", "custody", "free"),
]


NINTH_REVIEW = [
    # Found by a ninth review (380 new cases at 621c049): someone else's release not yet done...
    ("fr", "custody", "mon frère n'est pas encore sorti du cra", "custody", None),
    # ...where one was and still is...
    ("fr", "custody", "j'étais au cra, j'y suis encore", "custody", "detained"),
    # ...a number kept out, in Darija; and someone else's no is not the person's.
    ("ar", "consent", "ايه ولكن ماشي رقمي", "consent", None),
    ("fr", None, "mon frère n'a pas d'OQTF mais moi si", "removal_order", None),
]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # "Et moi" alone does not count the person in: what follows says where they are.
        ("fr", "mon mari est au CRA et moi à la maison avec les enfants", "free"),
        ("en", "my husband is in detention and i am at home", "free"),
        ("ar", "خويا في CRA وحتى انا", "detained"),
    ],
)
def test_and_me_is_not_me_too(brain: Brain, lang: str, text: str, expected: str) -> None:
    assert value(read(brain, text, lang, "custody"), "custody") == expected


@pytest.mark.parametrize(
    ("asked", "text"),
    [
        # "à la maison d'arrêt" holds "je suis à la maison" (free): the longer place is the prison.
        ("custody", "je suis à la maison d'arrêt de Fresnes"),
        ("custody", "libérable en janvier, je suis à la maison d'arrêt de Fresnes"),
        ("custody", "sortie prévue le 15 décembre, je suis à la maison d'arrêt"),
        ("custody", "je suis à la maison centrale de Poissy"),
        (None, "bonjour je suis à la maison d'arrêt de Fresnes et ma carte expire le 3 janvier"),
    ],
)
def test_a_prison_named_maison_is_not_home(brain: Brain, asked: str | None, text: str) -> None:
    assert value(read(brain, text, "fr", asked), "custody") == "prison"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # A negation of the rank is not a negation of the order...
        ("fr", "ce n'est pas ma première OQTF", True),
        ("fr", "ce n'est pas la première fois qu'on me donne une OQTF", True),
        ("en", "it's not my first OQTF", True),
        ("es", "no es mi primera OQTF", True),
        ("ar", "ماشي أول OQTF ديالي", True),
        # ...but "pas une seule", "jamais de première" and a plain no are none.
        ("fr", "je n'ai pas une seule OQTF", False),
        ("fr", "je n'ai jamais eu de première OQTF", False),
        ("fr", "c'est pas mon OQTF", False),
        ("es", "no tengo OQTF", False),
    ],
)
def test_not_the_first_order_is_an_order(brain: Brain, lang: str, text: str, expected: bool) -> None:
    assert value(read(brain, text, lang, "removal_order"), "removal_order") is expected


@pytest.mark.parametrize(
    ("lang", "text", "order", "date"),
    [
        # "One" of what was asked is an order, and a bare "depuis" then dates it, not the attempts.
        ("fr", "ah ok oui j'en ai une depuis le 10 novembre", True, dt.date(2026, 11, 10)),
        ("fr", "j'en ai une", True, None),
        ("fr", "oui depuis le 10 novembre", True, dt.date(2026, 11, 10)),
        ("en", "yes I have one since 10 November", True, dt.date(2026, 11, 10)),
        ("es", "sí tengo una desde el 10 de noviembre", True, dt.date(2026, 11, 10)),
        # A no, or attempts said, keep the date for the attempts.
        ("fr", "non, depuis septembre je cherche un rdv", False, None),
        ("fr", "non mais j'essaie depuis septembre", False, None),
        ("fr", "je n'en ai pas", False, None),
        # A yes about someone else's order is asked again; counted in, it stays a yes.
        ("fr", "oui mais c'est celle de mon mari", None, None),
        ("en", "yes but it's my husband's", None, None),
        ("es", "sí pero es la de mi esposo", None, None),
        ("fr", "oui moi et mon mari", True, None),
        ("en", "yes I did, my husband too", True, None),
    ],
)
def test_one_of_what_was_asked_and_someone_elses_yes(
    brain: Brain, lang: str, text: str, order: bool | None, date: dt.date | None
) -> None:
    reading = read(brain, text, lang, "removal_order")
    assert value(reading, "removal_order") == order
    assert value(reading, "removal_order_date") == date


TENTH_REVIEW = [
    # Found by a tenth review (250 new cases at 07e9ea4): a prison written without its apostrophe...
    ("fr", "custody", "je suis a la maison darret de villepinte depuis 2 mois", "custody", "prison"),
    ("fr", "custody", "tjr en detention a la maison d arret, je sors en mars", "custody", "prison"),
    # ...out again, in the past, or time served there...
    (
        "fr",
        "custody",
        "je suis ressorti du CRA au bout de 90 jours, ils ont pas pu m expulser",
        "custody",
        "free",
    ),
    ("ar", "custody", "5rjt mn l7bs lbar7", "custody", "free"),
    ("ar", "custody", "ana 7or", "custody", "free"),
    # A time served counts beside a release or a freedom said, not alone ("j'ai fait 15 jours
    # au cra pour l'instant" is still there); beside the person's release it is free now, as
    # "je suis ressorti du CRA" above (it was asked again).
    (
        "fr",
        "custody",
        "j'ai fait 2 ans à la maison d'arrêt, je suis sorti le 20 novembre",
        "custody",
        "free",
    ),
    ("fr", "custody", "jai fait 15 jours au cra pour l instant", "custody", "detained"),
    ("en", None, "I spent 3 weeks in the CRA so far", "custody", "detained"),
    ("fr", "custody", "je suis au cra depuis 2 semaines", "custody", "detained"),
    # ...a risk, a fear with its verb, an order one was going to receive...
    ("fr", None, "je risque d etre placé au cra si je vais pas pointer au commissariat", "custody", None),
    ("fr", "custody", "j'ai peur d'être enfermé au CRA", "custody", None),
    ("fr", "custody", "ils m'ont placé au CRA de Vincennes", "custody", "detained"),
    (
        "fr",
        "removal_order",
        "la prefecture m'a dit au telephone que j allais recevoir une oqtf",
        "removal_order",
        None,
    ),
    # ...the order glued to its article, and numbers in words.
    ("fr", None, "jai recu loqtf le vingt deux novembre", "removal_order", True),
    ("en", "removal_order_date", "seventeen days ago", "removal_order_date", dt.date(2026, 11, 9)),
    ("es", "removal_order_date", "hace diecisiete dias", "removal_order_date", dt.date(2026, 11, 9)),
    ("es", "expiry_date", "el treinta y uno de diciembre", "expiry_date", dt.date(2026, 12, 31)),
    ("ar", "expiry_date", "tsala 15 mars", "expiry_date", dt.date(2026, 3, 15)),
    ("ar", "removal_order_date", "f lekher dyal octobre", "removal_order_date", dt.date(2026, 10, 31)),
]


@pytest.mark.parametrize(
    ("lang", "text", "slot", "expected"),
    [
        # "il", "elle", "he", "she" as the subject are someone else, as "mon frère" is...
        (
            "fr",
            "mon frere est en prison et il a recu une oqtf en detention, moi jai une carte",
            "removal_order",
            None,
        ),
        ("fr", "ma femme est au cra de rennes, elle a une oqtf, on a 2 enfants", "removal_order", None),
        ("en", "my cousin is detained in the CRA, he has an OQTF from september", "removal_order", None),
        ("fr", "il est au cra", "custody", None),
        # ...not when the person is the object, nor the Spanish article "el" (folded "él").
        ("fr", "il m'a donné une OQTF", "removal_order", True),
        ("en", "he gave me an OQTF", "removal_order", True),
        ("es", "estoy en el centro de retencion", "custody", "detained"),
        (
            "es",
            "me notificaron la oqtf hace tres semanas y ahora estoy en el centro de retencion",
            "custody",
            "detained",
        ),
    ],
)
def test_a_third_person_subject_is_someone_else(
    brain: Brain, lang: str, text: str, slot: str, expected: object
) -> None:
    asked = slot if slot == "custody" and expected is not None else None
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # The person's own no after someone else's yes...
        ("fr", "mon mari oui, moi non", False),
        ("ar", "khti jatha oqtf, ana la", False),
        ("en", "my wife got one, not me", False),
        ("es", "mi esposo sí, yo no", False),
        ("fr", "mon frère en a une, pas moi", False),
        # ...and not knowing whether one has an order: asked again, never an order.
        ("fr", "je sais pas si j'ai une OQTF", None),
        ("en", "I don't know if I have an OQTF", None),
        ("es", "no sé si tengo una OQTF", None),
        ("es", "yo no sé si tengo OQTF", None),
        ("fr", "je ne sais pas quoi faire, j'ai reçu une OQTF le 3 novembre", True),
        ("fr", "oui moi", True),
    ],
)
def test_my_own_no_and_not_knowing_whether(brain: Brain, lang: str, text: str, expected: bool | None) -> None:
    assert value(read(brain, text, lang, "removal_order"), "removal_order") == expected


@pytest.mark.parametrize(
    ("text", "attempts"),
    [
        # At the custody question a bare "depuis" says how long one is held, not since when one tries.
        ("je suis en conditionnelle depuis septembre", None),
        ("je suis bloqué en zone d attente a roissy depuis 3 jours", None),
        ("libre, mais j'essaie depuis septembre", dt.date(2026, 9, 15)),
    ],
)
def test_since_when_held_is_no_attempt(brain: Brain, text: str, attempts: dt.date | None) -> None:
    assert value(read(brain, text, "fr", "custody"), "attempts_since") == attempts


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # The day after a word of expiry is no département number ("expire le 30" was the Gard)...
        ("fr", "ma carte expire le 30", None),
        ("fr", "ma carte expire le 18", None),  # was confirmed as the Cher at the place question
        ("fr", "je suis en prison a meaux et mon titre expire le 30", "77"),
        ("fr", "j'habite dans le 93 et ma carte expire le 12", "93"),
        ("en", "my card expires on the 12, I live in the 93", "93"),
        # ...but a number said of where one lives still is.
        ("fr", "j'habite dans le 30", "30"),
    ],
)
def test_the_day_of_an_expiry_is_no_departement(
    brain: Brain, lang: str, text: str, expected: str | None
) -> None:
    for asked in (None, "prefecture"):
        reading = read(brain, text, lang, asked)
        assert value(reading, "prefecture") == expected
        assert expected is not None or reading.finding("prefecture") is None


ELEVENTH_REVIEW = [
    # Found by an eleventh review (300 cases against fec7d55, regressions of the day's rules):
    # a participle of placing is a fear or a future only after "être"...
    ("fr", None, "je vais voir le juge demain placé au CRA depuis 2 jours", "custody", "detained"),
    ("fr", None, "svp aidez moi je vais craquer enfermé au cra", "custody", "detained"),
    ("fr", None, "j'ai peur d rester enfermé au CRA encore 30 jours", "custody", "detained"),
    # ..."one" is the order only with nothing else named after it...
    ("fr", "removal_order", "j'en ai une autre question svp", "removal_order", None),
    ("en", "removal_order", "i have one appointment tomorrow", "removal_order", None),
    ("es", "removal_order", "tengo una tarjeta de residencia caducada", "removal_order", None),
    ("fr", "removal_order", "non mais j'en ai une pour mon mari", "removal_order", False),
    # ...a rank denied is no order had when it is someone else's or still to come...
    ("fr", None, "ce n'est pas la première OQTF de mon frère", "removal_order", False),
    ("fr", None, "je n'ai pas encore ma première OQTF mais ça va venir", "removal_order", False),
    # ...a pronoun holding the order with a definite article holds the person's paper...
    ("fr", None, "mon avocat il a l'OQTF, je peux vous l'envoyer", "removal_order", True),
    ("en", None, "my lawyer has my papers, he has the OQTF", "removal_order", True),
    ("fr", "removal_order", "oui elle a expiré le délai de 30 jours", "removal_order", True),
    ("ar", "removal_order", "ah 3ndi wahda w rajli 7ta howa", "removal_order", True),
    ("fr", None, "loqtf ces pour ma femme pas pour moi", "removal_order", None),
    # ...Arabizi "mn" (from) is no "since", and "vingt sept. 2026" is 20 September.
    ("ar", None, "ana mn dzayer w 5dmt f fransa 10 snin", "attempts_since", None),
    ("ar", "custody", "khrjt mn lcra lbar7", "custody", "free"),
    ("fr", "expiry_date", "elle a expiré le vingt sept. 2026", "expiry_date", dt.date(2026, 9, 20)),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A question after the order said is about something else: the order stays...
        ("la prefecture m a refusé le titre et m a mis une oqtf lundi dernier, j ai 30 jours ?", True),
        # ...a question about the order itself says nothing of having one.
        ("c'est quoi une OQTF ?", None),
        ("j'ai reçu un papier, c'est une OQTF ?", None),
    ],
)
def test_a_question_after_the_order_keeps_it(brain: Brain, text: str, expected: bool | None) -> None:
    assert value(read(brain, text, "fr", None), "removal_order") == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # Fears with their verb, in Spanish and in SMS French ("detre" for "d'être")...
        ("es", "tengo miedo de que me pongan en el CRA", None),
        ("fr", "bjr jai peur detre placé au cra mon ami a été placé", None),
        # ...and the facts beside them.
        ("es", "me pusieron en el CRA ayer", "detained"),
    ],
)
def test_fears_of_being_placed(brain: Brain, lang: str, text: str, expected: str | None) -> None:
    assert value(read(brain, text, lang, None), "custody") == expected


@pytest.mark.parametrize(
    ("lang", "text", "order", "date"),
    [
        # Someone else's order and its date at the order's question: asked again, no date kept.
        ("en", "yes she got it last week, my wife", None, None),
        ("fr", "ma femme l'a reçue le 3 octobre", None, None),
        # The person's: the date says there is one.
        ("fr", "je l'ai reçue le 3 octobre", True, dt.date(2026, 10, 3)),
    ],
)
def test_someone_elses_dated_order(
    brain: Brain, lang: str, text: str, order: bool | None, date: dt.date | None
) -> None:
    reading = read(brain, text, lang, "removal_order")
    assert value(reading, "removal_order") == order
    assert value(reading, "removal_order_date") == date


TWELFTH_REVIEW = [
    # Found by a twelfth review (90 whole conversations: 41 passed at fec7d55, 66 at 507d5b5):
    # an order annulled is asked again, with no date, unless an appointment was what was annulled...
    ("fr", None, "j'ai été au CRA en 2024 mais le tribunal a annulé l'OQTF", "removal_order", None),
    (
        "fr",
        "removal_order",
        "oui mais le tribunal administratif a annulé l oqtf en octobre",
        "removal_order",
        None,
    ),
    (
        "fr",
        "removal_order",
        "oui mais le tribunal administratif a annulé l oqtf en octobre",
        "removal_order_date",
        None,
    ),
    ("en", "removal_order", "yes but the court cancelled it", "removal_order", None),
    (
        "fr",
        "removal_order",
        "non plus maintenant, elle a été annulée par le tribunal en 2024",
        "removal_order",
        False,
    ),
    ("fr", None, "mon rdv a été annulé, j'ai une OQTF depuis le 3 novembre", "removal_order", True),
    # ...a past stay ("j'ai été au CRA"; "I was held ... but they released me") is no detention...
    ("fr", None, "j'ai été au CRA en 2024 mais le tribunal a annulé l'OQTF", "custody", None),
    ("en", None, "I was held in the CRA last year but they released me", "custody", None),
    ("fr", "custody", "j'ai été placé au CRA hier", "custody", "detained"),
    # ...someone else by "c'est ma mère qui", Spanish "tiene", Darija "jatha", "عندو"...
    ("fr", None, "aujourd'hui c'est ma mère qui a une oqtf", "removal_order", None),
    ("es", None, "mi hermano esta en el CRA, tiene una OQTF", "removal_order", None),
    ("ar", None, "khti jatha oqtf o hiya f cra", "removal_order", None),
    ("ar", None, "راجلي في مركز الاحتجاز وعندو OQTF", "removal_order", None),
    ("es", "removal_order", "tengo una OQTF", "removal_order", True),
    # ...an order one was told one would get, and Arabizi "walo".
    ("fr", "removal_order", "ils m'ont dit que j'allais avoir une OQTF", "removal_order", None),
    ("ar", "document", "ma3ndi walo", "document", "NONE"),
]


@pytest.mark.parametrize(
    ("lang", "asked", "text", "offered"),
    [
        # Asked a date, a day alone is offered to be confirmed (the nearest in the tense said)...
        ("fr", "removal_order_date", "le vingt deux", [dt.date(2026, 11, 22)]),
        ("en", "removal_order_date", "the twenty-second", [dt.date(2026, 11, 22)]),
        ("ar", "removal_order_date", "نهار 22", [dt.date(2026, 11, 22)]),
        ("fr", "removal_order_date", "on me l'a donnée le 22", [dt.date(2026, 11, 22)]),
        ("fr", "expiry_date", "elle a expiré le 20", [dt.date(2026, 11, 20)]),
        ("fr", "expiry_date", "elle expire le 30", [dt.date(2026, 11, 30)]),
        (
            "fr",
            "expiry_date",
            "le 30",
            [dt.date(2026, 11, 30), dt.date(2026, 10, 30)],
        ),  # no tense: both, nearest first
        # ...never a notification to come, nor two days at once.
        ("fr", "removal_order_date", "le 28", [dt.date(2026, 10, 28)]),
        ("fr", "removal_order_date", "le 3 et le 22", []),
    ],
)
def test_a_day_alone_at_a_date_question_is_offered(
    brain: Brain, lang: str, asked: str, text: str, offered: list[dt.date]
) -> None:
    finding = read(brain, text, lang, asked).finding(asked)
    if not offered:
        assert finding is None
        return
    assert finding is not None and not finding.certain
    assert [candidate.values[asked] for candidate in finding.candidates] == offered


THIRTEENTH_REVIEW = [
    # Found by a thirteenth review (250 cases; 68 better, 27 worse at 1ae9551 against a11b19f,
    # the 27 now as before): an annulment of something else, wished or denied is no annulment
    # of the order...
    ("fr", "removal_order", "oui, et ils ont annulé mon vol de retour", "removal_order", True),
    (
        "fr",
        "removal_order",
        "oui ils m'ont retiré ma carte de sejour en meme temps",
        "removal_order",
        True,
    ),
    ("en", "removal_order", "yes, and my asylum application was cancelled", "removal_order", True),
    ("fr", None, "ils ont annule mon rdv parce que j'ai une OQTF", "removal_order", True),
    ("fr", None, "je veux que l'OQTF soit annulée, je l'ai reçue le 2 novembre", "removal_order", True),
    ("fr", None, "le tribunal n'a pas annulé l'OQTF, mon recours a été rejeté", "removal_order", True),
    ("ar", None, "jatni oqtf w l9aw lia lvol", "removal_order", True),
    # ...taken to a place is where one is, whatever release is said of someone else or to come...
    ("fr", None, "j'ai été emmené au CRA hier, ils ont libéré mon cousin", "custody", "detained"),
    (
        "fr",
        None,
        "j'ai été placé au CRA, mon avocat dit que je serai libéré bientot",
        "custody",
        "detained",
    ),
    (
        "en",
        "custody",
        "I was brought to the detention centre 3 days ago, my brother got released",
        "custody",
        "detained",
    ),
    # ...a word that may have a thing as its subject is someone else only after someone named...
    ("es", None, "mi caso tiene una OQTF desde octubre", "removal_order", True),
    ("ar", None, "hiya oqtf li jatni, chno ndir", "removal_order", True),
    ("es", None, "mi hermano esta en el CRA, tiene una OQTF", "removal_order", None),
    # ...the OQTF's delay said bare at its date is no date, and "dans le 13" no day.
    ("fr", "removal_order_date", "j'ai 30 jour pour partir", "removal_order_date", None),
    ("en", "removal_order_date", "30 days", "removal_order_date", None),
    ("fr", "removal_order_date", "il y a 30 jours", "removal_order_date", dt.date(2026, 10, 27)),
    ("fr", "removal_order_date", "dans le 13", "removal_order_date", None),
]


FOURTEENTH_REVIEW = [
    # Found by a fourteenth review (80 whole conversations: 56 pass at fec7d55, 57 at a6d9b79,
    # none worse): "without" denies the words right after it, not an order received after a
    # glued Arabic "و" or an Arabizi "w"...
    ("ar", None, "أنا في مايوت بدون أوراق وتلقيت OQTF يوم 10 نوفمبر", "removal_order", True),
    ("ar", None, "ana bla wra9 w 3tawni oqtf nhar 20 octobre", "removal_order", True),
    (
        "fr",
        "application_status",
        "oui mais sans avoir de récépissé",
        "application_status",
        "filed_without_proof",
    ),
    ("fr", None, "je suis sans papiers et sans OQTF", "removal_order", False),
    # ...a paper asked about is no paper had...
    ("fr", "application_status", "c'est quoi un récépissé ?", "application_status", None),
    ("en", "application_status", "what is a récépissé?", "document", None),
    ("fr", "document", "c'est quoi un titre de séjour ? j'ai une carte étudiant", "document", "CST_ETU"),
    # ...a French child and a violent spouse keeping the papers are said in other words...
    (
        "fr",
        "vulnerabilities",
        "je suis le père d'un enfant français de 2 ans",
        "vulnerabilities",
        frozenset({"children"}),
    ),
    (
        "fr",
        "vulnerabilities",
        "mon mari est violent et il garde mes papiers",
        "vulnerabilities",
        frozenset({"violence"}),
    ),
    # ...and a yes of another language answers a question asked in French (an SMS starts in French).
    ("fr", "consent", "sí", "consent", True),
    ("fr", "consent", "wakha", "consent", True),
    ("fr", "consent", "la", "consent", None),
    # A Darija fear with its verb and no connector ("khayf y7ottouni f cra": afraid they put me).
    ("ar", None, "salam ana bla wra9 o khayf y7ottouni f cra ila mchit l prefecture", "custody", None),
]


FIFTEENTH_REVIEW = [
    # Found by a fifteenth review (257 cases, 0cd3f5e vs a6d9b79): "without" reaches as far as
    # before, past a verb ("sans avoir reçu d'OQTF"), only not past an "and"...
    ("fr", None, "sans avoir reçu d'OQTF", "removal_order", False),
    ("en", None, "I've been here 3 years without ever getting an OQTF", "removal_order", False),
    ("es", None, "sin haber recibido una OQTF", "removal_order", False),
    (
        "fr",
        "application_status",
        "oui mais sans avoir eu de récépissé",
        "application_status",
        "filed_without_proof",
    ),
    # ...and a question about one's own paper, or followed by "I have one", keeps the paper.
    ("fr", "document", "c'est quoi mon récépissé ?", "document", "RECEPISSE"),
    ("fr", "document", "c quoi un recepisse? jen ai un", "document", "RECEPISSE"),
    ("en", "document", "what is a récépissé? I have one", "document", "RECEPISSE"),
    ("fr", "document", "c koi ça jai un recepisse?", "document", "RECEPISSE"),
]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("yes", "en"),
        ("Yes!!", "en"),
        ("yes ok", "en"),
        ("Sí claro", "es"),
        ("wakha", "ar"),
        ("ok", None),
        ("si", None),
        ("oui ok", None),
    ],
)
def test_a_yes_only_one_language_says_names_it(brain: Brain, text: str, lang: str | None) -> None:
    assert brain.understanding.detect_language(text) == lang


SIXTEENTH_REVIEW = [
    # Found by a sixteenth review (60 ordinary conversations: 48 pass at fec7d55, 53 at f49646d,
    # none worse): English ordinal days, and "without" alone to the paper question.
    ("en", "expiry_date", "the fifth of March", "expiry_date", dt.date(2027, 3, 5)),
    ("en", "expiry_date", "on the twelfth of april", "expiry_date", dt.date(2027, 4, 12)),
    ("en", "document", "without", "document", "NONE"),
    ("es", "document", "sin", "document", "NONE"),
    ("ar", "document", "بدون", "document", "NONE"),
    ("ar", "document", "بطاقة الإقامة 10 سنوات", "document", "CR_10"),
]


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # Going to a place of detention to see someone held there: not the person's detention.
        ("fr", "custody", "je vais à la maison d'arrêt voir mon frère", "custody", None),
        ("fr", "custody", "je vais au CRA rendre visite à mon mari", "custody", None),
        ("en", "custody", "I go to the prison to visit my husband", "custody", None),
        ("es", "custody", "voy a la cárcel a ver a mi hermano", "custody", None),
        # Being there, whoever one wants to see: the person's detention.
        ("fr", "custody", "je suis au CRA et je veux voir mon frère", "custody", "detained"),
        ("fr", "custody", "je suis à la maison d'arrêt, je veux voir mon fils", "custody", "prison"),
        ("en", "custody", "I'm in the CRA and want to see my wife", "custody", "detained"),
        # The "me" of a relative describing someone else does not count the person in.
        ("fr", "removal_order", "ma soeur qui vit avec moi a une OQTF", "removal_order", None),
        ("en", "removal_order", "my sister who lives with me has an OQTF", "removal_order", None),
        ("ar", "removal_order", "اختي اللي ساكنة معايا عندها OQTF", "removal_order", None),
        ("fr", "removal_order", "ma soeur qui vit avec moi a une OQTF, moi aussi", "removal_order", True),
        ("fr", "removal_order", "ma soeur qui vit avec moi a une OQTF, pas moi", "removal_order", False),
    ],
)
def test_someone_elses_detention_or_order_is_not_the_persons(
    brain: Brain, lang: str, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # Freedom still to come: the person is held now, asked again rather than "free".
        ("fr", "je serai libre le mois prochain", None),
        ("fr", "je serai libre", None),
        ("en", "I will be free next month", None),
        ("es", "voy a estar libre la semana que viene", None),
        # A release on parole said in the past: free now.
        ("en", "I was released on parole", "free"),
        ("en", "im on parole", "free"),
        # Something to come in another clause says nothing of the freedom.
        ("fr", "je suis libre, demain j'ai rdv", "free"),
        ("en", "im free, next week i have an appointment", "free"),
    ],
)
def test_freedom_to_come_is_not_freedom_now(brain: Brain, lang: str, text: str, expected: str | None) -> None:
    assert value(read(brain, text, lang, "custody"), "custody") == expected


SEVENTEENTH_REVIEW = [
    # Found by a review of 153 messages on whose situation a detention or an order is (115 read
    # as expected at a9e47fc). Someone else beyond the closest family, or with a word between:
    (
        "fr",
        "removal_order",
        "mon fils majeur a eu une obligation de quitter le territoire",
        "removal_order",
        None,
    ),
    ("fr", "removal_order", "ma femme vient de recevoir une OQTF", "removal_order", None),
    (
        "fr",
        "removal_order",
        "mon colocataire a reçu une OQTF hier, j'ai peur pour moi",
        "removal_order",
        None,
    ),
    ("fr", "custody", "mon mari est malheureusement au CRA", "custody", None),
    ("fr", "custody", "mon beau-frère est au CRA", "custody", None),
    ("fr", "custody", "mon oncle est mort au CRA", "custody", None),
    ("en", "custody", "my older brother is in the CRA", "custody", None),
    ("en", "custody", "my friend was taken to the detention centre", "custody", None),
    ("en", "removal_order", "my husband just received an OQTF", "removal_order", None),
    ("es", "removal_order", "a mi hermano le dieron una OQTF", "removal_order", None),
    ("es", "custody", "a mi marido lo llevaron al CRA", "custody", None),
    ("ar", "removal_order", "khoya 3tawh oqtf", "removal_order", None),
    ("ar", "custody", "خويا الكبير فالحبس", "custody", None),
    # ... while the person counting themselves in is still theirs.
    ("en", "removal_order", "my wife and I have an OQTF", "removal_order", True),
    ("es", "removal_order", "mi hermano y yo tenemos OQTF", "removal_order", True),
    # Working there, or knowing what an order is: neither held nor ordered.
    ("fr", "custody", "je travaille comme interprète au CRA de Lyon", "custody", None),
    ("en", "custody", "I work at the detention centre as a cleaner", "custody", None),
    ("fr", "custody", "je suis au CRA, je travaillais avant", "custody", "detained"),
    ("fr", "removal_order", "mon avocat m'a expliqué ce qu'est une OQTF, j'en ai pas", "removal_order", None),
    ("en", "removal_order", "I know what an OQTF is, I don't have one", "removal_order", None),
    ("es", "removal_order", "sé lo que es una OQTF, no tengo", "removal_order", None),
    # Orders and detentions said in ordinary words.
    ("fr", "removal_order", "la police m'a donné un papier pour quitter la France", "removal_order", True),
    (
        "fr",
        "removal_order",
        "ils ont refusé mon titre et m'ont demandé de partir du territoire",
        "removal_order",
        True,
    ),
    (
        "en",
        "removal_order",
        "I got a letter telling me to leave France within 30 days",
        "removal_order",
        True,
    ),
    ("es", "removal_order", "la policía me dio un papel para irme de Francia", "removal_order", True),
    ("ar", "removal_order", "3tawni war9a bach nkhrej mn fransa", "removal_order", True),
    ("fr", "custody", "on m'a mis un bracelet", "custody", "house_arrest"),
    ("en", "custody", "they put an electronic tag on my ankle", "custody", "house_arrest"),
    ("es", "custody", "me pusieron una pulsera electrónica", "custody", "house_arrest"),
    (
        "fr",
        "custody",
        "je dors chez moi, je dois juste pointer le lundi et le jeudi",
        "custody",
        "house_arrest",
    ),
    ("en", "custody", "I've been locked up for 3 days", "custody", "detained"),
    ("es", "custody", "estoy encerrado desde hace 3 días", "custody", "detained"),
    # A place misspelt, said of someone else: no guess either.
    ("ar", "custody", "خويا فالسونطر ديال الريتونسيون", "custody", None),
    ("es", "custody", "mi hermano esta en el zentro de retension", "custody", None),
    ("en", "custody", "im in the detension center", "custody", "detained"),
    ("ar", "custody", "أنا حر، ولدي هو اللي فالحبس", "custody", "free"),
    # An order annulled, said with a pronoun of it; a time served years ago.
    ("fr", "removal_order", "j'avais une OQTF mais le tribunal l'a annulée", "removal_order", None),
    ("en", "removal_order", "I had an OQTF but the court cancelled it", "removal_order", None),
    ("fr", "removal_order", "oui j'ai une OQTF, le tribunal ne l'a pas annulée", "removal_order", True),
    ("fr", "custody", "j'ai fait 6 mois de prison il y a 3 ans", "custody", None),
    ("en", "custody", "I used to be in a CRA years ago", "custody", None),
    ("fr", "custody", "ça fait 2 ans que je suis en prison", "custody", "prison"),
    ("fr", "custody", "j'ai été placé au CRA il y a 3 jours", "custody", "detained"),
    # Someone outside the household, as the subject: not the person's vulnerability.
    ("fr", "vulnerabilities", "ma voisine a perdu son travail", "vulnerabilities", None),
    ("fr", "vulnerabilities", "mon frère au pays est malade", "vulnerabilities", None),
    ("en", "vulnerabilities", "my neighbour lost his job", "vulnerabilities", None),
    ("es", "vulnerabilities", "mi vecino perdió su trabajo", "vulnerabilities", None),
    ("fr", "vulnerabilities", "ma femme est enceinte", "vulnerabilities", frozenset({"health"})),
    ("es", "vulnerabilities", "duermo en casa de un amigo", "vulnerabilities", frozenset({"housing"})),
    (
        "ar",
        "vulnerabilities",
        "مشات ليا الخدمة وكنبات فالزنقة",
        "vulnerabilities",
        frozenset({"work", "housing"}),
    ),
]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "student residence card", "CST_ETU"),
        ("en", "employee residence card", "CST_SAL"),
        ("en", "worker residence permit", "CST_SAL"),
        ("ar", "بطاقة الإقامة طالب", "CST_ETU"),
        ("es", "tarjeta de residencia de trabajador", "CST_SAL"),
        # Nothing of a kind beside it: the usual kinds are offered (no single value).
        ("en", "residence card", None),
        ("en", "old residence card", None),
        ("fr", "carte de séjour expirée", None),
    ],
)
def test_the_kind_beside_a_card_named_without_it(
    brain: Brain, lang: str, text: str, expected: str | None
) -> None:
    assert value(read(brain, text, lang, "document"), "document") == expected


EIGHTEENTH_REVIEW = [
    # Found by an eighteenth review (40 whole conversations typed as on a phone, 31 ending as a
    # caseworker would at 802276d, 33 after; 96 messages, 87 then 90).
    # No longer there, said without "ne": free, not detained (a P0 fast track).
    ("fr", "custody", "je suis plus au cra", "custody", "free"),
    ("fr", "custody", "jsuis plus au cra", "custody", "free"),
    ("ar", "custody", "ma bqitch f cra", "custody", "free"),
    # Fears and possibilities, apostrophes left out, in every language: not a detention.
    ("fr", "custody", "ils vont menvoyer au cra", "custody", None),
    ("fr", "custody", "jai peur quils menvoient au cra", "custody", None),
    ("fr", "removal_order", "jai peur davoir une oqtf", "removal_order", None),
    ("en", "custody", "maybe they send me to the CRA", "custody", None),
    ("en", "custody", "they might send me to the CRA", "custody", None),
    ("en", "custody", "i could end up in detention", "custody", None),
    ("en", "custody", "they sent me to the CRA", "custody", "detained"),
    ("es", "custody", "me pueden mandar al CRA", "custody", None),
    ("es", "custody", "a lo mejor me llevan al centro de retención", "custody", None),
    ("ar", "custody", "ymkn ydiwni l cra", "custody", None),
    ("ar", "custody", "خايف يديوني للاحتجاز", "custody", None),
    # House arrest beside a word of home: house arrest (its 7-day delay), not free.
    ("fr", "custody", "assigné a la maison", "custody", "house_arrest"),
    ("ar", "custody", "f dar walakin assigné", "custody", "house_arrest"),
    ("es", "custody", "estoy en casa pero tengo que firmar en la comisaria", "custody", "house_arrest"),
    ("fr", "custody", "un avocat m'a été assigné, je suis libre", "custody", "free"),
    # An order given to someone else, or the person's own no before a "but".
    ("fr", "removal_order", "ils ont donné une OQTF à mon mari", "removal_order", None),
    ("en", "removal_order", "they gave an OQTF to my husband", "removal_order", None),
    ("fr", "removal_order", "moi non mais mon mari a recu une oqtf", "removal_order", False),
    ("en", "removal_order", "not me but my husband got an OQTF", "removal_order", False),
    ("fr", "removal_order", "jai recu un papier qui dit de quitter la france", "removal_order", True),
    # The spouse's card is not the person's paper.
    ("fr", "document", "ma femme a une carte de 10 ans, moi un titre vie privee", "document", "CST_VPF"),
    ("fr", "document", "mon mari a une carte de resident et moi rien", "document", "NONE"),
    ("en", "document", "my wife has a 10 year card, i have a student card", "document", "CST_ETU"),
    ("ar", "document", "mrati 3andha carte 10 ans w ana 3andi recepisse", "document", "RECEPISSE"),
    ("fr", "document", "mon mari est français, j'ai une carte vie privée", "document", "CST_VPF"),
    # Darija days.
    ("ar", "expiry_date", "ykamel ghedwa", "expiry_date", dt.date(2026, 11, 27)),
    ("ar", "removal_order_date", "awel lbareh", "removal_order_date", dt.date(2026, 11, 24)),
    ("ar", "removal_order_date", "قبل البارح", "removal_order_date", dt.date(2026, 11, 24)),
    ("ar", "expiry_date", "5 يناير، لا سمح لي 25 يناير", "expiry_date", dt.date(2027, 1, 25)),
    # A paper's expiry said at another date's question is the expiry, not that date.
    (
        "fr",
        "attempts_since",
        "pardon ma carte expire le 15 decembre pas le 5",
        "expiry_date",
        dt.date(2026, 12, 15),
    ),
    ("en", "attempts_since", "my card expires on 15 december", "expiry_date", dt.date(2026, 12, 15)),
    ("fr", "removal_order_date", "ma carte expire le 15 décembre", "removal_order_date", None),
    (
        "fr",
        "attempts_since",
        "depuis que ma carte a expiré le 3 octobre",
        "attempts_since",
        dt.date(2026, 10, 3),
    ),
    # ... and at the filing question, its "expire" is no proof expired.
    ("fr", "application_status", "ah non pardon elle expire le 15 decembre", "application_status", None),
    ("fr", "application_status", "mon récépissé a expiré", "application_status", "filed_without_proof"),
    # Found by a nineteenth review (40 conversations of corrections and answers given together).
    ("en", "vulnerabilities", "they took me to the CRA", "custody", "detained"),
    ("ar", "vulnerabilities", "daba hbsoni f cra dyal vincennes", "custody", "detained"),
    ("en", "custody", "I was taken to the CRA", "custody", "detained"),
    ("fr", "custody", "j'ai peur qu'ils m'emmènent au CRA", "custody", None),
    (
        "fr",
        "attempts_since",
        "ah si attendez, j'ai reçu une OQTF le 20 novembre",
        "removal_order_date",
        dt.date(2026, 11, 20),
    ),
    ("es", "attempts_since", "espera, sí recibí una OQTF el 20 de noviembre", "attempts_since", None),
    (
        "fr",
        "attempts_since",
        "j'essaie depuis le 3 octobre, j'ai une OQTF",
        "attempts_since",
        dt.date(2026, 10, 3),
    ),
    (
        "en",
        "application_status",
        "actually it's not a student card, it's a salarié card",
        "document",
        "CST_SAL",
    ),
]


@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        # An Arabic clitic glued to a month.
        ("ar", "expiry_date", "ما عرفتش بالضبط، تقريبا فمارس", "expiry_date", dt.date(2027, 3, 15)),
        ("ar", "expiry_date", "فمارس", "expiry_date", dt.date(2027, 3, 15)),
        # A place denied, in Darija too, and never the only one found.
        ("ar", "document", "smhli ana f Lille machi Lyon", "prefecture", "59"),
        ("ar", "document", "انا ف ليل ماشي ليون", "prefecture", None),
        ("fr", "document", "j'habite à Lille, pas à Lyon", "prefecture", "59"),
        ("fr", "prefecture", "pas loin de Lyon", "prefecture", "69"),
        # "pas" after a paper goes with the next one.
        ("fr", "expiry_date", "ah non j'ai un récépissé pas une carte", "document", "RECEPISSE"),
        ("fr", "document", "déposé pas de récépissé", "document", "NONE"),
    ],
)
def test_found_by_the_nineteenth_review(
    brain: Brain, lang: str, asked: str, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


TWENTIETH_REVIEW = [
    # Found by a twentieth review (40 conversations written as people with little schooling write
    # SMS: 26 as a caseworker would end them at bcee86e).
    # "le 5 du 12": a date (the 12 was Aveyron, and the date lost).
    ("fr", "expiry_date", "le 5 du 12", "expiry_date", dt.date(2026, 12, 5)),
    ("fr", "expiry_date", "ma carte é expiré le 5 du 10 jabite a bobigny", "prefecture", "93"),
    (
        "fr",
        "expiry_date",
        "ma carte é expiré le 5 du 10 jabite a bobigny",
        "expiry_date",
        dt.date(2026, 10, 5),
    ),
    ("fr", "expiry_date", "le 10 du 1 2027", "expiry_date", dt.date(2027, 1, 10)),
    ("es", "expiry_date", "el 5 del 12", "expiry_date", dt.date(2026, 12, 5)),
    ("fr", "prefecture", "préfecture du 12", "prefecture", "12"),
    # Locked up is detained, never "free?" (a "oui" to it recorded free).
    ("fr", "custody", "ils m'ont enfermé", "custody", "detained"),
    ("fr", "custody", "enfermé", "custody", "detained"),
    ("fr", "custody", "pas enfermé", "custody", "free"),
    ("fr", "custody", "je sui cher moi", "custody", "free"),
    # Asking what a récépissé is, without a question mark: no récépissé had.
    ("fr", "application_status", "c koi un recepisse", "application_status", None),
    ("fr", "application_status", "cé koi un recepissé", "document", None),
    ("fr", "application_status", "c koi un recepisse jen ai un", "document", "RECEPISSE"),
    # Phonetic words.
    ("fr", "removal_order_date", "avan hier", "removal_order_date", dt.date(2026, 11, 24)),
    ("fr", "attempts_since", "depui le moi doctobre", "attempts_since", dt.date(2026, 10, 15)),
    ("fr", "attempts_since", "depuis daout", "attempts_since", dt.date(2026, 8, 15)),
    ("fr", "document", "jé pa de papié", "document", "NONE"),
    ("fr", "attempts_since", "je suis sans papier depuis 2018", "attempts_since", None),
    # Ordinary words are no communes; a spelling of Cergy is Cergy.
    ("fr", "prefecture", "on m'a chassé du foyer", "prefecture", None),
    ("fr", "vulnerabilities", "on m'a chassé du foyer", "vulnerabilities", frozenset({"housing"})),
    ("fr", "prefecture", "jabite a sergy", "prefecture", "95"),
    # Situations.
    ("fr", "vulnerabilities", "mon patron ma licencié", "vulnerabilities", frozenset({"work"})),
    ("ar", "vulnerabilities", "mrati mrida", "vulnerabilities", frozenset({"health"})),
    # A plea at the note is the note, not the HELP command.
    ("fr", "note", "svp aidé moi je vai perdre mon stage", "note", "svp aidé moi je vai perdre mon stage"),
    # A no of any of our languages is a no, alone, in a conversation held in French; not to the consent.
    ("fr", "removal_order", "la", "removal_order", False),
    ("fr", "application_status", "la", "application_status", "not_filed"),
    ("fr", "evidence", "lla", "evidence", False),
    # Where one was, then released: free now; not someone else's release.
    ("en", "custody", "I was in detention in 2021 but they released me", "custody", "free"),
    ("es", "custody", "estuve en el CRA en 2022 pero ya salí", "custody", "free"),
    ("fr", "custody", "j'étais au CRA en 2023", "custody", None),
    ("en", "custody", "I was in the CRA, they released my cousin", "custody", None),
    # Found by a twenty-second review (urgent cases end to end): the card's expiry before the
    # order named in Arabic or Darija was the order's date (a false P0, the real date never asked).
    ("ar", "document", "بطاقتي انتهت يوم 28 أكتوبر وعطاوني OQTF", "expiry_date", dt.date(2026, 10, 28)),
    ("ar", "document", "بطاقتي انتهت يوم 28 أكتوبر وعطاوني OQTF", "removal_order_date", None),
    ("ar", "document", "lkarta dyali salat nhar 28 octobre o 3tawni oqtf", "removal_order_date", None),
    ("ar", "document", "عطاوني OQTF يوم 20 نونبر", "removal_order_date", dt.date(2026, 11, 20)),
    # A lone place word right after being there counts in passing (the first message).
    ("ar", None, "ana f l7abs", "custody", "prison"),
    ("ar", None, "ana f rétention", "custody", "detained"),
    ("fr", None, "cra", "custody", None),
    # ... and being without work or a home, said with "no tengo".
    ("es", "vulnerabilities", "no tengo vivienda", "vulnerabilities", frozenset({"housing"})),
    ("es", "vulnerabilities", "no tengo trabajo", "vulnerabilities", frozenset({"work"})),
    ("ar", "vulnerabilities", "ma3ndich lkhedma", "vulnerabilities", frozenset({"work"})),
    ("es", "vulnerabilities", "me echaron de mi piso", "vulnerabilities", frozenset({"housing"})),
    ("es", "vulnerabilities", "no tengo hijos", "vulnerabilities", frozenset()),
    # A blocked file was filed: asked with or without a proof, never "not filed".
    ("fr", "application_status", "la préfecture a bloqué mon dossier", "application_status", None),
    (
        "fr",
        "application_status",
        "mon dossier est en cours mais pas de récépissé",
        "application_status",
        "filed_without_proof",
    ),
]


@pytest.mark.parametrize(
    ("lang", "asked", "text"),
    [
        ("ar", "document", "smhli ana f Lille machi Lyon"),
        ("fr", "expiry_date", "ah non j'ai un récépissé pas une carte"),
    ],
)
def test_sorry_and_ah_no_are_words_of_correction(brain: Brain, lang: str, asked: str, text: str) -> None:
    assert read(brain, text, lang, asked).correcting


@pytest.mark.parametrize(
    ("lang", "asked", "text"),
    [
        ("fr", "removal_order_date", "attendez, ma carte expire le 15 décembre pas le 5"),
        ("en", "prefecture", "wait, Lyon"),
        ("es", "prefecture", "espera, Lyon"),
    ],
)
def test_wait_is_a_word_of_correction(brain: Brain, lang: str, asked: str, text: str) -> None:
    """ "attendez, ma carte expire le 15 décembre pas le 5" at a later question: a correction, so
    the date replaces the one answered (it was dropped: in passing a value only fills a gap)."""
    assert read(brain, text, lang, asked).correcting


# Each review's readings as (lang, asked, text, slot, expected), one table per review above.
@pytest.mark.parametrize(
    ("lang", "asked", "text", "slot", "expected"),
    [
        *FOURTH_REVIEW,
        *EIGHTH_REVIEW,
        *NINTH_REVIEW,
        *TENTH_REVIEW,
        *ELEVENTH_REVIEW,
        *TWELFTH_REVIEW,
        *THIRTEENTH_REVIEW,
        *FOURTEENTH_REVIEW,
        *FIFTEENTH_REVIEW,
        *SIXTEENTH_REVIEW,
        *SEVENTEENTH_REVIEW,
        *EIGHTEENTH_REVIEW,
        *TWENTIETH_REVIEW,
    ],
)
def test_readings_found_by_the_reviews(
    brain: Brain, lang: str, asked: str | None, text: str, slot: str, expected: object
) -> None:
    assert value(read(brain, text, lang, asked), slot) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # Said of someone close: set aside from the person's answers, kept as theirs.
        ("fr", "Bonjour, mon mari est au CRA de Vincennes depuis hier", {"custody": "detained"}),
        ("fr", "mon mari a été arrêté, il est au CRA du Mesnil-Amelot", {"custody": "detained"}),
        ("fr", "mon fils est en prison depuis 3 mois", {"custody": "prison"}),
        ("fr", "mon mari est assigné à résidence", {"custody": "house_arrest"}),
        ("fr", "ils ont donné une OQTF à mon fils", {"removal_order": True}),
        ("fr", "l'OQTF de mon mari", {"removal_order": True}),
        ("en", "my husband is in the detention centre", {"custody": "detained"}),
        ("en", "my brother got an OQTF", {"removal_order": True}),
        ("es", "mi hermano está en el CRA", {"custody": "detained"}),
        ("es", "mi esposo tiene una OQTF", {"removal_order": True}),
        ("ar", "زوجي في مركز الاحتجاز", {"custody": "detained"}),
        ("ar", "راجلي عندو OQTF", {"removal_order": True}),
        # Left, past, denied, annulled, feared: nothing urgent now.
        ("fr", "mon frère est sorti du CRA hier", {}),
        ("fr", "mon frère était au CRA en 2023", {}),
        ("fr", "mon père a fait 2 ans de prison", {}),
        ("en", "my brother was in detention last year", {}),
        ("fr", "mon frère n'a pas d'OQTF", {}),
        ("fr", "le tribunal a annulé l'OQTF de mon frère", {}),
        # Still there, said of the past first.
        ("fr", "mon frère était au CRA et il y est toujours", {"custody": "detained"}),
        # Feared, supposed, asked, to come, released (found by a review: "oui" to "for them?"
        # then made them P0).
        ("fr", "j'ai peur qu'ils envoient mon mari au CRA", {}),
        ("fr", "ils vont mettre mon frère au CRA", {}),
        ("fr", "si mon frère est envoyé au CRA", {}),
        ("fr", "ils peuvent mettre mon mari en rétention ?", {}),
        ("en", "will they send my brother to the CRA?", {}),
        ("es", "tengo miedo que manden a mi marido al CRA", {}),
        ("fr", "ils ont libéré mon mari du cra ce matin", {}),
        ("fr", "ma femme a été au CRA l'an dernier", {}),
        # Placed there: there now. A question after it asks something else.
        ("fr", "mon frere a été placé en rétention", {"custody": "detained"}),
        ("en", "my brother got an OQTF, what should we do?", {"removal_order": True}),
        # A plea is no counting oneself in (found by a review: these were the writer's own P0).
        ("fr", "mon mari est au cra aidez nous svp", {"custody": "detained"}),
        ("en", "my brother got an OQTF last week what can we do", {"removal_order": True}),
        ("es", "mi hermano está en el CRA, ayúdenos", {"custody": "detained"}),
        # Darija spellings of prison and of the detention centre.
        ("ar", "khouya f lhabs", {"custody": "prison"}),
        ("ar", "خويا دخلوه للحبس", {"custody": "prison"}),
        ("ar", "خويا دخلوه للسونطر دو روتونسيون", {"custody": "detained"}),
        # The person's own: not set aside.
        ("fr", "mon mari est au CRA et moi je suis au CRA aussi", {}),
        ("fr", "moi et ma femme on a une OQTF", {}),
        ("fr", "je suis au CRA, je veux voir mon fils", {}),
    ],
)
def test_urgent_facts_of_someone_close_are_kept_aside(
    brain: Brain, lang: str, text: str, expected: dict[str, object]
) -> None:
    reading = read(brain, text, lang, None)
    theirs = {f.slot: f.candidates[0].values[f.slot] for f in reading.about_someone_else}
    assert theirs == expected
    # Never the person's answers at the same time.
    assert not any(value(reading, slot) == theirs[slot] for slot in theirs)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # A refusal in words refuses (it erases everything: the person is told so).
        ("fr", "non", False),
        ("fr", "je refuse", False),
        ("fr", "pas d'accord", False),
        ("en", "nope", False),
        ("en", "I do not agree", False),
        ("es", "no estoy de acuerdo", False),
        ("ar", "لا", False),
        ("ar", "ma bghitch", False),
        ("ar", "لا أوافق", False),
        ("es", "No, no acepto. Vivo en Lyon", False),
        ("ar", "ma bghitch nsift lma3loumat", False),  # an example opening it
        # A model's "no" in a town name is asked again.
        ("ar", "Lyon", None),
        ("ar", "Laval", None),
    ],
)
def test_the_consent_is_refused_only_in_words(
    brain: Brain, lang: str, text: str, expected: bool | None
) -> None:
    assert value(read(brain, text, lang, "consent"), "consent") is expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "si mon mari va au CRA"),
        ("fr", "peur que mon mari aille au CRA"),
        ("es", "mi hermano estuvo en el CRA"),
    ],
)
def test_someone_elses_detention_feared_supposed_or_past_is_not_the_persons(
    brain: Brain, lang: str, text: str
) -> None:
    """Found by a review: these made the writer's own detention, P0."""
    assert value(read(brain, text, lang, None), "custody") is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je suis au CRA aidez-moi"),
        ("en", "I am in the detention centre, help me"),
        ("fr", "aidez moi je suis au cra"),
    ],
)
def test_a_plea_of_someone_detained_keeps_their_detention(brain: Brain, lang: str, text: str) -> None:
    assert value(read(brain, text, lang, None), "custody") == "detained"


@pytest.mark.parametrize(("lang", "text"), [("fr", "c'est vrai"), ("ar", "la carte"), ("fr", "d'accord")])
def test_words_of_examples_of_no_are_no_refusal_of_the_consent(brain: Brain, lang: str, text: str) -> None:
    """Found by a code review: any word of any example of "no" refused (and erased everything)."""
    assert value(read(brain, text, lang, "consent"), "consent") is not False
