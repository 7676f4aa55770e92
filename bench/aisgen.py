"""Generated MarineCadastre-layout AIS files for the benches (invented ships, invented tracks).

Tankers shuttle between the Vostochny terminal (42.73 N, 133.06 E) and the open sea over eight
months of 2024, each reporting every few minutes; rows are written in time order, as a receiver
logs them. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import gzip
import math
import random
import time
from pathlib import Path

HEADER = [
    "MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO",
    "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo", "TransceiverClass",
]  # fmt: skip
TERMINAL = (42.73, 133.06)
START = 1709251200  # 2024-03-01T00:00:00Z
DAYS = 244  # to the end of October


def imo_number(seed: int) -> str:
    first = f"{9_100_000 + seed * 7919 % 800_000:07d}"[:6]
    check = sum(int(d) * w for d, w in zip(first, range(7, 1, -1), strict=True)) % 10
    return first + str(check)


def rows(total: int, vessels: int = 60, seed: int = 7):
    rng = random.Random(seed)
    per_vessel = total // vessels
    interval = DAYS * 86400 // per_vessel
    ships = []
    for n in range(vessels):
        mid = rng.choice([445, 445, 445, 273, 351, 457])
        ships.append(
            {
                "mmsi": f"{mid}{100000 + n * 37:06d}",
                "name": f"GENERATED TANKER {n + 1}",
                "imo": f"IMO{imo_number(n + 1)}",
                "call": f"HM{n:04d}",
                "offset": rng.randrange(interval),
                "phase": rng.random() * 9,
            }
        )
    emitted = 0
    for step in range(per_vessel):
        for ship in ships:
            if emitted >= total:
                return
            t = START + step * interval + ship["offset"]
            day = (t - START) / 86400 + ship["phase"]
            cycle = day % 9  # 9-day cycle: 2 days at the terminal, 7 at sea
            if cycle < 2:
                lat = TERMINAL[0] + rng.uniform(-0.006, 0.006)
                lon = TERMINAL[1] + rng.uniform(-0.008, 0.008)
                sog, status = rng.uniform(0, 0.3), 5
            else:
                angle = (cycle - 2) / 7 * math.pi
                lat = TERMINAL[0] - 2.5 * math.sin(angle) + rng.uniform(-0.01, 0.01)
                lon = TERMINAL[1] + 1.2 * math.sin(angle) + rng.uniform(-0.01, 0.01)
                sog, status = rng.uniform(8, 12), 0
            stamp = _iso(t)
            yield [
                ship["mmsi"], stamp, f"{lat:.5f}", f"{lon:.5f}", f"{sog:.1f}",
                f"{rng.uniform(0, 359.9):.1f}", str(rng.randrange(360)), ship["name"],
                ship["imo"], ship["call"], "80", str(status), "105", "18", "6.5", "80", "A",
            ]  # fmt: skip
            emitted += 1


def _iso(t: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


def write(path: Path, total: int, seed: int = 7, vessels: int = 60) -> Path:
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(total, vessels=vessels, seed=seed))
    return path


# ---- Danish Maritime Authority daily files (aisdk-YYYY-MM-DD.zip) ---------------------------

DMA_HEADER = (
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,"
    "IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,"
    "Destination,ETA,Data source type,A,B,C,D"
)
DMA_DAY = 1679097600  # 2023-03-18T00:00:00Z
# The port the bench's --bbox is drawn around (Skagen), and the sea the traffic covers.
SKAGEN = (57.72, 10.59)
DMA_SEA = (54.5, 7.5, 57.9, 15.5)  # S, W, N, E
DMA_STATUS = ["Under way using engine", "At anchor", "Moored", "Engaged in fishing",
              "Under way sailing", "Unknown value", "Restricted manoeuverability"]  # fmt: skip
DMA_TYPES = ["Cargo", "Tanker", "Passenger", "Fishing", "Tug", "Pleasure", "Other", "Undefined"]


def dma_rows(total: int, duplicates: float = 0.7, seed: int = 7, stations: int = 3000):
    """Lines (with their newline) of a DMA day: time-ordered reports of `stations` stations, each
    report heard by several receivers (`duplicates` is the share of rows that repeat a report).
    About 1 % of reports are near Skagen; base stations and aids to navigation are mixed in."""
    rng = random.Random(seed)
    south, west, north, east = DMA_SEA
    ships = []
    for n in range(stations):
        kind = rng.random()
        if kind < 0.02:
            mobile, mmsi = "Base Station", f"219{n:04d}"  # 00219xxxx, written without its zeros
        elif kind < 0.03:
            mobile, mmsi = "AtoN", f"99219{n:04d}"
        else:
            mobile = "Class A" if kind < 0.8 else "Class B"
            mmsi = f"{rng.choice([219, 220, 265, 266, 211, 273, 636, 538])}{n:06d}"
        near_port = rng.random() < 0.01
        lat = (
            rng.uniform(SKAGEN[0] - 0.05, SKAGEN[0] + 0.05)
            if near_port
            else rng.uniform(south, north)
        )
        lon = (
            rng.uniform(SKAGEN[1] - 0.08, SKAGEN[1] + 0.08)
            if near_port
            else rng.uniform(west, east)
        )
        vessel = mobile.startswith("Class")
        imo = imo_number(n + 1) if mobile == "Class A" and rng.random() < 0.7 else "Unknown"
        name = f"DANISH TEST {n}" if vessel else ""
        static = (
            f"{imo},{'OX' + str(n) if vessel else 'Unknown'},{name},"
            f"{rng.choice(DMA_TYPES) if vessel else 'Undefined'},,{rng.randrange(5, 40) if vessel else ''},"
            f"{rng.randrange(10, 250) if vessel else ''},GPS,{rng.uniform(2, 12):.1f},"
            f"{'SKAGEN' if vessel else 'Unknown'},,AIS,,,,"
        )
        ships.append(
            [mobile, mmsi, lat, lon, rng.choice(DMA_STATUS) if vessel else "Unknown value", static]
        )
    seconds = 86400
    unique = max(1, round(total * (1 - duplicates)))
    extra = duplicates / (1 - duplicates) if duplicates < 1 else 0.0
    emitted = 0
    pending: dict[int, list[str]] = {}
    line = ""
    for i in range(unique):
        t = DMA_DAY + i * seconds // unique
        ship = ships[rng.randrange(stations)]
        ship[2] += rng.uniform(-0.001, 0.001)
        ship[3] += rng.uniform(-0.001, 0.001)
        mobile, mmsi, lat, lon, status, static = ship
        stamp = time.strftime("%d/%m/%Y %H:%M:%S", time.gmtime(t))
        if mobile.startswith("Class"):
            line = (
                f"{stamp},{mobile},{mmsi},{lat:.6f},{lon:.6f},{status},0.0,{rng.uniform(0, 14):.1f},"
                f"{rng.uniform(0, 359.9):.1f},{rng.randrange(360) if rng.random() < 0.9 else ''},{static}\n"
            )
        else:
            line = f"{stamp},{mobile},{mmsi},{lat:.6f},{lon:.6f},{status},,,,,{static}\n"
        # Other receivers' copies of the report follow within the next few reports.
        copies = int(extra) + (rng.random() < extra - int(extra))
        for _ in range(copies):
            pending.setdefault(i + rng.randrange(0, 20), []).append(line)
        for due in [line, *pending.pop(i, ())]:
            if emitted >= total:
                return
            yield due
            emitted += 1
    for lines in pending.values():
        for due in lines:
            if emitted >= total:
                return
            yield due
            emitted += 1
    while emitted < total:  # rounding: top up with repeats of the last report
        yield line
        emitted += 1


def write_dma(path: Path, total: int, duplicates: float = 0.7, seed: int = 7) -> Path:
    """A DMA-layout day, zipped (one CSV inside, as DMA serves them) when `path` ends in .zip."""
    import zipfile

    path = Path(path)
    lines = dma_rows(total, duplicates=duplicates, seed=seed)
    if path.suffix == ".zip":
        with (
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
            archive.open(path.with_suffix(".csv").name, "w", force_zip64=True) as member,
        ):
            _write_lines(member, lines)
    else:
        with open(path, "wb") as handle:
            _write_lines(handle, lines)
    return path


def _write_lines(handle, lines) -> None:
    handle.write((DMA_HEADER + "\n").encode())
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) >= 10_000:
            handle.write("".join(buffer).encode())
            buffer.clear()
    handle.write("".join(buffer).encode())


# ---- A receiver's NMEA log (tag blocks, as AIS-catcher or a shore station writes them) -------


def _armour(bits: str) -> str:
    """Bits (a string of 0/1, a multiple of 6 long) as the six-bit ASCII of an AIS payload."""
    out = []
    for i in range(0, len(bits), 6):
        value = int(bits[i : i + 6], 2)
        out.append(chr(value + 48 if value < 40 else value + 56))
    return "".join(out)


def _field(value: int, width: int) -> str:
    return format(value & ((1 << width) - 1), f"0{width}b")


def _nmea_line(epoch: int, payload: str, fill: int = 0, parts=(1, 1), seq: str = "") -> str:
    body = f"AIVDM,{parts[1]},{parts[0]},{seq},A,{payload},{fill}"
    check = 0
    for char in body.encode():
        check ^= char
    tag = f"s:rcv01,c:{epoch}"
    tag_check = 0
    for char in tag.encode():
        tag_check ^= char
    return f"\\{tag}*{tag_check:02X}\\!{body}*{check:02X}\n"


def nmea_lines(total: int, seed: int = 7, stations: int = 3000):
    """Lines of a day's receiver log: position reports (types 1 and 18; 4 from base stations),
    and now and then a two-sentence static report (type 5). About 1 % of stations are near
    Skagen, as in dma_rows."""
    rng = random.Random(seed)
    south, west, north, east = DMA_SEA
    ships = []
    for n in range(stations):
        kind = rng.random()
        near = rng.random() < 0.01
        lat = rng.uniform(SKAGEN[0] - 0.05, SKAGEN[0] + 0.05) if near else rng.uniform(south, north)
        lon = rng.uniform(SKAGEN[1] - 0.08, SKAGEN[1] + 0.08) if near else rng.uniform(west, east)
        message = 4 if kind < 0.02 else 1 if kind < 0.8 else 18
        mmsi = 2190000 + n if message == 4 else rng.choice([219, 265, 211, 636]) * 10**6 + n
        ships.append([message, mmsi, lat, lon])
    emitted = 0
    for i in range(total):
        if emitted >= total:
            return
        epoch = DMA_DAY + i * 86400 // total
        ship = ships[rng.randrange(stations)]
        ship[2] += rng.uniform(-0.001, 0.001)
        ship[3] += rng.uniform(-0.001, 0.001)
        message, mmsi, lat, lon = ship
        x, y = round(lon * 600000), round(lat * 600000)
        sog, cog, heading = rng.randrange(0, 140), rng.randrange(3600), rng.randrange(360)
        if message == 1:
            bits = (_field(1, 6) + _field(0, 2) + _field(mmsi, 30) + _field(0, 4) + _field(0, 8)
                    + _field(sog, 10) + "1" + _field(x, 28) + _field(y, 27) + _field(cog, 12)
                    + _field(heading, 9) + _field(epoch % 60, 6) + "00" + "000" + "0"
                    + _field(0, 19))  # fmt: skip
        elif message == 18:
            bits = (_field(18, 6) + "00" + _field(mmsi, 30) + _field(0, 8) + _field(sog, 10)
                    + "1" + _field(x, 28) + _field(y, 27) + _field(cog, 12) + _field(heading, 9)
                    + _field(epoch % 60, 6) + "00" + "1" + "0" * 6 + _field(0, 20))  # fmt: skip
        else:
            when = time.gmtime(epoch)
            bits = (_field(4, 6) + "00" + _field(mmsi, 30) + _field(when.tm_year, 14)
                    + _field(when.tm_mon, 4) + _field(when.tm_mday, 5) + _field(when.tm_hour, 5)
                    + _field(when.tm_min, 6) + _field(when.tm_sec, 6) + "1" + _field(x, 28)
                    + _field(y, 27) + _field(7, 4) + "0" * 10 + "0" + _field(0, 19))  # fmt: skip
        yield _nmea_line(epoch, _armour(bits))
        emitted += 1
        if message != 4 and i % 97 == 0 and emitted + 2 <= total:  # a static report
            name = f"DANISH TEST {mmsi % 10000}".ljust(20, "@")[:20]
            text = "".join(_field(ord(c) - 64 if c >= "@" else ord(c), 6) for c in name)
            bits = (_field(5, 6) + "00" + _field(mmsi, 30) + "00" + _field(9_000_000 + mmsi % 99999, 30)
                    + _field(0, 42) + text + _field(80, 8) + _field(0, 30) + "0001" + _field(0, 20)
                    + _field(0, 8) + _field(0, 120) + "0" + "0")  # fmt: skip
            bits += "0" * (-len(bits) % 6)
            payload = _armour(bits)
            seq = str(i % 10)
            yield _nmea_line(epoch, payload[:60], 0, (1, 2), seq)
            yield _nmea_line(epoch, payload[60:], 2, (2, 2), seq)
            emitted += 2


def write_nmea(path: Path, total: int, seed: int = 7) -> Path:
    """A receiver's NMEA log of `total` lines, gzipped when `path` ends in .gz."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="ascii", newline="") as handle:
        buffer: list[str] = []
        for line in nmea_lines(total, seed=seed):
            buffer.append(line)
            if len(buffer) >= 10_000:
                handle.write("".join(buffer))
                buffer.clear()
        handle.write("".join(buffer))
    return path
