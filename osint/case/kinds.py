"""The kinds of record a case holds: the registry and the generic kinds (the case, links).

Generic commands (list, show, edit, retract, search, timeline, verify, merge) work from these
declarations. Each feature declares its own kinds in its `kinds` module, named in
`osint.features`; they are registered the first time the registry is read, so a command that
never looks at kinds never imports them. Behaviour that needs heavier code is named as
"module:function" and imported only when used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from osint.case.fields import (  # noqa: F401  (the field parsers, also read as kinds.text etc.)
    CREDIBILITY,
    GRADES,
    credibility,
    grade,
    latitude,
    longitude,
    optional_text,
    text,
    when,
)
from osint.errors import InvalidInput
from osint.features import load, resolve_callable

# ---- the kinds -------------------------------------------------------------------------------


@dataclass
class Kind:
    name: str
    plural: str
    table: str
    # Contract fields, in the order JSON shows them: json name -> column.
    fields: dict[str, str]
    # Columns shown in human tables by `list` (json names).
    columns: list[str]
    label: Callable[[Mapping], str]
    editable: dict[str, Callable[[str, str], Any]] = field(default_factory=dict)
    bools: tuple[str, ...] = ()
    date_field: str | None = None  # the column `timeline` orders by
    search_title: str | None = None
    search_fields: tuple[str, ...] = ()
    # "module:function" hooks, imported only when needed:
    search_extra: str | None = None  # (conn, row) -> extra text to index
    on_edit: str | None = None  # (case, row, changes) -> further changes to apply
    resolve_extra: str | None = None  # (conn, ref) -> list of ids matching a name etc.
    listed: bool = True  # appears in `osint list` and `info` counts
    # Records osint may generate from another record (a finding kept by `visits --record`, an
    # annotated copy of an image): their `added_from` names it, so they go where it goes.
    generated_from: bool = False
    # (conn, row) -> {json field: value} computed from other records (a vessel's aliases).
    json_extra: str | None = None

    def to_json(self, row: Mapping, conn=None) -> dict:
        """A record as scripts see it: contract field names first, then every other column.

        Given the connection, fields computed by the kind's `json_extra` hook are filled in.
        """
        row = dict(row)
        hook = resolve_callable(self.json_extra) if conn is not None else None
        if hook:
            row.update(hook(conn, row))
        columns_used = set(self.fields.values())
        out = {}
        for json_name, column in self.fields.items():
            out[json_name] = row.get(column)
        for column in row:
            if column not in columns_used and column not in out:
                out[column] = row[column]
        for name in self.bools:
            if out.get(name) is not None:
                out[name] = bool(out[name])
        return {"kind": self.name, **out} if "kind" not in out else out


def cut(value, width=60) -> str:
    value = " ".join(str(value or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


_KINDS: dict[str, Kind] = {}
_loaded = False


def register(kind: Kind) -> Kind:
    _KINDS[kind.name] = kind
    return kind


def registry() -> dict[str, Kind]:
    """Every kind by name: the case, then each feature's kinds in feature order, then links."""
    global _loaded
    if not _loaded:
        _loaded = True
        import importlib

        from osint import features

        for module in features.kind_modules():
            importlib.import_module(module)
        register(LINK)
        register(SIGNER)
    return _KINDS


def __getattr__(name: str):
    # `kinds.KINDS` reads the registry, loading the features' kinds on first use.
    if name == "KINDS":
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


register(
    Kind(
        name="case",
        plural="cases",
        table="case_info",
        fields={"id": "id", "title": "title", "summary": "summary"},
        columns=["id", "title"],
        label=lambda r: cut(r["title"]),
        editable={"title": text, "summary": optional_text},
        search_title="title",
        search_fields=("summary",),
        listed=False,
    )
)
LINK = Kind(
    name="link",
    plural="links",
    table="links",
    fields={
        "id": "id",
        "from": "from_id",
        "relation": "relation",
        "to": "to_id",
        "note": "note",
    },
    columns=["id", "from", "relation", "to"],
    label=lambda r: f"{r['from_id'][:8]} {r['relation']} {r['to_id'][:8]}",
    editable={"note": optional_text},
    listed=False,
)

SIGNER = Kind(
    name="signer",
    plural="signers",
    table="signers",
    fields={
        "id": "id",
        "name": "name",
        "fingerprint": "fingerprint",
        "public_key": "public_key",
        "note": "note",
    },
    columns=["id", "name", "fingerprint"],
    label=lambda r: cut(f"{r['name']} {r['fingerprint']}"),
    editable={"note": optional_text},
    search_title="name",
    search_fields=("fingerprint", "note"),
)

RELATIONS = ("supports", "contradicts", "depicts", "mentions", "same-as", "derived-from")


def get(name: str) -> Kind:
    """A kind by its singular or plural name."""
    key = name.strip().lower().replace("_", "-")
    if key in registry():
        return registry()[key]
    for kind in registry().values():
        if kind.plural == key:
            return kind
    listable = ", ".join(k.plural for k in registry().values() if k.listed)
    raise InvalidInput(f"unknown kind {name!r} (one of: {listable})")


def by_table(table: str) -> Kind:
    for kind in registry().values():
        if kind.table == table:
            return kind
    raise KeyError(table)


def lazy_parser(target: str) -> Callable[[str, str], Any]:
    """A field parser living in a feature module, imported on first use (fast startup)."""

    def parse(value: str, name: str = "value"):
        return load(target)(value, name)

    return parse
