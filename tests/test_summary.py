"""The volunteer summary and the anonymous offer (spec §4), rendered from the shipped template."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from actions.documents import DocumentCatalogue, load_documents
from actions.summary import (
    ESSENTIALS_LIMIT,
    SMS_SUMMARY_LIMIT,
    SummaryContext,
    pseudonym_for,
    render_details,
    render_essentials,
    render_offer,
    render_summary,
    render_summary_sms,
)
from actions.urgency import RuleBook, load_rules
from bot.channels.sms import measure, render_sms
from bot.core.case import Case, Slots, UrgencyDecision
from bot.core.clock import PARIS
from bot.core.messages import Reply

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
NOTE = "Mon patron dit qu'il va me licencier si je n'ai pas le papier avant lundi."
TOLD = "Une personne bénévole de l'association va vous écrire dans les 48 heures."


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules()


@pytest.fixture(scope="module")
def documents() -> DocumentCatalogue:
    return load_documents()


def make_case(book: RuleBook, now: dt.datetime = NOW, case_id: str = "case-1", **slots: Any) -> Case:
    filled = Slots(**slots)
    return Case(
        id=case_id,
        conversation_id="conv-1",
        channel="test",
        slots=filled,
        urgency=book.evaluate(filled, now, filled.language or "fr"),
        created_at=now,
        updated_at=now,
        told_person=TOLD,
        unanswered=["evidence"],
    )


def context(documents: DocumentCatalogue, now: dt.datetime = NOW, **overrides: Any) -> SummaryContext:
    values: dict[str, Any] = {
        "documents": documents,
        "now": now,
        "pseudonym": pseudonym_for("case-1"),
        "department_name": "Seine-Saint-Denis",
        "prefecture_city": "Bobigny",
        "commune_name": "Montreuil",
        "language_name": "arabe",
        "interpreter_needed": True,
    }
    values.update(overrides)
    return SummaryContext(**values)


FULL: dict[str, Any] = {
    "language": "ar",
    "consent": True,
    "prefecture": "93",
    "commune": "93048",
    "document": "CST_VPF",
    "expiry_date": dt.date(2026, 11, 14),
    "application_status": "not_filed",
    "removal_order": True,
    "removal_order_date": dt.date(2026, 11, 24),
    "custody": "house_arrest",
    "attempts_since": dt.date(2026, 9, 15),
    "evidence": True,
    "vulnerabilities": frozenset({"children", "work"}),
    "note": NOTE,
    "confirm": True,
}


def test_every_field_appears_when_present(book: RuleBook, documents: DocumentCatalogue) -> None:
    case = make_case(book, **FULL)
    assert (case.urgency.rule, case.urgency.level) == ("oqtf_custody", "P1")
    text = render_summary(case, context(documents))
    essentials = render_essentials(case, context(documents))
    assert text.startswith(essentials)
    for expected in [
        "URGENCE P1 (urgent, sous 48 h)",
        "Règle : oqtf_custody",
        case.urgency.reason_fr[:60],
        "Délai de recours OQTF : 4 jours et 14 h restants",  # deadline 01/12 00:00, now 26/11 10:00
        pseudonym_for("case-1"),
        "arabe · interprète nécessaire",
        "93 Seine-Saint-Denis",
        "Préfecture : Bobigny",
        "Commune : Montreuil",
        "carte de séjour « vie privée et familiale »",
        "14/11/2026 (expiré depuis 12 jours)",
        "pas encore déposée (pas de rendez-vous)",
        "notifiée le 24/11/2026",
        "Situation : assignation à résidence",
        "Fin du délai de recours : 01/12/2026 à 00:00",
        "depuis le 15/09/2026 (72 jours)",
        "Preuves gardées : oui",
        "enfants, travail ou ressources perdus ou menacés",
    ]:
        assert expected in essentials, expected
    details = text[len(essentials) :]
    for expected in [
        "Piste suggérée : assignation ou prison",
        "tribunal administratif",
        "Sans réponse (à demander) : preuves des tentatives",
        f"« {NOTE} »",
        f"« {TOLD} »",
    ]:
        assert expected in details, expected


def test_summary_is_deterministic(book: RuleBook, documents: DocumentCatalogue) -> None:
    case = make_case(book, **FULL)
    assert render_summary(case, context(documents)) == render_summary(case, context(documents))


def test_pseudonym_is_stable_and_short() -> None:
    assert pseudonym_for("case-1") == pseudonym_for("case-1")
    assert pseudonym_for("case-1") != pseudonym_for("case-2")
    assert re.fullmatch(r"Personne #[0-9A-F]{4}", pseudonym_for("case-1"))


def test_fast_track_case_with_few_slots(book: RuleBook, documents: DocumentCatalogue) -> None:
    case = make_case(book, custody="detained", prefecture="93")
    ctx = SummaryContext(
        documents=documents, now=NOW, pseudonym="Personne #0001", department_name="Seine-Saint-Denis"
    )
    text = render_summary(case, ctx)
    assert "URGENCE P0" in text and "Règle : detained" in text
    assert "Situation : en centre de rétention (CRA)" in text
    assert "Document : non renseigné" in text
    assert "Langue : non renseignée" in text
    assert "Vulnérabilités : non renseignées" in text
    assert "rétention : contester l'OQTF dans les 48 h" in text
    assert "Note de la personne : aucune" in text
    offer = render_offer(case, ctx, None)
    assert "P0" in offer and "Distance : inconnue" in offer


def test_nothing_known_at_all(book: RuleBook, documents: DocumentCatalogue) -> None:
    case = make_case(book)
    ctx = SummaryContext(documents=documents, now=NOW, pseudonym="Personne #0002")
    text = render_summary(case, ctx)
    assert "URGENCE P4 (information)" in text
    assert "Département : non renseigné" in text
    assert "Expiration" not in text  # no document, so no expiry line
    assert "pas d'urgence détectée" in text
    assert render_offer(case, ctx, 3.2).count("\n") >= 4


def test_essentials_fit_even_with_everything_long(book: RuleBook, documents: DocumentCatalogue) -> None:
    slots = {
        **FULL,
        "document": "OTHER",
        "document_text": "un papier de la mairie avec un tampon " * 20,
        "vulnerabilities": frozenset({"children", "health", "work", "housing", "violence"}),
        "note": "très longue note " * 200,
        "removal_order": True,
        "custody": None,
    }
    case = make_case(book, **slots)
    long_decision = case.urgency.model_copy(
        update={
            "reason_fr": "Une raison très détaillée écrite par les juristes. " * 30,
            "modifier_applied": True,
        }
    )
    case = case.model_copy(update={"urgency": long_decision, "unanswered": ["custody", "evidence"]})
    ctx = context(
        documents,
        commune_name="Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson " * 5,
        department_name="Alpes-de-Haute-Provence " * 4,
        prefecture_city="Charleville-Mézières " * 4,
        language_name="tigrigna (avec interprète de la langue amharique)",
    )
    essentials = render_essentials(case, ctx)
    assert len(essentials) <= ESSENTIALS_LIMIT, len(essentials)
    assert "Saint-Remy-en-Bouzemont" in essentials
    assert "violences" in essentials
    # The long free text is not lost: the details keep it whole.
    details = render_details(case, ctx)
    assert "un papier de la mairie avec un tampon" in details
    assert details.count("très longue note") == 200


def test_shipped_essentials_fit_for_every_rule(book: RuleBook, documents: DocumentCatalogue) -> None:
    for rule in book.rules:
        decision = UrgencyDecision(
            level=rule.level,
            rule=rule.name,
            base_level=rule.level,
            modifier_applied=False,
            reason_fr=rule.reason["fr"] + " " + (book.modifier.reason["fr"] if book.modifier else ""),
            reason=rule.reason["fr"],
        )
        case = make_case(book, **FULL).model_copy(update={"urgency": decision})
        assert len(render_essentials(case, context(documents))) <= ESSENTIALS_LIMIT, rule.name


def test_every_shipped_rule_has_a_suggested_route(book: RuleBook, documents: DocumentCatalogue) -> None:
    base = make_case(book, document="NONE")
    for rule in book.rules:
        case = base.model_copy(update={"urgency": base.urgency.model_copy(update={"rule": rule.name})})
        details = render_details(case, context(documents))
        assert "pas de piste enregistrée" not in details, rule.name
    unknown = base.model_copy(update={"urgency": base.urgency.model_copy(update={"rule": "new_rule"})})
    assert "pas de piste enregistrée" in render_details(unknown, context(documents))


@pytest.mark.parametrize(
    ("slots", "route"),
    [
        (
            {"document": "CST_SAL", "expiry_date": dt.date(2026, 11, 1), "application_status": "not_filed"},
            "référé mesures utiles possible (CJA L521-3)",
        ),
        (
            {"document": "CST_ETU", "expiry_date": dt.date(2026, 12, 20), "application_status": "not_filed"},
            "centre de contact citoyens",
        ),
        ({"removal_order": True}, "contester l'OQTF devant le tribunal administratif avant l'échéance"),
        ({"document": "NONE"}, "première demande : vérifier la voie (AES, famille...)"),
    ],
)
def test_route_follows_the_rule(
    book: RuleBook, documents: DocumentCatalogue, slots: dict[str, Any], route: str
) -> None:
    assert route in render_details(make_case(book, **slots), context(documents))


def test_oqtf_route_is_added_when_another_rule_fired(book: RuleBook, documents: DocumentCatalogue) -> None:
    case = make_case(
        book,
        document="CST_SAL",
        expiry_date=dt.date(2026, 11, 1),
        application_status="not_filed",
        removal_order=True,
        removal_order_date=dt.date(2026, 11, 20),
        custody="free",
        evidence=False,
    )
    assert case.urgency.rule == "expired_unprotected"
    details = render_details(case, context(documents))
    assert "référé mesures utiles" in details
    assert "Aussi, OQTF reçue : contester l'OQTF" in details
    assert "garder une preuve datée de chaque tentative" in details


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 11, 28, 16, 30, tzinfo=PARIS), "Délai de recours OQTF : 31 h restantes"),
        (dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS), "Délai de recours OQTF : 9 jours et 14 h restants"),
        (dt.datetime(2026, 11, 30, 5, 0, tzinfo=PARIS), "Délai de recours OQTF dépassé depuis 5 h"),
        (dt.datetime(2026, 12, 5, 0, 0, tzinfo=PARIS), "Délai de recours OQTF dépassé depuis 5 jours"),
    ],
)
def test_oqtf_countdown(
    book: RuleBook, documents: DocumentCatalogue, now: dt.datetime, expected: str
) -> None:
    case = make_case(
        book, now=now, removal_order=True, removal_order_date=dt.date(2026, 10, 31), custody="free"
    )
    assert expected in render_essentials(case, context(documents, now=now))
    assert expected in render_offer(case, context(documents, now=now), 5.0)


def test_countdown_across_the_dst_change_counts_real_hours(
    book: RuleBook, documents: DocumentCatalogue
) -> None:
    # Deadline 30/10 23:00 CET (168 h from 24/10 00:00 CEST); from 29/10 23:00 that is 24 h.
    now = dt.datetime(2026, 10, 29, 23, 0, tzinfo=PARIS)
    case = make_case(
        book, now=now, removal_order=True, removal_order_date=dt.date(2026, 10, 24), custody="house_arrest"
    )
    essentials = render_essentials(case, context(documents, now=now))
    assert "Délai de recours OQTF : 24 h restantes" in essentials
    assert "Fin du délai de recours : 30/10/2026 à 23:00" in essentials


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [
        (dt.date(2026, 11, 14), "Titre expiré depuis 12 jours"),
        (dt.date(2026, 11, 25), "Titre expiré depuis 1 jour"),
        (dt.date(2026, 11, 26), "Titre expire aujourd'hui"),
        (dt.date(2026, 12, 16), "Titre expire dans 20 jours"),
    ],
)
def test_expiry_countdown(
    book: RuleBook, documents: DocumentCatalogue, expiry: dt.date, expected: str
) -> None:
    case = make_case(book, document="CST_SAL", expiry_date=expiry, application_status="not_filed")
    assert expected in render_essentials(case, context(documents))


def test_modifier_and_empty_vulnerabilities_are_shown(book: RuleBook, documents: DocumentCatalogue) -> None:
    raised = make_case(book, document="NONE", vulnerabilities=frozenset({"housing"}))
    text = render_essentials(raised, context(documents))
    assert "Règle : first_request (relevée de P3 : vulnérabilité)" in text
    assert "Vulnérabilités : pas de logement stable" in text
    calm = make_case(book, document="NONE", vulnerabilities=frozenset())
    assert "Vulnérabilités : aucune signalée" in render_essentials(calm, context(documents))


def test_offer_has_no_identifying_data(book: RuleBook, documents: DocumentCatalogue) -> None:
    slots = {**FULL, "document": "OTHER", "document_text": "carte délivrée à Kinshasa"}
    case = make_case(book, **slots)
    ctx = context(documents, commune_name="Montreuil")
    offer = render_offer(case, ctx, 12.4)
    for expected in [
        "Nouvelle demande d'aide — P1 (urgent, sous 48 h)",
        "Département : 93 Seine-Saint-Denis",
        "Document : autre document",
        "Langue : arabe · interprète nécessaire",
        "Distance : environ 12 km",
        "Délai de recours OQTF : 4 jours et 14 h restants",
    ]:
        assert expected in offer, expected
    for secret in [
        NOTE[:20],
        "Montreuil",
        pseudonym_for("case-1"),
        "Personne #",
        TOLD[:20],
        "Kinshasa",
        "24/11/2026",
        "14/11/2026",
        "15/09/2026",
        "93048",
    ]:
        assert secret not in offer, secret


def test_offer_distance_wording(book: RuleBook, documents: DocumentCatalogue) -> None:
    case = make_case(
        book, document="CST_SAL", expiry_date=dt.date(2026, 11, 14), application_status="not_filed"
    )
    assert "Distance : moins de 1 km" in render_offer(case, context(documents), 0.3)
    assert "Titre expiré depuis 12 jours" in render_offer(case, context(documents), 0.3)


def test_a_case_written_by_someone_close_says_so_in_the_summary_and_the_offer(
    book: RuleBook, documents: DocumentCatalogue
) -> None:
    case = make_case(book, language="fr", prefecture="94", custody="detained")
    said = "Écrit par un proche de la personne concernée"
    assert said not in render_essentials(case, context(documents))
    assert "Demande d'un proche" not in render_offer(case, context(documents), None)
    theirs = case.model_copy(update={"for_someone_else": True})
    assert said in render_essentials(theirs, context(documents))
    assert "Demande d'un proche" in render_offer(theirs, context(documents), None)


def test_the_sms_summary_says_what_to_act_on_in_three_segments(
    book: RuleBook, documents: DocumentCatalogue
) -> None:
    """Found in the review of the volunteers' side: the whole summary cost a volunteer on SMS
    9 segments, with the rule's code name in it."""
    case = make_case(book, **{**FULL, "note": "x " * 600})
    text = render_summary_sms(case, context(documents))
    assert len(text) <= SMS_SUMMARY_LIMIT
    assert [measure(part).segments for part in render_sms([Reply(text=text)])] == [3]
    full = render_summary(case, context(documents))
    assert sum(measure(part).segments for part in render_sms([Reply(text=full)])) > 3
    for said in ("P1", "restants", pseudonym_for("case-1"), "arabe (interprète)", "Montreuil", "OQTF"):
        assert said in text, said
    assert case.urgency.rule not in text and "Règle" not in text


def test_a_note_in_arabic_script_stays_out_of_the_sms_summary(
    book: RuleBook, documents: DocumentCatalogue
) -> None:
    """Found by a code review: an Arabic note made the SMS summary UCS-2, 7 segments."""
    case = make_case(book, **{**FULL, "note": "صاحب العمل يهددني بالطرد إذا لم أحصل على الورقة قبل الاثنين"})
    text = render_summary_sms(case, context(documents))
    assert "VOIR" in text and "صاحب" not in text
    assert [measure(part).segments for part in render_sms([Reply(text=text)])] == [3]
