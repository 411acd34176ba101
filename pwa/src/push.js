// Web Push for area notices: best effort on top of sync (the briefing at the next sync is
// the authority). Subscribing must start from a tap: browsers refuse it otherwise, and iOS
// offers it only to an installed app.
import { api } from './api.js';
import { base64urlToBytes } from './store/crypto.js';
import { requireActive } from './store/session.js';

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

async function registration() {
  return navigator.serviceWorker.ready;
}

/** The browser's current subscription, or null. */
export async function currentSubscription() {
  if (!pushSupported()) return null;
  return (await registration()).pushManager.getSubscription();
}

/** Asks permission, subscribes with the server's VAPID key and registers it. From a tap. */
export async function enablePush() {
  const { token } = requireActive();
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Meldingen zijn niet toegestaan in de browser.');
  const { public_key: publicKey } = await api('/push/vapid-public-key', { token });
  const reg = await registration();
  let subscription = await reg.pushManager.getSubscription();
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64urlToBytes(publicKey) });
  }
  await api('/push/subscriptions', { method: 'POST', token, body: subscription.toJSON() });
  return subscription;
}

/** Removes the subscription at the server (when reachable) and in the browser. */
export async function disablePush(token) {
  const subscription = await currentSubscription();
  if (!subscription) return;
  if (token) {
    try {
      await api('/push/subscriptions', { method: 'DELETE', token });
    } catch { /* offline: the server ends it at logout or revocation anyway */ }
  }
  await subscription.unsubscribe();
}

/** A tap on a notice's notification (sw.js) asks an open window to show the notice. Only
 * the app's own notice and briefing routes are followed. */
export function listenForNoticeTaps() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event) => {
    const hash = event.data && event.data.type === 'OPEN_ROUTE' ? String(event.data.hash) : '';
    if (/^#\/(notices\/[0-9A-Za-z_-]{1,64}|briefing)$/.test(hash)) location.hash = hash;
  });
}
