/**
 * Scratch Redis instances: a `redis-server` on a loopback port of the worker, loaded with a snapshot, stopped after a
 * TTL, on request (`stopScratch`) or when the worker process exits. Each has a private directory (0700) holding
 * dump.rdb, its config (0600, with a random `requirepass`, so nothing of it is in argv) and its log.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { EngineError } from '../engine';
import type { SpawnedProcess } from '@/server/process';

import { spawnFailure, spawnRedisTool, type RedisToolOptions } from './cli';
import { connectRedis } from './client';

/** Databases a scratch instance has: more than Redis's default 16, for sources configured with more. */
const SCRATCH_DATABASES = 64;
const READY_POLL_MS = 100;

export interface ScratchInstance {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly address: string;
  /** The `requirepass` of the default user (random, per instance). */
  readonly password: string;
  readonly expiresAt: Date;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

interface Running {
  instance: ScratchInstance;
  child: SpawnedProcess;
  dir: string;
  timer: NodeJS.Timeout;
}

const running = new Map<number, Running>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The worker exits (its shutdown ends in process.exit): no scratch server may outlive it. Synchronous on purpose.
  process.once('exit', () => {
    for (const r of running.values()) {
      const pid = r.child.child.pid;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
}

/** The scratch instances this process runs. */
export function scratchInstances(): ScratchInstance[] {
  return [...running.values()].map((r) => r.instance);
}

/**
 * Stops the scratch instance on `port` (an address `127.0.0.1:PORT` works too); false if this process runs none there.
 * With `password`, only the instance with that password: a port freed by an instance that ended is soon reused by
 * another, which a late stop request for the first must not touch.
 */
export async function stopScratch(portOrAddress: number | string, options: { password?: string } = {}): Promise<boolean> {
  const port = typeof portOrAddress === 'number' ? portOrAddress : Number(/(\d+)$/.exec(portOrAddress)?.[1]);
  const r = running.get(port);
  if (r === undefined) return false;
  if (options.password !== undefined && !samePassword(r.instance.password, options.password)) return false;
  await r.instance.stop();
  return true;
}

function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function stopAllScratch(): Promise<void> {
  await Promise.all([...running.values()].map((r) => r.instance.stop()));
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** A port the kernel says is free right now (there is a race until redis-server binds it; start retries once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function configText(dir: string, port: number, password: string): string {
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    'bind 127.0.0.1',
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${quote(password)}`,
    `dir ${quote(dir)}`,
    'dbfilename dump.rdb',
    'save ""',
    'appendonly no',
    'daemonize no',
    `databases ${SCRATCH_DATABASES}`,
    `logfile ${quote(path.join(dir, 'redis.log'))}`,
    'loglevel warning',
    '',
  ].join('\n');
}

async function logTail(dir: string): Promise<string> {
  const text = await readFile(path.join(dir, 'redis.log'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.replace(/^\d+:[A-Z] [^#*.-]*[#*.-] /, '').trim())
    .filter((l) => l.length > 0)
    .slice(-3)
    .join(' / ');
}

export interface StartScratchOptions {
  /** A private directory (0700) that already holds `dump.rdb`; the instance owns it from now on (removed on stop). */
  dir: string;
  port?: number;
  ttlSeconds: number;
  signal?: AbortSignal;
  tools?: RedisToolOptions;
}

/**
 * Starts redis-server on `dir/dump.rdb` and resolves once it answers PING after loading. A snapshot it cannot load
 * fails with its log's last lines; `dir` is removed on every failure.
 */
export async function startScratch(options: StartScratchOptions): Promise<ScratchInstance> {
  const { dir, signal } = options;
  const tools = options.tools ?? {};
  const password = randomBytes(24).toString('base64url');
  try {
    for (let attempt = 0; ; attempt += 1) {
      const port = options.port ?? (await freePort());
      if (options.port !== undefined && (await portInUse(port))) {
        throw new EngineError('TARGET_EXISTS', `something already listens on 127.0.0.1:${port}; choose another port or leave it out`);
      }
      const confFile = path.join(dir, 'redis.conf');
      await writeFile(confFile, configText(dir, port, password), { mode: 0o600 });
      await rm(path.join(dir, 'redis.log'), { force: true });
      const child = spawnRedisTool('redis-server', [confFile], tools, {}, { stdout: 'ignore' });
      const ready = await waitReady(child, port, password, signal);
      if (ready === 'ready') return track(child, dir, port, password, options.ttlSeconds);
      child.kill();
      await child.exited;
      if (ready === 'cancelled') throw new EngineError('CANCELLED', 'restore cancelled while the scratch instance was loading');
      const exit = await child.exited;
      if (exit.spawnError !== undefined) throw spawnFailure('redis-server', tools, exit.spawnError);
      const tail = await logTail(dir);
      // Lost the race for a free port to someone else: once more with another one.
      if (/Address already in use/i.test(tail) && options.port === undefined && attempt < 2) continue;
      throw new EngineError('TOOL_FAILED', `redis-server could not load the snapshot: ${tail || 'it exited at once'}`);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function waitReady(child: SpawnedProcess, port: number, password: string, signal?: AbortSignal): Promise<'ready' | 'exited' | 'cancelled'> {
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (signal?.aborted) return 'cancelled';
    if (exited) return 'exited';
    try {
      const client = await connectRedis({ host: '127.0.0.1', port, password });
      try {
        await client.ping();
        return 'ready';
      } finally {
        client.disconnect();
      }
    } catch {
      // Not listening yet, or LOADING: poll again.
    }
    await sleep(READY_POLL_MS);
  }
}

function track(child: SpawnedProcess, dir: string, port: number, password: string, ttlSeconds: number): ScratchInstance {
  installExitHook();
  let stopping: Promise<void> | undefined;
  const instance: ScratchInstance = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    password,
    expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    stop: () => {
      stopping ??= (async () => {
        clearTimeout(entry.timer);
        // SIGTERM: with `save ""` redis-server exits without writing anything.
        child.kill();
        await child.exited;
        running.delete(port);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  const timer = setTimeout(() => void instance.stop(), ttlSeconds * 1000);
  // The TTL never keeps a process alive on its own.
  timer.unref();
  const entry: Running = { instance, child, dir, timer };
  running.set(port, entry);
  // It died on its own (OOM, killed): forget it.
  void child.exited.then(() => {
    if (running.get(port) === entry) {
      clearTimeout(timer);
      running.delete(port);
      void rm(dir, { recursive: true, force: true });
    }
  });
  return instance;
}
