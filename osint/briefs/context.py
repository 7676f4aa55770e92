"""The template context: everything a brief shows, read from the case (retracted records never
appear). Long lists are cut to `Limits` for reading: what a finding cites is always shown, the rest
is summarised and the brief says where the full data is (`view`)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from osint import __version__, features
from osint.briefs.refs import Ref, References, _ref_key, http_url, is_illustrative
from osint.briefs.summary import plural
from osint.case import kinds, records
from osint.timeutil import now_iso

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
    context: dict[str, Any] = {
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
        "barrels_over_time": [],
        "headline": {},
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
    from osint.briefs import summary

    context["bottom_line"] = summary.bottom_line(context["findings"])
    context["headline_text"] = summary.headline_sentence(context["headline"])
    context["method"] = summary.method_and_limits(context)
    context["ids"] = summary.record_ids(context)
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
    findings: list[Ref] = []
    rows = _rows(conn, "finding")
    for row in rows:  # numbered in order first, so a finding citing a later one keeps the order
        refs.assign("finding", row["id"])
    for row in rows:
        cited: dict[str, list] = {"supports": [], "contradicts": []}
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
        entry["order"] = len(findings)
        findings.append(entry)
    return findings


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
    month_rows: dict[str, dict] = {}
    total = 0
    months: dict[str, dict] = {}
    for item in heapq.merge(others, seen, key=lambda i: (i["when"], i["kind"], i["id"])):
        kind, when = item["kind"], item["when"]
        entry = None
        keep = not limit or total <= limit
        if kind == "sighting":
            sighting = item["sighting"]
            # One row per month however other entries interleave (never two rows for March).
            last = month_rows.get(when[:7])
            if last is not None:
                last["count"] += 1
                if cap is None or len(last["items"]) < cap:
                    last["items"].append(sighting)
            else:
                total += 1
                row = {"when": when[:7], "kind": "sightings", "items": [sighting], "count": 1}
                month_rows[when[:7]] = row
                if keep:
                    rows.append(row)
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
        if (
            entry is not None
            and kind not in ("timestamp",)
            and not (entry.get("ref") or refs.get(item["id"]))
        ):
            entry = None  # an orphan: names no record the brief shows (a list import, ...)
        if entry is not None:
            total += 1
            if keep:
                ref = entry.pop("ref", None) or refs.get(item["id"])
                rows.append({"when": when, "kind": kind, "ref": ref, "id": item["id"], **entry})
    if limit and total > limit:
        rows = []
    for row in rows:
        if row["kind"] == "sightings":
            # One row per month: the sightings section lists each one, the timeline says what
            # the month held (so the two never repeat the same rows).
            items = row["items"]
            if row["count"] == 1:
                row["when"] = items[0]["when"]
            vessels = _distinct([str(s["vessel"]) for s in items])
            row["vessels"] = vessels
            where = {s["place"]["name"] if s.get("place") else None for s in items}
            text = plural(row["count"], "sighting")
            if row["count"] > 1:
                text += f" of {plural(len(vessels), 'vessel')}"
            else:
                text += f": {items[0]['vessel']} {items[0]['activity'] or 'seen'}"
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
    if row["name"] == vessel["name"]:
        return None  # "PAEGAM 1 known as PAEGAM 1" says nothing
    kind = {"ais": "name in AIS", "former": "former name", "alias": "also known as"}.get(
        row["name_type"] or "", "name"
    )
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
    if result is not None:
        signed = result["reports"]["signatures"]
    else:
        from osint.case.signatures import signature_report

        signed = signature_report(case.conn, {})[1]
    return {
        "signatures": signed,
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
        "counts_text": ", ".join(
            f"{_kind_words(kind)} {n:,}" for kind, n in overview["counts"].items() if n
        )
        + (
            f"; {overview['retracted']} retracted records left out" if overview["retracted"] else ""
        ),
        "osint_version": __version__,
        "file_name": case.path.name,
    }


def _kind_words(kind: str) -> str:
    """A kind's plural as people write it: "ais-tracks" -> "AIS tracks"."""
    return re.sub(r"\bais\b", "AIS", kind.replace("-", " "))
