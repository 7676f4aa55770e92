"""Search latency over a case with 100,000 records (median and 95th percentile).

    .venv/bin/python bench/search.py            # 20,000 records
    .venv/bin/python bench/search.py --full     # 100,000 records (the issue's figure)

Two figures: the query itself in process (what the index costs), and the whole `osint search`
command as a user runs it (startup included), against `sqlite-utils search` on the same index.
Goal (issue 7): commands that search answer in under a second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from casegen import WORDS, build_records  # noqa: E402
from harness import interleaved, record, tool  # noqa: E402


def main(full: bool = False) -> list[dict]:
    count = 100_000 if full else 20_000
    rng = random.Random(3)
    queries = [rng.choice(WORDS) for _ in range(20)] + [
        f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(20)
    ]
    with tempfile.TemporaryDirectory() as folder:
        case = Path(folder) / "case.db"
        started = time.perf_counter()
        build_records(case, count)
        print(f"built {count:,} records in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        from osint.case.handle import open_case
        from osint.case.search import search

        timings = []
        with open_case(case) as opened:
            for query in queries:
                started = time.perf_counter()
                list(search(opened.conn, query, limit=50))
                timings.append(time.perf_counter() - started)
        timings.sort()
        median, p95 = statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]
        cli = interleaved(
            {
                "osint search": [tool("osint"), "-C", str(case), "search", "tanker sanctions"],
                "osint search --json": [
                    tool("osint"),
                    "-C",
                    str(case),
                    "--json",
                    "search",
                    "tanker",
                ],
            },
            runs=7,
        )
    rows = [
        {"figure": f"search: query over {count:,} records (median)", "ours": median, "unit": "s",
         "goal": 1.0, "met": median < 1.0, "peer_name": "goal: under 1 s"},
        {"figure": f"search: query over {count:,} records (p95)", "ours": p95, "unit": "s",
         "goal": 1.0, "met": p95 < 1.0, "peer_name": "goal: under 1 s"},
        {"figure": "search: `osint search` command, 50 results shown", "ours": cli["osint search"]["median"],
         "unit": "s", "goal": 1.0, "met": cli["osint search"]["median"] < 1.0, "peer_name": "goal: under 1 s",
         "peak_mib": cli["osint search"]["peak_mib"]},
        {"figure": "search: `osint --json search` (every match)", "ours": cli["osint search --json"]["median"],
         "unit": "s", "goal": 1.0, "met": cli["osint search --json"]["median"] < 1.0,
         "peer_name": "goal: under 1 s", "peak_mib": cli["osint search --json"]["peak_mib"]},
    ]  # fmt: skip
    for row in rows:
        print(
            f"{row['figure']:<56} {row['ours'] * 1000:8.1f} ms  {'ok' if row['met'] else 'MISSED'}"
        )
        record(
            row["figure"], row["ours"], goal="< 1 s", met=row["met"], peak_mib=row.get("peak_mib")
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true")
    main(parser.parse_args().full)
