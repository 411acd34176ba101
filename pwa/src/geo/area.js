// Areas on the device as the server judges them (DESIGN.md §6): in RD New (EPSG:28992),
// a point on the boundary counts as inside (shapely's `intersects`), and the distance to
// an area is 0 inside, else to its boundary. Plain functions, no browser API: the unit
// test runs them in Node against the server's pyproj and shapely.
import { toRd } from './rd.js';

// A geometry's rings in RD New, projected once per geometry object.
const projected = new WeakMap();

/** A GeoJSON Polygon's or MultiPolygon's polygons as given: [[ring, ...], ...]. */
export function polygonsOf(geometry) {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

/** [[ring, ...], ...] (one entry per polygon; a ring is [[x, y], ...]) in RD New. */
export function rdPolygons(geometry) {
  let found = projected.get(geometry);
  if (!found) {
    found = polygonsOf(geometry).map((rings) => rings.map((ring) => ring.map(([lon, lat]) => toRd(lat, lon))));
    projected.set(geometry, found);
  }
  return found;
}

// Ray casting on one ring (boundary points are settled by segmentDistance first).
export function inRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentDistance(x, y, [x1, y1], [x2, y2]) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / length2));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
}

function boundaryDistance(polygons, x, y) {
  let best = Infinity;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i += 1) best = Math.min(best, segmentDistance(x, y, ring[i - 1], ring[i]));
    }
  }
  return best;
}

function inside(polygons, x, y) {
  return polygons.some((rings) => rings.length > 0 && inRing(rings[0], x, y)
    && !rings.slice(1).some((hole) => inRing(hole, x, y)));
}

/** Metres from a {lat, lon} point to a GeoJSON Polygon/MultiPolygon in RD New: 0 inside
 * or on the boundary, else to the nearest boundary point. */
export function areaDistance(geometry, point) {
  if (!geometry) return Infinity;
  const polygons = rdPolygons(geometry);
  const [x, y] = toRd(point.lat, point.lon);
  // On the boundary the ray may say either; the distance is then 0 all the same.
  return inside(polygons, x, y) ? 0 : boundaryDistance(polygons, x, y);
}

/** True when the area holds the point (its boundary included), as the server decides. */
export function contains(geometry, point) {
  return areaDistance(geometry, point) === 0;
}
