"""Killing osint with SIGKILL in the middle of a write, for the crash-safety tests."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path


def kill_mid_transaction(
    args, case_path: Path, rng: random.Random, *, settle: float = 0.05
) -> bool:
    """Run `osint ARGS`, SIGKILL it once its write transaction is open (its journal exists),
    after a random pause of up to `settle` seconds; True when it was still writing then."""
    journal = case_path.with_name(case_path.name + "-journal")
    process = subprocess.Popen(
        [sys.executable, "-m", "osint", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    caught = False
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if journal.exists():
            time.sleep(rng.uniform(0, settle))
            caught = process.poll() is None
            break
        time.sleep(0.0005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return caught
