"""Single-row counters (change sequence, audit chain head) that writers lock until commit.

``advance`` increments in one ``UPDATE ... RETURNING``: the update takes the row lock
(PostgreSQL) inside a transaction that already holds SQLite's write lock, so the next
writer waits until this transaction commits or rolls back.
"""

from __future__ import annotations

from server import bulk


def advance(name: str, count: int, initial_text: str | None = None) -> tuple[int, str | None]:
    """Add ``count`` to the counter; returns its new value and its text, locked until commit."""
    found = bulk.rows(
        "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value, text",
        (count, name),
    )
    if found:
        return found[0][0], found[0][1]
    bulk.rows("INSERT INTO counters (name, value, text) VALUES (?, ?, ?)",
              (name, count, initial_text))
    return count, initial_text


def set_text(name: str, text: str) -> None:
    bulk.rows("UPDATE counters SET text = ? WHERE name = ?", (text, name))


def lock(name: str, initial_text: str | None = None) -> tuple[int, str | None]:
    """Lock the counter (created at 0 when missing) without changing it, until commit.

    On SQLite the transaction already holds the write lock; on PostgreSQL ``FOR UPDATE``
    makes every other writer of this counter wait, so what is read under it stays true.
    """
    bulk.rows("INSERT INTO counters (name, value, text) VALUES (?, 0, ?) "
              "ON CONFLICT (name) DO NOTHING", (name, initial_text))
    suffix = "" if bulk.dialect_name() == "sqlite" else " FOR UPDATE"
    found = bulk.rows(f"SELECT value, text FROM counters WHERE name = ?{suffix}", (name,))
    return found[0][0], found[0][1]
