"""Startup: `osint --help` and `osint list sources` on a small case vs `sqlite-utils --help`.

Goal (issue 2): both well under 0.6x the time of `sqlite-utils --help` on the same machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from harness import interleaved, line, record, tool


def compile_package() -> None:
    import compileall

    import osint

    compileall.compile_dir(Path(osint.__file__).parent, quiet=1)


def main(runs: int = 30) -> list[dict]:
    osint = tool("osint")
    # Installed packages run from bytecode; make sure ours does too, as a wheel install would.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["OSINT_USER"] = "bench"
    compile_package()
    with tempfile.TemporaryDirectory() as folder:
        case = Path(folder) / "case.db"
        subprocess.run([osint, "init", str(case)], check=True, env=env, capture_output=True)
        for n in range(5):
            subprocess.run(
                [osint, "-C", str(case), "source", "add", f"https://example.org/{n}", "--title", f"Source {n}"],
                check=True, env=env, capture_output=True,
            )  # fmt: skip
        results = interleaved(
            {
                "sqlite-utils --help": [tool("sqlite-utils"), "--help"],
                "osint --help": [osint, "--help"],
                "osint list sources": [osint, "-C", str(case), "list", "sources"],
            },
            runs,
            env=env,
        )
    peer = results["sqlite-utils --help"]["median"]
    rows = [
        line("startup: osint --help", results["osint --help"]["median"], peer, 0.6, peer_name="sqlite-utils --help"),
        line("startup: osint list sources (5 sources)", results["osint list sources"]["median"], peer, 0.6, peer_name="sqlite-utils --help"),
    ]  # fmt: skip
    for row, name in zip(rows, ("osint --help", "osint list sources"), strict=True):
        row["peak_mib"] = results[name]["peak_mib"]
        record(row["figure"], row["ours"], peer=peer, peer_name="sqlite-utils --help",
               goal="<= 0.6x", met=row["met"], peak_mib=row["peak_mib"])  # fmt: skip
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    main(parser.parse_args().runs)
