// The menu's screens: sync status in full (what waits, what was refused and why),
// settings (auto-lock, what the browser's storage means) and logging out.
import { useEffect, useState } from 'preact/hooks';
import { NetworkError, api } from '../api.js';
import { currentForm, labelOf } from '../forms/labels.js';
import { ownDeviceName, refreshNames, rememberDeviceName, useNames } from '../store/names.js';
import { changes, dismissRejected, loadRejected } from '../store/records.js';
import { active, logout, session } from '../store/session.js';
import { syncNow, syncStatus } from '../sync/client.js';
import { setMeta } from '../store.js';
import { formatDateTime, plural, timeAgo, TYPE_SHORT } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';
import { currentSubscription, disablePush, enablePush, pushSupported } from '../push.js';
import { lockMinutes, setLockMinutes } from '../ui/idle.js';

function explain(entry, form) {
  if (entry.kind === 'amendment') return 'Bewaard als aanvulling: de registratie was al goedgekeurd. De teamleider ziet de aanvulling.';
  if (entry.reason === 'too_large') return 'Niet verstuurd: deze wijziging is groter dan de server aanneemt. Maak de teksten korter en sla opnieuw op; de ingevulde waarden staan hierboven bewaard.';
  if (entry.reason === 'not_found') return 'Niet verwerkt: de registratie bestaat niet meer of is niet meer zichtbaar voor u.';
  const errs = entry.errors ? Object.entries(entry.errors).map(([k, v]) => `${labelOf(form, k)}: ${[].concat(v).join(', ')}`).join('; ') : 'ongeldige wijziging';
  return `Geweigerd: ${errs}. Open de registratie, pas haar aan en sla opnieuw op.`;
}

export function SyncScreen() {
  const status = useObservable(syncStatus);
  const version = useObservable(changes);
  const [rejected, setRejected] = useState([]);
  useEffect(() => { loadRejected().then(setRejected); }, [version]);
  return (
    <main id="main" tabIndex={-1}>
      <h1>Synchronisatie</h1>
      <dl class="facts">
        <dt>Verbinding</dt><dd>{status.online ? 'Online' : 'Geen verbinding'}</dd>
        <dt>Nog niet verstuurd</dt><dd data-testid="sync-pending">{status.pendingRecords === 0 ? 'niets' : plural(status.pendingRecords, 'registratie', 'registraties')}</dd>
        <dt>Foto’s nog te uploaden</dt><dd>{status.photosWaiting}</dd>
        <dt>Laatst gesynchroniseerd</dt><dd>{status.lastSyncAt ? `${formatDateTime(status.lastSyncAt)} (${timeAgo(status.lastSyncAt)})` : 'nog nooit'}</dd>
        {status.progress && <><dt>Voortgang</dt><dd>{status.progress.changes} opgehaald</dd></>}
        <dt>Laatste fout</dt><dd>{status.error || 'geen'}</dd>
      </dl>
      <button type="button" class="primary" onClick={() => syncNow()} disabled={status.running}>Nu synchroniseren</button>
      {status.updateRequired && <p class="warning">Er is een nieuwe versie van de app nodig. Uw wijzigingen blijven bewaard.</p>}

      <h2>Geweigerde wijzigingen ({rejected.length})</h2>
      {rejected.length === 0 ? <p class="muted">Geen.</p> : (
        <ul class="rejected-list">
          {rejected.map((entry) => {
            const form = currentForm(entry.op.type);
            return (
              <li key={entry.seq} class="note rejected">
                <a class="block-link" href={`#/r/${entry.record_id}`}>{TYPE_SHORT[entry.op.type] || entry.op.type}: {Object.keys(entry.op.set).map((k) => labelOf(form, k)).join(', ')}</a>
                <span class="muted small"> ({formatDateTime(entry.at)})</span>
                <p>{explain(entry, form)}</p>
                <button type="button" class="link" onClick={() => dismissRejected(entry.seq)}>Gelezen, verwijderen uit de lijst</button>
              </li>
            );
          })}
        </ul>
      )}
    </main>
  );
}

/** Whether the browser keeps the store for sure: null (cannot tell), true or false. */
function usePersisted() {
  const [persisted, setPersisted] = useState(null);
  useEffect(() => {
    if (navigator.storage && navigator.storage.persisted) navigator.storage.persisted().then(setPersisted, () => setPersisted(null));
  }, []);
  return persisted;
}

export function SettingsScreen() {
  const [minutes, setMinutes] = useState(lockMinutes());
  const persisted = usePersisted();
  const user = session.get().user;
  return (
    <main id="main" tabIndex={-1}>
      <h1>Instellingen</h1>
      <p>Ingelogd als {user ? user.display_name : '—'}.</p>
      <div class="field">
        <label for="lock-minutes">Automatisch vergrendelen na</label>
        <select id="lock-minutes" onChange={(e) => { const m = Number(e.currentTarget.value); setMinutes(m); setLockMinutes(m); const s = active(); if (s) setMeta(s.db, 'lockMinutes', m); }}>
          {[1, 2, 5, 10, 15].map((m) => <option key={m} value={m} selected={minutes === m}>{plural(m, 'minuut', 'minuten')}</option>)}
        </select>
      </div>
      <DeviceNameSetting />
      <PushSetting />
      {persisted === false && (
        <div class="note" data-testid="storage-advice">
          <h2>Opslag op dit apparaat</h2>
          <p>De browser mag de gegevens van Wijkpost wissen als de opslag van dit apparaat vol raakt. Wat dan nog niet verstuurd is, gaat verloren.</p>
          <p>Wat u kunt doen: installeer Wijkpost als app (in het menu van de browser: ‘App installeren’ of ‘Toevoegen aan startscherm’), dan bewaart de browser de gegevens. En synchroniseer regelmatig.</p>
        </div>
      )}
    </main>
  );
}

export function LogoutScreen() {
  const [leaving, setLeaving] = useState(null);
  const user = session.get().user;
  const startLogout = async () => {
    setLeaving({ busy: true });
    await syncNow();
    const s = active();
    const left = s ? (await s.db.outbox.orderBy('record_id').uniqueKeys()).length : 0;
    if (left === 0) { await logout(); return; }
    setLeaving({ busy: false, left });
  };
  return (
    <main id="main" tabIndex={-1}>
      <h1>Uitloggen</h1>
      <p>Ingelogd als {user ? user.display_name : '—'}. Bij uitloggen wordt eerst alles verstuurd; daarna worden de gegevens van dit apparaat verwijderd.</p>
      {leaving && leaving.left > 0 ? (
        <div class="note rejected" role="alert">
          <p><strong>Let op:</strong> {plural(leaving.left, 'registratie is', 'registraties zijn')} nog niet (helemaal) verstuurd, want er is geen verbinding. Als u nu uitlogt, gaan die wijzigingen verloren.</p>
          <div class="row">
            <button type="button" class="danger" onClick={() => logout()}>Toch uitloggen en wijzigingen weggooien</button>
            <button type="button" class="secondary" onClick={() => setLeaving(null)}>Niet uitloggen</button>
          </div>
        </div>
      ) : <button type="button" class="primary" onClick={startLogout} disabled={leaving && leaving.busy}>{leaving && leaving.busy ? 'Versturen…' : 'Uitloggen'}</button>}
    </main>
  );
}

/** This device's name as colleagues and the team leader see it; a later login keeps it. */
function DeviceNameSetting() {
  useNames();
  const saved = ownDeviceName();
  const [text, setText] = useState(null); // null: not changed since the saved name
  const [state, setState] = useState({ busy: false, problem: null, done: null });
  useEffect(() => {
    const s = active();
    if (!ownDeviceName() && s) refreshNames(s, { force: true });
  }, []);
  const save = async (event) => {
    event.preventDefault();
    const s = active();
    const name = (text === null ? saved || '' : text).trim();
    if (!name) { setState({ busy: false, problem: 'Vul een naam in.', done: null }); return; }
    setState({ busy: true, problem: null, done: null });
    try {
      const device = await api(`/devices/${s.deviceId}`, { method: 'PATCH', token: s.token, body: { name } });
      await rememberDeviceName(s, device.id, device.name);
      setText(null);
      setState({ busy: false, problem: null, done: `Dit apparaat heet nu ‘${device.name}’.` });
    } catch (error) {
      const problem = error instanceof NetworkError ? 'Geen verbinding: de naam van het apparaat kan alleen online worden gewijzigd.'
        : [error.message, ...Object.values(error.errors || {}).flat()].join(' — ');
      setState({ busy: false, problem, done: null });
    }
  };
  return (
    <section class="field" aria-labelledby="device-heading">
      <h2 id="device-heading">Dit apparaat</h2>
      <form onSubmit={save} noValidate>
        <label for="device-name">Naam van dit apparaat</label>
        <input id="device-name" type="text" maxLength={100} autocomplete="off" value={text === null ? saved || '' : text}
          aria-describedby="device-name-help" onInput={(e) => setText(e.currentTarget.value)} />
        <p id="device-name-help" class="muted small">Zo zien collega’s en de teamleider dit apparaat bij wijzigingen en conflicten. Opnieuw inloggen verandert de naam niet.</p>
        <button type="submit" class="secondary" disabled={state.busy}>Naam opslaan</button>
      </form>
      {state.done && <p class="ok" role="status">{state.done}</p>}
      {state.problem && <p class="error" role="alert">{state.problem}</p>}
    </section>
  );
}

function PushSetting() {
  const [state, setState] = useState({ on: null, busy: false, problem: null });
  useEffect(() => { currentSubscription().then((sub) => setState((old) => ({ ...old, on: !!sub }))).catch(() => {}); }, []);
  const toggle = async () => {
    setState({ ...state, busy: true, problem: null });
    try {
      if (state.on) await disablePush(active() && active().token);
      else await enablePush();
      setState({ on: !state.on, busy: false, problem: null });
    } catch (error) {
      setState({ ...state, busy: false, problem: error.message || 'Meldingen aanzetten lukte niet.' });
    }
  };
  return (
    <section class="field" aria-labelledby="push-heading">
      <h2 id="push-heading">Meldingen van gebiedsberichten</h2>
      {pushSupported() ? (
        <>
          <p>Meldingen staan <strong data-testid="push-state">{state.on ? 'aan' : 'uit'}</strong> op dit apparaat.</p>
          <button type="button" class="secondary" aria-pressed={state.on ? 'true' : 'false'} disabled={state.busy || state.on === null} onClick={toggle}>
            Meldingen {state.on ? 'uit' : 'aan'}zetten
          </button>
        </>
      ) : <p>Deze browser kan geen meldingen ontvangen.</p>}
      {state.problem && <p class="warning" role="alert">{state.problem}</p>}
      <p class="note">Een melding toont alleen de titel van het bericht; die kan op een vergrendeld scherm te zien zijn.
        Op een iPhone of iPad kan dit alleen als Wijkpost als app is geïnstalleerd (‘Zet op beginscherm’).
        Meldingen kunnen vertraagd aankomen (Android in spaarstand, een Chromebook alleen als Chrome draait):
        gebiedsberichten komen ook altijd binnen bij de volgende synchronisatie, onder Briefing.</p>
    </section>
  );
}
