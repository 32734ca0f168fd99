import { bytes, duration } from './format';
import type { Run } from './schemas';

/** Where progress goes: stderr, so stdout keeps only the command's answer. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** The run as last read from the server. */
  update(run: Run): void;
  /** The run's final state. */
  finish(run: Run): void;
  /** Ends the bar's line, if one is drawn (after the final state, or when following stops early). */
  end(): void;
  /** A line of its own (a lost connection, a retry), without breaking the bar. */
  note(message: string): void;
}

// Without a terminal a line per change: status, phase or attempt at once, a byte count at most this often, so that
// a long dump in a CI log says it is alive without writing a line per poll.
const PLAIN_BYTES_EVERY_MS = 10_000;
const BAR_WIDTH = 24;
const SPINNER = ['|', '/', '-', '\\'];

const percent = (run: Run) => (run.bytesTotal ? Math.min(100, Math.floor((run.bytesDone / run.bytesTotal) * 100)) : null);

/** "RUNNING dumping, 12.3 MB of 27.1 MB (45%), 3.1 MB/s, attempt 2 of 3": the words both renderings share. */
export function describeProgress(run: Run, rate: number | null): string {
  // Whole bytes: a rate of 5.5 B/s reads as noise.
  const perSecond = rate === null ? null : Math.round(rate);
  const parts = [run.status + (run.phase && run.status === 'RUNNING' ? ` ${run.phase}` : '')];
  // A total alone is news while running; after the end it is not ("0 B of 1.7 kB" of a restore that never counts).
  if (run.bytesDone > 0 || (run.bytesTotal && run.status === 'RUNNING')) {
    const pct = percent(run);
    parts.push(run.bytesTotal ? `${bytes(run.bytesDone)} of ${bytes(run.bytesTotal)} (${pct}%)` : bytes(run.bytesDone));
  }
  if (perSecond !== null && run.status === 'RUNNING' && perSecond > 0) parts.push(`${bytes(perSecond)}/s`);
  if (run.attempt > 1) parts.push(`attempt ${run.attempt} of ${run.maxAttempts}`);
  if (run.cancelRequested && run.status === 'RUNNING') parts.push('cancel requested');
  return parts.join(', ');
}

/** A bar redrawn in place on a terminal, plain lines otherwise, nothing when `enabled` is false (`--quiet`). */
export function createProgress(stream: ProgressStream, opts: { enabled: boolean; now?: () => number }): Progress {
  const now = opts.now ?? Date.now;
  const started = now();
  const tty = !!stream.isTTY;
  let last: { at: number; bytes: number; status: string } | null = null;
  let rate: number | null = null;
  let lastKey = '';
  let lastLineAt = 0;
  let lastBytes = -1;
  let barShown = false;
  let tick = 0;

  const track = (run: Run) => {
    const t = now();
    if (last && last.status === 'RUNNING' && run.status === 'RUNNING' && t > last.at && run.bytesDone >= last.bytes) {
      const instant = ((run.bytesDone - last.bytes) * 1000) / (t - last.at);
      // Smoothed: one slow poll should not make the figure jump.
      rate = rate === null ? instant : rate * 0.5 + instant * 0.5;
    }
    last = { at: t, bytes: run.bytesDone, status: run.status };
  };

  const elapsed = () => `[${duration((now() - started) / 1000).padStart(8)}]`;

  const drawBar = (run: Run) => {
    const columns = stream.columns ?? 80;
    const pct = percent(run);
    const width = columns < 70 ? 10 : BAR_WIDTH;
    const bar = pct === null ? `${SPINNER[tick++ % SPINNER.length]} ` : `[${'#'.repeat(Math.round((pct / 100) * width)).padEnd(width, '-')}] `;
    const line = `${bar}${describeProgress(run, rate)}  ${duration((now() - started) / 1000)}`;
    stream.write(`\r\x1b[2K${line.length > columns - 1 ? line.slice(0, columns - 2) + '…' : line}`);
    barShown = true;
  };

  const plainLine = (run: Run, force: boolean) => {
    const key = `${run.status}|${run.phase ?? ''}|${run.attempt}|${run.cancelRequested ?? false}`;
    const t = now();
    const bytesMoved = run.bytesDone !== lastBytes;
    if (!force && key === lastKey && !(bytesMoved && t - lastLineAt >= PLAIN_BYTES_EVERY_MS)) return;
    if (force && key === lastKey && !bytesMoved) return;
    stream.write(`${elapsed()} ${run.kind.toLowerCase()} run ${run.id}: ${describeProgress(run, rate)}\n`);
    lastKey = key;
    lastLineAt = t;
    lastBytes = run.bytesDone;
  };

  return {
    update(run) {
      if (!opts.enabled) return;
      track(run);
      if (tty) drawBar(run);
      else plainLine(run, false);
    },
    finish(run) {
      if (!opts.enabled) return;
      track(run);
      if (tty) drawBar(run);
      else plainLine(run, true);
    },
    end() {
      if (barShown) stream.write('\n');
      barShown = false;
    },
    note(message) {
      if (!opts.enabled) return;
      if (tty && barShown) stream.write('\r\x1b[2K');
      stream.write(`${message}\n`);
    },
  };
}
