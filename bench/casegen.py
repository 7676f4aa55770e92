"""Deterministic generated cases for benches (never for tests: those build their own)."""

from __future__ import annotations

import os
import random
from pathlib import Path

WORDS = [
    "tanker",
    "oil",
    "terminal",
    "vostochny",
    "barrels",
    "sanctions",
    "transfer",
    "loading",
    "anchorage",
    "port",
    "vessel",
    "imagery",
    "satellite",
    "pyongyang",
    "nakhodka",
    "cargo",
    "draught",
    "ship-to-ship",
    "dark",
    "transponder",
    "flag",
    "registry",
    "owner",
    "manager",
    "insurer",
    "panel",
    "report",
    "customs",
    "manifest",
    "crude",
    "diesel",
    "refined",
    "berth",
    "pier",
    "tug",
    "pilot",
    "convoy",
    "voyage",
    "cable",
    "memo",
    "witness",
    "analyst",
    "ministry",
    "embassy",
]


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def build_records(path: Path, count: int, seed: int = 7) -> Path:
    """A case with `count` records: a fifth sources, the rest findings, words from WORDS."""
    from osint.case import records
    from osint.case.handle import init_case

    rng = random.Random(seed)
    os.environ.setdefault("OSINT_USER", "bench")
    with init_case(path, title="bench", actor="bench", command="bench") as case, case.writing():
        for n in range(count):
            if n % 5 == 0:
                records.create(
                    case,
                    "source",
                    {
                        "locator": f"https://example.org/{n}",
                        "title": text(rng, 8),
                        "note": text(rng, 20),
                    },
                )
            else:
                records.create(case, "finding", {"text": text(rng, 24), "note": text(rng, 10)})
    return path
