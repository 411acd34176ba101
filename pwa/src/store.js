// Dexie set-up: one device-wide registry plus one IndexedDB database per user.
// In clear: ids, type, status, rev, outbox order and flags that indexes need; every other
// value sits in an `enc` box ({iv, ct}) encrypted with the user's data key.
import Dexie from 'dexie';

export const registry = new Dexie('wijkpost-device');
registry.version(1).stores({
  // username -> {userId, deviceId, storeCreatedAt}; `meta` holds lastUser.
  users: '&username, userId',
  meta: '&key',
});

export function userDbName(userId) {
  return `wijkpost-user-${userId}`;
}

export function openUserDb(userId) {
  const db = new Dexie(userDbName(userId));
  db.version(1).stores({
    meta: '&key',
    records: '&id, type, status, rev, gen, local',
    drafts: '&id',
    outbox: '++seq, &op_id, record_id',
    rejected: '++seq, op_id, record_id',
    photos: '&sha256, uploaded',
    geo: '&key, entity',
  });
  return db;
}

export async function userDbExists(userId) {
  return (await Dexie.getDatabaseNames()).includes(userDbName(userId));
}

export async function getMeta(db, key, fallback = undefined) {
  const row = await db.meta.get(key);
  return row === undefined ? fallback : row.value;
}

export function setMeta(db, key, value) {
  return db.meta.put({ key, value });
}

/** True for IndexedDB's out-of-space error, however Dexie wraps it. */
export function isQuotaError(error) {
  const names = [error?.name, error?.inner?.name, error?.cause?.name];
  return names.includes('QuotaExceededError');
}
