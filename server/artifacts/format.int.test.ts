/**
 * docs/FORMAT.md is a promise: a Lifeboat backup can be restored with standard tools when Lifeboat is gone. This
 * test keeps it: a real pg_dump (through the postgres engine) goes through the write pipeline into a run folder
 * exactly as the workers lay it out (data.<ext> + manifest.json), then the fenced `restore-postgres…` and
 * `verify-raw` blocks are taken from FORMAT.md and run LITERALLY with bash (only NEW_DB is substituted), and the
 * restored tables are compared with the source row for row.
 *
 * The only shell in the code base, on purpose: what is tested is the documented human procedure.
 * Needs DATABASE_URL (trust auth, role with CREATEDB), pg_dump/createdb/pg_restore, age, zstd, jq, sha256sum.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getEngine } from '@/server/engines/registry';
import { artifactExtension, buildManifest, type Manifest } from '@/server/recovery-points/manifest';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { produceArtifact } from '@/workers/backup/produce-artifact';
import { runArtifactKeys } from '@/server/storage/layout';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, tableHashes, uniqueName, withClient } from '@/server/testing/pg';

import { storedExtension, type Codec } from './codec';
import { generateIdentity, type AgeKeyPair } from './keys';
import { createWritePipeline } from './pipeline';
import { childProcesses, discardSink } from './test-support';

const run = promisify(execFile);
const FORMAT_MD = path.resolve(import.meta.dirname, '../../docs/FORMAT.md');

const SOURCE_DB = uniqueName('lb_fmt_src');
const databases = new Set<string>([SOURCE_DB]);
let workDir: string;
let keys: AgeKeyPair;
let sourceHashes: Record<string, string>;
let blocks: Map<string, string>;

/** Every fenced block of FORMAT.md whose info string is "<lang> <name>", by name. */
function fencedBlocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of markdown.matchAll(/^```(\w+) ([\w-]+)\n([\s\S]*?)^```$/gm)) {
    found.set(match[2] ?? '', match[3] ?? '');
  }
  return found;
}

function block(name: string): string {
  const text = blocks.get(name);
  if (text === undefined) throw new Error(`docs/FORMAT.md has no fenced block named ${name}`);
  return text;
}

/** The environment a human would have: the PG* variables pointing at the server, PATH, nothing of ours. */
function humanEnv(): Record<string, string> {
  const server = connectionParts();
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: server.user,
    ...(server.password !== undefined && { PGPASSWORD: server.password }),
  };
}

async function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Cast only because Next's types mark NODE_ENV as required.
    const { stdout, stderr } = await run('bash', ['-c', script], { cwd, env: humanEnv() as NodeJS.ProcessEnv });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * A run folder as the backup worker writes it (same code path: produceArtifact into a local-disk destination), with
 * its manifest and, for a human, the key from the kit.
 */
async function backUp(codec: Codec): Promise<{ dir: string; file: string; manifest: Manifest }> {
  const server = connectionParts();
  const startedAt = new Date();
  const compressed = codec.includes('zstd');
  const encrypted = codec.includes('age');
  const keysOf = runArtifactKeys({ sourceId: 'src_format_test', runId: `run_${codec.replace('+', '_')}`, startedAt }, storedExtension(artifactExtension('postgres'), codec));
  const file = keysOf.data.split('/').pop() ?? '';
  const dir = await mkdtemp(path.join(workDir, `${codec}-`));
  const produced = await produceArtifact({
    engine: getEngine('postgres'),
    config: { host: server.host, port: server.port, database: SOURCE_DB, user: server.user },
    secrets: server.password ? { password: server.password } : {},
    driver: createLocalDiskDriver({ root: dir }),
    key: file,
    compressionLevel: compressed ? 3 : null,
    recipients: encrypted ? [keys.recipient] : [],
  });
  expect(produced.codec).toBe(codec);

  const manifest = buildManifest({
    source: { id: 'src_format_test', name: 'format test', kind: 'postgres' },
    run: { id: 'run_format_test', attempt: 1 },
    startedAt,
    finishedAt: new Date(),
    engine: produced.engine,
    object: { key: keysOf.data, size: produced.stored.size, sha256: produced.stored.sha256 },
    codec: produced.codec,
    compressionLevel: compressed ? 3 : null,
    recipients: encrypted ? [keys.recipient] : [],
    raw: { size: produced.rawBytes ?? null, sha256: produced.rawSha256 ?? null },
  });
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  // The recovery kit's format is age-keygen's: comments allowed.
  await writeFile(path.join(dir, 'key.txt'), `# created: ${startedAt.toISOString()}\n# public key: ${keys.recipient}\n${keys.identity}\n`, { mode: 0o600 });
  return { dir, file, manifest };
}

async function restoreWith(script: string, dir: string, label: string): Promise<string> {
  const target = uniqueName(`lb_fmt_${label}`);
  databases.add(target);
  const result = await bash(script.replaceAll('NEW_DB', target), dir);
  expect(result.code, `${label} failed:\n${result.stderr}`).toBe(0);
  return target;
}

beforeAll(async () => {
  blocks = fencedBlocks(await readFile(FORMAT_MD, 'utf8'));
  workDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-format-'));
  keys = await generateIdentity();
  await createDatabase(SOURCE_DB, SAMPLE_SCHEMA_SQL);
  sourceHashes = await tableHashes(SOURCE_DB);
});

afterAll(async () => {
  for (const name of databases) await dropDatabase(name);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('docs/FORMAT.md restore procedures, run literally', () => {
  const variants: [string, Codec][] = [
    ['restore-postgres', 'zstd+age'],
    ['restore-postgres-zstd', 'zstd'],
    ['restore-postgres-age', 'age'],
    ['restore-postgres-plain', 'none'],
  ];

  it('the sample database has data worth comparing', () => {
    expect(Object.keys(sourceHashes).sort()).toEqual(['customers', 'orders']);
  });

  for (const [name, codec] of variants) {
    it(`${name} (${codec}) restores exactly the source tables, and so does the manifest's restoreHint`, async () => {
      const script = block(name);
      const { dir, file } = await backUp(codec);
      expect(script, 'the block names the file the layout produces').toContain(file);

      const restored = await restoreWith(script, dir, codec.replace('+', '_'));
      expect(await tableHashes(restored)).toEqual(sourceHashes);

      const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { restoreHint: string };
      const fromHint = await restoreWith(`set -euo pipefail\n${manifest.restoreHint}`, dir, `hint_${codec.replace('+', '_')}`);
      expect(await tableHashes(fromHint)).toEqual(sourceHashes);
    });
  }

  it('verify-raw proves the decoded stream (zstd checksum when raw.sha256 is null, else the hash)', async () => {
    const { dir, manifest } = await backUp('zstd+age');
    // The worker's direct path (pg_dump writes into zstd) takes no raw hash but records zstd's exact count.
    expect(manifest.raw.sha256).toBeNull();
    expect(manifest.raw.size).toBeGreaterThan(0);
    const result = await bash(block('verify-raw'), dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('raw OK');
  });

  it('the documented procedure refuses a damaged artifact before creating the database', async () => {
    const { dir, file } = await backUp('zstd+age');
    const bytes = await readFile(path.join(dir, file));
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0xff;
    await writeFile(path.join(dir, file), bytes);
    const target = uniqueName('lb_fmt_damaged');
    databases.add(target);
    const result = await bash(block('restore-postgres').replaceAll('NEW_DB', target), dir);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
    const exists = await withClient('postgres', async (c) => (await c.query('select 1 from pg_database where datname = $1', [target])).rowCount);
    expect(exists).toBe(0);
  });

  it('the manifest example has exactly the fields the backup worker writes', async () => {
    const example = JSON.parse(block('manifest-v3')) as unknown;
    const written = buildManifest({
      source: { id: 's', name: 'n', kind: 'postgres' },
      run: { id: 'r', attempt: 1 },
      startedAt: new Date(),
      finishedAt: new Date(),
      engine: { bytes: 1, durationMs: 1, format: 'pg_dump-custom', serverVersion: '15', toolVersion: 'pg_dump 15', sourceSizeBytes: 1, details: { database: 'd' } },
      object: { key: 'sources/s/2026/01/01/r/data.pgdump.zst.age', size: 1, sha256: 'a'.repeat(64) },
      codec: 'zstd+age',
      compressionLevel: 3,
      recipients: [keys.recipient],
      raw: { size: 1, sha256: null },
    });
    expect(shape(example)).toEqual(shape(written));
  });

  it('leaves no tool running', async () => {
    // A dump that nobody reads must not leave pg_dump, zstd or age behind either.
    const server = connectionParts();
    const backup = getEngine('postgres').backup({ host: server.host, port: server.port, database: SOURCE_DB, user: server.user }, {});
    const pipeline = createWritePipeline(backup.stream, { compression: { level: 3 }, recipients: [keys.recipient] });
    const sink = discardSink();
    pipeline.stream.pipe(sink);
    await Promise.all([backup.done, pipeline.done]);
    expect(sink.bytes()).toBeGreaterThan(0);
    expect(await childProcesses(['zstd', 'age', 'pg_dump'])).toEqual([]);
  });
});

/** Keys and value types, recursively: the example may have other values but not other fields. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shape(inner)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  }
  return value === null ? 'null' : typeof value;
}
