"""What the integrity checks cost: `verify` and `merge` of this tree against a baseline tree.

    .venv/bin/python bench/integrity.py --baseline /path/to/osint-without-the-checks
    .venv/bin/python bench/integrity.py --baseline ... --full

Each tree builds its own cases with its own code (the schemas may differ) and is timed running
its own `python -m osint`, interleaved, medians compared:
- verify of the stored-files case of bench/verify.py (files dominate: re-hashing);
- verify of a records case from bench/casegen.py (the audit log and replay dominate);
- merge of a colleague's copy of that records case holding `--new` more records.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, interleaved, line, record, run  # noqa: E402

BUILD = """
import random, shutil, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from casegen import build_records, text
from verify import build
from osint.case import records
from osint.case.handle import open_case
folder = Path({folder!r})
(folder / "blobs").mkdir()
shutil.move(str(build(folder / "blobs", {files}, 4 << 20)), folder / "files.db")
build_records(folder / "records.db", {records})
shutil.copy(folder / "records.db", folder / "colleague.db")
rng = random.Random(5)
with open_case(folder / "colleague.db", actor="Ben", command="bench") as case, case.writing():
    for n in range({new}):
        records.create(case, "finding", {{"text": text(rng, 24), "note": text(rng, 10)}})
"""


def build(tree: Path, folder: Path, files: int, count: int, new: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree), "OSINT_USER": "bench"}
    script = BUILD.format(
        bench=str(Path(__file__).resolve().parent),
        folder=str(folder),
        files=files,
        records=count,
        new=new,
    )
    check = [sys.executable, "-c", "import osint, sys; sys.stdout.write(osint.__file__)"]
    found = subprocess.run(check, env=env, check=True, cwd=folder, capture_output=True, text=True)
    assert found.stdout.startswith(str(tree)), f"{tree}: osint found at {found.stdout}"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=folder)


def main(baseline: Path, full: bool = False, runs: int = 5) -> list[dict]:
    files, count, new = (64, 20_000, 2_000) if full else (16, 5_000, 500)
    trees = {"new": ROOT, "old": baseline}
    rows = []
    with tempfile.TemporaryDirectory() as top:
        top = Path(top)
        for name, tree in trees.items():
            (top / name).mkdir()
            build(tree, top / name, files, count, new)

        def osint(name, *args):
            # `env` sets each tree's path; run from `top` so no tree is found by accident.
            return ["env", f"PYTHONPATH={trees[name]}", sys.executable, "-m", "osint", *args]

        env = {**os.environ, "OSINT_USER": "bench"}
        for label, case in (
            (f"verify: {files * 4} MiB stored ({files} files)", "files.db"),
            (f"verify: {count:,} records", "records.db"),
        ):
            result = interleaved(
                {name: osint(name, "-C", str(top / name / case), "verify") for name in trees},
                runs=runs,
                env=env,
                cwd=top,
            )
            times = {name: result[name]["median"] for name in trees}
            rows.append(line(label, times["new"], times["old"], 1.10, peer_name="baseline"))
        # merge: each run merges into a fresh copy of the records case
        samples: dict[str, list[float]] = {name: [] for name in trees}
        for n in range(runs + 1):
            for name in trees:  # interleaved
                target = top / name / f"merge{n}.db"
                shutil.copy(top / name / "records.db", target)
                argv = osint(name, "-C", str(target), "merge", str(top / name / "colleague.db"))
                seconds, _ = run(argv, env=env, cwd=top)
                target.unlink()
                if n:  # the first is a warm-up
                    samples[name].append(seconds)
        times = {name: sorted(v)[len(v) // 2] for name, v in samples.items()}
        rows.append(
            line(
                f"merge: +{new:,} records into {count:,}",
                times["new"],
                times["old"],
                1.10,
                peer_name="baseline",
            )
        )
    for row in rows:
        record(
            "integrity " + row["figure"],
            row["ours"],
            peer=row["peer"],
            peer_name="without the integrity checks",
            goal="<= 1.10x",
            met=row["met"],
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True, help="an osint tree to compare")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    main(args.baseline, args.full, args.runs)
