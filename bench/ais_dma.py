"""Bench: `osint ais import` of zipped Danish Maritime Authority days, against minimal loops.

    .venv/bin/python bench/ais_dma.py            # 500,000 rows (--bbox) and 1,000,000 (all)
    .venv/bin/python bench/ais_dma.py --full     # 5,000,000 and 10,000,000 (the issue's figures)

Two figures, each measured side by side (interleaved rounds, medians, a fresh case each run):

1. `--bbox` around one port (Skagen) of a zipped DMA-layout day, against a minimal loop that only
   decompresses the zip and csv-parses every row. Goal: at most 1.5x, peak memory < 150 MB.
2. No filter, against a minimal loader that decompresses, csv-parses and `executemany`-inserts
   every row into a plain table. Goal: at most 2x, peak memory < 200 MB.

The generated day (bench/aisgen.py) is time-ordered like DMA's, with base stations and aids to
navigation mixed in and receivers' repeats (`--duplicates`, 0.7 by default: "a real Danish day
is about 70 % duplicates"). Generated files are kept in a cache folder between runs (--data).
Into an empty case the key index is built once after the rows are in; `--into-existing` measures
a case that already holds positions, where the index is kept up to date row by row.
Each command runs in its own process; peak memory is its maximum resident set size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aisgen  # noqa: E402
from harness import BIN, record, run  # noqa: E402

SKAGEN_BOX = "57.60,10.40,57.85,10.80"

PARSE_ONLY = r"""
import csv, io, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    member = archive.open(archive.infolist()[0])
    text = io.TextIOWrapper(io.BufferedReader(member, 1 << 20), encoding="utf-8", newline="")
    rows = 0
    for row in csv.reader(text):
        rows += 1
print(rows)
"""

LOADER = r"""
import csv, io, sqlite3, sys, zipfile
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
with zipfile.ZipFile(sys.argv[1]) as archive:
    member = archive.open(archive.infolist()[0])
    text = io.TextIOWrapper(io.BufferedReader(member, 1 << 20), encoding="utf-8", newline="")
    reader = csv.reader(text)
    header = next(reader)
    conn.execute("CREATE TABLE ais (" + ", ".join(f"c{i}" for i in range(len(header))) + ")")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO ais VALUES (" + ", ".join("?" * len(header)) + ")", reader)
    conn.execute("COMMIT")
conn.close()
"""


def dataset(folder: Path, rows: int, duplicates: float) -> Path:
    path = folder / f"aisdk-bench-{rows}-{int(duplicates * 100)}.zip"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".part")
        aisgen.write_dma(partial.with_suffix(".zip"), rows, duplicates=duplicates)
        partial.with_suffix(".zip").rename(path)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.0f} MB zipped) "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    return path


def seed_file(work: Path) -> Path:
    """A one-row file: imported first, it leaves the case holding positions (--into-existing)."""
    path = work / "seed.csv"
    path.write_text(aisgen.DMA_HEADER + "\n" + next(aisgen.dma_rows(1, duplicates=0.0)))
    return path


def measure(
    name: str, commands: dict, rounds: int, work: Path, env: dict, seed: Path | None = None
) -> dict:
    """Interleaved rounds of each command; `osint` runs get a fresh case made before the clock."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    peaks: dict[str, float] = dict.fromkeys(commands, 0.0)
    for n in range(rounds):
        for label, build in commands.items():
            db = work / f"{label}-{n}.db"
            db.unlink(missing_ok=True)
            argv = build(db)
            if label == "osint":
                subprocess.run([str(BIN / "osint"), "init", str(db)], env=env, check=True,
                               capture_output=True)  # fmt: skip
                if seed is not None:
                    subprocess.run([str(BIN / "osint"), "--case", str(db), "ais", "import",
                                    str(seed)], env=env, check=True, capture_output=True)  # fmt: skip
            seconds, peak_kib = run(argv, env=env)
            times[label].append(seconds)
            peaks[label] = max(peaks[label], peak_kib / 1024)
            print(f"  {name} round {n + 1} {label:<8} {seconds:7.2f} s  {peak_kib / 1024:6.0f} MiB")
            db.unlink(missing_ok=True)
    return {k: (statistics.median(v), peaks[k], v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="5,000,000 and 10,000,000 rows")
    parser.add_argument("--bbox-rows", type=int, default=None)
    parser.add_argument("--all-rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duplicates", type=float, default=0.7, help="share of repeated rows")
    parser.add_argument("--only", choices=["bbox", "all"], help="run one figure")
    parser.add_argument(
        "--into-existing",
        action="store_true",
        help="import into a case that already holds positions (the key index is kept up to date "
        "row by row instead of built once at the end)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "osint-bench-ais",
        help="folder for the generated files (kept between runs)",
    )
    args = parser.parse_args()
    bbox_rows = args.bbox_rows or (5_000_000 if args.full else 500_000)
    all_rows = args.all_rows or (10_000_000 if args.full else 1_000_000)
    args.data.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="osint-bench-"))
    env = {**os.environ, "OSINT_USER": "bench"}
    osint = str(BIN / "osint")
    results = []
    if args.only in (None, "bbox"):
        data = dataset(args.data, bbox_rows, args.duplicates)
        print(f"figure 1: {bbox_rows:,} rows, --bbox {SKAGEN_BOX}")
        got = measure(
            "bbox",
            {
                "minimal": lambda db: [sys.executable, "-c", PARSE_ONLY, str(data)],
                "osint": lambda db: [
                    osint,
                    "--case",
                    str(db),
                    "ais",
                    "import",
                    str(data),
                    "--bbox",
                    SKAGEN_BOX,
                ],  # fmt: skip
            },
            args.rounds,
            work,
            env,
        )
        results.append(("--bbox vs decompress + csv-parse", bbox_rows, got, 1.5, 150))
    if args.only in (None, "all"):
        data = dataset(args.data, all_rows, args.duplicates)
        print(f"figure 2: {all_rows:,} rows, no filter")
        got = measure(
            "all",
            {
                "minimal": lambda db: [sys.executable, "-c", LOADER, str(data), str(db)],
                "osint": lambda db: [osint, "--case", str(db), "ais", "import", str(data)],
            },
            args.rounds,
            work,
            env,
            seed=seed_file(work) if args.into_existing else None,
        )
        figure = "no filter vs csv + executemany loader"
        if args.into_existing:
            figure += ", into a case holding positions"
        results.append((figure, all_rows, got, 2.0, 200))
    print()
    for figure, rows, got, goal, memory_goal in results:
        ours, peer = got["osint"][0], got["minimal"][0]
        ratio = ours / peer
        print(
            f"{figure} ({rows:,} rows, {args.duplicates:.0%} repeats): osint {ours:.2f} s, "
            f"minimal {peer:.2f} s, ratio {ratio:.2f} (goal <= {goal:g}: "
            f"{'ok' if ratio <= goal else 'MISSED'}); osint peak {got['osint'][1]:.0f} MiB "
            f"(goal < {memory_goal}: {'ok' if got['osint'][1] < memory_goal else 'MISSED'}), "
            f"minimal peak {got['minimal'][1]:.0f} MiB; {rows / ours:,.0f} rows/s"
        )
        record(
            f"AIS: {rows:,} DMA rows, {figure}",
            ours,
            peer=peer,
            peer_name="minimal loop" if "bbox" in figure else "minimal loader",
            goal=f"<= {goal:g}x, peak < {memory_goal} MB",
            met=ratio <= goal and got["osint"][1] < memory_goal,
            peak_mib=got["osint"][1],
            note=f"{args.duplicates:.0%} repeated reports",
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
