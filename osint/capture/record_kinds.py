"""The kinds of the capture feature: RFC 3161 timestamps of the case's head."""

from __future__ import annotations

from osint.case.fields import optional_text
from osint.case.kinds import Kind, cut, register

register(
    Kind(
        name="timestamp",
        plural="timestamps",
        table="timestamps",
        fields={
            "id": "id",
            "head": "head",
            "tsa": "tsa",
            "gen_time": "gen_time",
            "serial": "serial",
            "signer": "signer",
            "reply_sha256": "reply_sha256",
        },
        columns=["id", "gen_time", "tsa", "head"],
        label=lambda r: cut(f"{r['gen_time'] or ''} {r['tsa'] or ''}"),
        editable={"note": optional_text},
        date_field="gen_time",
    )
)
