import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

import { childEnv } from '@/server/process';

import { toolCommand, versionArgs } from './argv';
import { spawnPgTool, type PostgresToolOptions } from './run-tool';

type VersionedTool = 'pg_dump' | 'pg_dumpall' | 'pg_restore';

// Answers of `--version` by the binary that gave them (see toolIdentity). Bounded: a worker sees a handful of
// binDir/env combinations; should it see more, starting over only costs a spawn each.
const versions = new Map<string, Promise<string | undefined>>();
const MAX_CACHED_VERSIONS = 32;

/**
 * `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` → the whole first line, or undefined. No password: it never
 * connects. Remembered for the life of the process per binary (its real path, inode, size, mtime and ctime, and the
 * tool's extra env): starting the tool took ~30 ms a call, twice per database of a backup. A binary replaced or
 * touched (an upgrade) is asked again. Not remembered: a tool that could not be found or gave no version, and a
 * script (`#!`), which may run a different binary each time (Debian's pg_wrapper picks the newest installed
 * client, so installing PostgreSQL 17's tools changes what `/usr/bin/pg_dump` runs without touching it).
 */
export async function readToolVersion(tool: VersionedTool, tools: PostgresToolOptions): Promise<string | undefined> {
  const key = await toolIdentity(tool, tools);
  if (key === undefined) return spawnVersion(tool, tools);
  const known = versions.get(key);
  if (known !== undefined) return known;
  if (versions.size >= MAX_CACHED_VERSIONS) versions.clear();
  const reading = spawnVersion(tool, tools);
  versions.set(key, reading);
  void reading.then(
    (version) => {
      if (version === undefined) versions.delete(key);
    },
    () => versions.delete(key),
  );
  return reading;
}

/**
 * What identifies the binary `tool` runs as, or undefined when it cannot be known (not found, a script, a PATH entry
 * that is relative and so depends on the working directory). Found the way the child finds it: a path as given, a
 * bare name on the PATH of the environment the tool gets.
 */
async function toolIdentity(tool: VersionedTool, tools: PostgresToolOptions): Promise<string | undefined> {
  const command = toolCommand(tool, tools.binDir);
  const dirs = command.includes('/') ? [''] : (childEnv(tools.env).PATH ?? '').split(':');
  if (dirs.some((dir) => dir !== '' && !path.isAbsolute(dir)) || (!command.includes('/') && dirs.includes(''))) return undefined;
  for (const dir of dirs) {
    const candidate = dir === '' ? command : path.join(dir, command);
    try {
      await access(candidate, fsConstants.X_OK);
      const real = await realpath(candidate);
      const file = await stat(real);
      if (!file.isFile()) continue;
      if (await isScript(real)) return undefined;
      const env = createHash('sha256')
        .update(JSON.stringify(Object.entries(tools.env ?? {}).sort()))
        .digest('hex');
      return JSON.stringify([tool, real, file.dev, file.ino, file.size, file.mtimeMs, file.ctimeMs, env]);
    } catch {
      // not here: the next folder, as the lookup does
    }
  }
  return undefined;
}

async function isScript(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head.toString('latin1') === '#!';
  } finally {
    await handle.close();
  }
}

async function spawnVersion(tool: VersionedTool, tools: PostgresToolOptions): Promise<string | undefined> {
  const child = spawnPgTool(tool, versionArgs(), tools, {}, { stdin: 'ignore', stdout: 'pipe' });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exit = await child.exited;
  if (exit.code !== 0) return undefined;
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() || undefined;
}
