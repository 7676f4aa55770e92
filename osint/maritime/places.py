"""Places: named points with a radius (a terminal, an anchorage, a transfer area)."""

from __future__ import annotations

import re
import sqlite3

from osint.case import kinds, records
from osint.errors import InvalidInput
from osint.maritime.geo import Circle

DEFAULT_RADIUS_M = 1000.0

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COORD = re.compile(rf"^\s*({_NUMBER})\s*([NSns])?\s*[,;\s]\s*({_NUMBER})\s*([EWew])?\s*$")


def parse_lat(value, name: str = "lat") -> float:
    """A required latitude in decimal degrees (WGS 84)."""
    return _required(kinds.latitude(value, name), name, "latitude")


def parse_lon(value, name: str = "lon") -> float:
    """A required longitude in decimal degrees (WGS 84)."""
    return _required(kinds.longitude(value, name), name, "longitude")


def _required(number: float | None, name: str, what: str) -> float:
    if number is None:
        raise InvalidInput(f"{name}: a {what} is required")
    return number


def parse_at(value: str, name: str = "--at") -> tuple[float, float]:
    """`42.73,133.06` or `42.73N 133.06E` as (lat, lon), WGS 84 decimal degrees."""
    match = _COORD.match(value or "")
    if not match:
        raise InvalidInput(
            f"{name}: {value!r} is not LAT,LON in decimal degrees (e.g. 42.73,133.06)"
        )
    lat, ns, lon, ew = match.groups()
    lat_value, lon_value = float(lat), float(lon)
    if ns and ns.upper() == "S":
        lat_value = -abs(lat_value)
    if ew and ew.upper() == "W":
        lon_value = -abs(lon_value)
    return parse_lat(lat_value, f"{name} latitude"), parse_lon(lon_value, f"{name} longitude")


def parse_aliases(value) -> str | None:
    """Other names of a place, kept as one text separated by `; ` (a list, or `a; b` text)."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(";")
    names = list(dict.fromkeys(" ".join(str(v).split()) for v in items if str(v).strip()))
    for name in names:
        if len(name) > 200:
            raise InvalidInput(f"alias {name[:40]!r}...: longer than 200 characters")
    return "; ".join(names) or None


def parse_radius(value, name: str = "--radius-m") -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a distance in metres") from None
    if not 0 < number <= 200_000:
        raise InvalidInput(f"{name}: {value} m is not a radius between 0 and 200 km")
    return number


def add_place(
    case,
    name: str,
    at: str | tuple[float, float],
    *,
    radius_m=None,
    place_type: str | None = None,
    note: str | None = None,
    aliases: list[str] | None = None,
) -> dict:
    name = kinds.text(name or "", "place name")
    lat, lon = parse_at(at) if isinstance(at, str) else (parse_lat(at[0]), parse_lon(at[1]))
    radius = DEFAULT_RADIUS_M if radius_m is None else parse_radius(radius_m)
    clash = [
        rid
        for alias in [name, *(aliases or [])]
        for rid in resolve_place(case.conn, alias, exact=True)
    ]
    if clash:
        raise InvalidInput(
            f"a place named {name!r} already exists ({clash[0][:8]}): places are found by name, "
            "so give this one another name"
        )
    with case.writing():
        return records.create(
            case,
            "place",
            {
                "name": name,
                "lat": lat,
                "lon": lon,
                "radius_m": radius,
                "place_type": kinds.optional_text(place_type),
                "note": kinds.optional_text(note),
                "aliases": parse_aliases(aliases),
            },
        )


def fold(text: str | None) -> str:
    """A name as people type it: case, accents, punctuation and spacing ignored
    (`Vostochnyy Oil-Terminal` -> `vostochnyy oil terminal`, `Nakhodka Zaliv` == `nakhodka zaliv`)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare.casefold()).split())


def place_names(row) -> list[str]:
    """A place's name and its aliases (`aliases`: separated by `;`)."""
    aliases = row.get("aliases")
    return [row["name"], *[a.strip() for a in (aliases or "").split(";") if a.strip()]]


def _rows(conn: sqlite3.Connection):
    columns = {r[1] for r in conn.execute("PRAGMA table_info(places)")}
    aliases = "aliases" if "aliases" in columns else "NULL AS aliases"
    conn_rows = conn.execute(
        f"SELECT id, name, {aliases} FROM places WHERE retracted_at IS NULL ORDER BY name"
    ).fetchall()
    return [(rid, place_names({"name": name, "aliases": al})) for rid, name, al in conn_rows]


def resolve_place(conn: sqlite3.Connection, ref: str, *, exact: bool = False) -> list[str]:
    """Kind hook: the places `ref` names, best match first found.

    Tried in turn, the first that finds any wins: the full name or an alias; a prefix of a name
    or alias (`vostochny` for `Vostochny oil terminal`); every word of `ref` the start of a word
    of a name or alias, in order (`oil term`). Case, accents, punctuation and spacing are
    ignored. Several places found is for the caller to report as ambiguous."""
    key = fold(ref)
    if not key:
        return []
    rows = _rows(conn)
    folded = [(rid, [fold(n) for n in names]) for rid, names in rows]
    tiers = [lambda n: n == key]
    if not exact:
        words = key.split()

        def by_words(name: str) -> bool:
            parts = name.split()
            at = 0
            for word in words:
                while at < len(parts) and not parts[at].startswith(word):
                    at += 1
                if at == len(parts):
                    return False
                at += 1
            return True

        tiers += [lambda n: n.startswith(key), by_words]
    for test in tiers:
        found = [rid for rid, names in folded if any(test(n) for n in names)]
        if found:
            return found
    return []


def find_place(conn, ref: str) -> dict:
    """The one place `ref` names (id, id prefix, name, alias, a word or prefix of them); an
    unknown name is an error listing the places the case holds."""
    from osint.errors import RecordNotFound

    try:
        return records.resolve(conn, ref, ["place"])[1]
    except RecordNotFound:
        known = [names[0] for _, names in _rows(conn)]
        if not known:
            raise RecordNotFound(
                f"no place matches {ref!r}: the case has no places (add one with osint place add)"
            ) from None
        shown = "; ".join(known[:10]) + (f" (+{len(known) - 10} more)" if len(known) > 10 else "")
        raise RecordNotFound(f"no place matches {ref!r}; the case's places: {shown}") from None


def circle(place: dict) -> Circle:
    return Circle(place["lat"], place["lon"], place["radius_m"] or DEFAULT_RADIUS_M)


def place_details(conn: sqlite3.Connection, row: dict) -> dict:
    count = conn.execute(
        "SELECT count(*) FROM sightings WHERE place = ? AND retracted_at IS NULL", (row["id"],)
    ).fetchone()[0]
    return {
        "area": [
            f"circle of {row['radius_m']:,.0f} m around {row['lat']:.5f}, {row['lon']:.5f} (WGS 84)",
            f"{count} sightings recorded at this place",
        ]
    }
