/**
 * docs/ENGINES.md is a promise like FORMAT.md: a Redis backup can be restored by hand with standard tools. A run folder
 * is produced exactly as the backup worker writes it (produceArtifact, zstd + age, manifest.json, key.txt), then the
 * fenced `restore-redis` block is taken from ENGINES.md and run LITERALLY with bash (only PORT is substituted), and
 * the server it starts must hold every key of the source with its DUMP and expiry.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateIdentity } from '@/server/artifacts/keys';
import { getEngine } from '@/server/engines/registry';
import { artifactExtension, buildManifest } from '@/server/recovery-points/manifest';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { runArtifactKeys } from '@/server/storage/layout';
import { storedExtension } from '@/server/artifacts/codec';
import { produceArtifact } from '@/workers/backup/produce-artifact';

import { freePort } from './scratch';
import { fillDatabase, readDatabase, startTestRedis, type TestRedis } from './testing';

const run = promisify(execFile);
const ENGINES_MD = path.resolve(import.meta.dirname, '../../../docs/ENGINES.md');

let source: TestRedis;
let workDir: string;

function block(markdown: string, name: string): string {
  for (const match of markdown.matchAll(/^```(\w+) ([\w-]+)\n([\s\S]*?)^```$/gm)) if (match[2] === name) return match[3] ?? '';
  throw new Error(`docs/ENGINES.md has no fenced block named ${name}`);
}

beforeAll(async () => {
  source = await startTestRedis();
  await fillDatabase(source.client(0), 100, 'a');
  await fillDatabase(source.client(1), 100, 'b');
  workDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-engines-doc-'));
});

afterAll(async () => {
  await source?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('docs/ENGINES.md Redis restore by hand, run literally', () => {
  it('restore-redis: sha256 check, age -d | zstd -d, redis-check-rdb, redis-server holds every key', async () => {
    const keys = await generateIdentity();
    const startedAt = new Date();
    const keysOf = runArtifactKeys({ sourceId: 'src_engines_doc', runId: 'run_engines_doc', startedAt }, storedExtension(artifactExtension('redis'), 'zstd+age'));
    const file = keysOf.data.split('/').pop() ?? '';
    expect(file).toBe('data.rdb.zst.age');
    const dir = await mkdtemp(path.join(workDir, 'run-'));
    const produced = await produceArtifact({
      engine: getEngine('redis'),
      config: { host: '127.0.0.1', port: source.port },
      secrets: { password: source.password },
      driver: createLocalDiskDriver({ root: dir }),
      key: file,
      compressionLevel: 3,
      recipients: [keys.recipient],
    });
    const manifest = buildManifest({
      source: { id: 'src_engines_doc', name: 'engines doc', kind: 'redis' },
      run: { id: 'run_engines_doc', attempt: 1 },
      startedAt,
      finishedAt: new Date(),
      engine: produced.engine,
      object: { key: keysOf.data, size: produced.stored.size, sha256: produced.stored.sha256 },
      codec: produced.codec,
      compressionLevel: 3,
      recipients: [keys.recipient],
      raw: { size: produced.rawBytes ?? null, sha256: produced.rawSha256 ?? null },
    });
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    await writeFile(path.join(dir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });

    const port = await freePort();
    const script = block(await readFile(ENGINES_MD, 'utf8'), 'restore-redis').replaceAll('PORT', String(port));
    const out = await run('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } as unknown as NodeJS.ProcessEnv }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the documented restore failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    expect(out.stdout).toContain('data.rdb.zst.age: OK');
    expect(out.stdout).toContain('RDB looks OK');

    const restored = (db: number) => {
      const c = new Redis({ host: '127.0.0.1', port, db, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
      c.on('error', () => undefined);
      return c;
    };
    try {
      for (let i = 0; ; i += 1) {
        const c = restored(0);
        const ok = await c.ping().then(() => true, () => false);
        c.disconnect();
        if (ok) break;
        if (i > 50) throw new Error('the documented redis-server did not answer');
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const db of [0, 1]) {
        const [a, b] = [source.client(db), restored(db)];
        expect(await readDatabase(b)).toEqual(await readDatabase(a));
        b.disconnect();
      }
    } finally {
      const c = restored(0);
      await c.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      c.disconnect();
    }
  });
});
