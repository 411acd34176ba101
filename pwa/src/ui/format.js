// Dutch labels and formatting shared by the screens.
export const STATUS_LABELS = {
  draft: 'Concept', submitted: 'Ingediend', approved: 'Goedgekeurd', returned: 'Teruggestuurd', withdrawn: 'Ingetrokken',
};

export const TYPE_LABELS = { vor: 'Verkeersongeval', pdo: 'Plaats delict onderzoek', gtpa: 'Geweld tegen/door politieambtenaren' };
export const TYPE_SHORT = { vor: 'VOR', pdo: 'PDO', gtpa: 'GTPA/GDPA' };

export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('nl-NL', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function timeAgo(iso) {
  if (!iso) return 'nog nooit';
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return 'zojuist';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min geleden`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} uur geleden`;
  return formatDateTime(iso);
}

/** datetime-local input value for a stored ISO stamp, in local time. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An ISO stamp with the local UTC offset (the server requires an offset). */
export function fromLocalInput(text) {
  if (!text) return null;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return null;
  return isoWithOffset(d);
}

export function isoWithOffset(d) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

export function choiceLabel(field, code) {
  const choice = (field.choices || []).find((c) => c.code === code);
  return choice ? choice.label : code;
}

export function displayValue(field, value) {
  if (value === null || value === undefined || value === '') return '—';
  switch (field.kind) {
    case 'boolean': return value ? 'Ja' : 'Nee';
    case 'choice': return choiceLabel(field, value);
    case 'multichoice': return value.map((c) => choiceLabel(field, c)).join(', ');
    case 'datetime': return formatDateTime(value);
    case 'location': return `${value.lat.toFixed(5)}, ${value.lon.toFixed(5)} (± ${Math.round(value.accuracy)} m)`;
    case 'photo': return 'foto';
    default: return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** One line that tells records apart in a list. */
export function summaryOf(record) {
  const d = record.data || {};
  const when = d.occurred_at || d.offence_from || record.created_at;
  const where = d.street ? `${d.street}${d.house_number ? ` ${d.house_number}` : ''}${d.place ? `, ${d.place}` : ''}` : d.scene_address || d.address || d.place || '';
  return [formatDateTime(when), where].filter(Boolean).join(' · ');
}
