// Form definitions from GET /api/forms, kept per schema_version so that a draft keeps the
// version it was started on. The service worker caches the response too.
import { api } from '../api.js';
import { getMeta, setMeta } from '../store.js';
import { requireActive } from '../store/session.js';
import { observable } from '../ui/observable.js';

export const forms = observable({ current: null, byVersion: {} });

export async function loadForms() {
  const { db, token } = requireActive();
  let fetched = null;
  try {
    fetched = await api('/forms', { token, timeoutMs: 8000 });
  } catch {
    fetched = null; // offline: use what the store holds
  }
  if (fetched) {
    await setMeta(db, `forms:${fetched.schema_version}`, fetched);
    await setMeta(db, 'formsCurrent', fetched.schema_version);
  }
  const current = await getMeta(db, 'formsCurrent', null);
  const byVersion = {};
  if (current !== null) byVersion[current] = fetched || (await getMeta(db, `forms:${current}`));
  forms.set({ current, byVersion });
  return forms.get();
}

export async function formFor(type, version) {
  const state = forms.get();
  let defs = state.byVersion[version];
  if (!defs) {
    const { db } = requireActive();
    defs = (await getMeta(db, `forms:${version}`)) || state.byVersion[state.current];
  }
  return defs ? defs.forms.find((f) => f.type === type) : null;
}

export function currentForms() {
  const state = forms.get();
  return state.byVersion[state.current] || null;
}
