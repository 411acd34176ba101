// The sync client (PROTOCOL.md §7), running in the page: upload photos, push the outbox
// in batches, pull in pages, adopt the server clock. Triggered on start, on `online`,
// after every change, by a Background Sync wake-up, by the "Nu synchroniseren" button,
// and periodically with exponential backoff and jitter (capped at 30 s).
import { ApiError, NetworkError, api } from '../api.js';
import { canRegister } from '../roles.js';
import { decryptBytes, encryptJSON } from '../store/crypto.js';
import { getMeta, isQuotaError, setMeta } from '../store.js';
import { decryptOps, notifyChanged } from '../store/records.js';
import { active, session } from '../store/session.js';
import { observable } from '../ui/observable.js';
import { adopt } from './hlc.js';
import { getClock, loadClock, setClock } from './outbox.js';

export const PUSH_BATCH = 100;
export const PULL_LIMIT = 200;
export const MAX_DELAY_MS = 30_000;

export const syncStatus = observable({
  online: navigator.onLine, running: false, pending: 0, rejected: 0, lastSyncAt: null,
  error: null, progress: null, updateRequired: false, photosWaiting: 0,
});

let timer = null;
let failures = 0;
let again = false;
let running = null;

export async function refreshCounts() {
  const s = active();
  if (!s || !s.db) return;
  const [pending, rejected, photosWaiting, lastSyncAt] = await Promise.all([
    s.db.outbox.count(), s.db.rejected.count(), s.db.photos.where('uploaded').equals(0).count(),
    getMeta(s.db, 'lastSyncAt', null),
  ]);
  syncStatus.update({ pending, rejected, photosWaiting, lastSyncAt });
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
  schedule(300);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register('wijkpost-sync')).catch(() => {});
  }
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => { syncNow(); }, delay);
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
    await pullAll(s);
  };
  try {
    if (navigator.locks) await navigator.locks.request(`wijkpost-sync-${s.user.id}`, work);
    else await work();
    failures = 0;
    const now = new Date().toISOString();
    await setMeta(s.db, 'lastSyncAt', now);
    syncStatus.update({ online: true, error: photoProblem, progress: null });
    schedule(MAX_DELAY_MS - Math.round(Math.random() * 5000));
  } catch (error) {
    failures += 1;
    let message;
    if (error instanceof NetworkError) {
      syncStatus.update({ online: false });
      message = 'Geen verbinding: wijzigingen blijven bewaard en worden later verstuurd.';
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
    if (!(error instanceof ApiError && error.status === 401)) schedule(backoffDelay());
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

async function pushAll(s) {
  for (;;) {
    const rows = await s.db.outbox.orderBy('seq').limit(PUSH_BATCH).toArray();
    if (!rows.length) return;
    // Freeze the ops before they leave: from now on a new edit makes a new op.
    await s.db.transaction('rw', s.db.outbox, async () => {
      for (const row of rows) if (!row.sent) await s.db.outbox.update(row.seq, { sent: 1 });
    });
    const ops = await decryptOps(s.key, rows);
    const body = {
      schema_version: 1,
      device_id: s.deviceId,
      ops: ops.map((op) => ({ op_id: op.op_id, record_id: op.record_id, type: op.type, base_rev: op.base_rev, set: op.set, hlc: op.hlc })),
    };
    const reply = await api('/sync/push', { method: 'POST', token: s.token, body, timeoutMs: 60000 });
    const { answered, reupload } = await storeResults(s, ops, reply.results);
    await adoptClock(s, reply.hlc);
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
  let reupload = 0;
  await s.db.transaction('rw', [s.db.outbox, s.db.records, s.db.rejected, s.db.photos], async () => {
    await s.db.outbox.bulkDelete(answered);
    for (const base of bases) await putBase(s.db, base);
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
        upserts.push({ id: r.id, type: r.type, status: r.status, rev: r.rev, enc: await encryptJSON(key, r) });
      } else {
        removed.push(change.id);
      }
    } else if (change.op === 'upsert') {
      geo.push({ key: `${change.entity}:${change.id}`, entity: change.entity, enc: await encryptJSON(key, change.record) });
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
      resetGen = null;
    }
    await db.meta.bulkPut([
      { key: 'cursor', value: reply.cursor }, { key: 'gen', value: gen }, { key: 'resetGen', value: resetGen },
    ]);
  });
}

/** Wires the triggers: online/offline events, the service worker's wake-up, visibility. */
export function installTriggers() {
  window.addEventListener('online', () => { syncStatus.update({ online: true }); failures = 0; syncNow(); });
  window.addEventListener('offline', () => syncStatus.update({ online: false }));
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'SYNC') syncNow();
    });
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncNow();
  });
}

export function stopSync() {
  clearTimeout(timer);
}
