"""Briefs: the case rendered for editors, lawyers and policy staff, as Markdown or one HTML file.

The context is built here from the case (retracted records never appear); templates are Jinja2,
looked up in a chain so that a user's own template folder overrides the built-in ones by name:
`--template PATH` (a file), then $OSINT_TEMPLATES / `template_dirs`, then the built-in
`templates/` shipped in the wheel (or the source tree in a development checkout).

HTML templates are autoescaped; Markdown templates escape every value for Markdown (and HTML
inside it), so no text from the case can become markup, a link or a script in either.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from . import __version__, kinds, records
from .errors import InvalidInput
from .timeutil import now_iso

# Features add parts of the context: "module:function", called as f(conn, context, refs).
CONTEXT_PARTS: list[str] = [
    "osint.maritime.brief:context_part",
]

REF_PREFIX = {
    "source": "S",
    "quote": "Q",
    "image": "I",
    "sighting": "O",
    "vessel": "V",
    "place": "P",
    "finding": "F",
}

FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


class Ref(dict):
    """A record in the template context: a dict whose text form is its label."""

    def __str__(self) -> str:
        return str(
            self.get("label") or self.get("title") or self.get("name") or self.get("id") or ""
        )


class References:
    """Numbered references (S1, Q2, ...) for every record a brief may cite."""

    def __init__(self):
        self.by_id: dict[str, str] = {}
        self.counters: dict[str, int] = {}

    def assign(self, kind: str, record_id: str) -> str:
        if record_id not in self.by_id:
            prefix = REF_PREFIX.get(kind, kind[:1].upper())
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            self.by_id[record_id] = f"{prefix}{self.counters[prefix]}"
        return self.by_id[record_id]

    def get(self, record_id: str) -> str | None:
        return self.by_id.get(record_id)


def http_url(value: str | None) -> str | None:
    """The value when it is an http(s) URL (the only links a brief makes), else None."""
    if not value:
        return None
    text = str(value).strip()
    if re.match(r"^https?://[^\s<>\"']+$", text, re.I):
        return text
    return None


def _rows(conn, kind: str) -> list[dict]:
    if kind not in kinds.KINDS:
        return []
    return list(records.iter_records(conn, kind))


def build_context(case, *, exported_by: str | None = None, run_verify: bool = True) -> dict:
    """Everything a brief template sees. Retracted records are left out."""
    conn: sqlite3.Connection = case.conn
    refs = References()
    info = case.info()
    sources = []
    for row in _rows(conn, "source"):
        snapshot = records.get(conn, "snapshot", row["snapshot"]) if row.get("snapshot") else None
        sources.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("source", row["id"]),
                    "label": row["title"],
                    "url": http_url(row["locator"]),
                    "grade_meaning": kinds.GRADES.get(row["grade"] or ""),
                    "retrieved_at": snapshot["retrieved_at"] if snapshot else None,
                    "snapshot_media_type": snapshot["media_type"] if snapshot else None,
                }
            )
        )
    source_by_id = {s["id"]: s for s in sources}
    quotes = []
    for row in _rows(conn, "quote"):
        source = source_by_id.get(row["source"])
        quotes.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("quote", row["id"]),
                    "label": row["text"],
                    "source": source or Ref({"id": row["source"], "label": "(retracted source)"}),
                    "source_id": row["source"],
                    "source_ref": source["ref"] if source else None,
                    "verified": bool(row["verified"]),
                    "credibility_meaning": kinds.CREDIBILITY.get(row["credibility"] or 0),
                }
            )
        )
    context = {
        "case": Ref({**info, "label": info.get("title"), "path": case.path.name}),
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
        "timeline": [],
        "refs": refs,
    }
    for part in CONTEXT_PARTS:
        kinds.resolve_callable(part)(conn, context, refs)
    context["findings"] = _findings(conn, refs)
    context["timeline"] = _timeline(conn, refs)
    context["provenance"] = _provenance(case, run_verify)
    context["verification_line"] = _verification_line(context["provenance"]["verify"])
    context["grades"] = kinds.GRADES
    return context


def _verification_line(result: dict | None) -> str:
    if result is None:
        return "not run"
    if result["ok"]:
        return "intact (osint verify found no problem)"
    return f"{len(result['problems'])} PROBLEMS found by osint verify (listed under Provenance)"


def _findings(conn, refs: References) -> list[Ref]:
    findings = []
    for row in _rows(conn, "finding"):
        cited = {"supports": [], "contradicts": [], "other": []}
        for link in records.links_of(conn, row["id"]):
            if link["direction"] != "in" or link["other_retracted"] or not link["other_kind"]:
                continue
            ref = refs.get(link["other"]) or (
                refs.assign(link["other_kind"], link["other"])
                if link["other_kind"] in REF_PREFIX
                else None
            )
            entry = {
                "ref": ref,
                "id": link["other"],
                "kind": link["other_kind"],
                "label": link["other_label"],
            }
            cited.get(link["relation"], cited["other"]).append(entry)
        findings.append(
            Ref(
                {
                    **row,
                    "ref": refs.assign("finding", row["id"]),
                    "label": row["text"],
                    "supported_by": cited["supports"],
                    "contradicted_by": cited["contradicts"],
                }
            )
        )
    return findings


def _timeline(conn, refs: References) -> list[dict]:
    from .timeline import timeline

    return [{**item, "ref": refs.get(item["id"])} for item in timeline(conn)]


def _provenance(case, run_verify: bool) -> dict:
    from .overview import case_overview

    overview = case_overview(case)
    result = None
    if run_verify:
        from .verify import verify

        result = verify(case.conn)
    return {
        "case_id": overview["id"],
        "head": overview["audit_head"],
        "audit_entries": overview["audit_entries"],
        "counts": overview["counts"],
        "retracted": overview["retracted"],
        "stored_files": overview["stored_files"],
        "stored_bytes": overview["stored_bytes"],
        "schema_version": overview["schema_version"],
        "verify": result,
        "counts_text": ", ".join(f"{n} {kind}" for kind, n in overview["counts"].items())
        + (
            f"; {overview['retracted']} retracted records left out" if overview["retracted"] else ""
        ),
        "osint_version": __version__,
        "file_name": case.path.name,
    }


# ---- templates -----------------------------------------------------------------------------


def builtin_template_dirs() -> list[Path]:
    """The templates shipped in the wheel, else those of the source tree (editable installs)."""
    here = Path(__file__).resolve().parent
    candidates = [here / "templates", here.parent / "templates"]
    return [p for p in candidates if p.is_dir()]


def user_template_dirs(extra: Iterable[str | os.PathLike] = ()) -> list[Path]:
    dirs = [Path(p) for p in extra]
    env = os.environ.get("OSINT_TEMPLATES", "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    return [d for d in dirs if d.is_dir()]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"(?m)^(\s*)(#|[-+](?=\s))")
_MD_ORDERED = re.compile(r"(?m)^(\s*\d+)([.)])(?=\s|$)")


class MarkdownSafe(str):
    """Text already formatted as Markdown (left alone by the Markdown escaper)."""


def markdown_escape(value) -> str:
    """Case text as literal Markdown on one line: no markup, HTML, link or image syntax survives."""
    if value is None:
        return ""
    if isinstance(value, MarkdownSafe):
        return value
    text = str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # What would start a heading, quote or list at the start of a line stays text.
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    return re.sub(r"\s+", " ", text)


def _md_finalize(value):
    return markdown_escape(value)


def _md_link(text, url) -> MarkdownSafe:
    safe = http_url(url)
    label = markdown_escape(text)
    if not safe:
        return MarkdownSafe(label)
    return MarkdownSafe(f"[{label}](<{safe.replace('>', '%3E').replace(' ', '%20')}>)")


def _md_citations(finding) -> MarkdownSafe:
    """ " Supported by: [S1], [Q2]. Contradicted by: [O3]. *note*" for a finding's Markdown line."""
    parts = []
    for label, key in (("Supported by", "supported_by"), ("Contradicted by", "contradicted_by")):
        cited = finding.get(key) or []
        if cited:
            refs = ", ".join(f"[{markdown_escape(c['ref'] or c['id'][:8])}]" for c in cited)
            parts.append(f"{label}: {refs}.")
    if finding.get("note"):
        parts.append(f"*{markdown_escape(finding['note'])}*")
    return MarkdownSafe((" " + " ".join(parts)) if parts else "")


def environment(fmt: str, template_dirs: Iterable[Path]):
    """A Jinja2 environment for one output format, with the loader chain."""
    import jinja2

    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs])
    if fmt == "html":
        env = jinja2.Environment(
            loader=loader,
            autoescape=True,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.ChainableUndefined,
        )
    else:
        env = jinja2.Environment(
            loader=loader,
            autoescape=False,
            finalize=_md_finalize,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.ChainableUndefined,
        )
        env.filters["md"] = markdown_escape
        env.globals["md_link"] = _md_link
        env.globals["md_citations"] = _md_citations
        env.globals["raw"] = MarkdownSafe
    env.filters["http_url"] = http_url
    env.filters["short"] = lambda value, n=12: str(value)[:n] if value else ""
    env.filters["thousands"] = lambda value: (
        f"{value:,}" if isinstance(value, int | float) else value
    )
    return env


def export_brief(
    case,
    output: str | os.PathLike,
    *,
    template: str | None = None,
    template_dirs: Iterable[str | os.PathLike] = (),
    exported_by: str | None = None,
) -> Path:
    """Render the brief to `output` (.md or .html); returns the path written."""
    output = Path(output)
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"-o {output}: a brief is .md or .html")
    if not output.parent.exists():
        raise InvalidInput(f"-o {output}: folder {output.parent} does not exist")
    dirs = user_template_dirs(template_dirs)
    name = f"{template or 'brief'}.{fmt}.j2"
    if template and Path(template).is_file():
        dirs = [Path(template).resolve().parent, *dirs]
        name = Path(template).name
    elif template and (os.sep in template or template.endswith(".j2")):
        raise InvalidInput(f"--template {template}: no such file")
    dirs += builtin_template_dirs()
    import jinja2

    env = environment(fmt, dirs)
    try:
        tmpl = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise InvalidInput(f"--template {template}: no template named {name}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(
            f"template {exc.filename or name}, line {exc.lineno}: {exc.message}"
        ) from None
    context = build_context(case, exported_by=exported_by)
    context["format"] = fmt
    if fmt == "md":
        context["files_dir"] = output.stem + "_files"
        context["write_file"] = _file_writer(
            output.parent / (output.stem + "_files"), output.stem + "_files"
        )
    try:
        text = tmpl.render(**context)
    except jinja2.TemplateError as exc:
        raise InvalidInput(f"template {name}: {exc}") from None
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, output)
    return output


def _file_writer(folder: Path, relative: str):
    """For Markdown briefs: write bytes next to the brief, return the relative path."""

    def write(name: str, data: bytes) -> str:
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        return f"{relative}/{name}"

    return write
