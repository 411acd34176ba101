// Sync status in full: what waits, what was refused and why, and logging out.
import { useEffect, useState } from 'preact/hooks';
import { changes, dismissRejected, loadRejected } from '../store/records.js';
import { active, logout, session } from '../store/session.js';
import { syncNow, syncStatus } from '../sync/client.js';
import { getMeta, setMeta } from '../store.js';
import { formatDateTime, timeAgo, TYPE_SHORT } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';
import { lockMinutes, setLockMinutes } from '../ui/idle.js';

function explain(entry) {
  if (entry.kind === 'amendment') return 'Bewaard als aanvulling: de registratie was al goedgekeurd. De teamleider ziet de aanvulling.';
  if (entry.reason === 'not_found') return 'Niet verwerkt: de registratie bestaat niet meer of is niet meer zichtbaar voor u.';
  const errs = entry.errors ? Object.entries(entry.errors).map(([k, v]) => `${k}: ${[].concat(v).join(', ')}`).join('; ') : 'ongeldige wijziging';
  return `Geweigerd: ${errs}. Open de registratie, pas het aan en sla opnieuw op.`;
}

export function SyncScreen() {
  const status = useObservable(syncStatus);
  const version = useObservable(changes);
  const [rejected, setRejected] = useState([]);
  const [leaving, setLeaving] = useState(null);
  const [minutes, setMinutes] = useState(lockMinutes());
  const [persisted, setPersisted] = useState(null);
  useEffect(() => { loadRejected().then(setRejected); }, [version]);
  useEffect(() => { const s = active(); if (s) getMeta(s.db, 'persisted', null).then(setPersisted); }, []);

  const startLogout = async () => {
    setLeaving({ busy: true });
    await syncNow();
    const s = active();
    const left = s ? await s.db.outbox.count() : 0;
    if (left === 0) { await logout(); return; }
    setLeaving({ busy: false, left });
  };

  const user = session.get().user;
  return (
    <main id="main" tabIndex={-1}>
      <h1>Synchronisatie</h1>
      <dl class="facts">
        <dt>Verbinding</dt><dd>{status.online ? 'Online' : 'Offline'}</dd>
        <dt>Wachtende wijzigingen</dt><dd data-testid="sync-pending">{status.pending}</dd>
        <dt>Foto’s nog te uploaden</dt><dd>{status.photosWaiting}</dd>
        <dt>Laatst gesynchroniseerd</dt><dd>{status.lastSyncAt ? `${formatDateTime(status.lastSyncAt)} (${timeAgo(status.lastSyncAt)})` : 'nog nooit'}</dd>
        {status.progress && <><dt>Voortgang</dt><dd>{status.progress.changes} wijzigingen opgehaald (pagina {status.progress.pages})</dd></>}
        <dt>Laatste fout</dt><dd>{status.error || 'geen'}</dd>
        <dt>Opslag</dt><dd>{persisted === true ? 'Blijvend (de browser wist deze gegevens niet zomaar)' : persisted === false ? 'Niet blijvend: de browser kan de gegevens wissen bij ruimtegebrek' : 'onbekend'}</dd>
      </dl>
      <button type="button" class="primary" onClick={() => syncNow()} disabled={status.running}>Nu synchroniseren</button>
      {status.updateRequired && <p class="warning">Er is een nieuwe versie van de app nodig. Uw wijzigingen blijven bewaard.</p>}

      <h2>Geweigerde wijzigingen ({rejected.length})</h2>
      {rejected.length === 0 ? <p class="muted">Geen.</p> : (
        <ul class="rejected-list">
          {rejected.map((entry) => (
            <li key={entry.seq} class="note rejected">
              <a href={`#/r/${entry.record_id}`}>{TYPE_SHORT[entry.op.type] || entry.op.type}: {Object.keys(entry.op.set).join(', ')}</a>
              <span class="muted small"> ({formatDateTime(entry.at)})</span>
              <p>{explain(entry)}</p>
              <button type="button" class="link" onClick={() => dismissRejected(entry.seq)}>Gelezen, verwijderen uit de lijst</button>
            </li>
          ))}
        </ul>
      )}

      <h2>Instellingen</h2>
      <div class="field">
        <label for="lock-minutes">Automatisch vergrendelen na</label>
        <select id="lock-minutes" onChange={(e) => { const m = Number(e.currentTarget.value); setMinutes(m); setLockMinutes(m); const s = active(); if (s) setMeta(s.db, 'lockMinutes', m); }}>
          {[1, 2, 5, 10, 15].map((m) => <option key={m} value={m} selected={minutes === m}>{m} minuten</option>)}
        </select>
      </div>

      <h2>Uitloggen</h2>
      <p>Ingelogd als {user ? `${user.display_name} (${user.username})` : '—'}. Bij uitloggen worden eerst alle wijzigingen verstuurd; daarna worden de gegevens van dit apparaat verwijderd.</p>
      {leaving && leaving.left > 0 ? (
        <div class="note rejected" role="alert">
          <p><strong>Let op:</strong> {leaving.left} wijziging(en) zijn nog niet verstuurd (geen verbinding). Als u nu uitlogt, gaan ze verloren.</p>
          <div class="row">
            <button type="button" class="danger" onClick={() => logout()}>Toch uitloggen en wijzigingen weggooien</button>
            <button type="button" class="secondary" onClick={() => setLeaving(null)}>Niet uitloggen</button>
          </div>
        </div>
      ) : <button type="button" class="secondary" onClick={startLogout} disabled={leaving && leaving.busy}>{leaving && leaving.busy ? 'Versturen…' : 'Uitloggen'}</button>}
    </main>
  );
}
