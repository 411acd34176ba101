"""Single-row counters (change sequence, audit chain head) that writers lock until commit."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import Counter


def lock_counter(name: str, initial_text: str | None = None) -> Counter:
    """Fetch a counter row locked until commit (FOR UPDATE; SQLite already holds its lock)."""
    counter = db.session.execute(
        select(Counter).where(Counter.name == name).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = Counter(name=name, value=0, text=initial_text)
        db.session.add(counter)
        db.session.flush()
    return counter
