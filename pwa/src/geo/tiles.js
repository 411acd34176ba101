// The officer's own wijk on the map, offline: after a sync the page fetches ahead the map
// tiles that cover the wijk area(s) of the officer's team, through the same-origin
// /api/tiles (with the bearer token, which the service worker never holds), into a Cache
// Storage cache of its own that the service worker answers from. Coarse zoom levels first,
// at most the server's `max_bytes` (counted per tile); what is cached is never fetched
// again, so an interrupted run resumes where it stopped. Deleted at logout and wipe.
import { active, session } from '../store/session.js';
import { observable } from '../ui/observable.js';
import { inRing, polygonsOf } from './area.js';
import { loadGeo } from './briefing.js';

export const WIJK_TILE_CACHE = 'wijkpost-wijk-tiles';
const PARALLEL = 4;
const TILE_TIMEOUT_MS = 20_000;
const RECHECK_MS = 60 * 60_000; // a complete (or capped) wijk is looked at again hourly
// The server answered but had no tile (PDOK away): ask again after a while, not every sync.
// Without a connection at all it resumes at the next sync that got through.
const UPSTREAM_RETRY_MS = 5 * 60_000;

/**
 * state: 'idle' (not looked yet) | 'none' (no wijk for the team) | 'running' | 'done' |
 * 'capped' (the byte limit is reached) | 'paused' (no connection or server; resumes at the
 * next sync). bytes and have: what the cache holds of the wijk; total: tiles planned.
 */
export const wijkTiles = observable({ state: 'idle', bytes: 0, have: 0, total: 0, maxBytes: 0 });

let running = null;
let last = null; // {user, fingerprint, state, at}: skip the work when nothing changed

// A new session starts from scratch; a logout stops a run (its next write is dropped).
session.subscribe((s) => {
  if (s.phase !== 'ready') { last = null; wijkTiles.set({ state: 'idle', bytes: 0, have: 0, total: 0, maxBytes: 0 }); }
});

// -- which tiles -----------------------------------------------------------------------------

function tileX(lon, z) { return Math.floor(((lon + 180) / 360) * 2 ** z); }
function tileY(lat, z) {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
}
function tileLon(x, z) { return (x / 2 ** z) * 360 - 180; }
function tileLat(y, z) {
  const n = Math.PI - (2 * Math.PI * y) / 2 ** z;
  return (180 / Math.PI) * Math.atan(Math.sinh(n));
}

function segmentsCross([ax, ay], [bx, by], [cx, cy], [dx, dy]) {
  const side = (px, py, qx, qy, rx, ry) => Math.sign((qx - px) * (ry - py) - (qy - py) * (rx - px));
  return side(ax, ay, bx, by, cx, cy) !== side(ax, ay, bx, by, dx, dy)
    && side(cx, cy, dx, dy, ax, ay) !== side(cx, cy, dx, dy, bx, by);
}

/** Does the tile's rectangle (lon/lat) touch the polygon? A corner of one inside the
 * other, or crossing edges. Holes are ignored: a tile over a park is still fetched. */
function touches(rings, west, south, east, north) {
  const outer = rings[0];
  if (!outer || outer.length < 4) return false;
  if (outer.some(([lon, lat]) => lon >= west && lon <= east && lat >= south && lat <= north)) return true;
  const corners = [[west, south], [east, south], [east, north], [west, north]];
  if (corners.some(([lon, lat]) => inRing(outer, lon, lat))) return true;
  for (let i = 1; i < outer.length; i += 1) {
    for (let k = 0; k < 4; k += 1) {
      if (segmentsCross(outer[i - 1], outer[i], corners[k], corners[(k + 1) % 4])) return true;
    }
  }
  return false;
}

/** Tile paths (`z/x/y`) covering the geometries, zoom by zoom from coarse to fine. */
export function tilesFor(geometries, minZoom, maxZoom) {
  const out = [];
  for (let z = minZoom; z <= maxZoom; z += 1) {
    const seen = new Set();
    for (const geometry of geometries) {
      for (const rings of polygonsOf(geometry)) {
        const lons = rings[0].map((p) => p[0]);
        const lats = rings[0].map((p) => p[1]);
        const [x0, x1] = [tileX(Math.min(...lons), z), tileX(Math.max(...lons), z)];
        const [y0, y1] = [tileY(Math.max(...lats), z), tileY(Math.min(...lats), z)];
        for (let x = x0; x <= x1; x += 1) {
          for (let y = y0; y <= y1; y += 1) {
            const key = `${z}/${x}/${y}`;
            if (seen.has(key)) continue;
            if (touches(rings, tileLon(x, z), tileLat(y + 1, z), tileLon(x + 1, z), tileLat(y, z))) {
              seen.add(key);
              out.push(key);
            }
          }
        }
      }
    }
  }
  return out;
}

function ownWijken(geo, user, now) {
  const team = user && user.team ? user.team.id : null;
  return geo.areas.filter((area) => {
    const p = area.properties || {};
    return p.kind === 'wijk' && team != null && p.team === team
      && (!p.valid_until || Date.parse(p.valid_until) > now);
  });
}

// -- fetching ahead --------------------------------------------------------------------------

const urlOf = (path) => new URL(`/api/tiles/${path}.png`, location.origin).href;

async function cachedBytes(cache) {
  let bytes = 0;
  for (const response of await cache.matchAll()) bytes += Number(response.headers.get('Content-Length')) || 0;
  return bytes;
}

/** Fetches the missing tiles of the officer's wijk (after a sync; safe to call often). */
export function prefetchWijkTiles() {
  if (!running) running = run().finally(() => { running = null; });
  return running;
}

async function run() {
  const s = active();
  if (!s || !s.key || !s.token || !('caches' in self)) return;
  const geo = await loadGeo(s);
  const wijken = ownWijken(geo, s.user, Date.now());
  if (!wijken.length) {
    wijkTiles.set({ state: 'none', bytes: 0, have: 0, total: 0, maxBytes: 0 });
    return;
  }
  const fingerprint = wijken.map((a) => `${a.id}:${a.rev}`).sort().join(',');
  if (last && last.user === s.user.id && last.fingerprint === fingerprint) {
    const wait = ['done', 'capped'].includes(last.state) ? RECHECK_MS : last.upstream ? UPSTREAM_RETRY_MS : 0;
    if (Date.now() - last.at < wait) return;
  }

  let plan;
  try {
    const response = await fetch('/api/tiles/offline', { headers: { Authorization: `Bearer ${s.token}` }, cache: 'no-store' });
    if (!response.ok) throw new Error(`offline ${response.status}`);
    plan = await response.json();
  } catch {
    wijkTiles.update({ state: wijkTiles.get().state === 'idle' ? 'paused' : wijkTiles.get().state });
    return;
  }
  if (active() !== s) return;
  const paths = tilesFor(wijken.map((a) => a.geometry), plan.min_zoom, plan.max_zoom);
  const wanted = new Set(paths.map(urlOf));
  const cache = await caches.open(WIJK_TILE_CACHE);
  // Tiles of a former wijk go: the cache holds the current wijk only.
  const held = new Set();
  for (const request of await cache.keys()) {
    if (wanted.has(request.url)) held.add(request.url); else await cache.delete(request);
  }
  let bytes = await cachedBytes(cache);
  const maxBytes = plan.max_bytes;
  const status = (state) => wijkTiles.set({ state, bytes, have: held.size, total: paths.length, maxBytes });
  const missing = paths.map(urlOf).filter((url) => !held.has(url));
  // Capped before: a tile of average size would not fit either, so ask for none.
  const average = held.size ? bytes / held.size : 0;
  if (missing.length && average && bytes + average > maxBytes) {
    status('capped');
    last = { user: s.user.id, fingerprint, state: 'capped', at: Date.now() };
    return;
  }
  status(missing.length ? 'running' : 'done');

  let capped = false;
  let failed = false;
  let upstream = false; // the server answered with an error (PDOK away), not the network
  const queue = [...missing];
  const worker = async () => {
    while (queue.length && !capped && !failed && active() === s) {
      const url = queue.shift();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TILE_TIMEOUT_MS);
      let blob;
      try {
        // The header tells the service worker to pass it on: this page stores it.
        const response = await fetch(url, { headers: { Authorization: `Bearer ${s.token}`, 'X-Wijkpost-Prefetch': '1' }, signal: controller.signal });
        if (response.status === 404 || response.status === 422) continue; // no tile there
        if (!response.ok) {
          upstream = response.status !== 401;
          throw new Error(`tile ${response.status}`);
        }
        blob = await response.blob();
      } catch {
        failed = true; // offline, the server or PDOK away: resume at a later sync
        return;
      } finally {
        clearTimeout(timer);
      }
      if (active() !== s) return;
      if (bytes + blob.size > maxBytes) { capped = true; return; }
      bytes += blob.size; // counted before the write, so parallel workers respect the cap
      await cache.put(url, new Response(blob, { headers: { 'Content-Type': 'image/png', 'Content-Length': String(blob.size) } }));
      held.add(url);
      status('running');
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  if (active() !== s) return;
  const state = capped ? 'capped' : failed ? 'paused' : 'done';
  status(state);
  last = { user: s.user.id, fingerprint, state, upstream: state === 'paused' && upstream, at: Date.now() };
}
