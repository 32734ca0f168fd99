/**
 * docs/ENGINES.md is a promise like FORMAT.md: a capture command's point can be restored by hand with standard tools.
 * A run folder is produced as the backup worker writes it (each object of `backupObjects` through produceArtifact,
 * zstd + age, under `<role>.<ext>.zst.age`; manifest.json; key.txt), then the fenced `restore-command` block is taken
 * from ENGINES.md and run LITERALLY with bash; the files it restores must be the command's, byte for byte.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { storedExtension } from '@/server/artifacts/codec';
import { generateIdentity } from '@/server/artifacts/keys';
import { getEngine } from '@/server/engines/registry';
import { buildManifest, type ManifestObjectInput } from '@/server/recovery-points/manifest';
import { runArtifactKeys, runObjectKey } from '@/server/storage/layout';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { produceArtifact } from '@/workers/backup/produce-artifact';

const run = promisify(execFile);
const ENGINES_MD = path.resolve(import.meta.dirname, '../../../docs/ENGINES.md');
const CODEC = 'zstd+age';

let workDir: string;

function block(markdown: string, name: string): string {
  for (const match of markdown.matchAll(/^```(\w+) ([\w-]+)\n([\s\S]*?)^```$/gm)) if (match[2] === name) return match[3] ?? '';
  throw new Error(`docs/ENGINES.md has no fenced block named ${name}`);
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-command-doc-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Backs up `config` into a new run folder exactly as the backup worker lays it out; returns the folder. */
async function runFolder(config: Record<string, unknown>): Promise<string> {
  const engine = getEngine('command');
  const keys = await generateIdentity();
  const startedAt = new Date();
  const runKeys = runArtifactKeys({ sourceId: 'src_command_doc', runId: 'run_command_doc', startedAt }, storedExtension(engine.artifact.extension, CODEC));
  const dir = await mkdtemp(path.join(workDir, 'run-'));
  const driver = createLocalDiskDriver({ root: dir });
  const objects: ManifestObjectInput[] = [];
  let first: Awaited<ReturnType<typeof produceArtifact>> | undefined;
  for await (const object of engine.backupObjects!(config, {}, {})) {
    const key = runObjectKey(runKeys, object.role, storedExtension(object.extension, CODEC));
    const file = key.split('/').pop()!;
    const produced = await produceArtifact({ engine, config, secrets: {}, object, driver, key: file, compressionLevel: 3, recipients: [keys.recipient] });
    first ??= produced;
    objects.push({
      role: object.role,
      key,
      size: produced.stored.size,
      sha256: produced.stored.sha256,
      codec: produced.codec,
      raw: { size: produced.rawBytes ?? null, sha256: produced.rawSha256 ?? null },
      format: produced.engine.format,
      details: { ...(object.details ?? {}), ...(produced.engine.details ?? {}) },
      ...(object.restoreHint !== undefined && { restoreHint: object.restoreHint.bind(object) }),
    });
  }
  const manifest = buildManifest({
    source: { id: 'src_command_doc', name: 'command doc', kind: 'command' },
    run: { id: 'run_command_doc', attempt: 1 },
    startedAt,
    finishedAt: new Date(),
    engine: first!.engine,
    objects,
    codec: first!.codec,
    compressionLevel: 3,
    recipients: [keys.recipient],
    raw: { size: first!.rawBytes ?? null, sha256: first!.rawSha256 ?? null },
  });
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(dir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });
  return dir;
}

async function restoreByHand(dir: string): Promise<string> {
  const script = block(await readFile(ENGINES_MD, 'utf8'), 'restore-command');
  const out = await run('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } as unknown as NodeJS.ProcessEnv }).catch((err: { stdout?: string; stderr?: string }) => {
    throw new Error(`the documented restore failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  });
  return out.stdout;
}

async function tree(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, await tree(dir, name));
    else out[name] = (await readFile(path.join(dir, name))).toString('base64');
  }
  return out;
}

describe('docs/ENGINES.md capture command restore by hand, run literally', () => {
  it('restore-command: a files point comes back under the names the command wrote, byte for byte', async () => {
    const source = path.join(workDir, 'source');
    await mkdir(path.join(source, 'ns/prod app'), { recursive: true });
    await writeFile(path.join(source, 'etcd.db'), Buffer.from([0, 1, 2, 255, 10, 13, 0]));
    await writeFile(path.join(source, 'ns/prod app/all;$(id).yaml'), 'apiVersion: v1\nkind: List\n');
    const dir = await runFolder({ argv: ['cp', '-R', '--', `${source}/.`, '{outputDir}'], output: 'files' });
    const files = await readdir(dir);
    expect(files.sort()).toEqual(['file.etcd.db.raw.zst.age', 'file.ns.prod-app.all-id-.yaml.raw.zst.age', 'key.txt', 'manifest.json']);
    const stdout = await restoreByHand(dir);
    expect(stdout).toContain('file.etcd.db.raw.zst.age: OK');
    expect(stdout).toContain('file.ns.prod-app.all-id-.yaml.raw.zst.age: OK');
    expect(await tree(path.join(dir, 'restored'))).toEqual(await tree(source));
    // Each object's own one-liner names its file.
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { objects: Array<{ restoreHint: string }> };
    expect(manifest.objects[0]?.restoreHint).toBe("mkdir -p 'restored' && age -d -i key.txt file.etcd.db.raw.zst.age | zstd -d > 'restored/etcd.db'");
  });

  it('restore-command: a stdout point comes back as restored/output', async () => {
    const dir = await runFolder({ argv: ['/usr/bin/printf', 'kind: List\\nitems: [%s]\\n', '; $(id)'], output: 'stdout' });
    expect((await readdir(dir)).sort()).toEqual(['data.out.zst.age', 'key.txt', 'manifest.json']);
    expect(await restoreByHand(dir)).toContain('data.out.zst.age: OK');
    expect(await readFile(path.join(dir, 'restored/output'), 'utf8')).toBe('kind: List\nitems: [; $(id)]\n');
  });
});
