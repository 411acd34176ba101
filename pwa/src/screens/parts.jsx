// Small shared pieces: status badge, sync bar.
import { syncNow, syncStatus } from '../sync/client.js';
import { STATUS_LABELS, timeAgo } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';

export function StatusBadge({ record }) {
  const openConflicts = (record.conflicts || []).filter((c) => c.status !== 'resolved').length;
  return (
    <span class="badges">
      <span class={`badge status-${record.status}`}>{STATUS_LABELS[record.status] || record.status}</span>
      {record.pending > 0 && <span class="badge pending">Wacht op synchronisatie</span>}
      {openConflicts > 0 && <span class="badge conflict">Conflict</span>}
      {(record.amendments || []).length > 0 && <span class="badge amendment">Aanvulling</span>}
      {(record.rejectedCount || (record.rejected || []).length) > 0 && <span class="badge rejected">Geweigerd</span>}
    </span>
  );
}

export function SyncBar() {
  const s = useObservable(syncStatus);
  const state = s.running ? 'Synchroniseren…' : s.online ? 'Online' : 'Offline';
  return (
    <div class={`syncbar ${s.online ? 'online' : 'offline'}${s.error ? ' failing' : ''}`} role="status" aria-live="polite" aria-label="Synchronisatiestatus">
      <span class="dot" aria-hidden="true" />
      <span class="state">{state}</span>
      <span class="pending" data-testid="pending-count">{s.pending} {s.pending === 1 ? 'wijziging wacht' : 'wijzigingen wachten'}</span>
      <span class="last">Laatst gesynchroniseerd: {timeAgo(s.lastSyncAt)}</span>
      {s.progress && s.progress.more && (
        <span class="progress">
          {s.progress.total ? `Ophalen: ${s.progress.changes} van ${s.progress.total} wijzigingen…` : `Ophalen: ${s.progress.changes} wijzigingen (pagina ${s.progress.pages})…`}
          {s.progress.total && <progress max={s.progress.total} value={s.progress.changes} aria-label="Voortgang ophalen" />}
        </span>
      )}
      {s.rejected > 0 && <a class="rejected-link" href="#/sync">{s.rejected} geweigerd</a>}
      {s.error && <span class="error-text">{s.error}</span>}
      <button type="button" class="small" onClick={() => syncNow()} disabled={s.running}>Nu synchroniseren</button>
    </div>
  );
}
