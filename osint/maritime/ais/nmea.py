"""Raw NMEA 0183 AIS sentences (`!AIVDM`, `!AIVDO`) as a receiver logs them, decoded with pyais.

A line holds one sentence, and its time from one of:

    \\c:1709632800,s:rcv01*5C\\!AIVDM,1,1,,A,...*hh       NMEA 4.10 tag block, c: = unix time
    2024-03-05T10:00:00Z !AIVDM,1,1,,A,...*hh             a timestamp before the sentence
    2024-03-05 10:00:00.123;!AIVDM,...   [2024-...] !AIVDM,...   1709632800 !AIVDM,...
    !AIVDM,1,1,,A,...*hh,1709632800                       a unix time after the checksum
    !AIVDM,1,1,,A,...*hh,b003669794,1272412827            USCG/NAIS: station, then unix time
    $PGHP,1,2024,3,5,10,0,0,0,...*hh  then  !AIVDM,...    Gatehouse: the time of what follows

Blank lines and `#` comment lines are skipped.

Sentences of a multi-sentence message (a static report: name, IMO, call sign) are joined before
decoding; the message takes the time and line number of its first sentence. Position reports
(types 1, 2, 3, 18, 19, 27, and 4, 9, 11, 21 from stations that are not vessels) become rows;
static reports (5, 24) feed the vessel records; every other message is counted. A file whose
sentences carry no time is refused: positions that cannot be dated are not evidence of anything.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from osint.boundedio import OVERLONG
from osint.errors import InvalidInput
from osint.maritime.ais import layouts
from osint.maritime.ais.layouts import parse_iso_utc

if TYPE_CHECKING:
    from osint.maritime.ais.stream import Intake

# The lines read before the first row to find out whether the file carries times at all.
PROBE = 1000

_SENTENCE = re.compile(r"[!$][A-Z]{2}VD[MO],[^*\s]*\*[0-9A-Fa-f]{2}")
_TAG = re.compile(r"\\([^\\]*)\\")
_BRACKETS = " \t,;[]()"

# Message types with a position, and the kind of station those that are not vessels come from.
POSITION_TYPES = {1, 2, 3, 18, 19, 27, 4, 9, 11, 21}
STATION = {4: "Base Station", 11: "Base Station", 9: "SAR Airborne", 21: "AtoN"}
MESSAGE_NAMES = {
    5: "static and voyage report (type 5)",
    24: "static data report (type 24)",
    6: "binary message (type 6)",
    7: "binary acknowledge (type 7)",
    8: "binary broadcast (type 8)",
    10: "UTC inquiry (type 10)",
    12: "safety message (type 12)",
    14: "safety broadcast (type 14)",
    15: "interrogation (type 15)",
    16: "assignment command (type 16)",
    17: "DGNSS broadcast (type 17)",
    20: "data link management (type 20)",
    22: "channel management (type 22)",
    23: "group assignment (type 23)",
    25: "single slot binary (type 25)",
    26: "multiple slot binary (type 26)",
}


def _stamp(text: str) -> int:
    """Epoch seconds of a timestamp written beside a sentence (ISO 8601 or unix seconds or
    milliseconds, fractions allowed). Raises ValueError."""
    value = text.strip(_BRACKETS)
    if not value:
        raise ValueError("empty")
    head, dot, tail = value.partition(".")
    if head.isdigit() and (not dot or tail.isdigit()):
        number = int(head)
        if len(head) == 13:
            return number // 1000  # milliseconds
        if 9 <= len(head) <= 10:
            return number
        raise ValueError(value)
    return parse_iso_utc(value)


def _tag_time(tag: str) -> tuple[int | None, str | None]:
    """(epoch, problem) from a tag block's text `c:1709632800,s:rcv*hh`."""
    body, star, check = tag.partition("*")
    if star:
        value = 0
        for char in body.encode("ascii", "replace"):
            value ^= char
        try:
            if int(check[:2], 16) != value:
                return None, "tag block checksum mismatch"
        except ValueError:
            return None, "unreadable tag block checksum"
    for part in body.split(","):
        if part.startswith("c:"):
            try:
                return _stamp(part[2:]), None
            except ValueError:
                return None, f"unreadable tag block time {part!r}"
    return None, None


def split_line(line: str) -> tuple[str | None, int | None, str | None, str]:
    """(sentence, epoch, problem, where the time came from) of one logged line; sentence None
    when the line holds none."""
    match = _SENTENCE.search(line)
    if not match:
        return None, None, None, ""
    sentence = match.group(0)
    before, after = line[: match.start()], line[match.end() :]
    epoch = problem = None
    tags = _TAG.findall(before)
    for tag in tags:
        found, problem = _tag_time(tag)
        if problem:
            return sentence, None, problem, ""
        if found is not None:
            return sentence, found, None, "tag block c:"
    prefix = _TAG.sub("", before).strip(_BRACKETS)
    if prefix:
        try:
            return sentence, _stamp(prefix), None, "timestamp before the sentence"
        except (ValueError, OverflowError):
            return sentence, None, f"unreadable timestamp {prefix[:40]!r} before the sentence", ""
    suffix = after.strip(_BRACKETS)
    if suffix:
        # `*hh,1709632800`, or as USCG/NAIS logs: `*hh,b003669794,1272412827` (the receiving
        # station, then the time; sometimes more fields): the last field that is a time.
        for field in reversed(re.split(r"[\s,;]+", suffix)[:8]):
            try:
                return sentence, _stamp(field), None, "time after the sentence"
            except (ValueError, OverflowError):
                continue  # a receiver's label, not a time
    return sentence, epoch, None, ""


_PGHP = re.compile(
    r"^\$PGHP,1,(\d{4}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,3})\b"
)


def gatehouse_time(line: str) -> tuple[int | None, str | None]:
    """(epoch, problem) of a Gatehouse `$PGHP,1,YYYY,M,D,h,m,s,ms,...*hh` time sentence, which
    dates the sentences that follow it; (None, None) when the line is not one."""
    text = _TAG.sub("", line).strip()
    if not text.startswith("$PGHP,"):
        return None, None
    body, star, check = text[1:].partition("*")
    if star:
        value = 0
        for char in body.encode("ascii", "replace"):
            value ^= char
        try:
            if int(check[:2], 16) != value:
                return None, "Gatehouse $PGHP checksum mismatch"
        except ValueError:
            return None, "unreadable Gatehouse $PGHP checksum"
    match = _PGHP.match(text)
    if not match:
        return None, None  # another $PGHP type (not a time)
    year, month, day, hour, minute, second, _ = (int(g) for g in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None, f"Gatehouse $PGHP time {text[6:40]!r} is not a date"
    return int(moment.timestamp()), None


# Six-bit armoured payload characters -> their bits (ITU-R M.1371, "0".."W" and "`".."w").
_SIXBIT = str.maketrans({chr(v + 48 if v < 40 else v + 56): format(v, "06b") for v in range(64)})
# Where longitude and latitude lie in a 168-bit position report: type -> (lon start, lat start);
# longitude is 28 bits, latitude 27, both signed, in 1/10,000 minute.
_POSITION_BITS = {"1": (61, 89), "2": (61, 89), "3": (61, 89), "B": (57, 85)}
# How far a position must be from the box's edges (degrees) to be counted without pyais, whose
# values are rounded to 6 decimals: nearer, pyais decodes it and the loop decides.
_EDGE = 1e-5


def _raw_position(sentence: str) -> tuple[float, float] | None:
    """(lat, lon) of a plain single-sentence position report (types 1, 2, 3, 18) with a right
    checksum, read straight from its bits; None for anything else (pyais reads those)."""
    star = sentence.rfind("*")
    body = sentence[1:star]
    fields = body.split(",")
    if (
        sentence[0] != "!"
        or len(fields) != 7
        or fields[1] != "1"
        or fields[2] != "1"
        or fields[6] != "0"
        or (fields[3] and not fields[3].isdigit())
    ):
        return None
    payload = fields[5]
    where = _POSITION_BITS.get(payload[:1])
    if where is None or len(payload) != 28:
        return None
    check = 0
    for byte in body.encode("ascii", "replace"):
        check ^= byte
    if check != int(sentence[star + 1 : star + 3], 16):
        return None  # pyais says what is wrong with it
    bits = payload.translate(_SIXBIT)
    if len(bits) != 168:
        return None  # a character outside the six-bit alphabet
    lon_at, lat_at = where
    lon = int(bits[lon_at : lon_at + 28], 2)
    lat = int(bits[lat_at : lat_at + 27], 2)
    lon -= (lon >> 27) << 28
    lat -= (lat >> 26) << 27
    return lat / 600000.0, lon / 600000.0


def plainly_outside(sentence: str, box) -> int:
    """Whether a sentence is a valid position report plainly outside `box` (S, W, N, E), as the
    import loop would count it: 0 no (or not plainly: pyais decodes it), 1 outside, 2 outside
    and inside the box with latitude and longitude swapped."""
    position = _raw_position(sentence)
    if position is None:
        return 0
    lat, lon = position
    edge = _EDGE
    if not (abs(lat) <= 90.0 - edge and abs(lon) <= 180.0 - edge) or (
        abs(lat) < edge and abs(lon) < edge
    ):
        return 0  # "not available" (91, 181), null island, the poles: the loop's to judge
    south, west, north, east = box
    if south - edge <= lat <= north + edge and (
        (lon >= west - edge or lon <= east + edge)
        if west > east
        else west - edge <= lon <= east + edge
    ):
        return 0  # inside, or too near an edge to say without pyais's rounding
    near = south - edge <= lon <= north + edge and west - edge <= lat <= east + edge
    within = south + edge <= lon <= north - edge and west + edge <= lat <= east - edge
    if near != within:
        return 0
    return 2 if within else 1


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(int(value)) if not isinstance(value, str) else value


class NmeaReader:
    """Rows of position reports from NMEA sentences (see the module's docstring)."""

    layout = layouts.NMEA
    width = len(layouts.FIELDS)
    pads = False
    lat_index = 2
    lon_index = 3
    indices = list(range(len(layouts.FIELDS)))
    header: list[str] = []

    def __init__(self, opened, first: str, skipped: int = 0):
        try:
            import pyais  # noqa: F401
        except ImportError:
            raise InvalidInput(
                f"{opened.path}: NMEA sentences; reading them needs the pyais package "
                "(pip install pyais)"
            ) from None
        self.opened = opened
        self.warnings: list[str] = []
        self.intake: Intake | None = None
        self.number = skipped  # the file's line number of the line last read
        self.message_line = 0
        self.time_sources: set[str] = set()
        probe = [first, *itertools.islice(opened.text, PROBE - 1)]
        self.lines = itertools.chain(probe, opened.text)
        split = [split_line(text.strip()) for text in probe]
        if not any(sentence for sentence, *_ in split):
            raise InvalidInput(
                f"{opened.path}: no AIS sentences (!AIVDM/!AIVDO) in the first {len(probe):,} "
                "lines: not an NMEA file"
            )
        if not any(epoch is not None for _, epoch, *_ in split) and not any(
            gatehouse_time(text)[0] is not None for text in probe
        ):
            shown = next((t.strip() for t in probe if t.strip()), "")[:80]
            raise InvalidInput(
                f"{opened.path}: NMEA sentences without times: none of the first {len(probe):,} "
                f"lines has a tag block c: field or a timestamp (e.g. {shown!r}), so no position "
                "can be dated; nothing was imported. Log with tag blocks or timestamps"
            )

    @staticmethod
    def parse_time(text: str) -> int:
        return int(text)

    @staticmethod
    def pick(row):
        return row

    def begin(self, intake) -> None:
        self.intake = intake

    def line(self) -> int:
        return self.message_line

    def malformed(self, row) -> tuple[str, str] | None:
        return (row[0], row[1]) if len(row) == 2 else None

    # With a box (set_filters): position reports plainly outside it are counted, as the loop
    # counts them, without being decoded by pyais; most reports of a receiver's log are.
    box = None

    def set_filters(self, filters) -> None:
        self.box = filters.box if filters is not None else None

    def column_map(self) -> dict[str, str]:
        return {"time": " / ".join(sorted(self.time_sources)) or "none", "decoder": "pyais"}

    def raw(self) -> Iterator[list[str]]:
        from pyais.messages import AISSentence, NMEASentenceFactory

        produce = NMEASentenceFactory.produce
        assemble = AISSentence.assemble_from_iterable
        intake = self.intake
        if intake is None:
            raise RuntimeError("NmeaReader.raw() before begin()")
        box = self.box
        marker = OVERLONG
        partial: dict[tuple, list] = {}  # (seq id, channel, parts) -> [line, epoch, sentences]

        def incomplete(entry: list, total: int) -> None:
            intake.invalid_row(
                entry[0],
                f"multi-sentence message incomplete ({len(entry[2])} of {total} sentences)",
                "NMEA sentence",
            )

        gatehouse = None  # the time of the last Gatehouse $PGHP sentence
        for text in self.lines:
            self.number += 1
            number = self.number
            text = text.strip()
            if not text or text.startswith("#"):
                continue  # blank lines and comments
            if text.startswith(marker):  # boundedio.LineGuard's, for an over-long line
                from osint.maritime.ais.readers import overlong_problem

                if overlong := overlong_problem(text):
                    intake.invalid_row(number, *overlong)
                    continue
            sentence, epoch, problem, source = split_line(text)
            if sentence is None and "$PGHP," in text:
                gatehouse, problem = gatehouse_time(text)
                if problem:
                    intake.invalid_row(number, problem, "time value")
                continue
            if sentence is not None and epoch is None and not problem and gatehouse is not None:
                epoch, source = gatehouse, "Gatehouse $PGHP sentence before it"
            if sentence is None:
                bare = _TAG.sub("", text).lstrip()  # a tag block may precede any sentence
                if bare.startswith(("$", "!")):
                    intake.positionless(f"other NMEA sentence ({bare[:6]})")
                else:
                    intake.invalid_row(
                        number, f"not an NMEA sentence: {text[:40]!r}", "NMEA sentence"
                    )
                continue
            if problem:
                intake.invalid_row(number, problem, "time value")
                continue
            if source:
                self.time_sources.add(source)
            if box is not None and epoch is not None:
                where = plainly_outside(sentence, box)
                if where:
                    intake.outside += 1
                    intake.mirrored += where == 2
                    continue
            try:
                part = produce(sentence.encode("ascii"))
                valid = part.is_valid
            except Exception as exc:  # pyais: any malformed sentence
                intake.invalid_row(
                    number, f"unreadable NMEA sentence ({type(exc).__name__})", "NMEA sentence"
                )
                continue
            if not isinstance(part, AISSentence):  # pyais makes one of every VDM/VDO sentence
                intake.invalid_row(number, "not an AIS sentence", "NMEA sentence")
                continue
            if not valid:
                intake.invalid_row(number, "NMEA checksum mismatch", "NMEA sentence")
                continue
            first_line = number
            if part.frag_cnt == 1:
                message = part
            else:
                slot = (part.seq_id, part.channel, part.frag_cnt)
                entry = partial.get(slot)
                if part.frag_num == 1:
                    if entry is not None:
                        incomplete(entry, part.frag_cnt)
                    partial[slot] = [number, epoch, [part]]
                    continue
                if entry is None or len(entry[2]) != part.frag_num - 1:
                    if entry is not None:
                        incomplete(partial.pop(slot), part.frag_cnt)
                    intake.invalid_row(
                        number,
                        f"sentence {part.frag_num} of {part.frag_cnt} without the ones before it",
                        "NMEA sentence",
                    )
                    continue
                entry[2].append(part)
                if entry[1] is None:
                    entry[1] = epoch
                if len(entry[2]) < part.frag_cnt:
                    continue
                del partial[slot]
                first_line, epoch = entry[0], entry[1]
                try:
                    message = assemble(entry[2])
                except Exception as exc:
                    intake.invalid_row(
                        first_line, f"sentences do not join ({type(exc).__name__})", "NMEA sentence"
                    )
                    continue
            self.message_line = first_line
            try:
                # Any: the message type (msg_type, below) says which fields it has.
                decoded: Any = message.decode()
            except Exception as exc:  # pyais: unknown type, short payload
                intake.invalid_row(
                    first_line,
                    f"AIS message does not decode ({type(exc).__name__})",
                    "NMEA message",
                )
                continue
            if epoch is None:
                intake.invalid_row(
                    first_line, "no time (no tag block c: field or timestamp)", "time value"
                )
                continue
            kind = decoded.msg_type
            if kind in POSITION_TYPES:
                yield self._row(decoded, kind, epoch)
            elif kind == 5:
                intake.positionless(MESSAGE_NAMES[5])
                intake.static(
                    decoded.mmsi,
                    epoch,
                    decoded.shipname or "",
                    str(decoded.imo or ""),
                    decoded.callsign or "",
                    _text(decoded.ship_type) if decoded.ship_type else "",
                )
            elif kind == 24:
                intake.positionless(MESSAGE_NAMES[24])
                if getattr(decoded, "partno", 0) == 0:
                    intake.static(decoded.mmsi, epoch, getattr(decoded, "shipname", "") or "")
                else:
                    ship_type = getattr(decoded, "ship_type", 0)
                    intake.static(
                        decoded.mmsi,
                        epoch,
                        call_sign=getattr(decoded, "callsign", "") or "",
                        ship_type=_text(ship_type) if ship_type else "",
                    )
            else:
                intake.positionless(MESSAGE_NAMES.get(kind, f"message type {kind}"))
        for (_, _, total), entry in partial.items():
            incomplete(entry, total)
        self.message_line = self.number

    def _row(self, decoded, kind: int, epoch: int) -> list[str]:
        get = getattr
        speed = get(decoded, "speed", None)
        course = get(decoded, "course", None)
        if kind == 27:  # long-range broadcast: knots and degrees, 63 and 511 not available
            speed = None if speed == 63 else speed
            course = None if course == 511 else course
        status = get(decoded, "status", None)
        name = get(decoded, "shipname", None) or get(decoded, "name", None) or ""
        ship_type = get(decoded, "ship_type", None)
        return [
            f"{decoded.mmsi:09d}",
            str(epoch),
            _text(decoded.lat),
            _text(decoded.lon),
            _text(speed),
            _text(course),
            _text(get(decoded, "heading", None)),
            _text(status),
            name if kind != 21 else "",
            "",
            "",
            _text(ship_type) if ship_type else "",
            STATION.get(kind, ""),
        ]
