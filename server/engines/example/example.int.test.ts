/**
 * The example engine through Lifeboat's generic code, unchanged: source input and creation (with its probe), the
 * dashboard's engine list, the manifest, and the restore verb's target parsing and early check. Only the registry
 * differs, and only in this test: it is built from the production list plus the example (the one line a real
 * engine adds to ENGINES).
 */
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { Actor } from '@/server/auth/permissions';
import { uniqueName } from '@/server/testing/pg';

vi.mock('@/server/engines/registry', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/server/engines/registry')>();
  const { exampleEngine } = await import('./index');
  const registry = real.createEngineRegistry([...real.ENGINES, exampleEngine]);
  return { ...real, engineRegistry: registry, ENGINE_KINDS: registry.kinds, isEngineKind: registry.isKind, getEngine: registry.get };
});

const { createSource, listEngines } = await import('@/server/inventory');
const { requestRestore } = await import('@/server/restores');
const { artifactExtension, buildManifest } = await import('@/server/recovery-points/manifest');
const { db, disconnectDb } = await import('@/server/shared/db');
const { closeProducer } = await import('@/server/jobs/producer');
const { isDomainError } = await import('@/server/shared/errors');

// This file's own queue: nothing consumes it.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-example-engine');

const operator: Actor = { type: 'system', id: null, label: 'example engine test', role: 'OPERATOR' };
let dir: string;
let sourceFile: string;
let pointId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-example-int-'));
  sourceFile = path.join(dir, 'data.bin');
  await writeFile(sourceFile, 'some bytes');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await closeProducer();
  await disconnectDb();
});

describe('the example engine through the generic verbs', () => {
  it('is listed for the dashboard with its form, backup types and restore modes', () => {
    const info = listEngines({ actor: operator }).find((e) => e.kind === 'example');
    expect(info).toMatchObject({ label: 'Example file', backupTypes: ['full'], restoreModes: [{ mode: 'new', destructive: false }], extension: 'lbex' });
    expect(info?.form.map((f) => f.name)).toEqual(['path']);
  });

  it('creates a source of its kind (probed, config parsed by its schema) and refuses bad config', async () => {
    const source = await createSource({ actor: operator }, { kind: 'example', name: uniqueName('example-src'), config: { path: sourceFile } });
    expect(source).toMatchObject({ kind: 'example', config: { path: sourceFile }, hasPassword: false });
    const bad = await createSource({ actor: operator }, { kind: 'example', name: uniqueName('example-bad'), config: { path: 'relative' } }).catch((e: unknown) => e);
    expect(isDomainError(bad) && bad.code).toBe('VALIDATION');

    const destination = await db().destination.create({ data: { name: uniqueName('example-dest'), kind: 'local', config: { path: dir } } });
    const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId: source.id, destinationId: destination.id } });
    const point = await db().recoveryPoint.create({
      data: {
        sourceId: source.id,
        runId: run.id,
        destinationId: destination.id,
        engine: 'example',
        location: `sources/${source.id}/x/data.lbex`,
        sizeBytes: 10n,
        sha256: crypto.createHash('sha256').update('x').digest('hex'),
        manifest: {},
      },
    });
    pointId = point.id;
  });

  it('names its artifact and restore hint in the manifest', () => {
    expect(artifactExtension('example')).toBe('lbex');
    const manifest = buildManifest({
      source: { id: 's', name: 'n', kind: 'example' },
      run: { id: 'r', attempt: 1 },
      startedAt: new Date(),
      finishedAt: new Date(),
      engine: { durationMs: 1, format: 'lifeboat-example-v1' },
      object: { key: 'sources/s/data.lbex.zst', size: 1, sha256: 'x' },
      codec: 'zstd',
      compressionLevel: 3,
      recipients: [],
      raw: { size: null, sha256: null },
    });
    expect(manifest.restoreHint).toBe('cat data.lbex.zst | zstd -d | tail -n +2 > RESTORED_FILE');
  });

  it('has restore targets parsed and checked by the engine when the restore is requested', async () => {
    const refused = (target: unknown) => requestRestore({ actor: operator }, pointId, { target }).catch((e: unknown) => (isDomainError(e) ? e.code : e));
    expect(await refused({ path: sourceFile })).toBe('CONFLICT');
    expect(await refused({ path: 'relative' })).toBe('VALIDATION');
    expect(await refused({ database: 'orders' })).toBe('VALIDATION');
    const target = { path: path.join(dir, 'restored.bin') };
    const run = await requestRestore({ actor: operator }, pointId, { target });
    expect(run).toMatchObject({ kind: 'RESTORE', status: 'QUEUED' });
    expect((await db().run.findUniqueOrThrow({ where: { id: run.id } })).params).toEqual({ target, mode: 'new' });
  });
});
