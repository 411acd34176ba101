// One registration: its status and what happened to it (sync, conflicts, review,
// rejections), the form, and the actions (submit for review, withdraw).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { RecordForm, domId } from '../forms/RecordForm.jsx';
import { currentForms, formFor } from '../forms/definitions.js';
import { fieldFor, labelOf as fieldLabel } from '../forms/labels.js';
import { isEmpty, missingRequired, validateValue } from '../forms/validate.js';
import { changes, dismissRejected, loadDraft, loadRecord, saveDraft } from '../store/records.js';
import { personName, useNames, whoAndWhere } from '../store/names.js';
import { active } from '../store/session.js';
import { emptyRecord, parseKey } from '../sync/apply.js';
import { syncSoon, syncStatus } from '../sync/client.js';
import { commitSet, commitsSettled } from '../sync/outbox.js';
import { showFlash } from '../ui/flash.js';
import { describeRecord, displayValue, fromLocalInput, formatDateTime, isoWithOffset, TYPE_LABELS, TYPE_SHORT } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';
import { isQuotaError } from '../store.js';
import { StatusBadge } from './parts.jsx';

const EDITABLE = new Set(['draft', 'submitted', 'returned']);

/** The open form registers how to flush its uncommitted input (before an app update). */
let openForm = null;
export function flushOpenForm() {
  return openForm ? openForm() : Promise.resolve(null);
}

/** The value an input's text stands for, as the input would commit it. */
function valueOfText(field, text) {
  if (text === '' || text === undefined) return null;
  switch (field.kind) {
    case 'integer': case 'number': {
      const t = text.trim().replace(',', '.');
      return t === '' ? null : Number(t);
    }
    case 'datetime': return fromLocalInput(text);
    default: return text;
  }
}

function setFor(key, value) {
  const [head, sub] = key.split('].');
  return sub ? { [`${head}]`]: { [sub]: value } } : { [key]: value };
}

// Where the reverse geocoder's answer goes, by type: VOR has separate fields, the others one line.
const ADDRESS_FIELDS = { vor: { street: 'street', house_number: 'house_number', place: 'place' }, pdo: 'scene_address', gtpa: 'address' };
// The location the address belongs to (not, for instance, a trace's place).
const MAIN_LOCATION = { vor: 'location', pdo: 'scene_location', gtpa: 'location' };

/** {street, house_number, postcode, place} for a point, through the server; null when it cannot say. */
async function reverseGeocode(loc) {
  const s = active();
  if (!s || !s.token || !navigator.onLine) return null;
  try {
    const answer = await api(`/geocode/reverse?lat=${loc.lat}&lon=${loc.lon}`, { token: s.token, timeoutMs: 6000 });
    return answer && typeof answer === 'object' ? answer : null;
  } catch {
    return null; // no lookup (offline, not configured, PDOK away): the officer types it
  }
}

/** The ops that fill the empty address fields of `record` from a geocoder answer. */
function addressSet(record, form, answer, drafts) {
  const target = ADDRESS_FIELDS[record.type];
  const set = {};
  const offer = (name, text) => {
    const field = form.fields.find((f) => f.name === name);
    if (!field || !text || !isEmpty(record.data[name]) || drafts[name] !== undefined) return;
    const value = String(text).slice(0, field.max_length || 200);
    if (!validateValue(field, value)) set[name] = value;
  };
  if (typeof target === 'string') {
    const street = [answer.street, answer.house_number].filter(Boolean).join(' ');
    offer(target, [street, answer.place].filter(Boolean).join(', '));
  } else if (target) {
    for (const [name, key] of Object.entries(target)) offer(name, answer[key]);
  }
  return set;
}

const SHORT_KEY = 'wijkpost:short-form';

function storeErrorText(error) {
  return isQuotaError(error)
    ? 'Het apparaat heeft geen opslagruimte meer: deze wijziging is NIET bewaard. Maak ruimte vrij (bijvoorbeeld foto’s of andere apps) en probeer het opnieuw.'
    : `Deze wijziging kon niet worden bewaard: ${error.message || error}`;
}

function rejectionText(entry, labelOf) {
  if (entry.kind === 'amendment') return 'De registratie was al goedgekeurd; uw wijziging is als aanvulling bewaard en wacht op de teamleider.';
  if (entry.reason === 'not_found') return 'De registratie bestaat niet (meer) of u mag haar niet zien; de wijziging is niet verwerkt.';
  const errs = entry.errors ? Object.entries(entry.errors).map(([k, v]) => `${labelOf(k)}: ${[].concat(v).join(', ')}`).join('; ') : '';
  return `De server heeft deze wijziging geweigerd${errs ? ` (${errs})` : ''}. Pas het veld aan en probeer opnieuw.`;
}

export function RecordScreen({ id, newType, focusField }) {
  const version = useObservable(changes);
  useNames(); // names arrive with a sync: show them when they do
  const [view, setView] = useState(null);
  const [form, setForm] = useState(null);
  const [drafts, setDrafts] = useState({});
  const [errors, setErrors] = useState({});
  const [summary, setSummary] = useState(null);
  const [message, setMessage] = useState(null);
  const [withdrawing, setWithdrawing] = useState(false);
  const [storeError, setStoreError] = useState(null);
  const [requiredOnly, setRequiredOnlyState] = useState(() => localStorage.getItem(SHORT_KEY) === '1');
  const [confirming, setConfirming] = useState(false);
  const flushers = useRef(new Set());
  const focusRef = useRef(focusField || null);
  const draftsRef = useRef({});
  const viewRef = useRef(null);
  const summaryRef = useRef(null);
  const firstLoad = useRef(true);

  useEffect(() => {
    let live = true;
    (async () => {
      let record = await loadRecord(id);
      if (!record && newType) {
        record = { ...emptyRecord(id, newType), schema_version: currentForms()?.schema_version || 1, local: true, pending: 0, ops: [], rejected: [] };
      }
      if (!live) return;
      if (!record) { setView(false); return; }
      if (firstLoad.current) {
        // A change (a sync round ending, even offline) may start another load before this one
        // ends: the first load counts as done only when it set the form, or the screen would
        // wait for a form forever.
        const draft = await loadDraft(id);
        if (!live) return;
        if (draft) {
          draftsRef.current = draft.values || {};
          setDrafts(draftsRef.current);
          if (!focusRef.current) focusRef.current = draft.focus;
          if (draft.schema_version) record.schema_version = draft.schema_version;
        }
        const def = await formFor(record.type, record.schema_version);
        if (!live) return;
        firstLoad.current = false;
        setForm(def);
        const when = def && record.pending === 0 && record.rev === 0 && newType
          && def.fields.find((f) => f.kind === 'datetime' && f.required);
        if (when && !record.data[when.name]) {
          // A new registration starts "now"; the officer corrects it when needed.
          await commitSet(record, { [when.name]: isoWithOffset(new Date()) }, { schemaVersion: record.schema_version });
          syncSoon();
          return;
        }
        if (focusRef.current) {
          setTimeout(() => {
            const el = document.getElementById(domId(focusRef.current));
            if (el) { el.focus(); el.scrollIntoView({ block: 'center' }); }
          }, 50);
        }
      }
      viewRef.current = record;
      setView(record);
    })();
    return () => { live = false; };
  }, [id, version]);

  const persistDraft = (values) => {
    const v = viewRef.current;
    return saveDraft(id, { values, focus: focusRef.current, schema_version: v ? v.schema_version : 1, type: v ? v.type : newType })
      .catch((error) => setStoreError(storeErrorText(error)));
  };

  const onDraft = (key, text) => {
    draftsRef.current = { ...draftsRef.current, [key]: text };
    setDrafts(draftsRef.current);
    persistDraft(draftsRef.current);
  };

  const onFocus = (key) => {
    if (focusRef.current !== key) {
      focusRef.current = key;
      persistDraft(draftsRef.current);
    }
  };

  const commit = async (set, key, problem) => {
    if (problem) { setErrors((e) => ({ ...e, [key]: problem })); return false; }
    for (const [k, value] of Object.entries(set)) {
      if (value === null || !form) continue;
      const item = parseKey(k);
      const entries = item && typeof value === 'object' ? Object.entries(value).map(([sub, v]) => [`${k}.${sub}`, v]) : [[k, value]];
      for (const [fieldKey, v] of entries) {
        const field = fieldFor(form, fieldKey);
        const error = field && validateValue(field, v);
        if (error) { setErrors((e) => ({ ...e, [key]: error })); return false; }
      }
    }
    const rest = { ...draftsRef.current };
    delete rest[key];
    draftsRef.current = rest;
    setDrafts(rest);
    setErrors((e) => { const next = { ...e }; delete next[key]; return next; });
    const v = viewRef.current;
    try {
      await commitSet(v, set, { schemaVersion: v.schema_version, draft: { values: rest, focus: focusRef.current, schema_version: v.schema_version, type: v.type } });
    } catch (error) {
      setStoreError(storeErrorText(error));
      return false;
    }
    setStoreError(null);
    syncSoon();
    return true;
  };

  /** After a location is committed: fill the empty address fields when the server can say. */
  const fillAddress = async (loc) => {
    const answer = await reverseGeocode(loc);
    const v = viewRef.current;
    if (!answer || !v || !form) return;
    const set = addressSet(v, form, answer, draftsRef.current);
    if (!Object.keys(set).length) return;
    try {
      await commitSet(v, set, { schemaVersion: v.schema_version });
      syncSoon();
    } catch (error) {
      setStoreError(storeErrorText(error));
    }
  };

  const commitAndFill = async (set, key, problem) => {
    const ok = await commit(set, key, problem);
    const v = viewRef.current;
    if (ok && v && key === MAIN_LOCATION[v.type] && set[key]) fillAddress(set[key]);
    return ok;
  };

  const registerFlush = (fn) => {
    flushers.current.add(fn);
    return () => flushers.current.delete(fn);
  };

  const setRequiredOnly = (on) => {
    setRequiredOnlyState(on);
    localStorage.setItem(SHORT_KEY, on ? '1' : '0');
  };

  const flush = async () => {
    if (!form) return null;
    for (const fn of [...flushers.current]) await fn();
    for (const [key, text] of Object.entries(draftsRef.current)) {
      const field = fieldFor(form, key);
      if (!field) continue;
      const value = valueOfText(field, text);
      if (Number.isNaN(value)) continue;
      await commit(setFor(key, value), key);
    }
    await persistDraft(draftsRef.current);
    return { id, field: focusRef.current };
  };

  useEffect(() => {
    openForm = flush;
    return () => { if (openForm === flush) openForm = null; };
  });

  if (view === false) return <main id="main" tabIndex={-1}><h1>Registratie niet gevonden</h1><p>Deze registratie staat niet (meer) op dit apparaat.</p><a href="#/">Naar de lijst</a></main>;
  if (!view || !form) return <main id="main" tabIndex={-1}><p>Laden…</p></main>;

  const editable = EDITABLE.has(view.status);
  const openConflicts = (view.conflicts || []).filter((c) => c.status !== 'resolved');

  /** "Indienen": flush, check what is missing, then ask before submitting. */
  const submit = async () => {
    setMessage(null);
    await flush();
    // a field committed by this very tap (its blur) may still be on its way to the store
    await commitsSettled();
    const fresh = await loadRecord(id);
    const missing = missingRequired(form, fresh ? fresh.data : {});
    const badInput = Object.fromEntries(Object.entries(errors).filter(([, v]) => v));
    const all = { ...missing, ...badInput };
    if (Object.keys(all).length) {
      setErrors(all);
      setSummary(all);
      setTimeout(() => summaryRef.current && summaryRef.current.focus(), 0);
      return;
    }
    setSummary(null);
    setConfirming(true);
  };

  /** Where it goes next, said where the officer looks: at the top of the list. */
  const leaveWith = (text) => {
    showFlash(text);
    location.hash = '#/';
  };

  const name = (record) => {
    const { what, where } = describeRecord(record, form);
    return [TYPE_SHORT[record.type] || record.type, what, where].filter(Boolean).join(' · ');
  };

  const whenSent = () => (navigator.onLine && syncStatus.get().online
    ? 'Ze wordt nu verstuurd.'
    : 'Ze staat veilig op dit apparaat en wordt verstuurd zodra er verbinding is.');

  const confirmSubmit = async () => {
    const fresh = await loadRecord(id);
    await commitSet(fresh, { status: 'submitted' }, { schemaVersion: fresh.schema_version });
    setConfirming(false);
    syncSoon();
    leaveWith(`Ingediend voor beoordeling: ${name(fresh)}. ${whenSent()}`);
  };

  const withdraw = async (event) => {
    event.preventDefault();
    const reason = new FormData(event.currentTarget).get('reason').trim();
    if (!reason) return;
    await flush();
    await commitSet(viewRef.current, { status: 'withdrawn', withdraw_reason: reason }, { schemaVersion: view.schema_version });
    setWithdrawing(false);
    syncSoon();
    leaveWith(`Ingetrokken: ${name(viewRef.current)}. ${whenSent()}`);
  };

  const labelOf = (key) => fieldLabel(form, key);
  const conflictValue = (key, value) => {
    const field = fieldFor(form, key);
    if (field) return displayValue(field, value);
    return value === null || value === undefined ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  };

  return (
    <main id="main" tabIndex={-1} class="record">
      <h1>{TYPE_LABELS[view.type] || view.type}</h1>
      <p class="record-meta">
        <StatusBadge record={view} />
        {view.created_by && <span class="muted" data-testid="created-by"> · door {personName(view.created_by)}</span>}
      </p>
      {storeError && <p class="error banner-error" role="alert">{storeError}</p>}
      <div class="messages" aria-live="polite">
        {message && <p class="ok" role="status">{message}</p>}
        {view.pending > 0 && <p class="info">Nog niet alles is verstuurd. Het staat veilig op dit apparaat{syncStatus.get().online ? ' en wordt zo verstuurd' : ' en wordt verstuurd zodra er verbinding is'}.</p>}
        {view.status === 'returned' && view.review && (
          <div class="note returned"><strong>Teruggestuurd door {view.review.by ? personName(view.review.by) : 'de teamleider'}</strong>{view.review.at && <> op {formatDateTime(view.review.at)}</>}:
            <blockquote>{view.review.comment || '(geen toelichting)'}</blockquote>Pas de registratie aan en dien haar opnieuw in.</div>
        )}
        {view.status === 'approved' && <p class="note approved">Goedgekeurd{view.review && view.review.by ? ` door ${personName(view.review.by)}` : ''}. Wijzigen kan niet meer.</p>}
        {view.status === 'withdrawn' && <p class="note">Ingetrokken{view.data.withdraw_reason ? `: ${view.data.withdraw_reason}` : ''}.</p>}
        {openConflicts.length > 0 && (
          <div class="note conflict" role="note">
            <strong>Conflict ({openConflicts.length})</strong>: een ander apparaat wijzigde hetzelfde veld tegelijk. Beide waarden zijn bewaard; de registratie toont de nieuwste. De teamleider kiest de juiste waarde. U kunt het veld ook zelf opnieuw invullen.
            <ul>{openConflicts.map((c) => (
              <li key={c.id}>{labelOf(c.field)}:
                <ul>{c.values.map((v) => <li key={`${v.device}-${v.hlc}`}>“{conflictValue(c.field, v.value)}” van {whoAndWhere(v)}</li>)}</ul>
              </li>
            ))}</ul>
          </div>
        )}
        {(view.amendments || []).length > 0 && <p class="note">Aanvullingen na goedkeuring: {view.amendments.length}. De teamleider beoordeelt ze.</p>}
        {(view.rejected || []).map((entry) => (
          <div class="note rejected" key={entry.seq}>
            <strong>{entry.kind === 'amendment' ? 'Bewaard als aanvulling' : 'Wijziging geweigerd'}</strong> ({Object.keys(entry.op.set).map(labelOf).join(', ')}): {rejectionText(entry, labelOf)}
            <button type="button" class="link" onClick={() => dismissRejected(entry.seq)}>Gelezen</button>
          </div>
        ))}
      </div>
      {summary && (
        <div class="error-summary" tabIndex={-1} ref={summaryRef} role="alert">
          <h2>Nog niet compleet</h2>
          <ul>{Object.entries(summary).map(([key, msg]) => (
            <li key={key}><a href={`#${domId(key)}`} onClick={(e) => {
              e.preventDefault();
              const el = document.getElementById(domId(key)) || document.getElementById(domId(key.split('].')[0].split('[')[0]));
              if (el) el.focus();
            }}>{labelOf(key)}: {msg}</a></li>
          ))}</ul>
        </div>
      )}
      <form class="form" onSubmit={(e) => { e.preventDefault(); submit(); }} noValidate>
        {editable && (
          <p class="toggle-row">
            <button type="button" class="secondary" aria-pressed={requiredOnly ? 'true' : 'false'} onClick={() => setRequiredOnly(!requiredOnly)}>
              {requiredOnly ? 'Alle velden tonen' : 'Alleen verplichte velden'}
            </button>
          </p>
        )}
        <RecordForm form={form} record={view} drafts={drafts} errors={errors} disabled={!editable} requiredOnly={requiredOnly}
          onDraft={onDraft} onCommit={commitAndFill} onFocus={onFocus} registerFlush={registerFlush} />
        {editable && (
          <div class="actions">
            {(view.status === 'draft' || view.status === 'returned') && <button type="submit" class="primary">Indienen</button>}
            <span class="muted small">Alles wordt automatisch bewaard.</span>
          </div>
        )}
      </form>
      {confirming && <ConfirmSubmit onConfirm={confirmSubmit} onCancel={() => setConfirming(false)} />}
      {editable && (
        withdrawing ? (
          <form class="withdraw" onSubmit={withdraw}>
            <label for="withdraw-reason">Reden van intrekken</label>
            <textarea id="withdraw-reason" name="reason" required maxLength={1000} rows={2} />
            <div class="row"><button type="submit" class="danger">Intrekken</button><button type="button" class="secondary" onClick={() => setWithdrawing(false)}>Annuleren</button></div>
          </form>
        ) : <p><button type="button" class="secondary danger" onClick={() => setWithdrawing(true)}>Registratie intrekken…</button></p>
      )}
    </main>
  );
}

/** The step before submitting: a modal dialog, so it shows where the officer looks. */
function ConfirmSubmit({ onConfirm, onCancel }) {
  const ref = useRef(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => { if (dialog && dialog.open) dialog.close(); };
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text"
      onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id="confirm-title">Registratie indienen?</h2>
      <p id="confirm-text">De teamleider beoordeelt haar. Tot ze is goedgekeurd, kunt u haar nog aanvullen.</p>
      <div class="row">
        <button type="button" class="primary" disabled={busy} onClick={async () => { setBusy(true); await onConfirm(); }}>Ja, indienen</button>
        <button type="button" class="secondary" onClick={onCancel}>Nog niet</button>
      </div>
    </dialog>
  );
}
