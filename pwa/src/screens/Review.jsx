// The team leader's work: the review queue, a registration's detail for review, the decision
// (approve / return with a comment) and settling a conflict. Online screens: they read the
// API directly and keep nothing on the device.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { currentForm, fieldFor, labelOf } from '../forms/labels.js';
import { active } from '../store/session.js';
import { Flash } from './parts.jsx';
import { TYPE_LABELS, TYPE_SHORT, describeRecord, displayValue, formatDateTime, parseTime, plural } from '../ui/format.js';

const PAGE = 25;

function token() {
  const s = active();
  return s ? s.token : null;
}

function me() {
  const s = active();
  return s && s.user ? s.user.username : null;
}

function problemText(error) {
  return error instanceof ApiError ? error.message : 'Geen verbinding met de server. Probeer het opnieuw.';
}

/** "3 uur", "2 dagen": how long a registration has been waiting. */
export function waitingFor(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - parseTime(iso)) / 60000));
  if (minutes < 60) return plural(minutes, 'minuut', 'minuten');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} uur`;
  return plural(Math.round(hours / 24), 'dag', 'dagen');
}

function openConflicts(record) {
  return (record.conflicts || []).filter((c) => c.status !== 'resolved');
}

/** The moment an HLC stamp (`ms-counter-device`) stands for. */
function hlcTime(hlc) {
  const ms = hlc ? Number(String(hlc).split('-')[0]) : NaN;
  return Number.isFinite(ms) && ms > 0 ? formatDateTime(new Date(ms).toISOString()) : '';
}

export function ReviewTabs({ current }) {
  return (
    <nav class="tabs" aria-label="Werk van de teamleider">
      <a href="#/" aria-current={current === 'queue' ? 'page' : undefined}>Te beoordelen</a>
      <a href="#/mijn" aria-current={current === 'mine' ? 'page' : undefined}>Mijn registraties</a>
      <a href="#/team" aria-current={current === 'team' ? 'page' : undefined}>Team</a>
    </nav>
  );
}

// ---------------------------------------------------------------- queue

export function ReviewQueueScreen() {
  const [type, setType] = useState('');
  const [withConflict, setWithConflict] = useState(false);
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const generation = useRef(0);

  const load = async (from) => {
    const mine = ++generation.current;
    setBusy(true);
    setProblem(null);
    const q = new URLSearchParams({ status: 'submitted', limit: String(PAGE) });
    if (type) q.set('type', type);
    if (withConflict) q.set('conflicts', 'true');
    if (from) q.set('cursor', from);
    try {
      const page = await api(`/registrations?${q}`, { token: token() });
      if (mine !== generation.current) return;
      setItems((old) => [...(from && old ? old : []), ...page.items]);
      setCursor(page.more ? page.cursor : null);
    } catch (error) {
      if (mine === generation.current) setProblem(problemText(error));
    } finally {
      if (mine === generation.current) setBusy(false);
    }
  };
  useEffect(() => { setItems(null); load(null); }, [type, withConflict]);

  // Oldest waiting first among what is loaded.
  const shown = items ? [...items].sort((a, b) => parseTime(a.updated_at) - parseTime(b.updated_at)) : [];
  return (
    <main id="main" tabIndex={-1}>
      <Flash />
      <h1>Te beoordelen</h1>
      <ReviewTabs current="queue" />
      <div class="filters">
        <div class="field">
          <label for="queue-type">Soort</label>
          <select id="queue-type" onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">Alle soorten</option>
            {Object.entries(TYPE_SHORT).map(([code, label]) => <option key={code} value={code} selected={type === code}>{label}</option>)}
          </select>
        </div>
        <div class="field checkbox-field">
          <label class="option">
            <input type="checkbox" checked={withConflict} onChange={(e) => setWithConflict(e.currentTarget.checked)} />
            {' '}Alleen met conflict
          </label>
        </div>
      </div>
      {problem && <p class="error-text" role="alert">{problem} <button type="button" class="secondary small" onClick={() => load(null)}>Opnieuw</button></p>}
      {items === null ? (!problem && <p>Laden…</p>) : (
        <>
          <p class="queue-count" aria-live="polite" data-testid="queue-count">
            {items.length === 0 ? 'Er wacht niets op beoordeling.'
              : `${plural(items.length, 'registratie', 'registraties')}${cursor ? ' of meer' : ''} ${items.length === 1 && !cursor ? 'wacht' : 'wachten'} op beoordeling`}
          </p>
          <ul class="records" aria-label="Te beoordelen registraties">
            {shown.map((r) => {
              const { what, where, when } = describeRecord(r, currentForm(r.type));
              const conflicts = openConflicts(r).length;
              return (
                <li key={r.id}>
                  <a href={`#/review/${r.id}`} class="record-link">
                    <span class="type">{TYPE_SHORT[r.type] || r.type}{what ? ` · ${what}` : ''}</span>
                    <span class="summary">{where || 'Geen adres'}</span>
                    <span class="muted small">{when} · door {r.created_by} · wacht {waitingFor(r.updated_at)}</span>
                    {conflicts > 0 && <span class="badges"><span class="badge conflict">{conflicts === 1 ? 'Conflict' : `${conflicts} conflicten`}</span></span>}
                  </a>
                </li>
              );
            })}
          </ul>
          {cursor && <button type="button" class="secondary" disabled={busy} onClick={() => load(cursor)}>{busy ? 'Laden…' : 'Meer laden'}</button>}
        </>
      )}
    </main>
  );
}

// ---------------------------------------------------------------- values

function PhotoView({ photo, label }) {
  const [url, setUrl] = useState(null);
  const [failed, setFailed] = useState(false);
  const [big, setBig] = useState(false);
  useEffect(() => {
    let live = true;
    let made = null;
    fetch(`/api/attachments/${photo.sha256}`, { headers: { Authorization: `Bearer ${token()}` }, cache: 'no-store' })
      .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
      .then((b) => { made = URL.createObjectURL(b); if (live) setUrl(made); })
      .catch(() => live && setFailed(true));
    return () => { live = false; if (made) URL.revokeObjectURL(made); };
  }, [photo.sha256]);
  if (failed) return <span class="thumb missing">Foto niet beschikbaar</span>;
  if (!url) return <span class="thumb loading">Foto laden…</span>;
  return (
    <>
      <button type="button" class="thumb-button" onClick={() => setBig(true)} aria-label={`${label} vergroten`}>
        <img class="thumb" src={url} alt={label} />
      </button>
      {big && (
        <div class="photo-large" role="dialog" aria-modal="true" aria-label={label}>
          <img src={url} alt={label} />
          <button type="button" onClick={() => setBig(false)}>Sluiten</button>
        </div>
      )}
    </>
  );
}

/** A value as the reader reads it: code lists in Dutch, groups item by item, photos shown. */
export function ValueView({ field, value }) {
  if (!field) return <>{value === null || value === undefined ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value)}</>;
  if (field.kind === 'photo' && value && value.sha256) return <PhotoView photo={value} label={field.label} />;
  if (field.kind === 'group') {
    const list = Array.isArray(value) ? value.filter((i) => i && !i.removed) : value && typeof value === 'object' && !value.id ? [] : value ? [value] : [];
    if (!list.length) return <>—</>;
    return (
      <ol class="group-items">
        {list.map((item, n) => (
          <li key={item.id || n}>
            <dl class="fields">
              {(field.fields || []).filter((f) => item[f.name] !== undefined && item[f.name] !== null && item[f.name] !== '').map((f) => (
                <div key={f.name}><dt>{f.label}</dt><dd><ValueView field={f} value={item[f.name]} /></dd></div>
              ))}
            </dl>
          </li>
        ))}
      </ol>
    );
  }
  return <>{displayValue(field, value)}</>;
}

function KeyValue({ form, fieldKey, value }) {
  const field = form ? fieldFor(form, fieldKey) : null;
  return <ValueView field={field} value={value} />;
}

/** Revisions as one line per changed field: who, when, which device, old → new. */
function historyLines(history) {
  const state = {};
  const lines = [];
  for (const h of history || []) {
    for (const [key, value] of Object.entries(h.set || {})) {
      lines.push({ key: `${h.rev}:${key}`, field: key, rev: h.rev, author: h.author, at: h.at, device: h.device, kind: h.kind, old: state[key], value });
      state[key] = value;
    }
  }
  return lines.reverse();
}

const KIND_LABELS = { review: 'beoordeling', resolve: 'conflict opgelost', edit: 'wijziging', create: 'aangemaakt' };

// ---------------------------------------------------------------- detail + decision

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

export function ReviewDetailScreen({ id }) {
  const { record, setRecord, problem, reload } = useDetail(id);
  const [decision, setDecision] = useState(null); // 'approve' | 'return' while confirming
  const [comment, setComment] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(null);
  const commentRef = useRef(null);

  if (problem && !record) return <main id="main" tabIndex={-1}><h1>Registratie</h1><p class="error-text" role="alert">{problem}</p><a href="#/">Terug naar de lijst</a></main>;
  if (!record) return <main id="main" tabIndex={-1}><h1>Registratie</h1><p>Laden…</p></main>;

  const form = currentForm(record.type);
  const conflicts = openConflicts(record);
  const own = record.created_by === me();
  const submitted = record.status === 'submitted';
  const fields = form ? form.fields : Object.keys(record.data || {}).map((name) => ({ name, label: name, kind: 'text' }));

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
      <p><a href="#/" class="back-link">← Terug naar de lijst</a></p>
      <h1>{TYPE_LABELS[record.type] || record.type}</h1>
      <p class="muted">Door {record.created_by} · ingediend {formatDateTime(record.updated_at)} · {record.status === 'submitted' ? `wacht ${waitingFor(record.updated_at)}` : ({ approved: 'goedgekeurd', returned: 'teruggestuurd', draft: 'concept', withdrawn: 'ingetrokken' }[record.status] || record.status)}</p>
      {done && <div class="ok flash" role="status"><p>{done}</p></div>}

      {conflicts.length > 0 && (
        <div class="note conflict" role="note">
          <h2>{conflicts.length === 1 ? 'Open conflict' : `${conflicts.length} open conflicten`}</h2>
          <p>Goedkeuren kan pas als elk conflict is opgelost.</p>
          <ul>
            {conflicts.map((c) => (
              <li key={c.id}><a class="conflict-link" href={`#/review/${id}/conflict/${c.id}`}>Conflict oplossen: {labelOf(form, c.field)}</a></li>
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
              {decision === 'approve' && <p>{TYPE_SHORT[record.type]} van {record.created_by} wordt goedgekeurd.</p>}
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
        <p class="note returned">Toelichting van {record.review.by}: “{record.review.comment}”</p>
      )}

      <section aria-labelledby="fields-title">
        <h2 id="fields-title">Gegevens</h2>
        <dl class="fields review-fields">
          {fields.map((f) => {
            const value = (record.data || {})[f.name];
            if (value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length)) return null;
            return <div key={f.name}><dt>{f.label}</dt><dd><ValueView field={f} value={value} /></dd></div>;
          })}
        </dl>
      </section>

      {(record.amendments || []).length > 0 && (
        <section aria-labelledby="amend-title">
          <h2 id="amend-title">Aanvullingen na goedkeuring</h2>
          <ul class="history">
            {record.amendments.map((a) => (
              <li key={a.id}>
                <span class="muted small">{a.author} · {formatDateTime(a.at)} · apparaat {a.device}</span>
                <dl class="fields">
                  {Object.entries(a.set || {}).map(([k, v]) => <div key={k}><dt>{labelOf(form, k)}</dt><dd><KeyValue form={form} fieldKey={k} value={v} /></dd></div>)}
                </dl>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="history-title">
        <h2 id="history-title">Geschiedenis per veld</h2>
        <ul class="history">
          {historyLines(record.history).map((l) => (
            <li key={l.key}>
              <strong>{labelOf(form, l.field)}</strong>
              <span class="muted small"> · {l.author} · {formatDateTime(l.at)} · {KIND_LABELS[l.kind] || l.kind}{l.device ? ` · apparaat ${l.device}` : ''}</span>
              <div class="diff">
                {l.old !== undefined && <><del><KeyValue form={form} fieldKey={l.field} value={l.old} /></del> → </>}
                <ins><KeyValue form={form} fieldKey={l.field} value={l.value} /></ins>
              </div>
            </li>
          ))}
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
  if (problem && !record) return <main id="main" tabIndex={-1}><h1>Conflict</h1><p class="error-text" role="alert">{problem}</p></main>;
  if (!record) return <main id="main" tabIndex={-1}><h1>Conflict</h1><p>Laden…</p></main>;
  const form = currentForm(record.type);
  const conflict = (record.conflicts || []).find((c) => c.id === conflictId);
  const back = <p><a href={`#/review/${id}`} class="back-link">← Terug naar de registratie</a></p>;
  if (!conflict) return <main id="main" tabIndex={-1}>{back}<h1>Conflict</h1><p>Dit conflict bestaat niet (meer).</p></main>;
  const label = labelOf(form, conflict.field);
  const field = form ? fieldFor(form, conflict.field) : null;
  const simple = field && ['text', 'textarea', 'count', 'number', 'date', 'time'].includes(field.kind);

  if (conflict.status === 'resolved') {
    return (
      <main id="main" tabIndex={-1}>{back}<h1>Conflict: {label}</h1>
        <div class="ok flash" role="status"><p>Opgelost{conflict.resolution ? ` door ${conflict.resolution.by}` : ''}. Gekozen waarde: <KeyValue form={form} fieldKey={conflict.field} value={conflict.resolution ? conflict.resolution.value : null} /></p></div>
        <a class="button" href={`#/review/${id}`}>Naar de registratie</a>
      </main>
    );
  }

  const settle = async () => {
    let value;
    if (choice === 'new') {
      if (!typed.trim()) { setError('Typ de juiste waarde.'); return; }
      value = field && ['count', 'number'].includes(field.kind) ? Number(typed) : typed.trim();
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
      <fieldset class="conflict-values">
        <legend>Waarden</legend>
        {conflict.values.map((v, n) => (
          <label key={n} class="conflict-value">
            <input type="radio" name="conflict-choice" checked={choice === n} onChange={() => setChoice(n)} />
            <span class="value"><KeyValue form={form} fieldKey={conflict.field} value={v.value} /></span>
            <span class="muted small">door {v.author || 'onbekend'} · apparaat {v.device || 'onbekend'}{hlcTime(v.hlc) ? ` · ${hlcTime(v.hlc)}` : ''}</span>
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
          <input id="conflict-new" type={field && ['count', 'number'].includes(field.kind) ? 'number' : 'text'} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
      )}
      {error && <p class="error-text" role="alert">{error}</p>}
      <button type="button" class="primary" disabled={busy} onClick={settle}>Deze waarde vastleggen</button>
    </main>
  );
}
