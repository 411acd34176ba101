// CouchDB-style replication of the sync benchmark's documents, for the same run's ratio.
//
//   node replicate.mjs <docs.json> <port> <batch size> <database>
//
// pouchdb-server (LevelDB files in a temporary folder) must listen on <port>, and
// <database> must be new there. A local PouchDB (LevelDB as well) holding the documents
// replicates them to the server (push), then a new local PouchDB replicates them back
// (pull), both in batches of <batch size>.
// Prints one JSON line: {"push": docs/s, "pull": docs/s, "docs": n}.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PouchDB from 'pouchdb';

const [docsFile, port, batch, database] = process.argv.slice(2);
const docs = JSON.parse(readFileSync(docsFile, 'utf8'));
const batchSize = Number(batch);
const local = mkdtempSync(join(tmpdir(), 'couch-client-'));
const remote = new PouchDB(`http://127.0.0.1:${port}/${database}`);

try {
  const source = new PouchDB(join(local, 'outbox'));
  for (let i = 0; i < docs.length; i += 1000) await source.bulkDocs(docs.slice(i, i + 1000));

  let started = performance.now();
  const pushed = await source.replicate.to(remote, { batch_size: batchSize });
  const pushSeconds = (performance.now() - started) / 1000;

  const target = new PouchDB(join(local, 'inbox'));
  started = performance.now();
  const pulled = await target.replicate.from(remote, { batch_size: batchSize });
  const pullSeconds = (performance.now() - started) / 1000;

  if (pushed.docs_written !== docs.length || pulled.docs_written !== docs.length) {
    throw new Error(`replicated ${pushed.docs_written} and ${pulled.docs_written} of ${docs.length}`);
  }
  console.log(JSON.stringify({
    push: docs.length / pushSeconds, pull: docs.length / pullSeconds, docs: docs.length,
  }));
  await source.close();
  await target.close();
} finally {
  rmSync(local, { recursive: true, force: true });
}
