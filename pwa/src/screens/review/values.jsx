// Values as a team leader reads them: code lists in Dutch, days as dd-mm-jjjj, groups item
// by item, photos that enlarge, a place on a map; and keys (`parties[p1].licence_plate`)
// as labels ("Partijen 2: Kenteken").
import { useEffect, useRef, useState } from 'preact/hooks';
import { fieldFor, labelOf } from '../../forms/labels.js';
import { parseKey } from '../../sync/apply.js';
import { STATUS_LABELS, displayValue, formatDate } from '../../ui/format.js';
import { token } from './common.js';

function PhotoView({ photo, label }) {
  const [url, setUrl] = useState(null);
  const [failed, setFailed] = useState(false);
  const [big, setBig] = useState(false);
  const closeRef = useRef(null);
  const openRef = useRef(null);
  useEffect(() => {
    let live = true;
    let made = null;
    fetch(`/api/attachments/${photo.sha256}`, { headers: { Authorization: `Bearer ${token()}` }, cache: 'no-store' })
      .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
      .then((b) => { made = URL.createObjectURL(b); if (live) setUrl(made); })
      .catch(() => live && setFailed(true));
    return () => { live = false; if (made) URL.revokeObjectURL(made); };
  }, [photo.sha256]);
  useEffect(() => {
    if (!big) return undefined;
    if (closeRef.current) closeRef.current.focus();
    const onKey = (e) => { if (e.key === 'Escape') close(); };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [big]);
  const close = () => {
    setBig(false);
    setTimeout(() => openRef.current && openRef.current.focus(), 0);
  };
  if (failed) return <span class="thumb missing">Foto niet beschikbaar</span>;
  if (!url) return <span class="thumb loading">Foto laden…</span>;
  return (
    <>
      <button type="button" class="thumb-button" ref={openRef} onClick={() => setBig(true)} aria-label={`${label} vergroten`}>
        <img class="thumb" src={url} alt={label} />
      </button>
      {big && (
        <div class="photo-large" role="dialog" aria-modal="true" aria-label={label}>
          <img src={url} alt={label} />
          <button type="button" ref={closeRef} onClick={close}>Sluiten</button>
        </div>
      )}
    </>
  );
}

/** The place on a map (Leaflet, a lazy chunk) with the accuracy circle; opened on request. */
export function LocationView({ value }) {
  const [open, setOpen] = useState(false);
  const [problem, setProblem] = useState(null);
  const ref = useRef(null);
  useEffect(() => {
    if (!open || !ref.current) return undefined;
    let remove = null;
    let cancelled = false;
    import('../../map.js').then(({ locationMap }) => {
      if (!cancelled) remove = locationMap(ref.current, value);
    }).catch(() => setProblem('De kaart kan nu niet worden geladen.'));
    return () => { cancelled = true; if (remove) remove(); };
  }, [open, value.lat, value.lon, value.accuracy]);
  return (
    <>
      <span>{displayValue({ kind: 'location' }, value)}</span>
      <span class="map-toggle">
        <button type="button" class="secondary small" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(!open)}>
          {open ? 'Kaart verbergen' : 'Kaart tonen'}
        </button>
      </span>
      {problem && <span class="error-text" role="alert">{problem}</span>}
      {open && <div ref={ref} class="review-map" role="region" aria-label={`Kaart: de locatie met een cirkel van ${Math.round(value.accuracy || 0)} meter nauwkeurigheid`} />}
    </>
  );
}

/** A value as the reader reads it: code lists in Dutch, groups item by item, photos shown. */
export function ValueView({ field, value, map = false }) {
  if (value === null || value === undefined || value === '') return <>—</>;
  if (!field) return <>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</>;
  if (field.kind === 'photo' && value.sha256) return <PhotoView photo={value} label={field.label} />;
  if (field.kind === 'location' && map && typeof value.lat === 'number') return <LocationView value={value} />;
  if (field.kind === 'date' && typeof value === 'string') return <>{formatDate(value)}</>;
  if (field.kind === 'time' && typeof value === 'string') return <>{value.slice(0, 5)} uur</>;
  if (field.kind === 'group') {
    const list = Array.isArray(value) ? value.filter((i) => i && !i.removed) : value && typeof value === 'object' && !value.id ? [] : [value];
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

// Keys in a revision or decision that say what happened rather than set a field.
const BOOKKEEPING = new Set(['conflict', 'amendment', 'decision']);

const EXTRA = {
  status: { name: 'status', label: 'Status', kind: 'choice', choices: Object.entries(STATUS_LABELS).map(([code, label]) => ({ code, label })) },
  comment: { name: 'comment', label: 'Toelichting teamleider', kind: 'textarea' },
  withdraw_reason: { name: 'withdraw_reason', label: 'Reden van intrekken', kind: 'textarea' },
};

/** The definition behind a key, also for keys outside the form (status, comment). */
export function fieldOf(form, key) {
  if (EXTRA[key]) return EXTRA[key];
  return form ? fieldFor(form, key) : null;
}

/** "Partijen 2: Kenteken": the item's place in its list, so two parties read apart. */
export function keyLabel(form, data, key) {
  if (EXTRA[key]) return EXTRA[key].label;
  const [head, sub] = key.split('].');
  const item = parseKey(sub ? `${head}]` : key);
  if (!item || !form) return labelOf(form, key);
  const group = form.fields.find((f) => f.name === item.group);
  const items = Array.isArray(data && data[item.group]) ? data[item.group].filter((i) => i && !i.removed) : [];
  const n = items.findIndex((i) => i.id === item.id);
  const groupLabel = `${group ? group.label : item.group}${n >= 0 ? ` ${n + 1}` : ''}`;
  if (!sub) return groupLabel;
  const field = group && (group.fields || []).find((f) => f.name === sub);
  return `${groupLabel}: ${field ? field.label : sub}`;
}

/**
 * A `set` as one entry per field: an item's fields each on their own (`group[id].field`),
 * a removed item as the item's key with null. Bookkeeping keys are left out.
 */
export function expandSet(set) {
  const out = [];
  for (const [key, value] of Object.entries(set || {})) {
    if (BOOKKEEPING.has(key)) continue;
    if (parseKey(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [sub, subValue] of Object.entries(value)) {
        if (sub !== 'id') out.push([`${key}.${sub}`, subValue]);
      }
    } else out.push([key, value]);
  }
  return out;
}

/** The record's current value at an expanded key. */
export function currentValue(data, key) {
  const [head, sub] = key.split('].');
  const item = parseKey(sub ? `${head}]` : key);
  if (!item) return (data || {})[key];
  const found = ((data || {})[item.group] || []).find((i) => i && i.id === item.id && !i.removed);
  if (!found) return undefined;
  return sub ? found[sub] : found;
}

export function KeyValue({ form, fieldKey, value }) {
  return <ValueView field={fieldOf(form, fieldKey)} value={value} />;
}
