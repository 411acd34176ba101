// Areas for a beheerder (online, through /api/areas): list, end one, draw one on the map
// or upload GeoJSON.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { requireActive } from '../../store/session.js';
import { formatDateTime, fromLocalInput } from '../../ui/format.js';
import { useLazyMap } from './maps.js';

const KIND_LABELS = { wijk: 'Wijk', attention: 'Aandachtsgebied' };

export function problemText(error) {
  const details = error.errors ? Object.entries(error.errors).map(([k, v]) => `${k}: ${[].concat(v).join(', ')}`) : [];
  return [error.message, ...details].join(' — ');
}

export function useAreas() {
  const [areas, setAreas] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = async () => {
    try {
      const body = await api('/areas', { token: requireActive().token });
      setAreas(body.features);
      setProblem(null);
    } catch (error) {
      setProblem(problemText(error));
    }
  };
  useEffect(() => { reload(); }, []);
  return { areas, problem, reload };
}

/** The teams a beheerder may give an area (GET /api/teams), or [] when unreachable. */
function useTeams() {
  const [teams, setTeams] = useState([]);
  useEffect(() => {
    api('/teams', { token: requireActive().token }).then((body) => setTeams(body.teams)).catch(() => setTeams([]));
  }, []);
  return teams;
}

/**
 * Drawing an area on the map: a tap or click adds a corner; undo, start over, or add the
 * map's centre (keyboard: the arrow keys pan the map). Saved as a GeoJSON Feature.
 */
function DrawArea({ areas, onSaved, onError }) {
  const teams = useTeams();
  const mapRef = useRef(null);
  const [corners, setCorners] = useState([]);
  const [props, setProps] = useState({ name: '', kind: 'attention', team: '', reason: '', valid_until: '' });
  const controls = useLazyMap(mapRef, areas !== null, (module, element) => module.drawMap(element, { areas, onChange: setCorners }));
  const set = (name) => (e) => setProps({ ...props, [name]: e.currentTarget.value });

  const save = async (event) => {
    event.preventDefault();
    const feature = {
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [[...corners, corners[0]]] },
      properties: {
        name: props.name, kind: props.kind, reason: props.reason,
        team: props.team ? Number(props.team) : null,
        valid_until: props.valid_until ? fromLocalInput(props.valid_until) : null,
      },
    };
    try {
      await api('/areas', { method: 'POST', token: requireActive().token, body: feature });
      if (controls) controls.clear();
      setProps({ ...props, name: '', reason: '', valid_until: '' });
      await onSaved('Gebied opgeslagen.');
    } catch (e) { onError(problemText(e)); }
  };

  return (
    <form class="admin-form" onSubmit={save} aria-labelledby="draw-heading">
      <h3 id="draw-heading">Gebied tekenen op de kaart</h3>
      <p class="note" id="draw-help">Tik of klik op de kaart om de hoekpunten te zetten, minstens drie, in volgorde
        langs de rand. Met het toetsenbord: verschuif de kaart met de pijltjestoetsen en zet met
        ‘Punt in het midden’ een hoekpunt in het midden van de kaart.</p>
      <div ref={mapRef} class="admin-map draw-map" role="region" aria-label="Tekenkaart voor een nieuw gebied" aria-describedby="draw-help" />
      <p aria-live="polite" data-testid="draw-count">{corners.length === 1 ? '1 hoekpunt' : `${corners.length} hoekpunten`}</p>
      <div class="button-row">
        <button type="button" class="small secondary" disabled={!controls} onClick={() => controls.addCentre()}>Punt in het midden</button>
        <button type="button" class="small secondary" disabled={!corners.length} onClick={() => controls.undo()}>Laatste punt weg</button>
        <button type="button" class="small secondary" disabled={!corners.length} onClick={() => controls.clear()}>Opnieuw beginnen</button>
      </div>
      <div class="field"><label for="draw-name">Naam</label>
        <input id="draw-name" required maxLength={120} value={props.name} onInput={set('name')} /></div>
      <div class="field"><label for="draw-kind">Soort</label>
        <select id="draw-kind" value={props.kind} onChange={set('kind')}>
          <option value="attention">Aandachtsgebied</option>
          <option value="wijk">Wijk</option>
        </select></div>
      <div class="field"><label for="draw-team">Team</label>
        <select id="draw-team" value={props.team} onChange={set('team')}>
          <option value="">Geen team (alle teams)</option>
          {teams.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
        </select></div>
      <div class="field"><label for="draw-reason">Reden</label>
        <input id="draw-reason" maxLength={1000} value={props.reason} onInput={set('reason')} /></div>
      <div class="field"><label for="draw-until">Einde (leeg: geen einde)</label>
        <input id="draw-until" type="datetime-local" value={props.valid_until} onInput={set('valid_until')} /></div>
      <button type="submit" disabled={corners.length < 3 || !props.name.trim()}>Tekening opslaan</button>
    </form>
  );
}

function ended(area) {
  const until = area.properties.valid_until;
  return until && Date.parse(until) <= Date.now();
}

export function AreasSection({ areas, problem, reload }) {
  const [text, setText] = useState('');
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [drawing, setDrawing] = useState(false);

  const end = async (area) => {
    setMessage(null); setError(null);
    try {
      await api(`/areas/${area.id}`, { method: 'PATCH', token: requireActive().token,
        body: { properties: { valid_until: new Date().toISOString() } } });
      setMessage(`Gebied ‘${area.properties.name}’ is beëindigd.`);
      await reload();
    } catch (e) { setError(problemText(e)); }
  };

  const upload = async (event) => {
    event.preventDefault();
    setMessage(null); setError(null);
    let body;
    try { body = JSON.parse(text); } catch { setError('Dit is geen geldige JSON.'); return; }
    try {
      const made = await api('/areas', { method: 'POST', token: requireActive().token, body });
      const count = made.type === 'FeatureCollection' ? made.features.length : 1;
      setMessage(count === 1 ? 'Gebied opgeslagen.' : `${count} gebieden opgeslagen.`);
      setText('');
      await reload();
    } catch (e) { setError(problemText(e)); }
  };

  const readFile = async (event) => {
    const file = event.currentTarget.files && event.currentTarget.files[0];
    if (file) setText(await file.text());
  };

  return (
    <section aria-labelledby="areas-heading">
      <h2 id="areas-heading">Gebieden</h2>
      {problem && <p class="warning" role="alert">{problem}</p>}
      {areas && areas.length === 0 && <p>Nog geen gebieden.</p>}
      {areas && areas.length > 0 && (
        <ul class="admin-list" data-testid="area-list">
          {areas.map((area) => (
            <li key={area.id}>
              <strong>{area.properties.name}</strong> · {KIND_LABELS[area.properties.kind] || area.properties.kind}
              {area.properties.reason ? ` · ${area.properties.reason}` : ''}
              <br />
              <span class="note">{ended(area) ? 'Beëindigd' : 'Geldig'}{area.properties.valid_until ? ` tot ${formatDateTime(area.properties.valid_until)}` : ''}</span>
              {!ended(area) && (
                <button type="button" class="small secondary" onClick={() => end(area)}
                  aria-label={`Gebied ${area.properties.name} beëindigen`}>Beëindigen</button>
              )}
            </li>
          ))}
        </ul>
      )}
      {drawing ? (
        <DrawArea areas={areas} onError={setError}
          onSaved={async (text) => { setError(null); setMessage(text); await reload(); }} />
      ) : (
        <button type="button" class="secondary" onClick={() => { setMessage(null); setDrawing(true); }}>Gebied tekenen op de kaart</button>
      )}
      <form class="admin-form" onSubmit={upload}>
        <h3>Gebied toevoegen (GeoJSON)</h3>
        <p class="note">Een Feature of FeatureCollection met een Polygon of MultiPolygon in WGS84
          ([lengtegraad, breedtegraad]) en de eigenschappen name, kind (wijk of attention), reason,
          team, valid_from en valid_until.</p>
        <div class="field">
          <label for="area-file">GeoJSON-bestand</label>
          <input id="area-file" type="file" accept=".geojson,.json,application/geo+json,application/json" onChange={readFile} />
        </div>
        <div class="field">
          <label for="area-json">Of plak de GeoJSON</label>
          <textarea id="area-json" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={!text.trim()}>Gebied opslaan</button>
      </form>
      {message && <p class="info" role="status">{message}</p>}
      {error && <p class="warning" role="alert">{error}</p>}
    </section>
  );
}
