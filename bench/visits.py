"""Bench: `osint visits` over imported AIS rows (goal: under a second at 1,000,000 rows).

    .venv/bin/python bench/visits.py            # 200,000 rows
    .venv/bin/python bench/visits.py --full     # 1,000,000 rows (the issue's figure)

Builds a case (generated MarineCadastre file, one terminal), then times the real command
`osint visits --json` (a process of its own, startup included; median of 5) against its peer, a
plain Python loop that reads every position in (MMSI, time) order and applies the same radius
and 48-hour rules (both also timed in process, without startup).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aisgen  # noqa: E402

BIN = Path(sys.executable).parent


def naive(db: Path, lat0: float, lon0: float, radius_m: float, gap: int = 48 * 3600) -> int:
    """The peer: every row through Python, haversine distance, visits counted per MMSI."""
    conn = sqlite3.connect(db)
    visits = 0
    last: dict[int, int] = {}
    for mmsi, epoch, lat, lon in conn.execute(
        "SELECT mmsi, epoch, lat, lon FROM ais_positions ORDER BY mmsi, epoch"
    ):
        p1, p2 = math.radians(lat0), math.radians(lat)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon - lon0) / 2) ** 2
        )
        if 2 * 6371008.8 * math.asin(math.sqrt(a)) > radius_m:
            continue
        if mmsi not in last or epoch - last[mmsi] > gap:
            visits += 1
        last[mmsi] = epoch
    conn.close()
    return visits


from harness import record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 rows")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = 1_000_000 if args.full else args.rows
    work = Path(tempfile.mkdtemp(prefix="osint-bench-"))
    env = {**os.environ, "OSINT_USER": "bench"}
    osint = str(BIN / "osint")
    try:
        data = aisgen.write(work / "ais.csv", rows)
        db = work / "case.db"
        subprocess.run([osint, "init", str(db)], env=env, check=True, capture_output=True)
        subprocess.run([osint, "-C", str(db), "ais", "import", str(data)], env=env, check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([osint, "-C", str(db), "place", "add", "Vostochny", "--at", "42.73,133.06",
                        "--radius-m", "1500"], env=env, check=True, capture_output=True)  # fmt: skip
        ours, inproc, peer = [], [], []
        from osint.case.handle import open_case
        from osint.maritime import visits

        result = naive_count = None
        for _ in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run([osint, "-C", str(db), "visits", "--json"], env=env, check=True,
                                  capture_output=True)  # fmt: skip
            ours.append(time.perf_counter() - start)
            result = json.loads(done.stdout)
            with open_case(db, readonly=True) as case:
                start = time.perf_counter()
                visits.compute(case.conn, visits.Query()).per_vessel()
                inproc.append(time.perf_counter() - start)
            start = time.perf_counter()
            naive_count = naive(db, 42.73, 133.06, 1500)
            peer.append(time.perf_counter() - start)
        total = sum(r["visits"] for r in result)
        print(
            f"{rows:,} AIS rows; osint visits found {total:,} visits ({naive_count:,} by the peer)"
        )
        print(f"osint visits (CLI, startup included): median {statistics.median(ours):.2f} s "
              f"(goal < 1 s)")  # fmt: skip
        print(f"osint visits computation (in process): median {statistics.median(inproc):.2f} s")
        print(f"peer Python loop (in process):         median {statistics.median(peer):.2f} s")
        print(
            f"peer / osint (in process): {statistics.median(peer) / statistics.median(inproc):.1f}x"
        )
        record(
            f"visits: osint visits over {rows:,} AIS rows (command)",
            statistics.median(ours),
            goal="< 1 s",
            met=statistics.median(ours) < 1,
            note=f"computation {statistics.median(inproc):.2f} s; a plain Python loop "
            f"{statistics.median(peer):.2f} s",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
