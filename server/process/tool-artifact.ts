/**
 * The wiring of a backup whose artifact is what a tool prints (redis-cli --rdb, a custom command's stdout): the
 * tool's stdout piped through a counting stream, which errors (never ends cleanly) unless the tool's exit, judged
 * once every byte has passed, is fine; a failure (a bad exit, a refused chunk, the signal, the reader closing early)
 * kills the tool at once and ends the stream, and `done` rejects with it once the tool has exited.
 *
 * The errors are the caller's (engines make EngineErrors), so is what starts the tool and what a good run returns.
 */
import { Transform, type Readable } from 'node:stream';

/** A started tool: its stdout, what its exit is (settles, never rejects) and how to stop it. */
export interface ArtifactTool<X> {
  stdout: Readable | null;
  exited: Promise<X>;
  kill(): void;
}

export interface ToolArtifactOptions<R, X> {
  signal?: AbortSignal | undefined;
  readableHighWaterMark?: number;
  /** Called with the byte count after each chunk passed (a progress reporter's `update`). */
  onBytes(bytes: number): void;
  /** Looks at a chunk before it passes; an error refuses it and fails the run. */
  inspect?(chunk: Buffer): Error | undefined;
  /**
   * Starts the tool: calls `spawned` as soon as it runs (its stdout is then piped); `failed()` says a failure
   * (e.g. the signal) came meanwhile, when it should not start it at all. A throw fails the run via `startError`.
   */
  start(ctx: { failed: () => boolean; spawned: (tool: ArtifactTool<X>) => void }): Promise<void>;
  /** Judges the tool's exit while it runs: an error here fails the run at once (a clean exit waits for the flush). */
  exitError(exit: X): Error | undefined;
  /** Judges the run once every byte has passed (`exit` undefined: the tool never started). */
  finalError(exit: X | undefined, bytes: number): Error | undefined;
  /** What a good run resolves `done` with (after every byte passed and the exit was judged fine). */
  finish(bytes: number): Promise<R>;
  /** Awaited after a failure once the tool has exited, before `done` rejects (cleanup); its errors are ignored. */
  afterFailure?(): Promise<unknown> | undefined;
  /** What a throw of `start` fails the run with. */
  startError(err: unknown): Error;
  /** The cancellation error with this message. */
  cancelled(message: string): Error;
  /** The message of the cancellation when the reader closes the stream before the end. */
  closedEarly: string;
}

export function toolArtifact<R, X>(opts: ToolArtifactOptions<R, X>): { stream: Transform; done: Promise<R> } {
  const { signal } = opts;
  let bytes = 0;
  let failure: Error | undefined;
  let tool: ArtifactTool<X> | undefined;
  let resolveDone!: (result: R) => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<R>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);
  const exitedOrNow = (): Promise<X | undefined> => tool?.exited ?? Promise.resolve(undefined);

  const output = new Transform({
    ...(opts.readableHighWaterMark !== undefined && { readableHighWaterMark: opts.readableHighWaterMark }),
    transform(chunk: Buffer, _encoding, callback) {
      const refused = opts.inspect?.(chunk);
      if (refused !== undefined) {
        callback(fail(refused));
        return;
      }
      bytes += chunk.length;
      opts.onBytes(bytes);
      callback(null, chunk);
    },
    flush(callback) {
      void exitedOrNow().then(async (exit) => {
        const problem = failure ?? opts.finalError(exit, bytes);
        if (problem !== undefined) {
          callback(fail(problem));
          return;
        }
        resolveDone(await opts.finish(bytes));
        callback();
      });
    },
  });
  output.on('error', () => undefined);

  function fail(err: Error): Error {
    if (failure !== undefined) return failure;
    failure = err;
    tool?.kill();
    if (!output.destroyed) output.destroy(err);
    void exitedOrNow()
      .then(() => opts.afterFailure?.())
      .catch(() => undefined)
      .then(() => rejectDone(err));
    return err;
  }

  if (signal?.aborted) {
    fail(opts.cancelled('backup cancelled before it started'));
    return { stream: output, done };
  }
  const onAbort = () => fail(opts.cancelled('backup cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  void done.finally(() => signal?.removeEventListener('abort', onAbort)).catch(() => undefined);
  output.once('close', () => {
    if (failure === undefined && !output.readableEnded) fail(opts.cancelled(opts.closedEarly));
  });

  const spawned = (started: ArtifactTool<X>) => {
    tool = started;
    started.stdout?.pipe(output);
    void started.exited.then((exit) => {
      // A failure ends the stream at once; a clean exit is judged in flush, once every byte has passed.
      const problem = opts.exitError(exit);
      if (problem !== undefined) fail(problem);
    });
  };
  opts.start({ failed: () => failure !== undefined, spawned }).catch((err: unknown) => fail(opts.startError(err)));

  return { stream: output, done };
}
