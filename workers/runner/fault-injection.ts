import { pipeline, Transform, type Readable } from 'node:stream';

/**
 * Fault injection for tests only: LIFEBOAT_FAULT_THROTTLE_BPS slows the artifact stream to that many bytes per
 * second (a slow disk or network), so a test can kill a worker mid-backup deterministically. Off unless set.
 */
export function maybeThrottle(stream: Readable): Readable {
  const bps = throttleBps();
  if (bps === undefined) return stream;
  const started = Date.now();
  let sent = 0;
  const throttle = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      const due = started + (sent / bps) * 1000;
      setTimeout(() => done(null, chunk), Math.max(0, due - Date.now()));
    },
  });
  // pipeline(), not pipe(): errors and destruction travel both ways (a storage driver that aborts destroys the
  // throttle, which must stop the artifact stream too), and every stream has an error listener, so an abort that
  // destroys the throttle with the signal's reason cannot crash the worker with an unhandled 'error' event.
  pipeline(stream, throttle, () => undefined);
  return throttle;
}

/** The throttle in bytes per second, or undefined when off. A backup only throttles bytes that pass through Node. */
export function throttleBps(): number | undefined {
  const bps = Number(process.env.LIFEBOAT_FAULT_THROTTLE_BPS ?? 0);
  return Number.isFinite(bps) && bps > 0 ? bps : undefined;
}
