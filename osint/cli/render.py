"""Text for a person at a terminal: every value is shown as it is, and nothing in it acts.

Evidence comes from adversaries: a title, an AIS name, an EXIF field or a colleague's record may
hold rich markup (`[/]`, `[name withheld]`), escape sequences (ESC[2J, an OSC 52 clipboard
write), carriage returns or bidi overrides (U+202E). Everything the CLI prints to a person goes
through this module:

- `safe_text` shows control and bidi-control characters visibly escaped (`\\x1b`, `\\u202e`,
  `\\r`), so they are seen and never act on the terminal;
- rich tables are built from `rich.text.Text` cells, never from markup strings, so brackets are
  printed as typed;
- JSON output does not come here: it keeps the exact values.

This module imports nothing heavy at import time (rich only inside `rich_table`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

# C0 controls, DEL and C1 controls; the bidi embeddings, overrides, isolates and marks; the line
# and paragraph separators; and the other invisible format characters that can reorder or hide
# text. Zero-width joiners (emoji sequences) and soft hyphens are left alone.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}\\u2028\\u2029\\ufeff\\ufff9-\\ufffb]")
_UNSAFE_KEEP_LINES = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}\\u2028\\u2029\\ufeff]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def _escape_char(match: re.Match) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: Any) -> str:
    """One value as text a terminal shows literally: every control character visibly escaped."""
    if value is None:
        return ""
    return _UNSAFE.sub(_escape_char, str(value))


def safe_lines(text: Any) -> str:
    """A message made by osint (which may span lines): controls escaped, newlines and tabs kept.

    Values from a case should be passed through `safe_text` first where a newline in them could
    pass for a line of osint's own; this is the last line of defence at every output.
    """
    if text is None:
        return ""
    return _UNSAFE_KEEP_LINES.sub(_escape_char, str(text))


def has_unsafe(text: str) -> bool:
    return bool(_UNSAFE.search(text))


# ---- colour -----------------------------------------------------------------------------------

_STYLES = {"warning": "33", "error": "1;31", "ok": "32", "problem": "31", "dim": "2"}


def colour_enabled(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def styled(text: str, style: str, stream: TextIO) -> str:
    """`text` in the named style when `stream` takes colour; `text` itself otherwise."""
    if not colour_enabled(stream):
        return text
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


# ---- tables -----------------------------------------------------------------------------------

# Column names that are not plain words once the underscore is gone.
HEADERS = {
    "id": "Id",
    "imo": "IMO",
    "mmsi": "MMSI",
    "lat": "Latitude",
    "lon": "Longitude",
    "radius_m": "Radius (m)",
    "capacity_bbl": "Capacity (bbl)",
    "barrels": "Barrels",
    "sha256": "SHA-256",
    "rows_read": "Rows read",
    "rows_kept": "Rows kept",
    "rows_duplicate": "Duplicates",
    "rows_invalid": "Invalid",
    "added_by": "Added by",
    "added_at": "Added",
    "retrieved_at": "Retrieved",
    "media_type": "Media type",
    "gen_time": "Time",
    "tsa": "Time-stamping authority",
    "listed_name": "Listed name",
    "url": "URL",
    "seq": "#",
    "first": "First",
    "last": "Last",
    "when": "When",
    "from": "From",
    "to": "To",
}

# Columns whose values are identifiers, never wrapped, never given thousands separators.
ID_COLUMNS = {"id", "record", "hash", "sha256", "head"}
NOT_NUMBERS = {"imo", "mmsi", "year", "seq", "call_sign", "width", "height"}


def header(column: str) -> str:
    """A column name in words (`radius_m` -> `Radius (m)`)."""
    if column in HEADERS:
        return HEADERS[column]
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def cell(value: Any, column: str = "", width: int | None = None) -> str:
    """One table cell: yes/no, numbers with separators, lists joined, white space folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and column not in NOT_NUMBERS:
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    # White space (including \r, \v, \f and the separators) folds to one space; then every
    # remaining control character is shown escaped.
    text = safe_text(" ".join(text.split()))
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def plain_table(
    out: TextIO, rows: Sequence[Mapping], columns: Sequence[str], title: str | None = None
) -> None:
    """Aligned columns without colour, for pipes and files."""
    cells = [
        [cell(row.get(c), c, None if c in ID_COLUMNS else 80) for c in columns] for row in rows
    ]
    names = [header(c) for c in columns]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    if title:
        print(safe_text(title), file=out)
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)


def rich_table(console, rows: Sequence[Mapping], columns: Sequence[str], title: str | None = None):
    """A rich table whose every cell is literal text (no markup, no emoji codes, no highlighting)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(safe_text(title)) if title else None, title_justify="left", show_lines=False
    )
    cells = [[cell(row.get(c), c) for c in columns] for row in rows]
    for i, column in enumerate(columns):
        identifier = column in ID_COLUMNS
        # An id is never wrapped nor cut: its column is as wide as its longest value.
        widest = max((len(r[i]) for r in cells), default=0) if identifier else None
        table.add_column(
            Text(header(column), style="bold"),
            overflow="fold",
            no_wrap=identifier,
            min_width=widest,
        )
    for row in cells:
        table.add_row(*(Text(value) for value in row))
    console.print(table, markup=False, emoji=False, highlight=False)
