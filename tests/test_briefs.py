"""Briefs as a reader gets them: sections, citations, marks, pictures, templates and escaping.

The HTML is parsed (not grepped); the Markdown is converted to HTML with markdown-it (always
installed, with raw HTML allowed, so anything the escaping misses shows up as markup) and, when
pandoc is on PATH, with pandoc's GitHub, CommonMark and pandoc-Markdown readers.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from osint import briefs, sources
from osint.case import records
from osint.case.handle import init_case, open_case

# ---- reading HTML --------------------------------------------------------------------------

BRIEF_TAGS = {
    "html", "head", "meta", "title", "style", "body", "div", "header", "nav", "main", "section",
    "footer", "h1", "h2", "h3", "p", "span", "strong", "b", "em", "ol", "ul", "li", "dl", "dt",
    "dd", "code", "a", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "figure",
    "figcaption", "blockquote", "img", "br",
    # inline SVG figures
    "svg", "rect", "text", "tspan", "line", "circle", "path", "g", "defs", "clipPath", "clippath",
    "bdi",
}  # fmt: skip
MARKDOWN_TAGS = {
    "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "code", "br", "hr", "span", "div", "colgroup",
    "col", "figure", "figcaption", "pre",
}  # fmt: skip


class Page(HTMLParser):
    """Every element with its attributes, the ids, and the text a reader sees."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.chunks: list[str] = []
        self.stack: list[str] = []
        self.style_text = ""
        self.page_titles = 0  # <title> outside the SVG figures
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "title" and "svg" not in self.stack:
            self.page_titles += 1
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag not in {"img", "br", "meta", "line", "circle", "path", "rect", "hr", "col"}:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            self.style_text += data
        else:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.chunks))

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.elements if name == tag]


def assert_inert(page: Page, allowed_tags: set[str], *, relative_images: str | None = None):
    """Nothing in the page can run, load or navigate anywhere but http(s) and its own anchors."""
    for tag, attrs in page.elements:
        assert tag in allowed_tags, f"unexpected element <{tag} {attrs}>"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name}={value!r} on <{tag}>"
            assert name not in {"srcdoc", "formaction", "xlink:href"}, (tag, name)
            if name == "style":  # table layout only, as Markdown renderers write it
                assert re.fullmatch(r"(text-align: ?(left|right|center)|width: ?[\d.]+%);?", value)
            if name in {"href", "src", "action", "data", "poster", "background", "cite"}:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert not scheme.startswith(("javascript:", "vbscript:", "data:text")), value
        if tag == "a" and "href" in attrs:
            href = attrs["href"]
            assert href.startswith("#") or re.match(r"^https?://", href), href
            if href.startswith("#") and page.ids:  # (markdown-it writes no heading ids)
                assert href[1:] in page.ids, f"link to missing anchor {href}"
        if tag == "img":
            src = attrs.get("src", "")
            if relative_images is not None:
                assert src.startswith(relative_images + "/"), src
            else:
                assert src.startswith("data:image/"), src[:40]
    assert not page.all("script") and not page.all("iframe") and not page.all("object")
    assert "@import" not in page.style_text and "url(" not in page.style_text


# ---- hostile input -------------------------------------------------------------------------

PAYLOADS = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "' autofocus onfocus='alert(1)",
    "javascript:alert(1)",
    "{{ 7*7 }} {% if true %}49{% endif %} ${7*7} #{7*7}",
    "[click](javascript:alert(1)) ![pic](javascript:alert(2)) <javascript:alert(3)>",
    "[ref]: javascript:alert(4)",
    '<a href="javascript:alert(1)">link</a><iframe src="https://evil.example/"></iframe>',
    "</td></tr></table></section><style>body{display:none}</style>",
    "# Heading\n\n- item\n> quoted\n```\ncode\n```\n| a | b |\n---",
    '::: {onclick="alert(1)"}\n[span]{onclick=alert(2)} `x`{=html} $x$ ^sup^ ~sub~ @cite',
    "<!-- <svg onload=alert(1)> ]]> &lt;script&gt; &amp; &#60;b&#62;",
    'https://evil.example/"><script>alert(1)</script> www.evil.example me@evil.example',
    "1. list item \\ back*slash* _under_ **bold** \u202eRTL",
]
SAFE_URL = "https://example.org/report?a=1&b=2"


def _jpeg(path: Path, camera: str) -> Path:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = camera
    exif[0x0110] = camera
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:05:02 10:00:00"
    sub[0x9011] = "+10:00"
    Image.new("RGB", (64, 48), (20, 60, 90)).save(path, "JPEG", exif=exif)
    return path


def build_hostile_case(folder: Path, payload: str) -> Path:
    """A case where every text field of every kind holds `payload`, plus withdrawn records."""
    from osint.imagery import add_image_file
    from osint.imagery.annotate import annotate
    from osint.maritime import places, sightings, vessels, visits

    path = folder / "case.db"
    init_case(path, title=payload, summary=payload, actor=payload).close()
    snapshot_file = folder / "snapshot.txt"
    snapshot_file.write_text(f"Some text. {payload} More text.", encoding="utf-8")
    with open_case(path, actor=payload, command="osint (test)") as case:
        source = sources.add_source(
            case, "javascript:alert(1)", title=payload, publisher=payload, author=payload,
            note=payload, grade="C", snapshot=sources.prepare_snapshot(snapshot_file),
        )  # fmt: skip
        linked = sources.add_source(case, SAFE_URL, title=payload, note=payload)
        bad_url = sources.add_source(case, f"https://x.example/{payload}", title=payload)
        verified = sources.add_quote(
            case, payload, speaker=payload, source_ref=source["id"], role=payload, note=payload
        )
        unverified = sources.add_quote(
            case, f"not in the text {payload}", speaker=payload, source_ref=source["id"],
            role=payload, note=payload, force=True,
        )  # fmt: skip
        image_file = _jpeg(folder / (payload.replace("/", "|")[:100] + ".jpg"), payload)
        image = add_image_file(case, image_file, source=source["id"], caption=payload, note=payload)
        copy, _, _ = annotate(case, image["id"], [(2, 2, 20, 20)], [payload], caption=payload)
        place = places.add_place(
            case, payload, (42.73, 133.06), radius_m=1500, place_type=payload, note=payload
        )
        vessel, _ = vessels.add_vessel(
            case, payload, imo="9074729", call_sign=payload, vessel_type=payload,
            capacity_bbl=20000, aliases=[payload + " alias"], note=payload, source=source["id"],
        )  # fmt: skip
        seen = sightings.add_sighting(
            case, vessel["id"], when="2024-05-02T00:00:00Z", place=place["id"],
            image=image["id"], source=source["id"], note=payload,
        )  # fmt: skip
        sightings.add_sighting(
            case, vessel["id"], when="2024-06-02T00:00:00Z", at=(42.731, 133.061), note=payload
        )
        sources.add_finding(
            case, payload, note=payload,
            supported_by=[source["id"], verified["id"], copy["id"], seen["id"], linked["id"]],
            contradicted_by=[unverified["id"], bad_url["id"]],
        )  # fmt: skip
        result = visits.compute(case.conn, visits.Query())
        visits.record(case, result, estimate=True, text=payload, note=payload)
        # Withdrawn records must not appear anywhere in a brief.
        gone_source = sources.add_source(case, "https://gone.example/", title="WITHDRAWN-MARK-1")
        gone_quote = sources.add_quote(
            case, "WITHDRAWN-MARK-2", speaker="x", source_ref=source["id"], force=True
        )
        gone_finding, _ = sources.add_finding(case, "WITHDRAWN-MARK-3", supported_by=[source["id"]])
        gone_vessel, _ = vessels.add_vessel(case, "WITHDRAWN-MARK-4")
        sightings.add_sighting(
            case, gone_vessel["id"], when="2024-05-03T00:00:00Z", place=place["id"],
            note="WITHDRAWN-MARK-5",
        )  # fmt: skip
        sources.add_finding(case, "cites withdrawn", supported_by=[gone_source["id"]])
        with case.writing():
            for record in (gone_source, gone_quote, gone_finding, gone_vessel):
                records.retract(case, record["id"], "test withdrawal")
    return path


def export(path: Path, output: Path, **kwargs) -> Path:
    with open_case(path, command="osint export brief (test)") as case:
        return briefs.export_brief(case, output, **kwargs)


def markdown_renderings(md_path: Path) -> dict[str, str]:
    """The Markdown brief as HTML from markdown-it (raw HTML on) and from pandoc when present."""
    from markdown_it import MarkdownIt

    text = md_path.read_text(encoding="utf-8")
    out = {"markdown-it": MarkdownIt("commonmark", {"html": True}).enable("table").render(text)}
    if shutil.which("pandoc"):
        for reader in ("gfm", "markdown", "commonmark_x"):
            result = subprocess.run(
                ["pandoc", "-f", reader, "-t", "html"],
                input=text, capture_output=True, text=True, check=True, timeout=60,
            )  # fmt: skip
            out[f"pandoc {reader}"] = result.stdout
    return out


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"payload{i}" for i in range(len(PAYLOADS))])
def test_hostile_text_in_every_field_stays_text(tmp_path, payload):
    path = build_hostile_case(tmp_path, payload)
    html_path = export(path, tmp_path / "brief.html", exported_by=payload)
    html = html_path.read_text(encoding="utf-8")
    page = Page(html)
    assert_inert(page, BRIEF_TAGS)
    assert len(page.all("style")) == 1 and page.page_titles == 1
    # The reader sees the text as it was entered: as the title, the quote, the finding (a bidi
    # override or a control character shown as its code point, never acting).
    visible = re.sub(r"\s+", " ", briefs.render.neutralise(payload)).strip()
    assert "\u202e" not in html and "\x1b" not in html
    assert page.text.count(visible) >= 10, page.text[:2000]
    assert "WITHDRAWN-MARK" not in html
    # Only well-formed http(s) locators became links.
    expected = {SAFE_URL} | {u for u in [briefs.http_url(f"https://x.example/{payload}")] if u}
    links = [a["href"] for a in page.all("a") if not a["href"].startswith("#")]
    assert set(links) == expected
    assert 'href="https://example.org/report?a=1&amp;b=2"' in html
    # Citations point at records shown in the brief; withdrawn ones are not cited.
    cites = [a["href"][1:] for a in page.all("a") if "cite" in (a.get("class") or "")]
    assert cites and all(ref in page.ids for ref in cites)

    md_path = export(path, tmp_path / "brief.md", exported_by=payload)
    md = md_path.read_text(encoding="utf-8")
    assert "WITHDRAWN-MARK" not in md
    # No raw HTML in the Markdown: every "<" opens the one link destination form we write.
    assert [m.start() for m in re.finditer("<", md)] == [
        m.start() for m in re.finditer(r"(?<=\]\()<https?://", md)
    ]
    for reader, rendered in markdown_renderings(md_path).items():
        rendered_page = Page(rendered)
        assert_inert(rendered_page, MARKDOWN_TAGS, relative_images="brief_files")
        hrefs = [a["href"] for a in rendered_page.all("a") if "href" in a]
        sections = {"#sources", "#quotes", "#imagery", "#vessels", "#map-and-charts",
                    "#sightings", "#recorded-visit-counts", "#findings", "#other-records-cited"}  # fmt: skip
        assert {h for h in hrefs if h.startswith("#")} <= sections, hrefs
        hrefs = [h for h in hrefs if not h.startswith("#")]
        assert {unquote(h) for h in hrefs} <= {unquote(e) for e in expected}, (reader, hrefs)
        text = rendered_page.text
        if reader != "markdown-it":  # pandoc's `smart` typography: curly quotes, dashes
            for curly, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("—", "---"),
                                 ("–", "--"), ("…", "...")):  # fmt: skip
                text = text.replace(curly, plain)
        assert text.count(visible) >= 8, (reader, text[:3000])


def test_markdown_escape_keeps_text_literal():
    cases = {
        "# not a heading": "\\# not a heading",
        "- not a list": "\\- not a list",
        "1. not a list": "1\\. not a list",
        "0.1.0 and 42.7° N": "0.1.0 and 42.7° N",
        "<b>bold</b> & co": "&lt;b&gt;bold&lt;/b&gt; &amp; co",
        "[a](b) ![c](d)": "\\[a\\](b) !\\[c\\](d)",
        "*x* _y_ `z` ~w~ $m$ ^s^ @c |t|": "\\*x\\* \\_y\\_ \\`z\\` \\~w\\~ \\$m\\$ \\^s\\^ \\@c \\|t\\|",
        "see https://a.example or www.b.example": "see https\\://a.example or www\\.b.example",
        "::: {.x}": "\\:\\:: \\{.x}",
        "{onclick=x} a{b}": "\\{onclick=x} a\\{b}",
        "two\n\nlines": "two lines",
        "back\\slash": "back\\\\slash",
    }
    for raw, escaped in cases.items():
        assert briefs.markdown_escape(raw) == escaped, raw


def test_only_http_urls_become_links():
    assert briefs.http_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert briefs.http_url(" HTTP://EXAMPLE.ORG ") == "HTTP://EXAMPLE.ORG"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "//evil.example/",
        'https://ok.example/"><script>',
        "https://ok.example/ x",
        "https://ok.example/\nx",
        "ftp://ok.example/",
        "osint-demo:report",
    ):
        assert briefs.http_url(bad) is None, bad


def test_consecutive_citations_fold_into_ranges():
    cites = [{"ref": r} for r in ("O1", "O2", "O3", "O4", "O7", "O8", "Q1", "S2", "S3", "S4")]
    groups = briefs.cite_groups(cites)
    shown = [g["first"]["ref"] + (f"-{g['last']['ref']}" if g["last"] else "") for g in groups]
    assert shown == ["O1-O4", "O7", "O8", "Q1", "S2-S4"]


# ---- the demo brief, read as a reader would -------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from osint.demo import build_demo

    folder = tmp_path_factory.mktemp("demo")
    build_demo(folder, actor="Demo Tester")
    return folder


def test_demo_html_brief_has_every_section_and_resolving_citations(demo):
    html = (demo / "brief.html").read_text(encoding="utf-8")
    page = Page(html)
    assert_inert(page, BRIEF_TAGS)
    for section in ("findings", "figures", "visits", "imagery", "quotes", "vessels",
                    "sightings", "timeline", "sources", "provenance"):  # fmt: skip
        assert section in page.ids, section
    # Findings cite sources, quotes and the recorded visit count, each an anchor in the brief.
    cites = [a for a in page.all("a") if "cite" in (a.get("class") or "")]
    targets = {a["href"][1:] for a in cites}
    assert {"S1", "Q1", "Q4", "VQ1"} <= targets
    assert all(t in page.ids for t in targets)
    # 13 vessels, 48 sightings, 3 pictures (one shown annotated), the estimate and its assumption.
    assert {f"V{n}" for n in range(1, 14)} <= page.ids
    assert {f"O{n}" for n in range(1, 49)} <= page.ids
    assert {"I1", "I2", "I3", "I4"} <= page.ids
    assert "982,000 barrels" in page.text and "one full load" in page.text
    assert "Not estimated. 2 visits by UNRYUL 9" in page.text
    assert "former name SONGRIM HO, until 2024-06-20" in page.text
    # Every picture is embedded; figures are inline SVG with a bar per month, March-October.
    images = page.all("img")
    assert all(i["src"].startswith("data:image/jpeg;base64,") for i in images)
    # Four thumbnails, and each picture (the original and its annotated copy) at full resolution.
    full = [i for i in images if i["alt"].endswith("full resolution")]
    assert len(images) - len(full) == 4 and len(full) == 4
    bars = re.findall(r"<rect [^>]*><title>([A-Z][a-z]{2})[^<]*: \d+ visits</title>", html)
    assert bars == ["Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]
    assert "Places, sightings and pictures" in page.text
    # Marks: the illustrative data says so; all the demo's quotes are verified.
    assert page.text.count("illustrative") >= 13
    assert page.text.count("verified") >= 8
    assert "unverified" not in page.text.replace("Illustrative or unverified", "")
    # Provenance: the head printed is the case's, and verify passed at export.
    with open_case(demo / "case.db", readonly=True) as case:
        from osint.case.store import audit

        head = audit.latest(case.conn).hash
    assert html.count(head) >= 2
    assert "intact" in page.text and "osint verify" in page.text
    # One self-contained file: no scripts, and only data: pictures.
    assert "<script" not in html and 'http-equiv="Content-Security-Policy"' in html


def test_demo_markdown_brief_tables_and_pictures_beside_it(demo):
    md = (demo / "brief.md").read_text(encoding="utf-8")
    assert "| Ref | When (UTC) | Vessel | Activity, confidence | Evidence | Note |" in md
    assert "All at P1 Vostochny oil terminal." in md  # one place for all: said once
    assert "| Vessel | Visits | First (UTC) | Last (UTC) |" in md  # the visits table
    assert "| **Total** | **43** |" in md
    assert "[S1]" in md and "[VQ1]" in md
    pictures = re.findall(r"!\[[^\]]*\]\((brief_files/[^)]+)\)", md)
    assert "brief_files/figure-map.svg" in pictures
    assert "brief_files/figure-visits-per-month.svg" in pictures
    assert {"brief_files/I1.jpg", "brief_files/I2.jpg", "brief_files/I3.jpg"} <= set(pictures)
    for relative in pictures:
        assert (demo / relative).stat().st_size > 200, relative
    assert (demo / "brief_files" / "figure-map.svg").read_text().startswith("<svg")
    assert "UNVERIFIED" not in md and "*(illustrative)*" in md


def test_demo_pictures_fall_in_the_story_window(demo):
    html = (demo / "brief.html").read_text(encoding="utf-8")
    taken = re.findall(r"<dt>Taken</dt><dd>(\d{4}-\d{2}-\d{2})", html)
    assert len(taken) == 3
    assert all("2024-03-01" <= day <= "2024-10-31" for day in taken)


# ---- templates -----------------------------------------------------------------------------


def test_one_pager_in_both_formats(demo, tmp_path):
    html = export(demo / "case.db", tmp_path / "one.html", template="one-pager")
    page = Page(html.read_text(encoding="utf-8"))
    assert_inert(page, BRIEF_TAGS)
    assert "findings" in page.ids and "F4" in page.ids
    assert "imagery" not in page.ids  # the full brief's sections are not in the one-pager
    md = export(demo / "case.db", tmp_path / "one.md", template="one-pager")
    text = md.read_text(encoding="utf-8")
    assert "[VQ1]" in text and "982,000" in text


CONTRACT_TEMPLATE = """\
TITLE={{ case.title }}|ID={{ case.id }}|SUMMARY={{ case.summary }}
{% for f in findings %}FINDING={{ f.text }}
{% endfor %}{% for s in sources %}SOURCE={{ s.title }}
{% endfor %}{% for q in quotes %}QUOTE={{ q.text }}|{{ q.speaker }}|{{ q.role }}|{{ q.source }}|{{ q.verified }}
{% endfor %}IMAGES={{ images | length }}|VESSELS={{ vessels | length }}|PLACES={{ places | length }}
SIGHTINGS={{ sightings | length }}|VISITS={% for v in visits %}{{ v.name }}:{{ v.visits }},{% endfor %}
"""


def test_a_template_given_by_path_sees_the_contract_context(demo, tmp_path, cli):
    template = tmp_path / "mine.html.j2"
    template.write_text(CONTRACT_TEMPLATE, encoding="utf-8")
    out = tmp_path / "mine.html"
    cli("--case", demo / "case.db", "export", "brief", "-o", out, "--template", template)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("TITLE=Vostochny: North Korean tankers")
    findings = cli.json("--case", demo / "case.db", "list", "findings")
    assert text.count("FINDING=") == len(findings) >= 4
    assert "SOURCE=Russia gives North Korea a million barrels" in text
    assert "QUOTE=To continue fighting in Ukraine" in text
    assert (
        "|David Lammy|British Foreign Secretary|Russia gives North Korea a million barrels" in text
    )
    assert "|True" in text
    assert "IMAGES=4|VESSELS=13|PLACES=1" in text and "SIGHTINGS=48" in text
    assert "PAEGAM 1:6," in text


def test_a_template_folder_overrides_built_ins_by_name(demo, tmp_path, cli, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "brief.md.j2").write_text("MY BRIEF {{ case.title }}\n", encoding="utf-8")
    (folder / "memo.md.j2").write_text("MEMO {{ findings | length }}\n", encoding="utf-8")
    case = demo / "case.db"
    cli("--case", case, "export", "brief", "-o", tmp_path / "a.md", "--template-dir", folder)
    assert (tmp_path / "a.md").read_text().startswith("MY BRIEF Vostochny")
    monkeypatch.setenv("OSINT_TEMPLATES", str(folder))
    cli("--case", case, "export", "brief", "-o", tmp_path / "b.md", "--template", "memo")
    findings = cli.json("--case", case, "list", "findings")
    assert (tmp_path / "b.md").read_text() == f"MEMO {len(findings)}\n"
    # The built-in one-pager is still found behind the user's folder.
    cli("--case", case, "export", "brief", "-o", tmp_path / "c.md", "--template", "one-pager")
    assert "F1" in (tmp_path / "c.md").read_text()


def test_template_errors_are_one_line_and_name_the_template(demo, tmp_path, cli):
    case = demo / "case.db"
    result = cli("--case", case, "export", "brief", "-o", tmp_path / "x.html",
                 "--template", "nosuch", expect=1)  # fmt: skip
    assert "no HTML template named 'nosuch'" in result.stderr and "one-pager" in result.stderr
    broken = tmp_path / "broken.html.j2"
    broken.write_text("ok\n{% for x in %}\n", encoding="utf-8")
    result = cli("--case", case, "export", "brief", "-o", tmp_path / "x.html",
                 "--template", broken, expect=1)  # fmt: skip
    assert "broken.html.j2, line 2" in result.stderr and "Traceback" not in result.stderr
    # A template cannot reach Python internals (the sandbox), and nothing is written.
    sneaky = tmp_path / "sneaky.html.j2"
    sneaky.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    result = cli("--case", case, "export", "brief", "-o", tmp_path / "y.html",
                 "--template", sneaky, expect=1)  # fmt: skip
    assert "unsafe" in result.stderr or "access" in result.stderr
    assert not (tmp_path / "y.html").exists() and not list(tmp_path.glob("*.partial"))
    assert not list(tmp_path.glob(".*.partial"))
    # A filter given what it cannot take: the template's line, not a traceback.
    wrong = tmp_path / "wrong.html.j2"
    wrong.write_text("fine\n{{ coords('north', 'east') }}\n", encoding="utf-8")
    result = cli("--case", case, "export", "brief", "-o", tmp_path / "z.html",
                 "--template", wrong, expect=1)  # fmt: skip
    assert "wrong.html.j2, line 2: TypeError" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    result = cli("--case", case, "export", "brief", "-o", tmp_path / "x.txt", expect=1)
    assert "a brief is .md, .html or .pdf" in result.stderr


def test_json_output_names_the_file(demo, tmp_path, cli):
    out = cli.json("--case", demo / "case.db", "export", "brief", "-o", tmp_path / "b.html")
    assert out == {"path": str(tmp_path / "b.html"), "format": "html"}


# ---- long cases are summarised -------------------------------------------------------------


def test_long_lists_are_summarised_and_say_where_the_rest_is(tmp_path, cli, case):
    from osint.maritime import places, sightings, vessels

    source = sources.add_source(case, "https://example.org/a", title="Report")
    place = places.add_place(case, "Berth", (42.73, 133.06), radius_m=1000)
    fleet = [vessels.add_vessel(case, f"SHIP {n}")[0] for n in range(4)]
    seen = []
    with case.writing():
        for day in range(1, 29):
            for ship in fleet:
                seen.append(
                    sightings.add_sighting(
                        case,
                        ship["id"],
                        when=f"2024-03-{day:02d}T0{day % 10}:00:00Z",
                        place=place["id"],
                        source=source["id"],
                    )  # fmt: skip
                )
    sources.add_finding(case, "The ships kept coming.", supported_by=[seen[-1]["id"]])
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out, "--max-rows", "10")
    page = Page(out.read_text(encoding="utf-8"))
    assert "This brief shows 1 of the case's 112 sightings" in page.text
    assert "osint list sightings" in page.text
    # The cited sighting is shown (its citation resolves); the others are counted per vessel.
    cited = [a["href"][1:] for a in page.all("a") if "cite" in (a.get("class") or "")]
    assert len(cited) == 1 and cited[0] in page.ids
    assert [i for i in page.ids if re.fullmatch(r"O\d+", i)] == cited
    assert "Sightings per vessel" in page.text and "SHIP 3" in page.text
    # The timeline says what each month held; it does not repeat the sightings table.
    assert "112 sightings of 4 vessels at Berth" in page.text
    # Without a limit, everything is listed.
    cli("export", "brief", "-o", out, "--max-rows", "0")
    assert {f"O{n}" for n in range(1, 113)} <= Page(out.read_text(encoding="utf-8")).ids


def test_markdown_pictures_folder_is_rewritten_not_wiped(tmp_path, cli, case):
    from osint.imagery import add_image_file

    first = add_image_file(case, _jpeg(tmp_path / "a.jpg", "Cam A"), caption="first")
    add_image_file(case, _jpeg(tmp_path / "b.jpg", "Cam B"), caption="second")
    out = tmp_path / "my brief.md"
    cli("export", "brief", "-o", out)
    folder = tmp_path / "my brief_files"
    assert sorted(p.name for p in folder.iterdir()) == ["I1.jpg", "I2.jpg"]
    assert "](my%20brief_files/I1.jpg)" in out.read_text(encoding="utf-8")
    (folder / "notes.txt").write_text("mine")
    cli("retract", first["id"], "--reason", "duplicate")
    cli("export", "brief", "-o", out)
    assert sorted(p.name for p in folder.iterdir()) == ["I1.jpg", "notes.txt"]


def test_unverified_material_is_marked(tmp_path, cli, case):
    from osint.maritime import vessels

    source = sources.add_source(case, "https://example.org/a", title="Unarchived report")
    sources.add_quote(case, "We never said that.", speaker="A. Person", source_ref=source["id"])
    vessels.add_vessel(case, "BAD IMO", imo="1234568", force=True)
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    page = Page(out.read_text(encoding="utf-8"))
    assert "unverified" in page.text and "not archived" in page.text
    assert re.search(r"unverified IMO 1234568: ", page.text)
    md = tmp_path / "brief.md"
    cli("export", "brief", "-o", md)
    text = md.read_text(encoding="utf-8")
    assert "**UNVERIFIED**: not found in" in text and "**Not archived:**" in text


def test_a_finding_without_evidence_says_so(tmp_path, cli, case):
    sources.add_finding(case, "Bold claim.")
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    assert "No evidence is linked to this finding." in Page(out.read_text()).text


def test_a_captured_source_shows_its_final_url_and_http_status(tmp_path, cli):
    from capture_server import default_site, serve

    with serve(default_site()) as base:
        cli("capture", f"{base}/old")
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    page = Page(out.read_text(encoding="utf-8"))
    assert f"HTTP 200 OK from {base}/article (redirected from {base}/old)" in page.text
    assert {a["href"] for a in page.all("a") if a["href"].startswith("http")} == {
        f"{base}/old",
        f"{base}/article",
    }
    md = tmp_path / "brief.md"
    cli("export", "brief", "-o", md)
    assert (
        f"HTTP 200 OK from [{base.replace(':', chr(92) + ':', 1)}/article](<{base}/article>)"
        in (md.read_text(encoding="utf-8"))
    )


def test_verify_problems_are_reported_in_the_brief(tmp_path, cli, case_path):
    with open_case(case_path) as case:
        sources.add_source(case, "https://example.org/a", title="Report")
    import sqlite3

    raw = sqlite3.connect(case_path)
    raw.execute("UPDATE sources SET title = 'tampered'")
    raw.commit()
    raw.close()
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    page = Page(out.read_text(encoding="utf-8"))
    assert re.search(r"\d+ problems?", page.text)
    data = json.loads(cli("--json", "verify", expect=None).stdout)
    assert not data["ok"]


def test_cited_records_without_a_section_are_listed_so_citations_resolve(tmp_path, cli, case):
    snapshot_file = tmp_path / "page.txt"
    snapshot_file.write_text("The archived text.", encoding="utf-8")
    source = sources.add_source(
        case, "https://example.org/a", title="Report",
        snapshot=sources.prepare_snapshot(snapshot_file),
    )  # fmt: skip
    finding, _ = sources.add_finding(case, "The page said so.", supported_by=[source["snapshot"]])
    out = tmp_path / "brief.html"
    cli("export", "brief", "-o", out)
    page = Page(out.read_text(encoding="utf-8"))
    assert "also-cited" in page.ids and "R1" in page.ids
    cites = [a["href"] for a in page.all("a") if "cite" in (a.get("class") or "")]
    assert cites == ["#R1"]
    assert source["snapshot"][:8] in page.text  # the id prefix osint show takes


def test_a_missing_template_folder_is_named(tmp_path, cli):
    result = cli("export", "brief", "-o", tmp_path / "b.html", "--template-dir",
                 tmp_path / "nowhere", expect=1)  # fmt: skip
    assert "--template-dir" in result.stderr and "nowhere" in result.stderr
