"""Imagery: ingest (hash, EXIF, georeference, thumbnails), annotation, export, near-duplicates.

The API other features call (no image library is imported until one is used):

- `add_image_file(case, path, *, source=None, caption=None, derived_from=None, ...) -> dict`
- `add_image_bytes(case, data, filename, **same options) -> dict`
- `add_images(case, paths, options, ...) -> Summary` (what `osint image add` runs)
- `export_image(case, ref, destination)`; `osint.imagery.annotate.annotate(case, ref, boxes,
  labels)`; `osint.imagery.similar.similar(conn, ref)`

Modules: `sniff` (is it an image: signatures), `probe` + `exif` + `geotiff` (reading one file, run
in worker processes), `worker` + `pool` (the sandboxed workers), `ingest` (batches, records),
`annotate`, `similar`, `hooks` (the image kind's hooks for resolve/show/verify).
"""

from __future__ import annotations

# The ingest API is imported on first use: the case's kinds registry imports
# osint.imagery.record_kinds at startup, which must not load the ingest code.
_INGEST = frozenset(
    {"Options", "Outcome", "Summary", "add_image_bytes", "add_image_file", "add_images"}
)

__all__ = [
    "Options",
    "Outcome",
    "Summary",
    "add_image_bytes",
    "add_image_file",
    "add_images",
    "export_image",
]


def __getattr__(name: str):
    if name in _INGEST:
        from osint.imagery import ingest

        return getattr(ingest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def export_image(case, ref: str, destination, *, thumbnail: bool = False, force: bool = False):
    """Write an image's original bytes (or its thumbnail) to a file: (record, bytes written)."""
    import os

    from osint.case import records
    from osint.case.store import blobs
    from osint.errors import InvalidInput

    _, image = records.resolve(case.conn, ref, ["image"])
    sha = image["thumbnail_sha256"] if thumbnail else image["sha256"]
    if not sha:
        raise InvalidInput(
            f"image {image['id'][:8]} has no thumbnail (its pixels could not be decoded)"
        )
    if os.path.isdir(destination):
        raise InvalidInput(f"-o {destination}: is a folder; give a file name")
    if os.path.exists(destination) and not force:
        raise InvalidInput(f"-o {destination}: already exists (use --force to overwrite it)")
    return image, blobs.export(case.conn, sha, destination)
