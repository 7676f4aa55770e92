"""Bench: `osint ais encounters` and `osint ais anomalies` over 10,000,000 AIS positions.

    .venv/bin/python bench/events.py                 # 1,000,000 rows
    .venv/bin/python bench/events.py --full          # 10,000,000 rows (the issue's figure)
    .venv/bin/python bench/events.py --case FILE     # reuse a case built before (--keep)

Builds a case from a generated MarineCadastre file (bench/aisgen.py: 60 tankers reporting every
two minutes over eight months, two days in nine bunched together at the terminal), imported with
the real `osint ais import`. No place is recorded, so the terminal's crowd counts as "at sea":
the hard case for the encounter grid (about a dozen slow ships within a kilometre at every
instant). Then times each command as a process of its own (startup included) with its peak
memory; goal: under 30 s and 500 MB each.

Correctness peer: on the first 100,000 rows of the same data (a case of its own), the grid's
encounters are compared with `encounters.reference()`, which compares every pair of tracks at
every instant: the two must agree exactly; both are timed in process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aisgen  # noqa: E402
from harness import record, run, tool  # noqa: E402


def build(work: Path, rows: int, env: dict, name: str) -> Path:
    data = work / f"{name}.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        import csv

        writer = csv.writer(handle)
        writer.writerow(aisgen.HEADER)
        writer.writerows(itertools.islice(aisgen.rows(10_000_000), rows))
    db = work / f"{name}.db"
    osint = tool("osint")
    subprocess.run([osint, "init", str(db)], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([osint, "-C", str(db), "ais", "import", str(data)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    print(f"built {db.name}: {rows:,} rows imported in {time.perf_counter() - start:.1f} s")
    data.unlink()
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--full", action="store_true", help="10,000,000 rows")
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--case", type=Path, help="an existing case to time instead of building")
    parser.add_argument("--keep", action="store_true", help="keep the built case")
    args = parser.parse_args()
    rows = 10_000_000 if args.full else args.rows
    work = Path(tempfile.mkdtemp(prefix="osint-bench-events-"))
    env = {**os.environ, "OSINT_USER": "bench"}
    osint = tool("osint")
    try:
        # the exactness check first (small, in process)
        from osint.case.handle import open_case
        from osint.maritime.events import encounters

        sample = build(work, args.sample, env, "sample")
        settings = {
            "default rule": encounters.Params(),
            "1,500 m for 30 min": encounters.Params(max_distance_m=1500, min_hours=0.5),
        }
        for label, params in settings.items():
            with open_case(sample, readonly=True) as case:
                start = time.perf_counter()
                candidates = encounters.collect(case.conn, params)
                collect_s = time.perf_counter() - start
                start = time.perf_counter()
                grid = encounters.find(case.conn, params, candidates=candidates)
                grid_s = time.perf_counter() - start
                start = time.perf_counter()
                ref = encounters.reference(case.conn, params, candidates=candidates)
                ref_s = time.perf_counter() - start
            same = grid == ref
            print(
                f"sample {args.sample:,} rows, {label}: {len(candidates.slot):,} candidate "
                f"instants, {len(grid):,} encounters by the grid, {len(ref):,} by the pairwise "
                f"reference: {'identical' if same else 'DIFFERENT'}; resampling {collect_s:.2f} s,"
                f" grid {grid_s:.2f} s, pairwise {ref_s:.2f} s ({ref_s / max(grid_s, 1e-9):.1f}x)"
            )
            record(
                f"events: encounters grid vs pairwise reference, {args.sample:,} rows, {label}",
                grid_s,
                peer=ref_s,
                peer_name="every pair of tracks",
                goal="identical results",
                met=same,
                note=f"{len(grid)} encounters",
            )
            if not same:
                raise SystemExit("the grid and the pairwise reference disagree")
        db = args.case or build(work, rows, env, "case")
        for command in (["ais", "encounters"], ["ais", "anomalies"], ["ais", "loitering"]):
            seconds, peak = run([osint, "-C", str(db), *command, "--json"], env=env)
            out = subprocess.run([osint, "-C", str(db), *command, "--json"], env=env,
                                 capture_output=True, check=True)  # fmt: skip
            found = len(json.loads(out.stdout))
            goal = command[1] in ("encounters", "anomalies")
            met = seconds < 30 and peak / 1024 < 500
            print(
                f"osint {' '.join(command)} over {rows:,} rows: {seconds:.1f} s, peak "
                f"{peak / 1024:.0f} MiB, {found:,} rows"
                + (f" (goal < 30 s and < 500 MB: {'ok' if met else 'MISSED'})" if goal else "")
            )
            record(
                f"events: osint {' '.join(command)} over {rows:,} AIS rows",
                seconds,
                goal="< 30 s, < 500 MB" if goal else "(reported)",
                met=met if goal else None,
                peak_mib=peak / 1024,
                note=f"{found} rows",
            )
        if args.keep and not args.case:
            kept = Path(tempfile.gettempdir()) / f"osint-events-{rows}.db"
            shutil.move(db, kept)
            print(f"kept {kept}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
