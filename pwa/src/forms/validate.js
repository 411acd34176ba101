// Client-side validation with the server's rules (server/registrations/validation.py):
// each value is checked as it is committed; required fields only when submitting.
import { liveItems } from '../sync/apply.js';

const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const TIME = /^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/;
const DATETIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})$/;
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

export function isEmpty(value) {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

function range(field, value) {
  const { min, max } = field;
  if (min !== undefined && min !== null && value < min) return max !== undefined && max !== null ? `Moet tussen ${min} en ${max} liggen` : `Moet minstens ${min} zijn`;
  if (max !== undefined && max !== null && value > max) return min !== undefined && min !== null ? `Moet tussen ${min} en ${max} liggen` : `Mag hoogstens ${max} zijn`;
  return null;
}

/** An error message for one value, or null. Empty values are fine until submit. */
export function validateValue(field, value) {
  if (isEmpty(value)) return null;
  switch (field.kind) {
    case 'text':
    case 'textarea':
      if (typeof value !== 'string') return 'Moet tekst zijn';
      if (BAD_CHARS.test(value)) return 'Bevat ongeldige tekens (stuurtekens)';
      if (field.max_length && value.length > field.max_length) return `Maximaal ${field.max_length} tekens`;
      return null;
    case 'integer':
      if (!Number.isInteger(value)) return 'Moet een geheel getal zijn';
      return range(field, value);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'Moet een getal zijn';
      return range(field, value);
    case 'boolean':
      return typeof value === 'boolean' ? null : 'Moet ja of nee zijn';
    case 'date':
      return DATE.test(value) && !Number.isNaN(Date.parse(value)) ? null : 'Moet een datum zijn als JJJJ-MM-DD';
    case 'time':
      return TIME.test(value) ? null : 'Moet een tijd zijn als UU:MM';
    case 'datetime':
      return DATETIME.test(value) && !Number.isNaN(Date.parse(value)) ? null : 'Moet een datum en tijd zijn';
    case 'choice':
      return (field.choices || []).some((c) => c.code === value) ? null : 'Kies een van de mogelijkheden';
    case 'multichoice': {
      if (!Array.isArray(value)) return 'Moet een lijst met codes zijn';
      const codes = new Set((field.choices || []).map((c) => c.code));
      if (value.some((code) => !codes.has(code))) return 'Onbekende keuze';
      if (new Set(value).size !== value.length) return 'Elke keuze mag maar één keer voorkomen';
      if (field.max && value.length > field.max) return `Hoogstens ${field.max} keuzes`;
      return null;
    }
    case 'location': {
      const ok = value && typeof value === 'object' && Number.isFinite(value.lat) && Number.isFinite(value.lon)
        && Number.isFinite(value.accuracy) && Math.abs(value.lat) <= 90 && Math.abs(value.lon) <= 180
        && value.accuracy >= 0 && value.accuracy <= 100000;
      return ok ? null : 'Ongeldige locatie';
    }
    case 'photo':
      return value && /^[0-9a-f]{64}$/.test(value.sha256) && ['image/jpeg', 'image/png', 'image/webp'].includes(value.content_type) ? null : 'Ongeldige foto';
    default:
      return null;
  }
}

/** What a submit still lacks, keyed like the server's errors. */
export function missingRequired(form, data) {
  const errors = {};
  for (const field of form.fields) {
    if (field.kind === 'group') {
      const items = liveItems(data[field.name]);
      if (items.length < (field.min || 0)) errors[field.name] = `Voeg er minstens ${field.min} toe`;
      for (const item of items) {
        for (const sub of field.fields || []) {
          if (sub.required && isEmpty(item[sub.name])) errors[`${field.name}[${item.id}].${sub.name}`] = 'Verplicht veld';
        }
      }
    } else if (field.required && isEmpty(data[field.name])) {
      errors[field.name] = 'Verplicht veld';
    }
  }
  return errors;
}
