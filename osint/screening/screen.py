"""`osint screen`: the case's vessels against every imported sanctions list.

For each vessel and each list (the latest imported version of each, or every version):

1. identifiers first: the same IMO number is a match (score 1.0, `IMO 8691702 equal`); the same
   MMSI is a strong one (0.9: MMSIs are reassigned and spoofed, IMO numbers are not);
2. then every name the vessel has gone by (current name, aliases, former names, AIS names)
   against every name, alias and former name of the listed vessels, normalised as screening does
   (`names.comparable`) and scored by rigour's matcher, with the pair that scored best given as the
   reason (`name YU SON ~ YUSON 0.97`). Candidates are found through a trigram index first, so
   a thousand vessels screen against thousands of listed ones in well under a second.

A name match whose IMO numbers disagree is kept only if still above the threshold after a
penalty, and says so. A vessel without a match on a list is reported as "not found on <list> as
of <date>": screening shows what the lists said on those dates, never that a vessel is clean.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

from osint.case import records
from osint.errors import InvalidInput
from osint.screening import lists as list_lib
from osint.screening import names as name_lib

DEFAULT_THRESHOLD = 0.8
MMSI_SCORE = 0.9
IMO_CONFLICT_PENALTY = 0.7
CANDIDATES = 25
MIN_JARO_WINKLER = 0.75
RARE_GRAMS = 6  # candidates share at least one of the query's rarest trigrams

CASE_NAME_LABELS = {"name": "name", "alias": "alias", "former": "former name", "ais": "AIS name"}
LISTED_NAME_LABELS = {"name": "", "alias": "listed alias ", "former": "listed former name ",
                      "weak": "listed weak alias "}  # fmt: skip


@dataclass
class ListedName:
    key: tuple[str, str]  # (import id, entity id)
    name: str
    name_type: str
    plain: name_lib.Comparable

    @property
    def folded(self) -> name_lib.Comparable:
        return name_lib.folded(self.plain)


@dataclass
class Hit:
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    id_score: float = 0.0
    name_score: float = 0.0
    name_reason: str | None = None
    matched_name: str | None = None


class ListIndex:
    """The listed vessels of some imports: by IMO, by MMSI, and their names by trigram."""

    def __init__(self, conn: sqlite3.Connection, import_ids: list[str]):
        marks = ", ".join("?" * len(import_ids))
        self.entities: dict[tuple[str, str], dict] = {}
        self.by_imo: dict[str, list[tuple[str, str]]] = {}
        self.by_mmsi: dict[str, list[tuple[str, str]]] = {}
        for row in conn.execute(
            f"SELECT * FROM listed_entities WHERE schema = 'Vessel' AND import_id IN ({marks})",
            import_ids,
        ):
            key = (row["import_id"], row["entity_id"])
            self.entities[key] = dict(row)
            if row["imo"]:
                self.by_imo.setdefault(row["imo"], []).append(key)
            if row["mmsi"]:
                self.by_mmsi.setdefault(row["mmsi"], []).append(key)
        self.names: list[ListedName] = []
        self.postings: dict[str, list[int]] = {}
        for import_id, entity_id, name, name_type in conn.execute(
            f"SELECT import_id, entity_id, name, name_type FROM listed_names "
            f"WHERE import_id IN ({marks})",
            import_ids,
        ):
            key = (import_id, entity_id)
            if key not in self.entities:
                continue  # a party's name
            plain = name_lib.comparable(name)
            if plain is None:
                continue
            index = len(self.names)
            self.names.append(ListedName(key, name, name_type, plain))
            grams = name_lib.trigrams(plain.compact)
            if plain.korean:  # listed in Hangul: found by its folded spelling too
                grams |= name_lib.trigrams(name_lib.folded(plain).compact)
            for gram in grams:
                self.postings.setdefault(gram, []).append(index)

    def candidates(self, query: name_lib.Comparable, also: name_lib.Comparable | None) -> list[int]:
        """Listed names alike enough to be worth the matcher: those sharing the most of the
        query's rarest trigrams, then rigour's Jaro-Winkler on the names written without spaces
        as a quick filter."""
        from rigour.text import jaro_winkler

        grams = name_lib.trigrams(query.compact)
        if also is not None:
            grams |= name_lib.trigrams(also.compact)
        postings = self.postings
        present = sorted((len(postings[g]), g) for g in grams if g in postings)
        shared = Counter(chain.from_iterable(postings[g] for _, g in present[:RARE_GRAMS]))
        names = self.names
        key = query.compact
        out = []
        for index, _count in shared.most_common(CANDIDATES * 2):
            listed = names[index]
            best = jaro_winkler(key, listed.plain.compact)
            if best < MIN_JARO_WINKLER and (also is not None or listed.plain.korean):
                folded_key = also.compact if also is not None else name_lib.korean_fold(key)
                best = jaro_winkler(folded_key, listed.folded.compact)
            if best >= MIN_JARO_WINKLER:
                out.append(index)
                if len(out) >= CANDIDATES:
                    break
        return out


def _case_vessels(conn: sqlite3.Connection, refs: list[str]) -> list[dict]:
    if refs:
        out, seen = [], set()
        for ref in refs:
            row = records.resolve(conn, ref, ["vessel"])[1]
            if row["id"] not in seen:
                seen.add(row["id"])
                out.append(row)
        return out
    return list(records.iter_records(conn, "vessel", order_by="name, id"))


def _case_names(conn: sqlite3.Connection, vessels: list[dict]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {v["id"]: [(v["name"], "name")] for v in vessels}
    for vessel, name, name_type in conn.execute(
        "SELECT vessel, name, name_type FROM vessel_names WHERE retracted_at IS NULL "
        "ORDER BY coalesce(valid_from, ''), added_at"
    ):
        bucket = out.get(vessel)
        if bucket is not None and (name, name_type) not in bucket:
            bucket.append((name, name_type or "alias"))
    return out


def _as_of(item: dict) -> str:
    return f"{item['list_name']} as of {item['published']}"


def screen(
    conn: sqlite3.Connection,
    refs: Sequence[str] = (),
    *,
    all_versions: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
) -> dict:
    """Screen vessels; returns {"rows": [...], "lists": [...], "vessels": n}."""
    if not 0 < threshold <= 1:
        raise InvalidInput(f"--threshold: {threshold} is not between 0 and 1")
    imports = list_lib.imports(conn, all_versions=all_versions)
    if not imports:
        raise InvalidInput(
            "no sanctions list has been imported: add one with osint lists import FILE "
            "(OpenSanctions or OFAC exports)"
        )
    vessels = _case_vessels(conn, list(refs))
    by_id = {item["id"]: item for item in imports}
    index = ListIndex(conn, list(by_id))
    case_names = _case_names(conn, vessels)
    parties = _parties(conn, list(by_id))
    rows: list[dict] = []
    for vessel in vessels:
        hits: dict[tuple[str, str], Hit] = {}
        if vessel.get("imo"):
            for key in index.by_imo.get(vessel["imo"], ()):
                hit = hits.setdefault(key, Hit())
                hit.id_score = 1.0
                hit.reasons.append(f"IMO {vessel['imo']} equal")
        if vessel.get("mmsi"):
            for key in index.by_mmsi.get(vessel["mmsi"], ()):
                hit = hits.setdefault(key, Hit())
                hit.id_score = max(hit.id_score, MMSI_SCORE)
                hit.reasons.append(f"MMSI {vessel['mmsi']} equal")
        for name, name_type in case_names.get(vessel["id"], ()):
            query = name_lib.comparable(name)
            if query is None:
                continue
            folded = name_lib.folded(query)
            for position in index.candidates(query, folded if query.korean else None):
                listed = index.names[position]
                result = name_lib.compare(query, listed.plain)
                note = ""
                if query.korean or listed.plain.korean:
                    alt = name_lib.compare(folded, listed.folded)
                    if alt.score > result.score:
                        result, note = alt, " (Korean romanisations compared)"
                if result.score < min(threshold, 0.5) and not result.note:
                    continue
                hit = hits.setdefault(listed.key, Hit())
                if result.score > hit.name_score:
                    prefix = CASE_NAME_LABELS.get(name_type, name_type)
                    listed_label = LISTED_NAME_LABELS.get(listed.name_type, "")
                    hit.name_score = result.score
                    hit.matched_name = listed.name
                    hit.name_reason = (
                        f"{prefix} {name} ~ {listed_label}{listed.name} {result.score:.2f}"
                        + (f", {result.note}" if result.note else "")
                        + note
                    )
        found_on: set[str] = set()
        for key, hit in hits.items():
            entity = index.entities[key]
            score = max(hit.id_score, hit.name_score)
            reasons = list(hit.reasons)
            if hit.name_reason and (hit.name_score >= threshold or not reasons):
                reasons.append(hit.name_reason)
            if (
                not hit.id_score
                and vessel.get("imo")
                and entity.get("imo")
                and entity["imo"] != vessel["imo"]
            ):
                score = round(score * IMO_CONFLICT_PENALTY, 2)
                reasons.append(f"but IMO differs ({vessel['imo']} here, {entity['imo']} listed)")
            if score < threshold:
                continue
            item = by_id[key[0]]
            found_on.add(item["id"])
            row = _row(vessel, item, entity, score, reasons, hit, parties)
            row["grade"] = grade(hit, score, imo_conflict="but IMO differs" in row["reason"])
            rows.append(row)
        missing = [item for item in imports if item["id"] not in found_on]
        if missing:
            rows.append(
                {
                    "vessel": vessel["id"],
                    "name": vessel["name"],
                    "imo": vessel.get("imo"),
                    "found": False,
                    "list": None,
                    "listed_name": None,
                    "score": 0.0,
                    "reason": "not found on " + "; ".join(_as_of(m) for m in missing),
                    "lists": [
                        {
                            "list": m["list_name"],
                            "list_version": m["published"],
                            "list_import": m["id"],
                            "list_source": m["source"],
                        }
                        for m in missing
                    ],
                }
            )
    rows.sort(key=lambda r: (r["name"].casefold(), r["vessel"], not r["found"], -r["score"]))
    return {
        "rows": rows,
        "vessels": len(vessels),
        "threshold": threshold,
        "lists": [
            {
                "list": item["list_name"],
                "list_version": item["published"],
                "list_import": item["id"],
                "list_source": item["source"],
                "vessels": item["vessels"],
            }
            for item in imports
        ],
    }


# Verdicts, strongest first. Only an identifier says which vessel it is; a name never does.
IDENTIFIER_MATCH = "identifier match"
STRONG_NAME_MATCH = "strong name match"
POSSIBLE_NAME_MATCH = "possible name match: review"
STRONG_NAME_SCORE = 0.95


def grade(hit: Hit, score: float, *, imo_conflict: bool = False) -> str:
    """The verdict of a match: IMO or MMSI equal; a name alike with nothing against it; or a
    name that needs a person to review it (numerals differ, identifiers disagree, a lower score)."""
    if hit.id_score:
        return IDENTIFIER_MATCH
    if (
        score >= STRONG_NAME_SCORE
        and not imo_conflict
        and "on one side only" not in (hit.name_reason or "")
    ):
        return STRONG_NAME_MATCH
    return POSSIBLE_NAME_MATCH


def _parties(conn: sqlite3.Connection, import_ids: list[str]) -> dict:
    """{(import id, vessel entity id): ["owner: NAME", ...]} for the rows' context."""
    marks = ", ".join("?" * len(import_ids))
    out: dict[tuple[str, str], list[str]] = {}
    for import_id, vessel, relation, role, name in conn.execute(
        "SELECT l.import_id, l.vessel, l.relation, l.role, e.name FROM listed_links l "
        "LEFT JOIN listed_entities e ON e.import_id = l.import_id AND e.entity_id = l.party "
        f"WHERE l.import_id IN ({marks}) ORDER BY l.relation, e.name",
        import_ids,
    ):
        label = f"{relation}: {name or '?'}" + (f" ({role})" if role and role != relation else "")
        bucket = out.setdefault((import_id, vessel), [])
        if label not in bucket:
            bucket.append(label)
    return out


def _row(vessel, item, entity, score, reasons, hit: Hit, parties) -> dict:
    return {
        "vessel": vessel["id"],
        "name": vessel["name"],
        "imo": vessel.get("imo"),
        "found": True,
        "list": item["list_name"],
        "list_version": item["published"],
        "list_import": item["id"],
        "list_source": item["source"],
        "listed_id": entity["entity_id"],
        "listed_name": entity["name"],
        "matched_name": hit.matched_name if hit.matched_name != entity["name"] else None,
        "listed_imo": entity["imo"],
        "listed_mmsi": entity["mmsi"],
        "score": round(score, 2),
        "reason": "; ".join(reasons),
        "status": entity["status"],
        "listed_on": entity["listed_on"],
        "delisted_on": entity["delisted_on"],
        "programs": json.loads(entity["programs"]) if entity["programs"] else [],
        "authorities": json.loads(entity["authorities"]) if entity["authorities"] else [],
        "parties": parties.get((item["id"], entity["entity_id"]), []),
    }


# ---- recording results as findings ---------------------------------------------------------------


def finding_text(row: dict) -> str:
    vessel = row["name"] + (f" (IMO {row['imo']})" if row.get("imo") else "")
    if not row["found"]:
        return (
            f"Sanctions screening: {vessel} was not found on "
            + "; ".join(f"{m['list']} as published {m['list_version']}" for m in row["lists"])
            + " (compared by IMO, MMSI, names, aliases and former names). This says what those "
            "lists held on those dates, not that the vessel is clear."
        )
    grade_name = row.get("grade") or IDENTIFIER_MATCH
    if grade_name != IDENTIFIER_MATCH:
        # A name alone never says a vessel is sanctioned: it says which entry to look at.
        return (
            f"Sanctions screening ({grade_name}): the name of {vessel} resembles the entry "
            f"\u201c{row['listed_name']}\u201d ({row['listed_id']}) of {row['list']} as published "
            f"{row['list_version']}: {row['reason']} (score {row['score']:.2f}). A name alone does "
            "not identify a vessel: compare IMO, MMSI, flag and history before relying on it."
        )
    status = row.get("status") or "listed"
    if status == "delisted" and row.get("delisted_on"):
        status = f"delisted on {row['delisted_on']}"
    elif row.get("listed_on"):
        status = f"{status} since {row['listed_on']}"
    programs = f", programme {', '.join(row['programs'])}" if row.get("programs") else ""
    return (
        f"Sanctions screening ({IDENTIFIER_MATCH}): {vessel} matches the entry "
        f"\u201c{row['listed_name']}\u201d "
        f"({row['listed_id']}) of {row['list']} as published {row['list_version']} "
        f"({status}{programs}): {row['reason']} (score {row['score']:.2f})."
    )


def record(case, rows: list[dict], *, threshold: float) -> list[dict]:
    """Each result becomes a finding the list's source supports and that mentions the vessel.

    A finding with the same text already in the case is not recorded twice.
    """
    from osint.case import kinds

    conn = case.conn
    recorded = []
    with case.writing():
        for row in rows:
            text = finding_text(row)
            existing = conn.execute(
                "SELECT id FROM findings WHERE text = ? AND retracted_at IS NULL", (text,)
            ).fetchone()
            if existing:
                recorded.append({"finding": existing[0], "vessel": row["vessel"], "new": False})
                continue
            finding = records.create(
                case,
                "finding",
                {
                    "text": kinds.text(text, "finding"),
                    "note": f"recorded by osint screen (threshold {threshold:.2f}; "
                    "names scored with rigour's name matcher)",
                },
                added_from="osint screen",
            )
            sources = (
                [row["list_source"]]
                if row["found"]
                else [m["list_source"] for m in row.get("lists", [])]
            )
            for source in dict.fromkeys(sources):
                records.link(case, source, finding["id"], "supports")
            records.link(case, finding["id"], row["vessel"], "mentions")
            recorded.append({"finding": finding["id"], "vessel": row["vessel"], "new": True})
    return recorded
