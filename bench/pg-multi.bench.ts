/**
 * The multi-database PostgreSQL leg of `npm run bench` (alone: `npm run bench -- pgmulti` or
 * `BENCH_MODES=pgmulti npm run bench`): three databases made with `pgbench -i -s BENCH_PGMULTI_SCALE` (default 15,
 * ~150 MB of raw dump each; created once and reused), backed up BENCH_PGMULTI_RUNS times each way, alternating:
 *
 *   baseline:  for each database, one after the other: pg_dump -Fc -Z0 DB | zstd -3 -T0 -q | age -r KEY > file
 *   lifeboat:  ONE point of a source with `databases: [a, b, c]`, the way the backup worker stores it
 *              (workers/backup/run-backup.ts `storeObjects`): every object `engine.backupObjects` yields, in order,
 *              through produceArtifact (zstd -3, age, the local-disk driver's temp file, hashed and synced)
 *
 * reported as medians of wall and CPU seconds (this process and its tools), their ratios and the peak RSS of this
 * process, where Lifeboat's path runs (target < 300 MB). Lifeboat's per-database snapshot sessions (the exported
 * snapshot, the row counts) are part of its side: that is what a multi-database point costs. No globals object: the
 * baseline has none either. Afterwards every archive of Lifeboat's last point is decoded and `pg_restore --list`
 * must find pgbench_accounts in it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generateIdentity } from '@/server/artifacts/keys';
import type { EngineBackupObject } from '@/server/engines/engine';
import { postgresEngine } from '@/server/engines/postgres';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { produceArtifact, type ProducedArtifact } from '@/workers/backup/produce-artifact';
import { alternate, median, rssSampler, sample, shell, type Sample } from './measure';
import { sql, type PgConn } from './realistic-data';

const Knobs = z.object({
  // Scale 15: ~150 MB of raw dump per database, inside the 100-200 MB.
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

export interface PgMultiBenchReport {
  lines: string[];
}

async function ensureDatabases(conn: PgConn, scale: number): Promise<string[]> {
  const names = Array.from({ length: DATABASES }, (_, i) => `lifeboat_bench_multi_s${scale}_${i + 1}`);
  for (const db of names) {
    const found = await sql(conn, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${db}'`);
    if ((found.rowCount ?? 0) > 0) continue;
    console.log(`[pgmulti] creating ${db} with pgbench -i -s ${scale} (once; reused by later runs)…`);
    await sql(conn, 'postgres', `CREATE DATABASE ${db}`);
    execFileSync('pgbench', ['-i', '-q', '-s', String(scale), '-h', conn.host, '-p', String(conn.port), '-U', conn.user, db], { stdio: 'inherit' });
  }
  return names;
}

export async function runPgMultiBench(conn: PgConn, parentWork: string): Promise<PgMultiBenchReport> {
  const knobs = Knobs.parse(process.env);
  const databases = await ensureDatabases(conn, knobs.BENCH_PGMULTI_SCALE);
  const work = fs.mkdtempSync(path.join(parentWork, 'pgmulti-'));
  try {
    const keys = await generateIdentity();
    const keyFile = path.join(work, 'key.txt');
    fs.writeFileSync(keyFile, `${keys.identity}\n`, { mode: 0o600 });
    const driver = createLocalDiskDriver({ root: path.join(work, 'store') });
    const config = { ...conn, database: databases[0]!, databases };
    const dbUrl = (db: string) => `postgresql://${encodeURIComponent(conn.user)}@${conn.host}:${conn.port}/${db}`;
    const baseFile = (db: string) => path.join(work, `baseline-${db}.pgdump.zst.age`);
    let point: ProducedArtifact[] = [];

    console.log(`[pgmulti] backup of ${DATABASES} databases ×${knobs.BENCH_PGMULTI_RUNS} each (3 sequential shell pipelines, one Lifeboat point)`);
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
        const s = await sample(async () => {
          const stored: ProducedArtifact[] = [];
          // As storeObjects: each object stored completely before the next is asked for.
          for await (const object of postgresEngine.backupObjects!(config, {}, {}) as AsyncIterable<EngineBackupObject>) {
            stored.push(
              await produceArtifact({
                engine: postgresEngine,
                config,
                secrets: {},
                object,
                driver,
                key: `bench/pgmulti/${run}/${object.role}.${object.extension}.zst.age`,
                compressionLevel: LEVEL,
                recipients: [keys.recipient],
              }),
            );
          }
          return stored;
        });
        point = s.value;
        lifeboatRss = Math.max(lifeboatRss, process.memoryUsage().rss);
        return s;
      },
    });
    const peakRss = Math.max(rss.stop(), lifeboatRss);
    if (point.length !== DATABASES) throw new Error(`Lifeboat's point holds ${point.length} objects, expected ${DATABASES}`);

    // Every archive decodes and is a pg_dump archive of a pgbench database.
    for (const artifact of point) {
      const decoded = path.join(work, 'decoded.pgdump');
      await shell(`age -d -i "$K" "$F" | zstd -d -q -f -o "$O" && pg_restore --list "$O" | grep -q 'TABLE DATA public pgbench_accounts'`, {
        K: keyFile,
        F: path.join(work, 'store', artifact.stored.key),
        O: decoded,
      });
      fs.rmSync(decoded, { force: true });
    }
    const baseBytes = databases.reduce((sum, db) => sum + fs.statSync(baseFile(db)).size, 0);
    return { lines: report(knobs.BENCH_PGMULTI_RUNS, knobs.BENCH_PGMULTI_SCALE, result.baseline, result.lifeboat, point, baseBytes, peakRss) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(runs: number, scale: number, baseline: Sample[], lifeboat: Sample[], point: ProducedArtifact[], baseBytes: number, peakRss: number): string[] {
  const med = (samples: Sample[], key: keyof Sample) => median(samples.map((s) => s[key]));
  const ratio = med(lifeboat, 'seconds') / med(baseline, 'seconds');
  const cpuRatio = med(lifeboat, 'cpuSeconds') / med(baseline, 'cpuSeconds');
  const raw = point.reduce((sum, a) => sum + (a.rawBytes ?? 0), 0);
  const stored = point.reduce((sum, a) => sum + a.stored.size, 0);
  const all = (samples: Sample[]) => samples.map((s) => s.seconds.toFixed(2)).join(', ');
  return [
    `pgmulti: ${DATABASES} databases of pgbench -s ${scale}, one point; raw dumps ${point.map((a) => mb(a.rawBytes ?? 0)).join(' + ')} = ${mb(raw)}, stored ${mb(stored)} (${point[0]?.codec ?? '?'}), baseline files ${mb(baseBytes)}; every archive decoded and listed by pg_restore`,
    `medians of ${runs} alternating runs; CPU = user+sys of this process and its tools (not the PostgreSQL backends)`,
    `  backup    baseline ${med(baseline, 'seconds').toFixed(2)} s, lifeboat ${med(lifeboat, 'seconds').toFixed(2)} s, ratio ${ratio.toFixed(3)}${ratio > RATIO_TARGET ? ' !' : ''} (target <= ${RATIO_TARGET.toFixed(2)})`,
    `  CPU       baseline ${med(baseline, 'cpuSeconds').toFixed(2)} s, lifeboat ${med(lifeboat, 'cpuSeconds').toFixed(2)} s, ratio ${cpuRatio.toFixed(3)}`,
    `  peak RSS  ${mb(peakRss)} (this process, where Lifeboat's path runs; target < ${RSS_TARGET_MB} MB)${peakRss > RSS_TARGET_MB * MB ? ' !' : ''}`,
    `  runs      baseline ${all(baseline)} s; lifeboat ${all(lifeboat)} s`,
  ];
}
