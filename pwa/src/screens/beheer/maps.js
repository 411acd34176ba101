// Leaflet for the beheer screens, loaded on first use (its own lazy chunk, as for officers).
import { useEffect, useState } from 'preact/hooks';

/**
 * Builds a map in `ref`'s element once `ready` is true: `make(mapModule, element)` returns
 * its controls (with `remove()`), which this returns (null until loaded).
 */
export function useLazyMap(ref, ready, make) {
  const [controls, setControls] = useState(null);
  useEffect(() => {
    if (!ready) return undefined;
    let made = null;
    let cancelled = false;
    import('../../map.js').then((module) => {
      if (cancelled || !ref.current) return;
      made = make(module, ref.current);
      setControls(made);
    });
    return () => {
      cancelled = true;
      if (made) made.remove();
      setControls(null);
    };
  }, [ready]);
  return controls;
}
