// Area notices for a beheerder (online, through /api/notices): write one on an area or on
// a point with a radius (picked on the map, or typed), preview who it reaches, send; per
// notice the accepted sends.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { requireActive } from '../../store/session.js';
import { formatDateTime, fromLocalInput, toLocalInput } from '../../ui/format.js';
import { problemText } from './Areas.jsx';
import { useLazyMap } from './maps.js';

const PRIORITY_LABELS = { 1: 'Hoog', 2: 'Middel', 3: 'Laag' };

function emptyDraft() {
  const now = new Date();
  return {
    title: '', body: '', where: 'area', area_id: '', lat: '', lon: '', radius_m: '200', priority: '2',
    valid_from: toLocalInput(now.toISOString()),
    valid_until: toLocalInput(new Date(now.getTime() + 24 * 3600_000).toISOString()),
    send_at: toLocalInput(now.toISOString()),
  };
}

function bodyOf(d) {
  const body = { title: d.title, body: d.body, priority: Number(d.priority),
    valid_from: fromLocalInput(d.valid_from), valid_until: fromLocalInput(d.valid_until),
    send_at: fromLocalInput(d.send_at) };
  if (d.where === 'area') body.area_id = d.area_id ? Number(d.area_id) : null;
  else {
    body.point = { lat: Number(d.lat), lon: Number(d.lon) };
    body.radius_m = Number(d.radius_m);
  }
  return body;
}

/** The notice's place on the map: a tap picks the point (its radius drawn around it), a
 * chosen area is drawn. The typed fields stay, for a keyboard and for exact values. */
function PlaceMap({ areas, draft, onPick }) {
  const ref = useRef(null);
  const controls = useLazyMap(ref, areas !== null, (module, element) => module.pickMap(element, { areas, onPick }));
  const point = draft.lat !== '' && draft.lon !== '' && Number.isFinite(Number(draft.lat)) && Number.isFinite(Number(draft.lon))
    ? { lat: Number(draft.lat), lon: Number(draft.lon) } : null;
  const area = draft.where === 'area' ? (areas || []).find((a) => String(a.id) === String(draft.area_id)) : null;
  useEffect(() => {
    if (!controls) return;
    if (draft.where === 'area') controls.show({ area });
    else controls.show({ point, radius_m: Number(draft.radius_m) || 0 });
  }, [controls, draft.where, draft.area_id, draft.lat, draft.lon, draft.radius_m, area]);
  return (
    <>
      <p class="note" id="place-help">{draft.where === 'area' ? 'De kaart toont het gekozen gebied.'
        : 'Tik of klik op de kaart om het punt te kiezen; de cirkel toont de straal.'}</p>
      <div ref={ref} class="admin-map pick-map" role="region" aria-label="Kaart met de plaats van het bericht" aria-describedby="place-help" />
    </>
  );
}

export function NoticesSection({ areas }) {
  const [notices, setNotices] = useState(null);
  const [draft, setDraft] = useState(emptyDraft());
  const [preview, setPreview] = useState(null);
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);

  const reload = async () => {
    try {
      setNotices((await api('/notices', { token: requireActive().token })).items);
    } catch (e) { setError(problemText(e)); }
  };
  useEffect(() => { reload(); }, []);

  const set = (name) => (e) => { setDraft({ ...draft, [name]: e.currentTarget.value }); setPreview(null); };

  const askPreview = async () => {
    setError(null); setMessage(null);
    try {
      setPreview(await api('/notices/preview', { method: 'POST', token: requireActive().token, body: bodyOf(draft) }));
    } catch (e) { setError(problemText(e)); }
  };

  const send = async (event) => {
    event.preventDefault();
    setError(null); setMessage(null);
    try {
      await api('/notices', { method: 'POST', token: requireActive().token, body: bodyOf(draft) });
      setMessage(`Gebiedsbericht ‘${draft.title}’ is opgeslagen en wordt verstuurd op het verzendtijdstip.`);
      setDraft(emptyDraft());
      setPreview(null);
      await reload();
    } catch (e) { setError(problemText(e)); }
  };

  const current = (areas || []).filter((a) => !a.properties.valid_until || Date.parse(a.properties.valid_until) > Date.now());
  const field = (id, label, input) => (
    <div class="field"><label for={id}>{label}</label>{input}</div>
  );
  return (
    <section aria-labelledby="notices-heading">
      <h2 id="notices-heading">Gebiedsberichten</h2>
      <form class="admin-form" onSubmit={send}>
        <h3>Nieuw gebiedsbericht</h3>
        <p class="warning" id="title-warning">Let op: de titel kan als melding op een vergrendeld
          telefoonscherm te zien zijn. Zet geen namen, adressen of andere gevoelige gegevens in de titel;
          de tekst van het bericht lezen agenten pas in de ontgrendelde app.</p>
        {field('notice-title', 'Titel', <input id="notice-title" required maxLength={120} aria-describedby="title-warning" value={draft.title} onInput={set('title')} />)}
        {field('notice-body', 'Tekst', <textarea id="notice-body" rows={4} value={draft.body} onInput={set('body')} />)}
        <fieldset class="field">
          <legend>Waar</legend>
          <label><input type="radio" name="where" value="area" checked={draft.where === 'area'} onChange={set('where')} /> Een gebied</label>
          <label><input type="radio" name="where" value="point" checked={draft.where === 'point'} onChange={set('where')} /> Een punt met straal</label>
        </fieldset>
        {draft.where === 'area' ? field('notice-area', 'Gebied', (
          <select id="notice-area" value={draft.area_id} onChange={set('area_id')}>
            <option value="">— kies een gebied —</option>
            {current.map((a) => <option key={a.id} value={a.id}>{a.properties.name}</option>)}
          </select>
        )) : (
          <>
            {field('notice-lat', 'Breedtegraad (bijv. 52.0907)', <input id="notice-lat" inputMode="decimal" value={draft.lat} onInput={set('lat')} />)}
            {field('notice-lon', 'Lengtegraad (bijv. 5.1214)', <input id="notice-lon" inputMode="decimal" value={draft.lon} onInput={set('lon')} />)}
            {field('notice-radius', 'Straal in meters', <input id="notice-radius" type="number" min="1" value={draft.radius_m} onInput={set('radius_m')} />)}
          </>
        )}
        <PlaceMap areas={areas} draft={draft}
          onPick={({ lat, lon }) => {
            setDraft((d) => (d.where === 'point' ? { ...d, lat: String(lat), lon: String(lon) } : d));
            setPreview(null);
          }} />
        {field('notice-priority', 'Prioriteit', (
          <select id="notice-priority" value={draft.priority} onChange={set('priority')}>
            {[1, 2, 3].map((p) => <option key={p} value={p}>{PRIORITY_LABELS[p]}</option>)}
          </select>
        ))}
        {field('notice-from', 'Geldig vanaf', <input id="notice-from" type="datetime-local" value={draft.valid_from} onInput={set('valid_from')} />)}
        {field('notice-until', 'Geldig tot', <input id="notice-until" type="datetime-local" value={draft.valid_until} onInput={set('valid_until')} />)}
        {field('notice-send', 'Verzenden op', <input id="notice-send" type="datetime-local" value={draft.send_at} onInput={set('send_at')} />)}
        <button type="button" class="secondary" onClick={askPreview}>Wie bereikt dit bericht?</button>
        {preview && (
          <p class="info" role="status" data-testid="notice-preview">
            Teams: {preview.teams.length ? preview.teams.map((t) => t.name).join(', ') : 'geen'}.
            {' '}Apparaten met meldingen aan: {preview.subscribed_devices}.
          </p>
        )}
        <button type="submit">Versturen</button>
      </form>
      {message && <p class="info" role="status">{message}</p>}
      {error && <p class="warning" role="alert">{error}</p>}
      <h3>Verstuurde en geplande berichten</h3>
      {notices && notices.length === 0 && <p>Nog geen gebiedsberichten.</p>}
      {notices && notices.length > 0 && (
        <ul class="admin-list" data-testid="notice-list">
          {notices.map((n) => (
            <li key={n.id}>
              <strong>{n.title}</strong> · prioriteit {PRIORITY_LABELS[n.priority]}<br />
              <span class="note">Geldig tot {formatDateTime(n.valid_until)} · verzenden op {formatDateTime(n.send_at)}
                {' '}· <span data-testid="sends-accepted">door de pushdienst aangenomen: {n.sends_accepted ?? 0}</span></span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
