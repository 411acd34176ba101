// Login (online), PIN set-up after the first login, PIN unlock (offline too).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, NetworkError } from '../api.js';
import {
  BlockedByOtherUser, MAX_PIN_FAILURES, discardUserStore, login, session, setPin, unlockWithPin, validPin,
} from '../store/session.js';
import { plural } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';

function loginError(error) {
  if (error instanceof NetworkError) return 'Geen verbinding met de server. Inloggen kan alleen online; met een pincode kunt u offline verder.';
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Gebruikersnaam of wachtwoord klopt niet.';
    if (error.status === 429) return 'Te veel pogingen. Wacht een minuut en probeer het opnieuw.';
    return error.message;
  }
  return error.message || String(error);
}

export function LoginScreen({ relogin = false }) {
  const state = useObservable(session);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [blocked, setBlocked] = useState(null);
  const userRef = useRef(null);
  useEffect(() => { if (userRef.current && !relogin) userRef.current.focus(); }, []);
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await login(String(data.get('username')), String(data.get('password')));
    } catch (err) {
      if (err instanceof BlockedByOtherUser) setBlocked(err.users); else setError(loginError(err));
    } finally {
      setBusy(false);
    }
  };
  const discard = async (entry) => {
    if (!confirm(`Weet u zeker dat u ${plural(entry.count, 'niet-verstuurde wijziging', 'niet-verstuurde wijzigingen')} van ${entry.displayName} wilt weggooien? Dit kan niet ongedaan worden gemaakt.`)) return;
    await discardUserStore(entry);
    setBlocked(null);
  };
  return (
    <main id="main" tabIndex={-1} class="narrow">
      {!relogin && <h1>Wijkpost</h1>}
      <h2>{relogin ? 'Sessie verlopen: log opnieuw in' : 'Inloggen'}</h2>
      {relogin && <p>Uw gegevens op dit apparaat blijven bewaard. Na het inloggen wordt er weer gesynchroniseerd.</p>}
      {state.notice && <p class="info" role="status">{state.notice}</p>}
      <form onSubmit={submit} class="form">
        <div class="field">
          <label for="username">Gebruikersnaam</label>
          <input id="username" name="username" ref={userRef} autocomplete="username" autocapitalize="none" required
            value={relogin && state.user ? state.user.username : undefined} readOnly={relogin} />
        </div>
        <div class="field">
          <label for="password">Wachtwoord</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Bezig…' : 'Inloggen'}</button>
      </form>
      {blocked && (
        <div class="note rejected" role="alert">
          <p>Op dit apparaat staan nog wijzigingen van een andere gebruiker die niet zijn verstuurd. Laat die gebruiker eerst inloggen en synchroniseren.</p>
          <ul>{blocked.map((entry) => (
            <li key={entry.username}>{entry.displayName}: {plural(entry.count, 'wijziging', 'wijzigingen')}{' '}
              <button type="button" class="link danger" onClick={() => discard(entry)}>Weggooien…</button></li>
          ))}</ul>
        </div>
      )}
    </main>
  );
}

export function PinSetupScreen() {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const state = useObservable(session);
  const submit = async (event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const pin = String(data.get('pin'));
    if (!validPin(pin)) { setError('Kies een pincode van 5 tot 12 cijfers.'); return; }
    if (pin !== String(data.get('pin2'))) { setError('De twee pincodes zijn niet gelijk.'); return; }
    setBusy(true);
    try { await setPin(pin); } catch (err) { setError(err.message); setBusy(false); }
  };
  return (
    <main id="main" tabIndex={-1} class="narrow">
      <h1>Kies een pincode</h1>
      {state.warnings && state.warnings.map((w) => <p class="warning" role="alert" key={w}>{w}</p>)}
      <p>Met de pincode ontgrendelt u Wijkpost op dit apparaat, ook zonder verbinding. De gegevens op het apparaat zijn ermee versleuteld. Na {MAX_PIN_FAILURES} verkeerde pogingen worden ze gewist.</p>
      <form onSubmit={submit} class="form">
        <div class="field">
          <label for="pin">Pincode (5 tot 12 cijfers)</label>
          <input id="pin" name="pin" type="password" inputMode="numeric" autocomplete="new-password" required autoFocus />
        </div>
        <div class="field">
          <label for="pin2">Herhaal de pincode</label>
          <input id="pin2" name="pin2" type="password" inputMode="numeric" autocomplete="new-password" required />
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Bezig…' : 'Pincode instellen'}</button>
      </form>
    </main>
  );
}

export function PinUnlockScreen({ locked = false, onOtherUser }) {
  const state = useObservable(session);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const input = event.currentTarget.elements.pin;
    setBusy(true);
    setError(null);
    const result = await unlockWithPin(String(input.value));
    setBusy(false);
    input.value = '';
    if (result.wiped) return;
    if (!result.ok) {
      setError(`Verkeerde pincode. Nog ${result.left} ${result.left === 1 ? 'poging' : 'pogingen'}; daarna worden de gegevens op dit apparaat gewist.`);
      input.focus();
    }
  };
  return (
    <main id="main" tabIndex={-1} class="narrow lock">
      <h1>{locked ? 'Vergrendeld' : 'Wijkpost ontgrendelen'}</h1>
      <p>{state.user ? state.user.display_name : ''}</p>
      <form onSubmit={submit} class="form">
        <div class="field">
          <label for="unlock-pin">Pincode</label>
          <input id="unlock-pin" name="pin" type="password" inputMode="numeric" autocomplete="current-password" required autoFocus />
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Controleren…' : 'Ontgrendelen'}</button>
      </form>
      {!locked && onOtherUser && <p><button type="button" class="link" onClick={onOtherUser}>Andere gebruiker of pincode vergeten: inloggen</button></p>}
    </main>
  );
}
