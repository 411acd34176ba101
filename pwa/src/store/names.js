// People and devices by name. Records name people by user name and devices by id
// (created_by, a conflict value's author and device, a review's `by`); the screens show
// display names and device names instead, offline too. The names come from
// GET /api/team/members (the own team, its substitute reviewers, the members' devices),
// kept encrypted in the user's store like the other data, and fetched again at sync when
// they are older than NAMES_REFRESH_MS or a pulled record names someone or a device the
// list lacks (once per name and session: the server may not know them either).
import { api } from '../api.js';
import { getMeta, setMeta } from '../store.js';
import { useEffect } from 'preact/hooks';
import { observable, useObservable } from '../ui/observable.js';
import { decryptJSON, encryptJSON } from './crypto.js';
import { active } from './session.js';

export const NAMES_REFRESH_MS = 15 * 60 * 1000;
const META_KEY = 'namesEnc';
const EMPTY = Object.freeze({ owner: null, team: null, members: [], people: {}, devices: {}, fetchedAt: 0 });

/** {owner (user id), team, members, people: {username: name}, devices: {id: name}, fetchedAt} */
export const teamNames = observable(EMPTY);

let loadedFor = null;
let loading = Promise.resolve();
const unknown = new Set();
const asked = new Set();

/** The names of the signed-in user's store; nothing of a previous user's. */
function known() {
  const s = active();
  const v = teamNames.get();
  return s && s.user && v.owner === s.user.id ? v : EMPTY;
}

/** Reads the kept list once per session (after unlock: it needs the data key). */
export function ensureNames() {
  const s = active();
  if (!s || !s.key || !s.user) return Promise.resolve();
  if (loadedFor === s) return loading;
  loadedFor = s;
  unknown.clear();
  asked.clear();
  teamNames.set({ ...EMPTY, owner: s.user.id });
  loading = (async () => {
    const box = await getMeta(s.db, META_KEY, null);
    if (!box) return;
    try {
      const kept = await decryptJSON(s.key, box);
      if (active() === s) teamNames.set({ ...EMPTY, ...kept, owner: s.user.id });
    } catch { /* unreadable: fetched again at the next sync */ }
  })();
  return loading;
}

async function keep(s, value) {
  const { team, members, people, devices, fetchedAt } = value;
  await setMeta(s.db, META_KEY, await encryptJSON(s.key, { team, members, people, devices, fetchedAt }));
  if (active() === s) teamNames.set({ ...value, owner: s.user.id });
}

function fromReply(reply) {
  const people = {};
  for (const p of [...(reply.reviewers || []), ...(reply.members || [])]) people[p.username] = p.display_name;
  const devices = {};
  for (const d of reply.devices || []) devices[d.id] = d.name;
  return { team: reply.team || null, members: reply.members || [], people, devices, fetchedAt: Date.now() };
}

/** After a pull: fetch the list when it is old, absent, or lacks a name a record uses.
 *  Never fails the sync: names are kept from the last time. */
export async function refreshNames(s, { force = false } = {}) {
  await ensureNames();
  if (!s || !s.token || active() !== s) return;
  const v = known();
  const missing = [...unknown].filter((k) => !asked.has(k));
  unknown.clear();
  if (!force && v.fetchedAt && Date.now() - v.fetchedAt < NAMES_REFRESH_MS && !missing.length) return;
  for (const k of missing) asked.add(k);
  let reply;
  try {
    reply = await api('/team/members', { token: s.token, timeoutMs: 15000 });
  } catch {
    return;
  }
  await keep(s, fromReply(reply));
}

/** Notes the people and devices a pulled record names that the list does not know. */
export function noteNames(record) {
  const v = known();
  const s = active();
  const person = (u) => {
    if (u && !v.people[u] && !(s && s.user && s.user.username === u)) unknown.add(`u:${u}`);
  };
  const device = (d) => { if (d && !v.devices[d]) unknown.add(`d:${d}`); };
  person(record.created_by);
  if (record.review) person(record.review.by);
  for (const c of record.conflicts || []) {
    for (const value of c.values || []) { person(value.author); device(value.device); }
    if (c.resolution) person(c.resolution.by);
  }
  for (const a of record.amendments || []) { person(a.author); device(a.device); }
}

/** After a rename on this device: the new name shows at once, offline too. */
export async function rememberDeviceName(s, id, name) {
  await ensureNames();
  const v = known();
  await keep(s, { ...v, devices: { ...v.devices, [id]: name } });
}

/** A person's display name; the user name only when this device never learnt it. */
export function personName(username) {
  if (!username) return 'onbekend';
  const s = active();
  if (s && s.user && s.user.username === username && s.user.display_name) return s.user.display_name;
  return known().people[username] || username;
}

/** A device's name, with "dit apparaat" for this one. */
export function deviceLabel(id) {
  if (!id) return null;
  const s = active();
  const own = s && s.deviceId === id;
  const name = known().devices[id];
  if (name) return own ? `${name} (dit apparaat)` : name;
  return own ? 'dit apparaat' : 'een ander apparaat';
}

/** This device's own name, or null when not known yet. */
export function ownDeviceName() {
  const s = active();
  return s ? known().devices[s.deviceId] || null : null;
}

/** "Agent Anouk de Vries · Chrome op Android, sinds 03-03-2026": who set a value, on what. */
export function whoAndWhere(entry) {
  const device = deviceLabel(entry.device);
  return device ? `${personName(entry.author)} · ${device}` : personName(entry.author);
}

/** For screens: re-renders when the names arrive or change. */
export function useNames() {
  const value = useObservable(teamNames);
  useEffect(() => { ensureNames(); }, []);
  return value;
}
