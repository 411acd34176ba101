// Auto-lock after inactivity (default 5 minutes): the screen is hidden and decrypted data
// is dropped from the screens; the key stays in memory so that sync goes on.
import { DEFAULT_LOCK_MINUTES, expireKeyIfOld, lock } from '../store/session.js';

let minutes = DEFAULT_LOCK_MINUTES;
let last = Date.now();
let timer = null;

export function lockMinutes() {
  return minutes;
}

export function setLockMinutes(m) {
  minutes = m;
  poke();
}

function poke() {
  last = Date.now();
  clearTimeout(timer);
  timer = setTimeout(check, minutes * 60 * 1000 + 50);
}

function check() {
  if (Date.now() - last >= minutes * 60 * 1000) lock(); else timer = setTimeout(check, minutes * 60 * 1000 - (Date.now() - last) + 50);
  expireKeyIfOld();
}

export function installIdleLock() {
  for (const type of ['pointerdown', 'keydown', 'input', 'wheel', 'touchstart']) {
    window.addEventListener(type, poke, { passive: true, capture: true });
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
  setInterval(expireKeyIfOld, 60 * 1000);
  poke();
}
