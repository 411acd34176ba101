// My registrations and my team's: status, search over the decrypted data (in memory), filters.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { v7 as uuidv7 } from 'uuid';
import { changes, loadRecords } from '../store/records.js';
import { personName, useNames } from '../store/names.js';
import { active } from '../store/session.js';
import { currentForm } from '../forms/labels.js';
import { STATUS_LABELS, TYPE_SHORT, describeRecord, parseTime, plural } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';
import { Flash, StatusBadge } from './parts.jsx';
import { ReviewTabs } from './Review.jsx';

/** A colleague's concept nobody touched for this long is abandoned: hidden by default. */
export const ABANDONED_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** The last moment anyone changed it: the server's stamp, or this device's unsent edit. */
function touchedAt(record) {
  const server = Math.max(parseTime(record.updated_at) || 0, parseTime(record.created_at) || 0);
  return Math.max(server, record.lastLocalAt || 0);
}

function searchable(record) {
  const parts = [];
  const walk = (v) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object') Object.values(v).forEach(walk); else parts.push(String(v));
  };
  walk(record.data);
  parts.push(record.created_by ? personName(record.created_by) : '', TYPE_SHORT[record.type] || '', STATUS_LABELS[record.status] || '');
  if (record.review && record.review.comment) parts.push(record.review.comment);
  return parts.join(' ').toLowerCase();
}

export function ListScreen({ scope = 'mine', leader = false }) {
  const version = useObservable(changes);
  const [records, setRecords] = useState(null);
  const [query, setQuery] = useState('');
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  const [showAbandoned, setShowAbandoned] = useState(false);
  const names = useNames();
  useEffect(() => {
    let live = true;
    loadRecords().then((list) => live && setRecords(list));
    return () => { live = false; };
  }, [version]);
  const me = active() && active().user ? active().user.username : null;
  const { shown, abandoned } = useMemo(() => {
    if (!records) return { shown: [], abandoned: 0 };
    const q = query.trim().toLowerCase();
    const now = Date.now();
    const isAbandoned = (r) => scope === 'team' && r.status === 'draft' && r.pending === 0 && now - touchedAt(r) > ABANDONED_AFTER_MS;
    const inScope = records.filter((r) => (scope === 'mine' ? !r.created_by || r.created_by === me : r.created_by && r.created_by !== me));
    const list = inScope
      .filter((r) => showAbandoned || !isAbandoned(r))
      .filter((r) => !type || r.type === type)
      .filter((r) => !status || (status === 'pending' ? r.pending > 0 : r.status === status))
      .filter((r) => !q || searchable(r).includes(q))
      .map((r) => ({ r, at: touchedAt(r) }))
      // A registration the team leader sent back stays on top until it is resubmitted.
      .sort((a, b) => (b.r.status === 'returned') - (a.r.status === 'returned') || b.at - a.at)
      .map(({ r }) => r);
    return { shown: list, abandoned: inScope.filter(isAbandoned).length };
  }, [records, query, type, status, scope, showAbandoned, names]);
  return (
    <main id="main" tabIndex={-1}>
      <Flash />
      <h1>{scope === 'mine' ? 'Mijn registraties' : 'Registraties van mijn team'}</h1>
      <a class="new-link" href="#/new">+ Nieuwe registratie</a>
      {leader ? <ReviewTabs current={scope} /> : (
        <nav class="tabs" aria-label="Welke registraties">
          <a href="#/" aria-current={scope === 'mine' ? 'page' : undefined}>Mijn registraties</a>
          <a href="#/team" aria-current={scope === 'team' ? 'page' : undefined}>Team</a>
        </nav>
      )}
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
            <option value="pending" selected={status === 'pending'}>Nog niet verstuurd</option>
            {Object.entries(STATUS_LABELS).map(([code, label]) => <option key={code} value={code} selected={status === code}>{label}</option>)}
          </select>
        </div>
      </div>
      {scope === 'team' && abandoned > 0 && (
        <p class="toggle-row">
          <button type="button" class="secondary" aria-pressed={showAbandoned ? 'true' : 'false'} onClick={() => setShowAbandoned(!showAbandoned)}>
            {showAbandoned ? 'Verlaten concepten verbergen' : `Verlaten concepten tonen (${abandoned})`}
          </button>
          <span class="muted small"> Concepten van collega’s waar al een week niemand aan werkte.</span>
        </p>
      )}
      {records === null ? <p>Laden…</p> : shown.length === 0 ? (
        <p class="empty">{records.length ? 'Geen registraties gevonden met deze zoekopdracht of filters.' : 'Nog geen registraties.'}</p>
      ) : (
        <>
          <p class="muted small" aria-live="polite">{plural(shown.length, 'registratie', 'registraties')}</p>
          <ul class="records" aria-label="Registraties">
            {shown.map((r) => {
              const { what, where, when } = describeRecord(r, currentForm(r.type));
              return (
                <li key={r.id}>
                  <a href={`#/r/${r.id}`} class="record-link">
                    <span class="type">{TYPE_SHORT[r.type] || r.type}{what ? ` · ${what}` : ''}</span>
                    <span class="summary">{where || 'Nog geen adres'}</span>
                    <span class="muted small">{when}{scope === 'team' && r.created_by ? ` · door ${personName(r.created_by)}` : ''}</span>
                    <StatusBadge record={r} />
                    {r.status === 'returned' && r.review && r.review.comment && <span class="comment">Teamleider: “{r.review.comment}”</span>}
                  </a>
                </li>
              );
            })}
          </ul>
        </>
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
