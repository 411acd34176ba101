// Changes an officer sent after approval (amendments): listed apart from the record, each
// with the choice to take it into the record or to keep it as a note only, after a
// confirmation step. Decisions are made on the record's rev (409 when it changed).
import { useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../../api.js';
import { formatDateTime } from '../../ui/format.js';
import { problemText, token } from './common.js';
import { KeyValue, currentValue, expandSet, keyLabel } from './values.jsx';

const STATUS = { open: 'Open', accepted: 'Overgenomen', filed: 'Bewaard als notitie' };

const CONFIRM = {
  accept: {
    title: 'Aanvulling overnemen?',
    text: 'De waarden van de aanvulling komen in de registratie. De oude waarden blijven in de geschiedenis; de agent krijgt de wijziging bij de volgende synchronisatie.',
    yes: 'Ja, overnemen',
    done: 'De aanvulling is overgenomen in de registratie.',
  },
  file: {
    title: 'Aanvulling als notitie bewaren?',
    text: 'De registratie blijft zoals die is. De aanvulling blijft bij de registratie zichtbaar als notitie.',
    yes: 'Ja, als notitie bewaren',
    done: 'De aanvulling is als notitie bewaard; de registratie is niet gewijzigd.',
  },
};

function Amendment({ record, form, amendment, nameOf, onDecided, reload }) {
  const [asking, setAsking] = useState(null); // 'accept' | 'file'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const status = amendment.status || 'open';
  const entries = expandSet(amendment.set);
  const titleId = `amendment-${amendment.id}-title`;
  const titleRef = useRef(null);

  const decide = async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await api(`/registrations/${record.id}/amendments/${amendment.id}/${asking}`, {
        method: 'POST', token: token(), body: { rev: record.rev },
      });
      onDecided(next, CONFIRM[asking].done);
      setAsking(null);
      // The buttons are gone: keep the focus on this amendment, not at the top of the page.
      setTimeout(() => titleRef.current && titleRef.current.focus(), 0);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setError('De registratie is intussen gewijzigd. Bekijk de nieuwe versie en beslis opnieuw.');
        reload();
      } else setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li class={`amendment amendment-${status}`} aria-labelledby={titleId}>
      <h3 id={titleId} class="amendment-title" tabIndex={-1} ref={titleRef}>
        Aanvulling van {amendment.author_name || nameOf(amendment.author)}
        {' '}<span class={`badge amendment-status ${status}`}>{STATUS[status] || status}</span>
      </h3>
      <p class="muted small">
        {formatDateTime(amendment.at)}{amendment.device_name ? ` · apparaat ${amendment.device_name}` : ''}
        {amendment.decision ? ` · ${status === 'accepted' ? 'overgenomen' : 'als notitie bewaard'} door ${nameOf(amendment.decision.by)} op ${formatDateTime(amendment.decision.at)}` : ''}
      </p>
      <dl class="fields">
        {entries.map(([key, value]) => (
          <div key={key}>
            <dt>{keyLabel(form, record.data, key)}</dt>
            <dd class="diff">
              {status === 'open' && <><span class="muted">nu: </span><del><KeyValue form={form} fieldKey={key} value={currentValue(record.data, key)} /></del>{' → '}</>}
              <ins><KeyValue form={form} fieldKey={key} value={value} /></ins>
            </dd>
          </div>
        ))}
      </dl>
      {status === 'open' && asking === null && (
        <div class="decision-buttons">
          <button type="button" class="secondary" onClick={() => { setAsking('accept'); setError(null); }}>Overnemen in de registratie</button>
          <button type="button" class="secondary" onClick={() => { setAsking('file'); setError(null); }}>Bewaren als notitie</button>
        </div>
      )}
      {status === 'open' && asking !== null && (
        <div class="confirm" role="group" aria-labelledby={`${titleId}-confirm`}>
          <h4 id={`${titleId}-confirm`}>{CONFIRM[asking].title}</h4>
          <p>{CONFIRM[asking].text}</p>
          <div class="decision-buttons">
            <button type="button" class="primary" disabled={busy} onClick={decide}>{CONFIRM[asking].yes}</button>
            <button type="button" class="secondary" disabled={busy} onClick={() => { setAsking(null); setError(null); }}>Annuleren</button>
          </div>
        </div>
      )}
      {error && <p class="error-text" role="alert">{error}</p>}
    </li>
  );
}

export function AmendmentsSection({ record, form, nameOf, onDecided, reload }) {
  const list = record.amendments || [];
  if (!list.length) return null;
  const open = list.filter((a) => (a.status || 'open') === 'open').length;
  return (
    <section class="amendments" aria-labelledby="amend-title">
      <h2 id="amend-title">Aanvullingen na goedkeuring</h2>
      <p class="muted small">
        {open ? `${open === 1 ? 'Eén aanvulling wacht' : `${open} aanvullingen wachten`} op uw besluit. ` : ''}
        Een agent wijzigde deze registratie nadat die was goedgekeurd; zo’n wijziging komt pas in de registratie als u die overneemt.
      </p>
      <ul class="amendment-list">
        {list.map((a) => <Amendment key={a.id} record={record} form={form} amendment={a} nameOf={nameOf} onDecided={onDecided} reload={reload} />)}
      </ul>
    </section>
  );
}
