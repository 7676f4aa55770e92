"""Writing the case out in other tools' formats, one module per family of formats.

    gis.py     GeoJSON (RFC 7946) and KML layers: places, sightings, AIS tracks as lines
    tables.py  CSV tables (sightings, visits, vessels, places, AIS gaps); features add theirs
               to `tables.CSV_TABLES`

Every writer streams through `osint.fileio.atomic_output`, so a failed export never leaves half
a file under the requested name.
"""
