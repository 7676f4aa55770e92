"""Pictures and figures: thumbnails as data: URIs (HTML) or files beside the brief (Markdown),
and the map and charts drawn as SVG."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from osint.briefs.render import MarkdownSafe
from osint.briefs.summary import plural
from osint.errors import InvalidInput

# ---- pictures and figures --------------------------------------------------------------------

_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def _thumbnail(conn, image) -> tuple[bytes, str] | None:
    from osint.case.store import blobs

    sha = image.get("thumbnail_sha256") if hasattr(image, "get") else None
    if not sha or not re.fullmatch(r"[0-9a-f]{64}", str(sha)):
        return None
    info = blobs.info(conn, sha)
    if info is None:
        return None
    media_type = (info["media_type"] or "image/jpeg").split(";")[0].strip().lower()
    if media_type not in _IMAGE_TYPES:
        media_type = "image/jpeg"
    return blobs.read_bytes(conn, sha), media_type


FULL_MAX_BYTES = 8_000_000  # one picture embedded at full resolution in an HTML brief
FULL_BUDGET_BYTES = 40_000_000  # all of them together; past it, the brief says how to export


def _original(conn, image) -> tuple[bytes, str] | None:
    """A picture's own bytes when a browser shows them (JPEG, PNG, WebP, GIF) and they fit."""
    from osint.case.store import blobs

    sha = image.get("sha256") if hasattr(image, "get") else None
    if not sha or not re.fullmatch(r"[0-9a-f]{64}", str(sha)):
        return None
    info = blobs.info(conn, sha)
    if info is None or (info["size"] or 0) > FULL_MAX_BYTES:
        return None
    media_type = (info["media_type"] or "").split(";")[0].strip().lower()
    if media_type not in _IMAGE_TYPES:
        return None
    return blobs.read_bytes(conn, sha), media_type


def _full_uri(conn):
    """HTML: the picture at full resolution as a data: URI ("" when too large or not shown by
    browsers: the brief then names the command that exports it)."""
    used = [0]

    def src(image) -> str:
        found = _original(conn, image)
        if found is None or used[0] + len(found[0]) > FULL_BUDGET_BYTES:
            return ""
        used[0] += len(found[0])
        data, media_type = found
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"

    return src


def _data_uri(conn):
    """HTML: a picture's thumbnail as a data: URI (the brief stays one file)."""

    def src(image) -> str:
        found = _thumbnail(conn, image)
        if found is None:
            return ""
        data, media_type = found
        return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"

    return src


class _BriefFiles:
    """Markdown: pictures and figures written beside the brief in FILE_files/."""

    PATTERN = re.compile(r"^(I\d+(-full)?\.(jpg|png|webp|gif)|figure-[a-z-]+\.svg)$")
    EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}

    def __init__(self, output: Path):
        from urllib.parse import quote

        self.folder = output.parent / f"{output.stem}_files"
        self.relative = quote(f"{output.stem}_files", safe="-_.~")
        self.written: set[str] = set()

    def _write(self, name: str, data: bytes) -> MarkdownSafe:
        from osint.fileio import atomic_output

        try:
            self.folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise InvalidInput(f"{self.folder}: cannot write ({exc.strerror or exc})") from None
        with atomic_output(self.folder / name, binary=True, option="picture") as handle:
            handle.write(data)
        self.written.add(name)
        return MarkdownSafe(f"{self.relative}/{name}")

    def thumbnail(self, conn):
        def src(image) -> str:
            ref = image.get("ref") if hasattr(image, "get") else None
            if not ref or not re.fullmatch(r"I\d+", str(ref)):
                return ""
            found = _thumbnail(conn, image)
            if found is None:
                return ""
            data, media_type = found
            return self._write(f"{ref}.{self.EXT[media_type]}", data)

        return src

    def full(self, conn):
        def src(image) -> str:
            ref = image.get("ref") if hasattr(image, "get") else None
            if not ref or not re.fullmatch(r"I\d+", str(ref)):
                return ""
            found = _original(conn, image)
            if found is None:
                return ""
            data, media_type = found
            return self._write(f"{ref}-full.{self.EXT[media_type]}", data)

        return src

    def figure(self, name: str, svg: str) -> str:
        if not svg or not re.fullmatch(r"[a-z-]+", str(name)):
            return ""
        return self._write(f"figure-{name}.svg", str(svg).encode("utf-8"))

    def finish(self) -> None:
        """Remove pictures an earlier export wrote here that this brief no longer uses."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if self.PATTERN.match(path.name) and path.name not in self.written:
                path.unlink()


def _figures(context: dict, fmt: str) -> dict:
    """The map of places and sightings and the chart of visits per month, as SVG text."""
    from osint.briefs import charts

    places = [p for p in context["places"] if p.get("lat") is not None]
    seen = context.get("sightings_pass") or {"per_place": {}, "points": []}
    per_place, points = seen["per_place"], seen["points"]
    map_places = [
        {
            "name": p["name"],
            "lat": p["lat"],
            "lon": p["lon"],
            "radius_m": p.get("radius_m"),
            "note": plural(per_place[p["id"]], "sighting") if per_place.get(p["id"]) else None,
        }
        for p in places
    ]
    pictures = [
        {"lat": i["lat"], "lon": i["lon"], "label": f"{i['ref']} {i['label']}"}
        for i in context["images"]
        if i.get("lat") is not None and i.get("lon") is not None and not i.get("original")
    ]
    figures = {"map": "", "chart": "", "barrels": ""}
    context["map_outliers"] = []
    if map_places or points or pictures:
        from osint.briefs import basemap

        figures["map"], outliers = basemap.map_svg(
            map_places,
            points,
            pictures=pictures,
            title="Places, sightings and pictures",
            max_points=context["limits"].map_points,
            width=560,
            height=430,
        )
        context["map_outliers"] = [
            {
                "label": o.get("label") or "a sighting",
                "where": f"{o['lat']:.4f}, {o['lon']:.4f}",
                "km": round(o["km"]),
            }
            for o in outliers[:20]
        ]
        context["map_outliers_more"] = max(0, len(outliers) - 20)
    months = context.get("visits_by_month") or []
    if months:
        figures["chart"] = charts.bar_chart_svg(
            [(label, count) for label, count in months],
            title="Visits per month",
            unit=" visits",
            width=460,
            height=280,
        )
    steps = context.get("barrels_over_time") or []
    if steps:
        headline = context.get("headline") or {}
        cap = headline.get("cap_bbl")
        figures["barrels"] = charts.cumulative_chart_svg(
            steps,
            cap=cap,
            cap_label=f"cap: {cap:,} barrels a year" if cap else "",
            title="Estimated barrels loaded, cumulative",
            width=560,
            height=280,
        )
    if fmt == "html":
        from markupsafe import Markup

        # charts.py escapes every text it draws: the SVG is markup of our own making.
        return {key: Markup(value) for key, value in figures.items()}
    return figures
