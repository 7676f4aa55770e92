"""The case file's schema, created and upgraded by sqlite-utils migrations.

Each migration is a plain function of a sqlite-utils `Database`, applied once, in order, and
recorded in `_sqlite_migrations`. `PRAGMA user_version` holds how many have been applied: a
command opening an up-to-date case checks that number and never imports sqlite-utils (startup
speed); a case with a larger number was written by a newer osint and is refused.

Add a migration by appending a function to MIGRATIONS; never edit or reorder a released one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from osint.case.store.db import APPLICATION_ID, transaction
from osint.errors import NotACase, SchemaTooNew

# Columns every record table carries: who added it, when, how, from what; and its withdrawal.
PROVENANCE_COLUMNS = {
    "added_by": str,
    "added_at": str,
    "added_via": str,
    "added_from": str,
    "osint_version": str,
    "retracted_at": str,
    "retracted_by": str,
    "retracted_reason": str,
}


def record_table(db, name: str, columns: dict, *, foreign_keys=(), indexes=()) -> None:
    """Create a record table: `id` text primary key, the given columns, then provenance."""
    table = db[name]
    table.create({"id": str, **columns, **PROVENANCE_COLUMNS}, pk="id", foreign_keys=foreign_keys)
    for index in indexes:
        table.create_index(index if isinstance(index, list | tuple) else [index])
    table.create_index(["added_at"])


def m0001_case_file(db) -> None:
    db["blobs"].create(
        {
            "sha256": str,
            "size": int,
            "media_type": str,
            "chunk_size": int,
            "chunks": int,
            "added_at": str,
        },
        pk="sha256",
    )
    db["blob_chunks"].create(
        {"sha256": str, "seq": int, "data": bytes},
        pk=("sha256", "seq"),
        foreign_keys=[("sha256", "blobs", "sha256")],
    )
    record_table(db, "case_info", {"title": str, "summary": str})
    record_table(
        db,
        "sources",
        {
            "locator": str,
            "title": str,
            "publisher": str,
            "author": str,
            "published": str,
            "grade": str,
            "note": str,
            "snapshot": str,
            "snapshot_sha256": str,
        },
        indexes=["locator"],
    )
    record_table(
        db,
        "snapshots",
        {
            "source": str,
            "sha256": str,
            "media_type": str,
            "filename": str,
            "size": int,
            "retrieved_at": str,
            "text_sha256": str,
            "text_chars": int,
            "method": str,
            "note": str,
        },
        foreign_keys=[("source", "sources", "id"), ("sha256", "blobs", "sha256")],
        indexes=["source", "sha256"],
    )
    record_table(
        db,
        "quotes",
        {
            "text": str,
            "speaker": str,
            "role": str,
            "source": str,
            "snapshot": str,
            "said": str,
            "credibility": int,
            "verified": int,
            "start_char": int,
            "end_char": int,
            "note": str,
        },
        foreign_keys=[("source", "sources", "id"), ("snapshot", "snapshots", "id")],
        indexes=["source"],
    )
    record_table(db, "findings", {"text": str, "note": str})
    record_table(
        db,
        "links",
        {"from_id": str, "relation": str, "to_id": str, "note": str},
        indexes=["from_id", "to_id"],
    )
    db["audit_log"].create(
        {
            "seq": int,
            "hash": str,
            "parents": str,
            "case_id": str,
            "at": str,
            "actor": str,
            "command": str,
            "osint_version": str,
            "action": str,
            "kind": str,
            "record_id": str,
            "content_sha256": str,
            "data": str,
            "redacted": int,
        },
        pk="seq",
        not_null=["hash", "parents", "at", "action", "content_sha256"],
        defaults={"redacted": 0},
    )
    db["audit_log"].create_index(["hash"], unique=True)
    db["audit_log"].create_index(["record_id"])
    # One full-text index over every kind of record, so that `osint search` ranks them together.
    db.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "record_id UNINDEXED, kind UNINDEXED, title, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    db["search_rows"].create({"record_id": str, "fts_rowid": int}, pk="record_id")


def m0002_capture(db) -> None:
    """Captures (issue 9): what a fetched page's snapshot records, and RFC 3161 timestamps."""
    snapshots = db["snapshots"]
    for name, type_ in {
        "url": str,  # as requested
        "final_url": str,  # after redirects
        "http_status": int,
        "http_reason": str,
        "content_type": str,  # of the payload, as the server declared it
        "server_ip": str,
        "redirects": str,  # JSON: every hop with its status, headers, address and TLS summary
        "tls_version": str,
        "tls_verified": int,
        "tls_subject": str,
        "tls_issuer": str,
        "tls_chain_sha256": str,  # PEM certificate chain of the final connection
        "user_agent": str,
        "request_sha256": str,  # the raw HTTP request, as sent
        "response_sha256": str,  # the raw HTTP response, as received
        "payload_sha256": str,  # the document itself (transfer and content codings removed)
        "payload_size": int,
        "text_extractor": str,
        "text_encoding": str,
        "tool": str,
        "screenshot_sha256": str,
        "archive_sha256": str,  # an imported WARC/WACZ file the snapshot was taken from
        "archive_offset": int,
        "warc_record_id": str,
    }.items():
        snapshots.add_column(name, type_)
    snapshots.create_index(["url"])
    snapshots.create_index(["final_url"])
    record_table(
        db,
        "timestamps",
        {
            "head": str,  # the audit entry hash that was stamped
            "tsa": str,  # the authority's URL
            "gen_time": str,
            "serial": str,
            "policy": str,
            "hash_algorithm": str,
            "nonce": str,
            "tsa_name": str,
            "signer": str,
            "reply_sha256": str,  # the whole TimeStampResp (DER), as received
            "chain_sha256": str,  # PEM certificates that verify it offline
            "note": str,
        },
        indexes=["head"],
    )


def m0003_images(db) -> None:
    """Images: the original's bytes in blobs (sha256), metadata read from it, thumbnail, hashes."""
    record_table(
        db,
        "images",
        {
            "sha256": str,
            "filename": str,
            "format": str,
            "media_type": str,
            "size": int,
            "width": int,
            "height": int,
            "frames": int,
            # Capture time: `taken` in UTC; the camera's own clock reading and offset as in EXIF.
            "taken": str,
            "taken_local": str,
            "taken_offset": str,
            "taken_basis": str,
            "gps_time": str,
            # Where: `lat`/`lon` as shown on maps (given, else EXIF GPS, else a scene's centre).
            "lat": float,
            "lon": float,
            "location_basis": str,
            "gps_lat": float,
            "gps_lon": float,
            "altitude": float,
            "camera": str,
            "orientation": int,
            # GeoTIFF scenes: coordinate system, bounds and centre in WGS 84.
            "geo_crs": str,
            "geo_south": float,
            "geo_west": float,
            "geo_north": float,
            "geo_east": float,
            "geo_centre_lat": float,
            "geo_centre_lon": float,
            "thumbnail_sha256": str,
            "phash": str,
            "status": str,
            "warnings": str,
            "caption": str,
            "note": str,
            "source": str,
            "derived_from": str,
            "annotations": str,
            "file_modified": str,
            "metadata": str,
        },
        foreign_keys=[
            ("source", "sources", "id"),
            ("sha256", "blobs", "sha256"),
        ],
        indexes=["sha256", "taken", "source", "derived_from"],
    )


def m0004_maritime(db) -> None:
    """Vessels (with their names over time), places, sightings, AIS imports, tracks and positions."""
    record_table(
        db,
        "vessels",
        {
            "name": str,
            "imo": str,
            "mmsi": str,
            "flag": str,
            "flag_source": str,
            "mmsi_flag": str,
            "call_sign": str,
            "vessel_type": str,
            "capacity_bbl": int,
            "imo_check": str,
            "mmsi_check": str,
            "note": str,
        },
        indexes=["name", "imo", "mmsi"],
    )
    # Aliases, former names and names broadcast on AIS: one record each, with dates and source.
    record_table(
        db,
        "vessel_names",
        {
            "vessel": str,
            "name": str,
            "name_type": str,
            "valid_from": str,
            "valid_to": str,
            "source": str,
            "note": str,
        },
        foreign_keys=[("vessel", "vessels", "id")],
        indexes=["vessel", "name"],
    )
    record_table(
        db,
        "places",
        {
            "name": str,
            "lat": float,
            "lon": float,
            "radius_m": float,
            "place_type": str,
            "note": str,
        },
        indexes=["name"],
    )
    record_table(
        db,
        "sightings",
        {
            "vessel": str,
            "seen_at": str,
            "place": str,
            "lat": float,
            "lon": float,
            "image": str,
            "source": str,
            "activity": str,
            "confidence": str,
            "note": str,
        },
        foreign_keys=[("vessel", "vessels", "id"), ("place", "places", "id")],
        indexes=["vessel", "seen_at", "place"],
    )
    record_table(
        db,
        "ais_imports",
        {
            "filename": str,
            "sha256": str,
            "size": int,
            "layout": str,
            "column_map": str,
            "filters": str,
            "rows_read": int,
            "rows_kept": int,
            "rows_duplicate": int,
            "rows_invalid": int,
            "rows_not_vessel": int,
            "rows_filtered": int,
            "invalid_sample": str,
            "rows_digest": str,
            "first_time": str,
            "last_time": str,
            "tracks": int,
            "vessels_created": int,
            "stored_sha256": str,
            "note": str,
        },
        indexes=["sha256"],
    )
    # One track per (import, MMSI): which vessel those positions belong to, and what AIS said.
    record_table(
        db,
        "ais_tracks",
        {
            "import_id": str,
            "mmsi": str,
            "vessel": str,
            "imo": str,
            "name": str,
            "call_sign": str,
            "ship_type": str,
            "rows": int,
            "first_time": str,
            "last_time": str,
            "note": str,
        },
        foreign_keys=[("import_id", "ais_imports", "id"), ("vessel", "vessels", "id")],
        indexes=["import_id", "mmsi", "vessel"],
    )
    # A saved `osint visits` result: the query, the table and the evidence of each visit.
    record_table(
        db,
        "visit_queries",
        {
            "title": str,
            "parameters": str,
            "visits": int,
            "vessels": int,
            "barrels": int,
            "result": str,
            "evidence": str,
            "note": str,
        },
    )
    # Bulk AIS positions: not records. Each row belongs to the import (batch) that inserted it;
    # the import record holds the digest of its rows, which `verify` recomputes.
    db.execute(
        "CREATE TABLE ais_batches ("
        "batch INTEGER PRIMARY KEY, import_id TEXT NOT NULL UNIQUE, "
        "first_row INTEGER, last_row INTEGER)"
    )
    db.execute(
        "CREATE TABLE ais_positions ("
        "id INTEGER PRIMARY KEY, "
        "batch INTEGER NOT NULL, "
        "mmsi INTEGER NOT NULL, "
        "epoch INTEGER NOT NULL, "
        "lat REAL NOT NULL, "
        "lon REAL NOT NULL, "
        "sog REAL, cog REAL, heading INTEGER, status INTEGER)"
    )
    # The same report (MMSI, time, position) is stored once, whichever file brought it.
    db.execute("CREATE UNIQUE INDEX ais_positions_key ON ais_positions (mmsi, epoch, lat, lon)")


def m0005_screening(db) -> None:
    """Sanctions lists (issue 11): one audited record per imported list file, and its kept rows.

    The rows are not records: each names the import that brought it, and the import record holds
    the digest of its rows (in the list's own id order) that `verify` recomputes.
    """
    record_table(
        db,
        "list_imports",
        {
            "source": str,  # the source record whose snapshot is the list file itself
            "list_name": str,  # versions of one list share it (OFAC SDN, un_sc_sanctions, ...)
            "publisher": str,
            "format": str,
            "filename": str,
            "sha256": str,
            "size": int,
            "published": str,  # the list's own publication date
            "published_basis": str,  # how that date is known
            "entities_read": int,
            "vessels": int,
            "parties": int,
            "relations": int,
            "delisted": int,
            "names": int,
            "skipped": str,
            "rows_digest": str,
            "note": str,
        },
        foreign_keys=[("source", "sources", "id")],
        indexes=["sha256", "list_name"],
    )
    db.execute(
        "CREATE TABLE listed_entities ("
        "id INTEGER PRIMARY KEY, import_id TEXT NOT NULL, entity_id TEXT NOT NULL, "
        "schema TEXT NOT NULL, name TEXT, imo TEXT, mmsi TEXT, call_sign TEXT, flag TEXT, "
        "past_flags TEXT, vessel_type TEXT, country TEXT, programs TEXT, authorities TEXT, "
        "topics TEXT, status TEXT, listed_on TEXT, delisted_on TEXT, remarks TEXT, url TEXT, "
        "UNIQUE (import_id, entity_id))"
    )
    db.execute("CREATE INDEX listed_entities_imo ON listed_entities (imo)")
    db.execute("CREATE INDEX listed_entities_mmsi ON listed_entities (mmsi)")
    db.execute(
        "CREATE TABLE listed_names ("
        "id INTEGER PRIMARY KEY, import_id TEXT NOT NULL, entity_id TEXT NOT NULL, "
        "name TEXT NOT NULL, name_type TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX listed_names_import ON listed_names (import_id, entity_id)")
    db.execute(
        "CREATE TABLE listed_links ("
        "id INTEGER PRIMARY KEY, import_id TEXT NOT NULL, vessel TEXT NOT NULL, "
        "party TEXT NOT NULL, relation TEXT NOT NULL, role TEXT, start_date TEXT, end_date TEXT)"
    )
    db.execute("CREATE INDEX listed_links_import ON listed_links (import_id, vessel)")


def m0006_ais_sources(db) -> None:
    """AIS imports from providers' own files: rows that carried no position (reports whose position
    is "not available", NMEA static reports) are counted apart, and each import keeps the
    breakdown of its counts (why rows were invalid, which stations were not vessels, what each
    filter removed, the area its positions cover) as JSON in `details`."""
    db.execute("ALTER TABLE ais_imports ADD COLUMN rows_no_position INTEGER")
    db.execute("ALTER TABLE ais_imports ADD COLUMN details TEXT")


def m0007_realfiles_times(db) -> None:
    """Pictures keep which tag gave their time (`taken_tag`), the save time a program wrote
    (`saved_time`, `saved_tag`: never a capture time) and how far the camera clock is from the
    file's GPS time when that is no time-zone offset (`clock_error_s`, camera minus GPS); places
    keep their other names (`aliases`); a list import names each file it was read from (`files`)."""
    for column, kind in (
        ("taken_tag", "TEXT"),
        ("saved_time", "TEXT"),
        ("saved_tag", "TEXT"),
        ("clock_error_s", "INTEGER"),
    ):
        db.execute(f"ALTER TABLE images ADD COLUMN {column} {kind}")
    # Places are found by their other names too (`; `-separated).
    db.execute("ALTER TABLE places ADD COLUMN aliases TEXT")
    # A list imported from several files (OFAC's sdn.csv + alt.csv + add.csv) or compressed:
    # each file as given (JSON: file, part, sha256, size, compressed).
    db.execute("ALTER TABLE list_imports ADD COLUMN files TEXT")


def m0008_archives_search_fold(db) -> None:
    """Search folds what a reader sees as the same (issue 16): the index holds the NFKC form of
    every title and text (ligatures such as U+FB01, full-width letters), as queries do."""
    from osint.case.search import fold

    rows = db.execute("SELECT rowid, title, body FROM search_index").fetchall()
    for rowid, title, body in rows:
        new_title, new_body = fold(title or ""), fold(body or "")
        if new_title != (title or "") or new_body != (body or ""):
            db.execute(
                "UPDATE search_index SET title = ?, body = ? WHERE rowid = ?",
                [new_title, new_body, rowid],
            )


def m0009_integrity_salts(db) -> None:
    """Each audit entry's content hash commits to a random salt kept beside its content (and
    withheld with it in a redacted copy), so withheld words cannot be confirmed by guessing."""
    db.execute("ALTER TABLE audit_log ADD COLUMN salt TEXT")


def m0010_brief_finding_confidence(db) -> None:
    """A finding states the analyst's confidence in it: high, moderate or low (or none)."""
    db.execute("ALTER TABLE findings ADD COLUMN confidence TEXT")


def m0011_signatures(db) -> None:
    """Signed provenance: each audit entry may carry an SSH signature (SSHSIG, namespace
    "osint") over its hash, kept beside the log so that the entry's hash, and so the chain, does
    not change; and the case's allowed signers, as records (name and OpenSSH public key)."""
    db.execute(
        "CREATE TABLE audit_signatures ("
        "entry_hash TEXT PRIMARY KEY, signature TEXT NOT NULL, key_fingerprint TEXT NOT NULL)"
    )
    record_table(
        db,
        "signers",
        {"name": str, "public_key": str, "fingerprint": str, "note": str},
        indexes=["fingerprint"],
    )


def m0012_behaviour_events(db) -> None:
    """A saved behaviour query (`ais encounters|loitering|anomalies|dark`, `sightings check`
    with --record): the command, its parameters and rule, its rows and the AIS imports cited."""
    record_table(
        db,
        "event_queries",
        {
            "title": str,
            "command": str,
            "parameters": str,
            "rule": str,
            "events": int,
            "result": str,
            "evidence": str,
            "note": str,
        },
    )


def m0013_image_checks(db) -> None:
    """Consistency checks kept for a picture (`osint image check --record`): each check's result
    and figures as JSON, derived from the image."""
    record_table(
        db,
        "image_checks",
        {
            "image": str,
            "summary": str,
            "failed": int,
            "checks": str,
            "parameters": str,
            "note": str,
        },
        foreign_keys=[("image", "images", "id")],
        indexes=["image"],
    )


MIGRATIONS: list[tuple[str, Callable]] = [
    ("0001_case_file", m0001_case_file),
    ("0002_capture", m0002_capture),
    ("0003_images", m0003_images),
    ("0004_maritime", m0004_maritime),
    ("0005_screening", m0005_screening),
    ("0006_ais_sources", m0006_ais_sources),
    ("0007_realfiles_times", m0007_realfiles_times),
    ("0008_archives_search_fold", m0008_archives_search_fold),
    ("0009_integrity_salts", m0009_integrity_salts),
    ("0010_brief_finding_confidence", m0010_brief_finding_confidence),
    ("0011_signatures", m0011_signatures),
    ("0012_behaviour_events", m0012_behaviour_events),
    ("0013_image_checks", m0013_image_checks),
]

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def check_is_case(conn: sqlite3.Connection, path) -> None:
    """Refuse SQLite files that are not osint cases and cases from a newer osint."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise NotACase(f"{path}: not an osint case file ({exc})") from None
    if app_id != APPLICATION_ID:
        if not has_tables and Path(path).stat().st_size == 0:
            raise NotACase(f"{path}: empty file, not an osint case (create one with osint init)")
        raise NotACase(f"{path}: a SQLite database, but not an osint case file")
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{path}: written by a newer osint (schema version {version}; this osint knows up to "
            f"{SCHEMA_VERSION}): upgrade osint to open it"
        )


def migrate(conn: sqlite3.Connection, path) -> bool:
    """Bring the case up to this osint's schema. Returns True when anything was applied."""
    check_is_case(conn, path)
    if schema_version(conn) == SCHEMA_VERSION:
        return False
    with transaction(conn, path):
        # Another process may have migrated while we waited for the lock.
        if schema_version(conn) >= SCHEMA_VERSION:
            return False
        from sqlite_utils import Database
        from sqlite_utils.migrations import Migrations

        db = Database(conn, execute_plugins=False, recursive_triggers=False)
        known = {name for name, _ in MIGRATIONS}
        migrations = Migrations("osint")
        applied = {m.name for m in migrations.applied(db)}
        unknown = sorted(applied - known)
        if unknown:
            raise SchemaTooNew(
                f"{path}: has schema changes this osint does not know ({', '.join(unknown)}): "
                "upgrade osint to open it"
            )
        for name, function in MIGRATIONS:
            migrations(name=name)(function)
        migrations.apply(db)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return True
