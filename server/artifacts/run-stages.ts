/**
 * The machinery under both pipelines: input → tap → child stages → tap → output, with the rules that make a
 * pipe safe to trust (see docs/FORMAT.md and the GUIDE anti-pattern "a pipe hid the exit code"):
 *
 * - adjacent stages are connected directly: each tool's stdout IS the next tool's stdin (the descriptor is handed
 *   over at spawn, consumer first), so between two tools the bytes never pass through this process; only the
 *   input (into the first tool) and the output (out of the last, unless it writes into a `sink`) cross Node.
 *   Those connections (and a producer's into the first tool) are kernel pipes (`openPipes`), not the socket pairs
 *   Node's stdio 'pipe' makes, which cost every tool more system time per write and read; sockets remain the
 *   fallback where FIFOs cannot be made;
 * - back-pressure end to end: every hop is a `pipe()` into a bounded buffer or a kernel pipe, so a slow consumer
 *   stops the tools and, through the input, the producer; memory does not grow with the artifact;
 * - the output only ENDS once every stage has exited 0 and the caller's checks passed; any other outcome
 *   makes it ERROR, so a storage driver never commits, and a restore never accepts, a truncated stream;
 * - cancellation (the signal, the consumer destroying the output, the input closing early) kills every child,
 *   and `done` settles only after they are all gone.
 *
 * Piped by hand rather than with `stream.pipeline()`: pipeline would destroy the input with a dead tool's EPIPE,
 * and we could then no longer tell "the input failed" (report its own error) from "a tool stopped reading"
 * (report the tool's exit status).
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished, Transform, Writable, type Readable } from 'node:stream';

import { describeExit, failedOnItsOwn, forkTurn, openPipes, spawnProcess, startFailure, type PipeEnds, type ProcessExit, type SpawnedProcess } from '@/server/process';

import { ArtifactError } from './errors';

// Slack between the last stage and the consumer (a storage upload or pg_restore): smooths bursts without
// holding much memory per run.
const OUTPUT_BUFFER_BYTES = 1024 * 1024;
// zstd and age hold no connections or locks: a tool that ignores SIGTERM this long is stuck, not finishing up.
const STAGE_KILL_GRACE_MS = 2_000;

export interface ArtifactTools {
  /** Path or name of the zstd binary; default `zstd` from PATH. */
  zstd?: string;
  /** Path or name of the age binary; default `age` from PATH. */
  age?: string;
}

/** One external tool in the pipeline (zstd, age), with both ends piped. */
export interface StageSpec {
  /** Name for messages, e.g. `zstd -d`. */
  label: string;
  command: string;
  args: readonly string[];
}

export type StageExit = ProcessExit;

export interface ChildStage {
  spec: StageSpec;
  child: SpawnedProcess['child'];
  /**
   * Our end of its stdin: a socket, or the write end of the kernel pipe it reads. Only the first stage's is used
   * (fed by the input or handed to the producer); the others are handed to the previous tool and closed at once.
   */
  stdin: Writable;
  /** Our end of its stdout; null when it writes straight into the next tool's stdin or the run's `sink`. */
  stdout: Readable | null;
  /** Settles (never rejects) once the process has exited and its stdout/stderr are closed, or it failed to start. */
  exited: Promise<StageExit>;
  /** Stops it and drops our ends of its pipes (see `SpawnedProcess.kill`). */
  kill(): void;
}

/**
 * Through the one process helper, which gives the tool nothing of the worker's environment: besides its secrets,
 * zstd would read ZSTD_CLEVEL and ZSTD_NBTHREADS there, silently overriding the level recorded in the manifest.
 */
function spawnStage(spec: StageSpec, stdout: 'pipe' | Writable | number, pipe?: PipeEnds, stdinFd?: number): ChildStage {
  const started = spawnProcess({ command: spec.command, args: spec.args, stdin: pipe?.readFd ?? stdinFd ?? 'pipe', stdout, killGraceMs: STAGE_KILL_GRACE_MS });
  // The child has its own copy of the read end now; ours would keep the pipe readable after the tool died, so its
  // writer would block instead of getting EPIPE.
  pipe?.closeRead();
  return {
    spec,
    child: started.child,
    // Without a pipe it is Node's 'pipe'; a stage reading a lent descriptor gets a closed stand-in (nothing is fed).
    stdin: pipe?.write ?? started.stdin ?? new Writable({ write: (_chunk, _encoding, callback) => callback() }).end(),
    stdout: started.stdout,
    exited: started.exited,
    kill: () => {
      started.kill();
      // Not handed over yet (the run failed while starting): the write end would otherwise leak.
      pipe?.write.destroy();
    },
  };
}

/**
 * The stage writing into a lent descriptor (a storage driver's file) is the one tool whose death nothing else would
 * cause if the worker died (SIGKILL, OOM): a stage writing into a socket or pipe to this process gets EPIPE, and that
 * breaks every pipe upstream, but a file never refuses a write, so an orphaned pipeline would dump the whole source
 * beside the retry's. util-linux's `setpriv --pdeathsig KILL` (in every Debian install) asks the kernel to SIGKILL it
 * when the worker exits, however it exits, then execs the tool (same pid and process group, so kill() and
 * /proc/<pid>/io work as before); its death then breaks the pipes upstream as before. Without setpriv (not Linux),
 * or when the tool cannot be found (so that it is reported as not installed), the tool is started as is.
 */
async function dyingWithWorker(spec: StageSpec): Promise<StageSpec> {
  const [setpriv, tool] = await Promise.all([(setprivPath ??= findExecutable('setpriv')), findExecutable(spec.command)]);
  if (setpriv === undefined || tool === undefined) return spec;
  return { ...spec, command: setpriv, args: ['--pdeathsig', 'KILL', '--', tool, ...spec.args] };
}
let setprivPath: Promise<string | undefined> | undefined;

/** `command` as the child would find it: a path as given, a bare name on PATH (the one childEnv passes on). */
async function findExecutable(command: string): Promise<string | undefined> {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here: try the next folder
    }
  }
  return undefined;
}

/**
 * The useful part of a tool's stderr as one line: its error lines without the `zstd:`/`age: error:` prefixes
 * and without age's "report unexpected errors at …" footer, e.g. `no identity matched any of the recipients`.
 */
function summarizeStderr(stderrTail: string): string {
  const lines = stderrTail
    .split(/\r?\n/)
    .map((line) => line.trim())
    // zstd -v's banner (`*** Zstandard CLI …`) says nothing about what went wrong.
    .filter((line) => line.length > 0 && !/report unexpected or unhelpful errors/i.test(line) && !/^\*\*\* Zstandard CLI/.test(line));
  // Three lines is enough to read in a UI.
  return lines
    .slice(-3)
    .map((line) => line.replace(/^(zstd|age):\s*(error:\s*)?/i, '').replace(/\s+/g, ' '))
    .join(' / ');
}

export interface StreamTotals {
  bytes: number;
  /** Lowercase hex sha256. */
  sha256: string;
}

export interface PreparedStages {
  specs: StageSpec[];
  /** Runs once every stage has exited (success or not), e.g. to delete a temporary identity file. */
  cleanup?: () => Promise<void>;
  /** Called with each spawned stage, e.g. to delete that identity file the moment the tool has read it. */
  onSpawned?: (stage: ChildStage, index: number) => void;
}

/**
 * A producer that writes straight into the first stage's stdin (a file descriptor), so its bytes never pass through
 * this process: no hop, no copy, no hash here. The run then has no input totals, and its output only ends once the
 * producer's `done` has resolved, because a stage cannot tell a producer that died from one that finished.
 */
export interface StageProducer {
  /** Starts the producer writing into `sink`; it must take its own copy of the descriptor before returning. */
  start(sink: Writable): { done: Promise<unknown>; kill(): void };
}

export interface RunStagesOptions {
  /** Exactly one of `input` (a stream piped through this process), `producer` and `inputFd`. */
  input?: Readable;
  producer?: StageProducer;
  /**
   * A descriptor the first stage reads as its stdin, e.g. a stored object's file (`StorageDriver.openFile`): its bytes
   * never pass through this process, so the run has no input totals (the caller vouches for what the file holds).
   * Lent: the tool gets its own copy at spawn, the caller's is never closed here. It reads from the descriptor's
   * current offset, which is shared with the caller's copy.
   */
  inputFd?: number;
  /** Builds the stage list; async so that it may write files first. A rejection fails the run with that error. */
  prepare: () => Promise<PreparedStages>;
  /** No stages will run: the output is the input, so hash it once. */
  passthrough: boolean;
  /**
   * Backed by a file descriptor (a consumer tool's stdin, see `Engine.restoreFrom`): the last stage writes straight
   * into it, so the output never passes through here. `stream` then carries no bytes and ends once every stage
   * exited 0 and the checks passed; the output totals are zero. The sink is handed over: closed here once the last
   * stage holds the descriptor (or when the run fails before that), so its tool sees EOF when that stage exits.
   */
  sink?: Writable;
  /**
   * A descriptor the last stage writes into, e.g. a storage driver's temp file (`StorageDriver.putFromTool`): like
   * `sink`, the output never passes through here and `stream` only signals the verdict, but the descriptor is only
   * lent: the tool gets its own copy and the caller's is never closed here (the driver still fsyncs and reads it).
   */
  sinkFd?: number;
  /** Hash the output (default true). Off when the consumer hashes it anyway (a storage driver's put). */
  hashOutput?: boolean;
  /** Called with the input bytes seen so far, once per chunk. */
  onInputBytes?: (bytes: number) => void;
  signal?: AbortSignal;
  /** Fails the run as soon as more input than this arrives (the stored object is longer than recorded). */
  maxInputBytes?: number;
  /** Last checks before the output may end, given the totals of both taps and how each stage exited. */
  verify?: (totals: RunTotals) => ArtifactError | undefined;
}

export interface RunTotals {
  /** Undefined with a `producer` or an `inputFd`: their bytes never passed through here. */
  input?: StreamTotals;
  output: StreamTotals;
  /** Every stage's exit, in order (stderr tails included, e.g. for a tool's own byte counts). */
  exits: StageExit[];
}

export interface RunningStages {
  stream: Readable;
  done: Promise<RunTotals>;
}

interface Tap {
  stream: Transform;
  bytes(): number;
  /** Valid once the tap has seen its last chunk. */
  sha256(): string;
}

function createTap(options: { hash: boolean; highWaterMark?: number; onBytes?: (total: number) => ArtifactError | undefined; flush?: (callback: (err?: Error | null) => void) => void }): Tap {
  const hash = options.hash ? createHash('sha256') : undefined;
  let bytes = 0;
  let digest: string | undefined;
  const stream = new Transform({
    ...(options.highWaterMark !== undefined && { readableHighWaterMark: options.highWaterMark }),
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      const problem = options.onBytes?.(bytes);
      if (problem !== undefined) {
        callback(problem);
        return;
      }
      hash?.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (options.flush !== undefined) options.flush(callback);
      else callback();
    },
  });
  return {
    stream,
    bytes: () => bytes,
    sha256: () => {
      digest ??= hash?.digest('hex') ?? '';
      return digest;
    },
  };
}

export function runStages(options: RunStagesOptions): RunningStages {
  const { input, producer, inputFd, signal } = options;
  if ([input, producer, inputFd].filter((given) => given !== undefined).length !== 1) {
    throw new ArtifactError('INVALID_OPTIONS', 'runStages needs exactly one of input, producer and inputFd');
  }
  if ((producer !== undefined || inputFd !== undefined) && options.passthrough) {
    throw new ArtifactError('INVALID_OPTIONS', 'a producer or an input descriptor needs at least one stage to read it');
  }
  if (options.sink !== undefined && options.sinkFd !== undefined) throw new ArtifactError('INVALID_OPTIONS', 'runStages takes at most one of sink and sinkFd');
  const sinkTarget = options.sink ?? options.sinkFd;
  if (sinkTarget !== undefined && options.passthrough) throw new ArtifactError('INVALID_OPTIONS', 'a sink needs at least one stage to write into it');
  let failure: unknown;
  let stages: ChildStage[] = [];
  let cleanup: (() => Promise<void>) | undefined;
  let inputEnded = false;

  let producerRun: { done: Promise<unknown>; kill(): void } | undefined;
  let stageExits: StageExit[] = [];

  let resolveDone!: (totals: RunTotals) => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<RunTotals>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Whoever awaits `done` still sees the rejection; this only keeps an unawaited one from crashing the worker.
  done.catch(() => undefined);

  const inTap = createTap({
    hash: true,
    onBytes: (total) => {
      if (options.maxInputBytes !== undefined && total > options.maxInputBytes) {
        return new ArtifactError('SIZE_MISMATCH', `the stored object is longer than the recorded ${options.maxInputBytes} bytes`);
      }
      options.onInputBytes?.(total);
      return undefined;
    },
  });
  const outTap = createTap({
    hash: !options.passthrough && options.hashOutput !== false && sinkTarget === undefined,
    highWaterMark: OUTPUT_BUFFER_BYTES,
    flush: (callback) => {
      // The last stage's stdout has ended; the bytes are only good once we know how every stage exited.
      void settled().then(async (exits) => {
        stageExits = exits;
        const problem = failure ?? judge(exits) ?? (await producerProblem()) ?? incompleteInput() ?? options.verify?.(totals());
        if (problem !== undefined) {
          callback(asError(fail(problem)));
          return;
        }
        await runCleanup();
        signal?.removeEventListener('abort', onAbort);
        resolveDone(totals());
        callback();
      });
    },
  });
  // Any error on either tap fails the run (fail() keeps only the first); listening also means an error nobody
  // else observes cannot crash the worker.
  inTap.stream.on('error', (err) => fail(err));
  outTap.stream.on('error', (err) => fail(err));
  inTap.stream.once('end', () => {
    inputEnded = true;
  });

  function totals(): RunTotals {
    const output = { bytes: outTap.bytes(), sha256: outTap.sha256() };
    if (input === undefined) return { output, exits: stageExits };
    const inputTotals = { bytes: inTap.bytes(), sha256: inTap.sha256() };
    return { input: inputTotals, output: options.passthrough ? inputTotals : output, exits: stageExits };
  }

  /** The producer's failure, once it has exited; undefined when it exited cleanly (or there is none). */
  async function producerProblem(): Promise<unknown> {
    if (producerRun === undefined) return undefined;
    try {
      await producerRun.done;
      return undefined;
    } catch (err) {
      return err;
    }
  }

  /** Records the first failure, stops everything, errors the output; `done` rejects once no child is left. */
  function fail(err: unknown): unknown {
    if (failure !== undefined) return failure;
    failure = err;
    for (const stage of stages) stage.kill();
    // Tells an engine upstream that nobody will read the rest, so it stops its own child (pg_dump) too.
    if (input !== undefined && !input.destroyed) input.destroy();
    producerRun?.kill();
    // Before the stages started the sink is still ours: closing it tells its tool that nothing is coming.
    options.sink?.destroy();
    inTap.stream.destroy();
    if (!outTap.stream.destroyed) outTap.stream.destroy(asError(err));
    void settled()
      .then(() => producerRun?.done.catch(() => undefined))
      .then(runCleanup)
      .finally(() => {
        signal?.removeEventListener('abort', onAbort);
        rejectDone(err);
      });
    return err;
  }

  let cleanupPromise: Promise<void> | undefined;
  function runCleanup(): Promise<void> {
    // A failed cleanup (a temp file already gone) must not turn a good run into a failed one.
    cleanupPromise ??= cleanup?.().catch(() => undefined) ?? Promise.resolve();
    return cleanupPromise;
  }

  function onAbort(): void {
    fail(new ArtifactError('CANCELLED', 'the artifact pipeline was cancelled'));
  }

  // Which stage to blame when several exit badly: the most upstream one that failed on its own, because a failure
  // cascades downstream (`age -d` rejects the key → `zstd -d` sees an empty input) and a dead downstream tool makes
  // its upstream die of SIGPIPE. A stage we killed ourselves is blamed only if nothing else is left.
  function judge(exits: StageExit[], how: { blameKilled: boolean } = { blameKilled: true }): ArtifactError | undefined {
    const own = (exit: StageExit) => failedOnItsOwn(exit) && !lostItsReader(exit);
    const rules: ((exit: StageExit) => boolean)[] = [own, failedOnItsOwn, (exit) => exit.code !== 0 && !exit.killedByUs];
    if (how.blameKilled) rules.push((exit) => exit.code !== 0);
    const blamed = rules.map((rule) => exits.findIndex(rule)).find((index) => index >= 0) ?? -1;
    const exit = exits[blamed];
    const stage = stages[blamed];
    if (exit === undefined || stage === undefined) return undefined;
    if (!exits.some(own)) {
      const orphaned = readerLeft(exits);
      if (orphaned !== undefined) return orphaned;
    }
    if (exit.spawnError !== undefined) {
      const { code, message } = startFailure(path.basename(stage.spec.command), stage.spec.command, exit.spawnError, 'install it on the worker (Debian: apt-get install zstd age)');
      return new ArtifactError(code, message, { cause: exit.spawnError });
    }
    const detail = summarizeStderr(exit.stderrTail);
    return new ArtifactError('TOOL_FAILED', `${stage.spec.label} failed (${describeExit(exit)})${detail ? `: ${detail}` : ''}`);
  }

  /**
   * Nothing failed on its own, but a tool died writing into a reader that had left (`lostItsReader`). The failure cascades
   * upstream (each writer dies when its reader closes), so the most downstream such tool is the one to look at: the
   * next stage exited 0 without reading everything, or the tool was the last and the sink's tool stopped reading
   * (which reports its own failure: this one is then only a cancellation).
   */
  function readerLeft(exits: StageExit[]): ArtifactError | undefined {
    let piped = -1;
    exits.forEach((exit, index) => {
      if (lostItsReader(exit)) piped = index;
    });
    const stage = stages[piped];
    if (stage === undefined) return undefined;
    const next = stages[piped + 1];
    if (next !== undefined) return exits[piped + 1]?.code === 0 ? new ArtifactError('TOOL_FAILED', `${next.spec.label} exited before reading all of its input`) : undefined;
    if (options.sink !== undefined) return new ArtifactError('CANCELLED', `the consumer stopped reading ${stage.spec.label}'s output`);
    return undefined;
  }

  /**
   * The tool failed writing into a reader that had gone: SIGPIPE, or (tools that ignore it) a write error. Between
   * two tools connected directly the writer sees ECONNRESET, not EPIPE, when its reader exits with unread input
   * (zstd: `Write error : … Connection reset by peer`, exit 70): fallout of the reader's failure, never the cause.
   */
  function lostItsReader(exit: StageExit): boolean {
    // Whether we also sent it SIGTERM meanwhile does not matter: SIGPIPE is never ours, and an exit code is its own.
    if (exit.code === 0 || exit.spawnError !== undefined) return false;
    return exit.signal === 'SIGPIPE' || (exit.code !== null && /broken pipe|connection reset by peer/i.test(exit.stderrTail));
  }

  function incompleteInput(): ArtifactError | undefined {
    const first = stages[0];
    // A producer's completeness is its exit status, checked before; a stage reading a file reads it to its end itself.
    if (input === undefined) return undefined;
    // A stage that exits 0 has read to EOF, which we only send after the input ended; anything else means a tool
    // stopped early and the bytes it never read would be silently dropped.
    if (first === undefined || inputEnded) return undefined;
    return new ArtifactError('TOOL_FAILED', `${first.spec.label} exited before reading all of its input`);
  }

  let stopping = false;
  /** A stage failed: stop the others, then blame the right one once every exit status is in. */
  function stopStages(stoppedEarly?: number): void {
    if (stopping || failure !== undefined) return;
    stopping = true;
    for (const stage of stages) stage.kill();
    void settled().then((exits) => {
      const early = stoppedEarly === undefined ? undefined : stages[stoppedEarly];
      const stoppedReading = early && new ArtifactError('TOOL_FAILED', `${early.spec.label} exited before reading all of its input`);
      fail(failure ?? judge(exits, { blameKilled: false }) ?? stoppedReading ?? judge(exits) ?? new ArtifactError('TOOL_FAILED', 'a pipeline stage failed'));
    });
  }

  let ready: Promise<void> = Promise.resolve();
  async function settled(): Promise<StageExit[]> {
    await ready;
    return Promise.all(stages.map((stage) => stage.exited));
  }

  function asError(err: unknown): Error {
    return err instanceof Error ? err : new Error(String(err));
  }

  // Attached at once: an input that fails before the stages start must still be reported (and not crash us).
  if (input !== undefined) {
    finished(input, { writable: false }, (err) => {
      if (err === undefined || err === null) return;
      const premature = (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE';
      // An input's own error (e.g. an EngineError from pg_dump) is passed on unchanged, so the caller sees the real cause.
      fail(premature ? new ArtifactError('CANCELLED', 'the input stream was closed before it ended') : err);
    });
  }
  outTap.stream.once('close', () => {
    if (failure === undefined && !outTap.stream.readableEnded) {
      fail(new ArtifactError('CANCELLED', 'the output stream was closed before the pipeline finished'));
    }
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  ready = (async () => {
    if (failure !== undefined) return;
    let prepared: PreparedStages;
    try {
      prepared = await options.prepare();
    } catch (err) {
      fail(err);
      return;
    }
    cleanup = prepared.cleanup;
    if (failure !== undefined) return; // cancelled while preparing: nothing to start; fail() runs the cleanup
    const specs = [...prepared.specs];
    const lastIndex = specs.length - 1;
    if (options.sinkFd !== undefined && lastIndex >= 0) specs[lastIndex] = await dyingWithWorker(specs[lastIndex]!);
    if (failure !== undefined) return;
    // One pipe into every stage that another process feeds: each stage after the first, and the first under a producer.
    const fedByProcess = (index: number) => index > 0 || producer !== undefined;
    const pipes = specs.length === 0 ? [] : ((await openPipes(specs.length - (producer === undefined ? 1 : 0))) ?? []);
    const pipeInto = (index: number) => (fedByProcess(index) ? pipes[producer === undefined ? index - 1 : index] : undefined);
    // The forks below block the process: they wait for their turn (server/process/fork-turn.ts).
    if (failure === undefined && specs.length > 0) await forkTurn();
    if (failure !== undefined) {
      for (const pipe of pipes) {
        pipe.closeRead();
        pipe.write.destroy();
      }
      return;
    }
    // Consumer first, from the last stage back: each tool is started with the next one's stdin as its stdout (Node
    // would start reading any stdout it wraps), so adjacent tools share one pipe and no byte between them
    // passes through here. Our copy of each such stdin is closed at once: it would keep the pipe open after the
    // writer exits, and the reader would never see EOF.
    const spawned: ChildStage[] = [];
    for (let index = specs.length - 1; index >= 0; index -= 1) {
      const next = spawned[0];
      const stage = spawnStage(specs[index]!, next?.stdin ?? sinkTarget ?? 'pipe', pipeInto(index), index === 0 ? inputFd : undefined);
      // The sink is handed over the same way: the last stage holds the descriptor now (a lent `sinkFd` stays open).
      (next?.stdin ?? options.sink)?.destroy();
      spawned.unshift(stage);
    }
    stages = spawned;
    stages.forEach((stage, index) => {
      // 'exit', not 'close': a stage whose unread output sits in a paused socket never closes until someone stops
      // the rest. A clean exit is judged in the output's flush, after the last byte; a failure is acted on at once.
      stage.child.once('exit', (code) => {
        if (code !== 0) stopStages();
        // Exit 0 without having been sent EOF: the tool stopped reading, and whatever it did not read would be
        // silently dropped. ('finish' on our end precedes the tool's exit: it can only see EOF after our shutdown.)
        // Only the first stage is fed by us. A producer's stage is fed by the producer, and every other stage by
        // the tool before it: whether it read everything is that writer's exit status (a writer whose reader left
        // dies of SIGPIPE/EPIPE).
        else if (index === 0 && input !== undefined && !stage.stdin.writableFinished) stopStages(index);
      });
      void stage.exited.then((exit) => {
        if (exit.spawnError !== undefined) stopStages();
      });
    });

    const first = stages[0];
    if (producer !== undefined && first !== undefined) {
      try {
        producerRun = producer.start(first.stdin);
      } catch (err) {
        fail(err);
        return;
      }
      // The producer holds its own copy of the descriptor now; ours would keep the pipe open after it exits.
      first.stdin.destroy();
      producerRun.done.catch((err: unknown) => {
        // A stage that failed on its own (zstd crashed) is the root cause: the producer then only died of EPIPE.
        // Otherwise the producer failed first (pg_dump could not connect) and its own error is the one to report.
        for (const stage of stages) stage.kill();
        void settled().then((exits) => fail(judge(exits, { blameKilled: false }) ?? err));
      });
    } else if (inputFd !== undefined) {
      // The tool reads the descriptor itself; the Node stdin it was given besides is not used.
      first?.stdin.destroy();
    } else if (first !== undefined) {
      input!.pipe(inTap.stream).pipe(first.stdin);
    } else {
      input!.pipe(inTap.stream);
    }
    const last = stages.at(-1);
    if (sinkTarget !== undefined) {
      // Nothing flows through the output: it ends (through the same checks in its flush) once every stage is gone.
      outTap.stream.resume();
      void settled().then(() => {
        if (failure === undefined) outTap.stream.end();
      });
    } else {
      (last?.stdout ?? inTap.stream).pipe(outTap.stream);
    }
    // After the pipes: a 'data' listener added before them would switch a stdout to flowing with nobody to catch it.
    stages.forEach((stage, index) => prepared.onSpawned?.(stage, index));
  })();

  return { stream: outTap.stream, done };
}
