import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { createSource } from '@/server/inventory/create-source';
import { requestBackup } from '@/server/runs/request-backup';
import { requestRestore } from '@/server/restores/request-restore';
import { getRecoveryPoint } from '@/server/recovery-points/get-recovery-point';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from './testing/spawn-worker';

// A recovery point of several objects through the real worker: a capture command that writes two files (one in a
// subdirectory, one binary) is backed up as two objects, each compressed, encrypted and checksummed on its own, the
// manifest (v3) and the catalog list both, and a restore hands both to the restore command, byte for byte.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-multi');
const FAST = {
  LIFEBOAT_HEARTBEAT_MS: '1000',
  LIFEBOAT_RUN_STALE_SECONDS: '4',
  LIFEBOAT_SWEEP_MS: '1000',
  LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX,
};
const admin: Actor = { type: 'system', id: null, label: 'multi-object test', role: 'ADMIN' };
let dir: string;
let backupsDir: string;
let policyId: string;
let worker: SpawnedWorker | undefined;

async function finished(runId: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await db().run.findUniqueOrThrow({ where: { id: runId } });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${runId} stuck in ${run.status}\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const outcome = (run: { status: string; error: string | null }) => (run.error ? `${run.status}: ${run.error}` : run.status);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-multi-'));
  backupsDir = path.join(dir, 'backups');
  fs.mkdirSync(backupsDir);
  const dest = await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } });
  policyId = (await db().policy.create({ data: { name: uniqueName('policy'), destinationId: dest.id } })).id;
  worker = await spawnWorker(FAST);
});

afterAll(async () => {
  await worker?.stop();
  await closeProducer();
  await disconnectDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('multi-object recovery points through the worker', () => {
  it('backs up a command’s two output files as two objects and restores both exactly', async () => {
    const binary = crypto.randomBytes(300_000);
    const inputFile = path.join(dir, 'input.bin');
    fs.writeFileSync(inputFile, binary);
    const restored = path.join(dir, 'restored');
    const source = await createSource({ actor: admin }, {
      kind: 'command',
      name: uniqueName('files'),
      config: {
        // The program is the user's choice (here sh); Lifeboat itself never runs a shell.
        argv: ['/bin/sh', '-c', 'printf "alpha\\n" > "$1/a.txt" && mkdir "$1/sub" && cp "$2" "$1/sub/b.bin"', 'sh', '{outputDir}', inputFile],
        output: 'files',
        timeoutSeconds: 30,
        restoreArgv: ['/bin/cp', '-R', '{inputDir}', restored],
      },
      policyId,
      testConnection: false,
    });

    const backup = await requestBackup({ actor: admin }, source.id);
    expect(outcome(await finished(backup.id))).toBe('SUCCEEDED');
    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id }, include: { objects: { orderBy: { position: 'asc' } } } });
    expect(point.objects.map((o) => o.details)).toEqual([
      expect.objectContaining({ file: 'a.txt' }),
      expect.objectContaining({ file: 'sub/b.bin' }),
    ]);
    // Each object is its own encrypted file beside the manifest, and the point's columns describe the first.
    for (const object of point.objects) {
      const stored = fs.readFileSync(path.join(backupsDir, object.key));
      expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      expect(crypto.createHash('sha256').update(stored).digest('hex')).toBe(object.sha256);
      expect(BigInt(stored.length)).toBe(object.sizeBytes);
    }
    expect(point.location).toBe(point.objects[0]!.key);
    const manifestFile = path.join(backupsDir, path.dirname(point.location), 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { manifestVersion: number; objects: Array<{ role: string; key: string; sha256: string }> };
    expect(manifest.manifestVersion).toBe(3);
    expect(manifest.objects.map((o) => [o.role, o.key, o.sha256])).toEqual(point.objects.map((o) => [o.role, o.key, o.sha256]));
    const dto = await getRecoveryPoint({ actor: admin }, point.id);
    expect(dto.objects.map((o) => o.role)).toEqual(point.objects.map((o) => o.role));
    // The point's size is every object's (sizeBytes stays the first object's, as before objects existed).
    expect(dto.totalBytes).toBe(point.objects.reduce((sum, o) => sum + Number(o.sizeBytes), 0));
    expect(dto.sizeBytes).toBe(Number(point.objects[0]!.sizeBytes));

    const restore = await requestRestore({ actor: admin }, point.id, { target: {}, mode: 'command' });
    expect(outcome(await finished(restore.id))).toBe('SUCCEEDED');
    expect(fs.readFileSync(path.join(restored, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(fs.readFileSync(path.join(restored, 'sub', 'b.bin')).equals(binary)).toBe(true);
  });

  it('fails a backup whose command fails after writing a file, and leaves no object behind', async () => {
    const source = await createSource({ actor: admin }, {
      kind: 'command',
      name: uniqueName('fails'),
      config: { argv: ['/bin/sh', '-c', 'echo partial > "$1/a.txt"; echo "cannot reach the cluster" >&2; exit 3', 'sh', '{outputDir}'], output: 'files', timeoutSeconds: 30 },
      policyId,
      testConnection: false,
    });
    const backup = await requestBackup({ actor: admin }, source.id);
    const run = await finished(backup.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/cannot reach the cluster/);
    expect(await db().recoveryPoint.count({ where: { runId: backup.id } })).toBe(0);
    const sourceDir = path.join(backupsDir, 'sources', source.id);
    const left = fs.existsSync(sourceDir) ? fs.readdirSync(sourceDir, { recursive: true }).filter((f) => fs.statSync(path.join(sourceDir, String(f))).isFile()) : [];
    expect(left).toEqual([]);
  });
});
