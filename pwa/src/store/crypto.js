// WebCrypto helpers: the random data key (AES-GCM 256) that encrypts the local store, and
// its two wrappings: by a key derived from the officer's PIN (PBKDF2-SHA256) and by the
// device_key the server hands out at login. Only ciphertext and IVs reach IndexedDB.

export const PBKDF2_ITERATIONS = 600_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

export function base64urlToBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function aesKey(raw, usages = ['encrypt', 'decrypt']) {
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, usages);
}

/** A fresh data key: the raw bytes (kept only to wrap them) and the usable key. */
export async function newDataKey() {
  const raw = randomBytes(32);
  return { raw, key: await aesKey(raw) };
}

export async function importDataKey(raw) {
  return aesKey(raw);
}

export async function pinKek(pin, salt, iterations = PBKDF2_ITERATIONS) {
  const material = await crypto.subtle.importKey('raw', enc.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
  );
}

export async function deviceKek(deviceKeyB64url) {
  return aesKey(base64urlToBytes(deviceKeyB64url));
}

/** Wraps the raw data key under a key-encryption key. */
export async function wrap(raw, kek) {
  const iv = randomBytes(12);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, kek, raw));
  return { iv, ct };
}

/** Unwraps; throws when the key-encryption key is wrong (the GCM tag fails). */
export async function unwrap(wrapped, kek) {
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: wrapped.iv }, kek, wrapped.ct));
}

export async function encryptBytes(key, bytes) {
  const iv = randomBytes(12);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes));
  return { iv, ct };
}

export async function decryptBytes(key, box) {
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: box.iv }, key, box.ct));
}

export async function encryptJSON(key, value) {
  return encryptBytes(key, enc.encode(JSON.stringify(value)));
}

export async function decryptJSON(key, box) {
  return JSON.parse(dec.decode(await decryptBytes(key, box)));
}

export async function sha256Hex(bytes) {
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}
