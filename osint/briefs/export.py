"""`export_brief`: render one brief from one consistent, read-only state of the case."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from osint.briefs.context import Limits, build_context
from osint.briefs.files import _BriefFiles, _data_uri, _figures, _full_uri
from osint.briefs.readonly import read_only
from osint.briefs.render import (
    _html_cites,
    _html_ref,
    _template_line,
    _template_name,
    available_templates,
    builtin_template_dirs,
    environment,
    markdown_links,
    user_template_dirs,
)
from osint.errors import InvalidInput

FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def export_brief(
    case,
    output: str | os.PathLike,
    *,
    template: str | None = None,
    template_dirs: Iterable[str | os.PathLike] = (),
    exported_by: str | None = None,
    limits: Limits | None = None,
    run_verify: bool = True,
    marking: str | None = None,
    pdf: bool = False,
) -> Path:
    """Render the brief to `output` (.md, .html or .pdf); returns the path written.

    A Markdown brief writes its pictures and figures into `FILE_files/` beside it. With `pdf`
    (or an output ending in .pdf) the HTML brief is written and then printed to FILE.pdf beside
    it by headless Chromium: the PDF is the HTML file one can check. `marking` (e.g. "DRAFT -
    NOT FOR PUBLICATION") is printed at the top of every page.
    """
    output = Path(output)
    if output.suffix.lower() == ".pdf":
        pdf, output = True, output.with_suffix(".html")
    elif pdf and FORMATS.get(output.suffix.lower()) != "html":
        raise InvalidInput(
            f"--pdf: the PDF is printed from the HTML brief (use -o {output.stem}.html or .pdf)"
        )
    if pdf:
        from osint.briefs.pdf import print_pdf

        written = _export(case, output, template=template, template_dirs=template_dirs,
                          exported_by=exported_by, limits=limits, run_verify=run_verify,
                          marking=marking)  # fmt: skip
        return print_pdf(written, written.with_suffix(".pdf"))
    return _export(case, output, template=template, template_dirs=template_dirs,
                   exported_by=exported_by, limits=limits, run_verify=run_verify,
                   marking=marking)  # fmt: skip


def _marking(text: str | None) -> str | None:
    if text is None:
        return None
    line = " ".join(str(text).split())
    if not line:
        return None
    if len(line) > 120:
        raise InvalidInput("--marking: at most 120 characters (it is printed on every page)")
    return line


def _export(
    case,
    output: Path,
    *,
    template,
    template_dirs,
    exported_by,
    limits,
    run_verify,
    marking,
) -> Path:
    import jinja2

    fmt = FORMATS.get(output.suffix.lower())
    marking = _marking(marking)
    if fmt is None:
        raise InvalidInput(f"-o {output}: a brief is .md, .html or .pdf")
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
    with case.reading(), read_only(case.conn):
        context = build_context(case, exported_by=exported_by, limits=limits, run_verify=run_verify)
        context["format"] = fmt
        context["marking"] = marking
        refs = context["refs"]
        if fmt == "md":
            files = _BriefFiles(output)
            context["files_dir"] = files.relative
            context["thumbnail_src"] = files.thumbnail(case.conn)
            context["full_src"] = files.full(case.conn)
            context.update(markdown_links(refs))
            context["figure_src"] = files.figure
        else:
            context["thumbnail_src"] = _data_uri(case.conn)
            context["full_src"] = _full_uri(case.conn)
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
        except sqlite3.DatabaseError as exc:
            # Only a template reaching for the database gets here: the case is read-only.
            line = _template_line(exc, tmpl)
            where = f", line {line}" if line else ""
            raise InvalidInput(
                f"template {name}{where}: the case is read-only while a brief is rendered ({exc})"
            ) from None
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
