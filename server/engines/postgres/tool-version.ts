import { versionArgs } from './argv';
import { spawnPgTool, type PostgresToolOptions } from './run-tool';

/** `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` → the whole first line, or undefined. No password: it never connects. */
export async function readToolVersion(tool: 'pg_dump' | 'pg_dumpall' | 'pg_restore', tools: PostgresToolOptions): Promise<string | undefined> {
  const child = spawnPgTool(tool, versionArgs(), tools, {}, { stdin: 'ignore', stdout: 'pipe' });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exit = await child.exited;
  if (exit.code !== 0) return undefined;
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() || undefined;
}
