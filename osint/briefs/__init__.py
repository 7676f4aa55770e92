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

from osint.briefs.context import FULL_DATA, Limits, build_context
from osint.briefs.export import FORMATS, export_brief
from osint.briefs.refs import (
    OTHER_PREFIX,
    REF_PREFIX,
    Ref,
    References,
    cite_groups,
    http_url,
    is_illustrative,
)
from osint.briefs.render import (
    BUILTIN_NAMES,
    MarkdownSafe,
    available_templates,
    builtin_template_dirs,
    environment,
    fmt_bytes,
    fmt_coords,
    fmt_when,
    fmt_when_short,
    markdown_escape,
    user_template_dirs,
)

__all__ = [
    "BUILTIN_NAMES", "FORMATS", "FULL_DATA", "OTHER_PREFIX", "REF_PREFIX", "Limits",
    "MarkdownSafe", "Ref", "References", "available_templates", "build_context",
    "builtin_template_dirs", "cite_groups", "environment", "export_brief", "fmt_bytes",
    "fmt_coords", "fmt_when", "fmt_when_short", "http_url", "is_illustrative",
    "markdown_escape", "user_template_dirs",
]  # fmt: skip
