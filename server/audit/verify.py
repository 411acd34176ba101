"""``audit-verify``: every link, every MAC, and the anchors outside the database.

Entries up to the ``audit_legacy`` counter (set by the migration that introduced MACs to
the last entry then present) were linked with plain SHA-256 and are accepted as a prefix:
the first MAC entry links to the last of them, and no anchored id may lie inside it (the
anchors only ever named MAC entries), so moving that boundary up to rebuild newer entries
without the key is caught.
"""

from __future__ import annotations

import hmac

from flask import current_app
from sqlalchemy import select

from server.audit import GENESIS, HEAD, LEGACY, anchor, legacy_digest, mac
from server.audit.keys import audit_key
from server.extensions import db
from server.models import AuditEntry, Counter

Result = tuple[bool, int | None, str]


def _counter(name: str) -> Counter | None:
    return db.session.execute(select(Counter).where(Counter.name == name)).scalar_one_or_none()


def verify(batch: int = 5000) -> Result:
    """Walk the chain; returns (ok, first bad entry id, explanation in Dutch)."""
    legacy_row = _counter(LEGACY)
    legacy_end = legacy_row.value if legacy_row is not None else 0
    anchors, bad_line = anchor.read(current_app.config["AUDIT_ANCHOR_FILE"])
    if bad_line is not None:
        return False, None, f"regel {bad_line} van het anker is onleesbaar of tegenstrijdig"
    inside = [i for i in anchors if i <= legacy_end]
    if inside:
        return False, min(inside), "het anker noemt een regel zonder MAC"
    key = audit_key()
    prev, last_id = GENESIS, 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for entry in rows:
            if entry.id != last_id + 1:
                return False, last_id + 1, f"regel {last_id + 1} ontbreekt"
            row = {"id": entry.id, "at": entry.at, "user_id": entry.user_id,
                   "device_id": entry.device_id, "action": entry.action,
                   "entity": entry.entity, "entity_ids": entry.entity_ids,
                   "detail": entry.detail, "event_id": entry.event_id}
            expected = (legacy_digest(prev, row) if entry.id <= legacy_end
                        else mac(key, prev, row))
            if entry.prev_hash != prev or not hmac.compare_digest(expected, entry.hash):
                return False, entry.id, f"regel {entry.id} is gewijzigd"
            if entry.id in anchors and anchors[entry.id] != entry.hash:
                return False, entry.id, f"regel {entry.id} wijkt af van het anker"
            prev, last_id = entry.hash, entry.id
    head = _counter(HEAD)
    if head is not None and (head.value != last_id or (head.text or GENESIS) != prev):
        return False, last_id + 1, f"regels na {last_id} ontbreken"
    if anchors and max(anchors) > last_id:
        return False, last_id + 1, (f"regels na {last_id} ontbreken (het anker noemt regel "
                                    f"{max(anchors)})")
    if last_id > legacy_end and not anchors:
        return False, legacy_end + 1, "het anker ontbreekt"
    return True, None, f"{last_id} regels in orde, verankerd tot regel {max(anchors, default=0)}"

