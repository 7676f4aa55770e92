"""A small Datasette plugin for `osint serve` (loaded by Datasette from --plugins-dir, never by osint).

It shows images as thumbnails (served from the case's blob store, thumbnails only), keeps ids and
hashes on one line, and links the records people read first from the home page (through the
metadata's description). Everything from the case is escaped by Datasette or by `escape` here.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

CSS = """
td.col-id, th.col-id, td.col-sha256, td.col-thumbnail_sha256, td.col-snapshot_sha256,
td.col-record_id, td.col-hash, td.col-head, td.col-parents, td.col-mmsi, td.col-imo {
  white-space: nowrap;
}
img.osint-thumb { max-width: 160px; max-height: 120px; display: block; }
"""
_SHA = re.compile(r"^[0-9a-f]{64}$")


async def _css(request):
    return Response(CSS, content_type="text/css; charset=utf-8")


async def _thumbnail(datasette, request):
    sha = request.url_vars["sha"]
    if not _SHA.match(sha):
        return Response.text("not found", status=404)
    database = datasette.get_database()
    found = await database.execute(
        "SELECT b.media_type FROM images i JOIN blobs b ON b.sha256 = i.thumbnail_sha256 "
        "WHERE i.thumbnail_sha256 = ? LIMIT 1",
        [sha],
    )
    if not found.rows:  # only thumbnails are served: originals may be huge, and stay in the case
        return Response.text("not found", status=404)
    chunks = await database.execute(
        "SELECT data FROM blob_chunks WHERE sha256 = ? ORDER BY seq", [sha]
    )
    body = b"".join(bytes(row[0]) for row in chunks.rows)
    return Response(
        body,
        content_type=found.rows[0][0] or "image/jpeg",
        headers={"cache-control": "max-age=86400", "x-content-type-options": "nosniff"},
    )


@hookimpl
def register_routes():
    return [
        (r"^/-/osint/osint\.css$", _css),
        (r"^/-/osint/thumbnail/(?P<sha>[0-9a-f]{64})$", _thumbnail),
    ]


@hookimpl
def extra_css_urls():
    return ["/-/osint/osint.css"]


@hookimpl
def render_cell(value, column, table):
    thumbnail = table == "images" and column == "thumbnail_sha256"
    if thumbnail and isinstance(value, str) and _SHA.match(value):
        return Markup(
            f'<img class="osint-thumb" loading="lazy" alt="thumbnail" '
            f'src="/-/osint/thumbnail/{escape(value)}">'
        )
    return None
