/**
 * The scheduler leg of `npm run bench` (BENCH_MODES includes `scheduler`; alone: `BENCH_MODES=scheduler npm run bench`):
 * BENCH_SCHED_SOURCES sources (1,000) whose policy backs up every minute (`* * * * *`), served by two real worker
 * processes (bench/scheduler-worker.ts: workers/main.ts plus the bench's instant engine) on one Redis, for
 * BENCH_SCHED_MINUTES (5) whole minutes of slots. Then, from the catalog only:
 *
 *   drift       slot time → run claimed (Run.startedAt − ScheduledSlot.slotAt), p50/p99/max; target p99 < 1 s.
 *               Also slot time → slot recorded (the fire's transaction), to tell fire latency from claim latency.
 *   duplicates  runs per (source, slot) above one, and scheduled runs no slot row points at; target 0.
 *   gaps        expected slots (every minute of the window, per source) with no ScheduledSlot row at all, counted
 *               after the reconciler had its grace and a sweep to record them; target 0.
 *   MISSED / SKIPPED slots with their reasons; run outcomes.
 *   Redis       INFO used_memory before the workers and at the end (server-wide: the Redis may be shared), and
 *               MEMORY USAGE of the bench's own prefix keys, per job scheduler.
 *   rows/day    slots + runs + run logs + audit events + recovery points added per minute × 1440, and the
 *               catalog's growth in bytes at that rate.
 *
 * The catalog is written directly (SQL), not through POST /sources and /policies: the web process lists only the
 * production engines, so it refuses (422) a source of the bench's engine kind, and a thousand POSTs would only add
 * minutes. Policies store artifacts uncompressed and unencrypted to a local destination under the bench's temp
 * directory: each zstd and age process would cost more than the instant backup, and the leg measures the scheduler.
 * Everything is removed at the end: the catalog database, the temp directory, the Redis prefix's keys.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { sql, type PgConn } from './realistic-data';
import { instantEngine } from './instant-engine';
import { processCpuSeconds } from './measure';

const ROOT = path.resolve(import.meta.dirname, '..');
const Knobs = z.object({
  // The issue's size: a thousand sources firing on the same minute boundary is the burst the scheduler must absorb.
  BENCH_SCHED_SOURCES: z.coerce.number().int().min(1).max(100_000).default(1000),
  // Five minutes of slots: the issue's minimum, five bursts, enough for p99 over 5,000 slots.
  BENCH_SCHED_MINUTES: z.coerce.number().int().min(1).max(120).default(5),
  // Runs at once per worker. A minute's thousand runs are due together, and a run is claimed only when a worker has a
  // free place for it: at a concurrency of 8 (16 places on two workers) the drift measures the workers' capacity, not
  // the scheduler (measured: p99 7.6 s, each run waiting for 60 earlier ones to finish). 512 per worker lets every
  // run of the burst be taken at once, so what is measured is fire → slot → run → job → claim. The production
  // default (LIFEBOAT_WORKER_CONCURRENCY 2) is sized for real dumps, not instant ones.
  BENCH_SCHED_CONCURRENCY: z.coerce.number().int().min(1).max(2048).default(512),
  // A directory: the workers run with --cpu-prof and leave their .cpuprofile files there (for where the CPU goes).
  BENCH_SCHED_CPU_PROF: z.string().min(1).optional(),
});

// Two workers: the issue's setup, and the least that shows the fires and claims are shared without duplicates.
const WORKERS = 2;
// Slots older than the grace (one period, at most 60 s: workers/scheduler/schedule-times.ts) are the reconciler's;
// two sweeps more (10 s each by default) lets it record them, so a slot still without a row then is a real gap.
const RECONCILE_WAIT_MS = 60_000 + 2 * 10_000 + 5_000;
// Workers start within seconds; a minute covers a loaded machine.
const START_TIMEOUT_MS = 60_000;
// SIGTERM lets a worker hand runs back and write its last heartbeat; then it is killed.
const STOP_TIMEOUT_MS = 30_000;
const DRIFT_P99_TARGET_MS = 1000;
const MINUTE_MS = 60_000;
const SCHEDULE_ID = 'bench-every-minute';

export interface SchedulerReport {
  lines: string[];
}

const dbUrl = (conn: PgConn, database: string) => `postgresql://${encodeURIComponent(conn.user)}@${conn.host}:${conn.port}/${database}`;
const iso = (d: Date) => d.toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

/** Every key under `prefix:` with its MEMORY USAGE, summed per BullMQ queue (`prefix:<queue>:…`). */
async function prefixMemory(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number; byQueue: Map<string, { keys: number; bytes: number }> }> {
  const byQueue = new Map<string, { keys: number; bytes: number }>();
  let keys = 0;
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key);
    const sizes = (await pipeline.exec()) ?? [];
    batch.forEach((key, i) => {
      const size = Number(sizes[i]?.[1] ?? 0);
      const queue = key.slice(prefix.length + 1).split(':')[0] ?? '?';
      const q = byQueue.get(queue) ?? { keys: 0, bytes: 0 };
      q.keys += 1;
      q.bytes += size;
      byQueue.set(queue, q);
      keys += 1;
      bytes += size;
    });
  } while (cursor !== '0');
  return { keys, bytes, byQueue };
}

/**
 * BullMQ's own timestamps of the fire jobs it still keeps (the newest 1,000 completed: the window's last minute):
 * slot → fire job taken by a worker (`processedOn`) and → its handler done (`finishedOn`, after its batch committed),
 * to tell BullMQ's delivery from the fire's transaction. The slot time is in the job id (`repeat:<scheduler>:<ms>`).
 */
async function fireJobTimes(redis: Redis, prefix: string): Promise<{ n: number; taken: number[]; done: number[] }> {
  const ids = await redis.zrange(`${prefix}:schedules:completed`, '0', '-1');
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:schedules:${id}`, 'processedOn', 'finishedOn');
  const rows = (await pipeline.exec()) ?? [];
  const taken: number[] = [];
  const done: number[] = [];
  ids.forEach((id, i) => {
    const slot = Number(/:(\d+)$/.exec(id)?.[1]);
    const [processedOn, finishedOn] = (rows[i]?.[1] as [string | null, string | null] | undefined) ?? [null, null];
    if (!Number.isFinite(slot) || !processedOn || !finishedOn) return;
    taken.push(Number(processedOn) - slot);
    done.push(Number(finishedOn) - slot);
  });
  const sort = (xs: number[]) => xs.sort((a, b) => a - b);
  return { n: taken.length, taken: sort(taken), done: sort(done) };
}

/** When each of the runs queue's kept jobs (the last thousand completed) was created and taken by a worker, by run id. */
async function runJobTimes(redis: Redis, prefix: string): Promise<Map<string, { created: number; taken: number }>> {
  const ids = await redis.zrange(`${prefix}:runs:completed`, '0', '-1');
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:runs:${id}`, 'timestamp', 'processedOn', 'data');
  const rows = (await pipeline.exec()) ?? [];
  const times = new Map<string, { created: number; taken: number }>();
  for (const row of rows) {
    const [timestamp, processedOn, data] = (row?.[1] as [string | null, string | null, string | null] | undefined) ?? [null, null, null];
    const runId = data ? (JSON.parse(data) as { runId?: string }).runId : undefined;
    if (runId && timestamp && processedOn) times.set(runId, { created: Number(timestamp), taken: Number(processedOn) });
  }
  return times;
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) deleted += await redis.unlink(...batch);
  } while (cursor !== '0');
  return deleted;
}

/** The catalog: one local destination, one policy backing up every minute, `count` sources of the instant kind. */
async function seedCatalog(conn: PgConn, catalog: string, storeDir: string, count: number): Promise<void> {
  const destinationId = crypto.randomUUID();
  const policyId = crypto.randomUUID();
  const schedules = JSON.stringify([{ id: SCHEDULE_ID, kind: 'backup', backupType: 'full', cron: '* * * * *', timezone: 'UTC' }]);
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  await sql(
    conn,
    catalog,
    `INSERT INTO "Destination" (id, name, kind, config, "updatedAt") VALUES (${lit(destinationId)}, 'bench-local', 'local', ${lit(JSON.stringify({ path: storeDir }))}::jsonb, now());
     INSERT INTO "Policy" (id, name, schedules, "compressionLevel", encrypt, "destinationId", "updatedAt")
       VALUES (${lit(policyId)}, 'bench-every-minute', ${lit(schedules)}::jsonb, NULL, false, ${lit(destinationId)}, now());
     INSERT INTO "Source" (id, name, kind, config, "policyId", "updatedAt")
       SELECT gen_random_uuid(), 'bench-instant-' || lpad(n::text, 6, '0'), ${lit(instantEngine.kind)}, '{}'::jsonb, ${lit(policyId)}, now()
       FROM generate_series(1, ${count}) AS n;`,
  );
}

async function waitForWorkers(conn: PgConn, catalog: string, children: ChildProcess[], logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`a worker exited with ${dead.exitCode} before it was ready; see ${logFile}`);
    // A worker's first heartbeat is written after its initial scheduler sync: it counts as running from then on.
    const { rows } = await sql(conn, catalog, `SELECT count(*)::int AS n FROM "WorkerHeartbeat"`);
    if ((rows[0] as { n: number }).n >= children.length) return;
    await sleep(500);
  }
  throw new Error(`the workers were not ready after ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

// The audit chain's advisory lock (server/audit/record-audit.ts); other advisory locks are the scheduler's per-key ones.
const AUDIT_CHAIN_LOCK = 7_301_001;

/**
 * Samples the catalog's lock waits every `everyMs` while the leg runs: how many backends wait, on what (the audit
 * chain's advisory lock, the scheduler's per-source/destination advisory locks, row/transaction locks), and how many
 * are active. A profile of where the burst queues, not a target.
 */
function lockSampler(conn: PgConn, catalog: string, everyMs = 250) {
  const client = new pg.Client({ ...conn, database: catalog });
  const counts = new Map<string, { samples: number; sum: number; peak: number }>();
  let samples = 0;
  let stopped = false;
  const add = (key: string, n: number) => {
    const c = counts.get(key) ?? { samples: 0, sum: 0, peak: 0 };
    c.sum += n;
    c.peak = Math.max(c.peak, n);
    counts.set(key, c);
  };
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query<{ kind: string; n: number }>(`
        SELECT CASE WHEN l.locktype = 'advisory' AND l.objid = ${AUDIT_CHAIN_LOCK} THEN 'waiting: audit chain lock'
                    WHEN l.locktype = 'advisory' THEN 'waiting: scheduler key lock'
                    ELSE 'waiting: ' || l.locktype END AS kind, count(*)::int AS n
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND a.datname = current_database() GROUP BY 1
        UNION ALL
        SELECT 'active backends', count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`);
      samples += 1;
      const seen = new Set<string>();
      for (const r of rows) {
        add(r.kind, r.n);
        seen.add(r.kind);
      }
      for (const k of counts.keys()) if (!seen.has(k)) add(k, 0);
      await sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<string[]> {
      stopped = true;
      await loop.catch(() => undefined);
      await client.end().catch(() => undefined);
      return [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, c]) => `    ${k}: mean ${(c.sum / Math.max(1, samples)).toFixed(2)}, peak ${c.peak} (${samples} samples every ${everyMs} ms)`);
    },
  };
}

const ms = (v: unknown) => (v === null || v === undefined ? '—' : `${Math.round(Number(v))} ms`);

export async function runSchedulerBench(conn: PgConn, parentWork: string = os.tmpdir()): Promise<SchedulerReport> {
  const knobs = Knobs.parse(process.env);
  const work = fs.mkdtempSync(path.join(parentWork, 'scheduler-'));
  const storeDir = path.join(work, 'store');
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(storeDir, { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const catalog = `lifeboat_bench_sched_${process.pid}`;
  const prefix = `lifeboat-bench-sched-${process.pid}`;
  const logPath = path.join(work, 'workers.log');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
  const children: ChildProcess[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl(conn, catalog),
    LIFEBOAT_QUEUE_PREFIX: prefix,
    LIFEBOAT_DATA_DIR: dataDir,
    LIFEBOAT_WORKER_CONCURRENCY: String(knobs.BENCH_SCHED_CONCURRENCY),
    // Retention is not part of this leg; a prune sweep would only add noise.
    LIFEBOAT_PRUNE_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'warn',
  };
  let logFd: number | undefined;
  try {
    await sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${catalog} WITH (FORCE)`);
    await sql(conn, 'postgres', `CREATE DATABASE ${catalog}`);
    execFileSync(process.execPath, ['--import', 'tsx', 'prisma/migrator/migrate.ts', 'deploy'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    await seedCatalog(conn, catalog, storeDir, knobs.BENCH_SCHED_SOURCES);
    const sizeBefore = Number(((await sql(conn, 'postgres', `SELECT pg_database_size('${catalog}') AS b`)).rows[0] as { b: string }).b);
    const redisBefore = await usedMemory(redis);

    console.log(`[scheduler] ${knobs.BENCH_SCHED_SOURCES} sources, * * * * *, ${WORKERS} workers × ${knobs.BENCH_SCHED_CONCURRENCY} runs, ${knobs.BENCH_SCHED_MINUTES} min of slots`);
    logFd = fs.openSync(logPath, 'a');
    for (let i = 0; i < WORKERS; i++) {
      const prof = knobs.BENCH_SCHED_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${knobs.BENCH_SCHED_CPU_PROF}`] : [];
      children.push(spawn(process.execPath, [...prof, '--import', 'tsx', 'bench/scheduler-worker.ts'], { cwd: ROOT, env, stdio: ['ignore', logFd, logFd] }));
    }
    await waitForWorkers(conn, catalog, children, logPath);
    const loadAtStart = os.loadavg();

    // The window: whole minutes of slots, from the first minute boundary after both workers run (its schedulers exist).
    const windowStart = new Date(Math.ceil((Date.now() + 1000) / MINUTE_MS) * MINUTE_MS);
    const workersCpu = () => children.reduce((sum, c) => sum + processCpuSeconds(c.pid!), 0);
    const cpuAtStart = workersCpu();
    const lastSlot = new Date(windowStart.getTime() + (knobs.BENCH_SCHED_MINUTES - 1) * MINUTE_MS);
    const windowEnd = new Date(lastSlot.getTime() + MINUTE_MS);
    const analyseAt = lastSlot.getTime() + RECONCILE_WAIT_MS;
    console.log(`[scheduler] slots ${iso(windowStart)} … ${iso(lastSlot)}; figures at ${iso(new Date(analyseAt))}`);
    const locks = lockSampler(conn, catalog);
    const xacts = async () => Number(((await sql(conn, 'postgres', `SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = '${catalog}'`)).rows[0] as { n: string }).n);
    const xactsAtStart = await xacts();
    const loads: number[] = [];
    while (Date.now() < analyseAt) {
      const dead = children.find((c) => c.exitCode !== null);
      if (dead) throw new Error(`a worker exited with ${dead.exitCode} during the run; see ${logPath}`);
      loads.push(os.loadavg()[0]!);
      await sleep(Math.min(5_000, Math.max(0, analyseAt - Date.now())));
    }
    const cpuUsed = workersCpu() - cpuAtStart;
    const lockLines = await locks.stop();
    const xactsUsed = (await xacts()) - xactsAtStart;
    const redisAfter = await usedMemory(redis);
    const own = await prefixMemory(redis, prefix);
    const schedulerCount = await redis.zcard(`${prefix}:schedules:repeat`);
    const fires = await fireJobTimes(redis, prefix);
    const runJobs = await runJobTimes(redis, prefix);

    const q = async <T>(text: string) => (await sql(conn, catalog, text)).rows as T[];
    const inWindow = `s."slotAt" >= '${iso(windowStart)}'::timestamp AND s."slotAt" <= '${iso(lastSlot)}'::timestamp AND s."scheduleId" = '${SCHEDULE_ID}'`;
    const [drift] = await q<Record<string, string | null>>(`
      SELECT count(*) FILTER (WHERE r."startedAt" IS NOT NULL) AS claimed,
             count(*) FILTER (WHERE s.state = 'STARTED' AND r."startedAt" IS NULL) AS unclaimed,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."startedAt" - s."slotAt") * 1000) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."startedAt" - s."slotAt") * 1000) AS p99,
             max(EXTRACT(EPOCH FROM r."startedAt" - s."slotAt") * 1000) AS max,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s."createdAt" - s."slotAt") * 1000) AS rec_p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s."createdAt" - s."slotAt") * 1000) AS rec_p99,
             max(EXTRACT(EPOCH FROM s."createdAt" - s."slotAt") * 1000) AS rec_max,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."createdAt" - s."slotAt") * 1000) AS cre_p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."createdAt" - s."slotAt") * 1000) AS cre_p99,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."finishedAt" - s."slotAt") * 1000) AS fin_p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."finishedAt" - s."slotAt") * 1000) AS fin_p99,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."finishedAt" - r."startedAt") * 1000) AS dur_p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."finishedAt" - r."startedAt") * 1000) AS dur_p99
      FROM "ScheduledSlot" s LEFT JOIN "Run" r ON r.id = s."runId" WHERE ${inWindow}`);
    const perMinute = await q<{ slot: string; p50: string; p99: string; max: string }>(`
      SELECT to_char(s."slotAt", 'HH24:MI') AS slot,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."startedAt" - s."slotAt") * 1000) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM r."startedAt" - s."slotAt") * 1000) AS p99,
             max(EXTRACT(EPOCH FROM r."startedAt" - s."slotAt") * 1000) AS max
      FROM "ScheduledSlot" s JOIN "Run" r ON r.id = s."runId" WHERE ${inWindow} GROUP BY 1 ORDER BY 1`);
    // The last thousand runs' jobs as BullMQ kept them: when each was added and taken, against its slot and its claim.
    const jobRows = runJobs.size === 0 ? [] : await q<{ id: string; slot: string; started: string | null }>(
      `SELECT r.id, (EXTRACT(EPOCH FROM s."slotAt") * 1000)::text AS slot, (EXTRACT(EPOCH FROM r."startedAt") * 1000)::text AS started
       FROM "Run" r JOIN "ScheduledSlot" s ON s."runId" = r.id WHERE r.id IN (${[...runJobs.keys()].map((id) => `'${id.replace(/'/g, '')}'`).join(',')})`,
    );
    const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
    const jobAdded = sorted(jobRows.map((r) => runJobs.get(r.id)!.created - Number(r.slot)));
    const jobTaken = sorted(jobRows.map((r) => runJobs.get(r.id)!.taken - Number(r.slot)));
    const takenToClaimed = sorted(jobRows.filter((r) => r.started).map((r) => Number(r.started) - runJobs.get(r.id)!.taken));
    const states = await q<{ state: string; reason: string | null; n: number }>(
      `SELECT s.state, s.reason, count(*)::int AS n FROM "ScheduledSlot" s WHERE ${inWindow} GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const [gaps] = await q<{ expected: number; gaps: number }>(`
      SELECT count(*)::int AS expected, count(*) FILTER (WHERE s.id IS NULL)::int AS gaps
      FROM "Source" src
      CROSS JOIN generate_series('${iso(windowStart)}'::timestamp, '${iso(lastSlot)}'::timestamp, interval '1 minute') AS t(slot)
      LEFT JOIN "ScheduledSlot" s ON s."sourceId" = src.id AND s."scheduleId" = '${SCHEDULE_ID}' AND s."slotAt" = t.slot`);
    // A run of a slot names its slot in its request's audit event (workers/scheduler/start-scheduled-run.ts).
    const [dupes] = await q<{ over: number; orphans: number }>(`
      SELECT (SELECT coalesce(sum(n - 1), 0)::int FROM (
                SELECT count(*) AS n FROM "AuditEvent" a
                WHERE a."targetType" = 'run' AND a.details->>'trigger' = 'schedule' AND a.details->>'scheduleId' = '${SCHEDULE_ID}'
                  AND (a.details->>'slotAt')::timestamp BETWEEN '${iso(windowStart)}'::timestamp AND '${iso(lastSlot)}'::timestamp
                GROUP BY a.details->>'sourceId', a.details->>'slotAt' HAVING count(*) > 1) d) AS over,
             (SELECT count(*)::int FROM "Run" r WHERE r.trigger = 'schedule'
                AND r."createdAt" >= '${iso(windowStart)}'::timestamp AND r."createdAt" < '${iso(windowEnd)}'::timestamp
                AND NOT EXISTS (SELECT 1 FROM "ScheduledSlot" s WHERE s."runId" = r.id)) AS orphans`);
    const outcomes = await q<{ status: string; n: number }>(
      `SELECT r.status::text AS status, count(*)::int AS n FROM "ScheduledSlot" s JOIN "Run" r ON r.id = s."runId" WHERE ${inWindow} GROUP BY 1 ORDER BY 1`,
    );
    const failures = await q<{ error: string; n: number }>(
      `SELECT left(coalesce(r.error, '?'), 160) AS error, count(*)::int AS n FROM "ScheduledSlot" s JOIN "Run" r ON r.id = s."runId" WHERE ${inWindow} AND r.status = 'FAILED' GROUP BY 1 ORDER BY 2 DESC LIMIT 3`,
    );
    // Rows the window's slots added: their slot rows, runs, run logs, recovery points; audit events by time.
    const [rows] = await q<Record<string, number>>(`
      WITH w AS (SELECT s.id, s."runId" FROM "ScheduledSlot" s WHERE ${inWindow})
      SELECT (SELECT count(*)::int FROM w) AS slots,
             (SELECT count(*)::int FROM w WHERE "runId" IS NOT NULL) AS runs,
             (SELECT count(*)::int FROM "RunLog" l JOIN w ON w."runId" = l."runId") AS logs,
             (SELECT count(*)::int FROM "RecoveryPoint" p JOIN w ON w."runId" = p."runId") AS points,
             (SELECT count(*)::int FROM "AuditEvent" a WHERE a.at >= '${iso(windowStart)}'::timestamp AND a.at < '${iso(windowEnd)}'::timestamp) AS audit`);
    // Every slot the workers handled while their CPU was counted (the window's and those after it, up to now).
    const [handled] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM "ScheduledSlot" s WHERE s."slotAt" >= '${iso(windowStart)}'::timestamp`);
    const sizeAfter = Number(((await sql(conn, 'postgres', `SELECT pg_database_size('${catalog}') AS b`)).rows[0] as { b: string }).b);
    const elapsedMinutes = (Date.now() - windowStart.getTime()) / MINUTE_MS;

    const minutes = knobs.BENCH_SCHED_MINUTES;
    const missed = states.filter((s) => s.state === 'MISSED').reduce((a, s) => a + s.n, 0);
    const skipped = states.filter((s) => s.state === 'SKIPPED').reduce((a, s) => a + s.n, 0);
    const p99 = Number(drift?.p99 ?? NaN);
    const dupTotal = (dupes?.over ?? 0) + (dupes?.orphans ?? 0);
    const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED TARGET');
    const perDay = (n: number) => Math.round((n / minutes) * 1440).toLocaleString('en-US');
    const sum = (r: Record<string, number> | undefined) => (r ? r.slots! + r.runs! + r.logs! + r.points! + r.audit! : 0);
    const MB = 1024 * 1024;
    const schedulesQueue = own.byQueue.get('schedules');
    const load = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} (mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)})`;
    const pad = (a: string, b: string, c: string, d = '') => `  ${a.padEnd(46)} ${b.padStart(16)}  ${c.padEnd(10)} ${d}`;
    const lines = [
      `scheduler: ${knobs.BENCH_SCHED_SOURCES} sources × * * * * *, ${WORKERS} workers × ${knobs.BENCH_SCHED_CONCURRENCY} runs, ${minutes} min of slots (${iso(windowStart)} … ${iso(lastSlot)})`,
      `  workers' CPU (user+sys, both processes, not PostgreSQL's): ${cpuUsed.toFixed(1)} s for ${handled?.n ?? 0} slots = ${((1000 * cpuUsed) / Math.max(1, handled?.n ?? 0)).toFixed(1)} ms per slot; one minute's ${knobs.BENCH_SCHED_SOURCES} fires need at least ${((cpuUsed / Math.max(1, handled?.n ?? 0)) * knobs.BENCH_SCHED_SOURCES / os.cpus().length).toFixed(1)} s of the ${os.cpus().length} cores, idle`,
      `  1-min load average at start ${loadAtStart[0]!.toFixed(2)}, during the run ${load(loads)} on ${os.cpus().length} cores`,
      pad('', 'figure', 'target', ''),
      pad('slot → run claimed  p50', ms(drift?.p50), ''),
      pad('slot → run claimed  p99', ms(drift?.p99), '< 1000 ms', mark(p99 < DRIFT_P99_TARGET_MS)),
      pad('slot → run claimed  max', ms(drift?.max), ''),
      pad('slot → slot recorded p50 / p99 / max', `${ms(drift?.rec_p50)} / ${ms(drift?.rec_p99)} / ${ms(drift?.rec_max)}`, ''),
      pad(`slot → fire job taken p50 / p99 (last ${fires.n} fires)`, `${ms(quantile(fires.taken, 0.5))} / ${ms(quantile(fires.taken, 0.99))}`, ''),
      pad(`slot → fire job done p50 / p99 (last ${fires.n} fires)`, `${ms(quantile(fires.done, 0.5))} / ${ms(quantile(fires.done, 0.99))}`, ''),
      pad('slot → run created p50 / p99', `${ms(drift?.cre_p50)} / ${ms(drift?.cre_p99)}`, ''),
      pad(`slot → run job added p50 / p99 (last ${jobRows.length} runs)`, `${ms(quantile(jobAdded, 0.5))} / ${ms(quantile(jobAdded, 0.99))}`, ''),
      pad(`slot → run job taken p50 / p99 (last ${jobRows.length} runs)`, `${ms(quantile(jobTaken, 0.5))} / ${ms(quantile(jobTaken, 0.99))}`, ''),
      pad(`run job taken → run claimed p50 / p99`, `${ms(quantile(takenToClaimed, 0.5))} / ${ms(quantile(takenToClaimed, 0.99))}`, ''),
      pad('slot → run finished p50 / p99', `${ms(drift?.fin_p50)} / ${ms(drift?.fin_p99)}`, ''),
      pad('run claimed → finished p50 / p99', `${ms(drift?.dur_p50)} / ${ms(drift?.dur_p99)}`, ''),
      pad('runs claimed / STARTED slots never claimed', `${drift?.claimed ?? 0} / ${drift?.unclaimed ?? 0}`, ''),
      pad('duplicates (runs per slot > 1 + runs without slot)', `${dupes?.over ?? 0} + ${dupes?.orphans ?? 0}`, '0', mark(dupTotal === 0)),
      pad(`gaps (of ${gaps?.expected ?? 0} expected slots)`, String(gaps?.gaps ?? '?'), '0', mark(gaps?.gaps === 0)),
      pad('MISSED / SKIPPED slots', `${missed} / ${skipped}`, ''),
      ...states.filter((s) => s.state !== 'STARTED').map((s) => `    ${s.state} ${s.n}: ${s.reason ?? '(no reason)'}`),
      pad('run outcomes', outcomes.map((o) => `${o.status} ${o.n}`).join(', ') || '—', ''),
      ...failures.map((f) => `    FAILED ${f.n}: ${f.error}`),
      pad('Redis used_memory before → after (server-wide)', `${(redisBefore / MB).toFixed(1)} → ${(redisAfter / MB).toFixed(1)} MB`, ''),
      pad(`Redis, this bench's keys (${own.keys})`, `${(own.bytes / MB).toFixed(2)} MB`, ''),
      pad(`  schedules queue, per job scheduler (${schedulerCount})`, schedulerCount > 0 && schedulesQueue ? `${((schedulesQueue.bytes / schedulerCount) / 1024).toFixed(2)} KiB` : '—', ''),
      pad('catalog rows added per day at this rate', perDay(sum(rows)), ''),
      `    per day: slots ${perDay(rows?.slots ?? 0)}, runs ${perDay(rows?.runs ?? 0)}, run logs ${perDay(rows?.logs ?? 0)}, audit events ${perDay(rows?.audit ?? 0)}, recovery points ${perDay(rows?.points ?? 0)}`,
      `    catalog database grew ${((sizeAfter - sizeBefore) / MB).toFixed(1)} MB in ${elapsedMinutes.toFixed(1)} min (slots after the window included): ~${(((sizeAfter - sizeBefore) / elapsedMinutes) * 1440 / 1024 / MB).toFixed(2)} GB/day before vacuum and pruning`,
      `  catalog transactions committed or rolled back: ${xactsUsed} (${(xactsUsed / Math.max(1, handled?.n ?? 0)).toFixed(1)} per slot, the bench's own queries included)`,
      '  lock waits and active backends in the catalog, sampled:',
      ...lockLines,
      '  per minute of slots, slot → run claimed p50 / p99 / max:',
      ...perMinute.map((m) => `    ${m.slot}  ${ms(m.p50)} / ${ms(m.p99)} / ${ms(m.max)}`),
    ];
    return { lines };
  } catch (err) {
    // The work directory goes below: show the workers' last words first.
    if (fs.existsSync(logPath)) console.error(`[scheduler] last worker log lines:\n${fs.readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n')}`);
    throw err;
  } finally {
    await Promise.all(children.map(stopChild));
    if (logFd !== undefined) fs.closeSync(logFd);
    const kept = process.env.BENCH_KEEP_LOGS === '1';
    if (kept && fs.existsSync(logPath)) {
      // The bench's own work directory is removed at its end: the log is copied out of it.
      const keptPath = path.join(os.tmpdir(), `lifeboat-scheduler-workers-${Date.now()}.log`);
      fs.copyFileSync(logPath, keptPath);
      console.log(`[scheduler] worker log kept: ${keptPath}`);
    }
    await sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${catalog} WITH (FORCE)`).catch((e: unknown) => console.error(`[scheduler] could not drop ${catalog}: ${String(e)}`));
    await deletePrefix(redis, prefix).catch((e: unknown) => console.error(`[scheduler] could not delete Redis keys ${prefix}:*: ${String(e)}`));
    redis.disconnect();
    if (!kept) fs.rmSync(work, { recursive: true, force: true });
  }
}
