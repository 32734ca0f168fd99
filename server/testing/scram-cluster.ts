import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A throwaway PostgreSQL cluster that checks passwords (scram-sha-256), for tests of wrong credentials: the shared
 * test server trusts every local connection. Owned by the `postgres` OS user when we are root (initdb refuses root).
 */
export interface ScramCluster {
  host: string;
  port: number;
  user: string;
  password: string;
  stop: () => Promise<void>;
}

/** The server binaries matching the pg_dump on PATH (Debian layout), or undefined when they are not installed. */
export function findServerBinDir(): string | undefined {
  try {
    const version = execFileSync('pg_dump', ['--version']).toString();
    const major = /\(PostgreSQL\)\s+(\d+)/.exec(version)?.[1];
    const candidates = [process.env.PG_SERVER_BINDIR, major && `/usr/lib/postgresql/${major}/bin`].filter(Boolean) as string[];
    return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startScramCluster(binDir: string, user = 'postgres', password = 'lifeboat-test-password'): Promise<ScramCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-pg-scram-'));
  const port = await freePort();
  const runAs = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  await writeFile(path.join(dir, 'pw'), password, { mode: 0o600 });
  if (runAs.length > 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    await chown(dir, uid, gid);
    await chown(path.join(dir, 'pw'), uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [bin, ...rest] = [...runAs, path.join(binDir, cmd), ...args];
    execFileSync(bin!, rest, { stdio: 'pipe', cwd: dir });
  };
  run('initdb', ['-D', path.join(dir, 'data'), '-A', 'scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '-U', user, '--no-sync']);
  run('pg_ctl', [
    '-D',
    path.join(dir, 'data'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    '-l',
    path.join(dir, 'log'),
    '-w',
    'start',
  ]);
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    stop: async () => {
      try {
        run('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
