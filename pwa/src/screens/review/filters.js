// The review queue's filters: kept for the session (so they survive opening a registration
// and coming back) and written into the address (#/?soort=vor&...), so that the browser's
// back button and a reload keep them too.

import { sessionCache } from './common.js';

export const DEFAULT_FILTERS = Object.freeze({
  type: '', status: 'submitted', from: '', to: '', officer: '', conflicts: false, area: '', q: '',
});

// Dutch names in the address bar; the API's own names in the request.
const IN_HASH = { type: 'soort', status: 'status', from: 'van', to: 'tot', officer: 'agent', conflicts: 'conflict', area: 'gebied', q: 'zoek' };

const kept = () => sessionCache('queueFilters', () => ({ filters: { ...DEFAULT_FILTERS } }));

export function savedFilters() {
  return kept().filters;
}

const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** Filters from the address, or the ones kept for this session when it names none. */
export function filtersFromHash(hash) {
  const query = (hash || '').split('?')[1];
  if (!query) return savedFilters();
  const params = new URLSearchParams(query);
  const f = { ...DEFAULT_FILTERS };
  for (const [key, name] of Object.entries(IN_HASH)) {
    const value = params.get(name);
    if (value === null) continue;
    if (key === 'conflicts') f.conflicts = value === '1';
    else if ((key === 'from' || key === 'to') && !DAY.test(value)) continue;
    else f[key] = value.slice(0, 200);
  }
  return f;
}

export function queueHash(f = savedFilters()) {
  const params = new URLSearchParams();
  for (const [key, name] of Object.entries(IN_HASH)) {
    const value = f[key];
    if (key === 'conflicts') { if (value) params.set(name, '1'); } else if (value !== DEFAULT_FILTERS[key]) params.set(name, value);
  }
  const query = params.toString();
  return query ? `#/?${query}` : '#/';
}

/** Keeps the filters for the session and in the address, without a new history entry. */
export function keepFilters(f) {
  kept().filters = { ...f };
  const hash = queueHash(f);
  if (location.hash !== hash && (location.hash || '#/').split('?')[0] === '#/') history.replaceState(null, '', hash);
}

/**
 * The officer filter's choices, [username, display name] sorted by name: the team's members
 * from the list the device keeps (store/names.js) and whoever else the queue showed (`seen`,
 * a Map: the officers of a team the leader substitutes for). A member no longer active is
 * still offered, so their waiting registrations can be found.
 */
export function officerChoices(members, seen) {
  const all = new Map(seen);
  for (const m of members || []) all.set(m.username, m.active === false ? `${m.display_name} (niet meer actief)` : m.display_name);
  return [...all].sort((a, b) => a[1].localeCompare(b[1], 'nl'));
}

export function activeCount(f) {
  return Object.keys(DEFAULT_FILTERS).filter((k) => k !== 'q' && f[k] !== DEFAULT_FILTERS[k]).length;
}

/** Midnight at the start of a local calendar day, in UTC (the list API compares instants). */
function dayStart(day, plusDays = 0) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

/** The list request's query: `to` is inclusive on screen, so up to the next midnight. */
export function listParams(f) {
  const q = new URLSearchParams({ order: 'waiting', status: f.status || 'submitted' });
  if (f.type) q.set('type', f.type);
  if (f.from) q.set('from', dayStart(f.from));
  if (f.to) q.set('to', dayStart(f.to, 1));
  if (f.officer) q.set('created_by', f.officer);
  if (f.conflicts) q.set('conflicts', 'true');
  if (f.area) q.set('area', f.area);
  if (f.q.trim()) q.set('q', f.q.trim());
  return q;
}

/** The export's query: the same type, status and days (the export reads Dutch calendar days). */
export function exportParams(f, format) {
  const q = new URLSearchParams({ format });
  if (format === 'bron') q.set('type', 'vor');
  else if (f.type) q.set('type', f.type);
  q.set('status', f.status || 'submitted');
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  return q;
}
