"""Full-text search over registrations' narrative, street and place (the review list's ``q``).

Every word of ``q`` must occur as the start of a word in one of those fields (``jans``
finds "Jansen"), case and accents ignored. A word holding punctuation is a phrase of its
parts (``kop-staart`` finds "Kop-staartbotsing"). A word without a letter or digit finds
nothing and is left out; a ``q`` of such words only matches no registration.

SQLite: an FTS5 index (``unicode61``, diacritics removed) over a table holding each
registration's searched text. No trigger on ``registrations``: tokenising in the push's
write transaction cost it a third more CPU, and that transaction is the officers'
critical path. A job (``index_pending``, every 2 s) follows the change log instead, which
every writer of a registration fills (the push, decisions, the retention job's purge),
from a position kept in ``counters``. A search takes the index's matches only for
registrations without a change after that position, and tests those changed since (the
last seconds' writes, a few) directly on their data, so it sees every write at once.

PostgreSQL: a ``tsvector`` per registration in a table of its own under a GIN index, kept
by triggers in the same way, through one SQL function (``wijkpost_search_text``:
``unaccent`` when the extension can be installed, lower case, punctuation made a space).
The query's words go through the same function in the database first, so both sides
split and fold text alike whatever the database's locale, and no punctuation reaches the
``tsquery`` (no room for its operators).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from sqlalchemy import and_, bindparam, false, literal_column, or_, text
from sqlalchemy.engine import Connection

from server import changes
from server.bulk import rows, rows_many
from server.extensions import db
from server.models import Registration
from server.narrowing import Narrowing, registration_ids

SEARCHED = ("narrative", "street", "place")
MAX_WORDS = 8  # more words only narrow further; this bounds the cost of one query
POSITION = "search_index"  # SQLite: the counter holding the last change indexed
CHUNK = 500  # ids per IN list

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
)
SQLITE_BACKFILL = (
    "INSERT INTO registration_search_rows (id, body) "
    f"SELECT id, {_sqlite_body('registrations')} FROM registrations"
)
SQLITE_DROP = (
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


def _sqlite_fill(bind: Connection) -> None:
    """Index every registration and set the indexer's position to the change log's end.
    Runs under SQLite's write lock, so no change can fall between the two."""
    bind.exec_driver_sql("DELETE FROM registration_search_rows")
    bind.exec_driver_sql(SQLITE_BACKFILL)  # the triggers above index each row
    bind.exec_driver_sql(
        "INSERT INTO counters (name, value) SELECT ?, coalesce(max(seq), 0) FROM changes "
        "WHERE true ON CONFLICT (name) DO UPDATE SET value = excluded.value", (POSITION,))


def install(bind: Connection) -> None:
    """Create the index and fill it from the registrations there are."""
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_SCHEMA:
            bind.exec_driver_sql(statement)
        _sqlite_fill(bind)
        return
    bind.exec_driver_sql(_pg_function(_unaccent(bind)))
    for statement in PG_SCHEMA:
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql(PG_BACKFILL)


def rebuild(bind: Connection) -> tuple[int, bool]:
    """Index every registration anew (a repair; on PostgreSQL also after installing
    unaccent). Returns how many are indexed and whether accents are ignored."""
    if bind.dialect.name == "sqlite":
        _sqlite_fill(bind)
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
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("DELETE FROM counters WHERE name = ?", (POSITION,))


# --- SQLite: the indexer, following the change log ----------------------------------------

BATCH = 500  # changes per transaction: each batch holds the write lock a few milliseconds


def body_of(data: Any) -> str:
    """A registration's searched text, as the migration's SQL (json_extract) makes it."""
    if not isinstance(data, dict):
        return "  "
    return " ".join(_as_text(data.get(name)) for name in SEARCHED)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loaded(data: Any) -> Any:
    return json.loads(data) if isinstance(data, str | bytes) else data


def index_pending(batch: int = BATCH) -> int:
    """Bring the SQLite index up to date with the change log (``changes.follow``); returns
    the registrations (re)indexed or taken out. A no-op on PostgreSQL (triggers)."""
    if db.session.get_bind().dialect.name != "sqlite":
        return 0
    return changes.follow(POSITION, _index, batch)


def _index(ids: list[str]) -> None:
    texts: dict[str, str] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        marks = ", ".join("?" * len(part))
        for rid, data in rows(f"SELECT id, data FROM registrations WHERE id IN ({marks})",
                              tuple(part)):
            texts[rid] = body_of(_loaded(data))
    gone = [rid for rid in ids if rid not in texts]  # purged (or deleted by hand)
    for start in range(0, len(gone), CHUNK):
        part = gone[start:start + CHUNK]
        rows(f"DELETE FROM registration_search_rows WHERE id IN ({', '.join('?' * len(part))})",
             tuple(part))
    if texts:
        # unchanged text (a status, a party) writes nothing: no FTS work
        rows_many("INSERT INTO registration_search_rows (id, body) VALUES (?, ?) "
                  "ON CONFLICT (id) DO UPDATE SET body = excluded.body "
                  "WHERE body IS NOT excluded.body", list(texts.items()))


def index_job() -> str:
    return f"{index_pending()} registraties bijgewerkt in de zoekindex"


def _pending() -> list[tuple[str, Any]]:
    """SQLite: the registrations changed after the indexer's position (their index row
    may be missing or stale), with their current data. Read in the caller's transaction,
    the same snapshot as the index: the indexer moves rows and position together."""
    return [(rid, data) for rid, data in rows(
        f"SELECT p.entity_id, r.data FROM ({changes.registrations_after(POSITION)}) p "
        "LEFT JOIN registrations r ON r.id = p.entity_id")]


def _tokens(value: str) -> list[str]:
    """Words as FTS5's ``unicode61 remove_diacritics 2`` splits and folds them: runs of
    letters and digits, lower case, accents off."""
    out, word = [], []
    for ch in value:
        if unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) in ("Co", "Mn"):
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return [t for t in (_fold(w) for w in out) if t]


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower())
                   if not unicodedata.combining(c))


def _matches(tokens: list[str], phrase: list[str]) -> bool:
    """``phrase`` (the parts of one typed word) occurs in ``tokens``, its last a prefix."""
    if not phrase:
        return False
    *whole, last = phrase
    n = len(whole)
    return any(tokens[i:i + n] == whole and tokens[i + n].startswith(last)
               for i in range(len(tokens) - n))


def _matching(found: list[str], pending: list[tuple[str, Any]]) -> list[str]:
    phrases = [_tokens(w) for w in found]
    hits = []
    for rid, data in pending:
        if data is None:
            continue
        tokens = _tokens(body_of(_loaded(data)))
        if all(_matches(tokens, phrase) for phrase in phrases):
            hits.append(rid)
    return hits


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


def _sqlite_narrowing(found: list[str]) -> Narrowing:
    """The index's matches among registrations it is up to date for, and the registrations
    changed since (written in the last seconds, a few) tested directly on their data: a
    search sees every write at once, without a GET writing to the index."""
    match = fts5_query(found)
    pending = _pending()
    stale = [rid for rid, _ in pending]
    fresh = _matching(found, pending)

    def current(condition: Any) -> Any:
        if not stale:
            return condition
        return or_(and_(condition, Registration.id.not_in(stale)), Registration.id.in_(fresh))

    return Narrowing(current(text(_FTS_ROW).bindparams(search_match=match)),
                     text(_FTS_KEYS).bindparams(m=match).columns(literal_column("rowid")),
                     lambda keys: current(_keyed(keys)))


def narrowing(q: str) -> Narrowing:
    """The registrations (rows of ``registrations``) that match every word of ``q``."""
    found = words(q)
    if not found:
        return Narrowing(false())
    if db.session.get_bind().dialect.name == "sqlite":
        return _sqlite_narrowing(found)
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
