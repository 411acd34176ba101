"""Display names beside user names and device ids, for the screens (not for pull: the
officer's own device knows its own names, and pull stays lean)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from server.extensions import db
from server.models import Device, User


def display_names(usernames: Iterable[str | None]) -> dict[str, str]:
    """Username → display name (the username when none is set)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    found = db.session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted)))
    return {u: d or u for u, d in found}


def device_names(device_ids: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({d for d in device_ids if d})
    if not wanted:
        return {}
    found = db.session.execute(select(Device.id, Device.name).where(Device.id.in_(wanted)))
    return {device_id: device_name for device_id, device_name in found}


def _entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything in a view that names an author and a device."""
    entries: list[dict[str, Any]] = list(body.get("history", []))
    for conflict in body.get("conflicts") or []:
        entries.extend(conflict.get("values", []))
    entries.extend(body.get("amendments") or [])
    return entries


def name_views(bodies: list[dict[str, Any]]) -> None:
    """Add ``created_by_name``, and ``author_name``/``device_name`` beside every ``author``
    and ``device`` of history entries, conflict values and amendments, in two queries."""
    for body in bodies:
        # copies: the conflict and amendment lists may be the record's own
        body["conflicts"] = [{**c, "values": [dict(v) for v in c.get("values", [])]}
                             for c in body.get("conflicts") or []]
        body["amendments"] = [dict(a) for a in body.get("amendments") or []]
    entries = [e for b in bodies for e in _entries(b)]
    people = display_names([*(b["created_by"] for b in bodies),
                            *(e.get("author") for e in entries)])
    devices = device_names(e.get("device") for e in entries)
    for body in bodies:
        body["created_by_name"] = people.get(body["created_by"], body["created_by"])
    for entry in entries:
        author, device = entry.get("author"), entry.get("device")
        entry["author_name"] = people.get(author, author) if author else None
        entry["device_name"] = devices.get(device) if device else None
