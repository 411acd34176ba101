// Service worker: precaches the app shell (Workbox), caches the form definitions and map
// tiles, and keeps every other /api/ request network-only, so police data never lands in Cache Storage (it
// arrives by pull into the encrypted IndexedDB store). The worker holds no token and no
// key: a Background Sync event only wakes an open page, which does the syncing.
import { clientsClaim } from 'workbox-core';
import { precacheAndRoute, cleanupOutdatedCaches, createHandlerBoundToURL } from 'workbox-precaching';
import { registerRoute, NavigationRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst, NetworkOnly } from 'workbox-strategies';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// The first install takes over the open page at once; later versions wait for "bijwerken".
clientsClaim();

// Every app URL opens the shell; /api/ is never answered from the shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), {
  denylist: [/^\/api\//, /^\/health$/],
}));

// Form definitions are not police data; the newest copy wins, the cached one works offline.
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && url.pathname === '/api/forms'
    && request.method === 'GET',
  new NetworkFirst({ cacheName: 'wijkpost-forms', networkTimeoutSeconds: 5 }),
);

// Map tiles (through the server, not police data) are kept for offline use: the officer's
// own wijk, fetched ahead by the page into WIJK_TILE_CACHE (geo/tiles.js), is answered from
// there first; other tiles the officer looked at go to a bounded cache of their own. The
// page deletes both at logout and wipe.
const TILE_CACHE = 'wijkpost-tiles';
const WIJK_TILE_CACHE = 'wijkpost-wijk-tiles';
const MAX_TILES = 2500; // about 50 MB at ~20 KB a tile
const browsedTiles = new CacheFirst({
  cacheName: TILE_CACHE,
  plugins: [{
    cacheWillUpdate: async ({ response }) => (response && response.status === 200 ? response : null),
    cacheDidUpdate: async ({ cacheName }) => {
      const cache = await caches.open(cacheName);
      const keys = await cache.keys();
      for (const old of keys.slice(0, Math.max(0, keys.length - MAX_TILES))) await cache.delete(old);
    },
  }],
});
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && url.pathname.startsWith('/api/tiles/')
    && /^\/api\/tiles\/\d+\/\d+\/\d+\.png$/.test(url.pathname) && request.method === 'GET',
  async (options) => {
    // The page fetching ahead stores the tile itself, in the wijk's cache.
    if (options.request.headers.get('X-Wijkpost-Prefetch') === '1') return fetch(options.request);
    const wijk = await caches.match(options.url.href, { cacheName: WIJK_TILE_CACHE });
    return wijk || browsedTiles.handle(options);
  },
);

// Everything else under /api/: straight to the network, never cached.
registerRoute(({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/api/'),
  new NetworkOnly(), 'GET');
registerRoute(({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/api/'),
  new NetworkOnly(), 'POST');
registerRoute(({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/api/'),
  new NetworkOnly(), 'PUT');

// An update waits until the officer taps "bijwerken" (the page flushes the draft first).
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

// Background Sync: wake the open pages; they hold the key and the token.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'wijkpost-sync') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => {
    for (const client of clients) client.postMessage({ type: 'SYNC' });
  }));
});

// Area notices arrive as Web Push ({notice_id, title, priority, url}, never the body):
// show the title only (it may appear on a locked screen); the tag is the notice id, so a
// repeated send replaces the notification instead of showing it twice.
self.addEventListener('push', (event) => {
  let payload = {};
  try { payload = event.data ? event.data.json() : {}; } catch { payload = {}; }
  const id = payload.notice_id != null ? String(payload.notice_id) : '';
  event.waitUntil(self.registration.showNotification(payload.title || 'Gebiedsbericht', {
    tag: id ? `notice-${id}` : 'notice',
    icon: '/icons/icon-192.png',
    data: { url: noticeRoute(id), notice_id: id },
  }));
});

/** The app's route for a notice: built from a plain id, never a URL taken as given. */
function noticeRoute(id) {
  return /^[0-9A-Za-z_-]{1,64}$/.test(id || '') ? `/#/notices/${id}` : '/#/briefing';
}

/** A tap: an open window of the app shows the notice (its hash changes, so the key in page
 * memory stays and no PIN is asked again) and comes to the front; else a new window. */
async function openNotice(data) {
  const url = noticeRoute(data && data.notice_id);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (!open) return self.clients.openWindow(url);
  open.postMessage({ type: 'OPEN_ROUTE', hash: url.slice(1) });
  try { await open.focus(); } catch { /* focus needs the tap's user activation */ }
  return open;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openNotice(event.notification.data));
});
