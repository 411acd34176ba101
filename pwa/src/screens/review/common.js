// Small pieces the team leader's screens share: the session's token, Dutch problem texts,
// waiting times and display names taken from an answer of the API.
import { ApiError } from '../../api.js';
import { personName } from '../../store/names.js';
import { active } from '../../store/session.js';
import { parseTime, plural } from '../../ui/format.js';

export function token() {
  const s = active();
  return s ? s.token : null;
}

export function me() {
  const s = active();
  return s && s.user ? s.user.username : null;
}

export function problemText(error) {
  if (error instanceof ApiError) {
    if (error.status === 429) return 'Te veel verzoeken achter elkaar. Wacht een minuut en probeer het opnieuw.';
    const details = error.errors && typeof error.errors === 'object'
      ? Object.values(error.errors).flatMap((v) => (Array.isArray(v) ? v : typeof v === 'object' && v ? Object.values(v).flat() : [v]))
      : [];
    return [error.message, ...details.filter((d) => typeof d === 'string')].join(' — ');
  }
  return 'Geen verbinding met de server. Probeer het opnieuw.';
}

/** "3 uur", "2 dagen": how long a registration has been waiting. */
export function waitingFor(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - parseTime(iso)) / 60000));
  if (minutes < 1) return 'minder dan een minuut';
  if (minutes < 60) return plural(minutes, 'minuut', 'minuten');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} uur`;
  return plural(Math.round(hours / 24), 'dag', 'dagen');
}

/**
 * Username → display name, from everything in a detail answer that carries both (the
 * author, history entries, conflict values, amendments). The review and a conflict's
 * resolution name their maker by username only; their history entry gives the name.
 */
export function namesIn(record) {
  const names = new Map();
  const add = (username, name) => { if (username && name && !names.has(username)) names.set(username, name); };
  add(record.created_by, record.created_by_name);
  for (const h of record.history || []) add(h.author, h.author_name);
  for (const c of record.conflicts || []) for (const v of c.values || []) add(v.author, v.author_name);
  for (const a of record.amendments || []) add(a.author, a.author_name);
  // Not in the answer (a reviewer who is no author): the team's list on the device.
  return (username) => (username ? names.get(username) || personName(username) : 'onbekend');
}

/** When the registration was last submitted: the newest history entry that set it so. */
export function submittedAt(record) {
  if (record.submitted_at) return record.submitted_at;
  const entries = (record.history || []).filter((h) => h.set && h.set.status === 'submitted');
  return entries.length ? entries[entries.length - 1].at : record.updated_at;
}

// What the screens keep between visits (filters, the officers and areas to choose from)
// belongs to the user who is logged in: another user starts afresh.
let cacheOwner = null;
const cache = new Map();

export function sessionCache(name, make) {
  const s = active();
  const owner = s && s.user ? s.user.id : null;
  if (owner !== cacheOwner) {
    cache.clear();
    cacheOwner = owner;
  }
  if (!cache.has(name)) cache.set(name, make());
  return cache.get(name);
}

export function forgetCached(name) {
  cache.delete(name);
}
