import { authorize } from '@/server/auth/permissions';
import type { VerbContext } from '@/server/shared/context';
import { getRun } from './get-run';
import type { RunProgressEvent } from './progress';
import { progressHub } from './progress-hub';
import { TERMINAL } from './state-machine';

// Comment lines keep proxies from closing an idle stream; 15 s is below the usual 30-60 s idle timeouts.
const KEEPALIVE_MS = 15_000;

/**
 * A server-sent-event stream of one run's progress: the current state first, then every event the worker publishes,
 * ending after a terminal status. The browser falls back to polling GET /runs/{id} if the stream drops.
 */
export async function watchRun(ctx: VerbContext, runId: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  authorize(ctx.actor, 'run:read');
  // The stream outlives any transaction: both reads go to the pool.
  const reads: VerbContext = { actor: ctx.actor };
  const run = await getRun(reads, runId); // 404s before any stream is opened
  const encoder = new TextEncoder();
  let closed = false;
  let keepalive: NodeJS.Timeout | undefined;
  let unlisten: (() => void) | undefined;

  const cleanup = () => {
    if (closed) return;
    closed = true;
    if (keepalive) clearInterval(keepalive);
    unlisten?.();
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: RunProgressEvent) => {
        if (closed) return;
        controller.enqueue(encoder.encode(`event: progress\ndata: ${JSON.stringify(event)}\n\n`));
        if (TERMINAL.has(event.status)) {
          cleanup();
          controller.close();
        }
      };
      signal.addEventListener('abort', () => {
        cleanup();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      });
      unlisten = await progressHub().listen(runId, send);
      // The browser left while we were subscribing.
      if (closed) unlisten();
      keepalive = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(`: keepalive\n\n`));
      }, KEEPALIVE_MS);
      // Read the state again after subscribing so nothing published in between is missed.
      const current = await getRun(reads, runId).catch(() => run);
      send({
        runId,
        status: current.status,
        phase: current.phase,
        bytesDone: current.bytesDone,
        bytesTotal: current.bytesTotal,
        rate: null,
        error: current.error,
        at: new Date().toISOString(),
      });
    },
    cancel() {
      cleanup();
    },
  });
}
