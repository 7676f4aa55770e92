"""OFAC's list as it is published: `sdn.csv` with its companions, and compressed list files.

OFAC publishes the SDN list as three CSV files joined on the entity number (`ent_num`):

- `sdn.csv`: one row per entry (12 columns; vessel identifiers in the free-text remarks);
- `alt.csv`: the entries' other names, `ent_num, alt_num, alt_type, alt_name, alt_remarks`, where
  `alt_type` is `aka`, `fka` (formerly known as: a vessel's former names) or `nka`;
- `add.csv`: addresses, `ent_num, add_num, address, city/state/postal code, country, remarks`.

A file's part is told from its rows (5 fields after two numbers: alt; 6: add), never from its
name alone. List files may come gzip-compressed (`sdn.csv.gz`, `entities.ftm.json.gz`): they are
decompressed to a temporary file with a size limit, and the compressed file as published is what
the case keeps.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import zlib
from pathlib import Path

from osint.errors import InvalidInput

# A decompressed list larger than this is refused (OpenSanctions' full export is ~3 GB).
MAX_DECOMPRESSED = 8 * 1024**3
GZIP_MAGIC = b"\x1f\x8b"

ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city", "country", "add_remarks")
_TWO_NUMBERS = re.compile(r"^\s*\d+\s*,\s*\d+\s*,")


def is_gzip(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == GZIP_MAGIC
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None


# Lists compress 5 to 10 times; a file that inflates far more is a decompression bomb, refused
# before it fills the disk (the temporary copy stays within this ratio of the file as given).
MAX_RATIO = 100
MIN_ALLOWANCE = 64 * 1024**2


def gunzip(path: Path, folder: Path, limit: int = MAX_DECOMPRESSED) -> Path:
    """`path` decompressed into `folder` (named without `.gz`); refused past `limit` bytes, past
    MAX_RATIO times its compressed size (a bomb), or when the data is damaged or truncated."""
    from osint.boundedio import size_text

    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name + ".out"
    target = folder / name
    written = 0
    allowed = min(limit, max(MIN_ALLOWANCE, MAX_RATIO * path.stat().st_size))
    try:
        with gzip.open(path, "rb") as source, open(target, "wb") as out:
            while chunk := source.read(1024 * 1024):
                written += len(chunk)
                if written > allowed:
                    target.unlink(missing_ok=True)
                    if allowed == limit:
                        raise InvalidInput(
                            f"{path}: decompresses to more than {limit // 1024**2:,} MiB: refused"
                        )
                    raise InvalidInput(
                        f"{path}: decompresses to more than {size_text(allowed)} "
                        f"({MAX_RATIO} times its size, the limit for a list file): refused as "
                        "a decompression bomb"
                    )
                out.write(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(
            f"{path}: the gzip data is damaged or truncated ({exc}); nothing was imported"
        ) from None
    return target


def part_of(path: Path) -> str | None:
    """`alt` or `add` for OFAC's companion files (from their first row), else None."""
    with open(path, "rb") as handle:
        head = handle.read(8192).decode("utf-8-sig", "replace")
    line = next((x for x in head.splitlines() if x.strip()), "")
    if not _TWO_NUMBERS.match(line):
        return None
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    return {len(ALT_COLUMNS): "alt", len(ADD_COLUMNS): "add"}.get(len(fields))


def _rows(path: Path, columns: tuple[str, ...]):
    from osint.screening.readers import _text_lines

    with open(path, "rb") as raw:
        reader = csv.reader(_text_lines(raw, path))
        try:
            for row in reader:
                if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
                    continue
                if len(row) != len(columns):
                    raise InvalidInput(
                        f"{path}: line {reader.line_num}: {len(row)} fields where {path.name} "
                        f"has {len(columns)}; the file is damaged, nothing was imported"
                    )
                values = {
                    c: (None if v.strip() in ("-0-", "") else v.strip())
                    for c, v in zip(columns, row, strict=True)
                }
                if not (values["ent_num"] or "").isdigit():
                    raise InvalidInput(
                        f"{path}: line {reader.line_num}: ent_num is not a number; "
                        "nothing was imported"
                    )
                yield values
        except csv.Error as exc:
            raise InvalidInput(f"{path}: line {reader.line_num}: unreadable CSV ({exc})") from None


def apply_alt(data, path: Path) -> int:
    """Add alt.csv's names to the entries `data` kept; returns how many were added."""
    entries = {**data.parties, **data.vessels}
    added = 0
    for row in _rows(path, ALT_COLUMNS):
        item = entries.get(f"ofac-{row['ent_num']}")
        if item is None or not row["alt_name"]:
            continue
        kind = (row["alt_type"] or "aka").lower().replace(".", "")
        name_type = "former" if kind == "fka" else "alias"
        if name_type == "alias" and "weak" in (row["alt_remarks"] or "").lower():
            name_type = "weak"
        before = len(item.names)
        item.add_name(row["alt_name"], name_type)
        added += len(item.names) - before
    return added


def apply_add(data, path: Path) -> int:
    """Give the entries `data` kept their country from add.csv (when they have none)."""
    from osint.screening.readers import clean_country

    entries = {**data.parties, **data.vessels}
    applied = 0
    for row in _rows(path, ADD_COLUMNS):
        item = entries.get(f"ofac-{row['ent_num']}")
        if item is None or not row["country"] or item.country:
            continue
        item.country = clean_country(row["country"])
        applied += 1 if item.country else 0
    return applied


def copy_out(conn, sha256: str, folder: Path, name: str) -> Path:
    """A stored file written to `folder` (to read an earlier import's sdn.csv again)."""
    from osint.case.store import blobs

    target = folder / name
    with open(target, "wb") as out:
        for chunk in blobs.iter_chunks(conn, sha256):
            out.write(chunk)
    return target


def copy_file(path: Path, folder: Path) -> Path:
    target = folder / path.name
    shutil.copyfile(path, target)
    return target
