"""Language detection of first messages, and switching language at any time, in the four languages.

The openings are written apart from nlu_data/ and tests/eval/ (a test checks they are not training
phrases): greetings, SMS spellings, French administrative words inside other languages, Arabizi.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Brain
from bot.core.clock import PARIS
from bot.understanding.language import LanguageDetector
from bot.understanding.nlu_data import NluData, load_nlu_data, normalize_text

OPENINGS: dict[str, list[str]] = {
    "fr": [
        "Bonjour, je n'arrive pas à avoir de rendez-vous à la préfecture",
        "slt jai un pb avec mon titre de sejour",
        "bjr ma carte expire bientot et ya pas de rdv",
        "Bonsoir, mon récépissé a expiré, je fais comment ?",
        "jsuis sans papier depuis 3 ans aidez moi svp",
        "Madame, Monsieur, je sollicite votre aide pour ma demande de titre",
        "j'ai recu une oqtf hier je sais pas quoi faire",
        "la prefecture repond jamais au telephone",
        "bonjour je suis etudiant ma carte finit en janvier",
        "je suis au cra de vincennes aidez moi",
        "j'habite dans le 13eme depuis le 2 mars",
    ],
    "en": [
        "Hello, I can't get an appointment at the prefecture",
        "hi my residence permit expires next month",
        "I got an OQTF yesterday what should I do",
        "Good evening, my récépissé has expired and I have no news",
        "pls help me i have no papers",
        "My student card ends in January and the website never has slots",
        "I'm in the detention centre since Monday",
        "hey, the prefecture never answers my emails",
        "I need help with my titre de séjour renewal",
        "Dear Sir, I am writing about my application",
        "my 3rd attempt on the 2nd of May failed again",
        "police came at 3am, I have 2kids and no papers",
    ],
    "es": [
        "Hola, no consigo cita en la prefectura",
        "buenas, mi tarjeta de residencia caduca pronto",
        "me dieron una OQTF ayer, qué hago",
        "Buenas tardes, mi récépissé se venció y no sé qué hacer",
        "necesito ayuda no tengo papeles",
        "estoy en el centro de retención desde el lunes",
        "hola q tal, la prefectura no contesta nunca",
        "mi tarjeta de estudiante vence en enero",
        "Buenos días, quiero renovar mi titre de séjour",
        "ayuda por favor, no hay citas en la web",
    ],
    "ar": [
        "السلام عليكم، ما لقيتش موعد في البريفكتور",
        "مرحبا، بطاقة الإقامة ديالي غادي تسالي",
        "عطاوني OQTF البارح شنو ندير",
        "مساء الخير، الوصل ديالي انتهى",
        "ما عنديش الوراق عاونوني",
        "انا في مركز الاحتجاز",
        "كيفاش نجدد الكارطة",
        "أريد المساعدة في تجديد بطاقة الإقامة",
        "salam 3andi mochkil m3a lprefecture",
        "slm khouya ma l9itch rendez-vous",
        "wach kayn chi 7al l lwra9",
        "bghit n3ref chno ndir",
        "3afak 3awnouni f had lmochkil",
        # darija in Latin letters with French words in it, as people write
        "salam 3andi un problème avec la préfecture ma3rftch chno ndir",
        "slt 3afak j'ai besoin d'aide m3a titre de séjour",
        "ya5i 3ndi problème m3a la préfecture",
        "salam nchallah labas 3ndi question 3la naturalisation",
    ],
}
# Too short or shared by several languages: the bot asks rather than guesses.
AMBIGUOUS = ["ok", "oui", "salam", "hi", "no", "Lyon", "93", "merci", "si", "2", "ok merci", "", "?!"]
# One Latin word long enough for the model to score: still a guess ("qwerty" read as English).
AMBIGUOUS += ["qwerty", "Bonjour", "Marseille", "prefecture", "Mohammed"]

# Keyboard mashing and pasted codes put digits between letters as Arabizi does: not a language.
NONSENSE = [
    "xk3jd q9wlz p2mz",
    "jfjf8djd 9ek3kd",
    "0yF5LR47H5FdCeiKLFqr2MZwoUIKtkNiUD/aAj+H3Gx7b5Wq9QzT2mKp",
    "kEwdg/0ny6XdnNp68rzmQc0JM8Eh/LywHBi7ujim",
]

SWITCHES: list[tuple[str, str, str]] = [
    # (language of the conversation, message, language asked for)
    ("fr", "english please", "en"),
    ("ar", "en français", "fr"),
    ("fr", "بالعربية", "ar"),
    ("fr", "en español", "es"),
    ("en", "can we speak french", "fr"),
    ("es", "prefiero en inglés", "en"),
    ("fr", "parle moi en arabe", "ar"),
    ("en", "arabic please", "ar"),
    ("en", "español por favor", "es"),
    ("ar", "بالفرنسية من فضلك", "fr"),
]


@pytest.fixture(scope="module")
def data() -> NluData:
    return load_nlu_data()


@pytest.fixture(scope="module")
def detector(data: NluData) -> LanguageDetector:
    return LanguageDetector(data)


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, texts in OPENINGS.items() for text in texts]
)
def test_a_first_message_is_read_in_its_language(detector: LanguageDetector, lang: str, text: str) -> None:
    assert detector.detect(text) == lang


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_a_short_or_shared_message_is_not_guessed(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None


@pytest.mark.parametrize("text", NONSENSE)
def test_nonsense_with_digits_is_not_taken_for_arabizi(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) != "ar"


@pytest.mark.parametrize("text", [t for t in NONSENSE if "/" in t])
def test_a_pasted_code_is_no_language_and_the_bot_asks(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) is None
    assert detector.detect(f"{text} {text[::-1]}") is None


def test_a_long_word_or_a_link_does_not_hide_the_language(detector: LanguageDetector) -> None:
    assert detector.detect("c'est anticonstitutionnellement injuste, je n'ai pas de rendez-vous") == "fr"
    assert detector.detect("I tried https://www.rdv-prefecture.interieur.gouv.fr every day, no slot") == "en"


def test_the_openings_are_not_training_phrases(data: NluData) -> None:
    training: set[str] = set()
    for lang in data.languages:
        language = data.by_language[lang]
        for examples in language.intents.values():
            training.update(normalize_text(e) for e in examples)
        for table in language.synonyms.values():
            for expressions in table.values():
                training.update(normalize_text(e) for e in expressions)
    leaked = [text for texts in OPENINGS.values() for text in texts if normalize_text(text) in training]
    assert leaked == []


@pytest.mark.parametrize(("lang", "text", "wanted"), SWITCHES)
def test_switching_language_is_understood_in_any_language(
    brain: Brain, lang: str, text: str, wanted: str
) -> None:
    now = dt.datetime(2026, 11, 26, 10, tzinfo=PARIS)
    for asked in (None, "document", "prefecture"):
        reading = brain.understanding.read(text, lang=lang, asked=asked, now=now)
        assert reading.named_language == wanted
        assert reading.intent == "change_language"
        assert reading.findings == ()


def test_a_country_is_not_a_language_switch(brain: Brain) -> None:
    now = dt.datetime(2026, 11, 26, 10, tzinfo=PARIS)
    reading = brain.understanding.read("en Francia", lang="es", asked="prefecture", now=now)
    assert reading.intent != "change_language"
    assert reading.finding("prefecture") is None
