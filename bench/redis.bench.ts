/**
 * The Redis leg of `npm run bench` (BENCH_MODES includes `redis`; alone: `BENCH_MODES=redis npm run bench` or
 * `npm run bench -- redis`): a private `redis-server` on a free loopback port, loaded once with BENCH_REDIS_KEYS
 * (2,000,000) keys of mixed types, then snapshotted BENCH_REDIS_RUNS times each way, alternating:
 *
 *   baseline:  redis-cli -h 127.0.0.1 -p PORT --rdb - | zstd -3 -T0 -q | age -r KEY > file
 *   lifeboat:  produceArtifact with the Redis engine (redis-cli --rdb written straight into zstd, then age, then the
 *              local-disk driver's temp file, hashed and synced), the path the backup worker takes
 *
 * reported as medians of wall and CPU seconds (the process and its tools), their ratio (target ≤ 1.10) and the peak
 * RSS of this process, where Lifeboat's side runs (target < 300 MB; redis-server is its own process and not counted).
 * Afterwards Lifeboat's last artifact is decoded (age -d | zstd -d) and `redis-check-rdb` must read every key back.
 *
 * The data: 40% strings (JSON-like sessions, every tenth a ~1 KB cached page fragment), 15% each hashes (user
 * records, 6-10 fields), lists (job queues, 5-20 items), sets (tags, 5-15 members) and sorted sets (leaderboards,
 * 5-12 members), from a seeded generator so every machine snapshots the same bytes. Loaded through `redis-cli --pipe`
 * (the RESP protocol generated here), untimed. The server runs with `repl-diskless-sync-delay 0`: redis-cli --rdb is
 * a replica sync, and the default 5 s wait for more replicas would be the same dead time on both sides.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { generateIdentity } from '@/server/artifacts/keys';
import { redisEngine } from '@/server/engines/redis';
import { freePort } from '@/server/engines/redis/scratch';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { produceArtifact, type ProducedArtifact } from '@/workers/backup/produce-artifact';
import { alternate, median, rssSampler, sample, shell, type Sample } from './measure';

const Knobs = z.object({
  // The size: two million keys is a mid-sized cache or session store.
  BENCH_REDIS_KEYS: z.coerce.number().int().min(1000).max(50_000_000).default(2_000_000),
  // Five rounds: a snapshot takes seconds, so two more rounds than the PostgreSQL legs cost little and steady the median.
  BENCH_REDIS_RUNS: z.coerce.number().int().min(1).max(20).default(5),
});

// zstd level 3 on both sides: the CLI default, and what Lifeboat uses without a policy.
const LEVEL = 3;
// The targets for this leg.
const RATIO_TARGET = 1.1;
const RSS_TARGET_MB = 300;
// Commands per write into redis-cli --pipe: large enough that the generator is not the bottleneck, small enough to
// keep the buffered protocol text to a few MB.
const PIPE_BATCH = 5_000;
// redis-server starts in milliseconds; 10 s covers a loaded machine.
const START_TIMEOUT_MS = 10_000;
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

export interface RedisBenchReport {
  lines: string[];
}

/** mulberry32: a tiny seeded generator, so the data set is the same on every machine. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const hex = (chars: number) => {
    let s = '';
    while (s.length < chars) s += (int(0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, chars);
  };
  return { int, hex };
}

const WORDS = 'order invoice customer payment shipment account balance refund warehouse supplier contract delivery schedule report cache session token profile cart item price total status pending active archived'.split(' ');
const COUNTRIES = ['DE', 'FR', 'NL', 'US', 'GB', 'ES', 'IT', 'PL', 'SE', 'JP'];
const PLANS = ['free', 'team', 'business', 'enterprise'];

/** One RESP command (`*n\r\n$len\r\narg\r\n…`), what redis-cli --pipe sends as it is. */
function resp(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

/** The command that creates key number `i` (types interleaved, so every part of the keyspace is mixed). */
function commandFor(i: number, rnd: ReturnType<typeof generator>): string[] {
  const slot = i % 20;
  if (slot < 8) {
    if (slot === 0) {
      const words = Array.from({ length: 120 + rnd.int(60) }, () => WORDS[rnd.int(WORDS.length)]!).join(' ');
      return ['SET', `cache:page:${i}`, `<div class="fragment" data-id="${i}">${words}</div>`];
    }
    return ['SET', `session:${i}`, JSON.stringify({ id: i, user: `u${rnd.int(500_000)}`, token: rnd.hex(32), ts: 1_760_000_000 + rnd.int(10_000_000), cart: rnd.int(12) })];
  }
  if (slot < 11) {
    const fields = ['name', `user ${rnd.hex(6)}`, 'email', `u${i}@example.com`, 'plan', PLANS[rnd.int(PLANS.length)]!, 'country', COUNTRIES[rnd.int(COUNTRIES.length)]!, 'visits', String(rnd.int(10_000)), 'created', String(1_600_000_000 + rnd.int(160_000_000))];
    for (let f = 0, extra = rnd.int(5); f < extra; f++) fields.push(`pref.${WORDS[f]}`, String(rnd.int(2) === 1));
    return ['HSET', `user:${i}`, ...fields];
  }
  if (slot < 14) return ['RPUSH', `queue:${i}`, ...Array.from({ length: 5 + rnd.int(16) }, (_, k) => `job:${i}:${k}:${rnd.hex(8)}`)];
  if (slot < 17) return ['SADD', `tags:${i}`, ...Array.from({ length: 5 + rnd.int(11) }, () => `${WORDS[rnd.int(WORDS.length)]}-${rnd.int(50)}`)];
  return ['ZADD', `board:${i}`, ...Array.from({ length: 5 + rnd.int(8) }, (_, k) => [String(rnd.int(1_000_000) / 10), `player:${rnd.hex(6)}:${k}`]).flat()];
}

interface BenchRedis {
  port: number;
  stop(): Promise<void>;
}

async function startRedis(dir: string): Promise<BenchRedis> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    conf,
    ['bind 127.0.0.1', `port ${port}`, `dir "${dir}"`, 'save ""', 'appendonly no', 'repl-diskless-sync-delay 0', `logfile "${path.join(dir, 'redis.log')}"`, 'loglevel warning', ''].join('\n'),
  );
  const child = spawn('redis-server', [conf], { stdio: 'ignore' });
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      client.disconnect();
      if (Date.now() > until || child.exitCode !== null) throw new Error(`redis-server did not start on 127.0.0.1:${port}; see ${path.join(dir, 'redis.log')}`);
      await sleep(50);
    }
  }
  client.disconnect();
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Loads `keys` keys through `redis-cli --pipe`, with back-pressure; resolves with the server's DBSIZE. */
async function load(port: number, keys: number): Promise<number> {
  const rnd = generator(20_261_002);
  const cli = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--pipe'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
  for (let start = 0; start < keys; start += PIPE_BATCH) {
    let text = '';
    for (let i = start; i < Math.min(keys, start + PIPE_BATCH); i++) text += resp(commandFor(i, rnd));
    if (!cli.stdin.write(text)) await new Promise((resolve) => cli.stdin.once('drain', resolve));
  }
  cli.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`redis-cli --pipe exited with ${code}`);
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  try {
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}

/** `[info] 2000000 keys read` from redis-check-rdb over a decoded artifact. */
async function keysInArtifact(file: string, keyFile: string, work: string): Promise<number> {
  const rdb = path.join(work, 'decoded.rdb');
  await shell(`age -d -i "$K" "$F" | zstd -d -q -o "$O" -f`, { K: keyFile, F: file, O: rdb });
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('redis-check-rdb', [rdb], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`redis-check-rdb exited with ${code}: ${text.slice(-500)}`))));
  });
  fs.rmSync(rdb, { force: true });
  const n = /(\d+) keys read/.exec(out)?.[1];
  if (n === undefined) throw new Error(`redis-check-rdb did not report a key count: ${out.slice(-500)}`);
  return Number(n);
}

export async function runRedisBench(parentWork: string): Promise<RedisBenchReport> {
  const knobs = Knobs.parse(process.env);
  const work = fs.mkdtempSync(path.join(parentWork, 'redis-'));
  const redis = await startRedis(path.join(work, 'server'));
  try {
    console.log(`[redis] loading ${knobs.BENCH_REDIS_KEYS} keys into redis-server on 127.0.0.1:${redis.port} (redis-cli --pipe, untimed)…`);
    const loadStarted = Date.now();
    const dbsize = await load(redis.port, knobs.BENCH_REDIS_KEYS);
    if (dbsize !== knobs.BENCH_REDIS_KEYS) throw new Error(`redis-server holds ${dbsize} keys after loading, expected ${knobs.BENCH_REDIS_KEYS}`);
    console.log(`[redis] loaded ${dbsize} keys in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);

    const keys = await generateIdentity();
    const keyFile = path.join(work, 'key.txt');
    fs.writeFileSync(keyFile, `${keys.identity}\n`, { mode: 0o600 });
    const driver = createLocalDiskDriver({ root: path.join(work, 'store') });
    const baseFile = path.join(work, 'baseline.rdb.zst.age');
    const config = { host: '127.0.0.1', port: redis.port };
    let artifact: ProducedArtifact | undefined;

    console.log(`[redis] snapshot ×${knobs.BENCH_REDIS_RUNS} each (baseline shell pipeline, Lifeboat's produceArtifact)`);
    const rss = rssSampler();
    let lifeboatRss = 0;
    const result = await alternate(knobs.BENCH_REDIS_RUNS, {
      baseline: () =>
        sample(() => shell(`redis-cli -h 127.0.0.1 -p "$P" --rdb - | zstd -${LEVEL} -T0 -q | age -r "$R" > "$F"`, { P: String(redis.port), R: keys.recipient, F: baseFile })),
      lifeboat: async (run) => {
        const s = await sample(() =>
          produceArtifact({ engine: redisEngine, config, secrets: {}, driver, key: `bench/redis/${run}/data.rdb.zst.age`, compressionLevel: LEVEL, recipients: [keys.recipient] }),
        );
        artifact = s.value;
        lifeboatRss = Math.max(lifeboatRss, process.memoryUsage().rss);
        return s;
      },
    });
    const peakRss = Math.max(rss.stop(), lifeboatRss);
    if (!artifact) throw new Error('no Lifeboat artifact was produced');

    const checked = await keysInArtifact(path.join(work, 'store', artifact.stored.key), keyFile, work);
    if (checked !== knobs.BENCH_REDIS_KEYS) throw new Error(`redis-check-rdb read ${checked} keys from Lifeboat's artifact, expected ${knobs.BENCH_REDIS_KEYS}`);
    const baseBytes = fs.statSync(baseFile).size;
    return { lines: report(knobs.BENCH_REDIS_RUNS, knobs.BENCH_REDIS_KEYS, result.baseline, result.lifeboat, artifact, baseBytes, peakRss, checked) };
  } finally {
    await redis.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(runs: number, keys: number, baseline: Sample[], lifeboat: Sample[], artifact: ProducedArtifact, baseBytes: number, peakRss: number, checked: number): string[] {
  const med = (samples: Sample[], key: keyof Sample) => median(samples.map((s) => s[key]));
  const ratio = med(lifeboat, 'seconds') / med(baseline, 'seconds');
  const cpuRatio = med(lifeboat, 'cpuSeconds') / med(baseline, 'cpuSeconds');
  const raw = artifact.rawBytes ?? 0;
  const all = (samples: Sample[]) => samples.map((s) => s.seconds.toFixed(2)).join(', ');
  return [
    `redis: ${keys} keys (strings, hashes, lists, sets, zsets); RDB ${mb(raw)}, stored ${mb(artifact.stored.size)} (${artifact.codec}, ${raw > 0 ? ((100 * artifact.stored.size) / raw).toFixed(0) : '?'}%), baseline file ${mb(baseBytes)}; redis-check-rdb read ${checked} keys back from Lifeboat's artifact`,
    `medians of ${runs} alternating runs; CPU = user+sys of this process and its tools (not redis-server's fork)`,
    `  snapshot  baseline ${med(baseline, 'seconds').toFixed(2)} s, lifeboat ${med(lifeboat, 'seconds').toFixed(2)} s, ratio ${ratio.toFixed(3)}${ratio > RATIO_TARGET ? ' !' : ''} (target <= ${RATIO_TARGET.toFixed(2)})`,
    `  CPU       baseline ${med(baseline, 'cpuSeconds').toFixed(2)} s, lifeboat ${med(lifeboat, 'cpuSeconds').toFixed(2)} s, ratio ${cpuRatio.toFixed(3)}`,
    `  peak RSS  ${mb(peakRss)} (this process, where Lifeboat's path runs; target < ${RSS_TARGET_MB} MB)${peakRss > RSS_TARGET_MB * MB ? ' !' : ''}`,
    `  runs      baseline ${all(baseline)} s; lifeboat ${all(lifeboat)} s`,
  ];
}
