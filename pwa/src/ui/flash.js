// A confirmation that outlives a change of screen: set before navigating, shown at the top
// of the next screen (where the officer looks), cleared when read or on the next change.
import { observable } from './observable.js';

export const flash = observable(null);

export function showFlash(text) {
  flash.set({ text, at: Date.now() });
}
