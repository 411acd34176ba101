// Areas for a beheerder (online, through /api/areas): list, end one, upload GeoJSON.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { requireActive } from '../../store/session.js';
import { formatDateTime } from '../../ui/format.js';

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

function ended(area) {
  const until = area.properties.valid_until;
  return until && Date.parse(until) <= Date.now();
}

export function AreasSection({ areas, problem, reload }) {
  const [text, setText] = useState('');
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);

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
