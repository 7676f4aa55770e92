"""Bench: `osint image add` against the shell pipeline an investigator would otherwise script.

    python bench/imagery_ingest.py [--count N] [--runs R] [--full]

Generates a folder of 12-megapixel JPEGs with EXIF (deterministic), then times, interleaved:
- osint:    `osint image add FOLDER` into a fresh case (hash + EXIF + thumbnail + store)
- pipeline: `sha256sum FOLDER/*.jpg; exiftool -json FOLDER; mogrify -path THUMBS -thumbnail 512x512`
and prints the medians, their ratio (goal: osint at most 0.6x the pipeline) and osint's peak
memory per process at two folder sizes (goal: the same for both: bounded by the batch, not the
folder). Needs exiftool and ImageMagick (`apt-get install libimage-exiftool-perl imagemagick`).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "imagery"

MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "code": code, "peak_kib": peak}))
"""


def make_photo(path: Path, seed: int) -> None:
    """A 4000 x 3000 JPEG with photo-like detail and a camera's EXIF."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))
    pen = ImageDraw.Draw(small)
    for _ in range(40):
        x, y = rng.randrange(800), rng.randrange(600)
        box = [x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 200)]
        fill = tuple(rng.randrange(256) for _ in range(3))
        (pen.ellipse if rng.random() < 0.5 else pen.rectangle)(box, fill=fill)
    im = small.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    grain = Image.frombytes("L", (4000, 3000), rng.randbytes(4000 * 3000)).convert("RGB")
    im = Image.blend(im, grain, 0.12)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "BenchCam", "BenchCam 12MP"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = f"2024:03:{1 + seed % 28:02d} 10:{seed % 60:02d}:00"
    sub[0x9011] = "+10:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (42.0, 43.0, 48.0), "E", (133.0, 3.0, 30.0)
    im.save(path, "JPEG", quality=90, exif=exif)


def ensure_folder(count: int) -> Path:
    folder = OUT / f"jpegs-{count}"
    marker = OUT / f"jpegs-{count}.complete"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        path = folder / f"IMG_{index:04}.jpg"
        if not path.exists():
            make_photo(path, index)
    marker.write_text("ok")
    return folder


def measure(command: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True
    )
    data = json.loads(result.stdout)
    if data["code"] != 0:
        raise SystemExit(f"{command[0]} failed with exit status {data['code']}")
    return data


def osint_once(folder: Path, osint: str) -> dict:
    case = OUT / "bench-case.db"
    case.unlink(missing_ok=True)
    subprocess.run([osint, "init", str(case)], check=True, capture_output=True)
    return measure([osint, "--case", str(case), "image", "add", str(folder)])


def pipeline_once(folder: Path) -> dict:
    thumbs = OUT / "thumbs"
    shutil.rmtree(thumbs, ignore_errors=True)
    thumbs.mkdir(parents=True)
    script = (
        f'sha256sum "{folder}"/*.jpg > "{OUT}/sums.txt" && '
        f'exiftool -json -q "{folder}" > "{OUT}/meta.json" && '
        f'mogrify -path "{thumbs}" -thumbnail 512x512 "{folder}"/*.jpg'
    )
    return measure(["sh", "-c", script])


sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16, help="JPEGs in the folder (default 16)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs of each (default 3)")
    parser.add_argument("--full", action="store_true", help="64 JPEGs, 5 runs")
    args = parser.parse_args()
    if args.full:
        args.count, args.runs = 64, 5
    for tool in ("sha256sum", "exiftool", "mogrify"):
        if not shutil.which(tool):
            raise SystemExit(
                f"{tool} is missing: apt-get install libimage-exiftool-perl imagemagick"
            )
    osint = shutil.which("osint", path=str(Path(sys.executable).parent)) or "osint"
    OUT.mkdir(parents=True, exist_ok=True)
    folder = ensure_folder(args.count)
    half = ensure_folder(max(1, args.count // 2))
    size = sum(p.stat().st_size for p in folder.glob("*.jpg"))
    print(f"{args.count} JPEGs of 4000x3000, {size / 2**20:.0f} MiB; {args.runs} interleaved runs")
    osint_times, pipe_times, peaks = [], [], []
    for run in range(args.runs):
        order = [("osint", folder), ("pipeline", folder)]
        if run % 2:
            order.reverse()
        for name, where in order:
            data = osint_once(where, osint) if name == "osint" else pipeline_once(where)
            (osint_times if name == "osint" else pipe_times).append(data["seconds"])
            if name == "osint":
                peaks.append(data["peak_kib"])
            print(
                f"  run {run + 1} {name:8} {data['seconds']:7.2f} s  peak {data['peak_kib'] / 1024:6.0f} MiB"
            )
    half_peak = osint_once(half, osint)["peak_kib"]
    osint_median, pipe_median = statistics.median(osint_times), statistics.median(pipe_times)
    print(f"osint    median {osint_median:.2f} s ({args.count / osint_median:.1f} images/s)")
    print(f"pipeline median {pipe_median:.2f} s ({args.count / pipe_median:.1f} images/s)")
    print(f"ratio osint/pipeline: {osint_median / pipe_median:.2f}x (goal: at most 0.60x)")
    print(
        f"osint peak memory of one process: {max(peaks) / 1024:.0f} MiB with {args.count} files, "
        f"{half_peak / 1024:.0f} MiB with {max(1, args.count // 2)} (goal: independent of the count)"
    )
    record(
        f"imagery: ingest {args.count} 12-MP JPEGs",
        osint_median,
        peer=pipe_median,
        peer_name="sha256sum + exiftool -json + mogrify -thumbnail",
        goal="<= 0.6x",
        met=osint_median / pipe_median <= 0.6,
        peak_mib=max(peaks) / 1024,
        note=f"peak {half_peak / 1024:.0f} MiB with half the files",
    )


if __name__ == "__main__":
    main()
