"""Briefs: the case rendered for editors, lawyers and policy staff, as Markdown or one HTML file.

The context is built here from the case (retracted records never appear); templates are Jinja2,
looked up in a chain so that a user's own template folder overrides the built-in ones by name:
`--template PATH` (a file), then $OSINT_TEMPLATES / `template_dirs`, then the built-in
`templates/` shipped in the wheel (or the source tree in a development checkout).

Every record a brief may cite gets a numbered reference (S1 source, Q1 quote, I1 image, V1 vessel,
P1 place, O1 sighting, VQ1 visits query, F1 finding). Long lists are cut to `Limits` for reading:
what a finding cites is always shown, the rest is summarised and the brief says where the full
data is (`view`). Templates render inside a Jinja2 sandbox (a template from a colleague cannot
run code); HTML is autoescaped and Markdown values pass through `markdown_escape`, so no text
from the case becomes markup, a link or a script in either.
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from osint import __version__, features
from osint.case import kinds, records
from osint.errors import InvalidInput
from osint.timeutil import now_iso

REF_PREFIX = {
    "source": "S",
    "quote": "Q",
    "image": "I",
    "sighting": "O",
    "vessel": "V",
    "place": "P",
    "finding": "F",
    "visit-query": "VQ",
    "ais-track": "T",
}
OTHER_PREFIX = "R"  # records of kinds without a section of their own (listed under "Also cited")

FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
BUILTIN_NAMES = ("brief", "one-pager")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ILLUSTRATIVE = re.compile(r"^\W*illustrative\b", re.I)

# Where a reader finds the full data of a section that the brief summarises.
FULL_DATA = {
    "sources": "osint list sources",
    "quotes": "osint list quotes",
    "images": "osint list images (or osint image export)",
    "vessels": "osint list vessels",
    "places": "osint list places",
    "sightings": "osint list sightings (or osint export csv)",
    "visits": "osint visits (or osint export csv)",
    "timeline": "osint timeline",
}


@dataclass
class Limits:
    """How much of each long list a brief shows (0: everything). Cited records always show."""

    rows: int = 100  # sightings, timeline, visits, vessels, places, quotes, sources
    images: int = 48  # thumbnails in the gallery
    citations: int = 50  # references listed per finding and relation
    map_points: int = 2000  # sighting dots before they are binned into cells


class Ref(dict):
    """A record in the template context: a dict whose text form is its label."""

    def __str__(self) -> str:
        return str(
            self.get("label") or self.get("title") or self.get("name") or self.get("id") or ""
        )


class References:
    """Numbered references (S1, Q2, ...) for every record a brief may cite.

    `shown` holds the references that have an anchor in the brief, so links only point to
    something the reader can find.
    """

    def __init__(self):
        self.by_id: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        self.shown: set[str] = set()

    def assign(self, kind: str, record_id: str) -> str:
        if record_id not in self.by_id:
            prefix = REF_PREFIX.get(kind, OTHER_PREFIX)
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            self.by_id[record_id] = f"{prefix}{self.counters[prefix]}"
        return self.by_id[record_id]

    def get(self, record_id: str | None) -> str | None:
        return self.by_id.get(record_id) if record_id else None

    def anchor(self, ref: str | None) -> str | None:
        """The reference when the brief shows that record (a link can point to it), else None."""
        return ref if ref and ref in self.shown else None


def http_url(value: str | None) -> str | None:
    """The value when it is an http(s) URL (the only links a brief makes), else None."""
    if not value:
        return None
    text = str(value).strip()
    if re.match(r"^https?://[^\s<>\"'`\\]+$", text, re.I) and not re.search(
        r"[\x00-\x1f\x7f]", text
    ):
        return text
    return None


def is_illustrative(*texts) -> bool:
    """Whether a record says it is illustrative (demo or made-up data), in its note or text."""
    return any(bool(text) and bool(_ILLUSTRATIVE.match(str(text))) for text in texts)


def _rows(conn, kind: str, **kwargs) -> list[dict]:
    if kind not in kinds.KINDS:
        return []
    return list(records.iter_records(conn, kind, **kwargs))


# ---- the context -----------------------------------------------------------------------------


def build_context(
    case,
    *,
    exported_by: str | None = None,
    run_verify: bool = True,
    limits: Limits | None = None,
) -> dict:
    """Everything a brief template sees. Retracted records are left out.

    Call inside `case.reading()` so that the brief, its counts and the audit head it prints
    describe one state of the case.
    """
    limits = limits or Limits()
    conn: sqlite3.Connection = case.conn
    refs = References()
    info = case.info()
    sources = _sources(conn, refs)
    source_by_id = {s["id"]: s for s in sources}
    quotes = _quotes(conn, refs, source_by_id)
    context = {
        "case": Ref(
            {
                **info,
                "label": info.get("title"),
                "path": case.path.name,
                "illustrative": is_illustrative(info.get("summary"), info.get("title")),
            }
        ),
        "exported_at": now_iso(),
        "exported_by": exported_by or case.actor,
        "osint_version": __version__,
        "sources": sources,
        "quotes": quotes,
        "findings": [],
        "images": [],
        "vessels": [],
        "places": [],
        "sightings": [],
        "visits": [],
        "visit_queries": [],
        "visits_by_month": [],
        "timeline": [],
        "refs": refs,
        "limits": limits,
        "left_out": {},
        "grades": kinds.GRADES,
        # What findings cite, known before the parts run: they keep those records at hand.
        "cited_ids": _cited_ids(conn),
    }
    for part in features.brief_parts():
        part(conn, context, refs)
    context["findings"] = _findings(conn, refs, limits)
    cited = {c["id"] for f in context["findings"] for c in f["supported_by"] + f["contradicted_by"]}
    context["view"] = _views(context, refs, limits, cited)
    context["also_cited"] = _also_cited(context["findings"], refs)
    context["cited"] = _cited_records(context, refs)
    context["timeline"], context["timeline_months"], entries = _timeline(conn, context, refs)
    context["view"]["timeline"] = _timeline_view(context, limits, entries)
    context["illustrative"] = _illustrative_count(context)
    context["provenance"] = _provenance(case, run_verify)
    context["verification_line"] = _verification_line(context["provenance"]["verify"])
    context["glance"] = _glance(context)
    return context


def _sources(conn, refs: References) -> list[Ref]:
    sources = []
    quote_counts = dict(
        conn.execute(
            "SELECT source, count(*) FROM quotes WHERE retracted_at IS NULL GROUP BY source"
        ).fetchall()
    )
    for row in _rows(conn, "source"):
        snapshot = records.get(conn, "snapshot", row["snapshot"]) if row.get("snapshot") else None
        capture = None
        if snapshot and (snapshot.get("final_url") or snapshot.get("http_status")):
            capture = {
                "url": snapshot.get("url"),
                "final_url": snapshot.get("final_url"),
                "final_link": http_url(snapshot.get("final_url")),
                "redirected": bool(
                    snapshot.get("final_url") and snapshot.get("final_url") != snapshot.get("url")
                ),
                "http_status": snapshot.get("http_status"),
                "http_reason": snapshot.get("http_reason"),
                "tls_version": snapshot.get("tls_version"),
                "tls_verified": snapshot.get("tls_verified"),
                "tool": snapshot.get("tool"),
                "screenshot_sha256": snapshot.get("screenshot_sha256"),
            }
        sources.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("source", row["id"]),
                    "label": row["title"],
                    "url": http_url(row["locator"]),
                    "grade_meaning": kinds.GRADES.get(row["grade"] or ""),
                    "illustrative": is_illustrative(row.get("note"), row.get("title")),
                    "retrieved_at": snapshot["retrieved_at"] if snapshot else None,
                    "snapshot_media_type": snapshot["media_type"] if snapshot else None,
                    "snapshot_size": snapshot["size"] if snapshot else None,
                    "snapshot_filename": snapshot["filename"] if snapshot else None,
                    "capture": capture,
                    "quotes": quote_counts.get(row["id"], 0),
                }
            )
        )
    return sources


def _quotes(conn, refs: References, source_by_id: dict) -> list[Ref]:
    quotes = []
    for row in _rows(conn, "quote"):
        source = source_by_id.get(row["source"])
        quotes.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("quote", row["id"]),
                    "label": f"{row['speaker'] or 'Unknown speaker'}: {row['text']}",
                    "source": source or Ref({"id": row["source"], "label": "(source withdrawn)"}),
                    "source_id": row["source"],
                    "source_ref": source["ref"] if source else None,
                    "source_withdrawn": source is None,
                    "verified": bool(row["verified"]),
                    "illustrative": is_illustrative(row.get("note")),
                    "credibility_meaning": kinds.CREDIBILITY.get(row["credibility"] or 0),
                }
            )
        )
    return quotes


def _cited_ids(conn) -> set[str]:
    return {
        row[0]
        for row in conn.execute(
            "SELECT l.from_id FROM links l JOIN findings f ON f.id = l.to_id "
            "WHERE l.retracted_at IS NULL AND f.retracted_at IS NULL "
            "AND l.relation IN ('supports', 'contradicts')"
        )
    }


def _verification_line(result: dict | None) -> str:
    if result is None:
        return "not run"
    if result["ok"]:
        return "intact (osint verify found no problem)"
    return f"{len(result['problems'])} PROBLEMS found by osint verify (listed under Provenance)"


def _findings(conn, refs: References, limits: Limits) -> list[Ref]:
    findings = []
    rows = _rows(conn, "finding")
    for row in rows:  # numbered in order first, so a finding citing a later one keeps the order
        refs.assign("finding", row["id"])
    for row in rows:
        cited = {"supports": [], "contradicts": []}
        for link in records.links_of(conn, row["id"]):
            if link["direction"] != "in" or link["other_retracted"] or not link["other_kind"]:
                continue
            if link["relation"] not in cited:
                continue
            ref = refs.get(link["other"]) or refs.assign(link["other_kind"], link["other"])
            cited[link["relation"]].append(
                {
                    "ref": ref,
                    "id": link["other"],
                    "kind": link["other_kind"],
                    "label": link["other_label"],
                    "note": link.get("note"),
                }
            )
        entry = Ref(
            {
                **row,
                "ref": refs.assign("finding", row["id"]),
                "label": row["text"],
                "illustrative": is_illustrative(row["text"], row.get("note")),
            }
        )
        for key, relation in (("supported_by", "supports"), ("contradicted_by", "contradicts")):
            items = sorted(cited[relation], key=lambda c: _ref_key(c["ref"]))
            cap = limits.citations or len(items)
            entry[key] = items[:cap]
            entry[key.replace("_by", "_more")] = max(0, len(items) - cap)
        findings.append(entry)
    return findings


def _ref_key(ref: str | None) -> tuple[str, int]:
    match = re.match(r"^([A-Z]+)(\d+)$", ref or "")
    return (match.group(1), int(match.group(2))) if match else (ref or "", 0)


def cite_groups(cites: list[dict]) -> list[dict]:
    """Citations with runs of consecutive references of one kind folded: O1, O2, O3 -> O1-O3."""
    groups: list[dict] = []
    for cite in cites:
        prefix, number = _ref_key(cite["ref"])
        last = groups[-1] if groups else None
        if (
            last
            and last["prefix"] == prefix
            and number
            and last["number"] + 1 == number
            and last["count"] >= 1
        ):
            last["last"] = cite
            last["number"] = number
            last["count"] += 1
            continue
        groups.append({"first": cite, "last": None, "prefix": prefix, "number": number, "count": 1})
    out = []
    for group in groups:
        if group["count"] == 2:  # two in a row read better listed: O1, O2
            out += [{"first": group["first"], "last": None}, {"first": group["last"], "last": None}]
        else:
            out.append({"first": group["first"], "last": group["last"]})
    return out


# ---- what each section shows -----------------------------------------------------------------


def _select(items: list, limit: int, cited: set[str], priority=None) -> list:
    """The items a section shows: all when they fit, else the cited ones and the first others
    (in `priority` order), kept in the section's own order."""
    if not limit or len(items) <= limit:
        return list(items)
    keep = {item["id"] for item in items if item["id"] in cited}
    others = [item for item in items if item["id"] not in keep]
    if priority:
        others = sorted(others, key=priority)
    keep |= {item["id"] for item in others[: max(0, limit - len(keep))]}
    return [item for item in items if item["id"] in keep]


def _view(name: str, items: list, shown: list, *, noun: str, summary=None) -> dict:
    hidden = len(items) - len(shown)
    note = None
    if hidden:
        note = (
            f"This brief shows {len(shown):,} of the case's {len(items):,} {noun}"
            + (", including every one a finding cites" if shown else "")
            + f". The full list is in the case file: {FULL_DATA.get(name, 'osint list ' + name)}."
        )
    return {"rows": shown, "total": len(items), "hidden": hidden, "note": note, "summary": summary}


def _views(context: dict, refs: References, limits: Limits, cited: set[str]) -> dict:
    rows = limits.rows
    views = {}
    for name, noun in (("sources", "sources"), ("quotes", "quotes"), ("places", "places")):
        items = context[name]
        views[name] = _view(name, items, _select(items, rows, cited), noun=noun)
    vessels = context["vessels"]
    views["vessels"] = _view(
        "vessels",
        vessels,
        _select(vessels, rows, cited, priority=lambda v: (-(v.get("visits") or 0), v["name"])),
        noun="vessels",
    )
    # Images: the gallery shows originals, each with its annotated copies.
    images = [i for i in context["images"] if not i.get("original")]
    cited_images = set(cited)
    for image in images:
        if any(copy["id"] in cited for copy in image.get("copies", [])):
            cited_images.add(image["id"])
    gallery = _select(
        images,
        limits.images,
        cited_images,
        priority=lambda i: (not i.get("copies"), not i.get("sightings"), i["order"]),
    )
    views["images"] = _view("images", images, gallery, noun="pictures")
    # Sightings: a full table when it fits; else one row per vessel, plus the cited sightings
    # and those with a picture (the maritime part read them in one pass, see _read_sightings).
    sightings = context["sightings"]
    seen = context.get("sightings_pass") or {
        "total": 0, "first": [], "kept": {}, "per_vessel": [], "common_place": None,
    }  # fmt: skip
    if not rows or seen["total"] <= rows:
        shown = list(seen["first"])
        summary = None
    else:
        kept = seen["kept"]
        picked = [kept[i] for i in kept if i in cited]
        picked += [s for i, s in kept.items() if i not in cited and s.get("image")]
        picked = sorted(picked[: max(rows, len([i for i in kept if i in cited]))],
                        key=lambda s: int(s["ref"][1:]))  # fmt: skip
        shown = picked
        per_vessel = seen["per_vessel"]
        summary = {"rows": per_vessel[:rows], "hidden": max(0, len(per_vessel) - rows)}
    views["sightings"] = _view("sightings", sightings, shown, noun="sightings", summary=summary)
    views["sightings"]["place"] = seen["common_place"]
    visits = context["visits"]
    views["visits"] = _view(
        "visits", visits, visits[:rows] if rows else list(visits), noun="vessel and place rows"
    )
    for view in views.values():
        for item in view["rows"]:
            refs.shown.add(item["ref"])
            for copy in item.get("copies", []) if isinstance(item, dict) else []:
                refs.shown.add(copy["ref"])
    for query in context.get("visit_queries", []):
        refs.shown.add(query["ref"])
    for finding in context["findings"]:
        refs.shown.add(finding["ref"])
    return views


def _also_cited(findings: list, refs: References) -> list[dict]:
    """Cited records of kinds the brief has no section for (AIS tracks, snapshots, ...)."""
    sectioned = {"source", "quote", "image", "sighting", "vessel", "place", "visit-query"}
    seen, out = set(), []
    for finding in findings:
        for cite in finding["supported_by"] + finding["contradicted_by"]:
            if cite["ref"] in seen:
                continue
            if cite["kind"] in sectioned and cite["ref"] in refs.shown:
                continue
            if cite["kind"] == "finding":
                continue
            seen.add(cite["ref"])
            refs.shown.add(cite["ref"])
            out.append(cite)
    return sorted(out, key=lambda c: _ref_key(c["ref"]))


def _cited_records(context: dict, refs: References) -> list[dict]:
    """Every record the findings cite, once, in reference order, each with its context item
    (`item`: the source, quote, picture... as the full brief shows it) for compact templates."""
    items = dict((context.get("sightings_pass") or {}).get("kept", {}))
    for name in ("sources", "quotes", "images", "vessels", "places", "visit_queries", "findings"):
        for item in context.get(name, []):
            items[item["id"]] = item
    seen: dict[str, dict] = {}
    for finding in context["findings"]:
        for cite in finding["supported_by"] + finding["contradicted_by"]:
            seen.setdefault(cite["ref"], {**cite, "item": items.get(cite["id"])})
    return [seen[key] for key in sorted(seen, key=_ref_key)]


def _illustrative_count(context: dict) -> int:
    return (context.get("sightings_pass") or {}).get("illustrative", 0) + sum(
        1
        for name in ("findings", "sources", "quotes", "images", "vessels")
        for item in context[name]
        if item.get("illustrative")
    )


def _glance(context: dict) -> list[tuple[str, str]]:
    """Headline numbers for the top of the brief: (label, number)."""
    out = [("findings", len(context["findings"]))]
    for name in ("sources", "quotes", "images", "vessels", "sightings"):
        if context[name]:
            out.append((name, len(context[name])))
    totals = context.get("visits_totals")
    if totals:
        out.append(("visits", totals["visits"]))
        if totals.get("barrels"):
            out.append(("barrels (est.)", totals["barrels"]))
    return [
        (label.removesuffix("s") if value == 1 else label, f"{value:,}") for label, value in out
    ]


# ---- timeline --------------------------------------------------------------------------------


def _timeline(conn, context: dict, refs: References) -> tuple[list[dict], list[dict], int]:
    """Dated records in time order, a day's run of sightings folded into one entry; the same by
    month; and how many entries there are. Streamed: past the row limit only months are counted
    (a case may hold far more sightings than a brief shows)."""
    import heapq

    from osint.case.timeline import timeline

    limit = context["limits"].rows
    cap = context["limits"].citations or None
    images = {i["id"]: i for i in context["images"]}
    quotes = {q["id"]: q for q in context["quotes"]}
    sources = {s["id"]: s for s in context["sources"]}
    others = (item for item in timeline(conn) if item["kind"] != "sighting")
    seen = (
        {"when": s["when"], "kind": "sighting", "id": s["id"], "sighting": s}
        for s in context["sightings"]
    )
    rows: list[dict] = []
    total = 0
    months: dict[str, dict] = {}
    for item in heapq.merge(others, seen, key=lambda i: (i["when"], i["kind"], i["id"])):
        kind, when = item["kind"], item["when"]
        entry = None
        keep = not limit or total <= limit
        if kind == "sighting":
            sighting = item["sighting"]
            last = rows[-1] if rows else None
            if last and last["kind"] == "sightings" and last["when"] == when[:10]:
                last["count"] += 1
                if cap is None or len(last["items"]) < cap:
                    last["items"].append(sighting)
            else:
                total += 1
                if keep:
                    rows.append(
                        {"when": when[:10], "kind": "sightings", "items": [sighting], "count": 1}
                    )
        elif kind == "image":
            image = images.get(item["id"])
            if image is None or image.get("original"):
                continue
            entry = {"summary": image["label"], "item": image}
        elif kind == "quote":
            quote = quotes.get(item["id"])
            if quote is None:
                continue
            entry = {"summary": f"{quote['speaker'] or 'Unknown speaker'} said: {quote['text']}"}
        elif kind == "source":
            source = sources.get(item["id"])
            if source is None:
                continue
            entry = {
                "summary": f"Published: {source['title']}"
                + (f", {source['publisher']}" if source.get("publisher") else "")
            }
        elif kind == "vessel-name":
            entry = _name_event(conn, item, refs)
            if entry is None:
                continue
        elif kind == "timestamp":
            entry = {"summary": f"Audit log head time-stamped: {item['summary']}"}
        else:
            entry = {"summary": item["summary"]}
        bucket = months.setdefault(when[:7], {"month": when[:7], "counts": {}})
        label = {"sighting": "sightings", "image": "pictures", "quote": "quotes"}.get(kind, "other")
        bucket["counts"][label] = bucket["counts"].get(label, 0) + 1
        if entry is not None:
            total += 1
            if keep:
                ref = entry.pop("ref", None) or refs.get(item["id"])
                rows.append({"when": when, "kind": kind, "ref": ref, "id": item["id"], **entry})
    if limit and total > limit:
        rows = []
    for row in rows:
        if row["kind"] == "sightings":
            items = row["items"]
            if row["count"] == 1:
                row["when"] = items[0]["when"]
            row["vessels"] = _distinct([str(s["vessel"]) for s in items])
            where = {s["place"]["name"] if s.get("place") else None for s in items}
            text = ", ".join(f"{s['vessel']} {s['activity'] or 'seen'}" for s in items[:6])
            if row["count"] > 6:
                text += f" and {row['count'] - 6:,} more"
            if len(where) == 1 and None not in where:
                text += f" at {next(iter(where))}"
            row["summary"] = text
    return rows, sorted(months.values(), key=lambda m: m["month"]), total


def _name_event(conn, item: dict, refs: References) -> dict | None:
    row = records.get(conn, "vessel-name", item["id"])
    if not row:
        return None
    vessel = records.get(conn, "vessel", row["vessel"])
    if not vessel or vessel.get("retracted_at"):
        return None
    kind = row["name_type"] or "name"
    return {
        "summary": f"{vessel['name']} known as {row['name']} ({kind}) from this date",
        "ref": refs.get(vessel["id"]),
    }


def _distinct(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _timeline_view(context: dict, limits: Limits, entries: int) -> dict:
    if not limits.rows or entries <= limits.rows:
        rows = context["timeline"]
        return {"rows": rows, "total": entries, "hidden": 0, "note": None, "by_month": False}
    return {
        "rows": [],
        "total": entries,
        "hidden": entries,
        "by_month": True,
        "note": f"The timeline has {entries:,} entries, shown here by month. The full timeline "
        f"is in the case file: {FULL_DATA['timeline']}.",
    }


# ---- provenance ------------------------------------------------------------------------------


def _provenance(case, run_verify: bool) -> dict:
    from osint.case.overview import case_overview

    overview = case_overview(case)
    result = None
    if run_verify:
        from osint.case.verify import verify

        result = verify(case.conn)
    stamps = []
    if "timestamp" in kinds.KINDS:
        for row in records.iter_records(case.conn, "timestamp", order_by="gen_time, id"):
            stamps.append(
                {
                    "gen_time": row["gen_time"],
                    "tsa": row["tsa"],
                    "head": row["head"],
                    "signer": row.get("signer"),
                    "is_head": row["head"] == overview["audit_head"],
                }
            )
    retracted = {}
    for spec in kinds.KINDS.values():
        if spec.listed:
            n = records.count(case.conn, spec, include_retracted=True) - records.count(
                case.conn, spec
            )
            if n:
                retracted[spec.plural] = n
    return {
        "case_id": overview["id"],
        "head": overview["audit_head"],
        "audit_entries": overview["audit_entries"],
        "counts": {k: v for k, v in overview["counts"].items() if v},
        "retracted": overview["retracted"],
        "retracted_by_kind": retracted,
        "stored_files": overview["stored_files"],
        "stored_bytes": overview["stored_bytes"],
        "schema_version": overview["schema_version"],
        "created_by": overview["created_by"],
        "created_at": overview["created_at"],
        "verify": result,
        "timestamps": stamps,
        "counts_text": ", ".join(f"{kind} {n:,}" for kind, n in overview["counts"].items() if n)
        + (
            f"; {overview['retracted']} retracted records left out" if overview["retracted"] else ""
        ),
        "osint_version": __version__,
        "file_name": case.path.name,
    }


# ---- templates -------------------------------------------------------------------------------


def builtin_template_dirs() -> list[Path]:
    """The templates shipped in the wheel, else those of the source tree (editable installs)."""
    package = Path(__file__).resolve().parent.parent
    candidates = [package / "templates", package.parent / "templates"]
    return [p for p in candidates if p.is_dir()]


def user_template_dirs(extra: Iterable[str | os.PathLike] = ()) -> list[Path]:
    dirs = []
    for p in extra:
        path = Path(p)
        if not path.is_dir():
            raise InvalidInput(f"--template-dir {p}: no such folder")
        dirs.append(path)
    env = os.environ.get("OSINT_TEMPLATES", "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p and Path(p).is_dir()]
    return dirs


# Markdown: these characters would start emphasis, code, links, tables, strike-through, maths,
# superscripts or (pandoc) spans, attributes and citations; escaped with a backslash they read
# as themselves. `{` matters to pandoc's commonmark_x, which attaches {attributes} (event
# handlers included) to whatever inline text precedes them.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$^@{])")
# What starts a block (heading, list, quote, fenced div, definition, rule) when the text opens
# a line.
_MD_START = re.compile(r"^(\s*)([#+\-=:%!]|\d{1,9}(?=[.)](?:\s|$)))")
# Bare URLs, www. names and fenced divs: autolinking and div syntax need these exact sequences.
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|\b(www)(\.)|(:)(?=:)")


class MarkdownSafe(str):
    """Text already formatted as Markdown (left alone by the Markdown escaper)."""


def markdown_escape(value) -> str:
    """Case text as literal Markdown on one line: no markup, HTML, link or image syntax survives
    (in GitHub-flavoured Markdown, CommonMark and pandoc's Markdown alike)."""
    if value is None:
        return ""
    if isinstance(value, MarkdownSafe):
        return value
    text = re.sub(r"\s+", " ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_AUTOLINK.sub(
        lambda m: "\\:" if m.group(1) or m.group(4) else f"{m.group(2)}\\.", text
    )
    match = _MD_START.match(text)
    if match and not text[match.end(1) :].startswith("\\"):
        if match.group(2)[0].isdigit():
            end = match.end(2)
            text = text[:end] + "\\" + text[end:]
        else:
            text = text[: match.end(1)] + "\\" + text[match.end(1) :]
    return text


def _md_finalize(value):
    return markdown_escape(value)


def _md_link(text, url) -> MarkdownSafe:
    safe = http_url(url)
    label = markdown_escape(text)
    if not safe:
        return MarkdownSafe(label)
    target = safe.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return MarkdownSafe(f"[{label}](<{target}>)")


def _md_ref(ref) -> MarkdownSafe:
    return MarkdownSafe(f"[{markdown_escape(ref)}]" if ref else "")


def _md_cites(cites: list, more: int = 0) -> MarkdownSafe:
    parts = []
    for group in cite_groups(cites):
        first = markdown_escape(group["first"]["ref"])
        parts.append(
            f"[{first}–{markdown_escape(group['last']['ref'])}]" if group["last"] else f"[{first}]"
        )
    text = ", ".join(parts)
    if more:
        text += f" and {more:,} more"
    return MarkdownSafe(text)


def _md_citations(finding) -> MarkdownSafe:
    """ "Supported by: [S1], [Q2]. Contradicted by: [O3]." for a finding in Markdown."""
    parts = []
    for label, key in (("Supported by", "supported"), ("Contradicted by", "contradicted")):
        cited = finding.get(f"{key}_by") or []
        if cited:
            parts.append(f"{label}: {_md_cites(cited, finding.get(f'{key}_more') or 0)}.")
    return MarkdownSafe(" ".join(parts))


def _html_ref(refs: References):
    def link(ref, text=None):
        from markupsafe import Markup, escape

        if not ref:
            return Markup("")
        label = escape(text if text is not None else ref)
        if refs.anchor(ref):
            return Markup('<a class="ref" href="#{0}">{1}</a>').format(ref, label)
        return Markup('<span class="ref">{0}</span>').format(label)

    return link


def _html_cites(refs: References):
    def render(cites, more=0):
        from markupsafe import Markup

        parts = []
        for group in cite_groups(cites or []):
            first = group["first"]
            item = _cite_anchor(refs, first)
            if group["last"]:
                item = Markup('{0}<span class="range">–</span>{1}').format(
                    item, _cite_anchor(refs, group["last"])
                )
            parts.append(item)
        out = Markup(" ").join(parts)
        if more:
            out += Markup(' <span class="more">and {0} more</span>').format(f"{more:,}")
        return out if parts or more else Markup("")

    return render


def _cite_anchor(refs: References, cite: dict):
    from markupsafe import Markup

    title = ": ".join(str(v) for v in (cite.get("kind"), cite.get("label")) if v)
    if refs.anchor(cite["ref"]):
        return Markup('<a class="cite" href="#{0}" title="{1}">{0}</a>').format(cite["ref"], title)
    return Markup('<span class="cite" title="{1}">{0}</span>').format(cite["ref"], title)


def fmt_when(value) -> str:
    """ISO 8601 UTC as people read it: 2024-03-09 03:53 UTC (dates keep their precision)."""
    if not value:
        return ""
    text = str(value)
    match = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(\.\d+)?Z$", text)
    if not match:
        return text
    seconds = match.group(3) if match.group(3) and match.group(3) != ":00" else ""
    return f"{match.group(1)} {match.group(2)}{seconds} UTC"


def fmt_when_short(value) -> str:
    """As `fmt_when` without the zone, for table columns headed "(UTC)"."""
    return fmt_when(value).removesuffix(" UTC")


def fmt_coords(lat, lon) -> str:
    if lat is None or lon is None:
        return ""
    return f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.4f}° {'E' if lon >= 0 else 'W'}"


def fmt_bytes(value) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return str(value)


def _thousands(value):
    return f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else value


def environment(fmt: str, template_dirs: Iterable[Path]):
    """A sandboxed Jinja2 environment for one output format, with the loader chain."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs])
    options = {
        "loader": loader,
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "undefined": jinja2.ChainableUndefined,
    }
    if fmt == "html":
        env = SandboxedEnvironment(autoescape=True, **options)
    else:
        env = SandboxedEnvironment(autoescape=False, finalize=_md_finalize, **options)
        env.filters["md"] = markdown_escape
        env.globals["md_link"] = _md_link
        env.globals["md_ref"] = _md_ref
        env.globals["md_cites"] = _md_cites
        env.globals["md_citations"] = _md_citations
        env.globals["raw"] = MarkdownSafe
    env.filters["http_url"] = http_url
    env.filters["short"] = lambda value, n=12: str(value)[:n] if value else ""
    env.filters["thousands"] = _thousands
    env.filters["when"] = fmt_when
    env.filters["when_short"] = fmt_when_short
    env.filters["num"] = lambda value: f"{value:g}" if isinstance(value, int | float) else value
    env.filters["bytes"] = fmt_bytes
    env.globals["coords"] = fmt_coords
    env.globals["format"] = fmt
    return env


def _template_name(template: str | None, fmt: str, dirs: list[Path]) -> tuple[str, list[Path]]:
    """(name to load, loader chain) for --template NAME|PATH."""
    if template and Path(template).is_file():
        path = Path(template).resolve()
        return path.name, [path.parent, *dirs]
    if template and not _NAME.match(template):
        raise InvalidInput(f"--template {template}: no such file")
    return f"{template or 'brief'}.{fmt}.j2", dirs


def available_templates(fmt: str, template_dirs: Iterable[str | os.PathLike] = ()) -> list[str]:
    """Names `--template NAME` accepts for a format (user folders first, then built-ins)."""
    names: list[str] = []
    for folder in [*user_template_dirs(template_dirs), *builtin_template_dirs()]:
        for path in sorted(folder.glob(f"*.{fmt}.j2")):
            name = path.name[: -len(f".{fmt}.j2")]
            if name not in names and _NAME.match(name):
                names.append(name)
    return names


def export_brief(
    case,
    output: str | os.PathLike,
    *,
    template: str | None = None,
    template_dirs: Iterable[str | os.PathLike] = (),
    exported_by: str | None = None,
    limits: Limits | None = None,
    run_verify: bool = True,
) -> Path:
    """Render the brief to `output` (.md or .html); returns the path written.

    A Markdown brief writes its pictures and figures into `FILE_files/` beside it.
    """
    import jinja2

    output = Path(output)
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"-o {output}: a brief is .md or .html")
    if not output.parent.exists():
        raise InvalidInput(f"-o {output}: folder {output.parent} does not exist")
    if output.is_dir():
        raise InvalidInput(f"-o {output}: is a folder")
    name, dirs = _template_name(template, fmt, user_template_dirs(template_dirs))
    dirs += builtin_template_dirs()
    env = environment(fmt, dirs)
    try:
        tmpl = env.get_template(name)
    except jinja2.TemplateNotFound:
        known = ", ".join(available_templates(fmt, template_dirs)) or "none"
        raise InvalidInput(
            f"--template {template}: no {fmt.upper()} template named {template!r} "
            f"(available: {known})"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(
            f"template {exc.filename or name}, line {exc.lineno}: {exc.message}"
        ) from None
    from osint.fileio import atomic_output

    files = None
    with case.reading():
        context = build_context(case, exported_by=exported_by, limits=limits, run_verify=run_verify)
        context["format"] = fmt
        refs = context["refs"]
        if fmt == "md":
            files = _BriefFiles(output)
            context["files_dir"] = files.relative
            context["thumbnail_src"] = files.thumbnail(case.conn)
            context["figure_src"] = files.figure
        else:
            context["thumbnail_src"] = _data_uri(case.conn)
            context["ref_link"] = _html_ref(refs)
            context["cites"] = _html_cites(refs)
        context["figures"] = _figures(context, fmt)
        try:
            # Streamed to a hidden file that becomes `output` only once complete.
            with atomic_output(output) as handle:
                for chunk in tmpl.generate(**context):
                    handle.write(chunk)
        except jinja2.TemplateError as exc:
            line = getattr(exc, "lineno", None) or _template_line(exc, tmpl)
            where = f", line {line}" if line else ""
            raise InvalidInput(f"template {name}{where}: {exc}") from None
        except (
            TypeError,
            ValueError,
            KeyError,
            AttributeError,
            IndexError,
            ArithmeticError,
        ) as exc:
            # A template calling a filter or function with values it cannot take.
            line = _template_line(exc, tmpl)
            where = f", line {line}" if line else ""
            raise InvalidInput(f"template {name}{where}: {exc.__class__.__name__}: {exc}") from None
    if files is not None:
        files.finish()
    return output


def _template_line(exc: BaseException, tmpl) -> int | None:
    """The template line an error was raised from (Jinja2 rewrites tracebacks to show it)."""
    import traceback

    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if tmpl.filename and frame.filename == tmpl.filename:
            line = frame.lineno
    return line


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

    PATTERN = re.compile(r"^(I\d+\.(jpg|png|webp|gif)|figure-[a-z-]+\.svg)$")
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
            "note": (f"{per_place[p['id']]:,} sightings" if per_place.get(p["id"]) else None),
        }
        for p in places
    ]
    pictures = [
        {"lat": i["lat"], "lon": i["lon"], "label": f"{i['ref']} {i['label']}"}
        for i in context["images"]
        if i.get("lat") is not None and i.get("lon") is not None and not i.get("original")
    ]
    figures = {"map": "", "chart": ""}
    if map_places or points or pictures:
        figures["map"] = charts.map_svg(
            map_places,
            points,
            pictures=pictures,
            title="Places, sightings and pictures",
            max_points=context["limits"].map_points,
            width=520,
            height=400,
        )
    months = context.get("visits_by_month") or []
    if months:
        figures["chart"] = charts.bar_chart_svg(
            [(label, count) for label, count in months],
            title="Visits per month",
            unit=" visits",
            width=460,
            height=280,
        )
    if fmt == "html":
        from markupsafe import Markup

        # charts.py escapes every text it draws: the SVG is markup of our own making.
        return {key: Markup(value) for key, value in figures.items()}
    return figures
