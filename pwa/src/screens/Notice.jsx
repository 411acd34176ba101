// One area notice, read from the pulled store on the device (offline too): where a tap on
// its push notification leads (#/notices/<id>), and the briefing links here. The title may
// have shown on a locked screen; the body is read only here, in the unlocked app.
import { useEffect, useState } from 'preact/hooks';
import { decryptJSON } from '../store/crypto.js';
import { changes } from '../store/records.js';
import { active } from '../store/session.js';
import { syncNow } from '../sync/client.js';
import { formatDateTime } from '../ui/format.js';
import { useObservable } from '../ui/observable.js';

const PRIORITY_LABELS = { 1: 'Hoog', 2: 'Middel', 3: 'Laag' };

/** {notice, area} held on the device for the notice id, or {notice: null}. */
export async function loadNotice(s, id) {
  const row = await s.db.geo.get(`notice:${id}`);
  if (!row) return { notice: null, area: null };
  const notice = await decryptJSON(s.key, row.enc);
  let area = null;
  if (notice.area_id != null) {
    const areaRow = await s.db.geo.get(`area:${notice.area_id}`);
    if (areaRow) area = await decryptJSON(s.key, areaRow.enc);
  }
  return { notice, area };
}

function validity(notice, now) {
  if (Date.parse(notice.valid_until) <= now) return 'Verlopen';
  if (Date.parse(notice.valid_from) > now) return 'Nog niet geldig';
  return 'Geldig';
}

export function NoticeScreen({ id }) {
  const [found, setFound] = useState(undefined);
  const version = useObservable(changes);
  const [asked, setAsked] = useState(false);

  useEffect(() => {
    const s = active();
    if (s && s.key) loadNotice(s, id).then(setFound);
  }, [id, version]);

  useEffect(() => {
    // A push can arrive before the sync that brings the notice: fetch it now, once.
    if (found && !found.notice && !asked) { setAsked(true); syncNow(); }
  }, [found, asked]);

  if (found === undefined) return <main id="main" tabIndex={-1}><p role="status">Bericht laden…</p></main>;
  const { notice, area } = found;
  if (!notice) {
    return (
      <main id="main" tabIndex={-1}>
        <h1>Gebiedsbericht</h1>
        <p role="status" data-testid="notice-missing">Dit bericht staat niet op dit apparaat. Het komt mee met de
          volgende synchronisatie, of het is beëindigd.</p>
        <p><a href="#/briefing">Naar de briefing</a></p>
      </main>
    );
  }
  const state = validity(notice, Date.now());
  return (
    <main id="main" tabIndex={-1}>
      <p class="briefing-kind">Gebiedsbericht · prioriteit {PRIORITY_LABELS[notice.priority] || notice.priority}</p>
      <h1>{notice.title}</h1>
      <article class={`briefing-item priority-${notice.priority}`} data-testid="notice-detail">
        {notice.body ? <p class="briefing-body notice-body">{notice.body}</p> : <p class="note">Geen tekst.</p>}
        <dl class="notice-facts">
          <dt>Geldig</dt>
          <dd>{state} · van {formatDateTime(notice.valid_from)} tot {formatDateTime(notice.valid_until)}</dd>
          <dt>Waar</dt>
          <dd>{area ? `Gebied ${(area.properties || {}).name || ''}`.trim()
            : notice.point ? `Binnen ${Math.round(notice.radius_m)} m van een punt` : 'Onbekend gebied'}</dd>
        </dl>
      </article>
      <p><a href="#/briefing">Naar de briefing</a></p>
    </main>
  );
}
