"""The intent classifier: held-out phrasings, answers that are not commands, keywords.

Its speed (training, classifying) is measured by scripts/intent_report.py, not by a timed test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.understanding.intents import IntentClassifier, IntentGuess
from bot.understanding.nlu_data import NluData, load_nlu_data, normalize_text

# Phrasings written apart from the training data (a test below checks they are not in it).
HELD_OUT: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("je ne souhaite pas transmettre mes informations", "deny"),
        ("ouais ouais", "affirm"),
        ("oui c'est exactement ça", "affirm"),
        ("nan pas du tout", "deny"),
        ("je ne comprends pas ce que vous demandez", "help"),
        ("on peut recommencer depuis le début ?", "restart"),
        ("supprimez toutes mes données", "erase"),
        ("effacez tout s'il vous plaît", "erase"),
        ("je voudrais parler à un être humain", "human"),
        ("vous pouvez parler en anglais ?", "change_language"),
        ("revenir à la question d'avant", "back"),
        ("je préfère passer cette question", "skip"),
        ("bonjour à tous", "greet"),
        ("merci beaucoup pour votre aide", "thanks"),
        ("franchement je sais pas", "dont_know"),
        ("aucune idée du tout", "dont_know"),
        ("il fera beau demain ?", "out_of_scope"),
    ],
    "en": [
        ("i prefer not to share my personal data", "deny"),
        ("yes that's correct", "affirm"),
        ("no not at all", "deny"),
        ("sorry i don't understand what you mean", "help"),
        ("can we start over please", "restart"),
        ("please delete all my data", "erase"),
        ("i want to speak to a real human", "human"),
        ("can we talk in french", "change_language"),
        ("go back to the previous question", "back"),
        ("i'd prefer to skip this one", "skip"),
        ("hello good morning", "greet"),
        ("thanks a lot my friend", "thanks"),
        ("honestly i have no idea", "dont_know"),
    ],
    "ar": [
        ("ما نبغيش نعطي البيانات ديالي", "deny"),
        ("ايه واخا", "affirm"),
        ("لا لا ماشي صحيح", "deny"),
        ("ما فهمتش السؤال", "help"),
        ("بغيت نبدا من جديد", "restart"),
        ("امسحو المعلومات ديالي", "erase"),
        ("بغيت نتكلم مع إنسان حقيقي", "human"),
        ("تكلم معي بالعربية", "change_language"),
        ("رجعني للسؤال السابق", "back"),
        ("دوز هاد السؤال", "skip"),
        ("السلام عليكم ورحمة الله", "greet"),
        ("شكرا بزاف خويا", "thanks"),
        ("والله ما نعرف", "dont_know"),
    ],
    "es": [
        ("no deseo compartir mi información personal", "deny"),
        ("sí claro que sí", "affirm"),
        ("no para nada", "deny"),
        ("no entiendo lo que me pregunta", "help"),
        ("quiero empezar otra vez", "restart"),
        ("borren todos mis datos", "erase"),
        ("quiero hablar con una persona real", "human"),
        ("podemos hablar en español", "change_language"),
        ("volver a la pregunta anterior", "back"),
        ("prefiero saltar esta pregunta", "skip"),
        ("hola buenos días", "greet"),
        ("muchas gracias por todo", "thanks"),
        ("la verdad no sé", "dont_know"),
    ],
}

# Answers to the bot's questions: whatever else they are, they must not trigger these.
DISRUPTIVE = {"restart", "erase", "human", "change_language"}
ANSWERS: dict[str, list[str]] = {
    "fr": [
        "j'habite à Lyon",
        "le 3 mars",
        "oui j'ai deux enfants",
        "carte vie privée et familiale",
        "elle a expiré le 3 mars",
        "depuis septembre",
        "j'ai reçu une OQTF",
        "je suis au CRA",
        "non, la date c'est le 5 avril",
        "mon récépissé a expiré",
        "je suis à Bobigny",
        "titre étudiant",
        "ma femme est malade",
        "je dors chez des amis",
        "en janvier",
        "impossible d'avoir un rendez-vous",
        "dans deux semaines",
        "rien",
        "je suis à Montpellier, ma carte de séjour salarié a expiré le 12 janvier et je n'arrive pas "
        "à avoir de rendez-vous à la préfecture",
    ],
    "en": [
        "I live in Montpellier",
        "it expired on 3 March",
        "yes I have two children",
        "student residence permit",
        "since september",
        "I got an OQTF",
        "I'm in the detention centre",
        "my receipt expired",
        "in two weeks",
    ],
    "ar": [
        "ساكن في ليون",
        "عندي وصل",
        "عندي جوج ولاد",
        "انتهت في 3 مارس",
        "ما عندي أوراق",
        "من شتنبر",
        "عندي OQTF",
        "أنا في مركز الاحتجاز",
        "بطاقة طالب",
    ],
    "es": [
        "vivo en Lyon",
        "caducó el 3 de marzo",
        "sí tengo dos hijos",
        "tarjeta de estudiante",
        "desde septiembre",
        "no tengo papeles",
        "recibí una OQTF",
        "estoy en el centro de retención",
        "dentro de dos semanas",
    ],
}


@pytest.fixture(scope="module")
def data() -> NluData:
    return load_nlu_data()


@pytest.fixture(scope="module")
def classifier(data: NluData) -> IntentClassifier:
    return IntentClassifier.train(data)


def test_held_out_phrasings_are_not_training_data(data: NluData) -> None:
    for lang, items in HELD_OUT.items():
        assert len(items) >= 10
        trained = {normalize_text(t) for texts in data.intent_examples(lang).values() for t in texts}
        assert not [text for text, _ in items if normalize_text(text) in trained]


@pytest.mark.parametrize("lang", sorted(HELD_OUT))
def test_held_out_phrasings(classifier: IntentClassifier, lang: str) -> None:
    guesses = [(text, want, classifier.classify(text, lang).intent) for text, want in HELD_OUT[lang]]
    wrong = [guess for guess in guesses if guess[1] != guess[2]]
    assert 1 - len(wrong) / len(guesses) >= 0.9, wrong


@pytest.mark.parametrize("lang", sorted(ANSWERS))
def test_answers_are_not_disruptive_commands(classifier: IntentClassifier, lang: str) -> None:
    guesses = {text: classifier.classify(text, lang).intent for text in ANSWERS[lang]}
    assert not {text: intent for text, intent in guesses.items() if intent in DISRUPTIVE}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("STOP", "erase"),
        ("stop.", "erase"),
        ("Supprimer", "erase"),
        ("/supprimer", "erase"),
        ("/start", "restart"),
        ("/aide", "help"),
        ("/help", "help"),
        ("AIDE", "help"),
        ("Help!", "help"),
        ("/skip", "skip"),
        ("/aide@TriageBot", "help"),
    ],
)
@pytest.mark.parametrize("lang", ["fr", "ar", "xx"])
def test_keywords_before_the_model(classifier: IntentClassifier, text: str, intent: str, lang: str) -> None:
    assert classifier.classify(text, lang) == IntentGuess(
        intent=intent, confidence=1.0, ranking=((intent, 1.0),)
    )


@pytest.mark.parametrize("text", ["", "   ", "2", "12/03", "!!!", "\x00\x01\x02", "👍"])
def test_no_guess_without_letters(classifier: IntentClassifier, text: str) -> None:
    assert classifier.classify(text, "fr") == IntentGuess(intent=None, confidence=0.0, ranking=())


def test_long_messages_carry_answers_not_commands(classifier: IntentClassifier) -> None:
    long = "je veux supprimer mes données mais avant je voudrais vous dire que ma carte expire en mars"
    assert classifier.classify(long, "fr").intent is None
    assert classifier.classify("je veux supprimer mes données", "fr").intent == "erase"


def test_low_confidence_is_withheld_with_its_ranking(classifier: IntentClassifier) -> None:
    guess = classifier.classify("depuis septembre", "fr")
    assert guess.intent is None
    assert guess.confidence == guess.ranking[0][1] < 0.4
    probabilities = [p for _, p in guess.ranking]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0)
    assert len(guess.ranking) == 13


def test_unknown_language_uses_every_language(classifier: IntentClassifier) -> None:
    assert classifier.classify("merci beaucoup", "de").intent == "thanks"
    assert classifier.classify("بالعربية", "de").intent == "change_language"


def test_fast_path_equals_the_sklearn_pipeline(classifier: IntentClassifier) -> None:
    texts = ["oui", "je veux parler a un humain", "xyzzy", "بغيت نمسح كلشي", "no sé", "delete my data"]
    for lang, pipeline in classifier.models.items():
        expected = pipeline.predict_proba(texts)
        for text, row in zip(texts, expected, strict=True):
            ranking = dict(classifier.classify(text, lang).ranking)
            got = np.array([ranking[str(intent)] for intent in pipeline.classes_])
            np.testing.assert_allclose(got, row, atol=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Je n'ai PAS de   récépissé!!",
        "ما عندي أوراق ٩٣",
        "ok",
        "a",
        "STOP",
        "carte  salarier 2027",
        "",
    ],
)
def test_our_ngrams_are_scikit_learns(text: str) -> None:
    """Serving does not import scikit-learn: our analyzer must give exactly its n-grams."""
    from bot.understanding.intents import build_pipeline, char_wb_ngrams

    sklearn_analyzer = build_pipeline().named_steps["tfidf"].build_analyzer()
    assert char_wb_ngrams(text) == sklearn_analyzer(text)


def test_a_process_serving_from_the_model_cache_does_not_import_scikit_learn(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from bot.app import load_brain\n"
        "from bot.settings import Settings\n"
        f"load_brain(Settings(model_cache_dir={str(tmp_path)!r}))\n"
        "print('sklearn' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert first.stdout.strip() == "True", "the first start trains, with scikit-learn"
    second = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert second.stdout.strip() == "False", "later starts load the cache without it"
