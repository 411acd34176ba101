// The app shell: which screen shows, by session phase and by the URL hash.
import { useEffect, useState } from 'preact/hooks';
import { onAuthError } from './api.js';
import { loadForms } from './forms/definitions.js';
import { canRegister, canReview } from './roles.js';
import { BriefingScreen } from './screens/Briefing.jsx';
import { BeheerScreen } from './screens/Beheer.jsx';
import { SubstitutesScreen } from './screens/beheer/Substitutes.jsx';
import { LoginScreen, PinSetupScreen, PinUnlockScreen } from './screens/Login.jsx';
import { ListScreen, NewScreen } from './screens/List.jsx';
import { NoticeScreen } from './screens/Notice.jsx';
import { RecordScreen, flushOpenForm } from './screens/Record.jsx';
import { ConflictScreen, ReviewDetailScreen, ReviewQueueScreen } from './screens/Review.jsx';
import { SyncBar, TopBar } from './screens/parts.jsx';
import { LogoutScreen, SettingsScreen, SyncScreen } from './screens/Sync.jsx';
import { getMeta } from './store.js';
import { forgetPhotoUrls } from './store/records.js';
import { active, session, tokenExpired, wipe } from './store/session.js';
import { refreshCounts, stopSync, syncNow } from './sync/client.js';
import { loadClock } from './sync/outbox.js';
import { setLockMinutes } from './ui/idle.js';
import { useObservable } from './ui/observable.js';
import { applyUpdate, updateReady } from './ui/update.js';

onAuthError((error) => {
  if (error.code === 'device_revoked') {
    stopSync();
    wipe('Dit apparaat is ingetrokken door de beheerder. De gegevens op dit apparaat zijn gewist.');
  } else {
    tokenExpired();
  }
});

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => {
      setHash(location.hash || '#/');
      const main = document.getElementById('main');
      if (main) main.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function route(hash) {
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'r' && parts[1]) return { name: 'record', id: parts[1], newType: params.get('new'), focus: params.get('focus') };
  if (parts[0] === 'new') return { name: 'new' };
  if (['sync', 'settings', 'logout'].includes(parts[0])) return { name: parts[0] };
  if (parts[0] === 'team') return { name: 'team' };
  if (parts[0] === 'mijn') return { name: 'mine' };
  if (parts[0] === 'review' && parts[1] && parts[2] === 'conflict' && parts[3]) return { name: 'conflict', id: parts[1], conflictId: parts[3] };
  if (parts[0] === 'review' && parts[1]) return { name: 'review', id: parts[1] };
  if (parts[0] === 'briefing') return { name: 'briefing' };
  if (parts[0] === 'notices' && parts[1]) return { name: 'notice', id: parts[1] };
  if (parts[0] === 'login') return { name: 'login' };
  if (parts[0] === 'beheer' && parts[1] === 'vervangers') return { name: 'substitutes' };
  return { name: 'list' };
}

let initialisedFor = null;
async function initSession() {
  const s = active();
  if (!s || initialisedFor === s) return;
  initialisedFor = s;
  setLockMinutes(await getMeta(s.db, 'lockMinutes', 5));
  if (!canRegister(s.user)) return; // nothing to register, so nothing to sync
  await loadClock();
  await loadForms();
  await refreshCounts();
  const resume = await getMeta(s.db, 'resume', null);
  if (resume) {
    await s.db.meta.delete('resume');
    location.hash = `#/r/${resume.id}${resume.field ? `?focus=${encodeURIComponent(resume.field)}` : ''}`;
  }
  syncNow();
}

export function App() {
  const state = useObservable(session);
  const hash = useHash();
  const update = useObservable(updateReady);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    if (state.phase === 'ready') initSession().then(() => setReady(true));
    else setReady(false);
  }, [state.phase, state.relogin, state.user && state.user.id]);

  useEffect(() => { if (state.locked) forgetPhotoUrls(); }, [state.locked]);

  if (state.phase === 'start') return <p class="boot">Wijkpost wordt geladen…</p>;
  if (state.phase === 'login') return <LoginScreen />;
  if (state.phase === 'pin-setup') return <PinSetupScreen />;
  if (state.phase === 'pin-unlock') return <PinUnlockScreen onOtherUser={() => session.update({ phase: 'login', notice: null })} />;
  if (state.locked) return <PinUnlockScreen locked />;
  if (!ready) return <p class="boot">Gegevens ontsleutelen…</p>;

  if (!canRegister(state.user)) {
    return (
      <div class="shell">
        <header class="topbar"><a href="#/" class="brand">Wijkpost</a></header>
        {route(hash).name === 'substitutes' ? <SubstitutesScreen /> : <BeheerScreen user={state.user} />}
      </div>
    );
  }

  const r = route(hash);
  const leader = canReview(state.user);
  let screen;
  if (r.name === 'record') screen = <RecordScreen key={r.id} id={r.id} newType={r.newType} focusField={r.focus} />;
  else if (r.name === 'new') screen = <NewScreen />;
  else if (r.name === 'sync') screen = <SyncScreen />;
  else if (r.name === 'settings') screen = <SettingsScreen />;
  else if (r.name === 'logout') screen = <LogoutScreen />;
  else if (r.name === 'briefing') screen = <BriefingScreen />;
  else if (r.name === 'notice') screen = <NoticeScreen key={r.id} id={r.id} />;
  else if (r.name === 'team') screen = <ListScreen scope="team" leader={leader} />;
  else if (r.name === 'review' && leader) screen = <ReviewDetailScreen key={r.id} id={r.id} />;
  else if (r.name === 'conflict' && leader) screen = <ConflictScreen key={r.conflictId} id={r.id} conflictId={r.conflictId} />;
  else if (r.name === 'list' && leader) screen = <ReviewQueueScreen />;
  else if (r.name === 'login' && state.relogin) screen = <LoginScreen relogin />;
  else screen = <ListScreen scope="mine" leader={leader} />;

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Naar de inhoud</a>
      <TopBar current={r.name} />
      <SyncBar />
      {state.relogin && r.name !== 'login' && (
        <p class="warning banner" role="alert">Uw sessie is verlopen; wijzigingen blijven op dit apparaat bewaard. <a href="#/login">Opnieuw inloggen</a></p>
      )}
      {update && (
        <p class="info banner" role="status">Er is een nieuwe versie van Wijkpost.{' '}
          <button type="button" class="small" onClick={() => applyUpdate(flushOpenForm)}>Bijwerken</button></p>
      )}
      {state.warnings && state.warnings.length > 0 && (
        <div class="warning banner" role="alert">
          {state.warnings.map((w) => <p key={w}>{w}</p>)}
          <button type="button" class="small" onClick={() => session.update({ warnings: [] })}>Begrepen</button>
        </div>
      )}
      {screen}
    </div>
  );
}
