// My registrations and my team's: status, search over the decrypted data (in memory), filters.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { v7 as uuidv7 } from 'uuid';
import { changes, loadRecords } from '../store/records.js';
import { active } from '../store/session.js';
import { STATUS_LABELS, TYPE_SHORT, summaryOf } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';
import { StatusBadge } from './parts.jsx';

function searchable(record) {
  const parts = [];
  const walk = (v) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object') Object.values(v).forEach(walk); else parts.push(String(v));
  };
  walk(record.data);
  parts.push(record.created_by || '', TYPE_SHORT[record.type] || '', STATUS_LABELS[record.status] || '');
  if (record.review && record.review.comment) parts.push(record.review.comment);
  return parts.join(' ').toLowerCase();
}

export function ListScreen({ scope = 'mine' }) {
  const version = useObservable(changes);
  const [records, setRecords] = useState(null);
  const [query, setQuery] = useState('');
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  useEffect(() => {
    let live = true;
    loadRecords().then((list) => live && setRecords(list));
    return () => { live = false; };
  }, [version]);
  const me = active() && active().user ? active().user.username : null;
  const shown = useMemo(() => {
    if (!records) return [];
    const q = query.trim().toLowerCase();
    return records
      .filter((r) => (scope === 'mine' ? !r.created_by || r.created_by === me : r.created_by && r.created_by !== me))
      .filter((r) => !type || r.type === type)
      .filter((r) => !status || (status === 'pending' ? r.pending > 0 : r.status === status))
      .filter((r) => !q || searchable(r).includes(q))
      .sort((a, b) => String(b.updated_at || b.created_at || '').localeCompare(String(a.updated_at || a.created_at || '')));
  }, [records, query, type, status, scope]);
  return (
    <main id="main" tabIndex={-1}>
      <h1>{scope === 'mine' ? 'Mijn registraties' : 'Registraties van mijn team'}</h1>
      <a class="new-link" href="#/new">+ Nieuwe registratie</a>
      <nav class="tabs" aria-label="Welke registraties">
        <a href="#/" aria-current={scope === 'mine' ? 'page' : undefined}>Mijn registraties</a>
        <a href="#/team" aria-current={scope === 'team' ? 'page' : undefined}>Team</a>
      </nav>
      <div class="filters">
        <div class="field">
          <label for="search">Zoeken</label>
          <input id="search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder="Kenteken, straat, naam…" />
        </div>
        <div class="field">
          <label for="filter-type">Soort</label>
          <select id="filter-type" onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">Alle soorten</option>
            {Object.entries(TYPE_SHORT).map(([code, label]) => <option key={code} value={code} selected={type === code}>{label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">Alle statussen</option>
            <option value="pending" selected={status === 'pending'}>Wacht op synchronisatie</option>
            {Object.entries(STATUS_LABELS).map(([code, label]) => <option key={code} value={code} selected={status === code}>{label}</option>)}
          </select>
        </div>
      </div>
      {records === null ? <p>Laden…</p> : shown.length === 0 ? (
        <p class="empty">{records.length ? 'Geen registraties gevonden met deze zoekopdracht of filters.' : 'Nog geen registraties.'}</p>
      ) : (
        <ul class="records" aria-label="Registraties">
          {shown.map((r) => (
            <li key={r.id}>
              <a href={`#/r/${r.id}`} class="record-link">
                <span class="type">{TYPE_SHORT[r.type] || r.type}</span>
                <span class="summary">{summaryOf(r) || 'Nieuwe registratie'}</span>
                {scope === 'team' && <span class="muted small">door {r.created_by}</span>}
                <StatusBadge record={r} />
                {r.status === 'returned' && r.review && r.review.comment && <span class="comment">Teamleider: “{r.review.comment}”</span>}
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

export function NewScreen() {
  const start = (type) => {
    // Time-ordered ids (UUIDv7) land together in the server's indexes.
    location.hash = `#/r/${uuidv7()}?new=${type}`;
  };
  return (
    <main id="main" tabIndex={-1}>
      <h1>Nieuwe registratie</h1>
      <div class="choices-big">
        <button type="button" class="big" onClick={() => start('vor')}><strong>Verkeersongeval</strong><span>VOR</span></button>
        <button type="button" class="big" onClick={() => start('pdo')}><strong>Plaats delict onderzoek</strong><span>PDO</span></button>
        <button type="button" class="big" onClick={() => start('gtpa')}><strong>Geweld tegen/door politieambtenaren</strong><span>GTPA/GDPA</span></button>
      </div>
    </main>
  );
}
