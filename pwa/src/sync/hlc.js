// Hybrid logical clock, as sync/PROTOCOL.md §3 ("Clock rules") describes.

export function parseHlc(stamp) {
  const [ms, counter] = String(stamp).split('-');
  return { ms: Number(ms), counter: Number(counter) };
}

export function compareHlc(a, b) {
  return a.ms - b.ms || a.counter - b.counter;
}

/** Next stamp after `last` ({ms, counter}); returns [stampString, newLast]. */
export function tick(last, deviceId, now = Date.now()) {
  const ms = Math.max(now, last.ms);
  const counter = ms === last.ms ? last.counter + 1 : 0;
  return [`${ms}-${counter}-${deviceId}`, { ms, counter }];
}

/** The clock after a server reply: adopt the server's stamp when it is higher. */
export function adopt(last, serverStamp) {
  if (!serverStamp) return last;
  const server = parseHlc(serverStamp);
  return compareHlc(server, last) > 0 ? server : last;
}
