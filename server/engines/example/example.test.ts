/**
 * The acceptance check for the engine seam: a throwaway engine written only against `Engine` (./index.ts) passes the
 * same conformance suite as PostgreSQL, and a registry built from the production list plus this one line serves it.
 * (It never joins the production list: it reads any file the worker can. example.int.test.ts runs it through the
 * generic verbs.)
 */
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { describeEngineConformance } from '../conformance';
import { createEngineRegistry, ENGINES } from '../registry';
import { exampleEngine } from './index';

// The one line a real engine adds to ENGINES in ../registry.ts.
const registry = createEngineRegistry([...ENGINES, exampleEngine]);

describe('the example engine plugs into a registry', () => {
  it('is served by kind next to the production engines, which are unchanged', () => {
    expect(registry.get('example')).toBe(exampleEngine);
    expect(registry.kinds).toEqual([...ENGINES.map((e) => e.kind), 'example']);
    expect(() => createEngineRegistry([...ENGINES, exampleEngine, exampleEngine])).toThrow(/registered twice/);
  });
});

describeEngineConformance('example (test-only file engine)', registry.get('example'), async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-example-engine-'));
  const sourceFile = path.join(dir, 'source.bin');
  // Random bytes, newlines and NULs included: nothing about the content may matter.
  await writeFile(sourceFile, Buffer.concat([randomBytes(300_000), Buffer.from('\n\0line\n')]));
  const exists = (file: string) =>
    access(file).then(
      () => true,
      () => false,
    );
  const pathOf = (target: unknown) => (target as { path: string }).path;
  return {
    createSource: async () => ({ config: { path: sourceFile }, secrets: {} }),
    newTarget: () => ({ path: path.join(dir, `restored-${randomBytes(4).toString('hex')}.bin`) }),
    existingTarget: () => ({ path: sourceFile }),
    readSource: () => readFile(sourceFile),
    readTarget: (target) => readFile(pathOf(target)),
    targetExists: (target) => exists(pathOf(target)),
    dropTarget: async (target) => {
      if (pathOf(target) !== sourceFile) await rm(pathOf(target), { force: true });
    },
    badConfigs: [{}, { path: 'relative/file' }, { path: '/a/../b' }, { path: '/x', extra: true }, { path: '/bad\nname' }],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
