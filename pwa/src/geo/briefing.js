// The briefing evaluated on the device, from the pulled geo entities (areas, notices,
// hotspots) and the registrations on the device, with the server's rules (DESIGN.md §6):
// active notices whose area contains the point or whose point + radius covers it (their
// priority), areas of attention containing the point (priority 2), hotspots and registrations
// of the last RECENT_DAYS within NEARBY_M (priority 3); priority, then distance. Areas are
// judged in RD New (area.js), points geodesically (geodesic.js), as on the server.
import { decryptJSON } from '../store/crypto.js';
import { contains } from './area.js';
import { geodesicMetres } from './geodesic.js';

export const NEARBY_M = 500;
export const MAX_ITEMS = 50;
export const RECENT_DAYS = 14;
// The field that holds a registration's place, per type (as the server's LOCATION_FIELDS).
const LOCATION_FIELDS = { vor: 'location', pdo: 'scene_location', gtpa: 'location' };

/** {id, type, status, created_at, location} of the records the screens hold. */
export function registrationPoints(records) {
  const out = [];
  for (const r of records) {
    const place = r.data && r.data[LOCATION_FIELDS[r.type]];
    if (place && typeof place.lat === 'number' && typeof place.lon === 'number') {
      out.push({ id: r.id, type: r.type, status: r.status, created_at: r.created_at, location: place });
    }
  }
  return out;
}

/** Decrypted geo entities of the active session: {areas, notices, hotspots}. */
export async function loadGeo(s) {
  const rows = await s.db.geo.toArray();
  const out = { areas: [], notices: [], hotspots: [] };
  for (const row of rows) {
    const value = await decryptJSON(s.key, row.enc);
    if (row.entity === 'area') out.areas.push(value);
    else if (row.entity === 'notice') out.notices.push(value);
    else if (row.entity === 'hotspot') out.hotspots.push(value);
  }
  return out;
}

function active(item, now) {
  const from = item.valid_from ? Date.parse(item.valid_from) : -Infinity;
  const until = item.valid_until ? Date.parse(item.valid_until) : Infinity;
  return from <= now && now < until;
}

/** Briefing items for `point` ({lat, lon}) at `now` (ms). */
export function evaluate(geo, point, now = Date.now()) {
  const items = [];
  const areaById = new Map(geo.areas.map((a) => [String(a.id), a]));
  for (const notice of geo.notices) {
    if (!active(notice, now)) continue;
    let distance = null;
    if (notice.area_id != null) {
      const area = areaById.get(String(notice.area_id));
      if (area && contains(area.geometry, point)) distance = 0;
    } else if (notice.point) {
      const away = geodesicMetres(point, notice.point);
      if (away <= notice.radius_m) distance = away;
    }
    if (distance !== null) {
      items.push({ kind: 'notice', id: notice.id, title: notice.title, body: notice.body,
        priority: notice.priority, distance_m: distance, valid_until: notice.valid_until });
    }
  }
  for (const area of geo.areas) {
    const props = area.properties || {};
    if (props.kind !== 'attention' || !active(props, now) || !contains(area.geometry, point)) continue;
    items.push({ kind: 'area', id: area.id, title: props.name, reason: props.reason, priority: 2,
      distance_m: 0, valid_until: props.valid_until });
  }
  for (const spot of geo.hotspots) {
    const distance = Math.max(0, geodesicMetres(point, spot.centre) - (spot.radius_m || 0));
    if (distance > NEARBY_M) continue;
    items.push({ kind: 'hotspot', id: spot.id, title: `Hotspot ${spot.type}`, priority: 3,
      distance_m: distance, count: spot.count, type: spot.type });
  }
  const since = now - RECENT_DAYS * 24 * 3600_000;
  for (const reg of geo.registrations || []) {
    if (!reg.created_at || Date.parse(reg.created_at) < since) continue;
    const distance = geodesicMetres(point, reg.location);
    if (distance > NEARBY_M) continue;
    items.push({ kind: 'registration', id: reg.id, title: reg.type, priority: 3,
      distance_m: distance, type: reg.type, status: reg.status });
  }
  items.sort((a, b) => a.priority - b.priority || a.distance_m - b.distance_m
    || a.kind.localeCompare(b.kind) || String(a.id).localeCompare(String(b.id)));
  return items.slice(0, MAX_ITEMS);
}
