// Inputs for each field kind of /api/forms. Every input reports two things: `onDraft`
// while the officer types (saved to the draft at once) and `onCommit` when the field is
// committed (change or blur), which cuts an op.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatMoment, fromLocalInput, toLocalInput } from '../ui/format.js';
import { photoUrl } from '../store/records.js';
import { isQuotaError } from '../store.js';

export const ACCURACY_WARN_M = 30;
/** A fix this good ends the search for a better one at once. */
export const GOOD_ENOUGH_M = 10;
/** How long "Gebruik mijn locatie" keeps improving the fix while the pin is untouched. */
export const IMPROVE_FOR_MS = 30_000;

function Help({ id, field, error }) {
  return (
    <>
      {field.help && <p class="help" id={`${id}-help`}>{field.help}</p>}
      {error && <p class="error" id={`${id}-error`} role="alert">{error}</p>}
    </>
  );
}

function describedBy(id, field, error) {
  return [field.help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
}

function Label({ id, field }) {
  return (
    <label for={id}>
      {field.label}
      {field.required && <span class="req" aria-hidden="true"> *</span>}
      {field.required && <span class="sr-only"> (verplicht)</span>}
    </label>
  );
}

function Legend({ field }) {
  return (
    <legend>
      {field.label}
      {field.required && <span class="req" aria-hidden="true"> *</span>}
      {field.required && <span class="sr-only"> (verplicht)</span>}
    </legend>
  );
}

function parseNumber(kind, text) {
  const t = text.trim().replace(',', '.');
  if (t === '') return null;
  if (kind === 'integer') return /^-?[0-9]+$/.test(t) ? Number(t) : NaN;
  return /^-?[0-9]+(\.[0-9]+)?$/.test(t) ? Number(t) : NaN;
}

/** props: id, field, value (committed), draft (uncommitted text or undefined), error, disabled, onDraft, onCommit, onFocus */
export function Field(props) {
  const { field } = props;
  switch (field.kind) {
    case 'text': case 'textarea': case 'integer': case 'number': return <TextLike {...props} />;
    case 'date': case 'time': case 'datetime': return <DateLike {...props} />;
    case 'boolean': return <Radios {...props} options={[{ code: true, label: 'Ja' }, { code: false, label: 'Nee' }]} />;
    case 'choice': return (field.choices || []).length <= 4 ? <Radios {...props} options={field.choices} /> : <Select {...props} />;
    case 'multichoice': return <Checkboxes {...props} />;
    case 'location': return <LocationField {...props} />;
    case 'photo': return <PhotoField {...props} />;
    default: return null;
  }
}

function TextLike({ id, field, value, draft, error, disabled, onDraft, onCommit, onFocus }) {
  const numeric = field.kind === 'integer' || field.kind === 'number';
  const shown = draft !== undefined ? draft : value === null || value === undefined ? '' : numeric ? String(value).replace('.', ',') : value;
  const commit = (text) => {
    if (numeric) {
      const n = parseNumber(field.kind, text);
      onCommit(n, Number.isNaN(n) ? (field.kind === 'integer' ? 'Moet een geheel getal zijn' : 'Moet een getal zijn') : null);
    } else {
      onCommit(text === '' ? null : text);
    }
  };
  const common = {
    id, name: id, value: shown, disabled, onFocus,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy(id, field, error),
    'aria-required': field.required ? 'true' : undefined,
    onInput: (e) => onDraft(e.currentTarget.value),
    onChange: (e) => commit(e.currentTarget.value),
  };
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <Label id={id} field={field} />
      {field.kind === 'textarea'
        ? <textarea {...common} rows={4} maxLength={field.max_length} />
        : <input {...common} type="text" maxLength={field.max_length} autocomplete="off"
            inputMode={numeric ? (field.kind === 'integer' ? 'numeric' : 'decimal') : undefined}
            autocapitalize={field.name === 'licence_plate' ? 'characters' : undefined} />}
      <Help id={id} field={field} error={error} />
    </div>
  );
}

function DateLike({ id, field, value, draft, error, disabled, onDraft, onCommit, onFocus }) {
  const type = field.kind === 'datetime' ? 'datetime-local' : field.kind;
  const shown = draft !== undefined ? draft : field.kind === 'datetime' ? toLocalInput(value) : value || '';
  // The native picker speaks the browser's language (and may show AM/PM): say it in Dutch beside it.
  const moment = field.kind === 'datetime' ? (draft !== undefined ? fromLocalInput(draft) : value) : shown;
  const dutch = formatMoment(field.kind, moment);
  const described = [describedBy(id, field, error), dutch && `${id}-nl`].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <Label id={id} field={field} />
      <div class="date-row">
        <input id={id} name={id} type={type} value={shown} disabled={disabled} onFocus={onFocus}
          aria-invalid={error ? 'true' : undefined} aria-describedby={described}
          onInput={(e) => onDraft(e.currentTarget.value)}
          onChange={(e) => {
            const text = e.currentTarget.value;
            onCommit(field.kind === 'datetime' ? fromLocalInput(text) : text || null);
          }} />
        {field.kind === 'datetime' && !disabled && (
          <button type="button" class="secondary now" onClick={() => onCommit(fromLocalInput(toLocalInput(new Date().toISOString())))}>
            Nu<span class="sr-only">: {field.label}</span>
          </button>
        )}
      </div>
      {dutch && <p class="date-nl" id={`${id}-nl`} data-testid="date-nl">{dutch}</p>}
      <Help id={id} field={field} error={error} />
    </div>
  );
}

function Radios({ id, field, value, error, disabled, onCommit, onFocus, options }) {
  return (
    <fieldset class={`field choices${error ? ' has-error' : ''}`} aria-describedby={describedBy(id, field, error)}>
      <Legend field={field} />
      <div class="options">
        {options.map((option, i) => (
          <label class="option" key={String(option.code)}>
            <input type="radio" name={id} id={i === 0 ? id : undefined} checked={value === option.code} disabled={disabled}
              onFocus={onFocus} onChange={() => onCommit(option.code)} />
            <span>{option.label}</span>
          </label>
        ))}
        {value !== null && value !== undefined && !field.required && !disabled && (
          <button type="button" class="link" onClick={() => onCommit(null)}>Wissen</button>
        )}
      </div>
      <Help id={id} field={field} error={error} />
    </fieldset>
  );
}

function Select({ id, field, value, error, disabled, onCommit, onFocus }) {
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <Label id={id} field={field} />
      <select id={id} name={id} disabled={disabled} onFocus={onFocus} aria-describedby={describedBy(id, field, error)}
        aria-invalid={error ? 'true' : undefined} onChange={(e) => onCommit(e.currentTarget.value || null)}>
        <option value="" selected={!value}>— kies —</option>
        {(field.choices || []).map((c) => <option key={c.code} value={c.code} selected={value === c.code}>{c.label}</option>)}
      </select>
      <Help id={id} field={field} error={error} />
    </div>
  );
}

function Checkboxes({ id, field, value, error, disabled, onCommit, onFocus }) {
  const chosen = Array.isArray(value) ? value : [];
  const toggle = (code, on) => {
    const next = on ? [...chosen.filter((c) => c !== code), code] : chosen.filter((c) => c !== code);
    onCommit(next.length ? next : null);
  };
  return (
    <fieldset class={`field choices${error ? ' has-error' : ''}`} aria-describedby={describedBy(id, field, error)}>
      <Legend field={field} />
      <div class="options">
        {(field.choices || []).map((c, i) => (
          <label class="option" key={c.code}>
            <input type="checkbox" id={i === 0 ? id : undefined} checked={chosen.includes(c.code)} disabled={disabled}
              onFocus={onFocus} onChange={(e) => toggle(c.code, e.currentTarget.checked)} />
            <span>{c.label}</span>
          </label>
        ))}
      </div>
      <Help id={id} field={field} error={error} />
    </fieldset>
  );
}

const sameSpot = (a, b) => Boolean(a && b && a.lat === b.lat && a.lon === b.lon && a.accuracy === b.accuracy);

/**
 * "Gebruik mijn locatie" asks for a fresh fix (maximumAge 0) and keeps improving it for up
 * to IMPROVE_FOR_MS, shown as a draft; the best fix is committed once (one op, one revision)
 * when it is good enough, when time is up, when the form is flushed or left, or when the
 * officer opens the map. A pin placed by hand is never overwritten by a later fix.
 */
function LocationField({ id, field, value, draft, error, disabled, onDraft, onCommit, onFocus, registerFlush }) {
  const [busy, setBusy] = useState(false);
  const [improving, setImproving] = useState(false);
  const [problem, setProblem] = useState(null);
  const [mapOpen, setMapOpen] = useState(false);
  const [sent, setSent] = useState(null); // committed, not yet back from the store
  const mapRef = useRef(null);
  const watch = useRef(null); // {timer, poll, best}
  const draftFix = draft && typeof draft === 'object' ? draft : null;
  const shown = draftFix || (sent && !sameSpot(sent, value) ? sent : value);
  const latest = useRef({});
  latest.current = { onCommit, onDraft, shown };

  // The store caught up with the last fix sent. An earlier commit arriving first (the GPS
  // fix committed when the map opened, then the pin) must not show that older fix meanwhile.
  useEffect(() => { if (sameSpot(sent, value)) setSent(null); }, [value && value.lat, value && value.lon, value && value.accuracy]);

  const commitFix = (fix) => {
    setSent(fix);
    return Promise.resolve(latest.current.onCommit(fix)).then((ok) => {
      if (ok === false) setSent((current) => (current === fix ? null : current)); // not stored
      return ok;
    });
  };

  /** Ends the search; with `keep` the best fix becomes the one committed value. */
  const finish = (keep) => {
    const w = watch.current;
    if (!w) return null;
    watch.current = null;
    clearTimeout(w.timer);
    clearTimeout(w.poll);
    setBusy(false);
    setImproving(false);
    return keep && w.best ? commitFix(w.best) : null;
  };

  useEffect(() => {
    const unregister = registerFlush ? registerFlush(() => finish(true)) : null;
    // A fix left as a draft (the page closed while improving) is committed as it is.
    if (draftFix) commitFix(draftFix);
    return () => { if (unregister) unregister(); finish(true); };
  }, []);

  useEffect(() => {
    if (!mapOpen || !shown || !mapRef.current) return undefined;
    let remove = null;
    let cancelled = false;
    import('../map.js').then(({ pinMap }) => {
      if (cancelled) return;
      remove = pinMap(mapRef.current, latest.current.shown, (pos) => {
        // A pin placed by hand is as exact as the officer's eye: keep the GPS accuracy.
        finish(false);
        const before = latest.current.shown;
        commitFix({ lat: pos.lat, lon: pos.lon, accuracy: before ? before.accuracy : 10 });
      });
    }).catch(() => setProblem('De kaart kan nu niet worden geladen.'));
    return () => { cancelled = true; if (remove) remove(); };
  }, [mapOpen]);

  const locate = () => {
    if (!navigator.geolocation) { setProblem('Dit apparaat geeft geen locatie.'); return; }
    finish(false);
    setBusy(true);
    setProblem(null);
    const w = { timer: null, poll: null, best: null };
    watch.current = w;
    w.timer = setTimeout(() => { if (watch.current === w) finish(true); }, IMPROVE_FOR_MS);
    const onFix = (pos) => {
      if (watch.current !== w) return;
      const fix = {
        lat: Number(pos.coords.latitude.toFixed(7)), lon: Number(pos.coords.longitude.toFixed(7)),
        accuracy: Math.round(pos.coords.accuracy * 10) / 10,
      };
      setBusy(false);
      if (!w.best || fix.accuracy < w.best.accuracy) {
        w.best = fix;
        latest.current.onDraft(fix);
      }
      if (fix.accuracy <= GOOD_ENOUGH_M) finish(true); else setImproving(true);
    };
    const onError = (err) => {
      if (watch.current !== w) return;
      if (w.best) { finish(true); return; } // keep the fix there is
      finish(false);
      setProblem(err.code === 1 ? 'Geen toestemming voor de locatie. Sta locatie toe in de browser.' : 'De locatie kon niet worden bepaald. Probeer het buiten opnieuw of zet de pin op de kaart.');
    };
    // Fresh fixes one after another (a watch is reported rarely by some devices and
    // not at all under emulation): each asks for a new position, never a cached one.
    const ask = (first) => navigator.geolocation.getCurrentPosition(
      (pos) => { onFix(pos); if (watch.current === w) w.poll = setTimeout(() => ask(false), 1500); },
      (err) => { if (first) onError(err); else if (watch.current === w) w.poll = setTimeout(() => ask(false), 1500); },
      { enableHighAccuracy: true, timeout: first ? 20000 : 10000, maximumAge: 0 },
    );
    ask(true);
  };

  const toggleMap = () => {
    // Opening the map means the officer places the pin: stop improving, keep the best fix.
    if (!mapOpen) finish(true);
    setMapOpen(!mapOpen);
  };

  const coarse = shown && shown.accuracy > ACCURACY_WARN_M;
  return (
    <fieldset class={`field location${error ? ' has-error' : ''}`} aria-describedby={describedBy(id, field, error)}>
      <Legend field={field} />
      {shown ? (
        <p class="location-value" id={`${id}-value`}>
          {shown.lat.toFixed(6)}, {shown.lon.toFixed(6)} <span class="accuracy" data-testid="accuracy">nauwkeurigheid ± {Math.round(shown.accuracy)} m</span>
        </p>
      ) : <p class="muted">Nog geen locatie.</p>}
      {improving && <p class="muted small" role="status">De locatie wordt nog nauwkeuriger gemaakt…</p>}
      {coarse && (
        <p class="warning" role="status">
          Let op: de locatie is onnauwkeurig (± {Math.round(shown.accuracy)} m, meer dan {ACCURACY_WARN_M} m). Controleer de pin op de kaart.
        </p>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
      {!disabled && (
        <div class="row">
          <button type="button" id={id} onClick={locate} onFocus={onFocus} disabled={busy}>
            {busy ? 'Locatie bepalen…' : 'Gebruik mijn locatie'}
          </button>
          {shown && (
            <button type="button" class="secondary" aria-expanded={mapOpen ? 'true' : 'false'} onClick={toggleMap}>
              {mapOpen ? 'Kaart sluiten' : 'Pin op kaart aanpassen'}
            </button>
          )}
        </div>
      )}
      {mapOpen && shown && <div class="pin-map" ref={mapRef} role="application" aria-label="Kaart: tik of versleep de pin om de locatie te verbeteren" />}
      <Help id={id} field={field} error={error} />
    </fieldset>
  );
}

export function PhotoThumb({ photo, alt }) {
  const [url, setUrl] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    photoUrl(photo).then((u) => live && setUrl(u)).catch(() => live && setFailed(true));
    return () => { live = false; };
  }, [photo && photo.sha256]);
  if (failed) return <span class="thumb missing">Foto niet beschikbaar (offline)</span>;
  return url ? <img class="thumb" src={url} alt={alt} /> : <span class="thumb loading">Foto laden…</span>;
}

export function PhotoInput({ id, label, onPhoto, disabled, onFocus }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  return (
    <div class="photo-input">
      <label for={id} class={`button${disabled ? ' disabled' : ''}`}>{busy ? 'Foto verwerken…' : label}</label>
      <input id={id} class="visually-hidden-file" type="file" accept="image/*" capture="environment" disabled={disabled || busy} onFocus={onFocus}
        onChange={async (e) => {
          const file = e.currentTarget.files && e.currentTarget.files[0];
          e.currentTarget.value = '';
          if (!file) return;
          setBusy(true);
          setProblem(null);
          try {
            await onPhoto(file);
          } catch (err) {
            setProblem(isQuotaError(err) ? 'Geen opslagruimte meer op dit apparaat voor deze foto.' : `De foto kon niet worden verwerkt: ${err.message || err}`);
          } finally {
            setBusy(false);
          }
        }} />
      {problem && <p class="error" role="alert">{problem}</p>}
    </div>
  );
}

function PhotoField({ id, field, value, error, disabled, onCommit, onFocus, onPhoto }) {
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <p class="label-like" id={`${id}-label`}>{field.label}</p>
      {value && <PhotoThumb photo={value} alt={field.label} />}
      {!disabled && <PhotoInput id={id} label={value ? 'Andere foto maken' : 'Foto maken'} onFocus={onFocus} onPhoto={async (file) => onCommit(await onPhoto(file))} />}
      <Help id={id} field={field} error={error} />
    </div>
  );
}
