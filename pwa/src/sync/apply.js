// The local view of a record: its base (last full copy from the server) with the pending
// ops applied on top, in outbox order, as the server would apply them (PROTOCOL.md §6).

const ITEM_KEY = /^([a-z][a-z0-9_]*)\[(.+)\]$/s;

export function parseKey(key) {
  const m = ITEM_KEY.exec(key);
  return m ? { group: m[1], id: m[2] } : null;
}

export function emptyRecord(id, type) {
  return { id, type, status: 'draft', rev: 0, team: null, created_by: null, data: {}, conflicts: [], amendments: [], review: null };
}

export function applySet(record, set) {
  const data = record.data;
  for (const [key, value] of Object.entries(set)) {
    const item = parseKey(key);
    if (item) {
      const list = Array.isArray(data[item.group]) ? [...data[item.group]] : [];
      const index = list.findIndex((entry) => entry && entry.id === item.id);
      if (value === null) {
        // A tombstone keeps the item's last fields (PROTOCOL.md): removing one again changes nothing.
        if (index < 0) list.push({ id: item.id, removed: true });
        else if (!list[index].removed) list[index] = { ...list[index], id: item.id, removed: true };
      } else if (index >= 0) {
        // An edit of a removed item brings it back with its last fields and the edit on top.
        const { removed, ...old } = list[index];
        list[index] = { ...old, ...value, id: item.id };
      } else {
        list.push({ ...value, id: item.id });
      }
      data[item.group] = list;
    } else if (key === 'status') {
      record.status = value;
    } else {
      data[key] = value;
    }
  }
  return record;
}

/** base: a server record or null (new record); ops: decrypted outbox ops of this record. */
export function viewOf(id, type, base, ops) {
  const record = base ? structuredClone(base) : emptyRecord(id, type);
  record.data = record.data || {};
  for (const op of ops) applySet(record, op.set);
  return record;
}

export function liveItems(list) {
  return (Array.isArray(list) ? list : []).filter((item) => item && !item.removed);
}
