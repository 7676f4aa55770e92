"""Signed provenance: the cost of signing each audit entry, and of `verify` checking signatures.

    .venv/bin/python bench/signing.py            # 2,000 findings
    .venv/bin/python bench/signing.py --full     # 20,000 findings

Two cases are built with the same records, one without a key and one signing with an Ed25519
key made by ssh-keygen; the per-entry cost of writing and the time of `verify` are compared.
Goals (issue 21): signing costs under 1 ms per entry; `verify` within 1.5x of the unsigned case.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import line, record  # noqa: E402


def build(path: Path, findings: int, signer) -> float:
    from osint import sources
    from osint.case.handle import init_case

    with init_case(
        path, title="signing bench", actor="bench", command="bench", signer=signer
    ) as case:
        start = time.perf_counter()
        with case.writing():
            for n in range(findings):
                sources.add_finding(case, f"Finding number {n}: a tanker called at the terminal")
        return time.perf_counter() - start


def timed_verify(path: Path) -> float:
    from osint.case.handle import open_case
    from osint.case.verify import verify

    best = float("inf")
    for _ in range(3):
        with open_case(path, readonly=True) as case:
            start = time.perf_counter()
            result = verify(case.conn)
            best = min(best, time.perf_counter() - start)
        assert result["ok"], result["problems"][:3]
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    findings = 20_000 if args.full else 2_000
    if not shutil.which("ssh-keygen"):
        print("ssh-keygen is not installed: skipped")
        return
    from osint.case import sshsig

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key = folder / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        signer = sshsig.load_signer(key)
        plain = build(folder / "plain.db", findings, None)
        signed = build(folder / "signed.db", findings, signer)
        per_entry_ms = (signed - plain) / findings * 1000
        print(f"writing {findings:,} findings: {plain:.2f} s unsigned, {signed:.2f} s signed")
        print(f"signing cost per entry: {per_entry_ms:.3f} ms (goal < 1 ms)")
        record(
            "signing: cost per audit entry",
            per_entry_ms,
            unit="ms",
            goal="< 1 ms",
            met=per_entry_ms < 1,
        )
        verify_plain = timed_verify(folder / "plain.db")
        verify_signed = timed_verify(folder / "signed.db")
        row = line(
            "verify, signed vs unsigned case", verify_signed, verify_plain, 1.5, "s", "unsigned"
        )
        record(
            "verify with signatures",
            verify_signed,
            peer=verify_plain,
            peer_name="unsigned case",
            goal="<= 1.5x",
            met=row["met"],
        )


if __name__ == "__main__":
    main()
