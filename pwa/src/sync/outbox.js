// Making ops: one per committed field (PROTOCOL.md §3). Everything is encrypted first;
// then draft, op, record row and clock go to IndexedDB in one Dexie transaction that
// awaits nothing but Dexie (an awaited WebCrypto call would commit it early).
import { v7 as uuidv7 } from 'uuid';
import { decryptJSON, encryptJSON } from '../store/crypto.js';
import { getMeta } from '../store.js';
import { notifyChanged } from '../store/records.js';
import { requireActive } from '../store/session.js';
import { tick } from './hlc.js';

let clock = null; // {ms, counter}, mirrored in meta 'hlc'

export async function loadClock() {
  const { db } = requireActive();
  clock = await getMeta(db, 'hlc', { ms: 0, counter: 0 });
  return clock;
}

export function getClock() {
  return clock;
}

export function setClock(next) {
  clock = next;
}

function sameKeys(a, b) {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b);
}

/** An unsent op absorbing a later edit: item objects merge field by field. */
function mergeSet(older, newer) {
  const out = { ...older };
  for (const [k, v] of Object.entries(newer)) {
    const both = v && older[k] && typeof v === 'object' && typeof older[k] === 'object' && k.includes('[');
    out[k] = both ? { ...older[k], ...v } : v;
  }
  return out;
}

/**
 * Commits `set` for record `view` (id, type). A new record gets its row in the same
 * transaction. The newest op of the record absorbs the edit when it sets the same keys
 * and has not been sent yet; the check is repeated inside the transaction, because the
 * sync client may have sent it meanwhile.
 */
let queue = Promise.resolve();

/**
 * Commits run one after another: two at once (a choice committed as the next field blurs)
 * would read the same unsent op and the second would drop what the first merged into it,
 * and both would take the same clock stamp.
 */
export function commitSet(view, set, options = {}) {
  const run = queue.then(() => commitNow(view, set, options));
  queue = run.catch(() => {});
  return run;
}

/**
 * Resolves once every commit asked for so far is in the store (failed ones included):
 * what reads the record to decide (submit checks what is missing) waits for a field that
 * was committed as the officer tapped, or it would miss it.
 */
export function commitsSettled() {
  return queue;
}

async function commitNow(view, set, { schemaVersion = 1, draft = null } = {}) {
  const s = requireActive();
  const { db, key } = s;
  if (!clock) await loadClock();
  const row = await db.records.get(view.id);
  const baseRev = row ? row.rev : 0;
  const recordOps = await db.outbox.where('record_id').equals(view.id).sortBy('seq');
  const lastRow = recordOps[recordOps.length - 1];
  let absorbEnc = null;
  const [hlc, nextClock] = tick(clock, s.deviceId);
  const fresh = { type: view.type, base_rev: baseRev, set, hlc };
  if (lastRow && !lastRow.sent && !('status' in set)) {
    const last = await decryptJSON(key, lastRow.enc);
    const removal = Object.values(set).some((v) => v === null) || Object.values(last.set).some((v) => v === null);
    if (!removal && sameKeys(last.set, set)) absorbEnc = await encryptJSON(key, { ...last, set: mergeSet(last.set, set), hlc });
  }
  const freshEnc = await encryptJSON(key, fresh);
  const draftEnc = draft ? await encryptJSON(key, draft) : null;
  const newRow = row ? null : {
    id: view.id, type: view.type, status: 'draft', rev: 0, local: 1, gen: 0,
    schema_version: schemaVersion, created_at: new Date().toISOString(), enc: null,
  };
  clock = nextClock;
  await db.transaction('rw', [db.outbox, db.records, db.drafts, db.meta], async () => {
    const current = absorbEnc ? await db.outbox.get(lastRow.seq) : null;
    if (current && !current.sent) {
      await db.outbox.put({ ...current, enc: absorbEnc });
    } else {
      await db.outbox.add({ op_id: uuidv7(), record_id: view.id, sent: 0, enc: freshEnc });
    }
    if (newRow && !(await db.records.get(view.id))) await db.records.add(newRow);
    if (draftEnc) await db.drafts.put({ id: view.id, enc: draftEnc });
    await db.meta.put({ key: 'hlc', value: nextClock });
  });
  notifyChanged();
}
