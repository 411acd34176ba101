// The officer's session on this device: login, PIN, unlock, auto-lock, logout and wipe.
// The data key lives in page memory only (never in the service worker, never stored in
// clear); it is dropped at logout, page close, or 12 hours after it was unlocked.
import Dexie from 'dexie';
import { api } from '../api.js';
import { formatDate } from '../ui/format.js';
import { observable } from '../ui/observable.js';
import {
  PBKDF2_ITERATIONS, decryptJSON, deviceKek, encryptJSON, importDataKey, newDataKey,
  pinKek, randomBytes, unwrap, wrap,
} from './crypto.js';
import { getMeta, openUserDb, registry, setMeta, userDbExists, userDbName } from '../store.js';

export const MAX_PIN_FAILURES = 10;
export const KEY_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const DEFAULT_LOCK_MINUTES = 5;

/**
 * phase: 'start' | 'login' | 'pin-setup' | 'pin-unlock' | 'ready'
 * locked: the screen is hidden after inactivity; the key stays so sync goes on.
 * relogin: the token expired; local data stays, a login is needed to sync.
 */
export const session = observable({
  phase: 'start', locked: false, relogin: false, user: null, notice: null, warnings: [],
});

let current = null; // {db, user, key, token, deviceId, keyAt}

export function active() {
  return current;
}

export function requireActive() {
  if (!current || !current.key) throw new Error('Geen actieve sessie');
  return current;
}

/** Figures out the first screen: PIN unlock for the last user, else the login form. */
export async function start() {
  const last = await registry.meta.get('lastUser');
  if (last) {
    const entry = await registry.users.get(last.value);
    if (entry && (await userDbExists(entry.userId))) {
      const db = openUserDb(entry.userId);
      const [pinWrap, user] = await Promise.all([getMeta(db, 'wrapPin'), getMeta(db, 'userClear')]);
      if (pinWrap) {
        current = { db, user, key: null, token: null, deviceId: entry.deviceId, keyAt: 0 };
        session.update({ phase: 'pin-unlock', user });
        return;
      }
      db.close();
    }
  }
  session.update({ phase: 'login', user: null });
}

/** Users on this device whose outbox still holds ops (they block another user's login). */
export async function pendingOtherUsers(username) {
  const out = [];
  for (const entry of await registry.users.toArray()) {
    if (entry.username === username || !(await userDbExists(entry.userId))) continue;
    const db = openUserDb(entry.userId);
    const [count, user] = await Promise.all([db.outbox.count(), getMeta(db, 'userClear', null)]);
    db.close();
    if (count > 0) out.push({ ...entry, count, displayName: (user && user.display_name) || entry.username });
  }
  return out;
}

/** Explicitly discards another user's unsynced work (after the officer confirmed it). */
export async function discardUserStore(entry) {
  await Dexie.delete(userDbName(entry.userId));
  await registry.users.delete(entry.username);
}

export class BlockedByOtherUser extends Error {
  constructor(users) {
    super('Er staan nog niet-gesynchroniseerde wijzigingen van een andere gebruiker op dit apparaat.');
    this.users = users;
  }
}

/**
 * Online login. Unlocks the store with the server's device_key (a fresh login always
 * unlocks), or creates the store and its data key on the first login.
 */
export async function login(username, password) {
  username = username.trim();
  const others = await pendingOtherUsers(username);
  if (others.length) throw new BlockedByOtherUser(others);
  const known = await registry.users.get(username);
  const body = { username, password, device_name: deviceName() };
  if (known && known.deviceId) body.device_id = known.deviceId;
  const reply = await api('/auth/login', { method: 'POST', body });
  const user = reply.user;
  const existed = await userDbExists(user.id);
  const warnings = [];
  let db = openUserDb(user.id);
  const kek = await deviceKek(reply.device_key);
  let key;
  let raw = null;
  const wrapped = existed ? await getMeta(db, 'wrapDevice') : undefined;
  if (wrapped && (await getMeta(db, 'deviceId')) === reply.device_id) {
    try {
      key = await importDataKey(await unwrap(wrapped, kek));
    } catch {
      key = null;
    }
  }
  if (!key) {
    if (existed && wrapped) {
      const pending = await db.outbox.count();
      warnings.push(pending
        ? `De lokale gegevens van dit apparaat konden niet worden ontsloten; ${pending === 1 ? '1 niet-verstuurde wijziging is' : `${pending} niet-verstuurde wijzigingen zijn`} verloren.`
        : 'De lokale gegevens van dit apparaat konden niet worden ontsloten en zijn opnieuw opgebouwd.');
      db.close();
      await Dexie.delete(userDbName(user.id));
      db = openUserDb(user.id);
    }
    const fresh = await newDataKey();
    raw = fresh.raw;
    key = fresh.key;
    await setMeta(db, 'wrapDevice', await wrap(raw, kek));
    await setMeta(db, 'deviceId', reply.device_id);
    await setMeta(db, 'storeCreatedAt', new Date().toISOString());
    warnings.push(...evictionWarnings(known, existed));
  }
  await setMeta(db, 'tokenEnc', await encryptJSON(key, { token: reply.token, expires_at: reply.expires_at }));
  await setMeta(db, 'userClear', { id: user.id, username: user.username, display_name: user.display_name, role: user.role, team: user.team });
  await registry.users.put({ username: user.username, userId: user.id, deviceId: reply.device_id });
  await registry.meta.put({ key: 'lastUser', value: user.username });
  const hasPin = Boolean(await getMeta(db, 'wrapPin'));
  if (current && current.db !== db) current.db.close();
  current = { db, user, key, token: reply.token, deviceId: reply.device_id, keyAt: Date.now(), rawForPin: hasPin ? null : raw };
  if (!hasPin && !raw) {
    // The store exists but has no PIN (login, then closed before setting one): rewrap from the device key.
    current.rawForPin = await unwrap(wrapped, kek);
  }
  session.update({ phase: hasPin ? 'ready' : 'pin-setup', user, locked: false, relogin: false, warnings });
  return reply;
}

/**
 * Warns only for a store this browser really held: the device registry (kept apart from
 * the user's stores) names this user and device, yet the store is gone. A first login on
 * another device (a phone beside a Chromebook) is no loss; a logout keeps the store and
 * a deliberate wipe forgets the user, so neither warns. When the browser dropped
 * everything, registry included, nothing tells it apart from a new device.
 */
function evictionWarnings(known, existed) {
  if (!known || !known.deviceId || existed) return [];
  return ['Dit apparaat had eerder gegevens van u, maar die zijn verdwenen (door de browser gewist of verwijderd). Wijzigingen die toen nog niet waren verstuurd, zijn verloren.'];
}

/** The default name of a device: browser, platform and the day of its first login, e.g.
 *  "Chrome op Android, sinds 03-03-2026". The server takes it only for a new device, so
 *  the day stays the first one and a name the officer chose is never replaced. */
function deviceName() {
  const ua = navigator.userAgent;
  const os = /CrOS/.test(ua) ? 'Chromebook' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS'
    : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'onbekend';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return `${browser} op ${os}, sinds ${formatDate(new Date().toISOString())}`;
}

export function validPin(pin) {
  return /^[0-9]{5,12}$/.test(pin);
}

export async function setPin(pin) {
  const s = requireActive();
  if (!validPin(pin)) throw new Error('Een pincode heeft 5 tot 12 cijfers.');
  const salt = randomBytes(16);
  const kek = await pinKek(pin, salt, PBKDF2_ITERATIONS);
  const wrapped = await wrap(s.rawForPin, kek);
  await setMeta(s.db, 'wrapPin', { ...wrapped, salt, iterations: PBKDF2_ITERATIONS });
  await setMeta(s.db, 'pinFailures', 0);
  s.rawForPin.fill(0);
  s.rawForPin = null;
  let persisted = false;
  try {
    persisted = navigator.storage && navigator.storage.persist ? await navigator.storage.persist() : false;
  } catch {
    persisted = false;
  }
  await setMeta(s.db, 'persisted', persisted);
  session.update({ phase: 'ready' });
  return persisted;
}

/** Checks the PIN against the stored wrapping; ten wrong PINs wipe the store. */
export async function unlockWithPin(pin) {
  const s = current;
  if (!s) throw new Error('Geen opgeslagen gegevens op dit apparaat');
  const wrapped = await getMeta(s.db, 'wrapPin');
  let raw;
  try {
    raw = await unwrap(wrapped, await pinKek(pin, wrapped.salt, wrapped.iterations));
  } catch {
    const failures = (await getMeta(s.db, 'pinFailures', 0)) + 1;
    if (failures >= MAX_PIN_FAILURES) {
      await wipe('Tien keer een verkeerde pincode: de gegevens op dit apparaat zijn gewist.');
      return { wiped: true };
    }
    await setMeta(s.db, 'pinFailures', failures);
    return { ok: false, left: MAX_PIN_FAILURES - failures };
  }
  await setMeta(s.db, 'pinFailures', 0);
  if (!s.key) {
    s.key = await importDataKey(raw);
    s.keyAt = Date.now();
    const tokenBox = await getMeta(s.db, 'tokenEnc');
    s.token = tokenBox ? (await decryptJSON(s.key, tokenBox)).token : null;
  }
  raw.fill(0);
  session.update({ phase: 'ready', locked: false, relogin: !s.token });
  return { ok: true };
}

export function lock() {
  if (current && session.get().phase === 'ready') session.update({ locked: true });
}

/** Drops the key after 12 hours: the officer unlocks with the PIN again. */
export function expireKeyIfOld() {
  if (current && current.key && Date.now() - current.keyAt > KEY_LIFETIME_MS) {
    current.key = null;
    current.token = null;
    session.update({ phase: 'pin-unlock', locked: false });
  }
}

export function tokenExpired() {
  session.update({ relogin: true });
}

/** Ends the browser's push subscription (the server ends its own at logout and revocation),
 * so no notice title of this user shows on the device afterwards, and drops the cached map
 * tiles (browsed and the wijk's). Best effort. */
async function endDeviceExtras() {
  try {
    const reg = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration() : null;
    const sub = reg && reg.pushManager ? await reg.pushManager.getSubscription() : null;
    if (sub) await sub.unsubscribe();
  } catch { /* nothing to end */ }
  try {
    if ('caches' in self) {
      await caches.delete('wijkpost-tiles'); // where the officer looked
      await caches.delete('wijkpost-wijk-tiles'); // the own wijk, fetched ahead (geo/tiles.js)
    }
  } catch { /* no cache */ }
}

/** Wipes this user's store entirely (device revoked, ten wrong PINs, or on request). */
export async function wipe(message) {
  const s = current;
  current = null;
  if (s) {
    s.key = null;
    s.db.close();
    await Dexie.delete(s.db.name);
    if (s.user) await registry.users.delete(s.user.username);
    await registry.meta.delete('lastUser');
  }
  await endDeviceExtras();
  session.set({ phase: 'login', locked: false, relogin: false, user: null, notice: message, warnings: [] });
}

/**
 * Logout after the outbox was pushed (or the officer accepted losing it): deletes the
 * police data but keeps the rejected list (readable again after the next login, which
 * brings the device_key back) and the device id.
 */
export async function logout() {
  const s = requireActive();
  if (s.token) {
    try { await api('/auth/logout', { method: 'POST', token: s.token, body: {} }); } catch { /* offline: the token expires */ }
  }
  await s.db.transaction('rw', [s.db.records, s.db.drafts, s.db.outbox, s.db.photos, s.db.geo, s.db.meta], async () => {
    await Promise.all([s.db.records.clear(), s.db.drafts.clear(), s.db.outbox.clear(), s.db.photos.clear(), s.db.geo.clear()]);
    for (const key of ['tokenEnc', 'wrapPin', 'pinFailures', 'cursor', 'gen', 'resetGen', 'lastSyncAt', 'resume', 'namesEnc']) {
      await s.db.meta.delete(key);
    }
  });
  s.key = null;
  s.db.close();
  current = null;
  await registry.meta.delete('lastUser');
  await endDeviceExtras();
  session.set({ phase: 'login', locked: false, relogin: false, user: null, notice: 'U bent uitgelogd.', warnings: [] });
}
