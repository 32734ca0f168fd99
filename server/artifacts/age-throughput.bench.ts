/**
 * Why the pipeline encrypts with the age CLI rather than the `age-encryption` JS package: both encrypt the same
 * generated stream (never held in memory) to one X25519 recipient into a discarding sink, twice each.
 *
 *   npx tsx server/artifacts/age-throughput.bench.ts          (AGE_BENCH_BYTES, default 500 MiB)
 *
 * Measured on a 2-core machine (Node 20, age 1.1.1), 500 MiB: CLI 550-1040 MiB/s, JS 95-115 MiB/s (5-9x slower).
 */
import { spawn } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { Encrypter } from 'age-encryption';

import { generateIdentity } from './keys';
import { discardSink, sampleData } from './test-support';

// Big enough that process start-up and the age header are noise.
const BYTES = Number(process.env.AGE_BENCH_BYTES ?? 500 * 1024 * 1024);
const MiB = 1024 * 1024;
// One pre-filled block handed out again and again: generating fresh random data would be the bottleneck.
const BLOCK = sampleData(MiB);

function source(): Readable {
  let left = BYTES;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const size = Math.min(BLOCK.length, left);
      left -= size;
      this.push(BLOCK.subarray(0, size));
    },
  });
}

async function viaCli(recipient: string, sink: Writable): Promise<void> {
  const child = spawn('age', ['-r', recipient], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const [, , code] = await Promise.all([pipeline(source(), child.stdin), pipeline(child.stdout, sink), exited]);
  if (code !== 0) throw new Error(`age exited with ${code}`);
}

async function viaJs(recipient: string, sink: Writable): Promise<void> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const input = Readable.toWeb(source()) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await encrypter.encrypt(input);
  await pipeline(Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>), sink);
}

const { recipient } = await generateIdentity();
for (const [name, encrypt] of [['age CLI', viaCli], ['age-encryption (JS)', viaJs], ['age CLI', viaCli], ['age-encryption (JS)', viaJs]] as const) {
  const sink = discardSink();
  const started = performance.now();
  await encrypt(recipient, sink);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${name.padEnd(20)} ${(BYTES / MiB).toFixed(0)} MiB in ${seconds.toFixed(2)} s = ${(BYTES / MiB / seconds).toFixed(0)} MiB/s (${sink.bytes()} bytes out)`);
}
