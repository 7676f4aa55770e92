"""AIS position reports: readers (one per file layout), the importer, tracks and stored rows.

    layouts.py   the column vocabularies of each provider's layout, detection, time formats
    readers.py   opening files (plain, .gz, .zip, .zst), hashing them as they stream, CSV rows
    importer.py  cleaning, filters, dedupe, one transaction, the audited import record
    tracks.py    linking each (import, MMSI) to a vessel, creating vessels from static data
    store.py     the ais_positions table: the rows' digest and its `verify` check

A new layout is a new `Layout` in layouts.py (or a new reader yielding the same raw rows, as an
NMEA reader would); the importer does not change.
"""
