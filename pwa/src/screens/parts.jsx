// Small shared pieces: status badge, the top bar with its menu, the sync bar, the flash.
import { useEffect, useRef, useState } from 'preact/hooks';
import { lock } from '../store/session.js';
import { syncNow, syncStatus } from '../sync/client.js';
import { flash } from '../ui/flash.js';
import { STATUS_LABELS, plural, timeAgo } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';

export function StatusBadge({ record }) {
  const openConflicts = (record.conflicts || []).filter((c) => c.status !== 'resolved').length;
  return (
    <span class="badges">
      <span class={`badge status-${record.status}`}>{STATUS_LABELS[record.status] || record.status}</span>
      {record.pending > 0 && <span class="badge pending">Nog niet verstuurd</span>}
      {openConflicts > 0 && <span class="badge conflict">Conflict</span>}
      {(record.amendments || []).length > 0 && <span class="badge amendment">Aanvulling</span>}
      {(record.rejectedCount || (record.rejected || []).length) > 0 && <span class="badge rejected">Geweigerd</span>}
    </span>
  );
}

/** Brand, the two screens an officer switches between, "Vergrendelen" and the menu. */
export function TopBar({ current }) {
  const [open, setOpen] = useState(false);
  const menuRef = useRef(null);
  useEffect(() => {
    const close = () => setOpen(false);
    const onKey = (e) => { if (e.key === 'Escape') setOpen(false); };
    const onDown = (e) => { if (menuRef.current && !menuRef.current.contains(e.target)) setOpen(false); };
    window.addEventListener('hashchange', close);
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onDown);
    return () => {
      window.removeEventListener('hashchange', close);
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onDown);
    };
  }, []);
  const here = (name) => (current === name ? 'page' : undefined);
  return (
    <header class="topbar">
      <a href="#/" class="brand">Wijkpost</a>
      <nav aria-label="Hoofdmenu">
        <a href="#/" aria-current={here('list') || here('team') || here('mine') || here('review') || here('conflict')}>Lijst</a>
        <a href="#/new" aria-current={here('new')}>Nieuw</a>
        <a href="#/briefing" aria-current={here('briefing')}>Briefing</a>
      </nav>
      <button type="button" class="topbar-button lock" title="Vergrendelen" onClick={() => lock()}>
        {/* drawn, not an emoji: a device without an emoji font showed an empty box */}
        <svg aria-hidden="true" class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor"
          stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
          <rect x="5" y="11" width="14" height="10" rx="2" />
          <path d="M8 11V7a4 4 0 0 1 8 0v4" />
        </svg>
        <span class="label">Vergrendelen</span>
      </button>
      <div class="menu" ref={menuRef}>
        <button type="button" class="topbar-button" aria-expanded={open ? 'true' : 'false'} aria-controls="app-menu"
          onClick={() => setOpen(!open)}>Menu</button>
        {open && (
          <ul id="app-menu" class="menu-panel">
            <li><a href="#/sync" aria-current={here('sync')}>Synchronisatie</a></li>
            <li><a href="#/settings" aria-current={here('settings')}>Instellingen</a></li>
            <li><a href="#/logout" aria-current={here('logout')}>Uitloggen</a></li>
          </ul>
        )}
      </div>
    </header>
  );
}

export function pendingText(records) {
  return records === 0 ? 'alles verstuurd' : `${plural(records, 'registratie', 'registraties')} ${records === 1 ? 'wacht' : 'wachten'}`;
}

/** One line when all is well: state, what waits, when it last synced, and a sync button. */
export function SyncBar() {
  const s = useObservable(syncStatus);
  const state = s.running ? 'Synchroniseren…' : s.online ? 'Online' : 'Geen verbinding';
  return (
    <div class={`syncbar ${s.online ? 'online' : 'offline'}${s.error ? ' failing' : ''}`} role="status" aria-live="polite" aria-label="Synchronisatiestatus">
      <span class="dot" aria-hidden="true" />
      <span class="line">
        <span class="state">{state}</span>
        {' · '}<span class="pending" data-testid="pending-count">{pendingText(s.pendingRecords)}</span>
        {s.lastSyncAt && <span class="last"> · {timeAgo(s.lastSyncAt)}</span>}
      </span>
      {s.rejected > 0 && <a class="rejected-link" href="#/sync">{plural(s.rejected, 'wijziging', 'wijzigingen')} geweigerd</a>}
      <button type="button" class="icon-button" onClick={() => syncNow()} disabled={s.running} title="Nu synchroniseren">
        <span aria-hidden="true">↻</span><span class="sr-only">Nu synchroniseren</span>
      </button>
      {s.progress && s.progress.more && (
        <span class="progress">
          {s.progress.total ? `Ophalen: ${s.progress.changes} van ${s.progress.total}…` : `Ophalen: ${s.progress.changes}…`}
          {s.progress.total && <progress max={s.progress.total} value={s.progress.changes} aria-label="Voortgang ophalen" />}
        </span>
      )}
      {s.error && s.online && <span class="error-text">{s.error}</span>}
    </div>
  );
}

/** The confirmation of what just happened, at the top of the screen the officer lands on. */
export function Flash() {
  const message = useObservable(flash);
  useEffect(() => () => flash.set(null), []);
  if (!message) return null;
  return (
    <div class="ok flash" role="status">
      <p>{message.text}</p>
      <button type="button" class="secondary" onClick={() => flash.set(null)}>Sluiten</button>
    </div>
  );
}
