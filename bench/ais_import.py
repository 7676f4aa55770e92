"""Bench: `osint ais import` against a minimal csv + executemany loader, and sqlite-utils.

    .venv/bin/python bench/ais_import.py            # 200,000 rows, 3 rounds
    .venv/bin/python bench/ais_import.py --full     # 1,000,000 rows (the issue's figure)

Each round runs the three loaders one after the other on the same generated MarineCadastre file
(interleaved, fresh database each time); the medians are compared. Each loader runs in its own
process, and its peak memory (max RSS) is read from the operating system.
Goal: osint <= 2x the minimal loader, peak memory < 150 MB.
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

BIN = Path(sys.executable).parent

MINIMAL = r"""
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
with open(sys.argv[1], newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    conn.execute("CREATE TABLE ais (" + ", ".join(f"c{i}" for i in range(len(header))) + ")")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO ais VALUES (" + ", ".join("?" * len(header)) + ")", reader
    )
    conn.execute("COMMIT")
conn.close()
"""


def run(command: list[str], env=None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a command run in a child process."""
    import resource

    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode()
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {err}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    del resource
    return seconds, usage.ru_maxrss * scale / 1e6


from harness import record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 rows")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sqlite-utils", action="store_true")
    args = parser.parse_args()
    rows = 1_000_000 if args.full else args.rows
    work = Path(tempfile.mkdtemp(prefix="osint-bench-"))
    try:
        data = aisgen.write(work / "ais.csv", rows)
        print(f"{rows:,} rows, {data.stat().st_size / 1e6:.0f} MB file")
        env = {**os.environ, "OSINT_USER": "bench"}
        timings: dict[str, list[tuple[float, float]]] = {
            "minimal": [],
            "osint": [],
            "sqlite-utils": [],
        }
        for n in range(args.rounds):
            for name in timings:
                db = work / f"{name}-{n}.db"
                if name == "minimal":
                    command = [sys.executable, "-c", MINIMAL, str(data), str(db)]
                elif name == "osint":
                    subprocess.run(
                        [BIN / "osint", "init", str(db)], env=env, check=True, capture_output=True
                    )
                    command = [str(BIN / "osint"), "--case", str(db), "ais", "import", str(data)]
                else:
                    if args.no_sqlite_utils or n > 0:
                        continue  # one run is enough to show the order of magnitude
                    command = [
                        str(BIN / "sqlite-utils"),
                        "insert",
                        str(db),
                        "ais",
                        str(data),
                        "--csv",
                    ]
                timings[name].append(run(command, env))
                print(
                    f"  round {n + 1} {name:<13} {timings[name][-1][0]:7.2f} s  {timings[name][-1][1]:6.0f} MB"
                )
                db.unlink(missing_ok=True)
        median = {k: statistics.median(t for t, _ in v) for k, v in timings.items() if v}
        peak = {k: max(m for _, m in v) for k, v in timings.items() if v}
        print()
        for name in median:
            print(
                f"{name:<13} median {median[name]:7.2f} s  peak {peak[name]:6.0f} MB  "
                f"{rows / median[name]:>10,.0f} rows/s"
            )
        print(f"\nosint / minimal loader: {median['osint'] / median['minimal']:.2f}x (goal <= 2x)")
        if "sqlite-utils" in median:
            print(f"sqlite-utils / osint:   {median['sqlite-utils'] / median['osint']:.1f}x")
        print(f"osint peak memory:      {peak['osint']:.0f} MB (goal < 150 MB)")
        record(
            f"AIS: import {rows:,} MarineCadastre rows",
            median["osint"],
            peer=median["minimal"],
            peer_name="minimal csv + executemany loader",
            goal="<= 2x, peak < 150 MB",
            met=median["osint"] / median["minimal"] <= 2 and peak["osint"] < 150,
            peak_mib=peak["osint"],
            note=(
                f"sqlite-utils insert --csv {median['sqlite-utils'] / median['osint']:.1f}x slower"
                if "sqlite-utils" in median
                else ""
            ),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
