// Field keys as officers read them: "Partijen: Kenteken" rather than "parties[…].licence_plate".
import { parseKey } from '../sync/apply.js';
import { currentForms } from './definitions.js';

/** The field definition a key (`name` or `group[item].name`) refers to. */
export function fieldFor(form, key) {
  const [head, sub] = key.split('].');
  const item = parseKey(sub ? `${head}]` : key);
  if (item) {
    const group = form.fields.find((f) => f.name === item.group);
    return group && sub ? (group.fields || []).find((f) => f.name === sub) : group;
  }
  return form.fields.find((f) => f.name === key);
}

export function labelOf(form, key) {
  if (key === 'status') return 'Status';
  if (key === 'withdraw_reason') return 'Reden van intrekken';
  if (!form) return key;
  const field = fieldFor(form, key);
  const [head] = key.split('].');
  const group = parseKey(head.endsWith(']') ? head : `${head}]`);
  if (group && field && field.kind !== 'group') {
    const g = form.fields.find((f) => f.name === group.group);
    return `${g ? g.label : group.group}: ${field.label}`;
  }
  return field ? field.label : key;
}

/** The current form definition of a registration type, if loaded. */
export function currentForm(type) {
  const defs = currentForms();
  return defs ? defs.forms.find((f) => f.type === type) || null : null;
}
