"""The conversation of spec §2 through the real engine, data and NLU, on the embedded store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.app import Brain
from bot.core.clock import FixedClock
from bot.storage.sqlite import SqliteStore
from tests.conversation import Conversation


async def answer_until(convo: Conversation, answers: dict[str, str], *, limit: int = 30) -> None:
    """Answer whatever the bot asks from `answers` until it stops asking."""
    for _ in range(limit):
        slot = convo.asking
        if slot is None:
            return
        await convo.say(answers.get(slot, "/skip"))
    raise AssertionError(f"still asking {convo.asking!r} after {limit} turns")


FULL_FRENCH = {
    "consent": "oui",
    "prefecture": "j'habite à Bobigny",
    "document": "carte vie privée et familiale",
    "expiry_date": "elle a expiré le 3 mars",
    "application_status": "non, impossible d'avoir un rendez-vous",
    "removal_order": "non",
    "attempts_since": "depuis septembre",
    "evidence": "oui",
    "vulnerabilities": "j'ai deux enfants",
    "note": "non merci",
    "confirm": "oui",
}


async def test_whole_french_triage_reaches_a_case(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    assert convo.asking == "consent"
    await answer_until(convo, FULL_FRENCH)
    case = await convo.case()
    assert case is not None
    assert case.status == "ready_for_handoff"
    assert case.slots.prefecture == "93"
    assert case.slots.commune == "93008"
    assert case.slots.document == "CST_VPF"
    assert case.slots.expiry_date == dt.date(2026, 3, 3)
    assert case.slots.vulnerabilities == frozenset({"children"})
    # expired and not filed: P1, the modifier cannot raise above P1
    assert (case.urgency.level, case.urgency.rule) == ("P1", "expired_unprotected")
    assert "bénévole" in convo.text


async def test_one_message_fills_several_slots_and_they_are_not_asked_again(convo: Conversation) -> None:
    await convo.say("Bonjour, je suis à Lyon, mon titre étudiant expire le 12 janvier")
    await convo.say("oui")  # consent
    state = await convo.state()
    assert state is not None
    assert state.slots.prefecture == "69"
    assert state.slots.document == "CST_ETU"
    assert state.slots.expiry_date == dt.date(2027, 1, 12)
    assert convo.asking == "application_status"


async def test_no_document_skips_the_expiry_date(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de papiers")
    await convo.say("oui")
    await convo.say("93")
    assert convo.asking == "application_status"


async def test_a_receipt_derives_the_application_status(convo: Conversation) -> None:
    await convo.say("Bonjour, je suis à Créteil")
    await convo.say("oui")
    await convo.say("un récépissé")
    assert convo.asking == "expiry_date"
    await convo.say("il a expiré le 10 novembre")
    state = await convo.state()
    assert state is not None
    assert state.slots.application_status == "filed_without_proof"
    assert convo.asking == "removal_order"


async def test_detention_fast_tracks_to_the_hand_off(convo: Conversation) -> None:
    await convo.say("Bonjour, je suis au centre de rétention, j'ai reçu une OQTF")
    await convo.say("oui")
    assert convo.asking == "prefecture"
    await convo.say("Marseille")
    case = await convo.case()
    assert case is not None
    assert (case.urgency.level, case.urgency.rule) == ("P0", "detained")
    assert case.fast_track
    # the other questions may follow after the hand-off, to complete the case: the order's date first
    assert convo.asking == "removal_order_date"
    # Once they are answered, the same case is brought up to date; the desk's part is kept.
    await answer_until(convo, {**FULL_FRENCH, "removal_order": "oui", "prefecture": "Marseille"})
    completed = await convo.case()
    assert completed is not None and completed.id == case.id
    assert completed.slots.document == "CST_VPF" and completed.slots.prefecture == case.slots.prefecture
    assert completed.fast_track and completed.status == case.status
    assert completed.created_at == case.created_at


async def test_consent_refused_stores_nothing(convo: Conversation, store: SqliteStore) -> None:
    await convo.say("Bonjour, je suis à Lyon")
    await convo.say("non")
    assert await convo.case() is None
    # Not even the conversation: its id may be a phone number, its labels said "Lyon (69)".
    assert await convo.state() is None
    await convo.say("Bonjour")
    state = await convo.state()
    assert state is not None and state.slots.consent is None and state.slots.prefecture is None


async def test_erase_needs_a_confirmation_then_erases_everything(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until(convo, FULL_FRENCH)
    assert await convo.case() is not None
    await convo.say("SUPPRIMER")
    assert await convo.case() is not None, "nothing is erased before the confirmation"
    await convo.say("oui")
    assert await convo.case() is None
    assert await convo.state() is None


@pytest.mark.parametrize(
    "asking_to_erase",
    ["supprimez mes messages", "effacez tout", "je les ai supprimés, et supprimez mes données svp"],
)
async def test_asking_to_erase_is_heard_at_any_question(convo: Conversation, asking_to_erase: str) -> None:
    # At the proofs question a guess of the model ("supprimé": deleted them, not kept) asked
    # "Vous voulez dire : oui ?" instead of the erasure.
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, FULL_FRENCH, "evidence")
    await convo.say(asking_to_erase)
    assert convo.last.text.startswith("Voulez-vous vraiment effacer")
    await convo.say("oui")
    assert await convo.state() is None


async def test_erase_can_be_cancelled(convo: Conversation) -> None:
    await convo.say("Bonjour, je suis à Lyon")
    await convo.say("oui")
    await convo.say("STOP")
    await convo.say("non")
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "69"


async def test_back_reasks_the_previous_question(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Toulouse")
    assert convo.asking == "document"
    await convo.say("retour")
    assert convo.asking == "prefecture"


async def test_restart_after_confirmation_forgets_the_answers(convo: Conversation) -> None:
    await convo.say("Bonjour, je suis à Lyon")
    await convo.say("oui")
    await convo.say("recommencer")
    await convo.say("oui")
    state = await convo.state()
    assert state is not None
    assert state.slots.prefecture is None
    assert state.slots.language == "fr"


async def test_a_misunderstood_answer_is_reasked_with_help_then_with_options(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Toulouse")
    await convo.say("blablabla")
    assert convo.asking == "document"
    assert not convo.last.options
    await convo.say("zzzz qqqq")
    assert convo.asking == "document"
    assert [o.id for o in convo.last.options][:2] == ["none", "recepisse"]
    await convo.say("2")  # a numbered menu answer, as over SMS
    state = await convo.state()
    assert state is not None and state.slots.document == "RECEPISSE"


async def test_a_card_of_unknown_kind_is_asked_about_with_help_not_skipped(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Toulouse")
    await convo.say("je sais pas c'est une carte plastique")
    state = await convo.state()
    assert state is not None
    assert state.slots.document is None
    assert "document" not in state.skipped
    assert convo.asking == "document"
    assert "Regardez ce qui est écrit sur votre carte" in convo.text


async def test_a_bare_no_to_the_document_question_is_confirmed_as_none(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Toulouse")
    await convo.say("non")
    await convo.say("oui")
    state = await convo.state()
    assert state is not None and state.slots.document == "NONE"
    assert convo.asking == "application_status"


async def test_correction_at_the_confirmation(convo: Conversation) -> None:
    await reach_the_summary(convo)
    await convo.say("non, la date c'est le 5 avril")
    state = await convo.state()
    assert state is not None
    # no tense in the correction: the occurrence nearest to today (spec §2)
    assert state.slots.expiry_date == dt.date(2027, 4, 5)
    assert convo.asking == "confirm"
    assert "05/04/2027" in convo.text


async def reach_the_summary(convo: Conversation, changes: dict[str, str] | None = None) -> None:
    """A whole French triage up to its summary, with ``changes`` to the usual answers."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    answers = {**FULL_FRENCH, **(changes or {})}
    del answers["confirm"]
    await answer_until_slot(convo, answers, "confirm")


async def answer_until_slot(convo: Conversation, answers: dict[str, str], slot: str) -> None:
    for _ in range(30):
        if convo.asking == slot:
            return
        await convo.say(answers.get(convo.asking or "", "/skip"))
    raise AssertionError(f"never asked {slot}")


async def test_ambiguous_place_is_confirmed_not_guessed(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Saint-Denis")
    assert convo.last.confirming
    labels = [option.label for option in convo.last.options]
    assert any("93" in label for label in labels) and any("974" in label for label in labels)
    state = await convo.state()
    assert state is not None and state.slots.prefecture is None
    chosen = next(o.id for o in convo.last.options if "974" in o.label)
    await convo.say(option=chosen)
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "974"


# The opening message of each language, and how a person there says they live in Saint-Denis:
# the choice of Saint-Denis (La Réunion, 974) and Saint-Denis (93) comes next.
GREETING = {
    "fr": "Bonjour, je n'ai pas de rendez-vous",
    "en": "Hello, I cannot get an appointment",
    "es": "Hola, no consigo cita en la prefectura",
    "ar": "السلام عليكم، ما لقيتش موعد في البريفكتور",
}
IN_SAINT_DENIS = {
    "fr": "j'habite à Saint-Denis",
    "en": "I live in Saint-Denis",
    "es": "vivo en Saint-Denis",
    "ar": "ساكن في سان دوني",
}


async def consented(convo: Conversation, lang: str, *messages: str) -> None:
    """The greeting in `lang`, consent given with its button, then `messages`."""
    await convo.say(GREETING[lang])
    await convo.say(option="yes")
    for message in messages:
        await convo.say(message)


@pytest.mark.parametrize(
    ("lang", "answer", "prefecture"),
    [
        # By rank, as people answer a list they cannot tap (a fuzzy reading made "le second"
        # the town of Semond (21), and "le deuxième" asked the question again).
        ("fr", "le deuxième", "93"),
        ("fr", "c'est le premier", "974"),
        ("fr", "le second", "93"),
        ("en", "the second one", "93"),
        ("es", "el segundo", "93"),
        ("ar", "التاني", "93"),
        # By its number, in words or after "numéro" ("deux" was Dreux (28), "numéro 2" and "le 2"
        # lost the place).
        ("fr", "deux", "93"),
        ("fr", "numéro 2", "93"),
        ("fr", "le 2", "93"),
        ("en", "number two", "93"),
        ("es", "dos", "93"),
        ("ar", "رقم 2", "93"),
        # By saying no to the other one: the one denied was the one recorded (974, La Réunion).
        ("fr", "pas celui de la Réunion", "93"),
        ("fr", "je n'habite pas à la Réunion", "93"),
        ("en", "not Reunion", "93"),
        ("es", "el de Francia, no la Reunión", "93"),
        # Another place named besides the no: that place, as before.
        ("fr", "pas la Réunion, j'habite à Lyon", "69"),
        ("fr", "pas le premier", "93"),
        ("fr", "non, le deuxième", "93"),
        # A no about mainland France says where the person is not; the place named is theirs
        # (a first version skipped "France" and "mais" and denied La Réunion).
        ("fr", "pas en France mais à la Réunion", "974"),
        ("en", "I don't live in France I live in Reunion", "974"),
        ("es", "no en Francia pero en 974", "974"),
    ],
)
async def test_a_choice_answered_by_rank_or_by_denying_the_other(
    convo: Conversation, lang: str, answer: str, prefecture: str
) -> None:
    await consented(convo, lang, IN_SAINT_DENIS[lang])
    assert [option.id for option in convo.last.options] == ["c0", "c1", "none"]
    assert "974" in convo.last.options[0].label and "93" in convo.last.options[1].label
    await convo.say(answer)
    state = await convo.state()
    assert state is not None and state.slots.prefecture == prefecture
    assert convo.asking == "document"


@pytest.mark.parametrize(
    ("lang", "place", "answer"),
    [
        # A no after the rank may reject it; "one second" is "wait"; "le dernier" could be the
        # last button, "none of these": asked again, as before.
        ("fr", IN_SAINT_DENIS["fr"], "le deuxième non"),
        ("en", IN_SAINT_DENIS["en"], "one second"),
        ("en", IN_SAINT_DENIS["en"], "a second please"),
        ("fr", IN_SAINT_DENIS["fr"], "le dernier"),
        # Found by a second review: "sûr" folded is "sur" of "Villiers-sur-Marne"; "من الأول" is
        # "from the start" (a restart, asked about); both options denied; mainland beside the
        # overseas one left.
        ("fr", "j'habite à Villiers", "pas sûr, le premier"),
        ("ar", IN_SAINT_DENIS["ar"], "من الأول"),
        ("ar", IN_SAINT_DENIS["ar"], "لا la Réunion لا 93"),
        ("en", IN_SAINT_DENIS["en"], "not la Réunion not 93"),
        ("en", IN_SAINT_DENIS["en"], "neither la Réunion nor 93"),
        ("en", IN_SAINT_DENIS["en"], "not 93, mainland"),
        ("en", IN_SAINT_DENIS["en"], "no the first, no the second"),
    ],
)
async def test_a_choice_is_asked_again_when_the_answer_may_reject_or_wait(
    convo: Conversation, lang: str, place: str, answer: str
) -> None:
    await consented(convo, lang, place, answer)
    state = await convo.state()
    assert state is not None and state.slots.prefecture is None


@pytest.mark.parametrize(
    ("lang", "answer", "not_this"),
    [
        # The "n't" of "isn't it 93" is no denial of 93 (a second review: 974 was recorded).
        ("en", "isn't it 93?", "974"),
        ("en", "isnt it 93", "974"),
        ("en", "isn't it the second one?", "974"),
        # Found by a third review: the opening no answers, it denies nothing after it (974 was
        # recorded for all of these).
        ("en", "no it's 93", "974"),
        ("en", "no no 93", "974"),
        ("ar", "لا ساكن في 93", "974"),
        ("es", "no yo vivo en 93", "974"),
        # Found by a fourth review: "né" folds to the negation "ne"; "j'y" points back at the
        # place denied; a rank that contradicts the denial; a Spanish no after its word.
        ("fr", "je suis né à la Réunion", "93"),
        ("fr", "pas la Réunion mais j'y habite", "93"),
        ("fr", "le deuxième pas 93", "974"),
        ("fr", "non pas la Réunion, le premier", "93"),
        ("fr", "je ne suis pas né à la Réunion", "93"),
        ("es", "la Reunión no 93 sí", "974"),
    ],
)
async def test_an_answer_that_does_not_deny_an_option_never_picks_the_other(
    convo: Conversation, lang: str, answer: str, not_this: str
) -> None:
    await consented(convo, lang, IN_SAINT_DENIS[lang], answer)
    state = await convo.state()
    assert state is not None and state.slots.prefecture != not_this


@pytest.mark.parametrize(
    ("lang", "answer", "document"),
    [
        ("fr", "la cinquième", "CR_10"),  # six kinds offered: ranks go to six
        ("en", "the fifth", "CR_10"),
        ("fr", "la deuxième", "CST_SAL"),
    ],
)
async def test_a_rank_beyond_the_fourth_among_the_kinds_of_card(
    convo: Conversation, lang: str, answer: str, document: str
) -> None:
    await consented(
        convo, lang, "j'habite à Lyon", "une carte de séjour" if lang == "fr" else "a residence card"
    )
    assert len(convo.last.options) == 7
    await convo.say(answer)
    state = await convo.state()
    assert state is not None and state.slots.document == document


async def test_an_arabic_rank_read_as_a_restart_still_picks(convo: Conversation) -> None:
    """ "الأول" alone is "the first": the intent model heard "start over" (a third review)."""
    await consented(convo, "ar", IN_SAINT_DENIS["ar"], "الأول")
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "974"


@pytest.mark.parametrize(
    ("lang", "answer"),
    [("fr", "je ne vis pas à la Réunion"), ("fr", "ne pas la Réunion"), ("es", "93, no la Reunión")],
)
async def test_a_denial_with_ne_or_after_a_comma_still_picks(
    convo: Conversation, lang: str, answer: str
) -> None:
    """A "ne" with its "pas" is one negation; a comma parts a no from the word before it (a fifth
    review: the fourth's fixes had lost these picks)."""
    await consented(convo, lang, IN_SAINT_DENIS[lang], answer)
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "93"


async def test_a_typed_pick_is_shown_so_that_it_can_be_corrected(convo: Conversation) -> None:
    """A rank or a denial is read, not tapped: the bot says what it noted (not for a button)."""
    await consented(convo, "fr", IN_SAINT_DENIS["fr"], "le deuxième")
    assert "J'ai noté : Saint-Denis (93)." in convo.text
    assert "dites-le-moi" not in convo.text  # a "non" at the next question would answer it
    assert convo.asking == "document"
    await convo.say("une carte de séjour")
    await convo.say(option="c1")
    assert "J'ai noté" not in convo.text


async def test_an_answer_to_the_next_question_at_a_choice_keeps_the_choice(convo: Conversation) -> None:
    """Found walking the demo in Arabic: the expiry date said among the kinds of card was kept,
    but the bare question came back without the kinds to tap. The choice comes again."""
    await consented(convo, "fr", "j'habite à Lyon", "une carte de séjour")
    offered = [option.id for option in convo.last.options]
    await convo.say("elle expire le 15 février")
    assert [option.id for option in convo.last.options] == offered
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == dt.date(2027, 2, 15)
    await convo.say(option="c1")
    state = await convo.state()
    assert state is not None and state.slots.document == "CST_SAL"
    assert state.slots.expiry_date == dt.date(2027, 2, 15)


async def test_going_back_at_a_choice_asks_the_question_before(convo: Conversation) -> None:
    await consented(convo, "fr", "j'habite à Lyon", "une carte de séjour", "retour")
    assert convo.asking == "prefecture"


async def test_a_rank_at_a_choice_of_dates_is_a_day_not_an_option(convo: Conversation) -> None:
    await consented(convo, "en", "I live in Créteil", "student card", "February 2 no the 1st")
    assert [option.label for option in convo.last.options][:2] == ["02/02/2027", "01/02/2027"]
    await convo.say("the 1st")
    state = await convo.state()
    assert state is not None and state.slots.expiry_date != dt.date(2027, 2, 2)


async def test_a_rank_picks_among_the_kinds_of_card_offered(convo: Conversation) -> None:
    await consented(convo, "fr", "j'habite à Lyon", "une carte de séjour")
    offered = [option.label for option in convo.last.options]
    assert len(offered) > 3 and "salarié" in offered[1]
    await convo.say("la deuxième")
    state = await convo.state()
    assert state is not None and state.slots.document == "CST_SAL"


async def test_a_killed_process_resumes_where_it_was(brain: Brain, tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "resume.db"
    first = SqliteStore(path)
    convo = Conversation(brain.engine(first, clock), first)
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Nantes")
    # No close(): the process dies; a new one opens the same file.
    second = SqliteStore(path)
    resumed = Conversation(brain.engine(second, clock), second)
    await resumed.say("carte de séjour salarié")
    state = await resumed.state()
    assert state is not None
    assert (state.slots.prefecture, state.slots.document) == ("44", "CST_SAL")
    assert resumed.asking == "expiry_date"
    await second.close()
    await first.close()


async def test_sms_replies_are_short_variants(brain: Brain, store: SqliteStore, clock: FixedClock) -> None:
    convo = Conversation(brain.engine(store, clock), store, channel="sms")
    await convo.say("Bonjour je n'ai pas de rendez-vous")
    assert convo.asking == "consent"
    sms_welcome = brain.texts.get("welcome", "fr", channel="sms")
    assert sms_welcome != brain.texts.get("welcome", "fr"), "the catalogue has a shorter SMS variant"
    assert convo.replies[0].text == sms_welcome
    assert all(len(reply.text) <= 320 for reply in convo.replies)


async def test_sms_asks_consent_first_when_the_language_is_unknown_and_keeps_french(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    convo = Conversation(brain.engine(store, clock), store, channel="sms")
    await convo.say("Bonjour")  # too short to tell a language
    assert convo.asking == "consent"
    assert "EN/AR/ES" in convo.text, "the other languages are offered"
    await convo.say("1")
    state = await convo.state()
    assert state is not None and (state.slots.language, state.slots.consent) == ("fr", True)
    assert convo.asking == "prefecture"


async def test_sms_naming_a_language_instead_of_consenting_switches_and_asks_consent_again(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    convo = Conversation(brain.engine(store, clock), store, channel="sms")
    await convo.say("/start")
    await convo.say("EN")
    state = await convo.state()
    assert state is not None and (state.slots.language, state.slots.consent) == ("en", None)
    assert convo.asking == "consent"
    assert convo.last.text == brain.texts.get("ask_consent", "en", channel="sms")


async def test_sms_an_answer_in_arabic_to_the_french_consent_switches_to_arabic(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    convo = Conversation(brain.engine(store, clock), store, channel="sms")
    await convo.say("salam")
    await convo.say("مرحبا")
    state = await convo.state()
    assert state is not None and (state.slots.language, state.slots.consent) == ("ar", None)
    assert convo.asking == "consent"
    assert convo.last.text == brain.texts.get("ask_consent", "ar", channel="sms")


async def test_sms_a_later_language_change_without_a_name_gets_the_language_menu(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    convo = Conversation(brain.engine(store, clock), store, channel="sms")
    await convo.say("/start")
    await convo.say("oui")
    await convo.say("changer de langue")
    assert convo.asking == "language"
    state = await convo.state()
    assert state is not None and state.slots.language is None and state.slots.consent is True


async def test_chat_apps_still_ask_the_language_first_when_it_is_unknown(convo: Conversation) -> None:
    await convo.say("/start")
    assert convo.asking == "language"


async def test_a_document_guessed_by_the_model_is_shown_in_words_not_as_a_code(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("93")
    assert convo.asking == "document"
    await convo.say("pas de papiers")
    state = await convo.state()
    assert state is not None and state.slots.document == "NONE"
    assert "NONE" not in convo.text
    assert state.labels["document"] == "aucun titre de séjour (première demande, sans papiers)"


async def test_switching_language_mid_conversation(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("english please")
    state = await convo.state()
    assert state is not None and state.slots.language == "en"
    assert convo.asking == "prefecture"


async def test_a_redelivered_message_is_processed_once(convo: Conversation) -> None:
    from bot.core.messages import InboundMessage

    first = InboundMessage(conversation_id=convo.id, text="Bonjour, je suis à Lyon", message_id="m-1")
    await convo.engine.handle(first)
    again = await convo.engine.handle(first)
    assert again == []
    await convo.engine.handle(InboundMessage(conversation_id=convo.id, text="oui", message_id="m-2"))
    state = await convo.state()
    assert state is not None and state.slots.consent is True
    assert state.processed_ids[-2:] == ["m-1", "m-2"]


async def test_erasing_also_forgets_the_phone_number(convo: Conversation, store: SqliteStore) -> None:
    from actions.contacts import CONTACT_KIND, contact_key, remember_phone

    await convo.say("Bonjour, je suis à Lyon")
    await remember_phone(store, convo.id, "06 12 34 56 78")
    assert (await store.get_record(CONTACT_KIND, contact_key(convo.id)) or {}).get("phone") == "+33612345678"
    await convo.say("SUPPRIMER")
    await convo.say("oui")
    assert await store.get_record(CONTACT_KIND, contact_key(convo.id)) is None


async def test_a_confirmed_set_value_comes_back_typed_from_the_store(convo: Conversation) -> None:
    """A pending candidate is saved as JSON; confirming it must give a frozenset, not a list."""
    from bot.core.conversation import Candidate, Pending

    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    state = await convo.state()
    assert state is not None
    state.asking = "vulnerabilities"
    state.pending = Pending(
        kind="value",
        slot="vulnerabilities",
        candidates=(Candidate(values={"vulnerabilities": ["work"]}, label="work"),),
    )
    await convo.store.save_conversation(state)
    await convo.say("oui")
    state = await convo.state()
    assert state is not None
    assert state.slots.vulnerabilities == frozenset({"work"})


async def test_a_plain_no_to_another_question_never_rewrites_the_document(convo: Conversation) -> None:
    """Held-out finding: "non j'ai rien demandé" to the filing question turned CR_10 into NONE."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Rouen")
    await convo.say("carte de résident 10 ans")
    await convo.say("15/05/2030")
    await convo.say("non j'ai rien demandé")
    state = await convo.state()
    assert state is not None
    assert (state.slots.document, state.slots.expiry_date) == ("CR_10", dt.date(2030, 5, 15))
    assert state.slots.application_status == "not_filed"


async def test_declining_the_note_in_spanish_leaves_no_note(convo: Conversation) -> None:
    await convo.say("Hola, no consigo cita en la prefectura para renovar mi tarjeta")
    await answer_until_slot(
        convo,
        {
            "consent": "sí",
            "prefecture": "Marsella",
            "document": "tarjeta de estudiante",
            "expiry_date": "caducó el 3 de marzo",
            "application_status": "no",
            "removal_order": "no",
            "attempts_since": "desde septiembre",
            "evidence": "sí",
            "vulnerabilities": "no",
        },
        "note",
    )
    await convo.say("no gracias")
    state = await convo.state()
    assert state is not None and state.slots.note is None
    assert convo.asking == "confirm"


async def test_a_mobile_number_written_after_consent_is_kept_for_sms(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    from actions.contacts import CONTACT_KIND, contact_key

    convo = Conversation(brain.engine(store, clock), store, conversation_id="telegram:42", channel="telegram")
    await convo.say("Bonjour, je n'ai pas de rendez-vous, mon numéro est le 06 12 34 56 78")
    assert await store.get_record(CONTACT_KIND, contact_key(convo.id)) is None, "not before consent"
    await convo.say("oui")
    await convo.say("vous pouvez m'écrire au 06 12 34 56 78")
    assert (await store.get_record(CONTACT_KIND, contact_key(convo.id)) or {}).get("phone") == "+33612345678"


async def test_a_phone_number_is_not_read_as_a_place_or_a_date(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("06 12 34 56 78")
    state = await convo.state()
    assert state is not None and state.slots.prefecture is None and state.pending is None
    assert convo.asking == "prefecture"


async def test_a_correction_starting_with_no_is_not_the_answer_to_the_question_on_screen(
    convo: Conversation,
) -> None:
    """Found walking the demo: "non c'est Lille" at the consent question erased everything."""
    await convo.say("Bonjour, ma carte salarié expire le 15/03/2027, j'habite à Tours")
    assert convo.asking == "consent"
    await convo.say("non c'est Lille pas Tours")
    state = await convo.state()
    assert state is not None and state.status == "active"
    assert state.slots.prefecture == "59" and state.slots.consent is None
    assert convo.asking == "consent"  # asked again, nothing erased
    await convo.say("oui")
    await answer_until_slot(convo, {"application_status": "non"}, "removal_order")
    await convo.say("non, en fait c'est Bobigny pas Lille")
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "93"
    assert state.slots.removal_order is None and convo.asking == "removal_order"
    await convo.say("non")  # a plain "no" is still an answer
    state = await convo.state()
    assert state is not None and state.slots.removal_order is False


async def test_no_at_the_summary_asks_what_is_wrong_and_sends_nothing(convo: Conversation) -> None:
    await reach_the_summary(convo)
    no = next(option.id for option in convo.last.options if option.id == "no")
    await convo.say(option=no)
    assert await convo.case() is None
    assert convo.asking == "confirm" and "la date c'est le 5 avril" in convo.text
    await convo.say("non")
    assert await convo.case() is None and convo.asking == "confirm"
    await convo.say("la date c'est le 5 avril")
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == dt.date(2027, 4, 5)
    assert convo.asking == "confirm" and "05/04/2027" in convo.text
    await convo.say("oui")
    case = await convo.case()
    assert case is not None and case.slots.confirm is True


async def test_asking_twice_for_a_human_hands_off_with_what_is_known(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("je veux parler à une vraie personne")
    assert await convo.case() is None  # the first time: noted, a few questions still asked
    state = await convo.state()
    assert state is not None and state.human_requested
    await convo.say("je veux parler à un humain")
    assert convo.asking == "prefecture"  # what routing needs, and nothing else
    await convo.say("Bobigny")
    case = await convo.case()
    assert case is not None and case.human_requested and case.slots.prefecture == "93"
    assert "transmise" in convo.text
    assert convo.asking == "document"  # the other questions may follow, to complete the case


async def test_nonsense_at_the_place_question_gets_examples_not_choose_an_answer(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("xqzt")
    await convo.say("blorf")
    assert convo.asking == "prefecture"
    assert [option.id for option in convo.last.options] == ["dont_know"]
    assert "Choisissez" not in convo.last.text and "93200" in convo.last.text


@pytest.mark.parametrize(
    "answer", ["01/01/10000", "1/1/1", "9999999999999999999/1/1", "15/03/99999", "01/01/0001"]
)
async def test_an_absurd_date_is_asked_again_with_the_format_and_changes_nothing(
    brain: Brain, convo: Conversation, answer: str
) -> None:
    await convo.say("Bonjour, je suis à Créteil")
    await convo.say("oui")
    await convo.say("carte étudiant")
    assert convo.asking == "expiry_date"
    await convo.say(answer)
    state = await convo.state()
    assert state is not None
    # Nothing read from it: no date, and no place from its numbers ("10000" is the postal code of Troyes).
    assert (state.slots.expiry_date, state.slots.prefecture, state.pending) == (None, "94", None)
    assert convo.asking == "expiry_date"
    assert brain.texts.get("help_date", "fr") in convo.text


async def test_a_date_taken_back_with_a_no_is_asked_as_a_choice(convo: Conversation) -> None:
    """ "le 25 janvier non le 28": both dates offered; the one tapped is kept, nothing else."""
    await convo.say("Bonjour, je suis à Créteil")
    await convo.say("oui")
    await convo.say("carte étudiant")
    await convo.say("le 25 janvier non le 28")
    assert [option.label for option in convo.last.options][:2] == ["25/01/2027", "28/01/2027"]
    state = await convo.state()
    assert state is not None and state.slots.expiry_date is None and state.slots.prefecture == "94"
    await convo.say(option="c1")
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == dt.date(2027, 1, 28)
    assert convo.asking != "expiry_date"


@pytest.mark.parametrize("answer", ["non", "non jamais", "je n'essaie pas"])
async def test_someone_who_never_tried_is_not_asked_since_when_again(
    convo: Conversation, answer: str
) -> None:
    """Found walking conversations: "non" to "Depuis quand essayez-vous ?" was asked again five
    times; only the "Je ne sais pas" button got out."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, FULL_FRENCH, "attempts_since")
    await convo.say(answer)
    state = await convo.state()
    assert state is not None and state.slots.attempts_since is None
    assert convo.asking == "evidence"


async def test_every_date_not_understood_is_asked_again_with_the_format(
    brain: Brain, convo: Conversation
) -> None:
    # Someone trying a date again ("expiré le 30/02" after "31/02/2026") needs the format each
    # time; a lone "I don't know" button is no way to write a date.
    await convo.say("Bonjour, je suis à Créteil")
    await convo.say("oui")
    await convo.say("carte étudiant")
    help_date = brain.texts.get("help_date", "fr")
    for answer in ("31/02/2026", "expiré le 30/02", "01/01/9999"):
        await convo.say(answer)
        assert convo.asking == "expiry_date"
        assert convo.text.count(help_date) == 1, answer
    assert [o.id for o in convo.last.options] == ["dont_know"]


async def test_not_knowing_ones_situations_is_no_answer_not_none(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, FULL_FRENCH, "vulnerabilities")
    await convo.say("je sais pas")
    state = await convo.state()
    assert state is not None
    assert state.slots.vulnerabilities is None
    assert "vulnerabilities" in state.skipped
    assert convo.asking == "note"


async def test_a_bare_yes_to_the_situations_asks_which_one(convo: Conversation) -> None:
    await convo.say("السلام عليكم، ما عنديش موعد")
    darija = {
        "consent": "واخا",
        "prefecture": "ليون",
        "document": "ما عنديش الوراق",
        "application_status": "لا",
        "removal_order": "لا",
        "attempts_since": "من عامين",
        "evidence": "لا",
    }
    await answer_until_slot(convo, darija, "vulnerabilities")
    await convo.say("ih")  # darija "yes"
    state = await convo.state()
    assert state is not None and state.slots.vulnerabilities is None
    assert convo.asking == "vulnerabilities"
    assert not convo.last.confirming  # no value guessed to confirm


async def test_an_order_and_its_age_in_the_first_message_are_both_kept(convo: Conversation) -> None:
    await convo.say("Bonjour, OQTF il y a 3 semaines")
    state = await convo.state()
    assert state is not None
    assert state.slots.removal_order is True
    assert state.slots.removal_order_date == dt.date(2026, 11, 5)


async def test_detention_said_before_any_oqtf_question_is_kept_and_fast_tracks(convo: Conversation) -> None:
    """Spec §1: custody is asked only with an OQTF, but set from free text at any time."""
    await convo.say("أنا محبوس فالCRA ديال Mesnil-Amelot")
    state = await convo.state()
    assert state is not None and state.slots.custody == "detained" and state.fast_track
    await convo.say("نعم")  # consent
    state = await convo.state()
    assert state is not None and state.slots.custody == "detained"
    assert state.urgency is not None and state.urgency.level == "P0"


async def test_a_restart_keeps_the_consent_and_the_purge_keeps_the_first_case(
    convo: Conversation, store: SqliteStore
) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until(convo, FULL_FRENCH)
    first = await convo.case()
    assert first is not None
    await convo.say("recommencer")
    await convo.say("oui")
    state = await convo.state()
    assert state is not None and state.slots.consent is True and state.slots.prefecture is None
    # Idle two days after the restart: not a never-consented conversation to purge.
    await store.purge(state.updated_at + dt.timedelta(days=2))
    assert await store.get_case(first.id) is not None
    assert await convo.state() is not None


@pytest.mark.parametrize(
    ("opening", "correction", "lang"),
    [
        ("Bonjour, ma carte salarié expire le 15/03/2027, j'habite à Tours", "non, je suis à Lille", "fr"),
        ("Hello, my work card expires on 15/03/2027, I live in Tours", "no, it's Lille not Tours", "en"),
    ],
)
async def test_a_no_that_changes_an_answer_without_a_cue_word_erases_nothing(
    convo: Conversation, opening: str, correction: str, lang: str
) -> None:
    await convo.say(opening)
    assert convo.asking == "consent"
    await convo.say(correction)
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "59" and state.slots.consent is None
    assert convo.asking == "consent"


async def test_a_first_message_at_the_language_question_gets_no_language_help(convo: Conversation) -> None:
    """The web chat greets before the person writes: the language is asked, then detected."""
    await convo.say("/start")
    assert convo.asking == "language"
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    assert convo.asking == "consent"
    assert "Choisissez la langue" not in convo.text


async def test_a_no_that_changes_the_town_in_the_same_departement_corrects_it(convo: Conversation) -> None:
    await convo.say("Bonjour, mon récépissé expire le 12/1, je suis à Bobigny")
    await convo.say("non, je suis à Montreuil-sous-Bois")
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "93" and state.slots.commune == "93048"
    assert state.slots.consent is None and convo.asking == "consent"


async def test_a_button_of_an_older_message_gets_a_hint_and_the_question_again(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    assert convo.asking == "consent"
    await convo.say(option="with_proof")  # the filing question's button, pressed too early
    assert convo.asking == "consent"
    assert len(convo.replies) == 2 and convo.replies[-1].options  # the help, then the question
    state = await convo.state()
    assert state is not None and state.slots.consent is None


@pytest.mark.parametrize(
    "refusal",
    [
        "Non, je ne veux pas. J'habite à Bobigny",
        "No, I don't agree. I live in Lyon",
        "No, no acepto. Vivo en Lyon",
    ],
)
async def test_a_clear_refusal_of_consent_with_facts_is_a_refusal(convo: Conversation, refusal: str) -> None:
    """Found in review: a rule meant for corrections kept the facts and asked consent again."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say(refusal)
    assert await convo.state() is None  # refused: nothing kept


@pytest.mark.parametrize(
    "answer",
    [
        "oui mais ne donnez pas mon numéro",
        "oui mais je veux pas qu'on donne mon nom",
        "ça dépend, qui va lire ?",
    ],
)
async def test_a_conditional_consent_or_a_question_back_is_asked_again(
    convo: Conversation, answer: str
) -> None:
    """Found in review: "oui mais ne donnez pas mon numéro" was a refusal (the person was dropped
    and everything erased), "ça dépend, qui va lire ?" a consent."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say(answer)
    state = await convo.state()
    assert state is not None and state.slots.consent is None
    assert convo.asking == "consent"


async def test_a_consent_asked_again_for_a_limit_says_who_gets_the_data(convo: Conversation) -> None:
    """A person who fears their number will be passed on is told where it goes, not only asked again."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui mais ne donnez pas mon numéro")
    said = " ".join(reply.text for reply in convo.replies)
    assert "bénévoles de l'association" in said and "jamais à la préfecture ni à la police" in said


async def test_a_detention_said_with_words_the_model_hears_as_back_is_kept(convo: Conversation) -> None:
    """Found by a review of whole conversations: the intent model heard "back" in this message, the
    engine went back a question and the detention (P0) was lost."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("la police m'a arrêté hier et maintenant je suis en rétention")
    state = await convo.state()
    assert state is not None and state.slots.custody == "detained"


async def test_restating_the_departement_is_no_correction_of_the_town(convo: Conversation) -> None:
    await convo.say("Bonjour, j'habite à Bobigny, ma carte vie privée et familiale a expiré le 3 mars")
    await convo.say("oui")
    await answer_until_slot(convo, {"application_status": "non"}, "removal_order")
    await convo.say("Non, je suis dans le 93")
    state = await convo.state()
    assert state is not None and state.slots.commune == "93008"  # Bobigny kept
    assert state.slots.removal_order is False  # the "non" answered the question


async def test_a_situation_added_at_the_summary_is_added_not_swapped(convo: Conversation) -> None:
    """Found walking conversations: "j'ai des enfants" at the summary replaced the work at risk."""
    await reach_the_summary(convo, {"vulnerabilities": "mon travail est en danger"})
    await convo.say("j'ai 3 enfants aussi")
    state = await convo.state()
    assert state is not None and state.slots.vulnerabilities == frozenset({"work", "children"})
    assert convo.asking == "confirm"


async def test_answering_the_language_menu_in_french_is_french_not_a_loop(convo: Conversation) -> None:
    """Found walking conversations: the language menu came back six times to someone writing
    plain French ("oui", "Lyon", "carte etudiant")."""
    await convo.say("bonjour")
    assert convo.asking == "language"
    await convo.say("oui")
    state = await convo.state()
    assert state is not None and state.slots.language == "fr"
    assert convo.asking == "consent" and "continue en français" in convo.text


@pytest.mark.parametrize(
    "said",
    ["j'ai perdu mon travail il y a 2 semaines", "je suis allé à la préfecture hier mais ils m'ont renvoyé"],
)
async def test_a_date_at_the_summary_about_something_else_leaves_the_expiry_alone(
    convo: Conversation, said: str
) -> None:
    """Found walking conversations: the card became expired two weeks ago (P1)."""
    await reach_the_summary(convo, {"expiry_date": "elle expire le 3 avril"})
    await convo.say(said)
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == dt.date(2027, 4, 3)
    assert convo.asking == "confirm"


async def test_corrections_at_the_summary_as_people_write_them(convo: Conversation) -> None:
    """Found walking conversations: "OQTF : non" kept the OQTF; "non corriger" went back a question."""
    await reach_the_summary(
        convo, {"removal_order": "oui", "removal_order_date": "le 2 novembre", "custody": "libre"}
    )
    await convo.say("non corriger")
    assert convo.asking == "confirm" and "la date c'est le 5 avril" in convo.text  # "what is wrong?"
    await convo.say("OQTF : non")
    state = await convo.state()
    assert state is not None and state.slots.removal_order is False and convo.asking == "confirm"
    await convo.say("en fait j'ai une OQTF, je me suis trompé")
    state = await convo.state()
    assert state is not None and state.slots.removal_order is True and convo.asking != "note"


async def test_a_situation_told_with_the_note_is_added_to_none(convo: Conversation) -> None:
    """Found walking conversations: "none" at the situations question, then the job lost told
    in the note: the situations stayed "none" (P3 for P2)."""
    await reach_the_summary(
        convo, {"vulnerabilities": "non", "note": "j'ai perdu mon travail il y a 2 semaines"}
    )
    state = await convo.state()
    assert state is not None and state.slots.vulnerabilities == frozenset({"work"})
    assert state.slots.note is not None and "travail" in state.slots.note


@pytest.mark.parametrize(("yes", "note"), [("oui", "mon fils est malade"), ("ok", "je dors chez un ami")])
async def test_a_bare_yes_to_the_note_asks_for_it(convo: Conversation, yes: str, note: str) -> None:
    """Found walking conversations: "oui" to "anything to add?" was the volunteer's message
    ("Message : oui"), and what the person wanted to add was never asked for."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    answers = {**FULL_FRENCH}
    del answers["note"]
    await answer_until_slot(convo, answers, "note")
    await convo.say(yes)
    state = await convo.state()
    assert state is not None and state.slots.note is None and convo.asking == "note"
    await convo.say(note)
    state = await convo.state()
    assert state is not None and state.slots.note == note


async def test_a_yes_again_after_the_help_declines_the_note(convo: Conversation) -> None:
    """Found in review: "oui" after the help got the help again, every time."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    answers = {**FULL_FRENCH}
    del answers["note"]
    await answer_until_slot(convo, answers, "note")
    await convo.say("oui")
    assert convo.asking == "note"
    await convo.say("oui")
    state = await convo.state()
    assert state is not None and state.slots.note is None and convo.asking == "confirm"


@pytest.mark.parametrize(("typed", "year"), [("2027", 2027), ("2026", 2026), ("1", 2026)])
async def test_the_year_typed_at_a_choice_of_dates_picks_that_date(
    convo: Conversation, typed: str, year: int
) -> None:
    """Found walking conversations: "2027" typed at "25/11/2026 | 25/11/2027" was read afresh as
    a year alone, mid-year: 01/07/2027."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    answers = {**FULL_FRENCH, "document": "carte de séjour salarié"}
    await answer_until_slot(convo, answers, "expiry_date")
    await convo.say("elle expire le 25 novembre")  # on 26 November: the one just gone, or next year's?
    assert convo.last.confirming
    await convo.say(typed)
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == dt.date(year, 11, 25)


async def test_not_knowing_the_kind_of_card_gets_help_before_skipping(convo: Conversation) -> None:
    """Found walking conversations: "je sais pas" to the kinds of card offered skipped the
    document: the card was lost, and the deadline its kind decides with it."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, {**FULL_FRENCH, "document": "carte de séjour"}, "document")
    await convo.say("carte de séjour")
    assert convo.last.confirming  # the kinds, to choose from
    await convo.say("je sais pas")
    assert convo.asking == "document" and not convo.last.confirming
    assert "Regardez ce qui est écrit sur votre carte" in convo.text
    await convo.say("ah c'est écrit salarié")
    state = await convo.state()
    assert state is not None and state.slots.document == "CST_SAL"


async def test_not_knowing_the_kind_of_card_twice_skips_and_a_kind_said_with_it_is_taken(
    convo: Conversation,
) -> None:
    """Found in review: "je sais pas, je crois que c'est étudiant" lost the kind it gave, and
    "carte de séjour", "je sais pas" again and again got the help and the choice every time."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, {**FULL_FRENCH, "document": "carte de séjour"}, "document")
    await convo.say("carte de séjour")
    await convo.say("je sais pas, je crois que c'est étudiant")
    state = await convo.state()
    assert state is not None and state.slots.document == "CST_ETU"
    await convo.say("/restart")
    await convo.say("oui")
    await answer_until_slot(convo, {**FULL_FRENCH, "document": "carte de séjour"}, "document")
    for said in ("carte de séjour", "je sais pas", "carte de séjour", "je sais pas"):
        await convo.say(said)
    state = await convo.state()
    assert state is not None and "document" in state.skipped and convo.asking != "document"


async def test_declining_the_note_is_not_left_to_ask(convo: Conversation) -> None:
    """Found walking conversations: "nn" to "anything to add?" showed the volunteer "note: to ask"."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until(convo, {**FULL_FRENCH, "note": "nn"})
    case = await convo.case()
    assert case is not None and "note" not in case.unanswered


@pytest.mark.parametrize("said", ["yes", "hola", "salam"])
async def test_another_language_at_the_language_menu_is_not_taken_for_french(
    convo: Conversation, said: str
) -> None:
    """Found in review: "yes", "hola si", "salam" were answered "on continue en français"."""
    await convo.say("hello")
    await convo.say(said)
    await convo.say(said)
    state = await convo.state()
    assert state is not None and state.slots.language != "fr"


async def test_at_the_summary_saying_only_this_situation_replaces_the_others(convo: Conversation) -> None:
    """Found in review: "non, seulement j'ai des enfants, pas de problème de travail" kept work."""
    await reach_the_summary(convo, {"vulnerabilities": "j'ai des enfants et j'ai perdu mon travail"})
    state = await convo.state()
    assert state is not None and state.slots.vulnerabilities == frozenset({"children", "work"})
    await convo.say("non, je suis enceinte aussi")  # found in the second review: it wiped the others
    state = await convo.state()
    assert state is not None and state.slots.vulnerabilities == frozenset({"children", "work", "health"})
    await convo.say("non, seulement j'ai des enfants, pas de problème de travail")
    state = await convo.state()
    assert state is not None and state.slots.vulnerabilities == frozenset({"children"})


@pytest.mark.parametrize("no", ["non", "non c'est pas ça", "non, aucune", "non, aucun des deux"])
async def test_a_mere_no_at_a_choice_of_places_gets_the_help(convo: Conversation, no: str) -> None:
    """'non, aucun des deux' was Aucun (65), certain, when read as a place: 'aucun' is a common
    word of the gazetteer now."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, FULL_FRENCH, "prefecture")
    await convo.say("Clichy")
    assert convo.last.confirming
    await convo.say(no)
    state = await convo.state()
    assert state is not None and state.slots.prefecture is None and state.pending is None
    assert convo.asking == "prefecture" and "Bobigny" in convo.text  # the help's examples


@pytest.mark.parametrize(
    "answer", ["ce n'est pas ma première OQTF", "c'est pas la première OQTF que je reçois"]
)
async def test_not_my_first_order_is_an_order(convo: Conversation, answer: str) -> None:
    """The negation denies the rank: the order is had, and its date is asked next."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, FULL_FRENCH, "removal_order")
    await convo.say(answer)
    state = await convo.state()
    assert state is not None and state.slots.removal_order is True
    assert convo.asking == "removal_order_date"


async def test_a_day_alone_at_the_order_date_is_confirmed_then_kept(convo: Conversation) -> None:
    """Found by a twelfth review: "le vingt deux" was asked again, then skipped (P1, not P0)."""
    await convo.say("Bonjour, j'ai une OQTF et je suis assigné à résidence")
    await answer_until_slot(convo, {**FULL_FRENCH, "removal_order": "oui"}, "removal_order_date")
    await convo.say("le vingt deux")
    assert convo.asking == "removal_order_date" and "22/11/2026" in convo.text
    await convo.say("oui")
    state = await convo.state()
    assert state is not None and state.slots.removal_order_date == dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("yes", "lang"), [("yes", "en"), ("sí", "es"), ("wakha", "ar"), ("oui", "fr"), ("ok", "fr")]
)
async def test_a_yes_of_one_language_to_the_sms_welcome_chooses_it(
    brain: Brain, store: SqliteStore, clock: FixedClock, yes: str, lang: str
) -> None:
    """Found by a fourteenth review: over SMS the welcome is in French ("EN/AR/ES: reply EN/AR/ES")
    and asks the consent; "yes" kept French, and every English answer after it was misread."""
    convo = Conversation(brain.engine(store, clock), store, conversation_id="sms:1", channel="sms")
    await convo.say("hello")
    assert convo.asking == "consent"
    await convo.say(yes)
    state = await convo.state()
    assert state is not None and state.slots.consent is True and state.slots.language == lang
    assert convo.asking == "prefecture"


async def test_a_language_taken_from_one_word_gives_way_to_a_longer_message(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """A French person typing "yes" to the SMS welcome, then writing French: back to French."""
    convo = Conversation(brain.engine(store, clock), store, conversation_id="sms:2", channel="sms")
    await convo.say("hello")
    await convo.say("yes")
    state = await convo.state()
    assert state is not None and state.slots.language == "en"
    await convo.say("je parle français, j'habite à Nantes")
    state = await convo.state()
    assert state is not None and state.slots.language == "fr" and state.slots.prefecture == "44"
    assert convo.asking == "document"


async def test_an_answer_understood_only_in_the_language_it_is_written_in_switches_to_it(
    convo: Conversation,
) -> None:
    """A first message in French, then English answers: "student residence card" means nothing in
    French and was asked again and again; read in English it answers, and English it is."""
    await convo.say("Bonjour, j'ai besoin d'aide pour mon titre de séjour")
    await convo.say("yes")
    await convo.say("I live in Lyon")  # understood in French too (the town): still French
    state = await convo.state()
    assert state is not None and state.slots.language == "fr" and convo.asking == "document"
    await convo.say("student residence card")
    state = await convo.state()
    assert state is not None and state.slots.language == "en" and state.slots.document == "CST_ETU"
    assert "continue in English" in convo.text
    assert convo.asking == "expiry_date"


async def test_french_words_in_another_language_do_not_switch_it(convo: Conversation) -> None:
    """The lexicons of every language know the French words of papers: an Arabic conversation
    naming "carte de séjour étudiant" in French stays Arabic."""
    await convo.say("السلام عليكم")
    await convo.say(option="ar")
    await convo.say(option="yes")
    await convo.say("ساكن ف ليون")
    assert convo.asking == "document"
    await convo.say("carte de séjour étudiant")
    state = await convo.state()
    assert state is not None and state.slots.language == "ar" and state.slots.document == "CST_ETU"


@pytest.mark.parametrize(
    ("lang", "answers", "correction", "expected"),
    [
        (
            "fr",
            ["Toulouse", "APS", "le 5 décembre"],
            "non pardon c le 15 decembre pas le 5",
            dt.date(2026, 12, 15),
        ),
        (
            "en",
            ["Lyon", "student card", "5 january"],
            "sorry the date is wrong, its the 15th of january",
            dt.date(2027, 1, 15),
        ),
    ],
)
async def test_a_date_taken_back_at_the_next_question_corrects_it(
    convo: Conversation, lang: str, answers: list[str], correction: str, expected: dt.date
) -> None:
    """Found by an eighteenth review: the correction of the expiry said at the filing question was
    lost, and its "non" recorded "not filed"."""
    await convo.say("bonjour")
    await convo.say(option=lang)
    await convo.say(option="yes")
    for answer in answers:
        await convo.say(answer)
    assert convo.asking == "application_status"
    await convo.say(correction)
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == expected
    assert state.slots.application_status is None
    assert convo.asking == "application_status"


async def _answer_up_to_attempts(convo: Conversation, order: str) -> None:
    await convo.say("hello")
    await convo.say(option="en")
    await convo.say(option="yes")
    for answer in ("Paris", "student card", "10 march 2027"):
        await convo.say(answer)
    await convo.say(option="not_filed")
    await convo.say(option=order)


async def test_a_detention_said_after_free_is_recorded_without_a_word_of_correction(
    convo: Conversation,
) -> None:
    """Found by a nineteenth review: "free" answered, then "they just took me to the CRA" at a later
    question was dropped (a filled slot changed only with a correction word): P2 instead of P0."""
    await _answer_up_to_attempts(convo, "yes")
    await convo.say("20 november")
    await convo.say("I'm free, at home")
    state = await convo.state()
    assert state is not None and state.slots.custody == "free"
    await convo.say("since september")
    await convo.say("they just took me to the CRA, I'm there now")
    state = await convo.state()
    assert state is not None and state.slots.custody == "detained"
    case = await convo.case()
    assert case is not None and case.urgency.level == "P0"


async def test_an_order_said_after_no_is_recorded_with_its_date(convo: Conversation) -> None:
    """ "ah si attendez, j'ai reçu une OQTF le 20 novembre" at the attempts question: the order and
    its date, not the date of the attempts."""
    await _answer_up_to_attempts(convo, "no")
    assert convo.asking == "attempts_since"
    await convo.say("wait, I did receive an OQTF on 20 november")
    state = await convo.state()
    assert state is not None and state.slots.removal_order is True
    assert state.slots.removal_order_date == dt.date(2026, 11, 20)
    assert state.slots.attempts_since is None


async def test_a_language_typed_at_the_menu_is_chosen_not_guessed(convo: Conversation) -> None:
    """ "العربية" typed (one word) was taken as a guess, and a card named in French then switched
    the conversation to French, where "la" and "ah" were not understood."""
    await convo.say("salam")
    await convo.say("العربية")
    await convo.say("نعم")
    await convo.say("ليون")
    await convo.say("carte de séjour vie privée")
    state = await convo.state()
    assert state is not None and state.slots.language == "ar" and state.slots.document == "CST_VPF"


async def test_a_date_taken_back_at_the_consent_question_is_no_refusal(convo: Conversation) -> None:
    """The opening gave the date; "non pardon c'est le 15 décembre pas le 5" at the consent
    question refused it and erased everything."""
    await convo.say("bonjour, ma carte de séjour étudiant expire le 5 décembre, j'habite à Lyon")
    assert convo.asking == "consent"
    await convo.say("non pardon c'est le 15 décembre pas le 5")
    state = await convo.state()
    assert state is not None and state.slots.expiry_date == dt.date(2026, 12, 15)
    assert state.slots.consent is None and convo.asking == "consent"


# A student in Lyon, by language: no OQTF, trying since October, proofs kept, nothing else to say.
STUDENT_IN_LYON = {
    "fr": {
        "consent": "oui",
        "prefecture": "Lyon",
        "document": "carte étudiant",
        "expiry_date": "10 mars 2027",
        "application_status": "pas encore",
        "removal_order": "non",
        "attempts_since": "depuis octobre",
        "evidence": "oui",
        "vulnerabilities": "non",
        "note": "non",
        "confirm": "oui",
    },
    "en": {
        "consent": "yes",
        "prefecture": "Lyon",
        "document": "student card",
        "expiry_date": "5 december",
        "application_status": "not yet",
        "removal_order": "no",
        "attempts_since": "since october",
        "evidence": "yes",
        "vulnerabilities": "no",
        "note": "no",
        "confirm": "yes",
    },
}


async def a_student_in_lyon(convo: Conversation, lang: str, *, until: str | None = None) -> None:
    """Choose ``lang`` at the menu, then answer as the student in Lyon until ``until`` is asked, or
    to the end of the triage."""
    await convo.say("bonjour")
    await convo.say(option=lang)
    if until is None:
        await answer_until(convo, STUDENT_IN_LYON[lang])
    else:
        await answer_until_slot(convo, STUDENT_IN_LYON[lang], until)


async def test_darija_in_latin_letters_is_understood_without_switching_to_arabic_script(
    convo: Conversation,
) -> None:
    """Found by a twentieth review: one answer in Darija ("3andi 2 drari w mrati mrida") switched a
    French conversation to Arabic script, summary included."""
    await a_student_in_lyon(convo, "fr", until="vulnerabilities")
    await convo.say("3andi 2 drari w mrati mrida")
    state = await convo.state()
    assert state is not None and state.slots.language == "fr"
    assert state.slots.vulnerabilities == frozenset({"children", "health"})


async def test_an_order_said_after_the_hand_off_brings_the_case_up_to_date(convo: Conversation) -> None:
    """Found by a review of the volunteers' side: "j'ai oublié de dire : j'ai reçu une OQTF le 20
    novembre" once the case was handed off got "already transmitted", and the case kept "no OQTF"
    (and its volunteer without the qualification an order needs)."""
    await a_student_in_lyon(convo, "fr")
    before = await convo.case()
    assert before is not None and before.slots.removal_order is False
    await convo.say("j'ai oublié de dire : j'ai reçu une OQTF le 20 novembre")
    after = await convo.case()
    assert after is not None and after.slots.removal_order is True
    assert after.slots.removal_order_date == dt.date(2026, 11, 20)
    assert after.urgency.level < before.urgency.level  # "P2" < "P4": more urgent
    assert convo.asking == "custody"


async def test_two_words_only_spanish_understands_switch_an_sms_conversation_to_spanish(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a twentieth review: over SMS, "hola" then "si" kept the French of the welcome, and
    "desde octubre" was asked again and again."""
    convo = Conversation(brain.engine(store, clock), store, conversation_id="sms:3", channel="sms")
    await convo.say("hola")
    await convo.say("si")
    for answer in ("Lyon", "carte de séjour salarié", "el 5 del 12"):
        await convo.say(answer)
    await convo.say(option="not_filed")
    await convo.say(option="no")
    assert convo.asking == "attempts_since"
    await convo.say("desde octubre")
    state = await convo.state()
    assert state is not None and state.slots.language == "es"
    assert state.slots.attempts_since == dt.date(2026, 10, 15)


async def test_the_hand_off_tells_the_person_why_it_is_urgent_in_their_language(convo: Conversation) -> None:
    """Found by a twenty-second review: the rules' `reason`, written for the person ("montrée à la
    personne dans sa langue"), reached only the volunteer's summary."""
    await a_student_in_lyon(convo, "en")
    case = await convo.case()
    assert case is not None and case.urgency.level in ("P0", "P1", "P2", "P3")
    assert case.urgency.reason in convo.text and "permit" in case.urgency.reason


async def test_a_note_declined_reads_nothing_at_the_summary(convo: Conversation) -> None:
    """Found trying the demo as a newcomer: "non merci" to "anything to add?" showed "Message :
    pas de réponse" at the summary, as if the answer had been missed."""
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await answer_until_slot(convo, {**FULL_FRENCH, "note": "non merci"}, "confirm")
    assert "Message : rien" in convo.text and "pas de réponse" not in convo.text


async def test_a_relative_writing_for_someone_detained_is_asked_for_whom_and_the_case_is_theirs(
    convo: Conversation,
) -> None:
    """A wife writes that her husband is held in a CRA: once she says she writes for him, his
    detention is the case's (P0, fast track), and the case says a relative wrote it. Before, the
    detention was set aside as someone else's and her own situation was triaged (P3 or P4)."""
    await convo.say("Bonjour, mon mari est au CRA de Vincennes depuis hier")
    assert [option.id for option in convo.last.options] == ["yes", "no"]
    assert "proche" in convo.last.text
    state = await convo.state()
    assert state is not None and state.slots.custody is None
    await convo.say(option="yes")
    assert convo.asking == "consent"
    state = await convo.state()
    assert state is not None and state.slots.custody == "detained" and state.fast_track
    await convo.say("oui")
    await convo.say("Créteil")
    case = await convo.case()
    assert case is not None
    assert (case.urgency.level, case.urgency.rule) == ("P0", "detained")
    assert case.for_someone_else
    # Why it is urgent is said of the person concerned, and introduced as such.
    assert "Pour la personne concernée : Vous êtes en centre de rétention" in convo.text


async def test_the_relative_is_told_their_relatives_situation_is_urgent(convo: Conversation) -> None:
    await convo.say("Bonjour, mon mari est au CRA de Vincennes depuis hier")
    await convo.say("pour lui")
    assert "La situation de votre proche est très urgente" in convo.text
    assert "Votre situation est très urgente" not in convo.text


async def test_where_the_relative_is_answered_in_the_third_person(convo: Conversation) -> None:
    """A relative with an order, free: "il est libre, il est chez lui" answers where they are."""
    await convo.say("Bonjour, mon mari a reçu une OQTF")
    await convo.say("pour lui")
    for answer in ("oui", "Lyon", "il n'a pas de papiers", "non", "le 20 novembre"):
        await convo.say(answer)
    assert convo.asking == "custody"
    await convo.say("il est libre, il est chez lui")
    state = await convo.state()
    assert state is not None and state.slots.custody == "free"
    assert convo.asking == "attempts_since"


async def test_a_relative_feared_in_detention_is_not_asked_for_whom(convo: Conversation) -> None:
    await convo.say("Bonjour, j'ai peur qu'ils envoient mon mari au CRA")
    state = await convo.state()
    assert state is not None and state.pending is None and state.slots.custody is None
    assert convo.asking == "consent"


FOR_THEM = (
    "pour mon mari",
    "oui c'est pour lui",
    "pour lui",
    "c pour lui",
    "je suis sa femme",
    "for him",
    # Found by a review: these lost the relative's order for good.
    "lui",
    "her",
    "له",
    "les deux",
    "il a reçu une OQTF le 20 novembre, aidez-nous",
)
FOR_ME = ("2", "non c'est pour moi", "pour moi", "c moi", "moi")


@pytest.mark.parametrize("answer", [*FOR_THEM, *FOR_ME])
async def test_for_whom_is_answered_in_words_or_by_number(convo: Conversation, answer: str) -> None:
    """Found by a review: "pour lui", "je suis sa femme" were no yes (the husband's CRA was lost
    and the custody help shown), "pour moi" was re-read as an answer to the custody question."""
    await convo.say("Bonjour, mon mari a reçu une OQTF")
    await convo.say(answer)
    state = await convo.state()
    assert state is not None
    theirs = answer in FOR_THEM
    assert state.for_someone_else is theirs
    assert state.slots.removal_order is (True if theirs else None)
    assert state.pending is None and convo.asking == "consent"
    noted = "portent sur votre proche" if theirs else "portent sur votre propre situation"
    assert noted in convo.text


async def test_writing_for_oneself_is_asked_once_and_someone_elses_facts_stay_theirs(
    convo: Conversation,
) -> None:
    await convo.say("Bonjour, mon frère est au CRA, moi j'habite à Lyon")
    await convo.say(option="no")
    await convo.say("oui")  # consent
    await convo.say("il est au CRA depuis lundi")  # at the document question: not asked again
    state = await convo.state()
    assert state is not None
    assert state.for_someone_else is False and state.slots.custody is None
    assert not any(option.id == "yes" and "proche" in convo.text for option in convo.last.options)
    assert convo.asking == "document"


async def test_what_is_said_of_the_relative_later_is_the_cases(convo: Conversation) -> None:
    await convo.say("my brother is in prison")
    await convo.say(option="yes")
    await convo.say("yes")  # consent
    await convo.say("Marseille")
    await convo.say("he has no papers")
    await convo.say("no")  # application status
    await convo.say("he got an OQTF on 20 November")
    state = await convo.state()
    assert state is not None
    assert state.slots.custody == "prison" and state.slots.removal_order is True
    assert state.urgency is not None and state.urgency.rule == "oqtf_custody"
    assert convo.asking == "removal_order_date"


@pytest.mark.parametrize("town", ["Lyon", "Laval"])
async def test_a_town_typed_at_the_consent_question_refuses_nothing(convo: Conversation, town: str) -> None:
    """Found trying the demo: "Lyon" in an Arabic conversation, at the consent question, was read
    as a no by the Arabic model (the "la" of "no" in it) and erased everything the person had said."""
    await convo.say("السلام عليكم، ما لقيتش موعد")
    assert convo.asking == "consent"
    await convo.say(town)
    assert not any(reply.erased for reply in convo.replies)
    assert convo.asking == "consent"
    state = await convo.state()
    assert state is not None and state.slots.consent is None and state.slots.language == "ar"


async def test_after_a_fast_track_hand_off_the_order_and_its_date_come_before_the_papers(
    convo: Conversation,
) -> None:
    """The detention team counts 48 hours from the order's notification: its date matters more
    than the card, and a person in a CRA may not keep the phone long."""
    await convo.say("Bonjour, je suis au CRA de Vincennes depuis hier")
    await convo.say("oui")
    await convo.say("Créteil")  # P0: handed off
    assert convo.asking == "removal_order"
    await convo.say("oui")
    assert convo.asking == "removal_order_date"
    await convo.say("avant-hier")
    assert convo.asking == "document"


async def test_after_an_ordinary_hand_off_the_questions_keep_the_flows_order(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("/humain")
    await convo.say("/humain")  # asked twice: handed off with what is known (P4), the rest follows
    await convo.say("Lyon")
    state = await convo.state()
    assert state is not None and state.status == "handed_off"
    assert convo.asking == "document"


async def test_an_answer_to_for_whom_not_understood_is_asked_again_once(convo: Conversation) -> None:
    await convo.say("Bonjour, mon mari a reçu une OQTF")
    await convo.say("euh")
    assert "Je n'ai pas compris" in convo.text and [o.id for o in convo.last.options] == ["yes", "no"]
    state = await convo.state()
    assert state is not None and state.for_someone_else is None
    await convo.say("euh")  # twice: the questions stay about the person, as before
    state = await convo.state()
    assert state is not None and state.for_someone_else is False and state.pending is None


async def test_the_web_chat_is_told_to_come_back_to_the_page_not_promised_sms(
    brain: Brain, store: SqliteStore, clock: FixedClock
) -> None:
    """Found by a review: the web chat's hand-off invited a phone number "to also receive our
    messages by SMS", which nothing sends from the web chat."""
    web = Conversation(brain.engine(store, clock), store, conversation_id="web:abcd-1234", channel="web")
    await web.say("Bonjour, je n'ai pas de rendez-vous")
    await web.say("oui")
    await web.say("/humain")
    await web.say("/humain")  # asked twice: handed off with what is known, once the place is given
    await web.say("Lyon")
    assert "revenez-y" in web.text and "SMS" not in web.text


async def test_a_date_at_another_question_is_not_back_and_back_keeps_what_was_said_in_passing(
    convo: Conversation,
) -> None:
    """Found trying the demo as a new user: "avant-hier" at the paper question was read as "back"
    (the "avant" of "la question d'avant") and cleared the order just noted; "retour" there cleared
    it too, though the question before was the place."""
    for text in (
        "Bonjour, je n'ai pas de rendez-vous",
        "oui",
        "mon frère est en prison à Fresnes et il a reçu une OQTF",
        "pour lui",
    ):
        await convo.say(text)
    assert convo.asking == "document"
    await convo.say("avant-hier")
    state = await convo.state()
    assert state is not None and state.slots.removal_order is True and "précédente" not in convo.text
    await convo.say("retour")
    state = await convo.state()
    assert state is not None and state.slots.removal_order is True and state.slots.custody == "prison"
    assert convo.asking == "prefecture"


async def test_back_after_a_p0_hand_off_follows_the_order_the_questions_came_in(convo: Conversation) -> None:
    """Found by a code review: after a P0 hand-off the order comes before the papers; "retour" at
    the order's date went back by the flow's order and cleared the place."""
    for text in ("Bonjour, je suis au CRA de Vincennes depuis hier", "oui", "Créteil", "non"):
        await convo.say(text)
    await convo.say("retour")
    state = await convo.state()
    assert state is not None and state.slots.prefecture == "94" and state.slots.removal_order is None


async def test_for_whom_is_asked_before_the_help_of_the_question_on_screen(convo: Conversation) -> None:
    await convo.say("Bonjour, je n'ai pas de rendez-vous")
    await convo.say("oui")
    await convo.say("Lyon")
    assert convo.asking == "document"
    await convo.say("mon mari est au CRA")
    assert "Regardez ce qui est écrit" not in convo.text and "proche" in convo.last.text
    await convo.say("euh")
    await convo.say("je sais pas")  # not understood twice: read as an answer to the paper question
    state = await convo.state()
    assert state is not None and state.for_someone_else is False
    assert "custody" not in state.skipped
