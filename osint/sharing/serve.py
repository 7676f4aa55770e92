"""`osint serve`: browse the case with colleagues in Datasette, read-only, on this machine.

Datasette is an optional extra (`pip install 'osint[serve]'`). The metadata it shows (titles,
descriptions, column labels, which column labels a row) is generated from the case and from the
kinds of record osint knows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from osint.case import kinds
from osint.errors import OsintError

# What every provenance column means, shown as the column's description.
COLUMN_DESCRIPTIONS = {
    "id": "Record id (UUID); any unique prefix of 6+ characters works in osint commands",
    "added_by": "Investigator who added the record",
    "added_at": "When it was added (UTC)",
    "added_via": "The osint command line that added it",
    "added_from": "What it was made from (file and its SHA-256, or the record it came from)",
    "osint_version": "Version of osint that wrote it",
    "retracted_at": "When it was withdrawn (retracted records stay, but leave lists and briefs)",
    "retracted_by": "Who withdrew it",
    "retracted_reason": "Why it was withdrawn",
    "grade": "Admiralty source reliability: A reliable ... E unreliable, F cannot be judged",
    "credibility": "Admiralty information credibility: 1 confirmed ... 5 improbable, 6 cannot be judged",
    "verified": "1 when the quote was found verbatim in its source's text snapshot",
    "sha256": "SHA-256 of the stored original (bytes kept byte-identical in blob_chunks)",
    "snapshot_sha256": "SHA-256 of the archived copy of the source",
    "start_char": "Where the quote starts in the snapshot's text",
    "end_char": "Where the quote ends in the snapshot's text",
}
TABLE_DESCRIPTIONS = {
    "audit_log": "Every change to the case: append-only, each entry hash-linked to its parents",
    "blobs": "Stored files, by SHA-256 (their bytes are in blob_chunks)",
}
HIDDEN = ("blob_chunks", "search_rows", "_sqlite_migrations")


def metadata(case) -> dict:
    """Datasette metadata for this case."""
    info = case.info()
    tables: dict[str, dict] = {}
    label_columns = ("title", "name", "text", "filename", "locator")
    for spec in kinds.KINDS.values():
        columns = [r[1] for r in case.conn.execute(f"PRAGMA table_info([{spec.table}])")]
        table = {
            "title": spec.plural.replace("_", " ").capitalize(),
            "description": f"{spec.name.capitalize()} records, with their provenance",
            "sort_desc": "added_at",
            "columns": {c: COLUMN_DESCRIPTIONS[c] for c in columns if c in COLUMN_DESCRIPTIONS},
        }
        label = next((c for c in label_columns if c in columns), None)
        if label:
            table["label_column"] = label
        tables[spec.table] = table
    for name, description in TABLE_DESCRIPTIONS.items():
        tables.setdefault(name, {})["description"] = description
    for name in HIDDEN:
        tables.setdefault(name, {})["hidden"] = True
    for (name,) in case.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'search_index_%'"
    ):
        tables[name] = {"hidden": True}
    database = case.path.stem
    return {
        "title": f"osint: {info.get('title') or case.path.stem}",
        "description_html": _home(case, info, database),
        "databases": {
            database: {"tables": tables, "description_html": _home(case, info, database)}
        },
    }


# What people read first, linked at the top of the home page and of the database page.
FIRST = ("findings", "sources", "quotes", "images", "sightings", "vessels", "places")


def _home(case, info: dict, database: str) -> str:
    from html import escape
    from urllib.parse import quote

    links = " · ".join(
        f'<a href="/{quote(database)}/{table}"><strong>{table.capitalize()}</strong></a>'
        for table in FIRST
        if case.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
    )
    summary = escape(info.get("summary") or "")
    return (
        f"<p>{summary}</p><p>Start with: {links}</p>"
        f"<p>Case {escape(str(case.id))}; a read-only view. Check its integrity with "
        "<code>osint verify</code>.</p>"
    )


def check_installed() -> None:
    """Refuse early, with the command that fixes it, when Datasette is missing."""
    import importlib.util

    if importlib.util.find_spec("datasette") is None:
        raise OsintError(
            "Datasette is not installed: pip install 'osint[serve]' (or pip install datasette)"
        )


def exposure_warning(host: str) -> str | None:
    """A warning when `host` is not a loopback address: then anyone who can reach this machine
    reads the whole case, stored files included (Datasette serves every table, blob_chunks too)."""
    import ipaddress

    name = (host or "").strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"--host {host} is not a loopback address: anyone who can reach this machine on that "
        "network can read the whole case, every stored file (blobs) included, and download the "
        "case file itself; there is no password. Use the default 127.0.0.1 unless you mean that."
    )


def serve(case, *, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False) -> int:
    """Run Datasette on the case until interrupted; returns its exit status."""
    check_installed()
    with tempfile.TemporaryDirectory() as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(case), indent=2))
        plugins = Path(folder) / "plugins"
        plugins.mkdir()
        plugin = Path(__file__).with_name("serve_plugin.py")
        (plugins / "osint_serve.py").write_text(plugin.read_text(encoding="utf-8"))
        path = str(case.path)
        case.close()
        argv = [
            sys.executable, "-m", "datasette", "serve", path,
            "--metadata", str(meta), "--host", host, "--port", str(port),
            "--setting", "default_page_size", "50", "--plugins-dir", str(plugins),
        ]  # fmt: skip
        if open_browser:
            argv.append("--open")
        return _run_until_stopped(argv)


def _run_until_stopped(argv: list[str]) -> int:
    """Run Datasette as a child and make sure it ends with us: Ctrl-C, or a SIGTERM/SIGHUP sent
    to osint (a service manager, a test, a closed terminal), stops it too, never leaving it
    serving the case in the background."""
    import signal

    child = subprocess.Popen(argv, env={**os.environ})

    def stop(signum, frame) -> None:
        child.terminate()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        return 0
    finally:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
