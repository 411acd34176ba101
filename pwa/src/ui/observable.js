// A tiny observable value and its Preact hook: enough state management for this app.
import { useEffect, useState } from 'preact/hooks';

export function observable(initial) {
  let value = initial;
  const listeners = new Set();
  return {
    get: () => value,
    set(next) {
      value = typeof next === 'function' ? next(value) : next;
      for (const listener of listeners) listener(value);
    },
    update(patch) {
      this.set({ ...value, ...patch });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useObservable(obs) {
  const [value, setValue] = useState(obs.get());
  useEffect(() => {
    setValue(obs.get());
    return obs.subscribe(setValue);
  }, [obs]);
  return value;
}
