/** Helpers for the artifact tests: generated data that is never held whole, stream outcomes, child processes. */
import { createHash, randomFillSync } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

// 1 MiB chunks: the size a file or network stream typically delivers; small enough to keep RSS flat.
const CHUNK_BYTES = 1024 * 1024;

/** Half random (incompressible), half repetitive text: zstd has real work to do, as on a database dump. */
export function fillChunk(chunk: Buffer, index: number): Buffer {
  const half = Math.floor(chunk.length / 2);
  randomFillSync(chunk, 0, half);
  chunk.write(`row ${index} `.repeat(Math.ceil((chunk.length - half) / 8)).slice(0, chunk.length - half), half, 'latin1');
  return chunk;
}

/** A few MB of mixed data, held in memory, for round trips that compare bytes. */
export function sampleData(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let offset = 0, i = 0; offset < bytes; offset += CHUNK_BYTES, i++) {
    fillChunk(out.subarray(offset, Math.min(bytes, offset + CHUNK_BYTES)), i);
  }
  return out;
}

export interface GeneratedInput {
  stream: Readable;
  /** Bytes handed out so far: with back-pressure, this stops growing while nobody reads the output. */
  pulled(): number;
}

/** `total` bytes (Infinity: never ends) produced on demand, one reused chunk buffer at a time. */
export function generatedInput(total: number): GeneratedInput {
  let pulled = 0;
  let index = 0;
  const stream = new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (pulled >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(CHUNK_BYTES, total - pulled);
      // A fresh buffer per push: the consumer may still hold the previous one.
      const chunk = fillChunk(Buffer.allocUnsafe(size), index++);
      pulled += size;
      this.push(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

export interface StreamOutcome {
  bytes: number;
  sha256: string;
  ended: boolean;
  error?: unknown;
}

/** Reads a stream to its end or its error and says which; never rejects. Keeps only a running hash. */
export function drain(stream: Readable, onChunk?: (chunk: Buffer) => void): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
      onChunk?.(chunk);
    });
    stream.once('end', () => {
      ended = true;
    });
    stream.once('error', (error) => resolve({ bytes, sha256: hash.digest('hex'), ended, error }));
    // After 'error' this is a no-op (the promise has settled); without either, the stream was destroyed quietly.
    stream.once('close', () => resolve({ bytes, sha256: ended ? hash.digest('hex') : '', ended }));
  });
}

/** A Writable that throws everything away, counting bytes. */
export function discardSink(): Writable & { bytes: () => number } {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  return Object.assign(sink, { bytes: () => bytes });
}

/** Live (or zombie) children of this process named like one of `names`, from /proc. */
export async function childProcesses(names: readonly string[] = ['zstd', 'age']): Promise<{ pid: number; comm: string }[]> {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split at the last ")".
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === process.pid && names.includes(comm)) found.push({ pid: Number(entry), comm });
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
