/**
 * The multi-database PostgreSQL leg of `npm run bench` (in the default; alone: `npm run bench -- pgmulti` or
 * `BENCH_MODES=pgmulti npm run bench`). Cases (BENCH_PGMULTI_CASES, default `realistic,pgbench`), three databases
 * each, created once and reused:
 *
 *   realistic  three copies of bench/realistic-data.ts's database of ~BENCH_PGMULTI_MB (default 150) MB of raw dump
 *              (jsonb, text, random bytea; seeded, so the same bytes everywhere): compresses to ~35-40%, so the
 *              costs after zstd show;
 *   pgbench    `pgbench -i -s BENCH_PGMULTI_SCALE` (default 15, ~145 MB of raw dump each), which compresses ~100:1:
 *              each dump is short, so a point's fixed costs show.
 *
 * Each backed up BENCH_PGMULTI_RUNS times each way, alternating:
 *
 *   baseline:  for each database, one after the other: pg_dump -Fc -Z0 DB | zstd -3 -T0 -q | age -r KEY > file
 *   lifeboat:  ONE point of a source with `databases: [a, b, c]`, stored by the backup worker's own `storeObjects`
 *              (workers/backup/run-backup.ts; a stub run context: no catalog log rows): every object
 *              `engine.backupObjects` yields, in order, through produceArtifact (zstd -3, age, the local-disk
 *              driver's temp file, hashed and synced)
 *
 * reported as medians of wall and CPU seconds (this process and its tools), their ratios and the peak RSS of this
 * process, where Lifeboat's path runs (target < 300 MB). Lifeboat's per-database snapshot sessions (the exported
 * snapshot, the row counts) are part of its side: that is what a multi-database point costs. No globals object: the
 * baseline has none either. Also reported: the point's fixed cost, the median time `backupObjects` takes to yield
 * every object when nothing is dumped (cluster facts, tool version, one snapshot session per database). Afterwards
 * every archive of Lifeboat's last point is decoded and `pg_restore --list` must find the case's biggest table in it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { codecOf, storedExtension } from '@/server/artifacts/codec';
import { generateIdentity } from '@/server/artifacts/keys';
import type { EngineBackupObject } from '@/server/engines/engine';
import { postgresEngine } from '@/server/engines/postgres';
import { runArtifactKeys } from '@/server/storage/layout';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { storeObjects, type StoredObject } from '@/workers/backup/run-backup';
import { alternate, median, rssSampler, sample, shell, type Sample } from './measure';
import { ensureRealisticDatabase, sql, type PgConn } from './realistic-data';

const Case = z.enum(['realistic', 'pgbench']);
type Case = z.infer<typeof Case>;
const Knobs = z.object({
  BENCH_PGMULTI_CASES: z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(Case).min(1))
    .default(['realistic', 'pgbench']),
  // ~150 MB of raw dump per database, inside the 100-200 MB.
  BENCH_PGMULTI_MB: z.coerce.number().int().min(8).max(10_000).default(150),
  // Scale 15: ~145 MB of raw dump per database, the same size in pgbench rows.
  BENCH_PGMULTI_SCALE: z.coerce.number().int().min(1).max(1_000).default(15),
  // Three rounds, like the other PostgreSQL legs: the median of three ignores one disturbed run.
  BENCH_PGMULTI_RUNS: z.coerce.number().int().min(1).max(20).default(3),
});

const DATABASES = 3;
// zstd level 3 on both sides: the CLI default, and what Lifeboat uses without a policy.
const LEVEL = 3;
// The pipeline target the other local-disk legs use.
const RATIO_TARGET = 1.05;
const RSS_TARGET_MB = 300;
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
// Rounds of the no-dump point whose median is the fixed cost: each takes ~0.1 s.
const FIXED_COST_ROUNDS = 7;
// The table `pg_restore --list` must find in every archive of the case.
const CHECK_TABLE: Record<Case, string> = { realistic: 'documents', pgbench: 'pgbench_accounts' };

export interface PgMultiBenchReport {
  lines: string[];
}

const databaseExists = async (conn: PgConn, db: string) => ((await sql(conn, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${db}'`)).rowCount ?? 0) > 0;

async function ensurePgbenchDatabases(conn: PgConn, scale: number): Promise<string[]> {
  const names = Array.from({ length: DATABASES }, (_, i) => `lifeboat_bench_multi_s${scale}_${i + 1}`);
  for (const db of names) {
    if (await databaseExists(conn, db)) continue;
    console.log(`[pgmulti] creating ${db} with pgbench -i -s ${scale} (once; reused by later runs)…`);
    await sql(conn, 'postgres', `CREATE DATABASE ${db}`);
    execFileSync('pgbench', ['-i', '-q', '-s', String(scale), '-h', conn.host, '-p', String(conn.port), '-U', conn.user, db], { stdio: 'inherit' });
  }
  return names;
}

/**
 * Three copies of the realistic database of `rawMb` (its name carries size and generator version, and so do the
 * copies'): the same seeded bytes in each, copied by the server (`CREATE DATABASE … TEMPLATE`) in seconds.
 */
async function ensureRealisticDatabases(conn: PgConn, rawMb: number): Promise<string[]> {
  const template = await ensureRealisticDatabase(conn, rawMb);
  const names = Array.from({ length: DATABASES }, (_, i) => `${template.replace('lifeboat_bench_real_', 'lifeboat_bench_multi_real_')}_${i + 1}`);
  for (const db of names) {
    if (await databaseExists(conn, db)) continue;
    console.log(`[pgmulti] creating ${db} as a copy of ${template} (once; reused by later runs)…`);
    await sql(conn, 'postgres', `CREATE DATABASE ${db} TEMPLATE ${template}`);
  }
  return names;
}

export async function runPgMultiBench(conn: PgConn, parentWork: string): Promise<PgMultiBenchReport> {
  const knobs = Knobs.parse(process.env);
  const lines: string[] = [];
  for (const name of knobs.BENCH_PGMULTI_CASES) {
    const databases = name === 'realistic' ? await ensureRealisticDatabases(conn, knobs.BENCH_PGMULTI_MB) : await ensurePgbenchDatabases(conn, knobs.BENCH_PGMULTI_SCALE);
    if (lines.length > 0) lines.push('');
    lines.push(...(await runCase(conn, parentWork, knobs, name, databases)));
  }
  return { lines };
}

async function runCase(conn: PgConn, parentWork: string, knobs: z.infer<typeof Knobs>, name: Case, databases: string[]): Promise<string[]> {
  const work = fs.mkdtempSync(path.join(parentWork, 'pgmulti-'));
  try {
    const keys = await generateIdentity();
    const keyFile = path.join(work, 'key.txt');
    fs.writeFileSync(keyFile, `${keys.identity}\n`, { mode: 0o600 });
    const driver = createLocalDiskDriver({ root: path.join(work, 'store') });
    const config = { ...conn, database: databases[0]!, databases };
    const dbUrl = (db: string) => `postgresql://${encodeURIComponent(conn.user)}@${conn.host}:${conn.port}/${db}`;
    const baseFile = (db: string) => path.join(work, `baseline-${db}.pgdump.zst.age`);
    const codec = codecOf({ compressed: true, encrypted: true });
    // What the worker's run context gives storeObjects, minus the catalog: progress and log lines go nowhere.
    const ctx = { signal: new AbortController().signal, progress: () => undefined, log: async () => undefined };
    let point: StoredObject[] = [];

    // The fixed cost of a point: every object yielded (and its session closed again) without dumping anything.
    const fixed: number[] = [];
    for (let i = 0; i < FIXED_COST_ROUNDS; i++) {
      const t0 = process.hrtime.bigint();
      for await (const object of postgresEngine.backupObjects!(config, {}, {}) as AsyncIterable<EngineBackupObject>) void object;
      fixed.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }

    console.log(`[pgmulti] ${name}: backup of ${DATABASES} databases ×${knobs.BENCH_PGMULTI_RUNS} each (3 sequential shell pipelines, one Lifeboat point)`);
    const rss = rssSampler();
    let lifeboatRss = 0;
    const result = await alternate(knobs.BENCH_PGMULTI_RUNS, {
      baseline: () =>
        sample(async () => {
          for (const db of databases) {
            await shell(`pg_dump -Fc -Z0 --dbname="$U" | zstd -${LEVEL} -T0 -q | age -r "$R" > "$F"`, { U: dbUrl(db), R: keys.recipient, F: baseFile(db) });
          }
        }),
      lifeboat: async (run) => {
        const keysOfRun = runArtifactKeys({ sourceId: 'bench-pgmulti', runId: `run-${run}`, startedAt: new Date() }, storedExtension(postgresEngine.artifact.extension, codec));
        const s = await sample(() =>
          storeObjects({ engine: postgresEngine, config, secrets: {}, driver, keys: keysOfRun, codec, compressionLevel: LEVEL, recipients: [keys.recipient], ctx }),
        );
        point = s.value;
        lifeboatRss = Math.max(lifeboatRss, process.memoryUsage().rss);
        return s;
      },
    });
    const peakRss = Math.max(rss.stop(), lifeboatRss);
    if (point.length !== DATABASES) throw new Error(`Lifeboat's point holds ${point.length} objects, expected ${DATABASES}`);

    // Every archive decodes and is a pg_dump archive of the case's database.
    for (const artifact of point) {
      const decoded = path.join(work, 'decoded.pgdump');
      await shell(`age -d -i "$K" "$F" | zstd -d -q -f -o "$O" && pg_restore --list "$O" | grep -q "TABLE DATA public $T "`, {
        K: keyFile,
        F: path.join(work, 'store', artifact.key),
        O: decoded,
        T: CHECK_TABLE[name],
      });
      fs.rmSync(decoded, { force: true });
    }
    const baseBytes = databases.reduce((sum, db) => sum + fs.statSync(baseFile(db)).size, 0);
    const what = name === 'realistic' ? `realistic data (~${knobs.BENCH_PGMULTI_MB} MB raw each)` : `pgbench -s ${knobs.BENCH_PGMULTI_SCALE}`;
    return report(name, what, knobs.BENCH_PGMULTI_RUNS, result.baseline, result.lifeboat, point, baseBytes, peakRss, fixed);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(
  name: Case,
  what: string,
  runs: number,
  baseline: Sample[],
  lifeboat: Sample[],
  point: StoredObject[],
  baseBytes: number,
  peakRss: number,
  fixedMs: number[],
): string[] {
  const med = (samples: Sample[], key: keyof Sample) => median(samples.map((s) => s[key]));
  const ratio = med(lifeboat, 'seconds') / med(baseline, 'seconds');
  const cpuRatio = med(lifeboat, 'cpuSeconds') / med(baseline, 'cpuSeconds');
  const raw = point.reduce((sum, a) => sum + (a.rawBytes ?? 0), 0);
  const stored = point.reduce((sum, a) => sum + a.size, 0);
  const all = (samples: Sample[]) => samples.map((s) => s.seconds.toFixed(2)).join(', ');
  return [
    `pgmulti ${name}: ${DATABASES} databases of ${what}, one point; raw dumps ${point.map((a) => mb(a.rawBytes ?? 0)).join(' + ')} = ${mb(raw)}, stored ${mb(stored)} (${point[0]?.codec ?? '?'}), baseline files ${mb(baseBytes)}; every archive decoded and listed by pg_restore`,
    `medians of ${runs} alternating runs; CPU = user+sys of this process and its tools (not the PostgreSQL backends)`,
    `  backup    baseline ${med(baseline, 'seconds').toFixed(2)} s, lifeboat ${med(lifeboat, 'seconds').toFixed(2)} s, ratio ${ratio.toFixed(3)}${ratio > RATIO_TARGET ? ' !' : ''} (target <= ${RATIO_TARGET.toFixed(2)})`,
    `  CPU       baseline ${med(baseline, 'cpuSeconds').toFixed(2)} s, lifeboat ${med(lifeboat, 'cpuSeconds').toFixed(2)} s, ratio ${cpuRatio.toFixed(3)}`,
    `  peak RSS  ${mb(peakRss)} (this process, where Lifeboat's path runs; target < ${RSS_TARGET_MB} MB)${peakRss > RSS_TARGET_MB * MB ? ' !' : ''}`,
    `  runs      baseline ${all(baseline)} s; lifeboat ${all(lifeboat)} s`,
    `  fixed     ${median(fixedMs).toFixed(0)} ms per point (median of ${fixedMs.length}: every object yielded, nothing dumped); lifeboat - baseline ${((med(lifeboat, 'seconds') - med(baseline, 'seconds')) * 1000).toFixed(0)} ms`,
  ];
}
