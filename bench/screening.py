"""Bench: sanctions screening speed and list-import memory.

    .venv/bin/python bench/screening.py            # 50 MB FtM file, 1,000 vessels x 5,000 listed
    .venv/bin/python bench/screening.py --full     # the issue's 500 MB FtM file

1. Screening: a case with 1,000 vessels (names, aliases, former names, some IMOs) screened
   against a list of 5,000 vessels (with aliases and former names), as `osint screen --json`
   in a child process (startup included) and as the library call. Goal: under a second.
2. Import: a generated OpenSanctions-like `entities.ftm.json` (people, companies, sanctions,
   ownerships and 5,000 vessels, one entity per line) imported with `osint lists import`, against
   a bare line-by-line `json.loads` of the same file in a child process. Goal: peak memory under
   200 MB; the time ratio against the bare parse is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SYLLABLES = [
    "chon",
    "ma",
    "san",
    "yu",
    "son",
    "paek",
    "kum",
    "un",
    "rye",
    "song",
    "gang",
    "nam",
    "ji",
    "sae",
    "byol",
    "an",
    "pyong",
    "hae",
    "sam",
    "jong",
    "kwang",
    "myong",
    "tae",
    "dong",
    "ho",
    "ryong",
    "sin",
    "hung",
    "chol",
    "bong",
    "hwa",
    "mun",
    "ok",
    "rak",
    "won",
    "il",
    "kang",
    "su",
]
WORDS = [
    "ocean",
    "star",
    "pearl",
    "dragon",
    "sea",
    "wind",
    "sun",
    "moon",
    "grace",
    "glory",
    "fortune",
    "light",
]

BARE = r"""
import json, sys
count = 0
with open(sys.argv[1], "rb") as handle:
    for line in handle:
        json.loads(line)
        count += 1
print(count)
"""


def imo(rng: random.Random) -> str:
    from osint.maritime.identifiers import imo_check_digit

    six = str(rng.randint(100000, 999999))
    if six[0] == "0":
        six = "9" + six[1:]
    return six + str(imo_check_digit(six))


def word(rng: random.Random) -> str:
    return "".join(
        rng.choice("bcdghjklmnprstvwyz") + rng.choice(("a", "e", "i", "o", "u", "ae", "yo", "ya"))
        for _ in range(rng.randint(1, 3))
    )


def vessel_name(rng: random.Random) -> str:
    """Names that look like listed tankers' (two or three words, a hull number now and then)."""
    if rng.random() < 0.2:
        name = f"{rng.choice(WORDS)} {word(rng)}"
    elif rng.random() < 0.3:
        name = " ".join(rng.choice(SYLLABLES) for _ in range(3))
    else:
        name = " ".join(word(rng) for _ in range(rng.randint(1, 3)))
    name = name.upper()
    return f"{name} {rng.randint(1, 12)}" if rng.random() < 0.3 else name


def write_list(path: Path, *, vessels: int, target_bytes: int, seed: int = 7) -> list[dict]:
    """An FtM file of about `target_bytes`: `vessels` vessels with owners, the rest noise."""
    rng = random.Random(seed)
    listed = []
    meta = {"datasets": ["bench_list"], "first_seen": "2020-01-01T00:00:00",
            "last_seen": "2024-03-05T00:00:00"}  # fmt: skip
    with open(path, "w", encoding="utf-8") as out:
        for i in range(vessels):
            name = vessel_name(rng)
            props = {"name": [name], "imoNumber": [f"IMO{imo(rng)}"], "flag": ["kp"]}
            if rng.random() < 0.5:
                props["alias"] = [vessel_name(rng)]
            if rng.random() < 0.3:
                props["previousName"] = [vessel_name(rng)]
            entity = {"id": f"ves-{i}", "schema": "Vessel", "properties": props, **meta}
            listed.append(entity)
            out.write(json.dumps(entity) + "\n")
            out.write(json.dumps({"id": f"own-{i}", "schema": "Ownership", **meta,
                                  "properties": {"owner": [f"co-{i}"], "asset": [f"ves-{i}"],
                                                 "role": ["Registered owner"]}}) + "\n")  # fmt: skip
            out.write(json.dumps({"id": f"co-{i}", "schema": "Company", **meta,
                                  "properties": {"name": [f"{name.title()} Shipping Co"],
                                                 "country": ["kp"]}}) + "\n")  # fmt: skip
        n = 0
        while out.tell() < target_bytes:
            n += 1
            person = {
                "id": f"per-{n}",
                "schema": "Person",
                **meta,
                "properties": {
                    "name": [f"{rng.choice(SYLLABLES).title()} {rng.choice(SYLLABLES).title()}"],
                    "birthDate": [
                        f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
                    ],
                    "nationality": ["kp"],
                    "notes": ["A generated person for the bench, not a real one. " * 3],
                    "topics": ["sanction"],
                },
            }
            out.write(json.dumps(person) + "\n")
            out.write(json.dumps({"id": f"san-{n}", "schema": "Sanction", **meta,
                                  "properties": {"entity": [f"per-{n}"], "authority": ["Bench"],
                                                 "program": ["BENCH"]}}) + "\n")  # fmt: skip
    return listed


def build_case(db: Path, listed: list[dict], count: int, seed: int = 11) -> None:
    """A case with `count` vessels: a tenth share a listed IMO, a tenth a listed name."""
    from osint.case import records
    from osint.case.handle import init_case

    rng = random.Random(seed)
    with init_case(db, title="bench", actor="bench", command="bench") as case, case.writing():
        for i in range(count):
            roll = rng.random()
            if roll < 0.1:
                entity = rng.choice(listed)
                name, number = vessel_name(rng), entity["properties"]["imoNumber"][0][3:]
            elif roll < 0.2:
                name, number = rng.choice(listed)["properties"]["name"][0], None
            else:
                name, number = vessel_name(rng), None
            row = records.create(
                case, "vessel", {"name": f"{name}", "imo": number, "note": f"bench {i}"}
            )
            if rng.random() < 0.3:
                records.create(
                    case,
                    "vessel-name",
                    {"vessel": row["id"], "name": vessel_name(rng), "name_type": "former"},
                )


def timed(command: list[str], env=None) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, stdout) of a command in a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed: {child.stderr.read().decode()}")
    return seconds, usage.ru_maxrss * 1024 / 1e6, out.decode()


from harness import record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="a 500 MB FtM file")
    parser.add_argument("--mb", type=int, default=50, help="size of the FtM file (default 50)")
    parser.add_argument("--vessels", type=int, default=1000, help="case vessels")
    parser.add_argument("--listed", type=int, default=5000, help="listed vessels")
    args = parser.parse_args()
    megabytes = 500 if args.full else args.mb
    work = Path(tempfile.mkdtemp(prefix="osint-bench-screening-"))
    env = {**os.environ, "OSINT_USER": "bench"}
    try:
        ftm = work / "entities.ftm.json"
        start = time.perf_counter()
        listed = write_list(ftm, vessels=args.listed, target_bytes=megabytes * 1_000_000)
        size = ftm.stat().st_size
        print(f"generated {size / 1e6:.0f} MB FtM file in {time.perf_counter() - start:.0f} s")
        db = work / "case.db"
        build_case(db, listed, args.vessels)

        # 2. import against a bare parse (run first: the file is then warm in the page cache).
        bare_s, bare_mb, _ = timed([sys.executable, "-c", BARE, str(ftm)])
        ours_s, ours_mb, _ = timed(
            [str(BIN / "osint"), "--case", str(db), "lists", "import", str(ftm)], env
        )
        print(f"\nimport {size / 1e6:.0f} MB FtM file")
        print(f"  bare json.loads per line  {bare_s:7.2f} s  peak {bare_mb:6.0f} MB")
        print(f"  osint lists import        {ours_s:7.2f} s  peak {ours_mb:6.0f} MB")
        print(f"  ratio osint / bare parse  {ours_s / bare_s:7.2f}x")
        print(f"  peak memory               {ours_mb:7.0f} MB (goal < 200 MB)")

        # 1. screening
        from osint.case.handle import open_case
        from osint.screening import names, screen

        with open_case(db, readonly=True) as case:
            runs = []
            for _ in range(3):
                for cached in (names.comparable, names.folded, names.korean_fold,
                               names._compare_tokens):  # fmt: skip
                    cached.cache_clear()  # every run starts cold, as a command does
                start = time.perf_counter()
                result = screen.screen(case.conn)
                runs.append(time.perf_counter() - start)
        found = {r["vessel"] for r in result["rows"] if r["found"]}
        cli_runs = [
            timed([str(BIN / "osint"), "--case", str(db), "--json", "screen"], env)[0]
            for _ in range(3)
        ]
        print(f"\nscreen {args.vessels:,} vessels against {args.listed:,} listed vessels")
        print(f"  library call, cold (median 3)   {sorted(runs)[1]:6.3f} s")
        print(f"  osint --json screen (median 3)  {sorted(cli_runs)[1]:6.3f} s (goal < 1 s)")
        print(f"  vessels with a match            {len(found):,}")
        record(
            f"screening: {args.vessels:,} vessels against {args.listed:,} listed (osint --json screen)",
            sorted(cli_runs)[1],
            goal="< 1 s",
            met=sorted(cli_runs)[1] < 1,
            note=f"library call {sorted(runs)[1]:.2f} s",
        )
        record(
            f"screening: import a {size / 1e6:.0f} MB FtM list",
            ours_s,
            peer=bare_s,
            peer_name="line-by-line json.loads",
            goal="peak < 200 MB",
            met=ours_mb < 200,
            peak_mib=ours_mb * 1e6 / 2**20,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
