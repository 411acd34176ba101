// Renders a registration form from its /api/forms definition. Scalars commit as
// `name: value`; group items as `group[<item id>]: {field: value}` (null removes the item).
import { liveItems } from '../sync/apply.js';
import { displayValue } from '../ui/format.js';
import { isEmpty } from './validate.js';
import { Field, PhotoInput, PhotoThumb } from './fields.jsx';
import { preparePhoto } from './photo.js';
import { whoAndWhere } from '../store/names.js';
import { storePhoto } from '../store/records.js';

const ITEM_NOUN = {
  parties: 'Partij', witnesses: 'Getuige', traces: 'Spoor', seized_items: 'Goed', persons: 'Persoon',
  officers_involved: 'Politieambtenaar', other_persons: 'Betrokkene', photos: 'Foto',
};

/** Optional fields the short view keeps anyway: what tells a vehicle apart. */
const SHORT_EXTRAS = new Set(['licence_plate']);

const isPhotoGroup = (group) => group.kind === 'group' && (group.fields || []).length === 1 && group.fields[0].kind === 'photo';

export function domId(key) {
  return `f-${key.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

export function itemFieldKey(group, itemId, name) {
  return `${group}[${itemId}].${name}`;
}

async function photoRef(file) {
  const photo = await preparePhoto(file);
  return storePhoto(photo.bytes, photo.contentType);
}

function conflictText(conflict, field) {
  return conflict.values.map((v) => `“${displayValue(field, v.value)}” van ${whoAndWhere(v)}`).join(' tegenover ');
}

/**
 * props: form, record (local view), drafts ({key: text}), errors ({key: msg}), disabled,
 * onDraft(key, text), onCommit(set, key), onFocus(key), registerFlush(fn) -> unregister
 */
export function RecordForm({ form, record, drafts, errors, disabled, onDraft, onCommit, onFocus, registerFlush, requiredOnly = false }) {
  const data = record.data || {};
  // The short form: required fields plus whatever already has a value, a draft or an error,
  // and always the photos (the officer takes them on the spot).
  const shown = (field) => !requiredOnly || field.required || isPhotoGroup(field) || !isEmpty(data[field.name]) || errors[field.name]
    || Object.keys(drafts).some((k) => k === field.name || k.startsWith(`${field.name}[`));
  // Inside a group item the same rule, per sub-field.
  const subShown = (key, sub, value) => !requiredOnly || sub.required || SHORT_EXTRAS.has(sub.name) || !isEmpty(value)
    || errors[key] || drafts[key] !== undefined;
  const openConflicts = (record.conflicts || []).filter((c) => c.status !== 'resolved');
  // Short means short: no help texts either.
  const lean = (field) => (requiredOnly && field.help ? { ...field, help: undefined } : field);
  const fieldProps = (key, field, value, makeSet) => ({
    id: domId(key), field: lean(field), value, draft: drafts[key], error: errors[key], disabled,
    onDraft: (text) => onDraft(key, text),
    onCommit: (v, problem) => onCommit(problem ? null : makeSet(v), key, problem),
    onFocus: () => onFocus(key),
    onPhoto: photoRef,
    registerFlush,
  });
  return (
    <div class="record-form">
      {form.fields.filter(shown).map((field) => {
        if (field.kind === 'group') {
          return <Group key={field.name} group={lean(field)} items={liveItems(data[field.name])} {...{ drafts, errors, disabled, onDraft, onCommit, onFocus, fieldProps, subShown }} />;
        }
        const conflict = openConflicts.find((c) => c.field === field.name);
        return (
          <div key={field.name} class={conflict ? 'conflicted' : undefined}>
            <Field {...fieldProps(field.name, field, data[field.name], (v) => ({ [field.name]: v }))} />
            {conflict && (
              <p class="conflict-note" role="note">
                <strong>Conflict:</strong> dit veld is ook op een ander apparaat gewijzigd: {conflictText(conflict, field)}. De teamleider beslist welke waarde blijft.
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}

function Group({ group, items, errors, disabled, onCommit, fieldProps, subShown }) {
  const noun = ITEM_NOUN[group.name] || group.label;
  const onlyPhoto = isPhotoGroup(group);
  const add = (values = {}) => onCommit({ [`${group.name}[${crypto.randomUUID()}]`]: values }, group.name);
  const remove = (item) => {
    if (confirm(`${noun} verwijderen?`)) onCommit({ [`${group.name}[${item.id}]`]: null }, group.name);
  };
  const groupError = errors[group.name];
  const groupId = domId(group.name);
  return (
    <section class={`group${groupError ? ' has-error' : ''}`} aria-labelledby={`${groupId}-title`}>
      <h3 id={`${groupId}-title`}>
        {group.label}{group.required && <span class="req" aria-hidden="true"> *</span>}
        <span class="count"> ({items.length})</span>
      </h3>
      {group.help && !onlyPhoto && <p class="help">{group.help}</p>}
      {groupError && <p class="error" id={`${groupId}-error`} role="alert">{groupError}</p>}
      {onlyPhoto ? (
        <div class="gallery">
          {items.map((item, n) => (
            <figure key={item.id} class="photo-item">
              {item.photo ? <PhotoThumb photo={item.photo} alt={`${noun} ${n + 1}`} /> : <span class="thumb missing">Geen foto</span>}
              {!disabled && <button type="button" class="link" onClick={() => remove(item)}>Verwijderen<span class="sr-only"> {noun} {n + 1}</span></button>}
            </figure>
          ))}
        </div>
      ) : items.map((item, n) => (
        <fieldset key={item.id} class="item">
          <legend>{noun} {n + 1}</legend>
          {(group.fields || []).filter((sub) => subShown(itemFieldKey(group.name, item.id, sub.name), sub, item[sub.name])).map((sub) => (
            <Field key={sub.name} {...fieldProps(itemFieldKey(group.name, item.id, sub.name), sub, item[sub.name],
              (v) => ({ [`${group.name}[${item.id}]`]: { [sub.name]: v } }))} />
          ))}
          {!disabled && <button type="button" class="secondary danger" onClick={() => remove(item)}>{noun} {n + 1} verwijderen</button>}
        </fieldset>
      ))}
      {!disabled && (onlyPhoto
        ? <PhotoInput id={groupId} label="Foto maken of kiezen" onPhoto={async (file) => add({ [group.fields[0].name]: await photoRef(file) })} />
        : <button type="button" id={groupId} class="secondary" onClick={() => add({})}>+ {noun} toevoegen</button>)}
    </section>
  );
}
