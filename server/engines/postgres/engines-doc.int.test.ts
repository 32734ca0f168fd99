/**
 * docs/ENGINES.md is a promise like FORMAT.md: one database of a multi-database PostgreSQL point, and its globals, can
 * be restored by hand with standard tools. A run folder is produced as the backup worker lays it out (each object of
 * `backupObjects` through the write pipeline, zstd + age, `<role>.<ext>.zst.age`, manifest.json, key.txt), then the
 * fenced `restore-postgres-database` and `restore-postgres-globals` blocks are taken from ENGINES.md and run LITERALLY
 * with bash (only FROM_DB and NEW_DB are substituted): the database must equal its source table for table, and a role
 * of the source must log in to another server with its old password once the globals are applied there.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storedExtension } from '@/server/artifacts/codec';
import { generateIdentity, type AgeKeyPair } from '@/server/artifacts/keys';
import { buildManifest, type ManifestObjectInput } from '@/server/recovery-points/manifest';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { runArtifactKeys, runObjectKey } from '@/server/storage/layout';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, tableHashes, uniqueName, withClient } from '@/server/testing/pg';
import { findServerBinDir, startScramCluster, type ScramCluster } from '@/server/testing/scram-cluster';
import { produceArtifact } from '@/workers/backup/produce-artifact';
import type { AnyEngine, EngineBackupObject, EngineBackupResult } from '../engine';
import { getEngine } from '../registry';

const run = promisify(execFile);
const ENGINES_MD = path.resolve(import.meta.dirname, '../../../docs/ENGINES.md');
const DB_A = uniqueName('lbt_doc_a');
// A name no role can be made of (upper case, a space): its object is `db-1`, found by its details.
const DB_B = `${uniqueName('lbt_Doc_B')} x`;
const RESTORED = uniqueName('lbt_doc_restored');
const ROLE = uniqueName('lbt_doc_role');
const ROLE_PASSWORD = `pw-${uniqueName('d')}`;

const binDir = findServerBinDir();
let cluster: ScramCluster | undefined;
let workDir: string;
let runDir: string;
let keys: AgeKeyPair;

function block(markdown: string, name: string): string {
  for (const match of markdown.matchAll(/^```(\w+) ([\w-]+)\n([\s\S]*?)^```$/gm)) if (match[2] === name) return match[3] ?? '';
  throw new Error(`docs/ENGINES.md has no fenced block named ${name}`);
}

/** One object of `backupObjects` as an engine, so the worker's own write pipeline (produceArtifact) can store it. */
function asEngine(object: EngineBackupObject): AnyEngine {
  return {
    ...getEngine('postgres'),
    backup: (_config, _secrets, options) => object.backup(options),
    backupTo: (_config, _secrets, sink, options) => object.backupTo!(sink, options),
  };
}

async function runDocumented(name: string, substitutions: Record<string, string>, env: Record<string, string>) {
  let script = block(await readFile(ENGINES_MD, 'utf8'), name);
  for (const [from, to] of Object.entries(substitutions)) script = script.replaceAll(from, to);
  return run('bash', ['-c', script], { cwd: runDir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } as unknown as NodeJS.ProcessEnv }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the documented restore ${name} failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    },
  );
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-pg-engines-doc-'));
  await createDatabase(DB_A, SAMPLE_SCHEMA_SQL);
  await createDatabase(DB_B, SAMPLE_SCHEMA_SQL + "INSERT INTO customers (name) VALUES ('only in b');");
  await withClient('postgres', (c) => c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${ROLE_PASSWORD}'`));
  if (binDir !== undefined) cluster = await startScramCluster(binDir, 'postgres', `pw-${uniqueName('c')}`);

  // The run folder, as the backup worker writes it.
  keys = await generateIdentity();
  const server = connectionParts();
  const startedAt = new Date();
  const runKeys = runArtifactKeys({ sourceId: 'src_pg_doc', runId: 'run_pg_doc', startedAt }, storedExtension('pgdump', 'zstd+age'));
  runDir = path.join(workDir, 'run');
  const driver = createLocalDiskDriver({ root: runDir });
  const config = { host: server.host, port: server.port, database: DB_A, user: server.user, databases: [DB_A, DB_B], globals: true };
  const objects: ManifestObjectInput[] = [];
  const results: EngineBackupResult[] = [];
  for await (const object of getEngine('postgres').backupObjects!(config, server.password ? { password: server.password } : {})) {
    const key = runObjectKey(runKeys, object.role, storedExtension(object.extension, 'zstd+age')).split('/').pop()!;
    const produced = await produceArtifact({ engine: asEngine(object), config: {}, secrets: {}, driver, key, compressionLevel: 3, recipients: [keys.recipient] });
    results.push(produced.engine);
    objects.push({
      role: object.role,
      key: `${runKeys.prefix}${key}`,
      size: produced.stored.size,
      sha256: produced.stored.sha256,
      codec: produced.codec,
      raw: { size: produced.rawBytes ?? null, sha256: produced.rawSha256 ?? null },
      format: produced.engine.format,
      details: { ...object.details, ...produced.engine.details },
    });
  }
  const manifest = buildManifest({
    source: { id: 'src_pg_doc', name: 'engines doc', kind: 'postgres' },
    run: { id: 'run_pg_doc', attempt: 1 },
    startedAt,
    finishedAt: new Date(),
    engine: results[0]!,
    objects,
    codec: objects[0]!.codec,
    compressionLevel: 3,
    recipients: [keys.recipient],
    raw: objects[0]!.raw,
  });
  await writeFile(path.join(runDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(runDir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });
}, 180_000);

afterAll(async () => {
  for (const db of [DB_A, DB_B, RESTORED]) await dropDatabase(db).catch(() => undefined);
  await withClient('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${ROLE}`)).catch(() => undefined);
  await cluster?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('docs/ENGINES.md PostgreSQL restores by hand, run literally', () => {
  it('the run folder holds the globals and one object per database, as documented', async () => {
    const manifest = JSON.parse(await readFile(path.join(runDir, 'manifest.json'), 'utf8')) as { objects: Array<{ role: string; key: string; restoreHint: string }> };
    expect(manifest.objects.map((o) => [o.role, o.key.split('/').pop()])).toEqual([
      ['globals', 'globals.sql.zst.age'],
      [`db.${DB_A}`, `db.${DB_A}.pgdump.zst.age`],
      ['db-1', 'db-1.pgdump.zst.age'],
    ]);
    expect(manifest.objects[0]!.restoreHint).toBe('age -d -i key.txt globals.sql.zst.age | zstd -d > globals.sql && psql -X -d postgres -f globals.sql');
    expect(manifest.objects[2]!.restoreHint).toMatch(/\| pg_restore --no-owner --exit-on-error -d NEW_DB$/);
  });

  it('restore-postgres-database: one database of the point, found by its name', async () => {
    const server = connectionParts();
    const out = await runDocumented('restore-postgres-database', { FROM_DB: DB_B, NEW_DB: RESTORED }, {
      PGHOST: server.host,
      PGPORT: String(server.port),
      PGUSER: server.user,
      ...(server.password !== undefined && { PGPASSWORD: server.password }),
    });
    expect(out.stdout).toContain('db-1.pgdump.zst.age: OK');
    expect(await tableHashes(RESTORED)).toEqual(await tableHashes(DB_B));
    expect(await tableHashes(RESTORED)).not.toEqual(await tableHashes(DB_A));
  });

  it.skipIf(binDir === undefined)('restore-postgres-globals: the roles on another server, logging in with their old passwords', async () => {
    const out = await runDocumented('restore-postgres-globals', {}, {
      PGHOST: cluster!.host,
      PGPORT: String(cluster!.port),
      PGUSER: cluster!.user,
      PGPASSWORD: cluster!.password,
    });
    expect(out.stdout).toContain('globals.sql.zst.age: OK');
    const client = new pg.Client({ host: cluster!.host, port: cluster!.port, user: ROLE, password: ROLE_PASSWORD, database: 'postgres' });
    await client.connect();
    try {
      expect((await client.query<{ u: string }>('select current_user as u')).rows[0]!.u).toBe(ROLE);
    } finally {
      await client.end();
    }
  });
});
