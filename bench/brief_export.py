"""Bench: `osint export brief` of a large case (goal: under 5 s for the HTML brief of a case with
1,000 images, 10,000 sightings and 500 quotes, with memory that does not grow with the case).

    .venv/bin/python bench/brief_export.py            # a fifth of the size (quick)
    .venv/bin/python bench/brief_export.py --full     # 1,000 images, 10,000 sightings, 500 quotes

Builds a generated case in process (pictures through the imagery pipeline, sightings of 100
vessels at 5 places from March to October 2024, quotes verified against their sources'
snapshots, findings citing all kinds), then times the real commands, each a process of its own
(startup included), interleaved, median of --runs:
- html:   `osint export brief -o brief.html`
- md:     `osint export brief -o brief.md` (pictures written beside it)
- verify: `osint verify`, the peer: the export runs it too and prints its result in the brief
and prints their medians, the ratio to the peer, peak memory, and the brief's size. Memory is
also measured on a case of half the size: a bounded export peaks about the same for both.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import interleaved, record  # noqa: E402

BIN = Path(sys.executable).parent
GOAL_SECONDS = 5.0
PLACES = [
    ("Vostochny oil terminal", 42.73, 133.06),
    ("Nakhodka oil berth", 42.80, 132.90),
    ("Slavyanka", 42.86, 131.38),
    ("Rajin", 42.24, 130.30),
    ("Chongjin", 41.78, 129.82),
]


def _picture(path: Path, n: int, rng: random.Random) -> None:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (800, 600), (28, 64 + n % 40, 98))
    pen = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rng.randrange(800), rng.randrange(600)
        pen.rectangle([x, y, x + rng.randrange(20, 200), y + rng.randrange(10, 60)],
                      fill=tuple(rng.randrange(256) for _ in range(3)))  # fmt: skip
    name, lat, lon = PLACES[n % len(PLACES)]
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "BenchCam", f"BenchCam {n % 7}"
    sub = exif.get_ifd(0x8769)
    day = 1 + n % 240
    month, dom = 3 + day // 31, 1 + day % 28
    sub[0x9003] = f"2024:{month:02d}:{dom:02d} {n % 24:02d}:{n % 60:02d}:00"
    sub[0x9011] = "+10:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (float(int(lat)), float(int((lat % 1) * 60)), 0.0)
    gps[3], gps[4] = "E", (float(int(lon)), float(int((lon % 1) * 60)), 0.0)
    im.save(path, "JPEG", quality=85, exif=exif)


def build(folder: Path, images: int, sightings: int, quotes: int) -> Path:
    from osint import sources
    from osint.case import records
    from osint.case.handle import init_case, open_case
    from osint.imagery import add_images
    from osint.imagery.ingest import make_options
    from osint.maritime import places, vessels
    from osint.maritime import sightings as sighting_lib

    rng = random.Random(5)
    path = folder / "case.db"
    init_case(path, title="Bench: tankers at Far East terminals", summary="Generated case.").close()
    with open_case(path, actor="bench", command="bench/brief_export.py") as case:
        # Sources, each with a snapshot holding the sentences its quotes will be verified against.
        source_ids, quote_texts = [], []
        per_source = 10
        for s in range((quotes + per_source - 1) // per_source):
            lines = [
                f"Statement {s}-{q}: tanker movements at the terminal were observed on day {q}."
                for q in range(per_source)
            ]
            snap = folder / f"source-{s}.txt"
            snap.write_text("\n".join(lines), encoding="utf-8")
            made = sources.add_source(
                case, f"https://news.example/{s}", title=f"Report {s} on tanker calls",
                publisher="Example News", published="2024-11-01", grade="BCD"[s % 3],
                snapshot=sources.prepare_snapshot(snap),
            )  # fmt: skip
            source_ids.append(made["id"])
            quote_texts += [(made["id"], line) for line in lines]
        quote_ids = []
        with case.writing():
            for source_id, text in quote_texts[:quotes]:
                quote = sources.add_quote(
                    case, text, speaker=f"Analyst {len(quote_ids) % 37}", source_ref=source_id,
                    role="researcher",
                )  # fmt: skip
                quote_ids.append(quote["id"])
        # Pictures through the imagery pipeline (hash, EXIF, thumbnail).
        picture_dir = folder / "pictures"
        picture_dir.mkdir()
        for n in range(images):
            _picture(picture_dir / f"shot-{n:05d}.jpg", n, rng)
        image_ids = []
        add_images(
            case, [picture_dir], make_options(case, source=source_ids[0], caption="Bench picture"),
            jobs=2, on_outcome=lambda o: o.record and image_ids.append(o.record["id"]),
        )  # fmt: skip
        place_ids = [
            places.add_place(case, name, (lat, lon), radius_m=2000)["id"]
            for name, lat, lon in PLACES
        ]
        fleet = [
            vessels.add_vessel(case, f"BENCH TANKER {v}", capacity_bbl=20_000 + 100 * v)[0]["id"]
            for v in range(100)
        ]
        sighting_ids = []
        with case.writing():
            for n in range(sightings):
                day = rng.randrange(244)
                when = time.strftime(
                    "%Y-%m-%dT%H:%M:00Z",
                    time.gmtime(1709251200 + day * 86400 + rng.randrange(86400)),
                )
                row = sighting_lib.add_sighting(
                    case, fleet[n % len(fleet)], when=when, place=place_ids[n % len(place_ids)],
                    image=image_ids[n] if n < len(image_ids) and n % 10 == 0 else None,
                    source=source_ids[n % len(source_ids)], activity="arriving",
                )  # fmt: skip
                sighting_ids.append(row["id"])
        for f in range(20):
            sources.add_finding(
                case, f"Finding {f}: tankers called at the terminals in 2024.",
                supported_by=[source_ids[f % len(source_ids)], quote_ids[f],
                              image_ids[f % len(image_ids)], *sighting_ids[f * 40 : f * 40 + 30]],
            )  # fmt: skip
        assert records.count(case.conn, "image") == images
    shutil.rmtree(picture_dir)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000 images, 10,000 sightings")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated cases")
    args = parser.parse_args()
    scale = 1.0 if args.full else 0.2
    sizes = {
        "images": int(1000 * scale),
        "sightings": int(10_000 * scale),
        "quotes": int(500 * scale),
    }
    work = Path(tempfile.mkdtemp(prefix="osint-bench-brief-"))
    env = {**os.environ, "OSINT_USER": "bench"}
    osint = str(BIN / "osint")
    try:
        results = {}
        for label, factor in (("half", 0.5), ("full", 1.0)):
            folder = work / label
            folder.mkdir()
            started = time.perf_counter()
            case = build(folder, **{k: max(1, int(v * factor)) for k, v in sizes.items()})
            built = time.perf_counter() - started
            print(f"{label}: built {', '.join(f'{int(v * factor):,} {k}' for k, v in sizes.items())}"
                  f" in {built:.0f} s ({case.stat().st_size / 1e6:.0f} MB)")  # fmt: skip
            commands = {
                "html": [
                    osint,
                    "-C",
                    str(case),
                    "export",
                    "brief",
                    "-o",
                    str(folder / "brief.html"),
                ],
                "md": [osint, "-C", str(case), "export", "brief", "-o", str(folder / "brief.md")],
                "verify": [osint, "-C", str(case), "verify"],
            }
            runs = args.runs if label == "full" else 1
            results[label] = interleaved(commands, runs, warmup=1, env=env, cwd=folder)
            results[label]["html_bytes"] = (folder / "brief.html").stat().st_size
        full, half = results["full"], results["half"]
        print()
        print(f"{'command':<10} {'median':>9} {'p95':>9} {'peak (full)':>12} {'peak (half)':>12}")
        for name in ("html", "md", "verify"):
            print(f"{name:<10} {full[name]['median']:8.2f}s {full[name]['p95']:8.2f}s "
                  f"{full[name]['peak_mib']:10.0f}MiB {half[name]['peak_mib']:10.0f}MiB")  # fmt: skip
        html = full["html"]["median"]
        print()
        print(f"HTML brief: {html:.2f} s (goal < {GOAL_SECONDS:g} s at full size: "
              f"{'ok' if html < GOAL_SECONDS else 'MISSED'}{'' if args.full else ', run --full'}); "
              f"{html / full['verify']['median']:.2f}x `osint verify` (the peer); "
              f"{full['html_bytes'] / 1e6:.1f} MB file")  # fmt: skip
        growth = full["html"]["peak_mib"] / half["html"]["peak_mib"]
        print(f"Peak memory, full vs half-size case: {growth:.2f}x (bounded: close to 1)")
        scale = (
            "1,000 images, 10,000 sightings, 500 quotes"
            if args.full
            else "a fifth of the issue's case"
        )
        record(
            f"brief: HTML export ({scale})",
            html,
            peer=full["verify"]["median"],
            peer_name="osint verify of the same case",
            goal="< 5 s",
            met=html < GOAL_SECONDS,
            peak_mib=full["html"]["peak_mib"],
            note=f"peak memory full/half case {growth:.2f}x",
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
