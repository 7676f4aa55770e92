"""Templates: the loader chain (a user's `--template PATH`, then $OSINT_TEMPLATES / template
folders, then the built-in `templates/`), the sandboxed Jinja2 environment per format, and the
escaping that keeps case text literal in Markdown and HTML."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from osint.briefs.refs import References, cite_groups, http_url
from osint.briefs.summary import ID_PREFIX
from osint.errors import InvalidInput
from osint.formats import coordinates, size

BUILTIN_NAMES = ("brief", "one-pager")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
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
    text = re.sub(r"\s+", " ", neutralise(str(value)))
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


_REF = re.compile(r"^[A-Z]{1,2}\d+$")


# Markdown has no per-record anchor without raw HTML (which a brief never writes): a reference
# links to the heading of the section that lists the record, whose id GitHub and pandoc derive
# from its words.
MD_SECTIONS = {
    "S": "sources", "Q": "quotes", "I": "imagery", "V": "vessels", "P": "map-and-charts",
    "O": "sightings", "VQ": "recorded-visit-counts", "F": "findings", "R": "other-records-cited",
    "EQ": "recorded-behaviour-queries",
}  # fmt: skip


def _md_ref(ref, refs: References | None = None, sections: dict | None = None) -> MarkdownSafe:
    """[S1], a link to the section listing the record (#sources) when the brief shows it."""
    if not ref:
        return MarkdownSafe("")
    label = markdown_escape(ref)
    match = re.match(r"^([A-Z]{1,2})\d+$", str(ref))
    target = (sections or MD_SECTIONS).get(match.group(1)) if match else None
    if refs is not None and refs.anchor(ref) and target:
        return MarkdownSafe(f"[{label}](#{target})")
    return MarkdownSafe(f"[{label}]")


def _md_anchor(item) -> MarkdownSafe:
    """A record's entry: its label and its id prefix (what `osint show` takes)."""
    ref = str(item.get("ref") or "") if hasattr(item, "get") else ""
    record_id = str(item.get("id") or "")[:ID_PREFIX] if hasattr(item, "get") else ""
    if not _REF.match(ref):
        return MarkdownSafe(markdown_escape(ref))
    code = f" `{record_id}`" if re.fullmatch(r"[0-9A-Za-z-]+", record_id) else ""
    return MarkdownSafe(f"**{ref}**{code}")


def _md_cites(cites: list, more: int = 0, refs: References | None = None) -> MarkdownSafe:
    parts = []
    for group in cite_groups(cites):
        first = _md_ref(group["first"]["ref"], refs)
        if group["last"]:
            last = _md_ref(group["last"]["ref"], refs)
            parts.append(f"{first}–{last}")
        else:
            parts.append(first)
    text = ", ".join(parts)
    if more:
        text += f" and {more:,} more"
    return MarkdownSafe(text)


def _md_citations(finding, refs: References | None = None) -> MarkdownSafe:
    """ "Supported by: [S1], [Q2]. Contradicted by: [O3]." for a finding in Markdown."""
    parts = []
    for label, key in (("Supported by", "supported"), ("Contradicted by", "contradicted")):
        cited = finding.get(f"{key}_by") or []
        if cited:
            parts.append(f"{label}: {_md_cites(cited, finding.get(f'{key}_more') or 0, refs)}.")
    return MarkdownSafe(" ".join(parts))


def markdown_links(refs: References) -> dict:
    """The Markdown reference helpers bound to one brief's references (links to shown records)."""
    return {
        "md_ref": lambda ref: _md_ref(ref, refs),
        "md_cites": lambda cites, more=0: _md_cites(cites, more, refs),
        "md_citations": lambda finding: _md_citations(finding, refs),
    }


def css_string(value) -> str:
    """A CSS string literal holding `value` as text (for @page margin boxes): every character
    but letters, digits and spaces is a CSS escape, so nothing ends the string or the style."""
    from markupsafe import Markup

    text = neutralise(" ".join(str(value or "").split()))
    out = "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):06x}" for c in text)
    return Markup(f'"{out}"')


def _html_ref(refs: References):
    def link(ref, text=None):
        from markupsafe import Markup, escape

        if not ref:
            return Markup("")
        label = escape(neutralise(text) if text is not None else ref)
        rid = str(refs.id_of(ref) or "")[:ID_PREFIX]
        title = f"osint show {rid}" if rid else ""
        if refs.anchor(ref):
            return Markup('<a class="ref" href="#{0}" data-id="{2}" title="{3}">{1}</a>').format(
                ref, label, rid, title
            )
        return Markup('<span class="ref" data-id="{1}" title="{2}">{0}</span>').format(
            label, rid, title
        )

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

    rid = str(cite.get("id") or "")[:ID_PREFIX]
    title = neutralise(
        ": ".join(str(v) for v in (cite.get("kind"), cite.get("label")) if v)
        + (f" (osint show {rid})" if rid else "")
    )
    if refs.anchor(cite["ref"]):
        return Markup('<a class="cite" href="#{0}" title="{1}" data-id="{2}">{0}</a>').format(
            cite["ref"], title, rid
        )
    return Markup('<span class="cite" title="{1}" data-id="{2}">{0}</span>').format(
        cite["ref"], title, rid
    )


# Characters that would reorder or hide text around them, shown as their code point instead:
# bidi embeddings, overrides, isolates and marks.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# C0 controls (but tab and line feed), DEL and C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def neutralise(value):
    """Case text with control characters and bidi overrides made visible and inert, for HTML:
    a C0 control becomes its Unicode control picture (ESC: ␛), a C1 control or a bidi control
    its code point in angle brackets (⟨U+202E⟩). Markup of our own making is left alone."""
    from markupsafe import Markup

    if value is None or isinstance(value, Markup) or not isinstance(value, str):
        return value
    if not (_BIDI.search(value) or _CONTROLS.search(value)):
        return value
    value = _BIDI.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", value)
    return _CONTROLS.sub(
        lambda m: (
            chr(0x2400 + ord(m.group()))
            if ord(m.group()) < 0x20
            else ("␡" if m.group() == "\x7f" else f"⟨U+{ord(m.group()):04X}⟩")
        ),
        value,
    )


def _html_finalize(value):
    return neutralise(value)


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


def _plural(value, singular: str, many: str | None = None) -> str:
    """{{ n | plural("visit") }}: "1 visit", "2 visits", "1,204 visits"."""
    from osint.briefs.summary import plural

    try:
        return plural(int(value), singular, many)
    except (TypeError, ValueError):
        return f"{value} {many or singular + 's'}"


def fmt_bytes(value) -> str:
    return "" if value is None else size(value, decimal=True)


def fmt_coords(lat, lon) -> str:
    return coordinates(lat, lon, hemispheres=True)


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
        env = SandboxedEnvironment(autoescape=True, finalize=_html_finalize, **options)
        env.filters["css_string"] = css_string
    else:
        env = SandboxedEnvironment(autoescape=False, finalize=_md_finalize, **options)
        env.filters["md"] = markdown_escape
        env.globals["md_link"] = _md_link
        env.globals["md_ref"] = _md_ref
        env.globals["md_cites"] = _md_cites
        env.globals["md_citations"] = _md_citations
        env.globals["md_anchor"] = _md_anchor
        env.globals["raw"] = MarkdownSafe
    env.filters["http_url"] = http_url
    env.filters["short"] = lambda value, n=12: str(value)[:n] if value else ""
    env.filters["thousands"] = _thousands
    env.filters["when"] = fmt_when
    env.filters["when_short"] = fmt_when_short
    env.filters["num"] = lambda value: f"{value:g}" if isinstance(value, int | float) else value
    env.filters["bytes"] = fmt_bytes
    env.filters["plural"] = _plural
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


def _template_line(exc: BaseException, tmpl) -> int | None:
    """The template line an error was raised from (Jinja2 rewrites tracebacks to show it)."""
    import traceback

    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if tmpl.filename and frame.filename == tmpl.filename:
            line = frame.lineno
    return line
