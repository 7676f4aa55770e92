"""Where osint keeps what belongs to the investigator rather than to a case.

The configuration (the chosen signing key, pinned timestamp roots) and caches live outside every
case file, so that no case, however hostile, can change them. $OSINT_CONFIG_DIR and
$OSINT_CACHE_DIR override the XDG locations (tests use them to stay apart).
"""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    """$OSINT_CONFIG_DIR, else $XDG_CONFIG_HOME/osint, else ~/.config/osint."""
    return _dir("OSINT_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def cache_dir() -> Path:
    """$OSINT_CACHE_DIR, else $XDG_CACHE_HOME/osint, else ~/.cache/osint."""
    return _dir("OSINT_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def _dir(own: str, xdg: str, fallback: str) -> Path:
    folder = os.environ.get(own, "").strip()
    if folder:
        return Path(folder)
    base = os.environ.get(xdg, "").strip() or str(Path.home() / fallback)
    return Path(base) / "osint"
