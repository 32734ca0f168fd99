/**
 * The S3 driver's `put` alone against `cat FILE | aws s3 cp - s3://…`, to the same s3rver (its own process), on
 * BENCH_S3_MB (default 350, the size of the realistic case's stored artifact) MB of random bytes read from a
 * file in 64 KiB chunks (what a pipe from age delivers). Runs alternate; medians of wall and CPU seconds (this
 * process, or the shell and its tools); s3rver's own CPU is shown apart, as it counts against neither side.
 *
 *   BENCH_S3_VARIANTS=full,size,auto,auto-vouched BENCH_RUNS=3 npx tsx bench/s3-put.bench.ts
 *
 * Variants (BENCH_S3_VARIANTS, comma-separated): the names in VARIANTS below.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createS3Driver, type S3DriverOptions } from '@/server/storage/s3';
import { alternate, median, processCpuSeconds, sample, shell, type Sample } from './measure';
import { startS3Server } from './s3-server';

const MIB = 1024 * 1024;
const VARIANTS: Record<string, Partial<S3DriverOptions>> = {
  full: { verify: 'full' },
  size: { verify: 'size' },
  auto: { verify: 'auto' },
  // The same, to a store that verifies and echoes S3 checksums (s3rver behind bench/s3rver-checksum-process.ts).
  'auto-vouched': { verify: 'auto' },
  'full-p8': { verify: 'full', partSizeBytes: 8 * MIB },
  'full-p64': { verify: 'full', partSizeBytes: 64 * MIB },
  'full-q2': { verify: 'full', queueSize: 2 },
  'full-q8': { verify: 'full', queueSize: 8 },
  'size-p8': { verify: 'size', partSizeBytes: 8 * MIB },
  'size-p64': { verify: 'size', partSizeBytes: 64 * MIB },
};
const Knobs = z.object({
  // 350 MB: the stored size of the realistic benchmark case, so the figures carry over.
  BENCH_S3_MB: z.coerce.number().int().min(8).max(10_000).default(350),
  BENCH_S3_VARIANTS: z
    .string()
    .default('full,size')
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(Object.keys(VARIANTS) as [string, ...string[]])).min(1)),
  // Three rounds: the median ignores one disturbed run.
  BENCH_RUNS: z.coerce.number().int().min(1).max(20).default(3),
});
const knobs = Knobs.parse(process.env);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-s3put-'));
const file = path.join(work, 'data.bin');
{
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < knobs.BENCH_S3_MB; i++) fs.writeSync(fd, randomBytes(MIB));
  fs.closeSync(fd);
}

const s3 = await startS3Server(work);
const vouching = knobs.BENCH_S3_VARIANTS.includes('auto-vouched') ? await startS3Server(work, { verifiesChecksums: true }) : undefined;
try {
  const serverCpu: Record<string, number[]> = {};
  const sides: Record<string, (run: number) => Promise<Sample>> = {};
  const withServer = (name: string, fn: () => Promise<Sample>, pid = s3.pid) => async () => {
    const before = processCpuSeconds(pid);
    const s = await fn();
    (serverCpu[name] ??= []).push(processCpuSeconds(pid) - before);
    return s;
  };
  sides['aws s3 cp'] = (run) =>
    withServer('aws s3 cp', () =>
      sample(() => shell(`cat "${file}" | aws --endpoint-url "$E" s3 cp --only-show-errors - "s3://${s3.bucket}/base/${run}"`, s3.awsEnv)),
    )();
  for (const name of knobs.BENCH_S3_VARIANTS) {
    const server = name === 'auto-vouched' ? vouching! : s3;
    const driver = createS3Driver({ ...server.connection, bucket: server.bucket, prefix: name, ...VARIANTS[name] });
    sides[name] = (run) =>
      withServer(name, () => sample(() => driver.put(`put/${run}`, fs.createReadStream(file, { highWaterMark: 64 * 1024 }))), server.pid)();
  }
  const result = await alternate(knobs.BENCH_RUNS, sides);
  const base = result['aws s3 cp']!;
  const med = (samples: Sample[], k: 'seconds' | 'cpuSeconds') => median(samples.map((s) => s[k]));
  console.log(`\n${knobs.BENCH_S3_MB} MiB random, medians of ${knobs.BENCH_RUNS}; load: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(['', 'wall s', 'ratio', 'CPU s', 'CPU ratio', 'server CPU s'].map((c, i) => (i === 0 ? c.padEnd(12) : c.padStart(12))).join(''));
  for (const [name, samples] of Object.entries(result)) {
    const cells = [
      med(samples, 'seconds').toFixed(2),
      (med(samples, 'seconds') / med(base, 'seconds')).toFixed(3),
      med(samples, 'cpuSeconds').toFixed(2),
      (med(samples, 'cpuSeconds') / med(base, 'cpuSeconds')).toFixed(3),
      median(serverCpu[name]!).toFixed(2),
    ];
    console.log(name.padEnd(12) + cells.map((c) => c.padStart(12)).join(''));
  }
} finally {
  await vouching?.close();
  await s3.close();
  fs.rmSync(work, { recursive: true, force: true });
}
