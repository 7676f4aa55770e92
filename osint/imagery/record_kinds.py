"""The kinds of the imagery feature: images (originals and derived copies) and the consistency
checks kept for them."""

from __future__ import annotations

from collections.abc import Mapping

from osint.case.fields import latitude, longitude, optional_text, when
from osint.case.kinds import Kind, cut, register


def _image_label(r: Mapping) -> str:
    name = r["filename"] or (r["sha256"] or "")[:12]
    return cut(f"{name}: {r['caption']}" if r["caption"] else name)


register(
    Kind(
        name="image",
        plural="images",
        table="images",
        fields={
            "id": "id",
            "sha256": "sha256",
            "filename": "filename",
            "format": "format",
            "width": "width",
            "height": "height",
            "taken": "taken",
            "lat": "lat",
            "lon": "lon",
            "camera": "camera",
            "caption": "caption",
            "source": "source",
            "status": "status",
            "warnings": "warnings",
        },
        columns=["id", "filename", "format", "width", "height", "taken", "lat", "lon", "camera"],
        label=_image_label,
        editable={
            "caption": optional_text,
            "note": optional_text,
            "taken": when,
            "lat": latitude,
            "lon": longitude,
            "camera": optional_text,
        },
        date_field="taken",
        search_title="filename",
        search_fields=("caption", "note", "camera", "format", "sha256"),
        resolve_extra="osint.imagery.hooks:resolve_sha256_prefix",
        generated_from=True,
    )
)

register(
    Kind(
        name="image-check",
        plural="image-checks",
        table="image_checks",
        fields={
            "id": "id",
            "image": "image",
            "summary": "summary",
            "failed": "failed",
            "checks": "checks",
            "parameters": "parameters",
        },
        columns=["id", "image", "summary", "added_at"],
        label=lambda r: cut(f"checks of image {(r['image'] or '')[:8]}: {r['summary']}"),
        editable={"note": optional_text},
        search_fields=("summary", "note"),
        generated_from=True,
    )
)
