"""Which SSH key signs this investigator's audit entries: chosen once, kept outside any case.

`osint key use ~/.ssh/id_ed25519` records the key's path (never the key) in osint's user
configuration (`config.json` in osint.userdirs.config_dir());
$OSINT_SIGNING_KEY overrides it for one shell. Without either, entries are made unsigned, as
before; signing can start at any entry.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from osint import userdirs
from osint.case import sshsig
from osint.errors import InvalidInput

ENV_KEY = "OSINT_SIGNING_KEY"


def config_path() -> Path:
    return userdirs.config_dir() / "config.json"


def _read_config() -> dict:
    try:
        value = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def configured_key() -> tuple[Path, str] | None:
    """(path of the chosen private key, where the choice came from), or None when there is none."""
    if os.environ.get(ENV_KEY):
        return Path(os.environ[ENV_KEY]).expanduser(), f"${ENV_KEY}"
    chosen = _read_config().get("signing_key")
    if isinstance(chosen, str) and chosen:
        return Path(chosen).expanduser(), str(config_path())
    return None


def public_key_of(path: Path, passphrase: Callable[[], str] | None = None) -> sshsig.PublicKey:
    """The public half of a key file: its .pub beside it, else from the private key itself."""
    public_file = path.with_name(path.name + ".pub")
    if public_file.exists():
        return sshsig.parse_public_key(public_file.read_text(encoding="utf-8", errors="replace"))
    return sshsig.load_signer(path, passphrase).public


def use_key(path: str | os.PathLike, passphrase: Callable[[], str] | None = None) -> dict:
    """Choose the key that signs from now on; returns its fingerprint. The key is only read."""
    key_path = Path(path).expanduser().resolve()
    if key_path.suffix == ".pub":
        raise InvalidInput(f"{path}: give the private key (the file without .pub)")
    signer = sshsig.load_signer(key_path, passphrase)
    config = _read_config()
    config["signing_key"] = str(key_path)
    target = config_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)
    return {
        "key": str(key_path),
        "type": signer.public.key_type,
        "fingerprint": signer.public.fingerprint,
        "public_key": signer.public.openssh,
        "config": str(target),
    }


def current_signer(passphrase: Callable[[], str] | None = None) -> sshsig.Signer | None:
    """The chosen key, ready to sign (the agent or the unlocked file), or None when none is chosen."""
    chosen = configured_key()
    if chosen is None:
        return None
    path, origin = chosen
    if not path.exists():
        raise InvalidInput(f"signing key {path} (from {origin}) does not exist")
    return sshsig.load_signer(path, passphrase)
