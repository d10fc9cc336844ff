"""Benchmark of `route_case`: 5,000 random volunteers, 2,000 random cases (target p99 <= 5 ms).

Run: .venv/bin/python scripts/bench_routing.py [--volunteers 5000] [--cases 2000] [--seed 7]

With ``bot.understanding.places.Gazetteer``, half the volunteers live in prefecture cities and half
in communes drawn from all of France; without it, all live in the 101 prefecture cities listed
below (real INSEE codes and mairie coordinates). Timings are taken twice: with the garbage
collector as it comes, and after ``gc.freeze()`` (what a long-running server does once its data
is loaded, so that full collections stop scanning the roster and the gazetteer).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actions.routing import Locator, RoutingCase, VolunteerIndex, load_handoff_rules, route_case
from actions.volunteers import Volunteer

# (département, INSEE code of the prefecture city, latitude, longitude)
PREFECTURE_CITIES: list[tuple[str, str, float, float]] = [
    ("01", "01053", 46.2051, 5.2252),
    ("02", "02408", 49.5645, 3.6205),
    ("03", "03190", 46.5662, 3.3333),
    ("04", "04070", 44.0934, 6.2352),
    ("05", "05061", 44.5588, 6.0798),
    ("06", "06088", 43.6961, 7.2718),
    ("07", "07186", 44.7353, 4.5989),
    ("08", "08105", 49.773, 4.7193),
    ("09", "09122", 42.9637, 1.6055),
    ("10", "10387", 48.2972, 4.0742),
    ("11", "11069", 43.212, 2.353),
    ("12", "12202", 44.3493, 2.5766),
    ("13", "13055", 43.2976, 5.3694),
    ("14", "14118", 49.1811, -0.3725),
    ("15", "15014", 44.9303, 2.445),
    ("16", "16015", 45.6487, 0.1561),
    ("17", "17300", 46.1597, -1.1519),
    ("18", "18033", 47.0799, 2.3991),
    ("19", "19272", 45.2659, 1.7721),
    ("21", "21231", 47.321, 5.0413),
    ("22", "22278", 48.5139, -2.7644),
    ("23", "23096", 46.1696, 1.8715),
    ("24", "24322", 45.1842, 0.7161),
    ("25", "25056", 47.2367, 6.0223),
    ("26", "26362", 44.9332, 4.8921),
    ("27", "27229", 49.0273, 1.1509),
    ("28", "28085", 48.4436, 1.4883),
    ("29", "29232", 47.9962, -4.102),
    ("2A", "2A004", 41.9186, 8.7369),
    ("2B", "2B033", 42.7021, 9.4515),
    ("30", "30189", 43.8365, 4.3603),
    ("31", "31555", 43.604, 1.443),
    ("32", "32013", 43.6471, 0.5837),
    ("33", "33063", 44.838, -0.5796),
    ("34", "34172", 43.5994, 3.8961),
    ("35", "35238", 48.0931, -1.6749),
    ("36", "36044", 46.811, 1.692),
    ("37", "37261", 47.3912, 0.6892),
    ("38", "38185", 45.1866, 5.7363),
    ("39", "39300", 46.6718, 5.5582),
    ("40", "40192", 43.8935, -0.4998),
    ("41", "41018", 47.5884, 1.3353),
    ("42", "42218", 45.4396, 4.3875),
    ("43", "43157", 45.0429, 3.8846),
    ("44", "44109", 47.2186, -1.5538),
    ("45", "45234", 47.9032, 1.9084),
    ("46", "46042", 44.4468, 1.4406),
    ("47", "47001", 44.2032, 0.6155),
    ("48", "48095", 44.5178, 3.5012),
    ("49", "49007", 47.4711, -0.5473),
    ("50", "50502", 49.1152, -1.0919),
    ("51", "51108", 48.9567, 4.3624),
    ("52", "52121", 48.1113, 5.1398),
    ("53", "53130", 48.0779, -0.7701),
    ("54", "54395", 48.6931, 6.1827),
    ("55", "55029", 48.7713, 5.1621),
    ("56", "56260", 47.6583, -2.761),
    ("57", "57463", 49.1197, 6.1763),
    ("58", "58194", 46.9878, 3.1576),
    ("59", "59350", 50.6309, 3.0709),
    ("60", "60057", 49.4294, 2.0806),
    ("61", "61001", 48.4301, 0.0826),
    ("62", "62041", 50.2931, 2.7785),
    ("63", "63113", 45.7795, 3.0861),
    ("64", "64445", 43.2946, -0.3708),
    ("65", "65440", 43.2331, 0.0779),
    ("66", "66136", 42.6999, 2.8948),
    ("67", "67482", 48.5736, 7.7532),
    ("68", "68066", 48.0791, 7.3577),
    ("69", "69123", 45.7677, 4.8354),
    ("70", "70550", 47.6193, 6.1546),
    ("71", "71270", 46.3035, 4.8337),
    ("72", "72181", 48.0074, 0.1968),
    ("73", "73065", 45.5666, 5.9206),
    ("74", "74010", 45.9055, 6.1229),
    ("75", "75056", 48.8566, 2.3522),
    ("76", "76540", 49.4433, 1.0998),
    ("77", "77288", 48.54, 2.6608),
    ("78", "78646", 48.8005, 2.1304),
    ("79", "79191", 46.3241, -0.4645),
    ("80", "80021", 49.8934, 2.2954),
    ("81", "81004", 43.9271, 2.1465),
    ("82", "82121", 44.0161, 1.3526),
    ("83", "83137", 43.1197, 5.9328),
    ("84", "84007", 43.9493, 4.8056),
    ("85", "85191", 46.6711, -1.4293),
    ("86", "86194", 46.5802, 0.3408),
    ("87", "87085", 45.8266, 1.2603),
    ("88", "88160", 48.1752, 6.4505),
    ("89", "89024", 47.7961, 3.5702),
    ("90", "90010", 47.6386, 6.8628),
    ("91", "91228", 48.6237, 2.4295),
    ("92", "92050", 48.8922, 2.2069),
    ("93", "93008", 48.9062, 2.445),
    ("94", "94028", 48.7778, 2.4532),
    ("95", "95500", 49.0508, 2.1003),
    ("971", "97105", 15.9972, -61.7323),
    ("972", "97209", 14.6074, -61.0694),
    ("973", "97302", 4.938, -52.335),
    ("974", "97411", -20.879, 55.4486),
    ("976", "97611", -12.7806, 45.2326),
]

LANGUAGES = ["fr", "ar", "en", "es", "pt", "ru", "tr", "ps", "fa", "ro", "wo", "zh"]
CASE_LANGUAGE_WEIGHTS = [50, 20, 15, 5, 2, 2, 1, 1, 1, 1, 1, 1]
SKILLS = ["oqtf", "detention", "students", "family", "work", "asylum"]


class CityLocator:
    """The 101 prefecture cities, standing in for the Gazetteer."""

    def __init__(self) -> None:
        self._communes = {insee: (lat, lon) for _, insee, lat, lon in PREFECTURE_CITIES}
        self._prefectures = {dep: (lat, lon) for dep, _, lat, lon in PREFECTURE_CITIES}

    def coordinates(self, insee: str) -> tuple[float, float] | None:
        return self._communes.get(insee)

    def prefecture_coordinates(self, department: str) -> tuple[float, float] | None:
        return self._prefectures.get(department)

    def communes_for_postal_code(self, code: str) -> list[Any]:
        return []


def gazetteer() -> tuple[Locator, list[str]] | None:
    """The real Gazetteer and the INSEE codes of its communes, when it loads."""
    try:
        from bot.understanding.places import Gazetteer
    except ImportError:
        return None
    found = Gazetteer.load()
    # The Gazetteer has no public list of communes: sweep the postal codes instead.
    codes = {
        commune.insee
        for number in range(1000, 99000)
        for commune in found.communes_for_postal_code(f"{number:05d}")
    }
    return found, sorted(codes)


def random_volunteers(rng: random.Random, count: int, communes: list[str]) -> list[Volunteer]:
    volunteers = []
    for number in range(count):
        dep, insee, _, _ = rng.choice(PREFECTURE_CITIES)
        if communes and number % 2:
            insee = rng.choice(communes)
            dep = insee[:3] if insee.startswith("97") else insee[:2]
        covered = {dep} | {rng.choice(PREFECTURE_CITIES)[0] for _ in range(rng.choice([0, 0, 1, 2]))}
        languages = ["fr", *rng.sample(LANGUAGES[1:], rng.choice([0, 1, 1, 2, 3]))]
        capacity = rng.randint(1, 5)
        volunteers.append(
            Volunteer(
                id=f"v{number:05d}",
                name=f"Démo {number}",
                association="Association Démo",
                commune=insee,
                departments=sorted(covered),
                languages=languages,
                skills=rng.sample(SKILLS, rng.choice([0, 1, 1, 2])),
                lawyer=rng.random() < 0.05,
                capacity=capacity,
                active=rng.random() < 0.9,
                open_cases=rng.randint(0, capacity),
            )
        )
    return volunteers


def random_case(rng: random.Random) -> RoutingCase:
    dep, insee, _, _ = rng.choice(PREFECTURE_CITIES)
    return RoutingCase(
        language=rng.choices(LANGUAGES, CASE_LANGUAGE_WEIGHTS)[0],
        prefecture=dep,
        commune=insee if rng.random() < 0.7 else None,
        urgency=rng.choice(["P0", "P1", "P2", "P3", "P4"]),
        removal_order=rng.random() < 0.2,
    )


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def measure(
    cases: list[RoutingCase],
    index: VolunteerIndex,
    locator: Locator,
    rng: random.Random,
    count: int,
    limit: int | None,
) -> tuple[list[float], list[float], list[int]]:
    """Wall-clock and CPU milliseconds per call (sorted), and the ranking sizes."""
    rules = load_handoff_rules()
    wall: list[float] = []
    cpu: list[float] = []
    ranked: list[int] = []
    for number, case in enumerate(cases):
        # One case in four was already offered to someone; one in four comes with live case counts.
        offered = (
            [f"v{rng.randrange(count):05d}" for _ in range(rng.randint(1, 2))] if number % 4 == 0 else []
        )
        open_cases = (
            {f"v{rng.randrange(count):05d}": rng.randint(0, 5) for _ in range(200)}
            if number % 4 == 1
            else None
        )
        started, started_cpu = time.perf_counter(), time.thread_time()
        decision = route_case(
            case, index, locator, excluded_ids=offered, open_cases=open_cases, rules=rules, limit=limit
        )
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        ranked.append(len(decision.ranking))
    return sorted(wall), sorted(cpu), ranked


def summary(timings: list[float]) -> str:
    return (
        f"p50 {percentile(timings, 0.50):5.2f}  p99 {percentile(timings, 0.99):5.2f}  max {timings[-1]:6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    found = gazetteer()
    locator: Locator = found[0] if found else CityLocator()
    communes = found[1] if found else []
    where = f"Gazetteer, {len(communes)} communes" if found else "CityLocator (101 prefecture cities)"
    volunteers = random_volunteers(rng, args.volunteers, communes)
    cases = [random_case(rng) for _ in range(args.cases)]

    started = time.perf_counter()
    index = VolunteerIndex(volunteers, locator)
    index_ms = (time.perf_counter() - started) * 1000
    route_case(cases[0], index, locator)  # warm-up: loads the rules, caches the qualification flags

    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    print(f"CPU: {cpu_name()} x {os.cpu_count()}")
    print(f"locator: {where}; {len(index.bases)} distinct volunteer bases")
    print(f"{args.volunteers} volunteers, {args.cases} cases; index built in {index_ms:.1f} ms")
    print("times in ms; target p99 <= 5 ms (wall clock; CPU time shows what other processes took)")
    for frozen, limit in ((False, None), (False, 10), (True, None), (True, 10)):
        if frozen:
            gc.collect()
            gc.freeze()
        wall, cpu, ranked = measure(cases, index, locator, rng, args.volunteers, limit)
        label = ("gc frozen" if frozen else "gc as is") + (
            ", full ranking" if limit is None else f", limit={limit}"
        )
        print(
            f"{label:>24}:  wall {summary(wall)}  |  cpu {summary(cpu)}  |  "
            f"ranked median {statistics.median(ranked):.0f} max {max(ranked)}"
        )


if __name__ == "__main__":
    main()
