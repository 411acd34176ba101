"""Hotspots: clusters of a team's recent registrations of one type (a small Blue Spot Monitor).

Method: DBSCAN on RD New metres (``eps`` 150 m, at least 5 registrations). It needs no
number of clusters in advance, follows streets and squares of any shape, leaves scattered
incidents out as noise, and its radius is a real distance because RD New is in metres.
Neighbours come from a shapely STRtree (``dwithin`` queries), so a run costs about
n log n; no clustering library is installed and none is needed for this.

Stable ids: a new cluster takes the id of the previous hotspot of its team and type with
which it shares the most registrations; only a cluster that shares none gets a new id
(from its oldest member). A hotspot is written, and its change logged, only when its
count, centre or extent changes by a metre or more, so a run does not flood pull.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from flask import current_app
from sqlalchemy import select

from server import changes
from server.extensions import db
from server.models import Hotspot, Registration, aware, iso, utcnow


def view(hotspot: Hotspot) -> dict[str, Any]:
    return {"id": hotspot.id, "rev": hotspot.rev, "team": hotspot.team_id,
            "type": hotspot.type, "count": hotspot.count,
            "centre": {"lat": hotspot.lat, "lon": hotspot.lon},
            "radius_m": hotspot.radius_m, "first_at": iso(hotspot.first_at),
            "last_at": iso(hotspot.last_at), "updated_at": iso(hotspot.updated_at)}


def load_views(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Hotspot).where(Hotspot.id.in_(ids))).scalars()
    return {h.id: view(h) for h in rows}


def dbscan(xy: np.ndarray, eps: float, min_samples: int) -> list[list[int]]:
    """Clusters (lists of row indexes) of points ``xy`` (n × 2, metres)."""
    n = len(xy)
    if n < min_samples:
        return []
    points = shapely.points(xy)
    tree = shapely.STRtree(points)
    left, right = tree.query(points, predicate="dwithin", distance=eps)
    counts = np.bincount(left, minlength=n)  # each point is its own neighbour
    core = counts >= min_samples
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    border: dict[int, int] = {}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if core[a] and core[b]:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        elif core[a] and not core[b]:
            border.setdefault(b, a)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        if core[i]:
            groups.setdefault(root(i), []).append(i)
    for point, anchor in border.items():
        groups[root(anchor)].append(point)
    return [sorted(g) for g in groups.values() if len(g) >= min_samples]


def _recent(cutoff: datetime) -> dict[tuple[int, str], list[tuple[Any, ...]]]:
    r = Registration
    rows = db.session.execute(
        select(r.id, r.team_id, r.type, r.lat, r.lon, r.rd_x, r.rd_y, r.created_at)
        .where(r.created_at >= cutoff, r.rd_x.is_not(None), r.status != "withdrawn")
        .order_by(r.id)).all()
    grouped: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault((row[1], row[2]), []).append(row)
    return grouped


def _cluster_fields(members: list[tuple[Any, ...]]) -> dict[str, Any]:
    xy = np.array([(m[5], m[6]) for m in members])
    centre = xy.mean(axis=0)
    times = [aware(m[7]) for m in members]
    return {
        "count": len(members), "rd_x": round(float(centre[0]), 1),
        "rd_y": round(float(centre[1]), 1),
        "lat": round(float(np.mean([m[3] for m in members])), 6),
        "lon": round(float(np.mean([m[4] for m in members])), 6),
        "radius_m": round(float(np.max(np.hypot(*(xy - centre).T))), 1),
        "member_ids": sorted(m[0] for m in members),
        "first_at": min(times), "last_at": max(times),
    }


def _changed(old: Hotspot, new: dict[str, Any]) -> bool:
    return (old.count != new["count"] or abs(old.radius_m - new["radius_m"]) >= 1
            or np.hypot(old.rd_x - new["rd_x"], old.rd_y - new["rd_y"]) >= 1)


def _new_id(team_id: int, rtype: str, members: list[str]) -> str:
    seed = f"{team_id}:{rtype}:{members[0]}".encode()
    return "hs-" + hashlib.blake2b(seed, digest_size=10).hexdigest()


def compute_hotspots(now: datetime | None = None) -> dict[str, int]:
    """Recompute every team's hotspots; returns counts of created, changed, removed."""
    now = now or utcnow()
    config = current_app.config
    cutoff = now - timedelta(days=config["HOTSPOT_DAYS"])
    eps, minimum = config["HOTSPOT_EPS_M"], config["HOTSPOT_MIN_COUNT"]
    previous: dict[tuple[int, str], list[Hotspot]] = {}
    for hotspot in db.session.execute(select(Hotspot)).scalars():
        previous.setdefault((hotspot.team_id, hotspot.type), []).append(hotspot)
    tally = {"created": 0, "changed": 0, "removed": 0}
    groups = _recent(cutoff)
    for key in sorted(set(groups) | set(previous)):
        team_id, rtype = key
        members = groups.get(key, [])
        xy = np.array([(m[5], m[6]) for m in members]) if members else np.empty((0, 2))
        clusters = [_cluster_fields([members[i] for i in c])
                    for c in dbscan(xy, eps, minimum)]
        olds = {h.id: h for h in previous.get(key, [])}
        # largest overlaps first: each old id goes to at most one new cluster
        pairs = sorted(((len(set(h.member_ids) & set(c["member_ids"])), hid, index)
                        for index, c in enumerate(clusters) for hid, h in olds.items()),
                       reverse=True)
        taken: dict[int, str] = {}
        for overlap, hid, index in pairs:
            if overlap and index not in taken and hid not in taken.values():
                taken[index] = hid
        for index, fields in enumerate(clusters):
            hid = taken.get(index)
            if hid is None:
                hotspot = Hotspot(id=_new_id(team_id, rtype, fields["member_ids"]),
                                  team_id=team_id, type=rtype, rev=1, updated_at=now, **fields)
                db.session.add(hotspot)
                tally["created"] += 1
            else:
                hotspot = olds.pop(hid)
                changed = _changed(hotspot, fields)
                for name, value in fields.items():
                    setattr(hotspot, name, value)
                if not changed:
                    continue  # members may move on; clients see no change
                hotspot.rev += 1
                hotspot.updated_at = now
                tally["changed"] += 1
            db.session.flush()
            changes.mark([("hotspot", hotspot.id, team_id, False)])
        for hotspot in olds.values():
            changes.mark([("hotspot", hotspot.id, team_id, True)])
            db.session.delete(hotspot)
            tally["removed"] += 1
    db.session.commit()
    return tally

