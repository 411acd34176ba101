"""The spatial index's schema objects, per database (used by the migration and the CLI).

SQLite: R*Tree virtual tables over RD New bounding boxes (areas, notice covers, registration
points). The registrations' tree has the creation day as a third dimension, so the tree
itself drops all but the recent ones: a condition on an auxiliary column (as the team is)
costs a lookup in the tree's rowid table for every point in the box, and at a million
registrations a briefing's box holds hundreds. PostgreSQL with PostGIS: geography columns with GiST
indexes; the registrations' one is a generated column, so the push path writes nothing more.
PostgreSQL without PostGIS: plain B-tree indexes on the RD bounding-box columns.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import Connection


def tree_id(registration_id: str) -> int:
    """The R*Tree key of a registration (R*Tree keys are integers; ids are UUIDs): 63 bits
    of a hash, a collision among a million ids about one chance in 10^7 (the row also
    carries the id, and the briefing reads the id from it)."""
    digest = hashlib.blake2b(registration_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1

# Days since 1970 (UTC) of creation: stored as 32-bit floats, a few minutes apart at
# today's dates, rounded outward like every R*Tree coordinate, so the tree's answer is a
# superset and the briefing checks created_at exactly.
REGISTRATION_TREE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS rtree_registrations USING rtree("
    "id, min_x, max_x, min_y, max_y, min_day, max_day, +registration_id, +team_id)")
# julianday() of 1970-01-01T00:00Z
UNIX_EPOCH_JD = 2440587.5

SQLITE_TREES = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS rtree_areas USING rtree(id, min_x, max_x, min_y, max_y)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS rtree_notices USING rtree(id, min_x, max_x, min_y, max_y)",
    REGISTRATION_TREE,
)

POSTGIS = (
    "ALTER TABLE registrations ADD COLUMN IF NOT EXISTS geog geography(Point, 4326) "
    "GENERATED ALWAYS AS (CASE WHEN lat IS NULL OR lon IS NULL THEN NULL "
    "ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography END) STORED",
    "CREATE INDEX IF NOT EXISTS ix_registrations_geog ON registrations USING gist (geog)",
    "ALTER TABLE areas ADD COLUMN IF NOT EXISTS geog geography",
    "CREATE INDEX IF NOT EXISTS ix_areas_geog ON areas USING gist (geog)",
    "ALTER TABLE notices ADD COLUMN IF NOT EXISTS cover geography",
    "CREATE INDEX IF NOT EXISTS ix_notices_cover ON notices USING gist (cover)",
    # rows written before PostGIS was there (`flask spatial-index` after installing it)
    "UPDATE areas SET geog = ST_GeomFromGeoJSON(geometry::text)::geography WHERE geog IS NULL",
    "UPDATE notices n SET cover = a.geog FROM areas a WHERE a.id = n.area_id AND n.cover IS NULL",
    "UPDATE notices SET cover = ST_Buffer(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, "
    "radius_m * 1.01 + 5) WHERE area_id IS NULL AND cover IS NULL",
)

# Without PostGIS: a B-tree on RD x then y narrows a briefing to a strip of the country.
POSTGRES_PLAIN = (
    "CREATE INDEX IF NOT EXISTS ix_registrations_rd ON registrations (rd_x, rd_y)",
)


# The counter holding the last change the registrations' tree follows (server.spatial).
TREE_POSITION = "spatial_index"


def fill_registration_tree(bind: Connection) -> None:
    """Every located registration into the tree, and the tree's position to the change
    log's end. Runs under SQLite's write lock, so no change can fall between the two."""
    located = bind.exec_driver_sql(
        f"SELECT id, rd_x, rd_y, julianday(created_at) - {UNIX_EPOCH_JD}, team_id "
        "FROM registrations WHERE rd_x IS NOT NULL").all()
    if located:
        bind.exec_driver_sql(
            "INSERT OR REPLACE INTO rtree_registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(tree_id(r[0]), r[1], r[1], r[2], r[2], r[3], r[3], r[0], r[4])
             for r in located])
    set_tree_position(bind)


def set_tree_position(bind: Connection) -> None:
    """The tree holds every change so far (it was filled, or kept in the push until now)."""
    bind.exec_driver_sql(
        "INSERT INTO counters (name, value) SELECT ?, coalesce(max(seq), 0) FROM changes "
        "WHERE true ON CONFLICT (name) DO UPDATE SET value = excluded.value", (TREE_POSITION,))


def install(bind: Connection) -> str:
    """Create what this database supports; returns the backend: rtree, postgis or bbox."""
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TREES:
            bind.exec_driver_sql(statement)
        fill_registration_tree(bind)
        return "rtree"
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except Exception:  # noqa: BLE001  (the package is not installed: use the fallback)
        for statement in POSTGRES_PLAIN:
            bind.exec_driver_sql(statement)
        return "bbox"
    for statement in POSTGIS:
        bind.exec_driver_sql(statement)
    return "postgis"
