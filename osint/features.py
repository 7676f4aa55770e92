"""Features: what each part of osint adds to a case, declared in one place.

The case core (`osint.case`) knows no feature. It loops over `BUILTIN` to find the kinds of
record, the sections `show` prints, the checks `verify` runs, the bulk tables that `merge` and a
redacted copy must carry, the parts of a brief's context and the commands of the CLI. Everything
is named as "module:attribute" and imported only when used, so `osint --help` loads nothing of a
feature, and a feature whose libraries are not installed (its pip extra) costs nothing until it is
asked for.

A new feature is one package (its kinds, its library, its CLI module) and one line in `BUILTIN`,
as datasette lists its default plugins.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing `verify` found wrong: the record (or "" for the file), its kind, in words."""

    id: str
    kind: str
    problem: str


@dataclass(frozen=True)
class Bulk:
    """Rows a feature keeps in bulk under one audited import record instead of as records.

    AIS positions and the entries of sanctions lists are millions of rows: each import record
    holds a digest of its rows, and these four functions ("module:function") keep that promise:
    - digest(conn, import_id) -> hex SHA-256 of that import's rows as stored;
    - check(conn) -> Iterator[Problem]: every import's rows still hash to their digest (verify);
    - merge(case, other_conn) -> {name: count}: copy the other case's rows (inside the merge);
    - redact(conn, withheld: {id: kind}) -> data for the copy's redact entry: withhold the rows
      of withheld records (it may add records to `withheld`).
    """

    name: str
    digest: str
    check: str
    merge: str
    redact: str


@dataclass(frozen=True)
class Feature:
    """One feature's contributions. Every callable is a "module:attribute" string (lazy)."""

    name: str
    summary: str
    # Modules whose import registers the feature's kinds (osint.case.kinds.register).
    kinds: tuple[str, ...] = ()
    # Extra sections of `osint show`: kind -> "module:function", (conn, row) -> {title: [lines]}.
    details: Mapping[str, str] = field(default_factory=dict)
    # verify checks: "module:function", (conn) -> Iterator[Problem].
    checks: tuple[str, ...] = ()
    # Columns naming stored files, per table: verify checks each is present.
    blob_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bulk: tuple[Bulk, ...] = ()
    # Parts of a brief's context: "module:function", (conn, context, refs); in feature order.
    brief_parts: tuple[str, ...] = ()
    # Top-level commands: name -> "module:attribute" (a function or a typer group).
    commands: Mapping[str, str] = field(default_factory=dict)
    # Modules that add subcommands to a group (their own or another feature's): group -> modules.
    subcommands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Steps of the worked example (`osint demo`): modules with build(case, folder), in order.
    demo_steps: tuple[str, ...] = ()
    # The section of `osint --help` its commands are listed in (PANELS), and per-command
    # exceptions.
    panel: str = "Case"
    panels: Mapping[str, str] = field(default_factory=dict)
    # The pip extra that brings the feature's libraries, and the import names it needs.
    extra: str | None = None
    requires: tuple[str, ...] = ()
    # Extras that make the feature faster, not able: extra -> the import names it brings. Without
    # them the feature gives the same results, more slowly, and says so where it matters.
    speedups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# The sections of `osint --help`, in order.
PANELS = ("Case", "Evidence", "Maritime", "Sharing", "Output")

CASE = Feature(
    "case",
    "the case file: records, links, history, search, timeline, verification",
    commands={
        "init": "osint.cli.case_cmds:init",
        "info": "osint.cli.case_cmds:info",
        "list": "osint.cli.case_cmds:list_records",
        "show": "osint.cli.case_cmds:show",
        "search": "osint.cli.case_cmds:search",
        "timeline": "osint.cli.case_cmds:timeline",
        "log": "osint.cli.case_cmds:log",
        "edit": "osint.cli.case_cmds:edit",
        "retract": "osint.cli.case_cmds:retract",
        "link": "osint.cli.case_cmds:link",
        "verify": "osint.cli.case_cmds:verify",
        "key": "osint.cli.signing_cmds:key_app",
        "signers": "osint.cli.signing_cmds:signers_app",
    },
)

SOURCES = Feature(
    "sources",
    "sources and their snapshots, verbatim quotes, findings",
    kinds=("osint.sources.record_kinds",),
    details={
        "source": "osint.sources.details:source_details",
        "quote": "osint.sources.details:quote_details",
    },
    checks=("osint.sources.checks:check_quotes",),
    demo_steps=("osint.demo.case_file",),
    blob_columns={
        "sources": ("snapshot_sha256",),
        "snapshots": (
            "sha256",
            "text_sha256",
            "tls_chain_sha256",
            "screenshot_sha256",
            "archive_sha256",
        ),
    },
    commands={
        "source": "osint.cli.groups:source_app",
        "quote": "osint.cli.groups:quote_app",
        "finding": "osint.cli.groups:finding_app",
    },
    panel="Evidence",
    subcommands={
        "source": ("osint.cli.source_cmds",),
        "quote": ("osint.cli.source_cmds",),
        "finding": ("osint.cli.case_cmds",),
    },
)

CAPTURE = Feature(
    "capture",
    "web capture to WARC, screenshots, web archives in and out, RFC 3161 timestamps",
    kinds=("osint.capture.record_kinds",),
    checks=("osint.capture.timestamp:check_timestamps", "osint.capture.warc:check_stored_warcs"),
    blob_columns={"timestamps": ("reply_sha256", "chain_sha256")},
    commands={
        "capture": "osint.cli.capture_cmds:capture_urls",
        "timestamp": "osint.cli.capture_cmds:timestamp",
    },
    panel="Evidence",
    panels={"timestamp": "Case"},
    subcommands={"source": ("osint.cli.capture_cmds",), "export": ("osint.cli.capture_cmds",)},
)

IMAGERY = Feature(
    "imagery",
    "satellite and ground imagery: metadata, thumbnails, annotations, similar pictures",
    kinds=("osint.imagery.record_kinds",),
    details={
        "image": "osint.imagery.hooks:image_details",
        "image-check": "osint.imagery.checks:kept_check_details",
    },
    checks=("osint.imagery.hooks:check_images",),
    blob_columns={"images": ("sha256", "thumbnail_sha256")},
    brief_parts=("osint.imagery.brief:context_part",),
    demo_steps=("osint.demo.imagery",),
    commands={"image": "osint.cli.groups:image_app"},
    panel="Evidence",
    subcommands={"image": ("osint.cli.image_cmds",)},
)

MARITIME = Feature(
    "maritime",
    "vessels, places, sightings, AIS positions, port visits and gaps",
    kinds=("osint.maritime.record_kinds",),
    details={
        "vessel": "osint.maritime.vessels:vessel_details",
        "place": "osint.maritime.places:place_details",
        "sighting": "osint.maritime.sightings:sighting_details",
        "visit-query": "osint.maritime.visits:query_details",
        "ais-import": "osint.maritime.ais.tracks:import_details",
        "ais-track": "osint.maritime.ais.tracks:track_details",
        "finding": "osint.maritime.visits:finding_details",
    },
    blob_columns={"ais_imports": ("stored_sha256",)},
    bulk=(
        Bulk(
            "ais positions",
            digest="osint.maritime.ais.store:import_digest",
            check="osint.maritime.ais.store:check_positions",
            merge="osint.maritime.ais.store:merge_positions",
            redact="osint.maritime.ais.store:redact_positions",
        ),
    ),
    # After imagery, so that sightings can name the image that shows them.
    brief_parts=("osint.maritime.brief:context_part",),
    demo_steps=("osint.demo.maritime",),
    commands={
        "vessel": "osint.cli.maritime_cmds:vessel_app",
        "place": "osint.cli.maritime_cmds:place_app",
        "sighting": "osint.cli.maritime_cmds:sighting_app",
        "ais": "osint.cli.maritime_cmds:ais_app",
        "visits": "osint.cli.maritime_cmds:visits",
    },
    panel="Maritime",
    subcommands={"export": ("osint.cli.maritime_cmds",)},
    # `osint ais import`: pyarrow's vectorised CSV reader, ISA-L's inflate for zip and gzip.
    speedups={"ais-fast": ("pyarrow", "isal")},
)

BEHAVIOUR = Feature(
    "behaviour",
    "maritime behaviour: encounters, loitering, dark activity, identity anomalies, sightings "
    "checked against AIS",
    kinds=("osint.maritime.events.record_kinds",),
    details={"event-query": "osint.maritime.events.record:query_details"},
    # After maritime, whose vessels and sightings it refers to.
    brief_parts=("osint.maritime.events.brief:context_part",),
    demo_steps=("osint.demo.events",),
    commands={"sightings": "osint.cli.events_cmds:sightings_app"},
    subcommands={"ais": ("osint.cli.events_cmds",)},
    panel="Maritime",
)

SCREENING = Feature(
    "screening",
    "sanctions lists (OpenSanctions, OFAC) and screening vessels against them; FtM export",
    kinds=("osint.screening.record_kinds",),
    details={"list-import": "osint.screening.lists:import_details"},
    bulk=(
        Bulk(
            "list entries",
            digest="osint.screening.lists:import_digest",
            check="osint.screening.lists:check_listed",
            merge="osint.screening.lists:merge_listed",
            redact="osint.screening.lists:redact_listed",
        ),
    ),
    commands={
        "lists": "osint.cli.screening_cmds:lists_app",
        "screen": "osint.cli.screening_cmds:screen",
    },
    panel="Maritime",
    subcommands={"export": ("osint.cli.ftm_cmds",)},
    demo_steps=("osint.demo.screening",),
    extra="screening",
    requires=("followthemoney", "rigour"),
)

BRIEFS = Feature(
    "briefs",
    "briefs for editors, lawyers and policy staff; GeoJSON, KML and CSV exports",
    commands={"export": "osint.cli.groups:export_app"},
    panel="Output",
    subcommands={"export": ("osint.cli.export_cmds",)},
)

SHARING = Feature(
    "sharing",
    "merging a colleague's case, redacted copies, conflicts",
    commands={
        "merge": "osint.cli.share_cmds:merge",
        "conflicts": "osint.cli.share_cmds:conflicts",
    },
    panel="Sharing",
    subcommands={"export": ("osint.cli.share_cmds",)},
)

SERVE = Feature(
    "serve",
    "browse the case read-only in Datasette",
    commands={"serve": "osint.cli.share_cmds:serve"},
    panel="Sharing",
    extra="serve",
    requires=("datasette",),
)

DEMO = Feature(
    "demo",
    "the worked example case",
    commands={"demo": "osint.cli.demo_cmds:demo"},
    # After every feature's step: the pictures are checked against the sightings that show them.
    demo_steps=("osint.demo.image_checks",),
    panel="Output",
)

# The built-in features, in order: kinds, checks, brief parts and commands follow this order.
BUILTIN: tuple[Feature, ...] = (
    CASE,
    SOURCES,
    CAPTURE,
    IMAGERY,
    MARITIME,
    BEHAVIOUR,
    SCREENING,
    BRIEFS,
    SHARING,
    SERVE,
    DEMO,
)


def resolve_callable(target: str | Callable | None) -> Callable | None:
    """A callable given directly or as "module:attribute" (imported on first use)."""
    if target is None:
        return None
    return load(target)


def load(target: str | Callable) -> Callable:
    """The attribute a "module:attribute" string names (its module imported on first use)."""
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def kind_modules() -> Iterator[str]:
    for feature in BUILTIN:
        yield from feature.kinds


def details(kind: str) -> list[Callable]:
    """The `show` sections for records of a kind, from every feature that adds one."""
    return [load(f.details[kind]) for f in BUILTIN if kind in f.details]


def checks() -> Iterator[Callable]:
    """Every feature's verify checks, bulk-table checks included."""
    for feature in BUILTIN:
        for name in feature.checks:
            yield load(name)
        for bulk in feature.bulk:
            yield load(bulk.check)


def blob_columns() -> dict[str, tuple[str, ...]]:
    columns: dict[str, tuple[str, ...]] = {}
    for feature in BUILTIN:
        for table, names in feature.blob_columns.items():
            columns[table] = columns.get(table, ()) + names
    return columns


def bulk_tables() -> Iterator[Bulk]:
    for feature in BUILTIN:
        yield from feature.bulk


def brief_parts() -> Iterator[Callable]:
    for feature in BUILTIN:
        for name in feature.brief_parts:
            yield load(name)


def commands() -> dict[str, tuple[str, tuple[str, ...], Feature]]:
    """Every top-level command: name -> (target, modules adding subcommands, its feature)."""
    table: dict[str, tuple[str, tuple[str, ...], Feature]] = {}
    for feature in BUILTIN:
        for name, target in feature.commands.items():
            table[name] = (target, (), feature)
    for feature in BUILTIN:
        for group, modules in feature.subcommands.items():
            target, known, owner = table[group]
            table[group] = (target, known + tuple(m for m in modules if m not in known), owner)
    return table


def demo_steps() -> Iterator[tuple[Feature, str]]:
    for feature in BUILTIN:
        for step in feature.demo_steps:
            yield feature, step


def missing_requirements(feature: Feature) -> list[str]:
    """The import names a feature needs that are not installed (found without importing them)."""
    from importlib.util import find_spec

    return [name for name in feature.requires if find_spec(name) is None]


def missing_speedups(feature: Feature) -> dict[str, list[str]]:
    """The feature's speed-up extras that are not (wholly) installed: extra -> missing names."""
    from importlib.util import find_spec

    out = {}
    for extra, names in feature.speedups.items():
        missing = [name for name in names if find_spec(name) is None]
        if missing:
            out[extra] = missing
    return out


def feature_of_module(module_name: str) -> Feature | None:
    """The feature whose extra brings a (top-level) module, for "install osint[extra]" hints."""
    top = module_name.partition(".")[0]
    for feature in BUILTIN:
        if top in feature.requires:
            return feature
    return None
