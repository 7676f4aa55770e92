"""The kinds of the behaviour feature: a kept behaviour query (`--record`)."""

from __future__ import annotations

from osint.case.fields import optional_text, text
from osint.case.kinds import Kind, cut, register

register(
    Kind(
        name="event-query",
        plural="event-queries",
        table="event_queries",
        fields={
            "id": "id",
            "title": "title",
            "command": "command",
            "events": "events",
            "parameters": "parameters",
            "rule": "rule",
        },
        columns=["id", "title", "command", "events"],
        label=lambda r: cut(r["title"]),
        editable={"title": text, "note": optional_text},
        search_title="title",
        search_fields=("rule", "note"),
    )
)
