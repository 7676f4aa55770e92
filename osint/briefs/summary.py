"""The top and the method of a brief: the bottom line (the findings that matter, each with its
stated confidence, and the headline comparison computed from the case), the method and limits
section, and record ids beside every reference so `osint show` finds what a brief cites.

Everything here is plain data (dicts, lists, strings) for the templates; wording is in words a
reader uses, never field names.
"""

from __future__ import annotations

CONFIDENCE_ORDER = {"high": 0, "moderate": 1, "low": 2}
CONFIDENCE_WORDS = {
    "high": "High confidence",
    "moderate": "Moderate confidence",
    "low": "Low confidence",
}
BOTTOM_LINE_MAX = 4
ID_PREFIX = 8  # characters of a record id printed beside its reference (osint show takes 6+)


def plural(n: int, singular: str, many: str | None = None) -> str:
    """ "1 visit", "43 visits", "1,204 sightings"."""
    word = singular if n == 1 else (many or singular + "s")
    return f"{n:,} {word}"


def bottom_line(findings: list) -> list:
    """The findings a brief opens with: those with a stated confidence (high first), else the
    first few; at most BOTTOM_LINE_MAX. Each is the finding itself (its ref, text, citations)."""
    from osint.sources.evidence import FINDING_CONFIDENCE

    for finding in findings:
        level = finding.get("confidence")
        finding["confidence_words"] = CONFIDENCE_WORDS.get(level or "", "Confidence not stated")
        finding["confidence_meaning"] = FINDING_CONFIDENCE.get(level or "", "")
    rated = [f for f in findings if f.get("confidence") in CONFIDENCE_ORDER]
    chosen = rated or list(findings)
    chosen = sorted(
        chosen,
        key=lambda f: (
            bool(f.get("illustrative")),  # what the evidence states before made-up examples
            CONFIDENCE_ORDER.get(f.get("confidence") or "", 3),
            f["order"],
        ),
    )
    return chosen[:BOTTOM_LINE_MAX]


def headline_sentence(headline: dict) -> str:
    """The comparison in one sentence, every number rounded once."""
    if not headline:
        return ""
    places = headline.get("places") or []
    where = f" to {places[0]}" if len(places) == 1 else ""
    text = (
        f"About {headline['barrels']:,} barrels in {plural(headline['visits'], 'visit')}"
        f" by {plural(headline['vessels'], 'vessel')}{where} over "
        f"{plural(headline['months'], 'month')} ({headline['from']} to {headline['to']})"
    )
    if headline.get("cap_bbl"):
        text += (
            f": {headline['ratio_text']} times the cap of {headline['cap_bbl']:,} barrels a year"
        )
    return text + "."


def method_and_limits(context: dict) -> list[dict]:
    """Paragraphs {title, text} saying how the numbers were made and what the case cannot show."""
    out = []
    totals = context.get("visits_totals") or {}
    headline = context.get("headline") or {}
    places = [p for p in context.get("places", []) if p.get("radius_m")]
    if totals:
        radius = "; ".join(
            f"{p['name']} within {round(p['radius_m']):,} m of its centre" for p in places[:4]
        )
        out.append(
            {
                "title": "How visits were counted",
                "text": (
                    f"A visit is a run of observations (sightings and AIS positions) of one vessel "
                    f"inside one place, ending when more than {totals['gap_hours']:g} hours pass "
                    f"without one. Places: {radius or 'as recorded in the case'}. "
                    f"{plural(totals['visits'], 'visit')} by "
                    f"{plural(totals['vessels'], 'vessel')} were counted from "
                    f"{plural(totals['sightings'], 'sighting')}"
                    + (
                        f" and {plural(totals['ais_positions'], 'AIS position')}"
                        if totals.get("ais_positions")
                        else ""
                    )
                    + "."
                ),
            }
        )
        estimate = f"The estimate assumes {totals['assumption']}."
        if totals.get("without_capacity"):
            estimate += (
                f" {plural(totals['visits_without_capacity'], 'visit')} by "
                f"{', '.join(totals['without_capacity'])} could not be estimated: no cargo "
                "capacity is recorded."
            )
        if headline.get("cap_bbl"):
            estimate += (
                f" The cap of {headline['cap_bbl']:,} barrels is a yearly limit; the estimate "
                f"covers {plural(headline['months'], 'month')}, so the comparison understates "
                "a yearly rate."
                if headline["months"] < 12
                else ""
            )
        out.append({"title": "How the estimate was made", "text": estimate})
    sources = context.get("sources", [])
    if sources:
        grades: dict[str, int] = {}
        for source in sources:
            grades[source.get("grade") or "not graded"] = (
                grades.get(source.get("grade") or "not graded", 0) + 1
            )
        graded = ", ".join(
            f"{n} graded {g} ({context['grades'].get(g, '').lower()})"
            if g != "not graded"
            else f"{n} not graded"
            for g, n in sorted(grades.items())
        )
        archived = sum(1 for s in sources if s.get("snapshot_sha256"))
        quotes = context.get("quotes", [])
        verified = sum(1 for q in quotes if q.get("verified"))
        out.append(
            {
                "title": "Sources and grades",
                "text": (
                    f"The case rests on {plural(len(sources), 'source')}: {graded} on the "
                    f"Admiralty scale; {archived} of them archived in the case file. "
                    + (
                        f"{verified} of {plural(len(quotes), 'quote')} were found verbatim in "
                        "the archived text of their source."
                        if quotes
                        else ""
                    )
                ).strip(),
            }
        )
    marked = context.get("illustrative") or 0
    unverified_quotes = sum(1 for q in context.get("quotes", []) if not q.get("verified"))
    unverified_vessels = sum(1 for v in context.get("vessels", []) if v.get("unverified"))
    caveats = []
    if marked:
        caveats.append(
            f"{plural(marked, 'record')} say they are illustrative (made up to show the method, "
            "not evidence); each is marked"
        )
    if unverified_quotes:
        caveats.append(f"{plural(unverified_quotes, 'quote')} could not be verified")
    if unverified_vessels:
        caveats.append(
            f"{plural(unverified_vessels, 'vessel')} have identifiers that failed a check"
        )
    if caveats:
        out.append(
            {"title": "Illustrative or unverified", "text": "; ".join(caveats).capitalize() + "."}
        )
    cannot = [
        "what was loaded: a vessel seen at a terminal may have loaded less than its capacity, "
        "or unloaded",
        "where the cargo went after the vessel left",
        "visits between observations: a vessel not pictured and not transmitting AIS is not "
        "counted",
    ]
    out.append(
        {
            "title": "What the case cannot show",
            "text": "Observations of vessels cannot show " + "; ".join(cannot) + ".",
        }
        if totals
        else {
            "title": "What the case cannot show",
            "text": "Only what its sources, pictures and records state; anything not archived "
            "in the case file cannot be checked from this brief.",
        }
    )
    return out


def record_ids(context: dict) -> dict[str, str]:
    """{reference: id prefix} for every record the brief labels, so `osint show` finds it."""
    refs = context["refs"]
    by_ref: dict[str, str] = {}
    for record_id, ref in refs.by_id.items():
        by_ref.setdefault(ref, record_id)
    for name in ("sources", "quotes", "images", "vessels", "places", "findings", "visit_queries"):
        for item in context.get(name, []):
            if item.get("ref") and item.get("id"):
                by_ref[item["ref"]] = item["id"]
    for row in (context.get("view") or {}).get("sightings", {}).get("rows", []):
        by_ref[row["ref"]] = row["id"]
    return {ref: str(record_id)[:ID_PREFIX] for ref, record_id in by_ref.items()}
