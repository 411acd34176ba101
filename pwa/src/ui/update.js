// Service worker registration and the "bijwerken" flow: a new version waits until the
// officer taps it; the open draft is flushed first and reopened at the same field.
import { Workbox } from 'workbox-window';
import { active } from '../store/session.js';
import { setMeta } from '../store.js';
import { observable } from './observable.js';

export const updateReady = observable(false);
let wb = null;

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  wb = new Workbox('/sw.js');
  wb.addEventListener('waiting', () => updateReady.set(true));
  wb.register().catch(() => {});
  // Look for a new version now and then during a long shift.
  setInterval(() => wb.update().catch(() => {}), 30 * 60 * 1000);
}

export async function applyUpdate(flush) {
  const resume = await flush();
  const s = active();
  if (resume && s && s.db) await setMeta(s.db, 'resume', { ...resume, hash: location.hash });
  if (!wb) { location.reload(); return; }
  wb.addEventListener('controlling', () => location.reload());
  wb.messageSkipWaiting();
}
