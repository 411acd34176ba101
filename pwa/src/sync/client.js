// The sync client (PROTOCOL.md §7), running in the page: upload photos, push the outbox
// in batches, pull in pages, adopt the server clock. Triggered on start, on `online`,
// after every change, by a Background Sync wake-up, by the "Nu synchroniseren" button,
// on returning to the app, and every 25-30 s. When the server cannot be reached (the
// browser often still says it is online), a cheap probe of /health every few seconds
// notices its return and syncs at once; other failures back off exponentially.
import { ApiError, NetworkError, api } from '../api.js';
import { prefetchWijkTiles } from '../geo/tiles.js';
import { canRegister } from '../roles.js';
import { decryptBytes, decryptJSON, encryptJSON } from '../store/crypto.js';
import { getMeta, isQuotaError, setMeta } from '../store.js';
import { ensureNames, noteNames, refreshNames } from '../store/names.js';
import { decryptOps, notifyChanged } from '../store/records.js';
import { active, session } from '../store/session.js';
import { observable } from '../ui/observable.js';
import { viewOf } from './apply.js';
import { adopt } from './hlc.js';
import { getClock, loadClock, setClock } from './outbox.js';

export const PUSH_BATCH = 100;
/** A push body stays well under the server's cap (8 MiB by default, `max_push_bytes` in
 *  /api/forms): a batch is cut by bytes as well as by count. */
export const PUSH_BODY_BYTES = 1024 * 1024;
export const PULL_LIMIT = 200;
export const MAX_DELAY_MS = 30_000;
/** Probe cadence while the server is unreachable: quick at first, slower after a while. */
export const PROBE_MS = 3_000;
export const PROBE_SLOW_MS = 15_000;
export const PROBE_FAST_FOR_MS = 5 * 60_000;

export const syncStatus = observable({
  online: navigator.onLine, running: false, pending: 0, pendingRecords: 0, rejected: 0, lastSyncAt: null,
  error: null, progress: null, updateRequired: false, photosWaiting: 0,
});

let timer = null;
let dueAt = 0;
let failures = 0;
let again = false;
let running = null;
let downSince = null; // when the server stopped answering, while it does not
let probeTimer = null;

export async function refreshCounts() {
  const s = active();
  if (!s || !s.db) return;
  const [pending, records, rejected, photosWaiting, lastSyncAt] = await Promise.all([
    s.db.outbox.count(), s.db.outbox.orderBy('record_id').uniqueKeys(), s.db.rejected.count(),
    s.db.photos.where('uploaded').equals(0).count(), getMeta(s.db, 'lastSyncAt', null),
  ]);
  // Officers count registrations, not the ops (one per committed field) that carry them.
  syncStatus.update({ pending, pendingRecords: records.length, rejected, photosWaiting, lastSyncAt });
}

/** Runs a sync round now (or right after the one that is running). */
export function syncNow() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await round();
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}

/** After a local change: sync soon, and ask for a Background Sync wake-up as well. */
export function syncSoon() {
  refreshCounts();
  // While the server is unreachable the probe syncs as soon as it answers again.
  if (!downSince) schedule(300);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register('wijkpost-sync')).catch(() => {});
  }
}

/** Runs a round after `delay`, unless one is already due sooner (an edit's quick sync must
 * not be pushed back to the periodic one by a round that just ended). */
function schedule(delay) {
  const due = Date.now() + delay;
  if (timer && dueAt <= due) return;
  clearTimeout(timer);
  dueAt = due;
  timer = setTimeout(() => { timer = null; dueAt = 0; syncNow(); }, delay);
}

function cancelSchedule() {
  clearTimeout(timer);
  timer = null;
  dueAt = 0;
}

/** The server did not answer: probe it cheaply until it does, then sync at once. */
function startProbing() {
  if (!downSince) downSince = Date.now();
  cancelSchedule();
  clearTimeout(probeTimer);
  // No network at all: the `online` event says when to try again.
  if (!navigator.onLine) return;
  const fast = Date.now() - downSince < PROBE_FAST_FOR_MS && document.visibilityState === 'visible';
  probeTimer = setTimeout(probe, fast ? PROBE_MS : PROBE_SLOW_MS);
}

async function probe() {
  probeTimer = null;
  const controller = new AbortController();
  const cut = setTimeout(() => controller.abort(), 4000);
  let up = false;
  try {
    const response = await fetch('/health', { cache: 'no-store', signal: controller.signal });
    up = response.ok;
  } catch {
    up = false;
  } finally {
    clearTimeout(cut);
  }
  if (!up) { startProbing(); return; }
  downSince = null;
  failures = 0;
  syncNow();
}

/** Back in the app, or the network came back: probe first if the server was away. */
function wake() {
  if (downSince) {
    clearTimeout(probeTimer);
    probe();
  } else {
    syncNow();
  }
}

function backoffDelay() {
  const cap = Math.min(MAX_DELAY_MS, 1000 * 2 ** Math.min(failures, 5));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

async function round() {
  const s = active();
  if (!s || !s.key || !s.token || !canRegister(s.user)) return;
  const state = session.get();
  if (state.relogin) return;
  syncStatus.update({ running: true, error: null });
  const work = async () => {
    await uploadPhotos(s);
    await pushAll(s);
    await ensureNames(); // before the pull notes which names its records use
    await pullAll(s);
    await refreshNames(s);
  };
  try {
    if (navigator.locks) await navigator.locks.request(`wijkpost-sync-${s.user.id}`, work);
    else await work();
    failures = 0;
    downSince = null;
    clearTimeout(probeTimer);
    const now = new Date().toISOString();
    await setMeta(s.db, 'lastSyncAt', now);
    syncStatus.update({ online: true, error: photoProblem, progress: null });
    schedule(MAX_DELAY_MS - Math.round(Math.random() * 5000));
    prefetchWijkTiles(); // the own wijk's map for offline use; resumes where it stopped
  } catch (error) {
    failures += 1;
    let message;
    if (error instanceof NetworkError) {
      syncStatus.update({ online: false });
      message = 'Geen verbinding met de server. Alles blijft op dit apparaat bewaard en wordt verstuurd zodra de server weer antwoordt.';
    } else if (error instanceof ApiError && error.status === 401) {
      message = error.message;
    } else if (error instanceof ApiError && error.code === 'schema_version') {
      syncStatus.update({ updateRequired: true });
      message = 'Deze versie van de app is verouderd. Werk de app bij; uw wijzigingen blijven bewaard.';
    } else if (isQuotaError(error)) {
      message = 'Het apparaat heeft geen opslagruimte meer. Maak ruimte vrij; niet-gesynchroniseerde wijzigingen blijven bewaard zolang dat lukt.';
    } else {
      message = error.message || String(error);
    }
    syncStatus.update({ error: message, progress: null });
    if (error instanceof NetworkError) startProbing();
    else if (!(error instanceof ApiError && error.status === 401)) schedule(backoffDelay());
  } finally {
    syncStatus.update({ running: false });
    await refreshCounts();
    notifyChanged();
  }
}

let photoProblem = null;

async function uploadPhotos(s) {
  photoProblem = null;
  const rows = await s.db.photos.where('uploaded').equals(0).toArray();
  for (const row of rows) {
    const bytes = await decryptBytes(s.key, row.enc);
    try {
      await api(`/attachments/${row.sha256}`, { method: 'PUT', token: s.token, raw: bytes, contentType: row.content_type, timeoutMs: 120000 });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 401) {
        // The server refuses these bytes for good (type, size): say so, keep the photo.
        await s.db.photos.update(row.sha256, { uploaded: -1, error: error.message });
        photoProblem = `Een foto is door de server geweigerd (${error.message}). De wijziging met die foto blijft wachten; verwijder de foto uit de registratie.`;
        continue;
      }
      throw error;
    }
    await s.db.photos.update(row.sha256, { uploaded: 1 });
  }
}

/** What of an outbox op goes to the server. */
function onWire(op) {
  return { op_id: op.op_id, record_id: op.record_id, type: op.type, base_rev: op.base_rev, set: op.set, hlc: op.hlc };
}

/** The longest prefix of ``ops`` whose encoded body fits ``budget`` bytes (at least one). */
export function fitByBytes(ops, budget) {
  const encoder = new TextEncoder();
  let size = 64; // the envelope
  let count = 0;
  for (const op of ops) {
    size += encoder.encode(JSON.stringify(onWire(op))).length + 1;
    if (count > 0 && size > budget) break;
    count += 1;
  }
  return ops.slice(0, count);
}

async function pushAll(s) {
  let limit = PUSH_BATCH;
  for (;;) {
    // Freeze the ops before they leave: from now on a new edit makes a new op. Read and
    // mark in one transaction, so an edit absorbed into an op just before is sent with it.
    const rows = await s.db.transaction('rw', s.db.outbox, async () => {
      const batch = await s.db.outbox.orderBy('seq').limit(limit).toArray();
      for (const row of batch) if (!row.sent) await s.db.outbox.update(row.seq, { sent: 1 });
      return batch;
    });
    if (!rows.length) return;
    const ops = fitByBytes(await decryptOps(s.key, rows), PUSH_BODY_BYTES);
    const body = { schema_version: 1, device_id: s.deviceId, ops: ops.map(onWire) };
    let reply;
    try {
      reply = await api('/sync/push', { method: 'POST', token: s.token, body, timeoutMs: 60000 });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 413) throw error;
      if (ops.length > 1) {
        // Too large for this server's cap: the same ops again in smaller batches.
        limit = Math.max(1, Math.floor(ops.length / 2));
        continue;
      }
      // One op alone is over the cap: it can never go through. Keep it with the refused
      // changes (nothing is lost) and go on with the rest of the outbox.
      reply = { hlc: null, results: [{
        op_id: ops[0].op_id, record_id: ops[0].record_id, status: 'rejected', reason: 'too_large', rev: 0,
        errors: { op: ['Deze wijziging is te groot om te versturen. Maak teksten korter en probeer opnieuw.'] },
      }] };
    }
    const { answered, reupload } = await storeResults(s, ops, reply.results);
    if (reply.hlc) await adoptClock(s, reply.hlc);
    if (reupload > 0) {
      // Upload the missing photos in the next round, then send the same ops again.
      again = true;
      return;
    }
    if (answered === 0) return; // ops waiting for a photo the server refused: see the sync screen
  }
}

async function storeResults(s, ops, results) {
  const byId = new Map(ops.map((op) => [op.op_id, op]));
  const bases = [];
  const rejected = [];
  const missing = new Set();
  const answered = [];
  const applied = new Map(); // record id -> {type, sets} applied without a copy in the reply
  for (let result of results) {
    const op = byId.get(result.op_id);
    if (!op) continue;
    // A duplicate repeats the first result; a remembered rejection stays a rejection.
    const status = result.status === 'duplicate' && result.first_status === 'rejected' ? 'rejected' : result.status;
    if (status === 'rejected' && result.reason === 'missing_attachment') {
      const shas = (result.errors && result.errors.missing_attachment) || [];
      const photos = await Promise.all(shas.map((sha) => s.db.photos.get(sha)));
      const bad = photos.findIndex((photo) => !photo || photo.uploaded === -1);
      const refused = bad >= 0 ? photos[bad] : null;
      if (bad < 0) {
        for (const sha of shas) missing.add(sha);
        continue;
      }
      // The server refused that photo (or it is gone): the op cannot go through.
      result = { ...result, errors: { photo: [refused ? refused.error || 'Foto geweigerd' : 'Foto ontbreekt op dit apparaat'] } };
    }
    answered.push(op.seq);
    if (!result.record && (status === 'applied' || status === 'duplicate') && !result.amendment) {
      // Applied, but the server's copy comes with the next pull: keep the op's effect in
      // the local base meanwhile, so the screens do not show the record as it was before.
      if (!applied.has(op.record_id)) applied.set(op.record_id, { type: op.type, sets: [] });
      applied.get(op.record_id).sets.push(op.set);
    }
    if (result.record) {
      bases.push({ id: result.record.id, type: result.record.type, status: result.record.status, rev: result.record.rev, enc: await encryptJSON(s.key, result.record) });
    }
    if (status === 'rejected' || result.amendment) {
      rejected.push({
        op_id: op.op_id, record_id: op.record_id,
        enc: await encryptJSON(s.key, {
          kind: result.amendment ? 'amendment' : 'rejected',
          reason: result.reason || null, errors: result.errors || null,
          op: { type: op.type, set: op.set, hlc: op.hlc, base_rev: op.base_rev }, at: new Date().toISOString(),
        }),
      });
    }
  }
  const withCopy = new Set(bases.map((b) => b.id));
  const patched = [];
  for (const [id, { type, sets }] of applied) {
    if (withCopy.has(id)) continue;
    const row = await s.db.records.get(id);
    if (!row) continue;
    const base = row.enc ? await decryptJSON(s.key, row.enc) : null;
    const next = viewOf(id, type, base, sets.map((set) => ({ set })));
    // Same rev: the pulled copy (a higher rev) replaces this one.
    patched.push({ id, rev: row.rev, status: next.status, enc: await encryptJSON(s.key, next) });
  }
  let reupload = 0;
  await s.db.transaction('rw', [s.db.outbox, s.db.records, s.db.rejected, s.db.photos], async () => {
    await s.db.outbox.bulkDelete(answered);
    for (const base of bases) await putBase(s.db, base);
    for (const p of patched) {
      const row = await s.db.records.get(p.id);
      if (row && row.rev === p.rev) await s.db.records.update(p.id, { enc: p.enc, status: p.status });
    }
    for (const entry of rejected) await s.db.rejected.add(entry);
    for (const sha of missing) {
      const photo = await s.db.photos.get(sha);
      // Uploaded before but the server lacks it: upload again. Refused (-1): wait for the officer.
      if (photo && photo.uploaded === 1) {
        await s.db.photos.update(sha, { uploaded: 0 });
        reupload += 1;
      }
    }
  });
  return { answered: answered.length, reupload };
}

/** Stores a full copy as the record's base unless a newer one is already held. */
async function putBase(db, base, gen) {
  const existing = await db.records.get(base.id);
  if (existing && !existing.local && existing.rev >= base.rev) {
    if (gen !== undefined && existing.gen !== gen) await db.records.update(base.id, { gen });
    return;
  }
  await db.records.put({
    id: base.id, type: base.type, status: base.status, rev: base.rev, local: 0,
    gen: gen !== undefined ? gen : (existing ? existing.gen : 0),
    schema_version: existing ? existing.schema_version : 1,
    created_at: existing ? existing.created_at : undefined,
    enc: base.enc,
  });
}

async function adoptClock(s, serverStamp) {
  if (!getClock()) await loadClock();
  const next = adopt(getClock(), serverStamp);
  if (next !== getClock()) {
    setClock(next);
    await setMeta(s.db, 'hlc', next);
  }
}

async function pullAll(s) {
  let cursor = await getMeta(s.db, 'cursor', null);
  let pages = 0;
  let count = 0;
  for (;;) {
    const query = new URLSearchParams({ limit: String(PULL_LIMIT) });
    if (cursor) query.set('since', cursor);
    const reply = await api(`/sync/pull?${query}`, { token: s.token, timeoutMs: 60000 });
    pages += 1;
    count += reply.changes.length;
    // `remaining` (changes still to come) is optional; with it the bar shows "n van m".
    const total = Number.isInteger(reply.remaining) ? count + reply.remaining : null;
    syncStatus.update({ progress: { pages, changes: count, total, more: reply.more } });
    await storePage(s, reply);
    cursor = reply.cursor;
    await adoptClock(s, reply.hlc);
    if (!reply.more) return;
  }
}

async function storePage(s, reply) {
  const { db, key } = s;
  let gen = await getMeta(db, 'gen', 0);
  let resetGen = await getMeta(db, 'resetGen', null);
  if (reply.reset) {
    gen += 1;
    resetGen = gen;
  }
  const upserts = [];
  const geo = [];
  const removed = [];
  for (const change of reply.changes) {
    if (change.entity === 'registration') {
      if (change.op === 'upsert') {
        const r = change.record;
        noteNames(r);
        upserts.push({ id: r.id, type: r.type, status: r.status, rev: r.rev, enc: await encryptJSON(key, r) });
      } else {
        removed.push(change.id);
      }
    } else if (change.op === 'upsert') {
      geo.push({ key: `${change.entity}:${change.id}`, entity: change.entity, gen, enc: await encryptJSON(key, change.record) });
    } else {
      geo.push({ key: `${change.entity}:${change.id}`, remove: true });
    }
  }
  // Pending ops on a removed record would be refused (not_found): list them as rejected.
  const orphaned = [];
  for (const id of removed) {
    const ops = await decryptOps(key, await db.outbox.where('record_id').equals(id).toArray());
    for (const op of ops) {
      orphaned.push({
        op_id: op.op_id, record_id: id,
        enc: await encryptJSON(key, { kind: 'rejected', reason: 'not_found', errors: null, op: { type: op.type, set: op.set, hlc: op.hlc, base_rev: op.base_rev }, at: new Date().toISOString() }),
      });
    }
  }
  await db.transaction('rw', [db.records, db.outbox, db.rejected, db.drafts, db.geo, db.meta], async () => {
    for (const base of upserts) await putBase(db, base, gen);
    for (const id of removed) {
      await db.records.delete(id);
      await db.drafts.delete(id);
      await db.outbox.where('record_id').equals(id).delete();
    }
    for (const entry of orphaned) await db.rejected.add(entry);
    for (const item of geo) {
      if (item.remove) await db.geo.delete(item.key); else await db.geo.put(item);
    }
    if (resetGen !== null && !reply.more) {
      // The reset pull is complete: drop what it did not confirm (never a local-only record).
      const stale = await db.records.filter((row) => !row.local && (row.gen || 0) < resetGen).primaryKeys();
      await db.records.bulkDelete(stale);
      // Areas, notices and hotspots of a former scope (another team) go the same way.
      await db.geo.bulkDelete(await db.geo.filter((row) => (row.gen || 0) < resetGen).primaryKeys());
      resetGen = null;
    }
    await db.meta.bulkPut([
      { key: 'cursor', value: reply.cursor }, { key: 'gen', value: gen }, { key: 'resetGen', value: resetGen },
    ]);
  });
}

/** Wires the triggers: online/offline events, the service worker's wake-up, visibility. */
export function installTriggers() {
  window.addEventListener('online', () => { syncStatus.update({ online: true }); failures = 0; wake(); });
  window.addEventListener('offline', () => syncStatus.update({ online: false }));
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'SYNC') syncNow();
    });
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') wake();
  });
}

export function stopSync() {
  cancelSchedule();
  clearTimeout(probeTimer);
  downSince = null;
}
