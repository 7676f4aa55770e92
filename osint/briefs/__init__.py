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

# The public names, each from the module that defines it, imported on first use: a feature's
# brief part can import `osint.briefs.refs` without loading the context builder (which loops
# over the features), so no import cycle runs through the feature list.
_EXPORTS = {
    "BUILTIN_NAMES": "osint.briefs.render",
    "FORMATS": "osint.briefs.export",
    "FULL_DATA": "osint.briefs.context",
    "Limits": "osint.briefs.context",
    "MarkdownSafe": "osint.briefs.render",
    "OTHER_PREFIX": "osint.briefs.refs",
    "REF_PREFIX": "osint.briefs.refs",
    "Ref": "osint.briefs.refs",
    "References": "osint.briefs.refs",
    "available_templates": "osint.briefs.render",
    "build_context": "osint.briefs.context",
    "builtin_template_dirs": "osint.briefs.render",
    "cite_groups": "osint.briefs.refs",
    "environment": "osint.briefs.render",
    "export_brief": "osint.briefs.export",
    "fmt_bytes": "osint.briefs.render",
    "fmt_coords": "osint.briefs.render",
    "fmt_when": "osint.briefs.render",
    "fmt_when_short": "osint.briefs.render",
    "http_url": "osint.briefs.refs",
    "is_illustrative": "osint.briefs.refs",
    "markdown_escape": "osint.briefs.render",
    "user_template_dirs": "osint.briefs.render",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
