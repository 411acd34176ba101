// The team leader's work: the review queue, a registration's detail for review, the decision
// (approve / return with a comment), amendments after approval and settling a conflict.
// Online screens: they read the API directly and keep nothing on the device.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { currentForm } from '../forms/labels.js';
import { personName, useNames } from '../store/names.js';
import { Flash } from './parts.jsx';
import { STATUS_LABELS, TYPE_LABELS, TYPE_SHORT, describeRecord, formatDateTime, formatMoment, plural } from '../ui/format.js';
import { AmendmentsSection } from './review/Amendments.jsx';
import { ExportPanel } from './review/Export.jsx';
import { forgetCached, me, namesIn, problemText, sessionCache, submittedAt, token, waitingFor } from './review/common.js';
import { DEFAULT_FILTERS, activeCount, filtersFromHash, keepFilters, listParams, officerChoices, queueHash } from './review/filters.js';
import { KeyValue, ValueView, currentValue, expandSet, fieldOf, keyLabel } from './review/values.jsx';

const PAGE = 25;

function openConflicts(record) {
  return (record.conflicts || []).filter((c) => c.status !== 'resolved');
}

function openAmendments(record) {
  return (record.amendments || []).filter((a) => (a.status || 'open') === 'open');
}

/** The moment an HLC stamp (`ms-counter-device`) stands for. */
function hlcTime(hlc) {
  const ms = hlc ? Number(String(hlc).split('-')[0]) : NaN;
  return Number.isFinite(ms) && ms > 0 ? formatDateTime(new Date(ms).toISOString()) : '';
}

export function ReviewTabs({ current }) {
  return (
    <nav class="tabs" aria-label="Werk van de teamleider">
      <a href={queueHash()} aria-current={current === 'queue' ? 'page' : undefined}>Te beoordelen</a>
      <a href="#/mijn" aria-current={current === 'mine' ? 'page' : undefined}>Mijn registraties</a>
      <a href="#/team" aria-current={current === 'team' ? 'page' : undefined}>Team</a>
    </nav>
  );
}

// ---------------------------------------------------------------- queue

// The officers to filter on: the team's members (kept on the device, store/names.js) and
// whoever else the queue showed this session, with the display name the list gives.
const seenOfficers = () => sessionCache('officers', () => new Map());

function noteOfficers(items) {
  const officers = seenOfficers();
  let added = false;
  for (const r of items) {
    if (!r.created_by) continue;
    const name = r.created_by_name || r.created_by;
    if (officers.get(r.created_by) !== name) { officers.set(r.created_by, name); added = true; }
  }
  return added;
}

function useOfficers(version) {
  const names = useNames();
  return useMemo(() => officerChoices(names.members, seenOfficers()), [names, version]);
}

// Areas the leader may see (their team's and those of no team), for the area filter.
function useAreaChoices() {
  const [areas, setAreas] = useState([]);
  useEffect(() => {
    let live = true;
    sessionCache('areas', () => api('/areas', { token: token() })
      .then((body) => (body.features || []).filter((a) => !a.properties.valid_until || Date.parse(a.properties.valid_until) > Date.now()))
      .catch(() => { forgetCached('areas'); return []; }))
      .then((list) => live && setAreas(list));
    return () => { live = false; };
  }, []);
  return areas;
}

const AREA_KIND = { wijk: 'wijk', attention: 'aandachtsgebied' };
const QUEUE_STATUSES = ['submitted', 'returned', 'approved', 'withdrawn'];

function countText(n) {
  if (n === 0) return 'Er wacht niets op beoordeling.';
  return `${n} ${n === 1 ? 'wacht' : 'wachten'} op beoordeling`;
}

function QueueRow({ r }) {
  const { what, where, when } = describeRecord(r, currentForm(r.type));
  const conflicts = openConflicts(r).length;
  const amendments = openAmendments(r).length;
  const since = r.submitted_at || r.updated_at;
  return (
    <li>
      <a href={`#/review/${r.id}`} class="record-link">
        <span class="type">{TYPE_SHORT[r.type] || r.type}{what ? ` · ${what}` : ''}</span>
        <span class="summary">{where || 'Geen adres'}</span>
        <span class="muted small">{when || 'Geen tijdstip'} · door {r.created_by_name || r.created_by}</span>
        <span class="small waiting">{r.status === 'submitted' ? `wacht ${waitingFor(since)}` : `${STATUS_LABELS[r.status] || r.status} · ingediend ${formatDateTime(since)}`}</span>
        {(conflicts > 0 || amendments > 0) && (
          <span class="badges">
            {conflicts > 0 && <span class="badge conflict">{conflicts === 1 ? 'Conflict' : `${conflicts} conflicten`}</span>}
            {amendments > 0 && <span class="badge amendment">{amendments === 1 ? 'Aanvulling' : `${amendments} aanvullingen`}</span>}
          </span>
        )}
      </a>
    </li>
  );
}

export function ReviewQueueScreen() {
  const [filters, setFilters] = useState(() => filtersFromHash(location.hash));
  const [search, setSearch] = useState(filters.q);
  const [panelOpen, setPanelOpen] = useState(() => activeCount(filters) > 0);
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [waiting, setWaiting] = useState(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [areaRefused, setAreaRefused] = useState(false);
  const [seen, setSeen] = useState(0);
  const generation = useRef(0);
  const officerList = useOfficers(seen);
  const areas = useAreaChoices();
  const badRange = filters.from && filters.to && filters.from > filters.to;

  const load = async (from) => {
    const mine = ++generation.current;
    setBusy(true);
    setProblem(null);
    const q = listParams(filters);
    q.set('limit', String(PAGE));
    if (from) q.set('cursor', from);
    try {
      const page = await api(`/registrations?${q}`, { token: token() });
      if (mine !== generation.current) return;
      if (noteOfficers(page.items)) setSeen((n) => n + 1);
      setItems((old) => [...(from && old ? old : []), ...page.items]);
      setCursor(page.more ? page.cursor : null);
      setWaiting(page.waiting_count);
    } catch (error) {
      if (mine !== generation.current) return;
      if (error instanceof ApiError && error.status === 422 && filters.area && JSON.stringify(error.errors || {}).includes('area')) {
        // This server does not filter on areas yet: drop the filter and say so.
        setAreaRefused(true);
        setFilters((f) => ({ ...f, area: '' }));
        return;
      }
      setProblem(problemText(error));
    } finally {
      if (mine === generation.current) setBusy(false);
    }
  };
  useEffect(() => {
    keepFilters(filters);
    setItems(null);
    setCursor(null);
    if (badRange) { generation.current += 1; setBusy(false); return; }
    load(null);
  }, [JSON.stringify(filters)]);

  const set = (key, value) => setFilters((f) => ({ ...f, [key]: value }));
  const count = activeCount(filters);
  const showAreas = areas.length > 0 && !areaRefused;
  const officerKnown = !filters.officer || officerList.some(([u]) => u === filters.officer);

  return (
    <main id="main" tabIndex={-1}>
      <Flash />
      <h1>Te beoordelen</h1>
      <ReviewTabs current="queue" />
      <div class="queue-head">
        <p class="queue-count" aria-live="polite" data-testid="queue-count">
          {waiting === null ? '' : countText(waiting)}
        </p>
        <button type="button" class="secondary small" disabled={busy || badRange} onClick={() => { setItems(null); setCursor(null); load(null); }}>Vernieuwen</button>
      </div>
      <form class="search-row" role="search" onSubmit={(e) => { e.preventDefault(); set('q', search.trim()); }}>
        <label for="queue-search" class="sr-only">Zoeken in verhaal, straat en plaats</label>
        <input id="queue-search" type="search" value={search} placeholder="Zoeken in verhaal, straat, plaats"
          onInput={(e) => setSearch(e.currentTarget.value)} />
        <button type="submit" class="secondary">Zoeken</button>
      </form>
      <div class="filter-bar">
        <button type="button" class="secondary" aria-expanded={panelOpen ? 'true' : 'false'} aria-controls="queue-filters"
          onClick={() => setPanelOpen(!panelOpen)}>
          {panelOpen ? 'Filters verbergen' : 'Filters tonen'}{count ? ` (${count} actief)` : ''}
        </button>
        {(count > 0 || filters.q) && (
          <button type="button" class="secondary" onClick={() => { setSearch(''); setFilters({ ...DEFAULT_FILTERS }); }}>Filters wissen</button>
        )}
      </div>
      <div id="queue-filters" class="filters queue-filters" hidden={!panelOpen}>
        <div class="field">
          <label for="queue-type">Soort</label>
          <select id="queue-type" onChange={(e) => set('type', e.currentTarget.value)}>
            <option value="">Alle soorten</option>
            {Object.entries(TYPE_SHORT).map(([code, label]) => <option key={code} value={code} selected={filters.type === code}>{label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="queue-status">Status</label>
          <select id="queue-status" onChange={(e) => set('status', e.currentTarget.value)}>
            {QUEUE_STATUSES.map((code) => <option key={code} value={code} selected={filters.status === code}>{STATUS_LABELS[code]}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="queue-officer">Agent</label>
          <select id="queue-officer" onChange={(e) => set('officer', e.currentTarget.value)}>
            <option value="">Alle agenten</option>
            {officerList.map(([username, name]) => <option key={username} value={username} selected={filters.officer === username}>{name}</option>)}
            {!officerKnown && <option value={filters.officer} selected>{personName(filters.officer)}</option>}
          </select>
        </div>
        {showAreas && (
          <div class="field">
            <label for="queue-area">Gebied</label>
            <select id="queue-area" onChange={(e) => set('area', e.currentTarget.value)}>
              <option value="">Alle gebieden</option>
              {areas.map((a) => <option key={a.id} value={String(a.id)} selected={filters.area === String(a.id)}>{a.properties.name} ({AREA_KIND[a.properties.kind] || a.properties.kind})</option>)}
            </select>
          </div>
        )}
        <div class="field">
          <label for="queue-from">Aangemaakt vanaf</label>
          <input id="queue-from" type="date" value={filters.from} max={filters.to || undefined}
            onChange={(e) => set('from', e.currentTarget.value)} aria-describedby={badRange ? 'queue-range-error' : undefined} />
          {filters.from && <p class="date-nl">{formatMoment('date', filters.from)}</p>}
        </div>
        <div class="field">
          <label for="queue-to">Aangemaakt tot en met</label>
          <input id="queue-to" type="date" value={filters.to} min={filters.from || undefined}
            onChange={(e) => set('to', e.currentTarget.value)} aria-describedby={badRange ? 'queue-range-error' : undefined} />
          {filters.to && <p class="date-nl">{formatMoment('date', filters.to)}</p>}
        </div>
        <div class="field checkbox-field">
          <label class="option">
            <input type="checkbox" checked={filters.conflicts} onChange={(e) => set('conflicts', e.currentTarget.checked)} />
            {' '}Alleen met open conflict
          </label>
        </div>
      </div>
      {badRange && <p id="queue-range-error" class="error-text" role="alert">De einddatum ligt voor de begindatum.</p>}
      {areaRefused && <p class="warning" role="status">Filteren op gebied kan deze server nog niet; het filter is weggelaten.</p>}
      {problem && <p class="error-text" role="alert">{problem} <button type="button" class="secondary small" onClick={() => load(null)}>Opnieuw</button></p>}
      {items === null ? (!problem && !badRange && <p>Laden…</p>) : (
        <>
          {(count > 0 || filters.q) && (
            <p class="muted small" data-testid="queue-shown">
              {items.length === 0 ? 'Geen registraties met dit filter.' : `Met dit filter: ${plural(items.length, 'registratie', 'registraties')}${cursor ? ' en meer' : ''}.`}
            </p>
          )}
          <ul class="records" aria-label="Te beoordelen registraties" aria-busy={busy ? 'true' : 'false'}>
            {items.map((r) => <QueueRow key={r.id} r={r} />)}
          </ul>
          {cursor && <button type="button" class="secondary more" disabled={busy} onClick={() => load(cursor)}>{busy ? 'Laden…' : 'Meer laden'}</button>}
        </>
      )}
      <ExportPanel filters={filters} />
    </main>
  );
}

// ---------------------------------------------------------------- detail + decision

const KIND_LABELS = {
  op: 'wijziging', edit: 'wijziging', create: 'aangemaakt', review: 'beoordeling', resolve: 'conflict opgelost',
  amendment: 'aanvulling ontvangen, niet in de registratie', amendment_accept: 'aanvulling overgenomen',
  amendment_file: 'aanvulling als notitie bewaard',
};

/**
 * Revisions as one line per changed field (an item's fields each on their own line): who
 * (display name), when, on which device, old → new. An amendment that came in is shown
 * as a proposal (the record kept its value); a revision that changed no field (an
 * amendment kept as a note) gets one line saying what happened. Newest first.
 */
function historyLines(history) {
  const state = {};
  const lines = [];
  for (const h of history || []) {
    const proposal = h.kind === 'amendment';
    const entries = expandSet(h.set).filter(([key, value]) => !(key === 'comment' && !value));
    const who = { rev: h.rev, author: h.author_name || h.author, at: h.at, device: h.device_name || (h.device ? 'onbekend apparaat' : ''), kind: h.kind };
    if (!entries.length) lines.push({ ...who, key: `${h.rev}:-`, field: null });
    for (const [key, value] of entries) {
      lines.push({ ...who, key: `${h.rev}:${key}`, field: key, old: proposal ? undefined : state[key], value, proposal });
      if (!proposal) state[key] = value;
    }
  }
  return lines.reverse();
}

function HistoryLine({ line, form, data }) {
  const removed = line.field && line.value === null && line.field.endsWith(']');
  return (
    <li>
      <strong>{line.field ? keyLabel(form, data, line.field) : (KIND_LABELS[line.kind] || line.kind)}</strong>
      <span class="muted small"> · {line.author} · {formatDateTime(line.at)} · {KIND_LABELS[line.kind] || line.kind}{line.device ? ` · apparaat ${line.device}` : ''}</span>
      {line.field && (
        <div class="diff">
          {removed ? <span>verwijderd</span> : (
            <>
              {line.proposal && <span class="muted">voorgesteld: </span>}
              {line.old !== undefined && <><del><KeyValue form={form} fieldKey={line.field} value={line.old} /></del> → </>}
              <ins><KeyValue form={form} fieldKey={line.field} value={line.value} /></ins>
            </>
          )}
        </div>
      )}
    </li>
  );
}

function useDetail(id) {
  const [record, setRecord] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = async () => {
    setProblem(null);
    try { setRecord(await api(`/registrations/${id}`, { token: token() })); } catch (error) { setProblem(problemText(error)); }
  };
  useEffect(() => { reload(); }, [id]);
  return { record, setRecord, problem, reload };
}

const STATUS_WORDS = { approved: 'goedgekeurd', returned: 'teruggestuurd', draft: 'concept', withdrawn: 'ingetrokken' };

export function ReviewDetailScreen({ id }) {
  const { record, setRecord, problem, reload } = useDetail(id);
  const [decision, setDecision] = useState(null); // 'approve' | 'return' while confirming
  const [comment, setComment] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(null);
  const commentRef = useRef(null);
  const back = <p><a href={queueHash()} class="back-link">← Terug naar de lijst</a></p>;

  if (problem && !record) return <main id="main" tabIndex={-1}>{back}<h1>Registratie</h1><p class="error-text" role="alert">{problem}</p></main>;
  if (!record) return <main id="main" tabIndex={-1}>{back}<h1>Registratie</h1><p>Laden…</p></main>;

  const form = currentForm(record.type);
  const nameOf = namesIn(record);
  const conflicts = openConflicts(record);
  const own = record.created_by === me();
  const submitted = record.status === 'submitted';
  const author = record.created_by_name || record.created_by;
  const since = submittedAt(record);
  // Every value is shown: fields of the current form first, then any the form no longer
  // (or not yet) has, under their own name.
  const known = new Set(form ? form.fields.map((f) => f.name) : []);
  const fields = [...(form ? form.fields : []),
    ...Object.keys(record.data || {}).filter((name) => !known.has(name)).map((name) => ({ name, label: name, kind: 'text' }))];

  const decide = async () => {
    if (decision === 'return' && !comment.trim()) {
      setError('Geef een toelichting voor de agent: wat moet er anders?');
      if (commentRef.current) commentRef.current.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const next = await api(`/registrations/${id}/review`, { method: 'POST', token: token(), body: { decision, comment: comment.trim(), rev: record.rev } });
      setRecord(next);
      setDone(decision === 'approve' ? 'De registratie is goedgekeurd.' : 'De registratie is teruggestuurd naar de agent.');
      setDecision(null);
      setComment('');
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code !== 'open_conflicts') {
        setError('De registratie is intussen gewijzigd. Bekijk de nieuwe versie en beslis opnieuw.');
        reload();
      } else setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1}>
      {back}
      <h1>{TYPE_LABELS[record.type] || record.type}</h1>
      <p class="muted">Door {author} · ingediend {formatDateTime(since)} · {submitted ? `wacht ${waitingFor(since)}` : (STATUS_WORDS[record.status] || record.status)}</p>
      {done && <div class="ok flash" role="status"><p>{done}</p></div>}

      {conflicts.length > 0 && (
        <div class="note conflict" role="note">
          <h2>{conflicts.length === 1 ? 'Open conflict' : `${conflicts.length} open conflicten`}</h2>
          <p>Goedkeuren kan pas als elk conflict is opgelost.</p>
          <ul>
            {conflicts.map((c) => (
              <li key={c.id}><a class="conflict-link" href={`#/review/${id}/conflict/${c.id}`}>Conflict oplossen: {keyLabel(form, record.data, c.field)}</a></li>
            ))}
          </ul>
        </div>
      )}

      {submitted && (
        <section class="decision" aria-labelledby="decision-title">
          <h2 id="decision-title">Beslissing</h2>
          {decision === null ? (
            <div class="decision-buttons">
              <button type="button" class="primary" disabled={own || conflicts.length > 0} aria-describedby="approve-why"
                onClick={() => { setDecision('approve'); setError(null); }}>Goedkeuren</button>
              <p id="approve-why" class="muted small">
                {own ? 'U kunt uw eigen registratie niet goedkeuren: een andere teamleider doet dat (vier ogen).'
                  : conflicts.length > 0 ? 'Goedkeuren kan niet zolang er een open conflict is.' : 'Na goedkeuren kan de agent niet meer wijzigen.'}
              </p>
              <button type="button" class="secondary" onClick={() => { setDecision('return'); setError(null); }}>Terugsturen</button>
            </div>
          ) : (
            <div class="confirm" role="group" aria-labelledby="confirm-title">
              <h3 id="confirm-title">{decision === 'approve' ? 'Registratie goedkeuren?' : 'Registratie terugsturen?'}</h3>
              {decision === 'return' && (
                <div class="field">
                  <label for="review-comment">Toelichting voor de agent (verplicht)</label>
                  <textarea id="review-comment" ref={commentRef} rows={4} value={comment} aria-invalid={error && !comment.trim() ? 'true' : undefined}
                    onInput={(e) => setComment(e.currentTarget.value)} />
                </div>
              )}
              {decision === 'approve' && <p>{TYPE_SHORT[record.type]} van {author} wordt goedgekeurd.</p>}
              {error && <p class="error-text" role="alert">{error}</p>}
              <div class="decision-buttons">
                <button type="button" class="primary" disabled={busy} onClick={decide}>
                  {decision === 'approve' ? 'Ja, goedkeuren' : 'Ja, terugsturen'}
                </button>
                <button type="button" class="secondary" disabled={busy} onClick={() => { setDecision(null); setError(null); }}>Annuleren</button>
              </div>
            </div>
          )}
          {decision === null && error && <p class="error-text" role="alert">{error}</p>}
        </section>
      )}
      {record.review && record.review.comment && (
        <p class="note returned">Toelichting van {nameOf(record.review.by)}: “{record.review.comment}”</p>
      )}

      <AmendmentsSection record={record} form={form} nameOf={nameOf} reload={reload}
        onDecided={(next, text) => { setRecord(next); setDone(text); }} />

      <section aria-labelledby="fields-title">
        <h2 id="fields-title">Gegevens</h2>
        <dl class="fields review-fields">
          {fields.map((f) => {
            const value = (record.data || {})[f.name];
            if (value === undefined || value === null || value === '' || (Array.isArray(value) && !value.filter((i) => i && !i.removed).length)) return null;
            return <div key={f.name}><dt>{f.label}</dt><dd><ValueView field={f} value={value} map /></dd></div>;
          })}
        </dl>
      </section>

      <section aria-labelledby="history-title">
        <h2 id="history-title">Geschiedenis per veld</h2>
        <ul class="history">
          {historyLines(record.history).map((l) => <HistoryLine key={l.key} line={l} form={form} data={record.data} />)}
        </ul>
      </section>
    </main>
  );
}

// ---------------------------------------------------------------- conflict

export function ConflictScreen({ id, conflictId }) {
  const { record, setRecord, problem, reload } = useDetail(id);
  const [choice, setChoice] = useState(null); // index, or 'new'
  const [typed, setTyped] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const back = <p><a href={`#/review/${id}`} class="back-link">← Terug naar de registratie</a></p>;
  if (problem && !record) return <main id="main" tabIndex={-1}>{back}<h1>Conflict</h1><p class="error-text" role="alert">{problem}</p></main>;
  if (!record) return <main id="main" tabIndex={-1}>{back}<h1>Conflict</h1><p>Laden…</p></main>;
  const form = currentForm(record.type);
  const nameOf = namesIn(record);
  const conflict = (record.conflicts || []).find((c) => c.id === conflictId);
  if (!conflict) return <main id="main" tabIndex={-1}>{back}<h1>Conflict</h1><p>Dit conflict bestaat niet (meer).</p></main>;
  const label = keyLabel(form, record.data, conflict.field);
  const field = form ? fieldOf(form, conflict.field) : null;
  const simple = field && ['text', 'textarea', 'integer', 'number', 'date', 'time'].includes(field.kind);
  const numeric = field && ['integer', 'number'].includes(field.kind);

  if (conflict.status === 'resolved') {
    return (
      <main id="main" tabIndex={-1}>{back}<h1>Conflict: {label}</h1>
        <div class="ok flash" role="status"><p>Opgelost{conflict.resolution ? ` door ${nameOf(conflict.resolution.by)}` : ''}. Gekozen waarde: <KeyValue form={form} fieldKey={conflict.field} value={conflict.resolution ? conflict.resolution.value : null} /></p></div>
        <a class="button" href={`#/review/${id}`}>Naar de registratie</a>
      </main>
    );
  }

  const settle = async () => {
    let value;
    if (choice === 'new') {
      if (!typed.trim()) { setError('Typ de juiste waarde.'); return; }
      value = numeric ? Number(typed) : typed.trim();
    } else if (choice !== null) value = conflict.values[choice].value;
    else { setError('Kies een waarde.'); return; }
    setBusy(true);
    setError(null);
    try {
      setRecord(await api(`/registrations/${id}/conflicts/${conflictId}/resolve`, { method: 'POST', token: token(), body: { value, rev: record.rev } }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) { setError('De registratie is intussen gewijzigd; kies opnieuw.'); reload(); } else setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1}>
      {back}
      <h1>Conflict: {label}</h1>
      <p>Twee apparaten gaven dit veld een andere waarde. Kies de juiste waarde of typ een nieuwe.</p>
      <p class="muted small">Nu in de registratie: <KeyValue form={form} fieldKey={conflict.field} value={currentValue(record.data, conflict.field)} /></p>
      <fieldset class="conflict-values">
        <legend>Waarden</legend>
        {conflict.values.map((v, n) => (
          <label key={n} class="conflict-value">
            <input type="radio" name="conflict-choice" checked={choice === n} onChange={() => setChoice(n)} />
            <span class="value"><KeyValue form={form} fieldKey={conflict.field} value={v.value} /></span>
            <span class="muted small">door {v.author_name || nameOf(v.author)} · apparaat {v.device_name || 'onbekend'}{hlcTime(v.hlc) ? ` · ${hlcTime(v.hlc)}` : ''}</span>
          </label>
        ))}
        {simple && (
          <label class="conflict-value">
            <input type="radio" name="conflict-choice" checked={choice === 'new'} onChange={() => setChoice('new')} />
            <span class="value">Een andere waarde</span>
          </label>
        )}
      </fieldset>
      {choice === 'new' && (
        <div class="field">
          <label for="conflict-new">Nieuwe waarde voor {label}</label>
          <input id="conflict-new" type={numeric ? 'number' : field && field.kind === 'date' ? 'date' : field && field.kind === 'time' ? 'time' : 'text'} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
      )}
      {error && <p class="error-text" role="alert">{error}</p>}
      <button type="button" class="primary" disabled={busy} onClick={settle}>Deze waarde vastleggen</button>
    </main>
  );
}
