/**
 * The generic engine checks (../conformance.ts) against the capture command engine, through the registry as the
 * workers use it, with real processes: `cat` printing a file (stdout output) and a program writing two files, one in a
 * subdirectory with shell metacharacters in its name (files output). Each restore target gets a restore command
 * (`restoreArgv`) copying what it receives to a new path; the suite compares those bytes with the source's exactly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describeEngineConformance } from '../conformance';
import { getEngine } from '../registry';
import { commandDefinition } from './definition';

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** Size and sha256 of a file's bytes: an exact comparison, cheaper than comparing buffers deeply. */
const digest = (bytes: Buffer) => `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
const readDigest = async (file: string) => digest(await readFile(file));

/** Every file under `dir`, by relative name, with its digest. */
async function readTree(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, await readTree(dir, name));
    else out[name] = await readDigest(path.join(dir, name));
  }
  return out;
}

/** Random bytes with newlines, NULs and a line that looks like shell: nothing about the content may matter. */
const content = (n: number) => Buffer.concat([randomBytes(n), Buffer.from('\n\0$(rm -rf /); `id` | tee\n')]);

/**
 * Targets are `{}` (the engine has none to choose); each new one is told apart by identity and gets its own
 * destination, reached through the restore command of the config the suite restores with.
 */
function targets(dir: string) {
  const dests = new WeakMap<object, string>();
  let n = 0;
  return {
    newTarget: () => {
      const t = {};
      n += 1;
      dests.set(t, path.join(dir, `restored-${n}`));
      return t;
    },
    dest: (t: unknown) => {
      const d = dests.get(t as object);
      if (d === undefined) throw new Error('not a target of this fixture');
      return d;
    },
  };
}

describeEngineConformance('command (stdout output)', getEngine(commandDefinition.kind), async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-command-conf-'));
  const sourceFile = path.join(dir, 'source.bin');
  await writeFile(sourceFile, content(400_000));
  const config = { argv: ['cat', '--', sourceFile], output: 'stdout' };
  const t = targets(dir);
  return {
    createSource: async () => ({ config, secrets: {} }),
    newTarget: t.newTarget,
    // The restore command writes a temporary file and renames it only once cat read everything and exited 0: a
    // restore stopped half-way leaves no target.
    restoreConfig: (target) => ({ ...config, restoreArgv: ['/bin/sh', '-c', 'cat > "$1.part" && mv -- "$1.part" "$1"', 'sh', t.dest(target)] }),
    unframed: true,
    readSource: () => readDigest(sourceFile),
    readTarget: (target) => readDigest(t.dest(target)),
    targetExists: (target) => exists(t.dest(target)),
    dropTarget: async (target) => {
      await rm(t.dest(target), { force: true });
      await rm(`${t.dest(target)}.part`, { force: true });
    },
    badConfigs: [
      {},
      { argv: [] },
      { argv: 'kubectl get pods' },
      { argv: ['relative/cat'] },
      { argv: ['cat'], unknownKey: 1 },
      { argv: ['cat'], output: 'nope' },
      { argv: ['cat'], timeoutSeconds: 0 },
      { argv: ['cat'], env: { 'BAD-NAME': 'x' } },
      { argv: ['cat'], cwd: 'relative' },
      { argv: ['cat', '{inputDir}'] },
      'not an object',
    ],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeEngineConformance('command (files output, two files)', getEngine(commandDefinition.kind), async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-command-conf-'));
  const source = path.join(dir, 'source');
  // The layout the command recreates in {outputDir}: a file, and one in a subdirectory named with shell syntax.
  const NESTED = 'sub dir/b;$(touch pwned)*.txt';
  await mkdir(path.join(source, 'sub dir'), { recursive: true });
  await writeFile(path.join(source, 'a.bin'), content(300_000));
  await writeFile(path.join(source, NESTED), content(50_000));
  // cp -R of the source's contents into {outputDir}: the program is the user's choice, its arguments literal.
  const config = { argv: ['cp', '-R', '--', `${source}/.`, '{outputDir}'], output: 'files' };
  const t = targets(dir);
  return {
    createSource: async () => ({ config, secrets: {} }),
    newTarget: t.newTarget,
    // Copies {inputDir} to the destination, renamed into place only when the copy is complete.
    restoreConfig: (target) => ({ ...config, restoreArgv: ['/bin/sh', '-c', 'cp -R -- "$1" "$2.part" && mv -- "$2.part" "$2"', 'sh', '{inputDir}', t.dest(target)] }),
    unframed: true,
    readSource: () => readTree(source),
    readTarget: (target) => readTree(t.dest(target)),
    targetExists: (target) => exists(t.dest(target)),
    dropTarget: async (target) => {
      await rm(t.dest(target), { recursive: true, force: true });
      await rm(`${t.dest(target)}.part`, { recursive: true, force: true });
    },
    badConfigs: [
      {},
      { argv: ['cp'], output: 'files', cwd: '/tmp' },
      { argv: ['cp', '{outputDir}'], output: 'files', restoreArgv: ['cp', '{outputDir}'] },
      { argv: ['cp'], output: 'files', extra: true },
    ],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
