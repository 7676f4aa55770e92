"""`make bench`: every benchmark, one after the other, then one table of figures against peers.

    .venv/bin/python bench/run.py              # quick sizes (a few minutes)
    .venv/bin/python bench/run.py --full       # the issues' sizes (long: 10M AIS rows, 500 MB lists)
    .venv/bin/python bench/run.py --only startup search

Each bench script runs in its own process and notes its figures through `harness.record`; this
script collects them, prints the table and writes it, with the machine described, to
bench/RESULTS.md. The machine should be otherwise idle: ratios are measured side by side, but
two cores shared with other work still blur them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name: (script, extra arguments for quick runs, extra arguments for --full)
BENCHES = {
    "startup": ("startup.py", [], ["--runs", "40"]),
    "imagery": ("imagery_ingest.py", [], ["--full"]),
    "ais": ("ais_import.py", [], ["--full"]),
    "ais-dma": ("ais_dma.py", [], ["--full"]),
    "ais-scale": ("ais_scale.py", ["--rounds", "2"], ["--rows", "5000000"]),
    "visits": ("visits.py", [], ["--full"]),
    "events": ("events.py", [], ["--full"]),
    "search": ("search.py", [], ["--full"]),
    "verify": ("verify.py", [], ["--full"]),
    "brief": ("brief_export.py", [], ["--full"]),
    "capture": ("capture.py", [], []),
    "screening": ("screening.py", [], ["--full"]),
    "scale": ("scale.py", [], ["--full"]),
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def _fmt(value, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:,.2f} {unit}"


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| figure | osint | peer | ratio | goal | met | peak memory | note |",
        "| --- | ---: | --- | ---: | --- | --- | ---: | --- |",
    ]
    for row in rows:
        peer = (
            f"{_fmt(row['peer'], row['unit'])} ({row['peer_name']})"
            if row["peer"]
            else row["peer_name"]
        )
        ratio = f"{row['ratio']:.2f}x" if row.get("ratio") else ""
        met = {True: "yes", False: "**MISSED**", None: ""}[row["met"]]
        peak = f"{row['peak_mib']:.0f} MiB" if row.get("peak_mib") else ""
        lines.append(
            f"| {row['figure']} | {_fmt(row['ours'], row['unit'])} | {peer} | {ratio} | "
            f"{row['goal']} | {met} | {peak} | {row.get('note', '')} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issues' sizes (long)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    args = parser.parse_args()
    chosen = args.only or list(BENCHES)
    rows: list[dict] = []
    failed = []
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as sink:
        results = Path(sink.name)
    env = {**os.environ, "OSINT_BENCH_RESULTS": str(results)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed code runs from bytecode
    started = time.time()
    for name in chosen:
        script, quick, full = BENCHES[name]
        if not (HERE / script).exists():
            continue
        print(f"\n=== {name} ({script})", flush=True)
        status = subprocess.call(
            [sys.executable, str(HERE / script), *(full if args.full else quick)], env=env
        )
        if status:
            failed.append(name)
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    results.unlink()
    lines = table(rows)
    print("\n" + "\n".join(lines))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    report = [
        "# Benchmark results",
        "",
        f"Written by `make bench{' FULL=1' if args.full else ''}` on {time.strftime('%Y-%m-%d', time.gmtime(started))}"
        f" ({'the issues sizes' if args.full else 'quick sizes'}; {time.time() - started:.0f} s in all).",
        "",
        f"Machine: {machine()}.",
        "",
        "Each figure is a median of interleaved runs against its peer on the same data, in the",
        "same run; peak memory is the largest resident set of one osint process.",
        "",
        *lines,
    ]
    if failed:
        report += ["", f"Benches that failed to run: {', '.join(failed)}."]
    (HERE / "RESULTS.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print(f"\nwrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
