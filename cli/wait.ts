import type { ApiClient } from './client';
import { CliError, EXIT } from './errors';
import type { Progress } from './progress';
import { Run, TERMINAL_STATUSES } from './schemas';

// A run's progress is written to the catalog on every heartbeat (5 s) and on each phase change; a poll a second
// shows phase changes promptly and costs the server one indexed read per second per follower.
export const POLL_MS = 1_000;
// A restarting web server or a proxy's hiccup should not end a two-hour wait: this many failed polls in a row
// (with the pause growing to 5 s, about a minute in all) before giving up.
const MAX_FAILED_POLLS = 15;
const MAX_PAUSE_MS = 5_000;

export interface FollowOptions {
  progress: Progress;
  pollMs?: number;
  /** Give up (exit 1) after this long; the run goes on. Undefined: wait for as long as it takes. */
  timeoutMs?: number;
  /** Aborted on Ctrl-C: stop following (the run goes on on the server). */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Whether an error of one poll may pass: the server unreachable or failing, not a refusal of who we are or what we ask. */
const transient = (e: unknown) => e instanceof CliError && (e.exitCode === EXIT.NETWORK || (e.status !== undefined && e.status >= 500));

/**
 * Follows a run to its end by polling `GET /runs/{id}` and returns its final state. Progress goes to `progress`.
 * Stopping (timeout, Ctrl-C) throws with the command that picks the run up again; the run itself is not cancelled.
 */
export async function followRun(client: ApiClient, runId: string, opts: FollowOptions): Promise<Run> {
  try {
    return await poll(client, runId, opts);
  } finally {
    opts.progress.end();
  }
}

async function poll(client: ApiClient, runId: string, opts: FollowOptions): Promise<Run> {
  const pollMs = opts.pollMs ?? POLL_MS;
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const resume = `follow it again with: lifeboat runs show ${runId} --wait`;
  let failed = 0;
  let last: Run | null = null;
  for (;;) {
    if (opts.signal?.aborted) throw new CliError(`stopped following run ${runId}; it goes on on the server (${resume})`, EXIT.INTERRUPTED, 'INTERRUPTED');
    try {
      const run = await client.get(`/runs/${runId}`, Run, undefined, opts.signal);
      failed = 0;
      last = run;
      if (TERMINAL_STATUSES.includes(run.status)) {
        opts.progress.finish(run);
        return run;
      }
      opts.progress.update(run);
    } catch (e) {
      if (opts.signal?.aborted) continue;
      if (!transient(e) || ++failed >= MAX_FAILED_POLLS) throw e;
      opts.progress.note(`lifeboat: ${(e as Error).message}; trying again (${failed} of ${MAX_FAILED_POLLS - 1})`);
    }
    if (Date.now() >= deadline) {
      throw new CliError(`run ${runId} is still ${last?.status ?? 'unknown'} after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s; ${resume}`, EXIT.FAILED, 'TIMEOUT');
    }
    await sleep(Math.min(MAX_PAUSE_MS, pollMs * (1 + failed)), opts.signal);
  }
}
