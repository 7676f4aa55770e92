"""`osint demo`: the worked example, the Vostochny tanker case, built step by step.

Each step is a module with `build(case, folder)`; features add their step to STEPS.
"""

from __future__ import annotations

STEPS: list[str] = [
    "osint.demo.case_file",
    "osint.demo.imagery",
]
