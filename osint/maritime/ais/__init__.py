"""AIS position reports: readers (one per file layout), the importer, tracks and stored rows.

    layouts.py   the column vocabularies of each provider's layout (MarineCadastre classic and
                 2025, Danish Maritime Authority, any CSV), detection, time formats,
                 "not available" placeholders, statuses in words, kinds of stations
    readers.py   opening files (plain, .gz, .zip, .zst, .bz2, .xz), hashing them as they stream,
                 CSV rows
    nmea.py      raw NMEA sentences (!AIVDM/!AIVDO) decoded with pyais: tag-block or logged times,
                 multi-sentence static reports
    importer.py  one transaction per file, swap checks, the audited import record
    filters.py   --bbox, --near, --from/--to, --mmsi, --vessel, --map
    stream.py    the hot loop (cleaning, dedupe, counts) and its reference path
    tracks.py    linking each (import, MMSI) to a vessel, creating vessels from static data
    store.py     the ais_positions table: the rows' digest and its `verify` check

A new layout is a new `Layout` in layouts.py (or a new reader yielding the same raw rows, as
nmea.py does); the importer does not change.
"""
