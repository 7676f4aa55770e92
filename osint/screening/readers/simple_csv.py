"""OpenSanctions targets.simple.csv."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from osint.errors import InvalidInput
from osint.fileio import open_hashed
from osint.screening.readers import common
from osint.screening.readers.common import (  # noqa: F401  # noqa: F401
    _classify,
    _date,
    _earliest,
    _latest,
    clean_country,
    clean_imo,
    clean_mmsi,
)
from osint.screening.readers.model import ListData, Listed, Relation, _damaged  # noqa: F401

READ_CHUNK = 1024 * 1024


# ---- OpenSanctions targets.simple.csv -------------------------------------------------------------


def _text_lines(handle, name: object = "the list file") -> Iterator[str]:
    from osint.boundedio import LineGuard

    guarded = io.BufferedReader(LineGuard(handle, common.MAX_LINE, refuse=str(name)), READ_CHUNK)
    return io.TextIOWrapper(guarded, encoding="utf-8-sig", errors="replace", newline="")


def read_simple_csv(path: Path) -> ListData:
    data = ListData(format="simple-csv")
    raw, handle = open_hashed(path)
    last_seen = None
    datasets: dict[str, int] = {}
    try:
        reader = csv.reader(_text_lines(handle, path))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise InvalidInput(f"{path}: the file is empty") from None
        width = len(header)
        col = {name: i for i, name in enumerate(header)}
        for required in ("id", "schema", "name"):
            if required not in col:
                raise InvalidInput(f"{path}: no {required} column in the header")
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != width:
                    raise _damaged(
                        path,
                        f"line {reader.line_num}",
                        f"{len(row)} fields where the header has {width}",
                    )
                data.entities_read += 1

                def get(name, row=row):
                    i = col.get(name)
                    return row[i].strip() if i is not None and row[i].strip() else None

                last_seen = _latest(last_seen, _date(get("last_seen") or get("last_change")))
                if get("schema") != "Vessel":
                    continue
                item = Listed(entity_id=get("id") or "", schema="Vessel")
                item.add_name(get("name"), "name")
                for alias in (get("aliases") or "").split(";"):
                    item.add_name(alias, "alias")
                for ident in (get("identifiers") or "").split(";"):
                    ident = ident.strip()
                    if not ident:
                        continue
                    imo = clean_imo(ident) if not re.fullmatch(r"\d{9}", ident) else None
                    if imo and not item.imo:
                        item.imo = imo
                    elif not item.mmsi and re.fullmatch(r"(?:MMSI\s*)?\d{9}", ident, re.I):
                        item.mmsi = clean_mmsi(ident)
                countries = [c.strip() for c in (get("countries") or "").split(";") if c.strip()]
                if countries:
                    item.flag = clean_country(countries[0])
                    item.country = item.flag
                sanctions = [s.strip() for s in (get("sanctions") or "").split(";") if s.strip()]
                item.programs = sanctions
                item.status = "sanctioned" if sanctions else "listed"
                for name in (get("dataset") or "").split(";"):
                    if name.strip():
                        item.authorities.append(name.strip())
                        datasets[name.strip()] = datasets.get(name.strip(), 0) + 1
                item.listed_on = _date(get("first_seen"))
                data.vessels[item.entity_id] = item
        except csv.Error as exc:
            raise _damaged(path, f"line {reader.line_num}", f"unreadable CSV ({exc})") from None
        data.sha256 = raw.digest.hexdigest()
        data.size = raw.size
    finally:
        handle.close()
    if len(datasets) == 1:
        data.list_name = next(iter(datasets))
    elif datasets:
        data.list_name = f"OpenSanctions ({len(datasets)} datasets)"
    data.publisher = "OpenSanctions"
    if last_seen:
        data.published, data.published_basis = last_seen, "latest last_seen date of its entities"
    return data
