"""Bench: `osint ais import` at archive scale (issue 20), each figure measured side by side.

    .venv/bin/python bench/ais_scale.py                 # 1,000,000-row days
    .venv/bin/python bench/ais_scale.py --rows 5000000  # the issue's 5 M-row day

1. One zipped DMA-layout day with --bbox (Skagen): osint (vectorised reader) against
   - the bare Python decompress-and-parse loop (zipfile + csv.reader, every row): goal <= 0.5x;
   - DuckDB's read_csv with the same filter, on the same zip member decompressed the same way
     (the stream osint inflates, ISA-L's when python-isal is installed, handed to DuckDB):
     goal <= 1.5x;
   and, for the record, osint's pure-Python reader (the fallback without pyarrow), osint with
   zlib's inflate (without python-isal), and pyarrow against DuckDB as bare readers (the
   measurement that chose pyarrow).
2. Eight such days (distinct files): `osint ais import DIR --bbox --workers 2` against eight
   single-process imports one after the other into one case: goal <= 0.6x on 2 cores.
Peak memory is each command's maximum resident set size (for the many-file run, the largest of
the writer and its worker processes: os.wait4 reports the peak of a process and the children it
waited for). Goal < 300 MB per worker.

DuckDB is needed for the bench only (pip install duckdb); generated days are kept in --data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aisgen  # noqa: E402
from ais_dma import PARSE_ONLY, SKAGEN_BOX  # noqa: E402
from harness import BIN, line, record  # noqa: E402

S, W, N, E = (float(x) for x in SKAGEN_BOX.split(","))

# The zip member is inflated as osint inflates it (ISA-L when python-isal is installed), so that
# the two differ in parsing and filtering alone.
DUCKDB = rf"""
import io, sys, zipfile, duckdb
from osint.maritime.ais import inflate
con = duckdb.connect()
with zipfile.ZipFile(sys.argv[1]) as archive, open(sys.argv[1], "rb") as handle:
    member = inflate.open_member(archive, handle, archive.infolist()[0])
    rel = con.read_csv(io.BufferedReader(member, 1 << 20), all_varchar=True)
    rows = rel.filter(
        "TRY_CAST(Latitude AS DOUBLE) BETWEEN {S} AND {N} "
        "AND TRY_CAST(Longitude AS DOUBLE) BETWEEN {W} AND {E}"
    ).fetchall()
print(len(rows))
"""

ARROW = rf"""
import io, sys, zipfile
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.compute as pc
with zipfile.ZipFile(sys.argv[1]) as archive:
    member = io.BufferedReader(archive.open(archive.infolist()[0]), 1 << 20)
    reader = pacsv.open_csv(member, convert_options=pacsv.ConvertOptions(
        include_columns=["Latitude", "Longitude"]))
    kept = 0
    for batch in reader:
        lat, lon = batch.column(0), batch.column(1)
        inside = pc.and_(pc.and_(pc.greater_equal(lat, {S}), pc.less_equal(lat, {N})),
                         pc.and_(pc.greater_equal(lon, {W}), pc.less_equal(lon, {E})))
        kept += pc.sum(inside).as_py() or 0
print(kept)
"""


def patched(patch: str) -> str:
    """A `python -c` script: `patch`, then the osint CLI with the rest of the arguments."""
    return f"import sys\n{patch.strip()}\nfrom osint.cli import main\n" + (
        'sys.argv = ["osint", *sys.argv[1:]]\nmain()\n'
    )


# osint with the vectorised reader switched off: the pure-Python fallback.
PYTHON_READER = patched("""
import osint.maritime.ais.vector as vector
vector.available = lambda: False
""")

# osint with every row through the import loop (no bulk filtering before it): for NMEA, every
# sentence decoded by pyais.
EVERY_ROW = patched("""
import osint.maritime.ais.importer as importer
open_reader = importer.open_reader
def every_row(path, options, filters, vectorised):
    options.vectorised = False
    return open_reader(path, options, filters, False)
importer.open_reader = every_row
""")

# osint with zlib's inflate instead of ISA-L's (without python-isal).
ZLIB = patched("""
import osint.maritime.ais.inflate as inflate
inflate.available = lambda: False
""")


def day(folder: Path, rows: int, seed: int) -> Path:
    path = folder / f"aisdk-{rows}-{seed}.zip"
    if not path.exists():
        started = time.perf_counter()
        partial = folder / f"partial-{path.name}"
        aisgen.write_dma(partial, rows, duplicates=0.7, seed=seed)
        partial.rename(path)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return path


def boxed(db: Path, path: Path) -> list[str]:
    """The arguments of `osint ais import PATH --bbox` (Skagen) into the case `db`."""
    return ["--case", str(db), "ais", "import", str(path), "--bbox", SKAGEN_BOX]


def fresh_case(path: Path, env: dict) -> None:
    path.unlink(missing_ok=True)
    subprocess.run([str(BIN / "osint"), "init", str(path)], env=env, check=True,
                   capture_output=True)  # fmt: skip


def run_cpu(argv: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process and its children, peak RSS in KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"bench command failed: {' '.join(map(str, argv))}\n{err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(commands: dict, rounds: int, work: Path, env: dict) -> dict:
    """Interleaved rounds; a command is a function (case path) -> list of argv to run in turn.
    Returns label -> (median wall seconds, peak MiB, median CPU seconds)."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpus: dict[str, list[float]] = {k: [] for k in commands}
    peaks = dict.fromkeys(commands, 0.0)
    for n in range(rounds):
        for label, build in commands.items():
            db = work / f"{label}.db"
            fresh_case(db, env)
            total = cpu = 0.0
            for argv in build(db):
                seconds, used, peak = run_cpu(argv, env)
                total += seconds
                cpu += used
                peaks[label] = max(peaks[label], peak / 1024)
            times[label].append(total)
            cpus[label].append(cpu)
            print(f"  round {n + 1} {label:<14} {total:7.2f} s  (CPU {cpu:6.2f} s)  "
                  f"{peaks[label]:6.0f} MiB  load {os.getloadavg()[0]:.1f}")  # fmt: skip
    return {
        k: (statistics.median(v), peaks[k], statistics.median(cpus[k])) for k, v in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per day")
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["one", "many", "nmea"])
    parser.add_argument("--data", type=Path,
                        default=Path(tempfile.gettempdir()) / "osint-bench-ais")  # fmt: skip
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="osint-bench-scale-"))
    env = {**os.environ, "OSINT_USER": "bench"}
    osint = str(BIN / "osint")
    python = sys.executable
    results = []
    if args.only in (None, "one"):
        data = day(args.data, args.rows, seed=7)
        print(f"figure 1: one DMA day, {args.rows:,} rows, --bbox {SKAGEN_BOX}")
        from importlib.util import find_spec

        peers = {"bare-python": lambda db: [[python, "-c", PARSE_ONLY, str(data)]]}
        if find_spec("duckdb"):
            peers["duckdb"] = lambda db: [[python, "-c", DUCKDB, str(data)]]
        else:
            print("  (duckdb is not installed: pip install duckdb to measure against it)")
        got = measure(
            {
                **peers,
                "pyarrow": lambda db: [[python, "-c", ARROW, str(data)]],
                "osint": lambda db: [[osint, *boxed(db, data)]],
                "osint-zlib": lambda db: [[python, "-c", ZLIB, *boxed(db, data)]],
                "osint-python": lambda db: [[python, "-c", PYTHON_READER, *boxed(db, data)]],
            },
            args.rounds,
            work,
            env,
        )
        ours, peak = got["osint"][:2]
        bare = got["bare-python"][0]
        results.append(line("one day --bbox vs bare Python parse", ours, bare, 0.5,
                            peer_name="csv loop"))  # fmt: skip
        record(f"AIS scale: {args.rows:,} DMA rows zipped, --bbox vs decompress + csv-parse",
               ours, peer=bare, peer_name="bare Python loop", goal="<= 0.5x",
               met=ours <= 0.5 * bare, peak_mib=peak,
               note=f"pure-Python reader {got['osint-python'][0] / bare:.2f}x, zlib's inflate "
               f"{got['osint-zlib'][0] / bare:.2f}x")  # fmt: skip
        line("  pure-Python reader vs bare Python parse", got["osint-python"][0], bare, None,
             peer_name="csv loop")  # fmt: skip
        line("  zlib's inflate (no python-isal) vs bare Python parse", got["osint-zlib"][0], bare,
             None, peer_name="csv loop")  # fmt: skip
        if "duckdb" in got:
            duck = got["duckdb"][0]
            results.append(line("one day --bbox vs DuckDB read_csv", ours, duck, 1.5,
                                peer_name="duckdb"))  # fmt: skip
            record(f"AIS scale: {args.rows:,} DMA rows zipped, --bbox vs DuckDB read_csv", ours,
                   peer=duck, peer_name="DuckDB read_csv, same filter", goal="<= 1.5x",
                   met=ours <= 1.5 * duck, peak_mib=peak,
                   note=f"DuckDB peak {got['duckdb'][1]:.0f} MiB; bare pyarrow "
                   f"{got['pyarrow'][0] / duck:.2f}x DuckDB")  # fmt: skip
            line("  pyarrow bare reader vs DuckDB read_csv", got["pyarrow"][0], duck, None,
                 peer_name="duckdb")  # fmt: skip
            print(f"  peak memory: osint {peak:.0f} MiB, DuckDB {got['duckdb'][1]:.0f} MiB")
    if args.only in (None, "many"):
        folder = args.data / f"days-{args.rows}"
        folder.mkdir(exist_ok=True)
        files = []
        for n in range(args.days):
            path = folder / f"aisdk-2023-03-{10 + n:02d}.zip"
            if not path.exists():
                day(args.data, args.rows, seed=100 + n).rename(path)
            files.append(path)
        print(f"figure 2: {args.days} days of {args.rows:,} rows, --bbox, "
              f"--workers {args.workers}")  # fmt: skip
        got = measure(
            {
                "one-by-one": lambda db: [[osint, *boxed(db, f)] for f in files],
                "workers": lambda db: [[osint, *boxed(db, folder), "--workers", str(args.workers)]],
            },
            args.rounds,
            work,
            env,
        )
        results.append(line(f"{args.days} days, --workers {args.workers} vs one by one",
                            got["workers"][0], got["one-by-one"][0], 0.6,
                            peer_name="single imports"))  # fmt: skip
        print(f"  peak memory of the largest process: {got['workers'][1]:.0f} MiB (goal < 300)")
        wall, single = got["workers"][0], got["one-by-one"][0]
        record(f"AIS scale: {args.days} days of {args.rows:,} rows, --bbox, --workers "
               f"{args.workers} vs one by one", wall, peer=single,
               peer_name=f"{args.days} single-process imports", goal="<= 0.6x, peak < 300 MB",
               met=wall <= 0.6 * single and got["workers"][1] < 300, peak_mib=got["workers"][1],
               note=f"CPU {got['workers'][2]:.1f} s vs {got['one-by-one'][2]:.1f} s")  # fmt: skip
        print(f"  CPU: {got['workers'][2]:.2f} s with workers, {got['one-by-one'][2]:.2f} s one "
              f"by one; on {args.workers} free cores the workers' wall time would be about "
              f"{got['workers'][2] / args.workers:.2f} s "
              f"({got['workers'][2] / args.workers / got['one-by-one'][0]:.2f}x); the load "
              "average above says how free the cores were")  # fmt: skip
    if args.only in (None, "nmea"):
        lines = max(1000, args.rows // 5)
        log = args.data / f"receiver-{lines}.nmea.gz"
        if not log.exists():
            started = time.perf_counter()
            aisgen.write_nmea(args.data / "partial.nmea.gz", lines, seed=11).rename(log)
            print(f"  generated {log.name} in {time.perf_counter() - started:.0f} s")
        print(f"figure 3: a receiver's NMEA log, {lines:,} lines, --bbox {SKAGEN_BOX}")
        got = measure(
            {
                "pyais-every-row": lambda db: [[python, "-c", EVERY_ROW, *boxed(db, log)]],
                "osint": lambda db: [[osint, *boxed(db, log)]],
            },
            args.rounds,
            work,
            env,
        )
        line("NMEA log --bbox vs every sentence decoded by pyais", got["osint"][0],
             got["pyais-every-row"][0], None, peer_name="pyais")  # fmt: skip
        record(f"AIS scale: NMEA log of {lines:,} lines, --bbox, vs every sentence through pyais",
               got["osint"][0], peer=got["pyais-every-row"][0],
               peer_name="the same import, no bulk filtering",
               peak_mib=got["osint"][1])  # fmt: skip
    missed = [r for r in results if r["met"] is False]
    print("all goals met" if not missed else f"{len(missed)} goal(s) missed")


if __name__ == "__main__":
    main()
