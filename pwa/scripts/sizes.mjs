// Prints the gzipped size of the JS and CSS the login, list and form screens need (the
// entry chunk and its static imports: everything index.html loads), the lazy chunks (map),
// and the total precache size (from the manifest in dist/sw.js). Fails above the budget.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dist = join(import.meta.dirname, '..', 'dist');
const BUDGET = 150 * 1024;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = new Set();
for (const m of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)) initial.add(m[1]);
// Static imports of the entry chunks are loaded up front too.
const queue = [...initial].filter((f) => f.endsWith('.js'));
while (queue.length) {
  const file = queue.pop();
  const code = readFileSync(join(dist, file), 'utf8');
  for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+)["']/g)) {
    const dep = `assets/${m[1]}`;
    if (!initial.has(dep)) { initial.add(dep); queue.push(dep); }
  }
}
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let initialTotal = 0;
console.log('\nInitial screens (login, list, form): JS and CSS, gzipped');
for (const file of [...initial].sort()) {
  const size = gz(file);
  initialTotal += size;
  console.log(`  ${file.padEnd(40)} ${kb(size)}`);
}
console.log(`  ${'total'.padEnd(40)} ${kb(initialTotal)}  (budget ${kb(BUDGET)})`);
console.log('Lazy chunks (map and briefing), gzipped');
for (const file of readdirSync(join(dist, 'assets')).map((f) => `assets/${f}`)) {
  if (!initial.has(file) && /\.(js|css)$/.test(file)) console.log(`  ${file.padEnd(40)} ${kb(gz(file))}`);
}
const sw = readFileSync(join(dist, 'sw.js'), 'utf8');
const urls = [...sw.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1].replace(/^\//, ''));
let precache = 0;
let precacheGz = 0;
for (const url of urls) {
  precache += statSync(join(dist, url)).size;
  precacheGz += gz(url);
}
console.log(`Precache: ${urls.length} files, ${kb(precache)} (${kb(precacheGz)} gzipped); sw.js ${kb(gz('sw.js'))} gzipped\n`);
if (initialTotal > BUDGET) {
  console.error(`The initial screens need ${kb(initialTotal)} gzipped, over the ${kb(BUDGET)} budget.`);
  process.exit(1);
}
