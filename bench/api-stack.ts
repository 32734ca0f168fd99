/**
 * The real thing for the end-to-end rows: a catalog database of its own, `next start` on a loopback port, one
 * worker (`workers/main.ts`), an admin API token from the CLI. Requests go over HTTP exactly as a user's would;
 * a run is timed from its POST until GET /api/v1/runs/{id} reports it finished.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql, type PgConn } from './realistic-data';

const ROOT = path.resolve(import.meta.dirname, '..');
const NEXT_BIN = path.join(ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
// What a build depends on; a .next older than any of these is rebuilt.
const BUILD_INPUTS = ['app', 'components', 'server', 'proxy.ts', 'next.config.mjs', 'package-lock.json', 'tsconfig.json'];
// Only when the event stream drops: each authenticated GET costs the web process a few ms of CPU on the cores the
// worker needs, so the bench waits on GET /runs/{id}/events (pushed, closes at the end) and polls rarely.
const POLL_MS = 250;
// `next start` answers within seconds; the worker connects to Redis and Postgres in about as long.
const START_TIMEOUT_MS = 60_000;
// SIGTERM lets the worker hand runs back; after this the benchmark stops waiting and kills it.
const STOP_TIMEOUT_MS = 10_000;

export interface ApiStack {
  baseUrl: string;
  workerPid: number;
  /** The worker's resident set once started and idle: what it costs before any run. */
  workerIdleRssBytes: number;
  api<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /**
   * Waits until the run is terminal: follows GET /runs/{id}/events (the server pushes progress and closes the stream
   * after the terminal status), then reads the run; resolves with its final representation.
   */
  waitForRun(runId: string): Promise<{ status: string; error?: string | null }>;
  stop(): Promise<void>;
}

function newestMtime(entry: string): number {
  const full = path.join(ROOT, entry);
  if (!fs.existsSync(full)) return 0;
  const stat = fs.statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(full)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

/** Reuses `.next` when it is newer than every build input, else builds once. */
export function ensureNextBuild(env: NodeJS.ProcessEnv): void {
  const buildId = path.join(ROOT, '.next', 'BUILD_ID');
  const built = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const inputs = Math.max(...BUILD_INPUTS.map(newestMtime));
  if (built > inputs) return;
  console.log(built === 0 ? 'no .next build: running next build once…' : '.next is older than the sources: running next build once…');
  try {
    execFileSync(process.execPath, [NEXT_BIN, 'build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const out = err as { stdout?: string; stderr?: string };
    throw new Error(`next build failed:\n${(out.stdout ?? '').slice(-3000)}${(out.stderr ?? '').slice(-3000)}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tsx(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitFor(what: string, check: () => Promise<boolean>, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${START_TIMEOUT_MS / 1000} s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

export async function startApiStack(conn: PgConn, work: string): Promise<ApiStack> {
  const catalog = `lifeboat_bench_catalog_${process.pid}`;
  await sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${catalog} WITH (FORCE)`);
  await sql(conn, 'postgres', `CREATE DATABASE ${catalog}`);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `postgresql://${encodeURIComponent(conn.user)}@${conn.host}:${conn.port}/${catalog}`,
    LIFEBOAT_QUEUE_PREFIX: `lifeboat-bench-${process.pid}`,
    LIFEBOAT_DATA_DIR: dataDir,
    NEXTAUTH_URL: baseUrl,
    // The bench prunes nothing; a sweep's prune would only add noise to the worker's CPU figure.
    LIFEBOAT_PRUNE_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'warn',
    NEXT_TELEMETRY_DISABLED: '1',
  };
  let token: string;
  try {
    tsx(['prisma/migrator/migrate.ts', 'deploy'], env);
    tsx(['prisma/seed.ts'], env);
    token = tsx(['server/cli/main.ts', 'token', 'create', '--name', 'bench', '--role', 'admin'], env).trim().split('\n').pop() ?? '';
    if (!token.startsWith('lbt_')) throw new Error('the CLI did not print a token');
    ensureNextBuild(env);
  } catch (err) {
    await sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${catalog} WITH (FORCE)`).catch(() => undefined);
    throw err;
  }

  const logFile = fs.openSync(path.join(work, 'stack.log'), 'a');
  const web = spawn(process.execPath, [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], { cwd: ROOT, env, stdio: ['ignore', logFile, logFile] });
  // The worker logs at info: its "worker ready" line is how the bench knows it listens (it serves no HTTP).
  // Started as scripts/up.sh and `npm run worker` start it (MALLOC_ARENA_MAX: docs/OPERATIONS.md, "Worker memory").
  const worker = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { MALLOC_ARENA_MAX: '2', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', logFile],
  });
  let workerReady = false;
  worker.stdout!.on('data', (chunk: Buffer) => {
    fs.writeSync(logFile, chunk);
    if (!workerReady && chunk.toString().includes('worker ready')) workerReady = true;
  });
  const stop = async () => {
    await Promise.all([stopChild(web), stopChild(worker)]);
    worker.stdout!.removeAllListeners('data');
    fs.closeSync(logFile);
    await sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${catalog} WITH (FORCE)`).catch(() => undefined);
  };

  async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(baseUrl + route, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  }

  try {
    await waitFor('next start', async () => (await fetch(`${baseUrl}/api/v1/health`)).ok, web);
    await waitFor('the worker', () => Promise.resolve(workerReady), worker);
  } catch (err) {
    await stop();
    throw err;
  }

  const idle = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1];
  return {
    baseUrl,
    workerPid: worker.pid!,
    workerIdleRssBytes: Number(idle ?? 0) * 1024,
    api,
    async waitForRun(runId) {
      const terminal = (status: string) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status);
      for (;;) {
        const events = await fetch(`${baseUrl}/api/v1/runs/${runId}/events`, { headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
        // Read to the end: the server closes the stream once the run is finished (or the connection dropped).
        if (events?.ok && events.body) for await (const chunk of events.body) void chunk;
        const { status, body } = await api<{ status: string; error?: string | null }>('GET', `/api/v1/runs/${runId}`);
        if (status !== 200) throw new Error(`GET /api/v1/runs/${runId} answered ${status}`);
        if (terminal(body.status)) return body;
        if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}; see ${path.join(work, 'stack.log')}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    stop,
  };
}
