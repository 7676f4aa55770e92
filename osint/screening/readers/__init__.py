"""Sanctions lists as published, read in one streaming pass (two for FtM files) into vessels,
the parties that own, operate or manage them, and the relations between them.

Formats, detected from the file's first bytes:

- FollowTheMoney JSON lines (OpenSanctions `entities.ftm.json`, one entity per line, relations as
  entities of their own; `targets.nested.json`, related entities nested inside each target). Read
  with the `followthemoney` library: every kept entity is validated and cleaned by its model.
- OpenSanctions `targets.simple.csv` (one row per target: names, aliases, identifiers).
- OFAC `SDN_ADVANCED.XML` (`readers/ofac_advanced.py`);
- OFAC `SDN.XML` (the Specially Designated Nationals list; vessels with their identifiers, flag,
  call sign, owner and the names they were formerly known by) and OFAC `sdn.csv` (the same list
  as 12 columns, vessel identifiers and former flags written in the free-text remarks).

Only vessels and their owners/operators/managers are kept, so memory stays flat however large the
file. Anything that is not what the format promises (a line that is not JSON, a row with the
wrong number of fields, XML that stops mid-element) stops the import with the line and the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from osint.errors import InvalidInput
from osint.screening.readers.common import (  # noqa: F401
    MAX_LINE,  # noqa: F401
    _classify,
    _date,
    _earliest,
    _latest,
    clean_country,
    clean_imo,
    clean_mmsi,
)
from osint.screening.readers.ftm import _unique_relations, read_ftm  # noqa: F401
from osint.screening.readers.model import ListData, Listed, Relation, _damaged  # noqa: F401
from osint.screening.readers.ofac import (  # noqa: F401
    OFAC_CSV_COLUMNS,
    OFAC_LOCATOR,
    OFAC_NAME,
    OFAC_PUBLISHER,
    read_ofac_csv,
    read_ofac_xml,
)
from osint.screening.readers.simple_csv import _text_lines, read_simple_csv  # noqa: F401

READ_CHUNK = 1024 * 1024


def detect(path: Path) -> str:
    """ftm (JSON lines), simple-csv, ofac-xml or ofac-csv, from the first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head.strip():
        raise InvalidInput(f"{path}: the file is empty")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "ftm"
    if text.startswith(b"<"):
        from osint.screening.readers import ofac_advanced

        if ofac_advanced.looks_like(head):
            return "ofac-advanced-xml"
        if b"sdnList" in head or b"sdnEntry" in head or b"publshInformation" in head:
            return "ofac-xml"
        raise InvalidInput(
            f"{path}: an XML file, but not OFAC's SDN.XML (no sdnList element); "
            "osint reads SDN.XML, sdn.csv and OpenSanctions exports"
        )
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    if first.startswith("id,schema,name"):
        return "simple-csv"
    if re.match(r'^\d+\s*,\s*"', first):
        return "ofac-csv"
    raise InvalidInput(
        f"{path}: not a list format osint knows (OpenSanctions entities.ftm.json, "
        "targets.nested.json, targets.simple.csv; OFAC SDN.XML or sdn.csv)"
    )


def read(path: Path) -> ListData:
    kind = detect(path)
    if kind == "ftm":
        return read_ftm(path)
    if kind == "simple-csv":
        return read_simple_csv(path)
    if kind == "ofac-xml":
        return read_ofac_xml(path)
    if kind == "ofac-advanced-xml":
        from osint.screening.readers import ofac_advanced

        return ofac_advanced.read(path)
    return read_ofac_csv(path)
