"""The device's RD New (pwa/src/geo/rd.js, area.js), run in Node, against the server's
pyproj and shapely: the same metres, and the same inside/outside answers near borders."""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point

from server.demo_geo import CENTRUM, NOORD
from server.geoinput import check_geometry

GEO = Path(__file__).resolve().parents[2] / "pwa" / "src" / "geo"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (npm needs it too)")

SCRIPT = f"""
import {{ toRd }} from '{(GEO / "rd.js").as_uri()}';
import {{ areaDistance, contains }} from '{(GEO / "area.js").as_uri()}';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const {{ points, areas, probes }} = JSON.parse(input);
process.stdout.write(JSON.stringify({{
  rd: points.map(([lat, lon]) => toRd(lat, lon)),
  areas: areas.map((geometry, i) => probes[i].map(([lat, lon]) => [
    contains(geometry, {{ lat, lon }}), areaDistance(geometry, {{ lat, lon }})])),
}}));
"""

TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)


def device(points: list[list[float]], areas: list[dict[str, Any]],
           probes: list[list[list[float]]]) -> dict[str, Any]:
    out = subprocess.run([NODE, "--input-type=module", "-e", SCRIPT], check=True,  # type: ignore[list-item]
                         input=json.dumps({"points": points, "areas": areas, "probes": probes}),
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


def near_border(rd_shape: Any, offsets: tuple[float, ...]) -> list[list[float]]:
    """WGS84 points at ``offsets`` metres either side of the middle of every edge, and a
    little beside every corner (RD New, perpendicular to the edge)."""
    points: list[tuple[float, float]] = []
    for polygon in getattr(rd_shape, "geoms", [rd_shape]):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            for (x1, y1), (x2, y2) in zip(coords, coords[1:], strict=False):
                length = math.hypot(x2 - x1, y2 - y1)
                nx, ny = -(y2 - y1) / length, (x2 - x1) / length
                for t in (0.5, 0.02):
                    mx, my = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
                    points += [(mx + d * nx, my + d * ny) for d in offsets]
                    points += [(mx - d * nx, my - d * ny) for d in offsets]
    lons, lats = TO_WGS.transform([p[0] for p in points], [p[1] for p in points])
    return [[lat, lon] for lat, lon in zip(lats, lons, strict=True)]


def ring(*points: tuple[float, float]) -> list[list[float]]:
    return [list(p) for p in (*points, points[0])]


# A polygon with a hole (a park inside a block), and a MultiPolygon of two parts
WITH_HOLE = {"type": "Polygon", "coordinates": [
    ring((5.100, 52.080), (5.140, 52.080), (5.140, 52.100), (5.100, 52.100)),
    ring((5.115, 52.086), (5.125, 52.086), (5.125, 52.094), (5.115, 52.094))]}
TWO_PARTS = {"type": "MultiPolygon", "coordinates": [
    [ring((4.470, 51.910), (4.490, 51.910), (4.480, 51.925))],
    [ring((6.560, 53.210), (6.580, 53.212), (6.575, 53.225), (6.555, 53.220))]]}


def test_device_projects_as_the_server_within_a_millimetre() -> None:
    rng = random.Random(28992)
    # all over the Netherlands, from Cadzand to Eemshaven and Vaals
    points = [[rng.uniform(50.75, 53.55), rng.uniform(3.35, 7.2)] for _ in range(300)]
    points += [[52.0907, 5.1214], [50.7536, 6.0209], [53.4386, 6.8355], [51.3684, 3.3923]]
    got = device(points, [], [])["rd"]
    xs, ys = TO_RD.transform([p[1] for p in points], [p[0] for p in points])
    worst = max(max(abs(gx - x), abs(gy - y))
                for (gx, gy), x, y in zip(got, xs, ys, strict=True))
    assert worst < 0.001, worst


def test_inside_and_distance_near_borders_match_the_server() -> None:
    areas = [CENTRUM, NOORD, WITH_HOLE, TWO_PARTS]
    shapes = [check_geometry(a, 5000)[1] for a in areas]
    probes = [near_border(s, (0.05, 0.3, 1.0, 4.0)) for s in shapes]
    answers = device([], areas, probes)["areas"]
    checked = 0
    for shape, points, found in zip(shapes, probes, answers, strict=True):
        xs, ys = TO_RD.transform([p[1] for p in points], [p[0] for p in points])
        for x, y, (inside, metres) in zip(xs, ys, found, strict=True):
            point = Point(x, y)
            assert inside == bool(shapely.intersects(shape, point)), (x, y)
            assert abs(metres - shape.distance(point)) < 0.01, (x, y, metres)
            checked += 1
    assert checked > 500
    # both answers occur: the probes straddle the borders
    flat = [inside for found in answers for inside, _ in found]
    assert any(flat) and not all(flat)
