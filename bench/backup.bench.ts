/**
 * npm run bench: Lifeboat's backup and restore against the shell pipelines an operator would write, on the same
 * database, runs alternating (baseline, lifeboat, baseline, lifeboat …), reported as MEDIANS of wall time and of
 * CPU time (user + sys, tools included) and as ratios; never as pass/fail timings.
 *
 *   backup baseline:   pg_dump -Fc -Z0 | zstd -3 -T0 | age -r KEY > file            (S3: … | aws s3 cp - s3://…)
 *   restore baseline:  age -d -i key file | zstd -d | pg_restore -d NEW             (S3: aws s3 cp s3://… - | …)
 *                      (`pg_restore -j 2` cannot read stdin: "parallel restore from standard input is not
 *                      supported"; decoding to a file first and then `pg_restore -j 2 FILE` took 29.8 s against
 *                      13.9 s for the stdin pipeline on the 2-core machine, so the stdin pipeline is the baseline.)
 *
 * Three ways of running Lifeboat's side (BENCH_MODES, default all):
 *   pipeline  produceArtifact / restoreArtifact in this process against local disk (the code path alone);
 *   api       END TO END: `next start` + a real worker; POST /sources/{id}/backups (or /recovery-points/{id}/restores)
 *             until GET /runs/{id} says SUCCEEDED, so claim latency, queue delay, probes and the manifest all count;
 *   s3        the pipeline into s3rver (its own process) against the same pipeline ending in `aws s3 cp`; both the
 *             default full re-read after upload (`verify: full`) and `verify: size`, `verify: auto` into an s3rver
 *             that verifies S3 checksums (bench/s3rver-checksum-process.ts), and the restore back from it.
 *
 * Cases (BENCH_CASES, default `realistic,pgbench`):
 *   realistic  ~BENCH_REALISTIC_MB (default 1024) MB of raw dump: jsonb, text, random bytea (bench/realistic-data.ts);
 *              compresses to ~35-40%, so every cost after zstd shows. All modes.
 *   pgbench    pgbench -i -s BENCH_SCALE (default 100, ~1 GB dump that compresses ~100:1). Modes from
 *              BENCH_PGBENCH_MODES (default `pipeline`, to keep the whole bench near 10 minutes).
 * BENCH_RUNS (default 3) rounds per comparison. Databases are created once and reused; the source is vacuumed,
 * frozen and analyzed at the start, and before every timed run the restore targets are dropped, the server
 * checkpoints and the kernel writes back (`settle`), so that no run pays for the one before it.
 *
 * A fourth leg, `scheduler` in BENCH_MODES (in the default; alone: `BENCH_MODES=scheduler npm run bench`), runs no
 * case: 1,000 sources on a one-minute schedule served by two workers for five minutes (bench/scheduler.bench.ts).
 * A fifth, `redis` (in the default; alone: `BENCH_MODES=redis npm run bench`), runs no case either: a Redis snapshot
 * of 2,000,000 keys against `redis-cli --rdb - | zstd | age` (bench/redis.bench.ts).
 * A sixth, `pgmulti` (in the default; alone: `npm run bench -- pgmulti`), one point of three databases against three
 * sequential `pg_dump | zstd | age` pipelines, on realistic data (BENCH_PGMULTI_MB, default 150 MB each) and on
 * pgbench (BENCH_PGMULTI_SCALE, default 15), with the point's fixed cost (bench/pg-multi.bench.ts).
 *
 * Legs may also be named as arguments, which then replace BENCH_MODES: `npm run bench -- redis scheduler`.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { z } from 'zod';
import { generateIdentity } from '@/server/artifacts/keys';
import { postgresEngine } from '@/server/engines/postgres';
import type { StorageDriver } from '@/server/storage/driver';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { createS3Driver } from '@/server/storage/s3';
import { produceArtifact, type ProducedArtifact } from '@/workers/backup/produce-artifact';
import { restoreArtifact } from '@/workers/restore/restore-artifact';
import { startApiStack } from './api-stack';
import { startS3Server as startVerifyingS3Server } from './s3-server';
import { alternate, median, peakRssBytes, processCpuSeconds, rssSampler, sample, shell, type Comparison, type Sample } from './measure';
import { ensurePgbenchDatabase, ensureRealisticDatabase, sql, type PgConn } from './realistic-data';
import { runPgMultiBench } from './pg-multi.bench';
import { runRedisBench } from './redis.bench';
import { runSchedulerBench } from './scheduler.bench';

const Mode = z.enum(['pipeline', 'api', 's3']);
type Mode = z.infer<typeof Mode>;
// Legs BENCH_MODES selects: the case modes, plus the scheduler, Redis and pgmulti legs, which run on their own and no case.
const Leg = z.enum([...Mode.options, 'scheduler', 'redis', 'pgmulti']);
const Case = z.enum(['realistic', 'pgbench']);
type Case = z.infer<typeof Case>;
const split = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
const CaseList = z.string().transform(split).pipe(z.array(Case).min(1));
const ModeList = z.string().transform(split).pipe(z.array(Mode).min(1));
const LegList = z.string().transform(split).pipe(z.array(Leg).min(1));
const Knobs = z.object({
  BENCH_CASES: CaseList.default(['realistic', 'pgbench']),
  BENCH_MODES: LegList.default(['pipeline', 'api', 's3', 'scheduler', 'redis', 'pgmulti']),
  BENCH_PGBENCH_MODES: ModeList.default(['pipeline']),
  // Three rounds: the median of three already ignores one disturbed run; more only lengthens the bench.
  BENCH_RUNS: z.coerce.number().int().min(1).max(20).default(3),
  // ~1 GB: the size the issue measured from outside, large enough that start-up costs are a small share.
  BENCH_REALISTIC_MB: z.coerce.number().int().min(8).max(100_000).default(1024),
  // Scale 100: the ~1 GB pgbench dump earlier figures were taken on.
  BENCH_SCALE: z.coerce.number().int().min(1).max(10_000).default(100),
  // 0: no `settle` between runs (to see what the previous run's aftermath does to the next).
  BENCH_SETTLE: z.enum(['0', '1']).default('1'),
});
// `npm run bench -- redis`: legs named as arguments replace BENCH_MODES.
const legArgs = process.argv.slice(2).filter((a) => a !== '--');
const knobs = Knobs.parse({ ...process.env, ...(legArgs.length > 0 && { BENCH_MODES: legArgs.join(',') }) });

// zstd level 3 on both sides: the CLI default, and what Lifeboat uses without a policy.
const LEVEL = 3;
// The issue's targets, per mode: end to end and pipeline within 5% of the shell, S3 within 15% of `aws s3 cp`.
const TARGET: Record<Mode, number> = { pipeline: 1.05, api: 1.05, s3: 1.15 };
// Lifeboat's worker must stay small enough to run next to the database it backs up.
const RSS_TARGET_MB = 300;
// How long `settle` waits for autovacuum workers (of databases other than the restore targets) to finish.
const SETTLE_AUTOVACUUM_MS = 60_000;

// As in vitest.config.ts: the SDK's notice about its 2027 releases and Node 22, once per S3 process, is not a figure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const conn: PgConn = { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username || 'postgres') };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-'));
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

interface Row {
  label: string;
  mode: Mode;
  result: Comparison<string>;
  baseline: string;
  lifeboat: string;
  rssBytes?: number;
  /** A row that explains another (no target of its own): its baseline is not the issue's shell pipeline. */
  untargeted?: true;
}

interface CaseReport {
  name: string;
  /** Where the time of the last end-to-end run of each direction went, from the run row and its log. */
  timelines: string[];
  rawBytes: number;
  storedBytes: number;
  codec: string;
  rows: Row[];
  check: string;
}

const dbUrl = (database: string) => `postgresql://${encodeURIComponent(conn.user)}@${conn.host}:${conn.port}/${database}`;
const drop = (database: string) => sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);

/** Row counts of every user table: the restore check (same counts as the source). */
async function tableCounts(database: string): Promise<string> {
  const tables = await sql(conn, database, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  const counts: string[] = [];
  for (const { tablename } of tables.rows as { tablename: string }[]) {
    const n = await sql(conn, database, `SELECT count(*)::bigint AS n FROM "${tablename}"`);
    counts.push(`${tablename}=${(n.rows[0] as { n: string }).n}`);
  }
  return counts.join(' ');
}

async function assertSameData(source: string, restored: string): Promise<string> {
  const [want, got] = await Promise.all([tableCounts(source), tableCounts(restored)]);
  if (want !== got) throw new Error(`restored ${restored} differs from ${source}: ${got} vs ${want}`);
  return want;
}

interface S3Server {
  connection: { endpoint: string; region: string; forcePathStyle: boolean; credentials: { accessKeyId: string; secretAccessKey: string } };
  bucket: string;
  awsEnv: Record<string, string>;
  close(): Promise<void>;
}

/** s3rver in a child process, and the environment that points `aws` at it (path style, no aws-chunked framing). */
async function startS3Server(): Promise<S3Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 's3rver-process.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const info = JSON.parse(line) as Pick<S3Server, 'connection' | 'bucket'>;
  const config = path.join(work, 'aws-config');
  // when_required: like Lifeboat's own client, so that the CLI sends plain bodies s3rver stores as they are.
  fs.writeFileSync(
    config,
    `[default]\nregion = ${info.connection.region}\nrequest_checksum_calculation = when_required\nresponse_checksum_validation = when_required\ns3 =\n  addressing_style = path\n`,
  );
  return {
    ...info,
    awsEnv: {
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_ACCESS_KEY_ID: info.connection.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.connection.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      E: info.connection.endpoint,
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

/**
 * Untimed, before every run of every side: each run starts on the same quiet machine instead of inside the aftermath
 * of the one before it. Without it (BENCH_SETTLE=0), a freshly restored 1 GB database was still being autovacuumed
 * (pg_stat_activity, sampled during the next run) and its pages written back, on the same two cores and disk as the
 * next run, and each side's target stayed until that side's next run: the end-to-end restore measured 1.164× the
 * shell without settling and 1.051× with it, one bench run after the other. So: the restore targets of every side are
 * dropped (which also ends their autovacuum), the server checkpoints, the kernel writes back, and autovacuum elsewhere
 * is given a bounded while to finish.
 */
async function settle(...restoreTargets: string[]): Promise<void> {
  for (const target of restoreTargets) await drop(target);
  await checkpoint();
  execFileSync('sync');
  const deadline = Date.now() + SETTLE_AUTOVACUUM_MS;
  while (Date.now() < deadline) {
    const busy = await sql(conn, 'postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`);
    if ((busy.rows[0] as { n: number }).n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The source database as a long-lived one is: vacuumed, frozen and analyzed, once per bench (cheap when already so).
 * A database just created by the generator has no hint bits set: the first dump after it would write them (a gigabyte
 * of page writes inside that run), and autovacuum would freeze it during the runs that follow.
 */
async function quietSource(database: string): Promise<void> {
  await sql(conn, database, 'VACUUM (FREEZE, ANALYZE)');
  await checkpoint();
}

let checkpointRefused = false;
/** CHECKPOINT needs a superuser or pg_checkpoint; a bench as another role goes on without it, and says so once. */
async function checkpoint(): Promise<void> {
  if (checkpointRefused) return;
  try {
    await sql(conn, 'postgres', 'CHECKPOINT');
  } catch (err) {
    checkpointRefused = true;
    console.log(`note: CHECKPOINT refused (${err instanceof Error ? err.message : String(err)}); runs are settled without it`);
  }
}

async function runCase(name: Case, database: string, modes: Mode[]): Promise<CaseReport> {
  await quietSource(database);
  const keys = await generateIdentity();
  const keyFile = path.join(work, 'key.txt');
  fs.writeFileSync(keyFile, keys.identity + '\n', { mode: 0o600 });
  const config = { ...conn, database };
  const driver = createLocalDiskDriver({ root: path.join(work, 'store') });
  const baseFile = (run: number) => path.join(work, `baseline-${run}.pgdump.zst.age`);
  const rows: Row[] = [];
  const restoreBase = `lifeboat_bench_rb_${process.pid}`;
  const restoreLb = `lifeboat_bench_rl_${process.pid}`;
  const restoreApi = `lifeboat_bench_ra_${process.pid}`;
  let check = '';
  const timelines: string[] = [];
  // Untimed, before every run of every side (see `settle`); the database restored last is checked right after its run,
  // since the next settle drops it.
  const settleOpts = knobs.BENCH_SETTLE === '1' ? { settle: () => settle(restoreBase, restoreLb, restoreApi) } : {};
  const checkLastRun = async <S>(run: number, target: string, s: S): Promise<S> => {
    if (run === knobs.BENCH_RUNS - 1) check ||= await assertSameData(database, target);
    return s;
  };

  const baselineBackup = (run: number, sink = `> "${baseFile(run)}"`, env: Record<string, string> = {}) =>
    sample(() => shell(`pg_dump -Fc -Z0 --dbname="$U" | zstd -${LEVEL} -T0 -q | age -r "$R" ${sink}`, { U: dbUrl(database), R: keys.recipient, ...env }));
  // The same pipeline doing what Lifeboat's backup also does and the bare one does not: hash the stored bytes (while they
  // are written, as Lifeboat does) and make the file durable before calling it done. Not the target's baseline; the
  // row against it says how much of the gap to the bare pipeline is that work.
  const durableBackup = (run: number) =>
    sample(() =>
      shell(`pg_dump -Fc -Z0 --dbname="$U" | zstd -${LEVEL} -T0 -q | age -r "$R" | tee "$F" | sha256sum > /dev/null && sync "$F"`, {
        U: dbUrl(database),
        R: keys.recipient,
        F: path.join(work, `durable-${run}.pgdump.zst.age`),
      }),
    );
  const baselineRestore = async (source: string, env: Record<string, string> = {}) => {
    await drop(restoreBase);
    return sample(async () => {
      // Lifeboat's restore creates its target database too, so the baseline's CREATE is inside the timing.
      await sql(conn, 'postgres', `CREATE DATABASE ${restoreBase}`);
      await shell(`${source} | age -d -i "$K" | zstd -d -q | pg_restore --no-owner --exit-on-error --dbname="$U"`, { K: keyFile, U: dbUrl(restoreBase), ...env });
    });
  };
  const produce = (target: StorageDriver, key: string) =>
    produceArtifact({ engine: postgresEngine, config, secrets: {}, driver: target, key, compressionLevel: LEVEL, recipients: [keys.recipient] });
  const restoreFrom = async (from: StorageDriver, artifact: ProducedArtifact) => {
    await drop(restoreLb);
    return sample(() =>
      restoreArtifact({
        engine: postgresEngine,
        config,
        secrets: {},
        target: { database: restoreLb },
        driver: from,
        location: artifact.stored.key,
        codec: artifact.codec,
        storedBytes: artifact.stored.size,
        storedSha256: artifact.stored.sha256,
        rawSha256: artifact.rawSha256,
        identities: [keys.identity],
      }),
    );
  };

  // Always produced once, untimed unless the pipeline mode times it: the sizes for the report.
  let artifact: ProducedArtifact | undefined;
  if (modes.includes('pipeline')) {
    console.log(`[${name}] pipeline: backup ×${knobs.BENCH_RUNS}`);
    const rss = rssSampler();
    const backup = await alternate(knobs.BENCH_RUNS, {
      baseline: (run) => baselineBackup(run),
      durable: durableBackup,
      lifeboat: async (run) => {
        const s = await sample(() => produce(driver, `bench/${name}/${run}/data.pgdump.zst.age`));
        // Each run encrypts to fresh age file keys: the restore below must read the object of the run it has the hashes of.
        artifact = s.value;
        return s;
      },
    }, settleOpts);
    rows.push({ label: 'backup  pipeline → local disk', mode: 'pipeline', result: backup, baseline: 'baseline', lifeboat: 'lifeboat', rssBytes: rss.stop() });
    rows.push({ label: '  vs shell + sha256sum + sync', mode: 'pipeline', result: backup, baseline: 'durable', lifeboat: 'lifeboat', untargeted: true });
    console.log(`[${name}] pipeline: restore ×${knobs.BENCH_RUNS}`);
    const rss2 = rssSampler();
    const restore = await alternate(knobs.BENCH_RUNS, {
      baseline: () => baselineRestore(`cat "${baseFile(0)}"`),
      lifeboat: async (run) => checkLastRun(run, restoreLb, await restoreFrom(driver, artifact!)),
    }, settleOpts);
    rows.push({ label: 'restore pipeline ← local disk', mode: 'pipeline', result: restore, baseline: 'baseline', lifeboat: 'lifeboat', rssBytes: rss2.stop() });
  }
  artifact ??= await produce(driver, `bench/${name}/sizes/data.pgdump.zst.age`);
  if (!fs.existsSync(baseFile(0))) await baselineBackup(0);

  if (modes.includes('s3')) {
    const s3 = await startS3Server();
    // s3rver behind a proxy that verifies and echoes S3 checksums as AWS S3 does: where `verify: auto` skips the re-read.
    const vouching = await startVerifyingS3Server(work, { verifiesChecksums: true });
    try {
      const full = createS3Driver({ ...s3.connection, bucket: s3.bucket, prefix: 'full' });
      const sizeOnly = createS3Driver({ ...s3.connection, bucket: s3.bucket, prefix: 'size', verify: 'size' });
      const auto = createS3Driver({ ...vouching.connection, bucket: vouching.bucket, prefix: 'auto', verify: 'auto' });
      let s3Artifact: ProducedArtifact | undefined;
      console.log(`[${name}] s3: backup ×${knobs.BENCH_RUNS} (aws s3 cp, verify full, verify size)`);
      const rss = rssSampler();
      const backup = await alternate(knobs.BENCH_RUNS, {
        baseline: (run) => baselineBackup(run, `| aws --endpoint-url "$E" s3 cp --only-show-errors - "s3://${s3.bucket}/base/${run}"`, s3.awsEnv),
        full: async (run) => {
          const s = await sample(() => produce(full, `bench/${name}/${run}/data.pgdump.zst.age`));
          s3Artifact = s.value;
          return s;
        },
        size: (run) => sample(() => produce(sizeOnly, `bench/${name}/${run}/data.pgdump.zst.age`)),
        auto: (run) => sample(() => produce(auto, `bench/${name}/${run}/data.pgdump.zst.age`)),
      }, settleOpts);
      const backupRss = rss.stop();
      rows.push({ label: 'backup  → S3 (verify: full, default)', mode: 's3', result: backup, baseline: 'baseline', lifeboat: 'full', rssBytes: backupRss });
      rows.push({ label: 'backup  → S3 (verify: size)', mode: 's3', result: backup, baseline: 'baseline', lifeboat: 'size' });
      rows.push({ label: 'backup  → S3 (auto, store checks sums)', mode: 's3', result: backup, baseline: 'baseline', lifeboat: 'auto' });
      console.log(`[${name}] s3: restore ×${knobs.BENCH_RUNS}`);
      const rss2 = rssSampler();
      const restore = await alternate(knobs.BENCH_RUNS, {
        baseline: () => baselineRestore(`aws --endpoint-url "$E" s3 cp --only-show-errors "s3://${s3.bucket}/base/0" -`, s3.awsEnv),
        lifeboat: async (run) => checkLastRun(run, restoreLb, await restoreFrom(full, s3Artifact!)),
      }, settleOpts);
      rows.push({ label: 'restore ← S3', mode: 's3', result: restore, baseline: 'baseline', lifeboat: 'lifeboat', rssBytes: rss2.stop() });
    } finally {
      await vouching.close();
      await s3.close();
    }
  }

  if (modes.includes('api')) {
    console.log(`[${name}] api: starting next start + worker`);
    const stack = await startApiStack(conn, work);
    try {
      const workerCpu = () => processCpuSeconds(stack.workerPid);
      const created = await stack.api<{ id: string }>('POST', '/api/v1/sources', { kind: 'postgres', name: `bench-${name}`, config });
      if (created.status !== 201) throw new Error(`POST /api/v1/sources answered ${created.status}: ${JSON.stringify(created.body)}`);
      const sourceId = created.body.id;
      let last = { runId: '', postedAt: 0, seenAt: 0 };
      const backupOverApi = async () => {
        const postedAt = Date.now();
        const res = await stack.api<{ id: string }>('POST', `/api/v1/sources/${sourceId}/backups`);
        if (res.status !== 202) throw new Error(`POST backups answered ${res.status}: ${JSON.stringify(res.body)}`);
        const run = await stack.waitForRun(res.body.id);
        if (run.status !== 'SUCCEEDED') throw new Error(`backup run ${res.body.id} ended ${run.status}: ${run.error}`);
        last = { runId: res.body.id, postedAt, seenAt: Date.now() };
        return res.body.id;
      };
      // Warm-up, untimed: the first request loads the route's chunk, the first backup creates the age key.
      await backupOverApi();
      let lastRunId = '';
      console.log(`[${name}] api: backup ×${knobs.BENCH_RUNS}`);
      const backup = await alternate(knobs.BENCH_RUNS, {
        baseline: (run) => baselineBackup(run),
        durable: durableBackup,
        lifeboat: async () => {
          const s = await sample(backupOverApi, workerCpu);
          lastRunId = s.value;
          return s;
        },
      }, settleOpts);
      rows.push({ label: 'backup  end to end (API → SUCCEEDED)', mode: 'api', result: backup, baseline: 'baseline', lifeboat: 'lifeboat' });
      rows.push({ label: '  vs shell + sha256sum + sync', mode: 'api', result: backup, baseline: 'durable', lifeboat: 'lifeboat', untargeted: true });
      timelines.push(await timeline(stack, `${name}: last end-to-end backup`, last.runId, last.postedAt, last.seenAt));
      const points = await stack.api<{ items: { id: string; runId: string }[] }>('GET', `/api/v1/sources/${sourceId}/recovery-points`);
      const point = points.body.items.find((p) => p.runId === lastRunId);
      if (!point) throw new Error(`no recovery point for run ${lastRunId}`);
      console.log(`[${name}] api: restore ×${knobs.BENCH_RUNS}`);
      const restore = await alternate(knobs.BENCH_RUNS, {
        baseline: () => baselineRestore(`cat "${baseFile(0)}"`),
        lifeboat: async (run) => {
          await drop(restoreApi);
          const s = await sample(async () => {
            const postedAt = Date.now();
            const res = await stack.api<{ id: string }>('POST', `/api/v1/recovery-points/${point.id}/restores`, { target: { database: restoreApi } });
            if (res.status !== 202) throw new Error(`POST restores answered ${res.status}: ${JSON.stringify(res.body)}`);
            const run = await stack.waitForRun(res.body.id);
            if (run.status !== 'SUCCEEDED') throw new Error(`restore run ${res.body.id} ended ${run.status}: ${run.error}`);
            last = { runId: res.body.id, postedAt, seenAt: Date.now() };
          }, workerCpu);
          return checkLastRun(run, restoreApi, s);
        },
      }, settleOpts);
      rows.push({ label: 'restore end to end (API → SUCCEEDED)', mode: 'api', result: restore, baseline: 'baseline', lifeboat: 'lifeboat', rssBytes: peakRssBytes(stack.workerPid) });
      timelines.push(await timeline(stack, `${name}: last end-to-end restore`, last.runId, last.postedAt, last.seenAt));
      timelines.push(`${name}: worker RSS when idle after start ${mb(stack.workerIdleRssBytes)}, peak over all its runs ${mb(peakRssBytes(stack.workerPid))}`);
      await drop(restoreApi);
    } finally {
      await stack.stop();
    }
  }

  await drop(restoreBase);
  await drop(restoreLb);
  return { name, timelines, rawBytes: artifact.rawBytes ?? 0, storedBytes: artifact.stored.size, codec: artifact.codec, rows, check };
}

/**
 * One line per step of a finished run, in seconds since the POST: request committed (createdAt), claimed
 * (startedAt), each log line, finished, and when the bench saw it. Shows queue delay, claim latency, probes before
 * the dump and the tail after it.
 */
async function timeline(stack: Awaited<ReturnType<typeof startApiStack>>, label: string, runId: string, postedAt: number, seenAt: number): Promise<string> {
  const run = (await stack.api<{ createdAt: string; startedAt: string | null; finishedAt: string | null }>('GET', `/api/v1/runs/${runId}`)).body;
  const logs = (await stack.api<{ items: { at: string; message: string }[] }>('GET', `/api/v1/runs/${runId}/logs`)).body.items;
  const at = (iso: string | null) => (iso === null ? '?' : ((Date.parse(iso) - postedAt) / 1000).toFixed(3));
  const steps = [
    `  ${at(run.createdAt)} s  queued (POST committed)`,
    `  ${at(run.startedAt)} s  claimed by the worker`,
    ...logs.map((l) => `  ${at(l.at)} s  log: ${l.message.slice(0, 110)}`),
    `  ${at(run.finishedAt)} s  finished`,
    `  ${((seenAt - postedAt) / 1000).toFixed(3)} s  seen by the bench (event stream closed, run read)`,
  ];
  return [`${label} (run ${runId}), seconds after the POST:`, ...steps].join('\n');
}

function printReport(reports: CaseReport[]): void {
  const med = (samples: Sample[], key: keyof Sample) => median(samples.map((s) => s[key]));
  const header = ['', 'baseline s', 'lifeboat s', 'ratio', 'target', 'CPU s base', 'CPU s lb', 'CPU ratio', 'peak RSS'];
  const widths = [40, 10, 10, 7, 8, 10, 9, 9, 10];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  console.log('');
  console.log(`medians of ${knobs.BENCH_RUNS} alternating runs; CPU = user+sys of the process and its tools (not the PostgreSQL server's)`);
  for (const r of reports) {
    console.log('');
    console.log(`${r.name}: raw dump ${mb(r.rawBytes)}, stored ${mb(r.storedBytes)} (${r.codec}, ${((100 * r.storedBytes) / r.rawBytes).toFixed(0)}%)${r.check ? `; restored ${r.check}` : ''}`);
    console.log(line(header));
    for (const row of r.rows) {
      const base = row.result[row.baseline]!;
      const lb = row.result[row.lifeboat]!;
      const ratio = med(lb, 'seconds') / med(base, 'seconds');
      const rss = row.rssBytes === undefined ? '' : `${mb(row.rssBytes)}${row.rssBytes > RSS_TARGET_MB * MB ? ' !' : ''}`;
      console.log(
        line([
          row.label,
          med(base, 'seconds').toFixed(2),
          med(lb, 'seconds').toFixed(2),
          ratio.toFixed(3) + (row.untargeted !== true && ratio > TARGET[row.mode] ? ' !' : ''),
          row.untargeted === true ? '-' : `<= ${TARGET[row.mode].toFixed(2)}`,
          med(base, 'cpuSeconds').toFixed(2),
          med(lb, 'cpuSeconds').toFixed(2),
          (med(lb, 'cpuSeconds') / med(base, 'cpuSeconds')).toFixed(3),
          rss,
        ]),
      );
    }
  }
  console.log('');
  console.log('every run, in the order taken (the order of the sides turns round every other round):');
  for (const r of reports) {
    for (const row of r.rows) {
      const runs = (side: string) => row.result[side]!.map((s) => s.seconds.toFixed(2)).join(' ');
      console.log(`  ${r.name} ${row.label.trim()}: ${row.baseline} ${runs(row.baseline)} | ${row.lifeboat} ${runs(row.lifeboat)}`);
    }
  }
  console.log('');
  console.log(`peak RSS: the bench process for pipeline and S3 rows (Lifeboat's path runs in it; s3rver has its own process),`);
  console.log(`the worker process (VmHWM) for the end-to-end rows; target < ${RSS_TARGET_MB} MB. "!" marks a missed target.`);
  console.log('end-to-end CPU is the worker alone (the web process only answers the requests and the polls).');
  for (const r of reports) for (const t of r.timelines) console.log(`\n${t}`);
}

async function main() {
  const reports: CaseReport[] = [];
  const caseModes = knobs.BENCH_MODES.filter((m): m is Mode => Mode.safeParse(m).success);
  // `BENCH_MODES=scheduler` (or `redis`) alone runs no case (and builds no case database).
  for (const name of caseModes.length > 0 ? knobs.BENCH_CASES : []) {
    const database = name === 'realistic' ? await ensureRealisticDatabase(conn, knobs.BENCH_REALISTIC_MB) : await ensurePgbenchDatabase(conn, knobs.BENCH_SCALE);
    reports.push(await runCase(name, database, name === 'pgbench' ? knobs.BENCH_PGBENCH_MODES : caseModes));
    for (const file of fs.readdirSync(work)) if (file !== 'stack.log') fs.rmSync(path.join(work, file), { recursive: true, force: true });
  }
  const scheduler = knobs.BENCH_MODES.includes('scheduler') ? await runSchedulerBench(conn, work) : undefined;
  const redis = knobs.BENCH_MODES.includes('redis') ? await runRedisBench(work) : undefined;
  const pgmulti = knobs.BENCH_MODES.includes('pgmulti') ? await runPgMultiBench(conn, work) : undefined;
  if (reports.length > 0) printReport(reports);
  if (scheduler) console.log(['', ...scheduler.lines].join('\n'));
  if (redis) console.log(['', ...redis.lines].join('\n'));
  if (pgmulti) console.log(['', ...pgmulti.lines].join('\n'));
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  console.error(`(work directory kept for inspection: ${work})`);
  process.exit(1);
});
