// Dutch labels and formatting shared by the screens.
export const STATUS_LABELS = {
  draft: 'Concept', submitted: 'Ingediend', approved: 'Goedgekeurd', returned: 'Teruggestuurd', withdrawn: 'Ingetrokken',
};

export const TYPE_LABELS = { vor: 'Verkeersongeval', pdo: 'Plaats delict onderzoek', gtpa: 'Geweld tegen/door politieambtenaren' };
export const TYPE_SHORT = { vor: 'VOR', pdo: 'PDO', gtpa: 'GTPA/GDPA' };

/** "1 registratie", "2 registraties": a count with the noun in the right number. */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Server times without an offset are UTC; returns epoch ms or NaN. */
export function parseTime(text) {
  if (!text) return NaN;
  if (typeof text !== 'string') return new Date(text).getTime();
  return Date.parse(/[zZ]|[+-][0-9]{2}:?[0-9]{2}$/.test(text) || !text.includes('T') ? text : `${text}Z`);
}

const pad2 = (n) => String(n).padStart(2, '0');

/** dd-mm-jjjj in local time, whatever the browser's locale. */
export function formatDate(iso) {
  if (!iso) return '';
  // A bare date (jjjj-mm-dd) is a calendar day, not a UTC midnight.
  const bare = typeof iso === 'string' && /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(iso);
  if (bare) return `${bare[3]}-${bare[2]}-${bare[1]}`;
  const d = new Date(parseTime(iso));
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${pad2(d.getDate())}-${pad2(d.getMonth() + 1)}-${d.getFullYear()}`;
}

/** dd-mm-jjjj uu:mm (24 hours) in local time, whatever the browser's locale. */
export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(parseTime(iso));
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${formatDate(iso)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

const WEEKDAYS = ['zondag', 'maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag'];

/** "zaterdag 07-03-2026 21:05": beside a native picker that may speak another language. */
export function formatMoment(kind, value) {
  if (!value) return '';
  if (kind === 'time') return /^[0-9]{2}:[0-9]{2}/.test(value) ? `${value.slice(0, 5)} uur` : value;
  const d = new Date(kind === 'date' ? `${value}T12:00` : parseTime(value));
  if (Number.isNaN(d.getTime())) return '';
  const day = WEEKDAYS[d.getDay()];
  return kind === 'date' ? `${day} ${formatDate(value)}` : `${day} ${formatDateTime(value)} uur`;
}

export function timeAgo(iso) {
  if (!iso) return 'nog nooit';
  const seconds = Math.round((Date.now() - parseTime(iso)) / 1000);
  if (seconds < 60) return 'zojuist';
  if (seconds < 3600) return `${plural(Math.round(seconds / 60), 'minuut', 'minuten')} geleden`;
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

// What a registration is, by type: the field that says it and the field that says where.
const WHAT_FIELD = { vor: 'outcome', pdo: 'offence_kind', gtpa: 'direction' };

/** What a row in a list says: {what, where, when}; `form` is its /api/forms definition. */
export function describeRecord(record, form) {
  const d = record.data || {};
  const whatField = form && form.fields.find((f) => f.name === WHAT_FIELD[record.type]);
  const what = whatField && d[whatField.name] ? choiceLabel(whatField, d[whatField.name]) : '';
  const street = d.street ? `${d.street}${d.house_number ? ` ${d.house_number}` : ''}` : '';
  const where = record.type === 'vor' ? [street, d.place].filter(Boolean).join(', ')
    : record.type === 'pdo' ? d.scene_address || '' : d.address || '';
  const when = d.occurred_at || d.offence_from || record.created_at;
  return { what, where, when: when ? formatDateTime(when) : '' };
}
