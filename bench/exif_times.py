"""Capture, save and GPS times read by osint against exiftool, over folders of real pictures.

    python bench/exif_times.py DIR... [--show N]

Every file is probed in osint's sandboxed workers (as `image add` does) and by exiftool
(`-time:all`). A file agrees when exiftool holds the tag osint names in `taken_tag` with the same
wall-clock reading (to the second), osint's `saved_time` matches exiftool's tag for it, and
osint's `gps_time` matches exiftool's Composite:GPSDateTime; a file where osint found no capture
time agrees when exiftool has none of the capture tags osint reads either. Prints the counts and
the disagreements. Needs exiftool on the PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ORACLE = {
    "EXIF DateTimeOriginal": "EXIF:DateTimeOriginal",
    "EXIF DateTimeDigitized (CreateDate)": "EXIF:CreateDate",
    "XMP exif:DateTimeOriginal": "XMP:DateTimeOriginal",
    "XMP exif:DateTimeDigitized": "XMP:DateTimeDigitized",
    "XMP photoshop:DateCreated": "XMP:DateCreated",
    "XMP xmp:CreateDate": "XMP:CreateDate",
    "EXIF DateTime (IFD0, save time)": "EXIF:ModifyDate",
    "XMP xmp:ModifyDate (save time)": "XMP:ModifyDate",
    "GPS GPSDateStamp+GPSTimeStamp": "Composite:GPSDateTime",
}
CAPTURE = [v for k, v in ORACLE.items() if "save" not in k and "GPS" not in k]


def wall(text: str | None) -> str | None:
    """`2008-10-22T16:28:39` from either side's spelling; None for unset clocks."""
    if not text or not isinstance(text, str) or text.startswith("0000"):
        return None
    text = text.strip().replace("T", " ")
    date, _, time = text.partition(" ")
    date = date.replace(":", "-")
    time = time[:8]
    if len(time) == 5:
        time += ":00"
    return f"{date}T{time}" if time else date


def exiftool(paths: list[str]) -> dict[str, dict]:
    out = {}
    for start in range(0, len(paths), 50):
        chunk = paths[start : start + 50]
        done = subprocess.run(
            ["exiftool", "-j", "-G", "-a", "-time:all", "-api", "LargeFileSupport=1", *chunk],
            capture_output=True,
            text=True,
            timeout=600,
        )
        try:
            for item in json.loads(done.stdout or "[]"):
                out[item["SourceFile"]] = item
        except ValueError:
            pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--show", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("exiftool"):
        print("exiftool is not installed")
        return 1
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from osint.imagery.pool import ProbePool, Task

    paths = sorted(
        str(p) for d in args.dirs for p in Path(d).rglob("*") if p.is_file() and p.stat().st_size
    )
    theirs = exiftool(paths)
    ours = {}
    with ProbePool(time_limit=20) as pool:
        for task, fields, _ in pool.run(Task(p, options={"decode": False}) for p in paths):
            ours[task.path] = fields
    counts = {"files": 0, "with a capture time": 0, "agree": 0, "disagree": 0, "save-time only": 0}
    counts["clock errors"] = 0
    problems = []
    for path in paths:
        mine, other = ours.get(path) or {}, theirs.get(path) or {}
        if "sha256" not in mine:
            continue  # not an image, or refused as hostile
        counts["files"] += 1
        reasons = []
        tag = mine.get("taken_tag")
        if tag and mine.get("taken_basis") != "gps-clock":
            counts["with a capture time"] += 1
            if wall(other.get(ORACLE[tag])) != wall(mine.get("taken_local")):
                reasons.append(f"{tag} {mine.get('taken_local')} vs {other.get(ORACLE[tag])}")
        elif not tag:
            have = [t for t in CAPTURE if wall(other.get(t))]
            if have:
                reasons.append(f"no capture time, exiftool has {have[0]}={other[have[0]]}")
            if mine.get("saved_time"):
                counts["save-time only"] += 1
        saved_tag = mine.get("saved_tag")
        if saved_tag and wall(other.get(ORACLE[saved_tag])) != wall(mine["saved_time"][:19]):
            reasons.append(f"{mine['saved_tag']} {mine['saved_time']}")
        gps = mine.get("gps_time")
        if gps and wall(other.get("Composite:GPSDateTime")) != wall(gps[:19]):
            reasons.append(f"gps {gps} vs {other.get('Composite:GPSDateTime')}")
        if mine.get("clock_error_s") is not None:
            counts["clock errors"] += 1
        if reasons:
            counts["disagree"] += 1
            problems.append((os.path.relpath(path), reasons))
        else:
            counts["agree"] += 1
    print(json.dumps(counts))
    for path, reasons in problems[: args.show]:
        print(f"  {path}: {'; '.join(reasons)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
