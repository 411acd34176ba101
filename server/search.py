"""Full-text search over registrations' narrative, street and place (the review list's ``q``).

Every word of ``q`` must occur as the start of a word in one of those fields (``jans``
finds "Jansen"), case and accents ignored. A word holding punctuation is a phrase of its
parts (``kop-staart`` finds "Kop-staartbotsing"). A word without a letter or digit finds
nothing and is left out; a ``q`` of such words only matches no registration.

SQLite: an FTS5 index (``unicode61``, diacritics removed) over a table holding each
registration's searched text. Triggers on ``registrations`` keep that table in step with
every write of ``data``, whoever makes it (the push path's bulk statements, decisions,
the retention job's DELETE, a repair by hand), so no writer can forget it.

PostgreSQL: a ``tsvector`` per registration in a table of its own under a GIN index, kept
by triggers in the same way, through one SQL function (``wijkpost_search_text``:
``unaccent`` when the extension can be installed, lower case, punctuation made a space).
The query's words go through the same function in the database first, so both sides
split and fold text alike whatever the database's locale, and no punctuation reaches the
``tsquery`` (no room for its operators).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, false, literal_column, text
from sqlalchemy.engine import Connection

from server.extensions import db
from server.models import Registration
from server.narrowing import Narrowing, registration_ids

SEARCHED = ("narrative", "street", "place")
MAX_WORDS = 8  # more words only narrow further; this bounds the cost of one query

# --- schema (used by the migration) ------------------------------------------------------


def _sqlite_body(row: str) -> str:
    return " || ' ' || ".join(
        f"coalesce(json_extract({row}.data, '$.{name}'), '')" for name in SEARCHED)


SQLITE_SCHEMA = (
    # key: the index's rowid. The registrations' own rowid would do, but VACUUM may
    # renumber it (their key is a text id), which would point the index at other rows.
    "CREATE TABLE registration_search_rows (key INTEGER PRIMARY KEY, "
    "id VARCHAR(36) NOT NULL UNIQUE, body TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE registration_search USING fts5(body, "
    "content='registration_search_rows', content_rowid='key', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    # the searched text → the index (FTS5's external content pattern)
    "CREATE TRIGGER registration_search_rows_ai AFTER INSERT ON registration_search_rows "
    "BEGIN INSERT INTO registration_search (rowid, body) VALUES (new.key, new.body); END",
    "CREATE TRIGGER registration_search_rows_ad AFTER DELETE ON registration_search_rows "
    "BEGIN INSERT INTO registration_search (registration_search, rowid, body) "
    "VALUES ('delete', old.key, old.body); END",
    "CREATE TRIGGER registration_search_rows_au AFTER UPDATE OF body "
    "ON registration_search_rows BEGIN "
    "INSERT INTO registration_search (registration_search, rowid, body) "
    "VALUES ('delete', old.key, old.body); "
    "INSERT INTO registration_search (rowid, body) VALUES (new.key, new.body); END",
    # registrations → the searched text; an update that leaves the three fields as they
    # were (most pushes: a status, a party) writes nothing more
    "CREATE TRIGGER registrations_search_ai AFTER INSERT ON registrations BEGIN "
    f"INSERT INTO registration_search_rows (id, body) VALUES (new.id, {_sqlite_body('new')}); "
    "END",
    "CREATE TRIGGER registrations_search_au AFTER UPDATE OF data ON registrations BEGIN "
    f"UPDATE registration_search_rows SET body = {_sqlite_body('new')} "
    f"WHERE id = new.id AND body IS NOT {_sqlite_body('new')}; END",
    "CREATE TRIGGER registrations_search_ad AFTER DELETE ON registrations BEGIN "
    "DELETE FROM registration_search_rows WHERE id = old.id; END",
)
SQLITE_BACKFILL = (
    "INSERT INTO registration_search_rows (id, body) "
    f"SELECT id, {_sqlite_body('registrations')} FROM registrations"
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS registrations_search_ai",
    "DROP TRIGGER IF EXISTS registrations_search_au",
    "DROP TRIGGER IF EXISTS registrations_search_ad",
    "DROP TABLE IF EXISTS registration_search",
    "DROP TABLE IF EXISTS registration_search_rows",
)


def _pg_function(unaccent_schema: str | None) -> str:
    folded = "$1" if unaccent_schema is None else (
        f'"{unaccent_schema}".unaccent(\'"{unaccent_schema}".unaccent\'::regdictionary, $1)')
    # Punctuation becomes a space, so the parser of to_tsvector sees words and numbers
    # only (no e-mail, path or version tokens a typed word would not match) and a query
    # word keeps none of tsquery's operators. (Matching [^[:alnum:]] instead costs ten
    # times as much: a negated class covers all of Unicode.) Immutable: unaccent's rules
    # file is taken as fixed; names qualified, as a restore runs with an empty search_path.
    return ("CREATE OR REPLACE FUNCTION wijkpost_search_text(text) RETURNS text "
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT "
            f"pg_catalog.regexp_replace(pg_catalog.lower({folded}), "
            "'[[:punct:]]+', ' ', 'g') $$")


_PG_BODY = " || ' ' || ".join(f"coalesce($1->>'{name}', '')" for name in SEARCHED)
_PG_VECTOR = "to_tsvector('simple'::regconfig, wijkpost_search_text(wijkpost_search_body({})))"
PG_SCHEMA = (
    "CREATE FUNCTION wijkpost_search_body(json) RETURNS text LANGUAGE sql IMMUTABLE "
    f"PARALLEL SAFE AS $$ SELECT {_PG_BODY} $$",
    # A table of its own rather than a column of registrations: every push rewrites its
    # registrations' rows, and a column would recompute and reindex the text each time.
    "CREATE TABLE registration_search (id VARCHAR(36) PRIMARY KEY "
    "REFERENCES registrations (id) ON DELETE CASCADE, search tsvector NOT NULL)",
    "CREATE INDEX ix_registration_search ON registration_search USING gin (search)",
    "CREATE FUNCTION wijkpost_search_index() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO registration_search (id, search) VALUES "
    f"(NEW.id, {_PG_VECTOR.format('NEW.data')}) "
    "ON CONFLICT (id) DO UPDATE SET search = excluded.search; RETURN NULL; END $$",
    "CREATE TRIGGER registrations_search_ai AFTER INSERT ON registrations "
    "FOR EACH ROW EXECUTE FUNCTION wijkpost_search_index()",
    # only when the searched text changed (most pushes set a status, a party, ...)
    "CREATE TRIGGER registrations_search_au AFTER UPDATE OF data ON registrations "
    "FOR EACH ROW WHEN (" + " OR ".join(
        f"(OLD.data->>'{name}') IS DISTINCT FROM (NEW.data->>'{name}')" for name in SEARCHED)
    + ") EXECUTE FUNCTION wijkpost_search_index()",
    # a deleted registration takes its row along (the foreign key's ON DELETE CASCADE)
)
PG_BACKFILL = (f"INSERT INTO registration_search (id, search) SELECT id, "
               f"{_PG_VECTOR.format('data')} FROM registrations")
PG_DROP = (
    "DROP TRIGGER IF EXISTS registrations_search_ai ON registrations",
    "DROP TRIGGER IF EXISTS registrations_search_au ON registrations",
    "DROP FUNCTION IF EXISTS wijkpost_search_index()",
    "DROP TABLE IF EXISTS registration_search",
    "DROP FUNCTION IF EXISTS wijkpost_search_body(json)",
    "DROP FUNCTION IF EXISTS wijkpost_search_text(text)",
)


def _unaccent(bind: Connection) -> str | None:
    """The schema of the unaccent extension, installed here if it can be; None without."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except Exception:  # noqa: BLE001  (not installed or not allowed: accents then count)
        return None
    return bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
        "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'").scalar()


def install(bind: Connection) -> None:
    """Create the index and fill it from the registrations there are."""
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_SCHEMA:
            bind.exec_driver_sql(statement)
        bind.exec_driver_sql(SQLITE_BACKFILL)  # the triggers above index each row
        return
    bind.exec_driver_sql(_pg_function(_unaccent(bind)))
    for statement in PG_SCHEMA:
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql(PG_BACKFILL)


def rebuild(bind: Connection) -> tuple[int, bool]:
    """Index every registration anew (a repair; on PostgreSQL also after installing
    unaccent). Returns how many are indexed and whether accents are ignored."""
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("DELETE FROM registration_search_rows")
        bind.exec_driver_sql(SQLITE_BACKFILL)
        # the index from the text table alone, whatever state it was in
        bind.exec_driver_sql(
            "INSERT INTO registration_search (registration_search) VALUES ('rebuild')")
        table, accents = "registration_search_rows", True
    else:
        schema = _unaccent(bind)
        bind.exec_driver_sql(_pg_function(schema))
        bind.exec_driver_sql("DELETE FROM registration_search")
        bind.exec_driver_sql(PG_BACKFILL)
        table, accents = "registration_search", schema is not None
    return bind.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one(), accents


def uninstall(bind: Connection) -> None:
    for statement in SQLITE_DROP if bind.dialect.name == "sqlite" else PG_DROP:
        bind.exec_driver_sql(statement)


# --- queries -----------------------------------------------------------------------------

_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def words(q: str) -> list[str]:
    """The searchable words of ``q``: split on white space, those without any letter or
    digit left out, at most ``MAX_WORDS``."""
    return [w for w in q.split() if _LETTER_OR_DIGIT.search(w)][:MAX_WORDS]


def fts5_query(found: list[str]) -> str:
    """An FTS5 query: each word a quoted string (FTS5's own syntax for literal text, so
    ``NEAR(``, ``*``, ``"`` or ``AND`` in it are text) with a prefix star, all required."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in found)


def tsquery(normalised: list[str]) -> str:
    """A tsquery from words as ``wijkpost_search_text`` returned them (no punctuation,
    parts separated by spaces): the parts of one word in sequence, its last a prefix.
    Quotes are escaped all the same."""
    terms = []
    for word in normalised:
        parts = ["'" + p.replace("\\", "\\\\").replace("'", "''") + "'" for p in word.split()]
        if parts:
            parts[-1] += ":*"
            terms.append("(" + " <-> ".join(parts) + ")")
    return " & ".join(terms)


# The index's own keys (reading a text id per match would cost more than the match).
_FTS_KEYS = "SELECT rowid FROM registration_search WHERE registration_search MATCH :m"
# Row by row: the registration's key in the text table, then that key among the matches
# (one set per query, of integers: no text id is looked up per match).
_FTS_ROW = ("EXISTS (SELECT 1 FROM registration_search_rows s WHERE s.id = registrations.id "
            "AND s.key IN (SELECT rowid FROM registration_search "
            "WHERE registration_search MATCH :search_match))")


def _keyed(keys: list[int]) -> Any:
    """The registrations whose searched text has one of the index keys ``keys``."""
    return Registration.id.in_(text(
        "SELECT id FROM registration_search_rows WHERE key IN :keys"
    ).bindparams(bindparam("keys", keys, expanding=True)).columns(literal_column("id")))


def narrowing(q: str) -> Narrowing:
    """The registrations (rows of ``registrations``) that match every word of ``q``."""
    found = words(q)
    if not found:
        return Narrowing(false())
    if db.session.get_bind().dialect.name == "sqlite":
        match = fts5_query(found)
        return Narrowing(text(_FTS_ROW).bindparams(search_match=match),
                         text(_FTS_KEYS).bindparams(m=match).columns(literal_column("rowid")),
                         _keyed)
    marks = ", ".join(f"wijkpost_search_text(:w{i})" for i in range(len(found)))
    normalised = db.session.execute(text(f"SELECT {marks}"),
                                    {f"w{i}": w for i, w in enumerate(found)}).one()
    query = tsquery([n or "" for n in normalised])
    if not query:
        return Narrowing(false())
    # Its planner misjudges how many rows a prefix matches (by tenfold either way), so it
    # gets the same choice as SQLite (server/narrowing.py): the matches when few, else a
    # test row by row, as a subquery it cannot turn into a join that starts from them.
    return Narrowing(
        text("(SELECT s.search FROM registration_search s WHERE s.id = registrations.id) "
             "@@ to_tsquery('simple', :search_query)").bindparams(search_query=query),
        text("SELECT id FROM registration_search "
             "WHERE search @@ to_tsquery('simple', :search_query)"
             ).bindparams(search_query=query).columns(literal_column("id")),
        registration_ids)
