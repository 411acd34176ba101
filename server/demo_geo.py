"""The demo's geography: Utrecht's binnenstad as team Centrum's wijk, the north-east as
Noord's, a few areas of attention and two notices (WGS84, GeoJSON [lon, lat] order)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.areas import store as areas
from server.models import utcnow
from server.notices import store as notices


def _ring(*points: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(p) for p in (*points, points[0])]]}


# Inside the singels (canal ring) of Utrecht, clockwise from the Weerdsluis.
CENTRUM = _ring((5.1175, 52.0972), (5.1240, 52.0975), (5.1300, 52.0950), (5.1322, 52.0902),
                (5.1292, 52.0852), (5.1232, 52.0829), (5.1162, 52.0853), (5.1118, 52.0899),
                (5.1133, 52.0944))
# North-east of the singels: Wittevrouwen, Votulast, Tuinwijk up to Overvecht's edge.
NOORD = _ring((5.1040, 52.0978), (5.1175, 52.0972), (5.1240, 52.0975), (5.1300, 52.0950),
              (5.1455, 52.1002), (5.1402, 52.1178), (5.1101, 52.1199), (5.1002, 52.1081))

AREAS = (
    ("Centrum", "wijk", "Centrum", "Binnenstad binnen de singels", CENTRUM),
    ("Noord", "wijk", "Noord", "Wittevrouwen, Votulast en Tuinwijk", NOORD),
    ("Neude en Janskerkhof", "attention", None,
     "Uitgaansgebied: geweld en overlast in weekendnachten",
     _ring((5.1170, 52.0916), (5.1222, 52.0918), (5.1228, 52.0942), (5.1178, 52.0946))),
    ("Stationsgebied", "attention", None, "Zakkenrollerij en fietsendiefstal",
     _ring((5.1068, 52.0880), (5.1140, 52.0878), (5.1146, 52.0915), (5.1074, 52.0920))),
    ("Griftpark", "attention", "Noord", "Drugsoverlast na zonsondergang",
     _ring((5.1262, 52.0978), (5.1318, 52.0972), (5.1325, 52.1003), (5.1270, 52.1008))),
)


def seed(beheerder_id: int) -> None:
    """Create the demo areas and notices (the database's teams Centrum and Noord exist)."""
    made = {}
    for name, kind, team, reason, geometry in AREAS:
        columns = areas.check_feature({"type": "Feature", "geometry": geometry, "properties": {
            "name": name, "kind": kind, "team": team, "reason": reason}})
        made[name] = areas.create(columns)
    now = utcnow()
    for body in (
        {"title": "Extra toezicht uitgaansavond", "priority": 2,
         "body": "Vrijdag en zaterdag van 23:00 tot 04:00 extra surveillance rond de Neude.",
         "area_id": made["Neude en Janskerkhof"].id},
        {"title": "Zakkenrollers gesignaleerd bij Vredenburg", "priority": 1,
         "body": "Twee verdachten, werkwijze: afleiden bij de tramhalte. Signalement in BVH.",
         "point": {"lat": 52.0925, "lon": 5.1145}, "radius_m": 300},
    ):
        columns = notices.check({**body, "valid_from": now.isoformat(),
                                 "valid_until": (now + timedelta(days=7)).isoformat()})
        notices.create(columns, beheerder_id)
