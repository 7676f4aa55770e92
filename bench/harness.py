"""Shared bench helpers: run commands side by side (interleaved), take medians and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A command from this virtual environment when it has it, else from PATH."""
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def run(argv: list[str], *, cwd=None, env=None, stdin=None) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run of a command; fails loudly on a non-zero exit."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=stdin
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"bench command failed: {' '.join(map(str, argv))}\n{err}")
    return elapsed, usage.ru_maxrss


def interleaved(
    commands: dict[str, list[str]], runs: int, *, warmup: int = 1, **kwargs
) -> dict[str, dict]:
    """Run each command `runs` times, alternating between them so that load hits all alike."""
    for _ in range(warmup):
        for argv in commands.values():
            run(argv, **kwargs)
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, int] = dict.fromkeys(commands, 0)
    for _ in range(runs):
        for name, argv in commands.items():
            seconds, peak = run(argv, **kwargs)
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    return {
        name: {
            "median": statistics.median(values),
            "p95": sorted(values)[max(0, int(round(0.95 * len(values))) - 1)],
            "peak_mib": peaks[name] / 1024,
        }
        for name, values in times.items()
    }


def line(
    figure: str, ours: float, peer: float, goal: float | None, unit: str = "s", peer_name: str = ""
) -> dict:
    """One row of the results table: our figure, the peer's, the ratio and whether the goal is met."""
    ratio = ours / peer if peer else float("nan")
    met = None if goal is None else ratio <= goal
    mark = "" if met is None else ("ok" if met else "MISSED")
    print(
        f"{figure:<48} {ours:9.3f}{unit} vs {peer:9.3f}{unit} ({peer_name}) ratio {ratio:6.2f}"
        + (f"  goal <= {goal:g}x {mark}" if goal is not None else "")
    )
    return {
        "figure": figure,
        "ours": ours,
        "peer": peer,
        "peer_name": peer_name,
        "ratio": ratio,
        "goal": goal,
        "met": met,
    }


def record(
    figure: str,
    ours: float,
    *,
    unit: str = "s",
    peer: float | None = None,
    peer_name: str = "",
    goal: str = "",
    met: bool | None = None,
    peak_mib: float | None = None,
    note: str = "",
) -> dict:
    """Note one figure for `make bench` (bench/run.py collects them from $OSINT_BENCH_RESULTS)."""
    import json

    row = {
        "figure": figure,
        "ours": ours,
        "unit": unit,
        "peer": peer,
        "peer_name": peer_name,
        "ratio": (ours / peer) if peer else None,
        "goal": goal,
        "met": met,
        "peak_mib": peak_mib,
        "note": note,
    }
    target = os.environ.get("OSINT_BENCH_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
    return row
