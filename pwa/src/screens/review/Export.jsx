// Export of the team's registrations with the queue's filter (soort, status, dagen), as a
// file download. The export needs the bearer token, which a plain link cannot send: the
// app fetches it, shows how far it got, and saves the result as a Blob.
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api.js';
import { STATUS_LABELS, TYPE_SHORT, formatDate, plural } from '../../ui/format.js';
import { problemText, token } from './common.js';
import { exportParams } from './filters.js';

const FORMATS = {
  csv: 'CSV (spreadsheet)',
  json: 'JSON',
  bron: 'BRON (zip, alleen verkeersongevallen)',
};

function fileName(response, format) {
  const header = response.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(header);
  return match ? match[1] : `wijkpost-export.${format === 'bron' ? 'zip' : format}`;
}

function kilobytes(n) {
  return n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} kB` : `${(n / 1024 / 1024).toFixed(1).replace('.', ',')} MB`;
}

/** What the export will hold, in words. */
function describe(filters, format) {
  const parts = [format === 'bron' ? 'verkeersongevallen' : filters.type ? TYPE_SHORT[filters.type] : 'alle soorten'];
  parts.push(`status ${(STATUS_LABELS[filters.status || 'submitted'] || filters.status).toLowerCase()}`);
  if (filters.from) parts.push(`vanaf ${formatDate(filters.from)}`);
  if (filters.to) parts.push(`tot en met ${formatDate(filters.to)}`);
  return parts.join(', ');
}

async function readWithProgress(response, onBytes) {
  if (!response.body || !response.body.getReader) return response.blob();
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onBytes(received);
  }
  return new Blob(chunks, { type: response.headers.get('Content-Type') || 'application/octet-stream' });
}

export function ExportPanel({ filters }) {
  const [format, setFormat] = useState('csv');
  const [state, setState] = useState(null); // {busy, text, error}
  const running = useRef(false);
  const unsupported = [filters.officer && 'agent', filters.conflicts && 'conflict', filters.area && 'gebied', filters.q.trim() && 'zoekwoorden'].filter(Boolean);
  const bronMismatch = format === 'bron' && filters.type && filters.type !== 'vor';

  const run = async () => {
    if (running.current) return;
    if (bronMismatch) {
      setState({ error: 'BRON bevat alleen verkeersongevallen. Kies bij Soort “VOR” of “Alle soorten”.' });
      return;
    }
    if (filters.from && filters.to && filters.from > filters.to) {
      setState({ error: 'De einddatum ligt voor de begindatum.' });
      return;
    }
    running.current = true;
    setState({ busy: true, text: 'Export wordt gemaakt…' });
    try {
      let response;
      try {
        response = await fetch(`/api/export?${exportParams(filters, format)}`, {
          headers: { Authorization: `Bearer ${token()}` }, cache: 'no-store',
        });
      } catch {
        throw new Error('Geen verbinding met de server. Probeer het opnieuw.');
      }
      if (!response.ok) {
        let body = null;
        try { body = await response.json(); } catch { body = null; }
        throw new Error(problemText(new ApiError(response.status, body)));
      }
      const rows = Number(response.headers.get('X-Export-Rows'));
      const rowText = Number.isFinite(rows) ? plural(rows, 'registratie', 'registraties') : 'registraties';
      const blob = await readWithProgress(response, (bytes) => setState({ busy: true, text: `Downloaden: ${rowText}, ${kilobytes(bytes)} ontvangen…` }));
      const name = fileName(response, format);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.hidden = true;
      document.body.appendChild(link);
      link.click();
      link.remove();
      // Give the browser time to start saving before the Blob goes.
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      setState({ text: `Klaar: ${name} (${rowText}, ${kilobytes(blob.size)}).` });
    } catch (error) {
      setState({ error: error.message || 'De export is mislukt. Probeer het opnieuw.' });
    } finally {
      running.current = false;
    }
  };

  return (
    <section class="export-panel" aria-labelledby="export-title">
      <h2 id="export-title">Exporteren</h2>
      <p class="muted small">Met het filter van de lijst: {describe(filters, format)}.
        {unsupported.length > 0 && ` Niet in de export: het filter op ${unsupported.join(', ')}.`}</p>
      <div class="export-row">
        <div class="field">
          <label for="export-format">Bestandsformaat</label>
          <select id="export-format" onChange={(e) => { setFormat(e.currentTarget.value); setState(null); }}>
            {Object.entries(FORMATS).map(([code, label]) => <option key={code} value={code} selected={format === code}>{label}</option>)}
          </select>
        </div>
        <button type="button" class="secondary" disabled={state && state.busy} onClick={run}>
          {state && state.busy ? 'Bezig…' : 'Exporteren'}
        </button>
      </div>
      <p class="export-status" role="status">{state && state.text ? state.text : ''}</p>
      {state && state.error && <p class="error-text" role="alert">{state.error}</p>}
    </section>
  );
}
