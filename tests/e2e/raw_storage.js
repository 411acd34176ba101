// Read by the e2e tests: everything in IndexedDB and Cache Storage, as stored (no key).
// Evaluated in the page as two functions: readIndexedDb and readCaches.
const readIndexedDb = async () => {
  const out = [];
  const hex = (buf) => Array.from(new Uint8Array(buf.buffer || buf), b => b.toString(16).padStart(2, '0')).join('');
  const plain = (v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return {bytes: hex(v), text: new TextDecoder('utf-8', {fatal: false}).decode(v)};
    if (v instanceof Blob) return {blob: v.size};
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
  };
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    for (const store of db.objectStoreNames) {
      const rows = await new Promise((ok, fail) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
      out.push({db: info.name, store, rows: plain(rows)});
    }
    db.close();
  }
  return out;
};

const readCaches = async () => {
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.push({cache: name, url: request.url, body: await response.text()});
    }
  }
  return out;
};
