// Reading the encrypted store into memory for the screens (records with their pending
// ops applied, drafts, rejected ops) and keeping photos as encrypted blobs.
import { observable } from '../ui/observable.js';
import { viewOf } from '../sync/apply.js';
import { decryptBytes, decryptJSON, encryptBytes, encryptJSON, sha256Hex } from './crypto.js';
import { requireActive } from './session.js';

/** Bumped after every local or synced change; screens reload from the store. */
export const changes = observable(0);
export function notifyChanged() {
  changes.set((n) => n + 1);
}

export async function decryptOps(key, rows) {
  return Promise.all(rows.map(async (row) => ({
    seq: row.seq, op_id: row.op_id, record_id: row.record_id, sent: row.sent, ...(await decryptJSON(key, row.enc)),
  })));
}

export async function loadRecords() {
  const { db, key } = requireActive();
  // One read transaction: a sync round's results move an op from the outbox into the
  // record's base in one write, and reads on either side of it would miss the op's values.
  const [rows, opRows, rejectedRows] = await db.transaction('r', [db.records, db.outbox, db.rejected], () => Promise.all([
    db.records.toArray(), db.outbox.orderBy('seq').toArray(), db.rejected.toArray(),
  ]));
  const ops = await decryptOps(key, opRows);
  const byRecord = new Map();
  for (const op of ops) {
    if (!byRecord.has(op.record_id)) byRecord.set(op.record_id, []);
    byRecord.get(op.record_id).push(op);
  }
  const rejectedCount = new Map();
  for (const row of rejectedRows) rejectedCount.set(row.record_id, (rejectedCount.get(row.record_id) || 0) + 1);
  return Promise.all(rows.map(async (row) => {
    const base = row.enc ? await decryptJSON(key, row.enc) : null;
    const pending = byRecord.get(row.id) || [];
    const view = viewOf(row.id, row.type, base, pending);
    view.base = base;
    view.pending = pending.length;
    view.local = Boolean(row.local);
    view.schema_version = row.schema_version || 1;
    view.rejectedCount = rejectedCount.get(row.id) || 0;
    view.created_at = view.created_at || row.created_at;
    // When this device last changed it (its newest unsent op), for sorting as what it is.
    view.lastLocalAt = pending.length ? Number(String(pending[pending.length - 1].hlc).split('-')[0]) || 0 : 0;
    return view;
  }));
}

export async function loadRecord(id) {
  const { db, key } = requireActive();
  // The row and its ops in one read transaction (see loadRecords); decrypted after it.
  const [row, opRows] = await db.transaction('r', [db.records, db.outbox], async () => {
    const found = await db.records.get(id);
    return [found, found ? await db.outbox.where('record_id').equals(id).sortBy('seq') : []];
  });
  if (!row) return null;
  const ops = await decryptOps(key, opRows);
  const base = row.enc ? await decryptJSON(key, row.enc) : null;
  const view = viewOf(id, row.type, base, ops);
  view.base = base;
  view.pending = ops.length;
  view.local = Boolean(row.local);
  view.schema_version = row.schema_version || 1;
  view.ops = ops;
  view.rejected = await loadRejected(id);
  return view;
}

export async function loadRejected(recordId) {
  const { db, key } = requireActive();
  const rows = recordId ? await db.rejected.where('record_id').equals(recordId).toArray() : await db.rejected.toArray();
  return Promise.all(rows.map(async (row) => ({ seq: row.seq, record_id: row.record_id, ...(await decryptJSON(key, row.enc)) })));
}

export async function dismissRejected(seq) {
  const { db } = requireActive();
  await db.rejected.delete(seq);
  notifyChanged();
}

export async function loadDraft(id) {
  const { db, key } = requireActive();
  const row = await db.drafts.get(id);
  return row ? decryptJSON(key, row.enc) : null;
}

/** Saves the open form's uncommitted input (every keystroke): nothing typed is lost. */
export async function saveDraft(id, draft) {
  const { db, key } = requireActive();
  const enc = await encryptJSON(key, draft);
  await db.drafts.put({ id, enc });
}

/** Keeps the exact bytes of a photo, encrypted; returns its attachment reference. */
export async function storePhoto(bytes, contentType) {
  const { db, key } = requireActive();
  const sha256 = await sha256Hex(bytes);
  if (!(await db.photos.get(sha256))) {
    const enc = await encryptBytes(key, bytes);
    await db.photos.put({ sha256, content_type: contentType, uploaded: 0, enc });
  }
  return { sha256, content_type: contentType };
}

const urlCache = new Map();
/** A blob: URL for showing a photo: from the local store, else from the server. */
export async function photoUrl(ref) {
  if (urlCache.has(ref.sha256)) return urlCache.get(ref.sha256);
  const { db, key, token } = requireActive();
  const row = await db.photos.get(ref.sha256);
  let blob;
  if (row) {
    blob = new Blob([await decryptBytes(key, row.enc)], { type: row.content_type });
  } else {
    const response = await fetch(`/api/attachments/${ref.sha256}`, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (!response.ok) throw new Error('Foto niet beschikbaar');
    blob = await response.blob();
  }
  const url = URL.createObjectURL(blob);
  urlCache.set(ref.sha256, url);
  return url;
}

export function forgetPhotoUrls() {
  for (const url of urlCache.values()) URL.revokeObjectURL(url);
  urlCache.clear();
}

