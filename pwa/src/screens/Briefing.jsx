// The officer's briefing: what matters where they stand, evaluated on the device from the
// pulled areas, notices and hotspots, so it works offline. The position is watched only
// while this screen is open (and so the app unlocked and on screen): a PWA has no
// background geofencing.
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentForms } from '../forms/definitions.js';
import { evaluate, loadGeo, registrationPoints } from '../geo/briefing.js';
import { prefetchWijkTiles, wijkTiles } from '../geo/tiles.js';
import { active } from '../store/session.js';
import { changes, loadRecords } from '../store/records.js';
import { useObservable } from '../ui/observable.js';

const KIND_LABELS = { notice: 'Gebiedsbericht', area: 'Aandachtsgebied', hotspot: 'Hotspot', registration: 'Registratie' };
const PRIORITY_LABELS = { 1: 'Hoog', 2: 'Middel', 3: 'Laag' };

function typeLabel(type) {
  const defs = currentForms();
  const form = defs && defs.forms.find((f) => f.type === type);
  return form ? form.label : type;
}

function titleOf(item) {
  if (item.kind === 'hotspot') return `Hotspot ${typeLabel(item.type)}`;
  if (item.kind === 'registration') return typeLabel(item.type);
  return item.title;
}

function distanceText(metres) {
  if (metres < 1) return 'hier';
  if (metres < 1000) return `${Math.round(metres)} m`;
  return `${(metres / 1000).toFixed(1).replace('.', ',')} km`;
}

function megabytes(bytes) {
  const mb = bytes / (1024 * 1024);
  if (mb < 0.1) return `${Math.ceil(bytes / 1024)} kB`;
  return `${mb >= 10 ? Math.round(mb) : mb.toFixed(1).replace('.', ',')} MB`;
}

/** What the device holds of the own wijk's map for offline use (geo/tiles.js). */
export function WijkMapStatus() {
  const t = useObservable(wijkTiles);
  useEffect(() => { prefetchWijkTiles(); }, []);
  let text = null;
  if (t.state === 'done') text = `Kaart van uw wijk offline beschikbaar: ${megabytes(t.bytes)}`;
  else if (t.state === 'running') text = `Kaart van uw wijk wordt offline opgeslagen: ${t.have} van ${t.total} kaartdelen (${megabytes(t.bytes)})`;
  else if (t.state === 'capped') {
    text = `Kaart van uw wijk deels offline beschikbaar: ${megabytes(t.bytes)}. De grens van ${megabytes(t.maxBytes)} is bereikt; de fijnste zoomniveaus ontbreken deels.`;
  } else if (t.state === 'paused') {
    text = t.total ? `Kaart van uw wijk: ${t.have} van ${t.total} kaartdelen offline (${megabytes(t.bytes)}). Het ophalen gaat verder bij de volgende synchronisatie.`
      : 'Kaart van uw wijk: nog niet offline opgeslagen. Dat gebeurt bij de volgende synchronisatie.';
  } else if (t.state === 'none') text = 'Er is geen wijk van uw team op dit apparaat; er staat geen kaart offline.';
  if (!text) return null;
  return <p class="note" role="status" data-testid="wijk-map-status" data-state={t.state}>{text}</p>;
}

export function BriefingScreen() {
  const [geo, setGeo] = useState(null);
  const [point, setPoint] = useState(null);
  const [problem, setProblem] = useState(null);
  const [showMap, setShowMap] = useState(false);
  const version = useObservable(changes);
  const mapRef = useRef(null);
  const mapApi = useRef(null);

  useEffect(() => {
    const s = active();
    if (s) {
      Promise.all([loadGeo(s), loadRecords()]).then(([g, records]) => setGeo({ ...g, registrations: registrationPoints(records) }));
    }
  }, [version]);

  useEffect(() => {
    if (!navigator.geolocation) { setProblem('Dit apparaat geeft geen locatie.'); return undefined; }
    const id = navigator.geolocation.watchPosition(
      (pos) => { setProblem(null); setPoint({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy }); },
      (error) => setProblem(error.code === 1 ? 'Wijkpost mag uw locatie niet gebruiken. Sta locatie toe in de instellingen van de browser.' : 'Uw locatie is nu niet bekend.'),
      { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 },
    );
    return () => navigator.geolocation.clearWatch(id);
  }, []);

  useEffect(() => {
    if (!showMap || !geo || !point || !mapRef.current) return undefined;
    if (mapApi.current) { mapApi.current.update(point); return undefined; }
    let cancelled = false;
    import('../map.js').then(({ briefingMap }) => {
      if (!cancelled && mapRef.current) mapApi.current = briefingMap(mapRef.current, geo, point);
    });
    return () => { cancelled = true; };
  }, [showMap, geo, point]);

  useEffect(() => () => { if (mapApi.current) mapApi.current.remove(); mapApi.current = null; }, [showMap, geo]);

  const items = geo && point ? evaluate(geo, point) : [];
  return (
    <main id="main" tabIndex={-1}>
      <h1>Briefing</h1>
      <p class="note">Wat speelt er waar u nu bent. Berekend op dit apparaat, ook zonder verbinding,
        met de gegevens van de laatste synchronisatie.</p>
      <WijkMapStatus />
      {problem && <p class="warning" role="alert">{problem}</p>}
      {!point && !problem && <p role="status">Locatie bepalen…</p>}
      {point && (
        <section aria-labelledby="briefing-items">
          <h2 id="briefing-items">Hier van belang</h2>
          <div aria-live="polite" data-testid="briefing-list">
            {items.length === 0 && <p>Niets bijzonders op deze plek.</p>}
            {items.length > 0 && (
              <ul class="briefing-list">
                {items.map((item) => (
                  <li key={`${item.kind}:${item.id}`} class={`briefing-item priority-${item.priority}`}>
                    <p class="briefing-kind">{KIND_LABELS[item.kind]} · prioriteit {PRIORITY_LABELS[item.priority] || item.priority} · {distanceText(item.distance_m)}</p>
                    <h3>{item.kind === 'registration' ? <a href={`#/r/${item.id}`}>{titleOf(item)}</a>
                      : item.kind === 'notice' ? <a href={`#/notices/${item.id}`}>{titleOf(item)}</a> : titleOf(item)}</h3>
                    {item.body && <p class="briefing-body">{item.body}</p>}
                    {item.reason && <p class="briefing-body">{item.reason}</p>}
                    {item.kind === 'hotspot' && <p class="briefing-body">{item.count} registraties</p>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </section>
      )}
      <button type="button" class="secondary" aria-expanded={showMap ? 'true' : 'false'} onClick={() => setShowMap(!showMap)}>
        {showMap ? 'Kaart verbergen' : 'Kaart tonen'}
      </button>
      {showMap && <div ref={mapRef} class="briefing-map" role="region" aria-label="Kaart met gebieden, berichten en hotspots" />}
    </main>
  );
}
