"""Scale: a case of 50,000 images and 10 million AIS rows stays usable.

    .venv/bin/python bench/scale.py            # 2,000 images, 1,000,000 AIS rows
    .venv/bin/python bench/scale.py --full     # 50,000 images, 10,000,000 AIS rows (long)

Builds the case with the real commands (`osint image add` on a folder of small generated
pictures, `osint ais import` of a generated MarineCadastre file), then times the commands people
use to read it, each a process of its own with startup included, median of 3, and their peak
memory. Goal (issue 7): commands that list or search answer in under a second, and no command
loads a whole table into memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import interleaved, record, tool  # noqa: E402

HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status"


def pictures(folder: Path, count: int) -> None:
    from PIL import Image

    rng = random.Random(1)
    folder.mkdir()
    for n in range(count):
        image = Image.new("RGB", (48, 32), (rng.randrange(256), rng.randrange(256), n % 256))
        image.putpixel((n % 48, (n // 48) % 32), (255, 255, 255))
        image.save(folder / f"p{n:06d}.png")


def ais_file(path: Path, rows: int) -> None:
    rng = random.Random(2)
    with open(path, "w") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            vessel = n % 500
            second = n // 500 * 60
            day, rest = divmod(second, 86400)
            out.write(
                f"{445000000 + vessel},2024-{3 + day // 28:02d}-{1 + day % 28:02d}T"
                f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d},"
                f"{42.0 + rng.random():.5f},{132.5 + rng.random():.5f},{rng.random() * 12:.1f},"
                f"{rng.random() * 360:.1f},511,TANKER {vessel},,,80,0\n"
            )


def run(argv: list[str], env) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    images, rows = (50_000, 10_000_000) if args.full else (2_000, 1_000_000)
    osint = tool("osint")
    env = {**os.environ, "OSINT_USER": "bench"}
    with tempfile.TemporaryDirectory(prefix="osint-scale-") as folder:
        folder = Path(folder)
        case = folder / "case.db"
        run([osint, "init", str(case), "--title", "scale"], env)
        started = time.perf_counter()
        pictures(folder / "pictures", images)
        run([osint, "-C", str(case), "image", "add", str(folder / "pictures")], env)
        ais_file(folder / "ais.csv", rows)
        run([osint, "-C", str(case), "ais", "import", str(folder / "ais.csv")], env)
        run(
            [
                osint,
                "-C",
                str(case),
                "place",
                "add",
                "Field",
                "--at",
                "42.5,133.0",
                "--radius-m",
                "20000",
            ],
            env,
        )
        built = time.perf_counter() - started
        size = case.stat().st_size
        print(
            f"built {images:,} images and {rows:,} AIS rows in {built:.0f} s; case {size / 2**20:,.0f} MiB"
        )
        first = subprocess.run(
            [osint, "-C", str(case), "--json", "search", "p000042"],
            capture_output=True,
            text=True,
            env=env,
        )
        hits = json.loads(first.stdout or "[]")
        image_id = hits[0]["id"] if hits else None
        commands = {
            "info": [osint, "-C", str(case), "info"],
            "list images": [osint, "-C", str(case), "list", "images"],
            "list images --json (all)": [osint, "-C", str(case), "--json", "list", "images"],
            "search": [osint, "-C", str(case), "search", "p000042"],
            "timeline": [osint, "-C", str(case), "timeline"],
            "list vessels": [osint, "-C", str(case), "list", "vessels"],
            "visits": [osint, "-C", str(case), "visits"],
        }
        if image_id:
            commands["show image"] = [osint, "-C", str(case), "show", image_id]
        results = interleaved(commands, 3, warmup=0, env=env)
    scale = f"{images:,} images, {rows:,} AIS rows"
    for name, figures in results.items():
        seconds = figures["median"]
        # The goal is for commands that list or search; visits is an analysis over every row
        # (here all of them lie inside the place), and --json is the complete bulk output.
        judged = name not in ("visits", "list images --json (all)")
        ok = seconds < 1.0 if judged else None
        mark = {True: "ok", False: "MISSED", None: ""}[ok]
        print(f"{name:<28} {seconds * 1000:8.0f} ms  peak {figures['peak_mib']:6.0f} MiB  {mark}")
        record(
            f"scale ({scale}): osint {name}",
            seconds,
            goal="< 1 s" if judged else "(reported)",
            met=ok,
            peak_mib=figures["peak_mib"],
            note="" if judged else "reads every row of the case",
        )


if __name__ == "__main__":
    main()
