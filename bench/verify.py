"""`osint verify` throughput against `sha256sum` over the same stored bytes.

    .venv/bin/python bench/verify.py            # 256 MiB in 64 files
    .venv/bin/python bench/verify.py --full     # 1 GiB in 256 files

The case holds the files as stored evidence (each with its source record); the same bytes are
written to a folder for `sha256sum`. Both runs are interleaved; medians compared.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import interleaved, line, record, tool  # noqa: E402


def build(folder: Path, files: int, size: int) -> Path:
    from osint import sources
    from osint.case.handle import init_case

    rng = random.Random(11)
    evidence = folder / "files"
    evidence.mkdir()
    case_path = folder / "case.db"
    with init_case(case_path, title="verify bench", actor="bench", command="bench") as case:
        for n in range(files):
            path = evidence / f"scene{n:04d}.bin"
            path.write_bytes(rng.randbytes(size))
            prepared = sources.prepare_snapshot(path)
            sources.add_source(case, f"scene {n}", title=f"Scene {n}", snapshot=prepared)
    return case_path


def main(full: bool = False) -> list[dict]:
    files, size = (256, 4 << 20) if full else (64, 4 << 20)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        case = build(folder, files, size)
        names = sorted(str(p) for p in (folder / "files").iterdir())
        results = interleaved(
            {
                "osint verify": [tool("osint"), "-C", str(case), "verify"],
                "sha256sum": ["sha256sum", *names],
            },
            runs=5,
            env={**os.environ, "OSINT_USER": "bench"},
        )
    total_mib = files * size / 2**20
    ours, peer = results["osint verify"]["median"], results["sha256sum"]["median"]
    row = line(
        f"verify: {total_mib:,.0f} MiB stored ({files} files)",
        ours,
        peer,
        None,
        peer_name="sha256sum",
    )
    row["throughput_mib_s"] = total_mib / ours
    row["peak_mib"] = results["osint verify"]["peak_mib"]
    print(f"  osint verify {total_mib / ours:,.0f} MiB/s, sha256sum {total_mib / peer:,.0f} MiB/s, "
          f"peak {row['peak_mib']:.0f} MiB")  # fmt: skip
    record(row["figure"], ours, peer=peer, peer_name="sha256sum", peak_mib=row["peak_mib"],
           note=f"{total_mib / ours:,.0f} MiB/s vs {total_mib / peer:,.0f} MiB/s")  # fmt: skip
    return [row]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true")
    main(parser.parse_args().full)
