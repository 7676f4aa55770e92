"""The kinds of the screening feature: imported sanctions lists."""

from __future__ import annotations

from osint.case.fields import optional_text, when
from osint.case.kinds import Kind, cut, register

register(
    Kind(
        name="list-import",
        plural="list-imports",
        table="list_imports",
        fields={
            "id": "id",
            "list": "list_name",
            "published": "published",
            "source": "source",
            "file": "filename",
            "sha256": "sha256",
            "format": "format",
            "vessels": "vessels",
            "parties": "parties",
            "relations": "relations",
            "delisted": "delisted",
            "rows_digest": "rows_digest",
            "published_basis": "published_basis",
            "files": "files",
        },
        columns=["id", "list", "published", "vessels", "parties", "file"],
        label=lambda r: cut(f"{r['list_name']} as published {r['published']}"),
        editable={"note": optional_text, "published": when},
        on_edit="osint.screening.lists:import_on_edit",
        date_field="published",
        search_title="list_name",
        search_fields=("filename", "sha256", "publisher", "note"),
    )
)
